/*
 * record - see record.h.
 */
#include "pipeline/record.h"

#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/summary.h"
#include "core/tracefile.h"

int record_init(struct record *r, const struct model *m, unsigned history)
{
    size_t n = m->n_devices ? m->n_devices : 1;
    memset(r, 0, sizeof *r);
    r->e_int = calloc(n, sizeof *r->e_int);
    r->ctr_live = calloc(n, 1);
    if (!r->e_int || !r->ctr_live ||
        ring_init(&r->hist, m->n_signals, history) != 0) {
        record_free(r);
        return -1;
    }
    return 0;
}

void record_free(struct record *r)
{
    ring_free(&r->hist);
    free(r->e_int);
    free(r->ctr_live);
    r->e_int = NULL;
    r->ctr_live = NULL;
}

/* Device d's energy this tick, J.  Its energy counter once the counter
 * has advanced; until then (a device without a counter, or a counter that
 * stands still - a VM's RAPL file, a fixture) the integral of its power
 * reading.  On the tick the counter first advances, the integral so far is
 * taken back, so the device's total is then its counter's increase since
 * the start: never both sources for the same energy. */
static double device_energy(struct record *r, const struct model *m, size_t d)
{
    int32_t p = m->devices[d].sig[SIG_POWER];
    int32_t e = m->devices[d].sig[SIG_ENERGY];
    if (r->ctr_live[d])
        return m->delta[e];
    if (e >= 0 && m->delta[e] > 0) {
        r->ctr_live[d] = 1;
        return m->delta[e] - r->e_int[d];
    }
    if (p >= 0 && m->valid[p]) {
        double j = m->val[p] * m->dt;
        r->e_int[d] += j;
        return j;
    }
    return 0;
}

/* The sum over every device of a counter's increase this tick. */
static double sum_delta(const struct model *m, enum model_sig k)
{
    double sum = 0;
    for (size_t d = 0; d < m->n_devices; d++) {
        int32_t s = m->devices[d].sig[k];
        if (s >= 0)
            sum += m->delta[s];
    }
    return sum;
}

void record_run(struct record *r, const struct model *m, struct summary *s)
{
    ring_push(&r->hist, m->val, m->valid);

    int any = 0;
    double power = model_total_power(m, &any), energy = 0;
    for (size_t d = 0; d < m->n_devices; d++)
        energy += device_energy(r, m, d);
    r->last_power_w = power;
    r->last_power_valid = any;
    if (any) {
        if (power > s->peak_power_w)
            s->peak_power_w = power;
        /* A relative tolerance keeps rounding from counting a violation
         * when a policy fills the budget exactly. */
        if (m->budget_w > 0 && power > m->budget_w * (1 + 1e-9))
            s->budget_violations++;
    }
    s->energy_j += energy;
    s->work_arrived += sum_delta(m, SIG_WORK_ARRIVED);
    s->work_served += sum_delta(m, SIG_WORK_SERVED);
    s->wait_op_s += sum_delta(m, SIG_WAIT);
    s->deadline_misses += sum_delta(m, SIG_DEADLINE_MISSES);
    double backlog = 0;
    for (size_t d = 0; d < m->n_devices; d++) {
        int32_t i = m->devices[d].sig[SIG_BACKLOG];
        if (i >= 0 && m->valid[i])
            backlog += m->val[i];
    }
    s->backlog_end = backlog;
    s->ticks = m->tick;
    s->sim_seconds = m->t;
    s->faults = m; /* device_faults: the model's per-device fault records */

    if (r->jsonl)
        tracefile_tick(r->jsonl, m, any ? power : 0);
    if (r->csv)
        tracefile_tick(r->csv, m, any ? power : 0);
    if (r->rtrace)
        tracefile_tick(r->rtrace, m, any ? power : 0);
}
