/*
 * mbench - see mbench.h.
 *
 * Each lab runs four ways from the same seed: the agents as fixed-nominal
 * regulators, as perturb-and-observe hill climbers and as Q-learners
 * (engines/qmesh.h), and the grid optimum.  The run: STEADY steps from a
 * cold start, then node `fail` fails for FAIL_LEN steps, then the module
 * on node `swap` is replaced by one of another type, then SWAP_LEN steps.
 *
 * The grid optimum: the tie switches are open outside failover, so each
 * node's bus is its own and a node's performance per input watt depends
 * on its own duty only; for each node every duty on a grid a quarter of
 * the agents' step fine across its module's range is evaluated in the
 * noise-free simulator (mesh_steady), keeping the best with an error rate
 * at most err_ok, then refined at a sixty-fourth of a step around it.
 * The curve is smooth and single-peaked at that scale, so no duty beats
 * it by more than the curve's change over 1/64 step; it is the best of each
 * node alone, which a type's total reaches only if every node of the type does.
 */
#include "mbench.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "cmd/cli.h"
#include "engines/qmesh.h"
#include "mesh/mesh.h"

#define MBENCH_STEADY 1500
#define MBENCH_FAIL_LEN 100
#define MBENCH_GAP 50
#define MBENCH_SWAP_LEN 1000
#define MBENCH_WIN 200 /* the steady window the figures average */
#define MBENCH_MA 20   /* moving average for "within 1 %" */
#define MBENCH_DT 0.01

struct mbench_lab {
    const char *name;
    unsigned n;
    unsigned cols; /* grid: columns; 0: a ring */
    double rtie;
    const char *types[MESH_MAX_NODES];
    unsigned fail, swap;
    const char *swap_to;
};

static const struct mbench_lab mbench_labs[] = {
    {"grid3x3",
     9,
     3,
     10e-3,
     {"cpu", "gpu", "fpga", "gpu", "cpu", "gpu", "fpga", "gpu", "cpu"},
     4,
     2,
     "gpu"},
    {"ring12",
     12,
     0,
     15e-3,
     {"cpu", "gpu", "fpga", "cpu", "gpu", "fpga", "cpu", "gpu", "fpga", "cpu",
      "gpu", "fpga"},
     5,
     9,
     "cpu"},
};

static int mbench_build(const struct mbench_lab *L, struct mesh *m,
                        struct qmesh *q, const struct qmesh_cfg *c)
{
    if (mesh_init(m, L->n, MBENCH_DT, 7) != MESH_OK)
        return -1;
    if (q && qmesh_init(q, L->n, c, 11) != 0)
        return -1;
    for (unsigned i = 0; i < L->n; i++) {
        unsigned nb[2], k = 0;
        if (L->cols) {
            if ((i + 1) % L->cols)
                nb[k++] = i + 1;
            if (i + L->cols < L->n)
                nb[k++] = i + L->cols;
        } else {
            nb[k++] = (i + 1) % L->n;
        }
        for (unsigned j = 0; j < k; j++) {
            int li = mesh_link(m, i, nb[j], L->rtie, 0);
            if (li < 0 || (q && qmesh_neighbours(q, i, nb[j], (unsigned)li,
                                                 L->rtie) != 0))
                return -1;
        }
        const struct cmod_type *t = cmod_preset(L->types[i]);
        if (mesh_attach(m, i, t, t->name, 30) < 0)
            return -1;
        mesh_set_duty(m, i, conv_duty(&m->node[i].conv, t->vnom));
        if (q && qmesh_attach(q, i, t->name, t->vmin, t->vmax, t->vnom) != 0)
            return -1;
    }
    return mesh_connected(m) ? 0 : -1;
}

static double mbench_dvdd(const struct mesh_node *nd)
{
    const double h = 1e-6;
    return (conv_vset(&nd->conv, nd->duty + h) -
            conv_vset(&nd->conv, nd->duty)) /
           h;
}

