/*
 * gpmetis - see gpmetis.h.
 *
 * Reading collects every "u lists v" with its line, then sorts them once:
 * a neighbour listed twice is then two equal neighbours, and an edge
 * listed at one end only is a missing partner found by binary search.
 * Nothing is added to the graph's edges until the whole file checks out,
 * so each edge goes in once, lower index first, in sorted order, and the
 * weights array stays parallel to g->edge.
 *
 * Writing builds the whole text's numbers (weights, merged undirected
 * edges) before printing a byte, so a refused graph writes nothing.
 */
#include "part/gpmetis.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/decnum.h"
#include "core/safefile.h"
#include "part/mgraph.h"
#include "part/ptext.h"

/* METIS's idx_t is 32 bits in Debian's build (graphchk prints "size of
 * idx_t: 32bits"): the largest count, weight or total it can hold. */
#define GPMETIS_MAX 2147483647LL
#define GPMETIS_MAX_FILE (256u << 20)

/* One neighbour as a vertex line lists it (1-based vertices). */
struct gpmetis_adj {
    uint32_t u, v;
    long long w;
    unsigned line;
};

struct gpmetis_rd {
    const char *fname;
    char *err;
    size_t errlen;
    struct mgraph *g;
    unsigned long long n, m;
    unsigned ncon, hline;
    int has_size, has_vw, has_ew;
    struct gpmetis_adj *adj;
    size_t nadj, cap;
};

static int adj_cmp(const void *a, const void *b)
{
    const struct gpmetis_adj *x = a, *y = b;
    if (x->u != y->u)
        return x->u < y->u ? -1 : 1;
    return x->v < y->v ? -1 : x->v > y->v;
}

/* The next space- or tab-separated token of [*p, end): 1, or 0 at the
 * end. */
static int next_tok(const char **p, const char *end, const char **tok,
                    size_t *len)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s == end) {
        *p = s;
        return 0;
    }
    const char *t = s;
    while (t < end && *t != ' ' && *t != '\t')
        t++;
    *tok = s;
    *len = (size_t)(t - s);
    *p = t;
    return 1;
}

static int read_header(struct gpmetis_rd *r, const char *s, size_t len)
{
    char q[PTEXT_QUOTE];
    const char *p = s, *end = s + len, *tok[5];
    size_t tl[5];
    int nt = 0;
    while (nt < 5 && next_tok(&p, end, &tok[nt], &tl[nt]))
        nt++;
    unsigned long long fmt = 0, ncon = 1;
    if (nt < 2 || nt > 4 ||
        decnum_uint(tok[0], tl[0], GPMETIS_MAX, &r->n) != 0 ||
        decnum_uint(tok[1], tl[1], GPMETIS_MAX, &r->m) != 0)
        return ptext_err(r->err, r->errlen, r->fname, r->hline,
                         "header '%s' is not 'n m [fmt [ncon]]' (counts up "
                         "to %lld)",
                         ptext_quote(q, s, len), GPMETIS_MAX);
    if (nt >= 3) {
        /* three binary digits at most, leading zeros allowed: "011" */
        int ok = tl[2] <= 3 && decnum_uint(tok[2], tl[2], 111, &fmt) == 0;
        for (size_t i = 0; ok && i < tl[2]; i++)
            ok = tok[2][i] == '0' || tok[2][i] == '1';
        if (!ok)
            return ptext_err(r->err, r->errlen, r->fname, r->hline,
                             "fmt '%s' is not one of 0, 1, 10, 11, 100, 101, "
                             "110, 111",
                             ptext_quote(q, tok[2], tl[2]));
    }
    r->has_size = fmt / 100 == 1;
    r->has_vw = fmt / 10 % 10 == 1;
    r->has_ew = fmt % 10 == 1;
    if (nt == 4) {
        if (!r->has_vw)
            return ptext_err(r->err, r->errlen, r->fname, r->hline,
                             "ncon given but fmt '%s' has no vertex weights",
                             ptext_quote(q, tok[2], tl[2]));
        if (decnum_uint(tok[3], tl[3], 1024, &ncon) != 0 || ncon == 0)
            return ptext_err(r->err, r->errlen, r->fname, r->hline,
                             "ncon '%s' is not a number of weights in 1..1024",
                             ptext_quote(q, tok[3], tl[3]));
    }
    r->ncon = (unsigned)ncon;
    return 0;
}

