/*
 * pbatch - see pbatch.h.
 */
#include "part/pbatch.h"

#include <math.h>
#include <stdlib.h>

#include "part/ptrain.h"

const char *pbatch_name(enum pbatch_kind k)
{
    static const char *const names[] = {"phases", "shuffled", "sorted",
                                        "multiscale"};
    return (unsigned)k < sizeof names / sizeof *names ? names[k] : "?";
}

void pbatch_bucket(unsigned k, unsigned *lo, unsigned *hi)
{
    const double w =
        (double)(PBATCH_LEN_MAX - PBATCH_LEN_MIN + 1) / PBATCH_NBUCKET;
    *lo = PBATCH_LEN_MIN + (unsigned)ceil(k * w - 1e-9);
    *hi = PBATCH_LEN_MIN + (unsigned)ceil((k + 1) * w - 1e-9) - 1;
}

/* A length: round(median x e^(sigma z)), redrawn until in [lo, hi]. */
static unsigned pbatch_len(uint64_t *rng, double median, double sigma,
                           unsigned lo, unsigned hi)
{
    for (;;) {
        const double x = round(median * exp(sigma * ptrain_gauss(rng)));
        if (x >= lo && x <= hi)
            return (unsigned)x;
    }
}

static unsigned pbatch_tgt(uint64_t *rng, unsigned src)
{
    return pbatch_len(rng, src, 0.15, PBATCH_LEN_MIN, PBATCH_LEN_MAX);
}

/* One padded batch of sentences whose sources lie in bucket k. */
static struct pdata_batch pbatch_sentences(uint64_t *rng, unsigned batch,
                                           unsigned k)
{
    unsigned lo, hi, s = 0, t = 0;
    pbatch_bucket(k, &lo, &hi);
    for (unsigned i = 0; i < batch; i++) {
        const unsigned x =
            pbatch_len(rng, PBATCH_LEN_MEDIAN, PBATCH_LEN_SIGMA, lo, hi);
        const unsigned y = pbatch_tgt(rng, x);
        s = x > s ? x : s;
        t = y > t ? y : t;
    }
    return (struct pdata_batch){s, t - 1, 0, 0};
}

/* The buckets' shares of the sentences: counted over draws (the
 * truncated log-normal has no closed form worth the code). */
static void pbatch_shares(uint64_t *rng, double *share)
{
    unsigned cnt[PBATCH_NBUCKET] = {0};
    const unsigned draws = 4000;
    for (unsigned i = 0; i < draws; i++) {
        const unsigned x = pbatch_len(rng, PBATCH_LEN_MEDIAN, PBATCH_LEN_SIGMA,
                                      PBATCH_LEN_MIN, PBATCH_LEN_MAX);
        for (unsigned k = 0; k < PBATCH_NBUCKET; k++) {
            unsigned lo, hi;
            pbatch_bucket(k, &lo, &hi);
            if (x >= lo && x <= hi)
                cnt[k]++;
        }
    }
    for (unsigned k = 0; k < PBATCH_NBUCKET; k++)
        share[k] = (cnt[k] + 1.0) / (draws + PBATCH_NBUCKET);
}

/* A bucket by share, not `not` (PBATCH_NBUCKET: any). */
static unsigned pbatch_pick(uint64_t *rng, const double *share, unsigned not )
{
    double tot = 0;
    for (unsigned k = 0; k < PBATCH_NBUCKET; k++)
        tot += k == not ? 0 : share[k];
    double u = (double)(ptrain_next(rng) >> 11) / 9007199254740992.0 * tot;
    for (unsigned k = 0; k < PBATCH_NBUCKET; k++) {
        if (k == not )
            continue;
        if (u < share[k])
            return k;
        u -= share[k];
    }
    return not == PBATCH_NBUCKET - 1 ? PBATCH_NBUCKET - 2 : PBATCH_NBUCKET - 1;
}

static int pbatch_cmp(const void *a, const void *b)
{
    const unsigned x = ((const unsigned *)a)[0], y = ((const unsigned *)b)[0];
    return (x > y) - (x < y);
}

/* SortaGrad: n x batch sentences (source, target) sorted by source. */
static int pbatch_sorted(uint64_t *rng, unsigned batch, struct pdata_batch *out,
                         size_t n)
{
    const size_t m = n * batch;
    unsigned(*st)[2] = malloc(m * sizeof *st);
    if (!st)
        return -1;
    for (size_t i = 0; i < m; i++) {
        st[i][0] = pbatch_len(rng, PBATCH_LEN_MEDIAN, PBATCH_LEN_SIGMA,
                              PBATCH_LEN_MIN, PBATCH_LEN_MAX);
        st[i][1] = pbatch_tgt(rng, st[i][0]);
    }
    qsort(st, m, sizeof *st, pbatch_cmp);
    for (size_t b = 0; b < n; b++) {
        unsigned s = 0, t = 0;
        for (size_t i = b * batch; i < (b + 1) * batch; i++) {
            s = st[i][0] > s ? st[i][0] : s;
            t = st[i][1] > t ? st[i][1] : t;
        }
        out[b] = (struct pdata_batch){s, t - 1, 0, 0};
    }
    free(st);
    return 0;
}

int pbatch_fill(const struct pbatch_cfg *c, struct pdata_batch *out, size_t n)
{
    uint64_t rng = c->seed ? c->seed : 1;
    if (c->kind == PBATCH_MULTISCALE) {
        if (!c->period)
            return -1;
        double dim = 0;
        for (size_t b = 0; b < n; b++) {
            if (b % c->period == 0)
                dim = PBATCH_DIM_STEP *
                          (double)(ptrain_next(&rng) % PBATCH_NDIM) +
                      PBATCH_DIM_MIN;
            out[b] = (struct pdata_batch){0, 0, dim, dim};
        }
        return 0;
    }
    if (!c->batch || (c->kind == PBATCH_PHASES && !c->phase) ||
        c->kind > PBATCH_MULTISCALE)
        return -1;
    if (c->kind == PBATCH_SORTED)
        return pbatch_sorted(&rng, c->batch, out, n);
    double share[PBATCH_NBUCKET];
    pbatch_shares(&rng, share);
    unsigned k = pbatch_pick(&rng, share, PBATCH_NBUCKET);
    for (size_t b = 0; b < n; b++) {
        if (c->kind == PBATCH_SHUFFLED)
            k = pbatch_pick(&rng, share, PBATCH_NBUCKET);
        else if (b && b % c->phase == 0)
            k = pbatch_pick(&rng, share, k);
        out[b] = pbatch_sentences(&rng, c->batch, k);
    }
    return 0;
}
