/*
 * fuzz_gpmetis - libFuzzer target for the METIS graph reader
 * (console/part/gpmetis.c): any bytes are either a graph that keeps the
 * reader's promises (edges lower index first, one weight per edge, all
 * >= 1, a DAG) and that the writer can write again, or refused with one
 * line naming the file, the graph left empty; never a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/gpmetis.h"
#include "part/mgraph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mgraph g;
    long long *ew;
    char err[256];

    if (gpmetis_read_buf((const char *)data, size, "fuzz.graph", &g, &ew, err,
                         sizeof err) == 0) {
        if (!ew)
            abort();
        for (size_t e = 0; e < g.n_edges; e++)
            if (g.edge[e][0] >= g.edge[e][1] || g.edge[e][1] >= g.n ||
                ew[e] < 1)
                abort();
        uint32_t *order = malloc((g.n ? g.n : 1) * sizeof *order);
        if (order && mgraph_topo(&g, order, err, sizeof err) != 0)
            abort();
        free(order);
        /* what was read can be written, unless it has no vertices or its
         * weights add up past what METIS holds (each alone fits) */
        FILE *f = fopen("/dev/null", "w");
        if (f && g.n > 0 && gpmetis_write(f, &g, ew, err, sizeof err) != 0 &&
            !strstr(err, "past METIS's limit"))
            abort();
        if (f)
            fclose(f);
        free(ew);
        mgraph_free(&g);
    } else if (memchr(err, '\n', strlen(err)) ||
               strncmp(err, "fuzz.graph", 10) != 0 || g.n != 0 || g.node ||
               g.edge || ew) {
        abort();
    }
    return 0;
}
