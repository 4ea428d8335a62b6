/*
 * test_pdprof - PipeDream profiles (console/part/pdprof.c): every shared
 * profile (../shared/data/pipedream-profiles/) reads, with as many nodes
 * and edges as the file has node and edge lines (counted here by splitting
 * lines on " -- ", not by the reader), into a DAG; spot values; the
 * format's variations (metric lists, stage_id, " -- " inside a
 * description, edges before their nodes, CRLF); and every bad input with
 * its exact one-line message, the graph left empty.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/mgraph.h"
#include "part/pdprof.h"
#include "part/ptext.h"
#include "t.h"

static const char *const profiles[] = {
    "alexnet",  "densenet121", "gnmt",          "inception_v3",
    "resnet18", "resnet50",    "squeezenet1_0", "vgg16"};

static const char *shared_dir(void)
{
    const char *d = getenv("WATTSON_SHARED_DATA");
    return d && *d ? d : "../shared/data";
}

/* Lines with three " -- " fields (nodes) and two (edges), counted the
 * plain way. */
static void count_lines(const char *text, size_t len, size_t *nodes,
                        size_t *edges)
{
    struct ptext_lines it;
    const char *s;
    size_t n;
    *nodes = *edges = 0;
    ptext_lines_init(&it, text, len);
    while (ptext_next(&it, &s, &n)) {
        int fields = 1;
        for (size_t i = 0; i + 4 <= n; i++)
            if (memcmp(s + i, " -- ", 4) == 0)
                fields++;
        *nodes += fields == 3;
        *edges += fields == 2;
    }
}

static const struct mgraph_node *node(const struct mgraph *g, const char *name)
{
    const long i = mgraph_find(g, name);
    return i < 0 ? NULL : &g->node[i];
}

static void test_shared_profiles(void)
{
    char path[512], err[256];
    const size_t nprof = sizeof profiles / sizeof profiles[0];
    snprintf(path, sizeof path, "%s/pipedream-profiles/resnet18.txt",
             shared_dir());
    FILE *probe = fopen(path, "r");
    if (!probe) {
        t_skip("pdprof: no shared profiles at %s", path);
        return;
    }
    fclose(probe);
    char *big, msg[600];
    size_t blen;
    T_CHECK(ptext_slurp(path, 100, &big, &blen, err, sizeof err) == -1 &&
            big == NULL);
    snprintf(msg, sizeof msg, "%s: too large (over 100 bytes)", path);
    T_STREQ(err, msg);
    for (size_t i = 0; i < nprof; i++) {
        snprintf(path, sizeof path, "%s/pipedream-profiles/%s.txt",
                 shared_dir(), profiles[i]);
        char *text;
        size_t len, nodes, edges;
        T_CHECK(ptext_slurp(path, 1u << 24, &text, &len, err, sizeof err) == 0);
        if (!text)
            continue;
        count_lines(text, len, &nodes, &edges);
        free(text);
        struct mgraph g;
        err[0] = '\0';
        const int rc = pdprof_read_file(path, &g, err, sizeof err);
        T_CHECK(rc == 0);
        if (rc != 0) {
            fprintf(stderr, "  %s\n", err);
            continue;
        }
        T_CHECK(g.n == nodes && g.n_edges == edges);
        T_STREQ(g.name, profiles[i]);
        T_CHECK(isnan(g.batch));
        T_CHECK(isnan(g.in_bytes)); /* the input is a node */
        uint32_t *order = malloc(g.n * sizeof *order);
        T_CHECK(order && mgraph_topo(&g, order, err, sizeof err) == 0);
        free(order);
        double fwd = 0, bwd = 0, act = 0, param = 0;
        int ok = 1;
        for (size_t k = 0; k < g.n; k++) {
            const struct mgraph_node *nd = &g.node[k];
            ok &= nd->fwd_ms >= 0 && nd->bwd_ms >= 0 && nd->act_bytes >= 0 &&
                  nd->param_bytes >= 0 && isnan(nd->flops) && nd->kind[0] &&
                  nd->line > 0;
            fwd += nd->fwd_ms;
            bwd += nd->bwd_ms;
            act += nd->act_bytes;
            param += nd->param_bytes;
        }
        T_CHECK(ok);
        fprintf(stderr,
                "  %-14s %4zu nodes %4zu edges  fwd %9.3f ms  bwd %9.3f ms  "
                "fwd+bwd %9.3f ms  params %7.1f MiB  acts %8.1f MiB\n",
                profiles[i], g.n, g.n_edges, fwd, bwd, fwd + bwd,
                param / 1048576, act / 1048576);
        mgraph_free(&g);
    }
}

