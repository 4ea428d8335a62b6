/*
 * policy - the Lua policy host (see policy.h for the contract).
 *
 * Design.  Each loaded version (struct pver) owns one sandboxed lua_State.
 * Everything a tick touches is built when the version is created:
 *
 *   - the `state` table and, per device, its sig / ok / rate / ctl /
 *     forecast / proposal tables, referenced from the registry so a tick
 *     finds them by integer reference and overwrites numbers in place
 *     (assigning a number to an existing field allocates nothing);
 *   - `out`, an empty proxy whose __index hands out one full userdata per
 *     device, created once; assigning `out.gpu0.power_cap = 150` calls a C
 *     __newindex that validates the value there and then and stores it in
 *     the version's pending arrays.  Nothing is read back from Lua after
 *     on_tick, nothing needs resetting, and a bad value is named at the
 *     line that wrote it.
 *
 * So a steady-state tick allocates nothing on the host side; whatever the
 * policy's own code allocates is its business (counted, for the bench).
 *
 * A callback runs under sandbox_call with an instruction and a time budget
 * armed only around it.  Its failure - error, budget, memory, even when
 * swallowed by a pcall inside the policy - fails that tick; decide.c then
 * lets the built-in policy decide and, after enough failing ticks in a
 * row, keeps it in charge until a reload succeeds.
 */
#include "lua/policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

#include <lauxlib.h>
#include <lua.h>

#include "core/cfg.h"
#include "core/log.h"
#include "core/luacfg.h"
#include "core/model.h"
#include "core/sandbox.h"
#include "core/stats.h"
#include "engines/meshag.h"
#include "lua/plib.h"
#include "lua/pmesh.h"
#include "lua/pbind.h"
#include "lua/watch.h"
#include "wattson/plugin.h"

/* Rejections logged per version before the log goes quiet (then one line
 * every POLICY_LOG_EVERY), so a policy wrong every tick cannot flood it. */
#define POLICY_LOG_FIRST 10
#define POLICY_LOG_EVERY 1000
#define POLICY_PERSIST_MAX (1u << 20)

/* What on_tick did with a control this tick. */
enum pend { PEND_UNSET = 0, PEND_SET = 1, PEND_REJECTED = 2 };

struct pver {
    struct policy *host;
    struct sandbox *sb;
    lua_State *L;
    char *name;      /* file name, for messages */
    char *chunkname; /* "@name" */
    uint64_t hash;
    int ref_tick, ref_load, ref_event, ref_persist;
    int ref_state;
    int ref_out;
    int ref_keys;  /* signal names, control names, then fixed_keys */
    int *ref_dev;  /* per device: the device table */
    int *ref_sig;  /* per device: dev.sig */
    int *ref_ok;   /* per device: dev.ok */
    int *ref_rate; /* per device: dev.rate */
    int *ref_fc;   /* per device: dev.forecast */
    int *ref_prop; /* per device: dev.proposal */
    int *ref_ctl;  /* per control: its dev.ctl entry */
    int ref_mesh;  /* state.mesh, or 0 */
    struct pmesh_out *mesh_out; /* out.mesh, or NULL */
    struct pbind *bind;         /* the engines' tables (lua/pbind.h) */
    uint8_t *okv; /* per signal: validity last written into Lua (2: none) */
    /* What was last written into Lua, so a tick writes only what changed
     * (constants once, controls when they move); initialised to a bit
     * pattern no double takes. */
    double *sigv;            /* per signal */
    double *fcv;             /* per device */
    double *ctlv, *tgtv;     /* per control */
    uint8_t *propv;          /* per control: a proposal is in Lua */
    double *pend;            /* per control: the value on_tick assigned */
    uint8_t *pend_set;       /* per control: enum pend */
    const char *callback;    /* the callback running, for messages */
    char first_reject[512];  /* the first rejection of the current call */
    unsigned rejected;       /* rejections in the current call */
    uint64_t logged;         /* rejections logged or counted, ever */
    struct stats *st;        /* where rejections are counted (may be NULL) */
    const struct model *cur; /* the model on_tick runs on */
    const struct cfg *persisted;     /* for on_load's ctx */
    const char *ev_type, *ev_detail; /* for on_event */
    struct plib_ctx lib;
};

struct policy {
    const struct model *m;
    struct meshag *mesh;       /* state.mesh's and out.mesh's agents, or NULL */
    const struct engines *eng; /* for state.partition, state.gpu */
    const struct ring *hist;
    struct policy_limits lim;
    struct pver *active;
    uint64_t rejected_hash;
    int have_rejected;
    uint64_t version;
    struct plib_lograte lograte; /* log()'s, shared by every version */
};

void policy_set_engines(struct policy *p, const struct engines *e)
{
    p->mesh = e ? meshag_of(e) : NULL;
    p->eng = e;
}

void policy_limits_default(struct policy_limits *l)
{
    l->mem_bytes = 16u << 20;
    l->instructions = 2000000;
    l->time_ns = 20000000;
    /* Far above any sane tick, so a virtual-clock run's figures do not
     * depend on the host; it bounds what the instruction budget does not
     * see: C work inside one instruction (compares of long strings). */
    l->cpu_ns = 1000000000;
}

/* ---- rejections ------------------------------------------------------- */

