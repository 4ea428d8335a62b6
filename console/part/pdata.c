/*
 * pdata - see pdata.h.
 */
#include "part/pdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const pdata_names[PDATA__N] = {"const", "src", "tgt",
                                                  "src_tgt", "pixels"};

const char *pdata_class_name(enum pdata_class c)
{
    return (unsigned)c < PDATA__N ? pdata_names[c] : "?";
}

static int pdata_has(const char *kind, const char *what)
{
    return strstr(kind, what) != NULL;
}

static int pdata_recurrent(const char *kind)
{
    return pdata_has(kind, "LSTM") || pdata_has(kind, "GRU") ||
           pdata_has(kind, "RNN");
}

/* The edge indices into out sorted by the position in the order of end
 * `end` (0: from, 1: to), ascending: a counting sort (positions are
 * 0..n-1), so that one pass over them propagates a mark along (or
 * against) the edges.  cnt: n + 1 slots. */
static void pdata_sort(const struct mgraph *g, const size_t *pos, int end,
                       size_t *cnt, size_t *out)
{
    memset(cnt, 0, (g->n + 1) * sizeof *cnt);
    for (size_t i = 0; i < g->n_edges; i++)
        cnt[pos[g->edge[i][end]] + 1]++;
    for (size_t p = 0; p < g->n; p++)
        cnt[p + 1] += cnt[p];
    for (size_t i = 0; i < g->n_edges; i++)
        out[cnt[pos[g->edge[i][end]]]++] = i;
}

/* mark |= everything reachable from a marked node (down: along the edges;
 * else against them).  byfrom/byto: the edges sorted by their from's
 * position ascending and by their to's position ascending. */
static void pdata_spread(const struct mgraph *g, const size_t *byfrom,
                         const size_t *byto, int down, unsigned char *mark)
{
    if (down) {
        for (size_t i = 0; i < g->n_edges; i++) {
            const uint32_t *e = g->edge[byfrom[i]];
            if (mark[e[0]])
                mark[e[1]] = 1;
        }
    } else {
        for (size_t i = g->n_edges; i-- > 0;) {
            const uint32_t *e = g->edge[byto[i]];
            if (mark[e[1]])
                mark[e[0]] = 1;
        }
    }
}

/* The sequence rules of pdata.h. */
static void pdata_seq(struct pdata *d, const struct mgraph *g,
                      const size_t *byfrom, const size_t *byto,
                      unsigned char *m)
{
    const size_t n = g->n;
    unsigned char *attn = m, *anc = m + n, *rec = m + 2 * n, *enc = m + 3 * n;
    int any = 0;
    for (size_t u = 0; u < n; u++) {
        attn[u] = pdata_has(g->node[u].kind, "Attention") != 0;
        any |= attn[u];
    }
    if (!any) {
        for (size_t u = 0; u < n; u++)
            d->layer[u].share[PDATA_SRC] = 1, d->layer[u].act = PDATA_SRC;
        return;
    }
    /* the attention's strict ancestors */
    memcpy(anc, attn, n);
    pdata_spread(g, byfrom, byto, 0, anc);
    for (size_t u = 0; u < n; u++)
        anc[u] = anc[u] && !attn[u];
    /* the recurrent layers among them, and every node on a path through
     * one: its ancestors and its descendants */
    for (size_t u = 0; u < n; u++)
        rec[u] = anc[u] && pdata_recurrent(g->node[u].kind);
    memcpy(enc, rec, n);
    pdata_spread(g, byfrom, byto, 0, enc);
    pdata_spread(g, byfrom, byto, 1, rec);
    for (size_t u = 0; u < n; u++) {
        struct pdata_layer *l = &d->layer[u];
        if (attn[u]) {
            l->share[PDATA_SRC_TGT] = PDATA_ATTN_PAIR_SHARE;
            l->share[PDATA_TGT] = 1 - PDATA_ATTN_PAIR_SHARE;
            l->act = PDATA_TGT;
        } else if (anc[u] && (enc[u] || rec[u])) {
            l->share[PDATA_SRC] = 1;
            l->act = PDATA_SRC;
        } else {
            l->share[PDATA_TGT] = 1;
            l->act = PDATA_TGT;
        }
    }
}

/* A layer whose output has a size of its own, not the input's. */
static int pdata_fixes(const char *kind)
{
    return strcmp(kind, "View") == 0 || strcmp(kind, "Linear") == 0 ||
           strcmp(kind, "AdaptiveAvgPool2d") == 0 ||
           strcmp(kind, "connected") == 0 || strcmp(kind, "avgpool") == 0;
}

static void pdata_vision(struct pdata *d, const struct mgraph *g,
                         const size_t *byfrom, const size_t *byto,
                         unsigned char *m)
{
    const size_t n = g->n;
    unsigned char *fix = m, *after = m + n;
    for (size_t u = 0; u < n; u++)
        fix[u] = pdata_fixes(g->node[u].kind) != 0;
    memcpy(after, fix, n);
    pdata_spread(g, byfrom, byto, 1, after);
    for (size_t u = 0; u < n; u++) {
        struct pdata_layer *l = &d->layer[u];
        const char *k = g->node[u].kind;
        const int dense =
            strcmp(k, "Linear") == 0 || strcmp(k, "connected") == 0;
        /* a strict descendant of a size-fixing layer, or dense itself */
        const int cst = (after[u] && !fix[u]) || dense;
        l->share[cst ? PDATA_CONST : PDATA_PIXELS] = 1;
        l->act = after[u] ? PDATA_CONST : PDATA_PIXELS;
    }
}

