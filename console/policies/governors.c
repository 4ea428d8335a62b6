/*
 * governors - see governors.h for the rules and their sources.
 *
 * performance, ondemand, conservative, schedutil, naive-split and
 * balancer keep a struct gov_state: their tunables, one struct gov_pu per
 * processing unit (in model->pus order) and their power layer (pwrlimit,
 * the split's caps or the balancer), made by create and freed by
 * destroy, so a tick allocates nothing.  race and the broker's keep
 * nothing: create hands out one shared static token (decide_init needs a
 * non-NULL state).
 */
#include "policies/governors.h"

#include "engines/broker.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/model.h"
#include "policies/balancer.h"
#include "policies/pwrlimit.h"

/* cpufreq_ondemand.c / cpufreq_conservative.c: DEF_FREQUENCY_UP_THRESHOLD
 * (80, both), conservative's DEF_FREQUENCY_DOWN_THRESHOLD (20) and
 * freq_step (5, % of policy->max). */
#define GOV_UP_PCT 80u
#define GOV_DOWN_PCT 20u
#define GOV_STEP 0.05
/* map_util_perf (include/linux/sched/cpufreq.h): util + util / 4. */
#define GOV_SU_MARGIN 1.25
/* kernel/sched/pelt.c: LOAD_AVG_PERIOD 32 periods of 1024 us halve a
 * contribution (y^32 = 1/2). */
#define PELT_PERIOD_S 1024e-6
#define PELT_HALF_PERIODS 32.0
/* kernel/sched/fair.c: UTIL_EST_WEIGHT_SHIFT 2 (new samples weigh 1/4);
 * UTIL_EST_MARGIN SCHED_CAPACITY_SCALE / 100 (~1 %: smaller drops are
 * not folded in). */
#define UTIL_EST_WEIGHT 0.25
#define UTIL_EST_MARGIN (10.0 / 1024.0)
/* Elapsed-time comparisons forgive this much relative rounding: ten 1 ms
 * ticks make a 10 ms period though their sum is a hair short of it. */
#define GOV_TIME_EPS 1e-9

static const char builtin_prefix[] = "builtin:";

static char gov_token; /* the stateless governors' shared state */

enum gov_rule { RULE_ONDEMAND, RULE_CONSERVATIVE, RULE_SCHEDUTIL, RULE_RACE };

/* One PU's governor state. */
struct gov_pu {
    int have_req;   /* `req` holds a decision (or the starting clock) */
    double req;     /* the request held between actions, Hz */
    double busy_s;  /* dbs: busy time since the last sample */
    double wall_s;  /* dbs: wall time since the last sample */
    unsigned mult;  /* ondemand's rate_mult: the next sample waits mult
                       periods */
    unsigned skip;  /* conservative's down_skip */
    double cs_req;  /* conservative's requested_freq, Hz; NaN: unset */
    int pelt_init;  /* schedutil: util_avg holds a value */
    double util;    /* PELT util_avg, capacity 1 */
    double est;     /* util_est's EWMA, capacity 1 */
    double next_f;  /* sg_policy->next_freq: the last change, Hz; 0: none */
    double t_next;  /* when next_f was set (last_freq_update_time) */
    double su_busy; /* busy time since the last update (sugov_hold_freq) */
    double su_wall;
};

/* What holds a governor's PUs to the budget once their clocks are
 * chosen (governors.h, "Power limits"). */
enum gov_layer {
    LAYER_PKG,      /* pwrlimit: RAPL-like packages, per-device limits */
    LAYER_SPLIT,    /* naive-split: the fixed per-PU share of the budget */
    LAYER_BALANCER, /* balancer: pwrlimit's domain limits moved toward
                       the saturated domains, then pwrlimit */
};

