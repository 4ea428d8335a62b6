/*
 * fuzz_ofblk - libFuzzer target for the receiver of erasure-coded
 * datagrams (core/ofblk.c): the input is a sequence of datagrams, each
 * a 2-byte little-endian length and a flag byte, then its bytes.  Flag
 * bit 0 has the harness write a correct CRC32C into the datagram first,
 * so that the fuzzer reaches what lies past the checksum (the header's
 * consistency, duplicates, the rebuild); bit 1 resets the receiver to a
 * new stream (the next byte its id, the length to be learnt).  The
 * receiver: (4, 2), 64-byte shards, at most 4096 bytes.
 *
 * Never a crash; a dropped datagram comes with a one-line reason; the
 * counters add up; the missing list and the completed groups partition
 * the groups; "complete" only when every group is.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ofblk.h"
#include "core/ofwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ofblk_rx rx;
    static int ready;
    static uint8_t dg[OFBLK_HDR_SIZE + 1024];
    char err[160], why[160];
    if (!ready) {
        if (ofblk_rx_init(&rx, 4096, 4, 2, 64, err, sizeof err) != 0)
            abort();
        ready = 1;
    }
    memset(&rx.st, 0, sizeof rx.st);
    ofblk_rx_reset(&rx, 1, 0);
    uint64_t puts = 0;
    size_t off = 0;
    while (size - off >= 3) {
        size_t len = (size_t)data[off] | (size_t)data[off + 1] << 8;
        const unsigned flags = data[off + 2];
        off += 3;
        if (flags & 2u && off < size) {
            ofblk_rx_reset(&rx, data[off], 0);
            off++;
        }
        if (len > size - off)
            len = size - off;
        if (len > sizeof dg)
            len = sizeof dg;
        memcpy(dg, data + off, len);
        off += len;
        if (flags & 1u && len >= OFBLK_HDR_SIZE) {
            uint32_t c = ofwire_crc32c(0, dg, 24);
            c = ofwire_crc32c(c, dg + OFBLK_HDR_SIZE, len - OFBLK_HDR_SIZE);
            for (int i = 0; i < 4; i++)
                dg[24 + i] = (uint8_t)(c >> (8 * i));
        }
        why[0] = '\0';
        int st = ofblk_rx_put(&rx, dg, len, why, sizeof why);
        puts++;
        if (st == OFBLK_CORRUPT && (!why[0] || strchr(why, '\n')))
            abort();
        if (st < OFBLK_CORRUPT || st > OFBLK_FOREIGN)
            abort();
        if (st == OFBLK_COMPLETE && !ofblk_rx_complete(&rx))
            abort();
    }
    const struct ofblk_stats *s = &rx.st;
    if (s->taken + s->duplicate + s->corrupt + s->foreign != puts)
        abort();
    uint32_t miss[4096 / (4 * 64) + 1];
    unsigned need[sizeof miss / sizeof *miss];
    size_t n = ofblk_rx_missing(&rx, miss, need, sizeof miss / sizeof *miss);
    if (rx.total && n + rx.groups_done != rx.groups)
        abort();
    for (size_t i = 0; i < n && i < sizeof miss / sizeof *miss; i++)
        if (miss[i] >= rx.groups || need[i] < 1 || need[i] > 4 ||
            (i && miss[i] <= miss[i - 1]))
            abort();
    if (ofblk_rx_complete(&rx) != (rx.total && n == 0))
        abort();
    return 0;
}
