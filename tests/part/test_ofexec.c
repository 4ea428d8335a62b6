/*
 * test_ofexec - each side's plan of a split inference (console/part/
 * ofexec.c).  On hand-made graphs (a chain, a diamond, two sources, two
 * sinks, a skip edge; nodes added out of order) under every monotone
 * split, and on the shared yolov3-tiny cfg under every prefix of its
 * topological order (all-remote and all-local included):
 *   - every node is in exactly one plan, in the order's order, each edge
 *     read after it is written, with its work and output bytes;
 *   - a layer's inputs are its edges' sources in edge order, or the
 *     model's input for a source;
 *   - OFEXEC_F_SEND is set exactly on outputs with a reader on the other
 *     side and on the remote's sinks; send_input exactly when a source is
 *     remote;
 *   - the remote's external inputs are exactly what the user sends;
 *   - running the user's plan, then the remote's with only what was sent,
 *     gives ofexec_local's identity for every node.
 * Identities change with any input, and with their order; the digest
 * changes for any flipped bit and with the length.  Leaks: ASan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/ofexec.h"
#include "part/pmodel.h"
#include "t.h"

static long add(struct mgraph *g, const char *name, double act)
{
    struct mgraph_node nd = {.fwd_ms = NAN, .bwd_ms = NAN, .flops = NAN};
    snprintf(nd.name, sizeof nd.name, "%s", name);
    snprintf(nd.kind, sizeof nd.kind, "test");
    nd.act_bytes = act;
    return mgraph_add(g, &nd);
}

static int has_reader_on(const struct mgraph *g, const uint8_t *tier,
                         uint32_t v, int side)
{
    for (size_t e = 0; e < g->n_edges; e++)
        if (g->edge[e][0] == v && (tier[g->edge[e][1]] != 0) == side)
            return 1;
    return 0;
}

static int is_source(const struct mgraph *g, uint32_t v)
{
    for (size_t e = 0; e < g->n_edges; e++)
        if (g->edge[e][1] == v)
            return 0;
    return 1;
}

/* Runs plan p: ident[] holds what this side knows (NaN-free: known[]
 * says which); each layer's inputs must be known.  0, or -1 when an
 * input was not there (a check fails too). */
static int run_plan(const struct ofexec_plan *p, uint64_t *ident,
                    uint8_t *known, uint64_t in_ident, int have_input)
{
    uint64_t in[64];
    for (size_t i = 0; i < p->n; i++) {
        const struct ofexec_layer *L = &p->l[i];
        T_CHECK(L->n_in >= 1 && L->n_in <= 64);
        if (L->n_in < 1 || L->n_in > 64)
            return -1;
        for (uint32_t k = 0; k < L->n_in; k++) {
            const uint32_t t = p->ins[L->in_off + k];
            if (t == OFEXEC_INPUT) {
                if (!have_input) {
                    T_CHECK(have_input);
                    return -1;
                }
                in[k] = in_ident;
            } else {
                if (t >= p->n_nodes || !known[t]) {
                    T_CHECK(t < p->n_nodes && known[t]);
                    return -1;
                }
                in[k] = ident[t];
            }
        }
        ident[L->id] = ofexec_ident(L->id, in, L->n_in);
        known[L->id] = 1;
    }
    return 0;
}

/* Every property of the header for one split; ok counts the checks that
 * passed so that a failing split is reported once, with its tiers. */
