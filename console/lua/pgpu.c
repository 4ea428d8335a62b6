/*
 * pgpu - see pgpu.h.
 */
#include "lua/pgpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>

#include "core/model.h"
#include "engines/gprof.h"
#include "engines/vgledger.h"
#include "engines/vgpu.h"
#include "lua/plib.h"
#include "wattson/plugin.h"

struct pgpu {
    lua_State *L;
    struct vgpu *g;
    const struct model *m;
    int ref_state; /* state.gpu */
    int ref_outs;  /* out, whose "gpu" is read each tick */
    /* the tenants the Lua array holds, to rebuild it when they change */
    uint32_t pid[VGPU_MAX_TENANTS], dev[VGPU_MAX_TENANTS];
    size_t n;
    int built;
    int no_clients; /* state.gpu.clients is the empty table */
    /* the book (NULL: no GPU), kept here: the engine goes before the
     * policy at the run's end; the policy version's own client in it */
    struct vgledger *l;
    int client;
    int ref_avail, ref_held; /* state.gpu.available, state.gpu.held */
    /* what was last written into Lua, so a tick writes only what changed
     * (most ticks: nothing) */
    double last_book[2][VGLEDGER_MAX_GPUS][WVG_NTYPES];
    const char *last_mode;
    uint64_t last_counts[3];
    /* out.gpu's shares, rules and reserve (bits 0, 1, 2) the last apply
     * found non-empty (or not a table): only those are emptied */
    unsigned out_used;
    int rules_set; /* the book holds rules from this version */
};

static const char *const pgpu_sig_names[GPROF_DIM] = {
    "sm", "mem", "dmem", "bw", "launch", "pcie", "enc", "dec"};

static const char *pgpu_kind(uint32_t k)
{
    return k == WATTSON_GPU_PERF_FPS       ? "fps"
           : k == WATTSON_GPU_PERF_RATE    ? "rate"
           : k == WATTSON_GPU_PERF_LATENCY ? "latency"
                                           : "none";
}

static const char *const pgpu_types[WVG_NTYPES] = WVG_TYPE_NAMES;

/* state.gpu[k] = {GPU = {compute, memory, power}, ...} for the book's
 * GPUs (empty without a book), into the table on top; its reference. */
static int pgpu_book_table(struct pgpu *pg, const char *k)
{
    lua_State *L = pg->L;
    size_t ng = pg->l ? vgledger_n_gpus(pg->l) : 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, pg->ref_state);
    lua_createtable(L, 0, (int)ng);
    for (size_t i = 0; i < ng; i++) {
        lua_createtable(L, 0, WVG_NTYPES);
        for (int t = 0; t < WVG_NTYPES; t++) {
            lua_pushnumber(L, 0);
            lua_setfield(L, -2, pgpu_types[t]);
        }
        lua_setfield(L, -2, vgledger_gpu_name(pg->l, i));
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, k);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    return ref;
}

/* The book's numbers into state.gpu.available and .held, in place, those
 * that changed since the last tick. */
static void pgpu_book_update(struct pgpu *pg)
{
    lua_State *L = pg->L;
    size_t ng = pg->l ? vgledger_n_gpus(pg->l) : 0;
    for (int which = 0; which < 2; which++) {
        int pushed = 0;
        for (size_t i = 0; i < ng; i++) {
            int got = 0;
            for (int t = 0; t < WVG_NTYPES; t++) {
                double v = which ? (pg->client >= 0
                                        ? vgledger_held(pg->l, pg->client, i, t)
                                        : 0)
                                 : vgledger_available(pg->l, i, t);
                if (v == pg->last_book[which][i][t])
                    continue;
                pg->last_book[which][i][t] = v;
                if (!pushed) {
                    lua_rawgeti(L, LUA_REGISTRYINDEX,
                                which ? pg->ref_held : pg->ref_avail);
                    pushed = 1;
                }
                if (!got) {
                    lua_getfield(L, -1, vgledger_gpu_name(pg->l, i));
                    got = 1;
                }
                lua_pushnumber(L, v);
                lua_setfield(L, -2, pgpu_types[t]);
            }
            if (got)
                lua_pop(L, 1);
        }
        if (pushed)
            lua_pop(L, 1);
    }
}

