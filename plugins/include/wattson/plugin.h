/*
 * wattson/plugin.h - the driver plugin ABI.
 *
 * This header is self-contained: a driver includes only this file and the C
 * standard library headers it needs, and never links against the console.
 *
 * A plugin is a shared object that exports one symbol, WATTSON_PLUGIN_ENTRY,
 * a function returning a pointer to a constant `struct wattson_plugin`.  The
 * descriptor starts with the ABI major, minor and its own size, so the host
 * can refuse a plugin built against an incompatible header before touching
 * any other field:
 *
 *   - major must equal the host's major;
 *   - minor must be <= the host's minor (a newer plugin may use fields the
 *     host does not know);
 *   - size must be at least the size of the major-1.0 descriptor.
 *
 * Life cycle, all calls from the host's one thread:
 *
 *   init(host, &state, &inventory, err, errlen)    once per lab driver entry
 *   read(state, values, valid, n)                  once per tick
 *   write(state, idx, values, n)                   only with changed controls
 *   read_controls(state, values, valid, n)         before the first write
 *   ipc_read, gpu_procs_read (1.1, 1.2)            once per tick, after read
 *   ipc_deliver(state, d, n)  (1.3)                once per tick, after read
 *   fini(state)                                    once, also after errors
 *
 * All values are doubles in SI units (W, J, Hz, V, A, degrees Celsius,
 * bytes, fraction 0..1).  A reading carries a validity flag: a value the
 * plugin could not read is marked invalid, never reported as zero.
 *
 * The host guarantees that every value passed to write() is finite and,
 * for what a policy decided, within the control's [min, max].  A restore
 * is the exception: it writes back exactly what read_controls returned,
 * which may lie outside [min, max] (a firmware limit of 0 below a cap's
 * lowest setting).  So a plugin's own check must accept every value its
 * read_controls can return: check what the hardware can hold, not the
 * range offered to policies.
 */
#ifndef WATTSON_PLUGIN_H
#define WATTSON_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WATTSON_ABI_MAJOR 1
#define WATTSON_ABI_MINOR 3

/* The one symbol a plugin exports (type: wattson_plugin_entry_fn). */
#define WATTSON_PLUGIN_ENTRY "wattson_plugin_entry"

/* Return codes of init/read/write/read_controls.  Any negative value the
 * host does not know is a generic error (as WATTSON_ERR), so codes are
 * added without an ABI bump: a 1.1 host treats the newer ones as
 * WATTSON_ERR, and a plugin that never returns them is unchanged.
 *
 * The last three say why a write (or read) failed, so the host can mark
 * the device and carry on with the others; a batch write that fails
 * returns the code of one failing control, and the host then writes the
 * batch's controls one per call to find which fail:
 *
 *   WATTSON_ERR_PERM      permission denied (EACCES, EPERM; NVML
 *                         NO_PERMISSION): the host stops writing the device
 *   WATTSON_ERR_GONE      the device vanished (ENOENT, ENODEV, ENXIO; NVML
 *                         GPU_IS_LOST): the host stops writing the device
 *   WATTSON_ERR_REJECTED  the kernel or driver refused this value (EINVAL,
 *                         ERANGE, EOPNOTSUPP on write; NVML
 *                         INVALID_ARGUMENT): the host stops writing that
 *                         value, and may try a different one */
enum wattson_status {
    WATTSON_OK = 0,
    WATTSON_ERR = -1,             /* I/O or device failure */
    WATTSON_ERR_CONFIG = -2,      /* bad configuration (a lab file error) */
    WATTSON_ERR_UNSUPPORTED = -3, /* no such hardware here */
    WATTSON_ERR_PERM = -4,        /* permission denied */
    WATTSON_ERR_GONE = -5,        /* the device vanished */
    WATTSON_ERR_REJECTED = -6,    /* the value was refused */
};

/* How a signal's value evolves; the host derives rates from counters. */
enum wattson_behaviour {
    WATTSON_CONSTANT = 0, /* fixed for the plugin's lifetime (a TDP) */
    WATTSON_COUNTER = 1,  /* monotone, may wrap at `wrap` (energy) */
    WATTSON_GAUGE = 2,    /* instantaneous value (temperature) */
};

enum wattson_log_level {
    WATTSON_LOG_ERROR = 0,
    WATTSON_LOG_WARN = 1,
    WATTSON_LOG_INFO = 2,
    WATTSON_LOG_DEBUG = 3,
};

