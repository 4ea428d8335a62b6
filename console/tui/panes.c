/*
 * panes - see panes.h.
 *
 * Each draw function gets the inside of its box and must stay within it
 * (term_text clips), but for a list's "+N more" note, which goes in the
 * box's bottom border.  Strings that tests look for on screen are kept
 * literal here (empty states, column titles, status words).
 */
#include "tui/panes.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/model.h"
#include "engines/engines.h"
#include "run/run.h"
#include "tui/meshview.h"
#include "tui/gpuview.h"
#include "tui/partview.h"
#include "tui/qview.h"
#include "tui/term.h"

/* ---- the view: history and derived figures ---- */

int pane_view_init(struct tui_view *v, struct run *r, uint32_t hcap)
{
    const struct model *m = run_model(r);
    size_t n = m->n_devices ? m->n_devices : 1;
    memset(v, 0, sizeof *v);
    v->run = r;
    v->m = m;
    v->hcap = hcap;
    v->h_total = calloc(hcap, sizeof *v->h_total);
    v->h_util = calloc((size_t)hcap * n, sizeof *v->h_util);
    v->h_fc = calloc((size_t)hcap * n, sizeof *v->h_fc);
    v->scratch = calloc(hcap, sizeof *v->scratch);
    v->scratch2 = calloc(hcap, sizeof *v->scratch2);
    v->fc_ring = calloc((size_t)PANE_FC_RING * n, sizeof *v->fc_ring);
    v->fc_tgt = calloc(PANE_FC_RING, sizeof *v->fc_tgt);
    v->acc_u = calloc(n, sizeof *v->acc_u);
    v->acc_f = calloc(n, sizeof *v->acc_f);
    v->cnt_u = calloc(n, sizeof *v->cnt_u);
    v->cnt_f = calloc(n, sizeof *v->cnt_f);
    v->pwr = calloc(n, sizeof *v->pwr);
    v->cap = calloc(n, sizeof *v->cap);
    v->pred = calloc(n, sizeof *v->pred);
    v->fc_util = calloc(n, sizeof *v->fc_util);
    if (!v->h_total || !v->h_util || !v->h_fc || !v->scratch || !v->scratch2 ||
        !v->fc_ring || !v->fc_tgt || !v->acc_u || !v->acc_f || !v->cnt_u ||
        !v->cnt_f || !v->pwr || !v->cap || !v->pred || !v->fc_util) {
        pane_view_free(v);
        return -1;
    }
    /* No slot holds a forecast yet (tick 0 is a real tick). */
    for (size_t k = 0; k < PANE_FC_RING; k++)
        v->fc_tgt[k] = UINT64_MAX;
    v->every = 1;
    v->log_follow = 1;
    return 0;
}

void pane_view_free(struct tui_view *v)
{
    free(v->h_total);
    free(v->h_util);
    free(v->h_fc);
    free(v->scratch);
    free(v->scratch2);
    free(v->fc_ring);
    free(v->fc_tgt);
    free(v->acc_u);
    free(v->acc_f);
    free(v->cnt_u);
    free(v->cnt_f);
    free(v->pwr);
    free(v->cap);
    free(v->pred);
    free(v->fc_util);
    memset(v, 0, sizeof *v);
}

/* Forecast utilisation: the forecast demand over the current service
 * capacity (both op/s). */
static int pane_fc_util_of(const struct model *m, size_t d, double *out)
{
    double thr;
    if (!m->devices[d].is_pu || !m->fc_valid || !m->fc_valid[d])
        return 0;
    if (!model_sig(m, (uint32_t)d, SIG_THROUGHPUT, &thr) || !(thr > 0))
        return 0;
    *out = m->fc_demand[d] / thr;
    return isfinite(*out);
}

uint32_t pane_fc_horizon(const struct model *m)
{
    uint32_t h = m->fc_horizon;
    return h < 1 ? 1 : h >= PANE_FC_RING ? PANE_FC_RING - 1 : h;
}

int pane_view_fc(const struct tui_view *v, size_t d, uint64_t tick, double *out)
{
    size_t k = tick % PANE_FC_RING;
    if (d >= v->m->n_devices || v->fc_tgt[k] != tick)
        return 0;
    float f = v->fc_ring[k * v->m->n_devices + d];
    if (f != f)
        return 0;
    *out = f;
    return 1;
}