struct pgpu *pgpu_new(lua_State *L, int state, int outs, struct vgpu *g,
                      const struct model *m)
{
    if (!g)
        return NULL;
    state = lua_absindex(L, state);
    outs = lua_absindex(L, outs);
    struct pgpu *pg = calloc(1, sizeof *pg);
    if (!pg)
        return NULL;
    pg->L = L;
    pg->g = g;
    pg->m = m;
    pg->l = vgpu_ledger(g);
    pg->client = pg->l ? vgledger_client_open(pg->l, (uint32_t)getpid(),
                                              (uint32_t)geteuid())
                       : -1;
    lua_createtable(L, 0, 8);
    lua_pushvalue(L, -1);
    lua_setfield(L, state, "gpu");
    pg->ref_state = luaL_ref(L, LUA_REGISTRYINDEX);
    pg->ref_avail = pgpu_book_table(pg, "available");
    pg->ref_held = pgpu_book_table(pg, "held");
    pg->ref_outs = plib_out_table(L, outs, "gpu", 3);
    if (pg->ref_outs) {
        lua_createtable(L, 0, 4);
        lua_setfield(L, -2, "shares");
        lua_createtable(L, 0, 3);
        lua_setfield(L, -2, "rules");
        lua_createtable(L, 0, 2);
        lua_setfield(L, -2, "reserve");
        lua_pop(L, 1);
    }
    pgpu_update(pg);
    return pg;
}

void pgpu_free(struct pgpu *pg)
{
    /* what the version reserved goes back (a reload's next version asks
     * again at its first tick) */
    if (pg && pg->l && pg->client >= 0)
        vgledger_client_close(pg->l, pg->client, NULL);
    free(pg);
}

/* Whether the view's tenants are the ones the Lua array holds. */
static int pgpu_same(const struct pgpu *pg, const struct vgpu_view *w)
{
    if (!pg->built || w->n != pg->n)
        return 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->t[i].pid != pg->pid[i] || w->t[i].device != pg->dev[i])
            return 0;
    return 1;
}

static void pgpu_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

/* One tenant's numbers into the table on top. */
static void pgpu_tenant(lua_State *L, const struct vgpu_tenant_view *t)
{
    pgpu_num(L, "sm", t->sm);
    pgpu_num(L, "mem", t->mem_b);
    pgpu_num(L, "perf", t->perf);
    pgpu_num(L, "slo", t->slo);
    pgpu_num(L, "pred_sm", t->pred_sm);
    pgpu_num(L, "pred_mem", t->pred_mem);
    pgpu_num(L, "share_sm", t->share_sm);
    pgpu_num(L, "share_mem", t->share_mem);
    pgpu_num(L, "power_w", t->power_w);
    lua_pushinteger(L, (lua_Integer)t->phase);
    lua_setfield(L, -2, "phase");
    lua_pushboolean(L, t->violating);
    lua_setfield(L, -2, "violating");
    lua_getfield(L, -1, "signature");
    for (int k = 0; k < GPROF_DIM; k++)
        pgpu_num(L, pgpu_sig_names[k], t->sig[k]);
    lua_pop(L, 1);
}

/* state.gpu.clients: the API's holdings, rebuilt each tick only while
 * there are any (a few tables: clients are few and rarely hold long). */
static void pgpu_clients(struct pgpu *pg)
{
    lua_State *L = pg->L;
    struct vgledger *l = pg->l;
    size_t cur = 0, k = 0;
    struct vgledger_holding h;
    if (!l || !vgledger_next_holding(l, &cur, &h)) {
        if (!pg->no_clients) {
            lua_createtable(L, 0, 0);
            lua_setfield(L, -2, "clients");
            pg->no_clients = 1;
        }
        return;
    }
    pg->no_clients = 0;
    lua_createtable(L, 4, 0);
    cur = 0;
    while (vgledger_next_holding(l, &cur, &h)) {
        lua_createtable(L, 0, 5);
        lua_pushinteger(L, (lua_Integer)h.pid);
        lua_setfield(L, -2, "pid");
        lua_pushstring(L, vgledger_gpu_name(l, h.gpu));
        lua_setfield(L, -2, "gpu");
        pgpu_num(L, "compute", h.held[WVG_COMPUTE]);
        pgpu_num(L, "memory", h.held[WVG_MEMORY]);
        pgpu_num(L, "power", h.held[WVG_POWER]);
        lua_rawseti(L, -2, (lua_Integer)++k);
    }
    lua_setfield(L, -2, "clients");
}

/* Empties field `k` of the table on top, a table, in place (a new one
 * when the policy put something else there). */
