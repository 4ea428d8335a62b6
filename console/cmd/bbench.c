/*
 * bbench - see bbench.h.
 *
 * Every (scenario, policy) pair is a fresh run_new of the scenario's lab
 * with `--policy builtin:NAME`, ticked by hand on the virtual clock; the
 * lab's seed fixes every workload, so each policy sees the same arrivals.
 * The per-tick bookkeeping (total PU power into a ring) allocates nothing;
 * the ring is sized from the lab's tick before the first tick.
 *
 * A table is one target (a scenario, or the user's --lab) at one load
 * scale; --load-scale reaches the sim through run_opts.load_scale, so a
 * table without it runs exactly what it always ran.
 */
#include "cmd/bbench.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "core/cfg.h"
#include "core/clock.h"
#include "core/lab.h"
#include "core/model.h"
#include "core/paths.h"
#include "core/summary.h"
#include "core/wlat.h"
#include "engines/bound.h"
#include "run/run.h"

/* The ticks whose mean must exceed the budget, and by how much at least
 * (a relative rounding allowance: caps that add up to the budget exactly
 * must not count). */
#define BB_WINDOW_S 1.0
/* Arrival batches the pooled-latency ring keeps per PU (65536 ticks: 11
 * minutes at 10 ms; older unserved batches merge). */
#define BB_LAT_RING 65536
#define BB_TOLERANCE 1e-9

static const struct bb_scenario {
    const char *name;
    const char *lab; /* relative to paths_lab_dir() */
} bb_scenarios[] = {
    {"bursty", "bench/bursty.lua"},
    {"step", "bench/step.lua"},
    {"diurnal", "bench/diurnal.lua"},
    {"pipeline", "pipeline.lua"},
};
#define BB_NSCEN (sizeof bb_scenarios / sizeof bb_scenarios[0])

/* The built-in rows, in table order; ratios are to ORACLE and SCHED. */
static const char *const bb_policies[] = {
    "performance", "ondemand", "conservative", "schedutil", "naive-split",
    "balancer",    "race",     "broker-noipc", "broker",    "perfect-forecast",
};
#define BB_NBUILTIN (sizeof bb_policies / sizeof bb_policies[0])
#define BB_SCHED 3
/* Every row: the built-ins, then one per --with file. */
#define BB_NROWS (BB_NBUILTIN + BBENCH_MAX_WITH)
#define BB_NAME_MAX 64
/* --load-scale: at most this many scales, each in (0, BB_SCALE_MAX] (the
 * sim's own range for load_scale). */
#define BB_MAX_SCALES 8
#define BB_SCALE_MAX 10.0

/* What one table runs: a lab file, named in its title line and in
 * messages, at one load scale (0: unscaled, the lab as it is). */
struct bb_target {
    const char *label; /* "bursty", or the --lab file: progress, errors */
    const char *path;  /* the lab file */
    char title[1536];  /* the table's first line, up to the ':' */
    double scale;
};

/* A row of the tables: its name and what run_opts.policy gets. */
struct bb_row {
    char name[BB_NAME_MAX];
    char policy[BB_NAME_MAX]; /* "builtin:NAME", or "" for a file */
    const char *path;         /* the --with file, or NULL */
};

struct bb_result {
    double energy_j, mean_s, p99_s, edp, misses, viol_s;
    double wp99_s;             /* p99 of every op served, pooled (wlat) */
    double served_op, wmean_s; /* all PUs' work served; wait / served */
    double fix_j, fix_edp;     /* fixed-job energy and its EDP (bb_bound) */
    int p99_ok;
    int dl_ok; /* its service met every deadline tube (bound-dl's) */
    /* A Lua row's troubles (a note under the table when not all 0). */
    unsigned long long policy_errors, rejected, fallback_ticks;
};

/* What the scenario's header line says (from the first run). */
struct bb_info {
    size_t n_pus;
    double duration_s, tick_s, budget_w;
    unsigned long long seed;
};

/*
 * What the bound needs of a table's runs (issue 13, items 3 and 4), all
 * allocated before the first tick of the table's first run (bb_rec_init)
 * and written per tick without allocating: the cumulative work arrived
 * per PU and tick (SIG_WORK_ARRIVED is a counter: its value less the
 * priming sample's) as its elementwise max and min over the table's rows
 * (two arrays of PUs x ticks, however many rows), each row's service at
 * the end (SIG_WORK_SERVED) and whether it kept within every deadline
 * tube (checked as it runs), and per PU the largest shortfall of any
 * measured tick's power against its P-state table (the leakage offset,
 * see bound.c: the sim's tables hold at a die hotter than ambient, where
 * its first interval runs).
 *
 * Chains (the sim's `pipelines`): a stage after the first gets work only
 * as its upstream serves it, so its arrivals depend on the policy.  Its
 * upper envelope is then ratio x the upstream's envelope (work as early
 * as it could possibly arrive: every hop takes at least the tick it was
 * served in), plus the least arrivals of any row when the device has a
 * workload of its own (that part is the same in every row); such a PU
 * gets no deadline tube, and every row's unserved work there is charged
 * against that envelope's end (the job is what the source sent).
 */
struct bb_rec {
    size_t n, npu, nrows;
    int ok;              /* every PU has what the bound needs */
    char why[160];       /* else why not */
    double *amax, *amin; /* [i * n + t]: cumulative, over the rows */
    double *last_s;      /* this run: each PU's service so far */
    size_t *lag;         /* each PU's deadline lag (bound_lag) */
    double dt;
    int dl_ok;    /* this run kept within every deadline tube so far */
    double *send; /* [row * npu + i]: served by the end */
    double *off, *opc, *deadline, *base_a, *base_s;
    int32_t *up;   /* chain: the upstream PU index, or -1 */
    double *ratio; /* chain: the stage's ratio */
    uint8_t *own;  /* chain: the stage's device has a workload */
    /* The PUs' P-state tables and names, copied: the bound is computed
     * after the last run's model is gone. */
    size_t *nps;
    double *pf, *pb, *pi; /* [i * BOUND_MAX_PSTATES + j] */
    char (*name)[32];
    double budget_w;
    int chained; /* some PU is fed by a chain */
    size_t rows_done;
    /* This run's latencies pooled over the PUs, weighted by work (the
     * work-weighted p99), from each tick's arrivals and service; prev_a
     * and prev_s the counters at the previous tick. */
    struct wlat lat;
    double *prev_a, *prev_s;
};