void pane_view_tick(struct tui_view *v, uint32_t every)
{
    const struct model *m = v->m;
    double total = 0, x;
    int any = 0;
    size_t n = m->n_devices;
    /* This tick's forecasts are for tick + h: into the ring, by target
     * (h < PANE_FC_RING, so never the slot of this tick read below). */
    uint64_t tgt = m->tick + pane_fc_horizon(m);
    size_t ks = tgt % PANE_FC_RING;
    v->fc_tgt[ks] = tgt;
    for (size_t d = 0; d < n; d++)
        v->fc_ring[ks * n + d] = pane_fc_util_of(m, d, &x) ? (float)x : NAN;
    v->every = every ? every : 1;
    for (size_t d = 0; d < n; d++) {
        if (model_sig(m, (uint32_t)d, SIG_UTIL, &x)) {
            v->acc_u[d] += x;
            v->cnt_u[d]++;
        }
        /* The forecast made h ticks ago for this tick: the slot's forecast
         * is what was expected of it, to be drawn against what it got. */
        if (pane_view_fc(v, d, m->tick, &x)) {
            v->acc_f[d] += x;
            v->cnt_f[d]++;
        }
        if (model_sig(m, (uint32_t)d, SIG_POWER, &x)) {
            total += x;
            any = 1;
        }
    }
    if (any) {
        v->acc_total += total;
        v->cnt_total++;
    }
    if (++v->acc_ticks < every)
        return;
    uint32_t s = v->hhead;
    v->h_total[s] = v->cnt_total ? (float)(v->acc_total / v->cnt_total) : NAN;
    for (size_t d = 0; d < n; d++) {
        v->h_util[(size_t)s * n + d] =
            v->cnt_u[d] ? (float)(v->acc_u[d] / v->cnt_u[d]) : NAN;
        v->h_fc[(size_t)s * n + d] =
            v->cnt_f[d] ? (float)(v->acc_f[d] / v->cnt_f[d]) : NAN;
        v->acc_u[d] = v->acc_f[d] = 0;
        v->cnt_u[d] = v->cnt_f[d] = 0;
    }
    v->acc_total = 0;
    v->cnt_total = v->acc_ticks = 0;
    v->hhead = (s + 1) % v->hcap;
    if (v->hlen < v->hcap)
        v->hlen++;
}

/* Series `src` (stride `stride`, offset `off`) into `dst` (one of the
 * view's scratch arrays), oldest first. */
static size_t series_to(const struct tui_view *v, float *dst, const float *src,
                        size_t stride, size_t off)
{
    for (uint32_t i = 0; i < v->hlen; i++) {
        uint32_t s = (v->hhead + v->hcap - v->hlen + i) % v->hcap;
        dst[i] = src[(size_t)s * stride + off];
    }
    return v->hlen;
}

static size_t series(const struct tui_view *v, const float *src, size_t stride,
                     size_t off)
{
    return series_to(v, v->scratch, src, stride, off);
}

void pane_view_update(struct tui_view *v)
{
    const struct model *m = v->m;
    v->used_w = v->pred_w = v->cap_w = 0;
    for (size_t d = 0; d < m->n_devices; d++) {
        double p = NAN, c = NAN, u, f;
        int32_t ci = m->devices[d].ctl[CTL_POWER_CAP];
        model_sig(m, (uint32_t)d, SIG_POWER, &p);
        if (ci >= 0) {
            if (m->applied_known[ci])
                c = m->applied[ci];
            else if (m->targeted[ci])
                c = m->target[ci];
        }
        v->pwr[d] = p;
        v->cap[d] = c;
        v->fc_util[d] = pane_fc_util_of(m, d, &f) ? f : NAN;
        /* Predicted power: today's power scaled by forecast over actual
         * utilisation, never above the applied cap. */
        double pr = p;
        if (p == p && model_sig(m, (uint32_t)d, SIG_UTIL, &u) && u > 0.02 &&
            v->fc_util[d] == v->fc_util[d]) {
            pr = p * v->fc_util[d] / u;
            if (c == c && pr > c)
                pr = c;
            if (pr < 0)
                pr = 0;
        }
        v->pred[d] = pr;
        if (p == p)
            v->used_w += p;
        if (pr == pr)
            v->pred_w += pr;
        if (c == c)
            v->cap_w += c;
    }
}

/* ---- formatting helpers ---- */

static void fmt_num(char *b, size_t n, int w, int ok, const char *fmt, double x)
{
    if (ok && x == x)
        snprintf(b, n, fmt, x);
    else
        snprintf(b, n, "%*s", w, ok ? "?" : "-");
}

/* A list of n rows in `rows` screen rows that keeps `sel` in view: the
 * first row shown and how many; *marker is set when not all fit (then
 * list_more says so). */
static size_t list_window(size_t n, size_t sel, int rows, size_t *count,
                          int *marker)
{
    size_t r = rows > 0 ? (size_t)rows : 0;
    *marker = n > r;
    size_t first = sel >= r && r > 0 ? sel - r + 1 : 0;
    if (first + r > n)
        first = n > r ? n - r : 0;
    *count = n - first < r ? n - first : r;
    return first;
}

/* "+N more" in the pane's bottom border (row `y`, the row after the
 * inside: no list row is given up for it): the rows below the window,
 * those above it, and that the selection scrolls the list. */
static void list_more(int y, int x, int w, size_t above, size_t below)
{
    char b[96];
    if (above && below)
        snprintf(b, sizeof b, " +%zu more, %zu above (Up/Down) ", below, above);
    else if (below)
        snprintf(b, sizeof b, " +%zu more (Up/Down) ", below);
    else
        snprintf(b, sizeof b, " +%zu above (Up/Down) ", above);
    term_text(y, x + 1, w - 2, TR_WARN, b);
}

