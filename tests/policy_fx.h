/*
 * policy_fx.h - the fixture the two Lua policy host test programs share:
 * test_policy (what a reload rejects, sandbox escapes) and
 * test_policy_runtime (accepted versions that fail later, fallback,
 * persist, budgets, no allocation per tick).
 *
 * A run of LAB whose policy file holds GOOD unless told otherwise, with
 * the log captured into logbuf.  Header-only, like t.h, because its checks
 * must count in the including program's t_checks and t_failed.
 *
 * Who decided is read from cpu0's freq target: the good policy sets it to
 * the control's minimum every tick, a value the built-in policy does not
 * choose for cpu0's 90 % load (checked by fx_check_premise).
 */
#ifndef WATTSON_POLICY_FX_H
#define WATTSON_POLICY_FX_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/model.h"
#include "core/summary.h"
#include "run/run.h"
#include "lua/policy.h"
#include "t.h"

/* ---- log capture -------------------------------------------------------- */

static char logbuf[1 << 17];
static size_t loglen;

static inline void sink(void *arg, int level, const char *msg)
{
    (void)arg;
    (void)level;
    size_t n = strlen(msg);
    if (loglen + n + 2 > sizeof logbuf)
        return;
    memcpy(logbuf + loglen, msg, n);
    loglen += n;
    logbuf[loglen++] = '\n';
    logbuf[loglen] = '\0';
}

static inline void log_reset(void)
{
    loglen = 0;
    logbuf[0] = '\0';
}

/* 1 if one line of `text` holds every string of the NULL-terminated list. */
static inline int vline_has(const char *text, va_list ap0)
{
    const char *line = text;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        char buf[4096];
        if (len >= sizeof buf)
            len = sizeof buf - 1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        va_list ap;
        va_copy(ap, ap0);
        int all = 1;
        for (const char *s = va_arg(ap, const char *); s;
             s = va_arg(ap, const char *))
            if (!strstr(buf, s))
                all = 0;
        va_end(ap);
        if (all)
            return 1;
        if (!eol)
            break;
        line = eol + 1;
    }
    return 0;
}

static inline int line_has(const char *text, ...)
{
    va_list ap;
    va_start(ap, text);
    int r = vline_has(text, ap);
    va_end(ap);
    return r;
}

static inline int log_count(const char *s)
{
    int n = 0;
    for (const char *p = logbuf; (p = strstr(p, s)); p++)
        n++;
    return n;
}

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Names the case a check just failed in, if one did since `before`. */
static inline void blame(int before, const char *kind, const char *name)
{
    if (t_failed != before)
        fprintf(stderr, "  ^ in %s '%s'\n", kind, name);
}

/* ---- the fixture -------------------------------------------------------- */

/* cpu0 runs a constant 90 % load: the built-in policy wants a high clock
 * there, never the minimum. */
static const char LAB[] =
    "return { name = 'policy-matrix', tick = 0.01, duration = 1000, "
    "seed = 5, budget_w = 200, %s\n"
    " drivers = { { plugin = 'sim', devices = {\n"
    "  { name = 'cpu0', kind = 'cpu', part = 'zen3-core', priority = 2,\n"
    "    workload = { kind = 'constant', level = 0.9 } },\n"
    "  { name = 'cpu1', kind = 'cpu', part = 'zen3-core', priority = 1,\n"
    "    workload = { kind = 'constant', level = 0.5 } },\n"
    "  { name = 'gpu0', kind = 'gpu', part = 'a100-pcie', priority = 2,\n"
    "    workload = { kind = 'constant', level = 0.8 } },\n"
    " } } } }\n";

static const char GOOD[] = "return { api = 1, on_tick = function(state, out)\n"
                           "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
                           "end }\n";

/* The first line of a policy whose on_tick body follows (from line 2). */
#define TICKFN "return { api = 1, on_tick = function(state, out)\n"

struct fx {
    struct run *r;
    const struct model *m;
    const struct summary *s;
    char dir[64];
    char path[128];
    int f0;      /* cpu0.freq */
    int f1;      /* cpu1.freq */
    double fmin; /* cpu0.freq's range */
    double fmax;
};

static inline int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int rc = fwrite(text, 1, n, f) == n ? 0 : -1;
    return fclose(f) == 0 ? rc : -1;
}

/* Opens a run of LAB (with `lab_extra` among its top-level fields) whose
 * policy file holds `policy` (GOOD if NULL; "builtin" for none).  `o` may
 * carry budget overrides. */