struct gov_state {
    enum gov_rule rule;
    enum gov_layer layer;
    struct gov_tunables tun;
    struct pwrlimit *pl;  /* LAYER_PKG, LAYER_BALANCER */
    struct balancer *bal; /* LAYER_BALANCER */
    double *split;        /* LAYER_SPLIT: the caps, n */
    size_t n;
    struct gov_pu pu[];
};

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void gov_tunables_default(struct gov_tunables *t)
{
    /* 10 ms: MICRO_FREQUENCY_MIN_SAMPLE_RATE, ondemand's classic floor
     * (today's kernels take max(2 jiffies, the driver's transition
     * delay): 8 ms at HZ=250).  1 ms: cpufreq_policy_transition_delay_us
     * (drivers/cpufreq/cpufreq.c) without a driver delay or latency,
     * USEC_PER_MSEC; amd-pstate gives the same 1000 us. */
    t->period_s = GOV_PERIOD_DEFAULT_S;
    t->rate_limit_s = GOV_RATE_LIMIT_DEFAULT_S;
    t->sampling_down_factor = 1;
}

/* ---- the rules --------------------------------------------------------- */

double gov_resolve(double target, enum gov_relation rel, const double *ps,
                   size_t n, double fmin, double fmax)
{
    /* __cpufreq_driver_target / cpufreq_driver_resolve_freq clamp the
     * target to the policy limits before the table lookup. */
    target = clampd(target, fmin, fmax);
    if (n == 0 || !ps)
        return target;
    size_t i;
    switch (rel) {
    case GOV_REL_L: /* cpufreq_table_find_index_al */
        for (i = 0; i + 1 < n && ps[i] < target; i++)
            ;
        break;
    case GOV_REL_H: /* cpufreq_table_find_index_ah: none at or below ->
                       the lowest */
        for (i = 0; i + 1 < n && ps[i + 1] <= target; i++)
            ;
        break;
    case GOV_REL_C: /* cpufreq_table_find_index_ac */
    default:
        for (i = 0; i + 1 < n && ps[i] < target; i++)
            ;
        /* ps[i] is the lowest state at or above (or the top one); the
         * one below wins only when strictly closer: on an ascending
         * table a tie goes to the lower state. */
        if (i > 0 && ps[i] > target && target - ps[i - 1] <= ps[i] - target)
            i--;
        break;
    }
    return clampd(ps[i], fmin, fmax);
}

/* dbs_update's load: a whole percentage, rounded down, of a fraction
 * computed in doubles (the epsilon keeps 0.29 from becoming 28). */
static unsigned load_pct(double load)
{
    double p = floor(100.0 * clampd(load, 0, 1) + 1e-9);
    return (unsigned)p;
}

/* cpuinfo.min_freq / max_freq: the table's ends, else the control's. */
static void cpuinfo(const double *ps, size_t n, double fmin, double fmax,
                    double *lo, double *hi)
{
    *lo = n ? ps[0] : fmin;
    *hi = n ? ps[n - 1] : fmax;
}

double gov_ondemand_freq(double load, const double *ps, size_t n, double fmin,
                         double fmax)
{
    unsigned pct = load_pct(load);
    if (pct > GOV_UP_PCT) /* dbs_freq_increase(policy, policy->max) */
        return gov_resolve(fmax, GOV_REL_H, ps, n, fmin, fmax);
    double lo, hi;
    cpuinfo(ps, n, fmin, fmax, &lo, &hi);
    double next = lo + pct * (hi - lo) / 100.0;
    return gov_resolve(next, GOV_REL_C, ps, n, fmin, fmax);
}

/* cs_dbs_update on one sample; *skip is down_skip, sdf the
 * sampling_down_factor.  Returns the request (`hold` when unchanged). */