static void reject(struct pver *v, const char *where, const char *dev,
                   const char *field, const char *val, const char *why)
{
    char line[512], nm[300];
    if (!where) {
        snprintf(nm, sizeof nm, "%s:", v->name);
        where = nm;
    }
    snprintf(line, sizeof line, "%s %s: %s.%s%s%s rejected: %s", where,
             v->callback ? v->callback : "?", dev, field, *val ? " = " : "",
             val, why);
    if (v->rejected++ == 0)
        snprintf(v->first_reject, sizeof v->first_reject, "%s", line);
    if (v->st)
        v->st->rejected_decisions++;
    /* The shadow tick of a reload (no stats) reports through the reload's
     * own error instead. */
    if (!v->st)
        return;
    v->logged++;
    if (v->logged <= POLICY_LOG_FIRST || v->logged % POLICY_LOG_EVERY == 0)
        log_msg(LOG_WARN, "%s%s", line,
                v->logged == POLICY_LOG_FIRST ? " (from now on every "
                                                "1000th rejection is logged)"
                                              : "");
}

/* out.mesh's rejections (lua/pmesh.c), worded as out's: the value being
 * assigned is at index 3 of the __newindex call. */
static void mesh_reject(void *ctx, lua_State *L, const char *agent,
                        const char *field, const char *why);

/* "file:line:" of the Lua code that made the assignment being handled by
 * a C metamethod (level 1), or the bare file name.  Only on the rejection
 * path: it allocates a string. */
static const char *where_of(lua_State *L, struct pver *v, char *buf, size_t len)
{
    luaL_where(L, 1);
    const char *w = lua_tostring(L, -1);
    snprintf(buf, len, "%s", w && *w ? w : v->name);
    lua_pop(L, 1);
    size_t n = strlen(buf);
    if (n && buf[n - 1] == ' ')
        buf[n - 1] = '\0';
    if (!strchr(buf, ':'))
        snprintf(buf, len, "%s:", v->name);
    return buf;
}

/* The value at `idx` as the log shows it: numbers with %g, strings quoted
 * (shortened), other types by name. */
static void show_value(lua_State *L, int idx, char *buf, size_t len)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        snprintf(buf, len, "%g", lua_tonumber(L, idx));
        break;
    case LUA_TSTRING:
        snprintf(buf, len, "\"%.40s\"", lua_tostring(L, idx));
        break;
    default:
        snprintf(buf, len, "(%s)", luaL_typename(L, idx));
        break;
    }
}

static void mesh_reject(void *ctx, lua_State *L, const char *agent,
                        const char *field, const char *why)
{
    struct pver *v = ctx;
    char val[64], at[256];
    show_value(L, 3, val, sizeof val);
    reject(v, where_of(L, v, at, sizeof at), agent, field, val, why);
}

/* ---- the out proxies -------------------------------------------------- */

/* A device's out proxy: full userdata holding the device index. */
struct outdev {
    struct pver *v;
    uint32_t dev;
};

static const char OUTDEV_MT[] = "wattson.out.device";

static int outdev_find(const struct model *m, uint32_t dev, const char *k)
{
    for (uint32_t i = m->dctl_off[dev]; i < m->dctl_off[dev + 1]; i++)
        if (strcmp(m->controls[m->dctl[i]].name, k) == 0)
            return (int)m->dctl[i];
    return -1;
}

static int outdev_newindex(lua_State *L)
{
    /* The metatable is hidden (__metatable = false), so only the host's
     * proxies reach this function: no need for luaL_checkudata's lookup
     * on every assignment. */
    struct outdev *od = lua_touserdata(L, 1);
    struct pver *v = od->v;
    const struct model *m = v->host->m;
    const char *dname = m->devices[od->dev].name;
    char val[64] = "", why[128], at[256];
    if (lua_type(L, 2) != LUA_TSTRING) {
        show_value(L, 3, val, sizeof val);
        reject(v, where_of(L, v, at, sizeof at), dname, "?", val,
               "control names are strings");
        return 0;
    }
    const char *k = lua_tostring(L, 2);
    int c = outdev_find(m, od->dev, k);
    if (c < 0) {
        show_value(L, 3, val, sizeof val);
        reject(v, where_of(L, v, at, sizeof at), dname, k, val,
               "no such control");
        return 0;
    }
    int t = lua_type(L, 3);
    if (t == LUA_TNIL) {
        v->pend_set[c] = PEND_UNSET; /* as if never assigned */
        return 0;
    }
    /* Rejected below: the previous target stands, not a proposal. */
    v->pend_set[c] = PEND_REJECTED;
    if (t != LUA_TNUMBER) {
        snprintf(why, sizeof why, "expected a number, got %s",
                 lua_typename(L, t));
        show_value(L, 3, val, sizeof val);
        reject(v, where_of(L, v, at, sizeof at), dname, k, val, why);
        return 0;
    }
    double x = lua_tonumber(L, 3);
    const struct model_control *ctl = &m->controls[c];
    if (!isfinite(x)) {
        show_value(L, 3, val, sizeof val);
        reject(v, where_of(L, v, at, sizeof at), dname, k, val,
               "not a finite number");
        return 0;
    }
    if (x < ctl->min || x > ctl->max) {
        snprintf(why, sizeof why, "outside [%g, %g] %s", ctl->min, ctl->max,
                 ctl->unit);
        show_value(L, 3, val, sizeof val);
        reject(v, where_of(L, v, at, sizeof at), dname, k, val, why);
        return 0;
    }
    v->pend[c] = x;
    v->pend_set[c] = PEND_SET;
    return 0;
}

static int outdev_index(lua_State *L)
{
    struct outdev *od = lua_touserdata(L, 1);
    const char *k = luaL_checkstring(L, 2);
    int c = outdev_find(od->v->host->m, od->dev, k);
    if (c >= 0 && od->v->pend_set[c] == PEND_SET)
        lua_pushnumber(L, od->v->pend[c]);
    else
        lua_pushnil(L);
    return 1;
}

