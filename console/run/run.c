/*
 * run - see run.h.
 *
 * Set-up order matters for safety: outputs are opened (and so checked
 * writable) before any driver is written, and controls are saved by
 * actuate before its first write; every exit path after the first tick
 * goes through run_finish or run_free, which restore them.
 */
#include "run/run.h"
#include "run/run_int.h"
#include "run/metrics.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cfg.h"
#include "core/clock.h"
#include "core/host.h"
#include "core/lab.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/model.h"
#include "core/paths.h"
#include "core/safety.h"
#include "core/summary.h"
#include "core/trust.h"
#include "core/tracefile.h"
#include "loader/loader.h"
#include "lua/policy.h"
#include "lua/watch.h"
#include "pipeline/actuate.h"
#include "pipeline/decide.h"
#include "pipeline/features.h"
#include "pipeline/forecast.h"
#include "policies/governors.h"
#include "engines/broker.h"
#include "engines/emetric.h"
#include "engines/partrun.h"
#include "engines/vgpu.h"
#include "engines/vgledger.h"
#include "pipeline/record.h"
#include "pipeline/sample.h"
#include "core/ipcin.h"
#include "pipeline/tick.h"
#include "pipeline/override.h"
#include "policies/governors.h"

static struct run *active_run;

void run_set_stage_timer(struct run *r, uint64_t *ns)
{
    r->stage_ns = ns;
}

const char *run_builtin_name(const struct run *r)
{
    return r->gov ? r->gov->name : NULL;
}

struct metrics *run_metrics(struct run *r)
{
    return r->mx;
}

struct broker *run_broker(struct run *r)
{
    return broker_of(&r->eng);
}

const struct engines *run_engines(const struct run *r)
{
    return &r->eng;
}

const struct model *run_model(const struct run *r)
{
    return &r->model;
}

const struct summary *run_summary(const struct run *r)
{
    return &r->sum;
}

const struct lab *run_lab(const struct run *r)
{
    return r->lab;
}

uint64_t run_total_ticks(const struct run *r)
{
    return r->total_ticks;
}

static int load_drivers(struct run *r, const struct run_opts *o, char *err,
                        size_t errlen)
{
    struct lab *lab = r->lab;
    const char *own[PATHS_MAX_PLUGIN_DIRS];
    struct plug_path sp = {o->plugin_dirs, o->n_plugin_dirs, own,
                           paths_plugin_dirs(own, PATHS_MAX_PLUGIN_DIRS)};
    r->plugs = calloc(lab->n_drivers ? lab->n_drivers : 1, sizeof *r->plugs);
    r->hosts = calloc(lab->n_drivers ? lab->n_drivers : 1, sizeof *r->hosts);
    if (!r->plugs || !r->hosts) {
        snprintf(err, errlen, "out of memory");
        return RUN_ERR;
    }
    for (size_t i = 0; i < lab->n_drivers; i++) {
        const struct lab_driver *ld = &lab->drivers[i];
        char msg[768];
        char *path = NULL;
        if (plug_find(&sp, ld->plugin, &path, msg, sizeof msg) != 0) {
            snprintf(err, errlen, "%s: %s.plugin: unknown driver '%s' (%s)",
                     lab->path, ld->field, ld->plugin, msg);
            return RUN_LAB;
        }
        /* A driver runs with wattson's privileges: GEOPM's rule
         * (core/trust.h) for the file and the directories above it.  The
         * modes only as root, where a user-private group's umask 002
         * build would otherwise be refused. */
        int tflags = TRUST_FILE | TRUST_PARENTS;
        if (geteuid() == 0)
            tflags |= TRUST_MODES;
        if (trust_check_path(path, tflags, msg, sizeof msg) != 0) {
            snprintf(err, errlen,
                     "%s; refusing to load it (a driver runs with wattson's "
                     "privileges)",
                     msg);
            free(path);
            return RUN_PLUGIN;
        }
        struct plug *p = NULL;
        int rc = plug_open(path, &p, msg, sizeof msg);
        free(path);
        if (rc != PLUG_OK) {
            snprintf(err, errlen, "%s", msg);
            return RUN_PLUGIN;
        }
        struct host_ctx *hc = &r->hosts[i];
        hc->cfg = ld->cfg;
        hc->clock = &r->clock;
        hc->tag = ld->plugin;
        struct wattson_host h;
        host_fill(&h, hc, lab->seed, lab->dir);
        char why[768];
        rc = plug_init_why(&p, &h, msg, sizeof msg, why, sizeof why);
        if (rc == PLUG_ERR_CONFIG) {
            /* A lab error: name the lab and the field, not the .so. */
            snprintf(err, errlen, "%s: %s: %s", lab->path, ld->field, why);
            return RUN_LAB;
        }
        if (rc == PLUG_ERR_ABSENT && ld->optional) {
            /* One lab for several machines: a driver marked optional
             * that finds nothing here is left out, said once. */
            log_msg(LOG_WARN, "%s: %s (optional): found nothing, left out: %s",
                    lab->path, ld->field, why);
            continue;
        }
        if (rc != PLUG_OK) {
            snprintf(err, errlen, "%s", msg);
            return RUN_PLUGIN;
        }
        r->plugs[r->n_plugs++] = p;
    }
    if (r->n_plugs == 0 && lab->n_drivers > 0) {
        snprintf(err, errlen,
                 "%s: none of the lab's drivers found any hardware here",
                 lab->path);
        return RUN_PLUGIN;
    }
    return RUN_OK;
}

