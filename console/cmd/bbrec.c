/*
 * bbrec - see bbrec.h.
 */
#include "cmd/bbrec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"
#include "core/lab.h"
#include "core/model.h"
#include "engines/bound.h"

/* Arrival batches the pooled-latency ring keeps per PU (65536 ticks: 11
 * minutes at 10 ms; older unserved batches merge). */
#define BBREC_LAT_RING 65536

void bbrec_free(struct bbrec *rc)
{
    free(rc->amax);
    free(rc->amin);
    free(rc->send);
    free(rc->off);
    free(rc->opc);
    free(rc->deadline);
    free(rc->base_a);
    free(rc->base_s);
    free(rc->up);
    free(rc->ratio);
    free(rc->own);
    free(rc->last_s);
    free(rc->lag);
    free(rc->nps);
    free(rc->pf);
    free(rc->pb);
    free(rc->pi);
    free(rc->name);
    free(rc->prev_a);
    free(rc->prev_s);
    wlat_free(&rc->lat);
    memset(rc, 0, sizeof *rc);
}

/* The PU index of the device named `name`, or -1. */
static int bbrec_pu_named(const struct model *m, const char *name)
{
    int d = name ? model_find_device(m, name) : -1;
    for (size_t i = 0; d >= 0 && i < m->n_pus; i++)
        if (m->pus[i] == (uint32_t)d)
            return (int)i;
    return -1;
}

/* Whether sim device `name` of driver table `drv` has a workload. */
static int bbrec_has_workload(const struct cfg *drv, const char *name)
{
    const struct cfg *devs = cfg_get(drv, "devices");
    for (size_t k = 0; k < cfg_len(devs); k++) {
        const struct cfg *d = cfg_at(devs, k);
        const char *nm = cfg_string(cfg_get(d, "name"));
        if (nm && strcmp(nm, name) == 0)
            return cfg_get(d, "workload") != NULL;
    }
    return 1; /* unknown: assume it has, the looser envelope */
}

/* The lab's chains into rc->up/ratio/own. */
static void bbrec_chains(struct bbrec *rc, const struct model *m,
                         const struct lab *lab)
{
    for (size_t dv = 0; dv < lab->n_drivers; dv++) {
        const struct cfg *drv = lab->drivers[dv].cfg;
        const struct cfg *pl = cfg_get(drv, "pipelines");
        for (size_t p = 0; p < cfg_len(pl); p++) {
            char key[32];
            snprintf(key, sizeof key, "%zu.stages", p + 1);
            const struct cfg *st = cfg_get(pl, key);
            int prev = -1;
            for (size_t k = 0; k < cfg_len(st); k++) {
                snprintf(key, sizeof key, "%zu", k + 1);
                const struct cfg *s = cfg_get(st, key);
                const char *dev = cfg_string(cfg_get(s, "device"));
                int i = bbrec_pu_named(m, dev);
                if (i >= 0 && k > 0) {
                    const struct cfg *r = cfg_get(s, "ratio");
                    rc->up[i] = prev;
                    rc->ratio[i] = r ? cfg_number(r) : 1.0;
                    rc->own[i] = (uint8_t)bbrec_has_workload(drv, dev);
                    rc->chained = 1;
                    if (prev < 0) {
                        rc->ok = 0;
                        snprintf(rc->why, sizeof rc->why,
                                 "chain stage %s follows a device that is "
                                 "not a PU",
                                 dev);
                    }
                }
                prev = i;
            }
        }
    }
}

/* Before the first tick of the table's first run (m: the priming
 * sample). */
