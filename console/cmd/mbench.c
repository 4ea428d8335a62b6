/*
 * mbench - see mbench.h.
 *
 * Each mesh lab (lua-policies/labs/mesh/, or --lab) runs three ways from
 * the same seed: its agents as fixed-nominal regulators, as perturb-and-
 * observe hill climbers and as Q-learners (engines/qmesh.h), for the
 * lab's duration with its events; and each is held against the grid
 * optimum.  The figures: performance per input watt per module type over
 * the WIN steps before the lab's first event (or its end), the step from
 * which its 20-step moving average stays within 1 % of the optimum, the
 * voltage ripple (rms about the mean) over that window; after the first
 * `fail` event, the steps until the failed node's modules do their work
 * again within 1 % of what they did before, and the smallest margin of any
 * module over its vmin until the node recovers; after the first `attach`, the
 * steps until that node's performance per watt is within 1 % of its own
 * optimum (recover-swap), and the same after the second (recover-back: in
 * the shipped labs a module the mesh saw before, whose agent's table was
 * saved when it left; each run keeps its tables in a directory of its own
 * under /tmp, removed after).
 *
 * The grid optimum: the tie switches are open outside failover, so each
 * node's bus is its own and a node's performance per input watt depends
 * on its own duty only; for each node every duty on a grid a quarter of
 * the agents' step fine across its module's range is evaluated in the
 * noise-free simulator (mesh_steady), keeping the best with an error rate
 * at most err_ok, then refined at a sixty-fourth of a step around it.
 * The curve is smooth and single-peaked at that scale, so no duty beats
 * it by more than the curve's change over 1/64 step; it is the best of
 * each node alone, which a type's total reaches only if every node of the
 * type does.
 */
#include "mbench.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <time.h>

#include "cmd/cli.h"
#include "cmd/meshlab.h"
#include "core/lab.h"
#include "core/paths.h"
#include "engines/qmesh.h"
#include "mesh/mesh.h"

#define MBENCH_WIN 200 /* the steady window the figures average */
#define MBENCH_MA 20   /* moving average for "within 1 %" */
#define MBENCH_MAXSTEPS 200000
#define MBENCH_FAIL_MAX 100 /* failover window when no recover event */

/* The shipped mesh labs, in lua-policies/labs/mesh/. */
static const char *const mbench_shipped[] = {"grid3x3.lua", "ring12.lua"};

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
    long rec_back;           /* the second attach (a module seen before) */
    double vmargin;          /* mV, min during failover */
    unsigned brownouts, collapses;
    unsigned resweeps, false_ties; /* ties closed with no node failed */
    unsigned long sent, lost;
    unsigned loads; /* tables loaded from files */
};

/* The type's column: its preset's index (the labs use presets only). */
static unsigned mbench_tix(const struct cmod_type *t)
{
    const int k = cmod_preset_index(t);
    return k < 0 ? 0 : (unsigned)k;
}

/* The lab's event times, in steps: the first event (the steady window
 * ends there), the first fail and the recover of that node after it, the
 * first attach and its node. */
struct mbench_marks {
    long steps, first, tf, tr, ts, ts2;
    unsigned fnode, snode, snode2;
};

static void mbench_marks(const struct meshlab *ml, struct mbench_marks *k)
{
    k->steps = (long)floor(ml->duration_s / ml->tick_s + 0.5);
    if (k->steps > MBENCH_MAXSTEPS)
        k->steps = MBENCH_MAXSTEPS;
    k->first = k->steps;
    k->tf = k->tr = k->ts = k->ts2 = -1;
    k->fnode = k->snode = k->snode2 = 0;
    for (unsigned e = 0; e < ml->p.nev; e++) {
        const struct meshcfg_event *ev = &ml->p.ev[e];
        /* the step at whose start the event has happened */
        const long at = (long)ceil(ev->at_s / ml->tick_s - 1e-9);
        if (at < k->first)
            k->first = at;
        if (ev->kind == MESHCFG_FAIL && k->tf < 0) {
            k->tf = at;
            k->fnode = ev->node;
        } else if (ev->kind == MESHCFG_RECOVER && k->tf >= 0 && k->tr < 0 &&
                   ev->node == k->fnode) {
            k->tr = at;
        } else if (ev->kind == MESHCFG_ATTACH && k->ts < 0) {
            k->ts = at;
            k->snode = ev->node;
        } else if (ev->kind == MESHCFG_ATTACH && k->ts2 < 0) {
            k->ts2 = at;
            k->snode2 = ev->node;
        }
    }
    if (k->tf >= 0 && k->tr < 0)
        k->tr = k->tf + MBENCH_FAIL_MAX;
}

