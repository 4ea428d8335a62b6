/*
 * engines - see engines.h.
 */
#include "engines/engines.h"

#include <string.h>

void engines_init(struct engines *e)
{
    memset(e, 0, sizeof *e);
}

int engines_add(struct engines *e, const struct engine_ops *ops,
                const struct model *m)
{
    if (e->n >= ENGINES_MAX)
        return -1;
    void *st = ops->create ? ops->create(m) : NULL;
    if (ops->create && !st)
        return -1;
    e->ops[e->n] = ops;
    e->state[e->n] = st;
    e->n++;
    return 0;
}

int engines_add_registered(struct engines *e, const struct model *m)
{
    for (size_t i = 0; engines_registry[i]; i++)
        if (engines_add(e, engines_registry[i], m) != 0) {
            engines_free(e);
            return -1;
        }
    return 0;
}

void engines_propose(struct engines *e, struct model *m)
{
    for (size_t i = 0; i < e->n; i++)
        e->ops[i]->propose(e->state[i], m);
}

void engines_summarize(const struct engines *e, struct summary *s)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->ops[i]->summarize)
            e->ops[i]->summarize(e->state[i], s);
}

int engines_pane(const struct engines *e, size_t i, struct engine_pane *out)
{
    for (size_t k = 0; k < e->n; k++) {
        if (!e->ops[k]->pane)
            continue;
        size_t j = 0;
        while (e->ops[k]->pane(e->state[k], j, out)) {
            if (i == 0)
                return 1;
            i--;
            j++;
        }
    }
    return 0;
}

void *engines_state_of(const struct engines *e, const struct engine_ops *ops)
{
    for (size_t i = 0; i < e->n; i++)
        if (e->ops[i] == ops)
            return e->state[i];
    return NULL;
}

void engines_free(struct engines *e)
{
    for (size_t i = e->n; i-- > 0;)
        if (e->ops[i]->destroy)
            e->ops[i]->destroy(e->state[i]);
    e->n = 0;
}