static int out_newindex(lua_State *L)
{
    struct pver *v = lua_touserdata(L, lua_upvalueindex(1));
    const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
    char val[64], at[256];
    show_value(L, 3, val, sizeof val);
    reject(v, where_of(L, v, at, sizeof at), k, "*", val,
           "no such device (out has one entry per device: set "
           "out.DEVICE.CONTROL)");
    return 0;
}

/* The fixed keys after the signal and control names in the keys table. */
enum {
    KEY_T = 1,
    KEY_DT,
    KEY_TICK,
    KEY_BUDGET,
    KEY_DEMAND,
    KEY_VALUE,
    KEY_TARGET,
    KEY_POWER,
};
static const char *const fixed_keys[] = {
    "t", "dt", "tick", "budget_w", "demand", "value", "target", "power_w"};

/* 1 if *last differs from x bit for bit (NaN equals the same NaN), and
 * then remembers x. */
static int changed(double *last, double x)
{
    if (memcmp(last, &x, sizeof x) == 0)
        return 0;
    *last = x;
    return 1;
}

/* Sets table T's field named by keys[K][key] to x.  Raw: no metamethod
 * the policy may have attached runs.  Keys come from an array of the
 * version's interned key strings: lua_pushstring of a C string would
 * strcmp against Lua's string cache for every field of every tick. */
static void set_key(lua_State *L, int T, int K, lua_Integer key, double x)
{
    lua_rawgeti(L, K, key);
    lua_pushnumber(L, x);
    lua_rawset(L, T);
}

/* dev.rate.NAME: the counter's per-second rate over the last tick, read
 * from the model when asked; NaN when unknown, nil for a name that is not
 * one of the device's counters. */
static int rate_index(lua_State *L)
{
    struct pver *v = lua_touserdata(L, lua_upvalueindex(1));
    uint32_t d = (uint32_t)lua_tointeger(L, lua_upvalueindex(2));
    const struct model *m = v->host->m;
    const char *k = lua_tostring(L, 2);
    if (!k || lua_type(L, 2) != LUA_TSTRING)
        return 0;
    for (uint32_t i = m->dsig_off[d]; i < m->dsig_off[d + 1]; i++) {
        uint32_t s = m->dsig[i];
        if (m->signals[s].behaviour == WATTSON_COUNTER &&
            strcmp(m->signals[s].name, k) == 0) {
            lua_pushnumber(L, m->rate_valid[s] ? m->rate[s] : NAN);
            return 1;
        }
    }
    return 0;
}

/* ---- building a version's tables -------------------------------------- */

