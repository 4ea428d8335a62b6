/*
 * report - `wattson report TRACE.jsonl [B.jsonl] [-o OUT.html]`: one
 * self-contained HTML page of SVG charts from a run's JSONL trace (the
 * `--out` format), or of two runs overlaid (B dashed), for looking at a
 * batch run afterwards and sharing it as a file.
 *
 * Two passes over each trace (core/trread.h): the first counts the ticks
 * and finds the time range (and the label values of the engine
 * families), the second drops every value into its chart's per-pixel
 * column (cmd/rplot.h: min, max, sum, count), so memory is fixed by the
 * devices and families, never by the length of the run.  The charts:
 *  - total power against the budget (each run's, when two differ);
 *  - per PU (a device of kind cpu, gpu or fpga, or any with a freq or
 *    util signal): clock, utilisation, power, temperature, p99 latency,
 *    deadline misses per tick (the delta of the cumulative count), the
 *    forecast (fc.demand) and the demand that arrived (the delta of the
 *    cumulative work_arrived per tick over the tick's length);
 *  - the forecast against the arrived demand, both summed over the PUs;
 *  - one chart per engine metric family of a format-2 trace, one line
 *    per label value, titled with the family's help and unit;
 * with the policy's reloads (green) and rejected reloads (red) marked on
 * every time axis, then the summary line as a table (A, B, B-A).
 *
 * The page is written like --out (core/tracefile.h: a temporary file
 * renamed into place, so a failure keeps the old report) and holds no
 * script; its Content-Security-Policy forbids every fetch.
 */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/rplot.h"
#include "core/clock.h"
#include "core/sinum.h"
#include "core/tracefile.h"
#include "core/trread.h"

/* The per-PU charts: a device key each, one line per PU. */
enum { DERIV_NONE, DERIV_DELTA, DERIV_RATE };
static const struct rmetric {
    const char *key, *title, *unit;
    int deriv;
} rmetrics[] = {
    {"freq", "Clock per PU", "Hz", DERIV_NONE},
    {"util", "Utilisation per PU", "1", DERIV_NONE},
    {"power", "Power per PU", "W", DERIV_NONE},
    {"temp", "Temperature per PU", "C", DERIV_NONE},
    {"latency_p99", "Latency p99 per PU", "s", DERIV_NONE},
    {"deadline_misses", "Deadline misses per tick", "1", DERIV_DELTA},
    /* per PU, and summed into the forecast chart */
    {"fc.demand", "Forecast demand per PU (fc.demand)", "op/s", DERIV_NONE},
    {"work_arrived", "Arrived demand per PU (work_arrived / tick)", "op/s",
     DERIV_RATE},
};
#define N_MET (sizeof rmetrics / sizeof rmetrics[0])
#define MET_FC 6
#define MET_ARR 7

/* One trace and its downsampled series. */
struct rrun {
    struct trread r;
    const char *path;
    int *pu;                  /* per device: drawn as a PU */
    int (*idx)[N_MET];        /* per device: each metric's key, or -1 */
    struct rplot_ser *met;    /* [device * N_MET + metric] */
    double (*prev)[N_MET];    /* the last cumulative value */
    struct rplot_ser *fam;    /* [family * TRREAD_MAX_LABELS + label] */
    struct rplot_ser sums[3]; /* power, forecast, arrived demand */
    uint32_t ok[RPLOT_W], bad[RPLOT_W];
    double prev_t, span;
    /* The progress line (on a terminal, or --progress): how far into the
     * file each pass is, at most twice a second. */
    int progress, pass;
    double size;
    uint64_t shown_ns;
};

static void rrun_progress(struct rrun *u, uint64_t tick)
{
    if (!u->progress || (tick & 4095) != 0)
        return;
    uint64_t now = clock_mono_ns();
    if (now - u->shown_ns < 500000000u)
        return;
    u->shown_ns = now;
    long at = ftell(u->r.f);
    fprintf(stderr, "\rwattson: report: %s: pass %d of 2, %3.0f%%", u->path,
            u->pass, u->size > 0 && at > 0 ? 100.0 * (double)at / u->size : 0);
}