static int push_adj(struct gpmetis_rd *r, uint32_t u, uint32_t v, long long w,
                    unsigned line)
{
    if (r->nadj == r->cap) {
        const size_t cap = r->cap ? 2 * r->cap : 256;
        struct gpmetis_adj *a = realloc(r->adj, cap * sizeof *a);
        if (!a)
            return ptext_err(r->err, r->errlen, r->fname, line,
                             "out of memory");
        r->adj = a;
        r->cap = cap;
    }
    r->adj[r->nadj++] = (struct gpmetis_adj){u, v, w, line};
    return 0;
}

/* Vertex u's line: [size] [weights] then neighbours [with weights]. */
static int read_vertex(struct gpmetis_rd *r, unsigned line, const char *s,
                       size_t len)
{
    char q[PTEXT_QUOTE];
    const uint32_t u = (uint32_t)r->g->n + 1;
    const char *p = s, *end = s + len, *tok;
    size_t tl;
    unsigned long long v;
    struct mgraph_node nd = {.fwd_ms = NAN,
                             .bwd_ms = NAN,
                             .flops = NAN,
                             .param_bytes = NAN,
                             .act_bytes = NAN,
                             .line = line};
    snprintf(nd.name, sizeof nd.name, "v%u", (unsigned)u);
    snprintf(nd.kind, sizeof nd.kind, "vertex");
    if (r->has_size) {
        if (!next_tok(&p, end, &tok, &tl))
            return ptext_err(r->err, r->errlen, r->fname, line,
                             "vertex %u has no size", (unsigned)u);
        if (decnum_uint(tok, tl, GPMETIS_MAX, &v) != 0)
            return ptext_err(r->err, r->errlen, r->fname, line,
                             "vertex %u's size '%s' is not an integer in "
                             "0..%lld",
                             (unsigned)u, ptext_quote(q, tok, tl), GPMETIS_MAX);
        nd.param_bytes = (double)v;
    }
    for (unsigned c = 0; r->has_vw && c < r->ncon; c++) {
        if (!next_tok(&p, end, &tok, &tl))
            return ptext_err(r->err, r->errlen, r->fname, line,
                             "vertex %u has %u of its %u weights", (unsigned)u,
                             c, r->ncon);
        if (decnum_uint(tok, tl, GPMETIS_MAX, &v) != 0)
            return ptext_err(r->err, r->errlen, r->fname, line,
                             "vertex %u's weight '%s' is not an integer in "
                             "0..%lld",
                             (unsigned)u, ptext_quote(q, tok, tl), GPMETIS_MAX);
        if (c == 0) {
            /* back through the writer's scale: microseconds */
            nd.fwd_ms = (double)v / 1000;
            nd.bwd_ms = 0;
        }
    }
    while (next_tok(&p, end, &tok, &tl)) {
        if (decnum_uint(tok, tl, r->n, &v) != 0 || v == 0)
            return ptext_err(r->err, r->errlen, r->fname, line,
                             "vertex %u's neighbour '%s' is not in 1..%llu",
                             (unsigned)u, ptext_quote(q, tok, tl), r->n);
        if (v == u)
            return ptext_err(r->err, r->errlen, r->fname, line,
                             "vertex %u lists itself (a self-loop)",
                             (unsigned)u);
        unsigned long long w = 1;
        if (r->has_ew) {
            const char *wt;
            size_t wl;
            if (!next_tok(&p, end, &wt, &wl))
                return ptext_err(r->err, r->errlen, r->fname, line,
                                 "vertex %u's neighbour %llu has no edge "
                                 "weight",
                                 (unsigned)u, v);
            if (decnum_uint(wt, wl, GPMETIS_MAX, &w) != 0 || w == 0)
                return ptext_err(r->err, r->errlen, r->fname, line,
                                 "weight '%s' of edge %u-%llu is not an "
                                 "integer in 1..%lld",
                                 ptext_quote(q, wt, wl), (unsigned)u, v,
                                 GPMETIS_MAX);
        }
        if (push_adj(r, u, (uint32_t)v, (long long)w, line) != 0)
            return -1;
    }
    if (mgraph_add(r->g, &nd) < 0)
        return ptext_err(r->err, r->errlen, r->fname, line, "out of memory");
    return 0;
}