static int ref_new_table(lua_State *L, int parent, const char *field, int narr,
                         int nrec)
{
    lua_createtable(L, narr, nrec);
    lua_pushvalue(L, -1);
    lua_setfield(L, parent, field);
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* Runs under lua_pcall: builds state and out for the model. */
static int build_tables(lua_State *L)
{
    struct pver *v = lua_touserdata(L, 1);
    const struct model *m = v->host->m;

    lua_createtable(L, 0, 8); /* state */
    int state = lua_gettop(L);
    lua_pushnumber(L, 0);
    lua_setfield(L, state, "t");
    lua_pushnumber(L, 0);
    lua_setfield(L, state, "dt");
    lua_pushinteger(L, 0);
    lua_setfield(L, state, "tick");
    lua_pushnumber(L, m->budget_w);
    lua_setfield(L, state, "budget_w");
    lua_pushnumber(L, 0);
    lua_setfield(L, state, "power_w");
    lua_createtable(L, (int)m->n_devices, 0);
    int devices = lua_gettop(L);
    lua_pushvalue(L, devices);
    lua_setfield(L, state, "devices");
    lua_createtable(L, 0, (int)m->n_devices);
    int byname = lua_gettop(L);
    lua_pushvalue(L, byname);
    lua_setfield(L, state, "dev");

    /* out: a table of per-device userdata proxies. */
    lua_createtable(L, 0, (int)m->n_devices);
    int outs = lua_gettop(L);
    plib_proxy_mt(L, OUTDEV_MT, outdev_index, outdev_newindex);

    for (size_t d = 0; d < m->n_devices; d++) {
        const struct model_device *md = &m->devices[d];
        plib_push_device(L, m, d);
        int dev = lua_gettop(L);
        v->ref_sig[d] = ref_new_table(L, dev, "sig", 0, 16);
        v->ref_ok[d] = ref_new_table(L, dev, "ok", 0, 16);
        v->ref_rate[d] = ref_new_table(L, dev, "rate", 0, 0);
        /* Rates are computed when read (few policies read them; writing
         * five per PU every tick was a fifth of the host's cost). */
        lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_rate[d]);
        lua_createtable(L, 0, 2);
        lua_pushlightuserdata(L, v);
        lua_pushinteger(L, (lua_Integer)d);
        lua_pushcclosure(L, rate_index, 2);
        lua_setfield(L, -2, "__index");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_setmetatable(L, -2);
        lua_pop(L, 1);
        v->ref_fc[d] = ref_new_table(L, dev, "forecast", 0, 2);
        v->ref_prop[d] = ref_new_table(L, dev, "proposal", 0, 4);
        lua_createtable(L, 0, 4);
        int ctl = lua_gettop(L);
        lua_pushvalue(L, ctl);
        lua_setfield(L, dev, "ctl");
        for (uint32_t i = m->dctl_off[d]; i < m->dctl_off[d + 1]; i++) {
            uint32_t c = m->dctl[i];
            const struct model_control *mc = &m->controls[c];
            lua_createtable(L, 0, 6);
            lua_pushnumber(L, mc->min);
            lua_setfield(L, -2, "min");
            lua_pushnumber(L, mc->max);
            lua_setfield(L, -2, "max");
            lua_pushnumber(L, mc->step);
            lua_setfield(L, -2, "step");
            lua_pushstring(L, mc->unit);
            lua_setfield(L, -2, "unit");
            lua_pushnumber(L, NAN);
            lua_setfield(L, -2, "value");
            lua_pushnumber(L, NAN);
            lua_setfield(L, -2, "target");
            lua_pushvalue(L, -1);
            lua_setfield(L, ctl, mc->name);
            v->ref_ctl[c] = luaL_ref(L, LUA_REGISTRYINDEX);
        }
        lua_pop(L, 1); /* ctl */
        /* Signals: every name present from the start (as NaN/false), so
         * later writes only overwrite. */
        for (uint32_t i = m->dsig_off[d]; i < m->dsig_off[d + 1]; i++) {
            uint32_t s = m->dsig[i];
            lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_sig[d]);
            lua_pushnumber(L, NAN);
            lua_setfield(L, -2, m->signals[s].name);
            lua_pop(L, 1);
            lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_ok[d]);
            lua_pushboolean(L, 0);
            lua_setfield(L, -2, m->signals[s].name);
            lua_pop(L, 1);
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_fc[d]);
        lua_pushnumber(L, NAN);
        lua_setfield(L, -2, "demand");
        lua_pop(L, 1);

        lua_pushvalue(L, dev);
        lua_rawseti(L, devices, (lua_Integer)d + 1);
        lua_pushvalue(L, dev);
        lua_setfield(L, byname, md->name);
        v->ref_dev[d] = luaL_ref(L, LUA_REGISTRYINDEX); /* pops dev */

        struct outdev *od = lua_newuserdatauv(L, sizeof *od, 0);
        od->v = v;
        od->dev = (uint32_t)d;
        luaL_setmetatable(L, OUTDEV_MT);
        lua_setfield(L, outs, md->name);
    }
    /* out is the table of proxies itself (a plain lookup per access); its
     * metatable only catches assignments to names that are not devices.
     * Overwriting a device's entry only breaks the policy's own view: the
     * host reaches the proxies through its registry, never through out. */
    lua_createtable(L, 0, 2); /* out's metatable */
    lua_pushlightuserdata(L, v);
    lua_pushcclosure(L, out_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, outs);
    lua_pushvalue(L, outs);
    v->ref_out = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, state);
    v->ref_state = luaL_ref(L, LUA_REGISTRYINDEX);

    /* state.mesh: the converter mesh's agents (lua/pmesh.c) */
    v->ref_mesh = pmesh_build(L, state, meshag_agents(v->host->mesh));
    v->mesh_out = pmesh_out_new(L, outs, v->host->mesh, mesh_reject, v);
    /* state/out.partition and state/out.gpu (lua/pbind.c) */
    v->bind = pbind_new(L, state, outs, v->host->eng, m);

    size_t nk = m->n_signals + m->n_controls;
    lua_createtable(L, (int)(nk + sizeof fixed_keys / sizeof fixed_keys[0]), 0);
    for (size_t i = 0; i < m->n_signals; i++) {
        lua_pushstring(L, m->signals[i].name);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    for (size_t c = 0; c < m->n_controls; c++) {
        lua_pushstring(L, m->controls[c].name);
        lua_rawseti(L, -2, (lua_Integer)(m->n_signals + c) + 1);
    }
    for (size_t i = 0; i < sizeof fixed_keys / sizeof fixed_keys[0]; i++) {
        lua_pushstring(L, fixed_keys[i]);
        lua_rawseti(L, -2, (lua_Integer)(nk + i) + 1);
    }
    v->ref_keys = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* ---- per tick ---------------------------------------------------------- */

/* Copies the model into the version's tables.  Allocation-free: only
 * numbers and booleans are written, into fields that already exist. */
static void update_state(struct pver *v, const struct model *m)
{
    lua_State *L = v->L;
    const lua_Integer ns = (lua_Integer)m->n_signals;
    const lua_Integer kx = ns + (lua_Integer)m->n_controls; /* fixed keys */
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_keys);
    int K = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_state);
    int T = K + 1;
    set_key(L, T, K, kx + KEY_T, m->t);
    set_key(L, T, K, kx + KEY_DT, m->dt);
    lua_rawgeti(L, K, kx + KEY_TICK);
    lua_pushinteger(L, (lua_Integer)m->tick);
    lua_rawset(L, T);
    set_key(L, T, K, kx + KEY_BUDGET, m->budget_w);
    /* The lab's power as the summary counts it (model_total_power). */
    set_key(L, T, K, kx + KEY_POWER, model_total_power(m, NULL));
    lua_pop(L, 1);

    for (size_t d = 0; d < m->n_devices; d++) {
        uint32_t s0 = m->dsig_off[d], s1 = m->dsig_off[d + 1];
        lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_sig[d]);
        for (uint32_t i = s0; i < s1; i++) {
            uint32_t s = m->dsig[i];
            double x = m->valid[s] ? m->val[s] : NAN;
            if (changed(&v->sigv[s], x))
                set_key(L, T, K, s + 1, x);
        }
        lua_pop(L, 1);
        lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_ok[d]);
        for (uint32_t i = s0; i < s1; i++) {
            uint32_t s = m->dsig[i];
            if (v->okv[s] == m->valid[s])
                continue;
            lua_rawgeti(L, K, s + 1);
            lua_pushboolean(L, m->valid[s]);
            lua_rawset(L, T);
            v->okv[s] = m->valid[s];
        }
        lua_pop(L, 1);
        double fc = m->fc_valid[d] ? m->fc_demand[d] : NAN;
        if (m->devices[d].is_pu && changed(&v->fcv[d], fc)) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_fc[d]);
            set_key(L, T, K, kx + KEY_DEMAND, fc);
            lua_pop(L, 1);
        }
    }
    for (size_t c = 0; c < m->n_controls; c++) {
        double val = m->applied_known[c] ? m->applied[c] : NAN;
        double tgt = m->targeted[c] ? m->target[c] : NAN;
        int cv = changed(&v->ctlv[c], val), ct = changed(&v->tgtv[c], tgt);
        if (cv || ct) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_ctl[c]);
            if (cv)
                set_key(L, T, K, kx + KEY_VALUE, val);
            if (ct)
                set_key(L, T, K, kx + KEY_TARGET, tgt);
            lua_pop(L, 1);
        }
        /* Proposals: written when present, cleared once when gone. */
        if (!m->proposed[c] && v->propv[c] == 0)
            continue;
        v->propv[c] = m->proposed[c];
        lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_prop[m->controls[c].device]);
        lua_rawgeti(L, K, ns + (lua_Integer)c + 1);
        if (m->proposed[c])
            lua_pushnumber(L, m->proposal[c]);
        else
            lua_pushnil(L);
        lua_rawset(L, T);
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* keys */
    pmesh_update(L, v->ref_mesh, meshag_agents(v->host->mesh));
    pbind_update(v->bind);
}

