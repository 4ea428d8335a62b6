/*
 * sim - the simulated-lab driver plugin.  Each device of the lab entry is a
 * processing unit (pu.c) fed by a workload (workload.c); a read advances
 * every unit from the previous read to the host clock and reports its
 * signals.  Everything is allocated and validated in init, so read and
 * write touch no heap and no strings.  The configuration reference is
 * drivers/sim/README.md.
 *
 * This file holds the plugin itself: the lab's devices (their
 * configuration, inventory and demand) and
 * the read/write/ipc_read/ipc_deliver ops.  Messages the host delivers
 * from outside (ABI 1.3 ipc_deliver: real processes traced live, a
 * replayed IPC file) become work on their destination device through its
 * `ipc_ops_per_byte`, kept in a per-device sum until the next step.  Chains (a
 * lab's `pipelines`), the workload that passes work between processes on the
 * devices, are chain.c's: sim_init reads them with chain_read_all, and
 * sim_advance feeds each stage the work that reached it (chain_hop_take) and
 * sends the interval's messages (chain_send_all).  Both read the lab entry with
 * simcfg.c's helpers and share the state of simint.h; chain.c calls
 * nothing here.  GPU tenants (a lab's `gpu_tenants`) are gtenant.c's, laid
 * over the GPUs the same way: sim_init reads them with gten_read_all,
 * sim_advance steps them first (gten_step_all) and feeds each GPU their
 * load, and the gpu_procs_read / gpu_share_write ops are theirs.  A GPU
 * device has two more signals, mem_total and mem_used, after the common
 * ones, so a device's signals start at its sig0.
 *
 * Looking ahead.  The `demand_next` signal is the true arrival rate of the
 * next interval, so each device's workload is generated one interval
 * early: at the end of the step over [a, b] the demand over [b, b + dt] is
 * drawn (the same calls, in the same order, as drawing it at the next
 * read, so seeds give the runs they always gave).  It is kept as a pending
 * segment [p0, p1] of uniform demand.  When the next interval [b, c] is
 * not the one assumed, the segment is cut (c < p1: the rest stays pending,
 * at the same mean) or completed from the workload (c > p1): work is never
 * lost or invented, only its timing inside the pending segment is
 * flattened.
 */
#include <wattson/plugin.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "gtenant.h"
#include "pu.h"
#include "simcfg.h"
#include "simint.h"
#include "workload.h"

#define SIM_MAX_DEVICES 65536

enum sim_sig {
    SIM_UTIL,
    SIM_FREQ,
    SIM_POWER,
    SIM_ENERGY,
    SIM_TEMP,
    SIM_THROUGHPUT,
    SIM_BACKLOG,
    SIM_WORK_ARRIVED,
    SIM_WORK_SERVED,
    SIM_WAIT,
    SIM_DEADLINE_MISSES,
    SIM_PRIORITY,
    SIM_TEMP_LIMIT,
    SIM_DEADLINE,
    SIM_LATENCY_P99,
    SIM_DEMAND_NEXT,
    SIM_NSIG
};

/* A GPU's signals after the common ones. */
enum sim_gpu_sig { SIM_MEM_TOTAL = SIM_NSIG, SIM_MEM_USED, SIM_NSIG_GPU };

enum sim_ctl { SIM_CTL_FREQ, SIM_CTL_POWER_CAP, SIM_NCTL };

struct sim_sig_info {
    const char *name, *unit;
    int behaviour;
    const char *description;
};