/* Types a configuration lookup can answer. */
enum wattson_cfg_type {
    WATTSON_CFG_NONE = 0, /* no such key */
    WATTSON_CFG_NUMBER = 1,
    WATTSON_CFG_STRING = 2,
    WATTSON_CFG_BOOL = 3,
    WATTSON_CFG_TABLE = 4,
};

/* The word for a configuration type in messages ("expected a number, got
 * string"): "number", "string", "boolean" or "table"; `none` for
 * WATTSON_CFG_NONE and anything else.  The host and the drivers name types
 * with this one function; it is inline so that a driver still links
 * against nothing.  `none` is the caller's because the words differ by
 * audience: the lab reader says "nil" (the Lua word), the sim "nothing". */
static inline const char *wattson_cfg_type_name(int type, const char *none)
{
    switch (type) {
    case WATTSON_CFG_NUMBER:
        return "number";
    case WATTSON_CFG_STRING:
        return "string";
    case WATTSON_CFG_BOOL:
        return "boolean";
    case WATTSON_CFG_TABLE:
        return "table";
    default:
        return none;
    }
}

/* Plugin flags. */
#define WATTSON_PLUGIN_SIMULATED 0x1u /* no real hardware: virtual clock ok */

/*
 * Functions the host hands to a plugin at init.  `ctx` is opaque and must be
 * passed back.  Configuration paths are relative to the plugin's own entry
 * in the lab file and use dots, with 1-based array indices as in Lua:
 * "devices.2.workload.kind".  Strings returned by cfg_string stay valid
 * until fini.
 */
struct wattson_host {
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t size;
    void *ctx;
    uint64_t seed;       /* the run's seed: simulations must derive from it */
    const char *lab_dir; /* directory relative paths are resolved against */

