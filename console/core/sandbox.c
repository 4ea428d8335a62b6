/*
 * sandbox - a Lua state for untrusted text chunks (see sandbox.h).
 *
 * The design follows Redis' script_lua.c:
 *
 *   - its own allocator with a memory cap, so `string.rep("x", 1e9)` is a
 *     clean "out of memory" and not the console's problem;
 *   - only base, table, string and math, each opened with luaL_requiref
 *     (luaL_openlibs would bring io, os, package, debug, coroutine);
 *   - no way to load code (load, loadfile, dofile, require, string.dump) or
 *     to write anywhere (print, warn), and text chunks only: a bytecode chunk
 *     can crash the VM by design;
 *   - a fresh _ENV holding only the allowed names for each chunk, so a chunk
 *     cannot reach the real globals table either;
 *   - an instruction budget enforced by a count hook, so `while true do end`
 *     ends with an error instead of hanging the console.
 *
 *   - library calls that loop in C, out of the hook's reach (string.rep,
 *     string.find, table.move/insert/remove/sort/concat/unpack), charge
 *     their element counts to the same budget before they run.
 *
 * Known limit: the library tables (string, math, table) are shared by
 * every chunk loaded into one state.
 *
 * Everything that can raise a Lua error runs inside a lua_pcall; the panic
 * handler is only a backstop.
 */
#include "sandbox.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "core/stopsig.h"

#if defined(__GNUC__)
#define SANDBOX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SANDBOX_PRINTF(f, a)
#endif

/* The hook runs every this many instructions while the budget lasts. */
#define SANDBOX_HOOK_EVERY 1000
/* ... and every this many (a divisor of SANDBOX_HOOK_EVERY, so that the
 * instruction budget runs out at the same instruction either way) once a
 * call with a time budget has run SANDBOX_SLOW_NS: its instructions are
 * slow (compares of long strings in C), and a thousand of them could
 * overrun the time budgets by seconds. */
#define SANDBOX_HOOK_FINE 8
#define SANDBOX_SLOW_NS 1000000u

/* Why an armed budget ran out. */
enum sandbox_why {
    SANDBOX_WHY_INSNS = 1, /* the instruction budget */
    SANDBOX_WHY_TIME,      /* the wall-time budget */
    SANDBOX_WHY_CPU,       /* the CPU-time budget */
    SANDBOX_WHY_SIGNAL,    /* a stop signal arrived (stopsig) */
};

struct sandbox {
    lua_State *L;
    /* The allocator's and the hook's state: both reach the struct through
     * the allocator's userdata. */
    size_t used, mem_cap;
    uint64_t insns, budget;
    uint64_t deadline_ns; /* armed wall-time limit, 0 = none */
    uint64_t budget_time_ns;
    uint64_t budget_cpu_ns; /* armed CPU-time limit, 0 = none */
    uint64_t start_ns;      /* CLOCK_MONOTONIC at arming */
    /* CPU time is read lazily (a system call): from the first hook past
     * SANDBOX_SLOW_NS on, the CPU time used is cpu_pre_ns (the wall time
     * until then, an upper bound) plus the thread's CPU time since
     * cpu_mark_ns.  Most calls end long before and never read it. */
    uint64_t cpu_mark_ns, cpu_pre_ns;
    int every;       /* the hook's current instruction count */
    unsigned phase;  /* instructions since insns last grew in the hook */
    uint64_t allocs; /* allocations and growths, ever */
    int expired;
    int why;               /* enum sandbox_why, once expired */
    int signo;             /* the stop signal, for SANDBOX_WHY_SIGNAL */
    int denied;            /* an allocation was refused since arming */
    sandbox_env_fn env_fn; /* adds host functions to each fresh _ENV */
    void *env_arg;
};

/* One sandbox_load: handed to the protected function as a light userdata. */
struct sandbox_job {
    const char *chunkname;
    const char *text;
    size_t len;
    int load_status;
};

/* ---- messages ---------------------------------------------------------- */

/* Messages are one line: a chunk's error("a\nb") must not break log
 * lines. */
static void sandbox_one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

/* "name: msg"; a NULL name leaves the prefix out. */
static void sandbox_err(char *err, size_t errlen, const char *name,
                        const char *fmt, ...) SANDBOX_PRINTF(4, 5);
