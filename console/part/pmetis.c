/*
 * pmetis - see pmetis.h.
 */
#include "part/pmetis.h"

#include "part/pcost.h"

#include <fcntl.h>
#include <math.h>
#include <metis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An adjacency entry while the CSR is built: u's neighbour v, the bytes
 * the pair carries. */
struct pmetis_adj {
    uint32_t u, v;
    double bytes;
};

static int pmetis_adj_cmp(const void *a, const void *b)
{
    const struct pmetis_adj *x = a, *y = b;
    if (x->u != y->u)
        return x->u < y->u ? -1 : 1;
    return x->v < y->v ? -1 : x->v > y->v;
}

static double pmetis_pos(double x)
{
    return x > 0 && isfinite(x) ? x : 0;
}

/* x scaled by s, rounded, at least 1. */
static idx_t pmetis_weight(double x, double s)
{
    const double w = round(x * s);
    return w < 1 ? 1 : (idx_t)w;
}

/* The model as METIS's CSR (pmetis.h): xadj[n + 1], adjncy and adjwgt of
 * *nadj entries (malloc'd), vwgt[n].  0, or -1 with err set. */
static int pmetis_csr(const struct ppipe_in *in, idx_t **xadj, idx_t **adjncy,
                      idx_t **adjwgt, idx_t **vwgt, size_t *nadj, char *err,
                      size_t errlen)
{
    const struct mgraph *g = in->g;
    const size_t n = g->n;
    /* METIS indexes vertices and adjacency entries with a 32-bit idx_t */
    if (n >= (size_t)1 << 30 || g->n_edges >= (size_t)1 << 29) {
        snprintf(err, errlen,
                 "%zu layers, %zu edges: more than METIS's 32-bit indices "
                 "take",
                 n, g->n_edges);
        return -1;
    }
    struct pmetis_adj *a = malloc((2 * g->n_edges + 1) * sizeof *a);
    *xadj = calloc(n + 1, sizeof **xadj);
    *vwgt = malloc(n * sizeof **vwgt);
    *adjncy = malloc((2 * g->n_edges + 1) * sizeof **adjncy);
    *adjwgt = malloc((2 * g->n_edges + 1) * sizeof **adjwgt);
    if (!a || !*xadj || !*vwgt || !*adjncy || !*adjwgt) {
        free(a);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t m = 0;
    for (size_t e = 0; e < g->n_edges; e++) {
        const uint32_t u = g->edge[e][0], v = g->edge[e][1];
        if (u == v) {
            snprintf(err, errlen,
                     "layer %s has an edge to itself, which METIS cannot "
                     "take",
                     g->node[u].name);
            free(a);
            return -1;
        }
        const double b = pmetis_pos(g->node[u].act_bytes);
        a[m++] = (struct pmetis_adj){u, v, b};
        a[m++] = (struct pmetis_adj){v, u, b};
    }
    if (m > 1)
        qsort(a, m, sizeof *a, pmetis_adj_cmp);
    /* a pair linked both ways once, its bytes summed */
    size_t k = 0;
    double total = 0;
    for (size_t i = 0; i < m; i++) {
        if (k > 0 && a[k - 1].u == a[i].u && a[k - 1].v == a[i].v)
            a[k - 1].bytes += a[i].bytes;
        else
            a[k++] = a[i];
        total += a[i].bytes;
    }
    const double es = total > 0 ? PMETIS_EW_TOTAL / total : 0;
    for (size_t i = 0; i < k; i++) {
        (*xadj)[a[i].u + 1]++;
        (*adjncy)[i] = (idx_t)a[i].v;
        (*adjwgt)[i] = pmetis_weight(a[i].bytes, es);
    }
    for (size_t u = 0; u < n; u++)
        (*xadj)[u + 1] += (*xadj)[u];
    *nadj = k;
    free(a);

    double work = 0;
    for (size_t u = 0; u < n; u++)
        work += in->work_ms[u];
    const double vs = work > 0 ? PMETIS_VW_TOTAL / work : 0;
    for (size_t u = 0; u < n; u++)
        (*vwgt)[u] = pmetis_weight(in->work_ms[u], vs);
    return 0;
}

static const char *pmetis_strerror(int rc)
{
    switch (rc) {
    case METIS_ERROR_INPUT:
        return "METIS_ERROR_INPUT (erroneous input or options)";
    case METIS_ERROR_MEMORY:
        return "METIS_ERROR_MEMORY (out of memory)";
    default:
        return "METIS_ERROR (some other error)";
    }
}

int pmetis_kway(const struct ppipe_in *in, uint32_t *part, long long *edgecut,
                char *err, size_t errlen)
{
    *edgecut = 0;
    if (pcost_check(in, err, errlen) != 0)
        return -1;
    const size_t n = in->g->n;
    if (in->ndev == 1) {
        memset(part, 0, n * sizeof *part);
        return 0;
    }
    idx_t *xadj = NULL, *adjncy = NULL, *adjwgt = NULL, *vwgt = NULL;
    idx_t *where = malloc(n * sizeof *where);
    size_t nadj = 0;
    int rc = -1;
    if (!where) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (pmetis_csr(in, &xadj, &adjncy, &adjwgt, &vwgt, &nadj, err, errlen) != 0)
        goto out;
    /* the shares in METIS's float: they must sum to 1 within 1e-3, so the
     * last takes what the others leave */
    real_t tpwgts[PPIPE_MAX_DEV];
    double speeds = 0;
    for (size_t d = 0; d < in->ndev; d++)
        speeds += in->dev[d].speed;
    real_t rest = 1;
    for (size_t d = 0; d + 1 < in->ndev; d++) {
        tpwgts[d] = (real_t)(in->dev[d].speed / speeds);
        rest -= tpwgts[d];
    }
    tpwgts[in->ndev - 1] = rest > 0 ? rest : 0;
    idx_t opts[METIS_NOPTIONS];
    METIS_SetDefaultOptions(opts);
    opts[METIS_OPTION_SEED] = PMETIS_SEED;
    opts[METIS_OPTION_NUMBERING] = 0;
    idx_t nv = (idx_t)n, ncon = 1, nparts = (idx_t)in->ndev, cut = 0;
    /* METIS prints its complaints about a graph small for its parts
     * ("***Cannot bisect a graph with 0 vertices!") with printf and goes
     * on: on stdout they would corrupt our table or JSON, so stdout goes
     * to /dev/null for the call (one thread: nothing else writes then) */
    fflush(stdout);
    const int saved = dup(STDOUT_FILENO);
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved >= 0 && null >= 0)
        dup2(null, STDOUT_FILENO);
    const int mrc =
        METIS_PartGraphKway(&nv, &ncon, xadj, adjncy, vwgt, NULL, adjwgt,
                            &nparts, tpwgts, NULL, opts, &cut, where);
    fflush(stdout);
    if (saved >= 0 && null >= 0)
        dup2(saved, STDOUT_FILENO);
    if (saved >= 0)
        close(saved);
    if (null >= 0)
        close(null);
    if (mrc != METIS_OK) {
        snprintf(err, errlen, "METIS_PartGraphKway failed: %s",
                 pmetis_strerror(mrc));
        goto out;
    }
    for (size_t u = 0; u < n; u++) {
        if (where[u] < 0 || (size_t)where[u] >= in->ndev) {
            snprintf(err, errlen,
                     "METIS_PartGraphKway put layer %s in part %ld of %zu",
                     in->g->node[u].name, (long)where[u], in->ndev);
            goto out;
        }
        part[u] = (uint32_t)where[u];
    }
    *edgecut = cut;
    rc = 0;
out:
    free(where);
    free(xadj);
    free(adjncy);
    free(adjwgt);
    free(vwgt);
    return rc;
}