static void check_split(const struct mgraph *g, const uint32_t *order,
                        const double *fwd, const uint8_t *tier,
                        const uint64_t *local, uint64_t seed)
{
    const size_t n = g->n;
    struct ofexec_plan u, r;
    T_CHECK(ofexec_build(g, order, fwd, tier, &u, &r) == 0);
    int ok = 1;
    ok &= u.n_nodes == n && r.n_nodes == n && u.n + r.n == n;
    ok &= r.send_input == 0;

    /* each node once, on its side, in the order's order */
    uint32_t *pos = calloc(n, sizeof *pos);
    uint8_t *seen = calloc(n, 1);
    uint64_t *ident = calloc(n, sizeof *ident);
    uint8_t *known = calloc(n, 1);
    if (!pos || !seen || !ident || !known) {
        T_CHECK(!"out of memory");
        goto out;
    }
    for (uint32_t k = 0; k < n; k++)
        pos[order[k]] = k;
    const struct ofexec_plan *side[2] = {&u, &r};
    for (int s = 0; s < 2; s++) {
        const struct ofexec_plan *p = side[s];
        size_t off = 0;
        for (size_t i = 0; i < p->n; i++) {
            const struct ofexec_layer *L = &p->l[i];
            const uint32_t v = L->id;
            if (v >= n) {
                ok = 0;
                continue;
            }
            ok &= !seen[v] && (tier[v] != 0) == s;
            seen[v] = 1;
            ok &= i == 0 || pos[p->l[i - 1].id] < pos[v];
            ok &= L->work_ms == fwd[v];
            ok &= L->out_bytes ==
                  (g->node[v].act_bytes > 0 ? g->node[v].act_bytes : 0);
            ok &= L->in_off == off;
            off += L->n_in;
            /* inputs: the edges' sources in edge order, or the input */
            size_t k = 0;
            if (is_source(g, v)) {
                ok &= L->n_in == 1 && p->ins[L->in_off] == OFEXEC_INPUT;
                k = 1;
            }
            for (size_t e = 0; e < g->n_edges; e++)
                if (g->edge[e][1] == v) {
                    ok &= k < L->n_in && p->ins[L->in_off + k] == g->edge[e][0];
                    k++;
                }
            ok &= k == L->n_in;
            /* flags: sent when read across, or a remote sink */
            const int send = has_reader_on(g, tier, v, !s) ||
                             (s == 1 && ofexec_is_sink(g, v));
            ok &= L->flags == (send ? OFEXEC_F_SEND : 0u);
        }
        ok &= off == p->n_ins;
    }
    for (size_t v = 0; v < n; v++)
        ok &= seen[v];

    /* the input is sent iff a source is remote */
    int src_remote = 0;
    for (uint32_t v = 0; v < n; v++)
        src_remote |= is_source(g, v) && tier[v];
    ok &= u.send_input == src_remote;

    /* the remote's external inputs are exactly the user's sends */
    memset(seen, 0, n);
    int reads_input = 0;
    for (size_t i = 0; i < r.n; i++)
        seen[r.l[i].id] = 2; /* its own */
    for (size_t j = 0; j < r.n_ins; j++) {
        const uint32_t t = r.ins[j];
        if (t == OFEXEC_INPUT)
            reads_input = 1;
        else if (t < n && seen[t] != 2)
            seen[t] = 1; /* external */
    }
    ok &= reads_input == u.send_input;
    for (size_t i = 0; i < u.n; i++) {
        const uint32_t v = u.l[i].id;
        ok &= (seen[v] == 1) == ((u.l[i].flags & OFEXEC_F_SEND) != 0);
        seen[v] = 0;
    }
    for (size_t v = 0; v < n; v++)
        ok &= seen[v] != 1; /* an external input the user does not make */
    /* the user reads nothing from the remote (the split is monotone) */
    for (size_t j = 0; j < u.n_ins; j++)
        ok &= u.ins[j] == OFEXEC_INPUT || tier[u.ins[j]] == 0;

    T_CHECK(ok);
    if (!ok) {
        fprintf(stderr, "  split of %zu nodes, remote:", n);
        for (uint32_t v = 0; v < n; v++)
            if (tier[v])
                fprintf(stderr, " %u", v);
        fputc('\n', stderr);
    }

    /* the user's run, then the remote's with only what was sent */
    const uint64_t in_ident = ofexec_input_ident(seed);
    T_CHECK(run_plan(&u, ident, known, in_ident, 1) == 0);
    uint64_t *rid = calloc(n ? n : 1, sizeof *rid);
    uint8_t *rknown = calloc(n ? n : 1, 1);
    if (rid && rknown) {
        for (size_t i = 0; i < u.n; i++)
            if (u.l[i].flags & OFEXEC_F_SEND) {
                rid[u.l[i].id] = ident[u.l[i].id];
                rknown[u.l[i].id] = 1;
            }
        T_CHECK(run_plan(&r, rid, rknown, in_ident, u.send_input) == 0);
        int same = 1;
        for (size_t v = 0; v < n; v++)
            same &= tier[v] ? rknown[v] && rid[v] == local[v]
                            : known[v] && ident[v] == local[v];
        T_CHECK(same);
    } else {
        T_CHECK(!"out of memory");
    }
    free(rid);
    free(rknown);
out:
    free(pos);
    free(seen);
    free(ident);
    free(known);
    ofexec_free(&u);
    ofexec_free(&r);
    T_CHECK(u.l == NULL && u.ins == NULL && u.n == 0 && r.l == NULL);
}

