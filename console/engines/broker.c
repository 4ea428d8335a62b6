/*
 * broker - see broker.h.  (Skeleton: the allocation lands next.)
 */
#include "broker.h"

#include <stdlib.h>

#include "core/model.h"

struct broker {
    enum broker_source src;
};

static void *broker_create(const struct model *m)
{
    (void)m;
    struct broker *b = calloc(1, sizeof *b);
    if (b)
        b->src = BROKER_IPC;
    return b;
}

static void broker_propose(void *state, struct model *m)
{
    (void)state;
    (void)m;
}

static void broker_destroy(void *state)
{
    free(state);
}

void broker_set_source(void *state, enum broker_source src)
{
    struct broker *b = state;
    b->src = src;
}

const struct engine_ops broker_engine_ops = {
    .name = "broker",
    .create = broker_create,
    .propose = broker_propose,
    .destroy = broker_destroy,
};
