/*
 * lab - the lab file reader (see lab.h).
 *
 * A lab file is Lua so that it can compute values (loops over devices,
 * string.format for names), but it is data, not a program: it runs once, in
 * a sandbox, and what it returns is copied into a cfg tree before the Lua
 * state is closed.  The sandbox follows Redis' script_lua.c:
 *
 *   - its own allocator with a memory cap, so `string.rep("x", 1e9)` is a
 *     clean "out of memory" and not the console's problem;
 *   - only base, table, string and math, each opened with luaL_requiref
 *     (luaL_openlibs would bring io, os, package, debug, coroutine);
 *   - no way to load code (load, loadfile, dofile, require, string.dump) or
 *     to write anywhere (print, warn), and text chunks only: a bytecode chunk
 *     can crash the VM by design;
 *   - a fresh _ENV holding only the allowed names, so the lab cannot reach
 *     the real globals table either;
 *   - an instruction budget enforced by a count hook, so `while true do end`
 *     ends with an error instead of hanging the console.
 *
 * Known limit: the budget counts VM instructions, so a single long-running
 * library call (a pathological string.find pattern) is not interrupted.
 *
 * Everything that can raise a Lua error runs inside one lua_pcall; the
 * panic handler is only a backstop.  The cfg copy uses malloc, outside the
 * Lua cap, so it has a byte budget of its own (shared subtables are copied
 * once per use and could otherwise blow up exponentially).
 */
#include "lab.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "cfg.h"
#include "dur.h"
#include "wattson/plugin.h"

#ifndef WATTSON_LAB_DIR
#define WATTSON_LAB_DIR "."
#endif

#if defined(__GNUC__)
#define LAB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LAB_PRINTF(f, a)
#endif

/* Generated from lua-policies/labs/default.lua by console/embed.cmake. */
extern const char lab_default_text[];
extern const size_t lab_default_text_len;

#define LAB_MEM_DEFAULT ((size_t)32 << 20)
#define LAB_INSN_DEFAULT 50000000u
#define LAB_HOOK_EVERY 1000
#define LAB_MAX_DEPTH 32
#define LAB_MAX_FILE ((size_t)16 << 20)
/* What one copied value costs, roughly, besides its key and string. */
#define LAB_NODE_COST 96
#define LAB_DEFAULT_PATH "<default lab>"
#define LAB_DEFAULT_CHUNK "default.lua"

static size_t lab_mem_limit = LAB_MEM_DEFAULT;
static uint64_t lab_insn_limit = LAB_INSN_DEFAULT;

void lab_set_limits(size_t mem_bytes, uint64_t instructions)
{
    lab_mem_limit = mem_bytes ? mem_bytes : LAB_MEM_DEFAULT;
    lab_insn_limit = instructions ? instructions : LAB_INSN_DEFAULT;
}

/* One evaluation: the allocator's and the hook's state (both reach it
 * through the allocator's userdata) and the copy's progress. */
struct lab_run {
    const char *text;
    size_t len;
    const char *chunk; /* Lua chunk name: "@path" or "=name" */
    size_t used, limit;
    uint64_t insns, insn_limit;
    int expired;
    int load_status;
    struct cfg *root; /* freed by the caller if anything fails */
    size_t copied, copy_limit;
    int failed; /* a shape error is in msg */
    char path[512];
    size_t pathlen;
    char msg[768];
};

struct lab_key {
    const char *s; /* NULL for an integer key */
    lua_Integer i;
    int pos; /* slot in the keys table that keeps the key alive */
};

/* The allocation in lab_alloc_lab() carries these past the public struct. */
struct lab_priv {
    struct lab pub;
    char *name_buf;
    char *fields;
};

/* ---- messages ---------------------------------------------------------- */

/* Messages are one line: a lab's error("a\nb") must not break log lines. */
static void lab_one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

static int lab_err(char *err, size_t errlen, const char *display,
                   const char *fmt, ...) LAB_PRINTF(4, 5);
static int lab_err(char *err, size_t errlen, const char *display,
                   const char *fmt, ...)
{
    if (!err || errlen == 0)
        return -1;
    int n = snprintf(err, errlen, "%s: ", display);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    lab_one_line(err);
    return -1;
}