static int all_simulated(const struct run *r)
{
    for (size_t i = 0; i < r->n_plugs; i++)
        if (!(r->plugs[i]->desc->flags & WATTSON_PLUGIN_SIMULATED))
            return 0;
    return 1;
}

/* The policy's budgets: the defaults, then the lab's, then the command
 * line's.  Runs once the clock is chosen: on a virtual clock the default
 * wall-time budget is dropped, so only the instruction budget (counted,
 * deterministic) and the memory cap stop a runaway policy.  A virtual run
 * promises the same figures on any host; a wall-time limit there would
 * fail ticks, and change the result, whenever the host is slow or loaded.
 * A time budget set in the lab or on the command line still applies, and
 * the CPU-time budget (default 1 s, far above any sane tick) applies on
 * both clocks: it bounds C work the instruction count does not see. */
static void run_policy_limits(struct run *r, const struct run_opts *o)
{
    struct policy_limits *lim = &r->plim;
    policy_limits_default(lim);
    if (r->clock.is_virtual)
        lim->time_ns = 0;
    if (r->lab->policy_mem_bytes > 0)
        lim->mem_bytes = r->lab->policy_mem_bytes;
    if (r->lab->policy_instructions > 0)
        lim->instructions = r->lab->policy_instructions;
    if (r->lab->policy_time_s > 0)
        lim->time_ns = (uint64_t)llround(r->lab->policy_time_s * 1e9);
    if (r->lab->policy_cpu_time_s > 0)
        lim->cpu_ns = (uint64_t)llround(r->lab->policy_cpu_time_s * 1e9);
    if (o->policy_mem_bytes > 0)
        lim->mem_bytes = o->policy_mem_bytes;
    if (o->policy_instructions > 0)
        lim->instructions = o->policy_instructions;
    if (o->policy_time_s > 0)
        lim->time_ns = (uint64_t)llround(o->policy_time_s * 1e9);
    if (o->policy_cpu_time_s > 0)
        lim->cpu_ns = (uint64_t)llround(o->policy_cpu_time_s * 1e9);
}

int run_clock_is_virtual(const struct run *r)
{
    return r->clock.is_virtual;
}

void run_set_outcome(struct run *r, double wall_seconds, int interrupted)
{
    r->sum.wall_seconds = wall_seconds;
    r->sum.interrupted = interrupted;
}

static int run_ipc_start(struct run *r, const struct run_opts *o, char *err,
                         size_t errlen);

struct tracefile_extra run_trace_extra(const struct run *r)
{
    return (struct tracefile_extra){.header = emetric_json_header,
                                    .tick = emetric_json_tick,
                                    .ctx = &r->eng};
}