/* Power over the applied cap, as the table shows both (to 0.1 W): a
 * draw the cap does not hold (yet), or a cap the device cannot meet. */
static int over_cap(const struct tui_view *v, size_t d)
{
    double p = v->pwr[d], c = v->cap[d];
    return v->m->devices[d].is_pu && p == p && c == c &&
           llround(p * 10) > llround(c * 10);
}

/* Whether standard control `which` of device d is held by a manual `set`
 * (run_override). */
static int overridden(const struct tui_view *v, size_t d, enum model_ctl which)
{
    double x;
    int32_t c = v->m->devices[d].ctl[which];
    return c >= 0 && run_override_get(v->run, (size_t)c, &x);
}

/* The device's controls held by `set`, as "set freq,cap"; 0 if none. */
static int pane_override_note(const struct tui_view *v, size_t d, char *buf,
                              size_t len)
{
    const struct model *m = v->m;
    size_t o = 0;
    int any = 0;
    double x;
    for (uint32_t i = m->dctl_off[d]; i < m->dctl_off[d + 1]; i++) {
        uint32_t c = m->dctl[i];
        if (!run_override_get(v->run, c, &x))
            continue;
        const char *nm = m->controls[c].name;
        if (strcmp(nm, "power_cap") == 0)
            nm = "cap";
        int k = snprintf(buf + o, len - o, "%s%s", any ? "," : "set ", nm);
        if (k < 0 || (size_t)k >= len - o)
            break;
        o += (size_t)k;
        any = 1;
    }
    return any;
}

/* The device's status: a fault in force first ("! perm freq": permission
 * denied writing freq; "! gone", "! rej", "! read"), then every signal
 * invalid = the driver's read failed.  A device that recovered shows its
 * state now; the summary keeps its mark. */
static const char *dev_status(const struct model *m, size_t d,
                              enum term_role *role, char *buf, size_t len)
{
    const struct model_fault_rec *f = m->faults ? &m->faults[d] : NULL;
    if (f && f->current != FAULT_NONE) {
        *role = f->current == FAULT_READ ? TR_WARN : TR_ERROR;
        if (f->cur_ctl && f->cur_what >= 0 &&
            (size_t)f->cur_what < m->n_controls)
            snprintf(buf, len, "! %s %s",
                     model_fault_short((enum model_fault)f->current),
                     m->controls[f->cur_what].name);
        else
            snprintf(buf, len, "! %s",
                     model_fault_short((enum model_fault)f->current));
        return buf;
    }
    uint32_t a = m->dsig_off[d], b = m->dsig_off[d + 1], bad = 0, lost = 0;
    for (uint32_t i = a; i < b; i++) {
        uint32_t s = m->dsig[i];
        bad += !m->valid[s];
        /* invalid now after some valid reading: a signal that has never
         * read valid is one the device does not give here (an NVML call
         * it does not support, a sim GPU's look-ahead with tenants) */
        lost += !m->valid[s] && m->prev_valid[s];
    }
    if (b > a && bad == b - a) {
        *role = TR_ERROR;
        return "driver error";
    }
    if (lost) {
        *role = TR_WARN;
        return "invalid reading";
    }
    *role = TR_OK;
    return "ok";
}

/* ---- Devices ---- */

enum dcol {
    DC_NAME,
    DC_KIND,
    DC_UTIL,
    DC_FREQ,
    DC_POWER,
    DC_CAP,
    DC_TEMP,
    DC_FCST,
    DC_STATUS,
    DC__N
};
static const struct {
    const char *title;
    int w;
    int drop; /* 0: always; else dropped first when larger */
} dcols[DC__N] = {
    [DC_NAME] = {"device", 8, 0},    [DC_KIND] = {"kind", 5, 2},
    [DC_UTIL] = {"util", 5, 0},      [DC_FREQ] = {"freq", 6, 3},
    [DC_POWER] = {"power", 7, 0},    [DC_CAP] = {"cap", 7, 0},
    [DC_TEMP] = {"temp", 5, 0},      [DC_FCST] = {"fcst", 5, 1},
    [DC_STATUS] = {"status", 12, 0},
};

static int devices_want(const struct tui_view *v)
{
    return (int)v->m->n_devices + 3;
}