/* Calls `fn` (a C trampoline that builds the callback's arguments and
 * calls it) with the version as its argument, in protected mode, under the
 * budget.  Argument building runs inside the protected call too: a
 * policy near its memory cap cannot make the host raise outside one. */
static int call_protected(struct pver *v, lua_CFunction fn, const char *cb,
                          int nresults, char *err, size_t errlen)
{
    lua_State *L = v->L;
    const struct policy_limits *lim = &v->host->lim;
    char msg[1024];
    if (!lua_checkstack(L, 8)) {
        snprintf(err, errlen, "%s: %s: out of stack", v->name, cb);
        return SANDBOX_MEMORY;
    }
    lua_pushcfunction(L, fn);
    lua_pushlightuserdata(L, v);
    v->callback = cb;
    sandbox_arm_limits(v->sb, lim->instructions, lim->time_ns, lim->cpu_ns);
    int rc = sandbox_call(v->sb, v->chunkname, 1, nresults, msg, sizeof msg);
    sandbox_disarm(v->sb);
    if (rc != SANDBOX_OK)
        snprintf(err, errlen, "%s (in %s)", msg, cb);
    return rc;
}

static int on_tick_tramp(lua_State *L)
{
    struct pver *v = lua_touserdata(L, 1);
    update_state(v, v->cur);
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_tick);
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_state);
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_out);
    lua_call(L, 2, 0);
    return 0;
}

static int persist_tramp(lua_State *L)
{
    struct pver *v = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_persist);
    lua_call(L, 0, 1);
    return 1;
}

/* Budget check of the pending caps: their sum (with the caps not set this
 * tick at their current target) must fit the budget.  A budget below the
 * caps' minimums cannot be met by any setting: it is held at the
 * minimums, so only every cap at its minimum passes (before, the check
 * was skipped and an all-max policy ran far over the budget). */
static void check_cap_budget(struct pver *v, const struct model *m)
{
    if (m->budget_w <= 0)
        return;
    double sum = 0, mins = 0;
    int any = 0;
    for (size_t k = 0; k < m->n_devices; k++) {
        int32_t c = m->devices[k].ctl[CTL_POWER_CAP];
        if (c < 0)
            continue;
        mins += m->controls[c].min;
        if (v->pend_set[c] == PEND_SET) {
            sum += v->pend[c];
            any = 1;
        } else if (v->pend_set[c] == PEND_UNSET && m->proposed[c]) {
            sum += m->proposal[c]; /* what will apply to it */
        } else {
            sum += m->targeted[c] ? m->target[c] : m->controls[c].max;
        }
    }
    double limit = mins > m->budget_w ? mins : m->budget_w;
    if (!any || sum <= limit * (1 + 1e-9))
        return;
    for (size_t k = 0; k < m->n_devices; k++) {
        int32_t c = m->devices[k].ctl[CTL_POWER_CAP];
        if (c < 0 || v->pend_set[c] != PEND_SET)
            continue;
        char why[160];
        if (mins > m->budget_w)
            snprintf(why, sizeof why,
                     "power caps sum to %.1f W, over the budget of %.1f W, "
                     "which is below the caps' minimums (%.1f W): only "
                     "every cap at its minimum fits",
                     sum, m->budget_w, mins);
        else
            snprintf(why, sizeof why,
                     "power caps sum to %.1f W, over the "
                     "budget of %.1f W",
                     sum, m->budget_w);
        char val[32];
        snprintf(val, sizeof val, "%g", v->pend[c]);
        reject(v, NULL, m->devices[k].name, m->controls[c].name, val, why);
        v->pend_set[c] = PEND_REJECTED;
    }
}

/* One on_tick: 0, 1 (some rejected) or -1 (failed); pending values are
 * left in v->pend for the caller. */
