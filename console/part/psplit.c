/*
 * psplit - see psplit.h.
 */
#include "part/psplit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int psplit_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int psplit_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int psplit_check(const struct psplit_in *in, char *err, size_t errlen)
{
    const size_t T = in->ntiers;
    if (T < 2 || T > PSPLIT_MAX_TIERS)
        return psplit_fail(err, errlen, "%zu tiers: 2 to %d", T,
                           PSPLIT_MAX_TIERS);
    for (size_t t = 0; t < T; t++)
        if (!(in->tier[t].speed > 0) || !isfinite(in->tier[t].speed))
            return psplit_fail(err, errlen, "tier %s: speed %g is not > 0",
                               in->tier[t].name, in->tier[t].speed);
    for (size_t i = 0; i + 1 < T; i++) {
        if (!(in->bw[i] > 0))
            return psplit_fail(
                err, errlen, "link %s -> %s: bandwidth %g is not > 0",
                in->tier[i].name, in->tier[i + 1].name, in->bw[i]);
        if (!(in->lat[i] >= 0) || !isfinite(in->lat[i]))
            return psplit_fail(
                err, errlen, "link %s -> %s: latency %g is not >= 0",
                in->tier[i].name, in->tier[i + 1].name, in->lat[i]);
    }
    if (!(in->scale > 0) || !isfinite(in->scale))
        return psplit_fail(err, errlen, "scale %g is not > 0", in->scale);
    if (!(in->in_bytes >= 0) || !isfinite(in->in_bytes))
        return psplit_fail(err, errlen, "input bytes %g is not >= 0",
                           in->in_bytes);
    const struct mgraph *g = in->g;
    for (size_t v = 0; v < g->n; v++) {
        const double w = in->work_ms[v], a = g->node[v].act_bytes;
        if (!(w >= 0) || !isfinite(w))
            return psplit_fail(err, errlen, "layer %s: work %g ms is not >= 0",
                               g->node[v].name, w);
        if (a < 0 || isinf(a))
            return psplit_fail(err, errlen,
                               "layer %s: activation %g bytes is not >= 0",
                               g->node[v].name, a);
    }
    return 0;
}

/* The out-edges in CSR form, the in-degrees, positions in the order and
 * the per-link message costs: what every function here walks. */
struct psplit_pre {
    size_t n, T;
    uint32_t *off, *to; /* out-edges of v: to[off[v] .. off[v+1]) */
    uint32_t *indeg;
    uint32_t *pos; /* v's position in in->order */
    double *comp;  /* n x T: v's compute on tier t, its way home included */
    double *xfer;  /* n x (T-1): v's output over link i, ms */
    double in_w[PSPLIT_MAX_TIERS - 1]; /* the input over link i */
};

static void psplit_pre_free(struct psplit_pre *p)
{
    free(p->off);
    free(p->to);
    free(p->indeg);
    free(p->pos);
    free(p->comp);
    free(p->xfer);
}

/* One message of `bytes` over link i, in ms. */
static double psplit_msg(const struct psplit_in *in, double bytes, size_t i)
{
    return (bytes / in->bw[i] + in->lat[i]) * 1e3;
}

static double psplit_bytes(double a)
{
    return a > 0 ? a : 0; /* NaN (unknown) as nothing */
}