static void pgpu_empty(lua_State *L, const char *k)
{
    if (lua_getfield(L, -1, k) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 4);
        lua_setfield(L, -2, k);
        return;
    }
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);
}

void pgpu_update(struct pgpu *pg)
{
    if (!pg)
        return;
    lua_State *L = pg->L;
    const struct vgpu_view *w = vgpu_view(pg->g);
    lua_rawgeti(L, LUA_REGISTRYINDEX, pg->ref_state);
    const char *mode = w->mode ? w->mode : "off";
    if (mode != pg->last_mode) {
        lua_pushstring(L, mode);
        lua_setfield(L, -2, "mode");
        pg->last_mode = mode;
    }
    const uint64_t counts[3] = {w->windows, w->reallocs, w->phase_changes};
    static const char *const count_names[3] = {"windows", "reallocs",
                                               "phase_changes"};
    for (int k = 0; k < 3; k++)
        if (counts[k] != pg->last_counts[k] || !pg->built) {
            pgpu_num(L, count_names[k], (double)counts[k]);
            pg->last_counts[k] = counts[k];
        }
    if (!pgpu_same(pg, w)) {
        /* rare: a tenant came or went */
        lua_createtable(L, (int)w->n, 0);
        for (size_t i = 0; i < w->n; i++) {
            const struct vgpu_tenant_view *t = &w->t[i];
            lua_createtable(L, 0, 18);
            lua_pushstring(L, t->name);
            lua_setfield(L, -2, "name");
            lua_pushinteger(L, (lua_Integer)t->pid);
            lua_setfield(L, -2, "pid");
            lua_pushstring(L, t->device < pg->m->n_devices
                                  ? pg->m->devices[t->device].name
                                  : "?");
            lua_setfield(L, -2, "gpu");
            lua_pushstring(L, pgpu_kind(t->perf_kind));
            lua_setfield(L, -2, "perf_kind");
            lua_createtable(L, 0, GPROF_DIM);
            lua_setfield(L, -2, "signature");
            lua_rawseti(L, -2, (lua_Integer)i + 1);
            pg->pid[i] = t->pid;
            pg->dev[i] = t->device;
        }
        lua_setfield(L, -2, "tenants");
        pg->n = w->n;
        pg->built = 1;
    }
    pgpu_clients(pg);
    pgpu_book_update(pg);
    if (w->n > 0) {
        lua_getfield(L, -1, "tenants");
        for (size_t i = 0; i < w->n; i++) {
            lua_rawgeti(L, -1, (lua_Integer)i + 1);
            pgpu_tenant(L, &w->t[i]);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (pg->ref_outs > 0 && pg->out_used) {
        /* out.gpu's tables the policy wrote emptied in place (no
         * allocation): a word holds only for the tick that said it */
        static const char *const sub[3] = {"shares", "rules", "reserve"};
        lua_rawgeti(L, LUA_REGISTRYINDEX, pg->ref_outs);
        lua_pushliteral(L, "gpu");
        if (lua_rawget(L, -2) == LUA_TTABLE)
            for (int k = 0; k < 3; k++)
                if (pg->out_used & 1u << k)
                    pgpu_empty(L, sub[k]);
        lua_pop(L, 2);
        pg->out_used = 0;
    }
}

/* The field `k` of the table on top as a number: NaN for a non-number
 * (the guard refuses it), *set 0 when absent. */
static double pgpu_field(lua_State *L, const char *k, int *set)
{
    int t = lua_getfield(L, -1, k);
    double v = t == LUA_TNIL         ? 0
               : lua_isnumber(L, -1) ? lua_tonumber(L, -1)
                                     : NAN;
    *set = t != LUA_TNIL;
    lua_pop(L, 1);
    return v;
}

/* out.gpu.rules: per API type {max_per_client = x, deny = bool} into the
 * book's rules (a type the table does not name: no cap, not denied). */
static void pgpu_rules(struct pgpu *pg)
{
    lua_State *L = pg->L;
    struct vgledger *l = pg->l;
    if (!l)
        return;
    int t = lua_getfield(L, -1, "rules");
    for (int k = 0; k < WVG_NTYPES; k++) {
        double cap = INFINITY;
        int deny = 0;
        if (t == LUA_TTABLE &&
            lua_getfield(L, -1, pgpu_types[k]) == LUA_TTABLE) {
            int has;
            double c = pgpu_field(L, "max_per_client", &has);
            if (has && c > 0)
                cap = c;
            lua_getfield(L, -1, "deny");
            deny = lua_toboolean(L, -1);
            lua_pop(L, 1);
        }
        if (t == LUA_TTABLE)
            lua_pop(L, 1);
        vgledger_set_rule(l, k, cap, deny);
    }
    lua_pop(L, 1);
}

/* Whether this version holds anything in the book. */
static int pgpu_holds(const struct pgpu *pg)
{
    for (size_t i = 0; pg->l && pg->client >= 0 && i < vgledger_n_gpus(pg->l);
         i++)
        for (int k = 0; k < WVG_NTYPES; k++)
            if (vgledger_held(pg->l, pg->client, i, k) > 0)
                return 1;
    return 0;
}

/* out.gpu.reserve: per GPU and type what the version wants to hold
 * (absent: 0); the book grants up to what is available and releases the
 * rest, as the API's request and release calls. */
static void pgpu_reserve(struct pgpu *pg)
{
    lua_State *L = pg->L;
    if (!pg->l || pg->client < 0)
        return;
    int t = lua_getfield(L, -1, "reserve");
    for (size_t i = 0; i < vgledger_n_gpus(pg->l); i++) {
        int g = t == LUA_TTABLE &&
                lua_getfield(L, -1, vgledger_gpu_name(pg->l, i)) == LUA_TTABLE;
        for (int k = 0; k < WVG_NTYPES; k++) {
            int has = 0;
            double want = g ? pgpu_field(L, pgpu_types[k], &has) : 0;
            if (!has || !isfinite(want) || want < 0)
                want = 0;
            double held = vgledger_held(pg->l, pg->client, i, k), got;
            char why[160];
            if (want > held)
                vgledger_request(pg->l, pg->client, i, k, want - held, &got,
                                 why, sizeof why);
            else if (want < held)
                vgledger_release(pg->l, pg->client, i, k, held - want, &got,
                                 why, sizeof why);
        }
        if (t == LUA_TTABLE)
            lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

void pgpu_apply(struct pgpu *pg, struct model *m, int failed)
{
    if (!pg || pg->ref_outs <= 0 || failed)
        return;
    lua_State *L = pg->L;
    const struct vgpu_view *w = vgpu_view(pg->g);
    lua_rawgeti(L, LUA_REGISTRYINDEX, pg->ref_outs);
    lua_pushliteral(L, "gpu");
    if (lua_rawget(L, -2) != LUA_TTABLE) {
        lua_pop(L, 2);
        return;
    }
    /* which of shares, rules, reserve say anything (most ticks: none) */
    static const char *const sub[3] = {"shares", "rules", "reserve"};
    for (int k = 0; k < 3; k++) {
        int t = lua_getfield(L, -1, sub[k]);
        if (t != LUA_TTABLE) {
            pg->out_used |= 1u << k;
        } else {
            lua_pushnil(L);
            if (lua_next(L, -2) != 0) {
                lua_pop(L, 2);
                pg->out_used |= 1u << k;
            }
        }
        lua_pop(L, 1);
    }
    /* rules and reservations: also when they were set and now are not
     * (lifted, released) */
    if ((pg->out_used & 2u) || pg->rules_set)
        pgpu_rules(pg);
    pg->rules_set = (pg->out_used & 2u) != 0;
    if ((pg->out_used & 4u) || pgpu_holds(pg))
        pgpu_reserve(pg);
    if (!(pg->out_used & 1u) || w->n == 0 ||
        lua_getfield(L, -1, "shares") != LUA_TTABLE) {
        lua_pop(L, (pg->out_used & 1u) && w->n > 0 ? 3 : 2);
        return;
    }
    for (size_t i = 0; i < w->n; i++) {
        if (lua_getfield(L, -1, w->t[i].name) != LUA_TTABLE) {
            lua_pop(L, 1);
            continue;
        }
        int has_sm, has_mem;
        double sm = pgpu_field(L, "sm", &has_sm);
        double mem = pgpu_field(L, "mem", &has_mem);
        lua_pop(L, 1);
        for (size_t k = 0; k < m->n_gshare; k++) {
            struct model_gshare *s = &m->gshare[k];
            if (s->pid != w->t[i].pid || s->device != w->t[i].device)
                continue;
            s->dec_sm = has_sm ? sm : s->prop_sm;
            s->dec_mem = has_mem ? mem : s->prop_mem;
            s->decided = has_sm || has_mem;
        }
    }
    lua_pop(L, 3);
}
