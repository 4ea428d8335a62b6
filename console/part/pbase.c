/*
 * pbase - see pbase.h.
 */
#include "part/pbase.h"

#include "part/pcost.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int pbase_equal(const struct ppipe_in *in, struct ppipe_plan *plan, int *fits,
                char *err, size_t errlen)
{
    memset(plan, 0, sizeof *plan);
    *fits = 0;
    if (pcost_check(in, err, errlen) != 0)
        return -1;
    const size_t n = in->g->n;
    const size_t k = in->ndev < n ? in->ndev : n;
    plan->nstages = (unsigned)k;
    plan->first[0] = 0;
    for (size_t s = 0; s < k; s++) {
        plan->dev[s] = (unsigned)s;
        plan->first[s + 1] = plan->first[s] + n / k + (s < n % k);
    }
    const double b = ppipe_eval(in, plan);
    if (isnan(b)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* ppipe_eval says INFINITY for a stage over its memory: the times
     * are still the plan's */
    *fits = isfinite(b);
    plan->bottleneck_ms = 0;
    for (size_t s = 0; s < k; s++)
        plan->bottleneck_ms = fmax(plan->bottleneck_ms,
                                   fmax(plan->compute_ms[s], plan->comm_ms[s]));
    plan->bound_ms = ppipe_lower_bound(in);
    return 0;
}