/* Per-device signals, in inventory order. */
static const struct sim_sig_info sim_sigs[SIM_NSIG] = {
    {WATTSON_SIG_UTIL, "1", WATTSON_GAUGE, "busy fraction, last interval"},
    {WATTSON_SIG_FREQ, "Hz", WATTSON_GAUGE, "clock of the last interval"},
    {WATTSON_SIG_POWER, "W", WATTSON_GAUGE, "mean power, last interval"},
    {WATTSON_SIG_ENERGY, "J", WATTSON_COUNTER, "energy since start"},
    {WATTSON_SIG_TEMP, "C", WATTSON_GAUGE, "die temperature"},
    {WATTSON_SIG_THROUGHPUT, "op/s", WATTSON_GAUGE,
     "service capacity at the current clock"},
    {WATTSON_SIG_BACKLOG, "op", WATTSON_GAUGE, "work waiting"},
    {WATTSON_SIG_WORK_ARRIVED, "op", WATTSON_COUNTER, "work arrived"},
    {WATTSON_SIG_WORK_SERVED, "op", WATTSON_COUNTER, "work served"},
    {WATTSON_SIG_WAIT, "op*s", WATTSON_COUNTER,
     "sum of queueing delay over served work"},
    {WATTSON_SIG_DEADLINE_MISSES, "1", WATTSON_COUNTER,
     "arrival batches completed after their deadline"},
    {WATTSON_SIG_PRIORITY, "1", WATTSON_CONSTANT, "priority (higher first)"},
    {WATTSON_SIG_TEMP_LIMIT, "C", WATTSON_CONSTANT, "throttling temperature"},
    {WATTSON_SIG_DEADLINE, "s", WATTSON_CONSTANT, "latency target"},
    /* Not standard names (drivers/sim/README.md). */
    {"latency_p99", "s", WATTSON_GAUGE,
     "99th percentile (op-weighted) of the latency of all work served"},
    {"demand_next", "op/s", WATTSON_GAUGE,
     "true arrival rate over the next tick (an oracle's view)"},
};

/* A GPU's own, named as the nvml driver names them. */
static const struct sim_sig_info sim_gpu_sigs[SIM_NSIG_GPU - SIM_NSIG] = {
    {"mem_total", "B", WATTSON_CONSTANT, "device memory size"},
    {"mem_used", "B", WATTSON_GAUGE, "memory held by the GPU's tenants"},
};

static const char *const sim_kinds[] = {"cpu", "gpu", "fpga", NULL};

/* Keys a device table may have (anything else is a typo). */
static const char *const sim_dev_keys[] = {
    "name",
    "kind",
    "part",
    "priority",
    "deadline_s",
    "temp_limit_c",
    "pstates",
    "c_eff_f",
    "leak_w",
    "leak_coeff",
    "r_th",
    "c_th",
    "ops_per_cycle",
    "power_cap_max_w",
    "power_cap_min_w",
    "idle_activity",
    "mem_total_b",
    "pcie_bps",
    "nvenc",
    "workload",
    "ipc_ops_per_byte",
    NULL,
};

/* Largest ipc_ops_per_byte: orders above the README's examples (zlib -1
 * compression, 52 cycles/B, is 1650 op/B on zen3-core; the largest preset
 * serves 13824 op/cycle), so only a typo or a wrong unit is refused. */
#define SIM_IPC_OPS_PER_BYTE_MAX 1e12

/* Exported: the one symbol the loader looks up. */
const struct wattson_plugin *wattson_plugin_entry(void);

/* ---- device configuration -------------------------------------------- */

static int sim_read_pstates(const struct wattson_host *h, const char *dpath,
                            struct pu_params *p, char *err, size_t errlen)
{
    static const char *const keys[] = {"freq_hz", "volt", NULL};
    char path[SIM_PATH_MAX], sub[SIM_PATH_MAX];
    size_t n;

