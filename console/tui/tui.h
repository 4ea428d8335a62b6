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

#endif
