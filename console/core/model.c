/*
 * model - see model.h.
 */
#include "core/model.h"

#include <stddef.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader.h"
#include "wattson/plugin.h"

static const char *const sig_names[SIG__N] = {
    [SIG_UTIL] = WATTSON_SIG_UTIL,
    [SIG_FREQ] = WATTSON_SIG_FREQ,
    [SIG_POWER] = WATTSON_SIG_POWER,
    [SIG_ENERGY] = WATTSON_SIG_ENERGY,
    [SIG_TEMP] = WATTSON_SIG_TEMP,
    [SIG_THROUGHPUT] = WATTSON_SIG_THROUGHPUT,
    [SIG_BACKLOG] = WATTSON_SIG_BACKLOG,
    [SIG_WORK_ARRIVED] = WATTSON_SIG_WORK_ARRIVED,
    [SIG_WORK_SERVED] = WATTSON_SIG_WORK_SERVED,
    [SIG_WAIT] = WATTSON_SIG_WAIT,
    [SIG_DEADLINE_MISSES] = WATTSON_SIG_DEADLINE_MISSES,
    [SIG_PRIORITY] = WATTSON_SIG_PRIORITY,
    [SIG_TEMP_LIMIT] = WATTSON_SIG_TEMP_LIMIT,
    [SIG_DEADLINE] = WATTSON_SIG_DEADLINE,
    [SIG_DEMAND_NEXT] = "demand_next",
    [SIG_LATENCY_P99] = "latency_p99",
};

static const char *const ctl_names[CTL__N] = {
    [CTL_FREQ] = WATTSON_CTL_FREQ,
    [CTL_POWER_CAP] = WATTSON_CTL_POWER_CAP,
};

const char *model_sig_name(enum model_sig s)
{
    return (unsigned)s < SIG__N ? sig_names[s] : "?";
}

const char *model_ctl_name(enum model_ctl c)
{
    return (unsigned)c < CTL__N ? ctl_names[c] : "?";
}

static int is_pu_kind(const char *kind)
{
    return kind && (strcmp(kind, "cpu") == 0 || strcmp(kind, "gpu") == 0 ||
                    strcmp(kind, "fpga") == 0);
}

/* One calloc per array keeps model_free simple and every array zeroed. */
static int alloc_arrays(struct model *m)
{
    size_t ns = m->n_signals ? m->n_signals : 1;
    size_t nc = m->n_controls ? m->n_controls : 1;
    size_t nd = m->n_devices ? m->n_devices : 1;

    m->val = calloc(ns, sizeof *m->val);
    m->valid = calloc(ns, 1);
    m->prev = calloc(ns, sizeof *m->prev);
    m->prev_valid = calloc(ns, 1);
    m->prev_t = calloc(ns, sizeof *m->prev_t);
    m->delta = calloc(ns, sizeof *m->delta);
    m->rate = calloc(ns, sizeof *m->rate);
    m->rate_valid = calloc(ns, 1);
    m->fc_demand = calloc(nd, sizeof *m->fc_demand);
    m->fc_valid = calloc(nd, 1);
    m->proposal = calloc(nc, sizeof *m->proposal);
    m->proposed = calloc(nc, 1);
    m->decision = calloc(nc, sizeof *m->decision);
    m->decided = calloc(nc, 1);
    m->target = calloc(nc, sizeof *m->target);
    m->targeted = calloc(nc, 1);
    m->applied = calloc(nc, sizeof *m->applied);
    m->applied_known = calloc(nc, 1);
    m->rejected = calloc(nc, sizeof *m->rejected);
    m->rejected_known = calloc(nc, 1);
    m->faults = calloc(nd, sizeof *m->faults);
    m->pus = calloc(nd, sizeof *m->pus);
    m->dsig_off = calloc(nd + 1, sizeof *m->dsig_off);
    m->dsig = calloc(ns, sizeof *m->dsig);
    m->dctl_off = calloc(nd + 1, sizeof *m->dctl_off);
    m->dctl = calloc(nc, sizeof *m->dctl);
    return m->val && m->valid && m->prev && m->prev_valid && m->prev_t &&
                   m->delta && m->rate && m->rate_valid && m->fc_demand &&
                   m->fc_valid && m->proposal && m->proposed && m->decision &&
                   m->decided && m->target && m->targeted && m->applied &&
                   m->applied_known && m->rejected && m->rejected_known &&
                   m->faults && m->pus && m->dsig_off && m->dsig &&
                   m->dctl_off && m->dctl
               ? 0
               : -1;
}

