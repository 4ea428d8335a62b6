/*
 * The Lua policy host at reload: for every way a submitted version can be
 * wrong - it does not compile, fails or runs away at load, in on_load or
 * in its shadow tick, decides something invalid, or reaches for what the
 * sandbox leaves out - it is rejected, and the last good version keeps
 * deciding while the loop ticks on.  Also: what a reload keeps (no
 * globals leak, the same text is not compiled twice), and versions that
 * could crash or hang the process, run in a forked child under alarm() so
 * that one of them failing does not take the others down.
 *
 * Accepted versions that fail later are test_policy_runtime.c's; the
 * fixture (policy_fx.h) is shared.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy_fx.h"

/* ---- rejected versions: the good one keeps deciding --------------------- */

struct reject_case {
    const char *name;
    const char *text;
    const char *want[6]; /* strings the error must hold, besides the file */
};

/* The first version is GOOD; `c` is submitted, must be rejected with one
 * line naming the file and the wanted strings, logged, counted, and the
 * good version keeps deciding while the loop ticks on. */
static void check_rejected(const struct reject_case *c)
{
    struct fx f;
    if (!fx_open_for(&f, c->want[0]))
        return;
    fx_ticks_good(&f, 3);
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
    fx_ticks_good(&f, 20);
    T_CHECK(f.s->policy_errors == pe);
    T_CHECK(!run_policy_in_fallback(f.r));
    fx_close(&f);
}

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
    {"warn", "warn('hello')\n", {":1:", "warn"}},
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
        blame(before, "case", reject_cases[i].name);
    }
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
    if (!fx_open(&f, V))
        return;
    fx_ticks(&f, 2);
    log_reset();
    double t0 = now_s();
    load_is(&f, "return 1\n", POLICY_REJECTED, "on_event failure");
    T_CHECK(now_s() - t0 < 5.0);
    T_CHECK(line_has(logbuf, f.path, ":6:", "exceeded", NULL));
    fx_ticks_good(&f, 10);
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
    if (!fx_open(&f, NULL))
        return;
    fx_ticks(&f, 1);
    double t0 = now_s();
    load_is(&f, V, POLICY_SWAPPED, "plain find");
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
    if (!fx_open(&f, NULL))
        return;
    fx_ticks(&f, 2);
    load_is(&f, V1, POLICY_SWAPPED, "leak V1");
    fx_ticks(&f, 3);
    T_CHECK(target0(&f) == f.fmax); /* V1 decides */
    load_is(&f, V2, POLICY_SWAPPED, "leak V2");
    fx_ticks_good(&f, 3); /* V2 saw no LEAK */
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
    if (!fx_open(&f, NULL))
        return;
    fx_ticks(&f, 1);
    uint64_t re = f.s->reload_errors, rl = f.s->reloads;

    /* The active version's text again. */
    log_reset();
    load_is(&f, GOOD, POLICY_SAME, "GOOD again");
    T_CHECK(f.s->reloads == rl);
    T_CHECK(loglen == 0);

    load_is(&f, BAD_A, POLICY_REJECTED, "BAD_A");
    T_CHECK(f.s->reload_errors == re + 1);
    log_reset();
    load_is(&f, BAD_A, POLICY_SAME, "BAD_A again");
    T_CHECK(f.s->reload_errors == re + 1);
    T_CHECK(loglen == 0); /* not compiled, not logged again */
    /* Only the last rejected text is remembered. */
    load_is(&f, BAD_B, POLICY_REJECTED, "BAD_B");
    load_is(&f, BAD_A, POLICY_REJECTED, "BAD_A after BAD_B");
    T_CHECK(f.s->reload_errors == re + 3);
    fx_ticks_good(&f, 3);
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
        int before = t_failed;
        T_CHECK(in_child(child_survives, hostile[i].text, 5, hostile[i].name));
        blame(before, "hostile case (it took the process down)",
              hostile[i].name);
    }
}

int main(void)
{
    fx_begin();
    test_rejected_matrix();
    test_on_event_failure();
    test_plain_find();
    test_no_global_leak();
    test_same_text();
    test_hostile();
    return fx_end("test_policy");
}
