/*
 * ppart - see ppart.h.
 */
#include "lua/ppart.h"

#include <stdlib.h>

#include <lauxlib.h>

#include "engines/partrun.h"
#include "lua/plib.h"
#include "part/mgraph.h"

struct ppart {
    lua_State *L; /* the version's state, as long as the handle */
    struct partrun *p;
    int ref_state; /* state.partition */
    int ref_outs;  /* out, whose "partition" is read each tick: a policy
                      may put a table of its own there */
    unsigned long moves_seen, proposals_seen;
    int built, prop_built;
};

/* The scalar fields of state.partition, set at build so a tick only
 * overwrites them. */
static const char *const ppart_nums[] = {
    "bottleneck_ms", "measured_ms", "bound_ms", "deviation", "moves",
    "vetoes",        "proposals",   "batches",  "stall_s"};

/* plan's stages as a new array on the stack (rare: a new plan). */
static void ppart_stages(lua_State *L, const struct partrun_view *v,
                         const struct ppipe_plan *plan)
{
    lua_createtable(L, (int)plan->nstages, 0);
    for (unsigned k = 0; k < plan->nstages; k++) {
        lua_createtable(L, 0, 7);
        lua_pushstring(L, v->in->dev[plan->dev[k]].name);
        lua_setfield(L, -2, "device");
        lua_pushstring(L, v->g->node[v->order[plan->first[k]]].name);
        lua_setfield(L, -2, "first");
        lua_pushstring(L, v->g->node[v->order[plan->first[k + 1] - 1]].name);
        lua_setfield(L, -2, "last");
        lua_pushinteger(L, (lua_Integer)(plan->first[k + 1] - plan->first[k]));
        lua_setfield(L, -2, "layers");
        lua_pushnumber(L, plan->compute_ms[k]);
        lua_setfield(L, -2, "compute_ms");
        lua_pushnumber(L, plan->comm_ms[k]);
        lua_setfield(L, -2, "link_ms");
        lua_pushnumber(L, 0);
        lua_setfield(L, -2, "measured_ms");
        lua_rawseti(L, -2, (lua_Integer)k + 1);
    }
}

struct ppart *ppart_new(lua_State *L, int state, int outs, struct partrun *p)
{
    const struct partrun_view *v = partrun_view(p);
    if (!v)
        return NULL;
    state = lua_absindex(L, state);
    outs = lua_absindex(L, outs);
    struct ppart *pp = calloc(1, sizeof *pp);
    if (!pp)
        return NULL;
    pp->p = p;
    pp->L = L;
    lua_createtable(L, 0, 16);
    lua_pushstring(L, v->model);
    lua_setfield(L, -2, "model");
    for (size_t k = 0; k < sizeof ppart_nums / sizeof ppart_nums[0]; k++) {
        lua_pushnumber(L, 0);
        lua_setfield(L, -2, ppart_nums[k]);
    }
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "pending");
    lua_pushvalue(L, -1);
    lua_setfield(L, state, "partition");
    pp->ref_state = luaL_ref(L, LUA_REGISTRYINDEX);
    pp->ref_outs = plib_out_table(L, outs, "partition", 2);
    if (pp->ref_outs)
        lua_pop(L, 1);
    ppart_update(pp);
    return pp;
}

void ppart_free(struct ppart *pp)
{
    free(pp); /* its references go with the version's state */
}

void ppart_update(struct ppart *pp)
{
    if (!pp)
        return;
    lua_State *L = pp->L;
    const struct partrun_view *v = partrun_view(pp->p);
    const struct padapt *a = v->ad;
    lua_rawgeti(L, LUA_REGISTRYINDEX, pp->ref_state);
    const int t = lua_gettop(L);
    const double nums[] = {a->pred.bottleneck_ms,
                           v->measured_bottleneck_ms,
                           a->cur.bound_ms,
                           a->deviation,
                           (double)a->moves,
                           (double)a->vetoes,
                           (double)a->proposals,
                           v->batches,
                           v->stall_s};
    for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
        lua_pushnumber(L, nums[k]);
        lua_setfield(L, t, ppart_nums[k]);
    }
    if (!pp->built || a->moves != pp->moves_seen) {
        ppart_stages(L, v, &a->cur);
        lua_setfield(L, t, "stages");
        pp->moves_seen = a->moves;
        pp->built = 1;
    }
    /* the stages' times now (numbers into fields that exist) */
    lua_getfield(L, t, "stages");
    for (unsigned k = 0; k < a->cur.nstages; k++) {
        lua_rawgeti(L, -1, (lua_Integer)k + 1);
        lua_pushnumber(L, a->pred.compute_ms[k]);
        lua_setfield(L, -2, "compute_ms");
        lua_pushnumber(L, a->pred.comm_ms[k]);
        lua_setfield(L, -2, "link_ms");
        lua_pushnumber(L, v->measured_ms[k]);
        lua_setfield(L, -2, "measured_ms");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_pushboolean(L, v->pending);
    lua_setfield(L, t, "pending");
    if (v->pending && (!pp->prop_built || a->proposals != pp->proposals_seen)) {
        lua_createtable(L, 0, 4);
        lua_pushnumber(L, a->prop.bottleneck_ms);
        lua_setfield(L, -2, "bottleneck_ms");
        lua_pushnumber(L, a->gain_ms);
        lua_setfield(L, -2, "gain_ms");
        lua_pushnumber(L, a->cost_ms);
        lua_setfield(L, -2, "cost_ms");
        /* why: a device's speed changed, or the data is about to */
        lua_pushstring(L, v->pending_data ? "data" : "speed");
        lua_setfield(L, -2, "reason");
        ppart_stages(L, v, &a->prop);
        lua_setfield(L, -2, "stages");
        lua_setfield(L, t, "proposal");
        pp->prop_built = 1;
        pp->proposals_seen = a->proposals;
    } else if (!v->pending && pp->prop_built) {
        lua_pushnil(L);
        lua_setfield(L, t, "proposal");
        pp->prop_built = 0;
    }
    lua_pop(L, 1);
    if (pp->ref_outs > 0) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, pp->ref_outs);
        lua_pushliteral(L, "partition");
        if (lua_rawget(L, -2) == LUA_TTABLE) {
            lua_pushnil(L);
            lua_setfield(L, -2, "veto");
            lua_pushnil(L);
            lua_setfield(L, -2, "force");
        }
        lua_pop(L, 2);
    }
}

void ppart_apply(struct ppart *pp, int failed)
{
    if (!pp || pp->ref_outs <= 0)
        return;
    lua_State *L = pp->L;
    int veto = 0, force = 0;
    if (!failed) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, pp->ref_outs);
        lua_pushliteral(L, "partition");
        if (lua_rawget(L, -2) == LUA_TTABLE) {
            lua_getfield(L, -1, "veto");
            veto = lua_toboolean(L, -1);
            lua_getfield(L, -2, "force");
            force = lua_toboolean(L, -1);
            lua_pop(L, 2);
        }
        lua_pop(L, 2);
    }
    partrun_steer(pp->p, veto, force);
}
