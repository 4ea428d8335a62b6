/*
 * fuzz_trace - libFuzzer target for the sim driver's trace reader: any
 * bytes must be either parsed into a valid trace (rows with t >= 0 strictly
 * increasing, at least CSVTRACE_MIN_STEP_S apart, util in [0, 1]) or
 * refused with a message, never crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csvtrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct csvtrace tr;
    char err[256];

    if (csvtrace_parse((const char *)data, size, "fuzz", &tr, err,
                       sizeof err) == 0) {
        /* What the parser promises, checked on every accepted input. */
        if (tr.n == 0)
            abort();
        for (size_t i = 0; i < tr.n; i++) {
            if (!(tr.t[i] >= 0) || !(tr.v[i] >= 0 && tr.v[i] <= 1))
                abort();
            if (i > 0 && !(tr.t[i] - tr.t[i - 1] >= CSVTRACE_MIN_STEP_S))
                abort();
        }
        csvtrace_free(&tr);
    } else if (memchr(err, '\n', strlen(err)) || tr.n != 0 || tr.t) {
        abort(); /* one line, nothing left allocated */
    }
    return 0;
}