static void mbench_obs(const struct mesh *m, const struct qmesh *q,
                       struct qmesh_obs *o)
{
    for (unsigned i = 0; i < m->n; i++) {
        const struct mesh_node *nd = &m->node[i];
        o[i] =
            (struct qmesh_obs){nd->rd.valid,    nd->rd.v,
                               nd->rd.i_mod,    nd->rd.i_conv,
                               nd->rd.p_in,     nd->rd.perf,
                               nd->rd.err,      nd->duty,
                               mbench_dvdd(nd), conv_vset(&nd->conv, nd->duty),
                               nd->rd.ilim,     {0}};
        for (unsigned k = 0; k < q->ag[i].nnbr; k++) {
            const unsigned l = q->ag[i].link[k];
            o[i].vnbr[k] = m->tie_v[l][m->net.link[l].a == i ? 1 : 0];
        }
    }
}

/* Node i's best performance per watt over the duty grid (see the top):
 * exhaustive at a quarter step, then at a sixty-fourth of a step within a
 * quarter step of the best; its duty in *dbest.  The node's duty is left
 * as it was. */
static double mbench_opt_node(struct mesh *m, unsigned i, double err_ok,
                              double dstep, double *dbest)
{
    struct mesh_node *nd = &m->node[i];
    const struct cmod_type *t = nd->mod[0].type;
    const double keep = nd->duty;
    double best = 0, lo = conv_duty(&nd->conv, t->vmin),
           hi = conv_duty(&nd->conv, t->vmax + 0.05), h = dstep / 4;
    *dbest = keep;
    for (int pass = 0; pass < 2; pass++) {
        for (double d = lo; d <= hi; d += h) {
            mesh_set_duty(m, i, d);
            if (mesh_steady(m) != MESH_OK)
                continue;
            if (nd->v < t->vmin || nd->v > t->vmax || nd->err > err_ok)
                continue;
            const double e = nd->p_in > 0 ? nd->perf / nd->p_in : 0;
            if (e > best) {
                best = e;
                *dbest = d;
            }
        }
        lo = *dbest - h;
        hi = *dbest + h;
        h = dstep / 64;
    }
    mesh_set_duty(m, i, keep);
    return best;
}

struct mbench_res {
    double eff[3], opt[3]; /* per type (preset index) */
    double ripple[3];      /* mV */
    long within[3];        /* steps to within 1 %, -1 never */
    int present[3];
    long rec_fail, rec_swap; /* steps, -1: not within the window */
    double vmargin;          /* mV, min during failover */
    unsigned brownouts, collapses;
    unsigned resweeps, false_ties; /* ties closed with no node failed */
    unsigned long sent, lost;
};

static unsigned mbench_tix(const struct cmod_type *t)
{
    for (unsigned k = 0; cmod_preset_at(k); k++)
        if (cmod_preset_at(k) == t)
            return k;
    return 0;
}

