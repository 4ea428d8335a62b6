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
 * out.gpu: a table keyed by tenant name, each a table {sm = x, mem = y}:
 * that tenant's share instead of the proposal (either field alone keeps
 * the proposal's other); the guard still clamps and refuses NaN.  A
 * name no tenant has is ignored.  A failed tick decides nothing.
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
