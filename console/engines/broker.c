/*
 * broker - see broker.h.
 *
 * Per tick, for each brokered PU i (one with a P-state table and a freq
 * control):
 *
 *   y_i      arrival rate this tick (op/s, the work_arrived counter's
 *            rate); without one, the busy clock util x freq (cycle/s)
 *   x_i      bytes/s of work-announcing messages (DATA, REQUEST) to the
 *            processes on the PU this tick
 *   lag, r   learned: the lag l (ticks) maximising the exponentially
 *            weighted correlation of x(t - l) with y(t), and the least
 *            squares work per byte r at that lag
 *   ipc_i    r * x(t + 1 - l): work already announced for the next tick
 *            (0 when l = 0: a message that causes work at once gives no
 *            warning)
 *   fc_i     the ensemble forecast, one tick ahead, of the residual
 *            y - (what IPC predicted for this tick)
 *   demand   ipc_i + fc_i (BROKER_IPC), fc of y (BROKER_FORECAST), or
 *            demand_next (BROKER_PERFECT)
 *   need     demand x headroom (1.1) + backlog / (deadline / 2)
 *
 * State k of PU i serves s_ik = min(need, opc_i f_k) op/s (opc_i = the
 * measured throughput per Hz) at the power it draws fully busy,
 *   p_ik = kappa_i busy_k
 * (the cap must let the state run whatever the queue holds), where
 * kappa_i is the running ratio of measured to tabulated power (it absorbs
 * the temperature's effect on leakage and table error).  Its worth is
 * w_i s_ik / max(demand_i, 1 % of its top capacity): the priority-weighted
 * share of its own demand served, so units of work never compare across a
 * CPU and a GPU.
 *
 * Past the need, a state's worth rises a little (BROKER_EDP_TIER) up to
 * the state the run's EDP gradient prefers (broker_edp_state: at light
 * load a faster clock costs little idle energy and cuts the wait), so
 * budget no PU's need wants buys latency where it lowers E x L.
 * perfect-forecast keeps the need alone (it is the need's own limit).
 *
 * broker_waterfill then spends the budget left after the unbrokered
 * devices' measured power (greedy by worth per watt, then swaps for the
 * big steps greedy strands).  A decrease is held back, while the budget
 * allows, until it has been wanted 3 ticks in a row, and for good when it
 * saves less than 3 % of the PU's top busy power (hysteresis: no flapping
 * between neighbouring states on noise).  Power caps are those powers
 * plus the unspent budget shared in proportion to them, so the caps never
 * add up to more than the budget.
 */
#include "broker.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/model.h"
#include "core/summary.h"
#include "engines/fcast.h"
#include "wattson/plugin.h"

#define BROKER_LAGS 32           /* message-to-work lags considered, ticks */
#define BROKER_MAX_PSTATES 128   /* the loader's PLUG_MAX_PSTATES */
#define BROKER_HEADROOM 1.10     /* need over predicted demand */
#define BROKER_HYST 0.03         /* hysteresis, share of top busy power */
#define BROKER_DOWN_TICKS 3      /* ...and ticks a decrease must persist */
#define BROKER_HOT_K 3.0         /* no raising this close to temp_limit */
#define BROKER_DECAY 0.995       /* IPC moments' memory (~200 ticks) */
#define BROKER_ADJ_RING 64       /* adjustments kept */
#define BROKER_DRAIN_DEFAULT 0.1 /* s, when a PU has no deadline */
/* Worth of a step toward a PU's EDP state, per unit of its need's worth:
 * small enough that every PU's need is bought first (by worth per watt),
 * so only spare budget goes to speed for latency. */
#define BROKER_EDP_TIER 1e-3

struct broker_pu {
    uint32_t dev;
    int32_t c_freq, c_cap;
    uint32_t ps0, nps; /* states: model ps_* [ps0, ps0 + nps) */
    struct fcast fc;   /* residual arrival rate */
    double opc;        /* op per Hz */
    double kappa;      /* measured / tabulated power */
    int held;          /* state proposed last tick (-1: none yet) */
    int down_ticks;    /* ticks in a row a lower state was wanted */
    int kmax;          /* thermal limit on the state this tick */
    /* IPC: bytes/s per tick, newest at xs[head]; correlation moments */
    double xs[BROKER_LAGS];
    unsigned head;
    double xy[BROKER_LAGS], xx[BROKER_LAGS];
    double x_now; /* bytes/s this tick, being summed */
    int lag;      /* -1 until messages explain anything */
    double ratio;
    double ipc_for_now; /* IPC's prediction for this tick's arrivals */
    uint64_t ipc_ticks; /* ticks with messages */
    /* this tick */
    double demand, ipc, need;
    int k_edp; /* the state the run's EDP gradient prefers (-1: none) */
    int k_top; /* the first state whose worth is the top (broker_curves) */
    double value[BROKER_MAX_PSTATES], power[BROKER_MAX_PSTATES];
};