/* Pass 1's tick: only the progress line (the reader counts). */
static void on_tick_count(void *arg, uint64_t tick, double t, double power_w)
{
    (void)t;
    (void)power_w;
    rrun_progress(arg, tick);
}

static int is_pu(const struct trread_dev *d, const int *idx)
{
    return strcmp(d->kind, "cpu") == 0 || strcmp(d->kind, "gpu") == 0 ||
           strcmp(d->kind, "fpga") == 0 || idx[0] >= 0 || idx[1] >= 0;
}

/* After pass 1: the series, sized by the header and the label values. */
static int rrun_alloc(struct rrun *u)
{
    const struct trread *r = &u->r;
    size_t nd = r->n_dev ? r->n_dev : 1, nf = r->n_fam ? r->n_fam : 1;
    u->pu = calloc(nd, sizeof *u->pu);
    u->idx = calloc(nd, sizeof *u->idx);
    u->prev = calloc(nd, sizeof *u->prev);
    u->met = calloc(nd * N_MET, sizeof *u->met);
    u->fam = calloc(nf * TRREAD_MAX_LABELS, sizeof *u->fam);
    if (!u->pu || !u->idx || !u->prev || !u->met || !u->fam)
        return -1;
    for (size_t d = 0; d < r->n_dev; d++) {
        const struct trread_dev *dv = &r->dev[d];
        for (size_t m = 0; m < N_MET; m++) {
            u->idx[d][m] = -1;
            for (size_t k = 0; k < dv->n_key; k++)
                if (strcmp(dv->key[k], rmetrics[m].key) == 0)
                    u->idx[d][m] = (int)k;
        }
        u->pu[d] = is_pu(dv, u->idx[d]);
    }
    return 0;
}

static void rrun_free(struct rrun *u)
{
    free(u->pu);
    free(u->idx);
    free(u->prev);
    free(u->met);
    free(u->fam);
    trread_close(&u->r);
}

/* Pass 2's tick: every value into its column. */
static void on_tick(void *arg, uint64_t tick, double t, double power_w)
{
    struct rrun *u = arg;
    rrun_progress(u, tick);
    const struct trread *r = &u->r;
    size_t col = rplot_col(t, u->span);
    double dt = t - u->prev_t, fc = 0, arr = 0;
    int n_fc = 0, n_arr = 0;
    rplot_ser_add(&u->sums[0], col, power_w);
    for (size_t d = 0; d < r->n_dev; d++) {
        if (!u->pu[d])
            continue;
        for (size_t m = 0; m < N_MET; m++) {
            int k = u->idx[d][m];
            if (k < 0)
                continue;
            double v = r->dev[d].val[k], out = v;
            if (rmetrics[m].deriv != DERIV_NONE) {
                /* a cumulative count: its change since the last tick
                 * (the counts start at 0 with the run) */
                if (!isfinite(v))
                    continue;
                out = v - u->prev[d][m];
                if (rmetrics[m].deriv == DERIV_RATE)
                    out = dt > 0 ? out / dt : NAN;
                u->prev[d][m] = v;
            }
            rplot_ser_add(&u->met[d * N_MET + m], col, out);
            if (m == MET_FC && isfinite(out))
                fc += out, n_fc++;
            if (m == MET_ARR && isfinite(out))
                arr += out, n_arr++;
        }
    }
    if (n_fc)
        rplot_ser_add(&u->sums[1], col, fc);
    if (n_arr)
        rplot_ser_add(&u->sums[2], col, arr);
    for (size_t i = 0; i < r->n_fam; i++)
        for (size_t k = 0; k < (r->fam[i].label ? r->fam[i].n_lv : 1); k++)
            rplot_ser_add(&u->fam[i * TRREAD_MAX_LABELS + k], col,
                          r->fam[i].val[k]);
    u->prev_t = t;
}