/* What Lua prints for `chunk` in "src:line:" (luaO_chunkid, which the API
 * does not export), so that prefix can be swapped for the name as given
 * even when Lua shortened it to "...tail". */
static void lab_chunkid(char out[LUA_IDSIZE], const char *chunk)
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

static void lab_lua_err(char *err, size_t errlen, const char *display,
                        const char *chunk, const char *msg)
{
    char src[LUA_IDSIZE];
    lab_chunkid(src, chunk);
    size_t sl = strlen(src);
    if (sl > 0 && strncmp(msg, src, sl) == 0 && msg[sl] == ':') {
        if (err && errlen) {
            snprintf(err, errlen, "%s%s", display, msg + sl);
            lab_one_line(err);
        }
    } else {
        lab_err(err, errlen, display, "%s", msg);
    }
}

/* ---- the sandbox ------------------------------------------------------- */

static void *lab_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    struct lab_run *r = ud;
    size_t old = ptr ? osize : 0; /* without ptr, osize is a type tag */
    if (nsize == 0) {
        free(ptr);
        r->used -= old;
        return NULL;
    }
    if (nsize > old && nsize - old > r->limit - r->used)
        return NULL; /* Lua collects and retries, then raises ERRMEM */
    void *p = realloc(ptr, nsize);
    if (!p)
        return NULL;
    r->used = r->used - old + nsize;
    return p;
}

static int lab_panic(lua_State *L)
{
    const char *m = lua_tostring(L, -1);
    fprintf(stderr, "wattson: unprotected Lua error in the lab reader: %s\n",
            m ? m : "(no message)");
    abort();
}

static void lab_hook(lua_State *L, lua_Debug *ar)
{
    void *ud;
    (void)ar;
    lua_getallocf(L, &ud);
    struct lab_run *r = ud;
    if (!r->expired) {
        r->insns += LAB_HOOK_EVERY;
        if (r->insns < r->insn_limit)
            return;
        /* From now on every instruction raises the error again, so a
         * pcall in the lab cannot swallow it and carry on. */
        r->expired = 1;
        lua_sethook(L, lab_hook, LUA_MASKCOUNT, 1);
    }
    /* Level 0 is the Lua function being run: the hook has no frame. */
    luaL_where(L, 0);
    lua_pushfstring(L, "instruction budget of %I exceeded (an endless loop?)",
                    (lua_Integer)r->insn_limit);
    lua_concat(L, 2);
    lua_error(L);
}

/* math.randomseed() without arguments seeds from the clock: a lab must
 * give the same tree every time, so a seed is required. */
static int lab_randomseed(lua_State *L)
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
static int lab_setmetatable(lua_State *L)
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

/* Opens the libraries, trims them, and leaves the lab's _ENV on the stack. */
static void lab_open_sandbox(lua_State *L)
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
    static const char *const allowed[] = {
        "assert",        "error",    "getmetatable", "ipairs",
        "next",          "pairs",    "pcall",        "rawequal",
        "rawget",        "rawlen",   "rawset",       "select",
        "setmetatable",  "tonumber", "tostring",     "type",
        "xpcall",        "_VERSION", LUA_TABLIBNAME, LUA_STRLIBNAME,
        LUA_MATHLIBNAME,
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
    lua_pushcclosure(L, lab_randomseed, 1);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);

    lua_getfield(L, g, "setmetatable");
    lua_pushcclosure(L, lab_setmetatable, 1);
    lua_setfield(L, g, "setmetatable");

    lua_createtable(L, 0, (int)(sizeof allowed / sizeof allowed[0]) + 1);
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        lua_getfield(L, g, allowed[i]);
        lua_setfield(L, -2, allowed[i]);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, LUA_GNAME);
    lua_remove(L, g);
}

/* ---- copying the returned table ---------------------------------------- */

static int lab_fail(struct lab_run *r, const char *fmt, ...) LAB_PRINTF(2, 3);
static int lab_fail(struct lab_run *r, const char *fmt, ...)
{
    size_t n = 0;
    if (r->pathlen) {
        int k = snprintf(r->msg, sizeof r->msg, "%s: ", r->path);
        n = k > 0 && (size_t)k < sizeof r->msg ? (size_t)k : 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + n, sizeof r->msg - n, fmt, ap);
    va_end(ap);
    r->failed = 1;
    return -1;
}