    simcfg_fmt(path, sizeof path, "%s.pstates", dpath);
    if (h->cfg_type(h->ctx, path) == WATTSON_CFG_NONE)
        return 0;
    if (simcfg_expect_table(h, path, err, errlen))
        return -1;
    n = h->cfg_len(h->ctx, path);
    if (n < 1 || n > PU_MAX_PSTATES) {
        simcfg_err(err, errlen, "%s: need 1 to %d P-states, got %zu", path,
                   PU_MAX_PSTATES, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct pu_pstate *ps = &p->pstates[i];
        char fpath[SIM_PATH_MAX + 16];
        simcfg_fmt(sub, sizeof sub, "%s.%zu", path, i + 1);
        if (simcfg_expect_table(h, sub, err, errlen) ||
            simcfg_check_keys(h, sub, keys, err, errlen))
            return -1;
        simcfg_fmt(fpath, sizeof fpath, "%s.freq_hz", sub);
        if (h->cfg_type(h->ctx, fpath) == WATTSON_CFG_NONE) {
            simcfg_err(err, errlen, "%s: missing", fpath);
            return -1;
        }
        if (simcfg_num(h, fpath, 0, 0, 1, 1e13, &ps->freq_hz, err, errlen))
            return -1;
        simcfg_fmt(fpath, sizeof fpath, "%s.volt", sub);
        if (h->cfg_type(h->ctx, fpath) == WATTSON_CFG_NONE) {
            simcfg_err(err, errlen, "%s: missing", fpath);
            return -1;
        }
        if (simcfg_num(h, fpath, 0, 0, 1, 5.0, &ps->volt, err, errlen))
            return -1;
    }
    p->n_pstates = n;
    return 0;
}

/* Numeric overrides of part parameters: the check of their ranges is
 * pu_params_check's, here only the type. */
static int sim_read_overrides(const struct wattson_host *h, const char *dpath,
                              struct pu_params *p, char *err, size_t errlen)
{
    struct {
        const char *key;
        double *field;
    } ov[] = {
        {"c_eff_f", &p->c_eff_f},
        {"leak_w", &p->leak_w},
        {"leak_coeff", &p->leak_coeff},
        {"r_th", &p->r_th},
        {"c_th", &p->c_th},
        {"ops_per_cycle", &p->ops_per_cycle},
        {"power_cap_max_w", &p->power_cap_max_w},
        {"power_cap_min_w", &p->power_cap_min_w},
        {"idle_activity", &p->idle_activity},
        {"temp_limit_c", &p->temp_limit_c},
        {"deadline_s", &p->deadline_s},
        {"mem_total_b", &p->mem_total_b},
        {"pcie_bps", &p->pcie_bps},
        {"nvenc", &p->nvenc},
    };
    char path[SIM_PATH_MAX];