static int pver_tick(struct pver *v, const struct model *m, char *err,
                     size_t errlen)
{
    memset(v->pend_set, 0, m->n_controls ? m->n_controls : 1);
    pmesh_out_reset(v->mesh_out);
    v->rejected = 0;
    v->cur = m;
    if (call_protected(v, on_tick_tramp, "on_tick", 0, err, errlen) != 0)
        return -1;
    check_cap_budget(v, m);
    return v->rejected ? 1 : 0;
}

/* ---- versions ---------------------------------------------------------- */

static void pver_free(struct pver *v)
{
    if (!v)
        return;
    sandbox_free(v->sb);
    free(v->name);
    free(v->chunkname);
    free(v->ref_dev);
    free(v->ref_sig);
    free(v->ref_ok);
    free(v->ref_rate);
    free(v->ref_fc);
    free(v->ref_prop);
    free(v->ref_ctl);
    free(v->okv);
    free(v->sigv);
    free(v->fcv);
    free(v->ctlv);
    free(v->tgtv);
    free(v->propv);
    free(v->pend);
    free(v->pend_set);
    pmesh_out_free(v->mesh_out);
    pbind_free(v->bind);
    free(v->lib.scratch);
    free(v);
}

static int fn_ref(lua_State *L, int mod, const char *name, int *ref, char *err,
                  size_t errlen, const char *file)
{
    lua_pushstring(L, name);
    int t = lua_rawget(L, mod); /* raw: no metamethod of the module runs */
    *ref = LUA_NOREF;
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (t != LUA_TFUNCTION) {
        snprintf(err, errlen, "%s: %s must be a function, got %s", file, name,
                 lua_typename(L, t));
        lua_pop(L, 1);
        return -1;
    }
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* Pushes a cfg tree as Lua values (for persist data). */
static void push_cfg(lua_State *L, const struct cfg *n)
{
    switch (cfg_type(n)) {
    case WATTSON_CFG_NUMBER:
        lua_pushnumber(L, cfg_number(n));
        return;
    case WATTSON_CFG_STRING:
        lua_pushstring(L, cfg_string(n));
        return;
    case WATTSON_CFG_BOOL:
        lua_pushboolean(L, cfg_bool(n));
        return;
    case WATTSON_CFG_TABLE:
        break;
    default:
        lua_pushnil(L);
        return;
    }
    lua_createtable(L, 0, (int)cfg_len(n));
    for (size_t i = 0; i < cfg_len(n); i++) {
        const char *k = cfg_key_at(n, i);
        char *end;
        long idx = strtol(k, &end, 10);
        if (*k && !*end && idx > 0 && k[0] != '0')
            lua_pushinteger(L, idx);
        else
            lua_pushstring(L, k);
        push_cfg(L, cfg_at(n, i));
        lua_rawset(L, -3);
    }
}

static int pver_alloc_arrays(struct pver *v, const struct model *m)
{
    size_t nd = m->n_devices ? m->n_devices : 1;
    size_t ns = m->n_signals ? m->n_signals : 1;
    size_t nc = m->n_controls ? m->n_controls : 1;
    v->ref_dev = calloc(nd, sizeof(int));
    v->ref_sig = calloc(nd, sizeof(int));
    v->ref_ok = calloc(nd, sizeof(int));
    v->ref_rate = calloc(nd, sizeof(int));
    v->ref_fc = calloc(nd, sizeof(int));
    v->ref_prop = calloc(nd, sizeof(int));
    v->ref_ctl = calloc(nc, sizeof(int));
    v->okv = malloc(ns);
    v->sigv = malloc(ns * sizeof(double));
    v->fcv = malloc(nd * sizeof(double));
    v->ctlv = malloc(nc * sizeof(double));
    v->tgtv = malloc(nc * sizeof(double));
    v->propv = calloc(nc, 1);
    v->pend = calloc(nc, sizeof(double));
    v->pend_set = calloc(nc, 1);
    v->lib.cap = nd;
    v->lib.scratch = calloc(4 * nd, sizeof(double));
    if (!v->ref_dev || !v->ref_sig || !v->ref_ok || !v->ref_rate ||
        !v->ref_fc || !v->ref_prop || !v->ref_ctl || !v->okv || !v->pend ||
        !v->pend_set || !v->lib.scratch || !v->sigv || !v->fcv || !v->ctlv ||
        !v->tgtv || !v->propv)
        return -1;
    memset(v->okv, 2, ns);
    memset(v->sigv, 0xff, ns * sizeof(double));
    memset(v->fcv, 0xff, nd * sizeof(double));
    memset(v->ctlv, 0xff, nc * sizeof(double));
    memset(v->tgtv, 0xff, nc * sizeof(double));
    return 0;
}

/* on_load(ctx): the facts a policy may want once, and the predecessor's
 * persist() data. */
static int load_tramp(lua_State *L)
{
    struct pver *v = lua_touserdata(L, 1);
    /* ctx.state holds the current sample already (constants included). */
    update_state(v, v->host->m);
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_load);
    lua_createtable(L, 0, 6);
    lua_pushstring(L, v->name);
    lua_setfield(L, -2, "file");
    lua_pushnumber(L, v->host->m->budget_w);
    lua_setfield(L, -2, "budget_w");
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_state);
    lua_setfield(L, -2, "state");
    if (v->persisted) {
        push_cfg(L, v->persisted);
        lua_setfield(L, -2, "persisted");
    }
    lua_call(L, 1, 0);
    return 0;
}