/* Every monotone split of a small graph (tier 0 never reads tier 1):
 * those of every prefix of the order among them; returns how many. */
static unsigned all_splits(const struct mgraph *g, const uint32_t *order,
                           const double *fwd, uint64_t seed)
{
    uint64_t local[16];
    uint8_t tier[16];
    unsigned count = 0;
    T_CHECK(g->n <= 12);
    T_CHECK(ofexec_local(g, order, seed, local) == 0);
    for (unsigned m = 0; m < (1u << g->n); m++) {
        for (uint32_t v = 0; v < g->n; v++)
            tier[v] = (uint8_t)(m >> v & 1);
        int mono = 1;
        for (size_t e = 0; e < g->n_edges; e++)
            mono &= tier[g->edge[e][0]] <= tier[g->edge[e][1]];
        if (!mono)
            continue;
        check_split(g, order, fwd, tier, local, seed);
        count++;
    }
    return count;
}

/* A graph from an edge list over n nodes added in the order given by
 * `names` (so that the topological order is not the index order). */
static void build(struct mgraph *g, size_t n, const uint32_t (*edges)[2],
                  size_t ne, uint32_t *order)
{
    char name[32];
    mgraph_init(g);
    for (size_t v = 0; v < n; v++) {
        snprintf(name, sizeof name, "n%zu", v);
        T_CHECK(add(g, name, 1000.0 * (double)(v + 1)) == (long)v);
    }
    for (size_t e = 0; e < ne; e++)
        T_CHECK(mgraph_edge(g, edges[e][0], edges[e][1]) == 0);
    char err[128];
    T_CHECK(mgraph_topo(g, order, err, sizeof err) == 0);
}

static void test_small_graphs(void)
{
    /* a chain, written backwards: 4 -> 3 -> 2 -> 1 -> 0 */
    static const uint32_t chain[][2] = {{4, 3}, {3, 2}, {2, 1}, {1, 0}};
    /* a diamond: 0 -> 1, 0 -> 2, 1 -> 3, 2 -> 3 (3 reads 2 then 1) */
    static const uint32_t diamond[][2] = {{0, 2}, {0, 1}, {2, 3}, {1, 3}};
    /* two sources: 0 and 1 into 2, then 3 */
    static const uint32_t sources[][2] = {{1, 2}, {0, 2}, {2, 3}};
    /* two sinks: 0 -> 1 -> {2, 3} */
    static const uint32_t sinks[][2] = {{0, 1}, {1, 2}, {1, 3}};
    /* a skip edge, a sink in the middle: 0 -> 1 -> 2 -> 3, 0 -> 3,
     * 1 -> 4 (a sink), 5 a lone node (a source and a sink) */
    static const uint32_t skip[][2] = {{0, 1}, {1, 2}, {2, 3}, {0, 3}, {1, 4}};
    struct {
        const char *name;
        size_t n;
        const uint32_t (*e)[2];
        size_t ne;
        unsigned splits; /* monotone splits, counted by hand */
    } cases[] = {
        {"chain", 5, chain, 4, 6},         {"diamond", 4, diamond, 4, 6},
        {"two sources", 4, sources, 3, 6}, {"two sinks", 4, sinks, 3, 6},
        {"skip", 6, skip, 5, 2 * 8},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct mgraph g;
        uint32_t order[16];
        double fwd[16];
        build(&g, cases[c].n, cases[c].e, cases[c].ne, order);
        for (size_t v = 0; v < g.n; v++)
            fwd[v] = 0.5 * (double)v;
        const unsigned got = all_splits(&g, order, fwd, 42 + c);
        T_CHECK(got == cases[c].splits);
        if (got != cases[c].splits)
            fprintf(stderr, "  %s: %u splits\n", cases[c].name, got);
        mgraph_free(&g);
    }
}

/* The chain's order, its sinks' identities and a plan's shape by hand:
 * the user runs n0 n1, the remote n2 n3 (n1's output is sent). */
