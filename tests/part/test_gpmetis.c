/*
 * test_gpmetis - METIS graph files (console/part/gpmetis.c): the METIS 5
 * manual's example graph in its four forms reads as the manual draws it;
 * every shared PipeDream profile written and read back keeps its vertex
 * count, its undirected edge set and its weights (as the writer's scales
 * say), and writing what was read gives the same text; the atomic file
 * write; each bad file with its exact one-line message, the graph left
 * empty; the graphs the writer refuses.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "part/gpmetis.h"
#include "part/mgraph.h"
#include "part/pdprof.h"
#include "t.h"

/* The METIS 5.1.0 manual, section 4.1.1 "Graph file", figure 2: one
 * graph of 7 vertices and 11 edges, (a) without weights, (b) with edge
 * weights, (c) with vertex and edge weights, (d) with three weights per
 * vertex (fmt 010, ncon 3). */
static const char manual_a[] = "7 11\n"
                               "5 3 2\n"
                               "1 3 4\n"
                               "5 4 2 1\n"
                               "2 3 6 7\n"
                               "1 3 6\n"
                               "5 4 7\n"
                               "6 4\n";
static const char manual_b[] = "7 11 1\n"
                               "5 1 3 2 2 1\n"
                               "1 1 3 2 4 1\n"
                               "5 3 4 2 2 2 1 2\n"
                               "2 1 3 2 6 2 7 5\n"
                               "1 1 3 3 6 2\n"
                               "5 2 4 2 7 6\n"
                               "6 6 4 5\n";
static const char manual_c[] = "% the manual's (c)\n"
                               "7 11 011\n"
                               "4 5 1 3 2 2 1\n"
                               "2 1 1 3 2 4 1\n"
                               "5 5 3 4 2 2 2 1 2\n"
                               "3 2 1 3 2 6 2 7 5\n"
                               "1 1 1 3 3 6 2\n"
                               "6 5 2 4 2 7 6\n"
                               "2 6 6 4 5\n";
static const char manual_d[] = "7 11 10 3\n"
                               "1 2 0 5 3 2\n"
                               "0 2 2 1 3 4\n"
                               "4 1 1 5 4 2 1\n"
                               "2 2 3 2 3 6 7\n"
                               "1 1 1 1 3 6\n"
                               "2 2 1 5 4 7\n"
                               "1 2 1 6 4\n";

/* The manual's edges (1-based, lower end first) and (b)/(c)'s weights. */
static const unsigned manual_edges[11][3] = {
    {1, 2, 1}, {1, 3, 2}, {1, 5, 1}, {2, 3, 2}, {2, 4, 1}, {3, 4, 2},
    {3, 5, 3}, {4, 6, 2}, {4, 7, 5}, {5, 6, 2}, {6, 7, 6}};

static void check_manual(const char *text, const char *name, int edge_wgt,
                         const double *vw_ms)
{
    struct mgraph g;
    long long *ew;
    char err[256] = "";
    T_CHECK(gpmetis_read_buf(text, strlen(text), name, &g, &ew, err,
                             sizeof err) == 0);
    if (err[0])
        fprintf(stderr, "  %s\n", err);
    T_CHECK(g.n == 7 && g.n_edges == 11 && ew != NULL);
    if (g.n != 7 || g.n_edges != 11 || !ew) {
        mgraph_free(&g);
        free(ew);
        return;
    }
    T_STREQ(g.node[0].name, "v1");
    T_STREQ(g.node[6].kind, "vertex");
    for (int k = 0; k < 11; k++) {
        int found = 0;
        for (size_t e = 0; e < g.n_edges; e++)
            if (g.edge[e][0] + 1 == manual_edges[k][0] &&
                g.edge[e][1] + 1 == manual_edges[k][1]) {
                found = 1;
                T_CHECK(ew[e] == (edge_wgt ? manual_edges[k][2] : 1));
            }
        T_CHECK(found);
    }
    for (int i = 0; i < 7; i++) {
        if (vw_ms)
            T_CHECK(g.node[i].fwd_ms == vw_ms[i] && g.node[i].bwd_ms == 0);
        else
            T_CHECK(isnan(g.node[i].fwd_ms) && isnan(g.node[i].bwd_ms));
        T_CHECK(isnan(g.node[i].act_bytes) && isnan(g.node[i].flops));
    }
    uint32_t order[7];
    T_CHECK(mgraph_topo(&g, order, err, sizeof err) == 0);
    mgraph_free(&g);
    free(ew);
}