static void devices_draw(const struct tui_view *v, int y, int x, int h, int w)
{
    const struct model *m = v->m;
    int show[DC__N], total = 0, xs[DC__N];
    for (int c = 0; c < DC__N; c++) {
        show[c] = 1;
        total += dcols[c].w + 1;
    }
    for (int drop = 3; drop >= 1 && total - 1 > w; drop--)
        for (int c = 0; c < DC__N; c++)
            if (dcols[c].drop == drop && show[c]) {
                show[c] = 0;
                total -= dcols[c].w + 1;
            }
    int cx = x;
    for (int c = 0; c < DC__N; c++) {
        xs[c] = cx;
        if (show[c])
            cx += dcols[c].w + 1;
    }
    int statw = x + w - xs[DC_STATUS];
    /* Numbers are right-aligned under right-aligned titles. */
    for (int c = 0; c < DC__N; c++)
        if (show[c])
            term_textf(
                y, xs[c], c == DC_STATUS ? statw : dcols[c].w, TR_LABEL, "%*s",
                c == DC_NAME || c == DC_KIND || c == DC_STATUS ? -dcols[c].w
                                                               : dcols[c].w,
                dcols[c].title);
    if (m->n_devices == 0) {
        term_text(y + 1, x, w, TR_DIM, "no devices");
        return;
    }
    size_t shown;
    int marker;
    size_t first = list_window(m->n_devices, v->sel, h - 1, &shown, &marker);
    for (size_t i = 0; i < shown; i++) {
        size_t d = first + i;
        int yy = y + 1 + (int)i, sel = d == v->sel;
        char b[DC__N][48];
        double val;
        enum term_role st_role;
        char stbuf[48];
        const char *st = dev_status(m, d, &st_role, stbuf, sizeof stbuf);
        if (st_role == TR_OK && pane_override_note(v, d, stbuf, sizeof stbuf)) {
            st = stbuf;
            st_role = TR_WARN;
        }
        snprintf(b[DC_NAME], sizeof b[0], "%s", m->devices[d].name);
        snprintf(b[DC_KIND], sizeof b[0], "%s", m->devices[d].kind);
        int ok = model_sig(m, (uint32_t)d, SIG_UTIL, &val);
        fmt_num(b[DC_UTIL], sizeof b[0], 5, m->devices[d].sig[SIG_UTIL] >= 0,
                "%4.0f%%", ok ? val * 100 : NAN);
        ok = model_sig(m, (uint32_t)d, SIG_FREQ, &val);
        fmt_num(b[DC_FREQ], sizeof b[0], 6, m->devices[d].sig[SIG_FREQ] >= 0,
                "%5.2fG", ok ? val / 1e9 : NAN);
        fmt_num(b[DC_POWER], sizeof b[0], 7, m->devices[d].sig[SIG_POWER] >= 0,
                "%6.1fW", v->pwr[d]);
        fmt_num(b[DC_CAP], sizeof b[0], 7,
                m->devices[d].ctl[CTL_POWER_CAP] >= 0, "%6.1fW", v->cap[d]);
        ok = model_sig(m, (uint32_t)d, SIG_TEMP, &val);
        fmt_num(b[DC_TEMP], sizeof b[0], 5, m->devices[d].sig[SIG_TEMP] >= 0,
                "%4.0fC", ok ? val : NAN);
        fmt_num(b[DC_FCST], sizeof b[0], 5, m->devices[d].is_pu, "%4.0f%%",
                v->fc_util[d] * 100);
        snprintf(b[DC_STATUS], sizeof b[0], "%s", st);
        if (sel)
            term_fill(yy, x, w, TR_SELECT);
        int over = over_cap(v, d);
        for (int c = 0; c < DC__N; c++) {
            if (!show[c])
                continue;
            enum term_role role = c == DC_NAME            ? TR_TITLE
                                  : c == DC_STATUS        ? st_role
                                  : c == DC_POWER && over ? TR_ERROR
                                                          : TR_VALUE;
            /* Over the cap stays red on the selected row too: it is
             * what the row is about. */
            term_text(yy, xs[c], c == DC_STATUS ? statw : dcols[c].w,
                      sel && role != TR_ERROR ? TR_SELECT : role, b[c]);
            /* A control held by `set`: '*' in the gap after its value. */
            if ((c == DC_FREQ && overridden(v, d, CTL_FREQ)) ||
                (c == DC_CAP && overridden(v, d, CTL_POWER_CAP)))
                term_text(yy, xs[c] + dcols[c].w, 1, TR_WARN, "*");
        }
    }
    if (marker)
        list_more(y + h, x, w, first, m->n_devices - first - shown);
}

/* ---- Power ---- */

static int power_want(const struct tui_view *v)
{
    return (int)v->m->n_devices + 4;
}

