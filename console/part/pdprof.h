/*
 * pdprof - PipeDream profiles (issue 15): the per-layer graphs PipeDream's
 * profiler writes (../shared/data/pipedream-profiles/), read into an
 * mgraph.
 *
 *   node13 -- Conv2d(64, 64, kernel_size=(3, 3), ...) -- METRICS
 *   <TAB>node13 -- node14
 *
 * with METRICS "forward_compute_time=3.852, backward_compute_time=9.775,
 * activation_size=205520896.000, parameter_size=147456.000" (one line).
 *
 * A node line is an id, the layer's description and its metrics, joined
 * by " -- "; PipeDream's own reader (graph/graph.py, Node.from_str) also
 * takes a fourth field "stage_id=N" after the metrics, which is accepted
 * and not kept.  The description may itself hold " -- ", commas and
 * parentheses: it runs from the first separator to the one before the
 * metrics.  An edge line is "FROM -- TO", indented by a tab in PipeDream's
 * files (its reader tells the two kinds apart by that tab); here an edge
 * line without the tab is taken too, and edges may name nodes defined
 * further down.
 *
 * What lands in the graph: name = the id ("node13"), kind = the
 * description up to its first '(' ("Conv2d", "ReLU", "Add", "LSTM",
 * "__getitem__"; GNMT's numbered inputs "Input0", "Input1" become
 * "Input"), fwd_ms and bwd_ms, act_bytes, param_bytes, line; flops NaN
 * (a profile has none).  A layer with several outputs lists them,
 * "activation_size=[6291456.0; 131072.0; 131072.0]", and its act_bytes is
 * their sum, as PipeDream's reader takes it.  The metrics may come in any
 * order; each of the four is needed once.
 *
 * Batch: PipeDream's profiles do not say the batch size they were taken
 * at (the profiler's command line chose it), so g->batch stays NaN; the
 * times and activation sizes are per batch of that unknown size.
 *
 * Errors are one line "FILE:LINE: message": a malformed line, a missing,
 * repeated or unknown metric, a negative or non-finite number, a node
 * defined twice, an edge naming a node that is never defined, a cycle
 * (the line of a node on it).  On an error the graph is left empty.
 */
#ifndef WATTSON_PDPROF_H
#define WATTSON_PDPROF_H

#include <stddef.h>

struct mgraph;

/* Reads `len` bytes of profile text (no NUL needed) into g, which the
 * call initialises (mgraph_init); fname names the text in messages and
 * g->name takes its base name without ".txt".  0, or -1 with err set and
 * g empty. */
int pdprof_read_buf(const char *text, size_t len, const char *fname,
                    struct mgraph *g, char *err, size_t errlen);

/* pdprof_read_buf on the file at `path` (at most 64 MiB). */
int pdprof_read_file(const char *path, struct mgraph *g, char *err,
                     size_t errlen);

#endif