struct broker {
    enum broker_source src;
    struct broker_pu *pu;
    size_t n;
    int32_t *pu_of_dev; /* device -> index in pu[], or -1 */
    size_t n_devices;
    /* broker_waterfill's arguments, pointing into pu[] */
    const double **vp, **pp;
    size_t *ns;
    int *kmax, *choice;
    void *wf_scratch;
    struct broker_counters cnt;
    struct broker_adj adj[BROKER_ADJ_RING];
    size_t adj_n, adj_head;
    int warned_degraded, warned_unknown;
    double energy_j; /* the lab's energy so far (EDP gradient) */
};

/* ---- the allocation ----------------------------------------------------- */

struct wf {
    const double *const *v, *const *p;
    const size_t *ns;
    const int *kmax;
    int *k;
};

/* A heap entry carries its key, so sifting reads one array, not two. */
struct wf_ent {
    double key;
    uint32_t i;
};

/* The scratch broker_waterfill works in. */
struct wf_scratch {
    struct wf_ent *heap;
    int *save; /* choices before a repair attempt */
    uint8_t *tried;
};

size_t broker_waterfill_scratch(size_t n)
{
    return n * (sizeof(struct wf_ent) + sizeof(int) + 1) + 16;
}

static struct wf_scratch wf_carve(void *mem, size_t n)
{
    /* entries first, so every array is aligned */
    struct wf_scratch s;
    s.heap = mem;
    s.save = (int *)(s.heap + n);
    s.tried = (uint8_t *)(s.save + n);
    return s;
}

/* Value per watt of unit i's next step; -1 when it has none worth taking. */
static double wf_gain(const struct wf *w, uint32_t i)
{
    int k = w->k[i];
    int lim = (int)w->ns[i] - 1;
    if (w->kmax && w->kmax[i] < lim)
        lim = w->kmax[i];
    if (k >= lim)
        return -1;
    double dv = w->v[i][k + 1] - w->v[i][k];
    double dp = w->p[i][k + 1] - w->p[i][k];
    if (!(dv > 0))
        return -1;
    return dp > 0 ? dv / dp : INFINITY;
}

/* Value per watt that undoing unit i's last step loses. */
static double wf_loss(const struct wf *w, uint32_t i)
{
    int k = w->k[i];
    double dv = w->v[i][k] - w->v[i][k - 1];
    double dp = w->p[i][k] - w->p[i][k - 1];
    return dp > 0 ? dv / dp : INFINITY;
}

/* The lowest value per watt of any step taken (INFINITY when none):
 * what undoing taken steps loses per watt it frees, at the least. */
static double wf_min_rate(const struct wf *w, size_t n)
{
    double r = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (int k = w->k[i]; k > 0; k--) {
            double dv = w->v[i][k] - w->v[i][k - 1];
            double dp = w->p[i][k] - w->p[i][k - 1];
            double q = dp > 0 ? dv / dp : INFINITY;
            if (q < r)
                r = q;
        }
    return r;
}

/* Sift down: the largest key on top (wf_down_max) or the smallest
 * (wf_down_min).  The moving entry is held aside and written once. */
static void wf_down_max(struct wf_ent *h, size_t n, size_t at)
{
    struct wf_ent e = h[at];
    for (;;) {
        size_t c = 2 * at + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1].key > h[c].key)
            c++;
        if (!(h[c].key > e.key))
            break;
        h[at] = h[c];
        at = c;
    }
    h[at] = e;
}

static void wf_down_min(struct wf_ent *h, size_t n, size_t at)
{
    struct wf_ent e = h[at];
    for (;;) {
        size_t c = 2 * at + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1].key < h[c].key)
            c++;
        if (!(h[c].key < e.key))
            break;
        h[at] = h[c];
        at = c;
    }
    h[at] = e;
}

/* Greedy strands a step too big for what is left (the knapsack's gap):
 * makes room for unit i's next step by undoing the taken steps that lose
 * the least value per watt, and keeps the swap only if it gains.  Returns
 * the power freed minus the step's (so the caller's `left` grows by it),
 * or NAN when the swap was not worth it (the choices are as before). */