    for (size_t i = 0; i < sizeof ov / sizeof ov[0]; i++) {
        simcfg_fmt(path, sizeof path, "%s.%s", dpath, ov[i].key);
        if (simcfg_num(h, path, *ov[i].field, -INFINITY, 0, INFINITY,
                       ov[i].field, err, errlen))
            return -1;
    }
    return sim_read_pstates(h, dpath, p, err, errlen);
}

static int sim_read_device(struct sim *s, size_t i, double ambient_c, char *err,
                           size_t errlen)
{
    const struct wattson_host *h = s->host;
    struct sim_dev *d = &s->devs[i];
    char dpath[SIM_PATH_MAX], path[SIM_PATH_MAX + 16], perr[256];
    const char *name, *kind, *pname;
    const struct pu_part *part;
    struct pu_params p;
    int absent;

    simcfg_fmt(dpath, sizeof dpath, "devices.%zu", i + 1);
    if (simcfg_expect_table(h, dpath, err, errlen) ||
        simcfg_check_keys(h, dpath, sim_dev_keys, err, errlen))
        return -1;

    simcfg_fmt(path, sizeof path, "%s.name", dpath);
    if (!(name = simcfg_str(h, path, 1, &absent, err, errlen)))
        return -1;
    if (!name[0] || strlen(name) >= SIM_NAME_MAX) {
        simcfg_err(err, errlen, "%s: must be 1 to %d characters", path,
                   SIM_NAME_MAX - 1);
        return -1;
    }
    for (size_t j = 0; j < i; j++) {
        if (strcmp(s->devs[j].name, name) == 0) {
            simcfg_err(err, errlen,
                       "%s: duplicate device name '%s' (also "
                       "devices.%zu)",
                       path, name, j + 1);
            return -1;
        }
    }
    simcfg_fmt(d->name, sizeof d->name, "%s", name);

    simcfg_fmt(path, sizeof path, "%s.kind", dpath);
    if (!(kind = simcfg_str(h, path, 1, &absent, err, errlen)))
        return -1;
    if (!simcfg_in_list(kind, sim_kinds)) {
        simcfg_err(err, errlen,
                   "%s: unknown device kind '%s' (expected cpu, gpu or fpga)",
                   path, kind);
        return -1;
    }
    for (const char *const *k = sim_kinds; *k; k++)
        if (strcmp(*k, kind) == 0)
            d->kind = *k;

    simcfg_fmt(path, sizeof path, "%s.part", dpath);
    pname = simcfg_str(h, path, 0, &absent, err, errlen);
    if (!pname && !absent)
        return -1;
    if (absent) {
        part = pu_part_default(kind);
    } else if (!(part = pu_part_find(pname))) {
        char known[256];
        size_t used = 0;
        known[0] = '\0';
        for (const struct pu_part *pt = pu_parts; pt->name; pt++) {
            int w = snprintf(known + used, sizeof known - used, "%s%s",
                             pt == pu_parts ? "" : ", ", pt->name);
            if (w < 0 || (size_t)w >= sizeof known - used)
                break;
            used += (size_t)w;
        }
        simcfg_err(err, errlen, "%s: unknown part '%s' (known: %s)", path,
                   pname, known);
        return -1;
    }
    if (strcmp(part->kind, kind) != 0) {
        simcfg_err(err, errlen,
                   "%s: '%s' is a %s part, but the device kind "
                   "is %s",
                   path, part->name, part->kind, kind);
        return -1;
    }

    /* The part's P-state table is generated here; a lab's `pstates`
     * replaces it whole. */
    if (pu_part_params(part, &p)) {
        simcfg_err(err, errlen, "%s: part '%s' has no valid V/f curve", path,
                   part->name);
        return -1;
    }
    if (sim_read_overrides(h, dpath, &p, err, errlen))
        return -1;
    if (pu_params_check(&p, ambient_c, perr, sizeof perr)) {
        simcfg_err(err, errlen, "%s.%s", dpath, perr);
        return -1;
    }
    simcfg_fmt(path, sizeof path, "%s.priority", dpath);
    if (simcfg_num(h, path, 1.0, 0, 0, 1e9, &d->priority, err, errlen))
        return -1;
    simcfg_fmt(path, sizeof path, "%s.ipc_ops_per_byte", dpath);
    if (simcfg_num(h, path, 0.0, 0, 0, SIM_IPC_OPS_PER_BYTE_MAX,
                   &d->ipc_ops_per_byte, err, errlen))
        return -1;

    wl_seed(&d->wl, h->seed, (uint64_t)i);
    simcfg_fmt(path, sizeof path, "%s.workload", dpath);
    if (simcfg_read_workload(h, path, 0, &d->wl, err, errlen))
        return -1;
    wl_start(&d->wl);
    if (pu_init(&d->pu, &p, ambient_c)) {
        simcfg_err(err, errlen, "%s: out of memory", dpath);
        return -1;
    }
    return 0;
}

/* ---- demand drawn one interval ahead ---------------------------------- */

/* Mean demand over [a, b] (ns since the origin), from the pending segment
 * as far as it reaches. */
static double sim_take_demand(struct sim_dev *d, uint64_t a, uint64_t b)
{
    double d1, d2, s1, s2;

    if (!d->have_pend)
        return wl_demand(&d->wl, (double)a * 1e-9, (double)(b - a) * 1e-9);
    if (d->pend_t1 >= b) {
        /* The usual case (pend_t1 == b) uses the segment as drawn. */
        if (d->pend_t1 == b)
            d->have_pend = 0;
        else
            d->pend_t0 = b;
        return d->pend_d;
    }
    /* The interval is longer than assumed: draw the rest now. */
    s1 = (double)(d->pend_t1 - a) * 1e-9;
    s2 = (double)(b - d->pend_t1) * 1e-9;
    d1 = d->pend_d;
    d2 = wl_demand(&d->wl, (double)d->pend_t1 * 1e-9, s2);
    d->have_pend = 0;
    return (d1 * s1 + d2 * s2) / (s1 + s2);
}

/* Draws the demand over [b, b + dt_ns] (what is not pending yet). */
static void sim_draw_ahead(struct sim_dev *d, uint64_t b, uint64_t dt_ns)
{
    uint64_t want = b + dt_ns;

    if (!d->have_pend) {
        d->pend_d = wl_demand(&d->wl, (double)b * 1e-9, (double)dt_ns * 1e-9);
        d->pend_t0 = b;
        d->pend_t1 = want;
        d->have_pend = 1;
    } else if (d->pend_t1 < want) {
        double s1 = (double)(d->pend_t1 - b) * 1e-9;
        double s2 = (double)(want - d->pend_t1) * 1e-9;
        double d2 = wl_demand(&d->wl, (double)d->pend_t1 * 1e-9, s2);
        d->pend_d = (d->pend_d * s1 + d2 * s2) / (s1 + s2);
        d->pend_t1 = want;
    }
}

/* ---- plugin ops -------------------------------------------------------- */

static void sim_free(struct sim *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->devs && i < s->n; i++) {
        pu_fini(&s->devs[i].pu);
        wl_fini(&s->devs[i].wl);
    }
    chain_free(s);
    gten_free(s);
    free(s->devs);
    free(s->ddesc);
    free(s->sdesc);
    free(s->cdesc);
    free(s->ptab);
    free(s);
}

