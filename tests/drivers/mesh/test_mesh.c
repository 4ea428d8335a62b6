/*
 * test_mesh - the `mesh` driver plugin (drivers/mesh/meshdrv.c)
 * through the real plugin loader: its inventory, its readings, its
 * controls (duty, fault injection, hot swap, tie switches), what it
 * refuses, and a bad description refused as the lab's fault.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "drvtest.h"

static const struct th_cfg line3[] = {
    {"plugin", WATTSON_CFG_STRING, 0, "mesh", 0},
    {"nodes", WATTSON_CFG_NUMBER, 3, NULL, 0},
    {"topology", WATTSON_CFG_STRING, 0, "line", 0},
    {"modules", WATTSON_CFG_TABLE, 0, NULL, 0},
    {"modules.1", WATTSON_CFG_TABLE, 0, NULL, 0},
    {"modules.1.node", WATTSON_CFG_NUMBER, 1, NULL, 0},
    {"modules.1.type", WATTSON_CFG_STRING, 0, "cpu", 0},
    {"modules.2", WATTSON_CFG_TABLE, 0, NULL, 0},
    {"modules.2.node", WATTSON_CFG_NUMBER, 2, NULL, 0},
    {"modules.2.type", WATTSON_CFG_STRING, 0, "fpga", 0},
};

static const struct th_cfg island[] = {
    {"plugin", WATTSON_CFG_STRING, 0, "mesh", 0},
    {"nodes", WATTSON_CFG_NUMBER, 3, NULL, 0},
    {"links", WATTSON_CFG_TABLE, 0, NULL, 0},
    {"links.1", WATTSON_CFG_TABLE, 0, NULL, 0},
    {"links.1.1", WATTSON_CFG_NUMBER, 1, NULL, 0},
    {"links.1.2", WATTSON_CFG_NUMBER, 2, NULL, 0},
};

/* a module whose id is a node's name */
static const struct th_cfg clash[] = {
    {"plugin", WATTSON_CFG_STRING, 0, "mesh", 0},
    {"nodes", WATTSON_CFG_NUMBER, 3, NULL, 0},
    {"topology", WATTSON_CFG_STRING, 0, "line", 0},
    {"modules", WATTSON_CFG_TABLE, 0, NULL, 0},
    {"modules.1", WATTSON_CFG_TABLE, 0, NULL, 0},
    {"modules.1.node", WATTSON_CFG_NUMBER, 1, NULL, 0},
    {"modules.1.type", WATTSON_CFG_STRING, 0, "cpu", 0},
    {"modules.1.id", WATTSON_CFG_STRING, 0, "node2", 0},
};

static int open_mesh(struct plug **p, char *err, size_t n)
{
    const char *bd = getenv("WATTSON_PLUGIN_BUILD_DIR");
    const char *dirs[1] = {bd && *bd ? bd : WATTSON_PLUGIN_BUILD_DIR};
    struct plug_path sp = {0};
    char *path = NULL;
    sp.dirs = dirs;
    sp.n_dirs = 1;
    if (plug_find(&sp, "mesh", &path, err, n) != 0)
        return -1;
    int rc = plug_open(path, p, err, n);
    free(path);
    return rc;
}

/* The global index of device dev's signal or control `name`, or -1. */
static int sig_of(const struct plug *p, const char *dev, const char *name)
{
    for (size_t i = 0; i < p->inv.n_signals; i++)
        if (strcmp(p->inv.signals[i].name, name) == 0 &&
            strcmp(p->inv.devices[p->inv.signals[i].device].name, dev) == 0)
            return (int)i;
    return -1;
}

static int ctl_of(const struct plug *p, const char *dev, const char *name)
{
    for (size_t i = 0; i < p->inv.n_controls; i++)
        if (strcmp(p->inv.controls[i].name, name) == 0 &&
            strcmp(p->inv.devices[p->inv.controls[i].device].name, dev) == 0)
            return (int)i;
    return -1;
}

static double val[256];
static uint8_t ok[256];

static void rd(struct plug *p)
{
    T_CHECK(p->desc->read(p->state, val, ok, p->inv.n_signals) == WATTSON_OK);
}

static void wr(struct plug *p, int c, double v, int want)
{
    const uint32_t idx = (uint32_t)c;
    T_CHECK(c >= 0 && p->desc->write(p->state, &idx, &v, 1) == want);
}