static int psplit_pre_make(const struct psplit_in *in, struct psplit_pre *p,
                           char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (psplit_check(in, err, errlen) != 0)
        return -1;
    const struct mgraph *g = in->g;
    const size_t n = g->n, T = in->ntiers, m = g->n_edges, n1 = n ? n : 1;
    p->n = n;
    p->T = T;
    p->off = calloc(n + 1, sizeof *p->off);
    p->to = calloc(m ? m : 1, sizeof *p->to);
    p->indeg = calloc(n1, sizeof *p->indeg);
    p->pos = calloc(n1, sizeof *p->pos);
    p->comp = calloc(n1 * T, sizeof *p->comp);
    p->xfer = calloc(n1 * (T - 1), sizeof *p->xfer);
    if (!p->off || !p->to || !p->indeg || !p->pos || !p->comp || !p->xfer) {
        psplit_pre_free(p);
        return psplit_fail(err, errlen, "out of memory");
    }
    for (size_t e = 0; e < m; e++) {
        p->off[g->edge[e][0] + 1]++;
        p->indeg[g->edge[e][1]]++;
    }
    for (size_t v = 0; v < n; v++)
        p->off[v + 1] += p->off[v];
    /* fill with off[u] as u's cursor, then shift the ends back into
     * starts (u's end is u+1's start) */
    for (size_t e = 0; e < m; e++)
        p->to[p->off[g->edge[e][0]]++] = g->edge[e][1];
    for (size_t v = n; v > 0; v--)
        p->off[v] = p->off[v - 1];
    p->off[0] = 0;
    for (size_t k = 0; k < n; k++)
        p->pos[in->order[k]] = (uint32_t)k;
    for (size_t i = 0; i + 1 < T; i++)
        p->in_w[i] = psplit_msg(in, in->in_bytes, i);
    for (size_t v = 0; v < n; v++) {
        const double bytes = psplit_bytes(g->node[v].act_bytes);
        const int home = in->out_home && p->off[v + 1] == p->off[v];
        double back = 0;
        for (size_t t = 0; t < T; t++) {
            if (t > 0) {
                p->xfer[v * (T - 1) + t - 1] = psplit_msg(in, bytes, t - 1);
                if (home)
                    back += p->xfer[v * (T - 1) + t - 1];
            }
            p->comp[v * T + t] =
                in->work_ms[v] * in->scale / in->tier[t].speed + back;
        }
    }
    return 0;
}

/* The farthest tier among v's readers, or v's own when it has none. */
static size_t psplit_far(const struct psplit_pre *p, const uint8_t *tier,
                         size_t v)
{
    size_t far = tier[v];
    for (uint32_t k = p->off[v]; k < p->off[v + 1]; k++)
        if (tier[p->to[k]] > far)
            far = tier[p->to[k]];
    return far;
}

/* Links a .. b-1 in series for one message of v's output (v = SIZE_MAX:
 * the input), ms. */
static double psplit_path(const struct psplit_pre *p, size_t v, size_t a,
                          size_t b)
{
    double s = 0;
    for (size_t i = a; i < b; i++)
        s += v == SIZE_MAX ? p->in_w[i] : p->xfer[v * (p->T - 1) + i];
    return s;
}

/* The longest path of the assignment: its length, and crit[] marks the
 * layers on one (when not NULL). */
static int psplit_critical(const struct psplit_in *in,
                           const struct psplit_pre *p, const uint8_t *tier,
                           struct psplit_cost *c, uint8_t *crit)
{
    const size_t n = p->n, T = p->T;
    double *ready = calloc(n ? n : 1, sizeof *ready),
           *tail = calloc(n ? n : 1, sizeof *tail);
    if (!ready || !tail) {
        free(ready);
        free(tail);
        return -1;
    }
    /* the compute alone: comp[] includes the way home, kept apart here */
    double cp = 0;
    for (size_t k = 0; k < n; k++) {
        const uint32_t v = in->order[k];
        if (p->indeg[v] == 0)
            ready[v] = psplit_path(p, SIZE_MAX, 0, tier[v]);
        const double fin =
            ready[v] + in->work_ms[v] * in->scale / in->tier[tier[v]].speed;
        for (uint32_t e = p->off[v]; e < p->off[v + 1]; e++) {
            const uint32_t w = p->to[e];
            const double at = fin + psplit_path(p, v, tier[v], tier[w]);
            if (at > ready[w])
                ready[w] = at;
        }
        if (p->off[v] == p->off[v + 1]) {
            const double end =
                fin + (in->out_home ? psplit_path(p, v, 0, tier[v]) : 0);
            if (end > cp)
                cp = end;
        }
    }
    for (size_t k = n; k-- > 0;) {
        const uint32_t v = in->order[k];
        double after = p->off[v] == p->off[v + 1] && in->out_home
                           ? psplit_path(p, v, 0, tier[v])
                           : 0;
        for (uint32_t e = p->off[v]; e < p->off[v + 1]; e++) {
            const uint32_t w = p->to[e];
            const double x = psplit_path(p, v, tier[v], tier[w]) + tail[w];
            if (x > after)
                after = x;
        }
        tail[v] = in->work_ms[v] * in->scale / in->tier[tier[v]].speed + after;
    }
    c->critical_ms = cp;
    for (size_t t = 0; t < T; t++)
        c->crit_layers[t] = 0;
    /* on a longest path: the longest path through v is as long as the
     * longest (to rounding: the two sums add in different orders) */
    for (size_t v = 0; v < n; v++) {
        const int on = ready[v] + tail[v] >= cp - 1e-9 * cp;
        if (crit)
            crit[v] = (uint8_t)on;
        c->crit_layers[tier[v]] += (size_t)on;
    }
    free(ready);
    free(tail);
    return 0;
}

