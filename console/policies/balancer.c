/*
 * balancer - see balancer.h for the rules and their sources.
 *
 * Per-domain arrays are indexed by pwrlimit's domain index i; per-PU
 * arrays by a flat member index j, domain i's PUs at first[i] ..
 * first[i] + nmem[i] (pwrlimit's order).  Everything is allocated once by
 * balancer_new; a tick adds to the period's accumulators and, at the end
 * of a period, moves budget in place.
 */
#include "policies/balancer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "policies/pwrlimit.h"

/* Relative tolerance of clock and backlog comparisons (the sim's
 * PU_FREQ_EPS), so rounding is neither a top clock missed nor growth. */
#define BAL_REL_EPS 1e-9
/* Watts below which a room or an offer is nothing. */
#define BAL_TINY_W 1e-9

struct balancer {
    struct pwrlimit *pl; /* not owned */
    size_t n_dom, n_mem;
    double period_s;
    /* Per domain. */
    double *limit;       /* as set; 0: no budget */
    double *share;       /* the static split: what each domain is owed */
    double *dmin, *dmax; /* the limit's range */
    uint32_t *first, *nmem;
    double *pow_peak; /* the period's peak domain power; NAN: none */
    uint32_t *held_n; /* ticks a package's ceiling clamped a clock */
    double *offer, *room;
    uint8_t *recv;
    /* Per member. */
    uint32_t *dev;
    double *util_sum, *util_last;
    uint32_t *util_n;
    double *pow_last;           /* NAN: no valid reading yet */
    double *bl_first, *bl_last; /* NAN: none yet */
    double elapsed;
    int started;
    double budget; /* the budget the limits were set for */
    uint64_t moves;
    double moved_w;
};

struct balancer *balancer_new(struct pwrlimit *pl, double period_s)
{
    struct balancer *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->pl = pl;
    b->n_dom = pwrlimit_n_domains(pl);
    for (size_t i = 0; i < b->n_dom; i++) {
        size_t n;
        pwrlimit_members(pl, i, &n);
        b->n_mem += n;
    }
    b->period_s =
        period_s > 0 && isfinite(period_s) ? period_s : BALANCER_PERIOD_S;
    size_t nd = b->n_dom + 1, nm = b->n_mem + 1; /* never zero-sized */
    b->limit = calloc(nd, sizeof *b->limit);
    b->share = calloc(nd, sizeof *b->share);
    b->dmin = calloc(nd, sizeof *b->dmin);
    b->dmax = calloc(nd, sizeof *b->dmax);
    b->first = calloc(nd, sizeof *b->first);
    b->nmem = calloc(nd, sizeof *b->nmem);
    b->pow_peak = calloc(nd, sizeof *b->pow_peak);
    b->held_n = calloc(nd, sizeof *b->held_n);
    b->offer = calloc(nd, sizeof *b->offer);
    b->room = calloc(nd, sizeof *b->room);
    b->recv = calloc(nd, sizeof *b->recv);
    b->dev = calloc(nm, sizeof *b->dev);
    b->util_sum = calloc(nm, sizeof *b->util_sum);
    b->util_last = calloc(nm, sizeof *b->util_last);
    b->util_n = calloc(nm, sizeof *b->util_n);
    b->pow_last = calloc(nm, sizeof *b->pow_last);
    b->bl_first = calloc(nm, sizeof *b->bl_first);
    b->bl_last = calloc(nm, sizeof *b->bl_last);
    if (!b->limit || !b->share || !b->dmin || !b->dmax || !b->first ||
        !b->nmem || !b->pow_peak || !b->held_n || !b->offer || !b->room ||
        !b->recv || !b->dev || !b->util_sum || !b->util_last || !b->util_n ||
        !b->pow_last || !b->bl_first || !b->bl_last) {
        balancer_free(b);
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < b->n_dom; i++) {
        size_t n;
        const uint32_t *mem = pwrlimit_members(pl, i, &n);
        b->first[i] = (uint32_t)j;
        b->nmem[i] = (uint32_t)n;
        for (size_t k = 0; k < n; k++)
            b->dev[j++] = mem[k];
        b->dmin[i] = pwrlimit_min(pl, i);
        b->dmax[i] = pwrlimit_max(pl, i);
    }
    return b;
}

