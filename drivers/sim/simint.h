/*
 * simint - the sim plugin's state, which sim.c (the lab's devices and the
 * plugin ops), chain.c (the chains of processes laid over the devices) and
 * gtenant.c (the tenants sharing the GPUs) share: struct sim, its devices,
 * chains and tenants.  Internal to the plugin (built with hidden
 * visibility): nothing here is ABI.
 */
#ifndef WATTSON_SIM_SIMINT_H
#define WATTSON_SIM_SIMINT_H

#include <wattson/plugin.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pu.h"
#include "simcfg.h"
#include "workload.h"

struct chain;
struct gten;

struct sim_dev {
    char name[SIM_NAME_MAX];
    const char *kind; /* an entry of sim_kinds: outlives the config */
    double priority;
    struct pu pu;
    struct wl wl;
    int chain, stage; /* the chain stage this device is, or -1 */
    /* Own demand drawn ahead: pend_d over [pend_t0, pend_t1] (ns since
     * the origin); see "Looking ahead". */
    int have_pend;
    uint64_t pend_t0, pend_t1;
    double pend_d;
    double demand_next; /* op/s */
    /* Messages delivered from outside (ABI 1.3 ipc_deliver): the work a
     * DATA or REQUEST byte brings (op/B, 0: none), and the work delivered
     * since the last step, which arrives at the next one's start. */
    double ipc_ops_per_byte;
    double ipc_in; /* op */
    /* Signals: this device's are values[sig0 .. sig0 + nsig) (a GPU has
     * mem_total and mem_used after the common ones). */
    size_t sig0, nsig;
    /* GPU tenants (gtenant.c): how many run here, their load of the last
     * interval as a demand (a fraction of the maximum throughput) and the
     * memory they hold; per-interval sums gtenant.c keeps here. */
    size_t n_tenants;
    double gload, mem_used, want_sum, enc_sum;
    /* P-state table of the inventory (3 KiB at PU_MAX_PSTATES 128;
     * written at init, read by the console's model once) */
    double ps_freq[PU_MAX_PSTATES], ps_busy[PU_MAX_PSTATES],
        ps_idle[PU_MAX_PSTATES];
};

struct sim {
    const struct wattson_host *host;
    size_t n;
    struct sim_dev *devs;
    size_t n_sig; /* signals of all devices */
    struct wattson_device_desc *ddesc;
    struct wattson_signal_desc *sdesc;
    struct wattson_control_desc *cdesc;
    struct wattson_pstate_table *ptab;
    int started;       /* a first read happened: origin is set */
    int have_interval; /* at least one interval has been simulated */
    uint64_t origin_ns, last_ns;

    size_t n_chains;
    struct chain *chains; /* chain.c's */
    struct wattson_proc_desc *procs;
    size_t n_procs;
    /* IPC event log: a ring, oldest at ev_head */
    struct wattson_ipc_event *ev;
    size_t ev_cap, ev_head, ev_count;
    uint64_t ev_dropped;

    size_t n_gten;
    struct gten *gten; /* gtenant.c's */
    int gten_have;     /* the tenants' records hold an interval */
};

/* The device named by the string at `path` (a pipeline stage's or a
 * tenant's `device`): its name, its index in *i; NULL with err when the
 * string is missing or names no device. */
static inline const char *sim_dev_read(const struct sim *s, const char *path,
                                       size_t *i, char *err, size_t errlen)
{
    int absent;
    const char *dev = simcfg_str(s->host, path, 1, &absent, err, errlen);

    if (!dev)
        return NULL;
    for (*i = 0; *i < s->n; (*i)++)
        if (strcmp(s->devs[*i].name, dev) == 0)
            return dev;
    simcfg_err(err, errlen, "%s: unknown device '%s'", path, dev);
    return NULL;
}

#endif