static inline int fx_open_opts(struct fx *f, const char *lab_extra,
                               const struct run_opts *o, const char *policy)
{
    char lab[2048], err[1024] = "";
    memset(f, 0, sizeof *f);
    snprintf(lab, sizeof lab, LAB, lab_extra ? lab_extra : "");
    struct run_opts opts = {0};
    if (o)
        opts = *o;
    opts.lab_text = lab;
    if (policy && strcmp(policy, "builtin") == 0) {
        opts.policy = "builtin";
    } else {
        snprintf(f->dir, sizeof f->dir, "/tmp/wattson-tp-XXXXXX");
        if (!mkdtemp(f->dir)) {
            T_CHECK(!"mkdtemp");
            return 0;
        }
        snprintf(f->path, sizeof f->path, "%s/policy.lua", f->dir);
        T_CHECK(write_file(f->path, policy ? policy : GOOD) == 0);
        opts.policy = f->path;
    }
    int rc = run_new(&opts, &f->r, err, sizeof err);
    if (rc != RUN_OK) {
        fprintf(stderr, "run_new: %s\n", err);
        T_CHECK(rc == RUN_OK);
        if (f->path[0])
            unlink(f->path);
        if (f->dir[0])
            rmdir(f->dir);
        return 0;
    }
    f->m = run_model(f->r);
    f->s = run_summary(f->r);
    int d0 = model_find_device(f->m, "cpu0");
    int d1 = model_find_device(f->m, "cpu1");
    T_CHECK(d0 >= 0 && d1 >= 0);
    f->f0 = model_find_control(f->m, (uint32_t)d0, "freq");
    f->f1 = model_find_control(f->m, (uint32_t)d1, "freq");
    T_CHECK(f->f0 >= 0 && f->f1 >= 0);
    f->fmin = f->m->controls[f->f0].min;
    f->fmax = f->m->controls[f->f0].max;
    T_CHECK(f->fmin < f->fmax);
    return 1;
}

static inline int fx_open(struct fx *f, const char *policy)
{
    return fx_open_opts(f, NULL, NULL, policy);
}

/* Opens GOOD for a case about to submit a failing version that must
 * produce `want0`.  A case wanting "out of memory" runs with time and
 * instruction budgets out of the way, so that memory is what stops it. */
static inline int fx_open_for(struct fx *f, const char *want0)
{
    struct run_opts o = {0};
    if (want0 && strcmp(want0, "out of memory") == 0) {
        o.policy_instructions = 1000000000000ull;
        o.policy_time_s = 30;
    }
    return fx_open_opts(f, NULL, &o, NULL);
}

static inline void fx_close(struct fx *f)
{
    char err[512];
    if (!f->r)
        return;
    run_finish(f->r, err, sizeof err);
    run_free(f->r);
    f->r = NULL;
    if (f->path[0])
        unlink(f->path);
    if (f->dir[0])
        rmdir(f->dir);
}

/* Ticks n times; the tick counter must advance by exactly n. */
static inline void fx_ticks(struct fx *f, int n)
{
    uint64_t t0 = f->m->tick, s0 = f->s->ticks;
    for (int i = 0; i < n; i++)
        run_tick(f->r);
    T_CHECK(f->m->tick == t0 + (uint64_t)n);
    T_CHECK(f->s->ticks == s0 + (uint64_t)n);
}

static inline double target0(const struct fx *f)
{
    return f->m->targeted[f->f0] ? f->m->target[f->f0] : NAN;
}

/* The good policy decides: cpu0.freq at its minimum. */
static inline int good_decides(const struct fx *f)
{
    return f->m->targeted[f->f0] && f->m->target[f->f0] == f->fmin;
}

/* Ticks n times, after which the good policy still decides. */
static inline void fx_ticks_good(struct fx *f, int n)
{
    fx_ticks(f, n);
    T_CHECK(good_decides(f));
}

static inline int load(struct fx *f, const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    return run_policy_text(f->r, text, strlen(text), err, errlen);
}

/* Submits `text`: the result must be `want` (a POLICY_ code); `what` names
 * the case if it is not. */
static inline int load_is(struct fx *f, const char *text, int want,
                          const char *what)
{
    char err[2048];
    int rc = load(f, text, err, sizeof err);
    if (rc != want)
        fprintf(stderr, "%s: rc %d, err '%s'\n", what, rc, err);
    T_CHECK(rc == want);
    return rc;
}

/* ---- the program ------------------------------------------------------- */

/* The premise: the built-in policy does not choose the minimum, and the
 * good policy does, from its first tick. */
static inline void fx_check_premise(void)
{
    struct fx f;
    if (!fx_open(&f, "builtin"))
        return;
    fx_ticks(&f, 30);
    T_CHECK(f.m->targeted[f.f0]);
    T_CHECK(target0(&f) > f.fmin);
    fx_close(&f);

    if (!fx_open(&f, NULL))
        return;
    fx_ticks_good(&f, 1);
    T_CHECK(f.s->policy_errors == 0);
    fx_close(&f);
}

/* Starts a program: a hang is a failure, not a stuck test; the log goes
 * to logbuf.  Then checks the premise. */
static inline void fx_begin(void)
{
    alarm(600);
    log_set_sink(sink, NULL);
    log_set_level(LOG_DEBUG);
    fx_check_premise();
}

static inline int fx_end(const char *name)
{
    log_set_sink(NULL, NULL);
    return t_done(name);
}

#endif
