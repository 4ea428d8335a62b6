/*
 * dncfg_dump - prints what the Darknet cfg reader (console/part/dncfg.c)
 * computes for one file, for tests/part/darknet_flops.sh to hold against
 * Darknet's own printout: a line "INDEX KIND W H C FLOPS" per layer, then
 * "total FLOPS" summed over the layers `darknet ops` counts
 * (convolutional and connected).  On a refused file, the reader's one
 * line on stderr and exit 1.
 */
#include <stdio.h>
#include <string.h>

#include "part/dncfg.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: dncfg_dump FILE.cfg\n");
        return 2;
    }
    struct mgraph g;
    char err[256];
    if (dncfg_read_file(argv[1], &g, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    double total = 0;
    for (size_t i = 0; i < g.n; i++) {
        const struct mgraph_node *nd = &g.node[i];
        printf("%s %s %d %d %d %.0f\n", nd->name, nd->kind, nd->out_w,
               nd->out_h, nd->out_c, nd->flops);
        if (!strcmp(nd->kind, "convolutional") ||
            !strcmp(nd->kind, "connected"))
            total += nd->flops;
    }
    printf("total %.0f\n", total);
    mgraph_free(&g);
    return 0;
}