static void sim_fill_inventory(struct sim *s, struct wattson_inventory *inv)
{
    for (size_t i = 0; i < s->n; i++) {
        struct sim_dev *d = &s->devs[i];
        const struct pu *pu = &d->pu;
        struct wattson_device_desc *dd = &s->ddesc[i];
        struct wattson_control_desc *cd = &s->cdesc[i * SIM_NCTL];
        struct wattson_pstate_table *pt = &s->ptab[i];
        double tref = pu_temp_ref(pu);

        dd->name = s->devs[i].name;
        dd->kind = s->devs[i].kind;
        dd->parent = -1;
        dd->links = NULL;
        dd->n_links = 0;
        for (size_t k = 0; k < d->nsig; k++) {
            struct wattson_signal_desc *sd = &s->sdesc[d->sig0 + k];
            const struct sim_sig_info *si =
                k < SIM_NSIG ? &sim_sigs[k] : &sim_gpu_sigs[k - SIM_NSIG];
            sd->name = si->name;
            sd->device = (uint32_t)i;
            sd->unit = si->unit;
            sd->behaviour = si->behaviour;
            sd->wrap = 0;
            sd->description = si->description;
        }
        cd[SIM_CTL_FREQ].name = WATTSON_CTL_FREQ;
        cd[SIM_CTL_FREQ].device = (uint32_t)i;
        cd[SIM_CTL_FREQ].unit = "Hz";
        cd[SIM_CTL_FREQ].min = pu->p.pstates[0].freq_hz;
        cd[SIM_CTL_FREQ].max = pu->p.pstates[pu->p.n_pstates - 1].freq_hz;
        cd[SIM_CTL_FREQ].step = 0;
        cd[SIM_CTL_FREQ].description =
            "frequency target: the highest P-state at or below it";
        cd[SIM_CTL_POWER_CAP].name = WATTSON_CTL_POWER_CAP;
        cd[SIM_CTL_POWER_CAP].device = (uint32_t)i;
        cd[SIM_CTL_POWER_CAP].unit = "W";
        cd[SIM_CTL_POWER_CAP].min = pu->p.power_cap_min_w;
        cd[SIM_CTL_POWER_CAP].max = pu->p.power_cap_max_w;
        cd[SIM_CTL_POWER_CAP].step = 0;
        cd[SIM_CTL_POWER_CAP].description =
            "power limit the unit's governor respects";
        /* What pu_step charges at each P-state, fully busy and idle, with
         * the die at the reference temperature. */
        for (size_t k = 0; k < pu->p.n_pstates; k++) {
            d->ps_freq[k] = pu->p.pstates[k].freq_hz;
            d->ps_busy[k] = pu_power(pu, k, 1.0, tref);
            d->ps_idle[k] = pu_power(pu, k, pu->p.idle_activity, tref);
        }
        pt->device = (uint32_t)i;
        pt->n = pu->p.n_pstates;
        pt->freq_hz = d->ps_freq;
        pt->busy_w = d->ps_busy;
        pt->idle_w = d->ps_idle;
        pt->temp_ref_c = tref;
    }
    inv->devices = s->ddesc;
    inv->n_devices = s->n;
    inv->signals = s->sdesc;
    inv->n_signals = s->n_sig;
    inv->controls = s->cdesc;
    inv->n_controls = s->n * SIM_NCTL;
    inv->pstates = s->ptab;
    inv->n_pstates = s->n;
    inv->procs = s->procs;
    inv->n_procs = s->n_procs;
}