static int psplit_eval_pre(const struct psplit_in *in,
                           const struct psplit_pre *p, const uint8_t *tier,
                           struct psplit_cost *c, uint8_t *crit, char *err,
                           size_t errlen)
{
    const struct mgraph *g = in->g;
    const size_t n = p->n, T = p->T;
    memset(c, 0, sizeof *c);
    for (size_t v = 0; v < n; v++)
        if (tier[v] >= T)
            return psplit_fail(err, errlen, "layer %s: tier %u of %zu",
                               g->node[v].name, tier[v], T);
    for (size_t e = 0; e < g->n_edges; e++) {
        const uint32_t u = g->edge[e][0], v = g->edge[e][1];
        if (tier[u] > tier[v])
            return psplit_fail(err, errlen,
                               "layer %s on %s reads %s on %s, further "
                               "from the user",
                               g->node[v].name, in->tier[tier[v]].name,
                               g->node[u].name, in->tier[tier[u]].name);
    }
    size_t far_src = 0;
    for (size_t v = 0; v < n; v++) {
        const size_t t = tier[v];
        c->compute_ms[t] += in->work_ms[v] * in->scale / in->tier[t].speed;
        c->layers[t]++;
        const double bytes = psplit_bytes(g->node[v].act_bytes);
        for (size_t i = t, far = psplit_far(p, tier, v); i < far; i++) {
            c->link_ms[i] += p->xfer[v * (T - 1) + i];
            c->link_bytes[i] += bytes;
        }
        if (p->indeg[v] == 0 && t > far_src)
            far_src = t;
        if (in->out_home && p->off[v] == p->off[v + 1])
            for (size_t i = 0; i < t; i++) {
                c->link_ms[i] += p->xfer[v * (T - 1) + i];
                c->link_bytes[i] += bytes;
                c->out_ms += p->xfer[v * (T - 1) + i];
            }
    }
    for (size_t i = 0; i < far_src; i++) {
        c->link_ms[i] += p->in_w[i];
        c->link_bytes[i] += in->in_bytes;
        c->in_ms += p->in_w[i];
    }
    for (size_t t = 0; t < T; t++)
        c->total_ms += c->compute_ms[t];
    for (size_t i = 0; i + 1 < T; i++)
        c->total_ms += c->link_ms[i];
    if (psplit_critical(in, p, tier, c, crit) != 0)
        return psplit_fail(err, errlen, "out of memory");
    return 0;
}

int psplit_eval(const struct psplit_in *in, const uint8_t *tier,
                struct psplit_cost *c, uint8_t *crit, char *err, size_t errlen)
{
    struct psplit_pre p;
    if (psplit_pre_make(in, &p, err, errlen) != 0)
        return -1;
    const int rc = psplit_eval_pre(in, &p, tier, c, crit, err, errlen);
    psplit_pre_free(&p);
    return rc;
}

/* ---- the minimum cut ---------------------------------------------------
 * Dinic's max-flow on residual capacities in doubles.  An augmenting
 * path's bottleneck edge is left at exactly 0 (x - x), no residual goes
 * below 0 (a path's flow is the minimum of its residuals), so a phase
 * ends after at most one augmentation per edge and the levels grow as in
 * exact arithmetic: "residual > 0" is the test, no epsilon.  What rounding
 * leaves is a residual of a few ulps on an edge that exact arithmetic
 * would saturate; it can only put a vertex on the source side whose cut
 * then costs those ulps more - every flow is at most the cut, so the
 * error is relative to the optimum, not to the largest capacity.
 * Infinite capacities are INFINITY: every path starts with a finite
 * edge out of s, so no flow is infinite. */
