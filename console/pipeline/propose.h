/*
 * propose - the engines' stage.  Each engine (broker, partitioner,
 * Q-learning agents, vGPU allocator: later issues) registers a const ops
 * table and proposes control values into model->proposal; the policy then
 * sees the proposals and decides.  Engines run in registration order and a
 * later engine may overwrite an earlier one's proposal for a control.
 */
#ifndef WATTSON_PROPOSE_H
#define WATTSON_PROPOSE_H

#include <stddef.h>

#include "engines/engine.h"

struct model;
struct summary;

#define PROPOSE_MAX_ENGINES 8

struct propose {
    const struct engine_ops *ops[PROPOSE_MAX_ENGINES];
    void *state[PROPOSE_MAX_ENGINES];
    size_t n;
};

void propose_init(struct propose *p);
/* Returns 0, or -1 if full or the engine's create failed. */
int propose_add(struct propose *p, const struct engine_ops *ops,
                const struct model *m);
void propose_run(struct propose *p, struct model *m);
/* Every engine's summarize hook. */
void propose_summarize(const struct propose *p, struct summary *s);
void propose_free(struct propose *p);

#endif