static int lab_oom(struct lab_run *r)
{
    return lab_fail(r, "out of memory");
}

static size_t lab_path_push(struct lab_run *r, const char *key)
{
    size_t saved = r->pathlen;
    size_t room = sizeof r->path - r->pathlen;
    int n = snprintf(r->path + r->pathlen, room, "%s%s", r->pathlen ? "." : "",
                     key);
    if (n > 0)
        r->pathlen += (size_t)n < room ? (size_t)n : room - 1;
    return saved;
}

static void lab_path_pop(struct lab_run *r, size_t saved)
{
    r->pathlen = saved;
    r->path[saved] = '\0';
}

static int lab_account(struct lab_run *r, size_t bytes)
{
    if (bytes > r->copy_limit - r->copied)
        return lab_fail(r,
                        "the lab's data are too large (over %zu MiB once "
                        "copied; a shared table counts once per use)",
                        r->copy_limit >> 20);
    r->copied += bytes;
    return 0;
}

/* A string that Lua would also accept as an integer key, e.g. "3". */
static int lab_index_of(const char *s, size_t len, lua_Integer *out)
{
    lua_Integer v = 0;
    if (len == 0 || s[0] == '0')
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        int d = s[i] - '0';
        if (v > (LUA_MAXINTEGER - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/* The key at -2 of table `t`. */
static int lab_check_key(lua_State *L, struct lab_run *r, int t)
{
    int type = lua_type(L, -2);
    if (type == LUA_TNUMBER) {
        if (!lua_isinteger(L, -2))
            return lab_fail(r,
                            "key %.17g is not allowed (keys must be "
                            "strings or positive integers)",
                            lua_tonumber(L, -2));
        if (lua_tointeger(L, -2) <= 0)
            return lab_fail(r,
                            "key %lld is not allowed (keys must be "
                            "strings or positive integers)",
                            (long long)lua_tointeger(L, -2));
        return 0;
    }
    if (type != LUA_TSTRING)
        return lab_fail(r,
                        "key of type %s is not allowed (keys must be "
                        "strings or positive integers)",
                        luaL_typename(L, -2));
    size_t len;
    const char *s = lua_tolstring(L, -2, &len);
    if (len == 0)
        return lab_fail(r, "empty key is not allowed");
    if (strlen(s) != len)
        return lab_fail(r, "key '%s...' contains a NUL byte", s);
    if (memchr(s, '.', len))
        return lab_fail(r,
                        "key '%s' contains '.', which separates path "
                        "components",
                        s);
    lua_Integer i;
    if (lab_index_of(s, len, &i)) {
        lua_rawgeti(L, t, i);
        int clash = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (clash)
            return lab_fail(r,
                            "key %s is given both as a string and as a "
                            "number",
                            s);
    }
    return 0;
}

static int lab_cmp_key(const void *pa, const void *pb)
{
    const struct lab_key *a = pa, *b = pb;
    if (!a->s && !b->s)
        return (a->i > b->i) - (a->i < b->i);
    if (!a->s || !b->s)
        return a->s ? 1 : -1;
    return strcmp(a->s, b->s);
}

static int lab_copy_table(lua_State *L, struct lab_run *r, int t,
                          struct cfg *dst, int depth);

/* Adds the value on top of the stack to `dst` under `key`. */
static int lab_copy_value(lua_State *L, struct lab_run *r, struct cfg *dst,
                          const char *key, int depth)
{
    size_t klen = strlen(key);
    switch (lua_type(L, -1)) {
    case LUA_TNUMBER: {
        double v = lua_isinteger(L, -1) ? (double)lua_tointeger(L, -1)
                                        : (double)lua_tonumber(L, -1);
        if (!isfinite(v))
            return lab_fail(r, "numbers must be finite, got %s",
                            isnan(v) ? "nan"
                            : v > 0  ? "inf"
                                     : "-inf");
        if (lab_account(r, LAB_NODE_COST + klen))
            return -1;
        return cfg_add_number(dst, key, v) ? 0 : lab_oom(r);
    }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (strlen(s) != len)
            return lab_fail(r, "string contains a NUL byte");
        if (lab_account(r, LAB_NODE_COST + klen + len))
            return -1;
        return cfg_add_string(dst, key, s) ? 0 : lab_oom(r);
    }
    case LUA_TBOOLEAN:
        if (lab_account(r, LAB_NODE_COST + klen))
            return -1;
        return cfg_add_bool(dst, key, lua_toboolean(L, -1)) ? 0 : lab_oom(r);
    case LUA_TTABLE: {
        if (depth + 1 > LAB_MAX_DEPTH)
            return lab_fail(r,
                            "tables nested deeper than %d levels (does a "
                            "table contain itself?)",
                            LAB_MAX_DEPTH);
        if (lab_account(r, LAB_NODE_COST + klen))
            return -1;
        struct cfg *sub = cfg_add_table(dst, key);
        if (!sub)
            return lab_oom(r);
        return lab_copy_table(L, r, lua_gettop(L), sub, depth + 1);
    }
    default:
        return lab_fail(r, "unsupported value of type %s",
                        luaL_typename(L, -1));
    }
}

/* Copies table `t` (an absolute index) in sorted key order, so that when a
 * lab has several errors the one reported does not depend on Lua's hash
 * order.  Raw access only: metamethods are never run. */
static int lab_copy_table(lua_State *L, struct lab_run *r, int t,
                          struct cfg *dst, int depth)
{
    if (!lua_checkstack(L, 8))
        return lab_oom(r);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lab_check_key(L, r, t))
            return -1; /* the stack is abandoned with the state */
        n++;
        lua_pop(L, 1);
    }
    if (n == 0)
        return 0;
    if (n > INT_MAX / 2 || n > SIZE_MAX / sizeof(struct lab_key))
        return lab_fail(r, "table too large");

    /* The keys table keeps each key (and so each s pointer) alive; the
     * array is a userdata so that a memory error leaks nothing. */
    lua_createtable(L, (int)n, 0);
    int kt = lua_gettop(L);
    struct lab_key *keys = lua_newuserdatauv(L, n * sizeof *keys, 0);
    size_t j = 0;
    lua_pushnil(L);
    while (lua_next(L, t) && j < n) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, kt, (lua_Integer)j + 1);
        keys[j].pos = (int)j + 1;
        if (lua_type(L, -1) == LUA_TSTRING) {
            keys[j].s = lua_tostring(L, -1);
            keys[j].i = 0;
        } else {
            keys[j].s = NULL;
            keys[j].i = lua_tointeger(L, -1);
        }
        j++;
    }
    qsort(keys, j, sizeof *keys, lab_cmp_key);
    for (size_t k = 0; k < j; k++) {
        char buf[32];
        const char *key = keys[k].s;
        if (!key) {
            snprintf(buf, sizeof buf, "%lld", (long long)keys[k].i);
            key = buf;
        }
        lua_rawgeti(L, kt, keys[k].pos);
        lua_rawget(L, t);
        size_t saved = lab_path_push(r, key);
        int rc = lab_copy_value(L, r, dst, key, depth);
        if (rc)
            return -1;
        lab_path_pop(r, saved);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    return 0;
}