static void on_reload(void *arg, double t, int ok, const char *error)
{
    (void)error;
    struct rrun *u = arg;
    size_t col = rplot_col(t, u->span);
    if (ok)
        u->ok[col]++;
    else
        u->bad[col]++;
}

/* "dir/a.html" for "dir/a.jsonl" (a name without an extension gets one
 * added); with b: "dir/a-vs-b.html". */
static int default_out(char *buf, size_t len, const char *a, const char *b)
{
    const char *base_b = b ? strrchr(b, '/') : NULL;
    base_b = base_b ? base_b + 1 : b;
    const char *slash = strrchr(a, '/'), *dot = strrchr(a, '.');
    size_t na =
        dot && dot > (slash ? slash + 1 : a) ? (size_t)(dot - a) : strlen(a);
    size_t nb = 0;
    if (b) {
        const char *db = strrchr(base_b, '.');
        nb = db && db > base_b ? (size_t)(db - base_b) : strlen(base_b);
    }
    int n = snprintf(buf, len, "%.*s%s%.*s.html", (int)na, a, b ? "-vs-" : "",
                     (int)nb, b ? base_b : "");
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* 1 when out names the file of one of the traces. */
static int is_input(const char *out, struct rrun *runs, size_t n)
{
    struct stat so, st;
    if (stat(out, &so) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (stat(runs[i].path, &st) == 0 && st.st_dev == so.st_dev &&
            st.st_ino == so.st_ino)
            return 1;
    return 0;
}

/* A colour per name, the same for a device (or label value) in both
 * runs: its place in the names seen so far. */
struct rnames {
    const char *name[2 * (TRREAD_MAX_LABELS + 64)];
    size_t n;
};

static int color_of(struct rnames *c, const char *name)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->name[i], name) == 0)
            return (int)i;
    if (c->n < sizeof c->name / sizeof c->name[0])
        c->name[c->n++] = name;
    return (int)c->n - 1;
}

/* The charts' common part: span, reload marks. */
static struct rplot_chart chart_of(struct rrun *runs, size_t n,
                                   const char *title, const char *unit,
                                   struct rplot_line *lines, size_t n_lines)
{
    struct rplot_chart c = {.title = title,
                            .unit = unit,
                            .span = runs[0].span,
                            .lines = lines,
                            .n_lines = n_lines,
                            .hline = {NAN, NAN}};
    for (size_t i = 0; i < n; i++) {
        c.ok[i] = runs[i].ok;
        c.bad[i] = runs[i].bad;
    }
    return c;
}

/* A line's legend text into buf: the name, with the run's letter when
 * there are two. */
static const char *line_name(char *buf, size_t len, const char *name,
                             size_t run, size_t n)
{
    if (n < 2)
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "%s (%c)", name, run ? 'B' : 'A');
    return buf;
}

