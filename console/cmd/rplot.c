/*
 * rplot - see rplot.h.
 *
 * Layout of a chart: an SVG of RPLOT_W + ML + MR by PH + MT + MB pixels,
 * the plot area at (ML, MT); the y axis's ticks are 1-2-5 steps labelled
 * with SI prefixes (core/sinum.h), the x axis's are seconds from the
 * run's start.  Colours are Tableau's twenty (matplotlib's "tab20"),
 * without its reds and greens: those mark policy reloads (green:
 * applied, red: rejected).
 */
#include "cmd/rplot.h"

#include <math.h>
#include <string.h>

#include "core/sinum.h"

#define ML 70 /* left margin: y labels */
#define MR 20
#define MT 12
#define MB 40 /* x labels and the axis title */
#define PH 200

#define MARK_OK "#00a000"
#define MARK_BAD "#e00000"

static const char *const palette[] = {
    "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#c5b0d5", "#c49c94",
    "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5"};
#define N_PALETTE (sizeof palette / sizeof palette[0])

const char rplot_css[] =
    "body{font:14px sans-serif;margin:16px;color:#222;max-width:960px}"
    "figure{margin:18px 0}figcaption{font-weight:bold;margin:4px 0}"
    ".legend span{display:inline-block;margin-right:14px}"
    ".legend i{display:inline-block;width:22px;height:0;margin-right:4px;"
    "vertical-align:middle;border-top:3px solid}"
    ".legend i.d{border-top-style:dashed}"
    "svg text{font:11px sans-serif;fill:#333}"
    ".banner{background:#fff3c4;border:1px solid #c9a400;padding:8px;"
    "margin:8px 0}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;"
    "padding:2px 8px;text-align:right}td:first-child,th:first-child{"
    "text-align:left}";

void rplot_ser_init(struct rplot_ser *s)
{
    memset(s, 0, sizeof *s);
}

void rplot_ser_add(struct rplot_ser *s, size_t col, double v)
{
    if (!isfinite(v) || col >= RPLOT_W)
        return;
    if (s->n[col] == 0 || v < s->mn[col])
        s->mn[col] = v;
    if (s->n[col] == 0 || v > s->mx[col])
        s->mx[col] = v;
    s->sum[col] += v;
    s->n[col]++;
}

size_t rplot_col(double t, double span)
{
    if (!(span > 0) || !(t > 0))
        return 0;
    double c = t / span * RPLOT_W;
    return c >= RPLOT_W - 1 ? RPLOT_W - 1 : (size_t)c;
}

const char *rplot_color(int i)
{
    return palette[(size_t)(i < 0 ? -i : i) % N_PALETTE];
}

void rplot_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            if (c >= 0x20 && c != 0x7f)
                fputc(c, f);
        }
    }
}

/* A 1-2-5 step giving about n ticks across range. */
static double nice_step(double range, int n)
{
    double raw = range / n, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* The y range of the chart's values (and its hline): 0 when it found
 * none. */
static int y_range(const struct rplot_chart *c, double *lo, double *hi)
{
    int any = 0;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < c->n_lines; i++)
        for (size_t k = 0; k < RPLOT_W; k++)
            if (c->lines[i].s->n[k]) {
                *lo = fmin(*lo, c->lines[i].s->mn[k]);
                *hi = fmax(*hi, c->lines[i].s->mx[k]);
                any = 1;
            }
    if (!any)
        return 0;
    for (int h = 0; h < 2; h++)
        if (isfinite(c->hline[h])) {
            *lo = fmin(*lo, c->hline[h]);
            *hi = fmax(*hi, c->hline[h]);
        }
    /* A quantity that is never negative reads best from 0. */
    if (*lo >= 0 && *lo < 0.5 * *hi)
        *lo = 0;
    if (*hi - *lo < 1e-12 * fmax(1, fabs(*hi))) {
        double pad = *hi != 0 ? fabs(*hi) * 0.1 : 1;
        *lo = *lo >= 0 && *lo - pad < 0 ? 0 : *lo - pad;
        *hi += pad;
    }
    /* a little room, then out to the ticks' steps, so that the extremes
     * sit inside the frame, not on it */
    double room = (*hi - *lo) * 0.03;
    *hi += room;
    if (*lo < 0 || *lo > 0)
        *lo -= room;
    double step = nice_step(*hi - *lo, 5);
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
    return 1;
}

