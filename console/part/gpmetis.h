/*
 * gpmetis - METIS graph files (issue 15), read and written, so that a
 * model graph can go to METIS's programs (gpmetis, graphchk) and general
 * graphs can come back as an mgraph.  The format is the METIS 5 manual's
 * (section 4.1.1, "Graph file"):
 *
 *   % comment lines start with '%'
 *   n m [fmt [ncon]]
 *   [size] [w1 ... wncon] v1 [e1] v2 [e2] ...     (one line per vertex)
 *
 * n vertices, m undirected edges, each listed at both ends with 1-based
 * neighbours; fmt's three digits say whether vertex sizes, vertex weights
 * and edge weights are present (0, 1, 10, 11, 100, 101, 110 or 111,
 * leading zeros allowed); ncon, the number of weights per vertex (default
 * 1), only with vertex weights.  As METIS's own reader does, a blank line
 * is a vertex without neighbours; vertex sizes and weights are integers
 * >= 0, edge weights integers > 0.
 *
 * Writing an mgraph (fmt 011: vertex and edge weights; nodes in their
 * index order as vertices 1..n): METIS wants integers, and Debian's build
 * has a 32-bit idx_t, so every weight and each total must stay below 2^31
 * (a larger graph is refused, not wrapped):
 *   - vertex weight = the layer's compute: (fwd_ms + bwd_ms) x 1000, i.e.
 *     microseconds, when any node of the graph has a time (a NaN time
 *     counts 0); otherwise its FLOPs / 10^6 (MFLOP); rounded, and at least
 *     1 so that a layer profiled at 0.000 ms is not free to METIS and the
 *     total stays positive;
 *   - edge weight = the bytes the edge carries, the source node's
 *     act_bytes / 1024 (KiB), rounded, at least 1 (a NaN size counts 1);
 *     or the caller's own weights per edge.  The mgraph's edges are
 *     directed, METIS's are not: a -> b and b -> a become one edge whose
 *     weight is the sum.  A self-loop is refused (METIS has none).
 *
 * Reading a file into an mgraph: vertex i is node "vi" of kind "vertex";
 * gpmetis graphs have no direction, so each edge becomes lower index ->
 * higher index (a DAG, which mgraph_topo orders as the file's vertex
 * order); the first vertex weight, read back through the writer's scale,
 * becomes fwd_ms (weight / 1000; bwd_ms 0), NaN for both when the file
 * has no vertex weights; further weights (ncon > 1) are checked and not
 * kept; a vertex size goes to param_bytes as it stands (METIS's
 * migration cost; NaN when absent); act_bytes and flops are NaN; the edge
 * weights come back in an array parallel to g->edge (1 each when the
 * file has none).
 *
 * Errors are one line "FILE:LINE: message": a header that is not
 * "n m [fmt [ncon]]", fmt not one of the eight, vertex or edge counts not
 * matching the header, a neighbour out of range, a self-loop, a neighbour
 * listed twice, an edge listed at one end only or with two weights, a
 * weight or size that is not an integer in range.  The graph is left
 * empty on an error.
 */
#ifndef WATTSON_GPMETIS_H
#define WATTSON_GPMETIS_H

#include <stddef.h>
#include <stdio.h>

struct mgraph;

/* Reads `len` bytes (no NUL needed) into g (initialised by the call; its
 * name from fname); with ewgt non-NULL, *ewgt gets a malloc'd array of
 * g->n_edges edge weights (the caller frees it).  0, or -1 with err set,
 * g empty and *ewgt NULL. */
int gpmetis_read_buf(const char *text, size_t len, const char *fname,
                     struct mgraph *g, long long **ewgt, char *err,
                     size_t errlen);

/* gpmetis_read_buf on the file at `path` (at most 256 MiB). */
int gpmetis_read_file(const char *path, struct mgraph *g, long long **ewgt,
                      char *err, size_t errlen);

/* Writes g as a METIS graph to f (see above); ewgt: a weight per g->edge,
 * or NULL for the activation bytes.  0, or -1 with err set (nothing
 * written then, unless f failed part way). */
int gpmetis_write(FILE *f, const struct mgraph *g, const long long *ewgt,
                  char *err, size_t errlen);

/* The same into `path`, replaced atomically (core/safefile.h): the old
 * file stays as it was on any error. */
int gpmetis_write_file(const char *path, const struct mgraph *g,
                       const long long *ewgt, char *err, size_t errlen);

#endif
