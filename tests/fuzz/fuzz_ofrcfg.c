/*
 * fuzz_ofrcfg - libFuzzer target for wattson-ofrelay's control file
 * (tools/ofrcfg.c, reread on SIGHUP): the input is the file's text.
 * Never a crash; a refusal comes with one line naming the file and line
 * and leaves the settings unchanged; settings taken are in range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/ofrcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char text[8193];
    if (size >= sizeof text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct ofr_cfg c, before;
    char err[320];
    ofrcfg_init(&c);
    before = c;
    if (ofrcfg_text(&c, text, "ctl", err, sizeof err) != 0) {
        if (strncmp(err, "ctl:", 4) != 0 || strchr(err, '\n') ||
            memcmp(&c, &before, sizeof c) != 0)
            abort();
        return 0;
    }
    for (int d = 0; d < OFR_NDIR; d++) {
        const struct ofr_dir *x = &c.dir[d];
        if (!(x->delay_s >= 0 && x->delay_s <= OFR_DELAY_MAX) ||
            !(x->jitter_s >= 0 && x->jitter_s <= OFR_DELAY_MAX) ||
            !(x->loss >= 0 && x->loss <= 1) ||
            !(x->rate_bps == 0 ||
              (x->rate_bps >= 1000 && x->rate_bps <= OFR_RATE_MAX)))
            abort();
        if (x->ge.on &&
            !(x->ge.p_gb >= 0 && x->ge.p_gb <= 1 && x->ge.p_bg >= 0 &&
              x->ge.p_bg <= 1 && x->ge.loss_bad >= 0 && x->ge.loss_bad <= 1 &&
              x->ge.loss_good >= 0 && x->ge.loss_good <= 1))
            abort();
    }
    return 0;
}