static void sandbox_err(char *err, size_t errlen, const char *name,
                        const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    int n = name ? snprintf(err, errlen, "%s: ", name) : 0;
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    sandbox_one_line(err);
}

/* The chunk's name as the user knows it: without Lua's '@' or '='. */
static const char *sandbox_display(const char *chunkname)
{
    return *chunkname == '@' || *chunkname == '=' ? chunkname + 1 : chunkname;
}

/* What Lua prints for `chunk` in "src:line:" (luaO_chunkid, which the API
 * does not export), so that prefix can be swapped for the name as given
 * even when Lua shortened it to "...tail". */
static void sandbox_chunkid(char out[LUA_IDSIZE], const char *chunk)
{
    size_t srclen = strlen(chunk);
    out[0] = '\0';
    if (srclen <= LUA_IDSIZE) {
        memcpy(out, chunk + 1, srclen);
    } else if (*chunk == '=') {
        memcpy(out, chunk + 1, LUA_IDSIZE - 1);
        out[LUA_IDSIZE - 1] = '\0';
    } else {
        memcpy(out, "...", 3);
        memcpy(out + 3, chunk + 1 + srclen - (LUA_IDSIZE - 3), LUA_IDSIZE - 3);
    }
}

static void sandbox_lua_err(char *err, size_t errlen, const char *chunk,
                            const char *msg)
{
    const char *display = sandbox_display(chunk);
    char src[LUA_IDSIZE];
    sandbox_chunkid(src, chunk);
    size_t sl = strlen(src);
    if (sl > 0 && strncmp(msg, src, sl) == 0 && msg[sl] == ':') {
        if (err && errlen) {
            snprintf(err, errlen, "%s%s", display, msg + sl);
            sandbox_one_line(err);
        }
    } else {
        sandbox_err(err, errlen, display, "%s", msg);
    }
}

/* What ran out, for messages: "instruction budget of 2000000 exceeded". */
static void sandbox_why_text(const struct sandbox *sb, char *buf, size_t n)
{
    switch (sb->why) {
    case SANDBOX_WHY_TIME:
        snprintf(buf, n, "time budget of %llu us exceeded",
                 (unsigned long long)(sb->budget_time_ns / 1000));
        break;
    case SANDBOX_WHY_CPU:
        snprintf(buf, n, "CPU time budget of %g ms exceeded",
                 (double)sb->budget_cpu_ns / 1e6);
        break;
    case SANDBOX_WHY_SIGNAL:
        snprintf(buf, n, "interrupted by signal %d", sb->signo);
        break;
    default:
        snprintf(buf, n, "instruction budget of %llu exceeded",
                 (unsigned long long)sb->budget);
        break;
    }
}

/* Turns the failed status `st` of a protected call, whose error object is
 * on top of the stack, into a sandbox status and a message. */
static int sandbox_report(struct sandbox *sb, const char *chunk, int st,
                          char *err, size_t errlen)
{
    lua_State *L = sb->L;
    const char *display = sandbox_display(chunk);
    if (st == LUA_ERRMEM) {
        sandbox_err(err, errlen, display, "out of memory (at most %zu MiB)",
                    sb->mem_cap >> 20);
        return SANDBOX_MEMORY;
    }
    const char *m = lua_tostring(L, -1);
    char what[128];
    sandbox_why_text(sb, what, sizeof what);
    /* A chunk that caught the budget error and raised another one (or a
     * message handler that replaced it) still ran out of budget. */
    if (sb->expired && (!m || !strstr(m, what))) {
        sandbox_err(err, errlen, display, "%s (%s)", what,
                    sb->why == SANDBOX_WHY_SIGNAL ? "the run is stopping"
                                                  : "an endless loop?");
        return SANDBOX_BUDGET;
    }
    if (m) {
        sandbox_lua_err(err, errlen, chunk, m);
        return sb->expired ? SANDBOX_BUDGET : SANDBOX_ERROR;
    }
    sandbox_err(err, errlen, display, "error object is a %s value",
                luaL_typename(L, -1));
    return SANDBOX_ERROR;
}

/* ---- the state --------------------------------------------------------- */