/* ---- the quotient graph of devices ---- */

struct pmetis_quot {
    unsigned nd;
    uint8_t adj[PPIPE_MAX_DEV];  /* a -> b when bit b of adj[a] */
    uint8_t used;                /* devices with a layer */
    size_t first[PPIPE_MAX_DEV]; /* the earliest position of its layers in
                                    in->order */
};

/* part in range, then each layer's destination devices into dst[n] (bit d:
 * a layer on d reads it) and the quotient into q.  0, or -1. */
static int pmetis_quot_make(const struct ppipe_in *in, const uint32_t *part,
                            uint8_t *dst, struct pmetis_quot *q, char *err,
                            size_t errlen)
{
    const struct mgraph *g = in->g;
    memset(q, 0, sizeof *q);
    q->nd = (unsigned)in->ndev;
    for (unsigned d = 0; d < q->nd; d++)
        q->first[d] = SIZE_MAX;
    for (size_t k = 0; k < g->n; k++) {
        const uint32_t u = in->order[k];
        if (u >= g->n || part[u] >= in->ndev) {
            snprintf(err, errlen, "layer %s: device %u of %zu",
                     u < g->n ? g->node[u].name : "?", part[u], in->ndev);
            return -1;
        }
        if (q->first[part[u]] == SIZE_MAX)
            q->first[part[u]] = k;
        q->used |= (uint8_t)(1u << part[u]);
    }
    memset(dst, 0, g->n);
    for (size_t e = 0; e < g->n_edges; e++) {
        const uint32_t a = g->edge[e][0], b = g->edge[e][1];
        if (part[a] != part[b]) {
            dst[a] |= (uint8_t)(1u << part[b]);
            q->adj[part[a]] |= (uint8_t)(1u << part[b]);
        }
    }
    return 0;
}