static void test_manual(void)
{
    static const double c_ms[7] = {0.004, 0.002, 0.005, 0.003,
                                   0.001, 0.006, 0.002};
    static const double d_ms[7] = {0.001, 0, 0.004, 0.002, 0.001, 0.002, 0.001};
    check_manual(manual_a, "a.graph", 0, NULL);
    check_manual(manual_b, "b.graph", 1, NULL);
    check_manual(manual_c, "c.graph", 1, c_ms);
    check_manual(manual_d, "d.graph", 0, d_ms);
    /* vertex sizes (fmt 100) land in param_bytes; blank lines are vertices
     * without edges; CRLF and comments anywhere */
    static const char sized[] = "%x\r\n3 1 100\r\n7 2\r\n%y\r\n0 1\r\n5\r\n";
    struct mgraph g;
    char err[256] = "";
    T_CHECK(gpmetis_read_buf(sized, sizeof sized - 1, "s.graph", &g, NULL, err,
                             sizeof err) == 0);
    if (err[0])
        fprintf(stderr, "  %s\n", err);
    T_CHECK(g.n == 3 && g.n_edges == 1 && g.node[0].param_bytes == 7 &&
            g.node[1].param_bytes == 0 && g.node[2].line == 6);
    T_STREQ(g.name, "s");
    mgraph_free(&g);
    static const char blank[] = "3 1\n2\n1\n \t\n\n\n";
    T_CHECK(gpmetis_read_buf(blank, sizeof blank - 1, "b", &g, NULL, err,
                             sizeof err) == 0);
    T_CHECK(g.n == 3 && g.n_edges == 1 && g.node[2].line == 4);
    mgraph_free(&g);
}

static const char *const profiles[] = {
    "alexnet",  "densenet121", "gnmt",          "inception_v3",
    "resnet18", "resnet50",    "squeezenet1_0", "vgg16"};

/* An undirected edge with its weight, lower index first. */
struct uedge {
    uint32_t a, b;
    long long w;
};

static int uedge_cmp(const void *x, const void *y)
{
    const struct uedge *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return p->b < q->b ? -1 : p->b > q->b;
}

static long long scaled(double x)
{
    const long long r = llround(x);
    return r < 1 ? 1 : r;
}

/* The text after the writer's two comment lines. */
static const char *body(const char *text)
{
    const char *p = strchr(text, '\n');
    p = p ? strchr(p + 1, '\n') : NULL;
    return p ? p + 1 : "";
}