static double cs_update(unsigned pct, double *requested, unsigned *skip,
                        unsigned sdf, double fcur, double hold,
                        const double *ps, size_t n, double fmin, double fmax)
{
    double r = *requested;
    /* "If requested_freq is out of range, it is likely that the limits
     * changed in the meantime, so fall back to current frequency". */
    if (!(r == r) || r > fmax || r < fmin)
        r = *requested = fcur;
    double step = GOV_STEP * fmax; /* get_freq_step: of policy->max */
    if (pct > GOV_UP_PCT) {
        *skip = 0;
        if (r == fmax) /* already at full speed */
            return hold;
        r = r + step < fmax ? r + step : fmax;
        *requested = r;
        return gov_resolve(r, GOV_REL_H, ps, n, fmin, fmax);
    }
    if (++*skip < sdf) /* sampling_down_factor: decrease less often */
        return hold;
    *skip = 0;
    if (pct < GOV_DOWN_PCT) {
        if (r == fmin)
            return hold;
        /* Not clamped to the minimum: the next sample resets it to the
         * current clock (above); __cpufreq_driver_target clamps the
         * target. */
        r = r > step ? r - step : fmin;
        *requested = r;
        return gov_resolve(r, GOV_REL_L, ps, n, fmin, fmax);
    }
    return hold;
}

double gov_conservative_freq(double load, double *requested, double fcur,
                             double hold, const double *ps, size_t n,
                             double fmin, double fmax)
{
    unsigned skip = 0;
    return cs_update(load_pct(load), requested, &skip, 1, fcur, hold, ps, n,
                     fmin, fmax);
}

double gov_schedutil_freq(double util, double fref, const double *ps, size_t n,
                          double fmin, double fmax)
{
    /* map_util_perf's margin; get_next_freq: fref x util / capacity;
     * cpufreq_driver_resolve_freq: clamped to the policy limits (which
     * is the capacity cap of sugov_effective_cpu_perf when fref is f_max),
     * RELATION_L.  Without invariance (fref = f_cur) a saturated unit
     * asks 1.25 x f_cur. */
    double perf = GOV_SU_MARGIN * clampd(util, 0, 1);
    return gov_resolve(fref * perf, GOV_REL_L, ps, n, fmin, fmax);
}

double gov_pelt(double util, double contrib, double dt)
{
    /* The geometric series over whole and partial 1024 us periods with
     * y^32 = 1/2, in closed form: a contribution held for dt moves
     * util_avg toward it by 1 - y^(dt / 1024 us).  pelt.c accumulates
     * the same series period by period in integers. */
    if (!(dt > 0))
        return util;
    double decay = exp2(-dt / (PELT_PERIOD_S * PELT_HALF_PERIODS));
    return util * decay + contrib * (1.0 - decay);
}

double gov_util_est(double ewma, double dequeued)
{
    /* util_est_update: a rise resets the EWMA ("the moving average is
     * used only to smooth utilization decreases"), a drop within the
     * margin is skipped, else ewma += (dequeued - ewma) / 4. */
    if (ewma <= dequeued)
        return dequeued;
    if (ewma - dequeued < UTIL_EST_MARGIN)
        return ewma;
    return ewma - UTIL_EST_WEIGHT * (ewma - dequeued);
}

/* ---- state ------------------------------------------------------------- */

static void *gov_create(const struct model *m)
{
    (void)m;
    return &gov_token;
}

static void gov_state_free(void *st)
{
    struct gov_state *s = st;
    if (!s)
        return;
    balancer_free(s->bal); /* before the pwrlimit it points at */
    pwrlimit_free(s->pl);
    free(s->split);
    free(s);
}

static void *gov_state_new(const struct model *m, enum gov_rule rule,
                           enum gov_layer layer)
{
    size_t n = m->n_pus;
    struct gov_state *s = calloc(1, sizeof *s + n * sizeof s->pu[0]);
    if (!s)
        return NULL;
    s->rule = rule;
    s->layer = layer;
    s->n = n;
    gov_tunables_default(&s->tun);
    for (size_t k = 0; k < n; k++) {
        s->pu[k].mult = 1;
        s->pu[k].cs_req = NAN;
    }
    int ok = 1;
    if (layer == LAYER_PKG)
        ok = (s->pl = pwrlimit_new(m, 0)) != NULL;
    else if (layer == LAYER_BALANCER)
        ok = (s->pl = pwrlimit_new(m, 0)) != NULL &&
             (s->bal = balancer_new(s->pl, 0)) != NULL;
    else
        ok = (s->split = calloc(n ? n : 1, sizeof *s->split)) != NULL;
    if (!ok) {
        gov_state_free(s);
        return NULL;
    }
    return s;
}