/* The used devices ranked into rank[] (0, 1, ...; unused ones left -1) by
 * Kahn's algorithm on the quotient, ties by first position; when every
 * remaining device has an unranked predecessor (a cycle) the one with the
 * earliest first layer is taken anyway.  1 when no cycle was met. */
static int pmetis_rank(const struct pmetis_quot *q, int *rank)
{
    unsigned indeg[PPIPE_MAX_DEV] = {0}, left = 0;
    for (unsigned a = 0; a < q->nd; a++) {
        rank[a] = -1;
        for (unsigned b = 0; b < q->nd; b++)
            indeg[b] += q->adj[a] >> b & 1;
        left += q->used >> a & 1;
    }
    int acyclic = 1, next = 0;
    while (left) {
        int pick = -1, forced = -1;
        for (unsigned d = 0; d < q->nd; d++) {
            if (!(q->used >> d & 1) || rank[d] >= 0)
                continue;
            if (indeg[d] == 0 && (pick < 0 || q->first[d] < q->first[pick]))
                pick = (int)d;
            if (forced < 0 || q->first[d] < q->first[forced])
                forced = (int)d;
        }
        if (pick < 0) {
            acyclic = 0;
            pick = forced;
        }
        rank[pick] = next++;
        left--;
        for (unsigned b = 0; b < q->nd; b++)
            if (q->adj[pick] >> b & 1 && indeg[b] > 0)
                indeg[b]--;
    }
    return acyclic;
}

int pmetis_eval(const struct ppipe_in *in, const uint32_t *part,
                struct pmetis_eval *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (pcost_check(in, err, errlen) != 0)
        return -1;
    const struct mgraph *g = in->g;
    const size_t nd = in->ndev;
    uint8_t *dst = malloc(g->n);
    if (!dst) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct pmetis_quot q;
    if (pmetis_quot_make(in, part, dst, &q, err, errlen) != 0) {
        free(dst);
        return -1;
    }
    out->ndev = (unsigned)nd;
    out->nused = (unsigned)__builtin_popcount(q.used);
    out->acyclic = pmetis_rank(&q, out->stage);
    if (!out->acyclic)
        for (size_t d = 0; d < nd; d++)
            out->stage[d] = -1;
    double params[PPIPE_MAX_DEV] = {0}, acts[PPIPE_MAX_DEV] = {0};
    for (size_t u = 0; u < g->n; u++) {
        const struct mgraph_node *n = &g->node[u];
        const uint32_t d = part[u];
        out->layers[d]++;
        out->compute_ms[d] += in->work_ms[u] / in->dev[d].speed;
        params[d] += pmetis_pos(n->param_bytes);
        acts[d] += pmetis_pos(n->act_bytes);
        for (size_t b = 0; b < nd; b++)
            if (dst[u] >> b & 1)
                out->link_bytes[d * nd + b] += pmetis_pos(n->act_bytes);
    }
    free(dst);
    out->fits = 1;
    for (size_t d = 0; d < nd; d++) {
        if (!out->layers[d])
            continue;
        const unsigned inflight =
            out->acyclic ? out->nused - (unsigned)out->stage[d] : out->nused;
        out->mem_bytes[d] = 2 * params[d] + inflight * acts[d];
        if (out->mem_bytes[d] > in->dev[d].mem_bytes)
            out->fits = 0;
        out->bottleneck_ms = fmax(out->bottleneck_ms, out->compute_ms[d]);
        for (size_t b = 0; b < nd; b++) {
            const size_t k = d * nd + b;
            if (q.adj[d] >> b & 1) {
                out->link_ms[k] =
                    (2 * out->link_bytes[k] / in->bw[k] + 2 * in->lat[k]) * 1e3;
                out->bottleneck_ms = fmax(out->bottleneck_ms, out->link_ms[k]);
            }
        }
    }
    return 0;
}

