/*
 * tui - the interactive console: a live view of a run (header, panes,
 * keys) on the run's own event loop.
 *
 * The console is a driver of the run object, like run_loop: a 10 ms wall
 * timer is the main-loop step that applies queued keys, runs the ticks
 * due at the current speed and redraws what is dirty (at most 10 Hz).
 * Keyboard and SIGWINCH callbacks only queue work for that step, so no
 * tick and no Lua runs nested inside another callback.
 */
#ifndef WATTSON_TUI_H
#define WATTSON_TUI_H

#include <stddef.h>

struct run;

/* Runs the console on `r` until `q`, SIGINT/SIGTERM or an error.  The
 * terminal is restored (and the log goes back to stderr) before it
 * returns.  The caller then calls run_finish and run_free as after
 * run_loop.  Returns RUN_OK, RUN_INTERRUPTED, or RUN_ERR with `err`. */
int tui_run(struct run *r, char *err, size_t errlen);
/* Call before run_new: the messages logged while the run is set up (the
 * policy's first on_load among them) go to stderr and also reach the Log
 * pane once the console starts. */
void tui_log_early(void);

/* For engines: publish (copy) a Q-table to the Q-values pane, one per
 * agent `name` (a later call with the same name replaces it).  q is
 * row-major rows x cols (states x actions); labels may be NULL.  Up to 8
 * agents, 32 states and 12 actions are kept.  Returns 0, 1 when the table
 * was clipped, -1 on bad arguments or too many agents.  Allocates
 * nothing; callable with or without a console. */
int tui_publish_qtable(const char *name, size_t rows, size_t cols,
                       const double *q, const char *const *row_labels,
                       const char *const *col_labels);
/* For the partitioner: stages of `model_name` in order, the device each
 * runs on and its cost in ms; the costliest is marked the bottleneck.  Up
 * to 16 stages.  Returns 0, 1 when clipped, -1 on bad arguments. */
int tui_publish_partition(const char *model_name, size_t n,
                          const char *const *stages, const char *const *devices,
                          const double *cost_ms);

#endif