static int on_event_tramp(lua_State *L)
{
    struct pver *v = lua_touserdata(L, 1);
    lua_rawgeti(L, LUA_REGISTRYINDEX, v->ref_event);
    lua_createtable(L, 0, 2);
    lua_pushstring(L, v->ev_type);
    lua_setfield(L, -2, "type");
    if (v->ev_detail) {
        lua_pushstring(L, v->ev_detail);
        lua_setfield(L, -2, "detail");
    }
    lua_call(L, 1, 0);
    return 0;
}

static void open_lib(lua_State *L, int env, void *arg)
{
    plib_open(L, env, arg);
}

/* Builds and checks a version up to (not including) the shadow tick. */
static struct pver *pver_new(struct policy *p, const char *name,
                             const char *text, size_t len,
                             const struct cfg *persisted, char *err,
                             size_t errlen)
{
    const struct model *m = p->m;
    struct pver *v = calloc(1, sizeof *v);
    char msg[1024];
    if (!v) {
        snprintf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    v->host = p;
    v->ref_tick = v->ref_load = v->ref_event = v->ref_persist = LUA_NOREF;
    v->name = strdup(name);
    size_t cl = strlen(name) + 2;
    v->chunkname = malloc(cl);
    if (!v->name || !v->chunkname || pver_alloc_arrays(v, m) != 0) {
        snprintf(err, errlen, "%s: out of memory", name);
        pver_free(v);
        return NULL;
    }
    snprintf(v->chunkname, cl, "@%s", name);
    v->lib.m = m;
    v->lib.hist = p->hist;
    v->lib.name = v->name;
    v->lib.lograte = &p->lograte;

    if (len >= 4 && memcmp(text, LUA_SIGNATURE, 4) == 0) {
        snprintf(err, errlen, "%s: precompiled Lua chunks are not allowed",
                 name);
        pver_free(v);
        return NULL;
    }
    if (sandbox_new(&v->sb, p->lim.mem_bytes, msg, sizeof msg) != 0) {
        snprintf(err, errlen, "%s: %s", name, msg);
        pver_free(v);
        return NULL;
    }
    lua_State *L = v->L = sandbox_lua(v->sb);
    int top = lua_gettop(L);

    /* The library goes into the chunk's _ENV before it runs, so the top
     * level may already write `local clamp = wattson.clamp`. */
    sandbox_set_env_fn(v->sb, open_lib, &v->lib);
    sandbox_arm_limits(v->sb, p->lim.instructions, p->lim.time_ns,
                       p->lim.cpu_ns);
    int rc = sandbox_load(v->sb, v->chunkname, text, len, err, errlen);
    sandbox_disarm(v->sb);
    if (rc != SANDBOX_OK)
        goto fail;
    /* Stack: _ENV, module. */
    if (!lua_istable(L, top + 2)) {
        snprintf(err, errlen,
                 "%s: a policy must return a table of "
                 "callbacks, got %s",
                 name, luaL_typename(L, top + 2));
        goto fail;
    }
    int mod = top + 2;
    lua_pushliteral(L, "api");
    lua_rawget(L, mod);
    /* 1.0 is the number 1 too (Lua compares them equal); a string is not
     * (lua_tointegerx alone would convert "1"). */
    int api_ok = 0;
    if (lua_type(L, -1) == LUA_TNUMBER)
        api_ok = lua_tointegerx(L, -1, &api_ok) == 1 && api_ok;
    if (!api_ok) {
        char val[64];
        show_value(L, -1, val, sizeof val);
        snprintf(err, errlen,
                 "%s: api must be 1 (this wattson's policy API), got %s", name,
                 lua_isnil(L, -1) ? "nothing" : val);
        goto fail;
    }
    lua_pop(L, 1);
    if (fn_ref(L, mod, "on_tick", &v->ref_tick, err, errlen, name) ||
        fn_ref(L, mod, "on_load", &v->ref_load, err, errlen, name) ||
        fn_ref(L, mod, "on_event", &v->ref_event, err, errlen, name) ||
        fn_ref(L, mod, "persist", &v->ref_persist, err, errlen, name))
        goto fail;
    if (v->ref_tick == LUA_NOREF) {
        snprintf(err, errlen, "%s: a policy needs an on_tick function", name);
        goto fail;
    }
    lua_settop(L, top);

    lua_pushcfunction(L, build_tables);
    lua_pushlightuserdata(L, v);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        snprintf(err, errlen, "%s: out of memory building the state", name);
        goto fail;
    }

    if (v->ref_load != LUA_NOREF) {
        v->persisted = persisted;
        if (call_protected(v, load_tramp, "on_load", 0, err, errlen) != 0)
            goto fail;
    }
    lua_settop(L, top);
    return v;
fail:
    pver_free(v);
    return NULL;
}

/* ---- public ------------------------------------------------------------ */

int policy_new(struct policy **out, const struct model *m,
               const struct ring *hist, const struct policy_limits *lim,
               char *err, size_t errlen)
{
    struct policy *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->m = m;
    p->hist = hist;
    plib_lograte_init(&p->lograte);
    if (lim)
        p->lim = *lim;
    else
        policy_limits_default(&p->lim);
    *out = p;
    return 0;
}