static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct sandbox *sb = ud;
    size_t old = ptr ? osize : 0; /* without ptr, osize is a type tag */
    if (nsize == 0) {
        free(ptr);
        sb->used -= old;
        return NULL;
    }
    if (nsize > old && nsize - old > sb->mem_cap - sb->used) {
        /* Lua collects and retries, then raises ERRMEM; remember it so a
         * chunk that catches the error with pcall still fails its call. */
        sb->denied = 1;
        return NULL;
    }
    if (nsize > old)
        sb->allocs++;
    void *p = realloc(ptr, nsize);
    if (!p)
        return NULL;
    sb->used = sb->used - old + nsize;
    return p;
}

static int sandbox_panic(lua_State *L)
{
    const char *m = lua_tostring(L, -1);
    fprintf(stderr, "wattson: unprotected error in sandboxed Lua: %s\n",
            m ? m : "(no message)");
    abort();
}

static uint64_t sandbox_clock_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t sandbox_now_ns(void)
{
    return sandbox_clock_ns(CLOCK_MONOTONIC);
}

static void sandbox_hook(lua_State *L, lua_Debug *ar);

/* Marks the budget spent (for reason `why`, unless it already was) and
 * raises its error at `level` (0 from the hook, which has no frame; 1 from
 * a library wrapper, for its caller). */
static int sandbox_expire(lua_State *L, struct sandbox *sb, int why, int level,
                          const char *hint)
{
    char what[128];
    if (!sb->expired) {
        /* From now on every instruction raises the error again, so a
         * pcall in the chunk cannot swallow it and carry on. */
        sb->expired = 1;
        sb->why = why;
        lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, 1);
    }
    sandbox_why_text(sb, what, sizeof what);
    luaL_where(L, level);
    lua_pushfstring(L, "%s (%s)", what,
                    sb->why == SANDBOX_WHY_SIGNAL ? "the run is stopping"
                                                  : hint);
    lua_concat(L, 2);
    return lua_error(L);
}

static struct sandbox *sandbox_of(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

/* The clocks' part of the hook: 0, or why the call must end. */
static int sandbox_over_time(lua_State *L, struct sandbox *sb)
{
    uint64_t now = sandbox_now_ns(), el = now - sb->start_ns;
    if (sb->deadline_ns && now > sb->deadline_ns)
        return SANDBOX_WHY_TIME;
    if (sb->every != SANDBOX_HOOK_FINE &&
        (el >= SANDBOX_SLOW_NS ||
         (sb->budget_cpu_ns && el >= sb->budget_cpu_ns))) {
        sb->every = SANDBOX_HOOK_FINE;
        lua_sethook(L, sandbox_hook, LUA_MASKCOUNT, SANDBOX_HOOK_FINE);
        sb->cpu_pre_ns = el;
        sb->cpu_mark_ns = sandbox_clock_ns(CLOCK_THREAD_CPUTIME_ID);
    }
    /* The thread's CPU time cannot exceed the wall time since arming: read
     * it (a system call) only once that has passed the budget. */
    if (sb->budget_cpu_ns && el >= sb->budget_cpu_ns &&
        sb->cpu_pre_ns +
                (sandbox_clock_ns(CLOCK_THREAD_CPUTIME_ID) - sb->cpu_mark_ns) >=
            sb->budget_cpu_ns)
        return SANDBOX_WHY_CPU;
    return 0;
}

static void sandbox_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    struct sandbox *sb = sandbox_of(L);
    if (!sb->expired) {
        int why = 0, sig = stopsig_pending();
        /* The instruction count grows in steps of SANDBOX_HOOK_EVERY
         * whatever the hook's rate, so the budget runs out at the same
         * instruction on any host. */
        sb->phase += (unsigned)sb->every;
        if (sb->phase >= SANDBOX_HOOK_EVERY) {
            sb->phase = 0;
            sb->insns += SANDBOX_HOOK_EVERY;
        }
        if (sig) {
            sb->signo = sig;
            why = SANDBOX_WHY_SIGNAL;
        } else if (sb->deadline_ns || sb->budget_cpu_ns) {
            why = sandbox_over_time(L, sb);
        }
        if (!why && sb->insns >= sb->budget)
            why = SANDBOX_WHY_INSNS;
        if (!why)
            return;
        sandbox_expire(L, sb, why, 0, "an endless loop?");
    }
    sandbox_expire(L, sb, sb->why, 0, "an endless loop?");
}

