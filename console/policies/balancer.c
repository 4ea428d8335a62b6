/*
 * balancer - see balancer.h for the rules and their sources.
 *
 * Every array is per PU position k (m->pus[k]) and allocated once by
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
    size_t n;
    double period_s;
    double *cap;   /* NAN: no power_cap control */
    double *share; /* the static split: what each PU is owed */
    /* The period's measurements. */
    double elapsed;
    double *util_sum, *util_last;
    uint32_t *util_n;
    double *pow_peak, *pow_last; /* NAN: no valid reading yet */
    double *bl_first, *bl_last;  /* NAN: none yet */
    /* Rebalancing scratch. */
    double *offer, *room;
    uint8_t *recv;
    int started;
    double budget; /* the budget the caps were set for */
    uint64_t moves;
    double moved_w;
};

struct balancer *balancer_new(const struct model *m, double period_s)
{
    struct balancer *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    size_t n = m->n_pus + 1; /* never a zero-sized calloc */
    b->n = m->n_pus;
    b->period_s =
        period_s > 0 && isfinite(period_s) ? period_s : BALANCER_PERIOD_S;
    b->cap = calloc(n, sizeof *b->cap);
    b->share = calloc(n, sizeof *b->share);
    b->recv = calloc(n, sizeof *b->recv);
    b->util_sum = calloc(n, sizeof *b->util_sum);
    b->util_last = calloc(n, sizeof *b->util_last);
    b->util_n = calloc(n, sizeof *b->util_n);
    b->pow_peak = calloc(n, sizeof *b->pow_peak);
    b->pow_last = calloc(n, sizeof *b->pow_last);
    b->bl_first = calloc(n, sizeof *b->bl_first);
    b->bl_last = calloc(n, sizeof *b->bl_last);
    b->offer = calloc(n, sizeof *b->offer);
    b->room = calloc(n, sizeof *b->room);
    if (!b->cap || !b->share || !b->recv || !b->util_sum || !b->util_last ||
        !b->util_n || !b->pow_peak || !b->pow_last || !b->bl_first ||
        !b->bl_last || !b->offer || !b->room) {
        balancer_free(b);
        return NULL;
    }
    for (size_t k = 0; k < b->n; k++)
        b->cap[k] = NAN;
    return b;
}

void balancer_free(struct balancer *b)
{
    if (!b)
        return;
    free(b->cap);
    free(b->share);
    free(b->recv);
    free(b->util_sum);
    free(b->util_last);
    free(b->util_n);
    free(b->pow_peak);
    free(b->pow_last);
    free(b->bl_first);
    free(b->bl_last);
    free(b->offer);
    free(b->room);
    free(b);
}

static void period_reset(struct balancer *b)
{
    b->elapsed = 0;
    for (size_t k = 0; k < b->n; k++) {
        b->util_sum[k] = 0;
        b->util_last[k] = NAN;
        b->util_n[k] = 0;
        b->pow_peak[k] = NAN;
        b->pow_last[k] = NAN;
        b->bl_first[k] = NAN;
        b->bl_last[k] = NAN;
    }
}

