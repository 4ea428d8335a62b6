/*
 * test_ofblk - a buffer as erasure-coded datagrams (core/ofblk.c): with
 * seeded random loss of 0 %, 5 % and 20 %, reordering and duplication,
 * the buffer comes back exact exactly when every group kept k of its
 * k+m, each group that kept k is exact even when others did not, the
 * missing list is exactly the short groups with what each lacks, and
 * resending those groups completes it; corrupted and inconsistent
 * datagrams are dropped and counted; another stream's are ignored; the
 * receiver allocates nothing per datagram.
 */
#include <stdlib.h>
#include <string.h>

#include "allocount.h"
#include "core/ofblk.h"
#include "core/oftensor.h"
#include "t.h"

#define DG (OFBLK_HDR_SIZE + OFBLK_SHARD_DEFAULT)

static uint8_t *src;

struct run {
    unsigned k, m;
    size_t total;
    double loss, dup;
    uint64_t seed;
};

/* All datagrams of the buffer, group by group. */
static uint8_t *make_all(struct ofblk_tx *tx, uint32_t stream, size_t total,
                         size_t *count)
{
    long groups = ofblk_tx_begin(tx, stream, src, total);
    const unsigned n = tx->k + tx->m;
    uint8_t *all = malloc((size_t)groups * n * DG + 1);
    size_t c = 0;
    for (long g = 0; all && g < groups; g++)
        for (unsigned i = 0; i < n; i++) {
            size_t len = ofblk_tx_make(tx, (uint32_t)g, i, all + c * DG, DG);
            T_CHECK(len == DG);
            c++;
        }
    *count = c;
    return all;
}