struct psplit_net {
    size_t nv, ne, cap_e;
    uint32_t *head, *next, *to; /* adjacency lists; edge e's twin is e^1 */
    double *res;
    int32_t *level;
    uint32_t *it, *queue;
};

#define PSPLIT_NONE UINT32_MAX

static void psplit_net_free(struct psplit_net *f)
{
    free(f->head);
    free(f->next);
    free(f->to);
    free(f->res);
    free(f->level);
    free(f->it);
    free(f->queue);
}

/* The edge a -> b of capacity c and its twin b -> a of 0; the table is
 * sized up front (psplit_solve counts), so this cannot fail. */
static void psplit_arc(struct psplit_net *f, size_t a, size_t b, double c)
{
    const uint32_t e = (uint32_t)f->ne;
    f->to[e] = (uint32_t)b;
    f->res[e] = c;
    f->next[e] = f->head[a];
    f->head[a] = e;
    f->to[e + 1] = (uint32_t)a;
    f->res[e + 1] = 0;
    f->next[e + 1] = f->head[b];
    f->head[b] = e + 1;
    f->ne += 2;
}

/* Levels from s over residual edges; 1 when t is reached. */
static int psplit_bfs(struct psplit_net *f, uint32_t s, uint32_t t)
{
    for (size_t v = 0; v < f->nv; v++)
        f->level[v] = -1;
    size_t qh = 0, qt = 0;
    f->level[s] = 0;
    f->queue[qt++] = s;
    while (qh < qt) {
        const uint32_t v = f->queue[qh++];
        for (uint32_t e = f->head[v]; e != PSPLIT_NONE; e = f->next[e])
            if (f->res[e] > 0 && f->level[f->to[e]] < 0) {
                f->level[f->to[e]] = f->level[v] + 1;
                f->queue[qt++] = f->to[e];
            }
    }
    return f->level[t] >= 0;
}

/* One augmenting path of the level graph from v (recursion depth: at
 * most t's level); the flow sent, 0 when v is a dead end. */
static double psplit_dfs(struct psplit_net *f, uint32_t v, uint32_t t,
                         double limit)
{
    if (v == t)
        return limit;
    for (; f->it[v] != PSPLIT_NONE; f->it[v] = f->next[f->it[v]]) {
        const uint32_t e = f->it[v], w = f->to[e];
        if (!(f->res[e] > 0) || f->level[w] != f->level[v] + 1)
            continue;
        const double d =
            psplit_dfs(f, w, t, limit < f->res[e] ? limit : f->res[e]);
        if (d > 0) {
            f->res[e] -= d;
            f->res[e ^ 1] += d;
            return d;
        }
    }
    return 0;
}

static void psplit_maxflow(struct psplit_net *f, uint32_t s, uint32_t t)
{
    while (psplit_bfs(f, s, t)) {
        for (size_t v = 0; v < f->nv; v++)
            f->it[v] = f->head[v];
        while (psplit_dfs(f, s, t, INFINITY) > 0)
            ;
    }
}