static void bb_rec_free(struct bb_rec *rc)
{
    free(rc->amax);
    free(rc->amin);
    free(rc->send);
    free(rc->off);
    free(rc->opc);
    free(rc->deadline);
    free(rc->base_a);
    free(rc->base_s);
    free(rc->up);
    free(rc->ratio);
    free(rc->own);
    free(rc->last_s);
    free(rc->lag);
    free(rc->nps);
    free(rc->pf);
    free(rc->pb);
    free(rc->pi);
    free(rc->name);
    free(rc->prev_a);
    free(rc->prev_s);
    wlat_free(&rc->lat);
    memset(rc, 0, sizeof *rc);
}

/* The PU index of the device named `name`, or -1. */
static int bb_pu_named(const struct model *m, const char *name)
{
    int d = name ? model_find_device(m, name) : -1;
    for (size_t i = 0; d >= 0 && i < m->n_pus; i++)
        if (m->pus[i] == (uint32_t)d)
            return (int)i;
    return -1;
}

/* Whether sim device `name` of driver table `drv` has a workload. */
static int bb_has_workload(const struct cfg *drv, const char *name)
{
    const struct cfg *devs = cfg_get(drv, "devices");
    for (size_t k = 0; k < cfg_len(devs); k++) {
        const struct cfg *d = cfg_at(devs, k);
        const char *nm = cfg_string(cfg_get(d, "name"));
        if (nm && strcmp(nm, name) == 0)
            return cfg_get(d, "workload") != NULL;
    }
    return 1; /* unknown: assume it has, the looser envelope */
}

/* The lab's chains into rc->up/ratio/own. */
static void bb_rec_chains(struct bb_rec *rc, const struct model *m,
                          const struct lab *lab)
{
    for (size_t dv = 0; dv < lab->n_drivers; dv++) {
        const struct cfg *drv = lab->drivers[dv].cfg;
        const struct cfg *pl = cfg_get(drv, "pipelines");
        for (size_t p = 0; p < cfg_len(pl); p++) {
            char key[32];
            snprintf(key, sizeof key, "%zu.stages", p + 1);
            const struct cfg *st = cfg_get(pl, key);
            int prev = -1;
            for (size_t k = 0; k < cfg_len(st); k++) {
                snprintf(key, sizeof key, "%zu", k + 1);
                const struct cfg *s = cfg_get(st, key);
                const char *dev = cfg_string(cfg_get(s, "device"));
                int i = bb_pu_named(m, dev);
                if (i >= 0 && k > 0) {
                    const struct cfg *r = cfg_get(s, "ratio");
                    rc->up[i] = prev;
                    rc->ratio[i] = r ? cfg_number(r) : 1.0;
                    rc->own[i] = (uint8_t)bb_has_workload(drv, dev);
                    rc->chained = 1;
                    if (prev < 0) {
                        rc->ok = 0;
                        snprintf(rc->why, sizeof rc->why,
                                 "chain stage %s follows a device that is "
                                 "not a PU",
                                 dev);
                    }
                }
                prev = i;
            }
        }
    }
}

/* Before the first tick of the table's first run (m: the priming
 * sample). */
static int bb_rec_init(struct bb_rec *rc, const struct model *m,
                       const struct lab *lab, size_t n, size_t nrows)
{
    memset(rc, 0, sizeof *rc);
    size_t np = m->n_pus, cells = np * n;
    rc->n = n;
    rc->npu = np;
    rc->dt = lab->tick_s;
    rc->nrows = nrows;
    rc->amax = calloc(cells ? cells : 1, sizeof *rc->amax);
    rc->amin = calloc(cells ? cells : 1, sizeof *rc->amin);
    rc->send = calloc(np * nrows + 1, sizeof *rc->send);
    rc->off = calloc(np + 1, sizeof *rc->off);
    rc->opc = calloc(np + 1, sizeof *rc->opc);
    rc->deadline = calloc(np + 1, sizeof *rc->deadline);
    rc->base_a = calloc(np + 1, sizeof *rc->base_a);
    rc->base_s = calloc(np + 1, sizeof *rc->base_s);
    rc->up = calloc(np + 1, sizeof *rc->up);
    rc->ratio = calloc(np + 1, sizeof *rc->ratio);
    rc->own = calloc(np + 1, sizeof *rc->own);
    rc->nps = calloc(np + 1, sizeof *rc->nps);
    rc->last_s = calloc(np + 1, sizeof *rc->last_s);
    rc->lag = calloc(np + 1, sizeof *rc->lag);
    rc->pf = calloc(np * BOUND_MAX_PSTATES + 1, sizeof *rc->pf);
    rc->pb = calloc(np * BOUND_MAX_PSTATES + 1, sizeof *rc->pb);
    rc->pi = calloc(np * BOUND_MAX_PSTATES + 1, sizeof *rc->pi);
    rc->name = calloc(np + 1, sizeof *rc->name);
    rc->prev_a = calloc(np + 1, sizeof *rc->prev_a);
    rc->prev_s = calloc(np + 1, sizeof *rc->prev_s);
    /* A batch ring per PU as long as the run (at most BB_LAT_RING
     * batches: older ones merge, overstating their latency). */
    if (wlat_init(&rc->lat, np, n + 1 < BB_LAT_RING ? n + 1 : BB_LAT_RING) !=
        0) {
        bb_rec_free(rc);
        return -1;
    }
    if (!rc->prev_a || !rc->prev_s || !rc->last_s || !rc->lag || !rc->nps ||
        !rc->pf || !rc->pb || !rc->pi || !rc->name || !rc->amax || !rc->amin ||
        !rc->send || !rc->off || !rc->opc || !rc->deadline || !rc->base_a ||
        !rc->base_s || !rc->up || !rc->ratio || !rc->own) {
        bb_rec_free(rc);
        return -1;
    }
    rc->ok = n > 0 && np > 0;
    if (!rc->ok)
        snprintf(rc->why, sizeof rc->why, "no PU or no tick");
    for (size_t i = 0; i < np; i++) {
        uint32_t d = m->pus[i];
        rc->up[i] = -1;
        rc->deadline[i] = NAN;
        rc->lag[i] = SIZE_MAX;
        snprintf(rc->name[i], sizeof rc->name[i], "%s", m->devices[d].name);
        size_t nps = m->ps_off[d + 1] - m->ps_off[d];
        if (nps > BOUND_MAX_PSTATES)
            nps = 0;
        rc->nps[i] = nps;
        for (size_t j = 0; j < nps; j++) {
            rc->pf[i * BOUND_MAX_PSTATES + j] = m->ps_freq[m->ps_off[d] + j];
            rc->pb[i * BOUND_MAX_PSTATES + j] = m->ps_busy[m->ps_off[d] + j];
            rc->pi[i * BOUND_MAX_PSTATES + j] = m->ps_idle[m->ps_off[d] + j];
        }
        if (rc->ok && nps == 0) {
            rc->ok = 0;
            snprintf(rc->why, sizeof rc->why, "%s has no P-state table",
                     m->devices[d].name);
        }
    }
    rc->budget_w = m->budget_w;
    bb_rec_chains(rc, m, lab);
    return 0;
}

