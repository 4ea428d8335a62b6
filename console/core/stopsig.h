/*
 * stopsig - a flag that says a stop signal (SIGINT, SIGTERM) arrived,
 * readable while the event loop is not dispatching.
 *
 * The loop handles stop signals through libevent, whose callbacks run only
 * between ticks: a policy call stuck in one tick (a loop over C string
 * compares) would hold SIGTERM off until it returns.  stopsig_watch puts a
 * handler in front of the one installed for a signal (libevent's), which
 * sets the flag and then calls that handler, so the loop still sees the
 * signal; the sandbox's instruction hook reads the flag and ends the call.
 */
#ifndef WATTSON_STOPSIG_H
#define WATTSON_STOPSIG_H

/* Chains the flag-setting handler in front of `signo`'s current handler
 * (a function; SIG_DFL or SIG_IGN are not called, the flag alone is set).
 * Call it after the loop installed its own.  At most 64 signals; returns 0
 * or -1.  Watching a signal again re-chains in front of its current
 * handler unless that is already this one. */
int stopsig_watch(int signo);
/* The last stop signal that arrived since stopsig_clear, or 0.  Safe to
 * call from anywhere, including a Lua hook. */
int stopsig_pending(void);
/* Forgets a signal that arrived (a new loop starts without one). */
void stopsig_clear(void);

#endif