static void round_trip(const char *path, const char *model)
{
    struct mgraph g, h;
    char err[256] = "";
    if (pdprof_read_file(path, &g, err, sizeof err) != 0) {
        T_CHECK(0);
        fprintf(stderr, "  %s\n", err);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    T_CHECK(f && gpmetis_write(f, &g, NULL, err, sizeof err) == 0);
    if (f)
        fclose(f);
    long long *ew = NULL;
    const int rc = gpmetis_read_buf(text, len, model, &h, &ew, err, sizeof err);
    T_CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        free(text);
        mgraph_free(&g);
        return;
    }
    T_CHECK(h.n == g.n);
    int vw_ok = 1;
    for (size_t i = 0; i < g.n && i < h.n; i++)
        vw_ok &= llround(h.node[i].fwd_ms * 1000) ==
                 scaled(1000 * (g.node[i].fwd_ms + g.node[i].bwd_ms));
    T_CHECK(vw_ok);

    /* the undirected edge set, parallel edges merged, weights in KiB */
    struct uedge *want = malloc((g.n_edges + 1) * sizeof *want);
    struct uedge *got = malloc((h.n_edges + 1) * sizeof *got);
    size_t nw = 0;
    for (size_t e = 0; e < g.n_edges; e++) {
        const uint32_t a = g.edge[e][0], b = g.edge[e][1];
        want[nw++] = (struct uedge){a < b ? a : b, a < b ? b : a,
                                    scaled(g.node[a].act_bytes / 1024)};
    }
    qsort(want, nw, sizeof *want, uedge_cmp);
    size_t m = 0;
    for (size_t i = 0; i < nw; i++)
        if (m && want[m - 1].a == want[i].a && want[m - 1].b == want[i].b)
            want[m - 1].w += want[i].w;
        else
            want[m++] = want[i];
    for (size_t e = 0; e < h.n_edges; e++) {
        T_CHECK(h.edge[e][0] < h.edge[e][1]);
        got[e] = (struct uedge){h.edge[e][0], h.edge[e][1], ew[e]};
    }
    qsort(got, h.n_edges, sizeof *got, uedge_cmp);
    T_CHECK(h.n_edges == m);
    T_CHECK(h.n_edges == m && memcmp(got, want, m * sizeof *got) == 0);
    fprintf(stderr,
            "  %-14s %4zu vertices %4zu undirected edges (%zu directed)\n",
            model, h.n, h.n_edges, g.n_edges);

    /* what was read, written again, is the same graph text */
    char *again = NULL;
    size_t alen = 0;
    f = open_memstream(&again, &alen);
    T_CHECK(f && gpmetis_write(f, &h, ew, err, sizeof err) == 0);
    if (f)
        fclose(f);
    T_STREQ(body(again), body(text));
    free(again);
    free(want);
    free(got);
    free(ew);
    free(text);
    mgraph_free(&g);
    mgraph_free(&h);
}

static void test_round_trip(void)
{
    const char *d = getenv("WATTSON_SHARED_DATA");
    char path[512];
    d = d && *d ? d : "../shared/data";
    snprintf(path, sizeof path, "%s/pipedream-profiles/resnet18.txt", d);
    if (access(path, R_OK) != 0) {
        t_skip("gpmetis: no shared profiles at %s", path);
        return;
    }
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        snprintf(path, sizeof path, "%s/pipedream-profiles/%s.txt", d,
                 profiles[i]);
        round_trip(path, profiles[i]);
    }
}

static long add(struct mgraph *g, const char *name, double ms, double flops,
                double act)
{
    struct mgraph_node nd = {
        .fwd_ms = ms, .bwd_ms = NAN, .flops = flops, .act_bytes = act};
    snprintf(nd.name, sizeof nd.name, "%s", name);
    snprintf(nd.kind, sizeof nd.kind, "t");
    nd.line = (unsigned)g->n + 1;
    return mgraph_add(g, &nd);
}