static int mbench_run(const struct mbench_lab *L, enum qmesh_mode mode,
                      const double *optn, double optswap, struct mbench_res *r)
{
    static struct mesh m;
    static struct qmesh q;
    static double hist_perf[3][MBENCH_STEADY], hist_pin[3][MBENCH_STEADY];
    static double vwin[MESH_MAX_NODES][MBENCH_WIN];
    struct qmesh_cfg c;
    qmesh_defaults(&c);
    c.mode = mode;
    memset(r, 0, sizeof *r);
    if (mbench_build(L, &m, &q, &c) != 0) {
        qmesh_free(&q);
        return -1;
    }
    struct qmesh_obs obs[MESH_MAX_NODES];
    static struct qmesh_out out;
    const long total =
        MBENCH_STEADY + MBENCH_FAIL_LEN + MBENCH_GAP + MBENCH_SWAP_LEN;
    double perf_before = 0, ma = 0;
    r->rec_fail = r->rec_swap = -1;
    r->vmargin = INFINITY;
    memset(hist_perf, 0, sizeof hist_perf);
    memset(hist_pin, 0, sizeof hist_pin);
    double swap_perf[MBENCH_MA] = {0};
    for (long t = 0; t < total; t++) {
        const long tf = MBENCH_STEADY, ts = tf + MBENCH_FAIL_LEN + MBENCH_GAP;
        if (t == tf)
            mesh_fail(&m, L->fail, 1);
        if (t == tf + MBENCH_FAIL_LEN)
            mesh_fail(&m, L->fail, 0);
        if (t == ts) {
            const struct cmod_type *nt = cmod_preset(L->swap_to);
            mesh_detach(&m, L->swap, 0);
            mesh_attach(&m, L->swap, nt, "swapped", 30);
            qmesh_attach(&q, L->swap, "swapped", nt->vmin, nt->vmax, nt->vnom);
        }
        if (mesh_step(&m) != MESH_OK)
            r->collapses++;
        r->brownouts += m.brownout;
        if (t < tf || t >= tf + MBENCH_FAIL_LEN + 5)
            for (unsigned k = 0; k < m.net.nl; k++)
                r->false_ties += (unsigned)out.tie_close[k];
        mbench_obs(&m, &q, obs);
        qmesh_step(&q, obs, &out);
        for (unsigned i = 0; i < L->n; i++)
            mesh_set_duty(&m, i, out.duty[i]);
        for (unsigned k = 0; k < m.net.nl; k++)
            mesh_tie(&m, k, out.tie_close[k]);
        if (t < tf) {
            for (unsigned i = 0; i < L->n; i++) {
                const unsigned x = mbench_tix(m.node[i].mod[0].type);
                hist_perf[x][t] += m.node[i].perf;
                hist_pin[x][t] += m.node[i].p_in;
                r->present[x] = 1;
                if (t >= tf - MBENCH_WIN)
                    vwin[i][t - (tf - MBENCH_WIN)] = m.node[i].v;
            }
            if (t >= tf - 50)
                perf_before += m.perf / 50;
        } else if (t < tf + MBENCH_FAIL_LEN) {
            if (m.vmargin * 1e3 < r->vmargin)
                r->vmargin = m.vmargin * 1e3;
            if (r->rec_fail < 0 && m.perf >= 0.99 * perf_before)
                r->rec_fail = t - tf + 1;
        } else if (t >= ts) {
            const struct mesh_node *nd = &m.node[L->swap];
            const double e = nd->p_in > 0 ? nd->perf / nd->p_in : 0;
            ma += (e - swap_perf[(t - ts) % MBENCH_MA]) / MBENCH_MA;
            swap_perf[(t - ts) % MBENCH_MA] = e;
            if (r->rec_swap < 0 && t - ts >= MBENCH_MA - 1 &&
                ma >= 0.99 * optswap)
                r->rec_swap = t - ts + 1;
        }
    }
    for (unsigned i = 0; i < L->n; i++)
        r->resweeps += q.ag[i].sweeps > 1 ? q.ag[i].sweeps - 1 : 0;
    r->sent = q.sent;
    r->lost = q.lost;
    qmesh_free(&q);
    /* per type: the window's figures, the time to within 1 % */
    for (unsigned x = 0; x < 3; x++) {
        if (!r->present[x])
            continue;
        double sp = 0, sw = 0, on = 0, op = 0;
        for (long t = MBENCH_STEADY - MBENCH_WIN; t < MBENCH_STEADY; t++) {
            sp += hist_perf[x][t];
            sw += hist_pin[x][t];
        }
        r->eff[x] = sp / sw;
        unsigned cnt = 0;
        double rip = 0;
        for (unsigned i = 0; i < L->n; i++) {
            if (mbench_tix(cmod_preset(L->types[i])) != x)
                continue;
            double mu = 0, var = 0;
            for (unsigned k = 0; k < MBENCH_WIN; k++)
                mu += vwin[i][k] / MBENCH_WIN;
            for (unsigned k = 0; k < MBENCH_WIN; k++)
                var += (vwin[i][k] - mu) * (vwin[i][k] - mu) / MBENCH_WIN;
            rip += sqrt(var) * 1e3;
            cnt++;
            /* the optimum's perf and power, summed like the runs' */
            on += optn[2 * i];
            op += optn[2 * i + 1];
        }
        r->ripple[x] = cnt ? rip / cnt : 0;
        r->opt[x] = op > 0 ? on / op : 0;
        /* the last step from which the moving average stays within 1 % */
        r->within[x] = -1;
        for (long t = MBENCH_STEADY - 1; t >= MBENCH_MA; t--) {
            double a = 0, b = 0;
            for (long k = t - MBENCH_MA + 1; k <= t; k++) {
                a += hist_perf[x][k];
                b += hist_pin[x][k];
            }
            if (!(b > 0) || a / b < 0.99 * r->opt[x])
                break;
            r->within[x] = t + 1;
        }
    }
    return 0;
}