/* ---- the derived order ---- */

/* A binary min-heap of keys (rank << 32 | position in in->order). */
static void pmetis_heap_push(uint64_t *h, size_t *n, uint64_t key)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > key) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = key;
}

static uint64_t pmetis_heap_pop(uint64_t *h, size_t *n)
{
    const uint64_t top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= last)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

int pmetis_order(const struct ppipe_in *in, const uint32_t *part,
                 uint32_t *order, int *contiguous, char *err, size_t errlen)
{
    *contiguous = 0;
    if (pcost_check(in, err, errlen) != 0)
        return -1;
    const struct mgraph *g = in->g;
    const size_t n = g->n;
    uint8_t *dst = malloc(n);
    size_t *pos = malloc(n * sizeof *pos), *indeg = calloc(n, sizeof *indeg);
    size_t *off = calloc(n + 1, sizeof *off);
    uint32_t *succ = malloc((g->n_edges + 1) * sizeof *succ);
    uint64_t *heap = malloc(n * sizeof *heap);
    struct pmetis_quot q;
    int rc = -1;
    if (!dst || !pos || !indeg || !off || !succ || !heap) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (pmetis_quot_make(in, part, dst, &q, err, errlen) != 0)
        goto out;
    int rank[PPIPE_MAX_DEV];
    pmetis_rank(&q, rank);
    /* the successors as a CSR, for Kahn's over the layers */
    for (size_t e = 0; e < g->n_edges; e++) {
        off[g->edge[e][0] + 1]++;
        indeg[g->edge[e][1]]++;
    }
    for (size_t u = 0; u < n; u++)
        off[u + 1] += off[u];
    for (size_t e = 0; e < g->n_edges; e++)
        succ[off[g->edge[e][0]]++] = g->edge[e][1];
    for (size_t u = n; u > 0; u--) /* off[u] is now u's end: shift back */
        off[u] = off[u - 1];
    off[0] = 0;
    for (size_t k = 0; k < n; k++)
        pos[in->order[k]] = k;
    size_t hn = 0, done = 0;
    for (size_t u = 0; u < n; u++)
        if (indeg[u] == 0)
            pmetis_heap_push(heap, &hn, (uint64_t)rank[part[u]] << 32 | pos[u]);
    while (hn) {
        const uint32_t u = in->order[pmetis_heap_pop(heap, &hn) & 0xffffffffu];
        order[done++] = u;
        for (size_t i = off[u]; i < off[u + 1]; i++)
            if (--indeg[succ[i]] == 0)
                pmetis_heap_push(heap, &hn,
                                 (uint64_t)rank[part[succ[i]]] << 32 |
                                     pos[succ[i]]);
    }
    if (done != n) {
        snprintf(err, errlen, "the model has a cycle");
        goto out;
    }
    /* contiguous: each device's run starts once */
    uint8_t seen = 0;
    *contiguous = 1;
    for (size_t k = 0; k < n; k++) {
        const uint32_t d = part[order[k]];
        if (k > 0 && part[order[k - 1]] == d)
            continue;
        if (seen >> d & 1)
            *contiguous = 0;
        seen |= (uint8_t)(1u << d);
    }
    rc = 0;
out:
    free(dst);
    free(pos);
    free(indeg);
    free(off);
    free(succ);
    free(heap);
    return rc;
}
