/*
 * engines - what every engine (the predictive broker today; the converter
 * mesh's Q-learning agents, the partitioner and the vGPU allocator next)
 * offers the rest of wattson, and nothing engine-specific.
 *
 * An engine is one folder's module with a const `struct engine_ops` and
 * one line in engines/registry.c.  A run holds its engines in a `struct
 * engines` (engines.c: created from the registry at set-up); the propose
 * stage (pipeline/propose.c) runs them every tick; the record stage
 * asks each for its summary counters; the console draws each engine's
 * panes through `pane` without including any engine's own header.  What
 * other modules read of one engine in particular goes through that
 * engine's typed header (engines/broker.h: `struct broker`), never a
 * `void *`.
 */
#ifndef WATTSON_ENGINES_H
#define WATTSON_ENGINES_H

#include <stddef.h>

struct model;
struct summary;

/* What an engine shows in the console (the pointers stay valid until its
 * next propose). */
enum engine_pane_kind {
    ENGINE_PANE_QTABLE, /* Q-values: rows = states, cols = actions */
    ENGINE_PANE_STAGES, /* a partition: stages, their device and cost */
    ENGINE_PANE_GPUS    /* GPU tenants: use, share, prediction, SLO */
};

struct engine_qtable {
    const char *agent;             /* its name: the console keys on it */
    const char *status;            /* a line of figures; may be NULL */
    size_t rows, cols;             /* rows may be 0 (nothing learned yet) */
    const double *q;               /* rows * cols, row-major */
    const char *const *row_labels; /* may be NULL: s0, s1, ... */
    const char *const *col_labels; /* may be NULL: a0, a1, ... */
    int cur_known;                 /* cur: the row of its present state */
    size_t cur;
    const double *trend; /* its recent rewards, oldest first */
    size_t ntrend;       /* (0: none) */
};

struct engine_stages {
    const char *model_name;
    size_t n;
    const char *const *stage;
    const char *const *device;
    const double *cost_ms;     /* each stage's compute as predicted */
    const double *comm_ms;     /* the link after it (NULL: none known) */
    const double *measured_ms; /* its compute as measured (NULL: none) */
    /* n + 1 entries: stage k holds the model's layers first_layer[k] ..
     * first_layer[k + 1] - 1, from 0 in the model's order (NULL: unknown) */
    const double *first_layer;
    double predicted_bottleneck_ms, measured_bottleneck_ms, bound_ms;
    unsigned long moves; /* repartitions so far */
    int pending;         /* a repartition awaits the policy */
    double stall_s;      /* a migration's time left */
};

/* One GPU tenant as the vGPU engine sees it (fractions of the GPU's SMs,
 * bytes, W; NaN where unknown). */
struct engine_gpu_row {
    const char *name, *gpu;
    double sm, share_sm, pred_sm;
    double mem_b, share_mem;
    double power_w;
    double perf, slo;
    int perf_kind; /* enum wattson_gpu_perf */
    int violating;
};
struct engine_gpus {
    const char *mode;
    size_t n;
    const struct engine_gpu_row *row;
    unsigned long reallocs, phase_changes;
    size_t clients;   /* the request API's connections holding some */
    double client_sm; /* SM share they hold, summed over GPUs */
};
struct engine_pane {
    enum engine_pane_kind kind;
    union {
        struct engine_qtable qtable;
        struct engine_stages stages;
        struct engine_gpus gpus;
    } u;
};

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
    /* Optional: the engine's i-th pane (an engine with several agents has
     * several); 0 past the last.  Must not allocate. */
    int (*pane)(const void *state, size_t i, struct engine_pane *out);
};

/* Every engine a run creates, in the order they propose (the broker
 * first), NULL-terminated: engines/registry.c. */
extern const struct engine_ops *const engines_registry[];

/* A run's engines, in proposing order. */
#define ENGINES_MAX 8
struct engines {
    const struct engine_ops *ops[ENGINES_MAX];
    void *state[ENGINES_MAX];
    size_t n;
};

void engines_init(struct engines *e);
/* Creates one more engine.  Returns 0, or -1 if full or its create
 * failed. */
int engines_add(struct engines *e, const struct engine_ops *ops,
                const struct model *m);
/* Every engine of engines_registry.  Returns 0 or -1 (then none). */
int engines_add_registered(struct engines *e, const struct model *m);
/* Every engine's propose, in order (the propose stage). */
void engines_propose(struct engines *e, struct model *m);
/* Every engine's summarize hook. */
void engines_summarize(const struct engines *e, struct summary *s);
/* The i-th pane over all engines in order (0 past the last). */
int engines_pane(const struct engines *e, size_t i, struct engine_pane *out);
/* The state of the engine whose ops are `ops`, or NULL: for that engine's
 * own typed accessor (broker_of), not for others to cast. */
void *engines_state_of(const struct engines *e, const struct engine_ops *ops);
void engines_free(struct engines *e);

#endif