/* Runs under lua_pcall: every Lua error from here on is caught. */
static int lab_lua_main(lua_State *L)
{
    struct lab_run *r = lua_touserdata(L, 1);
    lab_open_sandbox(L);
    int env = lua_gettop(L);
    r->load_status = luaL_loadbufferx(L, r->text, r->len, r->chunk, "t");
    if (r->load_status != LUA_OK)
        return 1;
    lua_pushvalue(L, env);
    lua_setupvalue(L, -2, 1); /* a main chunk's only upvalue is _ENV */
    /* The hook stays armed until lua_close: __gc metamethods run Lua. */
    lua_sethook(L, lab_hook, LUA_MASKCOUNT, LAB_HOOK_EVERY);
    lua_call(L, 0, 1);
    /* No collection while copying: a finalizer could edit the table being
     * walked.  lua_close still runs them, under the hook. */
    lua_gc(L, LUA_GCSTOP);
    if (!lua_istable(L, -1)) {
        lab_fail(r, "the lab must return a table, got %s",
                 luaL_typename(L, -1));
        return 0;
    }
    r->root = cfg_new_table();
    if (!r->root)
        return lab_oom(r), 0;
    lab_copy_table(L, r, lua_gettop(L), r->root, 0);
    return 0;
}

/* Evaluates a lab chunk into a sorted cfg tree; the Lua state is gone
 * when this returns. */
