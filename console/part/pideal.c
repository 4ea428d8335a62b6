/*
 * pideal - see pideal.h.
 */
#include "part/pideal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/pcost.h"

/* ---- the lattice of down-sets ---- */

struct pideal_lat {
    size_t n, words; /* layers; 64-bit words per set */
    size_t count, rows, offcap;
    uint64_t *bits; /* count x words: the sets */
    size_t *up_off; /* count + 1: set i's supersets one layer up are */
    uint32_t *up;   /* up[up_off[i] .. up_off[i + 1]) */
    size_t nup, upcap;
    uint32_t *hash; /* open addressing, set index + 1, 0 empty */
    size_t hcap;
    /* filled once the lattice is complete, in (work, size) order */
    double *w, *pb, *ab, *cut;
    /* the graph's edges by node (CSR) */
    size_t *pred_off, *succ_off;
    uint32_t *pred, *succ;
};

static void pideal_lat_free(struct pideal_lat *L)
{
    free(L->bits);
    free(L->up_off);
    free(L->up);
    free(L->hash);
    free(L->w);
    free(L->pb);
    free(L->ab);
    free(L->cut);
    free(L->pred_off);
    free(L->succ_off);
    free(L->pred);
    free(L->succ);
    memset(L, 0, sizeof *L);
}

static const uint64_t *pideal_row(const struct pideal_lat *L, size_t i)
{
    return L->bits + i * L->words;
}

static int pideal_in(const uint64_t *s, size_t u)
{
    return (int)(s[u / 64] >> (u % 64) & 1);
}

static size_t pideal_hash(const uint64_t *s, size_t words, size_t cap)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t k = 0; k < words; k++)
        h = (h ^ s[k]) * 0xbf58476d1ce4e5b9ull;
    return (size_t)(h ^ h >> 31) & (cap - 1);
}

/* The slot of set s in the hash: where it is, or the empty slot. */
static size_t pideal_slot(const struct pideal_lat *L, const uint64_t *s)
{
    size_t k = pideal_hash(s, L->words, L->hcap);
    while (L->hash[k] &&
           memcmp(pideal_row(L, L->hash[k] - 1), s, L->words * 8) != 0)
        k = (k + 1) & (L->hcap - 1);
    return k;
}

/* p (of *cap elements of `size` bytes) with room for `need`, doubled as
 * needed: the array, moved or not, or NULL out of memory (p intact). */
static void *pideal_room(void *p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * size);
    if (q)
        *cap = c;
    return q;
}

/* Room for one more set (and its hash entry): 0, or -1. */
static int pideal_grow(struct pideal_lat *L)
{
    uint64_t *b =
        pideal_room(L->bits, &L->rows, L->count + 1, L->words * sizeof *b);
    if (!b)
        return -1;
    L->bits = b;
    size_t *o = pideal_room(L->up_off, &L->offcap, L->count + 2, sizeof *o);
    if (!o)
        return -1;
    L->up_off = o;
    if (2 * (L->count + 1) > L->hcap) {
        const size_t cap = L->hcap ? 2 * L->hcap : 4096;
        uint32_t *h = calloc(cap, sizeof *h);
        if (!h)
            return -1;
        free(L->hash);
        L->hash = h;
        L->hcap = cap;
        for (size_t i = 0; i < L->count; i++)
            L->hash[pideal_slot(L, pideal_row(L, i))] = (uint32_t)i + 1;
    }
    return 0;
}

static int pideal_up_add(struct pideal_lat *L, uint32_t j)
{
    uint32_t *p = pideal_room(L->up, &L->upcap, L->nup + 1, sizeof *p);
    if (!p)
        return -1;
    L->up = p;
    L->up[L->nup++] = j;
    return 0;
}

