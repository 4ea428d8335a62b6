/*
 * actuate - see actuate.h.
 */
#include "pipeline/actuate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/isolate.h"
#include "core/log.h"
#include "core/model.h"
#include "core/stats.h"
#include "loader/loader.h"

int actuate_init(struct actuate *a, const struct model *m)
{
    size_t n = m->n_controls ? m->n_controls : 1;
    memset(a, 0, sizeof *a);
    a->idx = calloc(n, sizeof *a->idx);
    a->vals = calloc(n, sizeof *a->vals);
    a->saved = calloc(n, sizeof *a->saved);
    a->saved_ok = calloc(n, 1);
    a->plugin_ok = calloc(m->n_plugins ? m->n_plugins : 1, 1);
    a->plugin_restored = calloc(m->n_plugins ? m->n_plugins : 1, 1);
    a->restore_rc = calloc(n, sizeof *a->restore_rc);
    a->fail_streak = calloc(n, sizeof *a->fail_streak);
    a->retry_tick = calloc(n, sizeof *a->retry_tick);
    a->gs_last = calloc(MODEL_GPROC_CAP, sizeof *a->gs_last);
    a->gs_batch = calloc(MODEL_GPROC_CAP, sizeof *a->gs_batch);
    if (!a->gs_last || !a->gs_batch || !a->idx || !a->vals || !a->saved ||
        !a->saved_ok || !a->plugin_ok || !a->plugin_restored ||
        !a->restore_rc || !a->fail_streak || !a->retry_tick) {
        actuate_free(a);
        return -1;
    }
    return 0;
}

void actuate_free(struct actuate *a)
{
    free(a->gs_last);
    free(a->gs_batch);
    free(a->idx);
    free(a->vals);
    free(a->saved);
    free(a->saved_ok);
    free(a->plugin_ok);
    free(a->plugin_restored);
    free(a->restore_rc);
    free(a->fail_streak);
    free(a->retry_tick);
    memset(a, 0, sizeof *a);
}

/* Saves every writable driver's controls; runs once, before any write. */
static void save_all(struct actuate *a, struct model *m, struct stats *st)
{
    a->saved_done = 1;
    for (size_t p = 0; p < m->n_plugins; p++) {
        const struct model_plugin *mp = &m->plugins[p];
        if (!mp->writable || mp->n_ctl == 0)
            continue;
        double *v = a->saved + mp->ctl_base;
        uint8_t *ok = a->saved_ok + mp->ctl_base;
        int rc =
            mp->plug->desc->read_controls(mp->plug->state, v, ok, mp->n_ctl);
        if (rc != WATTSON_OK) {
            st->driver_errors++;
            log_msg(LOG_ERROR,
                    "%s: cannot read its controls to save them (%d); "
                    "this driver will not be written",
                    mp->name, rc);
            memset(ok, 0, mp->n_ctl);
            continue;
        }
        a->plugin_ok[p] = 1;
        for (uint32_t i = 0; i < mp->n_ctl; i++) {
            if (ok[i] && isfinite(v[i])) {
                m->applied[mp->ctl_base + i] = v[i];
                m->applied_known[mp->ctl_base + i] = 1;
            } else {
                ok[i] = 0;
            }
        }
    }
}

static int safe_value(const struct model *m, size_t c, double v)
{
    return isfinite(v) && v >= m->controls[c].min && v <= m->controls[c].max;
}

/* The device fault a write's status means (plugin.h), or FAULT_NONE for a
 * generic error. */
static enum model_fault write_fault(int rc)
{
    switch (rc) {
    case WATTSON_ERR_PERM:
        return FAULT_PERM;
    case WATTSON_ERR_GONE:
        return FAULT_GONE;
    case WATTSON_ERR_REJECTED:
        return FAULT_REJECTED;
    default:
        return FAULT_NONE;
    }
}

/* The outcome of writing value v to global control c: applied, or a fault
 * recorded on its device (logged once per device and kind), or a generic
 * driver error.  Returns 1 if the write failed. */