int psplit_solve(const struct psplit_in *in, uint8_t *tier,
                 struct psplit_cost *c, char *err, size_t errlen)
{
    struct psplit_pre p;
    if (psplit_pre_make(in, &p, err, errlen) != 0)
        return -1;
    const struct mgraph *g = in->g;
    const size_t n = p.n, L = p.T - 1;
    /* vertices: s, t, (v,i) = 2 + v L + i, then the auxiliaries: one per
     * (producer of several readers, link) and per link for several
     * sources */
    size_t nsrc = 0, multi = 0;
    for (size_t v = 0; v < n; v++) {
        nsrc += p.indeg[v] == 0;
        multi += p.off[v + 1] - p.off[v] >= 2;
    }
    const size_t nv = 2 + n * L + (multi + (nsrc >= 2)) * L;
    /* edges, each with its twin: chain (T per layer) and its reverse
     * (T-2), per graph edge the order constraint and a reader's link to
     * its producer's transfer or auxiliary (2 L), per auxiliary its
     * transfer (1), per source its input edge (L) and one per link */
    const size_t ne =
        2 * (n * (2 * L) + g->n_edges * 2 * L + multi * L + nsrc * L + L + 1);
    struct psplit_net f = {.nv = nv};
    f.head = malloc(nv * sizeof *f.head);
    f.next = malloc(ne * sizeof *f.next);
    f.to = malloc(ne * sizeof *f.to);
    f.res = malloc(ne * sizeof *f.res);
    f.level = malloc(nv * sizeof *f.level);
    f.it = malloc(nv * sizeof *f.it);
    f.queue = malloc(nv * sizeof *f.queue);
    if (!f.head || !f.next || !f.to || !f.res || !f.level || !f.it ||
        !f.queue) {
        psplit_net_free(&f);
        psplit_pre_free(&p);
        return psplit_fail(err, errlen, "out of memory");
    }
    for (size_t v = 0; v < nv; v++)
        f.head[v] = PSPLIT_NONE;
    const uint32_t S = 0, TT = 1;
#define X(v, i) (2 + (size_t)(v)*L + (i))
    for (size_t v = 0; v < n; v++) {
        /* cut s -> (v,0): tier 0; (v,i-1) -> (v,i): tier i; last -> t */
        psplit_arc(&f, S, X(v, 0), p.comp[v * p.T]);
        for (size_t i = 1; i < L; i++) {
            psplit_arc(&f, X(v, i - 1), X(v, i), p.comp[v * p.T + i]);
            psplit_arc(&f, X(v, i), X(v, i - 1), INFINITY);
        }
        psplit_arc(&f, X(v, L - 1), TT, p.comp[v * p.T + L]);
    }
    size_t aux = 2 + n * L;
    for (size_t u = 0; u < n; u++) {
        const uint32_t k0 = p.off[u], k1 = p.off[u + 1];
        for (uint32_t k = k0; k < k1; k++)
            for (size_t i = 0; i < L; i++) /* tier(u) > i => tier(v) > i */
                psplit_arc(&f, X(u, i), X(p.to[k], i), INFINITY);
        if (k1 - k0 == 1)
            for (size_t i = 0; i < L; i++)
                psplit_arc(&f, X(p.to[k0], i), X(u, i), p.xfer[u * L + i]);
        else if (k1 - k0 >= 2)
            for (size_t i = 0; i < L; i++, aux++) {
                for (uint32_t k = k0; k < k1; k++)
                    psplit_arc(&f, X(p.to[k], i), aux, INFINITY);
                psplit_arc(&f, aux, X(u, i), p.xfer[u * L + i]);
            }
    }
    /* the input crosses link i when a source runs beyond tier i */
    for (size_t i = 0; i < L && nsrc; i++) {
        const size_t sink = nsrc >= 2 ? aux++ : TT;
        for (size_t v = 0; v < n; v++)
            if (p.indeg[v] == 0)
                psplit_arc(&f, X(v, i), sink, nsrc >= 2 ? INFINITY : p.in_w[i]);
        if (nsrc >= 2)
            psplit_arc(&f, sink, TT, p.in_w[i]);
    }
    psplit_maxflow(&f, S, TT);
    /* the source side of the last levels is the cut: tier(v) = how many
     * of v's vertices it holds (a prefix, by the infinite reverse edges) */
    for (size_t v = 0; v < n; v++) {
        size_t t = 0;
        while (t < L && f.level[X(v, t)] >= 0)
            t++;
        tier[v] = (uint8_t)t;
    }
#undef X
    psplit_net_free(&f);
    const int rc = psplit_eval_pre(in, &p, tier, c, NULL, err, errlen);
    psplit_pre_free(&p);
    return rc;
}

