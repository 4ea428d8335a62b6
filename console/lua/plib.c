/*
 * plib - see plib.h.
 */
#include "lua/plib.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "core/log.h"
#include "core/model.h"
#include "core/ring.h"
#include "engines/fcast.h"
#include "policies/cpolicy.h"

static struct plib_ctx *ctx_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* Reads array `idx` (1..n) of numbers into v; errors name the argument. */
static void read_array(lua_State *L, int idx, const char *what, double *v,
                       size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int t = lua_rawgeti(L, idx, (lua_Integer)i + 1);
        if (t != LUA_TNUMBER)
            luaL_error(L, "waterfill: %s[%d] is %s, expected a number", what,
                       (int)i + 1, lua_typename(L, t));
        v[i] = lua_tonumber(L, -1);
        lua_pop(L, 1);
        if (!isfinite(v[i]))
            luaL_error(L, "waterfill: %s[%d] is not finite", what, (int)i + 1);
    }
}

/* waterfill(budget, need, floor, weight, out): equal marginal utility
 * for logarithmic utilities w_i*log(a_i - floor_i), capped at need_i:
 * a_i = min(need_i, floor_i + w_i*lambda), sum(a) <= budget. */
static int plib_waterfill(lua_State *L)
{
    struct plib_ctx *c = ctx_of(L);
    double budget = luaL_checknumber(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    luaL_checktype(L, 4, LUA_TTABLE);
    luaL_checktype(L, 5, LUA_TTABLE);
    size_t n = (size_t)lua_rawlen(L, 2);
    if (n > c->cap)
        return luaL_error(L, "waterfill: %d entries, at most %d", (int)n,
                          (int)c->cap);
    if (lua_rawlen(L, 3) < n || lua_rawlen(L, 4) < n)
        return luaL_error(L, "waterfill: floor and weight need as many "
                             "entries as need");
    double *need = c->scratch, *fl = need + c->cap, *w = fl + c->cap,
           *a = w + c->cap;
    read_array(L, 2, "need", need, n);
    read_array(L, 3, "floor", fl, n);
    read_array(L, 4, "weight", w, n);
    double lambda = cpolicy_waterfill(need, fl, w, a, n, budget);
    for (size_t i = 0; i < n; i++) {
        lua_pushnumber(L, a[i]);
        lua_rawseti(L, 5, (lua_Integer)i + 1);
    }
    lua_pushnumber(L, lambda);
    return 1;
}

static int plib_clamp(lua_State *L)
{
    double x = luaL_checknumber(L, 1), lo = luaL_checknumber(L, 2),
           hi = luaL_checknumber(L, 3);
    lua_pushnumber(L, x < lo ? lo : x > hi ? hi : x);
    return 1;
}

static int plib_ewma(lua_State *L)
{
    double prev = luaL_checknumber(L, 1), x = luaL_checknumber(L, 2),
           alpha = luaL_checknumber(L, 3);
    if (!(alpha >= 0 && alpha <= 1))
        return luaL_error(L, "ewma: alpha must be in [0, 1]");
    /* A NaN history (no sample yet) starts from the first value. */
    lua_pushnumber(L, prev != prev ? x : alpha * x + (1 - alpha) * prev);
    return 1;
}

/* history(dev, signal, age): dev is a device table of state (its `index`
 * field) or a device name; age 0 is the newest sample.  NaN when there is
 * no such sample or it was invalid. */
static int plib_history(lua_State *L)
{
    struct plib_ctx *c = ctx_of(L);
    int dev = -1;
    if (lua_type(L, 1) == LUA_TTABLE) {
        lua_getfield(L, 1, "index");
        dev = (int)lua_tointeger(L, -1) - 1;
        lua_pop(L, 1);
    } else {
        dev = model_find_device(c->m, luaL_checkstring(L, 1));
    }
    const char *sig = luaL_checkstring(L, 2);
    lua_Integer age = luaL_optinteger(L, 3, 0);
    if (dev < 0 || (size_t)dev >= c->m->n_devices)
        return luaL_error(L, "history: unknown device");
    if (age < 0)
        return luaL_error(L, "history: age must be >= 0");
    /* Only this device's signals: a scan of every signal per call would
     * cost a policy calling history() for each PU O(PUs x signals). */
    int s = -1;
    const struct model *m = c->m;
    for (uint32_t i = m->dsig_off[dev]; i < m->dsig_off[dev + 1]; i++)
        if (strcmp(m->signals[m->dsig[i]].name, sig) == 0) {
            s = (int)m->dsig[i];
            break;
        }
    if (s < 0)
        return luaL_error(L, "history: device %s has no signal '%s'",
                          c->m->devices[dev].name, sig);
    lua_pushnumber(L, ring_get(c->hist, (size_t)s, (uint32_t)age));
    return 1;
}

void plib_lograte_init(struct plib_lograte *r)
{
    r->tokens = PLIB_LOG_BURST;
    r->last_t = 0;
    r->suppressed = 0;
}

void plib_lograte_flush(struct plib_lograte *r, const char *name)
{
    if (!r->suppressed)
        return;
    log_msg(LOG_WARN,
            "%s: %llu log lines suppressed (at most %g a second of lab "
            "time, bursts of %g)",
            name, (unsigned long long)r->suppressed, PLIB_LOG_RATE,
            PLIB_LOG_BURST);
    r->suppressed = 0;
}

/* 1 if a line may be logged at lab time t (and takes its token). */
static int plib_lograte_take(struct plib_lograte *r, double t)
{
    if (t > r->last_t) {
        r->tokens += (t - r->last_t) * PLIB_LOG_RATE;
        if (r->tokens > PLIB_LOG_BURST)
            r->tokens = PLIB_LOG_BURST;
        r->last_t = t;
    }
    if (r->tokens < 1) {
        r->suppressed++;
        return 0;
    }
    r->tokens -= 1;
    return 1;
}

/* One line from the policy, through its rate limit: log() and print()
 * share it, so neither floods the log. */
static void plib_log_line(struct plib_ctx *c, int level, const char *msg)
{
    if (level > log_get_level())
        return; /* dropped anyway: it costs no token */
    if (c->lograte) {
        if (!plib_lograte_take(c->lograte, c->m->t))
            return;
        plib_lograte_flush(c->lograte, c->name);
    }
    /* log_msg escapes control characters: a message cannot forge lines. */
    log_msg(level, "%s: %s", c->name, msg);
}

static int plib_log(lua_State *L)
{
    struct plib_ctx *c = ctx_of(L);
    static const char *const levels[] = {"error", "warn", "info", "debug",
                                         NULL};
    int level = luaL_checkoption(L, 1, NULL, levels);
    const char *msg = luaL_checkstring(L, 2);
    plib_log_line(c, level, msg);
    return 0;
}

/* print(...): Lua's print, but to the log at info level like
 * log("info", ...), since a policy has no stdout of its own (the console
 * owns the terminal).  Values are joined by two spaces as in the console's
 * REPL; control characters are written as \xHH so a policy cannot break
 * a log line or send escape codes to the terminal.  A fixed buffer (a log
 * line is bounded anyway): longer output is cut and ends in "...". */
static int plib_print(lua_State *L)
{
    struct plib_ctx *c = ctx_of(L);
    if (LOG_INFO > log_get_level())
        return 0; /* not shown: not even formatted */
    char line[1024];
    size_t at = 0, room = sizeof line - 4; /* "..." and the NUL */
    int n = lua_gettop(L), cut = 0;
    for (int i = 1; i <= n && !cut; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1 && at + 2 > room) {
            cut = 1;
        } else if (i > 1) {
            line[at++] = ' ';
            line[at++] = ' ';
        }
        for (size_t k = 0; k < len && !cut; k++) {
            unsigned char ch = (unsigned char)s[k];
            int w = ch < 0x20 || ch == 0x7f ? 4 : 1;
            if (at + (size_t)w > room) {
                cut = 1;
                break;
            }
            if (w == 4)
                snprintf(line + at, 5, "\\x%02x", ch);
            else
                line[at] = (char)ch;
            at += (size_t)w;
        }
        lua_pop(L, 1);
    }
    if (cut) {
        memcpy(line + at, "...", 3);
        at += 3;
    }
    line[at] = '\0';
    plib_log_line(c, LOG_INFO, line);
    return 0;
}

