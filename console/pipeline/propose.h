/*
 * propose - the engines' stage: every engine of the run (engines/engines.h:
 * the broker today; the partitioner, the mesh's Q-learning agents and the
 * vGPU allocator next) proposes control values into model->proposal, in
 * registration order (a later engine may overwrite an earlier one's
 * proposal for a control); the policy then sees the proposals and decides.
 */
#ifndef WATTSON_PROPOSE_H
#define WATTSON_PROPOSE_H

struct engines;
struct model;

/* Clears last tick's proposals, then runs every engine.  Allocates
 * nothing (engines must not either). */
void propose_run(struct engines *e, struct model *m);

#endif
