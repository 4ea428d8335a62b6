/*
 * pwrlimit - see pwrlimit.h for the rules and their sources.
 *
 * Layout: the domains' PUs sit in one array (`pu`), each domain a
 * contiguous run of it; a package's candidate ceilings (the union of its
 * PUs' P-state clocks, sorted, duplicates dropped) sit in `cand`.  Both
 * are built once by pwrlimit_new, so a tick walks flat arrays and
 * allocates nothing.
 */
#include "policies/pwrlimit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"

/* A clock equal to a table entry up to this relative error is that entry
 * (the sim's PU_FREQ_EPS: a target on a state is never rounded down). */
#define PL_FREQ_EPS 1e-9

struct pl_dom {
    uint32_t first, n;           /* its PUs: pu[first .. first + n) */
    uint32_t cand_first, n_cand; /* a package's ceilings: cand[...] */
    int package;
    int capped;        /* some PU has a power_cap: it shares the budget */
    int held;          /* package: the ceiling clamped a clock; -1: unknown */
    double pmin, pmax; /* sums of its PUs' power_cap min and max, W */
    double set;        /* pwrlimit_set_limit's limit, W; NAN: the split's */
    double limit;      /* W, at the last apply; 0: no budget */
    double avg;        /* package: running average of power, W */
    double allow;      /* package: power allowed next tick, W */
    double ceiling;    /* package: freq ceiling, Hz; INFINITY: none */
    double predicted;  /* package: predicted power at the ceiling, W */
};

struct pwrlimit {
    double tau;
    size_t n_dom;
    struct pl_dom *dom;
    uint32_t *pu;    /* device indices, grouped by domain */
    int32_t *dom_of; /* per device: its domain, or -1 */
    int32_t *kpos;   /* per device: its position in m->pus, or -1 */
    double *caps;    /* per PU position: the static split */
    /* Per member (parallel to pu), a tick's scratch: the state index
     * under the candidate ceiling, util and the clock it was measured at
     * (read once, not once per candidate). */
    size_t *state;
    double *util, *fcur;
    size_t n_devices;
    double *cand;
    size_t n_cand;
};

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int is_cpu(const struct model_device *dev)
{
    return dev->is_pu && dev->kind && strcmp(dev->kind, "cpu") == 0;
}

static size_t n_states(const struct model *m, uint32_t d)
{
    return m->ps_off ? m->ps_off[d + 1] - m->ps_off[d] : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void pwrlimit_split(const struct model *m, double *caps)
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
        if (cc < 0) {
            caps[k] = NAN;
            continue;
        }
        const struct model_control *c = &m->controls[cc];
        caps[k] = m->budget_w > 0 ? c->min + share * (c->max - c->min) : c->max;
    }
}

struct pwrlimit *pwrlimit_new(const struct model *m, double tau_s)
{
    struct pwrlimit *pl = calloc(1, sizeof *pl);
    if (!pl)
        return NULL;
    pl->tau = tau_s > 0 && isfinite(tau_s) ? tau_s : PWRLIMIT_TAU_DEFAULT;
    size_t n_ps = m->ps_off ? m->ps_off[m->n_devices] : 0;
    /* At most one domain per PU; +1 keeps every calloc non-zero-sized. */
    pl->dom = calloc(m->n_pus + 1, sizeof *pl->dom);
    pl->pu = calloc(m->n_pus + 1, sizeof *pl->pu);
    pl->state = calloc(m->n_pus + 1, sizeof *pl->state);
    pl->util = calloc(m->n_pus + 1, sizeof *pl->util);
    pl->fcur = calloc(m->n_pus + 1, sizeof *pl->fcur);
    pl->n_devices = m->n_devices;
    pl->caps = calloc(m->n_pus + 1, sizeof *pl->caps);
    pl->dom_of = calloc(m->n_devices + 1, sizeof *pl->dom_of);
    pl->kpos = calloc(m->n_devices + 1, sizeof *pl->kpos);
    pl->cand = calloc(n_ps + 1, sizeof *pl->cand);
    if (!pl->dom || !pl->pu || !pl->state || !pl->util || !pl->fcur ||
        !pl->caps || !pl->dom_of || !pl->kpos || !pl->cand) {
        pwrlimit_free(pl);
        return NULL;
    }
    for (size_t d = 0; d < m->n_devices; d++)
        pl->dom_of[d] = pl->kpos[d] = -1;
    for (size_t k = 0; k < m->n_pus; k++)
        pl->kpos[m->pus[k]] = (int32_t)k;

