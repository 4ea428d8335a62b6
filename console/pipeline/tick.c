/*
 * tick - see tick.h.
 */
#include "pipeline/tick.h"

#include <stddef.h>

#include "core/clock.h"
#include "core/model.h"
#include "core/summary.h"
#include "engines/engines.h"
#include "pipeline/actuate.h"
#include "pipeline/decide.h"
#include "pipeline/features.h"
#include "pipeline/forecast.h"
#include "pipeline/guard.h"
#include "pipeline/override.h"
#include "pipeline/propose.h"
#include "pipeline/record.h"
#include "pipeline/sample.h"
#include "core/ipcin.h"

/* Thin adapters: each stage's own function with what it needs. */

static void st_sample(struct tick *t)
{
    sample_run(t->m, t->st, t->t_now);
    if (t->ipcin)
        ipcin_tick(t->ipcin, t->m, t->t_now);
    t->m->tick = t->next;
}

static void st_features(struct tick *t)
{
    features_run(t->m);
}

static void st_forecast(struct tick *t)
{
    forecast_run(t->fc, t->m);
}

static void st_propose(struct tick *t)
{
    propose_run(t->eng, t->m);
}

static void st_decide(struct tick *t)
{
    decide_run(t->dec, t->m, t->st);
}

static void st_override(struct tick *t)
{
    override_run(t->ovr, t->m);
}

static void st_guard(struct tick *t)
{
    guard_run(t->m, t->st);
    guard_gshares(t->m, t->st);
}

static void st_actuate(struct tick *t)
{
    actuate_run(t->act, t->m, t->st);
}

static void st_record(struct tick *t)
{
    summary_take_counters(t->sum, t->st, t->m->ipc_dropped);
    engines_summarize(t->eng, t->sum);
    record_run(t->rec, t->m, t->sum);
}

const struct tick_stage tick_stages[TICK_N_STAGES] = {
    {"sample", st_sample},     {"features", st_features},
    {"forecast", st_forecast}, {"propose", st_propose},
    {"decide", st_decide},     {"override", st_override},
    {"guard", st_guard},       {"actuate", st_actuate},
    {"record", st_record},
};

void tick_run(struct tick *t, uint64_t next, double t_now, uint64_t *stage_ns)
{
    t->next = next;
    t->t_now = t_now;
    if (!stage_ns) {
        for (size_t i = 0; i < TICK_N_STAGES; i++)
            tick_stages[i].run(t);
        return;
    }
    uint64_t t0 = clock_mono_ns();
    for (size_t i = 0; i < TICK_N_STAGES; i++) {
        tick_stages[i].run(t);
        uint64_t t1 = clock_mono_ns();
        stage_ns[i] += t1 - t0;
        t0 = t1;
    }
}