/* The table state of PU device d at clock f, or -1. */
static int bb_state_at(const struct model *m, uint32_t d, double f)
{
    for (uint32_t k = m->ps_off[d]; k < m->ps_off[d + 1]; k++)
        if (fabs(m->ps_freq[k] - f) <= 1e-9 * m->ps_freq[k])
            return (int)(k - m->ps_off[d]);
    return -1;
}

/* A run's start (the priming sample): the counters' bases. */
static void bb_rec_start(struct bb_rec *rc, const struct model *m)
{
    rc->dl_ok = 1;
    wlat_reset(&rc->lat);
    for (size_t i = 0; i < rc->npu; i++) {
        double v;
        rc->base_a[i] = model_sig(m, m->pus[i], SIG_WORK_ARRIVED, &v) ? v : NAN;
        rc->base_s[i] = model_sig(m, m->pus[i], SIG_WORK_SERVED, &v) ? v : NAN;
        rc->prev_a[i] = rc->base_a[i];
        rc->prev_s[i] = rc->base_s[i];
    }
}

/* Tick k of a run: allocates nothing. */
static void bb_rec_tick(struct bb_rec *rc, const struct model *m, size_t k)
{
    for (size_t i = 0; i < rc->npu && k < rc->n; i++) {
        uint32_t d = m->pus[i];
        double a = NAN, s = NAN, f, u, p, thr, dl;
        if (!model_sig(m, d, SIG_WORK_ARRIVED, &a) ||
            !model_sig(m, d, SIG_WORK_SERVED, &s) ||
            !isfinite(a - rc->base_a[i]) || !isfinite(s - rc->base_s[i])) {
            if (rc->ok) {
                rc->ok = 0;
                snprintf(rc->why, sizeof rc->why,
                         "%s has no work_arrived/work_served counters",
                         m->devices[d].name);
            }
            continue;
        }
        /* The arrivals into max and min over the rows (the same in every
         * row but on a chain stage), the service at the end, and whether
         * it keeps within the deadline tube (against the least arrivals
         * k ticks ago: as loose as the tube bound-dl uses). */
        double ca = a - rc->base_a[i], cs = s - rc->base_s[i];
        /* This tick's arrivals (stamped at its start, as the sim stamps
         * them) and service, at the clock it ran, into the pooled
         * latencies. */
        if (model_sig(m, d, SIG_THROUGHPUT, &thr))
            wlat_tick(&rc->lat, i, m->t - m->dt, a - rc->prev_a[i],
                      s - rc->prev_s[i], thr);
        rc->prev_a[i] = a;
        rc->prev_s[i] = s;
        size_t at = i * rc->n + k;
        rc->amax[at] = rc->rows_done ? fmax(rc->amax[at], ca) : ca;
        rc->amin[at] = rc->rows_done ? fmin(rc->amin[at], ca) : ca;
        rc->last_s[i] = cs;
        if (isnan(rc->deadline[i]) && model_sig(m, d, SIG_DEADLINE, &dl)) {
            rc->deadline[i] = dl;
            rc->lag[i] = bound_lag(dl, rc->dt);
        }
        size_t lag = rc->lag[i];
        if (rc->up[i] < 0 && lag != SIZE_MAX && k >= lag &&
            cs < rc->amin[at - lag] * (1 - 1e-9) - 1e-6)
            rc->dl_ok = 0;
        if (!(rc->opc[i] > 0) && model_sig(m, d, SIG_FREQ, &f) && f > 0 &&
            model_sig(m, d, SIG_THROUGHPUT, &thr) && thr > 0)
            rc->opc[i] = thr / f;
        /* The measured power against the table at the state it ran. */
        if (model_sig(m, d, SIG_FREQ, &f) && model_sig(m, d, SIG_UTIL, &u) &&
            model_sig(m, d, SIG_POWER, &p)) {
            int j = bb_state_at(m, d, f);
            if (j >= 0) {
                uint32_t o = m->ps_off[d] + (uint32_t)j;
                double tab = m->ps_idle[o] +
                             (m->ps_busy[o] - m->ps_idle[o]) * fmin(1, u);
                if (p - tab < rc->off[i])
                    rc->off[i] = p - tab;
            }
        }
    }
}

/* A run's end: row `row`'s service at the end, whether it kept within
 * every deadline tube. */
static void bb_rec_end(struct bb_rec *rc, size_t row, struct bb_result *res)
{
    for (size_t i = 0; i < rc->npu; i++)
        rc->send[row * rc->npu + i] = rc->last_s[i];
    res->dl_ok = rc->dl_ok;
    res->wp99_s = wlat_quantile(&rc->lat, 0.99);
    rc->rows_done++;
}

/* The bounds of one table (see bound.h and the design comment of
 * bound.c), from bb_rec. */
struct bb_bound {
    int ok;
    char why[160];
    double bound, primal, bound_dl, primal_dl;
    size_t clipped;
    size_t over, over_dl; /* ticks whose bound power exceeds the budget */
    double peak, peak_dl; /* W, the bound paths' largest power sum */
    double d_race;        /* s: mean over PUs of the top-clock latency */
    double max_off;       /* W: the largest leakage offset, as a drop */
    int chained;
    double *emin, *uend; /* per PU: J/op, and the envelope's end */
};

static void bb_bound_free(struct bb_bound *b)
{
    free(b->emin);
    free(b->uend);
    memset(b, 0, sizeof *b);
}

/* The fluid FIFO's mean wait at capacity c per tick of dt from the
 * first tick (the sim's wait formula): each op's least latency. */