/* The graph's edges by node, both ways: 0, or -1. */
static int pideal_csr(const struct mgraph *g, struct pideal_lat *L)
{
    const size_t n = g->n, m = g->n_edges;
    L->pred_off = calloc(n + 1, sizeof *L->pred_off);
    L->succ_off = calloc(n + 1, sizeof *L->succ_off);
    L->pred = malloc((m ? m : 1) * sizeof *L->pred);
    L->succ = malloc((m ? m : 1) * sizeof *L->succ);
    if (!L->pred_off || !L->succ_off || !L->pred || !L->succ)
        return -1;
    for (size_t e = 0; e < m; e++) {
        L->pred_off[g->edge[e][1] + 1]++;
        L->succ_off[g->edge[e][0] + 1]++;
    }
    for (size_t u = 0; u < n; u++) {
        L->pred_off[u + 1] += L->pred_off[u];
        L->succ_off[u + 1] += L->succ_off[u];
    }
    /* fill each node's range from its end: off[u + 1] comes down to u's
     * start, so shifting the offsets down one makes them starts again */
    for (size_t e = 0; e < m; e++) {
        const uint32_t a = g->edge[e][0], b = g->edge[e][1];
        L->pred[--L->pred_off[b + 1]] = a;
        L->succ[--L->succ_off[a + 1]] = b;
    }
    for (size_t u = 0; u < n; u++) {
        L->pred_off[u] = L->pred_off[u + 1];
        L->succ_off[u] = L->succ_off[u + 1];
    }
    L->pred_off[n] = L->succ_off[n] = m;
    return 0;
}

/* Breadth first from {}: every set, and for each the sets one layer
 * above it.  0, 1 when there are more than cap, -1 out of memory. */
static int pideal_enum(const struct mgraph *g, size_t cap, struct pideal_lat *L)
{
    const size_t n = g->n;
    L->n = n;
    L->words = (n + 63) / 64;
    uint64_t *cur = calloc(2 * L->words, sizeof *cur), *next = cur + L->words;
    if (!cur || pideal_csr(g, L) != 0 || pideal_grow(L) != 0) {
        free(cur);
        return -1;
    }
    memset(L->bits, 0, L->words * sizeof *L->bits); /* {} */
    L->hash[pideal_slot(L, L->bits)] = 1;
    L->count = 1;
    int rc = 0;
    for (size_t i = 0; i < L->count && rc == 0; i++) {
        L->up_off[i] = L->nup;
        memcpy(cur, pideal_row(L, i), L->words * sizeof *cur);
        for (size_t v = 0; v < n && rc == 0; v++) {
            if (pideal_in(cur, v))
                continue;
            int ready = 1;
            for (size_t k = L->pred_off[v]; k < L->pred_off[v + 1] && ready;
                 k++)
                ready = pideal_in(cur, L->pred[k]);
            if (!ready)
                continue;
            memcpy(next, cur, L->words * sizeof *next);
            next[v / 64] |= 1ull << (v % 64);
            size_t slot = pideal_slot(L, next);
            if (!L->hash[slot]) {
                if (L->count == cap) {
                    rc = 1;
                    break;
                }
                if (pideal_grow(L) != 0) {
                    rc = -1;
                    break;
                }
                slot = pideal_slot(L, next); /* the table may have grown */
                memcpy(L->bits + L->count * L->words, next,
                       L->words * sizeof *next);
                L->hash[slot] = (uint32_t)++L->count;
            }
            if (pideal_up_add(L, L->hash[slot] - 1) != 0)
                rc = -1;
        }
    }
    L->up_off[L->count] = L->nup;
    free(cur);
    return rc;
}

struct pideal_key {
    double w;
    uint32_t size, idx;
};

static int pideal_key_cmp(const void *a, const void *b)
{
    const struct pideal_key *x = a, *y = b;
    if (x->w != y->w)
        return x->w < y->w ? -1 : 1;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Each set's sums, over its layers in index order: adding a term >= 0
 * never lowers a rounded sum and rounding is monotone, so a superset's
 * sums are never below its subset's, rounding included (the sweep and
 * the windows rely on it).  Then the sets renumbered by (work, size), an
 * order in which every set comes after its subsets.  0, or -1. */