#define NAME_LEN 300
static int put_charts(FILE *f, struct rrun *runs, size_t n)
{
    size_t cap = 8 + 2 * (runs[0].r.n_dev + (n > 1 ? runs[1].r.n_dev : 0)) +
                 2 * TRREAD_MAX_LABELS;
    struct rplot_line *lines = calloc(cap, sizeof *lines);
    char(*names)[NAME_LEN] = calloc(cap, sizeof *names);
    if (!lines || !names) {
        free(lines);
        free(names);
        return -1;
    }
    size_t nl = 0;
    /* total power against the budget */
    for (size_t i = 0; i < n; i++) {
        lines[nl] = (struct rplot_line){
            line_name(names[nl], NAME_LEN, "total power", i, n),
            &runs[i].sums[0], 0, (int)i};
        nl++;
    }
    struct rplot_chart c =
        chart_of(runs, n, "Total power against the budget", "W", lines, nl);
    /* A budget of 0 is none (the lab's `budget_w`): no line then.  Two
     * runs: each run's budget, B's dashed, one line when they agree. */
    char bnames[2][16];
    for (size_t i = 0; i < n; i++) {
        double b = runs[i].r.budget_w;
        if (!(b > 0) || (i == 1 && b == runs[0].r.budget_w))
            continue;
        c.hline[i] = b;
        c.hline_name[i] = line_name(bnames[i], sizeof bnames[i], "budget", i,
                                    n > 1 && b != runs[!i].r.budget_w ? n : 1);
    }
    rplot_chart(f, &c);
    /* per PU */
    for (size_t m = 0; m < N_MET; m++) {
        struct rnames col = {.n = 0};
        nl = 0;
        for (size_t i = 0; i < n; i++)
            for (size_t d = 0; d < runs[i].r.n_dev && nl < cap; d++) {
                if (!runs[i].pu[d] || runs[i].idx[d][m] < 0)
                    continue;
                const char *dn = runs[i].r.dev[d].name;
                lines[nl] = (struct rplot_line){
                    line_name(names[nl], NAME_LEN, dn, i, n),
                    &runs[i].met[d * N_MET + m], color_of(&col, dn), (int)i};
                nl++;
            }
        if (nl) {
            c = chart_of(runs, n, rmetrics[m].title, rmetrics[m].unit, lines,
                         nl);
            rplot_chart(f, &c);
        }
    }
    /* forecast against actual demand */
    nl = 0;
    for (size_t i = 0; i < n; i++) {
        lines[nl] = (struct rplot_line){
            line_name(names[nl], NAME_LEN, "forecast (fc.demand)", i, n),
            &runs[i].sums[1], 0, (int)i};
        nl++;
        lines[nl] = (struct rplot_line){
            line_name(names[nl], NAME_LEN, "arrived (work_arrived / tick)", i,
                      n),
            &runs[i].sums[2], 1, (int)i};
        nl++;
    }
    c = chart_of(runs, n, "Forecast against actual demand, all PUs", "op/s",
                 lines, nl);
    rplot_chart(f, &c);
    /* the engines' families, matched by name between the runs */
    for (size_t i = 0; i < n; i++)
        for (size_t fi = 0; fi < runs[i].r.n_fam; fi++) {
            const struct trread_fam *fam = &runs[i].r.fam[fi];
            size_t seen = 0;
            for (size_t fj = 0; i == 1 && fj < runs[0].r.n_fam; fj++)
                seen |= strcmp(runs[0].r.fam[fj].name, fam->name) == 0;
            if (seen)
                continue; /* drawn with A's */
            struct rnames col = {.n = 0};
            nl = 0;
            for (size_t j = i; j < n; j++)
                for (size_t fj = 0; fj < runs[j].r.n_fam; fj++) {
                    const struct trread_fam *g = &runs[j].r.fam[fj];
                    if (strcmp(g->name, fam->name) != 0)
                        continue;
                    for (size_t k = 0; k < (g->label ? g->n_lv : 1); k++) {
                        char lv[NAME_LEN];
                        if (g->label)
                            snprintf(lv, sizeof lv, "%s %s", g->label,
                                     g->lv[k]);
                        else
                            snprintf(lv, sizeof lv, "%s", g->name);
                        int cl = color_of(&col, g->label ? g->lv[k] : g->name);
                        lines[nl] = (struct rplot_line){
                            line_name(names[nl], NAME_LEN, lv, j, n),
                            &runs[j].fam[fj * TRREAD_MAX_LABELS + k], cl,
                            (int)j};
                        nl++;
                    }
                }
            /* a family this run never gave a value: named, not drawn */
            int any = 0;
            for (size_t k = 0; k < nl; k++) {
                double mn, mean, mx;
                any |= rplot_ser_stats(lines[k].s, &mn, &mean, &mx);
            }
            if (!any) {
                fputs("<p>No values: <code>", f);
                rplot_escape(f, fam->name);
                fputs("</code> (", f);
                rplot_escape(f, fam->help);
                fputs(").</p>\n", f);
                continue;
            }
            char title[NAME_LEN];
            snprintf(title, sizeof title, "%s%s%s",
                     *fam->help ? fam->help : fam->name,
                     fam->label ? " per " : "", fam->label ? fam->label : "");
            c = chart_of(runs, n, title, fam->unit, lines, nl);
            rplot_chart(f, &c);
            if (fam->lv_dropped)
                fprintf(f,
                        "<p>Only the first %d label values are drawn; "
                        "%llu more values were left out.</p>\n",
                        TRREAD_MAX_LABELS, (unsigned long long)fam->lv_dropped);
        }
    free(lines);
    free(names);
    return 0;
}

