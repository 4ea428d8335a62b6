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

static int meshview_want(const struct tui_view *v)
{
    const size_t n = meshview_count(v->m);
    return n ? (int)n + 4 : 0;
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
    term_text(y + 1, x, w, TR_LABEL,
              "node   module  bus V   over min  I mod   P in     ties: "
              ". open  = closed (A out)   failed: over min, bus as tied");
    size_t shown;
    const size_t sel = v->mesh_sel < n ? v->mesh_sel : n - 1;
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
            term_textf(yy, x + 23, 10,
                       over < 0       ? TR_ERROR
                       : over < 0.020 ? TR_WARN
                                      : TR_OK,
                       "%+5.0f mV", over * 1e3);
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
