/*
 * trread - reading back a wattson JSONL trace (the `--out` format that
 * core/tracefile.c and core/summary.c write), for `wattson report`.
 *
 * The trace is read one line at a time (Debian's libjansson, json_loadb
 * on each line), never whole: a pass over the file calls the caller back
 * once per tick with that tick's values in arrays the reader allocated
 * from the header, so memory depends on the header (devices, signals,
 * engine families and the label values seen, at most TRREAD_MAX_LABELS
 * each) and on the longest line, never on the number of ticks.  The
 * caller makes as many passes as it needs (report: one to count the ticks
 * and the time range, one to fill its per-pixel buckets).
 *
 * Formats: a header without "format" is format 1 (the traces written
 * before the field existed); "format":2 adds "wattson" (the writer's
 * version) and "eng" (engine metric families) to the header and "eng" to
 * each tick.  Any other format is refused at open.
 *
 * Damage: a line that is not a JSON object, or a tick without its
 * number, time or devices, ends the trace at that line (trread_damage
 * says where and why); what came before it is read as usual.  A trace
 * that ends without its summary line (a run killed before it finished)
 * is not damaged: trread_summary says there is none.
 */
#ifndef WATTSON_TRREAD_H
#define WATTSON_TRREAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Label values kept per engine family; more are counted, not kept. */
#define TRREAD_MAX_LABELS 32

/* trread_open's results besides 0. */
enum trread_err {
    TRREAD_EOPEN = -1,  /* missing, unreadable or not a regular file */
    TRREAD_ETRACE = -2, /* line 1 is not a wattson trace header */
    TRREAD_EFORMAT = -3 /* a format this wattson does not read */
};

/* One device of the header.  Its values, per tick, are val[k] for key[k]:
 * the signals, then "set.CTL" for each control, then "fc.demand"; NAN
 * when the tick has no value (null: invalid, or absent: constant). */
struct trread_dev {
    char *name, *kind, *driver;
    size_t n_key;
    char **key;  /* "freq", "set.freq", "fc.demand" */
    char **unit; /* per key: "Hz", "W", "1" (a ratio); "" when unknown */
    double *val;
};

/* One engine metric family (format 2): scalar (label NULL, one value,
 * val[0]) or one value per label value (lv[i], val[i]; lv grows as label
 * values appear, up to TRREAD_MAX_LABELS). */
struct trread_fam {
    char *name, *type, *unit, *label, *help;
    size_t n_lv;
    char *lv[TRREAD_MAX_LABELS];
    double val[TRREAD_MAX_LABELS];
    uint64_t lv_dropped; /* values of label values beyond the cap */
};

/* One key of the summary line, in its order. */
struct trread_kv {
    char *key;
    char *text; /* the value as JSON text ("191.8", "false", "{}") */
    double num; /* its value when a number, else NAN */
};

/* What each pass reports. */
struct trread_visit {
    /* A tick: r's dev[].val and fam[].val hold its values. */
    void (*tick)(void *arg, uint64_t tick, double t, double power_w);
    /* A policy reload line (ok 0: rejected, with its error). */
    void (*reload)(void *arg, double t, int ok, const char *error);
    void *arg;
};

struct trread {
    char *path;
    FILE *f;
    int own;    /* f is closed by trread_close */
    int format; /* 1 or 2 */
    char *wattson, *lab, *policy;
    double seed, tick_s, duration_s, budget_w; /* NAN when absent */
    size_t n_dev;
    struct trread_dev *dev;
    size_t n_fam;
    struct trread_fam *fam;
    /* After a pass: */
    uint64_t n_ticks, n_reloads, n_rejected;
    double t_first, t_last; /* the ticks' first and largest t */
    size_t n_sum;           /* 0: no summary line */
    struct trread_kv *sum;
    size_t bad_line; /* 0: none */
    char bad_why[160];
    /* reading */
    char *line;
    size_t line_cap;
};

/* Opens path (a regular file; a directory or FIFO is refused) and reads
 * its header.  0, or an enum trread_err with one line in err:
 * "PATH: No such file or directory", "PATH:1: not a wattson trace
 * (why)", "PATH:1: a trace of format 3 (wattson 0.2.0); this wattson V
 * reads formats 1 and 2". */
int trread_open(struct trread *r, const char *path, char *err, size_t errlen);
/* The same on an open stream (rewound for each pass; not closed by
 * trread_close), named name in messages: the fuzz target's fmemopen. */
int trread_open_stream(struct trread *r, FILE *f, const char *name, char *err,
                       size_t errlen);
/* One pass over the whole trace, calling v back (either callback may be
 * NULL); fills n_ticks, t_first, t_last, the reload counts, the summary
 * and the damage.  0, or -1 when the file cannot be read again (err). */
int trread_pass(struct trread *r, const struct trread_visit *v, char *err,
                size_t errlen);
void trread_close(struct trread *r);

/* The summary's row of key, or NULL. */
const struct trread_kv *trread_sum_find(const struct trread *r,
                                        const char *key);

#endif
