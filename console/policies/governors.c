/*
 * governors - see governors.h for the rules and their sources.
 *
 * The governors keep no state of their own (conservative's "current
 * target" is the model's guarded target), so create hands out one shared
 * static token and there is nothing to free: decide_init needs a non-NULL
 * state, and a tick allocates nothing.
 */
#include "policies/governors.h"

#include "engines/broker.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/model.h"

#define GOV_UP 0.80   /* ondemand/conservative up_threshold */
#define GOV_DOWN 0.20 /* conservative down_threshold */
#define GOV_STEP 0.05 /* conservative freq_step, of f_max */
#define GOV_SU_MARGIN 1.25

static const char builtin_prefix[] = "builtin:";

static char gov_token; /* the shared state (see above) */

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

double gov_ondemand_freq(double util, double fmin, double fmax)
{
    if (!(util == util) || util > GOV_UP)
        return fmax;
    return clampd(fmax * util, fmin, fmax);
}

double gov_conservative_freq(double util, double cur, double fmin, double fmax)
{
    double step = GOV_STEP * fmax;
    if (!(util == util))
        return clampd(cur, fmin, fmax);
    if (util > GOV_UP)
        cur += step;
    else if (util < GOV_DOWN)
        cur -= step;
    return clampd(cur, fmin, fmax);
}

double gov_schedutil_freq(double util, double fcur, double fmin, double fmax,
                          const double *ps, size_t n)
{
    if (!(util == util))
        return fmax;
    /* Frequency-invariant, as the kernel's, only where the result can be
     * rounded up: a busy unit's util cannot exceed its current capacity,
     * and it is the 25 % margin plus rounding up that lifts it to the next
     * state.  The sim rounds a continuous target down, so without a table
     * the plain util (f_max x util) is what keeps it off the floor. */
    if (n > 0 && fcur > 0 && fmax > 0)
        util *= fcur / fmax;
    double f = GOV_SU_MARGIN * fmax * util;
    if (n > 0) {
        /* The lowest state at or above f; the top one when none is. */
        size_t i = 0;
        while (i + 1 < n && ps[i] < f)
            i++;
        f = ps[i];
    }
    return clampd(f, fmin, fmax);
}

