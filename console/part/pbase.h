/*
 * pbase - the naive baseline the pipeline partitioner (part/ppipe.h) is
 * compared with (issue 15's bench: "the pipeline DP vs libmetis vs a
 * naive equal-layer split vs the bound"): the model's topological order
 * cut into one stage per device, each with as near as possible the same
 * number of layers (the first n mod k stages one more), stage i on
 * device i in the order the devices are given; fewer stages when the
 * model has fewer layers than devices.  It looks at no cost: not the
 * layers' work, not their sizes, not the devices' speeds or memory.
 *
 * What it stands for: uniform splitting by layer count, the rule of
 * DeepSpeed's PipelineModule(partition_method="uniform") (which balances
 * the number of layers per stage and, since its PR #4053, spreads the
 * remainder over the stages as here) and of Megatron-LM's pipeline,
 * which gives each stage num_layers / pipeline size transformer layers.
 * It is the GPipe-style uniform split only in that sense: GPipe itself
 * (Huang et al., NeurIPS 2019) balances the cells' estimated costs, which
 * this does not.
 *
 * The plan is priced by ppipe_eval, the pipeline's own cost model, so
 * the two are comparable; on the same order ppipe_solve's bottleneck is
 * never larger (it is exact for the order) when this plan fits memory.
 */
#ifndef WATTSON_PBASE_H
#define WATTSON_PBASE_H

#include <stddef.h>

#include "part/ppipe.h"

/* The equal-layer split of in->order over in's devices into *plan,
 * evaluated: its times and memory, bottleneck_ms the largest stage or
 * link time (finite even when a stage does not fit its device: *fits
 * says so), bound_ms ppipe's lower bound.  0, or -1 with one line in err
 * (pcost_check's bad input, out of memory). */
int pbase_equal(const struct ppipe_in *in, struct ppipe_plan *plan, int *fits,
                char *err, size_t errlen);

#endif