static void put_num(FILE *f, double v)
{
    char b[32];
    if (!isfinite(v)) {
        fputs("-", f);
        return;
    }
    sinum_format(b, sizeof b, v, 4);
    fputs(b, f);
}

/* The summary lines as one table: key, A (, B, B-A). */
static void put_summary(FILE *f, struct rrun *runs, size_t n)
{
    fputs("<h2>Summary</h2>\n", f);
    int any = 0;
    for (size_t i = 0; i < n; i++)
        any |= runs[i].r.n_sum > 0;
    if (!any) {
        fputs("<p>No summary in the trace.</p>\n", f);
        return;
    }
    fputs("<table><tr><th>key</th>", f);
    fputs(n > 1 ? "<th>A</th><th>B</th><th>B &minus; A</th></tr>\n"
                : "<th>value</th></tr>\n",
          f);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < runs[i].r.n_sum; k++) {
            const struct trread_kv *kv = &runs[i].r.sum[k];
            /* B's keys that A has are on A's rows */
            if (i == 1 && trread_sum_find(&runs[0].r, kv->key))
                continue;
            fputs("<tr><td>", f);
            rplot_escape(f, kv->key);
            fputs("</td>", f);
            const struct trread_kv *col[2] = {NULL, NULL};
            for (size_t j = 0; j < n; j++)
                col[j] = trread_sum_find(&runs[j].r, kv->key);
            for (size_t j = 0; j < n; j++) {
                fputs("<td>", f);
                if (col[j])
                    rplot_escape(f, col[j]->text);
                fputs("</td>", f);
            }
            if (n > 1) {
                fputs("<td>", f);
                if (col[0] && col[1] && !isnan(col[0]->num) &&
                    !isnan(col[1]->num))
                    put_num(f, col[1]->num - col[0]->num);
                fputs("</td>", f);
            }
            fputs("</tr>\n", f);
        }
    fputs("</table>\n", f);
}

/* What the run was, and what is wrong with its trace. */
static void put_run(FILE *f, const struct rrun *u, size_t i, size_t n)
{
    const struct trread *r = &u->r;
    fputs("<p>", f);
    if (n > 1)
        fprintf(f, "<b>%c</b> (%s): ", i ? 'B' : 'A',
                i ? "dashed lines" : "solid lines");
    fputs("<code>", f);
    rplot_escape(f, u->path);
    fputs("</code>: lab <b>", f);
    rplot_escape(f, r->lab);
    fputs("</b>, policy <b>", f);
    rplot_escape(f, r->policy);
    fprintf(f, "</b>, seed %.0f, tick ", r->seed);
    put_num(f, r->tick_s);
    fprintf(f, "s, %llu ticks over ", (unsigned long long)r->n_ticks);
    put_num(f, r->n_ticks ? r->t_last : 0);
    if (r->budget_w > 0) {
        fprintf(f, "s; budget ");
        put_num(f, r->budget_w);
        fprintf(f, "W");
    } else {
        fprintf(f, "s; no power budget");
    }
    fprintf(f, "; %zu devices; trace format %d", r->n_dev, r->format);
    if (r->wattson) {
        fputs(" (wattson ", f);
        rplot_escape(f, r->wattson);
        fputs(")", f);
    }
    fprintf(f, ". Policy reloads: %llu (%llu rejected).</p>\n",
            (unsigned long long)(r->n_reloads - r->n_rejected),
            (unsigned long long)r->n_rejected);
    if (r->bad_line) {
        fprintf(f, "<p class=\"banner\">Truncated or malformed trace: ");
        rplot_escape(f, u->path);
        fprintf(f, ":%zu (", r->bad_line);
        rplot_escape(f, r->bad_why);
        fprintf(f, "); the %llu ticks before it are plotted.</p>\n",
                (unsigned long long)r->n_ticks);
    }
    if (!r->n_sum)
        fputs("<p class=\"banner\">No summary (run did not finish).</p>\n", f);
    if (!r->n_ticks)
        fputs("<p class=\"banner\">No ticks: the run recorded none.</p>\n", f);
}

