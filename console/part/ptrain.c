/*
 * ptrain - see ptrain.h.
 */
#include "part/ptrain.h"

#include <math.h>
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
static uint64_t ptrain_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double ptrain_gauss(uint64_t *s)
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