static int sim_init(const struct wattson_host *host, void **state,
                    struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct sim *s;
    double ambient_c;
    size_t n;
    int type;

    *state = NULL;
    if (!host || host->abi_major != WATTSON_ABI_MAJOR || !host->cfg_type ||
        !host->cfg_number || !host->cfg_string || !host->cfg_bool ||
        !host->cfg_len || !host->cfg_key || !host->now_ns) {
        simcfg_err(err, errlen, "sim: incompatible host");
        return WATTSON_ERR;
    }
    if (simcfg_num(host, "ambient_c", 25.0, -50.0, 0, 100.0, &ambient_c, err,
                   errlen))
        return WATTSON_ERR_CONFIG;
    type = host->cfg_type(host->ctx, "devices");
    if (type != WATTSON_CFG_TABLE) {
        simcfg_err(err, errlen, "devices: expected a table of devices, got %s",
                   simcfg_type_name(type));
        return WATTSON_ERR_CONFIG;
    }
    n = host->cfg_len(host->ctx, "devices");
    if (n < 1 || n > SIM_MAX_DEVICES) {
        simcfg_err(err, errlen, "devices: need 1 to %d devices, got %zu",
                   SIM_MAX_DEVICES, n);
        return WATTSON_ERR_CONFIG;
    }

    s = calloc(1, sizeof *s);
    if (!s) {
        simcfg_err(err, errlen, "sim: out of memory");
        return WATTSON_ERR;
    }
    s->host = host;
    s->devs = calloc(n, sizeof *s->devs);
    s->ddesc = calloc(n, sizeof *s->ddesc);
    /* Room for every device being a GPU; n_sig counts the real ones. */
    s->sdesc = calloc(n * SIM_NSIG_GPU, sizeof *s->sdesc);
    s->cdesc = calloc(n * SIM_NCTL, sizeof *s->cdesc);
    s->ptab = calloc(n, sizeof *s->ptab);
    if (!s->devs || !s->ddesc || !s->sdesc || !s->cdesc || !s->ptab) {
        sim_free(s);
        simcfg_err(err, errlen, "sim: out of memory");
        return WATTSON_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        s->n = i + 1; /* sim_free releases what was set up so far */
        s->devs[i].chain = s->devs[i].stage = -1;
        if (sim_read_device(s, i, ambient_c, err, errlen)) {
            sim_free(s);
            return WATTSON_ERR_CONFIG;
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct sim_dev *d = &s->devs[i];
        d->sig0 = s->n_sig;
        d->nsig = strcmp(d->kind, "gpu") == 0 ? SIM_NSIG_GPU : SIM_NSIG;
        s->n_sig += d->nsig;
    }
    if (chain_read_all(s, err, errlen) || gten_read_all(s, err, errlen)) {
        sim_free(s);
        return WATTSON_ERR_CONFIG;
    }
    sim_fill_inventory(s, inv);
    *state = s;
    return WATTSON_OK;
}

static void sim_fini(void *state)
{
    sim_free(state);
}

/* Device d's signals into v and ok (d->nsig of them); `have`: at least
 * one interval has been simulated. */
static void sim_report(const struct sim_dev *d, int have, double *v,
                       uint8_t *ok)
{
    const struct pu *pu = &d->pu;

    v[SIM_UTIL] = have ? pu->util : 0;
    v[SIM_FREQ] = pu_freq(pu);
    v[SIM_POWER] = have ? pu->power_w : 0;
    v[SIM_ENERGY] = pu->energy_j;
    v[SIM_TEMP] = pu->temp_c;
    v[SIM_THROUGHPUT] = pu_throughput(pu);
    v[SIM_BACKLOG] = pu->backlog;
    v[SIM_WORK_ARRIVED] = pu->work_arrived;
    v[SIM_WORK_SERVED] = pu->work_served;
    v[SIM_WAIT] = pu->wait;
    v[SIM_DEADLINE_MISSES] = pu->deadline_misses;
    v[SIM_PRIORITY] = d->priority;
    v[SIM_TEMP_LIMIT] = pu->p.temp_limit_c;
    v[SIM_DEADLINE] = pu->p.deadline_s;
    v[SIM_LATENCY_P99] = pu->latency_p99;
    v[SIM_DEMAND_NEXT] = have ? d->demand_next : NAN;
    memset(ok, 1, SIM_NSIG);
    /* Before any interval there is no util or power: missing is not
     * zero.  Likewise a percentile before any work was served, and the
     * next tick's demand before the tick length is known. */
    ok[SIM_UTIL] = (uint8_t)have;
    ok[SIM_POWER] = (uint8_t)have;
    ok[SIM_LATENCY_P99] = (uint8_t)!isnan(pu->latency_p99);
    /* A GPU with tenants: its next tick's load depends on shares not
     * written yet, so there is no oracle's view of it. */
    ok[SIM_DEMAND_NEXT] = (uint8_t)(have && d->n_tenants == 0);
    if (d->nsig == SIM_NSIG_GPU) {
        v[SIM_MEM_TOTAL] = pu->p.mem_total_b;
        v[SIM_MEM_USED] = d->mem_used;
        ok[SIM_MEM_TOTAL] = ok[SIM_MEM_USED] = 1;
    }
}

/* Advances every device over [a, b] (ns since the origin; host time `now`)
 * and reports it.  One pass, so that a device's state is brought into the
 * cache once per read: a device's workload is its own (its own generator),
 * so drawing it ahead right after its step gives the numbers that drawing
 * it after every step would.  Only a stage's demand_next depends on other
 * devices, through the work sent to it, and is completed after the sends. */
static void sim_advance(struct sim *s, uint64_t now, uint64_t a, uint64_t b,
                        double *values, uint8_t *valid)
{
    uint64_t dt_ns = b - a;
    double t0 = (double)a * 1e-9;
    double dt = (double)dt_ns * 1e-9;

    if (s->n_gten > 0) {
        gten_step_all(s, t0, dt);
        s->gten_have = 1;
    }
    for (size_t i = 0; i < s->n; i++) {
        struct sim_dev *d = &s->devs[i];
        double dem;
        if (i + 2 < s->n)
            pu_prefetch(&s->devs[i + 2].pu);
        if (i + 1 < s->n)
            pu_prefetch_top(&s->devs[i + 1].pu);
        /* gload: the tenants' load (0 on a device without any). */
        dem = sim_take_demand(d, a, b) + d->gload;
        /* Delivered messages' work joins the interval's batch at its
         * start, as chain work does, but untagged: it is the destination
         * process's own and is not forwarded down a chain. */
        pu_step_work(
            &d->pu, t0, dt, dem, d->ipc_in,
            d->chain >= 0
                ? chain_hop_take(&s->chains[d->chain].st[d->stage].in, now)
                : 0.0);
        d->ipc_in = 0.0;
        /* Everything that arrives in [now, now + dt) is known now. */
        sim_draw_ahead(d, b, dt_ns);
        d->demand_next = d->pend_d * pu_max_throughput(&d->pu);
        sim_report(d, 1, values + d->sig0, valid + d->sig0);
    }
    s->last_ns = now;
    s->have_interval = 1;
    chain_send_all(s, now, dt_ns);
    for (size_t p = 0; p < s->n_chains; p++) {
        const struct chain *ch = &s->chains[p];
        for (size_t k = 0; k < ch->n_stages; k++) {
            size_t i = ch->st[k].dev;
            struct sim_dev *d = &s->devs[i];
            d->demand_next += chain_hop_peek(&ch->st[k].in, now + dt_ns) / dt;
            values[d->sig0 + SIM_DEMAND_NEXT] = d->demand_next;
        }
    }
}

static int sim_read(void *state, double *values, uint8_t *valid, size_t n)
{
    struct sim *s = state;
    uint64_t now;

    if (!s || n != s->n_sig)
        return WATTSON_ERR;
    now = s->host->now_ns(s->host->ctx);
    if (!s->started) {
        s->started = 1;
        s->origin_ns = now;
        s->last_ns = now;
    } else if (now > s->last_ns) {
        sim_advance(s, now, s->last_ns - s->origin_ns, now - s->origin_ns,
                    values, valid);
        return WATTSON_OK;
    }
    /* A clock that did not advance (or went back) only reports. */
    for (size_t i = 0; i < s->n; i++)
        sim_report(&s->devs[i], s->have_interval, values + s->devs[i].sig0,
                   valid + s->devs[i].sig0);
    return WATTSON_OK;
}

static int sim_write(void *state, const uint32_t *idx, const double *values,
                     size_t n)
{
    struct sim *s = state;

    if (!s)
        return WATTSON_ERR;
    /* Validate the whole batch first so that a bad entry changes nothing. */
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= s->n * SIM_NCTL || isnan(values[i]))
            return WATTSON_ERR;
    for (size_t i = 0; i < n; i++) {
        struct pu *pu = &s->devs[idx[i] / SIM_NCTL].pu;
        const struct wattson_control_desc *cd = &s->cdesc[idx[i]];
        double v = values[i];
        /* The host range-checks; clamping keeps the physics sane anyway. */
        v = v < cd->min ? cd->min : v > cd->max ? cd->max : v;
        if (idx[i] % SIM_NCTL == SIM_CTL_FREQ)
            pu->freq_target_hz = v;
        else
            pu->power_cap_w = v;
    }
    return WATTSON_OK;
}

