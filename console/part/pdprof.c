/*
 * pdprof - see pdprof.h.
 *
 * One pass over the lines: node lines become nodes at once (a hash of
 * their ids catches a second definition on its own line), edge lines are
 * kept as text and resolved after the last line, since an edge may name
 * a node defined below it.  Then the DAG check.  Every error path frees
 * the graph, so a caller never sees half a profile.
 */
#include "part/pdprof.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/decnum.h"
#include "part/mgraph.h"
#include "part/ptext.h"

/* The largest profile file read (the shared ones are under 100 KiB). */
#define PDPROF_MAX_FILE (64u << 20)
/* A metric past 1e15 (ms: 30,000 years; bytes: a petabyte, 250 times the
 * largest model's weights) is no layer's; it is refused so that the sums the
 * partitioner takes over layers and stages stay finite. */
#define PDPROF_MAX_VALUE 1e15

static const char PDPROF_SEP[] = " -- ";
enum { PDPROF_SEPLEN = 4 };

/* An edge line's two ids, pointing into the text. */
struct pdprof_edge {
    const char *from, *to;
    size_t from_len, to_len;
    unsigned line;
};

struct pdprof {
    const char *fname;
    struct mgraph *g;
    char *err;
    size_t errlen;
    /* open addressing over node indices + 1 (0 empty); half full at most */
    uint32_t *slot;
    size_t nslot;
    struct pdprof_edge *edge;
    size_t n_edges, cap_edges;
};

/* The metrics of a node line, in PipeDream's order. */
enum { PD_FWD, PD_BWD, PD_ACT, PD_PARAM, PD_NMETRIC };
static const char *const pdprof_metric[PD_NMETRIC] = {
    "forward_compute_time", "backward_compute_time", "activation_size",
    "parameter_size"};

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *len)
{
    while (*len && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_blank((*s)[*len - 1]))
        (*len)--;
}

/* The first (last) " -- " in s[0..len), or NULL. */
static const char *find_sep(const char *s, size_t len, int last)
{
    const char *hit = NULL;
    for (size_t i = 0; i + PDPROF_SEPLEN <= len; i++)
        if (memcmp(s + i, PDPROF_SEP, PDPROF_SEPLEN) == 0) {
            hit = s + i;
            if (!last)
                break;
        }
    return hit;
}

static int has_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (is_blank(s[i]))
            return 1;
    return 0;
}

static uint64_t hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* The slot of the id s[0..len): the one holding it, or the empty one where
 * it would go. */
static uint32_t *lookup(const struct pdprof *p, const char *s, size_t len)
{
    size_t i = (size_t)hash(s, len) & (p->nslot - 1);
    for (;; i = (i + 1) & (p->nslot - 1)) {
        uint32_t *at = &p->slot[i];
        if (*at == 0)
            return at;
        const char *name = p->g->node[*at - 1].name;
        if (strlen(name) == len && memcmp(name, s, len) == 0)
            return at;
    }
}

/* Makes room for one more id in the hash: 0, or -1 out of memory. */
static int grow_slots(struct pdprof *p)
{
    if (2 * (p->g->n + 1) <= p->nslot)
        return 0;
    const size_t nslot = p->nslot ? 2 * p->nslot : 256;
    uint32_t *old = p->slot;
    const size_t oldn = p->nslot;
    p->slot = calloc(nslot, sizeof *p->slot);
    if (!p->slot) {
        p->slot = old;
        return -1;
    }
    p->nslot = nslot;
    for (size_t i = 0; i < oldn; i++)
        if (old[i]) {
            const char *name = p->g->node[old[i] - 1].name;
            *lookup(p, name, strlen(name)) = old[i];
        }
    free(old);
    return 0;
}