    size_t np = 0;
    for (size_t p = 0; p < m->n_plugins; p++) {
        const struct model_plugin *mp = &m->plugins[p];
        uint32_t end = mp->dev_base + mp->n_dev;
        /* The plugin's CPUs: one package (the slot is taken only when
         * the plugin has one, so a CPU-less plugin leaves it clean). */
        struct pl_dom *pk = &pl->dom[pl->n_dom];
        memset(pk, 0, sizeof *pk);
        pk->first = (uint32_t)np;
        pk->package = 1;
        pk->cand_first = (uint32_t)pl->n_cand;
        for (uint32_t d = mp->dev_base; d < end; d++) {
            if (!is_cpu(&m->devices[d]))
                continue;
            pl->dom_of[d] = (int32_t)pl->n_dom;
            pl->pu[np++] = d;
            pk->n++;
            for (size_t s = 0; s < n_states(m, d); s++)
                pl->cand[pl->n_cand + pk->n_cand++] =
                    m->ps_freq[m->ps_off[d] + s];
        }
        if (pk->n) {
            /* Sorted, duplicates dropped (identical cores share clocks). */
            double *c = pl->cand + pk->cand_first;
            qsort(c, pk->n_cand, sizeof *c, cmp_double);
            size_t u = 0;
            for (size_t i = 0; i < pk->n_cand; i++)
                if (u == 0 || c[i] > c[u - 1])
                    c[u++] = c[i];
            pk->n_cand = (uint32_t)u;
            pl->n_cand += u;
            pl->n_dom++;
        } else {
            memset(pk, 0, sizeof *pk);
        }
        /* Every other PU of the plugin: a domain of its own. */
        for (uint32_t d = mp->dev_base; d < end; d++) {
            if (!m->devices[d].is_pu || is_cpu(&m->devices[d]))
                continue;
            struct pl_dom *o = &pl->dom[pl->n_dom];
            memset(o, 0, sizeof *o);
            o->first = (uint32_t)np;
            o->n = 1;
            pl->dom_of[d] = (int32_t)pl->n_dom++;
            pl->pu[np++] = d;
        }
    }
    for (size_t i = 0; i < pl->n_dom; i++) {
        struct pl_dom *dm = &pl->dom[i];
        dm->set = NAN;
        for (uint32_t j = dm->first; j < dm->first + dm->n; j++) {
            int32_t cc = m->devices[pl->pu[j]].ctl[CTL_POWER_CAP];
            if (cc < 0)
                continue;
            dm->capped = 1;
            dm->pmin += m->controls[cc].min;
            dm->pmax += m->controls[cc].max;
        }
        pl->dom[i].ceiling = INFINITY;
        pl->dom[i].allow = pl->dom[i].package ? INFINITY : 0;
    }
    return pl;
}

void pwrlimit_free(struct pwrlimit *pl)
{
    if (!pl)
        return;
    free(pl->dom);
    free(pl->pu);
    free(pl->state);
    free(pl->util);
    free(pl->fcur);
    free(pl->caps);
    free(pl->dom_of);
    free(pl->kpos);
    free(pl->cand);
    free(pl);
}

static void decide_ctl(struct model *m, int32_t c, double v)
{
    const struct model_control *ctl = &m->controls[c];
    m->decision[c] = clampd(v, ctl->min, ctl->max);
    m->decided[c] = 1;
}

