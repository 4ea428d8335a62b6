/*
 * sample - see sample.h.
 */
#include "pipeline/sample.h"

#include <string.h>

#include "core/log.h"
#include "core/model.h"
#include "core/stats.h"
#include "loader/loader.h"

/* The plugin's IPC events of this tick, appended to m->ipc; what does not
 * fit stays with the plugin until the buffer is full, then is counted. */
static void sample_ipc(struct model *m, const struct model_plugin *mp,
                       struct stats *st)
{
    for (;;) {
        size_t room = m->ipc_cap - m->n_ipc;
        int n = plug_ipc_read(mp->plug, m->ipc + m->n_ipc, room);
        if (n < 0) {
            st->driver_errors++;
            if (st->driver_errors == 1 || st->driver_errors % 1000 == 0)
                log_msg(LOG_WARN, "%s: ipc_read failed (%d)", mp->name, n);
            return;
        }
        m->n_ipc += (size_t)n;
        if ((size_t)n < room)
            return;
        if (m->n_ipc == m->ipc_cap) {
            /* Full: drain and count the rest so it does not pile up in
             * the plugin tick after tick. */
            struct wattson_ipc_event sink[64];
            int k;
            while ((k = plug_ipc_read(mp->plug, sink, 64)) > 0)
                m->ipc_dropped += (uint64_t)k;
            return;
        }
    }
}

/* The plugin's GPU processes of this tick, appended to m->gproc with the
 * plugin's device index made global; a record for a device the plugin
 * does not have is dropped (counted), so nothing downstream indexes out
 * of range.  The records are a snapshot, not a queue: past
 * MODEL_GPROC_CAP processes over all plugins, the plugin truncates. */
static void sample_gproc(struct model *m, size_t p, struct stats *st)
{
    const struct model_plugin *mp = &m->plugins[p];
    size_t room = MODEL_GPROC_CAP - m->n_gproc;
    struct wattson_gpu_proc *g = m->gproc + m->n_gproc;
    int n = plug_gpu_procs_read(mp->plug, g, room);
    if (n < 0) {
        st->driver_errors++;
        if (st->driver_errors == 1 || st->driver_errors % 1000 == 0)
            log_msg(LOG_WARN, "%s: gpu_procs_read failed (%d)", mp->name, n);
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < (size_t)n; i++) {
        if (g[i].device >= mp->n_dev) {
            m->gproc_dropped++;
            continue;
        }
        g[k] = g[i];
        g[k].device += mp->dev_base;
        g[k].name[WATTSON_GPU_NAME_LEN - 1] = '\0';
        m->gproc_plugin[m->n_gproc + k] = (uint32_t)p;
        k++;
    }
    m->n_gproc += k;
}

static enum model_fault read_fault(int rc)
{
    return rc == WATTSON_ERR_PERM   ? FAULT_PERM
           : rc == WATTSON_ERR_GONE ? FAULT_GONE
                                    : FAULT_READ;
}

/* Device d has a valid reading this tick: of its varying signals when it
 * has any (a driver may serve constants from memory after the device is
 * gone), else of any signal.  -1 when it has no signals. */
static int device_reads(const struct model *m, uint32_t d)
{
    uint32_t a = m->dsig_off[d], b = m->dsig_off[d + 1];
    int any_var = 0, valid_var = 0, valid_any = 0;
    if (a == b)
        return -1;
    for (uint32_t k = a; k < b; k++) {
        uint32_t s = m->dsig[k];
        int var = m->signals[s].behaviour != WATTSON_CONSTANT;
        any_var |= var;
        valid_var |= var && m->valid[s];
        valid_any |= m->valid[s];
    }
    return any_var ? valid_var : valid_any;
}

/* Per-device faults from this tick's read of plugin mp (status rc): a
 * failed read marks its devices (read error, or what the driver said),
 * and a device with no valid reading for MODEL_GONE_TICKS ticks in a row
 * after having had one is marked vanished; valid readings again clear
 * the read error and the vanishing (the summary keeps the first mark). */
