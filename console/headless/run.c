/*
 * run - see run.h.
 *
 * Set-up order matters for safety: outputs are opened (and so checked
 * writable) before any driver is written, and controls are saved by
 * actuate before its first write; every exit path after the first tick
 * goes through run_finish or run_free, which restore them.
 */
#include "headless/run.h"
#include "headless/rjournal.h"

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
#include "core/stats.h"
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
#include "pipeline/governors.h"
#include "pipeline/guard.h"
#include "pipeline/propose.h"
#include "engines/broker.h"
#include "pipeline/record.h"
#include "pipeline/sample.h"

struct run {
    struct lab *lab;
    struct plug **plugs;
    struct host_ctx *hosts;
    size_t n_plugs;
    struct clock clock;
    struct model model;
    struct stats stats;
    struct forecast fc;
    struct propose prop;
    const struct policy_ops *gov; /* a builtin:NAME baseline, or NULL */
    struct decide dec;
    struct actuate act;
    struct record rec;
    struct summary sum;
    struct tracefile jsonl, csv;
    int out_stdout; /* one of them goes to stdout */
    int have_jsonl, have_csv;
    uint64_t tick_ns;
    uint64_t total_ticks;
    uint64_t wall_start_ns;
    uint64_t progress_ns;
    int progress;
    int finished;
    int lock_fd; /* the machine's writer lock, -1 when not held */
    struct loop *loop;
    struct policy *policy; /* the Lua policy host, or NULL (built-in) */
    struct watch *watch;   /* the policy file's watcher */
    char *policy_path;
    int source_missing; /* reported once per disappearance */
    int reload_asked;   /* the pending reload is r/SIGHUP, not an edit */
    int last_reload;    /* enum policy_load_result of the last try */
    char last_reload_err[256];
    uint64_t *stage_ns;
    struct policy_limits plim; /* for a policy started later (a switch) */
    int sighup_on;
    /* Manual overrides (the console's `set`), per control: applied after
     * decide and before guard every tick until cleared. */
    double *ovr;
    uint8_t *ovr_set;
    size_t n_ovr;
    /* `record start`: a trace of the ticks from now on. */
    struct tracefile rtrace;
    int have_rtrace;
    /* The saved-controls journal of a run that writes real hardware. */
    struct rjournal journal;
};

static struct run *active_run;

static const char *const stage_names[STAGE__N] = {
    "sample", "features", "forecast", "propose",
    "decide", "guard",    "actuate",  "record",
};

const char *run_stage_name(enum run_stage s)
{
    return (unsigned)s < STAGE__N ? stage_names[s] : "?";
}

void run_set_stage_timer(struct run *r, uint64_t *ns)
{
    r->stage_ns = ns;
}

const char *run_builtin_name(const struct run *r)
{
    return r->gov ? r->gov->name : NULL;
}