/* The optimum of every node of lab L: optn[2i], optn[2i+1] = its perf and
 * input power there; and of the swapped-in module on its node. */
static int mbench_optimum(const struct mbench_lab *L, double *optn,
                          double *optswap)
{
    static struct mesh m;
    struct qmesh_cfg c;
    qmesh_defaults(&c);
    if (mbench_build(L, &m, NULL, &c) != 0)
        return -1;
    m.noise = 0;
    for (unsigned i = 0; i < L->n; i++) {
        double d = 0;
        if (!(mbench_opt_node(&m, i, c.err_ok, c.dstep, &d) > 0))
            return -1;
        mesh_set_duty(&m, i, d);
    }
    mesh_steady(&m);
    for (unsigned i = 0; i < L->n; i++) {
        optn[2 * i] = m.node[i].perf;
        optn[2 * i + 1] = m.node[i].p_in;
    }
    mesh_detach(&m, L->swap, 0);
    mesh_attach(&m, L->swap, cmod_preset(L->swap_to), "swapped", 30);
    double d = 0;
    *optswap = mbench_opt_node(&m, L->swap, c.err_ok, c.dstep, &d);
    return *optswap > 0 ? 0 : -1;
}

/* The agents' step on an 8 x 8 grid: ns per tick. */
static double mbench_cost(double *plant_ns)
{
    static struct mesh m;
    static struct qmesh q;
    static struct qmesh_out out;
    struct qmesh_cfg c;
    qmesh_defaults(&c);
    struct mbench_lab L = {"grid8x8", 64, 8, 10e-3, {0}, 0, 0, "cpu"};
    for (unsigned i = 0; i < 64; i++)
        L.types[i] = cmod_preset_at(i % 3)->name;
    if (mbench_build(&L, &m, &q, &c) != 0) {
        qmesh_free(&q);
        return NAN;
    }
    struct qmesh_obs obs[MESH_MAX_NODES];
    /* past the sweeps */
    for (int t = 0; t < 200; t++) {
        mesh_step(&m);
        mbench_obs(&m, &q, obs);
        qmesh_step(&q, obs, &out);
        for (unsigned i = 0; i < 64; i++)
            mesh_set_duty(&m, i, out.duty[i]);
    }
    const int reps = 5000;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int t = 0; t < reps; t++)
        qmesh_step(&q, obs, &out);
    clock_gettime(CLOCK_MONOTONIC, &b);
    const double ns =
        ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / reps;
    const int preps = 200;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int t = 0; t < preps; t++)
        mesh_step(&m);
    clock_gettime(CLOCK_MONOTONIC, &b);
    *plant_ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / preps;
    qmesh_free(&q);
    return ns;
}

static void mbench_steps(FILE *out, long s)
{
    if (s < 0)
        fprintf(out, " %8s", "never");
    else
        fprintf(out, " %8ld", s);
}