static void sample_faults(struct model *m, const struct model_plugin *mp,
                          int rc, int all_valid)
{
    if (!m->faults)
        return;
    for (uint32_t d = mp->dev_base; d < mp->dev_base + mp->n_dev; d++) {
        struct model_fault_rec *f = &m->faults[d];
        const char *name = m->devices[d].name;
        if (rc != WATTSON_OK) {
            enum model_fault k = read_fault(rc);
            if (model_fault_set(m, d, k, 0, -1))
                log_msg(LOG_WARN,
                        "%s: %s%s from driver %s (%d) (device marked; the run "
                        "continues)",
                        name,
                        k == FAULT_GONE ? "device vanished"
                                        : model_fault_name(k),
                        k == FAULT_READ ? "" : " reading", mp->name, rc);
            if (k == FAULT_GONE)
                f->gone_reads = 1;
        }
        /* The common case, a batch read with every value valid, needs no
         * look at each signal. */
        int r = all_valid ? (m->dsig_off[d] != m->dsig_off[d + 1] ? 1 : -1)
                          : device_reads(m, d);
        if (r < 0)
            continue;
        if (r) {
            f->had_valid = 1;
            f->bad_ticks = 0;
            if (rc == WATTSON_OK)
                model_fault_clear(m, d, FAULT_READ);
            if (f->gone && f->gone_reads) {
                model_fault_clear(m, d, FAULT_GONE);
                log_msg(LOG_INFO,
                        "%s: valid readings again after vanishing%s (the "
                        "summary keeps the mark)",
                        name, mp->writable ? "; writes resume" : "");
            }
            continue;
        }
        if (!f->had_valid || f->gone_reads)
            continue;
        if (++f->bad_ticks >= MODEL_GONE_TICKS) {
            f->gone_reads = 1;
            if (model_fault_set(m, d, FAULT_GONE, 0, -1))
                log_msg(LOG_WARN,
                        "%s: device vanished: no valid reading for %u ticks "
                        "(device marked, no writes until it reads again; the "
                        "run continues)",
                        name, (unsigned)f->bad_ticks);
        }
    }
}

/* Flags a NaN that a driver marked valid (a driver bug) as missing, and
 * returns how many of the n values are missing.  Eight at a time while
 * all eight flags are 1 and no value is NaN, the case of nearly every
 * tick: one 8-byte compare and eight branch-free NaN tests, where the
 * per-value loop cost ten instructions a signal (-O2 does not vectorise
 * it). */
static uint32_t sample_check(const double *restrict v, uint8_t *restrict ok,
                             uint32_t n)
{
    const uint64_t ones = 0x0101010101010101ull;
    uint32_t bad = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t flags;
        memcpy(&flags, ok + i, sizeof flags);
        int nan = (v[i] != v[i]) | (v[i + 1] != v[i + 1]) |
                  (v[i + 2] != v[i + 2]) | (v[i + 3] != v[i + 3]) |
                  (v[i + 4] != v[i + 4]) | (v[i + 5] != v[i + 5]) |
                  (v[i + 6] != v[i + 6]) | (v[i + 7] != v[i + 7]);
        if (flags == ones && !nan)
            continue;
        for (uint32_t k = i; k < i + 8; k++)
            if (!ok[k] || v[k] != v[k]) {
                ok[k] = 0;
                bad++;
            } else {
                ok[k] = 1;
            }
    }
    for (; i < n; i++)
        if (!ok[i] || v[i] != v[i]) {
            ok[i] = 0;
            bad++;
        }
    return bad;
}

void sample_run(struct model *m, struct stats *st, double t_now)
{
    m->n_ipc = 0;
    m->n_gproc = 0;
    /* `prev` keeps the last *valid* sample, so a counter's increase over
     * a failed read is not lost: the next good sample's delta covers it.
     * m->t is still the previous tick's time here. */
    /* Local restrict pointers and selects rather than branches: stores
     * through m-> made the compiler reload every array pointer per
     * signal (callgrind: 4 instructions per signal now, from 7). */
    const double t_prev = m->t;
    const size_t ns = m->n_signals;
    const double *restrict val = m->val;
    const uint8_t *restrict valid = m->valid;
    double *restrict prev = m->prev, *restrict prev_t = m->prev_t;
    uint8_t *restrict prev_valid = m->prev_valid;
    for (size_t i = 0; i < ns; i++) {
        uint8_t ok = valid[i] != 0;
        prev[i] = ok ? val[i] : prev[i];
        prev_t[i] = ok ? t_prev : prev_t[i];
        prev_valid[i] |= ok;
    }
    m->dt = t_now - m->t;
    m->t = t_now;
    m->tick++;
    for (size_t p = 0; p < m->n_plugins; p++) {
        const struct model_plugin *mp = &m->plugins[p];
        if (mp->n_sig == 0)
            continue;
        double *v = m->val + mp->sig_base;
        uint8_t *ok = m->valid + mp->sig_base;
        int rc = mp->plug->desc->read(mp->plug->state, v, ok, mp->n_sig);
        if (rc != WATTSON_OK) {
            /* Missing is not zero: the whole batch is unknown. */
            memset(ok, 0, mp->n_sig);
            st->driver_errors++;
            /* Rate-limit the message: first failure and every 1000th. */
            if (st->driver_errors == 1 || st->driver_errors % 1000 == 0)
                log_msg(LOG_WARN,
                        "%s: read failed (%d), %llu driver "
                        "errors so far",
                        mp->name, rc, (unsigned long long)st->driver_errors);
        }
        sample_ipc(m, mp, st);
        sample_gproc(m, p, st);
        uint32_t bad = sample_check(v, ok, mp->n_sig);
        st->invalid_samples += bad;
        sample_faults(m, mp, rc, bad == 0);
    }
}