/* Every edge listed once from each end with the same weight, the count
 * the header says; then the edges into the graph. */
static int check_edges(struct gpmetis_rd *r, long long **ewgt)
{
    const struct mgraph *g = r->g;
    if (r->nadj > 1)
        qsort(r->adj, r->nadj, sizeof *r->adj, adj_cmp);
    for (size_t i = 0; i < r->nadj; i++) {
        const struct gpmetis_adj *a = &r->adj[i];
        if (i > 0 && adj_cmp(a, a - 1) == 0)
            return ptext_err(r->err, r->errlen, r->fname, a->line,
                             "vertex %u lists neighbour %u twice",
                             (unsigned)a->u, (unsigned)a->v);
        const struct gpmetis_adj key = {.u = a->v, .v = a->u};
        const struct gpmetis_adj *b =
            bsearch(&key, r->adj, r->nadj, sizeof *r->adj, adj_cmp);
        if (!b)
            return ptext_err(r->err, r->errlen, r->fname, a->line,
                             "vertex %u lists %u, but vertex %u (line %u) "
                             "does not list %u",
                             (unsigned)a->u, (unsigned)a->v, (unsigned)a->v,
                             g->node[a->v - 1].line, (unsigned)a->u);
        if (b->w != a->w)
            return ptext_err(r->err, r->errlen, r->fname, a->line,
                             "edge %u-%u weighs %lld here and %lld at vertex "
                             "%u (line %u)",
                             (unsigned)a->u, (unsigned)a->v, a->w, b->w,
                             (unsigned)a->v, b->line);
    }
    if (r->nadj / 2 != r->m)
        return ptext_err(r->err, r->errlen, r->fname, r->hline,
                         "the header says %llu edges, the vertex lines list "
                         "%zu",
                         r->m, r->nadj / 2);
    long long *w = NULL;
    if (ewgt && !(w = malloc((r->nadj / 2 + 1) * sizeof *w)))
        return ptext_err(r->err, r->errlen, r->fname, 0, "out of memory");
    for (size_t i = 0; i < r->nadj; i++) {
        const struct gpmetis_adj *a = &r->adj[i];
        if (a->u > a->v)
            continue;
        if (mgraph_edge(r->g, a->u - 1, a->v - 1) != 0) {
            free(w);
            return ptext_err(r->err, r->errlen, r->fname, a->line,
                             "out of memory");
        }
        if (w)
            w[r->g->n_edges - 1] = a->w;
    }
    if (ewgt)
        *ewgt = w;
    return 0;
}