static int pideal_sums(const struct ppipe_in *in, struct pideal_lat *L)
{
    const size_t c = L->count, words = L->words;
    const struct mgraph *g = in->g;
    double *w = malloc(c * sizeof *w), *pb = malloc(c * sizeof *pb),
           *ab = malloc(c * sizeof *ab), *cut = malloc(c * sizeof *cut);
    struct pideal_key *key = malloc(c * sizeof *key);
    uint32_t *inv = malloc(c * sizeof *inv);
    uint64_t *bits = malloc(c * words * sizeof *bits);
    size_t *up_off = malloc((c + 1) * sizeof *up_off);
    uint32_t *up = malloc((L->nup ? L->nup : 1) * sizeof *up);
    int rc = -1;
    if (!w || !pb || !ab || !cut || !key || !inv || !bits || !up_off || !up)
        goto out;
    for (size_t i = 0; i < c; i++) {
        const uint64_t *s = pideal_row(L, i);
        double sw = 0, sp = 0, sa = 0, sc = 0;
        uint32_t size = 0;
        for (size_t k = 0; k < words; k++)
            for (uint64_t b = s[k]; b; b &= b - 1) {
                const size_t u = k * 64 + (size_t)__builtin_ctzll(b);
                const double act = pcost_bytes(g->node[u].act_bytes);
                sw += in->work_ms[u];
                sp += pcost_bytes(g->node[u].param_bytes);
                sa += act;
                size++;
                /* its output crosses the set's boundary when a reader
                 * is outside: once, however many */
                for (size_t q = L->succ_off[u]; q < L->succ_off[u + 1]; q++)
                    if (!pideal_in(s, L->succ[q])) {
                        sc += act;
                        break;
                    }
            }
        key[i] = (struct pideal_key){sw, size, (uint32_t)i};
        w[i] = sw;
        pb[i] = sp;
        ab[i] = sa;
        cut[i] = sc;
    }
    qsort(key, c, sizeof *key, pideal_key_cmp);
    for (size_t r = 0; r < c; r++)
        inv[key[r].idx] = (uint32_t)r;
    size_t nup = 0;
    for (size_t r = 0; r < c; r++) {
        const size_t i = key[r].idx;
        memcpy(bits + r * words, pideal_row(L, i), words * sizeof *bits);
        up_off[r] = nup;
        for (size_t q = L->up_off[i]; q < L->up_off[i + 1]; q++)
            up[nup++] = inv[L->up[q]];
    }
    up_off[c] = nup;
    /* the per-set arrays in the new numbering */
    L->w = malloc(c * sizeof *L->w);
    L->pb = malloc(c * sizeof *L->pb);
    L->ab = malloc(c * sizeof *L->ab);
    L->cut = malloc(c * sizeof *L->cut);
    if (!L->w || !L->pb || !L->ab || !L->cut)
        goto out;
    for (size_t i = 0; i < c; i++) {
        const uint32_t r = inv[i];
        L->w[r] = w[i];
        L->pb[r] = pb[i];
        L->ab[r] = ab[i];
        L->cut[r] = cut[i];
    }
    free(L->bits);
    free(L->up_off);
    free(L->up);
    L->bits = bits;
    L->up_off = up_off;
    L->up = up;
    L->rows = c;
    L->upcap = nup ? nup : 1;
    bits = NULL;
    up_off = NULL;
    up = NULL;
    free(L->hash); /* the numbers changed: no longer of use */
    L->hash = NULL;
    L->hcap = 0;
    rc = 0;
out:
    free(w);
    free(pb);
    free(ab);
    free(cut);
    free(key);
    free(inv);
    free(bits);
    free(up_off);
    free(up);
    return rc;
}

/* ---- the feasibility programme ---- */

/* A source of a stage still open below it, a suffix start D': its work
 * and its memory key (parameters twice and activations of the stage's
 * in-flight micro-batches, summed over D'; 0 without a cap, so that the
 * front keeps one point, the least work). */
struct pideal_pt {
    double a, b;
};

struct pideal_dp {
    const struct ppipe_in *in;
    const struct pideal_lat *L;
    size_t words;   /* per bitset over the sets */
    uint64_t *bits; /* [mask x ndev + d] */
    /* this T's windows as set numbers: lo > hi when empty */
    size_t lo[1u << PPIPE_MAX_DEV], hi[1u << PPIPE_MAX_DEV];
    unsigned char any[(1u << PPIPE_MAX_DEV) * PPIPE_MAX_DEV];
    /* sets of devices the programme visits: interchangeable devices
     * (pideal_canon) used lowest index first */
    unsigned char canon[1u << PPIPE_MAX_DEV];
    /* the sweep's fronts: set i's at arena[foff[i] .. + flen[i]) */
    uint32_t *foff, *flen;
    struct pideal_pt *arena, *tmp;
    size_t alen, acap, tcap;
    int failed; /* 1 out of memory, 2 a walk that found no stage */
    /* the plan the last take() rebuilt */
    uint32_t *order, *stage;
    struct ppipe_plan *plan;
};