static int lab_eval(const char *display, const char *chunk, const char *text,
                    size_t len, struct cfg **out, char *err, size_t errlen)
{
    struct lab_run r;
    memset(&r, 0, sizeof r);
    r.text = text;
    r.len = len;
    r.chunk = chunk;
    r.limit = lab_mem_limit;
    r.insn_limit = lab_insn_limit;
    r.copy_limit = lab_mem_limit;
    *out = NULL;

    if (len >= 4 && memcmp(text, LUA_SIGNATURE, 4) == 0)
        return lab_err(err, errlen, display,
                       "precompiled Lua chunks are "
                       "not allowed (a lab file must be source text)");
    lua_State *L = lua_newstate(lab_alloc, &r);
    if (!L)
        return lab_err(err, errlen, display, "out of memory");
    lua_atpanic(L, lab_panic);
    lua_pushcfunction(L, lab_lua_main);
    lua_pushlightuserdata(L, &r);
    int st = lua_pcall(L, 1, 1, 0);
    if (st == LUA_OK && r.load_status != LUA_OK)
        st = r.load_status;
    int rc = 0;
    if (st == LUA_ERRMEM) {
        rc = lab_err(err, errlen, display,
                     "out of memory (a lab file may "
                     "use at most %zu MiB)",
                     r.limit >> 20);
    } else if (st != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        if (r.expired && (!m || !strstr(m, "instruction budget")))
            rc = lab_err(err, errlen, display,
                         "instruction budget of %llu "
                         "exceeded (an endless loop?)",
                         (unsigned long long)r.insn_limit);
        else if (m)
            lab_lua_err(err, errlen, display, chunk, m), rc = -1;
        else
            rc = lab_err(err, errlen, display, "error object is a %s value",
                         luaL_typename(L, -1));
    } else if (r.failed) {
        rc = lab_err(err, errlen, display, "%s", r.msg);
    }
    lua_close(L);
    if (rc) {
        cfg_free(r.root);
        return -1;
    }
    cfg_sort(r.root);
    *out = r.root;
    return 0;
}

/* ---- validating the top level ------------------------------------------ */

static const char *const lab_fields[] = {
    "name",     "description", "tick",   "duration", "seed",
    "budget_w", "policy",      "limits", "drivers",
};

static const char *const lab_summary_keys[] = {
    "energy_j",           "mean_power_w",
    "peak_power_w",       "budget_violations",
    "work_served",        "backlog_end",
    "mean_latency_s",     "edp",
    "deadline_misses",    "policy_errors",
    "rejected_decisions", "driver_errors",
};

struct lab_check {
    const char *display;
    char *err;
    size_t errlen;
};

/* Levenshtein distance, for "did you mean"; long words are never close. */
static size_t lab_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[33];
    if (la > 32 || lb > 32)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int lab_known(const char *key, const char *const *names, size_t n,
                     const char **closest)
{
    size_t best = 3; /* suggest only within two edits */
    *closest = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(key, names[i]) == 0)
            return 1;
        size_t d = lab_distance(key, names[i]);
        if (d < best) {
            best = d;
            *closest = names[i];
        }
    }
    return 0;
}

static int lab_want(struct lab_check *c, const struct cfg *root,
                    const char *field, int type, const struct cfg **node)
{
    *node = cfg_get(root, field);
    if (*node && cfg_type(*node) != type)
        return lab_err(c->err, c->errlen, c->display, "%s: expected %s, got %s",
                       field, cfg_type_name(type),
                       cfg_type_name(cfg_type(*node)));
    return 0;
}

static int lab_nonempty(struct lab_check *c, const char *field,
                        const struct cfg *node)
{
    if (node && cfg_string(node)[0] == '\0')
        return lab_err(c->err, c->errlen, c->display, "%s: must not be empty",
                       field);
    return 0;
}

