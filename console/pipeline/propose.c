/*
 * propose - see propose.h.
 */
#include "pipeline/propose.h"

#include <string.h>

#include "core/model.h"

void propose_init(struct propose *p)
{
    memset(p, 0, sizeof *p);
}

int propose_add(struct propose *p, const struct engine_ops *ops,
                const struct model *m)
{
    if (p->n >= PROPOSE_MAX_ENGINES)
        return -1;
    void *st = ops->create ? ops->create(m) : NULL;
    if (ops->create && !st)
        return -1;
    p->ops[p->n] = ops;
    p->state[p->n] = st;
    p->n++;
    return 0;
}

void propose_run(struct propose *p, struct model *m)
{
    memset(m->proposed, 0, m->n_controls);
    for (size_t i = 0; i < p->n; i++)
        p->ops[i]->propose(p->state[i], m);
}

void propose_summarize(const struct propose *p, struct summary *s)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->ops[i]->summarize)
            p->ops[i]->summarize(p->state[i], s);
}

void propose_free(struct propose *p)
{
    for (size_t i = p->n; i-- > 0;)
        if (p->ops[i]->destroy)
            p->ops[i]->destroy(p->state[i]);
    p->n = 0;
}