int run_new(const struct run_opts *o, struct run **out, char *err,
            size_t errlen)
{
    struct run *r = calloc(1, sizeof *r);
    int rc;
    *out = NULL;
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return RUN_ERR;
    }
    r->lock_fd = -1;
    r->have_rtrace = 0;
    /* Active from the start: a driver that calls exit() in init or its
     * first read must not end `wattson restore` with status 0 (main.c's
     * exit guard).  Nothing is restored before actuate has saved. */
    active_run = r;
    if (o->lab_path)
        rc = lab_load_file(o->lab_path, &r->lab, err, errlen);
    else if (o->lab_text)
        rc = lab_load_string("<generated lab>", o->lab_text,
                             strlen(o->lab_text), ".", &r->lab, err, errlen);
    else if (o->host_lab)
        rc = lab_load_host(&r->lab, err, errlen);
    else
        rc = lab_load_default(&r->lab, err, errlen);
    if (rc != 0) {
        run_free(r);
        return RUN_LAB;
    }
    struct lab *lab = r->lab;
    if (lab->n_drivers == 0) {
        /* a mesh-only lab (lab.c lets its drivers be left out) */
        snprintf(err, errlen,
                 "%s: no drivers to run (a lab with only a mesh section is "
                 "for `wattson bench mesh --lab`)",
                 lab->path);
        run_free(r);
        return RUN_LAB;
    }
    if (o->load_scale > 0 && lab_scale_load(lab, o->load_scale, err, errlen)) {
        run_free(r);
        return RUN_LAB;
    }
    if (o->duration_s > 0)
        lab->duration_s = o->duration_s;
    if (o->tick_s > 0)
        lab->tick_s = o->tick_s;
    if (o->has_seed)
        lab->seed = o->seed;
    const char *policy = o->policy ? o->policy : lab->policy;
    /* "builtin:NAME": a baseline governor (policies/governors.h). */
    const struct policy_ops *gov = NULL;
    char gerr[256];
    if (gov_parse(policy, &gov, gerr, sizeof gerr) < 0) {
        if (o->policy)
            snprintf(err, errlen, "--policy: %s", gerr);
        else
            snprintf(err, errlen, "%s: policy: %s", lab->path, gerr);
        run_free(r);
        return o->policy ? RUN_USAGE : RUN_LAB;
    }
    r->gov = gov;
    if (policy && !gov && strcmp(policy, "builtin") != 0) {
        /* A lab's policy is relative to the lab; --policy to the shell. */
        size_t n = strlen(lab->dir) + strlen(policy) + 2;
        r->policy_path = malloc(n);
        if (!r->policy_path) {
            snprintf(err, errlen, "out of memory");
            run_free(r);
            return RUN_ERR;
        }
        if (o->policy || policy[0] == '/')
            snprintf(r->policy_path, n, "%s", policy);
        else
            snprintf(r->policy_path, n, "%s/%s", lab->dir, policy);
    }
    r->tick_ns = (uint64_t)llround(lab->tick_s * 1e9);
    if (r->tick_ns == 0) {
        snprintf(err, errlen, "tick %.3g s is shorter than 1 ns", lab->tick_s);
        run_free(r);
        return RUN_USAGE;
    }
    r->total_ticks = (uint64_t)llround(lab->duration_s / lab->tick_s);
    if (r->total_ticks == 0)
        r->total_ticks = 1;
    /* The console without --duration runs until the user quits. */
    if (o->until_quit && !(o->duration_s > 0))
        r->total_ticks = UINT64_MAX;

    /* The clock must exist before init: drivers may read it. */
    clock_init_virtual(&r->clock);
    rc = load_drivers(r, o, err, errlen);
    if (rc != RUN_OK) {
        run_free(r);
        return rc;
    }
    /* Live IPC events carry CLOCK_MONOTONIC times: only a wall clock
     * puts them at the ticks they happened in. */
    if (!all_simulated(r) || o->realtime || o->ipc_socket || o->metrics)
        clock_init_wall(&r->clock);
    /* Neither --policy nor the lab names one: on a simulated lab the best
     * policy wattson has, as `bench broker` measures it (issue 13 §7);
     * on real drivers the built-in C policy, as the broker's figures come
     * from the sim's parts (README "Which policy by default"). */
    if (!policy && all_simulated(r)) {
        gov = gov_find(RUN_DEFAULT_SIM_POLICY);
        r->gov = gov;
        policy = "builtin:" RUN_DEFAULT_SIM_POLICY; /* the trace says so */
    }
    run_policy_limits(r, o);

    if (model_build(&r->model, r->plugs, r->n_plugs, o->allow_writes, err,
                    errlen) != 0) {
        run_free(r);
        return RUN_LAB;
    }
    r->model.budget_w = lab->budget_w;
    run_warn_budget_below_caps(&r->model);
    if (override_init(&r->ovr, &r->model) != 0) {
        snprintf(err, errlen, "out of memory");
        run_free(r);
        return RUN_ERR;
    }
    int real_writes = 0;
    for (size_t p = 0; p < r->model.n_plugins; p++)
        if (r->model.plugins[p].writable && !r->model.plugins[p].simulated)
            real_writes = 1;
    if (real_writes && !o->restoring) {
        r->lock_fd = safety_lock(err, errlen);
        if (r->lock_fd < 0) {
            run_free(r);
            return RUN_ERR;
        }
        /* Holding the lock, so no other writer's journal can be in
         * flight: a journal there now is a dead run's (or another lock's,
         * see rjournal_check). */
        rc =
            rjournal_setup(&r->journal, o, &r->sum.journal_errors, err, errlen);
        if (rc != RUN_OK) {
            run_free(r);
            return rc;
        }
        safety_warn_daemons(NULL);
    }
    for (size_t p = 0; p < r->model.n_plugins; p++)
        if (r->model.plugins[p].plug->desc->write &&
            !r->model.plugins[p].writable)
            log_msg(LOG_INFO,
                    "%s: read-only (real hardware; --allow-writes to "
                    "control it)",
                    r->model.plugins[p].name);

    if (o->out_path) {
        if (tracefile_open(&r->jsonl, o->out_path, 0, err, errlen) != 0) {
            run_free(r);
            return RUN_IO;
        }
        r->have_jsonl = 1;
    }
    if (o->csv_path) {
        if (tracefile_open(&r->csv, o->csv_path, TRACEFILE_CSV, err, errlen) !=
            0) {
            run_free(r);
            return RUN_IO;
        }
        r->have_csv = 1;
        if (r->have_jsonl && tracefile_on_stdout(&r->jsonl) &&
            tracefile_on_stdout(&r->csv)) {
            snprintf(err, errlen,
                     "--out and --csv both go to stdout; give one a file");
            run_free(r);
            return RUN_USAGE;
        }
    }
    r->out_stdout = (r->have_jsonl && tracefile_on_stdout(&r->jsonl)) ||
                    (r->have_csv && tracefile_on_stdout(&r->csv));
    r->loop = loop_new(err, errlen);
    if (!r->loop) {
        run_free(r);
        return RUN_ERR;
    }
    /* Before the engines and the first tick: a port in use ends the run
     * here, with nothing started (the traces are temporary files still,
     * removed by run_free). */
    if (o->metrics) {
        rc =
            metrics_new(&r->mx, loop_base(r->loop), o->metrics, r, err, errlen);
        if (rc != RUN_OK) {
            run_free(r);
            return rc;
        }
    }
    /* The registered engines (the broker first): they propose every tick,
     * and the policy decides what to take. */
    engines_init(&r->eng);
    if (engines_add_registered(&r->eng, &r->model) != 0) {
        snprintf(err, errlen, "out of memory");
        run_free(r);
        return RUN_ERR;
    }
    /* The lab's training job over its cluster, if it names one: a model
     * that does not load or a `pu` that is no PU is the lab's error. */
    {
        char why[768];
        if (partrun_configure(partrun_of(&r->eng), &r->model, r->lab, why,
                              sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", r->lab->path, why);
            run_free(r);
            return RUN_LAB;
        }
    }
    vgpu_configure(vgpu_of(&r->eng), r->lab->vgpu);
    if (gov_broker_source(gov) >= 0 && run_broker(r))
        broker_set_source(run_broker(r),
                          (enum broker_source)gov_broker_source(gov));
    if (record_init(&r->rec, &r->model,
                    o->history ? o->history : RUN_HISTORY_DEFAULT) != 0) {
        snprintf(err, errlen, "out of memory");
        run_free(r);
        return RUN_ERR;
    }
    /* Prime: one sample at t = 0 so the first tick has a previous value
     * for every counter, and a policy's first (shadow) tick sees data. */
    sample_run(&r->model, &r->stats, 0.0);
    features_run(&r->model);
    r->model.tick = 0;
    /* ...and into the history, so a policy's history() has it at tick 1. */
    ring_push(&r->rec.hist, r->model.val, r->model.valid);
    rc = run_vgpu_book(r, err, errlen);
    if (rc != RUN_OK) {
        run_free(r);
        return rc;
    }
    if (o->vgpu_socket) {
        rc = run_vgpu_start(r, o->vgpu_socket, err, errlen);
        if (rc != RUN_OK) {
            run_free(r);
            return rc;
        }
    }
    rc = run_ipc_start(r, o, err, errlen);
    if (rc != RUN_OK) {
        run_free(r);
        return rc;
    }
    if (r->policy_path) {
        rc = run_policy_start(r, err, errlen);
        if (rc != RUN_OK) {
            run_free(r);
            return rc;
        }
    }
    if (forecast_init(&r->fc, &r->model) != 0 ||
        decide_init(&r->dec, r->policy ? &policy_lua_ops : gov, r->policy,
                    &r->model) != 0 ||
        actuate_init(&r->act, &r->model) != 0) {
        snprintf(err, errlen, "out of memory");
        run_free(r);
        return RUN_ERR;
    }
    /* The lab's governor_period reaches ondemand/conservative. */
    gov_set_period(gov, r->dec.state, lab->governor_period_s);
    if (r->journal.hook) {
        r->act.on_saved = rjournal_on_saved;
        r->act.on_saved_ctx = &r->journal;
    }
    if (r->have_jsonl) {
        r->jsonl.extra = run_trace_extra(r);
        tracefile_header(&r->jsonl, &r->model, lab,
                         policy ? policy : "builtin");
        r->rec.jsonl = &r->jsonl;
    }
    if (r->have_csv) {
        tracefile_header(&r->csv, &r->model, lab, policy ? policy : "builtin");
        r->rec.csv = &r->csv;
    }
    r->sum.budget_w = lab->budget_w;
    r->progress = o->progress;
    r->tk = (struct tick){.m = &r->model,
                          .st = &r->stats,
                          .sum = &r->sum,
                          .fc = &r->fc,
                          .eng = &r->eng,
                          .dec = &r->dec,
                          .ovr = &r->ovr,
                          .act = &r->act,
                          .rec = &r->rec,
                          .ipcin = r->ipcin};

    active_run = r;
    *out = r;
    return RUN_OK;
}

