/*
 * bbench - `wattson bench broker [--duration D] [--scenario NAME | --lab
 * FILE] [--with FILE.lua]... [--load-scale LIST] [--ed2p]`: every
 * baseline governor (policies/governors.h: static, ondemand, conservative,
 * schedutil, race) and the predictive broker (broker, and perfect-forecast: the
 * broker fed the simulation's true next-tick demand) run headless on the
 * virtual clock on the same seeded scenario labs, through the public run
 * API, one table per scenario:
 *
 *   energy_J     the summary's energy_j
 *   J/Gop        energy_J per 10^9 ops served (all PUs' ops added)
 *   E_fix_J      fixed-job energy: energy_J + e_min x the work left
 *                unserved at the end, per PU (e_min: the PU's cheapest
 *                J per op, bound.h), so every row pays for the same work;
 *                a chain-fed PU's work is counted against the bound's
 *                envelope (what the source sent, times the ratios)
 *   mean_ms      each PU's sum wait / sum served, averaged over the PUs
 *                that served work (not pooled: a GPU's op count would
 *                drown the cores')
 *   wmean_ms     the pooled one, weighted by work: all PUs' sum wait /
 *                all PUs' sum served
 *   p99max_ms    the worst PU's `latency_p99` signal at the end ("n/a"
 *                where the driver has no such signal)
 *   EDP_fix      E_fix_J x mean_ms (in s), J·s; ED2P_fix (--ed2p) x
 *                mean_ms once more, J·s²
 *   misses       deadline misses (arrival batches served late)
 *   viol_s       seconds during which the trailing 1 s mean of the PUs'
 *                total power exceeded budget_w (a ring of per-tick power;
 *                from the first tick whose interval a policy decided: the
 *                run's first interval runs on the drivers' start values)
 *   E/bound      E_fix_J over the table's energy bound (engines/bound.h:
 *                no policy's E_fix_J is below it)
 *   EDP/bound    EDP_fix over bound x the least mean latency (each PU's
 *                work served at its top clock from arrival, FIFO; 0 for
 *                a chain-fed PU): a lower bound on the EDP of any policy
 *                that serves all its work (a row that leaves work
 *                unserved counts no latency for it)
 *   EDP/sched    EDP_fix over schedutil's in the same table
 *
 * Under each table: `bound` (no deadlines; <= every row's E_fix_J) and
 * `bound-dl` (every deadline met; <= E_fix_J of every row whose service
 * met them, counted from its recorded service), each with its primal
 * schedule's energy and the optimality gap, each checked against the
 * rows ("yes"/"NO"); whether their own power ever exceeds the budget
 * (never: the budget would not raise them; else they relax it); on a lab
 * with chains, the PUs fed by one.  Each run records its per-PU per-tick
 * arrivals and service into arrays allocated before its first tick.
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
 * Lua policy files for extra rows; ed2p: the ED2P_fix column too.  Tables on
 * `out`, progress on stderr when it is a terminal.  Returns 0; 2 for an unknown
 * scenario, more than BBENCH_MAX_WITH files, two rows of the same name, a bad
 * scale list or lab_file with scenario; 3 for a missing or bad scenario lab or
 * lab_file (or one with a driver other than the sim), a missing --with file or
 * a policy that fails to load; or a run's exit code.  Errors are one line on
 * stderr, before any table when they are the command line's or a --with file's.
 */
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
