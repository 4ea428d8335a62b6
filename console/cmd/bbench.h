/*
 * bbench - `wattson bench broker [--duration D] [--scenario NAME | --lab
 * FILE] [--with FILE.lua]... [--load-scale LIST]`: every
 * baseline governor (policies/governors.h: static, ondemand, conservative,
 * schedutil, race) and the predictive broker (broker, and perfect-forecast: the
 * broker fed the simulation's true next-tick demand) run headless on the
 * virtual clock on the same seeded scenario labs, through the public run
 * API, one table per scenario:
 *
 *   energy_J     the summary's energy_j
 *   mean_ms      each PU's Σ wait / Σ served, averaged over the PUs that
 *                served work (not pooled: a GPU's op count would drown
 *                the cores')
 *   p99_ms       the worst PU's `latency_p99` signal at the end ("n/a"
 *                where the driver has no such signal)
 *   EDP_Js       energy x mean latency, J·s
 *   misses       deadline misses (arrival batches served late)
 *   viol_s       seconds during which the trailing 1 s mean of the PUs'
 *                total power exceeded budget_w (a ring of per-tick power;
 *                from the first tick whose interval a policy decided: the
 *                run's first interval runs on the drivers' start values)
 *   EDP/pfcast, E/pfcast, EDP/sched, E/sched   ratios to perfect-forecast's and
 *                schedutil's EDP and energy in the same table
 *
 * Scenarios (lua-policies/labs/bench/, commented there): bursty, step,
 * diurnal (the kenj-pc-1 desktop trace) and pipeline (the lab
 * lua-policies/labs/pipeline.lua).  Their budgets are 75 % of their
 * parts' full-load draw, as in the default lab: race exceeds them, a
 * static split starves someone, a good allocator can serve the load.  Each runs
 * for its lab's duration at its lab's tick and seed unless --duration says
 * otherwise.  Same binary, same labs: the same tables, byte for byte.
 *
 * --lab FILE: the user's lab (sim drivers only: the virtual clock and the
 * seeded workloads) instead of the scenarios.  --load-scale LIST: one
 * table per scale of each lab, its sim workloads' demand times the scale
 * (the sim's load_scale); without it nothing is scaled.
 *
 * --with FILE.lua (up to BBENCH_MAX_WITH): a row per Lua policy file,
 * named by the file's base name without ".lua", after the built-in rows,
 * run exactly as they are (same labs, seeds and durations; the run API
 * with .policy = FILE).  Every file is loaded on every lab it will run on
 * before any table is printed.  A Lua row whose ticks failed (policy
 * errors, rejected decisions, ticks the built-in policy decided) gets a
 * `note:` line under its table.
 */
#ifndef WATTSON_BBENCH_H
#define WATTSON_BBENCH_H

#include <stddef.h>
#include <stdio.h>

#define BBENCH_MAX_WITH 8

/* lab_file: run that lab (sim drivers only) instead of the scenarios;
 * load_scale: "0.5,1,..." (NULL: the labs unscaled), one table per scale
 * and lab, the offered load of the sim workloads times it.
 * scenario: a name or NULL/"all"; duration_s <= 0: each lab's; with: n_with
 * Lua policy files for extra rows.  Tables on `out`, progress on stderr
 * when it is a terminal.  Returns 0; 2 for an unknown scenario, more than
 * BBENCH_MAX_WITH files, two rows of the same name, a bad scale list or
 * lab_file with scenario; 3 for a missing or bad scenario lab or lab_file
 * (or one with a driver other than the sim), a missing --with file or a
 * policy that fails to load;
 * or a run's exit code.  Errors are one line on stderr, before any table
 * when they are the command line's or a --with file's. */
int bbench_main(const char *scenario, const char *lab_file,
                const char *load_scale, double duration_s,
                const char *const *with, size_t n_with,
                const char **plugin_dirs, size_t n_dirs, int ed2p, FILE *out);

/* The trailing-mean window behind viol_s, exposed for tests: n slots of
 * per-tick power, allocated once; push allocates nothing and returns the
 * mean over the last min(pushed, n) values. */
struct bbench_window {
    double *v;
    size_t n, head, filled;
    double sum;
};
int bbench_window_init(struct bbench_window *w, size_t n);
double bbench_window_push(struct bbench_window *w, double x);
void bbench_window_free(struct bbench_window *w);

#endif
