/*
 * actuate - drivers' batch write of the controls whose target changed, and
 * the save/restore that makes wattson leave hardware as it found it.
 *
 * Before the first write of the run, every writable control of every
 * driver is saved (read_controls).  A driver whose controls cannot be read
 * is never written.  actuate_restore writes the saved values back in
 * reverse order (last driver first, last control first), one control per
 * call so one failure does not stop the rest, and reports each failure.
 * It is safe to call more than once and from the fatal-error path.
 *
 * Defence in depth: even though guard already vetted the targets, actuate
 * refuses any non-finite or out-of-range value rather than pass it on.
 *
 * Device faults: when a driver's batch write fails, its controls are
 * written again one per call to find the failing ones, so one bad device
 * does not hold back the others.  A failure the driver explains
 * (WATTSON_ERR_PERM, _GONE, _REJECTED) marks the control's device in
 * model.faults, with one log line the first time per device and kind;
 * a device that denied a write or vanished gets no more writes, and a
 * rejected value is not written again (a different one is).  A control
 * whose writes keep failing with a plain error is retried after 1, 2, 4,
 * ... ticks, at most every ACTUATE_BACKOFF_MAX, and at once again after a
 * success: a broken device is not written every tick.  Restoring a
 * control whose device vanished is not a restore failure: there is
 * nothing left to restore.
 */
#ifndef WATTSON_ACTUATE_H
#define WATTSON_ACTUATE_H

#include <stddef.h>
#include <stdint.h>

#include "wattson/plugin.h"

struct model;
struct stats;

#define ACTUATE_BACKOFF_MAX 1024 /* ticks between tries, at most */

struct actuate {
    uint32_t *idx; /* scratch: changed controls of one driver */
    double *vals;
    double *saved; /* per global control */
    uint8_t *saved_ok;
    uint8_t *plugin_ok;       /* per driver: saved and writable */
    uint8_t *plugin_restored; /* per driver: its restore is over */
    int32_t *restore_rc;      /* scratch: isolated restore's statuses */
    /* Per control: writes failed in a row with a plain driver error, and
     * the tick before which it is not tried again (back-off). */
    uint32_t *fail_streak;
    uint64_t *retry_tick;
    int saved_done;
    int restored;
    /* Called once, right after the save and before the first write, so
     * the caller can put the saved values somewhere that outlives a
     * killed process.  A non-zero return stops every write of the run:
     * a save that cannot be kept is no licence to change hardware. */
    int (*on_saved)(void *ctx, const struct actuate *a, const struct model *m);
    void *on_saved_ctx;
    int writes_blocked;
    /* GPU shares: what each (device, pid) was last given, and a batch's
     * scratch (MODEL_GPROC_CAP each, allocated at init). */
    struct wattson_gpu_share *gs_last, *gs_batch;
    size_t n_gs_last;
    uint64_t gs_writes;
};

int actuate_init(struct actuate *a, const struct model *m);
void actuate_run(struct actuate *a, struct model *m, struct stats *st);
/* Returns the number of controls that could not be restored. */
size_t actuate_restore(struct actuate *a, struct model *m, struct stats *st);
/* The same for the drivers whose restore is not over (none started, or
 * one crashed in it), each driver's writes in a child process
 * (core/isolate.h), so a driver that crashes, hangs or calls exit() in
 * write costs only its own controls, reported as failures.  For the
 * fatal-signal and exit() paths, where the process is going down. */
size_t actuate_restore_isolated(struct actuate *a, struct model *m,
                                struct stats *st);
void actuate_free(struct actuate *a);

#endif
