/*
 * run_int - what the runner's files (console/run/) share and nobody else
 * sees: the run object itself and the few functions one file calls in
 * another.
 *
 *   run.c        lifecycle: set-up, the tick, the loop, finish, free,
 *                run_main, accessors
 *   runpolicy.c  the Lua policy host's glue: file watch, reload, SIGHUP,
 *                switch (run_policy_*)
 *   controls.c   the console's controls: overrides, budget
 *                (run_override*, run_set_budget)
 *   recording.c  the console's `record start/stop` and reload records in
 *                the traces (run_record_*)
 *   runvgpu.c    --vgpu-socket: the vGPU API's ledger and server
 */
#ifndef WATTSON_RUN_INT_H
#define WATTSON_RUN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/clock.h"
#include "core/model.h"
#include "core/stats.h"
#include "core/summary.h"
#include "core/tracefile.h"
#include "lua/policy.h"
#include "pipeline/actuate.h"
#include "pipeline/decide.h"
#include "pipeline/forecast.h"
#include "pipeline/override.h"
#include "engines/engines.h"
#include "pipeline/record.h"
#include "pipeline/tick.h"
#include "run/rjournal.h"
#include "run/run.h"

struct run {
    struct lab *lab;
    struct plug **plugs;
    struct host_ctx *hosts;
    size_t n_plugs;
    struct clock clock;
    struct model model;
    struct stats stats;
    struct forecast fc;
    struct engines eng;           /* engines/registry.c's, the broker first */
    const struct policy_ops *gov; /* a builtin:NAME baseline, or NULL */
    struct decide dec;
    struct actuate act;
    struct record rec;
    struct summary sum;
    struct tracefile jsonl, csv;
    int out_stdout; /* one of them goes to stdout */
    int have_jsonl, have_csv;
    uint64_t tick_ns;
    uint64_t total_ticks;
    uint64_t wall_start_ns;
    uint64_t progress_ns;
    int progress;
    int finished;
    int lock_fd; /* the machine's writer lock, -1 when not held */
    struct loop *loop;
    struct policy *policy; /* the Lua policy host, or NULL (built-in) */
    struct watch *watch;   /* the policy file's watcher */
    char *policy_path;
    int source_missing; /* reported once per disappearance */
    int reload_asked;   /* the pending reload is r/SIGHUP, not an edit */
    int last_reload;    /* enum policy_load_result of the last try */
    char last_reload_err[256];
    uint64_t *stage_ns;
    struct policy_limits plim; /* for a policy started later (a switch) */
    int sighup_on;
    /* Manual overrides (the console's `set`): the override stage. */
    struct override ovr;
    /* The stages' state, for walking the tick table (pipeline/tick.h). */
    struct tick tk;
    /* `record start`: a trace of the ticks from now on. */
    struct tracefile rtrace;
    int have_rtrace;
    /* The saved-controls journal of a run that writes real hardware. */
    struct rjournal journal;
    /* --vgpu-socket: the ledger and its server (runvgpu.c), or NULL. */
    struct vgledger *vgl;
    struct vgserve *vgs;
    /* --ipc-socket, --ipc-replay, --ipc-out (core/ipcin.h), or NULL. */
    struct ipcin *ipcin;
    /* --metrics (run/metrics.h), or NULL. */
    struct metrics *mx;
};

/* runpolicy.c: the policy file's watch and first version (run_new). */
int run_policy_start(struct run *r, char *err, size_t errlen);
/* recording.c: a reload's record in the traces. */
void run_trace_reload(struct run *r, int ok, const char *error);
/* runvgpu.c: the book of the lab's GPUs, handed to the vGPU engine (none
 * without a GPU), and the request API's server at `path` (each an enum
 * run_exit); its stop (idempotent) removes the socket. */
int run_vgpu_book(struct run *r, char *err, size_t errlen);
int run_vgpu_start(struct run *r, const char *path, char *err, size_t errlen);
void run_vgpu_stop(struct run *r);
/* run.c: the JSONL traces' extra hooks, the engines' metrics
 * (engines/emetric.h). */
struct tracefile_extra run_trace_extra(const struct run *r);
/* controls.c: warns when the budget is below the power caps' minimums. */
void run_warn_budget_below_caps(const struct model *m);

#endif
