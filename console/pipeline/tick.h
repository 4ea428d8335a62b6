/*
 * tick - one control tick, as data: the table of stages every tick walks
 * in order.  Read tick.c's `tick_stages[]` to see what a tick does.
 *
 *   sample -> features -> forecast -> propose -> decide -> override
 *          -> guard -> actuate -> record
 *
 * Each stage is its own module in pipeline/ (override between decide and
 * guard holds the console's manual decisions); struct tick holds the
 * pointers a stage may touch, set up once by the runner (run/), so
 * walking the table allocates nothing.  The same loop runs timed (bench:
 * per-stage nanoseconds) or not.
 *
 * The summary's counters come from the stages' own: the record stage
 * takes the shared struct stats, the model's IPC drop count and each
 * engine's counters (engine_ops.summarize) into the summary before it
 * accumulates the tick's totals.
 */
#ifndef WATTSON_TICK_H
#define WATTSON_TICK_H

#include <stdint.h>

struct model;
struct stats;
struct summary;
struct forecast;
struct engines;
struct decide;
struct override;
struct actuate;
struct record;
struct tracefile;
struct ipcin;

struct tick {
    struct model *m;
    struct stats *st;
    struct summary *sum;
    struct forecast *fc;
    struct engines *eng;
    struct decide *dec;
    struct override *ovr;
    struct actuate *act;
    struct record *rec;
    struct ipcin *ipcin; /* events from outside the drivers, or NULL */
    uint64_t next;       /* the tick number being run */
    double t_now;        /* its time, s */
};

struct tick_stage {
    const char *name;
    void (*run)(struct tick *t);
};

enum { TICK_N_STAGES = 9 };
extern const struct tick_stage tick_stages[TICK_N_STAGES];

/* Runs every stage of tick `next` at time `t_now` (s).  `stage_ns`, when
 * not NULL, has TICK_N_STAGES slots and gets each stage's wall time
 * added. */
void tick_run(struct tick *t, uint64_t next, double t_now, uint64_t *stage_ns);

#endif