int bbrec_init(struct bbrec *rc, const struct model *m, const struct lab *lab,
               size_t n, size_t nrows)
{
    memset(rc, 0, sizeof *rc);
    size_t np = m->n_pus, cells = np * n;
    rc->n = n;
    rc->npu = np;
    rc->dt = lab->tick_s;
    rc->nrows = nrows;
    rc->amax = calloc(cells ? cells : 1, sizeof *rc->amax);
    rc->amin = calloc(cells ? cells : 1, sizeof *rc->amin);
    rc->send = calloc(np * nrows + 1, sizeof *rc->send);
    rc->off = calloc(np + 1, sizeof *rc->off);
    rc->opc = calloc(np + 1, sizeof *rc->opc);
    rc->deadline = calloc(np + 1, sizeof *rc->deadline);
    rc->base_a = calloc(np + 1, sizeof *rc->base_a);
    rc->base_s = calloc(np + 1, sizeof *rc->base_s);
    rc->up = calloc(np + 1, sizeof *rc->up);
    rc->ratio = calloc(np + 1, sizeof *rc->ratio);
    rc->own = calloc(np + 1, sizeof *rc->own);
    rc->nps = calloc(np + 1, sizeof *rc->nps);
    rc->last_s = calloc(np + 1, sizeof *rc->last_s);
    rc->lag = calloc(np + 1, sizeof *rc->lag);
    rc->pf = calloc(np * BOUND_MAX_PSTATES + 1, sizeof *rc->pf);
    rc->pb = calloc(np * BOUND_MAX_PSTATES + 1, sizeof *rc->pb);
    rc->pi = calloc(np * BOUND_MAX_PSTATES + 1, sizeof *rc->pi);
    rc->name = calloc(np + 1, sizeof *rc->name);
    rc->prev_a = calloc(np + 1, sizeof *rc->prev_a);
    rc->prev_s = calloc(np + 1, sizeof *rc->prev_s);
    /* A batch ring per PU as long as the run (at most BBREC_LAT_RING
     * batches: older ones merge, overstating their latency). */
    if (wlat_init(&rc->lat, np,
                  n + 1 < BBREC_LAT_RING ? n + 1 : BBREC_LAT_RING) != 0) {
        bbrec_free(rc);
        return -1;
    }
    if (!rc->prev_a || !rc->prev_s || !rc->last_s || !rc->lag || !rc->nps ||
        !rc->pf || !rc->pb || !rc->pi || !rc->name || !rc->amax || !rc->amin ||
        !rc->send || !rc->off || !rc->opc || !rc->deadline || !rc->base_a ||
        !rc->base_s || !rc->up || !rc->ratio || !rc->own) {
        bbrec_free(rc);
        return -1;
    }
    rc->ok = n > 0 && np > 0;
    if (!rc->ok)
        snprintf(rc->why, sizeof rc->why, "no PU or no tick");
    for (size_t i = 0; i < np; i++) {
        uint32_t d = m->pus[i];
        rc->up[i] = -1;
        rc->deadline[i] = NAN;
        rc->lag[i] = SIZE_MAX;
        snprintf(rc->name[i], sizeof rc->name[i], "%s", m->devices[d].name);
        size_t nps = m->ps_off[d + 1] - m->ps_off[d];
        if (nps > BOUND_MAX_PSTATES)
            nps = 0;
        rc->nps[i] = nps;
        for (size_t j = 0; j < nps; j++) {
            rc->pf[i * BOUND_MAX_PSTATES + j] = m->ps_freq[m->ps_off[d] + j];
            rc->pb[i * BOUND_MAX_PSTATES + j] = m->ps_busy[m->ps_off[d] + j];
            rc->pi[i * BOUND_MAX_PSTATES + j] = m->ps_idle[m->ps_off[d] + j];
        }
        if (rc->ok && nps == 0) {
            rc->ok = 0;
            snprintf(rc->why, sizeof rc->why, "%s has no P-state table",
                     m->devices[d].name);
        }
    }
    rc->budget_w = m->budget_w;
    bbrec_chains(rc, m, lab);
    return 0;
}

/* A run's start (the priming sample): the counters' bases. */
void bbrec_start(struct bbrec *rc, const struct model *m)
{
    rc->dl_ok = 1;
    wlat_reset(&rc->lat);
    for (size_t i = 0; i < rc->npu; i++) {
        double v;
        rc->base_a[i] = model_sig(m, m->pus[i], SIG_WORK_ARRIVED, &v) ? v : NAN;
        rc->base_s[i] = model_sig(m, m->pus[i], SIG_WORK_SERVED, &v) ? v : NAN;
        rc->prev_a[i] = rc->base_a[i];
        rc->prev_s[i] = rc->base_s[i];
    }
}