static void test_chain_by_hand(void)
{
    static const uint32_t chain[][2] = {{0, 1}, {1, 2}, {2, 3}};
    struct mgraph g;
    uint32_t order[4];
    build(&g, 4, chain, 3, order);
    const double fwd[4] = {1, 2, 3, 4};
    const uint8_t tier[4] = {0, 0, 1, 1};
    struct ofexec_plan u, r;
    T_CHECK(ofexec_build(&g, order, fwd, tier, &u, &r) == 0);
    T_CHECK(u.n == 2 && r.n == 2 && u.n_ins == 2 && r.n_ins == 2);
    T_CHECK(u.l[0].id == 0 && u.l[1].id == 1 && r.l[0].id == 2 &&
            r.l[1].id == 3);
    T_CHECK(u.ins[0] == OFEXEC_INPUT && u.ins[1] == 0 && r.ins[0] == 1 &&
            r.ins[1] == 2);
    T_CHECK(u.l[0].flags == 0 && u.l[1].flags == OFEXEC_F_SEND &&
            r.l[0].flags == 0 && r.l[1].flags == OFEXEC_F_SEND);
    T_CHECK(u.send_input == 0);
    T_CHECK(r.l[1].work_ms == 4 && r.l[1].out_bytes == 4000);
    uint64_t id[4];
    T_CHECK(ofexec_local(&g, order, 7, id) == 0);
    uint64_t x = ofexec_input_ident(7);
    for (uint32_t v = 0; v < 4; v++) {
        x = ofexec_ident(v, &x, 1);
        T_CHECK(id[v] == x);
    }
    /* another seed: every identity changes */
    uint64_t id2[4];
    T_CHECK(ofexec_local(&g, order, 8, id2) == 0);
    for (uint32_t v = 0; v < 4; v++)
        T_CHECK(id2[v] != id[v]);
    T_CHECK(ofexec_is_sink(&g, 3) && !ofexec_is_sink(&g, 2));
    ofexec_free(&u);
    ofexec_free(&r);
    mgraph_free(&g);
}

static void test_yolov3_tiny(void)
{
    const char *dir = getenv("WATTSON_SHARED_DATA");
    char path[512], err[256] = "";
    snprintf(path, sizeof path, "%s/darknet-cfg/yolov3-tiny.cfg",
             dir ? dir : ".");
    FILE *f = fopen(path, "r");
    if (!f) {
        t_skip("%s: not found (WATTSON_SHARED_DATA)", path);
        return;
    }
    fclose(f);
    struct pmodel m;
    const int rc = pmodel_load(&m, path, err, sizeof err);
    T_CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        pmodel_free(&m);
        return;
    }
    const size_t n = m.g.n;
    double *fwd = calloc(n, sizeof *fwd);
    uint64_t *local = calloc(n, sizeof *local);
    uint8_t *tier = calloc(n, 1);
    double in_bytes = 0;
    T_CHECK(fwd && local && tier);
    if (fwd && local && tier) {
        T_CHECK(pmodel_infer_work(&m.g, fwd, &in_bytes) == 0);
        T_CHECK(n > 20 && in_bytes > 0);
        T_CHECK(ofexec_local(&m.g, m.order, 1234, local) == 0);
        /* every prefix of the order: p = 0 all-remote, p = n all-local */
        for (size_t p = 0; p <= n; p++) {
            for (size_t k = 0; k < n; k++)
                tier[m.order[k]] = k >= p;
            check_split(&m.g, m.order, fwd, tier, local, 1234);
        }
        /* the sinks' identities are distinct (two YOLO heads) */
        int sinks = 0;
        uint64_t first = 0;
        for (uint32_t v = 0; v < n; v++)
            if (ofexec_is_sink(&m.g, v)) {
                T_CHECK(sinks == 0 || local[v] != first);
                first = local[v];
                sinks++;
            }
        T_CHECK(sinks == 2);
    }
    free(fwd);
    free(local);
    free(tier);
    pmodel_free(&m);
}