void balancer_free(struct balancer *b)
{
    if (!b)
        return;
    free(b->limit);
    free(b->share);
    free(b->dmin);
    free(b->dmax);
    free(b->first);
    free(b->nmem);
    free(b->pow_peak);
    free(b->held_n);
    free(b->offer);
    free(b->room);
    free(b->recv);
    free(b->dev);
    free(b->util_sum);
    free(b->util_last);
    free(b->util_n);
    free(b->pow_last);
    free(b->bl_first);
    free(b->bl_last);
    free(b);
}

static void period_reset(struct balancer *b)
{
    b->elapsed = 0;
    for (size_t i = 0; i < b->n_dom; i++) {
        b->pow_peak[i] = NAN;
        b->held_n[i] = 0;
    }
    for (size_t j = 0; j < b->n_mem; j++) {
        b->util_sum[j] = 0;
        b->util_last[j] = NAN;
        b->util_n[j] = 0;
        b->pow_last[j] = NAN;
        b->bl_first[j] = NAN;
        b->bl_last[j] = NAN;
    }
}

/* This tick's measurements into the period's.  It runs before this
 * tick's pwrlimit_apply: pwrlimit_held tells what the last apply did,
 * under which the readings of this tick were taken. */
static void measure(struct balancer *b, const struct model *m)
{
    for (size_t i = 0; i < b->n_dom; i++) {
        double p = 0;
        int all = b->nmem[i] > 0; /* every PU read: the domain's power */
        for (uint32_t j = b->first[i]; j < b->first[i] + b->nmem[i]; j++) {
            uint32_t d = b->dev[j];
            double v;
            if (model_sig(m, d, SIG_UTIL, &v) && isfinite(v)) {
                v = v < 0 ? 0 : v > 1 ? 1 : v;
                b->util_sum[j] += v;
                b->util_last[j] = v;
                b->util_n[j]++;
            }
            if (model_device_power(m, d, &v) && isfinite(v)) {
                b->pow_last[j] = v;
                p += v;
            } else {
                all = 0;
            }
            if (model_sig(m, d, SIG_BACKLOG, &v) && isfinite(v)) {
                if (b->bl_first[j] != b->bl_first[j])
                    b->bl_first[j] = v;
                b->bl_last[j] = v;
            }
        }
        if (all && !(p <= b->pow_peak[i])) /* NaN peak: the first */
            b->pow_peak[i] = p;
        if (pwrlimit_held(b->pl, i) == 1)
            b->held_n[i]++;
    }
    if (m->dt > 0 && isfinite(m->dt))
        b->elapsed += m->dt;
}

/* The power d would draw one P-state above the clock it ran at the end
 * of the period, fully busy, into *out: the table's busy power of that
 * state plus the difference between its last measured power and what
 * the table gives for the state and util it was measured at.  The table
 * holds at a reference temperature; the difference is mostly leakage at
 * the die's real one, which both states share (for the sim's model it is
 * exact).  Without a reading, the table's value alone.  Returns 1; 0 when
 * it runs its top state (or its freq control's maximum): nothing above;
 * -1 when that cannot be told (no clock reading, or no table below the
 * maximum). */
