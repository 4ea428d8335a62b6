/*
 * fuzz_pdprof - libFuzzer target for the PipeDream profile reader
 * (console/part/pdprof.c): any bytes are either a graph that keeps the
 * reader's promises (non-negative finite numbers, edges between existing
 * nodes, a DAG) or refused with one line naming the file, the graph left
 * empty; never a crash.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "part/mgraph.h"
#include "part/pdprof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mgraph g;
    char err[256];

    if (pdprof_read_buf((const char *)data, size, "fuzz.txt", &g, err,
                        sizeof err) == 0) {
        if (g.n == 0)
            abort();
        for (size_t i = 0; i < g.n; i++) {
            const struct mgraph_node *nd = &g.node[i];
            if (!(nd->fwd_ms >= 0 && nd->bwd_ms >= 0 && nd->act_bytes >= 0 &&
                  nd->param_bytes >= 0) ||
                !isfinite(nd->fwd_ms + nd->bwd_ms + nd->param_bytes) ||
                !isfinite(nd->act_bytes) || !nd->kind[0] || !nd->name[0])
                abort();
        }
        for (size_t e = 0; e < g.n_edges; e++)
            if (g.edge[e][0] >= g.n || g.edge[e][1] >= g.n ||
                g.edge[e][0] == g.edge[e][1])
                abort();
        uint32_t *order = malloc(g.n * sizeof *order);
        if (order && mgraph_topo(&g, order, err, sizeof err) != 0)
            abort();
        free(order);
        mgraph_free(&g);
    } else if (memchr(err, '\n', strlen(err)) ||
               strncmp(err, "fuzz.txt", 8) != 0 || g.n != 0 || g.node ||
               g.edge) {
        abort();
    }
    return 0;
}