static void test_write(void)
{
    struct mgraph g;
    char err[256] = "", *text = NULL;
    size_t len = 0;
    /* no times: FLOPs in MFLOP; a -> b and b -> a merged (their sum) */
    mgraph_init(&g);
    snprintf(g.name, sizeof g.name, "tiny");
    add(&g, "a", NAN, 2.4e6, 4096);
    add(&g, "b", NAN, 0, 100);
    add(&g, "c", NAN, NAN, NAN);
    mgraph_edge(&g, 0, 1);
    mgraph_edge(&g, 1, 0);
    mgraph_edge(&g, 1, 2);
    FILE *f = open_memstream(&text, &len);
    T_CHECK(gpmetis_write(f, &g, NULL, err, sizeof err) == 0);
    fclose(f);
    T_STREQ(text, "% tiny: 3 layers written by wattson "
                  "(console/part/gpmetis.c)\n"
                  "% vertex weight: forward MFLOP, at least 1; edge weight: "
                  "KiB of activation carried, at least 1\n"
                  "3 2 011\n"
                  "2 2 5\n"
                  "1 1 5 3 1\n"
                  "1 2 1\n");
    free(text);

    /* refused: a self-loop, a weight past 2^31 - 1, a bad given weight,
     * no nodes; nothing written */
    static const long long zero[3] = {0, 1, 1};
    T_CHECK(gpmetis_write(stdout, &g, zero, err, sizeof err) == -1);
    T_STREQ(err, "tiny:1: edge 'a' -> 'b': weight not in 1..2147483647");
    g.node[2].flops = 3e15;
    T_CHECK(gpmetis_write(stdout, &g, NULL, err, sizeof err) == -1);
    T_STREQ(err, "tiny:3: node 'c': vertex weights past METIS's limit "
                 "2147483647");
    g.node[2].flops = NAN;
    mgraph_edge(&g, 2, 2);
    T_CHECK(gpmetis_write(stdout, &g, NULL, err, sizeof err) == -1);
    T_STREQ(err, "tiny:3: node 'c' has an edge to itself, which METIS cannot "
                 "take");
    mgraph_free(&g);
    T_CHECK(gpmetis_write(stdout, &g, NULL, err, sizeof err) == -1);
    T_STREQ(err, "graph: no nodes to write");

    /* to a path: atomically, the old file kept when a write is refused */
    char dir[] = "/tmp/wattson-gpmetis-XXXXXX", path[64];
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/m.graph", dir);
    mgraph_init(&g);
    add(&g, "a", 1.5, NAN, 1 << 20);
    add(&g, "b", 0.0004, NAN, 0);
    mgraph_edge(&g, 0, 1);
    T_CHECK(gpmetis_write_file(path, &g, NULL, err, sizeof err) == 0);
    struct mgraph h;
    long long *ew;
    T_CHECK(gpmetis_read_file(path, &h, &ew, err, sizeof err) == 0);
    T_CHECK(h.n == 2 && h.n_edges == 1 && ew && ew[0] == 1024 &&
            h.node[0].fwd_ms == 1.5 && h.node[1].fwd_ms == 0.001);
    T_STREQ(h.name, "m");
    mgraph_free(&h);
    free(ew);
    mgraph_edge(&g, 1, 1);
    T_CHECK(gpmetis_write_file(path, &g, NULL, err, sizeof err) == -1);
    T_CHECK(gpmetis_read_file(path, &h, NULL, err, sizeof err) == 0 &&
            h.n == 2);
    mgraph_free(&h);
    T_CHECK(t_dir_entries(dir) == 1);
    mgraph_free(&g);
    unlink(path);
    rmdir(dir);
}

