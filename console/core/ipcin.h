/*
 * ipcin - the IPC events that come from outside the drivers, into the
 * run's model each tick (the sample stage calls ipcin_tick after the
 * drivers' own ipc_read):
 *  - live, from processes running with libwattson-ipc.so, through the
 *    listener (core/ipcsrv.h; `--ipc-socket PATH`, `wattson trace`);
 *  - replayed from a file in the IPC text format (core/ipcfmt.h;
 *    `--ipc-replay FILE`), each event at its own time on the run's clock.
 * Each event's destination is placed on a device (core/ipcmap.h), so the
 * broker counts it for that PU; on request they are written to a file in
 * the IPC text format (`--ipc-out FILE`), which `--ipc-replay` reads
 * back.
 *
 * The written file must be in time order (ipcfmt's readers refuse a time
 * going backwards), but the processes' batches arrive late and
 * interleaved (a library flushes every 64 events or 10 ms).  Events are
 * held 50 ms (IPCIN_HOLD_S, ipcin.c) and written sorted; one older than
 * the last line written still (a batch later than that) is written at
 * that line's time instead, counted in ipc_late.
 *
 * Nothing is allocated after ipcin_new: the replay is read whole there.
 */
#ifndef WATTSON_IPCIN_H
#define WATTSON_IPCIN_H

#include <stddef.h>
#include <stdint.h>

struct ipcin;
struct ipcsrv;
struct labipc;
struct loop;
struct model;
struct plug;
struct summary;

struct ipcin_opts {
    const char *socket;                 /* listen here, or NULL */
    const char *replay;                 /* replay this file, or NULL */
    const char *out;                    /* write the events here, or NULL */
    uint64_t t0_ns;                     /* CLOCK_MONOTONIC at the run's start */
    const char *proc_root, *sysfs_root; /* NULL: "/proc", "/sys" */
};

/* What failed in ipcin_new (the runner makes each its exit code). */
enum ipcin_status {
    IPCIN_OK = 0,
    IPCIN_EINPUT = 1,  /* the replay file, or an ipc_procs device */
    IPCIN_EOUTPUT = 2, /* the output file */
    IPCIN_ESOCKET = 3, /* the listening socket */
};

/* Returns IPCIN_OK with *out NULL when o asks for nothing; else
 * IPCIN_OK, or another enum ipcin_status with one line in err. */
int ipcin_new(struct ipcin **out, const struct ipcin_opts *o,
              const struct labipc *rules, struct loop *loop, struct model *m,
              struct summary *sum, char *err, size_t errlen);
/* Appends the events due by `now` (s, the run's clock) to m->ipc, places
 * their destinations and writes them out.  Allocates nothing. */
void ipcin_tick(struct ipcin *in, struct model *m, double now);
/* Closes and renames the output file.  0, or -1 with one line. */
int ipcin_commit(struct ipcin *in, char *err, size_t errlen);
/* Stops listening; removes an uncommitted output. */
void ipcin_free(struct ipcin *in);
/* The listener, or NULL. */
struct ipcsrv *ipcin_server(struct ipcin *in);

#endif
