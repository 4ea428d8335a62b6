/*
 * fuzz_lab - libFuzzer target for the lab reader: any bytes, as a lab
 * chunk, must give a lab or a one-line error, never a crash, a leak or a
 * hang.  Limits are lowered so that an endless loop costs milliseconds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/lab.h"

/* The embedded labs lab.c refers to: labstub.c. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        /* 100 ms of CPU: a lab takes about 1 ms under ASan, and a slow
         * input must not eat the short runs of make test */
        lab_set_limits((size_t)4 << 20, 200000, 100000000ull);
        ready = 1;
    }
    char err[512];
    struct lab *lab = NULL;
    if (lab_load_string("fuzz", (const char *)data, size, ".", &lab, err,
                        sizeof err) == 0) {
        lab_free(lab);
    } else if (strchr(err, '\n') || strncmp(err, "fuzz", 4) != 0) {
        __builtin_trap(); /* errors are one line naming the chunk */
    }
    return 0;
}