static double wf_swap_in(struct wf *w, struct wf_scratch *s, size_t n,
                         uint32_t i, double left)
{
    int ki = w->k[i];
    double dp = w->p[i][ki + 1] - w->p[i][ki];
    double dv = w->v[i][ki + 1] - w->v[i][ki];
    size_t hn = 0;
    memcpy(s->save, w->k, n * sizeof *w->k);
    for (size_t j = 0; j < n; j++)
        if (j != i && w->k[j] > 0)
            s->heap[hn++] =
                (struct wf_ent){wf_loss(w, (uint32_t)j), (uint32_t)j};
    for (size_t j = hn / 2; j-- > 0;)
        wf_down_min(s->heap, hn, j);
    double freed = 0, lost = 0;
    while (left + freed < dp && hn > 0 && lost < dv) {
        uint32_t j = s->heap[0].i;
        int k = w->k[j];
        freed += w->p[j][k] - w->p[j][k - 1];
        lost += w->v[j][k] - w->v[j][k - 1];
        w->k[j] = k - 1;
        if (w->k[j] > 0)
            s->heap[0].key = wf_loss(w, j);
        else
            s->heap[0] = s->heap[--hn];
        wf_down_min(s->heap, hn, 0);
    }
    if (left + freed >= dp && lost < dv - 1e-12 * fabs(dv)) {
        w->k[i] = ki + 1;
        return freed - dp;
    }
    memcpy(w->k, s->save, n * sizeof *w->k);
    return NAN;
}

#define WF_REPAIRS 4 /* stranded steps tried per allocation */

double broker_waterfill(const double *const *value, const double *const *power,
                        const size_t *nstates, const int *kmax, size_t n,
                        double budget, int *choice, void *scratch)
{
    struct wf w = {value, power, nstates, kmax, choice};
    struct wf_scratch s = wf_carve(scratch, n);
    double used = 0;
    size_t hn = 0;
    /* Fast path, the common case of a budget that does not bind: if every
     * unit can take all its steps with a gain, greedy would take them all
     * and stop at the same states. */
    for (size_t i = 0; i < n; i++) {
        choice[i] = 0;
        while (wf_gain(&w, (uint32_t)i) >= 0)
            choice[i]++;
        used += power[i][choice[i]];
    }
    if (budget < 0 || used <= budget)
        return used;
    used = 0;
    for (size_t i = 0; i < n; i++) {
        choice[i] = 0;
        used += power[i][0];
        double g = wf_gain(&w, (uint32_t)i);
        if (g >= 0)
            s.heap[hn++] = (struct wf_ent){g, (uint32_t)i};
    }
    for (size_t i = hn / 2; i-- > 0;)
        wf_down_max(s.heap, hn, i);
    double left = budget - used;
    while (hn > 0) {
        uint32_t i = s.heap[0].i;
        int k = choice[i];
        double dp = s.heap[0].key < 0 ? 0 : power[i][k + 1] - power[i][k];
        if (s.heap[0].key < 0 || dp > left) {
            /* Nothing more worth taking here, or the step does not fit:
             * the budget only shrinks, so it never will. */
            s.heap[0] = s.heap[--hn];
        } else {
            choice[i] = k + 1;
            left -= dp;
            used += dp;
            s.heap[0].key = wf_gain(&w, i);
        }
        wf_down_max(s.heap, hn, 0);
    }
    if (left < 0)
        return used; /* the minimums alone exceed the budget */

    /* Repair: the stranded steps worth the most, one at a time.  A swap
     * frees its watts from taken steps, each losing at least `rate`
     * value per watt (the lowest over every step taken), so one whose
     * step's value is below rate x (watts it lacks) cannot gain and is
     * not tried: the common case once greedy has run, and it spares a
     * heap of every unit per repair. */
    memset(s.tried, 0, n);
    double rate = wf_min_rate(&w, n);
    for (int r = 0; r < WF_REPAIRS; r++) {
        uint32_t best = UINT32_MAX;
        double best_dv = 0;
        for (size_t i = 0; i < n; i++) {
            if (s.tried[i] || wf_gain(&w, (uint32_t)i) < 0)
                continue;
            int k = choice[i];
            double dv = value[i][k + 1] - value[i][k];
            if (dv > best_dv) {
                best_dv = dv;
                best = (uint32_t)i;
            }
        }
        if (best == UINT32_MAX)
            break;
        s.tried[best] = 1;
        int kb = choice[best];
        double lack = power[best][kb + 1] - power[best][kb] - left;
        if (lack > 0 && rate * lack >= best_dv * (1 + 1e-9))
            continue;
        double d = wf_swap_in(&w, &s, n, best, left);
        if (d == d) {
            left += d;
            used -= d;
            rate = wf_min_rate(&w, n);
        }
    }
    /* A swap may free more than it needed: fill again, best step first. */
    for (;;) {
        uint32_t best = UINT32_MAX;
        double best_g = -1;
        for (size_t i = 0; i < n; i++) {
            double g = wf_gain(&w, (uint32_t)i);
            if (g > best_g &&
                power[i][choice[i] + 1] - power[i][choice[i]] <= left) {
                best_g = g;
                best = (uint32_t)i;
            }
        }
        if (best == UINT32_MAX)
            break;
        double dp = power[best][choice[best] + 1] - power[best][choice[best]];
        choice[best]++;
        left -= dp;
        used += dp;
    }
    return used;
}

