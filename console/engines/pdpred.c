/*
 * pdpred - see pdpred.h.
 */
#include "engines/pdpred.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "part/pbatch.h"
#include "part/ptrain.h"

/* The horizons the forecaster is asked at (the ensemble's scored ones);
 * the window takes each h from the smallest of them >= h. */
static const unsigned pdpred_h[] = {1, 2, 5, 10, 20, FCAST_HMAX};
#define PDPRED_NH (sizeof pdpred_h / sizeof *pdpred_h)
/* Samples of a run (since the last change) before it is acted on. */
#define PDPRED_MIN_RUN 5
/* The smoothing of the samples' spread (mad). */
#define PDPRED_MAD_ALPHA 0.05

void pdpred_cfg_default(struct pdpred_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->window = 500;
    c->lookahead = 0;
    c->period = 0;
    c->min_gain = 0.02;
    c->trigger = 0.03;
    c->cooldown = 50;
    c->method = FCAST_EWMA;
    c->alpha = 0.002;
    c->alpha_fast = 0.3;
    c->reset = 3;
    c->settle = 0.1;
}

void pdpred_cfg_multiscale(struct pdpred_cfg *c, const struct pdata *d)
{
    c->period = 10;
    double acc[PDATA__N] = {0}, f[PDATA__N];
    for (unsigned k = 0; k < PBATCH_NDIM; k++) {
        const double dim = PBATCH_DIM_MIN + PBATCH_DIM_STEP * k;
        const struct pdata_batch b = {0, 0, dim, dim};
        pdata_factors(d, &b, f);
        for (unsigned x = 0; x < PDATA__N; x++)
            acc[x] += f[x] / PBATCH_NDIM;
    }
    memcpy(c->sched_mean, acc, sizeof acc);
}

/* A class the forecasters follow: used by some layer, and not const. */
static int pdpred_varies(const struct pdpred *p, unsigned c)
{
    return c != PDATA_CONST && (p->d->used >> c & 1);
}

/* A forecaster of `method` at `alpha`, from no data; 0 or -1. */
static int pdpred_fc(struct fcast *f, enum fcast_method method, double alpha)
{
    struct fcast_params fp;
    fcast_params_default(&fp);
    fp.alpha = alpha;
    return fcast_init(f, method, &fp) == 0 ? 0 : -1;
}

/* Class c's level forecaster, from no data; 0 or -1 (bad parameters). */
static int pdpred_level(struct pdpred *p, unsigned c)
{
    return pdpred_fc(&p->fc[c], p->cfg.method, p->cfg.alpha);
}

/* The samples' mean absolute deviation from the fast forecast, its EWMA
 * corrected for its start from 0 (divided by the weight it has seen). */
static double pdpred_mad(const struct pdpred *p, unsigned c)
{
    return p->mad_w[c] > 0 ? p->mad[c] / p->mad_w[c] : 0;
}

/* Class c's level: the run's mean while it is young, else the level
 * forecaster's h ahead (NaN before data). */
static double pdpred_level_at(struct pdpred *p, unsigned c, unsigned h)
{
    if (p->run_n[c] && p->run_n[c] < 1 / p->cfg.alpha)
        return p->run_sum[c] / p->run_n[c];
    return fcast_predict(&p->fc[c], h);
}

int pdpred_init(struct pdpred *p, const struct pdata *d,
                const struct ppipe_in *nominal, const struct ppipe_plan *plan,
                const struct pdpred_cfg *cfg)
{
    memset(p, 0, sizeof *p);
    if (cfg)
        p->cfg = *cfg;
    else
        pdpred_cfg_default(&p->cfg);
    if (!p->cfg.window || !(p->cfg.min_gain >= 0) ||
        !(p->cfg.alpha > 0 && p->cfg.alpha <= 1) || !(p->cfg.trigger >= 0) ||
        !(p->cfg.reset >= 0) || !(p->cfg.settle > 0))
        return -1;
    p->d = d;
    for (unsigned c = 0; c < PDATA__N; c++) {
        p->now[c] = p->win[c] = 1;
        if (pdpred_varies(p, c) &&
            (pdpred_level(p, c) != 0 ||
             pdpred_fc(&p->fast[c], FCAST_EWMA, p->cfg.alpha_fast) != 0))
            return -1;
    }
    if (padapt_init(&p->cost, nominal, plan, NULL) != 0)
        return -1;
    if (pdata_view_init(&p->view, d, nominal) != 0)
        return -1;
    p->since = p->cfg.cooldown;
    p->pred = *plan;
    for (size_t u = 0; u < d->n; u++)
        for (unsigned c = 0; c < PDATA__N; c++)
            p->base[c] += nominal->work_ms[u] * d->layer[u].share[c];
    return 0;
}

void pdpred_free(struct pdpred *p)
{
    pdata_view_free(&p->view);
}

/* The factors of the ahead batch h (1-based) into f. */
static void pdpred_ahead(const struct pdpred *p, const struct pdata_batch *a,
                         unsigned h, double *f)
{
    pdata_factors(p->d, &a[h - 1], f);
}