static void *ondemand_create(const struct model *m)
{
    return gov_state_new(m, RULE_ONDEMAND, LAYER_PKG);
}

static void *conservative_create(const struct model *m)
{
    return gov_state_new(m, RULE_CONSERVATIVE, LAYER_PKG);
}

static void *schedutil_create(const struct model *m)
{
    return gov_state_new(m, RULE_SCHEDUTIL, LAYER_PKG);
}

static void *performance_create(const struct model *m)
{
    return gov_state_new(m, RULE_RACE, LAYER_PKG);
}

static void *naive_split_create(const struct model *m)
{
    return gov_state_new(m, RULE_SCHEDUTIL, LAYER_SPLIT);
}

static void *balancer_create(const struct model *m)
{
    return gov_state_new(m, RULE_SCHEDUTIL, LAYER_BALANCER);
}

static void gov_decide_ctl(struct model *m, int32_t c, double v)
{
    const struct model_control *ctl = &m->controls[c];
    m->decision[c] = clampd(v, ctl->min, ctl->max);
    m->decided[c] = 1;
}

/* The target the guard last let through, else what the driver holds,
 * else the maximum (where the sim's controls start). */
static double current_target(const struct model *m, int32_t c)
{
    if (m->targeted[c])
        return m->target[c];
    if (m->applied_known[c])
        return m->applied[c];
    return m->controls[c].max;
}

/* The fixed per-PU split (pwrlimit_split: each cap's minimum plus a
 * share of the budget in proportion to its range) as the decisions;
 * `caps` holds n_pus values. */
static void split_caps(struct model *m, double *caps)
{
    pwrlimit_split(m, caps);
    for (size_t k = 0; k < m->n_pus; k++) {
        int32_t cc = m->devices[m->pus[k]].ctl[CTL_POWER_CAP];
        if (cc >= 0 && caps[k] == caps[k])
            gov_decide_ctl(m, cc, caps[k]);
    }
}

/* What one PU's rule needs this tick. */
struct gov_in {
    const double *ps; /* P-state table, n states; NULL, 0: none */
    size_t n;
    double fmin, fmax; /* policy limits: the freq control's range */
    double util;       /* busy fraction this tick; NaN: invalid */
    double fcur;       /* the clock (policy->cur) */
    double dt, t;      /* this tick's length, the model time */
};

/* ondemand and conservative: the dbs sampling (cpufreq_governor.c,
 * dbs_update_util_handler: act once the sample delay has elapsed since
 * the last sample; dbs_update: load over that window). */
static void dbs_tick(const struct gov_state *s, struct gov_pu *p,
                     const struct gov_in *in)
{
    if (in->util == in->util && in->dt > 0) {
        p->busy_s += clampd(in->util, 0, 1) * in->dt;
        p->wall_s += in->dt;
    }
    unsigned mult = s->rule == RULE_ONDEMAND ? p->mult : 1;
    double delay = s->tun.period_s * mult;
    if (!(p->wall_s > 0) || p->wall_s < delay * (1 - GOV_TIME_EPS))
        return; /* hold the request until the period has elapsed */
    unsigned pct = load_pct(p->busy_s / p->wall_s);
    p->busy_s = p->wall_s = 0;
    if (s->rule == RULE_ONDEMAND) {
        /* od_update: rate_mult = sampling_down_factor when it jumps to
         * the maximum from below, 1 when no longer fully busy. */
        if (pct > GOV_UP_PCT) {
            if (in->fcur < in->fmax)
                p->mult = s->tun.sampling_down_factor;
        } else {
            p->mult = 1;
        }
        p->req =
            gov_ondemand_freq(pct / 100.0, in->ps, in->n, in->fmin, in->fmax);
    } else {
        p->req =
            cs_update(pct, &p->cs_req, &p->skip, s->tun.sampling_down_factor,
                      in->fcur, p->req, in->ps, in->n, in->fmin, in->fmax);
    }
}