static void lossy(const struct run *r)
{
    struct ofblk_tx tx;
    struct ofblk_rx rx;
    char err[160], why[160];
    const unsigned n = r->k + r->m;
    T_CHECK(ofblk_tx_init(&tx, r->k, r->m, OFBLK_SHARD_DEFAULT, err,
                          sizeof err) == 0);
    T_CHECK(ofblk_rx_init(&rx, 8u << 20, r->k, r->m, OFBLK_SHARD_DEFAULT, err,
                          sizeof err) == 0);
    size_t count;
    uint8_t *all = make_all(&tx, 9, r->total, &count);
    const uint32_t groups = tx.groups;
    /* The order of delivery: each datagram kept with 1 - loss, some sent
     * twice, then shuffled (Fisher-Yates). */
    size_t *order = malloc(2 * count * sizeof *order);
    unsigned *kept = calloc(groups, sizeof *kept);
    uint32_t *miss = malloc(groups * sizeof *miss);
    unsigned *need = malloc(groups * sizeof *need);
    T_CHECK(all && order && kept && miss && need);
    if (!all || !order || !kept || !miss || !need)
        goto out;
    uint64_t s = r->seed;
    size_t len = 0;
    for (size_t d = 0; d < count; d++) {
        if (t_unif(&s) < r->loss)
            continue;
        kept[d / n]++;
        order[len++] = d;
        if (t_unif(&s) < r->dup)
            order[len++] = d;
    }
    for (size_t i = len; i > 1; i--) {
        size_t j = (size_t)(t_unif(&s) * (double)i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    T_CHECK(ofblk_rx_reset(&rx, 9, 0) == 0);
    T_CHECK(ofblk_rx_missing(&rx, miss, need, groups) == 0);
    int bad_status = 0, completes = 0;
    unsigned long al = 1, fr = 1;
    allocount_start();
    for (size_t i = 0; i < len; i++) {
        int st = ofblk_rx_put(&rx, all + order[i] * DG, DG, why, sizeof why);
        bad_status += st < 0 || st == OFBLK_FOREIGN;
        completes += st == OFBLK_COMPLETE;
    }
    allocount_stop(&al, &fr);
    T_CHECK(al == 0 && fr == 0 && bad_status == 0);
    size_t short_groups = 0, exact = 0, want_exact = 0, listed_right = 0;
    size_t nmiss = ofblk_rx_missing(&rx, miss, need, groups);
    for (uint32_t g = 0, mi = 0; g < groups; g++) {
        size_t off = (size_t)g * r->k * OFBLK_SHARD_DEFAULT;
        size_t glen = r->total - off < (size_t)r->k * OFBLK_SHARD_DEFAULT
                          ? r->total - off
                          : (size_t)r->k * OFBLK_SHARD_DEFAULT;
        if (kept[g] < r->k) {
            short_groups++;
            listed_right +=
                mi < nmiss && miss[mi] == g && need[mi] == r->k - kept[g];
            mi++;
        } else {
            want_exact++;
            exact += memcmp(ofblk_rx_data(&rx) + off, src + off, glen) == 0;
        }
    }
    T_CHECK(nmiss == short_groups && listed_right == short_groups);
    T_CHECK(exact == want_exact);
    T_CHECK(ofblk_rx_complete(&rx) == (short_groups == 0));
    T_CHECK(completes == (short_groups == 0));
    T_CHECK(rx.st.corrupt == 0 && rx.st.taken + rx.st.duplicate == len);
    fprintf(stderr,
            "ofblk: (%u,%u) %zu bytes, %u groups, loss %.0f %%: %zu sent, "
            "%llu taken, %llu duplicate, %llu rebuilt, %zu groups short\n",
            r->k, r->m, r->total, groups, 100 * r->loss, len,
            (unsigned long long)rx.st.taken,
            (unsigned long long)rx.st.duplicate,
            (unsigned long long)rx.st.rebuilt, short_groups);
    /* The retransmission path: every datagram of each short group again
     * (what the receiver lacks is among them). */
    for (size_t i = 0; i < nmiss; i++)
        for (unsigned x = 0; x < n; x++) {
            size_t l = ofblk_tx_make(&tx, miss[i], x, all, DG);
            T_CHECK(l == DG);
            ofblk_rx_put(&rx, all, l, why, sizeof why);
        }
    T_CHECK(ofblk_rx_complete(&rx));
    T_CHECK(ofblk_rx_missing(&rx, miss, need, groups) == 0);
    T_CHECK(memcmp(ofblk_rx_data(&rx), src, r->total) == 0);
out:
    free(all);
    free(order);
    free(kept);
    free(miss);
    free(need);
    ofblk_tx_free(&tx);
    ofblk_rx_free(&rx);
}

/* Puts dg (n bytes) with byte `at` xor-ed by x: the status. */
static int put_flipped(struct ofblk_rx *rx, uint8_t *dg, size_t n, size_t at,
                       uint8_t x, char *why, size_t whylen)
{
    dg[at] ^= x;
    int st = ofblk_rx_put(rx, dg, n, why, whylen);
    dg[at] ^= x;
    return st;
}

static void refusals(void)
{
    struct ofblk_tx tx;
    struct ofblk_rx rx;
    char err[160], why[160];
    uint8_t dg[DG + 8];
    const size_t total = 5 * 4 * OFBLK_SHARD_DEFAULT; /* 5 whole groups */
    T_CHECK(ofblk_tx_init(&tx, 4, 2, OFBLK_SHARD_DEFAULT, err, sizeof err) ==
            0);
    T_CHECK(ofblk_rx_init(&rx, total, 4, 2, OFBLK_SHARD_DEFAULT, err,
                          sizeof err) == 0);
    T_CHECK(ofblk_tx_begin(&tx, 3, src, total) == 5);
    T_CHECK(ofblk_tx_make(&tx, 5, 0, dg, sizeof dg) == 0);
    T_CHECK(ofblk_tx_make(&tx, 0, 6, dg, sizeof dg) == 0);
    T_CHECK(ofblk_tx_make(&tx, 0, 0, dg, DG - 1) == 0);
    T_CHECK(ofblk_tx_make(&tx, 2, 1, dg, sizeof dg) == DG);

    /* Before any reset every datagram is foreign. */
    T_CHECK(ofblk_rx_put(&rx, dg, DG, why, sizeof why) == OFBLK_FOREIGN);
    /* A known length: every group is missing, all k of each. */
    T_CHECK(ofblk_rx_reset(&rx, 3, total) == 0);
    uint32_t miss[8];
    unsigned need[8];
    T_CHECK(ofblk_rx_missing(&rx, miss, need, 2) == 5);
    T_CHECK(miss[0] == 0 && miss[1] == 1 && need[0] == 4 && need[1] == 4);
    T_CHECK(ofblk_rx_reset(&rx, 3, total + 1) == -1);

    /* Each byte of header and shard flipped: the CRC (or the magic,
     * version or length check before it) drops it. */
    int dropped = 0;
    for (size_t at = 0; at < DG; at += (at < OFBLK_HDR_SIZE ? 1 : 53))
        dropped += put_flipped(&rx, dg, DG, at, 0x04, why, sizeof why) ==
                       OFBLK_CORRUPT &&
                   why[0] && !strchr(why, '\n');
    T_CHECK(dropped == (int)(OFBLK_HDR_SIZE + (DG - OFBLK_HDR_SIZE + 52) / 53));
    T_CHECK(put_flipped(&rx, dg, DG, 100, 0x01, why, sizeof why) ==
            OFBLK_CORRUPT);
    T_STREQ(why, "block datagram CRC32C mismatch (group 2, index 1)");
    T_CHECK(ofblk_rx_put(&rx, dg, DG - 1, why, sizeof why) == OFBLK_CORRUPT);
    T_CHECK(ofblk_rx_put(&rx, dg, 10, why, sizeof why) == OFBLK_CORRUPT);
    T_STREQ(why, "datagram of 10 bytes, under the 28-byte header");
    T_CHECK(ofblk_rx_put(&rx, "GET / HTTP/1.1\r\nHost: x\r\n\r\n.....", 32, why,
                         sizeof why) == OFBLK_CORRUPT);
    dg[4] = 2;
    T_CHECK(ofblk_rx_put(&rx, dg, DG, why, sizeof why) == OFBLK_CORRUPT);
    T_STREQ(why, "block datagram version 2, this wattson speaks 1");
    T_CHECK(rx.st.corrupt == (uint64_t)dropped + 5 && rx.st.taken == 0);

    /* Valid datagrams (good CRC) with a header inconsistent with the
     * receiver: another code, another length, a group out of range. */
    struct ofblk_tx o;
    T_CHECK(ofblk_tx_init(&o, 4, 3, OFBLK_SHARD_DEFAULT, err, sizeof err) == 0);
    ofblk_tx_begin(&o, 3, src, total);
    ofblk_tx_make(&o, 0, 0, dg, sizeof dg);
    T_CHECK(ofblk_rx_put(&rx, dg, DG, why, sizeof why) == OFBLK_CORRUPT);
    T_STREQ(why, "code (k 4, m 3, shard 1200) is not this receiver's (k 4, "
                 "m 2, shard 1200)");
    ofblk_tx_free(&o);
    ofblk_tx_begin(&tx, 3, src, total - 1);
    ofblk_tx_make(&tx, 0, 0, dg, sizeof dg);
    T_CHECK(ofblk_rx_put(&rx, dg, DG, why, sizeof why) == OFBLK_CORRUPT);
    T_STREQ(why, "length 23999, the stream's is 24000");
    /* Another stream: ignored, not counted as corrupt. */
    ofblk_tx_begin(&tx, 4, src, total);
    ofblk_tx_make(&tx, 0, 0, dg, sizeof dg);
    T_CHECK(ofblk_rx_put(&rx, dg, DG, why, sizeof why) == OFBLK_FOREIGN);
    T_CHECK(rx.st.foreign == 2 && rx.st.corrupt == (uint64_t)dropped + 7);

    /* A length learnt from the first datagram; then a datagram whose
     * group lies past it is refused, and a bigger length too. */
    T_CHECK(ofblk_rx_reset(&rx, 5, 0) == 0);
    ofblk_tx_begin(&tx, 5, src, 2 * 4 * OFBLK_SHARD_DEFAULT);
    ofblk_tx_make(&tx, 1, 0, dg, sizeof dg);
    T_CHECK(ofblk_rx_put(&rx, dg, DG, why, sizeof why) == OFBLK_TAKEN);
    T_CHECK(rx.total == 2 * 4 * OFBLK_SHARD_DEFAULT && rx.groups == 2);
    T_CHECK(ofblk_rx_missing(&rx, miss, need, 8) == 2 && need[1] == 3);
    T_CHECK(ofblk_rx_put(&rx, dg, DG, why, sizeof why) == OFBLK_DUP);
    /* A group index forged past the end, CRC recomputed by a sender
     * that believes in a longer buffer: refused by its length. */
    ofblk_tx_begin(&tx, 5, src, total);
    ofblk_tx_make(&tx, 4, 0, dg, sizeof dg);
    T_CHECK(ofblk_rx_put(&rx, dg, DG, why, sizeof why) == OFBLK_CORRUPT);
    ofblk_tx_free(&tx);
    ofblk_rx_free(&rx);

    T_CHECK(ofblk_tx_init(&tx, 0, 2, 1200, err, sizeof err) == -1);
    T_CHECK(ofblk_tx_init(&tx, 200, 56, 1200, err, sizeof err) == -1);
    T_CHECK(ofblk_tx_init(&tx, 4, 2, 70000, err, sizeof err) == -1);
    T_CHECK(ofblk_rx_init(&rx, OFBLK_MAX_TOTAL + 1ul, 4, 2, 1200, err,
                          sizeof err) == -1);
    T_CHECK(strstr(err, "maximum") != NULL);
}

/* Small shapes: one byte, exactly whole groups, no parity at all. */
static void shapes(void)
{
    static const struct {
        unsigned k, m, shard;
        size_t total;
    } c[] = {{4, 2, 1200, 1},
             {4, 2, 1200, 9600},
             {3, 0, 100, 1001},
             {1, 1, 16, 33},
             {10, 5, 7, 1000}};
    for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
        struct ofblk_tx tx;
        struct ofblk_rx rx;
        char err[160], why[160];
        uint8_t dg[OFBLK_HDR_SIZE + 1200];
        T_CHECK(ofblk_tx_init(&tx, c[i].k, c[i].m, c[i].shard, err,
                              sizeof err) == 0);
        T_CHECK(ofblk_rx_init(&rx, c[i].total, c[i].k, c[i].m, c[i].shard, err,
                              sizeof err) == 0);
        long groups = ofblk_tx_begin(&tx, 1, src, c[i].total);
        T_CHECK(ofblk_rx_reset(&rx, 1, 0) == 0);
        int last = -9;
        /* Data shards lost where parity can stand in: the first m of
         * each group; parity sent first. */
        for (long g = 0; g < groups; g++)
            for (unsigned x = c[i].k + c[i].m; x-- > 0;) {
                if (x < c[i].m && c[i].m && x < c[i].k)
                    continue;
                size_t l = ofblk_tx_make(&tx, (uint32_t)g, x, dg, sizeof dg);
                last = ofblk_rx_put(&rx, dg, l, why, sizeof why);
            }
        T_CHECK(last == OFBLK_COMPLETE || last == OFBLK_DUP);
        T_CHECK(ofblk_rx_complete(&rx) && rx.total == c[i].total &&
                memcmp(ofblk_rx_data(&rx), src, c[i].total) == 0);
        ofblk_tx_free(&tx);
        ofblk_rx_free(&rx);
    }
}

int main(void)
{
    allocount_install();
    src = malloc(4u << 20);
    T_CHECK(src != NULL);
    if (!src)
        return t_done("test_ofblk");
    oftensor_fill(src, 4u << 20, OFTENSOR_ZERO_FRAC_DEFAULT, 11);
    const size_t odd = (3u << 20) + 777; /* the last group padded */
    struct run runs[] = {
        {8, 4, odd, 0.00, 0.00, 1},  {8, 4, odd, 0.05, 0.10, 2},
        {8, 4, odd, 0.20, 0.10, 3},  {32, 8, odd, 0.20, 0.05, 4},
        {32, 8, odd, 0.05, 0.05, 5},
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++)
        lossy(&runs[i]);
    refusals();
    shapes();
    free(src);
    return t_done("test_ofblk");
}