static int lab_duration(struct lab_check *c, const struct cfg *root,
                        const char *field, double *v)
{
    const struct cfg *node = cfg_get(root, field);
    if (!node)
        return 0;
    if (cfg_type(node) == WATTSON_CFG_NUMBER) {
        *v = cfg_number(node);
    } else if (cfg_type(node) == WATTSON_CFG_STRING) {
        char why[256];
        if (dur_parse(cfg_string(node), v, why, sizeof why))
            return lab_err(c->err, c->errlen, c->display, "%s: %s", field, why);
    } else {
        return lab_err(c->err, c->errlen, c->display,
                       "%s: expected a duration (a string such as \"10ms\" "
                       "or a number of seconds), got %s",
                       field, cfg_type_name(cfg_type(node)));
    }
    if (!(*v > 0))
        return lab_err(c->err, c->errlen, c->display, "%s: must be > 0, got %g",
                       field, *v);
    return 0;
}

static int lab_check_limits(struct lab_check *c, const struct cfg *limits,
                            struct lab *lab)
{
    size_t n = cfg_len(limits);
    if (n == 0)
        return 0;
    lab->limits = calloc(n, sizeof *lab->limits);
    if (!lab->limits)
        return lab_err(c->err, c->errlen, c->display, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *key = cfg_key_at(limits, i);
        const struct cfg *v = cfg_at(limits, i);
        const char *closest;
        size_t nk = sizeof lab_summary_keys / sizeof lab_summary_keys[0];
        if (!lab_known(key, lab_summary_keys, nk, &closest)) {
            if (closest)
                return lab_err(c->err, c->errlen, c->display,
                               "limits: unknown key '%s' (did you mean "
                               "'%s'?)",
                               key, closest);
            return lab_err(c->err, c->errlen, c->display,
                           "limits: unknown key '%s' (summary keys: "
                           "energy_j, mean_power_w, peak_power_w, "
                           "budget_violations, work_served, backlog_end, "
                           "mean_latency_s, edp, deadline_misses, "
                           "policy_errors, rejected_decisions, "
                           "driver_errors)",
                           key);
        }
        if (cfg_type(v) != WATTSON_CFG_NUMBER)
            return lab_err(c->err, c->errlen, c->display,
                           "limits.%s: expected number, got %s", key,
                           cfg_type_name(cfg_type(v)));
        if (!(cfg_number(v) >= 0))
            return lab_err(c->err, c->errlen, c->display,
                           "limits.%s: must be >= 0, got %g", key,
                           cfg_number(v));
        lab->limits[i].key = key;
        lab->limits[i].max = cfg_number(v);
    }
    lab->n_limits = n;
    return 0;
}

#define LAB_FIELD_LEN 32

static int lab_check_drivers(struct lab_check *c, const struct cfg *drivers,
                             struct lab_priv *p)
{
    struct lab *lab = &p->pub;
    if (!drivers)
        return lab_err(c->err, c->errlen, c->display,
                       "drivers: missing (a lab needs at least one driver, "
                       "e.g. drivers = { { plugin = \"sim\" } })");
    size_t n = cfg_len(drivers);
    if (n == 0 || !cfg_is_array(drivers))
        return lab_err(c->err, c->errlen, c->display,
                       "drivers: expected a non-empty array of driver "
                       "entries");
    lab->drivers = calloc(n, sizeof *lab->drivers);
    p->fields = calloc(n, LAB_FIELD_LEN);
    if (!lab->drivers || !p->fields)
        return lab_err(c->err, c->errlen, c->display, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char *field = p->fields + i * LAB_FIELD_LEN;
        snprintf(field, LAB_FIELD_LEN, "drivers.%zu", i + 1);
        const struct cfg *d = cfg_at(drivers, i);
        if (cfg_type(d) != WATTSON_CFG_TABLE)
            return lab_err(c->err, c->errlen, c->display,
                           "%s: expected table, got %s", field,
                           cfg_type_name(cfg_type(d)));
        const struct cfg *plugin = cfg_get(d, "plugin");
        if (!plugin)
            return lab_err(c->err, c->errlen, c->display,
                           "%s.plugin: missing (the driver's plugin name, "
                           "e.g. \"sim\")",
                           field);
        if (cfg_type(plugin) != WATTSON_CFG_STRING)
            return lab_err(c->err, c->errlen, c->display,
                           "%s.plugin: expected string, got %s", field,
                           cfg_type_name(cfg_type(plugin)));
        if (cfg_string(plugin)[0] == '\0')
            return lab_err(c->err, c->errlen, c->display,
                           "%s.plugin: must not be empty", field);
        lab->drivers[i].plugin = cfg_string(plugin);
        lab->drivers[i].cfg = d;
        lab->drivers[i].field = field;
    }
    lab->n_drivers = n;
    return 0;
}

