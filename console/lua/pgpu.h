/*
 * pgpu - the GPU tenants' engine (engines/vgpu.h) as a Lua policy's
 * state.gpu, and its out.gpu (issue 16).
 *
 * state.gpu (read-only; numbers rewritten in place every tick, the
 * tenants' tables rebuilt only when the set of tenants changes):
 *   mode           "predictive", "reactive", "static", "off" or "perfect"
 *   windows, reallocs, phase_changes
 *   tenants        { {name, pid, gpu (device name), perf_kind ("fps",
 *                  "rate", "latency" or "none"), sm, mem, perf, slo,
 *                  violating, pred_sm, pred_mem (NaN: nothing like the
 *                  present signature seen), share_sm, share_mem (the
 *                  engine's proposal; NaN: none yet), power_w, phase,
 *                  signature = {sm, mem, dmem, bw, launch, pcie, enc,
 *                  dec}}, ... }
 *   clients        the book's holdings (the request API's clients, and
 *                  this policy's reservations): { {pid, gpu, compute,
 *                  memory, power}, ... }
 *   available      per GPU {compute, memory, power}: what a request could
 *                  be granted now (the API's getAvailableResources)
 *   held           per GPU {compute, memory, power}: what this policy
 *                  version holds through out.gpu.reserve
 * out.gpu.shares: a table keyed by tenant name, each {sm = x, mem = y}:
 * that tenant's share instead of the proposal (either field alone keeps
 * the proposal's other); the guard still clamps and refuses NaN.  A name
 * no tenant has is ignored.
 * out.gpu.rules: the API's admission rules, by type ("compute", "memory",
 * "power"): {max_per_client = x, deny = true}; a request over the cap is
 * granted up to it, a denied type is refused ("refused by policy").  The
 * rules hold while the policy says them: a tick without them lifts them.
 * The API answers between ticks, with the rules of the last tick.
 * out.gpu.reserve: per GPU name {compute = x, memory = y, power = z}:
 * what this policy version holds in the book, as a client of the API
 * would with its request and release calls (granted up to what is
 * available; a type or GPU not named holds 0: released).  The tenants
 * share what is left.  A new version (a reload) starts holding nothing.
 * A failed tick decides nothing and leaves rules and reservations as
 * they were.
 */
#ifndef WATTSON_PGPU_H
#define WATTSON_PGPU_H

#include <lua.h>

struct model;
struct vgpu;
struct pgpu;

/* Builds state.gpu at stack index `state` and out.gpu in `outs` (none
 * when a device is named "gpu"): the handle, or NULL (out of memory). */
struct pgpu *pgpu_new(lua_State *L, int state, int outs, struct vgpu *g,
                      const struct model *m);
void pgpu_free(struct pgpu *pg);
/* Before the tick: state.gpu from the engine, out.gpu emptied. */
void pgpu_update(struct pgpu *pg);
/* After the tick: out.gpu's shares into model.gshare's decisions. */
void pgpu_apply(struct pgpu *pg, struct model *m, int failed);

#endif