    void (*log)(void *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;
    int (*cfg_type)(void *ctx, const char *path);
    int (*cfg_number)(void *ctx, const char *path, double *out);
    const char *(*cfg_string)(void *ctx, const char *path);
    int (*cfg_bool)(void *ctx, const char *path, int *out);
    size_t (*cfg_len)(void *ctx, const char *path); /* array length */
    /* Key `i` (0-based) of the table at `path`, NULL past the end; the
     * order is the order keys appear in the lab file's table. */
    const char *(*cfg_key)(void *ctx, const char *path, size_t i);
    uint64_t (*now_ns)(void *ctx); /* the run's clock, virtual or wall */
};

struct wattson_device_desc {
    const char *name; /* unique within the lab, e.g. "cpu0" */
    const char *kind; /* cpu, gpu, fpga, rail, converter, link, ... */
    int32_t parent;   /* index of the parent device in this plugin, or -1 */
    const uint32_t *links; /* indices of neighbouring devices */
    size_t n_links;
};

struct wattson_signal_desc {
    const char *name; /* see the standard names below */
    uint32_t device;  /* index into the plugin's devices */
    const char *unit; /* SI unit: "W", "J", "Hz", "C", "op", "1" */
    int behaviour;    /* enum wattson_behaviour */
    double wrap;      /* counters: value at which it wraps, 0 = never */
    const char *description;
};

struct wattson_control_desc {
    const char *name;
    uint32_t device;
    const char *unit;
    double min, max;
    double step; /* 0 = continuous */
    const char *description;
};

/* ABI 1.1: a processing unit's discrete P-states and what the part draws
 * at each, from its data sheet or the simulation's own model.  The broker
 * allocates power over these states; without a table it falls back to a
 * model fitted from the unit's measurements. */
struct wattson_pstate_table {
    uint32_t device;       /* index into the plugin's devices */
    size_t n;              /* states, in increasing frequency */
    const double *freq_hz; /* clock of each state */
    const double *busy_w;  /* power fully busy at that clock, at temp_ref_c */
    const double *idle_w;  /* power idle at that clock, at temp_ref_c */
    double temp_ref_c;     /* die temperature the powers hold at */
};

/* ABI 1.1: a process whose messages the plugin reports (see ipc_read), and
 * the device it runs on. */
struct wattson_proc_desc {
    uint32_t pid;
    uint32_t device; /* index into the plugin's devices */
    const char *name;
};

/* ABI 1.1: kinds of inter-process message. */
enum wattson_ipc_type {
    WATTSON_IPC_DATA = 0,    /* a payload the receiver will compute on */
    WATTSON_IPC_REQUEST = 1, /* a request expecting a reply */
    WATTSON_IPC_REPLY = 2,
    WATTSON_IPC_CONTROL = 3, /* no work follows (heartbeat, ack) */
    WATTSON_IPC__N
};

/* ABI 1.1: one inter-process message, stamped when it was sent.  The same
 * record comes from the simulated lab, from the text format
 * docs/ARCHITECTURE.md describes ("t_s src_pid dst_pid bytes type") and,
 * later, from the interception library. */
struct wattson_ipc_event {
    double t; /* s, the run's clock (host now_ns / 1e9) */
    uint32_t src_pid, dst_pid;
    uint64_t bytes;
    uint32_t type; /* enum wattson_ipc_type */
};

/* ABI 1.2: what an application reports of its own performance, so that
 * a profiler can tell whether it meets its service level objective. */
enum wattson_gpu_perf {
    WATTSON_GPU_PERF_NONE = 0,    /* nothing reported (NVML) */
    WATTSON_GPU_PERF_FPS = 1,     /* frames per second, higher is better */
    WATTSON_GPU_PERF_RATE = 2,    /* items (samples, frames) per second */
    WATTSON_GPU_PERF_LATENCY = 3, /* seconds per request, lower is better */
};

#define WATTSON_GPU_NAME_LEN 32

/* ABI 1.2: one process on one GPU over the last interval, as a behavioural
 * profiler sees it (NVML's per-process accounting, or a simulated tenant).
 * A value the source cannot see is NaN, never 0: NVML has no kernel launch
 * rate and no per-process PCIe traffic, and a process reports no
 * performance of its own.  `need_sm` and `need_mem` are ground truth only a
 * simulation knows (what the tenant would use with the GPU to itself); they
 * are NaN from hardware, and only benches read them (to count SLO time and
 * for the perfect-forecast allocator), never the profiler or predictor. */
struct wattson_gpu_proc {
    uint32_t device;                 /* the GPU: index into the devices */
    uint32_t pid;                    /* process (or simulated tenant) id */
    char name[WATTSON_GPU_NAME_LEN]; /* NUL-terminated */
    uint32_t perf_kind;              /* enum wattson_gpu_perf */
    double sm;        /* 1: fraction of the GPU's SM time it used */
    double mem_bytes; /* B: device memory it holds */
    double mem_bw;    /* 1: fraction of memory bandwidth (controller busy) */
    double launches;  /* 1/s: kernel launches (draw calls for a renderer) */
    double pcie_bps;  /* B/s: PCIe traffic, both directions */
    double enc;       /* 1: video encoder busy */
    double dec;       /* 1: video decoder busy */
    double perf;      /* the application's metric, in perf_kind's unit */
    double slo;       /* its target in the same unit, NaN without one */
    double need_sm;   /* simulation only, see above */
    double need_mem;  /* simulation only, B */
};

/* ABI 1.2: what one process may use of a GPU: a compute share (as CUDA
 * MPS's active-thread percentage / 100) and a memory limit.  The host
 * guarantees `sm` in [0, 1] and `mem_bytes` finite and >= 0. */
struct wattson_gpu_share {
    uint32_t device;
    uint32_t pid;
    double sm;
    double mem_bytes;
};

/* ABI 1.3: one message from outside the plugin (a process traced live by
 * the interception library, a replayed IPC file) handed to the plugin that
 * owns the device its destination process runs on.  The host maps
 * ev.dst_pid to a device and gives its plugin-local index; the event is
 * otherwise as it arrived. */
struct wattson_ipc_delivery {
    struct wattson_ipc_event ev;
    uint32_t device; /* plugin-local device index of the destination */
};

/* What a plugin exposes; filled by init, owned by the plugin until fini.
 * The host zeroes it first, so a 1.0 plugin leaves the 1.1 fields empty. */
struct wattson_inventory {
    const struct wattson_device_desc *devices;
    size_t n_devices;
    const struct wattson_signal_desc *signals;
    size_t n_signals;
    const struct wattson_control_desc *controls;
    size_t n_controls;
    /* ABI 1.1 */
    const struct wattson_pstate_table *pstates; /* at most one per device */
    size_t n_pstates;
    const struct wattson_proc_desc *procs;
    size_t n_procs;
};

struct wattson_plugin {
    uint32_t abi_major;
    uint32_t abi_minor;
    uint32_t size; /* sizeof(struct wattson_plugin) as the plugin saw it */
    uint32_t flags;
    const char *name;
    const char *version;
    const char *description;