static void power_draw(const struct tui_view *v, int y, int x, int h, int w)
{
    const struct model *m = v->m;
    double budget = m->budget_w;
    double scale = budget > 0 ? budget : v->cap_w > 0 ? v->cap_w : 1;
    char num[48];
    int bw;
    /* budget [bar] used/budget W */
    if (budget > 0)
        snprintf(num, sizeof num, " %.0f/%.0fW", v->used_w, budget);
    else
        snprintf(num, sizeof num, " %.0fW no budget", v->used_w);
    bw = w - 7 - (int)strlen(num);
    term_text(y, x, 7, TR_LABEL, "budget");
    if (bw > 0) {
        double over = v->pred_w > v->used_w ? v->pred_w - v->used_w : 0;
        term_bar(y, x + 7, bw, v->used_w, over, scale);
    }
    term_text(y, x + 7 + (bw > 0 ? bw : 0), w - 7 - (bw > 0 ? bw : 0),
              budget > 0 && v->used_w > budget ? TR_ERROR : TR_VALUE, num);
    if (h < 2)
        return;
    /* total [sparkline] */
    double hi = budget;
    size_t n = series(v, v->h_total, 1, 0);
    for (size_t i = 0; i < n; i++)
        if (v->scratch[i] > hi)
            hi = v->scratch[i];
    snprintf(num, sizeof num, " %.0fW", v->used_w);
    bw = w - 7 - (int)strlen(num);
    term_text(y + 1, x, 7, TR_LABEL, "total");
    if (bw > 0)
        term_spark(y + 1, x + 7, bw, v->scratch, n, 0, hi > 0 ? hi : 1,
                   TR_BAR_USED);
    term_text(y + 1, x + 7 + (bw > 0 ? bw : 0), w - 7, TR_VALUE, num);
    /* per device: power against cap */
    size_t shown;
    int marker;
    size_t first = list_window(m->n_devices, v->sel, h - 2, &shown, &marker);
    for (size_t i = 0; i < shown; i++) {
        size_t d = first + i;
        int yy = y + 2 + (int)i;
        double p = v->pwr[d], c = v->cap[d];
        if (c == c)
            snprintf(num, sizeof num, " %5.1f/%.*fW", p == p ? p : 0,
                     c < 20 ? 1 : 0, c);
        else
            snprintf(num, sizeof num, " %5.1fW", p == p ? p : 0);
        bw = w - 7 - 13;
        term_text(yy, x, 6, d == v->sel ? TR_SELECT : TR_TITLE,
                  m->devices[d].name);
        if (bw > 0) {
            double sc = c == c && c > 0 ? c : p > 0 ? p : 1;
            double pe = v->pred[d] > p ? v->pred[d] - p : 0;
            term_bar(yy, x + 7, bw, p == p ? p : 0, pe, sc);
        }
        term_text(yy, x + 7 + (bw > 0 ? bw : 0), 13,
                  over_cap(v, d) ? TR_ERROR : TR_VALUE, num);
    }
    if (marker)
        list_more(y + h, x, w, first, m->n_devices - first - shown);
}

/* ---- Load ---- */

static int load_want(const struct tui_view *v)
{
    return (int)v->m->n_devices + 3;
}

/* Load: per device, its utilisation history and, on the same time axis
 * (one cell per history slot), the forecast utilisation that had been
 * made for each slot - drawn against what then happened, cells that
 * missed by more than LOAD_MISS in red - then a `|` for now and the
 * forecast for the next h ticks (ceil(h / slot) cells).  Forecast
 * utilisation is forecast demand over the current capacity (can pass
 * 100 %: more work coming than the device serves at its setting). */
#define LOAD_MISS 0.1
#define LOAD_AHEAD_MAX 8

static void load_draw(const struct tui_view *v, int y, int x, int h, int w)
{
    const struct model *m = v->m;
    int sw = (w - 7 - 10) / 2;
    if (sw < 3)
        sw = 3;
    uint32_t hz = pane_fc_horizon(m);
    int na = (int)((hz + v->every - 1) / v->every);
    if (na > LOAD_AHEAD_MAX)
        na = LOAD_AHEAD_MAX;
    int pw = sw - 1 - na; /* past forecasts */
    if (pw < 0)
        pw = 0;
    term_text(y, x, 7, TR_LABEL, "device");
    term_text(y, x + 7, sw, TR_LABEL, "util");
    term_text(y, x + 8 + sw, sw, TR_LABEL, "fcst|ahead");
    term_text(y, x + 9 + 2 * sw, w - 9 - 2 * sw, TR_LABEL, "now/fcst");
    size_t shown;
    int marker;
    size_t first = list_window(m->n_devices, v->sel, h - 1, &shown, &marker);
    for (size_t i = 0; i < shown; i++) {
        size_t d = first + i;
        int yy = y + 1 + (int)i;
        double u = NAN;
        char num[32], a[12], b[12];
        model_sig(m, (uint32_t)d, SIG_UTIL, &u);
        term_text(yy, x, 6, d == v->sel ? TR_SELECT : TR_TITLE,
                  m->devices[d].name);
        size_t n = series(v, v->h_util, m->n_devices, d);
        term_spark(yy, x + 7, sw, v->scratch, n, 0, 1, TR_BAR_USED);
        series_to(v, v->scratch2, v->h_fc, m->n_devices, d);
        term_spark_vs(yy, x + 8 + sw, pw, v->scratch2, v->scratch, n, 0, 1,
                      LOAD_MISS, TR_BAR_USED, TR_ERROR);
        term_text(yy, x + 8 + sw + pw, 1, TR_DIM, term_utf8() ? "│" : "|");
        /* ahead: cell c is the mean forecast for ticks now+1+c*every ..
         * now+(c+1)*every, up to now+h */
        float ahead[LOAD_AHEAD_MAX];
        for (int c = 0; c < na; c++) {
            double sum = 0, f;
            unsigned cnt = 0;
            for (uint32_t k = 1 + (uint32_t)c * v->every;
                 k <= (uint32_t)(c + 1) * v->every && k <= hz; k++)
                if (pane_view_fc(v, d, m->tick + k, &f)) {
                    sum += f;
                    cnt++;
                }
            ahead[c] = cnt ? (float)(sum / cnt) : NAN;
        }
        term_spark(yy, x + 9 + sw + pw, na, ahead, (size_t)na, 0, 1,
                   TR_BAR_PRED);
        fmt_num(a, sizeof a, 1, 1, "%.0f", u * 100);
        fmt_num(b, sizeof b, 1, m->devices[d].is_pu, "%.0f",
                v->fc_util[d] * 100);
        snprintf(num, sizeof num, "%s/%s%%", a, b);
        term_text(yy, x + 9 + 2 * sw, w - 9 - 2 * sw, TR_VALUE, num);
    }
    if (marker)
        list_more(y + h, x, w, first, m->n_devices - first - shown);
}

