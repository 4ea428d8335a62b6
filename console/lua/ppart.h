/*
 * ppart - the partitioned training pipeline (engines/partrun.h) as a Lua
 * policy's state.partition, and its out.partition (issue 15).
 *
 * state.partition (read-only; numbers rewritten in place every tick, the
 * stage tables rebuilt only when the plan changes):
 *   model          the model's name
 *   bottleneck_ms  the plan's bottleneck at the estimated speeds
 *   measured_ms    the last micro-batch's slowest stage or link, measured
 *   bound_ms       the certified lower bound at nominal speeds
 *   deviation      the last micro-batch's largest |measured/planned - 1|
 *   moves, vetoes, proposals, batches, stall_s
 *   stages         { {device, first, last, layers, compute_ms, link_ms,
 *                    measured_ms}, ... } in pipeline order
 *   pending        true when a repartition awaits this tick's word
 *   proposal       when pending: {bottleneck_ms, gain_ms, cost_ms, reason
 *                  ("speed" or "data"), stages = {...}}; else nil
 * out.partition: a table; `veto = true` keeps the plan when a proposal is
 * pending, `force = true` asks for a repartition now (made at the next
 * tick).  Anything else there is ignored.  A failed tick asks nothing.
 */
#ifndef WATTSON_PPART_H
#define WATTSON_PPART_H

#include <lua.h>

struct partrun;
struct ppart;

/* Builds state.partition in the table at stack index `state` and
 * out.partition in `outs` (none when p is idle, or a device is named
 * "partition"): the handle, or NULL (nothing built, or out of memory). */
struct ppart *ppart_new(lua_State *L, int state, int outs, struct partrun *p);
/* Frees the handle (the Lua state's references go with the state). */
void ppart_free(struct ppart *pp);
/* Before the tick: state.partition from the engine, out.partition's
 * words cleared. */
void ppart_update(struct ppart *pp);
/* After the tick: out.partition's words to the engine (none when the
 * tick failed). */
void ppart_apply(struct ppart *pp, int failed);

#endif
