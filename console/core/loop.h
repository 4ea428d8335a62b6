/*
 * loop - the one owner of libevent.  Nothing else calls event dispatch.
 *
 * Two ways to drive ticks:
 *  - virtual: as fast as possible; between batches of ticks the loop runs
 *    libevent once without blocking so SIGINT/SIGTERM are still handled
 *    promptly;
 *  - wall: a timer on absolute deadlines start + k*period (never "sleep a
 *    period", which drifts); a tick that overruns its slot skips the
 *    missed deadlines instead of bunching ticks up, and counts them.
 * SIGINT, SIGTERM and SIGHUP stop the loop after the current tick; the caller
 * then restores the controls and writes its outputs.  So does every other
 * signal whose default action would end the process and that a fault of
 * the process itself does not raise: SIGQUIT, SIGUSR1/2, SIGALRM, SIGXCPU,
 * SIGXFSZ, SIGVTALRM, SIGPROF, SIGPOLL, SIGPWR, SIGSTKFLT and the
 * real-time signals (loop_signal says which).
 */
#ifndef WATTSON_LOOP_H
#define WATTSON_LOOP_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct event_base;

/* Returns 0 to go on, non-zero to stop. */
typedef int (*loop_step_fn)(void *arg);

struct loop *loop_new(char *err, size_t errlen);
void loop_free(struct loop *l);
/* Runs until step says stop or a signal arrives; returns 0, or -1 if
 * libevent failed. */
int loop_run(struct loop *l, int wall, uint64_t period_ns, loop_step_fn step,
             void *arg);
int loop_signal(const struct loop *l); /* 0 if none */

/* Other event sources, for modules that must not touch libevent (the
 * policy file watcher, the TUI's keyboard).  Callbacks run between ticks,
 * never inside one.  Each returns a registration id >= 0, or -1 (at most
 * 16 live at once).  A registration lasts until loop_remove(id), which
 * hands its slot back, or loop_free. */
typedef void (*loop_cb)(void *arg);
/* `fd` readable (persistent). */
int loop_add_fd(struct loop *l, int fd, loop_cb cb, void *arg);
/* Every `period_ns` of wall time (persistent). */
int loop_add_timer(struct loop *l, uint64_t period_ns, loop_cb cb, void *arg);
/* A signal is handled by `cb` instead of stopping the loop (SIGHUP for a
 * policy reload).  Replaces the stop handler if `signo` had one. */
int loop_add_signal(struct loop *l, int signo, loop_cb cb, void *arg);
/* Ends registration `id` (from loop_add_*): its callback will not run
 * again, even if its event is pending in this pass.  -1 is ignored. */
void loop_remove(struct loop *l, int id);
/* Live registrations (for tests: a module that frees what it added). */
size_t loop_n_registered(const struct loop *l);
/* Runs pending callbacks without blocking (for tests and for callers that
 * drive ticks themselves). */
int loop_poll(struct loop *l);
uint64_t loop_overruns(const struct loop *l); /* wall: skipped deadlines */
/* The loop's libevent base, for the one module that keeps libevent
 * objects of a kind the loop does not offer (core/ofsess.c: the offload
 * protocol's bufferevents, listener and one-shot timers). */
struct event_base *loop_base(struct loop *l);

#endif
