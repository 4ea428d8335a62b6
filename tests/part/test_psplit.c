/*
 * test_psplit - split inference over a chain of tiers
 * (console/part/psplit.c): on hundreds of seeded random DAGs of up to 12
 * layers, 2-4 tiers, random work, activation sizes, speeds and extreme
 * bandwidths and latencies, the minimum cut equals brute force over every
 * assignment (the objective written out again here, independently of
 * psplit_eval); the chain scan is never better and equals it on chains;
 * the scan's programme equals listing every tuple of boundaries; a
 * hand-worked diamond gives its objective and critical path; bad input
 * and a non-monotone assignment are refused with one line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/psplit.h"
#include "t.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static double unif(void)
{
    return t_unif(&rng);
}

#define MAXN 12
static struct psplit_tier tiers[PSPLIT_MAX_TIERS];
static double bw[PSPLIT_MAX_TIERS], lat[PSPLIT_MAX_TIERS], work[MAXN];
static uint32_t order[MAXN];

/* The objective from its definition (psplit.h), INFINITY when the
 * assignment is not monotone. */
static double ref_obj(const struct psplit_in *in, const uint8_t *t)
{
    const struct mgraph *g = in->g;
    double s = 0;
    size_t far_src = 0;
    for (size_t v = 0; v < g->n; v++) {
        s += work[v] * in->scale / in->tier[t[v]].speed;
        size_t far = t[v], readers = 0;
        const double b = g->node[v].act_bytes > 0 ? g->node[v].act_bytes : 0;
        for (size_t e = 0; e < g->n_edges; e++) {
            if (g->edge[e][0] != v)
                continue;
            readers++;
            const uint8_t tw = t[g->edge[e][1]];
            if (tw < t[v])
                return INFINITY;
            if (tw > far)
                far = tw;
        }
        for (size_t i = t[v]; i < far; i++)
            s += (b / bw[i] + lat[i]) * 1e3;
        int source = 1;
        for (size_t e = 0; e < g->n_edges; e++)
            source &= g->edge[e][1] != v;
        if (source && t[v] > far_src)
            far_src = t[v];
        if (!readers && in->out_home)
            for (size_t i = 0; i < t[v]; i++)
                s += (b / bw[i] + lat[i]) * 1e3;
    }
    for (size_t i = 0; i < far_src; i++)
        s += (in->in_bytes / bw[i] + lat[i]) * 1e3;
    return s;
}

static double brute(const struct psplit_in *in)
{
    const size_t n = in->g->n, T = in->ntiers;
    uint8_t t[MAXN] = {0};
    double best = INFINITY;
    for (;;) {
        const double x = ref_obj(in, t);
        if (x < best)
            best = x;
        size_t k = 0;
        while (k < n && ++t[k] == T)
            t[k++] = 0;
        if (k == n)
            break;
    }
    return best;
}

/* Every non-decreasing tuple of boundaries of the order, evaluated. */
static double scan_tuples(const struct psplit_in *in)
{
    const size_t n = in->g->n, T = in->ntiers;
    size_t b[PSPLIT_MAX_TIERS + 1] = {0};
    b[T] = n;
    double best = INFINITY;
    for (;;) {
        uint8_t t[MAXN];
        for (size_t s = 0; s < T; s++)
            for (size_t k = b[s]; k < b[s + 1]; k++)
                t[order[k]] = (uint8_t)s;
        struct psplit_cost c;
        char err[200];
        if (psplit_eval(in, t, &c, NULL, err, sizeof err) != 0) {
            fprintf(stderr, "scan tuple refused: %s\n", err);
            return NAN;
        }
        if (c.total_ms < best)
            best = c.total_ms;
        /* next tuple: b[1..T-1] non-decreasing in [0, n] */
        size_t k = T - 1;
        while (k >= 1 && b[k] == n)
            k--;
        if (k == 0)
            break;
        b[k]++;
        for (size_t j = k + 1; j < T; j++)
            b[j] = b[k];
    }
    return best;
}

/* mostly rates where compute and transfers compete, and the extremes:
 * 100 B/s, 1 TB/s, half a second */
static const double bw_choice[] = {1e2, 1e6, 3e6, 1e7, 3e7, 1e8, 1e9, 1e12};
static const double lat_choice[] = {0, 1e-6, 1e-3, 5e-3, 0.02, 0.5};

