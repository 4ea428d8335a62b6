/*
 * test_offec - the Reed-Solomon erasure code (core/offec.c, ISA-L): for
 * (4,2), (8,3) and (5,1) every pattern of up to m lost shards gives the
 * exact data back and every pattern of m+1 is refused with nothing
 * written; random patterns for (32,8) and (200,55); odd shard lengths;
 * no allocation in encode or decode; bad (k, m) refused.
 */
#include <stdlib.h>
#include <string.h>

#include "allocount.h"
#include "core/offec.h"
#include "t.h"

#define MAXN 255
#define LEN 1200

static uint8_t store[MAXN][LEN], spare_buf[MAXN][LEN], orig[MAXN][LEN];

static int popcount(unsigned long x)
{
    int c = 0;
    for (; x; x &= x - 1)
        c++;
    return c;
}

/* Encodes k random data shards of len bytes into store, keeps a copy. */
static void encode(struct offec *f, size_t len, uint64_t *seed)
{
    const uint8_t *data[MAXN];
    uint8_t *parity[MAXN];
    for (int i = 0; i < f->k; i++) {
        for (size_t b = 0; b < len; b++)
            store[i][b] = (uint8_t)(t_unif(seed) * 256);
        data[i] = store[i];
    }
    for (int j = 0; j < f->m; j++)
        parity[j] = store[f->k + j];
    offec_encode(f, data, parity, len);
    memcpy(orig, store, sizeof store);
}

/* Loses the shards in lost[] (k + m flags) and decodes: 1 when the data
 * came back exact, 0 when refused with nothing written, -1 otherwise. */
static int try_loss(struct offec *f, const unsigned char *lost, size_t len)
{
    uint8_t *shards[MAXN], *spare[MAXN];
    char why[160] = "";
    const int n = f->k + f->m;
    for (int i = 0; i < n; i++)
        shards[i] = lost[i] ? NULL : store[i];
    for (int i = 0; i < f->k; i++) {
        spare[i] = spare_buf[i];
        memset(spare_buf[i], 0xee, len);
    }
    if (offec_decode(f, shards, spare, len, why, sizeof why) != 0) {
        for (int i = 0; i < f->k; i++)
            for (size_t b = 0; b < len; b++)
                if (spare_buf[i][b] != 0xee)
                    return -1;
        return why[0] && !strchr(why, '\n') ? 0 : -1;
    }
    for (int i = 0; i < f->k; i++) {
        if (shards[i] != (lost[i] ? spare_buf[i] : store[i]))
            return -1;
        if (memcmp(shards[i], orig[i], len) != 0)
            return -1;
    }
    for (int j = f->k; j < n; j++)
        if (lost[j] && shards[j])
            return -1;
    return 1;
}

/* Every loss pattern of a small code: up to m rebuild, m+1 refused. */
static void exhaustive(int k, int m, size_t len)
{
    struct offec f;
    char err[160];
    uint64_t seed = (uint64_t)(k * 1000 + m);
    T_CHECK(offec_init(&f, k, m, err, sizeof err) == 0);
    encode(&f, len, &seed);
    const int n = k + m;
    int ok = 0, want_ok = 0, refused = 0, want_refused = 0;
    for (unsigned long mask = 0; mask < 1ul << n; mask++) {
        int c = popcount(mask);
        if (c > m + 1)
            continue;
        unsigned char lost[MAXN];
        for (int i = 0; i < n; i++)
            lost[i] = (unsigned char)(mask >> i & 1);
        int r = try_loss(&f, lost, len);
        if (c <= m) {
            want_ok++;
            ok += r == 1;
        } else {
            want_refused++;
            refused += r == 0;
        }
    }
    fprintf(stderr,
            "offec: (%d,%d) len %zu: %d of %d patterns rebuilt, %d of %d "
            "refused\n",
            k, m, len, ok, want_ok, refused, want_refused);
    T_CHECK(ok == want_ok && refused == want_refused);
    offec_free(&f);
}

static void random_patterns(int k, int m, int trials)
{
    struct offec f;
    char err[160];
    uint64_t seed = 77;
    T_CHECK(offec_init(&f, k, m, err, sizeof err) == 0);
    encode(&f, LEN, &seed);
    const int n = k + m;
    int ok = 0, refused = 0;
    for (int t = 0; t < trials; t++) {
        unsigned char lost[MAXN] = {0};
        /* m or m+1 distinct shards, alternately. */
        int want = m + (t & 1), c = 0;
        while (c < want) {
            int i = (int)(t_unif(&seed) * n);
            if (!lost[i]) {
                lost[i] = 1;
                c++;
            }
        }
        int r = try_loss(&f, lost, LEN);
        ok += (t & 1) == 0 && r == 1;
        refused += (t & 1) == 1 && r == 0;
    }
    T_CHECK(ok == trials / 2 && refused == trials / 2);
    offec_free(&f);
}

static void no_allocation(void)
{
    struct offec f;
    char err[160];
    uint64_t seed = 5;
    unsigned long al = 1, fr = 1;
    T_CHECK(offec_init(&f, 32, 8, err, sizeof err) == 0);
    unsigned char lost[MAXN] = {0};
    for (int i = 0; i < 8; i++)
        lost[3 * i] = 1;
    allocount_start();
    encode(&f, LEN, &seed);
    int r = try_loss(&f, lost, LEN);
    allocount_stop(&al, &fr);
    T_CHECK(r == 1 && al == 0 && fr == 0);
    offec_free(&f);
}

int main(void)
{
    char err[160];
    struct offec f;
    allocount_install();
    exhaustive(4, 2, LEN);
    exhaustive(8, 3, LEN);
    exhaustive(5, 1, 37); /* under ISA-L's 16/32/64-byte vector widths */
    exhaustive(3, 4, 1);
    random_patterns(32, 8, 400);
    random_patterns(200, 55, 20);
    no_allocation();

    /* m = 0: nothing to rebuild from, a loss is refused. */
    T_CHECK(offec_init(&f, 4, 0, err, sizeof err) == 0);
    unsigned char lost[MAXN] = {0};
    T_CHECK(try_loss(&f, lost, LEN) == 1);
    lost[2] = 1;
    T_CHECK(try_loss(&f, lost, LEN) == 0);
    offec_free(&f);

    /* A lost data shard without a spare buffer: refused. */
    T_CHECK(offec_init(&f, 4, 2, err, sizeof err) == 0);
    uint8_t *shards[6] = {store[0], NULL, store[2], store[3], store[4], NULL};
    uint8_t *spare[4] = {spare_buf[0], NULL, NULL, NULL};
    char why[160];
    T_CHECK(offec_decode(&f, shards, spare, LEN, why, sizeof why) == -1);
    T_STREQ(why, "no buffer to rebuild data shard 1");
    offec_free(&f);

    T_CHECK(offec_init(&f, 0, 2, err, sizeof err) == -1);
    T_CHECK(strstr(err, "k + m <= 255") != NULL);
    T_CHECK(offec_init(&f, 200, 56, err, sizeof err) == -1);
    T_CHECK(offec_init(&f, 4, -1, err, sizeof err) == -1);
    T_CHECK(offec_init(&f, 1, 254, err, sizeof err) == 0);
    offec_free(&f);
    return t_done("test_offec");
}