/* ---- the chain scan ----------------------------------------------------
 * Boundaries 0 = b_0 <= b_1 <= ... <= b_{T-1} <= b_T = n of the order:
 * tier t runs positions [b_t, b_{t+1}).  Link i carries a layer's output
 * iff the layer is before b_{i+1} and a reader at or after it, and the
 * input iff a source is at or after it, so its cost is a function
 * link[i][b_{i+1}] of that boundary alone; compute is prefix sums per
 * tier.  best[t][p]: the least cost of tiers 0..t-1 and links 0..t-1 with
 * b_t = p; best[t+1][p] = min over q <= p of (best[t][q] - pre_t(q)) +
 * pre_t(p) + link[t][p], a running minimum. */
int psplit_scan(const struct psplit_in *in, uint8_t *tier,
                struct psplit_cost *c, char *err, size_t errlen)
{
    struct psplit_pre p;
    if (psplit_pre_make(in, &p, err, errlen) != 0)
        return -1;
    const size_t n = p.n, T = p.T, N = n + 1;
    double *link = calloc((T - 1) * (N + 1), sizeof *link),
           *pre = calloc(T * N, sizeof *pre),
           *best = calloc(T * N, sizeof *best);
    size_t *arg = calloc(T * N, sizeof *arg);
    if (!link || !pre || !best || !arg) {
        free(link);
        free(pre);
        free(best);
        free(arg);
        psplit_pre_free(&p);
        return psplit_fail(err, errlen, "out of memory");
    }
    size_t last_src = 0;
    int any_src = 0;
    for (size_t v = 0; v < n; v++) {
        const size_t pv = p.pos[v];
        if (p.indeg[v] == 0) {
            any_src = 1;
            if (pv > last_src)
                last_src = pv;
        }
        size_t far = pv;
        for (uint32_t k = p.off[v]; k < p.off[v + 1]; k++)
            if (p.pos[p.to[k]] > far)
                far = p.pos[p.to[k]];
        if (far > pv) /* boundaries pv+1 .. far: a difference array */
            for (size_t i = 0; i + 1 < T; i++) {
                link[i * (N + 1) + pv + 1] += p.xfer[v * (T - 1) + i];
                link[i * (N + 1) + far + 1] -= p.xfer[v * (T - 1) + i];
            }
    }
    for (size_t i = 0; i + 1 < T; i++) {
        double *l = &link[i * (N + 1)];
        for (size_t b = 1; b < N; b++)
            l[b] += l[b - 1];
        for (size_t b = 0; any_src && b <= last_src; b++)
            l[b] += p.in_w[i];
    }
    for (size_t t = 0; t < T; t++)
        for (size_t k = 0; k < n; k++)
            pre[t * N + k + 1] = pre[t * N + k] + p.comp[in->order[k] * T + t];
    for (size_t b = 0; b < N; b++)
        best[1 * N + b] = pre[b] + link[b];
    for (size_t t = 1; t + 1 < T; t++) {
        double run = INFINITY;
        size_t at = 0;
        for (size_t b = 0; b < N; b++) {
            const double x = best[t * N + b] - pre[t * N + b];
            if (x < run) {
                run = x;
                at = b;
            }
            best[(t + 1) * N + b] =
                run + pre[t * N + b] + link[t * (N + 1) + b];
            arg[(t + 1) * N + b] = at;
        }
    }
    /* the last tier runs [b_{T-1}, n) */
    double run = INFINITY;
    size_t b = 0;
    for (size_t q = 0; q < N; q++) {
        const double x = best[(T - 1) * N + q] - pre[(T - 1) * N + q];
        if (x < run) {
            run = x;
            b = q;
        }
    }
    size_t bound[PSPLIT_MAX_TIERS + 1];
    bound[0] = 0;
    bound[T] = n;
    bound[T - 1] = b;
    for (size_t t = T - 1; t >= 2; t--)
        bound[t - 1] = arg[t * N + bound[t]];
    for (size_t t = 0; t < T; t++)
        for (size_t k = bound[t]; k < bound[t + 1]; k++)
            tier[in->order[k]] = (uint8_t)t;
    free(link);
    free(pre);
    free(best);
    free(arg);
    const int rc = psplit_eval_pre(in, &p, tier, c, NULL, err, errlen);
    psplit_pre_free(&p);
    return rc;
}
