/*
 * meshview - see meshview.h.
 *
 * Everything comes from the model, as the mesh driver reports it
 * (drivers/mesh/meshdrv.c): nodes are the devices of kind "converter",
 * ties those of kind "tie" with their two nodes (a, b: 1-based), whether
 * the switch is closed and its current a to b.  A failed node's own
 * sensors read invalid; its bus is still sensed by its ties' switches,
 * which is what the row shows then, with the ties that feed it.
 */
#include "tui/meshview.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/model.h"
#include "tui/term.h"

#define MV_MAX 64 /* nodes listed (the agents' QMESH_MAX_AGENTS) */

static const char *const mv_types[] = {"-", "cpu", "gpu", "fpga"};

static int mv_is(const struct model *m, size_t d, const char *kind)
{
    return m->devices[d].kind && strcmp(m->devices[d].kind, kind) == 0;
}

size_t meshview_count(const struct model *m)
{
    size_t n = 0;
    for (size_t d = 0; d < m->n_devices && n < MV_MAX; d++)
        n += mv_is(m, d, "converter");
    return n;
}

long meshview_device(const struct model *m, size_t k)
{
    for (size_t d = 0; d < m->n_devices; d++)
        if (mv_is(m, d, "converter") && k-- == 0)
            return (long)d;
    return -1;
}

/* Signal `name` of device d: 1 with its value when valid. */
static int mv_sig(const struct model *m, size_t d, const char *name, double *x)
{
    const int s = model_find_signal(m, (uint32_t)d, name);
    if (s < 0 || !m->valid[s])
        return 0;
    *x = m->val[s];
    return 1;
}

/* The ties of node k (1-based number `num`) after column x: "·node2"
 * open, "=node4 +3.2A" closed with the current out of this node; and
 * what a failed node's ties sense of its bus. */
static void mv_ties(const struct model *m, int num, int y, int x, int w,
                    double *sensed)
{
    int used = 0;
    for (size_t d = 0; d < m->n_devices && used < w; d++) {
        double a, b, closed, i, va, vb;
        if (!mv_is(m, d, "tie") || !mv_sig(m, d, "a", &a) ||
            !mv_sig(m, d, "b", &b) || !mv_sig(m, d, "closed", &closed))
            continue;
        const int at_a = (int)a == num;
        if (!at_a && (int)b != num)
            continue;
        const long far = meshview_device(m, (size_t)(at_a ? b : a) - 1);
        const char *fname = far >= 0 ? m->devices[far].name : "?";
        if (mv_sig(m, d, at_a ? "va" : "vb", at_a ? &va : &vb))
            *sensed = at_a ? va : vb;
        char buf[48];
        if (closed >= 0.5 && mv_sig(m, d, "i", &i))
            snprintf(buf, sizeof buf, " =%s %+.1fA", fname, at_a ? i : -i);
        else
            snprintf(buf, sizeof buf, " %s%s", closed >= 0.5 ? "=" : ".",
                     fname);
        used += term_text(y, x + used, w - used,
                          closed >= 0.5 ? TR_WARN : TR_DIM, buf);
    }
}

/* ---- the map ---- */

#define MV_TIES 256
#define MV_CELL 13 /* "n12 fpga .745" */
#define MV_GAP 8   /* " <3.2A< " */

/* The ties as the model has them this frame. */
struct mv_tie {
    unsigned a, b; /* 0-based nodes */
    int closed, has_i;
    double i; /* a to b */
};
static struct mv_tie mv_tie[MV_TIES];

static size_t mv_ties_read(const struct model *m, size_t n)
{
    size_t nt = 0;
    for (size_t d = 0; d < m->n_devices && nt < MV_TIES; d++) {
        double a, b, c, i;
        if (!mv_is(m, d, "tie") || !mv_sig(m, d, "a", &a) ||
            !mv_sig(m, d, "b", &b) || !mv_sig(m, d, "closed", &c) || a < 1 ||
            b < 1 || a > n || b > n)
            continue;
        const int has_i = mv_sig(m, d, "i", &i);
        mv_tie[nt++] = (struct mv_tie){(unsigned)a - 1, (unsigned)b - 1,
                                       c >= 0.5, has_i, has_i ? i : 0};
    }
    return nt;
}