/* What control c is headed for when this tick's governor left it alone:
 * the guarded target, else what the driver holds, else the maximum
 * (where the sim's controls start) - as governors.c does. */
static double base_value(const struct model *m, int32_t c)
{
    if (m->decided[c])
        return m->decision[c];
    if (m->targeted[c])
        return m->target[c];
    if (m->applied_known[c])
        return m->applied[c];
    return m->controls[c].max;
}

/* Util (busy fraction at the clock it was measured at) and that clock
 * (0: unknown); util NAN when invalid. */
static void pu_load(const struct model *m, uint32_t d, double *util,
                    double *fcur)
{
    if (!model_sig(m, d, SIG_UTIL, util) || !isfinite(*util))
        *util = NAN;
    else
        *util = clampd(*util, 0, 1);
    if (!model_sig(m, d, SIG_FREQ, fcur) || !(*fcur > 0) || !isfinite(*fcur))
        *fcur = 0;
}

/* Predicted power of d at state s (index into its table) under `util`
 * measured at `fcur`: idle + u (busy - idle), u the busy fraction at the
 * state's clock, at most 1; an unknown util counts as fully busy. */
static double state_power(const struct model *m, uint32_t d, size_t s,
                          double util, double fcur)
{
    size_t o = m->ps_off[d] + s;
    double f = m->ps_freq[o], u = 1.0;
    if (util == util) /* not NaN */
        u = fmin(1.0, fcur > 0 && f > 0 ? util * fcur / f : util);
    return m->ps_idle[o] + u * (m->ps_busy[o] - m->ps_idle[o]);
}

/* d's power over the tick just ended: its reading (or its energy
 * counter's rate), else the table's prediction at its current clock,
 * else 0. */
static double pu_power_now(const struct model *m, uint32_t d)
{
    double w, util, fcur;
    if (model_device_power(m, d, &w) && isfinite(w))
        return w;
    if (!n_states(m, d))
        return 0;
    pu_load(m, d, &util, &fcur);
    double f = fcur > 0 ? fcur : m->ps_freq[m->ps_off[d + 1] - 1];
    return state_power(m, d, (size_t)model_pstate_at(m, d, f), util, fcur);
}

/* Sets every cap of domain `dm` (caps: per PU position; NULL: maxima). */
static void set_caps(struct pwrlimit *pl, struct model *m,
                     const struct pl_dom *dm, const double *caps)
{
    for (uint32_t j = dm->first; j < dm->first + dm->n; j++) {
        uint32_t d = pl->pu[j];
        int32_t cc = m->devices[d].ctl[CTL_POWER_CAP];
        if (cc < 0)
            continue;
        decide_ctl(m, cc, caps ? caps[pl->kpos[d]] : m->controls[cc].max);
    }
}

/* The package's ceiling for allowance dm->allow (see pwrlimit.h): scans
 * the candidate clocks from the top down, each PU's state only ever
 * moving down, so the scan costs O(candidates + states) per PU. */
static void choose_ceiling(struct pwrlimit *pl, const struct model *m,
                           struct pl_dom *dm)
{
    /* PUs the ceiling cannot move (no table, or no freq control to
     * clamp): their power as it is. */
    double fixed = 0;
    for (uint32_t j = dm->first; j < dm->first + dm->n; j++) {
        uint32_t d = pl->pu[j];
        int32_t cf = m->devices[d].ctl[CTL_FREQ];
        if (!n_states(m, d) || cf < 0) {
            fixed += pu_power_now(m, d);
            continue;
        }
        pl->state[j] = (size_t)model_pstate_at(m, d, base_value(m, cf));
        pu_load(m, d, &pl->util[j], &pl->fcur[j]);
    }
    const double *cand = pl->cand + dm->cand_first;
    for (size_t c = dm->n_cand; c-- > 0;) {
        double F = cand[c], sum = fixed;
        for (uint32_t j = dm->first; j < dm->first + dm->n; j++) {
            uint32_t d = pl->pu[j];
            if (!n_states(m, d) || m->devices[d].ctl[CTL_FREQ] < 0)
                continue;
            size_t o = m->ps_off[d];
            while (pl->state[j] > 0 &&
                   m->ps_freq[o + pl->state[j]] > F * (1.0 + PL_FREQ_EPS))
                pl->state[j]--;
            sum += state_power(m, d, pl->state[j], pl->util[j], pl->fcur[j]);
        }
        dm->ceiling = F;
        dm->predicted = sum;
        if (sum <= dm->allow)
            return;
    }
    /* Nothing fits: the lowest clock (dm->ceiling holds it already). */
}