void run_tick(struct run *r)
{
    uint64_t k = r->model.tick + 1;
    if (r->clock.is_virtual)
        clock_set(&r->clock, k * r->tick_ns);
    tick_run(&r->tk, k, (double)clock_now(&r->clock) / 1e9, r->stage_ns);
}

void run_tick_sample_only(struct run *r)
{
    struct model *m = &r->model;
    uint64_t k = m->tick + 1;
    if (r->clock.is_virtual)
        clock_set(&r->clock, k * r->tick_ns);
    sample_run(m, &r->stats, (double)clock_now(&r->clock) / 1e9);
    m->tick = k;
}

static void show_progress(struct run *r, int last)
{
    uint64_t now = clock_mono_ns();
    if (!last && now - r->progress_ns < 500000000u)
        return;
    r->progress_ns = now;
    double pct = 100.0 * (double)r->model.tick / (double)r->total_ticks;
    fprintf(stderr, "\rwattson: %5.1f%%  %.1f of %.1f s simulated%s", pct,
            r->model.t, r->lab->duration_s, last ? "\n" : "");
}

static int step(void *arg)
{
    struct run *r = arg;
    run_policy_service(r);
    run_tick(r);
    if (r->progress && (r->model.tick & 1023) == 0)
        show_progress(r, 0);
    return r->model.tick >= r->total_ticks;
}

