/*
 * ptrain - see ptrain.h.
 */
#include "part/ptrain.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The true speeds and bandwidths at this point of the run. */
struct ptrain_truth {
    struct ppipe_dev dev[PPIPE_MAX_DEV];
    double bw[PPIPE_MAX_DEV * PPIPE_MAX_DEV];
    struct ppipe_in in;
};

static void ptrain_apply(struct ptrain_truth *tr, const struct ppipe_in *nom,
                         const struct ptrain_event *e)
{
    const size_t nd = nom->ndev;
    if (e->dev >= 0) {
        tr->dev[e->dev].speed = nom->dev[e->dev].speed * e->factor;
    } else {
        tr->bw[(size_t)e->from * nd + e->to] =
            nom->bw[(size_t)e->from * nd + e->to] * e->factor;
        tr->bw[(size_t)e->to * nd + e->from] =
            nom->bw[(size_t)e->to * nd + e->from] * e->factor;
    }
}

/* splitmix64 and Box-Muller: the noise, reproducible from the seed */
uint64_t ptrain_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

double ptrain_gauss(uint64_t *s)
{
    const double u =
        ((double)(ptrain_next(s) >> 11) + 0.5) / 9007199254740992.0;
    const double v = (double)(ptrain_next(s) >> 11) / 9007199254740992.0;
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

int ptrain_run(const struct ppipe_in *in, const struct ppipe_plan *plan,
               const struct ptrain_event *ev, size_t nev, enum ptrain_mode mode,
               const struct ptrain_cfg *cfg, struct ptrain_result *out)
{
    memset(out, 0, sizeof *out);
    if (nev + 1 > PTRAIN_MAX_WIN || !(cfg->duration_s > 0) ||
        !(cfg->noise >= 0))
        return -1;
    for (size_t k = 0; k < nev; k++)
        if (!(ev[k].factor > 0) || (k && ev[k].t_s < ev[k - 1].t_s) ||
            ev[k].dev >= (int)in->ndev ||
            (ev[k].dev < 0 &&
             (ev[k].from < 0 || ev[k].to < 0 || ev[k].from >= (int)in->ndev ||
              ev[k].to >= (int)in->ndev)))
            return -1;
    struct ptrain_truth tr;
    memcpy(tr.dev, in->dev, in->ndev * sizeof *tr.dev);
    memcpy(tr.bw, in->bw, in->ndev * in->ndev * sizeof *tr.bw);
    tr.in = *in;
    tr.in.dev = tr.dev;
    tr.in.bw = tr.bw;
    struct padapt ad;
    if (padapt_init(&ad, in, plan, cfg->adapt) != 0)
        return -1;
    struct ppipe_plan run = *plan, prev = *plan; /* true times of run */
    int have_prev = 0;
    size_t prev_win = 0; /* the window of the last move */
    if (!isfinite(ppipe_eval(&tr.in, &run)))
        return -1;
    uint64_t rng = cfg->seed ? cfg->seed : 1;
    double t = 0, wstart = 0, wbatches = 0;
    size_t next = 0;
    out->win_t0[0] = 0;
    out->nwin = 1;
    while (t < cfg->duration_s) {
        if (next < nev && ev[next].t_s <= t) {
            /* close the window, apply every event due */
            out->win_tput[out->nwin - 1] =
                t > wstart ? wbatches / (t - wstart) : 0;
            while (next < nev && ev[next].t_s <= t)
                ptrain_apply(&tr, in, &ev[next++]);
            out->win_t0[out->nwin++] = t;
            wstart = t;
            wbatches = 0;
            if (mode == PTRAIN_HINDSIGHT) {
                struct ppipe_plan best;
                char err[128];
                if (ppipe_solve(&tr.in, &best, err, sizeof err) == 0 &&
                    !padapt_same(&best, &run)) {
                    prev = run;
                    have_prev = 1;
                    prev_win = out->nwin;
                    run = best;
                    out->moves++;
                }
            }
            ppipe_eval(&tr.in, &run);
        }
        const double step_s = run.bottleneck_ms / 1e3;
        if (!(step_s > 0) || !isfinite(step_s))
            return -1;
        t += step_s;
        out->batches += 1;
        wbatches += 1;
        if (mode != PTRAIN_ADAPTIVE)
            continue;
        double sm[PPIPE_MAX_DEV], lm[PPIPE_MAX_DEV];
        for (unsigned k = 0; k < run.nstages; k++) {
            sm[k] = run.compute_ms[k] * (1 + cfg->noise * ptrain_gauss(&rng));
            lm[k] = run.comm_ms[k] * (1 + cfg->noise * ptrain_gauss(&rng));
        }
        double idle[PPIPE_MAX_DEV];
        for (size_t e = 0; e < in->ndev; e++)
            idle[e] = tr.dev[e].speed / in->dev[e].speed *
                      (1 + cfg->noise * ptrain_gauss(&rng));
        padapt_observe(&ad, sm, lm, idle);
        const struct ppipe_plan before = ad.cur;
        const enum padapt_action act = padapt_decide(&ad, 0, 0);
        if (act == PADAPT_MOVE) {
            if (have_prev && prev_win == out->nwin &&
                padapt_same(&ad.cur, &prev))
                out->backs++;
            prev = before;
            have_prev = 1;
            prev_win = out->nwin;
            /* the stall, at the true speeds, not the estimates */
            run = ad.cur;
            ppipe_eval(&tr.in, &run);
            const double cost = padapt_migration_ms(&ad, &before, &run);
            t += cost / 1e3;
            out->migration_s += cost / 1e3;
            out->moves++;
        }
        if (act == PADAPT_VETOED)
            out->vetoes++;
    }
    out->win_tput[out->nwin - 1] = t > wstart ? wbatches / (t - wstart) : 0;
    out->tput = t > 0 ? out->batches / t : 0;
    return 0;
}

/* The plan p's times at truth t into p; its bottleneck, or -1 when it is
 * not a finite positive time (a stage over its memory). */
static double ptrain_at(const struct ppipe_in *t, struct ppipe_plan *p)
{
    const double b = ppipe_eval(t, p);
    return b > 0 && isfinite(b) ? b : -1;
}

/* Moves run to `to` before batch b (truth t), paying the stall. */
static int ptrain_move(const struct padapt *ad, const struct ppipe_in *t,
                       struct ppipe_plan *run, const struct ppipe_plan *to,
                       double *time_s, struct ptrain_result *out)
{
    struct ppipe_plan next = *to;
    if (ptrain_at(t, run) < 0 || ptrain_at(t, &next) < 0)
        return -1;
    const double cost = padapt_migration_ms(ad, run, &next) / 1e3;
    *time_s += cost;
    out->migration_s += cost;
    out->moves++;
    *run = next;
    return 0;
}

/* Hindsight's batch: the plan for t's work, re-solved only when the work
 * and activations differ from the last solve's (prev: 2 n doubles). */
static int ptrain_best(const struct ppipe_in *t, double *prev, int *have,
                       struct ppipe_plan *run, struct ptrain_result *out)
{
    const size_t n = t->g->n;
    int same = *have;
    for (size_t u = 0; same && u < n; u++)
        same =
            prev[u] == t->work_ms[u] && prev[n + u] == t->g->node[u].act_bytes;
    if (same)
        return 0;
    for (size_t u = 0; u < n; u++) {
        prev[u] = t->work_ms[u];
        prev[n + u] = t->g->node[u].act_bytes;
    }
    *have = 1;
    struct ppipe_plan best;
    char err[128];
    if (ppipe_solve(t, &best, err, sizeof err) != 0)
        return -1;
    if (!padapt_same(&best, run))
        out->moves++;
    *run = best;
    return 0;
}

int ptrain_run_data(const struct ppipe_in *nominal,
                    const struct ppipe_plan *plan, const struct ptrain_data *d,
                    enum ptrain_mode mode, const struct ptrain_cfg *cfg,
                    struct ptrain_result *out)
{
    memset(out, 0, sizeof *out);
    if (!d->truth || (mode == PTRAIN_PLANNED && !d->plan) ||
        !(cfg->noise >= 0) || mode > PTRAIN_PLANNED)
        return -1;
    /* ad: the adaptive controller; nom: the nominal links every move's
     * cost is computed over (not ad's estimates, so all modes pay alike) */
    struct padapt ad, nom;
    if (padapt_init(&ad, nominal, plan, cfg->adapt) != 0 ||
        padapt_init(&nom, nominal, plan, NULL) != 0)
        return -1;
    const size_t n = nominal->g->n;
    double *prev = mode == PTRAIN_HINDSIGHT
                       ? malloc(2 * (n ? n : 1) * sizeof *prev)
                       : NULL;
    if (mode == PTRAIN_HINDSIGHT && !prev)
        return -1;
    struct ppipe_plan run = *plan, next;
    uint64_t rng = cfg->seed ? cfg->seed : 1;
    double t = 0;
    int have = 0, rc = 0;
    for (size_t b = 0; b < d->nbatch && rc == 0; b++) {
        const struct ppipe_in *tr = d->truth(d->ctx, b);
        if (!tr) {
            rc = -1;
            break;
        }
        if (mode == PTRAIN_HINDSIGHT)
            rc = ptrain_best(tr, prev, &have, &run, out);
        if (rc == 0 && mode == PTRAIN_PLANNED && ptrain_at(tr, &run) > 0 &&
            d->plan(d->ctx, b, &run, &next))
            rc = ptrain_move(&nom, tr, &run, &next, &t, out);
        const double step = rc == 0 ? ptrain_at(tr, &run) : -1;
        if (step < 0) {
            rc = -1;
            break;
        }
        t += step / 1e3;
        out->batches += 1;
        if (mode != PTRAIN_ADAPTIVE)
            continue;
        double sm[PPIPE_MAX_DEV], lm[PPIPE_MAX_DEV], idle[PPIPE_MAX_DEV];
        for (unsigned k = 0; k < run.nstages; k++) {
            sm[k] = run.compute_ms[k] * (1 + cfg->noise * ptrain_gauss(&rng));
            lm[k] = run.comm_ms[k] * (1 + cfg->noise * ptrain_gauss(&rng));
        }
        for (size_t e = 0; e < nominal->ndev; e++)
            idle[e] = 1 + cfg->noise * ptrain_gauss(&rng);
        padapt_observe(&ad, sm, lm, idle);
        if (padapt_decide(&ad, 0, 0) == PADAPT_MOVE)
            rc = ptrain_move(&nom, tr, &run, &ad.cur, &t, out);
    }
    free(prev);
    out->nwin = 1;
    out->tput = t > 0 ? out->batches / t : 0;
    out->win_tput[0] = out->tput;
    return rc;
}