static uint64_t *pideal_set(const struct pideal_dp *dp, unsigned mask,
                            unsigned d)
{
    return dp->bits + ((size_t)mask * dp->in->ndev + d) * dp->words;
}

/* Adds pt to the front p[0..*n) (least work, least memory): nothing
 * when a point there is as good in both, else pt in and every point it
 * is as good as out.  A point dominated by another passes no test the
 * other fails, so the front loses nothing.  Without a memory cap every
 * point's memory is 0 and the front is one point, the least work.  0,
 * or -1 out of memory. */
static inline int pideal_front_add(struct pideal_dp *dp, size_t *n,
                                   struct pideal_pt pt)
{
    struct pideal_pt *p = dp->tmp;
    size_t k = 0;
    for (size_t i = 0; i < *n; i++) {
        if (p[i].a <= pt.a && p[i].b <= pt.b)
            return 0;
        if (!(pt.a <= p[i].a && pt.b <= p[i].b))
            p[k++] = p[i];
    }
    if (k == dp->tcap) {
        p = pideal_room(dp->tmp, &dp->tcap, k + 1, sizeof *p);
        if (!p)
            return -1;
        dp->tmp = p;
    }
    p[k++] = pt;
    *n = k;
    return 0;
}

/* The windows for T (pcost_window) as ranges of set numbers (the sets
 * are in work order), a suffix starting before all of V; each (mask, d)
 * cleared over its range, the only bits the programme sets or reads. */
static void pideal_windows(struct pideal_dp *dp, double t)
{
    const struct pideal_lat *L = dp->L;
    const unsigned nd = (unsigned)dp->in->ndev, full = 1u << nd;
    double need[1u << PPIPE_MAX_DEV], room[1u << PPIPE_MAX_DEV];
    pcost_window(dp->in, L->w[L->count - 1], t, need, room);
    for (unsigned m = 1; m < full; m++) {
        if (!dp->canon[m]) { /* never visited: an empty window */
            dp->lo[m] = 1;
            dp->hi[m] = 0;
            for (unsigned d = 0; d < nd; d++)
                dp->any[m * nd + d] = 0;
            continue;
        }
        size_t a = 0, b = L->count;
        while (a < b) { /* the first set with w >= need */
            const size_t mid = a + (b - a) / 2;
            if (L->w[mid] >= need[m])
                b = mid;
            else
                a = mid + 1;
        }
        dp->lo[m] = a;
        a = 0;
        b = L->count;
        while (a < b) { /* the first set with w > room */
            const size_t mid = a + (b - a) / 2;
            if (L->w[mid] > room[m])
                b = mid;
            else
                a = mid + 1;
        }
        /* a - 1 is the last set within room; V starts no suffix */
        if (a == 0 || dp->lo[m] > a - 1 || dp->lo[m] > L->count - 2) {
            dp->lo[m] = 1;
            dp->hi[m] = 0;
        } else {
            dp->hi[m] = a - 1 < L->count - 2 ? a - 1 : L->count - 2;
        }
        for (unsigned d = 0; d < nd; d++) {
            dp->any[m * nd + d] = 0;
            if (m >> d & 1 && dp->lo[m] <= dp->hi[m]) {
                uint64_t *s = pideal_set(dp, m, d);
                const size_t w0 = dp->lo[m] / 64, w1 = dp->hi[m] / 64 + 1;
                memset(s + w0, 0, (w1 - w0) * sizeof *s);
            }
        }
    }
}

/* One sweep: the sets D from which a stage on e in front of a suffix on
 * mask = m2 - e (or, mask empty, the last stage) covers the rest within
 * T, into (m2, e).  Down the lattice from the highest source, each set's
 * front is merged from the sets one layer above it, the points whose
 * stage already exceeds T or e's memory dropped (a smaller set only makes
 * the stage bigger: loose by 1e-9, the exact test is the mark's), then
 * the set itself added when it is a source.  -1 out of memory. */
