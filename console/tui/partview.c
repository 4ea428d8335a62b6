/*
 * partview - see partview.h.
 */
#include "tui/partview.h"

#include <math.h>
#include <stdio.h>

#include "engines/engines.h"
#include "tui/term.h"

#define PV_MAX 16

static struct {
    char name[48];
    size_t n;
    char stage[PV_MAX][40];
    char device[PV_MAX][16];
    double compute[PV_MAX], link[PV_MAX], measured[PV_MAX];
    int have_link, have_measured;
    double pred_ms, meas_ms, bound_ms, stall_s;
    unsigned long moves;
    int pending;
} pv;
static unsigned pv_gen;

int partview_store(const struct engine_stages *e)
{
    if (!e || !e->model_name || !e->stage || !e->device || !e->cost_ms ||
        e->n == 0)
        return -1;
    const int clipped = e->n > PV_MAX;
    snprintf(pv.name, sizeof pv.name, "%s", e->model_name);
    pv.n = clipped ? PV_MAX : e->n;
    pv.have_link = e->comm_ms != NULL;
    pv.have_measured = e->measured_ms != NULL;
    for (size_t i = 0; i < pv.n; i++) {
        snprintf(pv.stage[i], sizeof pv.stage[i], "%s",
                 e->stage[i] ? e->stage[i] : "?");
        snprintf(pv.device[i], sizeof pv.device[i], "%s",
                 e->device[i] ? e->device[i] : "?");
        pv.compute[i] = e->cost_ms[i];
        pv.link[i] = e->comm_ms ? e->comm_ms[i] : 0;
        pv.measured[i] = e->measured_ms ? e->measured_ms[i] : NAN;
    }
    pv.pred_ms = e->predicted_bottleneck_ms;
    pv.meas_ms = e->measured_bottleneck_ms;
    pv.bound_ms = e->bound_ms;
    pv.moves = e->moves;
    pv.pending = e->pending;
    pv.stall_s = e->stall_s;
    pv_gen++;
    return clipped;
}

unsigned partview_gen(void)
{
    return pv_gen;
}

static int partview_want(const struct tui_view *v)
{
    (void)v;
    return pv.n ? (int)pv.n + 3 : 5;
}

/* The status line: the bottleneck as predicted and measured, the bound,
 * moves, and what is under way. */
static void partview_status(int y, int x, int w)
{
    int n = term_textf(y, x, w, TR_TITLE, "%s", pv.name);
    n += term_textf(y, x + n, w - n, TR_VALUE, " %.1f ms", pv.pred_ms);
    if (pv.meas_ms > 0)
        n += term_textf(y, x + n, w - n, TR_VALUE, " (meas. %.1f)", pv.meas_ms);
    if (pv.bound_ms > 0)
        n += term_textf(y, x + n, w - n, TR_DIM, " bound %.1f", pv.bound_ms);
    n += term_textf(y, x + n, w - n, TR_VALUE, " %lu move%s", pv.moves,
                    pv.moves == 1 ? "" : "s");
    if (pv.pending)
        n += term_text(y, x + n, w - n, TR_WARN, " pending");
    if (pv.stall_s > 0)
        term_textf(y, x + n, w - n, TR_WARN, " migrating %.1fs", pv.stall_s);
}

/* Column widths: the stage's layers shrink to what the pane leaves them. */
#define PV_DEV 7
#define PV_NUM 7

static void partview_draw(const struct tui_view *v, int y, int x, int h, int w)
{
    (void)v;
    if (pv.n == 0) {
        term_text(y + (h - 1) / 2, x + 1, w - 1, TR_DIM, "no partition loaded");
        return;
    }
    /* the bottleneck: the slowest stage's compute (measured where known)
     * or link; the bars' scale: the largest time shown */
    size_t worst = 0;
    double scale = 0, worst_t = -1;
    for (size_t i = 0; i < pv.n; i++) {
        const double m = pv.measured[i] == pv.measured[i] && pv.measured[i] > 0
                             ? pv.measured[i]
                             : pv.compute[i];
        const double t = fmax(m, pv.link[i]);
        if (t > worst_t) {
            worst_t = t;
            worst = i;
        }
        scale = fmax(scale, fmax(pv.compute[i] + pv.link[i], t));
    }
    partview_status(y, x, w);
    /* stage | device | compute | link | measured | bar (compute, link) */
    int sw = w - (PV_DEV + 3 * PV_NUM + 4) - 12;
    if (sw > 24)
        sw = 24;
    if (sw < 6)
        sw = 6;
    const int bx = sw + PV_DEV + 3 * PV_NUM + 5;
    if (h > 1)
        term_textf(y + 1, x, w, TR_DIM, "%-*s %-*s %*s %*s %*s", sw, "stage",
                   PV_DEV, "device", PV_NUM, "compute", PV_NUM, "link", PV_NUM,
                   "meas.");
    for (size_t i = 0; i + 2 < (size_t)h && i < pv.n; i++) {
        const int yy = y + 2 + (int)i;
        const enum term_role r = i == worst ? TR_WARN : TR_VALUE;
        char meas[16] = "-";
        if (pv.have_measured && pv.measured[i] == pv.measured[i] &&
            pv.measured[i] > 0)
            snprintf(meas, sizeof meas, "%.1f", pv.measured[i]);
        term_textf(yy, x, w, r, "%-*.*s %-*.*s %*.1f %*.1f %*s", sw, sw,
                   pv.stage[i], PV_DEV, PV_DEV, pv.device[i], PV_NUM,
                   pv.compute[i], PV_NUM, pv.link[i], PV_NUM, meas);
        int bw = w - bx - 2;
        if (bw > 40)
            bw = 40;
        if (bw >= 4 && scale > 0) {
            term_bar(yy, x + bx, bw, pv.compute[i], pv.link[i], scale);
            if (i == worst)
                term_text(yy, x + bx + bw, 1, TR_WARN, term_utf8() ? "◀" : "<");
        }
    }
}

const struct pane partview_pane = {
    .name = "Partition",
    .key = '5',
    .hint = PANE_HALF,
    .min_h = 3,
    .want_h = partview_want,
    .draw = partview_draw,
};