static void random_case(struct mgraph *g, size_t n, size_t T, int chain,
                        struct psplit_in *in)
{
    mgraph_init(g);
    /* node indices permuted so that the order is not the index order */
    uint32_t perm[MAXN];
    for (size_t i = 0; i < n; i++)
        perm[i] = (uint32_t)i;
    for (size_t i = n; i > 1; i--) {
        const size_t j = (size_t)(unif() * (double)i);
        const uint32_t x = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = x;
    }
    /* half the cases like a vision net (Neurosurgeon's observation):
     * activations shrink along the order, tiers get faster away from the
     * user, so the optimum often splits; the others anything */
    const int cnn = unif() < 0.5;
    uint32_t rank[MAXN]; /* node i's place in the edges' order */
    for (size_t a = 0; a < n; a++)
        rank[perm[a]] = (uint32_t)a;
    for (size_t i = 0; i < n; i++) {
        struct mgraph_node nd = {0};
        snprintf(nd.name, sizeof nd.name, "L%zu", i);
        const double r = unif();
        nd.act_bytes = r < 0.1    ? 0
                       : r < 0.15 ? NAN
                       : cnn ? 2e6 * pow(1 - (double)rank[i] / (double)n, 3) *
                                   (0.5 + unif())
                             : 1e6 * pow(unif(), 3);
        mgraph_add(g, &nd);
        work[i] = unif() < 0.1 ? 0 : 50 * unif();
    }
    const double p = 0.15 + 0.5 * unif();
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (chain ? b == a + 1 : unif() < p)
                mgraph_edge(g, perm[a], perm[b]);
    char err[200];
    mgraph_topo(g, order, err, sizeof err);
    for (size_t t = 0; t < T; t++) {
        snprintf(tiers[t].name, sizeof tiers[t].name, "t%zu", t);
        tiers[t].speed = unif() < 0.05 ? 1000
                         : cnn && t    ? tiers[t - 1].speed * (1 + 4 * unif())
                                       : 0.2 + 2 * unif();
    }
    for (size_t i = 0; i + 1 < T; i++) {
        /* the vision-like cases on the middle rates and latencies */
        bw[i] =
            bw_choice[cnn ? 1 + (size_t)(unif() * 5) : (size_t)(unif() * 8)] *
            (0.5 + unif());
        lat[i] = lat_choice[(size_t)(unif() * (cnn ? 4 : 6))];
    }
    *in = (struct psplit_in){.g = g,
                             .order = order,
                             .work_ms = work,
                             .scale = 0.5 + unif(),
                             .ntiers = T,
                             .tier = tiers,
                             .bw = bw,
                             .lat = lat,
                             .in_bytes = unif() < 0.2 ? 0 : 3e6 * unif(),
                             .out_home = unif() < 0.8};
}

static int rel_eq(double a, double b)
{
    return fabs(a - b) <= 1e-9 * fmax(fabs(a), fabs(b)) + 1e-12;
}

