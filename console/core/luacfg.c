/*
 * luacfg - a Lua table into a cfg tree (see luacfg.h).
 *
 * The copy runs inside a lua_pcall of its own, because the few Lua calls it
 * makes (the keys table, the sort array) can raise a memory error under a
 * capped allocator.  The cfg nodes use malloc, outside any Lua cap, so the
 * copy has a byte budget of its own: shared subtables are copied once per
 * use and could otherwise blow up exponentially.
 */
#include "luacfg.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "cfg.h"

#if defined(__GNUC__)
#define LUACFG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LUACFG_PRINTF(f, a)
#endif

#define LUACFG_MAX_DEPTH 32
/* What one copied value costs, roughly, besides its key and string. */
#define LUACFG_NODE_COST 96

/* One copy: its progress and the path of the value being copied, for
 * messages. */
struct luacfg_run {
    struct cfg *root; /* freed by luacfg_copy if anything fails */
    size_t copied, copy_limit;
    int failed; /* a shape error is in msg */
    char path[512];
    size_t pathlen;
    char *msg;
    size_t msglen;
};

struct luacfg_key {
    const char *s; /* NULL for an integer key */
    lua_Integer i;
    int pos; /* slot in the keys table that keeps the key alive */
};

static int luacfg_fail(struct luacfg_run *r, const char *fmt, ...)
    LUACFG_PRINTF(2, 3);
static int luacfg_fail(struct luacfg_run *r, const char *fmt, ...)
{
    r->failed = 1;
    if (!r->msg || r->msglen == 0)
        return -1;
    size_t n = 0;
    if (r->pathlen) {
        int k = snprintf(r->msg, r->msglen, "%s: ", r->path);
        n = k > 0 && (size_t)k < r->msglen ? (size_t)k : 0;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + n, r->msglen - n, fmt, ap);
    va_end(ap);
    return -1;
}

static int luacfg_oom(struct luacfg_run *r)
{
    return luacfg_fail(r, "out of memory");
}

static size_t luacfg_path_push(struct luacfg_run *r, const char *key)
{
    size_t saved = r->pathlen;
    size_t room = sizeof r->path - r->pathlen;
    int n = snprintf(r->path + r->pathlen, room, "%s%s", r->pathlen ? "." : "",
                     key);
    if (n > 0)
        r->pathlen += (size_t)n < room ? (size_t)n : room - 1;
    return saved;
}

static void luacfg_path_pop(struct luacfg_run *r, size_t saved)
{
    r->pathlen = saved;
    r->path[saved] = '\0';
}

static int luacfg_account(struct luacfg_run *r, size_t bytes)
{
    if (bytes > r->copy_limit - r->copied)
        return luacfg_fail(r,
                           "the lab's data are too large (over %zu MiB once "
                           "copied; a shared table counts once per use)",
                           r->copy_limit >> 20);
    r->copied += bytes;
    return 0;
}

/* A string that Lua would also accept as an integer key, e.g. "3". */
static int luacfg_index_of(const char *s, size_t len, lua_Integer *out)
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
static int luacfg_check_key(lua_State *L, struct luacfg_run *r, int t)
{
    int type = lua_type(L, -2);
    if (type == LUA_TNUMBER) {
        if (!lua_isinteger(L, -2))
            return luacfg_fail(r,
                               "key %.17g is not allowed (keys must be "
                               "strings or positive integers)",
                               lua_tonumber(L, -2));
        if (lua_tointeger(L, -2) <= 0)
            return luacfg_fail(r,
                               "key %lld is not allowed (keys must be "
                               "strings or positive integers)",
                               (long long)lua_tointeger(L, -2));
        return 0;
    }
    if (type != LUA_TSTRING)
        return luacfg_fail(r,
                           "key of type %s is not allowed (keys must be "
                           "strings or positive integers)",
                           luaL_typename(L, -2));
    size_t len;
    const char *s = lua_tolstring(L, -2, &len);
    if (len == 0)
        return luacfg_fail(r, "empty key is not allowed");
    if (strlen(s) != len)
        return luacfg_fail(r, "key '%s...' contains a NUL byte", s);
    if (memchr(s, '.', len))
        return luacfg_fail(r,
                           "key '%s' contains '.', which separates path "
                           "components",
                           s);
    lua_Integer i;
    if (luacfg_index_of(s, len, &i)) {
        lua_rawgeti(L, t, i);
        int clash = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (clash)
            return luacfg_fail(r,
                               "key %s is given both as a string and as a "
                               "number",
                               s);
    }
    return 0;
}

static int luacfg_cmp_key(const void *pa, const void *pb)
{
    const struct luacfg_key *a = pa, *b = pb;
    if (!a->s && !b->s)
        return (a->i > b->i) - (a->i < b->i);
    if (!a->s || !b->s)
        return a->s ? 1 : -1;
    return strcmp(a->s, b->s);
}

static int luacfg_copy_table(lua_State *L, struct luacfg_run *r, int t,
                             struct cfg *dst, int depth);