/* ---- life cycle -----------------------------------------------------------
 */

static void *broker_create(const struct model *m)
{
    struct broker *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->src = BROKER_IPC;
    size_t nd = m->n_devices ? m->n_devices : 1;
    size_t np = m->n_pus ? m->n_pus : 1;
    b->pu = calloc(np, sizeof *b->pu);
    b->pu_of_dev = malloc(nd * sizeof *b->pu_of_dev);
    b->vp = calloc(np, sizeof *b->vp);
    b->pp = calloc(np, sizeof *b->pp);
    b->ns = calloc(np, sizeof *b->ns);
    b->kmax = calloc(np, sizeof *b->kmax);
    b->choice = calloc(np, sizeof *b->choice);
    b->wf_scratch = malloc(broker_waterfill_scratch(np));
    if (!b->pu || !b->pu_of_dev || !b->vp || !b->pp || !b->ns || !b->kmax ||
        !b->choice || !b->wf_scratch) {
        broker_engine_ops.destroy(b);
        return NULL;
    }
    b->n_devices = m->n_devices;
    for (size_t d = 0; d < m->n_devices; d++)
        b->pu_of_dev[d] = -1;
    for (size_t j = 0; j < m->n_pus; j++) {
        uint32_t d = m->pus[j];
        const struct model_device *md = &m->devices[d];
        uint32_t nps = m->ps_off[d + 1] - m->ps_off[d];
        if (nps == 0 || md->ctl[CTL_FREQ] < 0 || nps > BROKER_MAX_PSTATES)
            continue;
        struct broker_pu *u = &b->pu[b->n];
        u->dev = d;
        u->c_freq = md->ctl[CTL_FREQ];
        u->c_cap = md->ctl[CTL_POWER_CAP];
        u->ps0 = m->ps_off[d];
        u->nps = nps;
        u->kappa = 1.0;
        u->held = -1;
        u->lag = -1;
        struct fcast_params fp;
        fcast_params_default(&fp);
        fp.ens_hmax = 1; /* the broker plans one tick ahead */
        /* The incumbent margin the broker was tuned with.  The default
         * became 0.85 to keep the ensemble within 1 % of last value at
         * h = 5 and 10 on the shipped traces; one tick ahead 0.9 already
         * does, and 0.85 made bench broker's pipeline broker-noipc EDP
         * 4 % worse (651 -> 677 J s). */
        fp.ens_margin = 0.9;
        /* AR, the medians and the seasonal member cost two thirds of
         * the broker's time and changed none of bench broker's figures
         * (one tick ahead the winner is last value or a smoother). */
        fp.ens_skip = FCAST_ENS_SKIP_AR | FCAST_ENS_SKIP_MEDIANS |
                      FCAST_ENS_SKIP_SEASONAL;
        if (fcast_init(&u->fc, FCAST_ENSEMBLE, &fp) != 0) {
            broker_engine_ops.destroy(b);
            return NULL;
        }
        b->vp[b->n] = u->value;
        b->pp[b->n] = u->power;
        b->ns[b->n] = nps;
        b->pu_of_dev[d] = (int32_t)b->n;
        b->n++;
    }
    return b;
}

static void broker_destroy(void *state)
{
    struct broker *b = state;
    if (!b)
        return;
    free(b->pu);
    free(b->pu_of_dev);
    free(b->vp);
    free(b->pp);
    free(b->ns);
    free(b->kmax);
    free(b->choice);
    free(b->wf_scratch);
    free(b);
}

/* ---- per tick ---------------------------------------------------------- */

/* Index of the highest state at or below `f` (the sim's and cpufreq's
 * rounding of a frequency target), 0 below the lowest. */

/* Messages of this tick, summed per PU as bytes/s. */
static void broker_take_ipc(struct broker *b, const struct model *m)
{
    for (size_t j = 0; j < b->n; j++)
        b->pu[j].x_now = 0;
    double inv_dt = m->dt > 0 ? 1.0 / m->dt : 0;
    for (size_t e = 0; e < m->n_ipc; e++) {
        const struct wattson_ipc_event *ev = &m->ipc[e];
        if (ev->type != WATTSON_IPC_DATA && ev->type != WATTSON_IPC_REQUEST)
            continue;
        const struct model_proc *pr = model_find_proc(m, ev->dst_pid);
        int32_t j = pr ? b->pu_of_dev[pr->device] : -1;
        if (j < 0) {
            b->cnt.ipc_unknown++;
            if (!b->warned_unknown) {
                b->warned_unknown = 1;
                log_msg(LOG_WARN,
                        "broker: messages to process %u, which runs on no "
                        "brokered PU, are ignored (counted in ipc_unknown)",
                        (unsigned)ev->dst_pid);
            }
            continue;
        }
        b->cnt.ipc_events++;
        b->pu[j].x_now += (double)ev->bytes * inv_dt;
    }
}