/* Where the schedule knows class c's value h batches after the current
 * one: 1 with *v, else 0 (no schedule). */
static int pdpred_sched(const struct pdpred *p, unsigned c, unsigned h,
                        double *v)
{
    if (!p->cfg.period || !p->batches)
        return 0;
    const unsigned long b = p->batches - 1, P = p->cfg.period;
    *v = (b + h) / P == b / P ? p->now[c] : p->cfg.sched_mean[c];
    return 1;
}

double pdpred_forecast(struct pdpred *p, enum pdata_class c, unsigned h,
                       const struct pdata_batch *ahead, size_t nahead)
{
    double f[PDATA__N], v;
    if ((unsigned)c >= PDATA__N || h < 1)
        return NAN;
    if (!pdpred_varies(p, c))
        return p->now[c];
    if (ahead && h <= nahead && h <= p->cfg.lookahead) {
        pdpred_ahead(p, ahead, h, f);
        return f[c];
    }
    if (pdpred_sched(p, c, h, &v))
        return v;
    const double x = pdpred_level_at(p, c, h < FCAST_HMAX ? h : FCAST_HMAX);
    return x == x ? x : p->now[c];
}

/* The window's mean factors into p->win (pdpred.h). */
static void pdpred_window(struct pdpred *p, const struct pdata_batch *ahead,
                          size_t nahead)
{
    const unsigned H = p->cfg.window;
    const size_t known = nahead < p->cfg.lookahead ? nahead : p->cfg.lookahead;
    double sum[PDATA__N], f[PDATA__N];
    memcpy(sum, p->now, sizeof sum);
    unsigned h = 1;
    for (; h < H && h <= known; h++) {
        pdpred_ahead(p, ahead, h, f);
        for (unsigned c = 0; c < PDATA__N; c++)
            sum[c] += f[c];
    }
    for (unsigned c = 0; c < PDATA__N; c++) {
        if (!pdpred_varies(p, c)) {
            sum[c] = p->now[c] * H;
            continue;
        }
        double band[PDPRED_NH];
        for (unsigned j = 0; j < PDPRED_NH; j++)
            band[j] = p->now[c];
        for (unsigned j = 0; j < PDPRED_NH && !p->cfg.period; j++) {
            band[j] = pdpred_level_at(p, c, pdpred_h[j]);
            if (band[j] != band[j])
                band[j] = p->now[c];
        }
        unsigned j = 0;
        for (unsigned k = h; k < H; k++) {
            double v;
            if (!pdpred_sched(p, c, k, &v)) {
                while (j + 1 < PDPRED_NH && pdpred_h[j] < k)
                    j++;
                v = band[j];
            }
            sum[c] += v;
        }
    }
    for (unsigned c = 0; c < PDATA__N; c++)
        p->win[c] = sum[c] / H;
}

/* One sample of class c into its forecasters and the change test. */
static void pdpred_learn(struct pdpred *p, unsigned c, double x)
{
    const double f0 = fcast_predict(&p->fast[c], 1);
    if (f0 == f0) {
        p->mad[c] += PDPRED_MAD_ALPHA * (fabs(x - f0) - p->mad[c]);
        p->mad_w[c] += PDPRED_MAD_ALPHA * (1 - p->mad_w[c]);
    }
    fcast_update(&p->fast[c], x);
    p->run_sum[c] += x;
    p->run_n[c]++;
    /* the level learns from the run's mean until the run is as long as
     * the level's memory (1 / alpha), then by itself */
    const double span = 1 / p->cfg.alpha;
    if (p->run_n[c] >= span && p->run_n[c] < span + 1) {
        if (pdpred_level(p, c) == 0)
            fcast_update(&p->fc[c], p->run_sum[c] / p->run_n[c]);
    } else if (p->run_n[c] >= span) {
        fcast_update(&p->fc[c], x);
    }
    const double a = p->cfg.alpha_fast, f = fcast_predict(&p->fast[c], 1),
                 l = pdpred_level_at(p, c, 1);
    /* a change smaller than the trigger does not matter: the floor */
    const double sd = fmax(1.25 * pdpred_mad(p, c) * sqrt(a / (2 - a)),
                           p->cfg.trigger * fabs(l));
    if (p->cfg.reset > 0 && p->run_n[c] >= 2 &&
        fabs(f - l) > p->cfg.reset * sd) {
        /* a new phase: learnt from its own samples, the fast one's last */
        pdpred_fc(&p->fast[c], FCAST_EWMA, a);
        fcast_update(&p->fast[c], x);
        p->run_sum[c] = x;
        p->run_n[c] = 1;
        p->resets++;
    }
}

void pdpred_observe(struct pdpred *p, const struct pdata_batch *now,
                    const struct pdata_batch *ahead, size_t nahead)
{
    pdata_factors(p->d, now, p->now);
    for (unsigned c = 0; c < PDATA__N; c++)
        if (pdpred_varies(p, c))
            pdpred_learn(p, c, p->now[c]);
    p->batches++;
    if (p->since < p->cfg.cooldown)
        p->since++;
    pdpred_window(p, ahead, ahead ? nahead : 0);
}