static double bb_race_wait(const double *cum, size_t n, double c, double dt)
{
    double freet = 0, wait = 0, prev = 0, r = c / dt;
    for (size_t t = 0; t < n; t++) {
        double x = cum[t] - prev, t0 = (double)t * dt;
        prev = cum[t];
        if (!(x > 0))
            continue;
        double start = fmax(freet, t0);
        wait += x * (start - t0) + x * x / (2 * r);
        freet = start + x / r;
    }
    return prev > 0 ? wait / prev : 0;
}

static int bb_bound_compute(struct bb_rec *rc, double dt, struct bb_bound *b)
{
    memset(b, 0, sizeof *b);
    size_t n = rc->n, np = rc->npu;
    b->chained = rc->chained;
    b->emin = calloc(np + 1, sizeof *b->emin);
    b->uend = calloc(np + 1, sizeof *b->uend);
    /* The envelopes: each PU's recorded max, a chain stage's replaced
     * in place by its envelope (nothing else reads it after this). */
    double *U = rc->amax;
    double *L = malloc((n + 1) * sizeof *L);
    double *pw = calloc(n + 1, sizeof *pw), *pwd = calloc(n + 1, sizeof *pwd);
    struct bound_work w;
    int wok = bound_work_init(&w, n) == 0;
    if (!b->emin || !b->uend || !L || !pw || !pwd || !wok) {
        free(L);
        free(pw);
        free(pwd);
        if (wok)
            bound_work_free(&w);
        bb_bound_free(b);
        return -1;
    }
    b->ok = rc->ok;
    snprintf(b->why, sizeof b->why, "%s", rc->why);
    /* The envelopes: chain stages after their upstream (a chain's order
     * is the lab's; passes until none is left, at most np). */
    uint8_t done[256];
    size_t left = np;
    memset(done, 0, sizeof done);
    if (np > sizeof done && b->ok) {
        b->ok = 0;
        snprintf(b->why, sizeof b->why, "more than %zu PUs", sizeof done);
    }
    for (size_t pass = 0; b->ok && left > 0 && pass <= np; pass++)
        for (size_t i = 0; i < np; i++) {
            if (done[i] || (rc->up[i] >= 0 && !done[rc->up[i]]))
                continue;
            double *u = U + i * n;
            const double *mn = rc->amin + i * n;
            if (rc->up[i] >= 0)
                for (size_t t = 0; t < n; t++)
                    u[t] = rc->ratio[i] * U[(size_t)rc->up[i] * n + t] +
                           (rc->own[i] ? mn[t] : 0);
            done[i] = 1;
            left--;
        }
    if (b->ok && left > 0) {
        b->ok = 0;
        snprintf(b->why, sizeof b->why, "a chain whose stages form a loop");
    }
    double dsum = 0;
    for (size_t i = 0; b->ok && i < np; i++) {
        size_t o = i * BOUND_MAX_PSTATES, nps = rc->nps[i];
        struct bound_hull h;
        /* A hair below the measured shortfall: rounding of the sums. */
        double off = rc->off[i] - 1e-9 * fabs(rc->pb[o + nps - 1]);
        if (!(rc->opc[i] > 0) ||
            bound_hull_init(&h, nps, rc->pf + o, rc->pb + o, rc->pi + o, off,
                            rc->opc[i], dt) != 0) {
            b->ok = 0;
            snprintf(b->why, sizeof b->why,
                     "%s: no usable P-state table or throughput", rc->name[i]);
            break;
        }
        const double *u = U + i * n;
        struct bound_pu_res r, rd;
        bound_pu(&h, u, NULL, n, &w, &r, pw, NULL);
        const double *lo = NULL;
        size_t k = bound_lag(rc->deadline[i], dt);
        if (rc->up[i] < 0 && k != SIZE_MAX) {
            bound_deadline_tube(rc->amin + i * n, n, k, L);
            lo = L;
        }
        bound_pu(&h, u, lo, n, &w, &rd, pwd, NULL);
        b->bound += r.bound;
        b->primal += r.primal;
        b->bound_dl += rd.bound;
        b->primal_dl += rd.primal;
        b->clipped += rd.clipped;
        b->emin[i] = h.emin;
        b->max_off = fmax(b->max_off, -rc->off[i]);
        b->uend[i] = u[n - 1];
        /* A chain stage's least latency is not known from its envelope
         * (its work may come later and smoother): 0 there. */
        if (rc->up[i] < 0)
            dsum += bb_race_wait(u, n, h.cmax, dt);
    }
    b->d_race = np ? dsum / (double)np : 0;
    for (size_t t = 0; b->ok && t < n; t++) {
        b->peak = fmax(b->peak, pw[t]);
        b->peak_dl = fmax(b->peak_dl, pwd[t]);
        if (rc->budget_w > 0 && pw[t] > rc->budget_w * (1 + BB_TOLERANCE))
            b->over++;
        if (rc->budget_w > 0 && pwd[t] > rc->budget_w * (1 + BB_TOLERANCE))
            b->over_dl++;
    }
    free(L);
    free(pw);
    free(pwd);
    bound_work_free(&w);
    return 0;
}

int bbench_window_init(struct bbench_window *w, size_t n)
{
    memset(w, 0, sizeof *w);
    w->v = calloc(n ? n : 1, sizeof *w->v);
    if (!w->v)
        return -1;
    w->n = n ? n : 1;
    return 0;
}

double bbench_window_push(struct bbench_window *w, double x)
{
    if (w->filled == w->n)
        w->sum -= w->v[w->head];
    else
        w->filled++;
    w->v[w->head] = x;
    w->sum += x;
    if (++w->head == w->n) {
        /* Once per lap, the exact sum again: no drift over long runs. */
        w->head = 0;
        double s = 0;
        for (size_t i = 0; i < w->filled; i++)
            s += w->v[i];
        w->sum = s;
    }
    return w->sum / (double)w->filled;
}

void bbench_window_free(struct bbench_window *w)
{
    free(w->v);
    memset(w, 0, sizeof *w);
}

/* The worst PU's latency_p99 at the end, if any PU has a valid one. */
static int worst_p99(const struct model *m, double *out)
{
    int ok = 0;
    for (size_t k = 0; k < m->n_pus; k++) {
        int s = model_find_signal(m, m->pus[k], "latency_p99");
        if (s < 0 || !m->valid[s] || !isfinite(m->val[s]))
            continue;
        if (!ok || m->val[s] > *out)
            *out = m->val[s];
        ok = 1;
    }
    return ok;
}