int gpmetis_read_buf(const char *text, size_t len, const char *fname,
                     struct mgraph *g, long long **ewgt, char *err,
                     size_t errlen)
{
    struct gpmetis_rd r = {
        .fname = fname, .err = err, .errlen = errlen, .g = g};
    struct ptext_lines it;
    const char *s;
    size_t n;
    int rc = 0, have_header = 0;
    mgraph_init(g);
    ptext_model_name(g, fname);
    if (ewgt)
        *ewgt = NULL;
    ptext_lines_init(&it, text, len);
    while (rc == 0 && ptext_next(&it, &s, &n)) {
        if (n > 0 && s[0] == '%')
            continue;
        if (memchr(s, '\0', n)) {
            rc = ptext_err(err, errlen, fname, it.line, "a NUL byte");
        } else if (!have_header) {
            const char *p = s, *tok;
            size_t tl;
            if (!next_tok(&p, s + n, &tok, &tl))
                continue; /* blank lines before the header */
            have_header = 1;
            r.hline = it.line;
            rc = read_header(&r, s, n);
        } else if (g->n < r.n) {
            rc = read_vertex(&r, it.line, s, n);
        } else {
            const char *p = s, *tok;
            size_t tl;
            if (next_tok(&p, s + n, &tok, &tl))
                rc = ptext_err(err, errlen, fname, it.line,
                               "more vertex lines than the header's %llu "
                               "(line %u)",
                               r.n, r.hline);
        }
    }
    if (rc == 0 && !have_header)
        rc = ptext_err(err, errlen, fname, 0,
                       "no header line 'n m [fmt [ncon]]'");
    if (rc == 0 && g->n != r.n)
        rc = ptext_err(err, errlen, fname, r.hline,
                       "the header says %llu vertices, the file has %zu "
                       "vertex lines",
                       r.n, g->n);
    if (rc == 0)
        rc = check_edges(&r, ewgt);
    free(r.adj);
    if (rc != 0)
        mgraph_free(g);
    return rc;
}

int gpmetis_read_file(const char *path, struct mgraph *g, long long **ewgt,
                      char *err, size_t errlen)
{
    char *buf;
    size_t len;
    mgraph_init(g);
    if (ewgt)
        *ewgt = NULL;
    if (ptext_slurp(path, GPMETIS_MAX_FILE, &buf, &len, err, errlen) != 0)
        return -1;
    const int rc = gpmetis_read_buf(buf, len, path, g, ewgt, err, errlen);
    free(buf);
    return rc;
}

/* A weight for METIS: rounded, at least 1; -1 when it passes GPMETIS_MAX. */
static long long to_weight(double x)
{
    x = round(x);
    if (!(x <= (double)GPMETIS_MAX))
        return -1;
    return x < 1 ? 1 : (long long)x;
}

static double finite_or(double x, double dflt)
{
    return isfinite(x) ? x : dflt;
}

