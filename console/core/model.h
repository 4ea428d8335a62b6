/*
 * model - the core model every pipeline stage reads and writes: devices,
 * signals and controls gathered from all loaded plugins into flat arrays.
 *
 * Each plugin owns a contiguous range of signals and of controls, so a
 * plugin's batch read lands directly in `val`/`valid` at its base index and
 * no copying or lookup happens per tick.  Standard signals and controls
 * (plugin.h's names) are resolved to indices once, at build time, into
 * each device's `sig[]`/`ctl[]` tables: stages never compare strings per
 * tick.
 *
 * Everything is allocated by model_build; nothing here allocates per tick.
 */
#ifndef WATTSON_MODEL_H
#define WATTSON_MODEL_H

#include <stddef.h>
#include <stdint.h>

struct plug;
struct wattson_ipc_event;

enum model_sig {
    SIG_UTIL,
    SIG_FREQ,
    SIG_POWER,
    SIG_ENERGY,
    SIG_TEMP,
    SIG_THROUGHPUT,
    SIG_BACKLOG,
    SIG_WORK_ARRIVED,
    SIG_WORK_SERVED,
    SIG_WAIT,
    SIG_DEADLINE_MISSES,
    SIG_PRIORITY,
    SIG_TEMP_LIMIT,
    SIG_DEADLINE,
    SIG_DEMAND_NEXT, /* simulation only: true next-tick arrivals (oracle) */
    SIG_LATENCY_P99, /* s, p99 latency of the work served so far */
    SIG__N
};

enum model_ctl { CTL_FREQ, CTL_POWER_CAP, CTL__N };

struct model_device {
    const char *name;
    const char *kind;
    uint32_t plugin;
    int32_t parent;      /* global device index, or -1 */
    int32_t sig[SIG__N]; /* global signal index, -1 if the device has none */
    int32_t ctl[CTL__N]; /* global control index, -1 if none */
    int is_pu;           /* a processing unit: cpu, gpu or fpga */
};

struct model_signal {
    const char *name;
    const char *unit;
    const char *description;
    uint32_t device; /* global device index */
    uint32_t plugin;
    int behaviour; /* enum wattson_behaviour */
    double wrap;
};

struct model_control {
    const char *name;
    const char *unit;
    const char *description;
    uint32_t device;
    uint32_t plugin;
    uint32_t local; /* index within its plugin */
    double min, max, step;
};

/* Why a device is marked (the fault stages set, see model_fault_set). */
enum model_fault {
    FAULT_NONE = 0,
    FAULT_PERM,     /* permission denied (a write, or the driver's read) */
    FAULT_GONE,     /* vanished: the driver said so, or no valid reading
                       for MODEL_GONE_TICKS ticks after having had one */
    FAULT_REJECTED, /* the driver refused a value written */
    FAULT_READ,     /* the driver's batch read failed */
    FAULT__N
};

/* Ticks in a row with no valid reading that make a device vanished. */
#define MODEL_GONE_TICKS 3

/* A device's fault record.  `first*` is kept for the summary even after
 * the device recovers; `current` is what holds now (the console): the
 * most serious fault in force (vanished > permission denied > value
 * rejected > read error). */
struct model_fault_rec {
    uint8_t first;       /* enum model_fault of the first fault, or NONE */
    uint8_t current;     /* the fault in force now, NONE once recovered */
    uint8_t first_ctl;   /* the first fault was a write: what is a control */
    uint8_t logged;      /* bit k: fault k was logged (once per kind) */
    uint8_t perm;        /* a write was denied: no more writes, for good */
    uint8_t gone;        /* vanished: no writes until it reads again */
    uint8_t gone_reads;  /* its readings confirmed it (valid ones recover) */
    uint8_t had_valid;   /* some reading was valid since the start */
    uint8_t cur_ctl;     /* cur_what is a control */
    int32_t first_what;  /* global control or signal index, -1 if none */
    int32_t cur_what;    /* the same for `current` */
    uint64_t first_tick; /* model tick of the first fault */
    uint32_t bad_ticks;  /* ticks in a row without a valid reading */
};

struct model_proc {
    uint32_t pid;
    uint32_t device; /* global device index */
    const char *name;
};

/* Processes a run may add after the drivers' (model_add_proc). */
#define MODEL_PROC_EXTRA 1024