/* Learns lag and work per byte from this tick's arrivals y, and returns
 * the work the messages announce for the next tick. */
static double broker_ipc_learn(struct broker_pu *u, double y)
{
    u->head = (u->head + 1) % BROKER_LAGS;
    u->xs[u->head] = u->x_now;
    if (u->x_now > 0)
        u->ipc_ticks++;
    if (u->ipc_ticks == 0)
        return 0;
    double best = 0;
    int lag = -1;
    for (unsigned l = 0; l < BROKER_LAGS; l++) {
        double x = u->xs[(u->head + BROKER_LAGS - l) % BROKER_LAGS];
        u->xy[l] = BROKER_DECAY * u->xy[l] + x * y;
        u->xx[l] = BROKER_DECAY * u->xx[l] + x * x;
        /* Uncentred correlation up to the common factor sqrt(yy). */
        double c = u->xx[l] > 0 ? u->xy[l] / sqrt(u->xx[l]) : 0;
        if (c > best * (1 + 1e-9)) {
            best = c;
            lag = (int)l;
        }
    }
    u->lag = lag;
    if (lag < 1)
        return 0;
    u->ratio = u->xy[lag] / u->xx[lag];
    /* x(t + 1 - lag) is in the ring when lag >= 1. */
    double x =
        u->xs[(u->head + BROKER_LAGS - (unsigned)(lag - 1)) % BROKER_LAGS];
    return u->ratio * x;
}

/* Fills value[] and power[] of every state for this tick's need. */
static void broker_curves(const struct model *m, struct broker_pu *u,
                          double prio)
{
    double top = u->opc * m->ps_freq[u->ps0 + u->nps - 1];
    /* Work is valued per unit of the PU's own demand, so a big GPU's and
     * a small core's work compare as shares of what each is asked for.
     * Not per unit of need: a starved PU's backlog would inflate its need
     * and shrink the worth of every step it is offered, and it would
     * starve for good. */
    double ref = fmax(u->demand, 0.01 * top);
    /* One division per PU, not per state. */
    double scale = ref > 0 ? prio / ref : 0;
    /* Past the need, a small worth for every step up to the EDP state
     * (non-decreasing in k, as broker_waterfill needs). */
    double cap_e =
        u->k_edp > 0 ? u->opc * m->ps_freq[u->ps0 + (uint32_t)u->k_edp] : 0;
    double tier = BROKER_EDP_TIER * scale;
    for (uint32_t k = 0; k < u->nps; k++) {
        double cap = u->opc * m->ps_freq[u->ps0 + k];
        /* Power at full load: the cap must let the state run whatever
         * the queue holds (a cap sized for the expected load throttles
         * the PU on the first burst above it, and its backlog grows). */
        u->power[k] = u->kappa * m->ps_busy[u->ps0 + k];
        /* Worth: the share of its demand served (past 1 while it works
         * off a backlog), times priority; past the need a faster clock
         * gains nothing. */
        u->value[k] = (u->need < cap ? u->need : cap) * scale +
                      (cap < cap_e ? cap : cap_e) * tier;
    }
    /* The first state whose capacity covers both: the worth is flat
     * from there (the capacities rise with k). */
    double want = u->need > cap_e ? u->need : cap_e;
    uint32_t lo = 0, hi = u->nps - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (u->opc * m->ps_freq[u->ps0 + mid] < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    u->k_top = (int)lo;
}

/*
 * The state that lowers the run's EDP the most this tick, to first order.
 * EDP = E x L, E the lab's energy, L the mean over the PUs of each PU's
 * latency (wait / served).  A tick of PU i at state j adds energy e_j and
 * wait A l_j (A ops arriving, each waiting l_j on average), so
 *   d ln EDP = e_j / E + A (l_j - L_i) / (n S_i L)
 * (S_i the work PU i served, n the PUs).  The j-dependent part, times E,
 * is  e_j + lambda A l_j  with  lambda = E / (n S_i L): joules per op-second
 * of wait, from the run so far.  e_j = dt (idle_j + (busy_j - idle_j) u_j)
 * kappa with u_j the busy share of the queue's work at state j, and l_j =
 * (B + A / 2) / c_j, the mean wait of the tick's work served as a fluid
 * behind a backlog B at c_j op/s.  Only states that cover the need are
 * candidates; -1 while the run has no latency to weigh (the first ticks).
 * At light load the idle power dominates e_j and l_j falls as 1/f, so the
 * preferred state is above the lowest one that covers the demand, which
 * is what the governors that run fast at light load gain on EDP.
 */
/* x_k of broker_edp_state for state k. */
static double broker_edp_cost(const struct model *m, const struct broker_pu *u,
                              uint32_t k, double a, double backlog,
                              double lambda)
{
    double c = u->opc * m->ps_freq[u->ps0 + k], inv = 1.0 / c;
    double busy = fmin(1.0, (a + backlog) * inv / m->dt);
    uint32_t i = u->ps0 + k;
    double e = m->dt * u->kappa *
               (m->ps_idle[i] + (m->ps_busy[i] - m->ps_idle[i]) * busy);
    return e + lambda * a * (backlog + 0.5 * a) * inv;
}

static int broker_edp_state(const struct model *m, const struct broker_pu *u,
                            double backlog, double lambda)
{
    if (!(lambda > 0) || !isfinite(lambda) || !(m->dt > 0) || !(u->opc > 0))
        return -1;
    double a = u->demand * m->dt;
    /* The first state that covers the need (capacities rise with k). */
    uint32_t lo = 0, hi = u->nps;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (u->opc * m->ps_freq[u->ps0 + mid] < u->need)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == u->nps)
        return -1;
    /* e_k grows as V^2 f (convex in f on a convex V/f curve) and the wait
     * falls as 1 / f (convex), so x_k is convex along the table: its
     * minimum is the first k where x_{k+1} >= x_k, found by bisection on
     * that sign (a handful of evaluations, not the whole table). */
    hi = u->nps - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (broker_edp_cost(m, u, mid + 1, a, backlog, lambda) <
            broker_edp_cost(m, u, mid, a, backlog, lambda))
            lo = mid + 1;
        else
            hi = mid;
    }
    return (int)lo;
}