int gpmetis_write(FILE *f, const struct mgraph *g, const long long *ewgt,
                  char *err, size_t errlen)
{
    const char *name = g->name[0] ? g->name : "graph";
    if (g->n == 0)
        return ptext_err(err, errlen, name, 0, "no nodes to write");
    if (g->n > (size_t)GPMETIS_MAX)
        return ptext_err(err, errlen, name, 0, "more nodes than METIS takes");
    int by_time = 0, by_flops = 0;
    for (size_t i = 0; i < g->n; i++) {
        by_time |= isfinite(g->node[i].fwd_ms) || isfinite(g->node[i].bwd_ms);
        by_flops |= isfinite(g->node[i].flops);
    }
    long long *vw = malloc(g->n * sizeof *vw);
    /* each undirected edge twice, once from each end */
    struct gpmetis_adj *adj = malloc((2 * g->n_edges + 1) * sizeof *adj);
    int rc = -1;
    if (!vw || !adj) {
        ptext_err(err, errlen, name, 0, "out of memory");
        goto out;
    }
    long long total = 0;
    for (size_t i = 0; i < g->n; i++) {
        const struct mgraph_node *nd = &g->node[i];
        double x = 1; /* a graph without costs: METIS's default */
        if (by_time)
            x = 1000 * (finite_or(nd->fwd_ms, 0) + finite_or(nd->bwd_ms, 0));
        else if (by_flops)
            x = finite_or(nd->flops, 0) / 1e6;
        vw[i] = to_weight(x);
        if (vw[i] < 0 || (total += vw[i]) > GPMETIS_MAX) {
            ptext_err(err, errlen, name, nd->line,
                      "node '%s': vertex weights past METIS's limit %lld",
                      nd->name, GPMETIS_MAX);
            goto out;
        }
    }
    /* directed edges to undirected ones, lower index first, merged */
    size_t na = 0;
    for (size_t e = 0; e < g->n_edges; e++) {
        const uint32_t a = g->edge[e][0], b = g->edge[e][1];
        const struct mgraph_node *src = &g->node[a];
        if (a == b) {
            ptext_err(err, errlen, name, src->line,
                      "node '%s' has an edge to itself, which METIS cannot "
                      "take",
                      src->name);
            goto out;
        }
        const long long w =
            ewgt ? (ewgt[e] >= 1 && ewgt[e] <= GPMETIS_MAX ? ewgt[e] : -1)
                 : to_weight(finite_or(src->act_bytes, 0) / 1024);
        if (w < 0) {
            ptext_err(err, errlen, name, src->line,
                      "edge '%s' -> '%s': weight not in 1..%lld", src->name,
                      g->node[b].name, GPMETIS_MAX);
            goto out;
        }
        adj[na++] = (struct gpmetis_adj){a < b ? a : b, a < b ? b : a, w, 0};
    }
    if (na > 1)
        qsort(adj, na, sizeof *adj, adj_cmp);
    size_t m = 0;
    total = 0;
    for (size_t i = 0; i < na; i++) {
        if (m > 0 && adj[m - 1].u == adj[i].u && adj[m - 1].v == adj[i].v)
            adj[m - 1].w += adj[i].w;
        else
            adj[m++] = adj[i];
        if ((total += adj[i].w) > GPMETIS_MAX) {
            ptext_err(err, errlen, name, 0,
                      "edge weights past METIS's limit %lld in total",
                      GPMETIS_MAX);
            goto out;
        }
    }
    /* and each from its other end too, then in vertex order */
    for (size_t i = 0; i < m; i++)
        adj[m + i] = (struct gpmetis_adj){adj[i].v, adj[i].u, adj[i].w, 0};
    if (m > 0)
        qsort(adj, 2 * m, sizeof *adj, adj_cmp);

    fprintf(f,
            "%% %s: %zu layers written by wattson (console/part/gpmetis.c)\n",
            name, g->n);
    fprintf(f,
            "%% vertex weight: %s, at least 1; edge weight: %s, at least 1\n",
            by_time    ? "forward + backward time in microseconds"
            : by_flops ? "forward MFLOP"
                       : "1 (the graph has no costs)",
            ewgt ? "as given" : "KiB of activation carried");
    fprintf(f, "%zu %zu 011\n", g->n, m);
    size_t k = 0;
    for (size_t i = 0; i < g->n; i++) {
        fprintf(f, "%lld", vw[i]);
        for (; k < 2 * m && adj[k].u == i; k++)
            fprintf(f, " %u %lld", (unsigned)adj[k].v + 1, adj[k].w);
        fputc('\n', f);
    }
    if (fflush(f) != 0 || ferror(f))
        ptext_err(err, errlen, name, 0, "cannot write: %s", strerror(errno));
    else
        rc = 0;
out:
    free(vw);
    free(adj);
    return rc;
}

int gpmetis_write_file(const char *path, const struct mgraph *g,
                       const long long *ewgt, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return ptext_err(err, errlen, path, 0, "out of memory");
    int rc = gpmetis_write(f, g, ewgt, err, errlen);
    if (fclose(f) != 0 && rc == 0)
        rc = ptext_err(err, errlen, path, 0, "out of memory");
    if (rc == 0) {
        const char *step = "write";
        /* -2: written, only the directory's fsync failed; an export that
         * a power cut may lose is still the file asked for */
        if (safefile_write(path, buf, len, &step) == -1)
            rc = ptext_err(err, errlen, path, 0, "cannot %s: %s", step,
                           strerror(errno));
    }
    free(buf);
    return rc;
}