/* A library call loops in C, where the count hook never runs: charges
 * `work` (its element count) to the instruction budget first, so
 * string.rep("", 1e15) or table.move({}, 1, 1e15, 1) ends with the budget
 * error instead of hanging the console.  Free while no budget is armed. */
static void sandbox_charge(lua_State *L, uint64_t work)
{
    struct sandbox *sb = sandbox_of(L);
    if (!sb->budget)
        return;
    if (sb->expired || work >= sb->budget - sb->insns)
        sandbox_expire(L, sb, SANDBOX_WHY_INSNS, 1,
                       "a library call too large for it");
    sb->insns += work;
}

/* lua_Integer span [a, b] as an unsigned count, 0 when empty.  The whole
 * range (mininteger..maxinteger) holds 2^64 values, one more than a
 * uint64_t: it saturates rather than wrapping to a free 0. */
static uint64_t sandbox_span(lua_Integer a, lua_Integer b)
{
    if (b < a)
        return 0;
    const uint64_t d = (uint64_t)b - (uint64_t)a;
    return d == UINT64_MAX ? d : d + 1;
}

/* What each wrapped library function costs, from its arguments. */
enum sandbox_cost {
    COST_REP,   /* string.rep(s, n [, sep]): n copies */
    COST_MOVE,  /* table.move(a, f, e, t [, a2]): e - f + 1 */
    COST_LEN,   /* table.insert/remove: up to #t shifts */
    COST_RANGE, /* table.concat(t, sep, i, j), table.unpack(t, i, j) */
    COST_SORT,  /* table.sort(t): #t log #t comparisons */
};