static int write_outcome(struct actuate *a, struct model *m,
                         const struct model_plugin *mp, size_t c, double v,
                         int rc, struct stats *st)
{
    const struct model_control *mc = &m->controls[c];
    const char *dev = m->devices[mc->device].name;
    if (rc == WATTSON_OK) {
        a->fail_streak[c] = 0;
        a->retry_tick[c] = 0;
        st->writes++;
        m->applied[c] = v;
        m->applied_known[c] = 1;
        /* The control that refused a value took another one. */
        const struct model_fault_rec *f = &m->faults[mc->device];
        if (f->current == FAULT_REJECTED && f->cur_ctl &&
            f->cur_what == (int32_t)c)
            model_fault_clear(m, mc->device, FAULT_REJECTED);
        return 0;
    }
    st->driver_errors++;
    enum model_fault f = write_fault(rc);
    if (f == FAULT_NONE) {
        /* Back off: try again after 1, 2, 4, ... ticks (at most every
         * ACTUATE_BACKOFF_MAX), so a broken device is not written every
         * tick, and a passing glitch costs one tick. */
        uint32_t s = ++a->fail_streak[c];
        uint64_t wait = s > 10 ? ACTUATE_BACKOFF_MAX : 1u << (s - 1);
        if (wait > ACTUATE_BACKOFF_MAX)
            wait = ACTUATE_BACKOFF_MAX;
        a->retry_tick[c] = m->tick + wait;
        if (st->driver_errors == 1 || st->driver_errors % 1000 == 0)
            log_msg(LOG_WARN, "%s: writing %s.%s failed (%d)", mp->name, dev,
                    mc->name, rc);
        if (s == 3)
            log_msg(LOG_WARN,
                    "%s.%s: writes keep failing (%d); retrying at growing "
                    "intervals, at most every %u ticks",
                    dev, mc->name, rc, (unsigned)ACTUATE_BACKOFF_MAX);
        return 1;
    }
    if (f == FAULT_REJECTED) {
        m->rejected[c] = v;
        m->rejected_known[c] = 1;
    }
    if (model_fault_set(m, mc->device, f, 1, (int32_t)c))
        log_msg(LOG_WARN,
                "%s.%s: %s writing %.6g (device marked%s; the run "
                "continues)",
                dev, mc->name,
                f == FAULT_GONE ? "device vanished" : model_fault_name(f), v,
                f == FAULT_REJECTED ? ", that value is not written again"
                                    : ", no more writes to it");
    return 1;
}

/* The share (device, pid) was last given, or NULL. */
static struct wattson_gpu_share *gs_find(struct actuate *a, uint32_t dev,
                                         uint32_t pid)
{
    for (size_t i = 0; i < a->n_gs_last; i++)
        if (a->gs_last[i].device == dev && a->gs_last[i].pid == pid)
            return &a->gs_last[i];
    return NULL;
}

/* The GPU shares that changed, one batch per plugin that can enforce
 * them (ABI 1.2 gpu_share_write), device indices back to the plugin's
 * own.  Simulated plugins only: the ABI has no read-back of a share, so a
 * hardware share could not be saved and restored, and wattson never
 * leaves hardware other than it found it. */