    /* On failure return a wattson_status, write one line into err, and
     * release everything: the host will not call fini. */
    int (*init)(const struct wattson_host *host, void **state,
                struct wattson_inventory *inv, char *err, size_t errlen);
    void (*fini)(void *state);
    /* Batch read of every signal, in inventory order. */
    int (*read)(void *state, double *values, uint8_t *valid, size_t n);
    /* Batch write: idx[] are control indices.  Optional (NULL: read-only). */
    int (*write)(void *state, const uint32_t *idx, const double *values,
                 size_t n);
    /* Current value of every control, for save/restore.  Required when
     * write is set. */
    int (*read_controls)(void *state, double *values, uint8_t *valid, size_t n);

    /* ABI 1.1, optional: the IPC events sent since the last call, oldest
     * first, at most `max`; events that do not fit stay for the next call.
     * Returns how many were written, or a negative wattson_status.  Called
     * once per tick, after read. */
    int (*ipc_read)(void *state, struct wattson_ipc_event *ev, size_t max);

    /* ABI 1.2, optional: the processes using the plugin's GPUs over the
     * last interval, at most `max`.  Returns how many were written, or a
     * negative wattson_status.  Called once per tick, after read. */
    int (*gpu_procs_read)(void *state, struct wattson_gpu_proc *p, size_t max);
    /* ABI 1.2, optional: apply per-process shares.  Only a plugin that can
     * enforce them has it (the simulated lab); NVML has no per-process
     * knob, so its driver leaves it NULL.  A pid the plugin does not know
     * is skipped.  Returns 0 or a negative wattson_status. */
    int (*gpu_share_write)(void *state, const struct wattson_gpu_share *s,
                           size_t n);

    /* ABI 1.3, optional: messages from outside the plugin (processes
     * traced live, a replayed IPC file) whose destination runs on one of
     * the plugin's devices, so that a simulated device can receive the
     * work a real message carries.  Called by the host once per tick,
     * after read, with that tick's messages (n may be 0).  An out-of-range
     * device, or a device that takes no message work, is skipped; what a
     * message brings and when it arrives is the plugin's model (the sim's:
     * drivers/sim/README.md).  A plugin must not hand delivered events
     * back through its own ipc_read: the host has them already.  Must not
     * allocate (it runs every tick).  Returns 0 or a negative
     * wattson_status. */
    int (*ipc_deliver)(void *state, const struct wattson_ipc_delivery *d,
                       size_t n);
};

typedef const struct wattson_plugin *(*wattson_plugin_entry_fn)(void);

/*
 * Standard signal and control names.  Engines, policies and the summary
 * find processing-unit data by these names; a driver may add others.
 *
 *  signal          unit   behaviour  meaning
 *  util            1      gauge      busy fraction over the last interval
 *  freq            Hz     gauge      mean clock frequency
 *  power           W      gauge      mean power over the last interval
 *  energy          J      counter    energy consumed since start
 *  temp            C      gauge      die temperature
 *  throughput      op/s   gauge      service capacity at the current clock
 *  backlog         op     gauge      work waiting to be served
 *  work_arrived    op     counter    work that has arrived
 *  work_served     op     counter    work that has been served
 *  wait            op*s   counter    sum over served work of its queueing
 *                                    delay (mean latency = wait / served)
 *  deadline_misses 1      counter    arrival batches served after deadline
 *  priority        1      constant   the PU's priority (higher = favoured)
 *  temp_limit      C      constant   throttling temperature
 *  deadline        s      constant   latency target of the PU's work
 *
 *  control         unit   meaning
 *  freq            Hz     frequency target (the P-state at or below it)
 *  power_cap       W      power limit the PU's governor must respect
 */
#define WATTSON_SIG_UTIL "util"
#define WATTSON_SIG_FREQ "freq"
#define WATTSON_SIG_POWER "power"
#define WATTSON_SIG_ENERGY "energy"
#define WATTSON_SIG_TEMP "temp"
#define WATTSON_SIG_THROUGHPUT "throughput"
#define WATTSON_SIG_BACKLOG "backlog"
#define WATTSON_SIG_WORK_ARRIVED "work_arrived"
#define WATTSON_SIG_WORK_SERVED "work_served"
#define WATTSON_SIG_WAIT "wait"
#define WATTSON_SIG_DEADLINE_MISSES "deadline_misses"
#define WATTSON_SIG_PRIORITY "priority"
#define WATTSON_SIG_TEMP_LIMIT "temp_limit"
#define WATTSON_SIG_DEADLINE "deadline"
#define WATTSON_CTL_FREQ "freq"
#define WATTSON_CTL_POWER_CAP "power_cap"

#ifdef __cplusplus
}
#endif

#endif /* WATTSON_PLUGIN_H */