/* strdup is POSIX, not C11. */
static char *lab_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* "labs/dc.lua" -> "dc" */
static char *lab_base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 4 && strcmp(b + n - 4, ".lua") == 0)
        n -= 4;
    if (n == 0) {
        b = "lab";
        n = 3;
    }
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = '\0';
    }
    return s;
}

/* "labs/dc.lua" -> "labs", "dc.lua" -> ".", "/dc.lua" -> "/" */
static char *lab_dir_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return lab_strdup(".");
    size_t n = (size_t)(slash - path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return lab_strdup("/");
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, path, n);
        s[n] = '\0';
    }
    return s;
}

static int lab_check_top(struct lab_check *c, struct lab_priv *p)
{
    struct lab *lab = &p->pub;
    const struct cfg *root = lab->root;
    for (size_t i = 0; i < cfg_len(root); i++) {
        const char *key = cfg_key_at(root, i);
        const char *closest;
        if (lab_known(key, lab_fields, sizeof lab_fields / sizeof lab_fields[0],
                      &closest))
            continue;
        if (closest)
            return lab_err(c->err, c->errlen, c->display,
                           "unknown field '%s' (did you mean '%s'?)", key,
                           closest);
        return lab_err(c->err, c->errlen, c->display,
                       "unknown field '%s' (fields: name, description, "
                       "tick, duration, seed, budget_w, policy, limits, "
                       "drivers)",
                       key);
    }

    const struct cfg *n;
    if (lab_want(c, root, "name", WATTSON_CFG_STRING, &n) ||
        lab_nonempty(c, "name", n))
        return -1;
    if (n)
        lab->name = cfg_string(n);
    if (lab_want(c, root, "description", WATTSON_CFG_STRING, &n))
        return -1;
    if (lab_want(c, root, "policy", WATTSON_CFG_STRING, &n) ||
        lab_nonempty(c, "policy", n))
        return -1;
    lab->policy = n ? cfg_string(n) : NULL;

    lab->tick_s = 0.01;
    lab->duration_s = 60;
    if (lab_duration(c, root, "tick", &lab->tick_s) ||
        lab_duration(c, root, "duration", &lab->duration_s))
        return -1;

    if (lab_want(c, root, "seed", WATTSON_CFG_NUMBER, &n))
        return -1;
    lab->seed = 1;
    if (n) {
        double v = cfg_number(n);
        /* Above 2^53 doubles skip integers: two seeds would collide. */
        if (!(v >= 0 && v < 9007199254740992.0 && v == floor(v)))
            return lab_err(c->err, c->errlen, c->display,
                           "seed: must be an integer in [0, 2^53), got %.17g",
                           v);
        lab->seed = (uint64_t)v;
    }

    if (lab_want(c, root, "budget_w", WATTSON_CFG_NUMBER, &n))
        return -1;
    lab->budget_w = n ? cfg_number(n) : 0;
    if (!(lab->budget_w >= 0))
        return lab_err(c->err, c->errlen, c->display,
                       "budget_w: must be >= 0, got %g", lab->budget_w);

    if (lab_want(c, root, "limits", WATTSON_CFG_TABLE, &n) ||
        lab_check_limits(c, n, lab))
        return -1;

    if (lab_want(c, root, "drivers", WATTSON_CFG_TABLE, &n) ||
        lab_check_drivers(c, n, p))
        return -1;
    return 0;
}

/* ---- entry points ------------------------------------------------------ */