static double y_px(double v, double lo, double hi)
{
    return MT + PH - (v - lo) / (hi - lo) * PH;
}

static void axes(FILE *f, const struct rplot_chart *c, double lo, double hi)
{
    double step = nice_step(hi - lo, 5);
    for (double v = ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
        double y = y_px(v, lo, hi);
        char lab[32];
        sinum_format(lab, sizeof lab, fabs(v) < step * 1e-9 ? 0 : v, 3);
        fprintf(f,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#e4e4e4\"/><text x=\"%d\" y=\"%.1f\" "
                "text-anchor=\"end\">%s</text>\n",
                ML, ML + RPLOT_W, y, y, ML - 6, y + 4, lab);
    }
    double xs = nice_step(c->span, 8);
    for (double t = 0; t <= c->span + xs * 1e-9; t += xs) {
        double x = ML + t / c->span * RPLOT_W;
        fprintf(f,
                "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" "
                "stroke=\"#e4e4e4\"/><text x=\"%.1f\" y=\"%d\" "
                "text-anchor=\"middle\">%g</text>\n",
                x, x, MT, MT + PH, x, MT + PH + 14, t);
    }
}

/* The frame, drawn last so that no series hides it. */
static void frame(FILE *f)
{
    /* the frame on whole pixels (a crisp edge, which the browser test
     * finds the charts by) */
    fprintf(f,
            "<rect x=\"%d.5\" y=\"%d.5\" width=\"%d\" height=\"%d\" "
            "fill=\"none\" stroke=\"#999\"/><text x=\"%d\" y=\"%d\" "
            "text-anchor=\"middle\">time (s)</text>\n",
            ML - 1, MT - 1, RPLOT_W + 1, PH + 1, ML + RPLOT_W / 2,
            MT + PH + 32);
}

/* Reload marks: a vertical line at each column with a reload. */
static void marks(FILE *f, const struct rplot_chart *c)
{
    for (int r = 0; r < 2; r++)
        for (int bad = 0; bad < 2; bad++) {
            const uint32_t *m = bad ? c->bad[r] : c->ok[r];
            if (!m)
                continue;
            int open = 0;
            for (size_t k = 0; k < RPLOT_W; k++) {
                if (!m[k])
                    continue;
                if (!open)
                    fprintf(f,
                            "<path stroke=\"%s\" stroke-width=\"1.5\"%s "
                            "d=\"",
                            bad ? MARK_BAD : MARK_OK,
                            r ? " stroke-dasharray=\"4 3\"" : "");
                open = 1;
                fprintf(f, "M%zu.5 %dV%d", ML + k, MT, MT + PH);
            }
            if (open)
                fputs("\"/>\n", f);
        }
}

static void series(FILE *f, const struct rplot_line *l, double lo, double hi)
{
    const struct rplot_ser *s = l->s;
    const char *col = rplot_color(l->color);
    /* the band: min to max per column, where it is taller than the mean
     * line is thick */
    fprintf(f, "<path stroke=\"%s\" stroke-opacity=\"0.35\" d=\"", col);
    for (size_t k = 0; k < RPLOT_W; k++) {
        double y0 = y_px(s->mn[k], lo, hi), y1 = y_px(s->mx[k], lo, hi);
        if (s->n[k] && y0 - y1 >= 1)
            fprintf(f, "M%zu.5 %.1fV%.1f", ML + k, y0, y1);
    }
    fputs("\"/>\n", f);
    /* the mean per column */
    fprintf(f,
            "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
            "stroke-linejoin=\"round\"%s d=\"",
            col, l->dash ? " stroke-dasharray=\"6 3\"" : "");
    int on = 0;
    for (size_t k = 0; k < RPLOT_W; k++) {
        if (!s->n[k]) {
            on = 0;
            continue;
        }
        double y = y_px(s->sum[k] / s->n[k], lo, hi);
        fprintf(f, "%c%zu.5 %.1f", on ? 'L' : 'M', ML + k, y);
        on = 1;
    }
    fputs("\"/>\n", f);
}

