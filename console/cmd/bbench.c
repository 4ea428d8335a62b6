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

#include "cmd/bbrec.h"
#include "cmd/cli.h"
#include "core/clock.h"
#include "core/lab.h"
#include "core/model.h"
#include "core/paths.h"
#include "core/summary.h"
#include "run/run.h"

/* The ticks whose mean must exceed the budget (by BBREC_TOLERANCE at
 * least) to count as a violation. */
#define BB_WINDOW_S 1.0

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
    double fix_j, fix_edp;     /* fixed-job energy and its EDP (bbrec_bound) */
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
                          struct bbrec *rec, size_t row_i, size_t nrows,
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
    if (!rec->amax && bbrec_init(rec, m, lab, (size_t)n, nrows) != 0) {
        snprintf(err, errlen, "out of memory");
        bbench_window_free(&w);
        run_free(r);
        return RUN_ERR;
    }
    if (rec->n != n && rec->ok) {
        rec->ok = 0;
        snprintf(rec->why, sizeof rec->why, "runs of different lengths");
    }
    bbrec_start(rec, m);

    double viol = 0;
    for (uint64_t k = 0; k < n; k++) {
        run_tick(r);
        bbrec_tick(rec, m, (size_t)k);
        if (k == 0)
            continue; /* the drivers' start values, not a policy's */
        double p = 0, v;
        for (size_t i = 0; i < m->n_pus; i++)
            if (model_sig(m, m->pus[i], SIG_POWER, &v))
                p += v;
        double mean = bbench_window_push(&w, p);
        if (m->budget_w > 0 && mean > m->budget_w * (1 + BBREC_TOLERANCE))
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
    bbrec_end(rec, row_i, &res->dl_ok, &res->wp99_s);
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
                        const struct bbrec_bound *bd, const struct bbrec *rc,
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
    struct bbrec rec;
    struct bbrec_bound bd;
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
            bbrec_free(&rec);
            return rc;
        }
    }
    progress(show, NULL, 0, 0, NULL);
    if (bbrec_bound(&rec, info.tick_s, &bd) != 0) {
        fprintf(stderr, "wattson: bench broker: %s: out of memory\n",
                tg->label);
        bbrec_free(&rec);
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
    bbrec_bound_free(&bd);
    bbrec_free(&rec);
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
