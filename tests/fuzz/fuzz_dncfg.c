/*
 * fuzz_dncfg - libFuzzer target for the Darknet cfg reader
 * (console/part/dncfg.c), which is fed whatever model file a user names.
 * Every input must be accepted or refused with one line "fuzz.cfg:...",
 * never a crash; a refused input leaves no graph; an accepted one has a
 * layer per node with a positive shape within DNCFG_MAX_ELEMS, finite
 * non-negative costs, edges only from earlier layers (Darknet's order is
 * topological) and a topological order mgraph agrees exists.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "part/dncfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mgraph g;
    char err[256];
    err[0] = '\0';
    if (dncfg_read_buf((const char *)data, size, "fuzz.cfg", &g, err,
                       sizeof err)) {
        if (strncmp(err, "fuzz.cfg:", 9) != 0 || strchr(err, '\n'))
            abort(); /* one line naming the file */
        if (g.n || g.node || g.n_edges || g.edge)
            abort(); /* nothing half-built */
        return 0;
    }
    if (g.n == 0 || err[0])
        abort();
    for (size_t i = 0; i < g.n; i++) {
        const struct mgraph_node *nd = &g.node[i];
        const double elems = (double)nd->out_c * nd->out_h * nd->out_w;
        if (nd->out_c < 1 || nd->out_h < 1 || nd->out_w < 1 ||
            elems > (double)DNCFG_MAX_ELEMS || nd->act_bytes != 4 * elems)
            abort();
        if (!isfinite(nd->flops) || nd->flops < 0 ||
            !isfinite(nd->param_bytes) || nd->param_bytes < 0)
            abort();
    }
    for (size_t e = 0; e < g.n_edges; e++)
        if (g.edge[e][0] >= g.edge[e][1])
            abort();
    uint32_t *order = malloc(g.n * sizeof *order);
    if (!order || mgraph_topo(&g, order, err, sizeof err) != 0)
        abort();
    free(order);
    mgraph_free(&g);
    return 0;
}
