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

void sample_run(struct model *m, struct stats *st, double t_now)
{
    m->n_ipc = 0;
    /* `prev` keeps the last *valid* sample, so a counter's increase over
     * a failed read is not lost: the next good sample's delta covers it.
     * m->t is still the previous tick's time here. */
    for (size_t i = 0; i < m->n_signals; i++) {
        if (m->valid[i]) {
            m->prev[i] = m->val[i];
            m->prev_valid[i] = 1;
            m->prev_t[i] = m->t;
        }
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
        for (uint32_t i = 0; i < mp->n_sig; i++) {
            if (!ok[i]) {
                st->invalid_samples++;
            } else if (v[i] != v[i]) {
                /* A NaN flagged valid is a driver bug; treat as missing. */
                ok[i] = 0;
                st->invalid_samples++;
            }
        }
    }
}
