/*
 * meshag - the converter mesh's agents as an engine of a run (issue 14):
 * when the lab has a `mesh` driver (drivers/mesh/meshdrv.c), one
 * Q-learning agent per converter node (qmesh.h), fed each tick from the
 * nodes' and ties' signals in the model, proposing each node's `duty`
 * and each tie's `closed`; the policy decides (the built-in policy and
 * Lua policies that leave a control alone take the proposal).  Its panes
 * are the agents' Q-values for the voltage bins of each one's present
 * context (error band, load band, feeding a failed neighbour), the bin it
 * is in marked with '>', titled with the module, epsilon, the last
 * reward and the mean |TD error| (how far from converged).  The agents'
 * Q-tables live across runs in the user's state directory (qtab.h: one
 * file per module identity, here "TYPE-NODE"): saved when a module
 * leaves and at the end of the run, loaded when it comes.  A run without mesh
 * devices gets an idle engine.
 */
#ifndef WATTSON_MESHAG_H
#define WATTSON_MESHAG_H

#include "engines/engines.h"

extern const struct engine_ops meshag_engine_ops;

struct meshag;
struct qmesh;
/* The run's mesh agents, or NULL (no mesh, or not this engine). */
struct meshag *meshag_of(const struct engines *e);
/* Its agents (read-only: the console's views, the policy host). */
const struct qmesh *meshag_agents(const struct meshag *g);

#endif