static void broker_log_adj(struct broker *b, const struct model *m,
                           const struct broker_pu *u, int from, int to,
                           const char *reason)
{
    struct broker_adj *a = &b->adj[b->adj_head];
    b->adj_head = (b->adj_head + 1) % BROKER_ADJ_RING;
    if (b->adj_n < BROKER_ADJ_RING)
        b->adj_n++;
    *a = (struct broker_adj){m->tick, u->dev,  from,         to,    u->demand,
                             u->ipc,  u->need, u->power[to], reason};
    b->cnt.adjustments++;
    log_msg(LOG_DEBUG,
            "broker: %s P%d -> P%d (%.3g GHz, %.1f W): %s; demand %.4g op/s "
            "(ipc %.4g), need %.4g",
            m->devices[u->dev].name, from, to,
            m->ps_freq[u->ps0 + (uint32_t)to] / 1e9, u->power[to], reason,
            u->demand, u->ipc, u->need);
}

/* Step 1: measurements, learning and the demand of every PU. */
static void broker_predict(struct broker *b, struct model *m)
{
    broker_take_ipc(b, m);
    /* The run so far, for the EDP gradient (broker_edp_state): the lab's
     * energy and the mean over the PUs of each one's latency. */
    if (m->dt > 0)
        b->energy_j += model_total_power(m, NULL) * m->dt;
    size_t nl = 0;
    double lmean = model_mean_latency(m, &nl), served;
    for (size_t j = 0; j < b->n; j++) {
        struct broker_pu *u = &b->pu[j];
        uint32_t d = u->dev;
        double f = NAN, thr, util = NAN, power, temp, limit, backlog = 0,
               deadline, nd;
        model_sig(m, d, SIG_FREQ, &f);
        model_sig(m, d, SIG_UTIL, &util);
        if (model_sig(m, d, SIG_THROUGHPUT, &thr) && f > 0 && thr > 0)
            u->opc = thr / f;
        else if (!(u->opc > 0))
            u->opc = 1.0; /* demand is then in busy cycles per second */

        /* The state the PU is in (the top one when its clock is
         * unknown). */
        int cur = f > 0 ? model_pstate_at(m, u->dev, f) : (int)u->nps - 1;
        /* Calibrate the table against what the PU drew at its state. */
        if (f > 0 && util >= 0 && model_sig(m, d, SIG_POWER, &power) &&
            power > 0) {
            uint32_t k = u->ps0 + (uint32_t)cur;
            double model_w =
                m->ps_idle[k] + (m->ps_busy[k] - m->ps_idle[k]) * fmin(1, util);
            if (model_w > 0) {
                double r = fmin(2.0, fmax(0.5, power / model_w));
                u->kappa += 0.1 * (r - u->kappa);
            }
        }

        /* Arrivals this tick. */
        int32_t wa = m->devices[d].sig[SIG_WORK_ARRIVED];
        double y;
        if (wa >= 0 && m->rate_valid[wa])
            y = m->rate[wa];
        else if (f > 0 && util >= 0)
            y = util * f * u->opc;
        else
            y = NAN;

        double ipc_next = broker_ipc_learn(u, isfinite(y) ? y : 0);
        if (isfinite(y)) {
            double resid = b->src == BROKER_FORECAST ? y : y - u->ipc_for_now;
            fcast_update(&u->fc, resid);
        }
        double fc = fcast_predict(&u->fc, 1);
        if (!isfinite(fc))
            fc = isfinite(y) ? y : 0;
        if (b->src == BROKER_FORECAST) {
            u->ipc = 0;
            u->demand = fmax(0, fc);
        } else {
            u->ipc = ipc_next;
            u->demand = fmax(0, ipc_next + fc);
        }
        u->ipc_for_now = b->src == BROKER_FORECAST ? 0 : ipc_next;
        if (b->src == BROKER_PERFECT && model_sig(m, d, SIG_DEMAND_NEXT, &nd) &&
            nd >= 0)
            u->demand = nd;

        /* The broker's prediction is the PU's forecast from here on
         * (d.forecast.demand for policies, the console's forecast pane). */
        m->fc_demand[d] = u->demand;
        m->fc_valid[d] = 1;

        model_sig(m, d, SIG_BACKLOG, &backlog);
        if (!model_sig(m, d, SIG_DEADLINE, &deadline) || !(deadline > 0))
            deadline = 2 * BROKER_DRAIN_DEFAULT;
        double drain = 0.5 * deadline;
        /* The oracle knows the demand exactly: no headroom for error. */
        double head = b->src == BROKER_PERFECT ? 1.0 : BROKER_HEADROOM;
        u->need = u->demand * head + (backlog > 0 ? backlog / drain : 0);

        /* Thermal headroom: no raising near the limit, one step down at
         * it (the part would throttle anyway, and less smoothly). */
        u->kmax = (int)u->nps - 1;
        if (model_sig(m, d, SIG_TEMP, &temp) &&
            model_sig(m, d, SIG_TEMP_LIMIT, &limit)) {
            if (temp >= limit - 1.0)
                u->kmax = cur > 0 ? cur - 1 : 0;
            else if (temp >= limit - BROKER_HOT_K)
                u->kmax = cur;
        }
        double prio = 1;
        if (!model_sig(m, d, SIG_PRIORITY, &prio) || !(prio > 0))
            prio = 1;
        double lambda = -1;
        if (nl && lmean > 0 && model_sig(m, d, SIG_WORK_SERVED, &served) &&
            served > 0)
            lambda = b->energy_j / ((double)nl * served * lmean);
        u->k_edp = b->src == BROKER_PERFECT
                       ? -1
                       : broker_edp_state(m, u, backlog, lambda);
        broker_curves(m, u, prio);
    }
}