static void actuate_gshares(struct actuate *a, struct model *m,
                            struct stats *st)
{
    for (size_t p = 0; p < m->n_plugins; p++) {
        const struct model_plugin *mp = &m->plugins[p];
        if (!mp->simulated || !plug_has_gpu_share(mp->plug))
            continue;
        size_t n = 0;
        for (size_t i = 0; i < m->n_gshare; i++) {
            const struct model_gshare *g = &m->gshare[i];
            if (!g->targeted || g->device < mp->dev_base ||
                g->device >= mp->dev_base + mp->n_dev)
                continue;
            const struct wattson_gpu_share *last =
                gs_find(a, g->device, g->pid);
            if (last && last->sm == g->tgt_sm && last->mem_bytes == g->tgt_mem)
                continue;
            a->gs_batch[n++] = (struct wattson_gpu_share){
                .device = g->device - mp->dev_base,
                .pid = g->pid,
                .sm = g->tgt_sm,
                .mem_bytes = g->tgt_mem,
            };
        }
        if (n == 0)
            continue;
        int rc = plug_gpu_share_write(mp->plug, a->gs_batch, n);
        if (rc != WATTSON_OK) {
            st->driver_errors++;
            if (st->driver_errors == 1 || st->driver_errors % 1000 == 0)
                log_msg(LOG_WARN, "%s: gpu_share_write failed (%d)", mp->name,
                        rc);
            continue;
        }
        a->gs_writes += n;
        for (size_t k = 0; k < n; k++) {
            uint32_t dev = a->gs_batch[k].device + mp->dev_base;
            struct wattson_gpu_share *last =
                gs_find(a, dev, a->gs_batch[k].pid);
            if (!last) {
                if (a->n_gs_last == MODEL_GPROC_CAP)
                    a->n_gs_last = 0; /* forget all: they are written again */
                last = &a->gs_last[a->n_gs_last++];
            }
            *last = a->gs_batch[k];
            last->device = dev;
        }
    }
}

void actuate_run(struct actuate *a, struct model *m, struct stats *st)
{
    if (a->restored)
        return;
    /* Save before the first write, and before comparing: after the save
     * `applied` holds what the hardware has, so an unchanged target costs
     * no write at all. */
    if (!a->saved_done) {
        for (size_t c = 0; c < m->n_controls; c++) {
            if (m->targeted[c] && m->plugins[m->controls[c].plugin].writable) {
                save_all(a, m, st);
                if (a->on_saved && a->on_saved(a->on_saved_ctx, a, m) != 0)
                    a->writes_blocked = 1;
                break;
            }
        }
    }
    if (a->writes_blocked)
        return;
    actuate_gshares(a, m, st);
    for (size_t p = 0; p < m->n_plugins; p++) {
        const struct model_plugin *mp = &m->plugins[p];
        if (!mp->writable)
            continue;
        size_t n = 0;
        for (uint32_t i = 0; i < mp->n_ctl; i++) {
            size_t c = mp->ctl_base + i;
            if (!m->targeted[c])
                continue;
            if (m->applied_known[c] && m->applied[c] == m->target[c])
                continue;
            if (!safe_value(m, c, m->target[c])) {
                st->rejected_decisions++;
                continue;
            }
            /* Don't hammer: a device that denied a write or vanished gets
             * none, and a value the driver refused is not offered again
             * (a different one is). */
            if (model_fault_blocked(m, m->controls[c].device))
                continue;
            if (m->rejected_known[c] && m->rejected[c] == m->target[c])
                continue;
            if (m->tick < a->retry_tick[c])
                continue;
            a->idx[n] = i;
            a->vals[n] = m->target[c];
            n++;
        }
        if (n == 0 || !a->plugin_ok[p])
            continue;
        int rc = mp->plug->desc->write(mp->plug->state, a->idx, a->vals, n);
        if (rc == WATTSON_OK || n == 1) {
            for (size_t k = 0; k < n; k++)
                write_outcome(a, m, mp, mp->ctl_base + a->idx[k], a->vals[k],
                              rc, st);
            continue;
        }
        /* The batch failed: one control per call finds which ones, so one
         * bad device does not hold back the others (a driver writes the
         * good ones of a batch too, so writing them again is harmless). */
        size_t failed = 0;
        for (size_t k = 0; k < n; k++) {
            uint32_t idx = a->idx[k];
            double v = a->vals[k];
            /* A device that denied or vanished just now: not again. */
            if (model_fault_blocked(m, m->controls[mp->ctl_base + idx].device))
                continue;
            int r1 = mp->plug->desc->write(mp->plug->state, &idx, &v, 1);
            failed +=
                (size_t)write_outcome(a, m, mp, mp->ctl_base + idx, v, r1, st);
        }
        if (failed == 0) {
            /* Failed as a batch, not one by one: still a driver error. */
            st->driver_errors++;
            if (st->driver_errors == 1 || st->driver_errors % 1000 == 0)
                log_msg(LOG_WARN, "%s: write failed (%d)", mp->name, rc);
        }
    }
}