/* Removes the run's table directory and its files (names qtab made:
 * no subdirectories). */
static void mbench_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[4096];
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int mbench_run(const struct meshlab *ml, enum qmesh_mode mode,
                      const double *optn, const double *optswap,
                      struct mbench_res *r)
{
    static struct mesh m;
    static struct qmesh q;
    static struct qmesh_out out;
    static double *hp, *hw; /* per type x step: perf, input power */
    static double vwin[MESH_MAX_NODES][MBENCH_WIN];
    struct mbench_marks k;
    mbench_marks(ml, &k);
    struct qmesh_cfg c = ml->agents;
    c.mode = mode;
    char err[256];
    memset(r, 0, sizeof *r);
    r->rec_fail = r->rec_swap = r->rec_back = -1;
    r->vmargin = INFINITY;
    const long nwin = k.first < MBENCH_WIN ? k.first : MBENCH_WIN;
    free(hp);
    free(hw);
    hp = calloc(3 * (size_t)(k.first + 1), sizeof *hp);
    hw = calloc(3 * (size_t)(k.first + 1), sizeof *hw);
    if (!hp || !hw || meshlab_build(ml, &c, &m, &q, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: bench mesh: %s\n",
                hp && hw ? err : "out of memory");
        qmesh_free(&q);
        return -1;
    }
    /* the agents keep their tables in a directory of this run's, so a
     * module that comes back starts warm (and the bench leaves nothing
     * in the user's state directory) */
    char sdir[] = "/tmp/wattson-bench-mesh.XXXXXX";
    const int have_dir = mkdtemp(sdir) != NULL;
    if (have_dir)
        qmesh_set_state_dir(&q, sdir);
    struct qmesh_obs obs[MESH_MAX_NODES];
    double perf_before = 0, ma = 0, swap_e[MBENCH_MA] = {0}, ma2 = 0,
           back_e[MBENCH_MA] = {0};
    for (long t = 0; t < k.steps; t++) {
        meshlab_events(ml, (t - 1) * ml->tick_s, t * ml->tick_s, &m, &q);
        if (mesh_step(&m) != MESH_OK)
            r->collapses++;
        r->brownouts += m.brownout;
        meshlab_observe(&m, &q, obs);
        qmesh_step(&q, obs, &out);
        for (unsigned i = 0; i < m.n; i++)
            mesh_set_duty(&m, i, out.duty[i]);
        for (unsigned l = 0; l < m.net.nl; l++)
            mesh_tie(&m, l, out.tie_close[l]);
        const int failing = k.tf >= 0 && t >= k.tf && t < k.tr + 5;
        if (!failing)
            for (unsigned l = 0; l < m.net.nl; l++)
                r->false_ties += (unsigned)out.tie_close[l];
        if (t < k.first) {
            for (unsigned i = 0; i < m.n; i++) {
                if (m.node[i].nmod == 0)
                    continue;
                const unsigned x = mbench_tix(m.node[i].mod[0].type);
                hp[x * (size_t)k.first + t] += m.node[i].perf;
                hw[x * (size_t)k.first + t] += m.node[i].p_in;
                r->present[x] = 1;
                if (t >= k.first - nwin)
                    vwin[i][t - (k.first - nwin)] = m.node[i].v;
            }
        }
        if (k.tf >= 0 && t >= k.tf - 50 && t < k.tf)
            perf_before += m.node[k.fnode].perf / 50;
        if (k.tf >= 0 && t >= k.tf && t < k.tr) {
            if (m.vmargin * 1e3 < r->vmargin)
                r->vmargin = m.vmargin * 1e3;
            if (r->rec_fail < 0 && m.node[k.fnode].perf >= 0.99 * perf_before)
                r->rec_fail = t - k.tf + 1;
        }
        if (k.ts >= 0 && t >= k.ts) {
            const struct mesh_node *nd = &m.node[k.snode];
            const double e = nd->p_in > 0 ? nd->perf / nd->p_in : 0;
            ma += (e - swap_e[(t - k.ts) % MBENCH_MA]) / MBENCH_MA;
            swap_e[(t - k.ts) % MBENCH_MA] = e;
            if (r->rec_swap < 0 && t - k.ts >= MBENCH_MA - 1 &&
                ma >= 0.99 * optswap[0])
                r->rec_swap = t - k.ts + 1;
        }
        if (k.ts2 >= 0 && t >= k.ts2) {
            const struct mesh_node *nd = &m.node[k.snode2];
            const double e = nd->p_in > 0 ? nd->perf / nd->p_in : 0;
            ma2 += (e - back_e[(t - k.ts2) % MBENCH_MA]) / MBENCH_MA;
            back_e[(t - k.ts2) % MBENCH_MA] = e;
            if (r->rec_back < 0 && t - k.ts2 >= MBENCH_MA - 1 &&
                ma2 >= 0.99 * optswap[1])
                r->rec_back = t - k.ts2 + 1;
        }
    }
    for (unsigned i = 0; i < m.n; i++)
        r->resweeps += q.ag[i].sweeps > 1 ? q.ag[i].sweeps - 1 : 0;
    r->sent = q.sent;
    r->lost = q.lost;
    r->loads = q.loads;
    qmesh_free(&q);
    if (have_dir)
        mbench_rmdir(sdir);
    for (unsigned x = 0; x < 3; x++) {
        if (!r->present[x])
            continue;
        const double *P = hp + x * (size_t)k.first,
                     *W = hw + x * (size_t)k.first;
        double sp = 0, sw = 0, on = 0, op = 0, rip = 0;
        for (long t = k.first - nwin; t < k.first; t++) {
            sp += P[t];
            sw += W[t];
        }
        r->eff[x] = sw > 0 ? sp / sw : 0;
        unsigned cnt = 0;
        for (unsigned i = 0; i < ml->p.n; i++) {
            int has = 0;
            for (unsigned j = 0; j < ml->p.nmod; j++)
                has |= ml->p.mod[j].node == i &&
                       mbench_tix(ml->p.mod[j].type) == x;
            if (!has)
                continue;
            double mu = 0, var = 0;
            for (long j = 0; j < nwin; j++)
                mu += vwin[i][j] / (double)nwin;
            for (long j = 0; j < nwin; j++)
                var += (vwin[i][j] - mu) * (vwin[i][j] - mu) / (double)nwin;
            rip += sqrt(var) * 1e3;
            cnt++;
            on += optn[2 * i];
            op += optn[2 * i + 1];
        }
        r->ripple[x] = cnt ? rip / cnt : 0;
        r->opt[x] = op > 0 ? on / op : 0;
        /* the step from which the moving average stays within 1 % */
        r->within[x] = -1;
        for (long t = k.first - 1; t >= MBENCH_MA; t--) {
            double a = 0, b = 0;
            for (long j = t - MBENCH_MA + 1; j <= t; j++) {
                a += P[j];
                b += W[j];
            }
            if (!(b > 0) || a / b < 0.99 * r->opt[x])
                break;
            r->within[x] = t + 1;
        }
    }
    return 0;
}

