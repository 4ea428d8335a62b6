/*
 * The Lua policy host's failure matrix: for every way a policy can go
 * wrong, the loop keeps ticking and the last good policy keeps deciding
 * (or, for an accepted version that fails later, the built-in policy
 * decides those ticks, takes over after DECIDE_MAX_FAILURES of them in a
 * row and hands back on the next good reload).
 *
 * Who decided is read from cpu0's freq target: the good policy sets it to
 * the control's minimum every tick, a value the built-in policy does not
 * choose for cpu0's 90 % load (checked in test_builtin_differs).
 *
 * Cases that could crash or hang the process run in a forked child under
 * alarm(), so one of them failing does not take the others down.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/model.h"
#include "core/summary.h"
#include "headless/run.h"
#include "lua/policy.h"
#include "pipeline/decide.h"
#include "t.h"

/* ---- allocation counting (as in test_noalloc.c) ------------------------ */

static volatile int counting;
static volatile unsigned long allocs;

#if defined(__SANITIZE_ADDRESS__)
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));
static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    if (counting)
        allocs++;
}
static void on_free(const volatile void *p)
{
    (void)p;
}
static void install(void)
{
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
void *malloc(size_t n)
{
    if (counting)
        allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
    if (counting)
        allocs++;
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
    if (counting)
        allocs++;
    return __libc_realloc(p, n);
}
static void install(void)
{
}
#endif

/* ---- log capture -------------------------------------------------------- */

static char logbuf[1 << 17];
static size_t loglen;

static void sink(void *arg, int level, const char *msg)
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

static void log_reset(void)
{
    loglen = 0;
    logbuf[0] = '\0';
}

/* 1 if one line of `text` holds every string of the NULL-terminated list. */
static int vline_has(const char *text, va_list ap0)
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

static int line_has(const char *text, ...)
{
    va_list ap;
    va_start(ap, text);
    int r = vline_has(text, ap);
    va_end(ap);
    return r;
}

static int log_count(const char *s)
{
    int n = 0;
    for (const char *p = logbuf; (p = strstr(p, s)); p++)
        n++;
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

static int write_file(const char *path, const char *text)
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
static int fx_open_opts(struct fx *f, const char *lab_extra,
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

static int fx_open(struct fx *f, const char *policy)
{
    return fx_open_opts(f, NULL, NULL, policy);
}

static void fx_close(struct fx *f)
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
static void fx_ticks(struct fx *f, int n)
{
    uint64_t t0 = f->m->tick, s0 = f->s->ticks;
    for (int i = 0; i < n; i++)
        run_tick(f->r);
    T_CHECK(f->m->tick == t0 + (uint64_t)n);
    T_CHECK(f->s->ticks == s0 + (uint64_t)n);
}

static double target0(const struct fx *f)
{
    return f->m->targeted[f->f0] ? f->m->target[f->f0] : NAN;
}

/* The good policy decides: cpu0.freq at its minimum. */
static int good_decides(const struct fx *f)
{
    return f->m->targeted[f->f0] && f->m->target[f->f0] == f->fmin;
}

static int load(struct fx *f, const char *text, char *err, size_t errlen)
{
    err[0] = '\0';
    return run_policy_text(f->r, text, strlen(text), err, errlen);
}

/* ---- rejected versions: the good one keeps deciding --------------------- */

struct reject_case {
    const char *name;
    const char *text;
    const char *want[6]; /* strings the error must hold, besides the file */
};

/* A case wanting "out of memory" runs with time and instruction budgets
 * out of the way, so that memory is what stops it. */
static int memory_case(const char *want0)
{
    return want0 && strcmp(want0, "out of memory") == 0;
}

/* The first version is GOOD; `c` is submitted, must be rejected with one
 * line naming the file and the wanted strings, logged, counted, and the
 * good version keeps deciding while the loop ticks on. */
static void check_rejected(const struct reject_case *c)
{
    struct fx f;
    struct run_opts o = {0};
    if (memory_case(c->want[0])) {
        /* Memory, not time or instructions, must be what stops it. */
        o.policy_instructions = 1000000000000ull;
        o.policy_time_s = 30;
    }
    if (!fx_open_opts(&f, NULL, &o, NULL))
        return;
    fx_ticks(&f, 3);
    T_CHECK(good_decides(&f));
    uint64_t pe = f.s->policy_errors, re = f.s->reload_errors,
             rl = f.s->reloads;
    char err[2048];
    log_reset();
    double t0 = now_s();
    int rc = load(&f, c->text, err, sizeof err);
    double dt = now_s() - t0;
    if (rc != POLICY_REJECTED)
        fprintf(stderr, "case '%s': rc %d, err '%s'\n", c->name, rc, err);
    T_CHECK(rc == POLICY_REJECTED);
    T_CHECK(dt < 5.0);
    T_CHECK(strchr(err, '\n') == NULL);
    int ok = strstr(err, f.path) != NULL;
    for (int i = 0; i < 6 && c->want[i]; i++)
        if (!strstr(err, c->want[i]))
            ok = 0;
    if (!ok)
        fprintf(stderr, "case '%s': error '%s' lacks a wanted string\n",
                c->name, err);
    T_CHECK(ok);
    /* Logged once, with the same message. */
    T_CHECK(line_has(logbuf, "reload rejected", f.path, NULL));
    T_CHECK(log_count("reload rejected") == 1);
    T_CHECK(err[0] && line_has(logbuf, err, NULL));
    T_CHECK(f.s->reload_errors == re + 1);
    T_CHECK(f.s->reloads == rl);
    fx_ticks(&f, 20);
    T_CHECK(good_decides(&f));
    T_CHECK(f.s->policy_errors == pe);
    T_CHECK(!run_policy_in_fallback(f.r));
    fx_close(&f);
}

#define TICKFN "return { api = 1, on_tick = function(state, out)\n"

static const struct reject_case reject_cases[] = {
    {"syntax error",
     "return { api = 1,\n on_tick = function(s, o)\n  o.cpu0.freq = = 1\n"
     " end }\n",
     {":3:", "unexpected symbol"}},
    {"empty file", "", {"must return a table of callbacks", "nil"}},
    {"comment only", "-- nothing here\n", {"must return a table"}},
    {"binary chunk",
     "\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08",
     {"precompiled"}},
    {"binary chunk after a blank", " \x1bLua\x54\x00", {":1:"}},
    {"error at load",
     "local x = 1\nerror('boom at load')\n",
     {":2:", "boom at load"}},
    {"table error object at load",
     "error({})\n",
     {"error object is a table value"}},
    {"nil error object at load",
     "error(nil)\n",
     {"error object is a nil value"}},
    {"error in on_load",
     "return { api = 1,\n on_load = function(ctx)\n  error('bad ctx')\n"
     " end,\n on_tick = function() end }\n",
     {":3:", "bad ctx"}},
    {"error in the shadow tick",
     TICKFN "  error('shadow boom')\nend }\n",
     {":2:", "shadow boom"}},
    {"table error object in on_tick",
     TICKFN "  error({ code = 1 })\nend }\n",
     {"error object is a table value"}},
    {"nil error object in on_tick",
     TICKFN "  error()\nend }\n",
     {"error object is a nil value"}},
    {"error object with __tostring",
     TICKFN "  error(setmetatable({}, { __tostring = function() return "
            "'custom object' end }))\nend }\n",
     {"custom object"}},
    {"error object whose __tostring loops",
     TICKFN "  error(setmetatable({}, { __tostring = function() while true "
            "do end end }))\nend }\n",
     {"exceeded"}},
    {"infinite loop at load", "while true do end\n", {":1:", "exceeded"}},
    {"infinite loop in on_tick",
     TICKFN "  while true do end\nend }\n",
     {":2:", "exceeded"}},
    {"infinite loop in on_load",
     "return { api = 1, on_load = function()\n  while true do end\nend,\n"
     " on_tick = function() end }\n",
     {":2:", "exceeded"}},
    {"pcall-wrapped loop at load",
     "while true do pcall(function() while true do end end) end\n",
     {"exceeded"}},
    {"pcall-wrapped loop in on_tick",
     TICKFN "  while true do pcall(function() while true do end end) end\n"
            "end }\n",
     {"exceeded"}},
    {"error()-swallowing pcall loop in on_tick",
     TICKFN "  for i = 1, 1e12 do pcall(error, 'x') end\nend }\n",
     {"exceeded"}},
    {"string.match is gone",
     "local m = string.match('aaa', 'a*')\n",
     {":1:", "match"}},
    {"string.gsub is gone",
     "local m = string.gsub('aaa', 'a', 'b')\n",
     {":1:", "gsub"}},
    {"string.gmatch is gone",
     "for w in string.gmatch('a b', '%a') do end\n",
     {":1:", "gmatch"}},
    {"table bomb at load",
     "local t = {}\nfor i = 1, 1e9 do t[i] = {} end\n",
     {"out of memory"}},
    {"string doubling at load",
     "local s = 'x'\nwhile true do s = s .. s end\n",
     {"out of memory"}},
    {"table bomb in on_tick",
     TICKFN "  local t = {} for i = 1, 1e9 do t[i] = {} end\nend }\n",
     {"out of memory"}},
    {"string doubling in on_tick",
     TICKFN "  local s = 'x' while true do s = s .. s end\nend }\n",
     {"out of memory"}},
    {"pcall-caught out of memory in on_tick",
     TICKFN "  pcall(function() local s = 'x' while true do s = s .. s end "
            "end)\n  out.cpu0.freq = state.dev.cpu0.ctl.freq.max\nend }\n",
     {"out of memory"}},
    {"pcall-caught out of memory at load",
     "pcall(function() local s = 'x' while true do s = s .. s end end)\n"
     "return { api = 1, on_tick = function() end }\n",
     {"out of memory"}},
    {"pcall-caught out of memory in on_load",
     "return { api = 1, on_load = function()\n  pcall(function() local s = "
     "'x' while true do s = s .. s end end)\nend,\n on_tick = function() "
     "end }\n",
     {"out of memory"}},
    {"module is a number",
     "return 42\n",
     {"must return a table of callbacks", "number"}},
    {"module is a string", "return 'policy'\n", {"got string"}},
    {"api missing",
     "return { on_tick = function() end }\n",
     {"api must be 1", "nothing"}},
    {"api = 2",
     "return { api = 2, on_tick = function() end }\n",
     {"api must be 1", "got 2"}},
    {"api = '1'",
     "return { api = '1', on_tick = function() end }\n",
     {"api must be 1"}},
    {"api = 1.5",
     "return { api = 1.5, on_tick = function() end }\n",
     {"api must be 1"}},
    {"on_tick missing", "return { api = 1 }\n", {"needs an on_tick"}},
    {"on_tick not a function",
     "return { api = 1, on_tick = 5 }\n",
     {"on_tick must be a function", "number"}},
    {"on_load not a function",
     "return { api = 1, on_tick = function() end, on_load = 'x' }\n",
     {"on_load must be a function", "string"}},
    {"persist not a function",
     "return { api = 1, on_tick = function() end, persist = {} }\n",
     {"persist must be a function", "table"}},
    {"decision is the string \"42\"",
     TICKFN "  out.cpu0.freq = '42'\nend }\n",
     {"on_tick", "cpu0.freq", "\"42\"", "expected a number, got string"}},
    {"decision is a boolean",
     TICKFN "  out.cpu0.freq = true\nend }\n",
     {"on_tick", "cpu0.freq", "got boolean"}},
    {"decision is NaN",
     TICKFN "  out.cpu0.freq = 0/0\nend }\n",
     {"on_tick", "cpu0.freq", "not a finite number"}},
    {"decision is +Inf",
     TICKFN "  out.cpu0.freq = math.huge\nend }\n",
     {"on_tick", "cpu0.freq", "inf", "not a finite number"}},
    {"decision is -Inf",
     TICKFN "  out.cpu0.freq = -math.huge\nend }\n",
     {"on_tick", "cpu0.freq", "-inf", "not a finite number"}},
    /* out.gpu9 is nil: indexing it is a Lua error, not a counted
     * rejection. */
    {"unknown device", TICKFN "  out.gpu9.freq = 1\nend }\n", {":2:", "gpu9"}},
    {"unknown device, top level",
     TICKFN "  out.gpu9 = 1\nend }\n",
     {"on_tick", "gpu9", "no such device"}},
    {"unknown control",
     TICKFN "  out.cpu0.frq = 1\nend }\n",
     {"on_tick", "cpu0.frq", "no such control"}},
    {"non-string control",
     TICKFN "  out.cpu0[1] = 1\nend }\n",
     {"on_tick", "cpu0"}},
    {"out of range (above)",
     TICKFN "  out.cpu0.freq = state.dev.cpu0.ctl.freq.max * 2\nend }\n",
     {"on_tick", "cpu0.freq", "outside ["}},
    {"out of range (below)",
     TICKFN "  out.cpu1.power_cap = -5\nend }\n",
     {"on_tick", "cpu1.power_cap", "= -5", "outside ["}},
    {"power caps over the budget",
     TICKFN "  out.gpu0.power_cap = 250\n  out.cpu0.power_cap = 12\nend }\n",
     {"on_tick", "power_cap", "over the budget of 200.0 W"}},
    {"io.open", "local f = io.open('/etc/passwd')\n", {":1:", "io"}},
    {"os.execute", "os.execute('true')\n", {":1:", "os"}},
    {"require", "local m = require('os')\n", {":1:", "require"}},
    {"load", "local f = load('return 1')\n", {":1:", "load"}},
    {"loadfile", "loadfile('/etc/passwd')\n", {":1:", "loadfile"}},
    {"dofile", "dofile('/etc/passwd')\n", {":1:", "dofile"}},
    {"string.dump", "local s = string.dump(function() end)\n", {":1:", "dump"}},
    {"(\"\").dump", "local s = (''):dump()\n", {":1:", "dump"}},
    {"string metatable",
     "local i = getmetatable('').__index\n",
     {":1:", "boolean"}},
    {"setmetatable on the string metatable",
     "setmetatable(getmetatable(''), {})\n",
     {"got boolean"}},
    {"debug library", "debug.sethook()\n", {":1:", "debug"}},
    {"package library", "package.loadlib('x', 'y')\n", {":1:", "package"}},
    {"coroutine library",
     "coroutine.wrap(function() end)()\n",
     {":1:", "coroutine"}},
    {"collectgarbage", "collectgarbage('stop')\n", {":1:", "collectgarbage"}},
    {"print", "print('hello')\n", {":1:", "print"}},
    {"_G.io through rawget",
     "local io = rawget(_G, 'io') io.open('x')\n",
     {":1:"}},
    {"__gc metamethod",
     "setmetatable({}, { __gc = function() end })\n",
     {":1:", "__gc"}},
    {"randomseed without a seed", "math.randomseed()\n", {":1:", "randomseed"}},
};

static void test_rejected_matrix(void)
{
    for (size_t i = 0; i < sizeof reject_cases / sizeof reject_cases[0]; i++) {
        int before = t_failed;
        check_rejected(&reject_cases[i]);
        if (t_failed != before)
            fprintf(stderr, "  ^ in case '%s'\n", reject_cases[i].name);
    }
}

/* ---- sanity: the built-in policy does not choose the minimum ------------ */

static void test_builtin_differs(void)
{
    struct fx f;
    if (!fx_open(&f, "builtin"))
        return;
    fx_ticks(&f, 30);
    T_CHECK(f.m->targeted[f.f0]);
    T_CHECK(target0(&f) > f.fmin);
    fx_close(&f);

    /* And the good policy does, from its first tick. */
    if (!fx_open(&f, NULL))
        return;
    fx_ticks(&f, 1);
    T_CHECK(good_decides(&f));
    T_CHECK(f.s->policy_errors == 0);
    fx_close(&f);
}

/* ---- accepted versions that fail later ---------------------------------- */

/* `fail` runs from the version's 3rd on_tick call on (the 1st is the
 * shadow tick, the 2nd the first real tick), after setting cpu0.freq to
 * the minimum - which must not apply, the tick having failed. */
static const char LATE_FAIL[] =
    "local calls = 0\n"
    "return { api = 1, on_tick = function(state, out)\n"
    "  calls = calls + 1\n"
    "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
    "  if calls >= 3 then\n"
    "    %s\n" /* line 6 */
    "  end\n"
    "end }\n";

struct late_case {
    const char *name;
    const char *fail;
    const char *want[4]; /* in the logged error */
};

static const struct late_case late_cases[] = {
    {"error()", "error('late boom')", {":6:", "late boom"}},
    {"error({})", "error({})", {"error object is a table value"}},
    {"error(nil)", "error(nil)", {"error object is a nil value"}},
    {"infinite loop", "while true do end", {":6:", "exceeded"}},
    {"pcall-wrapped loop",
     "while true do pcall(function() while true do end end) end",
     {"exceeded"}},
    {"pcall-caught out of memory",
     "pcall(function() local s = 'x' while true do s = s .. s end end)",
     {"out of memory"}},
    {"table bomb",
     "local t = {} for i = 1, 1e9 do t[i] = {} end",
     {"out of memory"}},
    {"string doubling",
     "local s = 'x' while true do s = s .. s end",
     {"out of memory"}},
    {"removed library", "string.match('a', 'a')", {":6:", "match"}},
};

static void check_late(const struct late_case *c)
{
    struct fx f;
    struct run_opts o = {0};
    char text[1024], err[2048];
    if (memory_case(c->want[0])) {
        o.policy_instructions = 1000000000000ull;
        o.policy_time_s = 30;
    }
    /* The run starts with GOOD, then the late-failing version. */
    if (!fx_open_opts(&f, NULL, &o, NULL))
        return;
    fx_ticks(&f, 3);
    snprintf(text, sizeof text, LATE_FAIL, c->fail);
    log_reset();
    int rc = load(&f, text, err, sizeof err);
    if (rc != POLICY_SWAPPED)
        fprintf(stderr, "late case '%s': rc %d err '%s'\n", c->name, rc, err);
    T_CHECK(rc == POLICY_SWAPPED);
    T_CHECK(!run_policy_in_fallback(f.r));
    uint64_t pe = f.s->policy_errors;

    /* Its first real tick is fine. */
    fx_ticks(&f, 1);
    T_CHECK(good_decides(&f));
    T_CHECK(f.s->policy_errors == pe);

    /* Then every tick fails: the built-in policy decides it. */
    for (unsigned i = 1; i <= DECIDE_MAX_FAILURES; i++) {
        double t0 = now_s();
        fx_ticks(&f, 1);
        T_CHECK(now_s() - t0 < 5.0);
        T_CHECK(f.s->policy_errors == pe + i);
        T_CHECK(f.m->targeted[f.f0] && target0(&f) > f.fmin);
        T_CHECK(run_policy_in_fallback(f.r) == (i == DECIDE_MAX_FAILURES));
    }
    int ok = line_has(logbuf, f.path, c->want[0] ? c->want[0] : "", NULL);
    for (int i = 1; i < 4 && c->want[i]; i++)
        ok = ok && line_has(logbuf, f.path, c->want[0], c->want[i], NULL);
    if (!ok)
        fprintf(stderr, "late case '%s': log lacks a wanted line:\n%s", c->name,
                logbuf);
    T_CHECK(ok);
    T_CHECK(line_has(logbuf, "failed 10 ticks in a row", "built-in", NULL));

    /* In fallback the Lua policy is not called any more. */
    fx_ticks(&f, 20);
    T_CHECK(run_policy_in_fallback(f.r));
    T_CHECK(f.s->policy_errors == pe + DECIDE_MAX_FAILURES);
    T_CHECK(target0(&f) > f.fmin);

    /* A good reload hands back. */
    log_reset();
    rc = load(&f, GOOD, err, sizeof err);
    T_CHECK(rc == POLICY_SWAPPED);
    T_CHECK(!run_policy_in_fallback(f.r));
    T_CHECK(line_has(logbuf, "decides again", NULL));
    fx_ticks(&f, 5);
    T_CHECK(good_decides(&f));
    T_CHECK(f.s->policy_errors == pe + DECIDE_MAX_FAILURES);
    fx_close(&f);
}

static void test_late_failures(void)
{
    for (size_t i = 0; i < sizeof late_cases / sizeof late_cases[0]; i++) {
        int before = t_failed;
        check_late(&late_cases[i]);
        if (t_failed != before)
            fprintf(stderr, "  ^ in late case '%s'\n", late_cases[i].name);
    }
}

/* A version that starts writing NaN from its 3rd call: the rejected field
 * is counted and never applied, the valid field of the same tick applies,
 * and 10 such ticks in a row hand over to the built-in policy. */
static void test_late_rejections(void)
{
    static const char V[] =
        "local calls = 0\n"
        "return { api = 1, on_tick = function(state, out)\n"
        "  calls = calls + 1\n"
        "  out.cpu1.freq = state.dev.cpu1.ctl.freq.min\n"
        "  if calls >= 3 then out.cpu0.freq = 0/0\n"
        "  else out.cpu0.freq = state.dev.cpu0.ctl.freq.min end\n"
        "end }\n";
    struct fx f;
    char err[1024];
    if (!fx_open(&f, NULL))
        return;
    fx_ticks(&f, 3);
    log_reset();
    T_CHECK(load(&f, V, err, sizeof err) == POLICY_SWAPPED);
    fx_ticks(&f, 1);
    T_CHECK(good_decides(&f));
    uint64_t rj = f.s->rejected_decisions, pe = f.s->policy_errors;
    double cpu1min = f.m->controls[f.f1].min;
    for (unsigned i = 1; i <= DECIDE_MAX_FAILURES; i++) {
        fx_ticks(&f, 1);
        T_CHECK(f.s->rejected_decisions == rj + i);
        /* NaN never reaches the target; the previous one stands. */
        T_CHECK(good_decides(&f));
        T_CHECK(f.m->target[f.f1] == cpu1min);
        T_CHECK(run_policy_in_fallback(f.r) == (i == DECIDE_MAX_FAILURES));
    }
    T_CHECK(f.s->policy_errors == pe);
    T_CHECK(line_has(logbuf, f.path, "on_tick", "cpu0.freq", "nan",
                     "not a finite number", NULL));
    /* policy.c promises "a bad value is named at the line that wrote
     * it": line 5 of V. */
    T_CHECK(line_has(logbuf, "policy.lua:5:", "cpu0.freq", NULL));
    T_CHECK(line_has(logbuf, "failed 10 ticks in a row", NULL));
    fx_ticks(&f, 5);
    T_CHECK(target0(&f) > f.fmin); /* the built-in policy decides now */
    T_CHECK(load(&f, GOOD, err, sizeof err) == POLICY_SWAPPED);
    T_CHECK(!run_policy_in_fallback(f.r));
    fx_ticks(&f, 2);
    T_CHECK(good_decides(&f));
    fx_close(&f);
}

/* A version whose on_event fails (it is told about rejected reloads): the
 * failure is logged and nothing else changes. */
static void test_on_event_failure(void)
{
    static const char V[] =
        "return { api = 1,\n"
        " on_tick = function(state, out)\n"
        "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
        " end,\n"
        " on_event = function(ev)\n"
        "  if ev.type == 'reload_rejected' then while true do end end\n"
        " end }\n";
    struct fx f;
    char err[1024];
    if (!fx_open(&f, V))
        return;
    fx_ticks(&f, 2);
    log_reset();
    double t0 = now_s();
    T_CHECK(load(&f, "return 1\n", err, sizeof err) == POLICY_REJECTED);
    T_CHECK(now_s() - t0 < 5.0);
    T_CHECK(line_has(logbuf, f.path, ":6:", "exceeded", NULL));
    fx_ticks(&f, 10);
    T_CHECK(good_decides(&f));
    T_CHECK(f.s->policy_errors == 0);
    fx_close(&f);
}

/* ---- slow patterns: string.find is plain -------------------------------- */

static void test_plain_find(void)
{
    static const char V[] = "return { api = 1,\n"
                            " on_load = function()\n"
                            "  local s = string.rep('a', 1e5)\n"
                            "  local i = s:find(('a*'):rep(30) .. 'b')\n"
                            "  local j = string.find('xa*y', 'a*')\n"
                            "  local k = ('aaa'):find('a', 2)\n"
                            "  if i ~= nil or j ~= 2 or k ~= 2 then "
                            "error('find is not plain') end\n"
                            " end,\n"
                            " on_tick = function(state, out)\n"
                            "  local s = string.rep('a', 1e5)\n"
                            "  assert(s:find(('a*'):rep(30) .. 'b') == nil)\n"
                            "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
                            " end }\n";
    struct fx f;
    char err[1024];
    if (!fx_open(&f, NULL))
        return;
    fx_ticks(&f, 1);
    double t0 = now_s();
    int rc = load(&f, V, err, sizeof err);
    if (rc != POLICY_SWAPPED)
        fprintf(stderr, "plain find: %s\n", err);
    T_CHECK(rc == POLICY_SWAPPED);
    fx_ticks(&f, 5);
    T_CHECK(now_s() - t0 < 2.0);
    T_CHECK(good_decides(&f));
    T_CHECK(f.s->policy_errors == 0);
    fx_close(&f);
}

/* ---- globals do not leak across reloads --------------------------------- */

static void test_no_global_leak(void)
{
    static const char V1[] =
        "return { api = 1,\n"
        " on_load = function() LEAK = 1; string.LEAK2 = 1; math.pi = 3 end,\n"
        " on_tick = function(state, out)\n"
        "  LEAK = 1\n"
        "  out.cpu0.freq = state.dev.cpu0.ctl.freq.max\n"
        " end }\n";
    static const char V2[] =
        "return { api = 1, on_tick = function(state, out)\n"
        "  local c = state.dev.cpu0.ctl.freq\n"
        "  if LEAK ~= nil or string.LEAK2 ~= nil or math.pi == 3 or\n"
        "     rawget(_G, 'LEAK') ~= nil then\n"
        "    out.cpu0.freq = c.max\n"
        "  else\n"
        "    out.cpu0.freq = c.min\n"
        "  end\n"
        "end }\n";
    struct fx f;
    char err[1024];
    if (!fx_open(&f, NULL))
        return;
    fx_ticks(&f, 2);
    T_CHECK(load(&f, V1, err, sizeof err) == POLICY_SWAPPED);
    fx_ticks(&f, 3);
    T_CHECK(target0(&f) == f.fmax); /* V1 decides */
    T_CHECK(load(&f, V2, err, sizeof err) == POLICY_SWAPPED);
    fx_ticks(&f, 3);
    T_CHECK(good_decides(&f)); /* V2 saw no LEAK */
    fx_close(&f);
}

/* ---- persist() ---------------------------------------------------------- */

static void test_persist(void)
{
    static const char V1[] =
        "local n = 0\n"
        "return { api = 1,\n"
        " on_tick = function(state, out)\n"
        "  n = n + 1\n"
        "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
        " end,\n"
        " persist = function()\n"
        "  return { count = n, name = 'v1', nested = { flag = true, "
        "list = { 10, 20 } } }\n"
        " end }\n";
    /* Reports what it got, then fails its own persist(). */
    static const char V2[] =
        "return { api = 1,\n"
        " on_load = function(ctx)\n"
        "  local p = ctx.persisted\n"
        "  log('warn', string.format('persisted count=%d name=%s flag=%s "
        "list=%d,%d file=%s budget=%g', p.count, p.name, "
        "tostring(p.nested.flag), p.nested.list[1], p.nested.list[2], "
        "ctx.file, ctx.budget_w))\n"
        " end,\n"
        " on_tick = function(state, out)\n"
        "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
        " end,\n"
        " persist = function() error('persist boom') end }\n";
    /* Gets nothing; its persist returns what cannot be copied. */
    static const char V3[] =
        "return { api = 1,\n"
        " on_load = function(ctx)\n"
        "  log('warn', 'v3 persisted=' .. tostring(ctx.persisted))\n"
        " end,\n"
        " on_tick = function(state, out)\n"
        "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
        " end,\n"
        " persist = function() return { f = function() end } end }\n";
    static const char V4[] =
        "return { api = 1,\n"
        " on_load = function(ctx)\n"
        "  log('warn', 'v4 persisted=' .. tostring(ctx.persisted))\n"
        " end,\n"
        " on_tick = function(state, out)\n"
        "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
        " end }\n";
    struct fx f;
    char err[1024], want[512];
    if (!fx_open(&f, V1))
        return;
    fx_ticks(&f, 7); /* 1 shadow call + 7 ticks */
    log_reset();
    int rc = load(&f, V2, err, sizeof err);
    if (rc != POLICY_SWAPPED)
        fprintf(stderr, "persist V2: %s\n", err);
    T_CHECK(rc == POLICY_SWAPPED);
    snprintf(want, sizeof want,
             "persisted count=8 name=v1 flag=true list=10,20 file=%s "
             "budget=200",
             f.path);
    if (!line_has(logbuf, want, NULL))
        fprintf(stderr, "persist: wanted '%s' in:\n%s", want, logbuf);
    T_CHECK(line_has(logbuf, want, NULL));
    fx_ticks(&f, 2);
    T_CHECK(good_decides(&f));

    log_reset();
    T_CHECK(load(&f, V3, err, sizeof err) == POLICY_SWAPPED);
    T_CHECK(line_has(logbuf, f.path, "persist failed", "persist boom", NULL));
    T_CHECK(line_has(logbuf, "v3 persisted=nil", NULL));

    log_reset();
    T_CHECK(load(&f, V4, err, sizeof err) == POLICY_SWAPPED);
    T_CHECK(line_has(logbuf, f.path, "persist data not kept", NULL));
    T_CHECK(line_has(logbuf, "v4 persisted=nil", NULL));
    fx_ticks(&f, 2);
    T_CHECK(good_decides(&f));
    T_CHECK(f.s->policy_errors == 0);
    fx_close(&f);
}

/* ---- the same text is not compiled twice -------------------------------- */

static void test_same_text(void)
{
    static const char BAD_A[] =
        "return { api = 2, on_tick = function() end }\n";
    static const char BAD_B[] =
        "return { api = 3, on_tick = function() end }\n";
    struct fx f;
    char err[1024];
    if (!fx_open(&f, NULL))
        return;
    fx_ticks(&f, 1);
    uint64_t re = f.s->reload_errors, rl = f.s->reloads;

    /* The active version's text again. */
    log_reset();
    T_CHECK(load(&f, GOOD, err, sizeof err) == POLICY_SAME);
    T_CHECK(f.s->reloads == rl);
    T_CHECK(loglen == 0);

    T_CHECK(load(&f, BAD_A, err, sizeof err) == POLICY_REJECTED);
    T_CHECK(f.s->reload_errors == re + 1);
    log_reset();
    T_CHECK(load(&f, BAD_A, err, sizeof err) == POLICY_SAME);
    T_CHECK(f.s->reload_errors == re + 1);
    T_CHECK(loglen == 0); /* not compiled, not logged again */
    /* Only the last rejected text is remembered. */
    T_CHECK(load(&f, BAD_B, err, sizeof err) == POLICY_REJECTED);
    T_CHECK(load(&f, BAD_A, err, sizeof err) == POLICY_REJECTED);
    T_CHECK(f.s->reload_errors == re + 3);
    fx_ticks(&f, 3);
    T_CHECK(good_decides(&f));
    fx_close(&f);
}

/* ---- budgets from the lab and the command line -------------------------- */

static const char LOOP50K[] =
    "return { api = 1, on_tick = function(state, out)\n"
    "  local x = 0\n"
    "  for i = 1, 50000 do x = x + i end\n"
    "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
    "end }\n";

static const char MEM4M[] =
    "return { api = 1,\n"
    " on_load = function() local s = string.rep('x', 4 * 1024 * 1024) end,\n"
    " on_tick = function(state, out)\n"
    "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
    " end }\n";

static const char FOREVER[] =
    "return { api = 1, on_tick = function(state, out)\n"
    "  while true do end\n"
    "end }\n";

/* Submits `text` to a fresh run (lab extra, opts) and returns the result;
 * `want` must then be in the error. */
static int limits_case(const char *lab_extra, const struct run_opts *o,
                       const char *text, const char *want)
{
    struct fx f;
    char err[1024];
    if (!fx_open_opts(&f, lab_extra, o, NULL))
        return -99;
    fx_ticks(&f, 1);
    int rc = load(&f, text, err, sizeof err);
    if (want) {
        if (!strstr(err, want))
            fprintf(stderr, "limits: '%s' not in '%s'\n", want, err);
        T_CHECK(strstr(err, want) != NULL);
    }
    fx_ticks(&f, 3);
    T_CHECK(good_decides(&f));
    fx_close(&f);
    return rc;
}

static void test_limits(void)
{
    struct run_opts o = {0};
    /* Instructions. */
    T_CHECK(limits_case(NULL, NULL, LOOP50K, NULL) == POLICY_SWAPPED);
    o.policy_instructions = 10000;
    T_CHECK(limits_case(NULL, &o, LOOP50K, "instruction budget of 10000") ==
            POLICY_REJECTED);
    T_CHECK(limits_case("policy_limits = { instructions = 10000 },", NULL,
                        LOOP50K,
                        "instruction budget of 10000") == POLICY_REJECTED);
    o.policy_instructions = 2000000; /* the command line wins */
    T_CHECK(limits_case("policy_limits = { instructions = 10000 },", &o,
                        LOOP50K, NULL) == POLICY_SWAPPED);

    /* Memory. */
    memset(&o, 0, sizeof o);
    T_CHECK(limits_case(NULL, NULL, MEM4M, NULL) == POLICY_SWAPPED);
    o.policy_mem_bytes = 2u << 20;
    T_CHECK(limits_case(NULL, &o, MEM4M, "out of memory (at most 2 MiB)") ==
            POLICY_REJECTED);
    T_CHECK(limits_case("policy_limits = { memory_mb = 2 },", NULL, MEM4M,
                        "out of memory (at most 2 MiB)") == POLICY_REJECTED);
    o.policy_mem_bytes = 64u << 20;
    T_CHECK(limits_case("policy_limits = { memory_mb = 2 },", &o, MEM4M,
                        NULL) == POLICY_SWAPPED);

    /* Time: with instructions out of the way, the wall-time limit stops an
     * endless loop, and soon. */
    memset(&o, 0, sizeof o);
    o.policy_instructions = 1000000000000ull;
    o.policy_time_s = 0.005;
    double t0 = now_s();
    T_CHECK(limits_case(NULL, &o, FOREVER, "time budget of 5000 us") ==
            POLICY_REJECTED);
    T_CHECK(now_s() - t0 < 5.0);
    t0 = now_s();
    T_CHECK(limits_case("policy_limits = { instructions = 1e12, time = "
                        "'5ms' },",
                        NULL, FOREVER,
                        "time budget of 5000 us") == POLICY_REJECTED);
    T_CHECK(now_s() - t0 < 5.0);
}

/* ---- no Lua allocation per tick ----------------------------------------- */

static unsigned long count_allocs(struct fx *f, int n)
{
    for (int i = 0; i < 200; i++)
        run_tick(f->r); /* warm-up */
    allocs = 0;
    counting = 1;
    for (int i = 0; i < n; i++)
        run_tick(f->r);
    counting = 0;
    return allocs;
}

static void test_no_alloc(void)
{
    static const char ALLOCATES[] =
        "return { api = 1, on_tick = function(state, out)\n"
        "  local t = { state.t }\n"
        "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
        "end }\n";
    /* Reads every part of state, allocates nothing itself. */
    static const char READS_ALL[] =
        "return { api = 1, on_tick = function(state, out)\n"
        "  local x = state.t + state.dt + state.tick + state.budget_w\n"
        "  for _, d in ipairs(state.devices) do\n"
        "    x = x + d.sig.util + (d.ok.util and 1 or 0) + d.rate.energy\n"
        "    local fc = d.forecast.demand\n"
        "    local p = d.proposal.freq\n"
        "    local c = d.ctl.freq\n"
        "    if c then x = x + c.value + c.target + c.min end\n"
        "  end\n"
        "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\n"
        "  out.cpu1.freq = out.cpu0.freq\n"
        "end }\n";
    struct fx f;
    char err[1024];
    if (!fx_open(&f, NULL))
        return;
    unsigned long a = count_allocs(&f, 2000);
    fprintf(stderr, "good policy: %lu allocations in 2000 ticks\n", a);
    T_CHECK(a == 0);
    T_CHECK(good_decides(&f));
    T_CHECK(load(&f, READS_ALL, err, sizeof err) == POLICY_SWAPPED);
    a = count_allocs(&f, 2000);
    fprintf(stderr, "state-reading policy: %lu allocations in 2000 ticks\n", a);
    T_CHECK(a == 0);
    T_CHECK(good_decides(&f));
    T_CHECK(f.s->policy_errors == 0);
    /* The counter sees a policy's own allocations. */
    T_CHECK(load(&f, ALLOCATES, err, sizeof err) == POLICY_SWAPPED);
    a = count_allocs(&f, 2000);
    T_CHECK(a >= 1000);
    fx_close(&f);
}

/* ---- cases that could take the process down, in a child ----------------- */

/* Runs `fn(arg)` in a child with a time limit; 1 if it exited 0. */
static int in_child(void (*fn)(const char *), const char *arg, unsigned secs,
                    const char *what)
{
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        alarm(secs);
        t_failed = 0;
        fn(arg);
        _exit(t_failed ? 1 : 0);
    }
    int st = 0;
    if (waitpid(pid, &st, 0) != pid)
        return 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 1;
    if (WIFSIGNALED(st))
        fprintf(stderr, "%s: child killed by signal %d%s\n", what, WTERMSIG(st),
                WTERMSIG(st) == SIGALRM ? " (hung)" : "");
    else
        fprintf(stderr, "%s: child exited %d\n", what, WEXITSTATUS(st));
    return 0;
}

/* In the child: the good policy, then `text`; the result does not matter
 * (rejected, or accepted and failing), only that ticks go on and the good
 * policy or the built-in one decides. */
static void child_survives(const char *text)
{
    struct fx f;
    char err[1024];
    if (!fx_open(&f, NULL))
        _exit(3);
    /* The child may die: leave nothing behind in /tmp.  The path stays the
     * policy's name; the file is not read again. */
    unlink(f.path);
    rmdir(f.dir);
    f.path[0] = f.dir[0] = '\0';
    fx_ticks(&f, 2);
    int rc = load(&f, text, err, sizeof err);
    fx_ticks(&f, 15);
    if (rc == POLICY_REJECTED)
        T_CHECK(good_decides(&f));
    else
        T_CHECK(f.s->policy_errors > 0 || good_decides(&f));
    fx_close(&f);
}

static const struct {
    const char *name;
    const char *text;
} hostile[] = {
    /* The module's fields are read outside any protected call or budget. */
    {"module with an erroring __index",
     "return setmetatable({}, { __index = function() error('idx') end })\n"},
    {"module with a looping __index",
     "return setmetatable({}, { __index = function() while true do end "
     "end })\n"},
    {"api with an erroring __tostring",
     "return { api = setmetatable({}, { __tostring = function() "
     "error('ts') end }), on_tick = function() end }\n"},
    /* The host rewrites state tables between callbacks, unprotected. */
    {"__newindex on state.dev.cpu0.proposal",
     TICKFN "  setmetatable(state.dev.cpu0.proposal, { __newindex = "
            "function() error('ni') end })\n"
            "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\nend }\n"},
    {"__newindex on state.dev.cpu0.sig after removing a key",
     TICKFN "  local s = state.dev.cpu0.sig\n  s.util = nil\n"
            "  setmetatable(s, { __newindex = function() while true do end "
            "end })\n"
            "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\nend }\n"},
    {"__newindex on state after removing t",
     TICKFN "  state.t = nil\n"
            "  setmetatable(state, { __newindex = function() error('st') "
            "end })\n"
            "  out.cpu0.freq = state.dev.cpu0.ctl.freq.min\nend }\n"},
};

static void test_hostile(void)
{
    for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
        int ok = in_child(child_survives, hostile[i].text, 5, hostile[i].name);
        if (!ok)
            fprintf(stderr, "  ^ hostile case '%s' took the process down\n",
                    hostile[i].name);
        T_CHECK(ok);
    }
}

int main(void)
{
    install();
    alarm(600); /* a hang is a failure, not a stuck test */
    log_set_sink(sink, NULL);
    log_set_level(LOG_DEBUG);

    test_builtin_differs();
    test_rejected_matrix();
    test_late_failures();
    test_late_rejections();
    test_on_event_failure();
    test_plain_find();
    test_no_global_leak();
    test_persist();
    test_same_text();
    test_limits();
    test_no_alloc();
    test_hostile();

    log_set_sink(NULL, NULL);
    return t_done("test_policy");
}