double pdpred_stage_times(struct pdpred *p, const struct ppipe_plan *plan,
                          struct ppipe_plan *out)
{
    pdata_view_set(&p->view, p->d, p->win);
    *out = *plan;
    return ppipe_eval(&p->view.in, out);
}

int pdpred_decide(struct pdpred *p, const struct ppipe_plan *cur,
                  struct ppipe_plan *next)
{
    if (p->since < p->cfg.cooldown)
        return 0;
    /* a move of the window that its estimate's own noise explains is no
     * move: three standard errors (the samples' sigma over the square
     * root of the samples the level holds: the run's, at most the EWMA's
     * (2 - alpha) / alpha) */
    int moved = !p->have_solved;
    const double a = p->cfg.alpha;
    double se_w = 0, w = 0;
    for (unsigned c = 0; c < PDATA__N; c++) {
        if (!pdpred_varies(p, c)) {
            w += p->base[c] * p->win[c];
            continue;
        }
        /* one sample shows no spread: a few first */
        if (p->run_n[c] < PDPRED_MIN_RUN)
            return 0;
        const double n = fmin((double)p->run_n[c], (2 - a) / a);
        const double se = 1.25 * pdpred_mad(p, c) / sqrt(n);
        se_w += p->base[c] * se;
        w += p->base[c] * p->win[c];
        moved |= fabs(p->win[c] - p->solved[c]) >
                 fmax(p->cfg.trigger * fabs(p->solved[c]), 3 * se);
    }
    /* a window's work still this uncertain is not acted on */
    if (3 * se_w > p->cfg.settle * w)
        return 0;
    if (!moved)
        return 0;
    memcpy(p->solved, p->win, sizeof p->solved);
    p->have_solved = 1;
    const double now = pdpred_stage_times(p, cur, &p->pred);
    char err[128];
    if (ppipe_solve(&p->view.in, next, err, sizeof err) != 0)
        return 0;
    p->solves++;
    p->gain_ms = now - next->bottleneck_ms;
    p->cost_ms = padapt_migration_ms(&p->cost, &p->pred, next);
    if (!(p->gain_ms >= p->cfg.min_gain * now) ||
        !(p->gain_ms * p->cfg.window > p->cost_ms))
        return 0;
    p->since = 0;
    p->moves++;
    return 1;
}

int pdpred_plan_for(const struct pdata *d, const struct ppipe_in *nominal,
                    const double f[PDATA__N], struct ppipe_plan *out)
{
    struct pdata_view v;
    if (pdata_view_init(&v, d, nominal) != 0)
        return -1;
    pdata_view_set(&v, d, f);
    char err[128];
    const int rc = ppipe_solve(&v.in, out, err, sizeof err);
    pdata_view_free(&v);
    return rc;
}

/* A simulated run's context: the model at each batch, and the predictor. */
struct pdpred_sim {
    const struct pdata *d;
    struct pdata_view truth;
    const struct pdata_batch *batch;
    size_t n;
    struct pdpred *p;
};

static const struct ppipe_in *pdpred_sim_truth(void *ctx, size_t b)
{
    struct pdpred_sim *s = ctx;
    double f[PDATA__N];
    pdata_factors(s->d, &s->batch[b], f);
    pdata_view_set(&s->truth, s->d, f);
    return &s->truth.in;
}

static int pdpred_sim_plan(void *ctx, size_t b, const struct ppipe_plan *cur,
                           struct ppipe_plan *next)
{
    struct pdpred_sim *s = ctx;
    pdpred_observe(s->p, &s->batch[b], s->batch + b + 1, s->n - b - 1);
    return pdpred_decide(s->p, cur, next);
}

int pdpred_simulate(const struct pdata *d, const struct ppipe_in *nominal,
                    const struct ppipe_plan *plan,
                    const struct pdata_batch *batch, size_t n,
                    enum ptrain_mode mode, const struct pdpred_cfg *pcfg,
                    const struct ptrain_cfg *tcfg, struct ptrain_result *out,
                    unsigned long *solves)
{
    struct pdpred_sim s = {.d = d, .batch = batch, .n = n};
    struct pdpred *p = NULL;
    int rc = -1;
    if (pdata_view_init(&s.truth, d, nominal) != 0)
        return -1;
    if (mode == PTRAIN_PLANNED) {
        p = malloc(sizeof *p);
        if (!p || pdpred_init(p, d, nominal, plan, pcfg) != 0)
            goto done;
        s.p = p;
    }
    const struct ptrain_data data = {n, pdpred_sim_truth, pdpred_sim_plan, &s};
    rc = ptrain_run_data(nominal, plan, &data, mode, tcfg, out);
    if (solves)
        *solves = p ? p->solves : 0;
done:
    if (p)
        pdpred_free(p);
    free(p);
    pdata_view_free(&s.truth);
    return rc;
}