/* schedutil: PELT and util_est every tick; a frequency update every tick
 * the rate limit allows (sugov_update_single_freq). */
static void su_tick(const struct gov_state *s, struct gov_pu *p,
                    const struct gov_in *in)
{
    if (!(in->util == in->util) || !(in->dt > 0))
        return; /* no sample: nothing to learn, the request holds */
    double u = clampd(in->util, 0, 1);
    int invariant = in->n > 0 && in->fmax > 0 && in->fcur > 0;
    /* Frequency invariance (arch_scale_freq_capacity): a busy fraction
     * at f_cur is worth f_cur / f_max of the top clock's. */
    double contrib = invariant ? u * in->fcur / in->fmax : u;
    if (!p->pelt_init) {
        p->util = contrib;
        p->pelt_init = 1;
    } else {
        p->util = gov_pelt(p->util, contrib, in->dt);
    }
    /* util_est: a tick with idle time ends an activation (the task
     * sleeps: its dequeue sample is util_avg now). */
    if (u < 1)
        p->est = gov_util_est(p->est, p->util);
    p->su_busy += u * in->dt;
    p->su_wall += in->dt;

    /* sugov_should_update_freq: rate_limit_us since the last change. */
    if (p->next_f > 0 &&
        in->t - p->t_next < s->tun.rate_limit_s * (1 - GOV_TIME_EPS))
        return;
    /* cpu_util: max(util_avg, util_est) while the task is enqueued,
     * capped at the capacity.  The EWMA is the one after this tick's
     * dequeue: the request is what the kernel picks when the task next
     * wakes (its enqueue adds util_est), in the tick the request rules. */
    double util = u > 0 ? fmax(p->util, p->est) : p->util;
    double fref = invariant ? in->fmax : in->fcur > 0 ? in->fcur : in->fmax;
    double f =
        gov_schedutil_freq(util, fref, in->ps, in->n, in->fmin, in->fmax);
    /* sugov_hold_freq: not lowered if the CPU was never idle since the
     * previous update. */
    int busy = p->su_busy >= p->su_wall * (1 - GOV_TIME_EPS);
    p->su_busy = p->su_wall = 0;
    if (busy && p->next_f > 0 && f < p->next_f)
        f = p->next_f;
    /* sugov_update_next_freq: only a change restarts the rate limit. */
    if (f != p->next_f) {
        p->next_f = f;
        p->t_next = in->t;
    }
    p->req = f;
}

/* The Linux governors, performance and race: freq by the rule, then the
 * state's power layer holds them to the budget (race: no state, every
 * cap at its maximum). */