static int lab_load(const char *display, const char *chunk, const char *text,
                    size_t len, const char *dir, const char *labpath,
                    struct lab **out, char *err, size_t errlen)
{
    struct lab_check c = {display, err, errlen};
    struct cfg *root;
    if (lab_eval(display, chunk, text, len, &root, err, errlen))
        return -1;
    struct lab_priv *p = calloc(1, sizeof *p);
    if (!p) {
        cfg_free(root);
        return lab_err(err, errlen, display, "out of memory");
    }
    struct lab *lab = &p->pub;
    lab->root = root;
    lab->path = lab_strdup(labpath);
    lab->dir = lab_strdup(dir ? dir : ".");
    if (!lab->path || !lab->dir) {
        lab_free(lab);
        return lab_err(err, errlen, display, "out of memory");
    }
    if (lab_check_top(&c, p)) {
        lab_free(lab);
        return -1;
    }
    if (!lab->name) {
        p->name_buf = lab_base_name(display);
        if (!p->name_buf) {
            lab_free(lab);
            return lab_err(err, errlen, display, "out of memory");
        }
        lab->name = p->name_buf;
    }
    *out = lab;
    return 0;
}

int lab_load_string(const char *chunkname, const char *text, size_t len,
                    const char *dir, struct lab **out, char *err, size_t errlen)
{
    if (!out)
        return -1;
    *out = NULL;
    if (!chunkname || !*chunkname)
        chunkname = "lab";
    if (!text)
        return lab_err(err, errlen, chunkname, "no text");
    size_t n = strlen(chunkname);
    char *chunk = malloc(n + 2);
    if (!chunk)
        return lab_err(err, errlen, chunkname, "out of memory");
    chunk[0] = '=';
    memcpy(chunk + 1, chunkname, n + 1);
    int rc =
        lab_load(chunkname, chunk, text, len, dir, chunkname, out, err, errlen);
    free(chunk);
    return rc;
}

static char *lab_read_file(const char *path, size_t *len, char *err,
                           size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        lab_err(err, errlen, path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            lab_err(err, errlen, path, "out of memory");
            break;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            lab_err(err, errlen, path, "cannot read: %s", strerror(errno));
            break;
        }
        if (feof(f)) {
            fclose(f);
            *len = n;
            return buf;
        }
        if (n == cap) {
            if (cap >= LAB_MAX_FILE) {
                lab_err(err, errlen, path, "too large (over %zu MiB)",
                        LAB_MAX_FILE >> 20);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    free(buf);
    fclose(f);
    return NULL;
}

int lab_load_file(const char *path, struct lab **out, char *err, size_t errlen)
{
    if (!out)
        return -1;
    *out = NULL;
    if (!path || !*path)
        return lab_err(err, errlen, "lab", "no file name");
    size_t len = 0;
    char *text = lab_read_file(path, &len, err, errlen);
    if (!text)
        return -1;
    size_t n = strlen(path);
    char *chunk = malloc(n + 2);
    char *dir = lab_dir_name(path);
    int rc;
    if (!chunk || !dir) {
        rc = lab_err(err, errlen, path, "out of memory");
    } else {
        /* "@" makes Lua report "path:LINE:" without [string "..."]. */
        chunk[0] = '@';
        memcpy(chunk + 1, path, n + 1);
        rc = lab_load(path, chunk, text, len, dir, path, out, err, errlen);
    }
    free(chunk);
    free(dir);
    free(text);
    return rc;
}

int lab_load_default(struct lab **out, char *err, size_t errlen)
{
    if (!out)
        return -1;
    *out = NULL;
    return lab_load(LAB_DEFAULT_CHUNK, "=" LAB_DEFAULT_CHUNK, lab_default_text,
                    lab_default_text_len, WATTSON_LAB_DIR, LAB_DEFAULT_PATH,
                    out, err, errlen);
}

void lab_free(struct lab *lab)
{
    if (!lab)
        return;
    struct lab_priv *p = (struct lab_priv *)lab;
    cfg_free(lab->root);
    free(lab->path);
    free(lab->dir);
    free(lab->drivers);
    free(lab->limits);
    free(p->name_buf);
    free(p->fields);
    free(p);
}
