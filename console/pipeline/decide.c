/*
 * decide - see decide.h.
 */
#include "pipeline/decide.h"

#include <string.h>

#include "core/log.h"
#include "core/model.h"
#include "core/stats.h"
#include "policies/cpolicy.h"

int decide_init(struct decide *d, const struct policy_ops *ops, void *state,
                const struct model *m)
{
    memset(d, 0, sizeof *d);
    d->max_failures = DECIDE_MAX_FAILURES;
    d->fallback = cpolicy_ops.create(m);
    if (!d->fallback)
        return -1;
    if (ops) {
        d->ops = ops;
        d->state = state;
        if (!state && ops->create) {
            d->state = ops->create(m);
            d->own_state = 1;
            if (!d->state) {
                decide_free(d);
                return -1;
            }
        }
    }
    return 0;
}

void decide_resume(struct decide *d)
{
    if (d->in_fallback)
        log_msg(LOG_WARN, "policy %s decides again", d->ops->name);
    d->in_fallback = 0;
    d->failures = 0;
}

void decide_run(struct decide *d, struct model *m, struct stats *st)
{
    memset(m->decided, 0, m->n_controls);
    if (d->ops && d->in_fallback)
        st->fallback_ticks++;
    if (d->ops && !d->in_fallback) {
        int rc = d->ops->decide(d->state, m, st);
        d->failures = rc == 0 ? 0 : d->failures + 1;
        if (d->failures >= d->max_failures) {
            d->in_fallback = 1;
            log_msg(LOG_WARN,
                    "policy %s failed %u ticks in a row: the built-in safe "
                    "policy decides until a reload succeeds",
                    d->ops->name, d->failures);
        }
        if (rc >= 0)
            return;
        st->policy_errors++;
        st->fallback_ticks++;
        memset(m->decided, 0, m->n_controls);
    }
    cpolicy_ops.decide(d->fallback, m, st);
}

void decide_free(struct decide *d)
{
    if (d->ops && d->ops->destroy && d->state && d->own_state)
        d->ops->destroy(d->state);
    if (d->fallback)
        cpolicy_ops.destroy(d->fallback);
    memset(d, 0, sizeof *d);
}