static int next_state_power(const struct model *m, uint32_t d, double pow,
                            double util, double *out)
{
    double f;
    if (!model_sig(m, d, SIG_FREQ, &f) || !isfinite(f))
        return -1;
    int32_t cf = m->devices[d].ctl[CTL_FREQ];
    double fmax = cf >= 0 ? m->controls[cf].max : INFINITY;
    size_t n = m->ps_off ? m->ps_off[d + 1] - m->ps_off[d] : 0;
    if (n == 0)
        return f >= fmax * (1.0 - BAL_REL_EPS) ? 0 : -1;
    size_t o = m->ps_off[d], s = (size_t)model_pstate_at(m, d, f);
    if (s + 1 >= n || m->ps_freq[o + s + 1] > fmax * (1.0 + BAL_REL_EPS))
        return 0;
    *out = m->ps_busy[o + s + 1];
    if (pow == pow && util == util)
        *out += pow - (m->ps_idle[o + s] +
                       util * (m->ps_busy[o + s] - m->ps_idle[o + s]));
    return 1;
}

/* Whether domain i is held by its limit over the period (balancer.h):
 * 1 held, 0 not.  *next: for a single-PU domain with a table whose next
 * state is above, that state's power (else NAN). */
static int domain_held(const struct balancer *b, const struct model *m,
                       size_t i, double *next)
{
    *next = NAN;
    double peak = b->pow_peak[i];
    /* Without anything better: it draws within the margin of its limit. */
    int near = peak >= b->limit[i] * (1 - BALANCER_MARGIN);
    if (pwrlimit_is_package(b->pl, i)) {
        /* pwrlimit says whether its ceiling clamped a clock (-1: a
         * package without tables, held by per-PU caps it cannot see). */
        if (pwrlimit_held(b->pl, i) < 0)
            return near;
        return b->held_n[i] > 0;
    }
    uint32_t j = b->first[i];
    int up =
        next_state_power(m, b->dev[j], b->pow_last[j], b->util_last[j], next);
    return up == 1 ? *next > b->limit[i] : up == 0 ? 0 : near;
}

/* Whether a PU of domain i is saturated over the period; 0 when none
 * measured a util (*measured then 0). */
static int domain_saturated(const struct balancer *b, size_t i, int *measured)
{
    int sat = 0;
    *measured = 0;
    for (uint32_t j = b->first[i]; j < b->first[i] + b->nmem[i]; j++) {
        if (b->util_n[j] == 0)
            continue;
        *measured = 1;
        int grew = b->bl_last[j] > 0 &&
                   b->bl_last[j] > b->bl_first[j] * (1 + BAL_REL_EPS);
        if (b->util_sum[j] / b->util_n[j] >= BALANCER_SAT || grew)
            sat = 1;
    }
    return sat;
}

/* One balancing step (balancer.h): a saturated domain held by its limit
 * takes, every other domain with slack offers a part of it; the offers
 * go to the takers evenly, each up to its maximum; then a taker still
 * below its static share takes back what it lent. */