/* The optimum of every node of the lab at its start: optn[2i], optn[2i+1]
 * = its perf and input power there; and of the module the first attach
 * event puts on its node. */
static int mbench_optimum(const struct meshlab *ml, double *optn,
                          double optswap[2])
{
    static struct mesh m;
    char err[256];
    if (meshlab_build(ml, &ml->agents, &m, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: bench mesh: %s\n", err);
        return -1;
    }
    m.noise = 0;
    for (unsigned i = 0; i < ml->p.n; i++) {
        double d = 0;
        if (m.node[i].nmod == 0)
            continue;
        if (!(mbench_opt_node(&m, i, ml->agents.err_ok, ml->agents.dstep, &d) >
              0))
            return -1;
        mesh_set_duty(&m, i, d);
    }
    mesh_steady(&m);
    for (unsigned i = 0; i < ml->p.n; i++) {
        optn[2 * i] = m.node[i].perf;
        optn[2 * i + 1] = m.node[i].p_in;
    }
    optswap[0] = optswap[1] = 0;
    unsigned got = 0;
    for (unsigned e = 0; e < ml->p.nev && got < 2; e++) {
        const struct meshcfg_event *ev = &ml->p.ev[e];
        if (ev->kind != MESHCFG_ATTACH)
            continue;
        while (m.node[ev->node].nmod > 0)
            mesh_detach(&m, ev->node, 0);
        mesh_attach(&m, ev->node, ev->type, ev->id, ev->tamb);
        double d = 0;
        optswap[got++] = mbench_opt_node(&m, ev->node, ml->agents.err_ok,
                                         ml->agents.dstep, &d);
    }
    return 0;
}

/* The agents' step on an 8 x 8 grid of cpu, gpu and fpga modules: ns per
 * tick, and the plant's step. */
static double mbench_cost(double *plant_ns)
{
    static struct mesh m;
    static struct qmesh q;
    static struct qmesh_out out;
    static struct meshlab ml;
    char err[256];
    memset(&ml, 0, sizeof ml);
    snprintf(ml.name, sizeof ml.name, "grid8x8");
    ml.p.n = 64;
    ml.tick_s = 0.01;
    ml.duration_s = 10;
    ml.seed = 1;
    qmesh_defaults(&ml.agents);
    for (unsigned i = 0; i < 64; i++) {
        if ((i + 1) % 8) {
            ml.p.link[ml.p.nl].a = i;
            ml.p.link[ml.p.nl].b = i + 1;
            ml.p.link[ml.p.nl++].r = 0.01;
        }
        if (i + 8 < 64) {
            ml.p.link[ml.p.nl].a = i;
            ml.p.link[ml.p.nl].b = i + 8;
            ml.p.link[ml.p.nl++].r = 0.01;
        }
        ml.p.mod[ml.p.nmod].node = i;
        ml.p.mod[ml.p.nmod].type = cmod_preset_at(i % 3);
        ml.p.mod[ml.p.nmod].tamb = 30;
        snprintf(ml.p.mod[ml.p.nmod].id, MESH_ID_LEN, "m%u", i);
        ml.p.nmod++;
    }
    if (meshlab_build(&ml, &ml.agents, &m, &q, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: bench mesh: %s\n", err);
        qmesh_free(&q);
        return NAN;
    }
    struct qmesh_obs obs[MESH_MAX_NODES];
    /* past the sweeps */
    for (int t = 0; t < 200; t++) {
        mesh_step(&m);
        meshlab_observe(&m, &q, obs);
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
    if (s == -2)
        fprintf(out, " %8s", "-"); /* no such event in the lab */
    else if (s < 0)
        fprintf(out, " %8s", "never");
    else
        fprintf(out, " %8ld", s);
}

static void mbench_table(FILE *out, const struct meshlab *ml,
                         const struct mbench_res *res)
{
    static const char *modes[] = {"fixed", "p&o", "q-learn"};
    struct mbench_marks k;
    mbench_marks(ml, &k);
    fprintf(out,
            "\nlab %s (%u nodes, %u links, %ld steps of %g ms; figures "
            "over steps %ld..%ld)\n",
            ml->name, ml->p.n, ml->p.nl, k.steps, ml->tick_s * 1e3,
            k.first - (k.first < MBENCH_WIN ? k.first : MBENCH_WIN), k.first);
    fprintf(out, "%-5s %-8s %10s %8s %8s %9s\n", "type", "control", "perf/W",
            "/optimum", "steps1%", "ripple");
    fprintf(out, "%-5s %-8s %10s %8s %8s %9s\n", "", "", "Gop/J", "", "",
            "mV rms");
    for (unsigned x = 0; x < 3; x++) {
        if (!res[2].present[x])
            continue;
        const char *tn = cmod_preset_at(x)->name;
        for (int j = 0; j < 3; j++) {
            fprintf(out, "%-5s %-8s %10.3f %8.4f", tn, modes[j],
                    res[j].eff[x] / 1e9,
                    res[j].opt[x] > 0 ? res[j].eff[x] / res[j].opt[x] : NAN);
            mbench_steps(out, res[j].within[x]);
            fprintf(out, " %9.2f\n", res[j].ripple[x]);
        }
        fprintf(out, "%-5s %-8s %10.3f %8.4f %8s %9s\n", tn, "optimum",
                res[2].opt[x] / 1e9, 1.0, "-", "-");
    }
    fprintf(out, "%-8s %12s %12s %12s %14s %10s %9s %12s %8s %11s\n", "control",
            "recover-fail", "recover-swap", "recover-back", "min-margin mV",
            "brownouts", "collapses", "msgs lost", "resweeps", "false-ties");
    for (int j = 0; j < 3; j++) {
        fprintf(out, "%-8s", modes[j]);
        mbench_steps(out, k.tf >= 0 ? res[j].rec_fail : -2);
        fprintf(out, "    ");
        mbench_steps(out, k.ts >= 0 ? res[j].rec_swap : -2);
        fprintf(out, "    ");
        mbench_steps(out, k.ts2 >= 0 ? res[j].rec_back : -2);
        fprintf(out, "     %14.1f %10u %9u %6lu/%lu %8u %11u\n", res[j].vmargin,
                res[j].brownouts, res[j].collapses, res[j].lost, res[j].sent,
                res[j].resweeps, res[j].false_ties);
    }
}

static int mbench_lab(const char *path, FILE *out)
{
    static struct meshlab ml;
    static const enum qmesh_mode mv[] = {QMESH_FIXED, QMESH_PO, QMESH_Q};
    struct lab *lab = NULL;
    char err[512];
    if (lab_load_file(path, &lab, err, sizeof err) != 0 ||
        meshlab_read(lab, &ml, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: bench mesh: %s\n", err);
        lab_free(lab);
        return LAB_EXIT_BAD;
    }
    lab_free(lab);
    double optn[2 * MESH_MAX_NODES], optswap[2] = {0, 0};
    if (mbench_optimum(&ml, optn, optswap) != 0) {
        fprintf(stderr, "wattson: bench mesh: %s: no optimum found\n", path);
        return 1;
    }
    struct mbench_res res[3];
    for (int j = 0; j < 3; j++) {
        fprintf(stderr, "bench mesh: %s: %s...\n", ml.name,
                j == 0   ? "fixed"
                : j == 1 ? "p&o"
                         : "q-learn");
        if (mbench_run(&ml, mv[j], optn, optswap, &res[j]) != 0)
            return 1;
    }
    mbench_table(out, &ml, res);
    return 0;
}

int mbench_main(const char *lab_path, FILE *out)
{
    int rc = 0;
    if (lab_path) {
        rc = mbench_lab(lab_path, out);
    } else {
        for (size_t l = 0;
             l < sizeof mbench_shipped / sizeof mbench_shipped[0] && !rc; l++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/mesh/%s", paths_lab_dir(),
                     mbench_shipped[l]);
            rc = mbench_lab(path, out);
        }
    }
    if (rc)
        return rc;
    double plant_ns = 0;
    const double ns = mbench_cost(&plant_ns);
    fprintf(out,
            "\nagents' step, 64 nodes (8 x 8 grid): %.2f us per tick "
            "(plant step %.1f us)\n",
            ns / 1e3, plant_ns / 1e3);
    return 0;
}

static int mbench_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc != 0)
        return cli_usage_error("bench mesh takes no arguments, got '%s'",
                               a->argv[0]);
    return mbench_main(a->run.lab_path, stdout);
}

const struct cli_entry mbench_entry = {
    .name = "bench",
    .sub = "mesh",
    .usage = "",
    .help = "the converter mesh's controllers (fixed nominal voltage,\n"
            "perturb-and-observe, Q-learning agents) on the mesh labs\n"
            "grid3x3 and ring12 (or --lab FILE) against the grid optimum:\n"
            "performance per input watt, steps to within 1 %, ripple,\n"
            "recovery after a node failure and a hot swap, minimum module\n"
            "voltage margin; and the agents' step cost for 64 nodes (exit\n"
            "3 for a bad lab)",
    .opts = 1u << CLI_OPT_LAB,
    .exec = mbench_exec,
};