/* ---- the engines' panes ---- */

size_t pane_q_count(void)
{
    return qview_count();
}

unsigned pane_tables_gen(void)
{
    return partview_gen() + qview_gen() + gpuview_gen();
}

unsigned pane_shape_gen(void)
{
    return gpuview_shape();
}

void pane_pull_engines(const struct engines *e)
{
    struct engine_pane p;
    for (size_t i = 0; e && engines_pane(e, i, &p); i++) {
        if (p.kind == ENGINE_PANE_QTABLE)
            qview_store(&p.u.qtable);
        else if (p.kind == ENGINE_PANE_STAGES)
            partview_store(&p.u.stages);
        else if (p.kind == ENGINE_PANE_GPUS)
            gpuview_store(&p.u.gpus);
    }
}

/* ---- Log ---- */

/* 128 lines of up to a whole log message (log.c formats into 1024
 * bytes) plus the time and level: a traceback keeps its paths. */
#define LOG_LINES 128
#define LOG_WIDTH 1056

static char log_text[LOG_LINES][LOG_WIDTH];
static int log_level_of[LOG_LINES];
static unsigned log_count;
/* The first line shown while scrolled (kept between frames so the
 * window moves only when the selection leaves it). */
static unsigned log_top;
/* One line as the pane shows it: newlines and tabs made spaces. */
static char log_flat[LOG_WIDTH];

void pane_log_add(int level, double t, const char *msg)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    unsigned i = log_count % LOG_LINES;
    int lv = level < 0 ? 0 : level > 3 ? 3 : level;
    snprintf(log_text[i], LOG_WIDTH, "%8.2f %s: %s", t, names[lv], msg);
    /* Other control characters would move the terminal's cursor. */
    for (char *p = log_text[i]; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
            *p = ' ';
    log_level_of[i] = lv;
    log_count++;
}

unsigned pane_log_gen(void)
{
    return log_count;
}

unsigned pane_log_first(void)
{
    return log_count > LOG_LINES ? log_count - LOG_LINES : 0;
}

const char *pane_log_line(unsigned seq, int *level)
{
    if (seq >= log_count || seq < pane_log_first())
        return NULL;
    if (level)
        *level = log_level_of[seq % LOG_LINES];
    return log_text[seq % LOG_LINES];
}

static int pane_log_want(const struct tui_view *v)
{
    (void)v;
    return 4;
}

static enum term_role pane_log_role(int level)
{
    return level == LOG_ERROR  ? TR_ERROR
           : level == LOG_WARN ? TR_WARN
                               : TR_NORMAL;
}

/* Following, the newest lines fill the pane.  Scrolled (log_follow 0),
 * the window keeps the selected line in view, and the last row says how
 * many newer lines there are. */
static void pane_log_draw(const struct tui_view *v, int y, int x, int h, int w)
{
    unsigned lo = pane_log_first(), n = log_count - lo;
    if (n == 0) {
        term_text(y, x, w, TR_DIM, "no messages");
        return;
    }
    unsigned newest = log_count - 1;
    unsigned sel = v->log_follow ? newest : v->log_sel;
    sel = sel < lo ? lo : sel > newest ? newest : sel;
    unsigned rows = (unsigned)(h > 0 ? h : 0);
    if (!v->log_follow && rows >= 2)
        rows--; /* the "newer" row */
    if (rows == 0)
        return;
    if (v->log_follow || log_top < lo)
        log_top = newest + 1 >= lo + rows ? newest + 1 - rows : lo;
    if (sel < log_top)
        log_top = sel;
    if (sel >= log_top + rows)
        log_top = sel - rows + 1;
    /* Fill the pane when there are lines enough below. */
    if (log_top + rows > newest + 1)
        log_top = newest + 1 >= lo + rows ? newest + 1 - rows : lo;
    int mark = v->focus == PANE_LOG || !v->log_follow;
    for (unsigned i = 0; i < rows && log_top + i <= newest; i++) {
        unsigned k = (log_top + i) % LOG_LINES;
        size_t j = 0;
        for (const char *p = log_text[k]; *p && j + 1 < sizeof log_flat; p++)
            log_flat[j++] = *p == '\n' || *p == '\t' ? ' ' : *p;
        log_flat[j] = '\0';
        int is_sel = mark && log_top + i == sel;
        if (is_sel)
            term_fill(y + (int)i, x, w, TR_SELECT);
        term_text(y + (int)i, x, w,
                  is_sel ? TR_SELECT : pane_log_role(log_level_of[k]),
                  log_flat);
    }
    if (!v->log_follow && (unsigned)h >= 2) {
        unsigned below = newest - (log_top + rows - 1);
        char b[80];
        snprintf(b, sizeof b,
                 "+%u newer (End follows, Enter reads the line whole)", below);
        term_text(y + h - 1, x, w, TR_DIM, b);
    }
}