int pdata_init(struct pdata *d, const struct mgraph *g, const uint32_t *order,
               const struct pdata_batch *base, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    const size_t n = g->n;
    d->kind = PDATA_VISION;
    for (size_t u = 0; u < n; u++) {
        const char *k = g->node[u].kind;
        if (pdata_recurrent(k) || pdata_has(k, "Embedding") ||
            pdata_has(k, "Attention"))
            d->kind = PDATA_SEQ;
    }
    if (base) {
        d->base = *base;
    } else if (d->kind == PDATA_SEQ) {
        d->base = (struct pdata_batch){PDATA_GNMT_SRC, PDATA_GNMT_TGT, 0, 0};
    } else {
        const double side = g->in_bytes == g->in_bytes && g->in_bytes > 0
                                ? sqrt(g->in_bytes / (3 * 4))
                                : PDATA_IMAGENET_SIDE;
        d->base = (struct pdata_batch){0, 0, side, side};
    }
    const int ok = d->kind == PDATA_SEQ ? d->base.src > 0 && d->base.tgt > 0
                                        : d->base.w > 0 && d->base.h > 0;
    if (!ok) {
        snprintf(err, errlen, "%s: the profiled batch's %s must be positive",
                 g->name, d->kind == PDATA_SEQ ? "lengths" : "image size");
        return -1;
    }
    d->n = n;
    d->layer = calloc(n ? n : 1, sizeof *d->layer);
    size_t *pos = malloc((2 * n + 1) * sizeof *pos);
    size_t *byfrom = malloc((g->n_edges ? g->n_edges : 1) * sizeof *byfrom);
    size_t *byto = malloc((g->n_edges ? g->n_edges : 1) * sizeof *byto);
    unsigned char *m = malloc(4 * (n ? n : 1));
    if (!d->layer || !pos || !byfrom || !byto || !m) {
        free(pos);
        free(byfrom);
        free(byto);
        free(m);
        pdata_free(d);
        snprintf(err, errlen, "%s: out of memory", g->name);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        pos[order[i]] = i;
    pdata_sort(g, pos, 0, pos + n, byfrom);
    pdata_sort(g, pos, 1, pos + n, byto);
    if (d->kind == PDATA_SEQ)
        pdata_seq(d, g, byfrom, byto, m);
    else
        pdata_vision(d, g, byfrom, byto, m);
    for (size_t u = 0; u < n; u++)
        for (unsigned c = 0; c < PDATA__N; c++)
            if (d->layer[u].share[c] > 0 || d->layer[u].act == c)
                d->used |= 1u << c;
    free(pos);
    free(byfrom);
    free(byto);
    free(m);
    return 0;
}

void pdata_free(struct pdata *d)
{
    free(d->layer);
    d->layer = NULL;
    d->n = 0;
}

void pdata_factors(const struct pdata *d, const struct pdata_batch *b,
                   double f[PDATA__N])
{
    const struct pdata_batch *o = &d->base;
    f[PDATA_CONST] = 1;
    f[PDATA_SRC] = o->src > 0 ? b->src / o->src : 1;
    f[PDATA_TGT] = o->tgt > 0 ? b->tgt / o->tgt : 1;
    f[PDATA_SRC_TGT] = f[PDATA_SRC] * f[PDATA_TGT];
    f[PDATA_PIXELS] = o->w > 0 && o->h > 0 ? b->w * b->h / (o->w * o->h) : 1;
}

void pdata_mean(const struct pdata *d, const struct pdata_batch *batch,
                size_t n, double f[PDATA__N])
{
    double x[PDATA__N];
    memset(f, 0, PDATA__N * sizeof *f);
    for (size_t b = 0; b < n; b++) {
        pdata_factors(d, &batch[b], x);
        for (unsigned c = 0; c < PDATA__N; c++)
            f[c] += x[c] / (double)n;
    }
}

double pdata_layer_work(const struct pdata *d, size_t u, double base_ms,
                        const double f[PDATA__N])
{
    const struct pdata_layer *l = &d->layer[u];
    double s = 0;
    for (unsigned c = 0; c < PDATA__N; c++)
        s += l->share[c] * f[c];
    return base_ms * s;
}

int pdata_view_init(struct pdata_view *v, const struct pdata *d,
                    const struct ppipe_in *base)
{
    memset(v, 0, sizeof *v);
    const size_t n = base->g->n;
    if (n != d->n)
        return -1;
    v->g = *base->g;
    v->g.node = malloc((n ? n : 1) * sizeof *v->g.node);
    v->work = malloc((n ? n : 1) * sizeof *v->work);
    if (!v->g.node || !v->work) {
        pdata_view_free(v);
        return -1;
    }
    memcpy(v->g.node, base->g->node, n * sizeof *v->g.node);
    memcpy(v->work, base->work_ms, n * sizeof *v->work);
    v->g.cap = n;
    v->base = base;
    v->in = *base;
    v->in.g = &v->g;
    v->in.work_ms = v->work;
    return 0;
}

void pdata_view_set(struct pdata_view *v, const struct pdata *d,
                    const double f[PDATA__N])
{
    const struct mgraph *g0 = v->base->g;
    for (size_t u = 0; u < d->n; u++) {
        v->work[u] = pdata_layer_work(d, u, v->base->work_ms[u], f);
        v->g.node[u].act_bytes = g0->node[u].act_bytes * f[d->layer[u].act];
    }
}

void pdata_view_free(struct pdata_view *v)
{
    free(v->g.node);
    free(v->work);
    memset(v, 0, sizeof *v);
}