/* The outcome of restoring global control c to v: 1 if it failed.  A
 * device that vanished is not a failure: its settings went with it. */
static size_t actuate_restore_outcome(struct model *m,
                                      const struct model_plugin *mp, size_t c,
                                      double v, int rc, struct stats *st)
{
    if (rc == WATTSON_ERR_GONE) {
        model_fault_set(m, m->controls[c].device, FAULT_GONE, 1, (int32_t)c);
        log_msg(LOG_WARN, "%s: %s.%s not restored: the device vanished",
                mp->name, m->devices[m->controls[c].device].name,
                m->controls[c].name);
        return 0;
    }
    if (rc != WATTSON_OK) {
        st->restore_errors++;
        log_msg(LOG_ERROR, "%s: could not restore %s.%s to %g", mp->name,
                m->devices[m->controls[c].device].name, m->controls[c].name, v);
        return 1;
    }
    m->applied[c] = v;
    return 0;
}

/* The controls of driver p to put back, last first, into a->idx/vals. */
static size_t actuate_restore_list(struct actuate *a, const struct model *m,
                                   size_t p)
{
    const struct model_plugin *mp = &m->plugins[p];
    size_t n = 0;
    for (uint32_t i = mp->n_ctl; i-- > 0;) {
        size_t c = mp->ctl_base + i;
        if (!a->saved_ok[c])
            continue;
        if (m->applied_known[c] && m->applied[c] == a->saved[c])
            continue;
        a->idx[n] = i;
        a->vals[n] = a->saved[c];
        n++;
    }
    return n;
}

size_t actuate_restore(struct actuate *a, struct model *m, struct stats *st)
{
    size_t failed = 0;
    if (!a->saved_done || a->restored)
        return 0;
    a->restored = 1;
    for (size_t p = m->n_plugins; p-- > 0;) {
        const struct model_plugin *mp = &m->plugins[p];
        if (!a->plugin_ok[p] || a->plugin_restored[p])
            continue;
        size_t n = actuate_restore_list(a, m, p);
        for (size_t k = 0; k < n; k++) {
            uint32_t idx = a->idx[k];
            double v = a->vals[k];
            int rc = mp->plug->desc->write(mp->plug->state, &idx, &v, 1);
            failed +=
                actuate_restore_outcome(m, mp, mp->ctl_base + idx, v, rc, st);
        }
        /* Done: if a later driver crashes, the emergency restore skips
         * this one (actuate_restore_isolated). */
        a->plugin_restored[p] = 1;
    }
    return failed;
}

size_t actuate_restore_isolated(struct actuate *a, struct model *m,
                                struct stats *st)
{
    size_t failed = 0;
    if (!a->saved_done)
        return 0;
    a->restored = 1;
    for (size_t p = m->n_plugins; p-- > 0;) {
        const struct model_plugin *mp = &m->plugins[p];
        if (!a->plugin_ok[p] || a->plugin_restored[p])
            continue;
        a->plugin_restored[p] = 1;
        size_t n = actuate_restore_list(a, m, p);
        if (n == 0)
            continue;
        char why[96];
        int ir =
            isolate_write(mp->plug->desc, mp->plug->state, a->idx, a->vals, n,
                          a->restore_rc, ISOLATE_TIMEOUT_MS, why, sizeof why);
        if (ir != 0) {
            log_msg(LOG_ERROR,
                    "%s: the driver %s while its controls were restored",
                    mp->name, why);
        }
        for (size_t k = 0; k < n; k++) {
            size_t c = mp->ctl_base + a->idx[k];
            int rc = a->restore_rc[k] == ISOLATE_NOT_RUN ? WATTSON_ERR
                                                         : a->restore_rc[k];
            failed += actuate_restore_outcome(m, mp, c, a->vals[k], rc, st);
        }
    }
    return failed;
}