static void test_spot_values(void)
{
    char path[512], err[256];
    struct mgraph g;
    snprintf(path, sizeof path, "%s/pipedream-profiles/resnet18.txt",
             shared_dir());
    if (pdprof_read_file(path, &g, err, sizeof err) != 0) {
        t_skip("pdprof: %s", err);
        return;
    }
    const struct mgraph_node *n13 = node(&g, "node13");
    T_CHECK(n13 != NULL);
    if (n13) {
        T_STREQ(n13->kind, "Conv2d");
        T_NEAR(n13->fwd_ms, 3.852, 1e-12);
        T_NEAR(n13->bwd_ms, 9.775, 1e-12);
        T_NEAR(n13->param_bytes, 147456, 0);
        T_NEAR(n13->act_bytes, 205520896, 0);
        T_CHECK(n13->line == 3);
    }
    const struct mgraph_node *in = node(&g, "node1");
    T_CHECK(in && strcmp(in->kind, "Input") == 0 && in->bwd_ms == 0);
    const struct mgraph_node *n12 = node(&g, "node12");
    T_CHECK(n12 && strcmp(n12->kind, "ReLU") == 0);
    const long a = mgraph_find(&g, "node12"), b = mgraph_find(&g, "node13");
    int found = 0;
    for (size_t e = 0; e < g.n_edges; e++)
        found |= g.edge[e][0] == (uint32_t)a && g.edge[e][1] == (uint32_t)b;
    T_CHECK(found);
    mgraph_free(&g);

    /* GNMT: numbered inputs, layers with several outputs (summed) */
    snprintf(path, sizeof path, "%s/pipedream-profiles/gnmt.txt", shared_dir());
    if (pdprof_read_file(path, &g, err, sizeof err) != 0) {
        t_skip("pdprof: %s", err);
        return;
    }
    const struct mgraph_node *lstm = node(&g, "node7");
    T_CHECK(lstm && strcmp(lstm->kind, "LSTM") == 0);
    T_CHECK(lstm && lstm->act_bytes == 6291456.0 + 131072 + 131072);
    T_CHECK(node(&g, "node2") && strcmp(node(&g, "node2")->kind, "Input") == 0);
    T_CHECK(node(&g, "node5") &&
            strcmp(node(&g, "node5")->kind, "EmuBidirLSTM") == 0);
    T_CHECK(node(&g, "node20") &&
            strcmp(node(&g, "node20")->kind, "hidden") == 0);
    mgraph_free(&g);
}

#define M(f, b, a, p)                                                          \
    " -- forward_compute_time=" f ", backward_compute_time=" b                 \
    ", activation_size=" a ", parameter_size=" p "\n"

static void test_variations(void)
{
    static const char text[] =
        "\tnode1 -- node2\r\n"
        "node2 -- Weird(a -- b, c=(1, 2)) -- backward_compute_time=2.5, "
        "parameter_size=0, forward_compute_time=1e-3, "
        "activation_size=[1.5; 2.5] -- stage_id=3\r\n"
        "\n"
        "node1 -- Input0" M("0.000", "0.000", "0.0",
                            "0.000") "node3 -- "
                                     "Linear(in_features=4, out_features=2)" M(
                                         "1", "2", "8",
                                         "32") "node2 -- node3\n"
                                               "  node1 -- node3";
    struct mgraph g;
    char err[256] = "";
    T_CHECK(pdprof_read_buf(text, sizeof text - 1, "dir/x.y.txt", &g, err,
                            sizeof err) == 0);
    if (err[0])
        fprintf(stderr, "  %s\n", err);
    T_STREQ(g.name, "x.y");
    T_CHECK(g.n == 3 && g.n_edges == 3);
    const struct mgraph_node *w = node(&g, "node2");
    T_CHECK(w && strcmp(w->kind, "Weird") == 0 && w->fwd_ms == 1e-3 &&
            w->bwd_ms == 2.5 && w->act_bytes == 4 && w->param_bytes == 0 &&
            w->line == 2);
    T_CHECK(node(&g, "node1") && strcmp(node(&g, "node1")->kind, "Input") == 0);
    T_CHECK(node(&g, "node3") && node(&g, "node3")->line == 5 &&
            strcmp(node(&g, "node3")->kind, "Linear") == 0);
    mgraph_free(&g);
}

