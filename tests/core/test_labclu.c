/* labclu: the lab's device map - widest-path routes and their latency on
 * hand-made maps, the values read from a lab, every validation error's
 * message, a map with no path, the fixture lab. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/lab.h"
#include "core/labclu.h"
#include "t.h"

/* A map of n devices named a, b, c, ... and the given links. */
static void map(struct labclu *c, size_t n, const struct labclu_link *links,
                size_t nl)
{
    memset(c, 0, sizeof *c);
    c->ndev = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(c->dev[i].name, sizeof c->dev[i].name, "%c", (char)('a' + i));
        c->dev[i].speed = 1;
        c->dev[i].mem_bytes = INFINITY;
    }
    c->nlinks = nl;
    memcpy(c->link, links, nl * sizeof *links);
}

static double bw(const struct labclu *c, unsigned i, unsigned j)
{
    return c->bw[i * c->ndev + j];
}

static double lat(const struct labclu *c, unsigned i, unsigned j)
{
    return c->lat[i * c->ndev + j];
}

static void test_widest_path(void)
{
    /* a-b-c wide (10), a-c direct but narrow (5): a->c goes through b.
     * a-d direct (8, 5 s) and a-e-d (8 and 8, 1 + 1 s): as wide, faster.
     * c->d: c-b-a-e-d, bottleneck 8, latency 4. */
    const struct labclu_link l[] = {
        {0, 1, "pcie", 10, 1}, {1, 2, "pcie", 10, 1}, {0, 2, "pcie", 5, 0.1},
        {0, 3, "pcie", 8, 5},  {0, 4, "pcie", 8, 1},  {4, 3, "pcie", 8, 1},
    };
    struct labclu c;
    char err[256] = "";
    map(&c, 5, l, sizeof l / sizeof l[0]);
    T_CHECK(labclu_route(&c, err, sizeof err) == 0);
    T_NEAR(bw(&c, 0, 2), 10, 0);
    T_NEAR(lat(&c, 0, 2), 2, 1e-12);
    T_NEAR(bw(&c, 0, 3), 8, 0);
    T_NEAR(lat(&c, 0, 3), 2, 1e-12);
    T_NEAR(bw(&c, 2, 3), 8, 0);
    T_NEAR(lat(&c, 2, 3), 4, 1e-12);
    /* symmetric, a direct link that is the widest is its own route */
    T_NEAR(bw(&c, 3, 2), 8, 0);
    T_NEAR(lat(&c, 3, 2), 4, 1e-12);
    T_NEAR(bw(&c, 1, 0), 10, 0);
    T_NEAR(lat(&c, 1, 0), 1, 0);
    T_CHECK(isinf(bw(&c, 2, 2)) && lat(&c, 2, 2) == 0);
}

/* The least latency at the widest bottleneck is not found by keeping the
 * best (widest, then fastest) route to each intermediate device: s->m
 * is widest direct (10, 5 s), but s->t's bottleneck is m-t's 3, under
 * which s-x-m (9, 1 s) is the faster way to m. */
static void test_tie_not_greedy(void)
{
    const struct labclu_link l[] = {
        {0, 1, "nvlink", 10, 5},  /* s-m */
        {0, 2, "pcie", 9, 0.5},   /* s-x */
        {2, 1, "pcie", 9, 0.5},   /* x-m */
        {1, 3, "ethernet", 3, 1}, /* m-t */
    };
    struct labclu c;
    char err[256] = "";
    map(&c, 4, l, 4);
    T_CHECK(labclu_route(&c, err, sizeof err) == 0);
    T_NEAR(bw(&c, 0, 3), 3, 0);
    T_NEAR(lat(&c, 0, 3), 2, 1e-12);
    T_NEAR(bw(&c, 0, 1), 10, 0);
    T_NEAR(lat(&c, 0, 1), 5, 0);
}

static void test_no_path(void)
{
    const struct labclu_link l[] = {{0, 1, "pcie", 1e9, 0},
                                    {2, 3, "pcie", 1e9, 0}};
    struct labclu c;
    char err[256] = "";
    map(&c, 4, l, 2);
    T_CHECK(labclu_route(&c, err, sizeof err) == -1);
    T_STREQ(err, "cluster.links: no path between a and c");
    /* one device needs no link */
    map(&c, 1, l, 0);
    T_CHECK(labclu_route(&c, err, sizeof err) == 0);
    labclu_describe(&c, err, sizeof err);
    T_STREQ(err, "no links");
}

