/*
 * test_mgraph - the layer graph (console/part/mgraph.c): nodes and edges
 * grow past their first allocation, names are found, duplicate edges are
 * kept once, bad indices refused, the topological order is deterministic
 * and respects every edge, and a cycle is refused naming a node on it
 * (not one merely behind it).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "part/mgraph.h"
#include "t.h"

static long add(struct mgraph *g, const char *name, unsigned line)
{
    struct mgraph_node nd = {.fwd_ms = NAN, .bwd_ms = NAN, .flops = NAN};
    snprintf(nd.name, sizeof nd.name, "%s", name);
    snprintf(nd.kind, sizeof nd.kind, "test");
    nd.line = line;
    return mgraph_add(g, &nd);
}

static void test_grow_and_order(void)
{
    struct mgraph g;
    mgraph_init(&g);
    T_CHECK(isnan(g.batch));
    char name[32];
    /* a chain of 200 with a skip edge every 10 layers, added backwards so
     * the order has to be worked out */
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "n%d", 199 - i);
        T_CHECK(add(&g, name, (unsigned)i + 1) == i);
    }
    for (int i = 0; i < 199; i++) {
        long a = mgraph_find(&g, (snprintf(name, sizeof name, "n%d", i), name));
        long b =
            mgraph_find(&g, (snprintf(name, sizeof name, "n%d", i + 1), name));
        T_CHECK(a >= 0 && b >= 0 &&
                mgraph_edge(&g, (uint32_t)a, (uint32_t)b) == 0);
        if (i % 10 == 0 && i + 5 < 200) {
            long c = mgraph_find(
                &g, (snprintf(name, sizeof name, "n%d", i + 5), name));
            T_CHECK(mgraph_edge(&g, (uint32_t)a, (uint32_t)c) == 0);
        }
    }
    const size_t ne = g.n_edges;
    T_CHECK(mgraph_edge(&g, 199, 198) == 0 && g.n_edges == ne); /* dup */
    T_CHECK(mgraph_edge(&g, 0, 200) == -1 && mgraph_edge(&g, 200, 0) == -1);
    T_CHECK(mgraph_find(&g, "nosuch") == -1);
    static uint32_t order[200], pos[200];
    char err[128] = "";
    T_CHECK(mgraph_topo(&g, order, err, sizeof err) == 0);
    for (uint32_t k = 0; k < 200; k++)
        pos[order[k]] = k;
    int ok = 1;
    for (size_t e = 0; e < g.n_edges; e++)
        ok &= pos[g.edge[e][0]] < pos[g.edge[e][1]];
    T_CHECK(ok);
    T_CHECK(strcmp(g.node[order[0]].name, "n0") == 0);
    T_CHECK(strcmp(g.node[order[199]].name, "n199") == 0);
    mgraph_free(&g);
    T_CHECK(g.n == 0 && g.node == NULL);
}

static void test_cycle(void)
{
    /* a -> b -> c -> b, c -> d: b and c are on the cycle, d behind it */
    struct mgraph g;
    mgraph_init(&g);
    add(&g, "d", 1);
    add(&g, "a", 2);
    add(&g, "b", 3);
    add(&g, "c", 4);
    mgraph_edge(&g, 1, 2);
    mgraph_edge(&g, 2, 3);
    mgraph_edge(&g, 3, 2);
    mgraph_edge(&g, 3, 0);
    uint32_t order[4];
    char err[128] = "";
    T_CHECK(mgraph_topo(&g, order, err, sizeof err) == -1);
    T_CHECK(strstr(err, "cycle through 'b' (line 3)") ||
            strstr(err, "cycle through 'c' (line 4)"));
    if (!strstr(err, "cycle through"))
        fprintf(stderr, "  %s\n", err);
    mgraph_free(&g);
}

int main(void)
{
    test_grow_and_order();
    test_cycle();
    return t_done("test_mgraph");
}
