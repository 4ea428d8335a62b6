/*
 * engine - what an engine is to the propose stage: a const ops table.
 * It lives here rather than in pipeline/propose.h so that an engine
 * (engines/broker.c, and the engines of later issues) depends on nothing
 * in pipeline/: the stage includes the engines, never the other way.
 */
#ifndef WATTSON_ENGINE_H
#define WATTSON_ENGINE_H

struct model;
struct summary;

struct engine_ops {
    const char *name;
    /* Allocates the engine's state for this model; NULL on failure. */
    void *(*create)(const struct model *m);
    /* Called once per tick; must not allocate. */
    void (*propose)(void *state, struct model *m);
    void (*destroy)(void *state);
    /* Optional: puts the engine's counters into the run's summary (the
     * record stage calls it every tick; must not allocate). */
    void (*summarize)(const void *state, struct summary *s);
};

#endif