/* IPC events kept per tick (the rest are counted in ipc_dropped). */
#define MODEL_IPC_CAP 4096
/* GPU process records kept per tick (the rest are counted in
 * gproc_dropped), and GPU shares decided per tick. */
#define MODEL_GPROC_CAP 256

/* One process's share of one GPU as the vGPU engine proposes it, the
 * policy may change it (`decided`), and the guard makes it safe to write
 * (`tgt_*`, in [0, 1] and [0, mem_total], which the engine fills from
 * the GPU's `mem_total` signal). */
struct model_gshare {
    uint32_t device; /* global device index of the GPU */
    uint32_t pid;
    double mem_total;         /* the GPU's memory, B (NaN: unknown) */
    double prop_sm, prop_mem; /* the engine's proposal (1, B) */
    double dec_sm, dec_mem;   /* the policy's decision */
    uint8_t decided;
    double tgt_sm, tgt_mem; /* after the guard */
    uint8_t targeted;
};

struct model_plugin {
    struct plug *plug;
    const char *name;
    uint32_t dev_base, n_dev;
    uint32_t sig_base, n_sig;
    uint32_t ctl_base, n_ctl;
    int writable; /* has write() and writes are allowed */
    int simulated;
};

struct model {
    struct model_plugin *plugins;
    size_t n_plugins;
    struct model_device *devices;
    size_t n_devices;
    struct model_signal *signals;
    size_t n_signals;
    struct model_control *controls;
    size_t n_controls;
    uint32_t *pus; /* indices of processing-unit devices */
    size_t n_pus;
    /* Each device's signals and controls, as index lists (CSR): device d
     * owns dsig[dsig_off[d] .. dsig_off[d+1]) and likewise for controls,
     * so per-device loops never scan every signal. */
    uint32_t *dsig_off, *dsig;
    uint32_t *dctl_off, *dctl;

    /* Per-signal state, indexed by global signal index. */
    double *val; /* this tick's sample */
    uint8_t *valid;
    double *prev; /* the last valid sample before this tick */
    uint8_t *prev_valid;
    double *prev_t; /* when `prev` was sampled (model time, s) */
    double *delta;  /* counters: val - prev, wrap handled */
    double *rate;   /* counters: delta / dt; gauges: unset */
    uint8_t *rate_valid;

    /* Per-PU-device forecasts (indexed by device), filled by forecast. */
    double *fc_demand; /* op/s expected `fc_horizon` ticks ahead */
    uint8_t *fc_valid;
    uint32_t fc_horizon;

    /* Per-control state, indexed by global control index. */
    double *proposal; /* engines' proposals (propose stage) */
    uint8_t *proposed;
    double *decision; /* the policy's decision (decide stage) */
    uint8_t *decided;
    double *target; /* guarded values (guard stage) */
    uint8_t *targeted;
    double *applied; /* what the driver holds (actuate stage) */
    uint8_t *applied_known;
    /* A value the driver rejected, per control: not written again (a
     * different value is). */
    double *rejected;
    uint8_t *rejected_known;

    /* Per-device faults (sample and actuate set them), and how many
     * devices have had one. */
    struct model_fault_rec *faults;
    size_t n_faulted;

    /* Per-device P-state tables (ABI 1.1), CSR like dsig: device d's
     * states are ps_*[ps_off[d] .. ps_off[d+1]), in increasing frequency;
     * none when its plugin gave no table. */
    uint32_t *ps_off;
    double *ps_freq, *ps_busy, *ps_idle; /* Hz, W fully busy, W idle */
    double *ps_tref;                     /* per device: reference temp, C */

    /* Processes whose messages plugins report, sorted by pid. */
    struct model_proc *procs; /* sorted by pid */
    size_t n_procs, procs_cap;

    /* This tick's IPC events from every plugin (the sample stage), and
     * the events that did not fit `ipc_cap` since the start. */
    struct wattson_ipc_event *ipc;
    size_t n_ipc, ipc_cap;
    uint64_t ipc_dropped;

    /* ABI 1.2: this tick's GPU processes from every plugin (the sample
     * stage), `device` rewritten to the global device index, and each
     * record's plugin; the records that did not fit since the start. */
    struct wattson_gpu_proc *gproc;
    uint32_t *gproc_plugin;
    size_t n_gproc;
    uint64_t gproc_dropped;
    /* GPU shares of this tick (engines propose; decide, guard and actuate
     * follow): at most MODEL_GPROC_CAP. */
    struct model_gshare *gshare;
    size_t n_gshare;