/* Node k's cell in a layout of `cols` columns: a grid (row-major), or
 * with `race` a racetrack (the first half left to right on top, the rest
 * right to left under it: a ring's neighbours side by side). */
static void mv_pos(size_t k, size_t n, size_t cols, int race, size_t *cx,
                   size_t *cy)
{
    if (race && k >= cols) {
        *cx = n - 1 - k;
        *cy = 1;
    } else {
        *cx = race ? k : k % cols;
        *cy = race ? 0 : k / cols;
    }
}

/* Whether every tie joins two cells side by side or one over the other
 * in that layout: then the map can draw them all. */
static int mv_fits(size_t n, size_t nt, size_t cols, int race)
{
    for (size_t t = 0; t < nt; t++) {
        size_t ax, ay, bx, by;
        mv_pos(mv_tie[t].a, n, cols, race, &ax, &ay);
        mv_pos(mv_tie[t].b, n, cols, race, &bx, &by);
        const size_t dx = ax > bx ? ax - bx : bx - ax,
                     dy = ay > by ? ay - by : by - ay;
        if (dx + dy != 1)
            return 0;
    }
    return 1;
}

/* A layout the ties fit, the squarest first (a grid's own columns, a
 * line as one row), else a racetrack for a ring; 0 when none does. */
static int mv_layout(size_t n, size_t nt, size_t *cols, int *race)
{
    size_t best = 0;
    for (size_t c = 1; c <= n; c++) {
        if (n % c || !mv_fits(n, nt, c, 0))
            continue;
        const size_t r = n / c;
        /* prefer the shape closest to square, wider when tied */
        const size_t skew = c > r ? c - r : 2 * (r - c);
        const size_t bskew = best == 0         ? (size_t)-1
                             : best > n / best ? best - n / best
                                               : 2 * (n / best - best);
        if (skew < bskew)
            best = c;
    }
    if (best) {
        *cols = best;
        *race = 0;
        return 1;
    }
    if (n % 2 == 0 && n >= 4 && mv_fits(n, nt, n / 2, 1)) {
        *cols = n / 2;
        *race = 1;
        return 1;
    }
    return 0;
}

/* The bus voltage's role by its margin over the module's minimum. */
static enum term_role mv_margin_role(double over)
{
    return over != over   ? TR_VALUE
           : over < 0     ? TR_ERROR
           : over < 0.020 ? TR_WARN
                          : TR_OK;
}

/* Draws the map at (y, x) if it fits in h rows and w columns: cells
 * "n5 cpu .804" (the bus voltage coloured by its margin, FAIL in red,
 * the selected node's name reversed), ties between them: open "····",
 * closed with the current and its direction ">3.2A>" (down: "v 3.2A").  Returns
 * the rows used, or 0 when there is no layout or no room. */