static int bbench_run_one(const struct bb_target *tg, const struct bb_row *row,
                          double duration_s, const char **dirs, size_t n_dirs,
                          struct bb_result *res, struct bb_info *info,
                          struct bb_rec *rec, size_t row_i, size_t nrows,
                          char *err, size_t errlen)
{
    struct run_opts o = {.lab_path = tg->path,
                         .policy = row->path ? row->path : row->policy,
                         .duration_s = duration_s,
                         .load_scale = tg->scale,
                         .plugin_dirs = dirs,
                         .n_plugin_dirs = n_dirs};
    struct run *r;
    int rc = run_new(&o, &r, err, errlen);
    if (rc != RUN_OK)
        return rc;
    const struct model *m = run_model(r);
    const struct lab *lab = run_lab(r);
    uint64_t n = run_total_ticks(r);
    long win = lround(BB_WINDOW_S / lab->tick_s);
    struct bbench_window w;
    if (bbench_window_init(&w, win > 0 ? (size_t)win : 1) != 0) {
        snprintf(err, errlen, "out of memory");
        run_free(r);
        return RUN_ERR;
    }
    info->n_pus = m->n_pus;
    info->duration_s = (double)n * lab->tick_s;
    info->tick_s = lab->tick_s;
    info->budget_w = m->budget_w;
    info->seed = (unsigned long long)lab->seed;
    /* The recording's arrays, before the first tick of the first run. */
    if (!rec->amax && bb_rec_init(rec, m, lab, (size_t)n, nrows) != 0) {
        snprintf(err, errlen, "out of memory");
        bbench_window_free(&w);
        run_free(r);
        return RUN_ERR;
    }
    if (rec->n != n && rec->ok) {
        rec->ok = 0;
        snprintf(rec->why, sizeof rec->why, "runs of different lengths");
    }
    bb_rec_start(rec, m);

    double viol = 0;
    for (uint64_t k = 0; k < n; k++) {
        run_tick(r);
        bb_rec_tick(rec, m, (size_t)k);
        if (k == 0)
            continue; /* the drivers' start values, not a policy's */
        double p = 0, v;
        for (size_t i = 0; i < m->n_pus; i++)
            if (model_sig(m, m->pus[i], SIG_POWER, &v))
                p += v;
        double mean = bbench_window_push(&w, p);
        if (m->budget_w > 0 && mean > m->budget_w * (1 + BB_TOLERANCE))
            viol += m->dt;
    }
    bbench_window_free(&w);

    const struct summary *s = run_summary(r);
    res->energy_j = s->energy_j;
    res->mean_s = model_mean_latency(m, NULL);
    res->edp = res->energy_j * res->mean_s;
    res->misses = s->deadline_misses;
    res->viol_s = viol;
    res->p99_ok = worst_p99(m, &res->p99_s);
    double wsum = 0, ssum = 0, v;
    for (size_t i = 0; i < m->n_pus; i++) {
        if (model_sig(m, m->pus[i], SIG_WAIT, &v))
            wsum += v;
        if (model_sig(m, m->pus[i], SIG_WORK_SERVED, &v))
            ssum += v;
    }
    res->served_op = ssum;
    res->wmean_s = ssum > 0 ? wsum / ssum : NAN;
    bb_rec_end(rec, row_i, res);
    res->policy_errors = (unsigned long long)s->policy_errors;
    res->rejected = (unsigned long long)s->rejected_decisions;
    res->fallback_ticks = (unsigned long long)s->fallback_ticks;
    /* A lab's declared limits are not the bench's business. */
    rc = run_finish(r, err, errlen);
    run_free(r);
    return rc == RUN_LIMITS ? RUN_OK : rc;
}

static void put_ratio(FILE *out, double x, double ref, int width)
{
    if (ref > 0 && isfinite(ref) && isfinite(x))
        fprintf(out, " %*.3f", width, x / ref);
    else
        fprintf(out, " %*s", width, "n/a");
}

static void put_num(FILE *out, const char *fmt, double x, int width)
{
    if (isfinite(x))
        fprintf(out, fmt, width, x);
    else
        fprintf(out, " %*s", width, "n/a");
}

/* The gap of a primal over its bound, in %. */
static double gap_pct(double primal, double bound)
{
    return bound > 0 ? 100 * (primal / bound - 1) : NAN;
}

