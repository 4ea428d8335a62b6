/*
 * rplot - the SVG charts of `wattson report` (cmd/report.c), drawn as
 * text into the HTML file: no script, no font or stylesheet fetched.
 *
 * A series is downsampled as it is read into RPLOT_W columns, one per
 * pixel of the plot area: each column keeps the minimum, maximum, sum and
 * count of the values whose time falls in it, so memory is fixed however
 * long the run, and a spike of one tick survives as its column's maximum.
 * A chart draws each series as a band from min to max per column (a
 * vertical stroke per pixel, half transparent) and a line through the
 * columns' means; a gap (a column without a value) breaks the line.
 */
#ifndef WATTSON_RPLOT_H
#define WATTSON_RPLOT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Columns of a chart: the plot area's width in pixels. */
#define RPLOT_W 800

struct rplot_ser {
    double mn[RPLOT_W], mx[RPLOT_W], sum[RPLOT_W];
    uint32_t n[RPLOT_W];
};

/* Clears s (no value in any column). */
void rplot_ser_init(struct rplot_ser *s);
/* Adds v (NAN or infinite: ignored) to column col (< RPLOT_W). */
void rplot_ser_add(struct rplot_ser *s, size_t col, double v);
/* Over all columns: the least, mean and largest value; 0 (and NANs or
 * infinities) when s has none. */
int rplot_ser_stats(const struct rplot_ser *s, double *mn, double *mean,
                    double *mx);
/* The column of time t in a chart of span seconds. */
size_t rplot_col(double t, double span);

/* One line of a chart: a series, its colour (an index into the palette)
 * and style (dash: the comparison's second run). */
struct rplot_line {
    const char *name; /* the legend's text (escaped when written) */
    const struct rplot_ser *s;
    int color;
    int dash;
};

struct rplot_chart {
    const char *title; /* escaped when written */
    const char *unit;  /* base SI unit, "1" for a ratio or count */
    double span;       /* seconds across the RPLOT_W columns */
    const struct rplot_line *lines;
    size_t n_lines;
    /* Horizontal lines (a run's budget), NAN: none; the second is
     * dashed, like the comparison's second run. */
    double hline[2];
    const char *hline_name[2];
    /* Reload marks: per column, reloads applied and rejected (NULL: none),
     * for up to two runs (the second dashed). */
    const uint32_t *ok[2], *bad[2];
};

/* The chart as an HTML <figure>: its title, the SVG, a legend. */
void rplot_chart(FILE *f, const struct rplot_chart *c);
/* s as HTML/SVG text: & < > " ' escaped, control bytes dropped. */
void rplot_escape(FILE *f, const char *s);
/* The palette's colour i (mod its size), "#rrggbb". */
const char *rplot_color(int i);
/* The inline CSS the charts' classes need. */
extern const char rplot_css[];

#endif