int rplot_ser_stats(const struct rplot_ser *s, double *mn, double *mean,
                    double *mx)
{
    double sum = 0;
    uint64_t n = 0;
    *mn = INFINITY;
    *mx = -INFINITY;
    for (size_t k = 0; k < RPLOT_W; k++)
        if (s->n[k]) {
            *mn = fmin(*mn, s->mn[k]);
            *mx = fmax(*mx, s->mx[k]);
            sum += s->sum[k];
            n += s->n[k];
        }
    *mean = n ? sum / (double)n : NAN;
    return n > 0;
}

static void legend(FILE *f, const struct rplot_chart *c)
{
    fputs("<div class=\"legend\">", f);
    for (size_t i = 0; i < c->n_lines; i++) {
        /* the run's extremes, on hover and for scripts (data-max) */
        double mn, mean, mx;
        char a[32] = "-", b[32] = "-", d[32] = "-";
        if (rplot_ser_stats(c->lines[i].s, &mn, &mean, &mx)) {
            sinum_format(a, sizeof a, mn, 4);
            sinum_format(b, sizeof b, mean, 4);
            sinum_format(d, sizeof d, mx, 4);
        }
        fprintf(f,
                "<span title=\"min %s, mean %s, max %s\" data-max=\"%.9g\">"
                "<i%s style=\"border-color:%s\"></i>",
                a, b, d, mx, c->lines[i].dash ? " class=\"d\"" : "",
                rplot_color(c->lines[i].color));
        rplot_escape(f, c->lines[i].name);
        fputs("</span>", f);
    }
    for (int h = 0; h < 2; h++)
        if (isfinite(c->hline[h])) {
            fprintf(f, "<span><i%s style=\"border-color:#000\"></i>",
                    h ? " class=\"d\"" : "");
            rplot_escape(f, c->hline_name[h]);
            fputs("</span>", f);
        }
    int any_ok = 0, any_bad = 0;
    for (int r = 0; r < 2; r++)
        for (size_t k = 0; k < RPLOT_W; k++) {
            any_ok |= c->ok[r] && c->ok[r][k];
            any_bad |= c->bad[r] && c->bad[r][k];
        }
    if (any_ok)
        fputs("<span><i style=\"border-color:" MARK_OK
              "\"></i>policy reloaded</span>",
              f);
    if (any_bad)
        fputs("<span><i style=\"border-color:" MARK_BAD
              "\"></i>reload rejected</span>",
              f);
    fputs("</div>\n", f);
}

void rplot_chart(FILE *f, const struct rplot_chart *c)
{
    fputs("<figure><figcaption>", f);
    rplot_escape(f, c->title);
    if (c->unit && *c->unit && strcmp(c->unit, "1") != 0) {
        fputs(" (", f);
        rplot_escape(f, c->unit);
        fputs(")", f);
    }
    fprintf(f,
            "</figcaption>\n<svg "
            "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            "role=\"img\">\n",
            ML + RPLOT_W + MR, MT + PH + MB, ML + RPLOT_W + MR, MT + PH + MB);
    double lo, hi;
    if (!y_range(c, &lo, &hi)) {
        fprintf(f,
                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                "fill=\"none\" stroke=\"#999\"/><text x=\"%d\" y=\"%d\" "
                "text-anchor=\"middle\">no values</text>\n</svg>\n",
                ML, MT, RPLOT_W, PH, ML + RPLOT_W / 2, MT + PH / 2);
        fputs("</figure>\n", f);
        return;
    }
    axes(f, c, lo, hi);
    marks(f, c);
    for (size_t i = 0; i < c->n_lines; i++)
        series(f, &c->lines[i], lo, hi);
    for (int h = 0; h < 2; h++)
        if (isfinite(c->hline[h])) {
            double y = y_px(c->hline[h], lo, hi);
            fprintf(f,
                    "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"#000\" stroke-width=\"1.5\"%s/>\n",
                    ML, ML + RPLOT_W, y, y,
                    h ? " stroke-dasharray=\"6 3\"" : "");
        }
    frame(f);
    fputs("</svg>\n", f);
    legend(f, c);
    fputs("</figure>\n", f);
}
