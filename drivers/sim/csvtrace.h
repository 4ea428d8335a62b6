/*
 * csvtrace - reader of utilisation traces: CSV with the header `t_s,util`
 * and rows of two finite numbers, seconds (>= 0, strictly increasing) and a
 * busy fraction in [0, 1].  CRLF line ends and a final newline are
 * accepted.  The parser takes arbitrary bytes (it is fuzzed): the input need
 * not be NUL-terminated and may contain NULs.
 */
#ifndef WATTSON_SIM_CSVTRACE_H
#define WATTSON_SIM_CSVTRACE_H

#include <stddef.h>

/* Closest row spacing accepted, s: a replay walks the rows an interval
 * covers, so spacing far below any tick is refused rather than walked. */
#define CSVTRACE_MIN_STEP_S 1e-6
/* Most rows accepted (a 256 MiB file could otherwise hold ~60 M); with the
 * replay's two-pass walk bound (workload.c) this bounds one tick's work. */
#define CSVTRACE_ROWS_MAX (1u << 24)

struct csvtrace {
    double *t; /* row times, s */
    double *v; /* row values */
    size_t n;  /* rows, >= 1 after a successful parse */
};

/* Parses `len` bytes.  On error returns -1, leaves *out empty and writes
 * "NAME:LINE: reason" (or "NAME: reason") into err. */
int csvtrace_parse(const char *buf, size_t len, const char *name,
                   struct csvtrace *out, char *err, size_t errlen);
/* Reads and parses the file at `path`; messages name the file `path`. */
int csvtrace_load(const char *path, struct csvtrace *out, char *err,
                  size_t errlen);
/* As csvtrace_load, but messages name the file `name` (e.g. the path as the
 * user wrote it, while `path` is the resolved one). */
int csvtrace_load_as(const char *path, const char *name, struct csvtrace *out,
                     char *err, size_t errlen);
void csvtrace_free(struct csvtrace *tr);

#endif