/* One number of a metric into *out: 0, or -1 with the error set. */
static int read_number(struct pdprof *p, unsigned line, int m, const char *s,
                       size_t len, double *out)
{
    char q[PTEXT_QUOTE];
    double v;
    if (ptext_nonneg(s, len, out) == 0) {
        if (*out <= PDPROF_MAX_VALUE)
            return 0;
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "%s %s is past %g, no layer's", pdprof_metric[m],
                         ptext_quote(q, s, len), PDPROF_MAX_VALUE);
    }
    if (decnum_double(s, len, 40, &v) == 0)
        return ptext_err(p->err, p->errlen, p->fname, line, "negative %s %s",
                         pdprof_metric[m], ptext_quote(q, s, len));
    return ptext_err(p->err, p->errlen, p->fname, line,
                     "%s '%s' is not a finite decimal number", pdprof_metric[m],
                     ptext_quote(q, s, len));
}

/* activation_size: a number, or "[a; b; ...]" for a layer with several
 * outputs, summed (PipeDream's reader does the same). */
static int read_act(struct pdprof *p, unsigned line, const char *s, size_t len,
                    double *out)
{
    if (len == 0 || s[0] != '[')
        return read_number(p, line, PD_ACT, s, len, out);
    if (s[len - 1] != ']')
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "activation_size list has no closing ']'");
    const char *e = s + 1, *end = s + len - 1;
    double sum = 0;
    for (;;) {
        const char *semi = memchr(e, ';', (size_t)(end - e));
        const char *stop = semi ? semi : end;
        const char *item = e;
        size_t ilen = (size_t)(stop - e);
        trim(&item, &ilen);
        double v;
        if (read_number(p, line, PD_ACT, item, ilen, &v) != 0)
            return -1;
        sum += v;
        if (!semi)
            break;
        e = semi + 1;
    }
    if (!isfinite(sum))
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "activation_size list sums past the largest number");
    *out = sum;
    return 0;
}

/* "forward_compute_time=MS, backward_compute_time=MS, activation_size=B,
 * parameter_size=B", in any order, each once. */
static int read_metrics(struct pdprof *p, unsigned line, const char *s,
                        size_t len, double val[PD_NMETRIC])
{
    char q[PTEXT_QUOTE];
    int seen[PD_NMETRIC] = {0};
    const char *end = s + len;
    while (s <= end) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        const char *item = s;
        size_t ilen = (size_t)(stop - s);
        trim(&item, &ilen);
        const char *eq = memchr(item, '=', ilen);
        if (!eq)
            return ptext_err(p->err, p->errlen, p->fname, line,
                             "metric '%s' is not NAME=VALUE",
                             ptext_quote(q, item, ilen));
        const size_t klen = (size_t)(eq - item);
        int m = 0;
        while (m < PD_NMETRIC && !(strlen(pdprof_metric[m]) == klen &&
                                   memcmp(pdprof_metric[m], item, klen) == 0))
            m++;
        if (m == PD_NMETRIC)
            return ptext_err(p->err, p->errlen, p->fname, line,
                             "unknown metric '%s'", ptext_quote(q, item, klen));
        if (seen[m]++)
            return ptext_err(p->err, p->errlen, p->fname, line,
                             "%s given twice", pdprof_metric[m]);
        const char *v = eq + 1;
        size_t vlen = ilen - klen - 1;
        trim(&v, &vlen);
        if ((m == PD_ACT ? read_act(p, line, v, vlen, &val[m])
                         : read_number(p, line, m, v, vlen, &val[m])) != 0)
            return -1;
        if (!comma)
            break;
        s = comma + 1;
    }
    for (int m = 0; m < PD_NMETRIC; m++)
        if (!seen[m])
            return ptext_err(p->err, p->errlen, p->fname, line,
                             "missing metric %s", pdprof_metric[m]);
    return 0;
}

/* The layer type: the description up to its first '(', with GNMT's
 * numbered inputs ("Input0") folded into "Input" so that a partitioner
 * can find a model's inputs by kind. */