/* ---- detail views ---- */

/* Length in bytes of the next UTF-8 code point of s (1 for a broken
 * one): one column, as term_text counts. */
static size_t cp_len(const char *s)
{
    size_t n = 1;
    while (s[n] && ((unsigned char)s[n] & 0xC0) == 0x80)
        n++;
    return n;
}

int pane_wrap(int y, int x, int h, int w, int skip, const char *text)
{
    char row[LOG_WIDTH];
    int r = 0;
    const char *p = text;
    if (w <= 0)
        return 0;
    while (*p) {
        /* One screen row: up to w code points or a newline; tabs are
         * spaces; break at the last space when the row fills. */
        size_t n = 0, brk = 0;
        int cols = 0;
        const char *q = p, *q_brk = NULL;
        while (*q && *q != '\n' && cols < w && n + 4 < sizeof row) {
            size_t l = cp_len(q);
            if (*q == ' ' || *q == '\t') {
                brk = n;
                q_brk = q + 1;
            }
            if (*q == '\t')
                row[n] = ' ';
            else
                memcpy(row + n, q, l);
            n += l;
            q += l;
            cols++;
        }
        if (*q == ' ')
            q++; /* the row ends at a space: it goes */
        else if (*q && *q != '\n' && q_brk && brk > 0) {
            n = brk;
            q = q_brk;
        }
        row[n] = '\0';
        if (r >= skip && r - skip < h)
            term_text(y + r - skip, x, w, TR_NORMAL, row);
        r++;
        if (*q == '\n')
            q++;
        p = q;
    }
    return r;
}

/* A number with an SI prefix and its unit, "-" when absent, "?"
 * (invalid) when known to be wrong. */
