/*
 * offec - see offec.h.
 */
#include "core/offec.h"

#include <isa-l/erasure_code.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int offec_init(struct offec *f, int k, int m, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (k < 1 || m < 0 || k + m > OFFEC_MAX_SHARDS) {
        snprintf(err, errlen,
                 "erasure code (k %d, m %d): need k >= 1, m >= 0, "
                 "k + m <= %d",
                 k, m, OFFEC_MAX_SHARDS);
        return -1;
    }
    const size_t km = (size_t)k * (size_t)(m ? m : 1);
    f->k = k;
    f->m = m;
    f->mat = malloc((size_t)(k + m) * (size_t)k);
    f->enc_tbls = malloc(32 * km);
    f->sub = malloc((size_t)k * (size_t)k);
    f->inv = malloc((size_t)k * (size_t)k);
    f->rows = malloc(km);
    f->dec_tbls = malloc(32 * km);
    f->lost = malloc((size_t)(m ? m : 1) * sizeof *f->lost);
    if (!f->mat || !f->enc_tbls || !f->sub || !f->inv || !f->rows ||
        !f->dec_tbls || !f->lost) {
        snprintf(err, errlen, "erasure code (k %d, m %d): out of memory", k, m);
        offec_free(f);
        return -1;
    }
    gf_gen_cauchy1_matrix(f->mat, k + m, k);
    if (m)
        ec_init_tables(k, m, f->mat + (size_t)k * (size_t)k, f->enc_tbls);
    return 0;
}

void offec_free(struct offec *f)
{
    free(f->mat);
    free(f->enc_tbls);
    free(f->sub);
    free(f->inv);
    free(f->rows);
    free(f->dec_tbls);
    free(f->lost);
    memset(f, 0, sizeof *f);
}

/* ec_encode_data over len bytes of each of k sources into rows outputs:
 * its length is an int, so a longer shard goes in pieces (shards are
 * MTU-sized; this is for the caller that is not). */
static void apply(int k, int rows, unsigned char *tbls,
                  unsigned char *const *src, unsigned char *const *dst,
                  size_t len)
{
    unsigned char *s[OFFEC_MAX_SHARDS], *d[OFFEC_MAX_SHARDS];
    for (size_t off = 0; off < len; off += INT_MAX) {
        const size_t n = len - off < INT_MAX ? len - off : INT_MAX;
        for (int i = 0; i < k; i++)
            s[i] = src[i] + off;
        for (int j = 0; j < rows; j++)
            d[j] = dst[j] + off;
        ec_encode_data((int)n, k, rows, tbls, s, d);
    }
}

void offec_encode(struct offec *f, const uint8_t *const *data, uint8_t **parity,
                  size_t len)
{
    unsigned char *src[OFFEC_MAX_SHARDS];
    if (!f->m || !len)
        return;
    /* ISA-L's prototype is not const-correct; it only reads the data. */
    for (int i = 0; i < f->k; i++)
        src[i] = (unsigned char *)data[i];
    apply(f->k, f->m, f->enc_tbls, src, parity, len);
}

int offec_decode(struct offec *f, uint8_t **shards, uint8_t *const *spare,
                 size_t len, char *why, size_t whylen)
{
    const int k = f->k, n = f->k + f->m;
    unsigned char *src[OFFEC_MAX_SHARDS], *dst[OFFEC_MAX_SHARDS];
    int have = 0, nlost = 0;
    for (int i = 0; i < n; i++)
        have += shards[i] != NULL;
    if (have < k) {
        snprintf(why, whylen, "%d of %d shards, at least %d needed", have, n,
                 k);
        return -1;
    }
    for (int i = 0; i < k; i++)
        if (!shards[i]) {
            if (!spare || !spare[i]) {
                snprintf(why, whylen, "no buffer to rebuild data shard %d", i);
                return -1;
            }
            f->lost[nlost++] = i; /* <= m: at least k of k + m present */
        }
    if (!nlost || !len)
        return 0;
    /* The first k present shards (the data ones first, by index): their
     * rows of the coding matrix, inverted. */
    for (int i = 0, r = 0; r < k; i++)
        if (shards[i]) {
            memcpy(f->sub + (size_t)r * (size_t)k,
                   f->mat + (size_t)i * (size_t)k, (size_t)k);
            src[r++] = shards[i];
        }
    if (gf_invert_matrix(f->sub, f->inv, k) != 0) {
        /* Every square submatrix of a Cauchy code's is invertible. */
        snprintf(why, whylen, "decode matrix singular");
        return -1;
    }
    for (int x = 0; x < nlost; x++) {
        memcpy(f->rows + (size_t)x * (size_t)k,
               f->inv + (size_t)f->lost[x] * (size_t)k, (size_t)k);
        dst[x] = spare[f->lost[x]];
    }
    ec_init_tables(k, nlost, f->rows, f->dec_tbls);
    apply(k, nlost, f->dec_tbls, src, dst, len);
    for (int x = 0; x < nlost; x++)
        shards[f->lost[x]] = spare[f->lost[x]];
    return 0;
}