static int mv_map(const struct tui_view *v, size_t n, size_t sel, int y, int x,
                  int h, int w)
{
    const struct model *m = v->m;
    const size_t nt = mv_ties_read(m, n);
    size_t cols;
    int race;
    if (!mv_layout(n, nt, &cols, &race))
        return 0;
    const size_t rows = race ? 2 : n / cols;
    const int need_h = (int)(2 * rows - 1),
              need_w = (int)(cols * MV_CELL + (cols - 1) * MV_GAP);
    if (need_h > h || need_w > w)
        return 0;
    const int u8 = term_utf8();
    for (size_t k = 0; k < n; k++) {
        size_t cx, cy;
        mv_pos(k, n, cols, race, &cx, &cy);
        const long d = meshview_device(m, k);
        const int yy = y + 2 * (int)cy, xx = x + (int)cx * (MV_CELL + MV_GAP);
        double vb, mt, vmin;
        const int alive = mv_sig(m, (size_t)d, "v", &vb);
        const int ti = mv_sig(m, (size_t)d, "mtype", &mt) ? (int)lround(mt) : 0;
        const char *type = ti >= 0 && ti <= 3 ? mv_types[ti] : "?";
        const int nw = term_textf(yy, xx, 4, k == sel ? TR_SELECT : TR_TITLE,
                                  "n%zu", k + 1);
        term_textf(yy, xx + nw, 6, TR_VALUE, " %s", type);
        char vs[16];
        snprintf(vs, sizeof vs, vb < 1 ? "%.3f" : "%.2f", vb);
        if (!alive)
            term_text(yy, xx + 9, MV_CELL - 9, TR_ERROR, "FAIL");
        else
            term_text(
                yy, xx + 9, MV_CELL - 9,
                mv_margin_role(ti > 0 && mv_sig(m, (size_t)d, "vmin", &vmin)
                                   ? vb - vmin
                                   : NAN),
                vb < 1 && vb >= 0 ? vs + 1 : vs); /* ".804" */
    }
    for (size_t t = 0; t < nt; t++) {
        size_t ax, ay, bx, by;
        mv_pos(mv_tie[t].a, n, cols, race, &ax, &ay);
        mv_pos(mv_tie[t].b, n, cols, race, &bx, &by);
        /* positive: from a to b; on screen: rightwards or downwards */
        const int flip = ax > bx || ay > by;
        const double i = flip ? -mv_tie[t].i : mv_tie[t].i;
        const size_t lx = ax < bx ? ax : bx, ty = ay < by ? ay : by;
        char buf[32];
        if (ay == by) {
            const int yy = y + 2 * (int)ty,
                      xx = x + (int)lx * (MV_CELL + MV_GAP) + MV_CELL;
            if (mv_tie[t].closed && mv_tie[t].has_i)
                snprintf(buf, sizeof buf,
                         fabs(i) < 9.95 ? " %c%.1fA%c" : " %c%.0fA%c",
                         i >= 0 ? '>' : '<', fabs(i), i >= 0 ? '>' : '<');
            else
                snprintf(buf, sizeof buf, "%s",
                         mv_tie[t].closed ? " ====== "
                         : u8 ? "  \xc2\xb7\xc2\xb7\xc2\xb7\xc2\xb7  "
                              : "  ....  ");
            term_text(yy, xx, MV_GAP, mv_tie[t].closed ? TR_WARN : TR_DIM, buf);
        } else {
            const int yy = y + 2 * (int)ty + 1,
                      xx = x + (int)lx * (MV_CELL + MV_GAP) + 1;
            if (mv_tie[t].closed && mv_tie[t].has_i)
                snprintf(buf, sizeof buf, "%s %.1fA", i >= 0 ? "v" : "^",
                         fabs(i));
            else
                snprintf(buf, sizeof buf, "%s",
                         mv_tie[t].closed ? "|"
                         : u8             ? "\xc2\xb7"
                                          : ".");
            term_text(yy, xx, MV_CELL, mv_tie[t].closed ? TR_WARN : TR_DIM,
                      buf);
        }
    }
    return need_h;
}

static int meshview_want(const struct tui_view *v)
{
    const size_t n = meshview_count(v->m);
    size_t cols;
    int race;
    if (n == 0)
        return 0;
    /* the table, and the map's rows with a blank under it */
    const int map = mv_layout(n, mv_ties_read(v->m, n), &cols, &race)
                        ? (int)(race ? 3 : 2 * (n / cols) - 1) + 1
                        : 0;
    return (int)n + 4 + map;
}

