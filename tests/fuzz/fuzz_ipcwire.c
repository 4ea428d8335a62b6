/*
 * fuzz_ipcwire - libFuzzer target for the IPC interception library's wire
 * format (wattson/ipcwire.h): the input is one datagram.  Decoding must
 * never crash; a refusal must come with a one-line reason; what decodes
 * must hold what the format promises (a known type and transport, every
 * send record's src and every receive record's dst the reporter's) and
 * re-encode byte-identically.
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
    for (uint32_t i = 0; i < h.count; i++) {
        unsigned kind = IPCWIRE_KIND(ev[i].transport);
        uint32_t own =
            ev[i].transport & IPCWIRE_RECV ? ev[i].dst_pid : ev[i].src_pid;
        if (ev[i].type >= WATTSON_IPC__N || kind == 0 ||
            kind >= IPCWIRE_TRANSPORT__N || own != h.pid)
            abort();
    }
    size_t n = ipcwire_encode(back, sizeof back, &h, ev, h.count);
    if (n != size || memcmp(back, data, size) != 0)
        abort();
    return 0;
}