void run_end_soon(struct run *r, double grace_s)
{
    uint64_t k = (uint64_t)ceil(grace_s * 1e9 / (double)r->tick_ns);
    uint64_t end = r->model.tick + (k ? k : 1);
    if (end < r->total_ticks)
        r->total_ticks = end;
}

int run_loop(struct run *r, char *err, size_t errlen)
{
    struct loop *l = r->loop;
    r->wall_start_ns = clock_mono_ns();
    r->progress_ns = r->wall_start_ns;
    int rc = loop_run(l, !r->clock.is_virtual, r->tick_ns, step, r);
    r->sum.wall_seconds = (double)(clock_mono_ns() - r->wall_start_ns) / 1e9;
    if (r->progress)
        show_progress(r, 1);
    if (loop_signal(l)) {
        r->sum.interrupted = 1;
        log_msg(LOG_WARN,
                "stopped by signal %d at t=%.3f s; restoring "
                "controls",
                loop_signal(l), r->model.t);
    }
    if (loop_overruns(l))
        log_msg(LOG_WARN,
                "%llu tick deadlines were missed (tick too short "
                "for this machine?)",
                (unsigned long long)loop_overruns(l));
    if (rc != 0) {
        snprintf(err, errlen, "event loop failed");
        return RUN_ERR;
    }
    return r->sum.interrupted ? RUN_INTERRUPTED : RUN_OK;
}

