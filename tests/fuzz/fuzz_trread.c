/*
 * fuzz_trread - libFuzzer target for the JSONL trace reader of `wattson
 * report` (console/core/trread.c), which reads files that may be cut
 * short, corrupt or from another version.  Every input must be refused
 * with one line "fuzz:1: ..." or read to its end or its damage, never a
 * crash; two passes over the same bytes must agree (the report relies on
 * it: pass 1 sizes what pass 2 fills), and a pass never keeps more label
 * values than TRREAD_MAX_LABELS.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/trread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_tick(void *arg, uint64_t tick, double t, double power_w)
{
    (void)tick;
    (void)power_w;
    if (!isfinite(t))
        abort(); /* a tick without a finite time is damage */
    (*(uint64_t *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0; /* fmemopen refuses an empty buffer */
    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        return 0;
    struct trread r;
    char err[512] = "";
    int rc = trread_open_stream(&r, f, "fuzz", err, sizeof err);
    if (rc != 0) {
        if (strncmp(err, "fuzz:1: ", 8) != 0 || strchr(err, '\n'))
            abort();
        fclose(f);
        return 0;
    }
    uint64_t n1 = 0, n2 = 0;
    struct trread_visit v1 = {on_tick, NULL, &n1}, v2 = {on_tick, NULL, &n2};
    if (trread_pass(&r, &v1, err, sizeof err) != 0)
        abort();
    for (const char *p = r.bad_why; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort(); /* it goes into a one-line message */
    size_t bad = r.bad_line, lv0 = r.n_fam ? r.fam[0].n_lv : 0;
    if (trread_pass(&r, &v2, err, sizeof err) != 0)
        abort();
    if (n1 != n2 || n1 != r.n_ticks || bad != r.bad_line ||
        (r.n_fam && r.fam[0].n_lv != lv0))
        abort();
    for (size_t i = 0; i < r.n_fam; i++)
        if (r.fam[i].n_lv > TRREAD_MAX_LABELS)
            abort();
    trread_close(&r);
    fclose(f);
    return 0;
}