static int sandbox_costly(lua_State *L)
{
    uint64_t work = 0;
    switch ((enum sandbox_cost)lua_tointeger(L, lua_upvalueindex(2))) {
    case COST_REP: {
        /* Empty pieces loop n times for nothing; otherwise the copies cost
         * their bytes, which the memory cap bounds - a result too large
         * for it is left to fail as "out of memory". */
        size_t l = lua_rawlen(L, 1), lsep = lua_rawlen(L, 3);
        lua_Integer n = luaL_checkinteger(L, 2);
        struct sandbox *sb = sandbox_of(L);
        if (n <= 0)
            work = 0;
        else if (l + lsep == 0)
            work = (uint64_t)n;
        else if ((uint64_t)n <= (sb->mem_cap - sb->used) / (l + lsep))
            work = (uint64_t)n * (l + lsep) / 32;
        break;
    }
    case COST_MOVE:
        work = sandbox_span(luaL_checkinteger(L, 2), luaL_checkinteger(L, 3));
        break;
    case COST_LEN:
    case COST_SORT: {
        /* luaL_len runs a __len metamethod, which the hook counts. */
        lua_Integer n = luaL_len(L, 1);
        work = n > 0 ? (uint64_t)n : 0;
        if (lua_tointeger(L, lua_upvalueindex(2)) == COST_SORT)
            for (uint64_t m = work; m > 1; m >>= 1)
                work += n;
        break;
    }
    case COST_RANGE: {
        /* concat's range starts at argument 3, unpack's at 2. */
        int i = lua_tointeger(L, lua_upvalueindex(3)) ? 3 : 2;
        lua_Integer a = luaL_optinteger(L, i, 1);
        lua_Integer b = lua_isnoneornil(L, i + 1) ? luaL_len(L, 1)
                                                  : luaL_checkinteger(L, i + 1);
        work = sandbox_span(a, b);
        break;
    }
    }
    sandbox_charge(L, work);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* Replaces lib[name] (the table on top of the stack) by a charging
 * wrapper. */
static void sandbox_wrap(lua_State *L, const char *name, enum sandbox_cost c,
                         int range_at3)
{
    lua_getfield(L, -1, name);
    lua_pushinteger(L, c);
    lua_pushinteger(L, range_at3);
    lua_pushcclosure(L, sandbox_costly, 3);
    lua_setfield(L, -2, name);
}

/* math.randomseed() without arguments seeds from the clock: a chunk must
 * give the same result every time, so a seed is required. */
static int sandbox_randomseed(lua_State *L)
{
    if (lua_isnoneornil(L, 1))
        return luaL_error(L, "math.randomseed needs a seed "
                             "(lab files must be deterministic)");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* Finalizers run with hooks off (lgc.c GCTM), so a __gc could loop
 * forever out of the budget's reach, during a collection or in lua_close.
 * Lua only marks an object for finalization if its metatable has __gc when
 * setmetatable is called, so refusing it here is enough. */
static int sandbox_setmetatable(lua_State *L)
{
    /* Raw, as Lua's own check is: no metamethod of the metatable runs. */
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in lab "
                                 "files");
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* string.find(s, text [, init]) as a plain substring search. */
static int sandbox_find_plain(lua_State *L)
{
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    lua_Integer init = luaL_optinteger(L, 3, 1);
    /* A plain search compares up to #s * #text bytes (memchr, then memcmp
     * at each hit); a byte compare is some 30 times cheaper than a VM
     * instruction. */
    size_t ls = lua_rawlen(L, 1), lp = lua_rawlen(L, 2);
    sandbox_charge(L, ((uint64_t)ls + 1) * ((uint64_t)lp + 1) / 32);
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_pushinteger(L, init);
    lua_pushboolean(L, 1);
    lua_call(L, 4, LUA_MULTRET);
    return lua_gettop(L);
}

/* Warnings (the `warn` function is gone, but the VM can still emit some,
 * e.g. from a failing finalizer) are dropped rather than printed over the
 * console. */
static void sandbox_warnf(void *ud, const char *msg, int tocont)
{
    (void)ud;
    (void)msg;
    (void)tocont;
}

/* The names a chunk's _ENV holds. */
static const char *const sandbox_allowed[] = {
    "assert",        "error",  "getmetatable", "ipairs",       "next",
    "pairs",         "pcall",  "rawequal",     "rawget",       "rawlen",
    "rawset",        "select", "setmetatable", "tonumber",     "tostring",
    "type",          "xpcall", "_VERSION",     LUA_TABLIBNAME, LUA_STRLIBNAME,
    LUA_MATHLIBNAME,
};

/* Runs under lua_pcall: opens the libraries and trims them.  The globals
 * table is only the template sandbox_push_env copies from. */
static int sandbox_open(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},
        {LUA_TABLIBNAME, luaopen_table},
        {LUA_STRLIBNAME, luaopen_string},
        {LUA_MATHLIBNAME, luaopen_math},
    };
    static const char *const removed[] = {
        "dofile",         "loadfile", "load", "require",
        "collectgarbage", "print",    "warn",
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    for (size_t i = 0; i < sizeof removed / sizeof removed[0]; i++) {
        lua_pushnil(L);
        lua_setfield(L, g, removed[i]);
    }
    /* The strings' metatable indexes this same table, so ("").dump goes
     * too. */
    lua_getfield(L, g, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);

    /* math.random from a fixed seed: 5.4 seeds it from the clock. */
    lua_getfield(L, g, LUA_MATHLIBNAME);
    lua_getfield(L, -1, "randomseed");
    lua_pushvalue(L, -1);
    lua_pushinteger(L, 1);
    lua_call(L, 1, 0);
    lua_pushcclosure(L, sandbox_randomseed, 1);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);

    lua_getfield(L, g, "setmetatable");
    lua_pushcclosure(L, sandbox_setmetatable, 1);
    lua_setfield(L, g, "setmetatable");

    /* Lua patterns run in C, out of the instruction hook's reach, and
     * some take exponential time ("a*a*a*a*b" on a long run of a's).
     * Rather than guess safe sizes, the pattern functions go: string.find
     * stays, always plain (no patterns), which is what policies need. */
    lua_getfield(L, g, LUA_STRLIBNAME);
    static const char *const patterns[] = {"match", "gmatch", "gsub"};
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++) {
        lua_pushnil(L);
        lua_setfield(L, -2, patterns[i]);
    }
    lua_getfield(L, -1, "find");
    lua_pushcclosure(L, sandbox_find_plain, 1);
    lua_setfield(L, -2, "find");
    sandbox_wrap(L, "rep", COST_REP, 0);
    lua_pop(L, 1);
    lua_getfield(L, g, LUA_TABLIBNAME);
    sandbox_wrap(L, "move", COST_MOVE, 0);
    sandbox_wrap(L, "insert", COST_LEN, 0);
    sandbox_wrap(L, "remove", COST_LEN, 0);
    sandbox_wrap(L, "sort", COST_SORT, 0);
    sandbox_wrap(L, "concat", COST_RANGE, 1);
    sandbox_wrap(L, "unpack", COST_RANGE, 0);
    lua_pop(L, 1);

    /* The strings' metatable is shared by every string of the state:
     * hide it so ("").__index cannot be reached to change the library
     * behind another chunk's back. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* Pushes a fresh _ENV holding only the allowed names. */