    double budget_w; /* shared power budget, 0 = none */
    double t;        /* seconds since the run started */
    double dt;       /* seconds since the previous tick */
    uint64_t tick;
};

/* Builds the model from initialised plugins.  Returns 0, or -1 with a
 * message (duplicate device names across plugins, allocation failure). */
int model_build(struct model *m, struct plug **plugs, size_t n_plugs,
                int allow_writes, char *err, size_t errlen);
void model_free(struct model *m);
/* Index of a device / a device's signal or control by name; -1 if none. */
int model_find_device(const struct model *m, const char *name);
int model_find_signal(const struct model *m, uint32_t dev, const char *name);
int model_find_control(const struct model *m, uint32_t dev, const char *name);
/* The value of standard signal `s` of device `d`, and whether it is valid. */
int model_sig(const struct model *m, uint32_t d, enum model_sig s, double *out);
const char *model_sig_name(enum model_sig s);
/* Device d's power this tick, W, from one source: its `power` reading
 * when valid, else its energy counter's rate (a RAPL zone has only the
 * counter).  0 when it has neither (then *w is untouched). */
int model_device_power(const struct model *m, uint32_t d, double *w);
/* Every device's model_device_power summed, W; *any (if given) says
 * whether one had a value.  What the summary, the trace, policies'
 * state.power_w and the console count as the lab's power. */
double model_total_power(const struct model *m, int *any);
/* The lab's mean latency, s: each PU's own (its wait over the work it
 * served), averaged over the PUs that served work; *n (if given) how many
 * did, NAN when none.  Not the pooled sum(wait) / sum(served): operations
 * of different parts do not add up, and a GPU serving a hundred times a
 * core's op count would hide a starving core.  What bench broker's
 * mean_ms and the broker's EDP gradient count as the lab's latency. */
double model_mean_latency(const struct model *m, size_t *n);
/* Device d's P-state (index into its table) running clock f: the highest
 * at or below f, the lowest when all are above; -1 without a table. */
int model_pstate_at(const struct model *m, uint32_t d, double f);
/* Adds a process found at run time (the live IPC map, core/ipcmap.h) on
 * `device` (global index); `name` must outlive the model.  Keeps procs
 * sorted; allocates nothing (MODEL_PROC_EXTRA were reserved).  0, or -1
 * when the pid is known, the device out of range or the room used up. */
int model_add_proc(struct model *m, uint32_t pid, uint32_t device,
                   const char *name);
/* The process with this pid, or NULL (binary search). */
const struct model_proc *model_find_proc(const struct model *m, uint32_t pid);
const char *model_ctl_name(enum model_ctl c);

/* Records fault `kind` on device d at the current tick: `ctl` (0 or 1)
 * says whether `what` is a control or a signal index (-1: none).  The
 * first fault is kept for the summary; `current` becomes the more serious
 * of it and `kind`.  A denied write (PERM with ctl) blocks writes to the
 * device for the run, GONE until it reads again.  Returns 1 the first
 * time the device gets this kind (the caller logs it), else 0.
 * Allocates nothing. */
int model_fault_set(struct model *m, uint32_t d, enum model_fault kind, int ctl,
                    int32_t what);
/* Fault `kind` of device d is over (GONE: it reads again, and writes
 * resume; REJECTED: a value was accepted; READ: a read succeeded); the
 * summary keeps the first fault.  Returns 1 if `current` changed. */
int model_fault_clear(struct model *m, uint32_t d, enum model_fault kind);
/* Whether writes to device d are held back (perm or gone). */
int model_fault_blocked(const struct model *m, uint32_t d);
/* "permission denied", "vanished", "value rejected", "read error". */
const char *model_fault_name(enum model_fault kind);
/* The console's short word: "perm", "gone", "rej", "read". */
const char *model_fault_short(enum model_fault kind);
/* The summary's text of device d's first fault, e.g. "permission denied
 * writing freq"; "" when none.  Returns the length snprintf would. */
int model_fault_describe(const struct model *m, uint32_t d, char *buf,
                         size_t len);
/* Devices whose fault holds now. */
size_t model_faults_current(const struct model *m);

#endif
