/*
 * fuzz_ofwire - libFuzzer target for the offload protocol's frame parser
 * (core/ofwire.c): the input is a byte stream as a TCP peer might send
 * it.  Frames are taken one after another until the parser wants more or
 * refuses.  Never a crash; a refusal comes with a one-line reason; a
 * frame taken lies within the input and re-encodes byte-identically; a
 * "more" never comes for a complete frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ofwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned char back[OFWIRE_HDR_SIZE + OFWIRE_MAX_PAYLOAD];
    size_t off = 0;
    for (;;) {
        struct ofwire_frame f;
        size_t used = 0;
        char why[160];
        why[0] = '\0';
        int rc =
            ofwire_parse(data + off, size - off, &f, &used, why, sizeof why);
        if (rc == OFWIRE_MORE)
            return 0;
        if (rc != OFWIRE_OK) {
            if (!why[0] || strchr(why, '\n') || used != 0)
                abort();
            return 0;
        }
        if (used < OFWIRE_HDR_SIZE || used > size - off ||
            used != OFWIRE_HDR_SIZE + (size_t)f.len)
            abort();
        size_t n = ofwire_encode(back, sizeof back, &f, f.payload);
        if (n != used || memcmp(back, data + off, used) != 0)
            abort();
        off += used;
    }
}