static void sandbox_push_env(lua_State *L)
{
    size_t n = sizeof sandbox_allowed / sizeof sandbox_allowed[0];
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    lua_createtable(L, 0, (int)n + 1);
    for (size_t i = 0; i < n; i++) {
        lua_getfield(L, g, sandbox_allowed[i]);
        lua_setfield(L, -2, sandbox_allowed[i]);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, LUA_GNAME);
    lua_remove(L, g);
}

/* Runs under lua_pcall: returns the chunk's _ENV and first result, or the
 * load error with the status in the job. */
static int sandbox_run(lua_State *L)
{
    struct sandbox_job *j = lua_touserdata(L, 1);
    sandbox_push_env(L);
    int env = lua_gettop(L);
    void *ud;
    lua_getallocf(L, &ud);
    struct sandbox *sb = ud;
    if (sb->env_fn)
        sb->env_fn(L, env, sb->env_arg);
    j->load_status = luaL_loadbufferx(L, j->text, j->len, j->chunkname, "t");
    if (j->load_status != LUA_OK)
        return 1;
    lua_pushvalue(L, env);
    lua_setupvalue(L, -2, 1); /* a main chunk's only upvalue is _ENV */
    lua_call(L, 0, 1);
    return 2;
}

/* ---- entry points ------------------------------------------------------ */

int sandbox_new(struct sandbox **out, size_t mem_cap, char *err, size_t errlen)
{
    *out = NULL;
    struct sandbox *sb = calloc(1, sizeof *sb);
    if (!sb) {
        sandbox_err(err, errlen, NULL, "out of memory");
        return SANDBOX_NOMEM;
    }
    sb->mem_cap = mem_cap;
    sb->L = lua_newstate(sandbox_alloc, sb);
    if (!sb->L) {
        free(sb);
        sandbox_err(err, errlen, NULL, "out of memory");
        return SANDBOX_NOMEM;
    }
    lua_atpanic(sb->L, sandbox_panic);
    lua_setwarnf(sb->L, sandbox_warnf, NULL);
    lua_pushcfunction(sb->L, sandbox_open);
    int st = lua_pcall(sb->L, 0, 0, 0);
    if (st != LUA_OK) {
        /* Only memory can fail here: the libraries are Lua's own. */
        int rc = st == LUA_ERRMEM ? SANDBOX_MEMORY : SANDBOX_ERROR;
        if (rc == SANDBOX_MEMORY)
            sandbox_err(err, errlen, NULL, "out of memory (at most %zu MiB)",
                        mem_cap >> 20);
        else
            sandbox_err(err, errlen, NULL, "%s",
                        lua_isstring(sb->L, -1) ? lua_tostring(sb->L, -1)
                                                : "cannot open the libraries");
        sandbox_free(sb);
        return rc;
    }
    *out = sb;
    return SANDBOX_OK;
}

void sandbox_arm(struct sandbox *sb, uint64_t instructions)
{
    sandbox_arm_limits(sb, instructions, 0, 0);
}

void sandbox_arm_timed(struct sandbox *sb, uint64_t instructions,
                       uint64_t time_ns)
{
    sandbox_arm_limits(sb, instructions, time_ns, 0);
}

void sandbox_arm_limits(struct sandbox *sb, uint64_t instructions,
                        uint64_t time_ns, uint64_t cpu_ns)
{
    sb->insns = 0;
    sb->budget = instructions;
    sb->budget_time_ns = time_ns;
    sb->budget_cpu_ns = cpu_ns;
    sb->start_ns = time_ns || cpu_ns ? sandbox_now_ns() : 0;
    sb->deadline_ns = time_ns ? sb->start_ns + time_ns : 0;
    sb->cpu_pre_ns = 0;
    sb->cpu_mark_ns = 0;
    sb->every = SANDBOX_HOOK_EVERY;
    sb->phase = 0;
    sb->expired = 0;
    sb->why = 0;
    sb->signo = 0;
    sb->denied = 0;
    lua_sethook(sb->L, sandbox_hook, LUA_MASKCOUNT, SANDBOX_HOOK_EVERY);
}

