/*
 * guard - the gate between decisions and drivers.  For every decided
 * control: refuse NaN and infinities (counted as rejected decisions, never
 * applied: the previous target stands), clamp to [min, max] (counted as
 * clamped), snap to the control's step.  Only guard writes model->target,
 * so nothing reaches actuate without passing here.
 */
#ifndef WATTSON_GUARD_H
#define WATTSON_GUARD_H

struct model;
struct stats;

void guard_run(struct model *m, struct stats *st);
/* The GPU shares (model.gshare): the policy's decision or else the
 * engine's proposal, NaN or infinite SM refused (counted), SM clamped to
 * [0, 1] and memory to [0, the GPU's mem_total] (an infinite memory share
 * is the GPU's memory), into tgt_*. */
void guard_gshares(struct model *m, struct stats *st);
/* The value guard would let through for control `c`, or NaN if refused. */
double guard_value(const struct model *m, unsigned c, double v);

#endif