static void test_bad_input(void)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"", "t.graph: no header line 'n m [fmt [ncon]]'"},
        {"% only a comment\n\n", "t.graph: no header line 'n m [fmt [ncon]]'"},
        {"3\n", "t.graph:1: header '3' is not 'n m [fmt [ncon]]' (counts up "
                "to 2147483647)"},
        {"3 x\n", "t.graph:1: header '3 x' is not 'n m [fmt [ncon]]' (counts "
                  "up to 2147483647)"},
        {"1 0 1 1 1\n", "t.graph:1: header '1 0 1 1 1' is not 'n m [fmt "
                        "[ncon]]' (counts up to 2147483647)"},
        {"-1 0\n", "t.graph:1: header '-1 0' is not 'n m [fmt [ncon]]' "
                   "(counts up to 2147483647)"},
        {"2 1 2\n", "t.graph:1: fmt '2' is not one of 0, 1, 10, 11, 100, 101, "
                    "110, 111"},
        {"2 1 0011\n", "t.graph:1: fmt '0011' is not one of 0, 1, 10, 11, "
                       "100, 101, 110, 111"},
        {"2 1 1 2\n", "t.graph:1: ncon given but fmt '1' has no vertex "
                      "weights"},
        {"2 1 10 0\n", "t.graph:1: ncon '0' is not a number of weights in "
                       "1..1024"},
        {"3 1\n2\n1\n", "t.graph:1: the header says 3 vertices, the file has "
                        "2 vertex lines"},
        {"2 1\n2\n1\n1\n", "t.graph:4: more vertex lines than the header's 2 "
                           "(line 1)"},
        {"3 2\n2\n1\n\n", "t.graph:1: the header says 2 edges, the vertex "
                          "lines list 1"},
        {"2 1\n3\n1\n", "t.graph:2: vertex 1's neighbour '3' is not in 1..2"},
        {"2 1\n0\n1\n", "t.graph:2: vertex 1's neighbour '0' is not in 1..2"},
        {"2 1\n2\n1 x\n", "t.graph:3: vertex 2's neighbour 'x' is not in 1..2"},
        {"2 1\n2 1\n1\n", "t.graph:2: vertex 1 lists itself (a self-loop)"},
        {"3 2\n2 2\n1 1 3\n2\n", "t.graph:2: vertex 1 lists neighbour 2 twice"},
        {"3 1\n2\n\n2\n", "t.graph:2: vertex 1 lists 2, but vertex 2 (line 3) "
                          "does not list 1"},
        {"2 1 1\n2 3\n1 4\n", "t.graph:2: edge 1-2 weighs 3 here and 4 at "
                              "vertex 2 (line 3)"},
        {"2 1 1\n2 0\n1 0\n", "t.graph:2: weight '0' of edge 1-2 is not an "
                              "integer in 1..2147483647"},
        {"2 1 1\n2 -1\n1 -1\n", "t.graph:2: weight '-1' of edge 1-2 is not "
                                "an integer in 1..2147483647"},
        {"2 1 1\n2\n1 1\n", "t.graph:2: vertex 1's neighbour 2 has no edge "
                            "weight"},
        {"2 1 10\n-1 2\n1 1\n", "t.graph:2: vertex 1's weight '-1' is not an "
                                "integer in 0..2147483647"},
        {"2 1 10\n1.5 2\n1 1\n", "t.graph:2: vertex 1's weight '1.5' is not "
                                 "an integer in 0..2147483647"},
        {"2 1 10\n2147483648 2\n1 1\n",
         "t.graph:2: vertex 1's weight '2147483648' is not an integer in "
         "0..2147483647"},
        {"2 0 10\n1\n\n", "t.graph:3: vertex 2 has 0 of its 1 weights"},
        {"2 0 10 2\n1 1\n1\n", "t.graph:3: vertex 2 has 1 of its 2 weights"},
        {"1 0 100\n\n", "t.graph:2: vertex 1 has no size"},
        {"1 0 100\nx\n", "t.graph:2: vertex 1's size 'x' is not an integer in "
                         "0..2147483647"},
        {"1 0\n\0\n", "t.graph:2: a NUL byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mgraph g;
        long long *ew = (long long *)&g; /* must come back NULL */
        char err[256] = "";
        size_t len = strlen(cases[i].text);
        if (strstr(cases[i].msg, "NUL"))
            len += 1 + strlen(cases[i].text + len + 1);
        const int rc = gpmetis_read_buf(cases[i].text, len, "t.graph", &g, &ew,
                                        err, sizeof err);
        T_CHECK(rc == -1);
        T_STREQ(err, cases[i].msg);
        T_CHECK(g.n == 0 && !g.node && !g.edge && ew == NULL);
    }
    struct mgraph g;
    char err[256];
    T_CHECK(gpmetis_read_file("/nonexistent/x.graph", &g, NULL, err,
                              sizeof err) == -1);
    T_STREQ(err, "/nonexistent/x.graph: cannot open: No such file or "
                 "directory");
}

int main(void)
{
    test_manual();
    test_round_trip();
    test_write();
    test_bad_input();
    return t_done("test_gpmetis");
}
