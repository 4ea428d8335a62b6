/*
 * fuzz_ipcwire - libFuzzer target for the IPC interception library's wire
 * format (wattson/ipcwire.h): the input is one datagram.  Decoding must
 * never crash; a refusal must come with a one-line reason; what decodes
 * must hold what the format promises (a known type and transport, every
 * record the sender's) and re-encode byte-identically.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wattson/ipcwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ipcwire_rec ev[IPCWIRE_MAX_EVENTS];
    static unsigned char back[IPCWIRE_MAX_SIZE];
    struct ipcwire_hdr h;
    char why[160];
    why[0] = '\0';
    if (ipcwire_decode(data, size, &h, ev, IPCWIRE_MAX_EVENTS, why,
                       sizeof why) != 0) {
        if (!why[0] || strchr(why, '\n'))
            abort();
        return 0;
    }
    for (uint32_t i = 0; i < h.count; i++)
        if (ev[i].type >= WATTSON_IPC__N || ev[i].transport == 0 ||
            ev[i].transport >= IPCWIRE_TRANSPORT__N || ev[i].src_pid != h.pid)
            abort();
    size_t n = ipcwire_encode(back, sizeof back, &h, ev, h.count);
    if (n != size || memcmp(back, data, size) != 0)
        abort();
    return 0;
}