static void test_random(void)
{
    int bad_cut = 0, bad_scan = 0, bad_tuples = 0, bad_chain = 0;
    int mixed = 0, dag_gap = 0, cases = 0;
    for (int k = 0; k < 600; k++) {
        const size_t T = 2 + (size_t)k % 3;
        const size_t maxn = T == 2 ? 12 : T == 3 ? 10 : 8;
        const size_t n = 1 + (size_t)(unif() * (double)maxn);
        const int chain = k % 5 == 0;
        struct mgraph g;
        struct psplit_in in;
        random_case(&g, n, T, chain, &in);
        uint8_t ts[MAXN], tc[MAXN];
        struct psplit_cost cs, cc;
        char err[200];
        if (psplit_solve(&in, ts, &cs, err, sizeof err) != 0 ||
            psplit_scan(&in, tc, &cc, err, sizeof err) != 0) {
            fprintf(stderr, "case %d: %s\n", k, err);
            bad_cut++;
            mgraph_free(&g);
            continue;
        }
        cases++;
        const double opt = brute(&in);
        if (!rel_eq(cs.total_ms, opt) || !rel_eq(ref_obj(&in, ts), opt)) {
            fprintf(stderr, "case %d (n %zu, T %zu): cut %.17g, brute %.17g\n",
                    k, n, T, cs.total_ms, opt);
            bad_cut++;
        }
        if (cc.total_ms < opt * (1 - 1e-9) - 1e-12 ||
            !rel_eq(ref_obj(&in, tc), cc.total_ms))
            bad_scan++;
        if (!rel_eq(scan_tuples(&in), cc.total_ms)) {
            fprintf(stderr, "case %d: scan %.17g, tuples %.17g\n", k,
                    cc.total_ms, scan_tuples(&in));
            bad_tuples++;
        }
        if (chain && !rel_eq(cc.total_ms, cs.total_ms))
            bad_chain++;
        if (!chain && cc.total_ms > cs.total_ms * (1 + 1e-6))
            dag_gap++;
        size_t used = 0;
        for (size_t t = 0; t < T; t++)
            used += cs.layers[t] > 0;
        mixed += used >= 2;
        mgraph_free(&g);
    }
    T_CHECK(bad_cut == 0);
    T_CHECK(bad_scan == 0);
    T_CHECK(bad_tuples == 0);
    T_CHECK(bad_chain == 0);
    /* the cases exercise what they claim: optima that split the layers,
     * and DAGs where a contiguous split of the order is worse */
    T_CHECK(mixed > cases / 8);
    T_CHECK(dag_gap > 0);
    fprintf(stderr,
            "%d cases, %d optima over several tiers, %d DAGs where "
            "the scan is worse\n",
            cases, mixed, dag_gap);
}

/* a -> b, a -> c, b -> d, c -> d; 2 tiers of speeds 1 and 2; the link
 * 1000 B/s and 1 ms, so a message of B bytes takes B + 1 ms. */
static void diamond(struct mgraph *g, struct psplit_in *in)
{
    static const double w[] = {2, 4, 6, 2}, act[] = {1, 2, 3, 0};
    mgraph_init(g);
    for (int i = 0; i < 4; i++) {
        struct mgraph_node nd = {0};
        snprintf(nd.name, sizeof nd.name, "%c", 'a' + i);
        nd.act_bytes = act[i];
        mgraph_add(g, &nd);
        work[i] = w[i];
    }
    mgraph_edge(g, 0, 1);
    mgraph_edge(g, 0, 2);
    mgraph_edge(g, 1, 3);
    mgraph_edge(g, 2, 3);
    char err[100];
    mgraph_topo(g, order, err, sizeof err);
    snprintf(tiers[0].name, sizeof tiers[0].name, "phone");
    tiers[0].speed = 1;
    snprintf(tiers[1].name, sizeof tiers[1].name, "cloud");
    tiers[1].speed = 2;
    bw[0] = 1000;
    lat[0] = 1e-3;
    *in = (struct psplit_in){g, order, work, 1, 2, tiers, bw, lat, 5, 1};
}