void plib_push_device(lua_State *L, const struct model *m, size_t d)
{
    const struct model_device *md = &m->devices[d];
    lua_createtable(L, 0, 12);
    lua_pushstring(L, md->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, md->kind);
    lua_setfield(L, -2, "kind");
    lua_pushboolean(L, md->is_pu);
    lua_setfield(L, -2, "pu");
    lua_pushinteger(L, (lua_Integer)d + 1);
    lua_setfield(L, -2, "index");
}

/* ---- forecasters --------------------------------------------------------- */

#define PLIB_FCAST "wattson.forecaster"

static struct fcast *check_fcast(lua_State *L)
{
    return luaL_checkudata(L, 1, PLIB_FCAST);
}

/* f:update(x): one sample; NaN and infinities are ignored (a missing
 * signal is not a zero), as fcast_update does. */
static int plib_fc_update(lua_State *L)
{
    struct fcast *f = check_fcast(L);
    fcast_update(f, luaL_checknumber(L, 2));
    return 0;
}

/* f:predict(h): the forecast h samples ahead (default 1); NaN before the
 * first sample. */
static int plib_fc_predict(lua_State *L)
{
    struct fcast *f = check_fcast(L);
    lua_Integer h = luaL_optinteger(L, 2, 1);
    if (h < 1 || h > FCAST_HMAX)
        return luaL_error(L, "forecaster: h must be in 1..%d, got %d",
                          FCAST_HMAX, (int)h);
    double x;
    fcast_forecast(f, (unsigned)h, &x);
    lua_pushnumber(L, x);
    return 1;
}