/* Tick k of a run: allocates nothing. */
void bbrec_tick(struct bbrec *rc, const struct model *m, size_t k)
{
    for (size_t i = 0; i < rc->npu && k < rc->n; i++) {
        uint32_t d = m->pus[i];
        double a = NAN, s = NAN, f, u, p, thr, dl;
        if (!model_sig(m, d, SIG_WORK_ARRIVED, &a) ||
            !model_sig(m, d, SIG_WORK_SERVED, &s) ||
            !isfinite(a - rc->base_a[i]) || !isfinite(s - rc->base_s[i])) {
            if (rc->ok) {
                rc->ok = 0;
                snprintf(rc->why, sizeof rc->why,
                         "%s has no work_arrived/work_served counters",
                         m->devices[d].name);
            }
            continue;
        }
        /* The arrivals into max and min over the rows (the same in every
         * row but on a chain stage), the service at the end, and whether
         * it keeps within the deadline tube (against the least arrivals
         * k ticks ago: as loose as the tube bound-dl uses). */
        double ca = a - rc->base_a[i], cs = s - rc->base_s[i];
        /* This tick's arrivals (stamped at its start, as the sim stamps
         * them) and service, at the clock it ran, into the pooled
         * latencies. */
        if (model_sig(m, d, SIG_THROUGHPUT, &thr))
            wlat_tick(&rc->lat, i, m->t - m->dt, a - rc->prev_a[i],
                      s - rc->prev_s[i], thr);
        rc->prev_a[i] = a;
        rc->prev_s[i] = s;
        size_t at = i * rc->n + k;
        rc->amax[at] = rc->rows_done ? fmax(rc->amax[at], ca) : ca;
        rc->amin[at] = rc->rows_done ? fmin(rc->amin[at], ca) : ca;
        rc->last_s[i] = cs;
        if (isnan(rc->deadline[i]) && model_sig(m, d, SIG_DEADLINE, &dl)) {
            rc->deadline[i] = dl;
            rc->lag[i] = bound_lag(dl, rc->dt);
        }
        size_t lag = rc->lag[i];
        if (rc->up[i] < 0 && lag != SIZE_MAX && k >= lag &&
            cs < rc->amin[at - lag] * (1 - 1e-9) - 1e-6)
            rc->dl_ok = 0;
        if (!(rc->opc[i] > 0) && model_sig(m, d, SIG_FREQ, &f) && f > 0 &&
            model_sig(m, d, SIG_THROUGHPUT, &thr) && thr > 0)
            rc->opc[i] = thr / f;
        /* The measured power against the table at the state it ran. */
        if (model_sig(m, d, SIG_FREQ, &f) && model_sig(m, d, SIG_UTIL, &u) &&
            model_sig(m, d, SIG_POWER, &p)) {
            /* The state it ran: a table entry, as the sim reports it. */
            int j = model_pstate_at(m, d, f);
            uint32_t o = j >= 0 ? m->ps_off[d] + (uint32_t)j : 0;
            if (j >= 0 && fabs(m->ps_freq[o] - f) <= 1e-9 * m->ps_freq[o]) {
                double tab = m->ps_idle[o] +
                             (m->ps_busy[o] - m->ps_idle[o]) * fmin(1, u);
                if (p - tab < rc->off[i])
                    rc->off[i] = p - tab;
            }
        }
    }
}

/* A run's end: row `row`'s service at the end, whether it kept within
 * every deadline tube. */
void bbrec_end(struct bbrec *rc, size_t row, int *dl_ok, double *wp99_s)
{
    for (size_t i = 0; i < rc->npu; i++)
        rc->send[row * rc->npu + i] = rc->last_s[i];
    *dl_ok = rc->dl_ok;
    *wp99_s = wlat_quantile(&rc->lat, 0.99);
    rc->rows_done++;
}

void bbrec_bound_free(struct bbrec_bound *b)
{
    free(b->emin);
    free(b->uend);
    memset(b, 0, sizeof *b);
}

/* The fluid FIFO's mean wait at capacity c per tick of dt from the
 * first tick (the sim's wait formula): each op's least latency. */
static double bbrec_race_wait(const double *cum, size_t n, double c, double dt)
{
    double freet = 0, wait = 0, prev = 0, r = c / dt;
    for (size_t t = 0; t < n; t++) {
        double x = cum[t] - prev, t0 = (double)t * dt;
        prev = cum[t];
        if (!(x > 0))
            continue;
        double start = fmax(freet, t0);
        wait += x * (start - t0) + x * x / (2 * r);
        freet = start + x / r;
    }
    return prev > 0 ? wait / prev : 0;
}

