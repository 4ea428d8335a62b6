/*
 * meshag - the converter mesh's agents as an engine of a run (issue 14):
 * when the lab has a `mesh` driver (drivers/mesh/meshdrv.c), one
 * Q-learning agent per converter node (qmesh.h), fed each tick from the
 * nodes' and ties' signals in the model, proposing each node's `duty`
 * and each tie's `closed`; the policy decides (the built-in policy and
 * Lua policies that leave a control alone take the proposal), and a Lua
 * policy may steer the agents (meshag_steer, from lua/pmesh.c).  Its
 * panes, one per agent that has had a module (named by its node): the
 * agent's status (module, phase, epsilon, last reward, mean |TD error|:
 * how far from converged), its recent rewards, and its Q-values for the
 * voltage bins of its present context (error band, load band, feeding a
 * failed neighbour), the bin it is in as the present row.  The agents'
 * Q-tables live across runs in the user's state directory (qtab.h: one
 * file per module identity: the lab's module `id`, from the mesh
 * driver's "module" devices; "TYPE-NODE" for a module the lab does not
 * name): saved when a module leaves and at the end of the run, loaded
 * when it comes.  A run without
 * mesh devices gets an idle engine.
 */
#ifndef WATTSON_MESHAG_H
#define WATTSON_MESHAG_H

#include "engines/engines.h"

extern const struct engine_ops meshag_engine_ops;

struct meshag;
struct model;
struct qmesh;
struct qmesh_steer;
/* The run's mesh agents, or NULL (no mesh, or not this engine). */
struct meshag *meshag_of(const struct engines *e);
/* Its agents (read-only: the console's views, the policy host). */
const struct qmesh *meshag_agents(const struct meshag *g);
/* A policy's wishes for agent i after its decision (qmesh_steer: from
 * the agent's next step on) and, with `action`, the action it takes
 * this tick instead of its own (qmesh_force): node i's duty decision
 * becomes that action's, unless the policy decided the duty itself.  0,
 * or -1 when a wish was refused (out of range, not learning). */
int meshag_steer(struct meshag *g, struct model *m, unsigned i,
                 const struct qmesh_steer *s, const int *action);

#endif
