/*
 * fuzz_qtab - libFuzzer target for the Q-table reader (console/engines/
 * qtab.c), which a Q-learning agent feeds whatever file it finds when its
 * module attaches.  The shape is fixed (2 x 3 states, 2 actions) and the
 * module "fuzz-mod".  Every input must be accepted or refused with one
 * line "qtab: fuzz:LINE: reason", never a crash; a refused input leaves
 * the arrays exactly as they were; an accepted one holds finite Q-values
 * and comes back bit for bit through qtab_format -> qtab_parse.
 *
 * The checksum would stop nearly every mutation at the last line, so each
 * input is tried twice: as it is, and with its last line replaced by the
 * right "crc32" line, which lets the fuzzer reach the contents.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engines/qtab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NC 12

static const struct qtab_shape shape = {2, {2, 3}, 2};

static void one(const char *text, size_t len)
{
    double q[NC], q2[NC];
    uint32_t v[NC], v2[NC];
    char err[512];
    for (int i = 0; i < NC; i++) {
        q[i] = -1.5 - i;
        v[i] = 99u + (uint32_t)i;
    }
    err[0] = '\0';
    int rc = qtab_parse(text, len, "fuzz", "fuzz-mod", &shape, q, v, err,
                        sizeof err);
    if (rc != QTAB_OK) {
        if (rc != QTAB_ECORRUPT && rc != QTAB_ESHAPE && rc != QTAB_EMODULE)
            abort();
        if (strncmp(err, "qtab: fuzz:", 11) != 0 || strchr(err, '\n'))
            abort(); /* one line naming the file and line */
        for (int i = 0; i < NC; i++)
            if (q[i] != -1.5 - i || v[i] != 99u + (uint32_t)i)
                abort(); /* untouched on error */
        return;
    }
    for (int i = 0; i < NC; i++)
        if (!isfinite(q[i]))
            abort();
    size_t flen;
    char *back = qtab_format("fuzz-mod", &shape, q, v, &flen);
    if (!back)
        abort();
    if (qtab_parse(back, flen, "again", "fuzz-mod", &shape, q2, v2, err,
                   sizeof err) != QTAB_OK ||
        memcmp(q, q2, sizeof q) || memcmp(v, v2, sizeof v))
        abort();
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    one(text, size);
    /* The same text with the right checksum as its last line. */
    size_t last = size;
    if (last > 0 && text[last - 1] == '\n')
        last--;
    while (last > 0 && text[last - 1] != '\n')
        last--;
    char *fixed = malloc(last + 16);
    if (!fixed)
        return 0;
    memcpy(fixed, text, last);
    int n = snprintf(fixed + last, 16, "crc32 %08lx\n",
                     (unsigned long)qtab_crc32(fixed, last));
    one(fixed, last + (size_t)n);
    free(fixed);
    return 0;
}