static void test_ident(void)
{
    uint64_t st = 0x9e3779b97f4a7c15ull;
    int ok = 1;
    for (int trial = 0; trial < 1000; trial++) {
        uint64_t in[5];
        const size_t n = 1 + (size_t)(t_unif(&st) * 5);
        const uint32_t id = (uint32_t)(t_unif(&st) * 65536);
        for (size_t i = 0; i < n; i++)
            in[i] = (uint64_t)(t_unif(&st) * 18446744073709551616.0);
        const uint64_t h = ofexec_ident(id, in, n);
        ok &= ofexec_ident(id, in, n) == h; /* deterministic */
        ok &= ofexec_ident(id + 1, in, n) != h;
        for (size_t i = 0; i < n; i++) {
            const uint64_t save = in[i];
            in[i] ^= 1ull << (unsigned)(t_unif(&st) * 64);
            ok &= ofexec_ident(id, in, n) != h;
            in[i] = save;
        }
        if (n >= 2) {
            /* the order matters */
            uint64_t sw[5];
            memcpy(sw, in, sizeof sw);
            sw[0] = in[1];
            sw[1] = in[0];
            ok &= in[0] == in[1] || ofexec_ident(id, sw, n) != h;
            /* and the count: one input fewer */
            ok &= ofexec_ident(id, in, n - 1) != h;
        }
    }
    T_CHECK(ok);
    /* the same identity twice, in either place, is not cancelled out */
    const uint64_t a[2] = {5, 5}, b[2] = {6, 6};
    T_CHECK(ofexec_ident(3, a, 2) != ofexec_ident(3, b, 2));
    T_CHECK(ofexec_ident(3, a, 2) != ofexec_ident(3, a, 1));
    T_CHECK(ofexec_ident(3, NULL, 0) != ofexec_ident(4, NULL, 0));
    T_CHECK(ofexec_input_ident(1) != ofexec_input_ident(2));
}

static void test_digest(void)
{
    enum { MIB = 1 << 20 };
    unsigned char *b = malloc(MIB + 64);
    T_CHECK(b != NULL);
    if (!b)
        return;
    uint64_t st = 12345;
    for (size_t i = 0; i < MIB; i++)
        b[i] = (unsigned char)(t_unif(&st) * 256);
    const uint64_t d = ofexec_digest(b, MIB);
    T_CHECK(ofexec_digest(b, MIB) == d);
    int ok = 1;
    for (int k = 0; k < 1000; k++) {
        const size_t at = (size_t)(t_unif(&st) * MIB);
        const unsigned char bit = (unsigned char)(1u << (int)(t_unif(&st) * 8));
        b[at] ^= bit;
        ok &= ofexec_digest(b, MIB) != d;
        b[at] ^= bit;
    }
    T_CHECK(ok);
    /* a length that ends in a partial block: the tail's bytes count,
     * those past the length do not */
    const size_t tn = MIB - 3;
    const uint64_t td = ofexec_digest(b, tn);
    ok = 1;
    for (size_t at = MIB - 40; at < MIB; at++) {
        b[at] ^= 0x80;
        ok &= (ofexec_digest(b, tn) != td) == (at < tn);
        b[at] ^= 0x80;
    }
    T_CHECK(ok);
    T_CHECK(ofexec_digest(b, MIB) == d);

    /* every bit of every short buffer, tails of every length */
    ok = 1;
    for (size_t n = 1; n <= 100; n++) {
        const uint64_t h = ofexec_digest(b, n);
        for (size_t i = 0; i < n; i++)
            for (int j = 0; j < 8; j++) {
                b[i] ^= (unsigned char)(1u << j);
                ok &= ofexec_digest(b, n) != h;
                b[i] ^= (unsigned char)(1u << j);
            }
    }
    T_CHECK(ok);

    /* the length: trailing zeros change it */
    memset(b + MIB, 0, 64);
    ok = 1;
    for (size_t k = 1; k <= 64; k++)
        ok &= ofexec_digest(b, MIB + k) != d;
    T_CHECK(ok);
    memset(b, 0, 256);
    uint64_t z[257];
    for (size_t n = 0; n <= 256; n++)
        z[n] = ofexec_digest(b, n);
    ok = 1;
    for (size_t i = 0; i <= 256; i++)
        for (size_t j = i + 1; j <= 256; j++)
            ok &= z[i] != z[j];
    T_CHECK(ok);
    free(b);
}

int main(void)
{
    test_small_graphs();
    test_chain_by_hand();
    test_yolov3_tiny();
    test_ident();
    test_digest();
    return t_done("test_ofexec");
}