static void fmt_si(char *b, size_t n, double x, const char *unit)
{
    static const struct {
        double f;
        const char *p;
    } pre[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    /* "1": a plain number (utilisation, counts) */
    const char *u = unit && strcmp(unit, "1") != 0 ? unit : "";
    if (x != x) {
        snprintf(b, n, "-");
        return;
    }
    double a = fabs(x);
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
        if (a >= pre[i].f) {
            snprintf(b, n, "%.4g %s%s", x / pre[i].f, pre[i].p, u);
            return;
        }
    snprintf(b, n, "%.4g%s%s", x, *u ? " " : "", u);
}

/* Rows of the detail view: those from `skip` on are drawn (h of them),
 * all are counted. */
struct drows {
    int y, x, h, w, skip, n;
};

static void drow(struct drows *c, enum term_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void drow(struct drows *c, enum term_role role, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    if (c->n >= c->skip && c->n - c->skip < c->h) {
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        term_text(c->y + c->n - c->skip, c->x, c->w, role, buf);
    }
    c->n++;
}

int pane_detail_draw(const struct tui_view *v, int y, int x, int h, int w,
                     int skip)
{
    const struct model *m = v->m;
    struct drows c = {y, x, h, w, skip, 0};
    if (v->sel >= m->n_devices) {
        drow(&c, TR_DIM, "no devices");
        return c.n;
    }
    size_t d = v->sel;
    const struct model_device *dv = &m->devices[d];
    enum term_role st_role;
    char st[48], a[32], b[32], e[32], f[32], g[32];
    const char *stat = dev_status(m, d, &st_role, st, sizeof st);
    drow(&c, TR_TITLE, "%s  kind %s%s  driver %s  status %s", dv->name,
         dv->kind, dv->is_pu ? " (processing unit)" : "",
         m->plugins[dv->plugin].name, stat);
    if (m->faults && m->faults[d].first != FAULT_NONE &&
        model_fault_describe(m, (uint32_t)d, st, sizeof st) > 0)
        drow(&c, TR_WARN, "first fault: %s", st);
    drow(&c, TR_NORMAL, "%s", "");
    drow(&c, TR_LABEL, "%-22s %14s  %s", "signal", "value", "");
    for (uint32_t i = m->dsig_off[d]; i < m->dsig_off[d + 1]; i++) {
        uint32_t s = m->dsig[i];
        const struct model_signal *sg = &m->signals[s];
        fmt_si(a, sizeof a, m->val[s], sg->unit);
        if (m->valid[s])
            drow(&c, TR_VALUE, "  %-20s %14s", sg->name, a);
        else
            drow(&c, TR_WARN, "  %-20s %14s  invalid", sg->name, "?");
    }
    drow(&c, TR_NORMAL, "%s", "");
    drow(&c, TR_LABEL, "%-12s %10s %10s %10s %10s  %s", "control", "proposal",
         "decision", "target", "applied", "range");
    for (uint32_t i = m->dctl_off[d]; i < m->dctl_off[d + 1]; i++) {
        uint32_t k = m->dctl[i];
        const struct model_control *ct = &m->controls[k];
        double ov;
        fmt_si(a, sizeof a, m->proposed[k] ? m->proposal[k] : NAN, ct->unit);
        fmt_si(b, sizeof b, m->decided[k] ? m->decision[k] : NAN, ct->unit);
        fmt_si(e, sizeof e, m->targeted[k] ? m->target[k] : NAN, ct->unit);
        fmt_si(f, sizeof f, m->applied_known[k] ? m->applied[k] : NAN,
               ct->unit);
        char lo[24], hi[24];
        fmt_si(lo, sizeof lo, ct->min, NULL);
        fmt_si(hi, sizeof hi, ct->max, ct->unit);
        drow(&c, TR_VALUE, "  %-10s %10s %10s %10s %10s  %s..%s", ct->name, a,
             b, e, f, lo, hi);
        if (run_override_get(v->run, k, &ov)) {
            fmt_si(g, sizeof g, ov, ct->unit);
            drow(&c, TR_WARN, "  %-10s * set %s by hand (`set %s %s auto`)", "",
                 g, dv->name, ct->name);
        }
    }
    if (m->dctl_off[d] == m->dctl_off[d + 1])
        drow(&c, TR_DIM, "  no controls");
    drow(&c, TR_NORMAL, "%s", "");
    drow(&c, TR_LABEL, "forecast, %u tick%s ahead", pane_fc_horizon(m),
         pane_fc_horizon(m) == 1 ? "" : "s");
    double thr = NAN;
    if (!dv->is_pu) {
        drow(&c, TR_DIM, "  not a processing unit: no forecast");
    } else if (!m->fc_valid[d]) {
        drow(&c, TR_DIM, "  none yet");
    } else {
        model_sig(m, (uint32_t)d, SIG_THROUGHPUT, &thr);
        fmt_si(a, sizeof a, m->fc_demand[d], "op/s");
        fmt_si(b, sizeof b, thr, "op/s");
        drow(&c, TR_VALUE, "  demand %s  capacity now %s", a, b);
        if (v->fc_util[d] == v->fc_util[d])
            drow(&c, TR_VALUE, "  fcst %.0f%% (demand over capacity)",
                 v->fc_util[d] * 100);
    }
    drow(&c, TR_NORMAL, "%s", "");
    drow(&c, TR_LABEL, "power");
    fmt_si(a, sizeof a, v->pwr[d], "W");
    fmt_si(b, sizeof b, v->cap[d], "W");
    fmt_si(e, sizeof e, v->pred[d], "W");
    drow(&c, over_cap(v, d) ? TR_ERROR : TR_VALUE,
         "  now %s  cap %s  predicted %s%s", a, b, e,
         over_cap(v, d) ? "  over its cap" : "");
    return c.n;
}

/* ---- the table ---- */

static const struct pane pane_devices = {
    .name = "Devices",
    .caption = "fcst: forecast demand/capacity  *: set by hand  Enter: detail",
    .key = '1',
    .hint = PANE_FULL,
    .min_h = 4,
    .want_h = devices_want,
    .draw = devices_draw,
};
static const struct pane pane_power = {
    .name = "Power",
    .key = '2',
    .hint = PANE_HALF,
    .min_h = 4,
    .want_h = power_want,
    .draw = power_draw,
};
static const struct pane pane_load = {
    .name = "Load",
    .caption = "fcst: demand/capacity",
    .key = '3',
    .hint = PANE_HALF,
    .min_h = 4,
    .want_h = load_want,
    .draw = load_draw,
};
static const struct pane pane_log = {
    .name = "Log",
    .caption = "Up/Down: select  Enter: whole line",
    .key = '6',
    .hint = PANE_FLEX,
    .min_h = 5,
    .want_h = pane_log_want,
    .draw = pane_log_draw,
};

const struct pane *const pane_all[PANE__N] = {
    [PANE_DEVICES] = &pane_devices,    [PANE_POWER] = &pane_power,
    [PANE_LOAD] = &pane_load,          [PANE_QVALUES] = &qview_pane,
    [PANE_PARTITION] = &partview_pane, [PANE_LOG] = &pane_log,
    [PANE_MESH] = &meshview_pane,      [PANE_GPU] = &gpuview_pane,
};