static void rebalance(struct balancer *b, const struct model *m)
{
    double pool = 0, room = 0;
    size_t n_recv = 0;
    for (size_t i = 0; i < b->n_dom; i++) {
        b->offer[i] = b->room[i] = 0;
        b->recv[i] = 0;
        int measured;
        int sat = domain_saturated(b, i, &measured);
        if (!(b->dmax[i] - b->dmin[i] > BAL_TINY_W) || !measured)
            continue; /* a limit that cannot move, or nothing measured */
        double next;
        int held = domain_held(b, m, i, &next);
        if (sat && held) {
            double r = b->dmax[i] - b->limit[i];
            if (r > BAL_TINY_W) {
                b->recv[i] = 1;
                b->room[i] = r;
                room += r;
                n_recv++;
            }
            continue;
        }
        double peak = b->pow_peak[i];
        if (peak != peak)
            continue; /* no power reading: slack unknown */
        /* What it keeps: its peak draw, and a saturated GPU that its
         * limit does not hold (thermal limits, a governor still ramping)
         * the next state up, each with the margin; never below the min. */
        double keep = peak;
        if (sat && next == next)
            keep = fmax(keep, next);
        keep = fmax(b->dmin[i], keep * (1 + BALANCER_MARGIN));
        double head = b->limit[i] - keep;
        if (head > BAL_TINY_W) {
            b->offer[i] = BALANCER_GIVE * head;
            pool += b->offer[i];
        }
    }
    if (n_recv == 0)
        return;
    double moved = 0;
    if (pool > BAL_TINY_W) {
        double move = fmin(pool, room), frac = move / pool;
        for (size_t i = 0; i < b->n_dom; i++)
            if (b->offer[i] > 0)
                b->limit[i] -= b->offer[i] * frac;
        /* Evenly over the receivers, each up to its room: each pass
         * fills at least one receiver or hands out the rest, so n passes
         * at most. */
        double left = move;
        for (size_t pass = 0; pass < b->n_dom && left > BAL_TINY_W; pass++) {
            size_t open = 0;
            for (size_t i = 0; i < b->n_dom; i++)
                open += b->room[i] > BAL_TINY_W;
            if (!open)
                break;
            double share = left / (double)open;
            for (size_t i = 0; i < b->n_dom; i++) {
                if (!(b->room[i] > BAL_TINY_W))
                    continue;
                double g = fmin(share, b->room[i]);
                b->limit[i] += g;
                b->room[i] -= g;
                left -= g;
            }
        }
        moved += move - left;
    }
    /* Lent budget comes back: slack alone cannot free what was lent to a
     * domain that now uses it all, so a receiver still below its static
     * share takes the difference from the domains above theirs, in
     * proportion to their excess (GEOPM restarts each round from the
     * even split).  Sources stay at or above their share, takers at or
     * below theirs: within [min, max], the sum unchanged. */
    double need = 0, excess = 0;
    for (size_t i = 0; i < b->n_dom; i++) {
        if (b->recv[i] && b->limit[i] < b->share[i])
            need += b->share[i] - b->limit[i];
        else if (b->limit[i] > b->share[i])
            excess += b->limit[i] - b->share[i];
    }
    if (need > BAL_TINY_W && excess > BAL_TINY_W) {
        double take = fmin(need, excess);
        for (size_t i = 0; i < b->n_dom; i++) {
            if (b->recv[i] && b->limit[i] < b->share[i])
                b->limit[i] += (b->share[i] - b->limit[i]) * (take / need);
            else if (b->limit[i] > b->share[i])
                b->limit[i] -= (b->limit[i] - b->share[i]) * (take / excess);
        }
        moved += take;
    }
    if (moved > 0) {
        b->moves++;
        b->moved_w += moved;
    }
}

void balancer_apply(struct balancer *b, struct model *m)
{
    if (!(m->budget_w > 0)) {
        /* No budget: no limit, nothing to share; start afresh when one
         * appears. */
        b->started = 0;
        for (size_t i = 0; i < b->n_dom; i++) {
            b->limit[i] = 0;
            pwrlimit_set_limit(b->pl, i, NAN);
        }
        return;
    }
    if (!b->started || m->budget_w != b->budget) {
        /* The limits a sysadmin would set: the static split. */
        pwrlimit_shares(b->pl, m, b->share);
        memcpy(b->limit, b->share, b->n_dom * sizeof *b->limit);
        b->budget = m->budget_w;
        b->started = 1;
        period_reset(b);
    } else {
        measure(b, m);
        if (b->elapsed >= b->period_s * (1 - 1e-9)) {
            rebalance(b, m);
            period_reset(b);
        }
    }
    for (size_t i = 0; i < b->n_dom; i++) {
        /* Moves stay in range but for rounding: drop it, so the limit
         * reported is the one pwrlimit enforces. */
        double l = b->limit[i];
        b->limit[i] = l < b->dmin[i]   ? b->dmin[i]
                      : l > b->dmax[i] ? b->dmax[i]
                                       : l;
        pwrlimit_set_limit(b->pl, i, b->limit[i]);
    }
}

double balancer_limit(const struct balancer *b, size_t i)
{
    return i < b->n_dom ? b->limit[i] : NAN;
}

uint64_t balancer_moves(const struct balancer *b)
{
    return b->moves;
}

double balancer_moved_w(const struct balancer *b)
{
    return b->moved_w;
}