static void print_table(FILE *out, const struct bb_target *tg,
                        const struct bb_info *info, const struct bb_row *rows,
                        size_t nrows, int namew, const struct bb_result *res,
                        const struct bb_bound *bd, const struct bb_rec *rc,
                        int ed2p)
{
    fprintf(out, "%s: %zu PUs, %g s at %g ms, seed %llu, budget %g W\n",
            tg->title, info->n_pus, info->duration_s, info->tick_s * 1e3,
            info->seed, info->budget_w);
    fprintf(out, "%-*s %10s %7s %10s %8s %8s %9s %8s %10s", namew, "policy",
            "energy_J", "J/Gop", "E_fix_J", "mean_ms", "wmean_ms", "p99max_ms",
            "wp99_ms", "EDP_fix");
    if (ed2p)
        fprintf(out, " %10s", "ED2P_fix");
    fprintf(out, " %7s %7s %7s %9s %9s\n", "misses", "viol_s", "E/bound",
            "EDP/bound", "EDP/sched");
    const struct bb_result *su = &res[BB_SCHED];
    double edp_ref = bd->ok ? bd->bound * bd->d_race : NAN;
    for (size_t i = 0; i < nrows; i++) {
        const struct bb_result *x = &res[i];
        fprintf(out, "%-*s %10.1f", namew, rows[i].name, x->energy_j);
        put_num(out, " %*.3f",
                x->served_op > 0 ? x->energy_j / (x->served_op / 1e9) : NAN, 7);
        put_num(out, " %*.1f", x->fix_j, 10);
        put_num(out, " %*.4g", x->mean_s * 1e3, 8);
        put_num(out, " %*.4g", x->wmean_s * 1e3, 8);
        put_num(out, " %*.4g", x->p99_ok ? x->p99_s * 1e3 : NAN, 9);
        put_num(out, " %*.4g", x->wp99_s * 1e3, 8);
        put_num(out, " %*.5g", x->fix_edp, 10);
        if (ed2p)
            put_num(out, " %*.5g", x->fix_edp * x->mean_s, 10);
        fprintf(out, " %7.0f %7.2f", x->misses, x->viol_s);
        put_ratio(out, x->fix_j, bd->ok ? bd->bound : NAN, 7);
        put_ratio(out, x->fix_edp, edp_ref, 9);
        put_ratio(out, x->fix_edp, su->fix_edp, 9);
        fputc('\n', out);
    }
    /* A Lua policy whose ticks failed was partly the built-in policy. */
    for (size_t i = BB_NBUILTIN; i < nrows; i++)
        if (res[i].policy_errors || res[i].rejected || res[i].fallback_ticks)
            fprintf(out,
                    "note: %s: %llu policy errors, %llu rejected decisions, "
                    "%llu ticks decided by the built-in policy\n",
                    rows[i].name, res[i].policy_errors, res[i].rejected,
                    res[i].fallback_ticks);
    if (!bd->ok) {
        fprintf(out, "bound: n/a (%s)\n", bd->why);
        return;
    }
    /* The claims, each checked against the rows above. */
    size_t met = 0;
    int all = 1, all_dl = 1;
    for (size_t i = 0; i < nrows; i++) {
        if (!(res[i].fix_j >= bd->bound))
            all = 0;
        if (res[i].dl_ok) {
            met++;
            if (!(res[i].fix_j >= bd->bound_dl))
                all_dl = 0;
        }
    }
    fprintf(out,
            "bound %.1f J (no deadlines): no policy's E_fix is lower (each "
            "row's >= it: %s); primal %.1f J, gap %.2f %%\n",
            bd->bound, all ? "yes" : "NO", bd->primal,
            gap_pct(bd->primal, bd->bound));
    fprintf(out,
            "bound-dl %.1f J (every deadline met): no such policy's E_fix is "
            "lower (%zu row%s met them, each >= it: %s)",
            bd->bound_dl, met, met == 1 ? "" : "s", all_dl ? "yes" : "NO");
    if (bd->clipped)
        fprintf(out, "; %zu PU-ticks' deadlines beyond any schedule, relaxed",
                bd->clipped);
    fprintf(out, "; primal %.1f J, gap %.2f %%\n", bd->primal_dl,
            gap_pct(bd->primal_dl, bd->bound_dl));
    if (info->budget_w > 0) {
        if (bd->over == 0 && bd->over_dl == 0)
            fprintf(out,
                    "budget %g W: the bounds' own power peaks at %.1f W, never "
                    "above: the budget would not raise them\n",
                    info->budget_w, fmax(bd->peak, bd->peak_dl));
        else
            fprintf(out,
                    "budget %g W: the bound's own power exceeds it in %zu "
                    "ticks (bound-dl's in %zu), peak %.1f W: they relax the "
                    "budget (still lower bounds, not reachable within it)\n",
                    info->budget_w, bd->over, bd->over_dl,
                    fmax(bd->peak, bd->peak_dl));
    }
    fprintf(out,
            "model: P-states mixed within a tick; tables lowered to the "
            "coolest die measured (ambient, the first tick), by up to %.2f "
            "W a PU\n",
            bd->max_off);
    if (bd->chained) {
        fprintf(out, "chain-fed (arrivals as early as the source allows, no "
                     "deadline):");
        for (size_t i = 0; i < rc->npu; i++)
            if (rc->up[i] >= 0)
                fprintf(out, " %s", rc->name[i]);
        fputc('\n', out);
    }
}

static void progress(int on, const char *scen, size_t i, size_t n,
                     const char *pol)
{
    if (!on)
        return;
    if (pol)
        fprintf(stderr, "\rbench broker: %-8s %zu/%zu %-12.12s", scen, i + 1, n,
                pol);
    else
        fprintf(stderr, "\r%50s\r", "");
}

/* The lab of a scenario; 0 when it is there, 1 when it is missing and
 * may be skipped (not asked for by name), else -1 with errno set. */
static int bbench_lab_path(const struct bb_scenario *sc, int explicit_,
                           char *path, size_t len)
{
    snprintf(path, len, "%s/%s", paths_lab_dir(), sc->lab);
    if (access(path, R_OK) == 0)
        return 0;
    return !explicit_ && errno == ENOENT ? 1 : -1;
}

/* One table: every row on tg. */
static int bbench_run_target(const struct bb_target *tg, double duration_s,
                             const char **dirs, size_t n_dirs,
                             const struct bb_row *rows, size_t nrows, int namew,
                             int show, int ed2p, FILE *out)
{
    char err[1024];
    struct bb_result res[BB_NROWS];
    struct bb_info info = {0};
    struct bb_rec rec;
    struct bb_bound bd;
    memset(res, 0, sizeof res);
    memset(&rec, 0, sizeof rec);
    for (size_t i = 0; i < nrows; i++) {
        progress(show, tg->label, i, nrows, rows[i].name);
        int rc = bbench_run_one(tg, &rows[i], duration_s, dirs, n_dirs, &res[i],
                                &info, &rec, i, nrows, err, sizeof err);
        if (rc != RUN_OK) {
            progress(show, NULL, 0, 0, NULL);
            fprintf(stderr, "wattson: bench broker: %s, %s: %s\n", tg->label,
                    rows[i].name, err);
            bb_rec_free(&rec);
            return rc;
        }
    }
    progress(show, NULL, 0, 0, NULL);
    if (bb_bound_compute(&rec, info.tick_s, &bd) != 0) {
        fprintf(stderr, "wattson: bench broker: %s: out of memory\n",
                tg->label);
        bb_rec_free(&rec);
        return RUN_ERR;
    }
    /* Fixed-job energy: every row charged e_min per op for the work it
     * left (against the bound's envelope: a chain's job is what its
     * source sent). */
    for (size_t i = 0; i < nrows; i++) {
        struct bb_result *x = &res[i];
        x->fix_j = NAN;
        if (bd.ok) {
            x->fix_j = x->energy_j;
            for (size_t k = 0; k < rec.npu; k++)
                x->fix_j += bd.emin[k] *
                            fmax(0, bd.uend[k] - rec.send[i * rec.npu + k]);
        }
        x->fix_edp = x->fix_j * x->mean_s;
    }
    print_table(out, tg, &info, rows, nrows, namew, res, &bd, &rec, ed2p);
    bb_bound_free(&bd);
    bb_rec_free(&rec);
    return 0;
}