/* A table-less package under a limit set by pwrlimit_set_limit: its
 * PUs' caps as the static split would give them for that limit (each
 * its minimum plus the same fraction of its range), into pl->caps. */
static void caps_for_limit(struct pwrlimit *pl, const struct model *m,
                           const struct pl_dom *dm)
{
    double range = dm->pmax - dm->pmin;
    double frac = range > 0 ? clampd((dm->limit - dm->pmin) / range, 0, 1) : 0;
    for (uint32_t j = dm->first; j < dm->first + dm->n; j++) {
        int32_t cc = m->devices[pl->pu[j]].ctl[CTL_POWER_CAP];
        if (cc < 0)
            continue;
        const struct model_control *c = &m->controls[cc];
        pl->caps[pl->kpos[pl->pu[j]]] = c->min + frac * (c->max - c->min);
    }
}

static void apply_package(struct pwrlimit *pl, struct model *m,
                          struct pl_dom *dm)
{
    /* The running average first: it counts the tick just ended, whatever
     * the budget, so a budget set mid-run meets the true history. */
    double p = 0, a = 0;
    for (uint32_t j = dm->first; j < dm->first + dm->n; j++)
        p += pu_power_now(m, pl->pu[j]);
    if (m->dt > 0 && isfinite(m->dt)) {
        /* 1 - exp(-dt/tau), without the cancellation for dt << tau. */
        a = -expm1(-m->dt / pl->tau);
        if (isfinite(p))
            dm->avg += (p - dm->avg) * a;
    }
    dm->ceiling = INFINITY;
    dm->predicted = 0;
    dm->held = 0;
    if (!(m->budget_w > 0) || !dm->capped) {
        dm->allow = INFINITY;
        set_caps(pl, m, dm, NULL);
        return;
    }
    double pl1 = dm->limit, pl2 = PWRLIMIT_PL2_RATIO * pl1;
    /* The largest P with avg + (P - avg) a <= PL1, and PL2. */
    dm->allow = a > 0 ? fmin(pl2, dm->avg + (pl1 - dm->avg) / a) : pl2;
    if (!dm->n_cand) {
        /* No table to predict a ceiling with: the per-PU split (of the
         * limit set, when one is). */
        if (dm->set == dm->set)
            caps_for_limit(pl, m, dm);
        set_caps(pl, m, dm, pl->caps);
        dm->held = -1;
        return;
    }
    choose_ceiling(pl, m, dm);
    for (uint32_t j = dm->first; j < dm->first + dm->n; j++) {
        int32_t cf = m->devices[pl->pu[j]].ctl[CTL_FREQ];
        if (cf < 0)
            continue;
        double f = base_value(m, cf);
        if (f > dm->ceiling * (1.0 + PL_FREQ_EPS))
            dm->held = 1;
        decide_ctl(m, cf, fmin(f, dm->ceiling));
    }
    set_caps(pl, m, dm, NULL);
}

/* Domain i's share of the static split in pl->caps (0: no budget). */
static double split_limit(const struct pwrlimit *pl, const struct model *m,
                          size_t i)
{
    const struct pl_dom *dm = &pl->dom[i];
    double limit = 0;
    if (m->budget_w > 0)
        for (uint32_t j = dm->first; j < dm->first + dm->n; j++) {
            double c = pl->caps[pl->kpos[pl->pu[j]]];
            if (c == c)
                limit += c;
        }
    return limit;
}