static int pideal_sweep(struct pideal_dp *dp, double t, unsigned m2, unsigned e)
{
    const struct ppipe_in *in = dp->in;
    const struct pideal_lat *L = dp->L;
    const unsigned nd = (unsigned)in->ndev, mask = m2 & ~(1u << e);
    const unsigned inflight = (unsigned)__builtin_popcount(m2);
    const double cap = in->dev[e].mem_bytes, loose = t * (1 + 1e-9);
    const int capped = isfinite(cap);
    /* the loose tests as bounds on a point: work within reach of T on e
     * and memory within e's (looser than the exact tests by far more
     * than rounding) */
    const double reach = loose * in->dev[e].speed;
    const double caploose = capped ? cap * (1 + 1e-9) : INFINITY;
    const uint64_t *src[PPIPE_MAX_DEV];
    unsigned sd[PPIPE_MAX_DEV], ns = 0;
    /* the sources lie between the first and the last set marked in a
     * suffix's (mask, d), and no stage on e reaches below the first by
     * more than T x its speed: the sweep spans that, and m2's window */
    size_t first = L->count - 1, top = L->count - 1;
    if (mask) {
        for (unsigned d = 0; d < nd; d++)
            if (mask >> d & 1 && dp->any[mask * nd + d]) {
                src[ns] = pideal_set(dp, mask, d);
                sd[ns++] = d;
            }
        const size_t w0 = dp->lo[mask] / 64, w1 = dp->hi[mask] / 64 + 1;
        size_t wf = w1;
        for (size_t w = w0; w < w1; w++) {
            uint64_t x = 0;
            for (unsigned q = 0; q < ns; q++)
                x |= src[q][w];
            if (x && wf == w1)
                wf = w, first = w * 64 + (size_t)__builtin_ctzll(x);
            if (x)
                top = w * 64 + 63 - (size_t)__builtin_clzll(x);
        }
        if (wf == w1)
            return 0;
    }
    size_t bot = dp->lo[m2];
    {
        const double lowest = L->w[first] - reach;
        size_t a = bot, b = first;
        while (a < b) { /* the first set within a stage of `first` */
            const size_t mid = a + (b - a) / 2;
            if (L->w[mid] >= lowest)
                b = mid;
            else
                a = mid + 1;
        }
        bot = a;
    }
    if (bot >= top)
        return 0;
    uint64_t *out = pideal_set(dp, m2, e);
    dp->alen = 0;
    for (size_t i = top + 1; i-- > bot;) {
        const double wi = L->w[i];
        const double mi = capped ? pcost_mem(L->pb[i], L->ab[i], inflight) : 0;
        const double alim = wi + reach, blim = mi + caploose;
        size_t nt = 0;
        for (size_t q = L->up_off[i]; q < L->up_off[i + 1]; q++) {
            const uint32_t j = L->up[q];
            if (j > top)
                continue;
            const struct pideal_pt *f = dp->arena + dp->foff[j];
            for (uint32_t k = 0; k < dp->flen[j]; k++)
                if (f[k].a <= alim && f[k].b <= blim &&
                    pideal_front_add(dp, &nt, f[k]) != 0)
                    return -1;
        }
        if (i <= dp->hi[m2])
            for (size_t k = 0; k < nt; k++)
                if (pcost_fits(pcost_compute(in, dp->tmp[k].a - wi, e), t) &&
                    (!capped || dp->tmp[k].b - mi <= cap)) {
                    out[i / 64] |= 1ull << (i % 64);
                    dp->any[m2 * nd + e] = 1;
                    break;
                }
        int source = !mask && i == L->count - 1;
        for (unsigned s = 0; s < ns && !source && i >= dp->lo[mask]; s++)
            source = pideal_in(src[s], i) &&
                     pcost_fits(pcost_comm(in, L->cut[i], e, sd[s]), t);
        if (source) {
            const struct pideal_pt own = {wi, mi};
            if (pideal_front_add(dp, &nt, own) != 0)
                return -1;
        }
        struct pideal_pt *a =
            pideal_room(dp->arena, &dp->acap, dp->alen + nt, sizeof *a);
        if (!a)
            return -1;
        dp->arena = a;
        memcpy(dp->arena + dp->alen, dp->tmp, nt * sizeof *dp->tmp);
        dp->foff[i] = (uint32_t)dp->alen;
        dp->flen[i] = (uint32_t)nt;
        dp->alen += nt;
    }
    return 0;
}

/* 1 when devices e and f are interchangeable: the same speed and memory,
 * and swapping them changes no link. */
