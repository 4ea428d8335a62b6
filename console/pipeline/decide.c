/*
 * decide - see decide.h.
 */
#include "pipeline/decide.h"

#include <string.h>

#include "core/model.h"
#include "core/stats.h"
#include "pipeline/cpolicy.h"

int decide_init(struct decide *d, const struct policy_ops *ops,
                const struct model *m)
{
    memset(d, 0, sizeof *d);
    d->fallback = cpolicy_ops.create(m);
    if (!d->fallback)
        return -1;
    if (ops) {
        d->ops = ops;
        d->state = ops->create ? ops->create(m) : NULL;
        if (ops->create && !d->state) {
            decide_free(d);
            return -1;
        }
    }
    return 0;
}

void decide_run(struct decide *d, struct model *m, struct stats *st)
{
    memset(m->decided, 0, m->n_controls);
    if (d->ops) {
        if (d->ops->decide(d->state, m) == 0)
            return;
        st->policy_errors++;
        memset(m->decided, 0, m->n_controls);
    }
    cpolicy_ops.decide(d->fallback, m);
}

void decide_free(struct decide *d)
{
    if (d->ops && d->ops->destroy && d->state)
        d->ops->destroy(d->state);
    if (d->fallback)
        cpolicy_ops.destroy(d->fallback);
    memset(d, 0, sizeof *d);
}
