/*
 * pmesh - the converter mesh's agents (engines/qmesh.h) as a Lua
 * policy's state.mesh: one table per agent, in node order, built with
 * each policy version and rewritten in place every tick (numbers into
 * fields that already exist: no allocation).  The fields are documented
 * in lua-policies/README.md.
 */
#ifndef WATTSON_PMESH_H
#define WATTSON_PMESH_H

#include <lua.h>

struct meshag;
struct model;
struct qmesh;

/* Builds state.mesh in the table at stack index `state` for agents q
 * (NULL or none: nothing) and returns its registry reference, or 0. */
int pmesh_build(lua_State *L, int state, const struct qmesh *q);
/* Rewrites the tables of reference ref (0: nothing) from q. */
void pmesh_update(lua_State *L, int ref, const struct qmesh *q);

/* out.mesh: what a policy asks of the agents this tick, one proxy per
 * agent whose assignments are validated there and then (a bad one is
 * handed to `reject` with the agent, the field and why, as for out's
 * controls), kept until the tick's end and then applied
 * (pmesh_out_apply).  Fields: epsilon (0..1), freeze (boolean), vmin,
 * vmax (V, inside the module's range), action (-2..2 duty steps: this
 * tick's instead of the agent's own). */
typedef void (*pmesh_reject_fn)(void *ctx, lua_State *L, const char *agent,
                                const char *field, const char *why);
struct pmesh_out;
/* Builds out.mesh in the table at stack index `outs` for the agents of g
 * (none, or a device named "mesh": nothing, NULL). */
struct pmesh_out *pmesh_out_new(lua_State *L, int outs, struct meshag *g,
                                pmesh_reject_fn reject, void *ctx);
void pmesh_out_free(struct pmesh_out *po);
/* Before a tick: nothing asked. */
void pmesh_out_reset(struct pmesh_out *po);
/* After a tick: hands what was asked to the agents (meshag_steer); a
 * tick that failed (`failed`) asks nothing, so the agents go back to
 * their own ways.  Actions the agents cannot take now (not learning, out
 * of bounds, the policy set the duty itself) are counted, not taken.
 * Returns the number refused. */
unsigned pmesh_out_apply(struct pmesh_out *po, struct model *m, int failed);

#endif