int mbench_main(FILE *out)
{
    static const char *modes[] = {"fixed", "p&o", "q-learn"};
    static const enum qmesh_mode mv[] = {QMESH_FIXED, QMESH_PO, QMESH_Q};
    int rc = 0;
    fprintf(out,
            "mesh: %d steps of %.0f ms from a cold start, then a node fails "
            "for %d steps, then a module is swapped; figures over the last "
            "%d steady steps\n",
            MBENCH_STEADY, MBENCH_DT * 1e3, MBENCH_FAIL_LEN, MBENCH_WIN);
    for (size_t l = 0; l < sizeof mbench_labs / sizeof mbench_labs[0]; l++) {
        const struct mbench_lab *L = &mbench_labs[l];
        double optn[2 * MESH_MAX_NODES], optswap = 0;
        if (mbench_optimum(L, optn, &optswap) != 0) {
            fprintf(stderr, "wattson: bench mesh: %s: no optimum found\n",
                    L->name);
            rc = 1;
            continue;
        }
        struct mbench_res res[3];
        for (int k = 0; k < 3; k++)
            if (mbench_run(L, mv[k], optn, optswap, &res[k]) != 0) {
                rc = 1;
                res[k].present[0] = res[k].present[1] = res[k].present[2] = 0;
            }
        fprintf(out,
                "\nlab %s (%u nodes, ties %.0f mOhm; node %u fails, node %u "
                "gets a %s)\n",
                L->name, L->n, L->rtie * 1e3, L->fail, L->swap, L->swap_to);
        fprintf(out, "%-5s %-8s %10s %8s %8s %9s\n", "type", "control",
                "perf/W", "/optimum", "steps1%", "ripple");
        fprintf(out, "%-5s %-8s %10s %8s %8s %9s\n", "", "", "Gop/J", "", "",
                "mV rms");
        for (unsigned x = 0; x < 3; x++) {
            if (!res[2].present[x] && !res[0].present[x])
                continue;
            const char *tn = cmod_preset_at(x)->name;
            for (int k = 0; k < 3; k++) {
                if (!res[k].present[x])
                    continue;
                fprintf(out, "%-5s %-8s %10.3f %8.4f", tn, modes[k],
                        res[k].eff[x] / 1e9, res[k].eff[x] / res[k].opt[x]);
                mbench_steps(out, res[k].within[x]);
                fprintf(out, " %9.2f\n", res[k].ripple[x]);
            }
            fprintf(out, "%-5s %-8s %10.3f %8.4f %8s %9s\n", tn, "optimum",
                    res[2].opt[x] / 1e9, 1.0, "-", "-");
        }
        fprintf(out, "%-8s %12s %12s %14s %10s %9s %12s %8s %11s\n", "control",
                "recover-fail", "recover-swap", "min-margin mV", "brownouts",
                "collapses", "msgs lost", "resweeps", "false-ties");
        for (int k = 0; k < 3; k++) {
            fprintf(out, "%-8s", modes[k]);
            mbench_steps(out, res[k].rec_fail);
            fprintf(out, "    ");
            mbench_steps(out, res[k].rec_swap);
            fprintf(out, "     %14.1f %10u %9u %6lu/%lu %8u %11u\n",
                    res[k].vmargin, res[k].brownouts, res[k].collapses,
                    res[k].lost, res[k].sent, res[k].resweeps,
                    res[k].false_ties);
        }
    }
    double plant_ns = 0;
    const double ns = mbench_cost(&plant_ns);
    fprintf(out,
            "\nagents' step, 64 nodes (8 x 8 grid): %.2f us per tick "
            "(plant step %.1f us)\n",
            ns / 1e3, plant_ns / 1e3);
    return rc;
}

static int mbench_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc != 0)
        return cli_usage_error("bench mesh takes no arguments, got '%s'",
                               a->argv[0]);
    return mbench_main(stdout);
}

const struct cli_entry mbench_entry = {
    .name = "bench",
    .sub = "mesh",
    .usage = "",
    .help = "the converter mesh's controllers (fixed nominal voltage,\n"
            "perturb-and-observe, Q-learning agents) on the labs grid3x3\n"
            "and ring12 against the grid optimum: performance per input\n"
            "watt, steps to within 1 %, ripple, recovery after a node\n"
            "failure and a hot swap, minimum module voltage margin; and\n"
            "the agents' step cost for 64 nodes",
    .exec = mbench_exec,
};