static void *gov_create(const struct model *m)
{
    (void)m;
    return &gov_token;
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

enum gov_rule { RULE_ONDEMAND, RULE_CONSERVATIVE, RULE_SCHEDUTIL, RULE_RACE };

/* The static split: each PU's cap gets its minimum plus a share of the
 * rest of the budget in proportion to its cap range (for identical PUs,
 * an equal split); every cap at its maximum without a budget.  The caps
 * then sum to the budget exactly, unless the minimums alone exceed it
 * (then every cap is at its minimum and the run shows the violations). */
static void static_caps(struct model *m)
{
    double mins = 0, ranges = 0;
    for (size_t k = 0; k < m->n_pus; k++) {
        int32_t cc = m->devices[m->pus[k]].ctl[CTL_POWER_CAP];
        if (cc < 0)
            continue;
        mins += m->controls[cc].min;
        ranges += m->controls[cc].max - m->controls[cc].min;
    }
    double spare = m->budget_w - mins;
    double share = ranges > 0 && spare > 0 ? fmin(1.0, spare / ranges) : 0;
    for (size_t k = 0; k < m->n_pus; k++) {
        int32_t cc = m->devices[m->pus[k]].ctl[CTL_POWER_CAP];
        if (cc < 0)
            continue;
        const struct model_control *c = &m->controls[cc];
        gov_decide_ctl(m, cc,
                       m->budget_w > 0 ? c->min + share * (c->max - c->min)
                                       : c->max);
    }
}

/* The Linux governors and race: freq by `rule`; the governors run under
 * the static split's caps (what a lab's firmware power limits hold them
 * to), race with every cap at its maximum. */
static void linux_decide(struct model *m, enum gov_rule rule)
{
    if (rule != RULE_RACE)
        static_caps(m);
    for (size_t k = 0; k < m->n_pus; k++) {
        uint32_t d = m->pus[k];
        const struct model_device *dev = &m->devices[d];
        int32_t cf = dev->ctl[CTL_FREQ], cc = dev->ctl[CTL_POWER_CAP];
        if (cc >= 0 && rule == RULE_RACE)
            gov_decide_ctl(m, cc, m->controls[cc].max);
        if (cf < 0)
            continue;
        const struct model_control *ctl = &m->controls[cf];
        double util = NAN, fcur = 0, f = ctl->max;
        if (!model_sig(m, d, SIG_UTIL, &util))
            util = NAN;
        switch (rule) {
        case RULE_ONDEMAND:
            f = gov_ondemand_freq(util, ctl->min, ctl->max);
            break;
        case RULE_CONSERVATIVE:
            f = gov_conservative_freq(util, current_target(m, cf), ctl->min,
                                      ctl->max);
            break;
        case RULE_SCHEDUTIL: {
            const double *ps = NULL;
            size_t n = 0;
            if (m->ps_off) {
                ps = m->ps_freq + m->ps_off[d];
                n = m->ps_off[d + 1] - m->ps_off[d];
            }
            if (!model_sig(m, d, SIG_FREQ, &fcur))
                fcur = 0;
            f = gov_schedutil_freq(util, fcur, ctl->min, ctl->max, ps, n);
            break;
        }
        case RULE_RACE:
            break;
        }
        gov_decide_ctl(m, cf, f);
    }
}

static int ondemand_decide(void *st, struct model *m, struct stats *stats)
{
    (void)st;
    (void)stats;
    linux_decide(m, RULE_ONDEMAND);
    return 0;
}

static int conservative_decide(void *st, struct model *m, struct stats *stats)
{
    (void)st;
    (void)stats;
    linux_decide(m, RULE_CONSERVATIVE);
    return 0;
}

static int schedutil_decide(void *st, struct model *m, struct stats *stats)
{
    (void)st;
    (void)stats;
    linux_decide(m, RULE_SCHEDUTIL);
    return 0;
}

static int race_decide(void *st, struct model *m, struct stats *stats)
{
    (void)st;
    (void)stats;
    linux_decide(m, RULE_RACE);
    return 0;
}

static int static_decide(void *st, struct model *m, struct stats *stats)
{
    (void)st;
    (void)stats;
    for (size_t k = 0; k < m->n_pus; k++) {
        int32_t cf = m->devices[m->pus[k]].ctl[CTL_FREQ];
        if (cf >= 0)
            gov_decide_ctl(m, cf, m->controls[cf].max);
    }
    static_caps(m);
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
    {.name = "static", .create = gov_create, .decide = static_decide},
    {.name = "ondemand", .create = gov_create, .decide = ondemand_decide},
    {.name = "conservative",
     .create = gov_create,
     .decide = conservative_decide},
    {.name = "schedutil", .create = gov_create, .decide = schedutil_decide},
    {.name = "race", .create = gov_create, .decide = race_decide},
    {.name = "broker-noipc", .create = gov_create, .decide = gov_broker_decide},
    {.name = "broker", .create = gov_create, .decide = gov_broker_decide},
    {.name = "perfect-forecast",
     .create = gov_create,
     .decide = gov_broker_decide},
};

#define GOV_N (sizeof gov_ops / sizeof gov_ops[0])

/* "oracle" was perfect-forecast's name: it is the broker fed the true
 * next-tick demand, a heuristic and not a bound (the broker has beaten
 * it), so the name went; the old one still works, with a warning. */
static const char gov_old_oracle[] = "oracle";

const struct policy_ops *gov_find(const char *name)
{
    static int warned; /* the command line and the run both look it up */
    if (name && strcmp(name, gov_old_oracle) == 0) {
        if (!warned++)
            log_msg(LOG_WARN,
                    "builtin:oracle is now builtin:perfect-forecast "
                    "(the broker given the true demand: not a bound)");
        name = "perfect-forecast";
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
        char names[128];
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