static void linux_decide(struct gov_state *s, struct model *m,
                         enum gov_rule rule)
{
    for (size_t k = 0; k < m->n_pus; k++) {
        uint32_t d = m->pus[k];
        const struct model_device *dev = &m->devices[d];
        int32_t cf = dev->ctl[CTL_FREQ], cc = dev->ctl[CTL_POWER_CAP];
        if (cc >= 0 && rule == RULE_RACE)
            gov_decide_ctl(m, cc, m->controls[cc].max);
        if (cf < 0)
            continue;
        const struct model_control *ctl = &m->controls[cf];
        if (rule == RULE_RACE || !s || k >= s->n) {
            /* race, and performance (the kernel's: policy->max). */
            gov_decide_ctl(m, cf, ctl->max);
            continue;
        }
        struct gov_pu *p = &s->pu[k];
        struct gov_in in = {.fmin = ctl->min,
                            .fmax = ctl->max,
                            .util = NAN,
                            .dt = m->dt,
                            .t = m->t};
        if (m->ps_off) {
            in.ps = m->ps_freq + m->ps_off[d];
            in.n = m->ps_off[d + 1] - m->ps_off[d];
        }
        if (!model_sig(m, d, SIG_UTIL, &in.util))
            in.util = NAN;
        double fsig;
        int have_f = model_sig(m, d, SIG_FREQ, &fsig) && fsig > 0;
        if (!p->have_req) {
            /* Before any decision: the clock it runs at (cs_start's
             * requested_freq = policy->cur). */
            p->req = have_f ? fsig : current_target(m, cf);
            p->have_req = 1;
        }
        in.fcur = have_f ? fsig : p->req;
        if (rule == RULE_SCHEDUTIL)
            su_tick(s, p, &in);
        else
            dbs_tick(s, p, &in);
        gov_decide_ctl(m, cf, p->req);
    }
    if (!s)
        return;
    switch (s->layer) {
    case LAYER_PKG:
        pwrlimit_apply(s->pl, m);
        break;
    case LAYER_SPLIT:
        split_caps(m, s->split);
        break;
    case LAYER_BALANCER:
        /* The domains' limits, then their enforcement as for the
         * others. */
        balancer_apply(s->bal, m);
        pwrlimit_apply(s->pl, m);
        break;
    }
}

/* Every governor with a state: its rule, then its power layer. */
static int gov_state_decide(void *st, struct model *m, struct stats *stats)
{
    (void)stats;
    linux_decide(st, m, ((struct gov_state *)st)->rule);
    return 0;
}

/* race: every clock and cap at its maximum, no state, no layer. */
static int race_decide(void *st, struct model *m, struct stats *stats)
{
    (void)st;
    (void)stats;
    linux_decide(NULL, m, RULE_RACE);
    return 0;
}

/* broker and oracle: the proposal is the decision, control by control;
 * a control without one keeps its target. */
static int gov_broker_decide(void *st, struct model *m, struct stats *stats)
{
    (void)st;
    (void)stats;
    for (size_t c = 0; c < m->n_controls; c++)
        if (m->proposed[c]) {
            m->decision[c] = m->proposal[c];
            m->decided[c] = 1;
        }
    return 0;
}

static const struct policy_ops gov_ops[] = {
    {.name = "performance",
     .create = performance_create,
     .decide = gov_state_decide,
     .destroy = gov_state_free},
    {.name = "ondemand",
     .create = ondemand_create,
     .decide = gov_state_decide,
     .destroy = gov_state_free},
    {.name = "conservative",
     .create = conservative_create,
     .decide = gov_state_decide,
     .destroy = gov_state_free},
    {.name = "schedutil",
     .create = schedutil_create,
     .decide = gov_state_decide,
     .destroy = gov_state_free},
    {.name = "naive-split",
     .create = naive_split_create,
     .decide = gov_state_decide,
     .destroy = gov_state_free},
    {.name = "balancer",
     .create = balancer_create,
     .decide = gov_state_decide,
     .destroy = gov_state_free},
    {.name = "race", .create = gov_create, .decide = race_decide},
    {.name = "broker-noipc", .create = gov_create, .decide = gov_broker_decide},
    {.name = "broker", .create = gov_create, .decide = gov_broker_decide},
    {.name = "perfect-forecast",
     .create = gov_create,
     .decide = gov_broker_decide},
};

#define GOV_N (sizeof gov_ops / sizeof gov_ops[0])

/* The governors with a struct gov_state. */
static int gov_stateful(const struct policy_ops *ops)
{
    return ops && ops->destroy == gov_state_free;
}

