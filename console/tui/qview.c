/*
 * qview - see qview.h.
 *
 * The pane draws, for the selected agent: its status line (the engine's
 * figures: module, phase, epsilon, last reward, mean |TD error|), a
 * sparkline of its recent rewards, the Q-values of its present state as
 * one bar per action (the greedy one marked), then as many rows of its
 * table (states by row, present state highlighted) as fit.  The bars are
 * scaled between the row's lowest and highest value: what decides the
 * greedy action is their order and spread, not their level, which sits
 * near reward / (1 - gamma).
 */
#include "tui/qview.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engines/engines.h"
#include "tui/term.h"

#define Q_MAX_AGENTS 64 /* the mesh's QMESH_MAX_AGENTS */
#define Q_MAX_ROWS 32   /* a window of the table around the present row */
#define Q_MAX_COLS 12
#define Q_LABEL 16
#define Q_TREND 64

struct q_table {
    char name[32];
    char status[128];
    size_t rows, cols;
    int cur_known;
    size_t cur; /* in this window */
    double q[Q_MAX_ROWS * Q_MAX_COLS];
    char rl[Q_MAX_ROWS][Q_LABEL];
    char cl[Q_MAX_COLS][Q_LABEL];
    float trend[Q_TREND];
    size_t ntrend;
};

static struct q_table q_tables[Q_MAX_AGENTS];
static size_t q_n;
static unsigned q_gen;

size_t qview_count(void)
{
    return q_n;
}

unsigned qview_gen(void)
{
    return q_gen;
}

long qview_find(const char *name)
{
    for (size_t i = 0; name && i < q_n; i++)
        if (strcmp(q_tables[i].name, name) == 0)
            return (long)i;
    return -1;
}

int qview_store(const struct engine_qtable *e)
{
    if (!e || !e->agent || (e->rows && (!e->q || e->cols == 0)))
        return -1;
    long found = qview_find(e->agent);
    size_t i;
    if (found >= 0) {
        i = (size_t)found;
    } else {
        if (q_n == Q_MAX_AGENTS)
            return -1;
        i = q_n++;
    }
    struct q_table *t = &q_tables[i];
    snprintf(t->name, sizeof t->name, "%s", e->agent);
    snprintf(t->status, sizeof t->status, "%s", e->status ? e->status : "");
    /* a window of Q_MAX_ROWS rows with the present state in its middle */
    size_t first = 0, rows = e->rows;
    if (rows > Q_MAX_ROWS) {
        if (e->cur_known && e->cur >= Q_MAX_ROWS / 2)
            first = e->cur - Q_MAX_ROWS / 2;
        if (first + Q_MAX_ROWS > e->rows)
            first = e->rows - Q_MAX_ROWS;
        rows = Q_MAX_ROWS;
    }
    int clipped = e->rows > Q_MAX_ROWS || e->cols > Q_MAX_COLS;
    t->rows = rows;
    t->cols = e->cols > Q_MAX_COLS ? Q_MAX_COLS : e->cols;
    t->cur_known = e->cur_known && e->cur >= first && e->cur < first + rows;
    t->cur = t->cur_known ? e->cur - first : 0;
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t c = 0; c < t->cols; c++)
            t->q[r * t->cols + c] = e->q[(first + r) * e->cols + c];
        if (e->row_labels && e->row_labels[first + r])
            snprintf(t->rl[r], Q_LABEL, "%s", e->row_labels[first + r]);
        else
            snprintf(t->rl[r], Q_LABEL, "s%u", (unsigned)(first + r) % 100000u);
    }
    for (size_t c = 0; c < t->cols; c++) {
        if (e->col_labels && e->col_labels[c])
            snprintf(t->cl[c], Q_LABEL, "%s", e->col_labels[c]);
        else
            snprintf(t->cl[c], Q_LABEL, "a%u", (unsigned)c);
    }
    const size_t nt = e->trend ? e->ntrend : 0;
    const size_t skip = nt > Q_TREND ? nt - Q_TREND : 0;
    t->ntrend = nt - skip;
    for (size_t k = 0; k < t->ntrend; k++)
        t->trend[k] = (float)e->trend[skip + k];
    q_gen++;
    return clipped;
}

static int qview_want(const struct tui_view *v)
{
    (void)v;
    return q_n ? 16 : 5;
}

/* The greedy action of row r (the first of equals). */
static size_t qview_best(const struct q_table *t, size_t r)
{
    size_t best = 0;
    for (size_t c = 1; c < t->cols; c++)
        if (t->q[r * t->cols + c] > t->q[r * t->cols + best])
            best = c;
    return best;
}