static void put_page(FILE *f, struct rrun *runs, size_t n, int charts_ok)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "\n<meta http-equiv=\"Content-Security-Policy\" "
          "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
          "<title>wattson report: ",
          f);
    rplot_escape(f, runs[0].r.lab);
    fprintf(f, "</title>\n<style>%s</style></head><body>\n", rplot_css);
    fputs(n > 1 ? "<h1>wattson report: two runs</h1>\n"
                : "<h1>wattson report</h1>\n",
          f);
    for (size_t i = 0; i < n; i++)
        put_run(f, &runs[i], i, n);
    uint64_t ticks = 0;
    for (size_t i = 0; i < n; i++)
        ticks += runs[i].r.n_ticks;
    if (ticks && charts_ok) {
        fputs("<p>Each line is the mean per pixel column; the pale band "
              "behind it spans the column's minimum to maximum, so a "
              "one-tick spike stays visible.</p>\n",
              f);
        put_charts(f, runs, n);
    } else if (!ticks) {
        fputs("<p><b>no ticks</b>: nothing to plot.</p>\n", f);
    }
    put_summary(f, runs, n);
    fputs("</body></html>\n", f);
}

/* The report's temporary file while it is being made: a SIGINT, SIGTERM
 * or SIGHUP then removes it (unlink is async-signal-safe) and ends the
 * process by the signal, so an interrupted report leaves nothing behind
 * and the old OUT as it was. */
static const char *volatile report_tmp;

static void report_on_signal(int sig)
{
    if (report_tmp)
        unlink(report_tmp);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void report_catch(const char *tmp)
{
    report_tmp = tmp;
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], tmp ? report_on_signal : SIG_DFL);
}