/* wattson.forecaster(method [, params]): a forecaster of one signal
 * (engines/fcast.h).  Its state is allocated here, once, inside the
 * policy's memory cap: make forecasters in on_load, then update and
 * predict allocate nothing. */
static int plib_forecaster(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    int method = -1;
    char names[128] = "";
    for (int k = 0; k < FCAST__N; k++) {
        const struct fcast_ops *ops = fcast_ops_of((enum fcast_method)k);
        if (strcmp(ops->name, name) == 0)
            method = k;
        size_t at = strlen(names);
        snprintf(names + at, sizeof names - at, "%s%s", k ? ", " : "",
                 ops->name);
    }
    if (method < 0)
        return luaL_error(L, "forecaster: unknown method '%s' (one of %s)",
                          name, names);
    struct fcast_params p;
    fcast_params_default(&p);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
                                                           : "(not a name)";
            if (lua_type(L, -1) != LUA_TNUMBER)
                return luaL_error(L, "forecaster: %s must be a number", k);
            double v = lua_tonumber(L, -1);
            if (strcmp(k, "alpha") == 0)
                p.alpha = v;
            else if (strcmp(k, "beta") == 0)
                p.beta = v;
            else if (strcmp(k, "ar_p") == 0 && v >= 1 && v <= FCAST_ARMAX)
                p.ar_p = (unsigned)v;
            else if (strcmp(k, "ar_p") == 0)
                return luaL_error(L, "forecaster: ar_p must be in 1..%d",
                                  FCAST_ARMAX);
            else if (strcmp(k, "ar_lambda") == 0)
                p.ar_lambda = v;
            else if (strcmp(k, "median_k") == 0 && v >= 1 && v <= 64)
                p.med_k = (unsigned)v;
            else
                return luaL_error(L,
                                  "forecaster: unknown or out-of-range "
                                  "parameter %s (alpha, beta, ar_p, "
                                  "ar_lambda, median_k)",
                                  k);
            lua_pop(L, 1);
        }
    }
    struct fcast *f = lua_newuserdatauv(L, sizeof *f, 0);
    if (fcast_init(f, (enum fcast_method)method, &p) != 0)
        return luaL_error(L, "forecaster: parameters out of range for %s",
                          name);
    luaL_setmetatable(L, PLIB_FCAST);
    return 1;
}

/* The forecasters' shared metatable, hidden from the policy. */
static void plib_fcast_meta(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"update", plib_fc_update},
        {"predict", plib_fc_predict},
        {NULL, NULL},
    };
    if (!luaL_newmetatable(L, PLIB_FCAST)) {
        lua_pop(L, 1);
        return;
    }
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
}

void plib_open(lua_State *L, int env_index, struct plib_ctx *ctx)
{
    static const luaL_Reg fns[] = {
        {"waterfill", plib_waterfill},
        {"clamp", plib_clamp},
        {"ewma", plib_ewma},
        {"history", plib_history},
        {"log", plib_log},
        {"forecaster", plib_forecaster},
        {NULL, NULL},
    };
    env_index = lua_absindex(L, env_index);
    plib_fcast_meta(L);
    lua_newtable(L);
    lua_pushlightuserdata(L, ctx);
    luaL_setfuncs(L, fns, 1);
    lua_getfield(L, -1, "log");
    lua_setfield(L, env_index, "log");
    lua_pushlightuserdata(L, ctx);
    lua_pushcclosure(L, plib_print, 1);
    lua_setfield(L, env_index, "print");
    lua_setfield(L, env_index, "wattson");
}

void plib_proxy_mt(lua_State *L, const char *name, lua_CFunction index,
                   lua_CFunction newindex)
{
    if (luaL_newmetatable(L, name)) {
        lua_pushcfunction(L, index);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, newindex);
        lua_setfield(L, -2, "__newindex");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);
}

int plib_out_table(lua_State *L, int outs, const char *name, int nrec)
{
    outs = lua_absindex(L, outs);
    lua_pushstring(L, name);
    int t = lua_rawget(L, outs);
    lua_pop(L, 1);
    if (t != LUA_TNIL)
        return 0; /* a device named so: out stays its */
    lua_createtable(L, 0, nrec);
    /* raw: out's metatable refuses names that are no device's */
    lua_pushstring(L, name);
    lua_pushvalue(L, -2);
    lua_rawset(L, outs);
    lua_pushvalue(L, outs);
    return luaL_ref(L, LUA_REGISTRYINDEX);
}