/* This tick's measurements into the period's. */
static void measure(struct balancer *b, const struct model *m)
{
    for (size_t k = 0; k < b->n; k++) {
        uint32_t d = m->pus[k];
        double v;
        if (model_sig(m, d, SIG_UTIL, &v) && isfinite(v)) {
            v = v < 0 ? 0 : v > 1 ? 1 : v;
            b->util_sum[k] += v;
            b->util_last[k] = v;
            b->util_n[k]++;
        }
        if (model_device_power(m, d, &v) && isfinite(v)) {
            if (!(v <= b->pow_peak[k])) /* NaN peak: the first reading */
                b->pow_peak[k] = v;
            b->pow_last[k] = v;
        }
        if (model_sig(m, d, SIG_BACKLOG, &v) && isfinite(v)) {
            if (b->bl_first[k] != b->bl_first[k])
                b->bl_first[k] = v;
            b->bl_last[k] = v;
        }
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
    size_t o = m->ps_off[d], s = n - 1;
    while (s > 0 && m->ps_freq[o + s] > f * (1.0 + BAL_REL_EPS))
        s--;
    if (s + 1 >= n || m->ps_freq[o + s + 1] > fmax * (1.0 + BAL_REL_EPS))
        return 0;
    *out = m->ps_busy[o + s + 1];
    if (pow == pow && util == util)
        *out += pow - (m->ps_idle[o + s] +
                       util * (m->ps_busy[o + s] - m->ps_idle[o + s]));
    return 1;
}

/* One balancing step (balancer.h): a saturated PU held by its cap
 * takes, every other PU with slack offers a part of it; the offers go to
 * the takers evenly, each up to its maximum; then a taker still below
 * its static share takes back what it lent. */
static void rebalance(struct balancer *b, const struct model *m)
{
    double pool = 0, room = 0;
    size_t n_recv = 0;
    for (size_t k = 0; k < b->n; k++) {
        uint32_t d = m->pus[k];
        int32_t cc = m->devices[d].ctl[CTL_POWER_CAP];
        b->offer[k] = b->room[k] = 0;
        b->recv[k] = 0;
        if (cc < 0 || b->util_n[k] == 0)
            continue; /* no cap to move, or nothing measured */
        const struct model_control *c = &m->controls[cc];
        double util = b->util_sum[k] / b->util_n[k];
        double peak = b->pow_peak[k], next = NAN;
        int grew = b->bl_last[k] > 0 &&
                   b->bl_last[k] > b->bl_first[k] * (1 + BAL_REL_EPS);
        int sat = util >= BALANCER_SAT || grew;
        int up = next_state_power(m, d, b->pow_last[k], b->util_last[k], &next);
        /* Held by its cap: the next state up would not fit under it
         * (without a table: it draws within the margin of its cap). */
        int bound = up == 1   ? next > b->cap[k]
                    : up == 0 ? 0
                              : peak >= b->cap[k] * (1 - BALANCER_MARGIN);
        if (sat && bound) {
            double r = c->max - b->cap[k];
            if (r > BAL_TINY_W) {
                b->recv[k] = 1;
                b->room[k] = r;
                room += r;
                n_recv++;
            }
            continue;
        }
        if (peak != peak)
            continue; /* no power reading: slack unknown */
        /* What it keeps: its peak draw, and a saturated PU that its cap
         * does not hold (thermal limits, a governor still ramping) the
         * next state up, each with the margin; never below the min. */
        double keep = peak;
        if (sat && up == 1)
            keep = fmax(keep, next);
        keep = fmax(c->min, keep * (1 + BALANCER_MARGIN));
        double head = b->cap[k] - keep;
        if (head > BAL_TINY_W) {
            b->offer[k] = BALANCER_GIVE * head;
            pool += b->offer[k];
        }
    }
    if (n_recv == 0)
        return;
    double moved = 0;
    if (pool > BAL_TINY_W) {
        double move = fmin(pool, room), frac = move / pool;
        for (size_t k = 0; k < b->n; k++)
            if (b->offer[k] > 0)
                b->cap[k] -= b->offer[k] * frac;
        /* Evenly over the receivers, each up to its room: each pass
         * fills at least one receiver or hands out the rest, so n passes
         * at most. */
        double left = move;
        for (size_t pass = 0; pass < b->n && left > BAL_TINY_W; pass++) {
            size_t open = 0;
            for (size_t k = 0; k < b->n; k++)
                open += b->room[k] > BAL_TINY_W;
            if (!open)
                break;
            double share = left / (double)open;
            for (size_t k = 0; k < b->n; k++) {
                if (!(b->room[k] > BAL_TINY_W))
                    continue;
                double g = fmin(share, b->room[k]);
                b->cap[k] += g;
                b->room[k] -= g;
                left -= g;
            }
        }
        moved += move - left;
    }
    /* Lent budget comes back: slack alone cannot free what was lent to a
     * PU that now uses it all, so a receiver still below its static
     * share takes the difference from the PUs above theirs, in
     * proportion to their excess (GEOPM restarts each round from the
     * even split).  Sources stay at or above their share, takers at or
     * below theirs: within [min, max], the sum unchanged. */
    double need = 0, excess = 0;
    for (size_t k = 0; k < b->n; k++) {
        if (b->recv[k] && b->cap[k] < b->share[k])
            need += b->share[k] - b->cap[k];
        else if (b->cap[k] > b->share[k])
            excess += b->cap[k] - b->share[k];
    }
    if (need > BAL_TINY_W && excess > BAL_TINY_W) {
        double take = fmin(need, excess);
        for (size_t k = 0; k < b->n; k++) {
            if (b->recv[k] && b->cap[k] < b->share[k])
                b->cap[k] += (b->share[k] - b->cap[k]) * (take / need);
            else if (b->cap[k] > b->share[k])
                b->cap[k] -= (b->cap[k] - b->share[k]) * (take / excess);
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
        /* No budget: nothing to share; start afresh when one appears. */
        b->started = 0;
        for (size_t k = 0; k < b->n; k++) {
            int32_t cc = m->devices[m->pus[k]].ctl[CTL_POWER_CAP];
            b->cap[k] = cc >= 0 ? m->controls[cc].max : NAN;
        }
    } else {
        if (!b->started || m->budget_w != b->budget) {
            pwrlimit_split(m, b->cap);
            memcpy(b->share, b->cap, b->n * sizeof *b->share);
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
    }
    for (size_t k = 0; k < b->n; k++) {
        int32_t cc = m->devices[m->pus[k]].ctl[CTL_POWER_CAP];
        if (cc < 0 || b->cap[k] != b->cap[k])
            continue;
        const struct model_control *c = &m->controls[cc];
        double v = b->cap[k];
        m->decision[cc] = v < c->min ? c->min : v > c->max ? c->max : v;
        m->decided[cc] = 1;
    }
}

double balancer_cap(const struct balancer *b, size_t k)
{
    return k < b->n ? b->cap[k] : NAN;
}

uint64_t balancer_moves(const struct balancer *b)
{
    return b->moves;
}

double balancer_moved_w(const struct balancer *b)
{
    return b->moved_w;
}
