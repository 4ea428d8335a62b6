/*
 * mgraph - see mgraph.h.
 */
#include "part/mgraph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mgraph_init(struct mgraph *g)
{
    memset(g, 0, sizeof *g);
    g->batch = NAN;
    g->in_bytes = NAN;
}

void mgraph_free(struct mgraph *g)
{
    free(g->node);
    free(g->edge);
    free(g->eh);
    mgraph_init(g);
}

long mgraph_add(struct mgraph *g, const struct mgraph_node *nd)
{
    if (g->n == g->cap) {
        const size_t cap = g->cap ? 2 * g->cap : 64;
        struct mgraph_node *p = realloc(g->node, cap * sizeof *p);
        if (!p)
            return -1;
        g->node = p;
        g->cap = cap;
    }
    struct mgraph_node *d = &g->node[g->n];
    *d = *nd;
    d->name[MGRAPH_NAME - 1] = '\0';
    d->kind[MGRAPH_KIND - 1] = '\0';
    return (long)g->n++;
}

long mgraph_find(const struct mgraph *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->node[i].name, name) == 0)
            return (long)i;
    return -1;
}

static size_t mgraph_hash(uint32_t from, uint32_t to, size_t cap)
{
    uint64_t h = ((uint64_t)from << 32 | to) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

/* The slot of (from, to) in the index: where it is, or the empty slot it
 * would go to. */
static size_t mgraph_slot(const struct mgraph *g, uint32_t from, uint32_t to)
{
    size_t k = mgraph_hash(from, to, g->eh_cap);
    while (g->eh[k] && !(g->edge[g->eh[k] - 1][0] == from &&
                         g->edge[g->eh[k] - 1][1] == to))
        k = (k + 1) & (g->eh_cap - 1);
    return k;
}

/* Makes room for one more edge in the array and the index. */
static int mgraph_edge_room(struct mgraph *g)
{
    if (g->n_edges < g->cap_edges)
        return 0;
    const size_t cap = g->cap_edges ? 2 * g->cap_edges : 64;
    uint32_t(*p)[2] = realloc(g->edge, cap * sizeof *p);
    if (!p)
        return -1;
    g->edge = p;
    g->cap_edges = cap;
    uint32_t *eh = calloc(2 * cap, sizeof *eh);
    if (!eh)
        return -1;
    free(g->eh);
    g->eh = eh;
    g->eh_cap = 2 * cap;
    for (size_t e = 0; e < g->n_edges; e++)
        g->eh[mgraph_slot(g, g->edge[e][0], g->edge[e][1])] = (uint32_t)e + 1;
    return 0;
}

int mgraph_edge(struct mgraph *g, uint32_t from, uint32_t to)
{
    if (from >= g->n || to >= g->n)
        return -1;
    if (g->eh && g->eh[mgraph_slot(g, from, to)])
        return 0;
    if (mgraph_edge_room(g) != 0)
        return -1;
    g->edge[g->n_edges][0] = from;
    g->edge[g->n_edges][1] = to;
    g->eh[mgraph_slot(g, from, to)] = (uint32_t)g->n_edges + 1;
    g->n_edges++;
    return 0;
}

int mgraph_topo(const struct mgraph *g, uint32_t *order, char *err,
                size_t errlen)
{
    const size_t n = g->n;
    uint32_t *indeg = calloc(n ? n : 1, sizeof *indeg);
    if (!indeg) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t e = 0; e < g->n_edges; e++)
        indeg[g->edge[e][1]]++;
    /* Kahn's algorithm, taking the lowest ready index each time: O(n^2 +
     * n e) at worst, fine for the thousands of layers models have, and
     * the same order every run */
    size_t done = 0;
    uint8_t *taken = calloc(n ? n : 1, 1);
    if (!taken) {
        free(indeg);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    while (done < n) {
        size_t pick = n;
        for (size_t i = 0; i < n; i++)
            if (!taken[i] && indeg[i] == 0) {
                pick = i;
                break;
            }
        if (pick == n)
            break;
        taken[pick] = 1;
        order[done++] = (uint32_t)pick;
        for (size_t e = 0; e < g->n_edges; e++)
            if (g->edge[e][0] == pick)
                indeg[g->edge[e][1]]--;
    }
    int rc = 0;
    if (done < n) {
        /* every node left waits on another left; walking back along
         * edges between them for n steps ends on a cycle: name that node */
        size_t cur = 0;
        while (cur < n && taken[cur])
            cur++;
        for (size_t k = 0; k < n; k++)
            for (size_t e = 0; e < g->n_edges; e++)
                if (g->edge[e][1] == cur && !taken[g->edge[e][0]]) {
                    cur = g->edge[e][0];
                    break;
                }
        snprintf(err, errlen, "the graph has a cycle through '%s' (line %u)",
                 g->node[cur].name, g->node[cur].line);
        rc = -1;
    }
    free(indeg);
    free(taken);
    return rc;
}