static int pideal_same(const struct ppipe_in *in, size_t e, size_t f)
{
    const size_t nd = in->ndev;
    if (in->dev[e].speed != in->dev[f].speed ||
        in->dev[e].mem_bytes != in->dev[f].mem_bytes ||
        in->bw[e * nd + f] != in->bw[f * nd + e] ||
        in->lat[e * nd + f] != in->lat[f * nd + e])
        return 0;
    for (size_t g = 0; g < nd; g++)
        if (g != e && g != f &&
            (in->bw[e * nd + g] != in->bw[f * nd + g] ||
             in->bw[g * nd + e] != in->bw[g * nd + f] ||
             in->lat[e * nd + g] != in->lat[f * nd + g] ||
             in->lat[g * nd + e] != in->lat[g * nd + f]))
            return 0;
    return 1;
}

/* The sets of devices worth visiting.  Swapping two interchangeable
 * devices maps a plan to one as good, so every plan has a twin whose
 * interchangeable devices serve its stages from the last one back in
 * index order: then every suffix's set holds the lowest-numbered
 * devices of each kind.  The programme visits those sets only (72 of
 * 256 for two a100s, three v100s, two t4s and a k80). */
static void pideal_canon(struct pideal_dp *dp)
{
    const size_t nd = dp->in->ndev;
    const unsigned full = 1u << nd;
    unsigned below[PPIPE_MAX_DEV] = {0}; /* interchangeable, lower index */
    for (size_t f = 0; f < nd; f++)
        for (size_t e = 0; e < f; e++)
            if (pideal_same(dp->in, e, f))
                below[f] |= 1u << e;
    for (unsigned m = 0; m < full; m++) {
        dp->canon[m] = 1;
        for (size_t f = 0; f < nd; f++)
            if (m >> f & 1 && (below[f] & ~m))
                dp->canon[m] = 0;
    }
}

/* Fills the programme for T; 1 when {} is covered (the whole graph). */
static int pideal_feasible(void *ctx, double t)
{
    struct pideal_dp *dp = ctx;
    const unsigned nd = (unsigned)dp->in->ndev, full = 1u << nd;
    if (dp->failed)
        return 1; /* the search ends quickly; the caller reports it */
    pideal_windows(dp, t);
    int ok = 0;
    /* masks grow, so increasing order sees every suffix before the
     * stages put in front of it */
    for (unsigned m2 = 1; m2 < full && !ok; m2++) {
        if (dp->lo[m2] > dp->hi[m2])
            continue;
        for (unsigned e = 0; e < nd && !ok; e++) {
            const unsigned mask = m2 & ~(1u << e);
            if (!(m2 >> e & 1) || !dp->canon[mask])
                continue;
            int any = !mask;
            for (unsigned d = 0; d < nd && !any; d++)
                any = dp->any[mask * nd + d];
            if (!any)
                continue;
            if (pideal_sweep(dp, t, m2, e) != 0) {
                dp->failed = 1;
                return 1; /* ends the search; the caller reports it */
            }
            ok = dp->lo[m2] == 0 && pideal_in(pideal_set(dp, m2, e), 0);
        }
    }
    return ok;
}

static int pideal_subset(const struct pideal_lat *L, size_t a, size_t b)
{
    const uint64_t *x = pideal_row(L, a), *y = pideal_row(L, b);
    for (size_t k = 0; k < L->words; k++)
        if (x[k] & ~y[k])
            return 0;
    return 1;
}

/* After a feasible programme: from {} forward, each stage the superset
 * whose stage fits (the same tests as the sweep's marks), whose suffix is
 * marked, and whose stage and link take the least time.  The chain of
 * sets and devices into dp's plan and order.  0, or -1 (no stage found:
 * cannot happen after a yes). */
