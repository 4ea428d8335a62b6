/*
 * simint - what the two halves of the sim plugin share: sim.c (the lab's
 * devices and the plugin ops) and pipeline.c (the pipeline workload).  It
 * holds the plugin state (struct sim, its devices and pipelines) and the
 * configuration helpers both files read the lab entry with.  Internal to
 * the plugin (built with hidden visibility): nothing here is ABI.
 */
#ifndef WATTSON_SIM_SIMINT_H
#define WATTSON_SIM_SIMINT_H

#include <wattson/plugin.h>

#include <stddef.h>
#include <stdint.h>

#include "pu.h"
#include "workload.h"

#define SIM_NAME_MAX 64
#define SIM_PATH_MAX 128
#define SIM_MAX_STAGES 16

struct sim_dev {
    char name[SIM_NAME_MAX];
    const char *kind; /* an entry of sim_kinds: outlives the config */
    double priority;
    struct pu pu;
    struct wl wl;
    int pipe, stage; /* the pipeline stage this device is, or -1 */
    /* Own demand drawn ahead: pend_d over [pend_t0, pend_t1] (ns since
     * the origin); see "Looking ahead". */
    int have_pend;
    uint64_t pend_t0, pend_t1;
    double pend_d;
    double demand_next; /* op/s */
    /* P-state table of the inventory */
    double ps_freq[PU_MAX_PSTATES], ps_busy[PU_MAX_PSTATES],
        ps_idle[PU_MAX_PSTATES];
};

/* Work that will arrive at a stage at t_ns (the host clock). */
struct sim_flight {
    uint64_t t_ns;
    double ops;
};

/* What travels towards one stage, oldest first. */
struct sim_hop {
    struct sim_flight *ring;
    size_t head, count;
    double byte_frac; /* the fraction of a byte not yet sent */
    uint64_t merged;  /* entries merged because the ring was full */
};

struct sim_stage {
    size_t dev;
    uint32_t pid;
    double ratio; /* op here per op served at the previous stage */
    char name[SIM_NAME_MAX];
    struct sim_hop in;
};

struct sim_pipe {
    char name[SIM_NAME_MAX];
    uint32_t pid; /* the client */
    struct wl src;
    double lag_s, bytes_per_op;
    uint64_t lag_ns;
    size_t n_stages;
    struct sim_stage st[SIM_MAX_STAGES];
    int src_begun;
    uint64_t src_gen_ns; /* the source is drawn up to here (since origin) */
};

struct sim {
    const struct wattson_host *host;
    size_t n;
    struct sim_dev *devs;
    struct wattson_device_desc *ddesc;
    struct wattson_signal_desc *sdesc;
    struct wattson_control_desc *cdesc;
    struct wattson_pstate_table *ptab;
    int started;       /* a first read happened: origin is set */
    int have_interval; /* at least one interval has been simulated */
    uint64_t origin_ns, last_ns;

    size_t n_pipes;
    struct sim_pipe *pipes;
    struct wattson_proc_desc *procs;
    size_t n_procs;
    /* IPC event log: a ring, oldest at ev_head */
    struct wattson_ipc_event *ev;
    size_t ev_cap, ev_head, ev_count;
    uint64_t ev_dropped;
};

/* ---- configuration helpers (sim.c) ------------------------------------ */

/* The name of a WATTSON_CFG_* type, for messages. */
const char *sim_type_name(int type);

/* snprintf for config paths: they are short by construction (device
 * index + known keys), and a truncated one only fails its lookup. */
void sim_fmt(char *buf, size_t len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* An error message into err (one line: newlines become spaces). */
void sim_err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Optional number at `path`: 0 and *out = def when absent, -1 (with err)
 * when it has another type, is not finite, or is outside [lo, hi]
 * (lo exclusive when lo_open). */
int sim_num(const struct wattson_host *h, const char *path, double def,
            double lo, int lo_open, double hi, double *out, char *err,
            size_t errlen);

/* String at `path`: NULL (err set) when absent and required or when of
 * another type; *absent is set when it is missing and not required. */
const char *sim_str(const struct wattson_host *h, const char *path,
                    int required, int *absent, char *err, size_t errlen);

/* Refuses any key of the table at `path` not in `allowed`. */
int sim_check_keys(const struct wattson_host *h, const char *path,
                   const char *const *allowed, char *err, size_t errlen);

/* 0 when `path` is a table, else -1 with err. */
int sim_expect_table(const struct wattson_host *h, const char *path, char *err,
                     size_t errlen);

/* The workload table at `wpath` (a device's `workload`, a pipeline's
 * `source`).  Absent: an idle unit, or an error when `required`. */
int sim_read_workload(const struct sim *s, const char *wpath, int required,
                      struct wl *w, char *err, size_t errlen);

/* ---- pipelines (pipeline.c) ------------------------------------------- */

/* The optional `pipelines` array of the lab entry, then the process table
 * and the IPC event log sized for it.  Run after the devices are read;
 * on error sim_free releases what was set up. */
int simpipe_read_all(struct sim *s, char *err, size_t errlen);

/* Sends the messages of the interval that ended at host time `now`
 * (dt_ns long): the clients' new work and each stage's served work. */
void simpipe_send_all(struct sim *s, uint64_t now, uint64_t dt_ns);

/* Removes and sums the work arriving at a stage before `end` (host ns). */
double simpipe_hop_take(struct sim_hop *hop, uint64_t end);

/* Sums, without removing, the work arriving before `end`. */
double simpipe_hop_peek(const struct sim_hop *hop, uint64_t end);

#endif