void *run_broker(struct run *r)
{
    return r->prop.n ? r->prop.state[0] : NULL;
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
        rc = plug_init(&p, &h, msg, sizeof msg);
        if (rc == PLUG_ERR_CONFIG) {
            /* A lab error: name the lab and the field, not the .so. */
            const char *why = strstr(msg, "init failed: ");
            why = why ? why + strlen("init failed: ") : msg;
            snprintf(err, errlen, "%s: %s: %s", lab->path, ld->field, why);
            return RUN_LAB;
        }
        if (rc == PLUG_ERR_ABSENT && ld->optional) {
            /* One lab for several machines: a driver marked optional
             * that finds nothing here is left out, said once. */
            const char *why = strstr(msg, "init failed: ");
            why = why ? why + strlen("init failed: ") : msg;
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

static void on_sighup(void *arg)
{
    struct run *r = arg;
    /* The console may have gone back to a built-in policy. */
    if (!r->watch) {
        log_msg(LOG_INFO, "SIGHUP: no Lua policy to reload");
        return;
    }
    log_msg(LOG_INFO, "SIGHUP: reloading %s", r->policy_path);
    r->reload_asked = 1;
    watch_request(r->watch);
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
static void policy_limits_for(struct run *r, const struct run_opts *o)
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

static int policy_start(struct run *r, char *err, size_t errlen)
{
    char msg[1024];
    r->watch = watch_new(r->loop, r->policy_path, msg, sizeof msg);
    if (!r->watch) {
        snprintf(err, errlen, "policy %s: %s", r->policy_path, msg);
        return RUN_LAB;
    }
    char *text;
    size_t len;
    if (watch_read(r->watch, &text, &len, err, errlen) != 0)
        return RUN_LAB;
    if (policy_new(&r->policy, &r->model, &r->rec.hist, &r->plim, msg,
                   sizeof msg) != 0) {
        free(text);
        snprintf(err, errlen, "%s", msg);
        return RUN_ERR;
    }
    int rc = policy_load(r->policy, r->policy_path, text, len, &r->model, err,
                         errlen);
    free(text);
    if (rc != POLICY_SWAPPED)
        return RUN_LAB;
    if (loop_add_signal(r->loop, SIGHUP, on_sighup, r) < 0) {
        snprintf(err, errlen, "cannot watch SIGHUP");
        return RUN_ERR;
    }
    r->sighup_on = 1;
    return RUN_OK;
}

/* The last rejection's message, for the console's header (truncated). */
static void keep_reload_err(struct run *r, const char *err)
{
    size_t n = strlen(err);
    if (n >= sizeof r->last_reload_err)
        n = sizeof r->last_reload_err - 1;
    memcpy(r->last_reload_err, err, n);
    r->last_reload_err[n] = '\0';
}

static void trace_reload(struct run *r, int ok, const char *error)
{
    if (r->have_jsonl)
        tracefile_reload(&r->jsonl, &r->model, ok, error);
    if (r->have_rtrace)
        tracefile_reload(&r->rtrace, &r->model, ok, error);
}

/* run_policy_text with the version named `name` (a switch names the new
 * file). */
static int policy_text_named(struct run *r, const char *name, const char *text,
                             size_t len, char *err, size_t errlen)
{
    if (!r->policy) {
        snprintf(err, errlen, "this run has no Lua policy");
        return POLICY_REJECTED;
    }
    int rc = policy_load(r->policy, name, text, len, &r->model, err, errlen);
    if (rc == POLICY_SAME)
        return rc;
    r->last_reload = rc;
    if (rc == POLICY_SWAPPED) {
        r->last_reload_err[0] = '\0';
        r->sum.reloads++;
        log_msg(LOG_INFO, "%s: version %llu loaded", name,
                (unsigned long long)policy_version(r->policy));
        decide_resume(&r->dec);
        trace_reload(r, 1, NULL);
        return rc;
    }
    keep_reload_err(r, err);
    r->sum.reload_errors++;
    log_msg(LOG_WARN,
            "reload rejected, the previous version keeps deciding: %s", err);
    policy_event(r->policy, "reload_rejected", err);
    trace_reload(r, 0, err);
    return rc;
}

int run_policy_text(struct run *r, const char *text, size_t len, char *err,
                    size_t errlen)
{
    return policy_text_named(r, r->policy_path, text, len, err, errlen);
}

uint64_t run_policy_allocs(const struct run *r)
{
    return r->policy ? policy_lua_allocs(r->policy) : 0;
}

size_t run_policy_mem(const struct run *r)
{
    return r->policy ? policy_lua_mem(r->policy) : 0;
}

int run_policy_in_fallback(const struct run *r)
{
    return r->dec.in_fallback;
}

/* Between ticks: a debounced change of the policy file (or SIGHUP) loads
 * the file as the next version, transactionally. */
static void policy_reload(struct run *r)
{
    char *text, err[1024];
    size_t len;
    if (watch_read(r->watch, &text, &len, err, sizeof err) != 0) {
        if (!r->source_missing) {
            r->last_reload = POLICY_REJECTED;
            keep_reload_err(r, err);
            log_msg(LOG_WARN, "%s; the loaded policy keeps deciding", err);
            r->sum.reload_errors++;
            trace_reload(r, 0, err);
        }
        r->source_missing = 1;
        return;
    }
    r->source_missing = 0;
    int asked = r->reload_asked;
    r->reload_asked = 0;
    int rc = run_policy_text(r, text, len, err, sizeof err);
    int running =
        rc == POLICY_SAME && policy_is_active_text(r->policy, text, len);
    free(text);
    if (running && r->last_reload == POLICY_REJECTED) {
        /* The file is back to the running version: the rejection no
         * longer describes it. */
        r->last_reload = POLICY_SWAPPED;
        r->last_reload_err[0] = '\0';
        log_msg(LOG_INFO, "%s: back to the running version %llu",
                r->policy_path, (unsigned long long)policy_version(r->policy));
    }
    if (rc != POLICY_SAME || !asked)
        return;
    /* An explicit reload (r, SIGHUP) of unchanged text: say so, and in
     * safe fallback give the running version the lead again (what made
     * its ticks fail may have passed; ten more failing ticks hand it
     * back to the built-in policy). */
    if (running && r->dec.in_fallback) {
        log_msg(LOG_INFO,
                "%s: unchanged; version %llu decides again (it had failed "
                "%u ticks in a row)",
                r->policy_path, (unsigned long long)policy_version(r->policy),
                r->dec.max_failures);
        decide_resume(&r->dec);
    } else if (running) {
        log_msg(LOG_INFO, "%s: unchanged; version %llu keeps deciding",
                r->policy_path, (unsigned long long)policy_version(r->policy));
    } else {
        log_msg(LOG_WARN,
                "%s: unchanged since it was rejected; version %llu keeps "
                "deciding",
                r->policy_path, (unsigned long long)policy_version(r->policy));
    }
}

enum run_policy_state run_policy_state(const struct run *r, const char **detail)
{
    if (detail)
        *detail = "";
    if (!r->policy)
        return RUN_POLICY_BUILTIN;
    if (r->dec.in_fallback)
        return RUN_POLICY_FALLBACK;
    if (r->last_reload == POLICY_REJECTED) {
        if (detail)
            *detail = r->last_reload_err;
        return RUN_POLICY_REJECTED;
    }
    return r->sum.reloads > 0 ? RUN_POLICY_RELOADED : RUN_POLICY_RUNNING;
}

const char *run_policy_path(const struct run *r)
{
    return r->policy ? r->policy_path : NULL;
}

uint64_t run_policy_version(const struct run *r)
{
    return r->policy ? policy_version(r->policy) : 0;
}

int run_request_reload(struct run *r)
{
    if (!r->watch)
        return -1;
    r->reload_asked = 1;
    watch_request(r->watch);
    return 0;
}

int run_service(struct run *r)
{
    if (r->watch && watch_take(r->watch)) {
        policy_reload(r);
        return 1;
    }
    return 0;
}

int run_clock_is_virtual(const struct run *r)
{
    return r->clock.is_virtual;
}

/* A budget below the power caps' minimums cannot be met: it is not
 * refused (the broker's degraded mode runs every PU at its lowest state),
 * but the caps are held at their minimums (a Lua policy's caps above them
 * are rejected, policy.c) and the user is told, at start and at every
 * change. */
static void warn_budget_below_caps(const struct model *m)
{
    double mins = 0;
    for (size_t k = 0; k < m->n_devices; k++) {
        int32_t c = m->devices[k].ctl[CTL_POWER_CAP];
        if (c >= 0)
            mins += m->controls[c].min;
    }
    if (m->budget_w > 0 && mins > m->budget_w)
        log_msg(LOG_WARN,
                "budget %g W is below the sum of the power caps' minimums "
                "(%g W): every cap is held at its minimum and the power may "
                "exceed the budget",
                m->budget_w, mins);
}

void run_set_budget(struct run *r, double watts)
{
    if (!(watts >= 0))
        watts = 0;
    r->model.budget_w = watts;
    r->lab->budget_w = watts;
    r->sum.budget_w = watts;
    warn_budget_below_caps(&r->model);
}

/* ---- the console's commands: policy switch, overrides, recording ---- */

/* From the built-in policy to a Lua one: a host, its first version, the
 * decide stage re-made with the Lua ops.  Nothing changes on failure. */
static int policy_first(struct run *r, const char *name, const char *text,
                        size_t len, char *err, size_t errlen)
{
    struct policy *p = NULL;
    struct decide nd;
    if (policy_new(&p, &r->model, &r->rec.hist, &r->plim, err, errlen) != 0)
        return POLICY_REJECTED;
    int rc = policy_load(p, name, text, len, &r->model, err, errlen);
    if (rc != POLICY_SWAPPED) {
        policy_free(p);
        log_msg(LOG_WARN,
                "policy rejected, the built-in policy keeps "
                "deciding: %s",
                err);
        trace_reload(r, 0, err);
        return POLICY_REJECTED;
    }
    if (decide_init(&nd, &policy_lua_ops, p, &r->model) != 0) {
        policy_free(p);
        snprintf(err, errlen, "out of memory");
        return POLICY_REJECTED;
    }
    if (!r->sighup_on) {
        if (loop_add_signal(r->loop, SIGHUP, on_sighup, r) < 0) {
            decide_free(&nd);
            policy_free(p);
            snprintf(err, errlen, "cannot watch SIGHUP");
            return POLICY_REJECTED;
        }
        r->sighup_on = 1;
    }
    decide_free(&r->dec);
    r->dec = nd;
    r->policy = p;
    r->last_reload = POLICY_SWAPPED;
    r->last_reload_err[0] = '\0';
    log_msg(LOG_INFO,
            "%s: version %llu loaded (the built-in policy no "
            "longer decides)",
            name, (unsigned long long)policy_version(p));
    trace_reload(r, 1, NULL);
    return POLICY_SWAPPED;
}

/* To "builtin" (the built-in C policy) or "builtin:NAME" (a baseline):
 * the decide stage re-made with its ops; the Lua policy, its watch and
 * its file are let go.  Nothing changes on failure. */
static int policy_to_builtin(struct run *r, const char *spec, char *err,
                             size_t errlen)
{
    const struct policy_ops *gov = NULL;
    char gerr[256];
    if (gov_parse(spec, &gov, gerr, sizeof gerr) < 0) {
        snprintf(err, errlen, "%s", gerr);
        return POLICY_REJECTED;
    }
    if (!r->policy && r->gov == gov) {
        snprintf(err, errlen, "%s already decides; nothing changed", spec);
        return POLICY_SAME;
    }
    struct decide nd;
    if (decide_init(&nd, gov, NULL, &r->model) != 0) {
        snprintf(err, errlen, "out of memory");
        return POLICY_REJECTED;
    }
    decide_free(&r->dec);
    r->dec = nd;
    policy_free(r->policy);
    r->policy = NULL;
    watch_free(r->watch);
    r->watch = NULL;
    free(r->policy_path);
    r->policy_path = NULL;
    r->source_missing = 0;
    r->gov = gov;
    /* The broker baselines choose what the broker reads; every other
     * policy sees the broker as run_new sets it up. */
    if (run_broker(r))
        broker_set_source(run_broker(r),
                          gov_broker_source(gov) >= 0
                              ? (enum broker_source)gov_broker_source(gov)
                              : BROKER_IPC);
    r->last_reload = POLICY_SWAPPED;
    r->last_reload_err[0] = '\0';
    log_msg(LOG_INFO, "%s now decides", spec);
    trace_reload(r, 1, NULL);
    return POLICY_SWAPPED;
}

int run_policy_switch(struct run *r, const char *path, char *err, size_t errlen)
{
    char msg[1024];
    if (!path || !*path) {
        snprintf(err, errlen, "no policy file given");
        return POLICY_REJECTED;
    }
    if (strcmp(path, "builtin") == 0 || strncmp(path, "builtin:", 8) == 0)
        return policy_to_builtin(r, path, err, errlen);
    /* Every path below frees what it made: a session may switch and be
     * refused any number of times. */
    struct watch *w = watch_new(r->loop, path, msg, sizeof msg);
    if (!w) {
        snprintf(err, errlen, "%s: %s", path, msg);
        return POLICY_REJECTED;
    }
    char *npath = strdup(path), *text = NULL;
    size_t len = 0;
    if (!npath) {
        snprintf(err, errlen, "out of memory");
        watch_free(w);
        return POLICY_REJECTED;
    }
    if (watch_read(w, &text, &len, err, errlen) != 0) {
        watch_free(w);
        free(npath);
        return POLICY_REJECTED;
    }
    int rc = r->policy ? policy_text_named(r, npath, text, len, err, errlen)
                       : policy_first(r, npath, text, len, err, errlen);
    free(text);
    if (rc == POLICY_SAME)
        snprintf(err, errlen,
                 "%s: same text as the running (or last rejected) version; "
                 "nothing loaded",
                 path);
    if (rc != POLICY_SWAPPED) {
        watch_free(w);
        free(npath);
        return rc;
    }
    watch_free(r->watch);
    r->watch = w;
    free(r->policy_path);
    r->policy_path = npath;
    r->source_missing = 0;
    if (r->gov && run_broker(r))
        broker_set_source(run_broker(r), BROKER_IPC);
    r->gov = NULL;
    return rc;
}

/* The control `ctl` of device `dev`, or -1 with a message. */
static int find_ctl(const struct run *r, const char *dev, const char *ctl,
                    char *err, size_t errlen)
{
    const struct model *m = &r->model;
    int d = dev ? model_find_device(m, dev) : -1;
    if (d < 0) {
        snprintf(err, errlen, "no such device '%s'", dev ? dev : "");
        return -1;
    }
    int c = ctl ? model_find_control(m, (uint32_t)d, ctl) : -1;
    if (c < 0) {
        size_t n = (size_t)snprintf(err, errlen, "%s has no control '%s' (",
                                    dev, ctl ? ctl : "");
        for (uint32_t i = m->dctl_off[d]; i < m->dctl_off[d + 1] && n < errlen;
             i++)
            n += (size_t)snprintf(err + n, errlen - n, "%s%s",
                                  i > m->dctl_off[d] ? ", " : "",
                                  m->controls[m->dctl[i]].name);
        if (n < errlen)
            snprintf(err + n, errlen - n, "%s)",
                     m->dctl_off[d] == m->dctl_off[d + 1] ? "none" : "");
        return -1;
    }
    return c;
}

int run_override(struct run *r, const char *dev, const char *ctl, double value,
                 char *err, size_t errlen)
{
    int c = find_ctl(r, dev, ctl, err, errlen);
    if (c < 0)
        return -1;
    const struct model_control *mc = &r->model.controls[c];
    if (!isfinite(value)) {
        snprintf(err, errlen, "%s.%s: not a finite number", dev, ctl);
        return -1;
    }
    if (value < mc->min || value > mc->max) {
        snprintf(err, errlen, "%s.%s: %g outside [%g, %g] %s", dev, ctl, value,
                 mc->min, mc->max, mc->unit);
        return -1;
    }
    if (!r->model.plugins[mc->plugin].writable) {
        snprintf(err, errlen,
                 "%s.%s: read-only (real hardware without --allow-writes)", dev,
                 ctl);
        return -1;
    }
    if (!r->ovr_set[c])
        r->n_ovr++;
    r->ovr[c] = value;
    r->ovr_set[c] = 1;
    return 0;
}

int run_override_clear(struct run *r, const char *dev, const char *ctl,
                       char *err, size_t errlen)
{
    int c = find_ctl(r, dev, ctl, err, errlen);
    if (c < 0)
        return -1;
    if (r->ovr_set[c])
        r->n_ovr--;
    r->ovr_set[c] = 0;
    return 0;
}

int run_override_get(const struct run *r, size_t c, double *value)
{
    if (c >= r->model.n_controls || !r->ovr_set[c])
        return 0;
    if (value)
        *value = r->ovr[c];
    return 1;
}

/* After decide, before guard: the overrides are decisions like any other
 * and go through the guard. */
static void apply_overrides(struct run *r, struct model *m)
{
    if (!r->n_ovr)
        return;
    for (size_t c = 0; c < m->n_controls; c++)
        if (r->ovr_set[c]) {
            m->decision[c] = r->ovr[c];
            m->decided[c] = 1;
        }
}

int run_record_start(struct run *r, const char *path, char *err, size_t errlen)
{
    if (r->have_rtrace) {
        snprintf(err, errlen, "already recording to %s (record stop first)",
                 r->rtrace.path);
        return -1;
    }
    if (!path || !*path) {
        snprintf(err, errlen, "no file given");
        return -1;
    }
    if ((r->have_jsonl && strcmp(path, r->jsonl.path) == 0) ||
        (r->have_csv && strcmp(path, r->csv.path) == 0)) {
        snprintf(err, errlen, "%s: the run's own output", path);
        return -1;
    }
    if (tracefile_open(&r->rtrace, path,
                       TRACEFILE_NO_STDOUT | TRACEFILE_NO_WAIT, err,
                       errlen) != 0)
        return -1;
    tracefile_header(&r->rtrace, &r->model, r->lab,
                     r->policy_path ? r->policy_path : "builtin");
    r->have_rtrace = 1;
    return 0;
}

int run_record_stop(struct run *r, char *err, size_t errlen)
{
    if (!r->have_rtrace) {
        snprintf(err, errlen, "not recording");
        return -1;
    }
    r->have_rtrace = 0;
    return tracefile_commit(&r->rtrace, &r->sum, err, errlen);
}

const char *run_record_path(const struct run *r)
{
    return r->have_rtrace ? r->rtrace.path : NULL;
}

void run_set_outcome(struct run *r, double wall_seconds, int interrupted)
{
    r->sum.wall_seconds = wall_seconds;
    r->sum.interrupted = interrupted;
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
    if (o->duration_s > 0)
        lab->duration_s = o->duration_s;
    if (o->tick_s > 0)
        lab->tick_s = o->tick_s;
    if (o->has_seed)
        lab->seed = o->seed;
    const char *policy = o->policy ? o->policy : lab->policy;
    /* "builtin:NAME": a baseline governor (pipeline/governors.h). */
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
    if (!all_simulated(r) || o->realtime)
        clock_init_wall(&r->clock);
    policy_limits_for(r, o);

    if (model_build(&r->model, r->plugs, r->n_plugs, o->allow_writes, err,
                    errlen) != 0) {
        run_free(r);
        return RUN_LAB;
    }
    r->model.budget_w = lab->budget_w;
    warn_budget_below_caps(&r->model);
    r->ovr =
        calloc(r->model.n_controls ? r->model.n_controls : 1, sizeof *r->ovr);
    r->ovr_set = calloc(r->model.n_controls ? r->model.n_controls : 1, 1);
    if (!r->ovr || !r->ovr_set) {
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
    propose_init(&r->prop);
    /* The broker is engine 0 (run_broker): it proposes every tick, and
     * the policy decides what to take. */
    if (propose_add(&r->prop, &broker_engine_ops, &r->model) != 0) {
        snprintf(err, errlen, "out of memory");
        run_free(r);
        return RUN_ERR;
    }
    if (gov_broker_source(gov) >= 0 && run_broker(r))
        broker_set_source(run_broker(r),
                          (enum broker_source)gov_broker_source(gov));
    if (record_init(&r->rec, &r->model, o->history ? o->history : 256) != 0) {
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
    if (r->policy_path) {
        rc = policy_start(r, err, errlen);
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
    if (r->journal.hook) {
        r->act.on_saved = rjournal_on_saved;
        r->act.on_saved_ctx = &r->journal;
    }
    if (r->have_jsonl) {
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

    active_run = r;
    *out = r;
    return RUN_OK;
}

static void stage_mark(struct run *r, enum run_stage s, uint64_t *t0)
{
    uint64_t t1 = clock_mono_ns();
    r->stage_ns[s] += t1 - *t0;
    *t0 = t1;
}

void run_tick(struct run *r)
{
    struct model *m = &r->model;
    uint64_t k = m->tick + 1;
    if (r->clock.is_virtual)
        clock_set(&r->clock, k * r->tick_ns);
    double t_now = (double)clock_now(&r->clock) / 1e9;

    if (!r->stage_ns) {
        sample_run(m, &r->stats, t_now);
        m->tick = k;
        features_run(m);
        forecast_run(&r->fc, m);
        propose_run(&r->prop, m);
        decide_run(&r->dec, m, &r->stats);
        apply_overrides(r, m);
        guard_run(m, &r->stats);
        actuate_run(&r->act, m, &r->stats);
    } else {
        uint64_t t0 = clock_mono_ns();
        sample_run(m, &r->stats, t_now);
        m->tick = k;
        stage_mark(r, STAGE_SAMPLE, &t0);
        features_run(m);
        stage_mark(r, STAGE_FEATURES, &t0);
        forecast_run(&r->fc, m);
        stage_mark(r, STAGE_FORECAST, &t0);
        propose_run(&r->prop, m);
        stage_mark(r, STAGE_PROPOSE, &t0);
        decide_run(&r->dec, m, &r->stats);
        apply_overrides(r, m);
        stage_mark(r, STAGE_DECIDE, &t0);
        guard_run(m, &r->stats);
        stage_mark(r, STAGE_GUARD, &t0);
        actuate_run(&r->act, m, &r->stats);
        stage_mark(r, STAGE_ACTUATE, &t0);
    }
    r->sum.policy_errors = r->stats.policy_errors;
    r->sum.rejected_decisions = r->stats.rejected_decisions;
    r->sum.driver_errors = r->stats.driver_errors;
    r->sum.invalid_samples = r->stats.invalid_samples;
    r->sum.fallback_ticks = r->stats.fallback_ticks;
    if (r->prop.n) {
        struct broker_counters bc;
        broker_counters(r->prop.state[0], &bc);
        r->sum.broker_adjustments = bc.adjustments;
        r->sum.broker_held = bc.held;
        r->sum.broker_budget_limited = bc.budget_limited;
        r->sum.broker_thermal_limited = bc.thermal_limited;
        r->sum.broker_degraded_ticks = bc.degraded_ticks;
        r->sum.ipc_events = bc.ipc_events;
        r->sum.ipc_unknown = bc.ipc_unknown;
    }
    r->sum.ipc_dropped = m->ipc_dropped;
    if (!r->stage_ns) {
        record_run(&r->rec, m, &r->sum);
    } else {
        uint64_t t0 = clock_mono_ns();
        record_run(&r->rec, m, &r->sum);
        stage_mark(r, STAGE_RECORD, &t0);
    }
    if (r->have_rtrace)
        tracefile_tick(&r->rtrace, m,
                       r->rec.last_power_valid ? r->rec.last_power_w : 0);
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
    run_service(r);
    run_tick(r);
    if (r->progress && (r->model.tick & 1023) == 0)
        show_progress(r, 0);
    return r->model.tick >= r->total_ticks;
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
    return code;
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
    propose_free(&r->prop);
    forecast_free(&r->fc);
    model_free(&r->model);
    for (size_t i = r->n_plugs; i-- > 0;)
        plug_close(r->plugs[i]);
    free(r->plugs);
    free(r->hosts);
    safety_unlock(r->lock_fd);
    watch_free(r->watch); /* before the loop: it ends its registrations */
    loop_free(r->loop);
    policy_free(r->policy);
    free(r->ovr);
    free(r->ovr_set);
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