static int pideal_walk(struct pideal_dp *dp, double t)
{
    const struct ppipe_in *in = dp->in;
    const struct pideal_lat *L = dp->L;
    const unsigned nd = (unsigned)in->ndev, full = 1u << nd;
    unsigned mask = 0, d = 0;
    for (unsigned m = 1; m < full && !mask; m++)
        for (unsigned k = 0; k < nd && dp->lo[m] == 0 && dp->hi[m] >= dp->lo[m];
             k++)
            if (m >> k & 1 && pideal_in(pideal_set(dp, m, k), 0)) {
                mask = m;
                d = k;
                break;
            }
    size_t cur = 0, chain[PPIPE_MAX_DEV];
    unsigned st = 0;
    while (mask) {
        const unsigned inflight = (unsigned)__builtin_popcount(mask);
        const unsigned rest = mask & ~(1u << d);
        const double cap = in->dev[d].mem_bytes;
        const double mc = pcost_mem(L->pb[cur], L->ab[cur], inflight);
        size_t end = L->count - 1;
        unsigned next = d;
        int found = !rest;
        double best = INFINITY;
        const size_t j0 =
            rest && dp->lo[rest] > cur + 1 ? dp->lo[rest] : cur + 1;
        for (size_t j = j0; rest && j + 1 < L->count && j <= dp->hi[rest];
             j++) {
            const double c = pcost_compute(in, L->w[j] - L->w[cur], d);
            if (!(c <= t * (1 + 1e-9)))
                break; /* the sets are in work order */
            if (c >= best)
                break; /* nor can a later one do better */
            if (!pcost_fits(c, t) ||
                (isfinite(cap) &&
                 !(pcost_mem(L->pb[j], L->ab[j], inflight) - mc <= cap)) ||
                !pideal_subset(L, cur, j))
                continue;
            for (unsigned k = 0; k < nd; k++) {
                if (!(rest >> k & 1) || !pideal_in(pideal_set(dp, rest, k), j))
                    continue;
                const double l = pcost_comm(in, L->cut[j], d, k);
                if (pcost_fits(l, t) && fmax(c, l) < best) {
                    best = fmax(c, l);
                    end = j;
                    next = k;
                    found = 1;
                }
            }
        }
        if (!found || st == PPIPE_MAX_DEV)
            return -1;
        chain[st] = end;
        dp->plan->dev[st++] = d;
        cur = end;
        mask = rest;
        d = next;
    }
    if (st == 0)
        return -1;
    /* each layer's stage: the first set of the chain that holds it */
    const size_t n = in->g->n;
    size_t count[PPIPE_MAX_DEV] = {0};
    for (size_t u = 0; u < n; u++) {
        unsigned s = 0;
        while (s + 1 < st && !pideal_in(pideal_row(L, chain[s]), u))
            s++;
        dp->stage[u] = s;
        count[s]++;
    }
    dp->plan->nstages = st;
    dp->plan->first[0] = 0;
    for (unsigned s = 0; s < st; s++)
        dp->plan->first[s + 1] = dp->plan->first[s] + count[s];
    size_t at[PPIPE_MAX_DEV];
    memcpy(at, dp->plan->first, sizeof at);
    for (size_t k = 0; k < n; k++) {
        const uint32_t u = in->order[k];
        dp->order[at[dp->stage[u]]++] = u;
    }
    return 0;
}

static double pideal_take(void *ctx, double t)
{
    struct pideal_dp *dp = ctx;
    if (dp->failed)
        return t;
    if (pideal_walk(dp, t) != 0) {
        dp->failed = 2;
        return t;
    }
    struct ppipe_in on = *dp->in;
    on.order = dp->order;
    return ppipe_eval(&on, dp->plan);
}

/* ---- the solve ---- */

/* 1 when in->order is the graph's only topological order: each layer
 * is read by the next one. */
static int pideal_is_chain(const struct ppipe_in *in)
{
    const struct mgraph *g = in->g;
    size_t *pos = malloc(g->n * sizeof *pos), links = 0;
    if (!pos)
        return 0;
    for (size_t k = 0; k < g->n; k++)
        pos[in->order[k]] = k;
    for (size_t e = 0; e < g->n_edges; e++) /* edges are kept once */
        links += pos[g->edge[e][1]] == pos[g->edge[e][0]] + 1;
    free(pos);
    return links + 1 == g->n;
}

size_t pideal_count(const struct mgraph *g, size_t cap)
{
    struct pideal_lat L;
    memset(&L, 0, sizeof L);
    const int rc = pideal_enum(g, cap, &L);
    const size_t count = rc == 0 ? L.count : rc == 1 ? cap + 1 : 0;
    pideal_lat_free(&L);
    return count;
}

/* The bound (pcost_bound) with the cuts of every set but {} and V, and a
 * T at which everything that fits in memory is feasible: all the work
 * on the slowest device, the largest cut over the slowest link. */