/* The present state's Q-values as one bar per action. */
static int qview_bars(const struct q_table *t, int y, int x, int h, int w)
{
    const size_t r = t->cur;
    const double *row = &t->q[r * t->cols];
    double lo = INFINITY, hi = -INFINITY;
    for (size_t c = 0; c < t->cols; c++) {
        lo = row[c] < lo ? row[c] : lo;
        hi = row[c] > hi ? row[c] : hi;
    }
    const size_t best = qview_best(t, r);
    int used = 0;
    for (size_t c = 0; c < t->cols && used < h; c++, used++) {
        const int yy = y + used, lw = 5, nw = 10;
        term_text(yy, x, lw, c == best ? TR_SELECT : TR_LABEL, t->cl[c]);
        /* at least a sliver, so the lowest action still has a bar */
        const double f = hi > lo ? 0.05 + 0.95 * (row[c] - lo) / (hi - lo) : 1;
        if (w - lw - nw > 0)
            term_bar(yy, x + lw, w - lw - nw, f, 0, 1);
        term_textf(yy, x + w - nw, nw, c == best ? TR_OK : TR_VALUE, "%c%8.3f",
                   c == best ? '*' : ' ', row[c]);
    }
    return used;
}

static void qview_draw(const struct tui_view *v, int y, int x, int h, int w)
{
    if (q_n == 0) {
        term_text(y + (h - 1) / 2, x + 1, w - 1, TR_DIM, "no agents loaded");
        return;
    }
    const struct q_table *t = &q_tables[v->q_agent % q_n];
    int n = term_textf(y, x, w, TR_TITLE, "agent %s (%zu/%zu) ", t->name,
                       v->q_agent % q_n + 1, q_n);
    term_text(y, x + n, w - n, TR_VALUE, t->status);
    int yy = y + 1;
    if (yy < y + h && t->ntrend > 0) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t k = 0; k < t->ntrend; k++) {
            lo = t->trend[k] < lo ? t->trend[k] : lo;
            hi = t->trend[k] > hi ? t->trend[k] : hi;
        }
        term_text(yy, x, 7, TR_LABEL, "reward");
        char num[24];
        snprintf(num, sizeof num, " %.3f", (double)t->trend[t->ntrend - 1]);
        const int sw = w - 7 - (int)strlen(num);
        if (sw > 0)
            term_spark(yy, x + 7, sw, t->trend, t->ntrend, lo,
                       hi > lo ? hi : lo + 1, TR_BAR_USED);
        term_text(yy, x + 7 + (sw > 0 ? sw : 0), w - 7, TR_VALUE, num);
        yy++;
    }
    if (t->rows == 0) {
        if (yy < y + h)
            term_text(yy, x, w, TR_DIM, "no Q-table in use (see its status)");
        return;
    }
    if (t->cur_known && yy < y + h) {
        term_textf(yy, x, w, TR_LABEL,
                   "present state %s, greedy *:", t->rl[t->cur]);
        yy += 1 + qview_bars(t, yy + 1, x, y + h - yy - 1, w);
    }
    if (yy + 2 > y + h)
        return;
    /* the table: as many rows as fit, keeping the present one in view */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < t->rows * t->cols; i++) {
        lo = t->q[i] < lo ? t->q[i] : lo;
        hi = t->q[i] > hi ? t->q[i] : hi;
    }
    const int cw = 8, lw = 9;
    size_t ncols = (size_t)((w - lw) / cw);
    if (ncols > t->cols)
        ncols = t->cols;
    for (size_t c = 0; c < ncols; c++)
        term_text(yy, x + lw + (int)c * cw, cw - 1, TR_LABEL, t->cl[c]);
    yy++;
    const size_t fit = (size_t)(y + h - yy);
    size_t first = 0;
    if (t->cur_known && t->cur >= fit / 2 && t->rows > fit)
        first = t->cur - fit / 2;
    if (t->rows > fit && first + fit > t->rows)
        first = t->rows - fit;
    for (size_t r = first; r < t->rows && yy < y + h; r++, yy++) {
        const size_t best = qview_best(t, r);
        const int here = t->cur_known && r == t->cur;
        term_text(yy, x, lw - 1, here ? TR_SELECT : TR_LABEL, t->rl[r]);
        for (size_t c = 0; c < ncols; c++) {
            double q = t->q[r * t->cols + c];
            double f = hi > lo ? (q - lo) / (hi - lo) : 0.5;
            enum term_role role = f < 1.0 / 3   ? TR_HEAT_LO
                                  : f < 2.0 / 3 ? TR_HEAT_MID
                                                : TR_HEAT_HI;
            term_textf(yy, x + lw + (int)c * cw, cw - 1, role, "%c%6.2f",
                       c == best ? '*' : ' ', q);
        }
    }
}

const struct pane qview_pane = {
    .name = "Q-values",
    .caption = "Up/Down: agent",
    .key = '4',
    .hint = PANE_HALF,
    .min_h = 3,
    .want_h = qview_want,
    .draw = qview_draw,
};