int bbrec_bound(struct bbrec *rc, double dt, struct bbrec_bound *b)
{
    memset(b, 0, sizeof *b);
    size_t n = rc->n, np = rc->npu;
    b->chained = rc->chained;
    b->emin = calloc(np + 1, sizeof *b->emin);
    b->uend = calloc(np + 1, sizeof *b->uend);
    /* The envelopes: each PU's recorded max, a chain stage's replaced
     * in place by its envelope (nothing else reads it after this). */
    double *U = rc->amax;
    double *L = malloc((n + 1) * sizeof *L);
    double *pw = calloc(n + 1, sizeof *pw), *pwd = calloc(n + 1, sizeof *pwd);
    struct bound_work w;
    int wok = bound_work_init(&w, n) == 0;
    if (!b->emin || !b->uend || !L || !pw || !pwd || !wok) {
        free(L);
        free(pw);
        free(pwd);
        if (wok)
            bound_work_free(&w);
        bbrec_bound_free(b);
        return -1;
    }
    b->ok = rc->ok;
    snprintf(b->why, sizeof b->why, "%s", rc->why);
    /* The envelopes: chain stages after their upstream (a chain's order
     * is the lab's; passes until none is left, at most np). */
    uint8_t done[256];
    size_t left = np;
    memset(done, 0, sizeof done);
    if (np > sizeof done && b->ok) {
        b->ok = 0;
        snprintf(b->why, sizeof b->why, "more than %zu PUs", sizeof done);
    }
    for (size_t pass = 0; b->ok && left > 0 && pass <= np; pass++)
        for (size_t i = 0; i < np; i++) {
            if (done[i] || (rc->up[i] >= 0 && !done[rc->up[i]]))
                continue;
            double *u = U + i * n;
            const double *mn = rc->amin + i * n;
            if (rc->up[i] >= 0)
                for (size_t t = 0; t < n; t++)
                    u[t] = rc->ratio[i] * U[(size_t)rc->up[i] * n + t] +
                           (rc->own[i] ? mn[t] : 0);
            done[i] = 1;
            left--;
        }
    if (b->ok && left > 0) {
        b->ok = 0;
        snprintf(b->why, sizeof b->why, "a chain whose stages form a loop");
    }
    double dsum = 0;
    for (size_t i = 0; b->ok && i < np; i++) {
        size_t o = i * BOUND_MAX_PSTATES, nps = rc->nps[i];
        struct bound_hull h;
        /* A hair below the measured shortfall: rounding of the sums. */
        double off = rc->off[i] - 1e-9 * fabs(rc->pb[o + nps - 1]);
        if (!(rc->opc[i] > 0) ||
            bound_hull_init(&h, nps, rc->pf + o, rc->pb + o, rc->pi + o, off,
                            rc->opc[i], dt) != 0) {
            b->ok = 0;
            snprintf(b->why, sizeof b->why,
                     "%s: no usable P-state table or throughput", rc->name[i]);
            break;
        }
        const double *u = U + i * n;
        struct bound_pu_res r, rd;
        bound_pu(&h, u, NULL, n, &w, &r, pw, NULL);
        const double *lo = NULL;
        size_t k = bound_lag(rc->deadline[i], dt);
        if (rc->up[i] < 0 && k != SIZE_MAX) {
            bound_deadline_tube(rc->amin + i * n, n, k, L);
            lo = L;
        }
        bound_pu(&h, u, lo, n, &w, &rd, pwd, NULL);
        b->bound += r.bound;
        b->primal += r.primal;
        b->bound_dl += rd.bound;
        b->primal_dl += rd.primal;
        b->clipped += rd.clipped;
        b->emin[i] = h.emin;
        b->max_off = fmax(b->max_off, -rc->off[i]);
        b->uend[i] = u[n - 1];
        /* A chain stage's least latency is not known from its envelope
         * (its work may come later and smoother): 0 there. */
        if (rc->up[i] < 0)
            dsum += bbrec_race_wait(u, n, h.cmax, dt);
    }
    b->d_race = np ? dsum / (double)np : 0;
    for (size_t t = 0; b->ok && t < n; t++) {
        b->peak = fmax(b->peak, pw[t]);
        b->peak_dl = fmax(b->peak_dl, pwd[t]);
        if (rc->budget_w > 0 && pw[t] > rc->budget_w * (1 + BBREC_TOLERANCE))
            b->over++;
        if (rc->budget_w > 0 && pwd[t] > rc->budget_w * (1 + BBREC_TOLERANCE))
            b->over_dl++;
    }
    free(L);
    free(pw);
    free(pwd);
    bound_work_free(&w);
    return 0;
}