static int pideal_limits(const struct ppipe_in *in, const struct pideal_lat *L,
                         double *lb, double *tmax)
{
    const size_t c = L->count, nd = in->ndev;
    double heaviest = 0, slowest = INFINITY, maxcut = 0;
    for (size_t u = 0; u < in->g->n; u++)
        heaviest = fmax(heaviest, in->work_ms[u]);
    for (size_t e = 0; e < nd; e++)
        slowest = fmin(slowest, in->dev[e].speed);
    double *cut = malloc((c > 2 ? c - 2 : 1) * sizeof *cut);
    if (!cut)
        return -1;
    for (size_t i = 1; i + 1 < c; i++) {
        cut[i - 1] = L->cut[i];
        maxcut = fmax(maxcut, L->cut[i]);
    }
    double slowlink = 0; /* the largest cut's time over the slowest link */
    for (size_t e = 0; e < nd; e++)
        for (size_t f = 0; f < nd; f++)
            if (e != f)
                slowlink = fmax(
                    slowlink, pcost_comm(in, maxcut, (unsigned)e, (unsigned)f));
    *lb = pcost_bound(in, L->w[c - 1], heaviest, cut, c > 2 ? c - 2 : 0);
    *tmax = (L->w[c - 1] / slowest + slowlink) * (1 + 1e-6);
    free(cut);
    return 0;
}

int pideal_solve(const struct ppipe_in *in, size_t cap, uint32_t *order,
                 struct ppipe_plan *plan, struct pideal_info *info, char *err,
                 size_t errlen)
{
    memset(info, 0, sizeof *info);
    if (pcost_check(in, err, errlen) != 0)
        return -1;
    const size_t n = in->g->n;
    if (pideal_is_chain(in)) {
        info->nsets = n + 1;
        info->chain = 1;
        memcpy(order, in->order, n * sizeof *order);
        return ppipe_solve(in, plan, err, errlen);
    }
    struct pideal_lat L;
    memset(&L, 0, sizeof L);
    int rc = pideal_enum(in->g, cap, &L);
    if (rc == 1) {
        info->nsets = cap + 1;
        pideal_lat_free(&L);
        return 1;
    }
    struct pideal_dp dp;
    memset(&dp, 0, sizeof dp);
    double lb = 0, tmax = INFINITY;
    if (rc == 0)
        rc = pideal_sums(in, &L);
    if (rc == 0)
        rc = pideal_limits(in, &L, &lb, &tmax);
    if (rc == 0) {
        info->nsets = L.count;
        dp.in = in;
        dp.L = &L;
        dp.words = (L.count + 63) / 64;
        dp.bits = calloc((size_t)(1u << in->ndev) * in->ndev * dp.words,
                         sizeof *dp.bits);
        dp.foff = malloc(L.count * sizeof *dp.foff);
        dp.flen = malloc(L.count * sizeof *dp.flen);
        dp.stage = malloc(n * sizeof *dp.stage);
        dp.order = order;
        dp.plan = plan;
        pideal_canon(&dp);
        if (!dp.bits || !dp.foff || !dp.flen || !dp.stage)
            rc = -1;
    }
    if (rc == 0) {
        /* the plan of the given order: cheap, and often close, it spares
         * the search the steps down from twice the bound */
        char e1[8];
        const double hint = ppipe_solve(in, plan, e1, sizeof e1) == 0
                                ? plan->bottleneck_ms
                                : NAN;
        memset(plan, 0, sizeof *plan);
        const double t =
            pcost_search(lb, hint, tmax, pideal_feasible, pideal_take, &dp);
        if (dp.failed == 2) {
            snprintf(err, errlen, "no plan rebuilt at %g ms (a bug)", t);
            rc = -2;
        } else if (dp.failed) {
            rc = -1;
        } else if (isnan(t)) {
            pcost_nofit(in, err, errlen);
            rc = -2;
        } else {
            plan->bound_ms = lb;
        }
    }
    if (rc == -1)
        snprintf(err, errlen, "out of memory (%zu down-sets)", L.count);
    free(dp.bits);
    free(dp.foff);
    free(dp.flen);
    free(dp.stage);
    free(dp.arena);
    free(dp.tmp);
    pideal_lat_free(&L);
    return rc < 0 ? -1 : 0;
}