/* A scenario's tables, one per scale (scales[0] == 0: unscaled, the
 * title as it always was). */
static int bbench_run_scenario(const struct bb_scenario *sc, double duration_s,
                               const char **dirs, size_t n_dirs, int explicit_,
                               const double *scales, size_t n_scales,
                               const struct bb_row *rows, size_t nrows,
                               int namew, int show, int ed2p, FILE *out)
{
    char path[1024];
    int lp = bbench_lab_path(sc, explicit_, path, sizeof path);
    if (lp == 1) {
        fprintf(out,
                "scenario %s (labs/%s): skipped: the lab does not "
                "exist yet\n",
                sc->name, sc->lab);
        return 0;
    }
    if (lp < 0) {
        fprintf(stderr, "wattson: bench broker: %s: %s\n", path,
                strerror(errno));
        return RUN_LAB;
    }
    for (size_t k = 0; k < n_scales; k++) {
        struct bb_target tg = {
            .label = sc->name, .path = path, .scale = scales[k]};
        int n = snprintf(tg.title, sizeof tg.title, "scenario %s (labs/%s)",
                         sc->name, sc->lab);
        if (scales[k] > 0 && n > 0 && (size_t)n < sizeof tg.title)
            snprintf(tg.title + n, sizeof tg.title - (size_t)n,
                     ", load scale %g", scales[k]);
        if (k > 0)
            fputc('\n', out);
        int rc = bbench_run_target(&tg, duration_s, dirs, n_dirs, rows, nrows,
                                   namew, show, ed2p, out);
        fflush(out);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* --load-scale LIST: 1 to BB_MAX_SCALES numbers in (0, BB_SCALE_MAX],
 * comma-separated, into scales; 0, or RUN_USAGE after one line. */
static int parse_scales(const char *list, double *scales, size_t *n)
{
    static const char what[] = "a comma-separated list of 1 to 8 numbers in "
                               "(0, 10], e.g. 0.5,0.75,1,1.25";
    *n = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        if (len == 0) {
            fprintf(stderr,
                    "wattson: bench broker: --load-scale: empty item in "
                    "'%s' (%s)\n",
                    list, what);
            return RUN_USAGE;
        }
        if (*n == BB_MAX_SCALES) {
            fprintf(stderr,
                    "wattson: bench broker: --load-scale: more than %d "
                    "scales in '%s' (%s)\n",
                    BB_MAX_SCALES, list, what);
            return RUN_USAGE;
        }
        /* Longer than any number worth writing: not a number. */
        snprintf(item, sizeof item, "%.*s", (int)len, p);
        char *end;
        errno = 0;
        double v = len < sizeof item ? strtod(item, &end) : NAN;
        if (len >= sizeof item || end == item || *end || errno == ERANGE ||
            !isfinite(v)) {
            fprintf(stderr,
                    "wattson: bench broker: --load-scale: '%.*s' is not a "
                    "number (%s)\n",
                    (int)len, p, what);
            return RUN_USAGE;
        }
        if (!(v > 0) || v > BB_SCALE_MAX) {
            fprintf(stderr,
                    "wattson: bench broker: --load-scale: %.*s is outside "
                    "(0, 10] (%s)\n",
                    (int)len, p, what);
            return RUN_USAGE;
        }
        scales[(*n)++] = v;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

/* --lab FILE before any table: readable (else RUN_LAB), a good lab (the
 * lab reader's line, RUN_LAB) whose drivers are all the sim (the bench
 * needs the virtual clock and the seeded workloads it scales; RUN_LAB). */
static int check_lab(const char *file)
{
    char err[1024];
    struct lab *lab;
    if (access(file, R_OK) != 0) {
        fprintf(stderr, "wattson: bench broker: --lab %s: %s\n", file,
                strerror(errno));
        return RUN_LAB;
    }
    if (lab_load_file(file, &lab, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: bench broker: --lab: %s\n", err);
        return RUN_LAB;
    }
    int rc = lab_scale_load(lab, 1.0, err, sizeof err);
    lab_free(lab);
    if (rc != 0) {
        fprintf(stderr,
                "wattson: bench broker: --lab: %s (bench broker runs on the "
                "virtual clock)\n",
                err);
        return RUN_LAB;
    }
    return 0;
}

/* A --with file's row: named by the file's base name without ".lua". */
static int with_row(struct bb_row *row, const char *file,
                    const struct bb_row *rows, size_t nrows)
{
    const char *base = strrchr(file, '/');
    base = base ? base + 1 : file;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".lua") == 0)
        n -= 4;
    if (n == 0 || n >= BB_NAME_MAX) {
        fprintf(stderr,
                "wattson: bench broker: --with %s: the file's name must "
                "be 1 to %d characters without .lua\n",
                file, BB_NAME_MAX - 1);
        return RUN_USAGE;
    }
    memset(row, 0, sizeof *row);
    memcpy(row->name, base, n);
    row->path = file;
    for (size_t i = 0; i < nrows; i++)
        if (strcmp(rows[i].name, row->name) == 0) {
            fprintf(stderr,
                    "wattson: bench broker: --with %s: there is a row "
                    "named '%s' already (rename the file)\n",
                    file, row->name);
            return RUN_USAGE;
        }
    return 0;
}

/* Every --with file loads on every lab it will run on, before any table
 * is printed: a missing file or a policy that fails to load (syntax,
 * shape, on_load or its first tick) is one line on stderr and RUN_LAB. */
static int check_with(const struct bb_row *row, const struct bb_scenario *one,
                      const char *lab_file, double duration_s,
                      const char **dirs, size_t n_dirs)
{
    char path[1024], err[1024];
    if (access(row->path, R_OK) != 0) {
        fprintf(stderr, "wattson: bench broker: --with %s: %s\n", row->path,
                strerror(errno));
        return RUN_LAB;
    }
    /* --lab: that lab only (i == BB_NSCEN), else the scenarios. */
    for (size_t i = lab_file ? BB_NSCEN : 0; i <= BB_NSCEN; i++) {
        const char *name = lab_file;
        if (i < BB_NSCEN) {
            if (one && one != &bb_scenarios[i])
                continue;
            if (bbench_lab_path(&bb_scenarios[i], one != NULL, path,
                                sizeof path) != 0)
                continue; /* bbench_run_scenario says why */
            name = bb_scenarios[i].name;
        } else if (!lab_file) {
            break;
        } else {
            snprintf(path, sizeof path, "%s", lab_file);
        }
        struct run_opts o = {.lab_path = path,
                             .policy = row->path,
                             .duration_s = duration_s,
                             .plugin_dirs = dirs,
                             .n_plugin_dirs = n_dirs};
        struct run *r;
        int rc = run_new(&o, &r, err, sizeof err);
        if (rc != RUN_OK) {
            /* The policy's errors name the file; the lab's do not. */
            if (strncmp(err, row->path, strlen(row->path)) == 0)
                fprintf(stderr, "wattson: bench broker: --with: %s\n", err);
            else
                fprintf(stderr,
                        "wattson: bench broker: --with %s (%s %s): %s\n",
                        row->path, lab_file ? "lab" : "scenario", name, err);
            return rc;
        }
        run_free(r);
    }
    return 0;
}

int bbench_main(const char *scenario, const char *lab_file,
                const char *load_scale, double duration_s,
                const char *const *with, size_t n_with,
                const char **plugin_dirs, size_t n_dirs, int ed2p, FILE *out)
{
    if (lab_file && scenario) {
        fprintf(stderr,
                "wattson: bench broker: --lab and --scenario exclude each "
                "other (--lab runs that lab instead of the scenarios)\n");
        return RUN_USAGE;
    }
    /* No --load-scale: one unscaled pass (0), the tables of old. */
    double scales[BB_MAX_SCALES] = {0};
    size_t n_scales = 1;
    if (load_scale) {
        int rc = parse_scales(load_scale, scales, &n_scales);
        if (rc != 0)
            return rc;
    }
    int all = !scenario || strcmp(scenario, "all") == 0;
    const struct bb_scenario *one = NULL;
    for (size_t i = 0; !all && i < BB_NSCEN; i++)
        if (strcmp(scenario, bb_scenarios[i].name) == 0)
            one = &bb_scenarios[i];
    if (!all && !one) {
        fprintf(stderr,
                "wattson: bench broker: --scenario: unknown scenario '%s' "
                "(bursty, step, diurnal, pipeline or all)\n",
                scenario);
        return RUN_USAGE;
    }
    if (n_with > BBENCH_MAX_WITH) {
        fprintf(stderr,
                "wattson: bench broker: --with: at most %d policy files, "
                "got %zu\n",
                BBENCH_MAX_WITH, n_with);
        return RUN_USAGE;
    }
    struct bb_row rows[BB_NROWS];
    size_t nrows = 0;
    int namew = 12;
    for (size_t i = 0; i < BB_NBUILTIN; i++, nrows++) {
        memset(&rows[i], 0, sizeof rows[i]);
        snprintf(rows[i].name, sizeof rows[i].name, "%s", bb_policies[i]);
        snprintf(rows[i].policy, sizeof rows[i].policy, "builtin:%s",
                 bb_policies[i]);
        int w = (int)strlen(rows[i].name);
        if (w > namew)
            namew = w;
    }
    for (size_t i = 0; i < n_with; i++, nrows++) {
        int rc = with_row(&rows[nrows], with[i], rows, nrows);
        if (rc != 0)
            return rc;
        int w = (int)strlen(rows[nrows].name);
        if (w > namew)
            namew = w;
    }
    if (lab_file) {
        int rc = check_lab(lab_file);
        if (rc != 0)
            return rc;
    }
    for (size_t i = BB_NBUILTIN; i < nrows; i++) {
        int rc = check_with(&rows[i], one, lab_file, duration_s, plugin_dirs,
                            n_dirs);
        if (rc != 0)
            return rc;
    }
    int show = isatty(STDERR_FILENO);
    uint64_t t0 = clock_mono_ns();
    int first = 1;
    for (size_t k = 0; lab_file && k < n_scales; k++) {
        /* The lab's own load is scale 1: its title always says it. */
        struct bb_target tg = {
            .label = lab_file, .path = lab_file, .scale = scales[k]};
        snprintf(tg.title, sizeof tg.title, "lab %s, load scale %g", lab_file,
                 scales[k] > 0 ? scales[k] : 1.0);
        if (k > 0)
            fputc('\n', out);
        int rc = bbench_run_target(&tg, duration_s, plugin_dirs, n_dirs, rows,
                                   nrows, namew, show, ed2p, out);
        fflush(out);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; !lab_file && i < BB_NSCEN; i++) {
        if (one && one != &bb_scenarios[i])
            continue;
        if (!first)
            fputc('\n', out);
        first = 0;
        int rc = bbench_run_scenario(&bb_scenarios[i], duration_s, plugin_dirs,
                                     n_dirs, one != NULL, scales, n_scales,
                                     rows, nrows, namew, show, ed2p, out);
        fflush(out);
        if (rc != 0)
            return rc;
    }
    if (show)
        fprintf(stderr, "bench broker: %.1f s\n",
                (double)(clock_mono_ns() - t0) / 1e9);
    return 0;
}

static int bbench_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 0)
        return cli_usage_error("bench broker takes no argument, got '%s'",
                               a->argv[0]);
    return bbench_main(a->scenario, a->run.lab_path, a->load_scale,
                       a->run.duration_s, a->with, a->n_with, a->plugin_dirs,
                       a->run.n_plugin_dirs, a->ed2p, stdout);
}

const struct cli_entry bbench_entry = {
    .name = "bench",
    .sub = "broker",
    .usage = "",
    .help = "energy, fixed-job energy, latency, EDP, deadline misses and\n"
            "budget violations of every built-in policy (--policy\n"
            "builtin:NAME) on the scenarios bursty, step, diurnal and\n"
            "pipeline (or on --lab FILE, a sim-only lab), as ratios to a\n"
            "proven lower bound on energy and to schedutil; --load-scale:\n"
            "one table per scale of the offered load; --ed2p: ED2P too",
    .opts = 1u << CLI_OPT_LAB | 1u << CLI_OPT_DURATION |
            1u << CLI_OPT_PLUGIN_DIR | 1u << CLI_OPT_SCENARIO |
            1u << CLI_OPT_WITH | 1u << CLI_OPT_LOAD_SCALE | 1u << CLI_OPT_ED2P,
    .exec = bbench_exec,
};
