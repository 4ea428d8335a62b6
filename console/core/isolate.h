/*
 * isolate - a driver's restore writes in a child process, so that a
 * driver that crashes, hangs or calls exit() in `write` cannot stop the
 * other drivers' controls from going back.
 *
 * The child is a fork of this process: it has the driver's state and
 * file descriptors, so its writes reach the hardware as the parent's
 * would.  It writes one control per call and reports each status through
 * a pipe as soon as it has it, so the parent knows which controls went
 * back before a crash.  Only fork, pipe, poll, read, write, kill and
 * waitpid are used around the driver's own code: callable from the
 * fatal-signal path (best effort, as the restore there always was).
 */
#ifndef WATTSON_ISOLATE_H
#define WATTSON_ISOLATE_H

#include <stddef.h>
#include <stdint.h>

struct wattson_plugin;

/* rc[i] of a control the child never reported (it died first). */
#define ISOLATE_NOT_RUN INT32_MIN
/* The exit status of a child in which the driver called exit(). */
#define ISOLATE_EXIT_CALLED 99
/* How long one driver's child may take before it is killed. */
#define ISOLATE_TIMEOUT_MS 10000

/* Writes vals[i] to the driver's control idx[i], one call each, in
 * order, in a child process; rc[i] gets each write's status, or
 * ISOLATE_NOT_RUN.  Returns 0 when the child reported every control and
 * exited normally; -1 when it crashed, exited early or timed out (and
 * was killed), with why, e.g. "crashed (signal 11)".  When no child can
 * be made (no pipe, no fork) the writes happen in this process, as they
 * would without isolation, and the result is 0. */
int isolate_write(const struct wattson_plugin *desc, void *state,
                  const uint32_t *idx, const double *vals, size_t n,
                  int32_t *rc, int timeout_ms, char *why, size_t whylen);
/* 1 in such a child (so an atexit handler can tell a driver's exit() in
 * the child from one in wattson itself). */
int isolate_in_child(void);

#endif