static int sim_read_controls(void *state, double *values, uint8_t *valid,
                             size_t n)
{
    struct sim *s = state;

    if (!s || n != s->n * SIM_NCTL)
        return WATTSON_ERR;
    for (size_t i = 0; i < s->n; i++) {
        values[i * SIM_NCTL + SIM_CTL_FREQ] = s->devs[i].pu.freq_target_hz;
        values[i * SIM_NCTL + SIM_CTL_POWER_CAP] = s->devs[i].pu.power_cap_w;
        valid[i * SIM_NCTL + SIM_CTL_FREQ] = 1;
        valid[i * SIM_NCTL + SIM_CTL_POWER_CAP] = 1;
    }
    return WATTSON_OK;
}

/* The events since the last call, oldest first, at most max. */
static int sim_ipc_read(void *state, struct wattson_ipc_event *ev, size_t max)
{
    struct sim *s = state;
    size_t n;

    if (!s || (max > 0 && !ev))
        return WATTSON_ERR;
    n = s->ev_count < max ? s->ev_count : max;
    for (size_t i = 0; i < n; i++)
        ev[i] = s->ev[(s->ev_head + i) % s->ev_cap];
    if (n > 0) {
        s->ev_head = (s->ev_head + n) % s->ev_cap;
        s->ev_count -= n;
    }
    return (int)n; /* n <= ev_cap, far below INT_MAX */
}