/* Power of devices the broker does not steer: taken off the budget. */
static double broker_other_power(const struct broker *b, const struct model *m)
{
    double w = 0, p;
    for (size_t j = 0; j < m->n_pus; j++) {
        uint32_t d = m->pus[j];
        if (b->pu_of_dev[d] < 0 && model_sig(m, d, SIG_POWER, &p) && p > 0)
            w += p;
    }
    return w;
}

static void broker_propose(void *state, struct model *m)
{
    struct broker *b = state;
    if (b->n == 0)
        return;
    broker_predict(b, m);
    double budget = -1;
    if (m->budget_w > 0) {
        budget = m->budget_w - broker_other_power(b, m);
        if (budget < 0)
            budget = 0;
    }
    /* broker_waterfill's fast path without its climb: every PU's worth
     * rises strictly until its capacity covers max(need, EDP state) and
     * is flat after (broker_curves), so the steps with a gain end at the
     * first such state (k_top, found by bisection), or at kmax.  When
     * those states fit the budget they are the allocation, as the
     * waterfill would find them one step at a time; else it runs. */
    double used = 0;
    int fast = 1;
    for (size_t j = 0; j < b->n; j++) {
        struct broker_pu *u = &b->pu[j];
        b->kmax[j] = u->kmax;
        int k = u->k_top < u->kmax ? u->k_top : u->kmax;
        if (k < 0 || !(u->value[u->nps - 1] > 0))
            fast = 0;
        b->choice[j] = k < 0 ? 0 : k;
        used += u->power[b->choice[j]];
    }
    if (!fast || (budget >= 0 && used > budget))
        used = broker_waterfill(b->vp, b->pp, b->ns, b->kmax, b->n, budget,
                                b->choice, b->wf_scratch);
    double left = budget < 0 ? INFINITY : budget - used;
    if (budget >= 0 && left < -1e-9) {
        b->cnt.degraded_ticks++;
        if (!b->warned_degraded) {
            b->warned_degraded = 1;
            log_msg(LOG_WARN,
                    "broker: the budget (%.1f W) is below the PUs' minimum "
                    "power (%.1f W): every PU runs at its lowest P-state",
                    m->budget_w, used);
        }
    }

    /* Hysteresis: while the budget allows, hold a decrease that saves
     * little or has not yet lasted BROKER_DOWN_TICKS (increases apply at
     * once: late is worse than wasteful for latency). */
    for (size_t j = 0; j < b->n; j++) {
        struct broker_pu *u = &b->pu[j];
        int k = b->choice[j], h = u->held;
        if (h > k && h <= u->kmax) {
            u->down_ticks++;
            double extra = u->power[h] - u->power[k];
            double top = m->ps_busy[u->ps0 + u->nps - 1] * u->kappa;
            if ((extra < BROKER_HYST * top ||
                 u->down_ticks < BROKER_DOWN_TICKS) &&
                extra <= left) {
                b->choice[j] = h;
                left -= extra;
                b->cnt.held++;
            }
        } else {
            u->down_ticks = 0;
        }
    }

    /* Caps: the state's full-load power plus a share of the unspent
     * budget in proportion (a margin for heat: leakage grows with
     * temperature). */
    double wsum = 0;
    for (size_t j = 0; j < b->n; j++)
        wsum += b->pu[j].power[b->choice[j]];
    double share = budget < 0 || wsum <= 0 ? 0 : fmax(0, left) / wsum;

    for (size_t j = 0; j < b->n; j++) {
        struct broker_pu *u = &b->pu[j];
        int k = b->choice[j];
        const struct model_control *cf = &m->controls[u->c_freq];
        double f = m->ps_freq[u->ps0 + (uint32_t)k];
        m->proposal[u->c_freq] = fmin(cf->max, fmax(cf->min, f));
        m->proposed[u->c_freq] = 1;
        if (u->c_cap >= 0) {
            const struct model_control *cc = &m->controls[u->c_cap];
            double cap = budget < 0 ? cc->max : u->power[k] * (1 + share);
            m->proposal[u->c_cap] = fmin(cc->max, fmax(cc->min, cap));
            m->proposed[u->c_cap] = 1;
        }
        if (k != u->held) {
            const char *why;
            if (u->held < 0)
                why = "first proposal";
            else if (k < u->held && u->held > u->kmax)
                why = "thermal headroom";
            else if (k > u->held)
                why = "demand up";
            else if (u->value[k] < u->value[u->held] - 1e-12)
                why = "budget";
            else
                why = "demand down";
            broker_log_adj(b, m, u, u->held, k, why);
        }
        /* Held below what its need asked for. */
        if (u->value[k] < u->value[u->nps - 1] - 1e-12) {
            if (k >= u->kmax && u->kmax < (int)u->nps - 1)
                b->cnt.thermal_limited++;
            else
                b->cnt.budget_limited++;
        }
        u->held = k;
    }
}