static int read_kind(struct pdprof *p, unsigned line, const char *desc,
                     size_t dlen, char kind[MGRAPH_KIND])
{
    char q[PTEXT_QUOTE];
    const char *paren = memchr(desc, '(', dlen);
    const char *k = desc;
    size_t klen = paren ? (size_t)(paren - desc) : dlen;
    trim(&k, &klen);
    if (klen == 0)
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "layer description '%s' names no layer type",
                         ptext_quote(q, desc, dlen));
    size_t digits = 0;
    while (digits < klen && k[klen - 1 - digits] >= '0' &&
           k[klen - 1 - digits] <= '9')
        digits++;
    if (klen - digits == 5 && memcmp(k, "Input", 5) == 0)
        klen = 5;
    /* a long type keeps its start, as mgraph_add would cut it */
    if (klen >= MGRAPH_KIND)
        klen = MGRAPH_KIND - 1;
    memcpy(kind, k, klen);
    kind[klen] = '\0';
    return 0;
}

static int read_node(struct pdprof *p, unsigned line, const char *id,
                     size_t idlen, const char *rest, size_t rlen)
{
    char q[PTEXT_QUOTE];
    /* an optional " -- stage_id=N" after the metrics (PipeDream writes it
     * into a partitioned profile) */
    const char *last = find_sep(rest, rlen, 1);
    const char *tail = last + PDPROF_SEPLEN;
    size_t tlen = (size_t)(rest + rlen - tail);
    static const char stage[] = "stage_id=";
    if (tlen >= sizeof stage - 1 &&
        memcmp(tail, stage, sizeof stage - 1) == 0) {
        unsigned long long sid;
        if (decnum_uint(tail + sizeof stage - 1, tlen - (sizeof stage - 1),
                        UINT32_MAX, &sid) != 0)
            return ptext_err(p->err, p->errlen, p->fname, line,
                             "stage_id '%s' is not a whole number",
                             ptext_quote(q, tail + sizeof stage - 1,
                                         tlen - (sizeof stage - 1)));
        rlen = (size_t)(last - rest);
        last = find_sep(rest, rlen, 1);
        if (!last)
            return ptext_err(p->err, p->errlen, p->fname, line,
                             "a node line is 'ID -- DESCRIPTION -- METRICS'");
        tail = last + PDPROF_SEPLEN;
        tlen = (size_t)(rest + rlen - tail);
    }
    const char *desc = rest;
    size_t dlen = (size_t)(last - rest);
    trim(&desc, &dlen);

    struct mgraph_node nd = {.flops = NAN, .line = line};
    double val[PD_NMETRIC];
    if (read_kind(p, line, desc, dlen, nd.kind) != 0 ||
        read_metrics(p, line, tail, tlen, val) != 0)
        return -1;
    nd.fwd_ms = val[PD_FWD];
    nd.bwd_ms = val[PD_BWD];
    nd.act_bytes = val[PD_ACT];
    nd.param_bytes = val[PD_PARAM];
    memcpy(nd.name, id, idlen);
    nd.name[idlen] = '\0';

    if (grow_slots(p) != 0)
        return ptext_err(p->err, p->errlen, p->fname, line, "out of memory");
    uint32_t *slot = lookup(p, id, idlen);
    if (*slot)
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "node '%s' defined again (first at line %u)", nd.name,
                         p->g->node[*slot - 1].line);
    const long idx = mgraph_add(p->g, &nd);
    if (idx < 0 || idx >= (long)UINT32_MAX)
        return ptext_err(p->err, p->errlen, p->fname, line, "out of memory");
    *slot = (uint32_t)idx + 1;
    return 0;
}

static int keep_edge(struct pdprof *p, unsigned line, const char *from,
                     size_t flen, const char *to, size_t tlen)
{
    char q[PTEXT_QUOTE];
    if (tlen == 0 || has_blank(to, tlen))
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "an edge line is 'FROM -- TO', not '... -- %s'",
                         ptext_quote(q, to, tlen));
    if (flen == tlen && memcmp(from, to, flen) == 0)
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "edge from '%s' to itself",
                         ptext_quote(q, from, flen));
    if (p->n_edges == p->cap_edges) {
        const size_t cap = p->cap_edges ? 2 * p->cap_edges : 64;
        struct pdprof_edge *e = realloc(p->edge, cap * sizeof *e);
        if (!e)
            return ptext_err(p->err, p->errlen, p->fname, line,
                             "out of memory");
        p->edge = e;
        p->cap_edges = cap;
    }
    p->edge[p->n_edges++] = (struct pdprof_edge){
        .from = from, .from_len = flen, .to = to, .to_len = tlen, .line = line};
    return 0;
}

