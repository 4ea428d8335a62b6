/*
 * record - see record.h.
 */
#include "pipeline/record.h"

#include "core/model.h"
#include "core/summary.h"
#include "core/tracefile.h"

int record_init(struct record *r, const struct model *m, unsigned history)
{
    r->jsonl = r->csv = NULL;
    r->last_power_w = 0;
    r->last_power_valid = 0;
    return ring_init(&r->hist, m->n_signals, history);
}

void record_free(struct record *r)
{
    ring_free(&r->hist);
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

    double power = 0;
    int any = 0;
    for (size_t d = 0; d < m->n_devices; d++) {
        int32_t i = m->devices[d].sig[SIG_POWER];
        if (i >= 0 && m->valid[i]) {
            power += m->val[i];
            any = 1;
        }
    }
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
    s->energy_j += sum_delta(m, SIG_ENERGY);
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
}