int gov_configure(const struct policy_ops *ops, void *state,
                  const struct gov_tunables *t)
{
    if (!gov_stateful(ops) || !state || !t)
        return -1;
    if (!(t->period_s > 0) || !isfinite(t->period_s) ||
        !(t->rate_limit_s > 0) || !isfinite(t->rate_limit_s) ||
        t->sampling_down_factor < 1)
        return -1;
    ((struct gov_state *)state)->tun = *t;
    return 0;
}

void gov_set_period(const struct policy_ops *ops, void *state, double period_s)
{
    if (!gov_stateful(ops) || !state || !(period_s > 0) || !isfinite(period_s))
        return;
    ((struct gov_state *)state)->tun.period_s = period_s;
}

/* The first multiple of tick at or above x (the tick when x is shorter). */
static double first_tick_at(double x, double tick)
{
    double k = ceil(x / tick * (1 - GOV_TIME_EPS));
    return (k < 1 ? 1 : k) * tick;
}

double gov_period_s(const struct policy_ops *ops, const struct gov_tunables *t,
                    double tick_s)
{
    struct gov_tunables def;
    if (!t) {
        gov_tunables_default(&def);
        t = &def;
    }
    if (!(tick_s > 0))
        return 0;
    if (ops == &gov_ops[1] || ops == &gov_ops[2])
        return first_tick_at(t->period_s, tick_s);
    if (ops == &gov_ops[3])
        return first_tick_at(t->rate_limit_s, tick_s);
    return tick_s;
}

/* "oracle" was perfect-forecast's name: it is the broker fed the true
 * next-tick demand, a heuristic and not a bound (the broker has beaten
 * it), so the name went; the old one still works, with a warning. */
static const char gov_old_oracle[] = "oracle";

/* "static" was every clock at its maximum under the fixed per-PU split
 * of the budget; the hardware's limits replaced that split (issue 13), so
 * it is `performance` now (the split alone is `naive-split`). */
static const char gov_old_static[] = "static";

const struct policy_ops *gov_find(const char *name)
{
    /* The command line and the run both look a name up: one warning. */
    static int warned, warned_static;
    if (name && strcmp(name, gov_old_oracle) == 0) {
        if (!warned++)
            log_msg(LOG_WARN,
                    "builtin:oracle is now builtin:perfect-forecast "
                    "(the broker given the true demand: not a bound)");
        name = "perfect-forecast";
    }
    if (name && strcmp(name, gov_old_static) == 0) {
        if (!warned_static++)
            log_msg(LOG_WARN,
                    "builtin:static is now builtin:performance (every "
                    "clock at its maximum under the package power limits; "
                    "builtin:naive-split is the fixed per-PU split)");
        name = "performance";
    }
    for (size_t i = 0; name && i < GOV_N; i++)
        if (strcmp(name, gov_ops[i].name) == 0)
            return &gov_ops[i];
    return NULL;
}

const char *gov_name(size_t i)
{
    return i < GOV_N ? gov_ops[i].name : NULL;
}

void gov_list(char *buf, size_t len)
{
    size_t off = 0;
    if (!len)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < GOV_N && off < len; i++) {
        int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
                         gov_ops[i].name);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

int gov_parse(const char *policy, const struct policy_ops **ops, char *err,
              size_t errlen)
{
    size_t np = sizeof builtin_prefix - 1;
    if (!policy || strncmp(policy, builtin_prefix, np) != 0)
        return 0;
    const struct policy_ops *g = gov_find(policy + np);
    if (!g) {
        char names[256];
        gov_list(names, sizeof names);
        snprintf(err, errlen,
                 "unknown built-in policy '%s' (builtin:NAME with NAME "
                 "one of %s)",
                 policy + np, names);
        return -1;
    }
    *ops = g;
    return 1;
}

int gov_broker_source(const struct policy_ops *ops)
{
    if (ops == &gov_ops[GOV_N - 3])
        return BROKER_FORECAST;
    if (ops == &gov_ops[GOV_N - 2])
        return BROKER_IPC;
    if (ops == &gov_ops[GOV_N - 1])
        return BROKER_PERFECT;
    return -1;
}
