/*
 * bench - `wattson bench [NAME]`: headless ticks per second on generated
 * labs of 16 and 256 processing units, the median cost of each pipeline
 * stage, and the ratio of a whole tick to the bare driver read measured in
 * the same run (the baseline), so figures compare across machines; and
 * `console`: the console's CPU use (getrusage, % of one core) at x1 on
 * the default lab over 30 s of wall time on a pseudo-terminal, next to
 * the same lab run headless on the wall clock for the same 30 s.
 */
#ifndef WATTSON_BENCH_H
#define WATTSON_BENCH_H

#include <stddef.h>
#include <stdio.h>

/* Returns an exit code (0 ok, 2 unknown name, 1 failure). */
int bench_main(const char *name, const char **plugin_dirs, size_t n_dirs,
               FILE *out);
/* `wattson bench forecast TRACE.csv`: for h = 1, 5, 10 the MAE and sMAPE
 * of every fcast method over a `t_s,util` trace, each MAE as a ratio to
 * last value's in the same run, and ns per update.  Returns 0, or 3 for a
 * bad or missing trace (one line "file:line: reason" on stderr). */
int bench_forecast(const char *path, FILE *out);
/* What makes this binary's figures slow ("sanitizers", "no
 * optimisation", ...), decided when it was compiled, or NULL for an
 * optimised build without sanitizers.  bench and bench forecast print a
 * warning naming it before their figures. */
const char *bench_slow_build(void);
/* One warning line (log_msg, LOG_WARN) before the figures of a slow
 * build (a `make run` or `make test` build), so they are not taken for
 * the machine's; nothing for an optimised one. */
void bench_warn_slow(void);
/* qsort comparators of uint64_t and of double, ascending (the benches'
 * medians and percentiles). */
int bench_cmp_u64(const void *a, const void *b);
int bench_cmp_double(const void *a, const void *b);
/* Writes a lab of n PUs (a mix of parts and workloads) into buf. */
int bench_lab(char *buf, size_t len, unsigned n_pus);

#endif