void pwrlimit_shares(struct pwrlimit *pl, const struct model *m, double *limits)
{
    pwrlimit_split(m, pl->caps);
    for (size_t i = 0; i < pl->n_dom; i++)
        limits[i] = split_limit(pl, m, i);
}

void pwrlimit_set_limit(struct pwrlimit *pl, size_t i, double w)
{
    if (i >= pl->n_dom || !pl->dom[i].capped)
        return;
    struct pl_dom *dm = &pl->dom[i];
    dm->set = w == w ? clampd(w, dm->pmin, dm->pmax) : NAN;
}

void pwrlimit_apply(struct pwrlimit *pl, struct model *m)
{
    pwrlimit_split(m, pl->caps);
    for (size_t i = 0; i < pl->n_dom; i++) {
        struct pl_dom *dm = &pl->dom[i];
        dm->limit = split_limit(pl, m, i);
        /* A limit set replaces the split's share while there is a
         * budget; lowered, it acts through the allowance (the running
         * average stands), as a new PL1 written to the MSR does. */
        if (m->budget_w > 0 && dm->set == dm->set)
            dm->limit = dm->set;
        if (dm->package) {
            apply_package(pl, m, dm);
        } else if (m->budget_w > 0 && dm->set == dm->set) {
            int32_t cc = m->devices[pl->pu[dm->first]].ctl[CTL_POWER_CAP];
            if (cc >= 0) /* capped: its one PU has the cap */
                decide_ctl(m, cc, dm->limit);
        } else {
            set_caps(pl, m, dm, m->budget_w > 0 ? pl->caps : NULL);
        }
    }
}

size_t pwrlimit_n_domains(const struct pwrlimit *pl)
{
    return pl->n_dom;
}

int pwrlimit_is_package(const struct pwrlimit *pl, size_t i)
{
    return i < pl->n_dom && pl->dom[i].package;
}

const uint32_t *pwrlimit_members(const struct pwrlimit *pl, size_t i, size_t *n)
{
    if (i >= pl->n_dom) {
        *n = 0;
        return NULL;
    }
    *n = pl->dom[i].n;
    return pl->pu + pl->dom[i].first;
}

int pwrlimit_domain_of(const struct pwrlimit *pl, uint32_t d)
{
    return d < pl->n_devices ? pl->dom_of[d] : -1;
}

double pwrlimit_limit(const struct pwrlimit *pl, size_t i)
{
    return i < pl->n_dom ? pl->dom[i].limit : NAN;
}

double pwrlimit_min(const struct pwrlimit *pl, size_t i)
{
    return i < pl->n_dom ? pl->dom[i].pmin : NAN;
}

double pwrlimit_max(const struct pwrlimit *pl, size_t i)
{
    return i < pl->n_dom ? pl->dom[i].pmax : NAN;
}

int pwrlimit_held(const struct pwrlimit *pl, size_t i)
{
    return i < pl->n_dom && pl->dom[i].package ? pl->dom[i].held : -1;
}

double pwrlimit_avg(const struct pwrlimit *pl, size_t i)
{
    return i < pl->n_dom ? pl->dom[i].avg : NAN;
}

double pwrlimit_allow(const struct pwrlimit *pl, size_t i)
{
    return i < pl->n_dom ? pl->dom[i].allow : NAN;
}

double pwrlimit_ceiling(const struct pwrlimit *pl, size_t i)
{
    return i < pl->n_dom ? pl->dom[i].ceiling : NAN;
}

double pwrlimit_predicted(const struct pwrlimit *pl, size_t i)
{
    return i < pl->n_dom ? pl->dom[i].predicted : NAN;
}

double pwrlimit_tau(const struct pwrlimit *pl)
{
    return pl->tau;
}