/* Counting sort of items by their device: off[] gets each device's start,
 * idx[] the item indices in declaration order. */
static void build_index(uint32_t *off, uint32_t *idx, size_t n_dev, size_t n,
                        const void *items, size_t stride, size_t dev_field)
{
    const char *base = items;
    memset(off, 0, (n_dev + 1) * sizeof *off);
    for (size_t i = 0; i < n; i++) {
        uint32_t d;
        memcpy(&d, base + i * stride + dev_field, sizeof d);
        off[d + 1]++;
    }
    for (size_t d = 0; d < n_dev; d++)
        off[d + 1] += off[d];
    for (size_t d = n_dev; d > 0; d--)
        off[d] = off[d - 1];
    off[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t d;
        memcpy(&d, base + i * stride + dev_field, sizeof d);
        idx[off[d + 1]++] = (uint32_t)i;
    }
}

static int proc_cmp(const void *a, const void *b)
{
    uint32_t x = ((const struct model_proc *)a)->pid;
    uint32_t y = ((const struct model_proc *)b)->pid;
    return (x > y) - (x < y);
}

/* The ABI 1.1 parts: P-state tables, processes, the IPC event buffer. */
static int model_build_1_1(struct model *m, struct plug **plugs, size_t n_plugs,
                           char *err, size_t errlen)
{
    size_t n_ps = 0, n_pr = 0, nd = m->n_devices ? m->n_devices : 1;
    for (size_t p = 0; p < n_plugs; p++) {
        const struct wattson_inventory *inv = &plugs[p]->inv;
        for (size_t i = 0; i < inv->n_pstates; i++)
            n_ps += inv->pstates[i].n;
        n_pr += inv->n_procs;
    }
    m->ps_off = calloc(nd + 1, sizeof *m->ps_off);
    m->ps_tref = calloc(nd, sizeof *m->ps_tref);
    m->ps_freq = calloc(n_ps ? n_ps : 1, sizeof *m->ps_freq);
    m->ps_busy = calloc(n_ps ? n_ps : 1, sizeof *m->ps_busy);
    m->ps_idle = calloc(n_ps ? n_ps : 1, sizeof *m->ps_idle);
    /* Room for the processes found at run time (model_add_proc). */
    m->procs_cap = n_pr + MODEL_PROC_EXTRA;
    m->procs = calloc(m->procs_cap, sizeof *m->procs);
    m->ipc_cap = MODEL_IPC_CAP;
    m->ipc = calloc(m->ipc_cap, sizeof *m->ipc);
    m->gproc = calloc(MODEL_GPROC_CAP, sizeof *m->gproc);
    m->gproc_plugin = calloc(MODEL_GPROC_CAP, sizeof *m->gproc_plugin);
    m->gshare = calloc(MODEL_GPROC_CAP, sizeof *m->gshare);
    if (!m->ps_off || !m->ps_tref || !m->ps_freq || !m->ps_busy ||
        !m->ps_idle || !m->procs || !m->ipc || !m->gproc || !m->gproc_plugin ||
        !m->gshare) {
        snprintf(err, errlen, "out of memory building the model");
        return -1;
    }
    /* Count per device, prefix-sum, then copy each table in place (the
     * loader allows one table per device). */
    for (size_t p = 0; p < n_plugs; p++) {
        const struct wattson_inventory *inv = &plugs[p]->inv;
        for (size_t i = 0; i < inv->n_pstates; i++) {
            uint32_t d = m->plugins[p].dev_base + inv->pstates[i].device;
            m->ps_off[d + 1] = (uint32_t)inv->pstates[i].n;
            m->ps_tref[d] = inv->pstates[i].temp_ref_c;
        }
    }
    for (size_t d = 0; d < m->n_devices; d++)
        m->ps_off[d + 1] += m->ps_off[d];
    for (size_t p = 0; p < n_plugs; p++) {
        const struct wattson_inventory *inv = &plugs[p]->inv;
        for (size_t i = 0; i < inv->n_pstates; i++) {
            const struct wattson_pstate_table *t = &inv->pstates[i];
            uint32_t o = m->ps_off[m->plugins[p].dev_base + t->device];
            memcpy(m->ps_freq + o, t->freq_hz, t->n * sizeof(double));
            memcpy(m->ps_busy + o, t->busy_w, t->n * sizeof(double));
            memcpy(m->ps_idle + o, t->idle_w, t->n * sizeof(double));
        }
        for (size_t i = 0; i < inv->n_procs; i++) {
            struct model_proc *pr = &m->procs[m->n_procs++];
            pr->pid = inv->procs[i].pid;
            pr->device = m->plugins[p].dev_base + inv->procs[i].device;
            pr->name = inv->procs[i].name ? inv->procs[i].name : "";
        }
    }
    qsort(m->procs, m->n_procs, sizeof *m->procs, proc_cmp);
    for (size_t i = 1; i < m->n_procs; i++)
        if (m->procs[i].pid == m->procs[i - 1].pid) {
            snprintf(err, errlen,
                     "process %u is claimed by two devices (%s and %s)",
                     (unsigned)m->procs[i].pid,
                     m->devices[m->procs[i - 1].device].name,
                     m->devices[m->procs[i].device].name);
            return -1;
        }
    return 0;
}