/* A lab of one sim driver and `cluster = BODY`, from the string. */
static int load(const char *body, struct lab **lab, char *err, size_t len)
{
    char text[4096];
    snprintf(text, sizeof text,
             "return { drivers = { { plugin = 'sim' } },\n cluster = %s }",
             body);
    return lab_load_string("t.lua", text, strlen(text), ".", lab, err, len);
}

#define DEV2A                                                                  \
    "devices = { { name = 'a', kind = 'gpu' }, { name = 'b', kind = 'cpu' } }"

static void test_read(void)
{
    struct lab *lab = NULL;
    char err[512] = "";
    int rc =
        load("{ devices = {\n"
             "  { name = 'v100a', kind = 'gpu', mem = '16GB',"
             "    pu = 'gpu0' },\n"
             "  { name = 't4a', kind = 'gpu', speed = 0.45, mem = 16e9 },\n"
             "  { name = 'host', kind = 'cpu', speed = '50m' } },\n"
             " links = {\n"
             "  { from = 'v100a', to = 'host', bw = '12GB/s',"
             "    lat = '10us', kind = 'pcie' },\n"
             "  { from = 'host', to = 't4a', bw = 12e9, lat = 1e-5,"
             "    kind = 'pcie' },\n"
             "  { from = 't4a', to = 'v100a', bw = '1.25G' } } }",
             &lab, err, sizeof err);
    T_CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    const struct labclu *c = lab->cluster;
    T_CHECK(c != NULL && c->ndev == 3 && c->nlinks == 3);
    T_STREQ(c->dev[0].name, "v100a");
    T_STREQ(c->dev[0].pu, "gpu0");
    T_STREQ(c->dev[0].kind, "gpu");
    T_NEAR(c->dev[0].speed, 1, 0);
    T_NEAR(c->dev[0].mem_bytes, 16e9, 0);
    T_NEAR(c->dev[1].speed, 0.45, 0);
    T_STREQ(c->dev[2].pu, "");
    T_NEAR(c->dev[2].speed, 0.05, 1e-15);
    T_CHECK(isinf(c->dev[2].mem_bytes));
    T_STREQ(c->link[2].kind, "other");
    T_NEAR(c->link[2].lat, 0, 0);
    /* v100a-t4a: through the host (12 GB/s, 20 us), not the direct
     * 1.25 GB/s link */
    T_NEAR(c->bw[0 * 3 + 1], 12e9, 0);
    T_NEAR(c->lat[0 * 3 + 1], 20e-6, 1e-15);
    char d[160];
    labclu_describe(c, d, sizeof d);
    T_STREQ(d, "pcie 12 GB/s, other 1.25 GB/s");
    lab_free(lab);

    /* the job's fields and their defaults */
    static const char job[] =
        "return { drivers = { { plugin = 'sim' } }, cluster = { model = "
        "'m.txt', noise = 0.1, adapt = { hold = 3, cooldown = 0 }, " DEV2A
        ", links = { { from = 'a', to = 'b', bw = 1e9 } } } }";
    rc = lab_load_string("t.lua", job, strlen(job), ".", &lab, err, sizeof err);
    T_CHECK(rc == 0 && lab->cluster != NULL);
    if (rc == 0 && lab->cluster) {
        T_STREQ(lab->cluster->model, "m.txt");
        T_NEAR(lab->cluster->noise, 0.1, 1e-12);
        T_CHECK(lab->cluster->adapt_hold == 3 &&
                lab->cluster->adapt_cooldown == 0);
        T_NEAR(lab->cluster->adapt_threshold, 0.1, 1e-12);
        T_NEAR(lab->cluster->adapt_horizon, 500, 1e-9);
    }
    lab_free(lab);

    /* no cluster: none */
    static const char plain[] = "return { drivers = { { plugin = 'sim' } } }";
    rc = lab_load_string("t.lua", plain, strlen(plain), ".", &lab, err,
                         sizeof err);
    T_CHECK(rc == 0 && lab->cluster == NULL);
    lab_free(lab);
}

/* Each bad map is refused with exactly this message. */
static void bad(const char *body, const char *want)
{
    struct lab *lab = (struct lab *)1;
    char err[512] = "";
    T_CHECK(load(body, &lab, err, sizeof err) == -1);
    T_CHECK(lab == NULL);
    T_STREQ(err, want);
}

#define DEV2                                                                   \
    "devices = { { name = 'a', kind = 'gpu' }, { name = 'b', kind = 'cpu' } }"

