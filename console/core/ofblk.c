/*
 * ofblk - see ofblk.h.
 */
#include "core/ofblk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ofwire.h"

static void put_le(unsigned char *p, uint32_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_le(const unsigned char *p, int bytes)
{
    uint32_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* What is wrong with a code (k, m, S), or NULL. */
static const char *bad_code(unsigned k, unsigned m, unsigned shard, char *err,
                            size_t errlen)
{
    if (k < 1 || k + m > OFFEC_MAX_SHARDS || shard < 1 || shard > 0xffffu) {
        snprintf(err, errlen,
                 "block code (k %u, m %u, shard %u): need k >= 1, "
                 "k + m <= %d, 1 <= shard <= 65535",
                 k, m, shard, OFFEC_MAX_SHARDS);
        return err;
    }
    return NULL;
}

static uint32_t groups_of(size_t total, unsigned k, unsigned shard)
{
    const size_t per = (size_t)k * shard;
    return (uint32_t)((total + per - 1) / per);
}

int ofblk_tx_init(struct ofblk_tx *tx, unsigned k, unsigned m, unsigned shard,
                  char *err, size_t errlen)
{
    memset(tx, 0, sizeof *tx);
    tx->cur = -1;
    if (bad_code(k, m, shard, err, errlen) ||
        offec_init(&tx->fec, (int)k, (int)m, err, errlen) != 0)
        return -1;
    tx->k = k;
    tx->m = m;
    tx->shard = shard;
    tx->pad = calloc(k, shard);
    tx->parity = calloc(m ? m : 1, shard);
    if (!tx->pad || !tx->parity) {
        snprintf(err, errlen, "block sender: out of memory");
        ofblk_tx_free(tx);
        return -1;
    }
    return 0;
}

void ofblk_tx_free(struct ofblk_tx *tx)
{
    offec_free(&tx->fec);
    free(tx->pad);
    free(tx->parity);
    memset(tx, 0, sizeof *tx);
    tx->cur = -1;
}

long ofblk_tx_begin(struct ofblk_tx *tx, uint32_t stream, const void *buf,
                    size_t total)
{
    if (total > OFBLK_MAX_TOTAL)
        return -1;
    tx->buf = buf;
    tx->total = total;
    tx->stream = stream;
    tx->groups = groups_of(total, tx->k, tx->shard);
    tx->cur = -1;
    return (long)tx->groups;
}

/* Data shard i of group g: in the buffer, or in pad for a last group that
 * runs past the end (pad then holds that whole group). */
static const uint8_t *tx_data(struct ofblk_tx *tx, uint32_t g, unsigned i)
{
    const size_t S = tx->shard;
    const size_t start = (size_t)g * tx->k * S;
    if (start + (size_t)tx->k * S <= tx->total)
        return tx->buf + start + i * S;
    return tx->pad + i * S;
}

static void tx_group(struct ofblk_tx *tx, uint32_t g)
{
    const size_t S = tx->shard;
    const size_t start = (size_t)g * tx->k * S;
    if ((int64_t)g == tx->cur)
        return;
    if (start + (size_t)tx->k * S > tx->total) {
        memset(tx->pad, 0, (size_t)tx->k * S);
        memcpy(tx->pad, tx->buf + start, tx->total - start);
    }
    const uint8_t *data[OFFEC_MAX_SHARDS];
    uint8_t *parity[OFFEC_MAX_SHARDS];
    for (unsigned i = 0; i < tx->k; i++)
        data[i] = tx_data(tx, g, i);
    for (unsigned j = 0; j < tx->m; j++)
        parity[j] = tx->parity + j * S;
    offec_encode(&tx->fec, data, parity, S);
    tx->cur = g;
}

size_t ofblk_tx_make(struct ofblk_tx *tx, uint32_t group, unsigned index,
                     void *dg, size_t cap)
{
    const size_t S = tx->shard, n = OFBLK_HDR_SIZE + S;
    if (group >= tx->groups || index >= tx->k + tx->m || cap < n)
        return 0;
    tx_group(tx, group);
    unsigned char *p = dg;
    put_le(p, OFBLK_MAGIC, 4);
    p[4] = (unsigned char)OFBLK_VERSION;
    p[5] = (unsigned char)tx->k;
    p[6] = (unsigned char)tx->m;
    p[7] = (unsigned char)index;
    put_le(p + 8, tx->stream, 4);
    put_le(p + 12, group, 4);
    put_le(p + 16, (uint32_t)tx->total, 4);
    put_le(p + 20, (uint32_t)S, 2);
    put_le(p + 22, 0, 2);
    const uint8_t *src = index < tx->k ? tx_data(tx, group, index)
                                       : tx->parity + (index - tx->k) * S;
    memcpy(p + OFBLK_HDR_SIZE, src, S);
    uint32_t crc = ofwire_crc32c(0, p, 24);
    put_le(p + 24, ofwire_crc32c(crc, p + OFBLK_HDR_SIZE, S), 4);
    return n;
}

int ofblk_rx_init(struct ofblk_rx *rx, size_t max_total, unsigned k, unsigned m,
                  unsigned shard, char *err, size_t errlen)
{
    memset(rx, 0, sizeof *rx);
    if (bad_code(k, m, shard, err, errlen))
        return -1;
    if (max_total < 1 || max_total > OFBLK_MAX_TOTAL) {
        snprintf(err, errlen,
                 "block receiver: maximum of %zu bytes, need 1 to %u",
                 max_total, OFBLK_MAX_TOTAL);
        return -1;
    }
    if (offec_init(&rx->fec, (int)k, (int)m, err, errlen) != 0)
        return -1;
    rx->k = k;
    rx->m = m;
    rx->shard = shard;
    rx->max_total = max_total;
    rx->max_groups = groups_of(max_total, k, shard);
    const size_t G = rx->max_groups;
    rx->data = malloc(G * k * shard);
    rx->parity = malloc(G * (m ? m : 1) * shard);
    rx->have = calloc(G, k + m);
    rx->count = calloc(G, sizeof *rx->count);
    rx->done = calloc(G, 1);
    if (!rx->data || !rx->parity || !rx->have || !rx->count || !rx->done) {
        snprintf(err, errlen, "block receiver: out of memory for %zu bytes",
                 max_total);
        ofblk_rx_free(rx);
        return -1;
    }
    return 0;
}

void ofblk_rx_free(struct ofblk_rx *rx)
{
    offec_free(&rx->fec);
    free(rx->data);
    free(rx->parity);
    free(rx->have);
    free(rx->count);
    free(rx->done);
    memset(rx, 0, sizeof *rx);
}

int ofblk_rx_reset(struct ofblk_rx *rx, uint32_t stream, size_t total)
{
    if (total > rx->max_total)
        return -1;
    /* Only what the previous stream used needs clearing. */
    const size_t used = rx->active && rx->total ? rx->groups : rx->max_groups;
    memset(rx->have, 0, used * (rx->k + rx->m));
    memset(rx->count, 0, used * sizeof *rx->count);
    memset(rx->done, 0, used);
    rx->stream = stream;
    rx->active = 1;
    rx->total = total;
    rx->groups = total ? groups_of(total, rx->k, rx->shard) : 0;
    rx->groups_done = 0;
    return 0;
}

/* A datagram dropped: counted, and why. */
static int corrupt(struct ofblk_rx *rx, char *why, size_t whylen,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int corrupt(struct ofblk_rx *rx, char *why, size_t whylen,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    rx->st.corrupt++;
    return OFBLK_CORRUPT;
}

/* Group g holds k shards: rebuild its lost data shards in place. */
static void rx_rebuild(struct ofblk_rx *rx, uint32_t g)
{
    const size_t S = rx->shard;
    const unsigned k = rx->k, n = rx->k + rx->m;
    const uint8_t *have = rx->have + (size_t)g * n;
    uint8_t *shards[OFFEC_MAX_SHARDS], *spare[OFFEC_MAX_SHARDS];
    uint8_t *data = rx->data + (size_t)g * k * S;
    unsigned lost = 0;
    for (unsigned i = 0; i < k; i++) {
        shards[i] = have[i] ? data + i * S : NULL;
        spare[i] = data + i * S;
        lost += !have[i];
    }
    for (unsigned j = 0; j < rx->m; j++)
        shards[k + j] =
            have[k + j] ? rx->parity + ((size_t)g * rx->m + j) * S : NULL;
    char why[96];
    /* k are present and every spare given: it cannot refuse. */
    if (lost && offec_decode(&rx->fec, shards, spare, S, why, sizeof why) == 0)
        rx->st.rebuilt += lost;
    rx->done[g] = 1;
    rx->groups_done++;
}

int ofblk_rx_put(struct ofblk_rx *rx, const void *dg, size_t n, char *why,
                 size_t whylen)
{
    const unsigned char *p = dg;
    if (n < OFBLK_HDR_SIZE)
        return corrupt(rx, why, whylen,
                       "datagram of %zu bytes, under the %u-byte header", n,
                       OFBLK_HDR_SIZE);
    if (get_le(p, 4) != OFBLK_MAGIC)
        return corrupt(rx, why, whylen, "not a block datagram (magic 0x%08lx)",
                       (unsigned long)get_le(p, 4));
    if (p[4] != OFBLK_VERSION)
        return corrupt(rx, why, whylen,
                       "block datagram version %u, this wattson speaks %u",
                       p[4], OFBLK_VERSION);
    const unsigned k = p[5], m = p[6], idx = p[7];
    const uint32_t stream = get_le(p + 8, 4), group = get_le(p + 12, 4);
    const uint32_t total = get_le(p + 16, 4), S = get_le(p + 20, 2);
    if (n != OFBLK_HDR_SIZE + (size_t)S)
        return corrupt(rx, why, whylen,
                       "datagram of %zu bytes, its header says a %lu-byte "
                       "shard",
                       n, (unsigned long)S);
    const uint32_t crc = ofwire_crc32c(0, p, 24);
    if (ofwire_crc32c(crc, p + OFBLK_HDR_SIZE, S) != get_le(p + 24, 4))
        return corrupt(rx, why, whylen,
                       "block datagram CRC32C mismatch (group %lu, index %u)",
                       (unsigned long)group, idx);
    if (get_le(p + 22, 2) != 0)
        return corrupt(rx, why, whylen, "block datagram reserved field not 0");
    if (!rx->active || stream != rx->stream) {
        rx->st.foreign++;
        return OFBLK_FOREIGN;
    }
    if (k != rx->k || m != rx->m || S != rx->shard)
        return corrupt(rx, why, whylen,
                       "code (k %u, m %u, shard %lu) is not this receiver's "
                       "(k %u, m %u, shard %u)",
                       k, m, (unsigned long)S, rx->k, rx->m, rx->shard);
    if (idx >= k + m)
        return corrupt(rx, why, whylen, "shard index %u out of %u", idx, k + m);
    if (total == 0 || total > rx->max_total)
        return corrupt(rx, why, whylen,
                       "length %lu outside this receiver's 1..%zu",
                       (unsigned long)total, rx->max_total);
    if (rx->total && total != rx->total)
        return corrupt(rx, why, whylen, "length %lu, the stream's is %zu",
                       (unsigned long)total, rx->total);
    const uint32_t groups = groups_of(total, k, S);
    if (group >= groups)
        return corrupt(rx, why, whylen, "group %lu out of %lu",
                       (unsigned long)group, (unsigned long)groups);
    if (!rx->total) { /* the first datagram of the stream: its length */
        rx->total = total;
        rx->groups = groups;
    }
    uint8_t *have = rx->have + (size_t)group * (k + m);
    if (rx->done[group] || have[idx]) {
        rx->st.duplicate++;
        return OFBLK_DUP;
    }
    uint8_t *dst = idx < k ? rx->data + ((size_t)group * k + idx) * S
                           : rx->parity + ((size_t)group * m + idx - k) * S;
    memcpy(dst, p + OFBLK_HDR_SIZE, S);
    have[idx] = 1;
    rx->st.taken++;
    if (++rx->count[group] == k)
        rx_rebuild(rx, group);
    return ofblk_rx_complete(rx) ? OFBLK_COMPLETE : OFBLK_TAKEN;
}

int ofblk_rx_complete(const struct ofblk_rx *rx)
{
    return rx->active && rx->total && rx->groups_done == rx->groups;
}

const uint8_t *ofblk_rx_data(const struct ofblk_rx *rx)
{
    return rx->data;
}

size_t ofblk_rx_missing(const struct ofblk_rx *rx, uint32_t *groups,
                        unsigned *need, size_t cap)
{
    size_t n = 0;
    if (!rx->active || !rx->total)
        return 0;
    for (uint32_t g = 0; g < rx->groups; g++) {
        if (rx->done[g])
            continue;
        if (n < cap) {
            groups[n] = g;
            if (need)
                need[n] = rx->k - rx->count[g];
        }
        n++;
    }
    return n;
}