/* The index of the first process whose pid is not below `pid`. */
static size_t proc_lower_bound(const struct model *m, uint32_t pid)
{
    size_t lo = 0, hi = m->n_procs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->procs[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct model_proc *model_find_proc(const struct model *m, uint32_t pid)
{
    size_t lo = proc_lower_bound(m, pid);
    return lo < m->n_procs && m->procs[lo].pid == pid ? &m->procs[lo] : NULL;
}

int model_add_proc(struct model *m, uint32_t pid, uint32_t device,
                   const char *name)
{
    if (device >= m->n_devices || model_find_proc(m, pid))
        return -1;
    if (m->n_procs == m->procs_cap)
        return -1;
    size_t lo = proc_lower_bound(m, pid);
    memmove(&m->procs[lo + 1], &m->procs[lo],
            (m->n_procs - lo) * sizeof *m->procs);
    m->procs[lo] = (struct model_proc){pid, device, name ? name : ""};
    m->n_procs++;
    return 0;
}

int model_build(struct model *m, struct plug **plugs, size_t n_plugs,
                int allow_writes, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    m->fc_horizon = 1;
    for (size_t i = 0; i < n_plugs; i++) {
        m->n_devices += plugs[i]->inv.n_devices;
        m->n_signals += plugs[i]->inv.n_signals;
        m->n_controls += plugs[i]->inv.n_controls;
    }
    m->n_plugins = n_plugs;
    m->plugins = calloc(n_plugs ? n_plugs : 1, sizeof *m->plugins);
    m->devices = calloc(m->n_devices ? m->n_devices : 1, sizeof *m->devices);
    m->signals = calloc(m->n_signals ? m->n_signals : 1, sizeof *m->signals);
    m->controls =
        calloc(m->n_controls ? m->n_controls : 1, sizeof *m->controls);
    if (!m->plugins || !m->devices || !m->signals || !m->controls ||
        alloc_arrays(m) != 0) {
        snprintf(err, errlen, "out of memory building the model");
        model_free(m);
        return -1;
    }

    uint32_t db = 0, sb = 0, cb = 0;
    for (size_t p = 0; p < n_plugs; p++) {
        const struct wattson_inventory *inv = &plugs[p]->inv;
        struct model_plugin *mp = &m->plugins[p];
        mp->plug = plugs[p];
        mp->name = plugs[p]->desc->name;
        mp->dev_base = db;
        mp->n_dev = (uint32_t)inv->n_devices;
        mp->sig_base = sb;
        mp->n_sig = (uint32_t)inv->n_signals;
        mp->ctl_base = cb;
        mp->n_ctl = (uint32_t)inv->n_controls;
        mp->simulated = (plugs[p]->desc->flags & WATTSON_PLUGIN_SIMULATED) != 0;
        mp->writable =
            plugs[p]->desc->write != NULL && (allow_writes || mp->simulated);

        for (size_t d = 0; d < inv->n_devices; d++) {
            struct model_device *md = &m->devices[db + d];
            m->faults[db + d].first_what = -1;
            m->faults[db + d].cur_what = -1;
            const struct wattson_device_desc *dd = &inv->devices[d];
            md->name = dd->name;
            md->kind = dd->kind ? dd->kind : "unknown";
            md->plugin = (uint32_t)p;
            md->parent = dd->parent >= 0 ? (int32_t)db + dd->parent : -1;
            md->is_pu = is_pu_kind(dd->kind);
            for (int k = 0; k < SIG__N; k++)
                md->sig[k] = -1;
            for (int k = 0; k < CTL__N; k++)
                md->ctl[k] = -1;
            int dup = model_find_device(m, md->name);
            if (dup >= 0 && (uint32_t)dup < db + d) {
                snprintf(err, errlen,
                         "device name '%s' is used by two drivers (%s and "
                         "%s)",
                         md->name, m->plugins[m->devices[dup].plugin].name,
                         mp->name);
                model_free(m);
                return -1;
            }
            if (md->is_pu)
                m->pus[m->n_pus++] = db + (uint32_t)d;
        }
        for (size_t s = 0; s < inv->n_signals; s++) {
            const struct wattson_signal_desc *sd = &inv->signals[s];
            struct model_signal *ms = &m->signals[sb + s];
            ms->name = sd->name;
            ms->unit = sd->unit ? sd->unit : "";
            ms->description = sd->description ? sd->description : "";
            ms->device = db + sd->device;
            ms->plugin = (uint32_t)p;
            ms->behaviour = sd->behaviour;
            ms->wrap = sd->wrap;
            for (int k = 0; k < SIG__N; k++)
                if (strcmp(sd->name, sig_names[k]) == 0 &&
                    m->devices[ms->device].sig[k] < 0)
                    m->devices[ms->device].sig[k] = (int32_t)(sb + s);
        }
        for (size_t c = 0; c < inv->n_controls; c++) {
            const struct wattson_control_desc *cd = &inv->controls[c];
            struct model_control *mc = &m->controls[cb + c];
            mc->name = cd->name;
            mc->unit = cd->unit ? cd->unit : "";
            mc->description = cd->description ? cd->description : "";
            mc->device = db + cd->device;
            mc->plugin = (uint32_t)p;
            mc->local = (uint32_t)c;
            mc->min = cd->min;
            mc->max = cd->max;
            mc->step = cd->step;
            for (int k = 0; k < CTL__N; k++)
                if (strcmp(cd->name, ctl_names[k]) == 0 &&
                    m->devices[mc->device].ctl[k] < 0)
                    m->devices[mc->device].ctl[k] = (int32_t)(cb + c);
        }
        db += (uint32_t)inv->n_devices;
        sb += (uint32_t)inv->n_signals;
        cb += (uint32_t)inv->n_controls;
    }
    if (model_build_1_1(m, plugs, n_plugs, err, errlen) != 0) {
        model_free(m);
        return -1;
    }
    build_index(m->dsig_off, m->dsig, m->n_devices, m->n_signals, m->signals,
                sizeof *m->signals, offsetof(struct model_signal, device));
    build_index(m->dctl_off, m->dctl, m->n_devices, m->n_controls, m->controls,
                sizeof *m->controls, offsetof(struct model_control, device));
    return 0;
}

void model_free(struct model *m)
{
    free(m->plugins);
    free(m->devices);
    free(m->signals);
    free(m->controls);
    free(m->pus);
    free(m->dsig_off);
    free(m->dsig);
    free(m->dctl_off);
    free(m->dctl);
    free(m->val);
    free(m->valid);
    free(m->prev);
    free(m->prev_valid);
    free(m->prev_t);
    free(m->delta);
    free(m->rate);
    free(m->rate_valid);
    free(m->fc_demand);
    free(m->fc_valid);
    free(m->proposal);
    free(m->proposed);
    free(m->decision);
    free(m->decided);
    free(m->target);
    free(m->targeted);
    free(m->applied);
    free(m->applied_known);
    free(m->rejected);
    free(m->rejected_known);
    free(m->faults);
    free(m->ps_off);
    free(m->ps_tref);
    free(m->ps_freq);
    free(m->ps_busy);
    free(m->ps_idle);
    free(m->procs);
    free(m->ipc);
    free(m->gproc);
    free(m->gproc_plugin);
    free(m->gshare);
    memset(m, 0, sizeof *m);
}

int model_find_device(const struct model *m, const char *name)
{
    for (size_t i = 0; i < m->n_devices; i++)
        if (m->devices[i].name && strcmp(m->devices[i].name, name) == 0)
            return (int)i;
    return -1;
}

int model_find_signal(const struct model *m, uint32_t dev, const char *name)
{
    for (size_t i = 0; i < m->n_signals; i++)
        if (m->signals[i].device == dev &&
            strcmp(m->signals[i].name, name) == 0)
            return (int)i;
    return -1;
}

int model_find_control(const struct model *m, uint32_t dev, const char *name)
{
    for (size_t i = 0; i < m->n_controls; i++)
        if (m->controls[i].device == dev &&
            strcmp(m->controls[i].name, name) == 0)
            return (int)i;
    return -1;
}

int model_sig(const struct model *m, uint32_t d, enum model_sig s, double *out)
{
    int32_t i = m->devices[d].sig[s];
    if (i < 0 || !m->valid[i])
        return 0;
    *out = m->val[i];
    return 1;
}

int model_device_power(const struct model *m, uint32_t d, double *w)
{
    if (model_sig(m, d, SIG_POWER, w))
        return 1;
    int32_t e = m->devices[d].sig[SIG_ENERGY];
    if (e >= 0 && m->rate_valid[e]) {
        *w = m->rate[e];
        return 1;
    }
    return 0;
}

double model_total_power(const struct model *m, int *any)
{
    double sum = 0, w;
    int got = 0;
    for (uint32_t d = 0; d < m->n_devices; d++)
        if (model_device_power(m, d, &w)) {
            sum += w;
            got = 1;
        }
    if (any)
        *any = got;
    return sum;
}

int model_pstate_at(const struct model *m, uint32_t d, double f)
{
    if (!m->ps_off || m->ps_off[d + 1] == m->ps_off[d])
        return -1;
    const double *ps = m->ps_freq + m->ps_off[d];
    size_t lo = 0, hi = m->ps_off[d + 1] - m->ps_off[d] - 1;
    /* The last state not above f (1e-9 relative: a clock read back from a
     * table entry is that entry), by bisection: tables are increasing. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (ps[mid] <= f * (1 + 1e-9))
            lo = mid;
        else
            hi = mid - 1;
    }
    return (int)lo;
}

double model_mean_latency(const struct model *m, size_t *n_out)
{
    double sum = 0, wait, served;
    size_t n = 0;
    for (size_t i = 0; i < m->n_pus; i++)
        if (model_sig(m, m->pus[i], SIG_WAIT, &wait) &&
            model_sig(m, m->pus[i], SIG_WORK_SERVED, &served) && served > 0) {
            sum += wait / served;
            n++;
        }
    if (n_out)
        *n_out = n;
    return n ? sum / (double)n : NAN;
}

/* ---- device faults ---- */

static const char *const fault_names[FAULT__N] = {
    [FAULT_NONE] = "",           [FAULT_PERM] = "permission denied",
    [FAULT_GONE] = "vanished",   [FAULT_REJECTED] = "value rejected",
    [FAULT_READ] = "read error",
};

static const char *const fault_short[FAULT__N] = {
    [FAULT_NONE] = "",        [FAULT_PERM] = "perm", [FAULT_GONE] = "gone",
    [FAULT_REJECTED] = "rej", [FAULT_READ] = "read",
};

const char *model_fault_name(enum model_fault kind)
{
    return (unsigned)kind < FAULT__N ? fault_names[kind] : "fault";
}

const char *model_fault_short(enum model_fault kind)
{
    return (unsigned)kind < FAULT__N ? fault_short[kind] : "?";
}

static int fault_rank(int kind)
{
    static const int rank[FAULT__N] = {
        [FAULT_NONE] = 0, [FAULT_READ] = 1, [FAULT_REJECTED] = 2,
        [FAULT_PERM] = 3, [FAULT_GONE] = 4,
    };
    return (unsigned)kind < FAULT__N ? rank[kind] : 0;
}

int model_fault_set(struct model *m, uint32_t d, enum model_fault kind, int ctl,
                    int32_t what)
{
    if (!m->faults || d >= m->n_devices || kind <= FAULT_NONE ||
        kind >= FAULT__N)
        return 0;
    struct model_fault_rec *f = &m->faults[d];
    if (f->first == FAULT_NONE) {
        f->first = (uint8_t)kind;
        f->first_ctl = ctl != 0;
        f->first_what = what;
        f->first_tick = m->tick;
        m->n_faulted++;
    }
    if (fault_rank(kind) >= fault_rank(f->current)) {
        f->current = (uint8_t)kind;
        f->cur_what = what;
        f->cur_ctl = ctl != 0;
    }
    if (kind == FAULT_PERM && ctl)
        f->perm = 1;
    if (kind == FAULT_GONE)
        f->gone = 1;
    if (f->logged & (1u << kind))
        return 0;
    f->logged |= (uint8_t)(1u << kind);
    return 1;
}

int model_fault_clear(struct model *m, uint32_t d, enum model_fault kind)
{
    if (!m->faults || d >= m->n_devices)
        return 0;
    struct model_fault_rec *f = &m->faults[d];
    if (kind == FAULT_GONE) {
        f->gone = 0;
        f->gone_reads = 0;
    }
    if (f->current != kind || kind == FAULT_NONE)
        return 0;
    /* What still holds after this one: a denied write stays denied. */
    f->current = f->perm ? FAULT_PERM : f->gone ? FAULT_GONE : FAULT_NONE;
    if (f->current == FAULT_NONE)
        f->cur_what = -1;
    return 1;
}

int model_fault_blocked(const struct model *m, uint32_t d)
{
    return m->faults && d < m->n_devices &&
           (m->faults[d].perm || m->faults[d].gone);
}

int model_fault_describe(const struct model *m, uint32_t d, char *buf,
                         size_t len)
{
    if (!m->faults || d >= m->n_devices || m->faults[d].first == FAULT_NONE) {
        if (len)
            buf[0] = '\0';
        return 0;
    }
    const struct model_fault_rec *f = &m->faults[d];
    const char *name = model_fault_name((enum model_fault)f->first);
    if (f->first_ctl && f->first_what >= 0 &&
        (size_t)f->first_what < m->n_controls)
        return snprintf(buf, len, "%s writing %s", name,
                        m->controls[f->first_what].name);
    if (!f->first_ctl && f->first_what >= 0 &&
        (size_t)f->first_what < m->n_signals)
        return snprintf(buf, len, "%s reading %s", name,
                        m->signals[f->first_what].name);
    if (f->first == FAULT_GONE)
        return snprintf(buf, len, "%s (no valid reading)", name);
    if (f->first == FAULT_PERM)
        return snprintf(buf, len, "%s reading", name);
    return snprintf(buf, len, "%s", name);
}

size_t model_faults_current(const struct model *m)
{
    size_t n = 0;
    for (size_t d = 0; m->faults && d < m->n_devices; d++)
        n += m->faults[d].current != FAULT_NONE;
    return n;
}