/* Adds the value on top of the stack to `dst` under `key`. */
static int luacfg_copy_value(lua_State *L, struct luacfg_run *r,
                             struct cfg *dst, const char *key, int depth)
{
    size_t klen = strlen(key);
    switch (lua_type(L, -1)) {
    case LUA_TNUMBER: {
        double v = lua_isinteger(L, -1) ? (double)lua_tointeger(L, -1)
                                        : (double)lua_tonumber(L, -1);
        if (!isfinite(v))
            return luacfg_fail(r, "numbers must be finite, got %s",
                               isnan(v) ? "nan"
                               : v > 0  ? "inf"
                                        : "-inf");
        if (luacfg_account(r, LUACFG_NODE_COST + klen))
            return -1;
        return cfg_add_number(dst, key, v) ? 0 : luacfg_oom(r);
    }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (strlen(s) != len)
            return luacfg_fail(r, "string contains a NUL byte");
        if (luacfg_account(r, LUACFG_NODE_COST + klen + len))
            return -1;
        return cfg_add_string(dst, key, s) ? 0 : luacfg_oom(r);
    }
    case LUA_TBOOLEAN:
        if (luacfg_account(r, LUACFG_NODE_COST + klen))
            return -1;
        return cfg_add_bool(dst, key, lua_toboolean(L, -1)) ? 0 : luacfg_oom(r);
    case LUA_TTABLE: {
        if (depth + 1 > LUACFG_MAX_DEPTH)
            return luacfg_fail(r,
                               "tables nested deeper than %d levels (does a "
                               "table contain itself?)",
                               LUACFG_MAX_DEPTH);
        if (luacfg_account(r, LUACFG_NODE_COST + klen))
            return -1;
        struct cfg *sub = cfg_add_table(dst, key);
        if (!sub)
            return luacfg_oom(r);
        return luacfg_copy_table(L, r, lua_gettop(L), sub, depth + 1);
    }
    default:
        return luacfg_fail(r, "unsupported value of type %s",
                           luaL_typename(L, -1));
    }
}

/* Copies table `t` (an absolute index) in sorted key order. */
static int luacfg_copy_table(lua_State *L, struct luacfg_run *r, int t,
                             struct cfg *dst, int depth)
{
    if (!lua_checkstack(L, 8))
        return luacfg_oom(r);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (luacfg_check_key(L, r, t))
            return -1; /* the protected call's stack is dropped with it */
        n++;
        lua_pop(L, 1);
    }
    if (n == 0)
        return 0;
    if (n > INT_MAX / 2 || n > SIZE_MAX / sizeof(struct luacfg_key))
        return luacfg_fail(r, "table too large");

    /* The keys table keeps each key (and so each s pointer) alive; the
     * array is a userdata so that a memory error leaks nothing. */
    lua_createtable(L, (int)n, 0);
    int kt = lua_gettop(L);
    struct luacfg_key *keys = lua_newuserdatauv(L, n * sizeof *keys, 0);
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
    qsort(keys, j, sizeof *keys, luacfg_cmp_key);
    for (size_t k = 0; k < j; k++) {
        char buf[32];
        const char *key = keys[k].s;
        if (!key) {
            snprintf(buf, sizeof buf, "%lld", (long long)keys[k].i);
            key = buf;
        }
        lua_rawgeti(L, kt, keys[k].pos);
        lua_rawget(L, t);
        size_t saved = luacfg_path_push(r, key);
        int rc = luacfg_copy_value(L, r, dst, key, depth);
        if (rc)
            return -1;
        luacfg_path_pop(r, saved);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
    return 0;
}

/* Runs under lua_pcall with the table and the run as arguments. */
static int luacfg_main(lua_State *L)
{
    struct luacfg_run *r = lua_touserdata(L, 2);
    r->root = cfg_new_table();
    if (!r->root)
        return luacfg_oom(r), 0;
    luacfg_copy_table(L, r, 1, r->root, 0);
    return 0;
}

int luacfg_copy(lua_State *L, size_t max_bytes, struct cfg **out, char *err,
                size_t errlen)
{
    struct luacfg_run r;
    memset(&r, 0, sizeof r);
    r.copy_limit = max_bytes;
    r.msg = err;
    r.msglen = errlen;
    *out = NULL;
    if (!lua_istable(L, -1)) {
        luacfg_fail(&r, "expected a table, got %s", luaL_typename(L, -1));
        lua_pop(L, 1);
        return LUACFG_ERROR;
    }
    if (!lua_checkstack(L, 2)) {
        luacfg_oom(&r);
        lua_pop(L, 1);
        return LUACFG_ERROR;
    }
    /* No collection while copying: a finalizer could edit the table being
     * walked. */
    int gc_was_running = lua_gc(L, LUA_GCISRUNNING);
    lua_gc(L, LUA_GCSTOP);
    /* The table moves into the call rather than being copied there, so
     * the stack is no deeper than it must be. */
    lua_pushcfunction(L, luacfg_main);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, &r);
    int st = lua_pcall(L, 2, 0, 0);
    int rc = LUACFG_OK;
    if (st == LUA_ERRMEM) {
        luacfg_fail(&r, "out of memory");
        rc = LUACFG_MEMORY;
    } else if (st != LUA_OK) {
        /* Raw access raises nothing else; report it all the same. */
        luacfg_fail(&r, "%s",
                    lua_isstring(L, -1) ? lua_tostring(L, -1) : "Lua error");
        rc = LUACFG_ERROR;
    } else if (r.failed) {
        rc = LUACFG_ERROR;
    }
    if (st != LUA_OK)
        lua_pop(L, 1);
    if (gc_was_running)
        lua_gc(L, LUA_GCRESTART);
    if (rc) {
        cfg_free(r.root);
        return rc;
    }
    cfg_sort(r.root);
    *out = r.root;
    return LUACFG_OK;
}