static void test_errors(void)
{
    bad("3", "t.lua: cluster: expected table, got number");
    bad("{ device = {} }", "t.lua: cluster.device: unknown (devices, links, "
                           "model, data, noise, adapt)");
    bad("{ model = 'm.txt', data = 'random', " DEV2 " }",
        "t.lua: cluster.data: 'random' is not one of phases, shuffled, "
        "sorted, multiscale");
    bad("{ data = 'phases', " DEV2 " }",
        "t.lua: cluster.data: a batch stream needs a model");
    /* the training job a run puts on the map */
    bad("{ model = 3, " DEV2 " }",
        "t.lua: cluster.model: expected string, got number");
    bad("{ model = '', " DEV2 " }",
        "t.lua: cluster.model: a file name of 1..1023 bytes");
    bad("{ noise = -0.1, " DEV2 " }",
        "t.lua: cluster.noise: must be in [0, 0.5], got -0.1");
    bad("{ adapt = { hold = 0 }, " DEV2 " }",
        "t.lua: cluster.adapt.hold: a whole number of micro-batches "
        "1..100000, got 0");
    bad("{ adapt = { threshold = 2 }, " DEV2 " }",
        "t.lua: cluster.adapt.threshold: must be in (0, 1], got 2");
    bad("{ adapt = { cooldown = 1.5 }, " DEV2 " }",
        "t.lua: cluster.adapt.cooldown: a whole number of micro-batches "
        "0..1000000, got 1.5");
    bad("{ adapt = { horizon = 0 }, " DEV2 " }",
        "t.lua: cluster.adapt.horizon: micro-batches in (0, 1e9], got 0");
    bad("{ adapt = { thresh = 0.1 }, " DEV2 " }",
        "t.lua: cluster.adapt.thresh: unknown (threshold, hold, cooldown, "
        "horizon)");
    bad("{ links = {} }",
        "t.lua: cluster.devices: missing (device tables, at most 8 (the "
        "partitioner's limit))");
    bad("{ devices = {} }",
        "t.lua: cluster.devices: expected a non-empty array of device "
        "tables, at most 8 (the partitioner's limit)");
    bad("{ devices = { 'a' } }",
        "t.lua: cluster.devices.1: expected table, got string");
    bad("{ devices = { { kind = 'gpu' } } }",
        "t.lua: cluster.devices.1.name: missing");
    bad("{ devices = { { name = 'a', kind = 'gpu', sped = 1 } } }",
        "t.lua: cluster.devices.1.sped: unknown (name, kind, speed, mem, pu)");
    bad("{ devices = { { name = 'a b', kind = 'gpu' } } }",
        "t.lua: cluster.devices.1.name: 'a b': 1..31 letters, digits, '_', "
        "'-' or '.'");
    bad("{ devices = { { name = string.rep('x', 32), kind = 'gpu' } } }",
        "t.lua: cluster.devices.1.name: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx': "
        "1..31 letters, digits, '_', '-' or '.'");
    bad("{ devices = { { name = 'a', kind = 'gpu' },"
        " { name = 'a', kind = 'gpu' } } }",
        "t.lua: cluster.devices.2.name: 'a' is named twice");
    bad("{ devices = { { name = 'a' } } }",
        "t.lua: cluster.devices.1.kind: missing");
    bad("{ devices = { { name = 'a', kind = 'tpu' } } }",
        "t.lua: cluster.devices.1.kind: 'tpu' is not one of cpu, gpu, fpga, "
        "accel");
    bad("{ devices = { { name = 'a', kind = 'gpu' },"
        " { name = 'b', kind = 'gpu' },"
        " { name = 'c', kind = 'gpu', speed = -1 } } }",
        "t.lua: cluster.devices.3.speed: must be > 0, got -1");
    bad("{ devices = { { name = 'a', kind = 'gpu', speed = 'fast' } } }",
        "t.lua: cluster.devices.1.speed: 'fast' is not a number");
    bad("{ devices = { { name = 'a', kind = 'gpu', mem = 0 } } }",
        "t.lua: cluster.devices.1.mem: must be > 0, got 0");
    bad("{ devices = { { name = 'a', kind = 'gpu', mem = '16 GB' } } }",
        "t.lua: cluster.devices.1.mem: '16 GB' is not a number of B (e.g. "
        "\"16GB\")");
    bad("{ devices = { { name = 'a', kind = 'gpu', mem = 'inf' } } }",
        "t.lua: cluster.devices.1.mem: must be finite, got inf");
    bad("{ devices = { { name = 'a', kind = 'gpu', mem = true } } }",
        "t.lua: cluster.devices.1.mem: expected a number or a string with "
        "its unit, got boolean");
    bad("{ devices = { { name = 'a', kind = 'gpu', pu = '' } } }",
        "t.lua: cluster.devices.1.pu: a lab device's name of 1..63 bytes");
    bad("{ devices = { { name = 'a', kind = 'gpu', pu = 3 } } }",
        "t.lua: cluster.devices.1.pu: expected string, got number");
    bad("{ devices = { {name='a',kind='gpu'}, {name='b',kind='gpu'},"
        " {name='c',kind='gpu'}, {name='d',kind='gpu'}, {name='e',kind='gpu'},"
        " {name='f',kind='gpu'}, {name='g',kind='gpu'}, {name='h',kind='gpu'},"
        " {name='i',kind='gpu'} } }",
        "t.lua: cluster.devices: at most 8 entries, got 9");
    bad("{ " DEV2 ", links = { x = 1 } }",
        "t.lua: cluster.links: expected an array of link tables, one per "
        "pair of devices");
    bad("{ " DEV2 ", links = { { from = 'a', bw = 1 } } }",
        "t.lua: cluster.links.1.to: missing");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'z', bw = 1 } } }",
        "t.lua: cluster.links.1.to: 'z' is not a device of cluster.devices");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'a', bw = 1 } } }",
        "t.lua: cluster.links.1: a link from a to itself");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'b', bw = 1 },"
        " { from = 'b', to = 'a', bw = 2 } } }",
        "t.lua: cluster.links.2: a second link between b and a (the first: "
        "cluster.links.1; links carry both ways)");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'b' } } }",
        "t.lua: cluster.links.1.bw: missing (bytes/s, e.g. \"12GB/s\")");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'b', bw = -5 } } }",
        "t.lua: cluster.links.1.bw: must be > 0, got -5");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'b', bw = '12GB' } } }",
        "t.lua: cluster.links.1.bw: '12GB' is not a number of B/s (e.g. "
        "\"16GB/s\")");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'b', bw = 1, lat = -1 } } }",
        "t.lua: cluster.links.1.lat: must be >= 0, got -1");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'b', bw = 1,"
        " lat = '5 parsecs' } } }",
        "t.lua: cluster.links.1.lat: invalid duration '5 parsecs': no space "
        "allowed between number and unit");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'b', bw = 1,"
        " kind = 'usb' } } }",
        "t.lua: cluster.links.1.kind: 'usb' is not one of nvlink, pcie, "
        "infiniband, ethernet, other");
    bad("{ " DEV2 ", links = { { from = 'a', to = 'b', bw = 1, via = 'x' } } }",
        "t.lua: cluster.links.1.via: unknown (from, to, bw, lat, kind)");
    bad("{ " DEV2 " }", "t.lua: cluster.links: no path between a and b");
    bad("{ devices = { {name='v100a',kind='gpu'}, {name='t4a',kind='gpu'},"
        " {name='fpga0',kind='fpga'} },"
        " links = { { from = 'v100a', to = 't4a', bw = 12e9 } } }",
        "t.lua: cluster.links: no path between v100a and fpga0");
    /* the unknown top-level field's list names it */
    struct lab *lab = NULL;
    char err[512];
    static const char typo[] = "return { clustr = {} }";
    T_CHECK(lab_load_string("t.lua", typo, strlen(typo), ".", &lab, err,
                            sizeof err) == -1);
    T_STREQ(err, "t.lua: unknown field 'clustr' (did you mean 'cluster'?)");
}

static void test_fixture(void)
{
    struct lab *lab = NULL;
    char err[512] = "";
    int rc = lab_load_file(WATTSON_LAB_FIXTURES "/cluster-small.lua", &lab, err,
                           sizeof err);
    T_CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    const struct labclu *c = lab->cluster;
    T_CHECK(c && c->ndev == 3);
    /* slow-host: slow-fast-host, 1.25 GB/s, 10 + 50 us */
    T_NEAR(c->bw[1 * 3 + 2], 1.25e9, 0);
    T_NEAR(c->lat[1 * 3 + 2], 60e-6, 1e-15);
    lab_free(lab);
}

int main(void)
{
    test_widest_path();
    test_tie_not_greedy();
    test_no_path();
    test_read();
    test_errors();
    test_fixture();
    return t_done("test_labclu");
}