static void test_plugin(void)
{
    struct plug *p = NULL;
    struct wattson_host h;
    char err[512];
    T_CHECK(open_mesh(&p, err, sizeof err) == PLUG_OK);
    if (!p) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    T_CHECK(p->desc->flags & WATTSON_PLUGIN_SIMULATED);
    th_host(&h, NULL, line3, sizeof line3 / sizeof line3[0]);
    T_CHECK(plug_init(&p, &h, err, sizeof err) == PLUG_OK);
    if (!p->state) {
        fprintf(stderr, "  %s\n", err);
        plug_close(p);
        return;
    }
    /* 3 nodes, 2 ties, 2 module identities (the types, as no id is
     * given); 15 signals a node, 7 a tie, 1 a module; 3 + 1 controls */
    T_CHECK(p->inv.n_devices == 7);
    T_STREQ(p->inv.devices[0].name, "node1");
    T_STREQ(p->inv.devices[0].kind, "converter");
    T_STREQ(p->inv.devices[4].name, "tie2");
    T_STREQ(p->inv.devices[4].kind, "tie");
    T_STREQ(p->inv.devices[5].name, "cpu");
    T_STREQ(p->inv.devices[5].kind, "module");
    T_STREQ(p->inv.devices[6].name, "fpga");
    T_CHECK(p->inv.n_signals == 3 * 15 + 2 * 7 + 2);
    T_CHECK(p->inv.n_controls == 3 * 3 + 2);
    rd(p);
    const int v1 = sig_of(p, "node1", "v"), v2 = sig_of(p, "node2", "v"),
              mt3 = sig_of(p, "node3", "mtype"),
              vnom1 = sig_of(p, "node1", "vnom"),
              pw1 = sig_of(p, "node1", "power"), vb1 = sig_of(p, "tie1", "vb"),
              a1 = sig_of(p, "tie1", "a");
    T_CHECK(ok[v1] && val[v1] > 0.9 && val[v1] < 1.0); /* cpu at 1.0 V */
    T_CHECK(ok[pw1] && val[pw1] > 10);
    T_NEAR(val[vnom1], 1.0, 1e-12);
    T_NEAR(val[mt3], 0, 0); /* no module on node 3 */
    T_NEAR(val[a1], 1, 0);
    const int on_cpu = sig_of(p, "cpu", "node"),
              on_fpga = sig_of(p, "fpga", "node");
    T_CHECK(ok[on_cpu] && ok[on_fpga]);
    T_NEAR(val[on_cpu], 1, 0); /* where each module is */
    T_NEAR(val[on_fpga], 2, 0);
    /* a lower duty, a lower bus */
    const int d1 = ctl_of(p, "node1", "duty");
    const double before = val[v1];
    double dc[16];
    uint8_t dok[16];
    T_CHECK(p->desc->read_controls(p->state, dc, dok, p->inv.n_controls) ==
            WATTSON_OK);
    wr(p, d1, dc[d1] * 0.9, WATTSON_OK);
    rd(p);
    T_CHECK(val[v1] < before - 0.05);
    /* out of range or NaN: refused, nothing changes */
    wr(p, d1, NAN, WATTSON_ERR_REJECTED);
    wr(p, d1, 0.99, WATTSON_ERR_REJECTED);
    /* node 2 fails: its sensors go dark, its tie still senses its bus */
    wr(p, ctl_of(p, "node2", "fail"), 1, WATTSON_OK);
    rd(p);
    T_CHECK(!ok[v2] && ok[vb1] && val[vb1] > 0.6);
    wr(p, ctl_of(p, "node2", "fail"), 0, WATTSON_OK);
    rd(p);
    T_CHECK(ok[v2]);
    /* hot swap: a gpu onto node 3, then nothing */
    wr(p, ctl_of(p, "node3", "module"), 2, WATTSON_OK);
    rd(p);
    T_NEAR(val[mt3], 2, 0);
    T_NEAR(val[sig_of(p, "node3", "vnom")], 0.85, 1e-12);
    T_CHECK(p->desc->read_controls(p->state, dc, dok, p->inv.n_controls) ==
            WATTSON_OK);
    T_NEAR(dc[ctl_of(p, "node3", "module")], 2, 0);
    wr(p, ctl_of(p, "node3", "module"), 0, WATTSON_OK);
    rd(p);
    T_NEAR(val[mt3], 0, 0);
    /* node 1's cpu pulled: it is on no node */
    wr(p, ctl_of(p, "node1", "module"), 0, WATTSON_OK);
    rd(p);
    T_NEAR(val[on_cpu], 0, 0);
    T_NEAR(val[on_fpga], 2, 0);
    /* a tie closes */
    wr(p, ctl_of(p, "tie2", "closed"), 1, WATTSON_OK);
    rd(p);
    T_NEAR(val[sig_of(p, "tie2", "closed")], 1, 0);
    plug_close(p);
}

static void test_bad(void)
{
    struct plug *p = NULL;
    struct wattson_host h;
    char err[512] = "";
    T_CHECK(open_mesh(&p, err, sizeof err) == PLUG_OK);
    if (!p)
        return;
    th_host(&h, NULL, island, sizeof island / sizeof island[0]);
    T_CHECK(plug_init(&p, &h, err, sizeof err) == PLUG_ERR_CONFIG);
    T_CHECK(strstr(err, "mesh.links: the mesh is disconnected: node 3") !=
            NULL);
    if (!strstr(err, "node 3"))
        fprintf(stderr, "  got: %s\n", err);
    plug_close(p);
    /* a module id that names one of the mesh's own devices */
    p = NULL;
    T_CHECK(open_mesh(&p, err, sizeof err) == PLUG_OK);
    if (!p)
        return;
    th_host(&h, NULL, clash, sizeof clash / sizeof clash[0]);
    T_CHECK(plug_init(&p, &h, err, sizeof err) == PLUG_ERR_CONFIG);
    T_CHECK(strstr(err, "module id 'node2'") != NULL);
    plug_close(p);
}

int main(void)
{
    test_plugin();
    test_bad();
    return t_done("test_mesh");
}