static void test_bad_input(void)
{
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"", "t.txt: no node lines"},
        {"\n  \n", "t.txt: no node lines"},
        {"garbage here\n", "t.txt:1: expected 'ID -- DESCRIPTION -- METRICS' "
                           "or 'FROM -- TO', not 'garbage here'"},
        {"node1 -- A" M("1", "1", "1", "1") "node 2 -- A" M("1", "1", "1", "1"),
         "t.txt:2: 'node 2' is not a node id"},
        {" -- A" M("1", "1", "1", "1"), "t.txt:1: '-- A' is not a node id"},
        {"node1 -- forward_compute_time=1",
         "t.txt:1: a node line is 'ID -- DESCRIPTION -- METRICS'"},
        {"node1 -- (x)" M("1", "1", "1", "1"),
         "t.txt:1: layer description '(x)' names no layer type"},
        {"node1 -- A -- forward_compute_time=1, backward_compute_time=2, "
         "activation_size=3\n",
         "t.txt:1: missing metric parameter_size"},
        {"node1 -- A" M("1", "1", "1", "1, flops=3"),
         "t.txt:1: unknown metric 'flops'"},
        {"node1 -- A" M("1", "1", "1", "1, parameter_size=2"),
         "t.txt:1: parameter_size given twice"},
        {"node1 -- A" M("1", "1", "1", "1,"),
         "t.txt:1: metric '' is not NAME=VALUE"},
        {"node1 -- A" M("-1.5", "1", "1", "1"),
         "t.txt:1: negative forward_compute_time -1.5"},
        {"node1 -- A" M("1", "nan", "1", "1"),
         "t.txt:1: backward_compute_time 'nan' is not a finite decimal "
         "number"},
        {"node1 -- A" M("1", "1", "inf", "1"),
         "t.txt:1: activation_size 'inf' is not a finite decimal number"},
        {"node1 -- A" M("1", "1", "1", "1e999"),
         "t.txt:1: parameter_size '1e999' is not a finite decimal number"},
        {"node1 -- A" M("1", "1", "", "1"),
         "t.txt:1: activation_size '' is not a finite decimal number"},
        /* each metric finite, their sum not: fuzz_pdprof's shape */
        {"node1 -- A" M("1e308", "1e308", "0", "0"),
         "t.txt:1: forward_compute_time 1e308 is past 1e+15, no layer's"},
        {"node1 -- A" M("1", "1", "[1; 2e15]", "1"),
         "t.txt:1: activation_size 2e15 is past 1e+15, no layer's"},
        {"node1 -- A" M("1", "1", "[1; -2]", "1"),
         "t.txt:1: negative activation_size -2"},
        {"node1 -- A" M("1", "1", "[1; 2", "1"),
         "t.txt:1: activation_size list has no closing ']'"},
        {"node1 -- A" M("1", "1", "[]", "1"),
         "t.txt:1: activation_size '' is not a finite decimal number"},
        {"node1 -- A -- forward_compute_time=1, backward_compute_time=1, "
         "activation_size=1, parameter_size=1 -- stage_id=x\n",
         "t.txt:1: stage_id 'x' is not a whole number"},
        {"node1 -- A -- stage_id=1\n",
         "t.txt:1: a node line is 'ID -- DESCRIPTION -- METRICS'"},
        {"node1 -- A" M("1", "1", "1", "1") "\n\nnode1 -- B" M("1", "1", "1",
                                                               "1"),
         "t.txt:4: node 'node1' defined again (first at line 1)"},
        {"node1 -- A" M("1", "1", "1", "1") "\tnode1 -- node9\n",
         "t.txt:2: edge to undefined node 'node9'"},
        {"\tnode0 -- node1\nnode1 -- A" M("1", "1", "1", "1"),
         "t.txt:1: edge from undefined node 'node0'"},
        {"node1 -- A" M("1", "1", "1", "1") "\tnode1 -- node1\n",
         "t.txt:2: edge from 'node1' to itself"},
        {"node1 -- A" M("1", "1", "1", "1") "\tnode1 -- node2 x\n",
         "t.txt:2: an edge line is 'FROM -- TO', not '... -- node2 x'"},
        {"node1 -- A" M("1", "1", "1", "1") "\tnode1 -- \n",
         "t.txt:2: expected 'ID -- DESCRIPTION -- METRICS' or 'FROM -- TO', "
         "not 'node1 --'"},
        {"node1 -- A" M("1", "1", "1", "1") "node2 -- B" M(
             "1", "1", "1",
             "1") "node3 -- C" M("1", "1", "1",
                                 "1") "\tnode1 -- node2\n"
                                      "\tnode2 -- node3\n\tnode3 -- node2\n",
         /* node3 is on the cycle: its line, not an edge's */
         "t.txt:3: the graph has a cycle through 'node3'"},
        {"node\x01 x\n", "t.txt:1: expected 'ID -- DESCRIPTION -- METRICS' "
                         "or 'FROM -- TO', not 'node? x'"},
        {"node1 -- A" M("1", "1", "1", "1") "x\0y -- z\n",
         "t.txt:2: a NUL byte"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct mgraph g;
        char err[256] = "";
        /* the NUL case's text runs past its NUL: the length counts it */
        size_t len = strlen(cases[i].text);
        if (strstr(cases[i].msg, "NUL"))
            len += 1 + strlen(cases[i].text + len + 1);
        const int rc =
            pdprof_read_buf(cases[i].text, len, "t.txt", &g, err, sizeof err);
        T_CHECK(rc == -1);
        T_STREQ(err, cases[i].msg);
        T_CHECK(g.n == 0 && g.node == NULL && g.n_edges == 0 && !g.edge);
    }
    struct mgraph g;
    char err[256] = "";
    T_CHECK(pdprof_read_file("/nonexistent/p.txt", &g, err, sizeof err) == -1);
    T_STREQ(err, "/nonexistent/p.txt: cannot open: No such file or directory");
    T_CHECK(g.n == 0 && g.node == NULL);
}

int main(void)
{
    test_shared_profiles();
    test_spot_values();
    test_variations();
    test_bad_input();
    return t_done("test_pdprof");
}