static int report_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc < 1 || a->argc > 2)
        return cli_usage_error("%s", "report needs one trace, or two to "
                                     "compare (TRACE.jsonl [B.jsonl])");
    size_t n = (size_t)a->argc;
    struct rrun *runs = calloc(n, sizeof *runs);
    if (!runs)
        return RUN_ERR;
    char err[512], outbuf[4096];
    int rc = RUN_OK;
    size_t opened = 0;
    for (; opened < n; opened++) {
        runs[opened].path = a->argv[opened];
        if (trread_open(&runs[opened].r, a->argv[opened], err, sizeof err)) {
            fprintf(stderr, "wattson: %s\n", err);
            rc = RUN_LAB;
            goto out;
        }
    }
    /* pass 1: ticks, time range, label values */
    double span = 0;
    const int progress =
        a->progress == 1 || (a->progress < 0 && isatty(STDERR_FILENO));
    for (size_t i = 0; i < n; i++) {
        struct trread *r = &runs[i].r;
        struct stat st;
        runs[i].progress = progress;
        runs[i].pass = 1;
        runs[i].size = fstat(fileno(r->f), &st) == 0 ? (double)st.st_size : 0;
        struct trread_visit count = {on_tick_count, NULL, &runs[i]};
        if (trread_pass(r, &count, err, sizeof err) != 0) {
            fprintf(stderr, "wattson: %s\n", err);
            rc = RUN_LAB;
            goto out;
        }
        if (r->bad_line && runs[i].shown_ns)
            fputc('\n', stderr);
        if (r->bad_line)
            fprintf(stderr,
                    "wattson: %s:%zu: truncated/malformed here; plotting "
                    "the %llu ticks before it (%s)\n",
                    runs[i].path, r->bad_line, (unsigned long long)r->n_ticks,
                    r->bad_why);
        if (r->n_ticks && r->t_last > span)
            span = r->t_last;
    }
    if (!(span > 0))
        span = 1;
    const char *out = a->run.out_path;
    if (!out) {
        if (default_out(outbuf, sizeof outbuf, runs[0].path,
                        n > 1 ? runs[1].path : NULL) != 0) {
            rc = cli_usage_error("%s", "report: the trace's name is too "
                                       "long for a default -o");
            goto out;
        }
        out = outbuf;
    }
    if (is_input(out, runs, n)) {
        fprintf(stderr,
                "wattson: report: %s is the trace being read; give -o "
                "OUT.html\n",
                out);
        rc = RUN_USAGE;
        goto out;
    }
    struct tracefile tf;
    if (tracefile_open(&tf, out, TRACEFILE_TEXT, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: report: %s\n", err);
        rc = RUN_IO;
        goto out;
    }
    report_catch(tf.tmp);
    /* pass 2: the values into their columns */
    int charts_ok = 1;
    for (size_t i = 0; i < n && charts_ok; i++) {
        runs[i].span = span;
        if (rrun_alloc(&runs[i]) != 0) {
            fprintf(stderr, "wattson: report: out of memory\n");
            rc = RUN_ERR;
            charts_ok = 0;
            break;
        }
        struct trread_visit v = {on_tick, on_reload, &runs[i]};
        runs[i].pass = 2;
        if (trread_pass(&runs[i].r, &v, err, sizeof err) != 0) {
            fprintf(stderr, "wattson: %s\n", err);
            rc = RUN_LAB;
            charts_ok = 0;
        }
    }
    for (size_t i = 0; i < n && progress; i++)
        if (runs[i].shown_ns) {
            fputc('\n', stderr); /* the progress line's end */
            break;
        }
    if (rc != RUN_OK) {
        tracefile_abort(&tf);
        report_catch(NULL);
        goto out;
    }
    put_page(tf.f, runs, n, charts_ok);
    if (tracefile_commit(&tf, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "wattson: report: %s\n", err);
        rc = RUN_IO;
    }
    report_catch(NULL);
out:
    for (size_t i = 0; i < n; i++)
        rrun_free(&runs[i]);
    free(runs);
    return rc;
}

const struct cli_entry report_entry = {
    .name = "report",
    .usage = "TRACE.jsonl [B.jsonl]",
    .help = "an HTML page of SVG charts of a run's --out trace (power\n"
            "against the budget, clock, utilisation, power, temperature,\n"
            "latency, misses, forecast and demand per PU, forecast\n"
            "against demand summed, the engines' metrics, reloads\n"
            "marked, the summary table); with\n"
            "B, the two runs overlaid (B dashed) and B-A in the table.\n"
            "Written to -o FILE, default TRACE's name with .html for its\n"
            "extension (two: A-vs-B.html beside A); self-contained, no\n"
            "script, nothing fetched.  A bad trace: exit 3; a damaged\n"
            "one is plotted up to the damage (exit 0, a banner says so).\n"
            "A progress line on a terminal (--progress: always)",
    .opts = (uint64_t)1 << CLI_OPT_OUT | (uint64_t)1 << CLI_OPT_PROGRESS,
    .exec = report_exec,
};