static int read_line(struct pdprof *p, unsigned line, const char *s, size_t len)
{
    char q[PTEXT_QUOTE];
    if (memchr(s, '\0', len))
        return ptext_err(p->err, p->errlen, p->fname, line, "a NUL byte");
    trim(&s, &len);
    if (len == 0)
        return 0;
    const char *sep = find_sep(s, len, 0);
    if (!sep)
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "expected 'ID -- DESCRIPTION -- METRICS' or "
                         "'FROM -- TO', not '%s'",
                         ptext_quote(q, s, len));
    const size_t idlen = (size_t)(sep - s);
    if (idlen == 0 || has_blank(s, idlen))
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "'%s' is not a node id", ptext_quote(q, s, idlen));
    if (idlen >= MGRAPH_NAME)
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "node id '%s' is longer than %d bytes",
                         ptext_quote(q, s, idlen), MGRAPH_NAME - 1);
    const char *rest = sep + PDPROF_SEPLEN;
    size_t rlen = len - idlen - PDPROF_SEPLEN;
    /* two fields and no metric: an edge, whether tab-indented or not */
    if (!find_sep(rest, rlen, 0) && !memchr(rest, '=', rlen)) {
        trim(&rest, &rlen);
        return keep_edge(p, line, s, idlen, rest, rlen);
    }
    if (!find_sep(rest, rlen, 0))
        return ptext_err(p->err, p->errlen, p->fname, line,
                         "a node line is 'ID -- DESCRIPTION -- METRICS'");
    return read_node(p, line, s, idlen, rest, rlen);
}

static int resolve_edges(struct pdprof *p)
{
    char q[PTEXT_QUOTE];
    for (size_t i = 0; i < p->n_edges; i++) {
        const struct pdprof_edge *e = &p->edge[i];
        uint32_t ends[2];
        for (int k = 0; k < 2; k++) {
            const char *id = k ? e->to : e->from;
            const size_t len = k ? e->to_len : e->from_len;
            const uint32_t *slot =
                p->nslot && len < MGRAPH_NAME ? lookup(p, id, len) : NULL;
            if (!slot || !*slot)
                return ptext_err(p->err, p->errlen, p->fname, e->line,
                                 "edge %s undefined node '%s'",
                                 k ? "to" : "from", ptext_quote(q, id, len));
            ends[k] = *slot - 1;
        }
        if (mgraph_edge(p->g, ends[0], ends[1]) != 0)
            return ptext_err(p->err, p->errlen, p->fname, e->line,
                             "out of memory");
    }
    return 0;
}

int pdprof_read_buf(const char *text, size_t len, const char *fname,
                    struct mgraph *g, char *err, size_t errlen)
{
    struct pdprof p = {.fname = fname, .g = g, .err = err, .errlen = errlen};
    mgraph_init(g);
    ptext_model_name(g, fname);
    struct ptext_lines it;
    const char *s;
    size_t n;
    int rc = 0;
    ptext_lines_init(&it, text, len);
    while (rc == 0 && ptext_next(&it, &s, &n))
        rc = read_line(&p, it.line, s, n);
    if (rc == 0 && g->n == 0)
        rc = ptext_err(err, errlen, fname, 0, "no node lines");
    if (rc == 0)
        rc = resolve_edges(&p);
    if (rc == 0)
        rc = ptext_dag(g, fname, err, errlen);
    free(p.slot);
    free(p.edge);
    if (rc != 0)
        mgraph_free(g);
    return rc;
}

int pdprof_read_file(const char *path, struct mgraph *g, char *err,
                     size_t errlen)
{
    char *buf;
    size_t len;
    mgraph_init(g);
    if (ptext_slurp(path, PDPROF_MAX_FILE, &buf, &len, err, errlen) != 0)
        return -1;
    const int rc = pdprof_read_buf(buf, len, path, g, err, errlen);
    free(buf);
    return rc;
}
