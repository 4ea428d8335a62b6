/*
 * fuzz_ofzst - libFuzzer target for the offload protocol's zstd decoder
 * (core/ofzst.c, Debian libzstd): the input is a compressed chunk as a
 * peer might send it.  Never a crash and nothing written past the 64 KiB
 * output; a refusal comes with a one-line reason; what is accepted
 * re-compresses and decodes to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ofzst.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP (64u << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ofzst z;
    static int ready;
    static unsigned char out[CAP], again[CAP + 1024], back[CAP];
    char why[160];
    size_t n = 0, m = 0;
    if (!ready) {
        if (ofzst_init(&z, CAP, why, sizeof why) != 0)
            abort();
        ready = 1;
    }
    why[0] = '\0';
    if (ofzst_decompress(&z, out, CAP, data, size, &n, why, sizeof why) != 0) {
        if (!why[0] || strchr(why, '\n') || n != 0)
            abort();
        return 0;
    }
    if (n > CAP)
        abort();
    size_t c = ofzst_compress(&z, OFZST_FAST, again, sizeof again, out, n);
    if (c &&
        (ofzst_decompress(&z, back, CAP, again, c, &m, why, sizeof why) != 0 ||
         m != n || memcmp(back, out, n) != 0))
        abort();
    return 0;
}