void sandbox_disarm(struct sandbox *sb)
{
    lua_sethook(sb->L, NULL, 0, 0);
    sb->expired = 0;
    sb->why = 0;
    sb->denied = 0;
}

/* The message handler of sandbox_call: the error plus a short traceback,
 * on one line, so the log shows where a policy failed. */
static int sandbox_traceback(lua_State *L)
{
    const char *m = lua_tostring(L, 1);
    if (!m) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        m = lua_pushfstring(L, "error object is a %s value",
                            luaL_typename(L, 1));
    }
    luaL_traceback(L, L, m, 1);
    return 1;
}

int sandbox_call(struct sandbox *sb, const char *chunkname, int nargs,
                 int nresults, char *err, size_t errlen)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs; /* the function's slot */
    lua_pushcfunction(L, sandbox_traceback);
    lua_insert(L, base);
    int st = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    if (st == LUA_OK && !sb->expired && !sb->denied)
        return SANDBOX_OK;
    if (st == LUA_OK) {
        /* Lua says success, but the host refused memory or time to it: a
         * pcall inside caught the error.  The call still failed. */
        lua_pop(L, nresults > 0 ? nresults : 0);
        if (sb->expired)
            lua_pushliteral(L, "budget exceeded (the error was caught by "
                               "pcall in the policy)");
        else
            st = LUA_ERRMEM;
        if (st == LUA_OK)
            st = LUA_ERRRUN;
        else
            lua_pushnil(L);
    }
    int rc = sandbox_report(sb, chunkname, st, err, errlen);
    lua_pop(L, 1);
    return rc;
}

uint64_t sandbox_allocs(const struct sandbox *sb)
{
    return sb->allocs;
}

size_t sandbox_mem_used(const struct sandbox *sb)
{
    return sb->used;
}

int sandbox_load(struct sandbox *sb, const char *chunkname, const char *text,
                 size_t len, char *err, size_t errlen)
{
    lua_State *L = sb->L;
    struct sandbox_job j = {chunkname, text, len, LUA_OK};
    if (!lua_checkstack(L, 3)) {
        sandbox_err(err, errlen, sandbox_display(chunkname),
                    "out of memory (at most %zu MiB)", sb->mem_cap >> 20);
        return SANDBOX_MEMORY;
    }
    lua_pushcfunction(L, sandbox_run);
    lua_pushlightuserdata(L, &j);
    int st = lua_pcall(L, 1, 2, 0);
    if (st == LUA_OK && j.load_status == LUA_OK) {
        if (!sb->denied && !sb->expired)
            return SANDBOX_OK;
        /* The chunk caught a refused allocation or the budget's error with
         * pcall and carried on: the load still failed. */
        lua_pop(L, 2);
        if (sb->expired) {
            lua_pushliteral(L, "budget exceeded (the error was caught by "
                               "pcall in the chunk)");
            st = LUA_ERRRUN;
        } else {
            lua_pushnil(L);
            st = LUA_ERRMEM;
        }
        int rc = sandbox_report(sb, chunkname, st, err, errlen);
        lua_pop(L, 1);
        return rc;
    }
    if (st == LUA_OK) {
        /* The load error came back as a result, padded with a nil. */
        lua_pop(L, 1);
        st = j.load_status;
    }
    int rc = sandbox_report(sb, chunkname, st, err, errlen);
    lua_pop(L, 1);
    return rc;
}

void sandbox_set_env_fn(struct sandbox *sb, sandbox_env_fn fn, void *arg)
{
    sb->env_fn = fn;
    sb->env_arg = arg;
}

struct lua_State *sandbox_lua(struct sandbox *sb)
{
    return sb->L;
}

void sandbox_free(struct sandbox *sb)
{
    if (!sb)
        return;
    lua_close(sb->L);
    free(sb);
}