/* ---- accessors ------------------------------------------------------------
 */

struct broker *broker_of(const struct engines *e)
{
    return engines_state_of(e, &broker_engine_ops);
}

void broker_set_source(struct broker *b, enum broker_source src)
{
    b->src = src;
}

const char *broker_source_name(enum broker_source src)
{
    switch (src) {
    case BROKER_FORECAST:
        return "forecast";
    case BROKER_IPC:
        return "ipc";
    case BROKER_PERFECT:
        return "perfect-forecast";
    }
    return "?";
}

void broker_counters(const struct broker *b, struct broker_counters *out)
{
    *out = b->cnt;
}

int broker_adjustment(const struct broker *b, size_t i, struct broker_adj *out)
{
    if (i >= b->adj_n)
        return 0;
    size_t at = (b->adj_head + BROKER_ADJ_RING - 1 - i) % BROKER_ADJ_RING;
    *out = b->adj[at];
    return 1;
}

int broker_view(const struct broker *b, uint32_t dev, struct broker_view *out)
{
    if (!b || b->n == 0 || dev >= b->n_devices)
        return 0;
    int32_t j = b->pu_of_dev[dev];
    if (j < 0)
        return 0;
    const struct broker_pu *u = &b->pu[j];
    out->pstate = u->held;
    out->demand = u->demand;
    out->ipc = u->ipc;
    out->need = u->need;
    out->power_w = u->held >= 0 ? u->power[u->held] : NAN;
    out->ipc_lag = u->lag;
    out->ipc_ratio = u->ratio;
    return 1;
}

/* The broker's counters, as summary keys. */
static void broker_summarize(const void *state, struct summary *s)
{
    const struct broker *b = state;
    s->broker_adjustments = b->cnt.adjustments;
    s->broker_held = b->cnt.held;
    s->broker_budget_limited = b->cnt.budget_limited;
    s->broker_thermal_limited = b->cnt.thermal_limited;
    s->broker_degraded_ticks = b->cnt.degraded_ticks;
    s->ipc_events = b->cnt.ipc_events;
    s->ipc_unknown = b->cnt.ipc_unknown;
}

const struct engine_ops broker_engine_ops = {
    .name = "broker",
    .create = broker_create,
    .propose = broker_propose,
    .destroy = broker_destroy,
    .summarize = broker_summarize,
};