/* Messages from outside the plugin (ABI 1.3): each DATA or REQUEST byte
 * brings its device's ipc_ops_per_byte of work, which arrives at the
 * start of the next interval (the sim's one arrival convention; the host
 * delivers after the read that ended the last one).  REPLY and CONTROL
 * bring none, as the broker counts only DATA and REQUEST.  The events are
 * not logged for ipc_read: they came from the host. */
static int sim_ipc_deliver(void *state, const struct wattson_ipc_delivery *dl,
                           size_t n)
{
    struct sim *s = state;

    if (!s || (n > 0 && !dl))
        return WATTSON_ERR;
    for (size_t i = 0; i < n; i++) {
        const struct wattson_ipc_delivery *x = &dl[i];
        if (x->device >= s->n || (x->ev.type != WATTSON_IPC_DATA &&
                                  x->ev.type != WATTSON_IPC_REQUEST))
            continue;
        s->devs[x->device].ipc_in +=
            (double)x->ev.bytes * s->devs[x->device].ipc_ops_per_byte;
    }
    return WATTSON_OK;
}

static int sim_gpu_procs_read(void *state, struct wattson_gpu_proc *p,
                              size_t max)
{
    return gten_procs_read(state, p, max);
}

static int sim_gpu_share_write(void *state, const struct wattson_gpu_share *sh,
                               size_t n)
{
    return gten_share_write(state, sh, n);
}

static const struct wattson_plugin sim_plugin = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "sim",
    .version = "0.3.0",
    .description = "simulated processing units: P-states, power, thermal "
                   "RC, throttling, workloads, queueing, pipelines and GPU "
                   "tenants",
    .init = sim_init,
    .fini = sim_fini,
    .read = sim_read,
    .write = sim_write,
    .read_controls = sim_read_controls,
    .ipc_read = sim_ipc_read,
    .gpu_procs_read = sim_gpu_procs_read,
    .gpu_share_write = sim_gpu_share_write,
    .ipc_deliver = sim_ipc_deliver,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void)
{
    return &sim_plugin;
}