struct loop *run_event_loop(struct run *r)
{
    return r->loop;
}

int run_finish(struct run *r, char *err, size_t errlen)
{
    int code = RUN_OK;
    r->finished = 1;
    /* Its last counters (clients still connected) into the summary. */
    run_vgpu_stop(r);
    if (actuate_restore(&r->act, &r->model, &r->stats) > 0) {
        snprintf(err, errlen, "%llu controls could not be restored",
                 (unsigned long long)r->stats.restore_errors);
        code = RUN_PLUGIN;
    }
    rjournal_done(&r->journal, r->act.restored, r->stats.restore_errors, 0);
    r->sum.driver_errors = r->stats.driver_errors;
    if (summary_check_limits(&r->sum, r->lab->limits, r->lab->n_limits) &&
        code == RUN_OK) {
        double v = 0;
        summary_get(&r->sum, r->sum.limit_broken, &v);
        snprintf(err, errlen, "%s: limit broken: %s = %.6g > %.6g",
                 r->lab->path, r->sum.limit_broken, v, r->sum.limit_value);
        code = RUN_LIMITS;
    }
    char msg[512];
    if (r->have_jsonl) {
        r->have_jsonl = 0;
        if (tracefile_commit(&r->jsonl, &r->sum, msg, sizeof msg) != 0) {
            snprintf(err, errlen, "%s", msg);
            code = RUN_IO;
        }
    }
    if (r->have_csv) {
        r->have_csv = 0;
        if (tracefile_commit(&r->csv, &r->sum, msg, sizeof msg) != 0) {
            snprintf(err, errlen, "%s", msg);
            code = RUN_IO;
        }
    }
    if (r->have_rtrace && run_record_stop(r, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s", msg);
        code = RUN_IO;
    }
    if (ipcin_commit(r->ipcin, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "--ipc-out %s", msg);
        code = RUN_IO;
    }
    return code;
}

/* --ipc-socket, --ipc-replay, --ipc-out (core/ipcin.h). */
static int run_ipc_start(struct run *r, const struct run_opts *o, char *err,
                         size_t errlen)
{
    const struct ipcin_opts io = {.socket = o->ipc_socket,
                                  .replay = o->ipc_replay,
                                  .out = o->ipc_out,
                                  .t0_ns = r->clock.start_ns};
    static const int code[] = {[IPCIN_OK] = RUN_OK,
                               [IPCIN_EINPUT] = RUN_LAB,
                               [IPCIN_EOUTPUT] = RUN_IO,
                               [IPCIN_ESOCKET] = RUN_IO};
    int st = ipcin_new(&r->ipcin, &io, r->lab->ipc_procs, r->loop, &r->model,
                       &r->sum, err, errlen);
    return code[st];
}

int run_output_on_stdout(const struct run *r)
{
    return r->out_stdout;
}

void run_free(struct run *r)
{
    if (!r)
        return;
    if (active_run == r)
        active_run = NULL;
    /* No scrape may read what is freed below. */
    metrics_free(r->mx);
    r->mx = NULL;
    if (r->model.n_plugins) {
        actuate_restore(&r->act, &r->model, &r->stats);
        rjournal_done(&r->journal, r->act.restored, r->stats.restore_errors, 0);
    }
    if (r->have_jsonl)
        tracefile_abort(&r->jsonl);
    if (r->have_csv)
        tracefile_abort(&r->csv);
    if (r->have_rtrace)
        tracefile_abort(&r->rtrace);
    record_free(&r->rec);
    actuate_free(&r->act);
    decide_free(&r->dec);
    engines_free(&r->eng);
    forecast_free(&r->fc);
    model_free(&r->model);
    for (size_t i = r->n_plugs; i-- > 0;)
        plug_close(r->plugs[i]);
    free(r->plugs);
    free(r->hosts);
    safety_unlock(r->lock_fd);
    run_vgpu_stop(r);     /* before the loop: it ends its registration */
    ipcin_free(r->ipcin); /* the same */
    r->ipcin = NULL;
    watch_free(r->watch); /* before the loop: it ends its registrations */
    loop_free(r->loop);
    policy_free(r->policy);
    vgledger_free(r->vgl); /* after the policy: its versions hold clients */
    override_free(&r->ovr);
    free(r->policy_path);
    rjournal_free(&r->journal);
    lab_free(r->lab);
    free(r);
}

int run_active(void)
{
    return active_run != NULL;
}

void run_emergency_restore(void)
{
    struct run *r = active_run;
    if (r && r->model.n_plugins) {
        /* Each driver in a child: the crash that brought us here may be
         * a driver's, and may happen again in its restore. */
        actuate_restore_isolated(&r->act, &r->model, &r->stats);
        rjournal_done(&r->journal, r->act.restored, r->stats.restore_errors, 1);
    }
}

/* An error line on stderr: it may quote a lab's names or keys, so control
 * characters are escaped as in the log. */
static void run_print_error(const char *err)
{
    char buf[1024];
    fprintf(stderr, "wattson: %s\n", log_escape(buf, sizeof buf, err));
}

int run_main(const struct run_opts *o, run_drive_fn drive, FILE *summary)
{
    char err[1024] = "";
    struct run *r = NULL;
    int code = run_new(o, &r, err, sizeof err);
    if (code != RUN_OK) {
        run_print_error(err);
        return code;
    }
    int loop_code = drive(r, err, sizeof err);
    if (loop_code == RUN_ERR) {
        run_print_error(err);
        run_free(r);
        return RUN_ERR;
    }
    code = run_finish(r, err, sizeof err);
    int lost = 0;
    /* An output on stdout already holds the summary (the JSONL trace's
     * last line), or must stay one format (the CSV). */
    if (summary && !run_output_on_stdout(r)) {
        summary_write_json(&r->sum, summary, 1);
        fputc('\n', summary);
        /* stdout may be a full disk or a closed pipe: a summary that did
         * not get out is an I/O failure, not a success. */
        errno = 0;
        if (fflush(summary) != 0 || ferror(summary)) {
            fprintf(stderr, "wattson: cannot write the summary: %s\n",
                    errno ? strerror(errno) : "write error");
            lost = 1;
        }
    }
    if (code != RUN_OK)
        run_print_error(err);
    run_free(r);
    if (code == RUN_OK && loop_code == RUN_INTERRUPTED)
        code = RUN_INTERRUPTED;
    if (lost && (code == RUN_OK || code == RUN_INTERRUPTED))
        code = RUN_IO;
    return code;
}

int run_headless(const struct run_opts *o, FILE *out)
{
    return run_main(o, run_loop, out);
}