static void test_diamond(void)
{
    struct mgraph g;
    struct psplit_in in;
    diamond(&g, &in);
    const uint8_t t[4] = {0, 0, 1, 1};
    uint8_t crit[4];
    struct psplit_cost c;
    char err[200];
    T_CHECK(psplit_eval(&in, t, &c, crit, err, sizeof err) == 0);
    /* compute 2 + 4 on the phone, 3 + 1 in the cloud; a's output to c
     * (2 ms), b's to d (3 ms), d's result home (1 ms) */
    T_NEAR(c.compute_ms[0], 6, 1e-12);
    T_NEAR(c.compute_ms[1], 4, 1e-12);
    T_NEAR(c.link_ms[0], 6, 1e-12);
    T_NEAR(c.link_bytes[0], 3, 1e-12);
    T_NEAR(c.out_ms, 1, 1e-12);
    T_NEAR(c.in_ms, 0, 0);
    T_NEAR(c.total_ms, 16, 1e-12);
    /* a 0-2, b 2-6, c 4-7, d from max(6 + 3, 7) = 9 to 10, home at 11 */
    T_NEAR(c.critical_ms, 11, 1e-12);
    T_CHECK(crit[0] && crit[1] && !crit[2] && crit[3]);
    T_CHECK(c.crit_layers[0] == 2 && c.crit_layers[1] == 1);
    T_CHECK(c.layers[0] == 2 && c.layers[1] == 2);

    /* everything in the cloud: 7 ms of compute, the input (6 ms) and the
     * result (1 ms) */
    const uint8_t r[4] = {1, 1, 1, 1};
    T_CHECK(psplit_eval(&in, r, &c, NULL, err, sizeof err) == 0);
    T_NEAR(c.total_ms, 14, 1e-12);
    T_NEAR(c.in_ms, 6, 1e-12);
    T_NEAR(c.critical_ms, 6 + 1 + 3 + 1 + 1, 1e-12);

    /* the optimum is no worse than either and the scan agrees here: the
     * layers' order a b c d makes every monotone split contiguous but
     * a,c remote with b local, which a->b forbids anyway */
    uint8_t ts[4];
    struct psplit_cost cs, cc;
    T_CHECK(psplit_solve(&in, ts, &cs, err, sizeof err) == 0);
    T_CHECK(cs.total_ms <= 14 + 1e-12);
    T_CHECK(psplit_scan(&in, ts, &cc, err, sizeof err) == 0);
    T_CHECK(cc.total_ms >= cs.total_ms - 1e-12);

    /* not monotone: c in the cloud feeding d on the phone */
    const uint8_t bad[4] = {0, 0, 1, 0};
    T_CHECK(psplit_eval(&in, bad, &c, NULL, err, sizeof err) == -1);
    T_STREQ(err, "layer d on phone reads c on cloud, further from the user");
    const uint8_t off[4] = {0, 0, 0, 2};
    T_CHECK(psplit_eval(&in, off, &c, NULL, err, sizeof err) == -1);
    T_STREQ(err, "layer d: tier 2 of 2");
    mgraph_free(&g);
}

static void test_bad(void)
{
    struct mgraph g;
    struct psplit_in in;
    diamond(&g, &in);
    uint8_t t[4];
    struct psplit_cost c;
    char err[200];
    in.ntiers = 1;
    T_CHECK(psplit_solve(&in, t, &c, err, sizeof err) == -1);
    T_STREQ(err, "1 tiers: 2 to 8");
    in.ntiers = 9;
    T_CHECK(psplit_scan(&in, t, &c, err, sizeof err) == -1);
    T_STREQ(err, "9 tiers: 2 to 8");
    in.ntiers = 2;
    tiers[1].speed = 0;
    T_CHECK(psplit_solve(&in, t, &c, err, sizeof err) == -1);
    T_STREQ(err, "tier cloud: speed 0 is not > 0");
    tiers[1].speed = 2;
    bw[0] = 0;
    T_CHECK(psplit_solve(&in, t, &c, err, sizeof err) == -1);
    T_STREQ(err, "link phone -> cloud: bandwidth 0 is not > 0");
    bw[0] = 1e3;
    lat[0] = -1;
    T_CHECK(psplit_solve(&in, t, &c, err, sizeof err) == -1);
    T_STREQ(err, "link phone -> cloud: latency -1 is not >= 0");
    lat[0] = 0;
    work[2] = NAN;
    T_CHECK(psplit_solve(&in, t, &c, err, sizeof err) == -1);
    T_STREQ(err, "layer c: work nan ms is not >= 0");
    work[2] = 6;
    in.scale = 0;
    T_CHECK(psplit_solve(&in, t, &c, err, sizeof err) == -1);
    T_STREQ(err, "scale 0 is not > 0");
    mgraph_free(&g);
}

/* No layers: nothing to place, nothing to pay. */
static void test_empty(void)
{
    struct mgraph g;
    mgraph_init(&g);
    struct psplit_in in = {&g, order, work, 1, 3, tiers, bw, lat, 100, 1};
    tiers[0].speed = tiers[1].speed = tiers[2].speed = 1;
    bw[0] = bw[1] = 1;
    lat[0] = lat[1] = 0;
    uint8_t t[1];
    struct psplit_cost c;
    char err[100];
    T_CHECK(psplit_solve(&in, t, &c, err, sizeof err) == 0);
    T_NEAR(c.total_ms, 0, 0);
    T_CHECK(psplit_scan(&in, t, &c, err, sizeof err) == 0);
    T_NEAR(c.total_ms, 0, 0);
}

int main(void)
{
    test_random();
    test_diamond();
    test_bad();
    test_empty();
    return t_done("test_psplit");
}