/* The running version's persist() data as a cfg tree, or NULL. */
static struct cfg *take_persist(struct pver *old)
{
    char err[512];
    struct cfg *data = NULL;
    if (!old || old->ref_persist == LUA_NOREF)
        return NULL;
    lua_State *L = old->L;
    int top = lua_gettop(L);
    if (call_protected(old, persist_tramp, "persist", 1, err, sizeof err) !=
        0) {
        log_msg(LOG_WARN,
                "%s: persist failed, the new version starts "
                "without its data: %s",
                old->name, err);
        return NULL;
    }
    if (lua_istable(L, -1)) {
        if (luacfg_copy(L, POLICY_PERSIST_MAX, &data, err, sizeof err) != 0) {
            log_msg(LOG_WARN, "%s: persist data not kept: %s", old->name, err);
            data = NULL;
        }
    } else if (!lua_isnil(L, -1)) {
        log_msg(LOG_WARN, "%s: persist must return a table, got %s", old->name,
                luaL_typename(L, -1));
    }
    lua_settop(L, top);
    if (data)
        cfg_sort(data);
    return data;
}

static int policy_load_once(struct policy *p, const char *name,
                            const char *text, size_t len, struct model *m,
                            char *err, size_t errlen)
{
    uint64_t h = watch_hash(text, len);
    if ((p->active && p->active->hash == h) ||
        (p->have_rejected && p->rejected_hash == h))
        return POLICY_SAME;
    struct cfg *persisted = take_persist(p->active);
    struct pver *v = pver_new(p, name, text, len, persisted, err, errlen);
    cfg_free(persisted);
    if (v) {
        /* The shadow tick: the new version decides on the current state;
         * its output must validate, and is then thrown away. */
        v->st = NULL;
        int rc = pver_tick(v, m, err, errlen);
        if (rc == 1)
            snprintf(err, errlen, "%s%s", v->first_reject,
                     v->rejected > 1 ? " (and more, see the log)" : "");
        if (rc != 0) {
            pver_free(v);
            v = NULL;
        }
    }
    if (!v) {
        p->rejected_hash = h;
        p->have_rejected = 1;
        return POLICY_REJECTED;
    }
    v->hash = h;
    v->logged = 0;
    pver_free(p->active);
    p->active = v;
    p->version++;
    p->have_rejected = 0;
    return POLICY_SWAPPED;
}

/* After a reload, what it left behind goes: the running version's garbage
 * (persist()'s result, on_event's arguments) is collected in full, and the
 * allocator hands the pages of the freed state back to the system.  So
 * memory peaks during a reload (the running version and the new one, each
 * at most the memory cap, plus the persisted copy, at most 1 MiB) and
 * returns to the running version's own afterwards, however many reloads
 * (before, a rejected version that reached its cap left the process at
 * that high-water mark). */
static void reload_settle(struct policy *p)
{
    if (p->active)
        lua_gc(p->active->L, LUA_GCCOLLECT);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

int policy_load(struct policy *p, const char *name, const char *text,
                size_t len, struct model *m, char *err, size_t errlen)
{
    int rc = policy_load_once(p, name, text, len, m, err, errlen);
    if (rc != POLICY_SAME)
        reload_settle(p);
    return rc;
}

void policy_event(struct policy *p, const char *type, const char *detail)
{
    struct pver *v = p->active;
    char err[1024];
    if (!v || v->ref_event == LUA_NOREF)
        return;
    int top = lua_gettop(v->L);
    v->ev_type = type;
    v->ev_detail = detail;
    if (call_protected(v, on_event_tramp, "on_event", 0, err, sizeof err) != 0)
        log_msg(LOG_WARN, "%s", err);
    lua_settop(v->L, top);
}

static int policy_decide(void *state, struct model *m, struct stats *st)
{
    struct policy *p = state;
    struct pver *v = p->active;
    char err[1024];
    if (!v)
        return -1;
    v->st = st;
    int rc = pver_tick(v, m, err, sizeof err);
    if (rc < 0) {
        pmesh_out_apply(v->mesh_out, m, 1);
        pbind_apply(v->bind, m, 1);
        v->logged++;
        if (v->logged <= POLICY_LOG_FIRST || v->logged % POLICY_LOG_EVERY == 0)
            log_msg(LOG_WARN, "%s", err);
        return -1;
    }
    /* Unset controls keep their target, or take an engine's proposal;
     * a rejected one keeps its target. */
    for (size_t c = 0; c < m->n_controls; c++) {
        if (v->pend_set[c] == PEND_SET) {
            m->decision[c] = v->pend[c];
            m->decided[c] = 1;
        } else if (v->pend_set[c] == PEND_UNSET && m->proposed[c]) {
            m->decision[c] = m->proposal[c];
            m->decided[c] = 1;
        }
    }
    /* out.mesh after the controls: an action becomes the node's duty
     * decision unless on_tick decided that duty itself */
    pmesh_out_apply(v->mesh_out, m, 0);
    pbind_apply(v->bind, m, 0);
    return rc;
}

const struct policy_ops policy_lua_ops = {
    .name = "lua",
    .decide = policy_decide,
};

void policy_free(struct policy *p)
{
    if (!p)
        return;
    if (p->active)
        plib_lograte_flush(&p->lograte, p->active->name);
    pver_free(p->active);
    free(p);
}

uint64_t policy_lua_allocs(const struct policy *p)
{
    return p->active ? sandbox_allocs(p->active->sb) : 0;
}

size_t policy_lua_mem(const struct policy *p)
{
    return p->active ? sandbox_mem_used(p->active->sb) : 0;
}

int policy_loaded(const struct policy *p)
{
    return p->active != NULL;
}

const char *policy_name(const struct policy *p)
{
    return p->active ? p->active->name : "(none)";
}

uint64_t policy_version(const struct policy *p)
{
    return p->version;
}

int policy_is_active_text(const struct policy *p, const char *text, size_t len)
{
    return p->active && p->active->hash == watch_hash(text, len);
}