static void meshview_draw(const struct tui_view *v, int y, int x, int h, int w)
{
    const struct model *m = v->m;
    const size_t n = meshview_count(m);
    if (n == 0) {
        term_text(y + (h - 1) / 2, x + 1, w - 1, TR_DIM, "no mesh in this lab");
        return;
    }
    size_t ties = 0, closed = 0, failed = 0;
    for (size_t d = 0; d < m->n_devices; d++) {
        double c, vv;
        if (mv_is(m, d, "tie")) {
            ties++;
            closed += mv_sig(m, d, "closed", &c) && c >= 0.5;
        } else if (mv_is(m, d, "converter")) {
            failed += !mv_sig(m, d, "v", &vv);
        }
    }
    term_textf(y, x, w, TR_TITLE,
               "%zu nodes  %zu ties (%zu closed)  %zu failed   "
               "f: fail/restore  m: detach/attach",
               n, ties, closed, failed);
    if (h < 3)
        return;
    const size_t sel = v->mesh_sel < n ? v->mesh_sel : n - 1;
    /* the map when the ties fit a layout and it fits with two table rows
     * to spare, then the table */
    const int mh = h >= 6 ? mv_map(v, n, sel, y + 1, x, h - 4, w) : 0;
    y += mh ? mh + 1 : 0;
    h -= mh ? mh + 1 : 0;
    if (h < 3)
        return;
    term_text(y + 1, x, w, TR_LABEL,
              "node   module  bus V   over min  I mod   P in     ties: "
              ". open  = closed (A out)   failed: over min, bus as tied");
    size_t shown;
    const size_t rows = (size_t)(h - 2);
    size_t first = sel >= rows ? sel - rows + 1 : 0;
    shown = n - first < rows ? n - first : rows;
    for (size_t k = 0; k < shown; k++) {
        const size_t d = (size_t)meshview_device(m, first + k);
        const int yy = y + 2 + (int)k;
        double vb, vmin, imod, pin, mt;
        const int alive = mv_sig(m, d, "v", &vb);
        const int has_mt = mv_sig(m, d, "mtype", &mt);
        const int ti = has_mt ? (int)lround(mt) : 0;
        const char *type = ti >= 0 && ti <= 3 ? mv_types[ti] : "?";
        term_text(yy, x, 7, first + k == sel ? TR_SELECT : TR_TITLE,
                  m->devices[d].name);
        term_text(yy, x + 7, 6, TR_VALUE, type);
        double sensed = NAN;
        const int tx = x + 56;
        if (w > 56)
            mv_ties(m, (int)(first + k) + 1, yy, tx, w - 56, &sensed);
        const int has_min = ti > 0 && mv_sig(m, d, "vmin", &vmin);
        if (!alive) {
            /* its ties sense what hold-up and its neighbours keep */
            if (sensed == sensed && has_min)
                term_textf(yy, x + 15, 41, TR_ERROR, "FAILED %+5.0f mV %.3f V",
                           (sensed - vmin) * 1e3, sensed);
            else
                term_text(yy, x + 15, 41, TR_ERROR, "FAILED");
            continue;
        }
        const double over = has_min ? vb - vmin : NAN;
        term_textf(yy, x + 15, 8, TR_VALUE, "%.3f", vb);
        if (over == over)
            term_textf(yy, x + 23, 10, mv_margin_role(over), "%+5.0f mV",
                       over * 1e3);
        if (mv_sig(m, d, "i_mod", &imod))
            term_textf(yy, x + 33, 8, TR_VALUE, "%5.1f A", imod);
        if (mv_sig(m, d, "power", &pin))
            term_textf(yy, x + 41, 9, TR_VALUE, "%6.1f W", pin);
    }
}

const struct pane meshview_pane = {
    .name = "Mesh",
    .caption = "Up/Down: node  Enter: detail",
    .key = '7',
    .hint = PANE_FULL,
    .min_h = 4,
    .want_h = meshview_want,
    .draw = meshview_draw,
};
