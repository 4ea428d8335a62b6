/*
 * test_dncfg - the Darknet cfg reader (console/part/dncfg.c): every
 * shared cfg (../shared/data/darknet-cfg, from Debian's darknet package)
 * parses; known layers have the shapes, edges and costs Darknet gives
 * them; FLOP totals equal what Darknet itself printed; parameter totals
 * agree with the well-known figures; and each bad input is refused with
 * its exact one-line message, leaving no graph behind.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "part/dncfg.h"
#include "t.h"

/* The shared cfg `name`, read into g; 0, or -1 when the shared data is
 * not there (a skip). */
static int load(const char *name, struct mgraph *g)
{
    const char *dir = getenv("WATTSON_SHARED_DATA");
    char path[512], err[256] = "";
    snprintf(path, sizeof path, "%s/darknet-cfg/%s.cfg", dir ? dir : ".", name);
    FILE *f = fopen(path, "r");
    if (!f) {
        t_skip("%s: not found (WATTSON_SHARED_DATA)", path);
        mgraph_init(g);
        return -1;
    }
    fclose(f);
    const int rc = dncfg_read_file(path, g, err, sizeof err);
    T_CHECK(rc == 0);
    if (rc) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    return 0;
}

static int has_edge(const struct mgraph *g, uint32_t from, uint32_t to)
{
    for (size_t e = 0; e < g->n_edges; e++)
        if (g->edge[e][0] == from && g->edge[e][1] == to)
            return 1;
    return 0;
}

static int n_in(const struct mgraph *g, uint32_t to)
{
    int n = 0;
    for (size_t e = 0; e < g->n_edges; e++)
        n += g->edge[e][1] == to;
    return n;
}

static int shape_is(const struct mgraph_node *nd, int w, int h, int c)
{
    return nd->out_w == w && nd->out_h == h && nd->out_c == c;
}

/* Sums over the layers Darknet counts in `darknet ops` (convolutional
 * and connected), and the parameters of all of them. */
static double conv_flops(const struct mgraph *g)
{
    double f = 0;
    for (size_t i = 0; i < g->n; i++)
        if (!strcmp(g->node[i].kind, "convolutional") ||
            !strcmp(g->node[i].kind, "connected"))
            f += g->node[i].flops;
    return f;
}

static double params(const struct mgraph *g)
{
    double p = 0;
    for (size_t i = 0; i < g->n; i++)
        p += g->node[i].param_bytes / 4;
    return p;
}

/* Every shared cfg parses, with a node per layer section, a topological
 * order, and the FLOP total Darknet printed for it: `darknet ops CFG`
 * ("Floating Point Operations: N"), Debian darknet
 * 0.0.0+git20180914.61c9d02e-2+b4.  tests/part/darknet_flops.sh compares
 * layer by layer against the binary when it is installed. */
static void test_shared_totals(void)
{
    static const struct {
        const char *name;
        size_t layers;
        double flops;
    } nets[] = {
        {"alexnet", 14, 2270512192.0},       {"darknet53", 78, 18570231808.0},
        {"densenet201", 305, 10848043008.0}, {"resnet18", 29, 4688158720.0},
        {"resnet50", 69, 9741172736.0},      {"vgg-16", 25, 30940528640.0},
        {"yolov3-tiny", 24, 5564961792.0},
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        struct mgraph g;
        if (load(nets[i].name, &g))
            continue;
        T_STREQ(g.name, nets[i].name);
        T_CHECK(g.n == nets[i].layers);
        T_CHECK(g.batch == 1);
        /* integers well below 2^53: exact in doubles */
        T_NEAR(conv_flops(&g), nets[i].flops, 0);
        static uint32_t order[512];
        char err[128];
        T_CHECK(g.n <= 512 && mgraph_topo(&g, order, err, sizeof err) == 0);
        int ok = 1;
        for (size_t k = 0; k < g.n; k++) {
            const struct mgraph_node *nd = &g.node[k];
            ok &= nd->out_c > 0 && nd->out_h > 0 && nd->out_w > 0;
            ok &= nd->act_bytes == 4.0 * nd->out_c * nd->out_h * nd->out_w;
            ok &= isnan(nd->fwd_ms) && isnan(nd->bwd_ms) && nd->flops >= 0;
            ok &= nd->line > 0;
        }
        T_CHECK(ok);
        mgraph_free(&g);
    }
}

/* Parameter totals against the published figures.  VGG-16 138,357,544
 * and the ungrouped AlexNet 62,378,344 are the exact well-known counts
 * (conv and fc weights and biases; these cfgs have no batchnorm): 0.01 %.
 * ResNet-50 is known as 25.6 M (torchvision 25,557,032), but Darknet's
 * cfg has no projection shortcuts (its shortcut layer samples and
 * zero-fills instead), so the reference is that less the four 1x1
 * projections and their batchnorms (2,776,576): 22,780,456; Darknet also
 * keeps each batchnorm's rolling mean and variance, so 1 %.  ResNet-18
 * likewise: 11,689,512 less 175,104 = 11,514,408, 1 %. */
static void test_params(void)
{
    static const struct {
        const char *name;
        double ref, tol;
    } nets[] = {
        {"vgg-16", 138357544.0, 1e-4},
        {"alexnet", 62378344.0, 1e-4},
        {"resnet50", 22780456.0, 0.01},
        {"resnet18", 11514408.0, 0.01},
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        struct mgraph g;
        if (load(nets[i].name, &g))
            continue;
        T_NEAR(params(&g) / nets[i].ref, 1.0, nets[i].tol);
        mgraph_free(&g);
    }
}

/* Shapes, costs and edges of known layers. */
static void test_known_layers(void)
{
    struct mgraph g;
    if (load("resnet18", &g) == 0) {
        /* [net] is 256x256x3: 7x7/2 conv, pad=1 -> padding 3 */
        T_CHECK(shape_is(&g.node[0], 128, 128, 64));
        T_STREQ(g.node[0].name, "0");
        T_STREQ(g.node[0].kind, "convolutional");
        T_CHECK(g.node[0].line == 31);
        T_NEAR(g.node[0].flops, 2.0 * 3 * 64 * 49 * 128 * 128, 0);
        /* weights, biases, scales, rolling means and variances */
        T_NEAR(g.node[0].param_bytes, 4.0 * (3 * 64 * 49 + 4 * 64), 0);
        T_NEAR(g.node[0].act_bytes, 4.0 * 64 * 128 * 128, 0);
        T_CHECK(shape_is(&g.node[1], 64, 64, 64)); /* maxpool 2/2 */
        /* layer 4, shortcut from=-3: reads 3 (before it) and 1 */
        T_STREQ(g.node[4].kind, "shortcut");
        T_CHECK(has_edge(&g, 3, 4) && has_edge(&g, 1, 4) && n_in(&g, 4) == 2);
        /* layer 10 adds 7 (64x64x64) to 9 (32x32x128) as Darknet's
         * shortcut_cpu does: the previous layer's shape */
        T_CHECK(shape_is(&g.node[10], 32, 32, 128));
        T_CHECK(has_edge(&g, 7, 10) && has_edge(&g, 9, 10));
        T_CHECK(shape_is(&g.node[26], 1, 1, 512)); /* avgpool */
        T_CHECK(shape_is(&g.node[28], 1, 1, 1000));
        T_STREQ(g.node[28].kind, "softmax");
        mgraph_free(&g);
    }
    if (load("yolov3-tiny", &g) == 0) {
        /* maxpool size=2 stride=1: default padding size-1 keeps 13x13 */
        T_CHECK(shape_is(&g.node[11], 13, 13, 512));
        T_CHECK(g.node[11].flops == 13.0 * 13 * 512 * 4);
        T_STREQ(g.node[16].kind, "yolo");
        /* layer 17, route -4: reads layer 13 only, not 16 */
        T_CHECK(shape_is(&g.node[17], 13, 13, 256));
        T_CHECK(has_edge(&g, 13, 17) && n_in(&g, 17) == 1);
        T_CHECK(shape_is(&g.node[19], 26, 26, 128)); /* upsample 2 */
        /* layer 20, route -1,8: 128 + 256 channels at 26x26 */
        T_CHECK(shape_is(&g.node[20], 26, 26, 384));
        T_CHECK(has_edge(&g, 19, 20) && has_edge(&g, 8, 20) &&
                n_in(&g, 20) == 2);
        T_CHECK(g.node[20].flops == 0 && g.node[20].param_bytes == 0);
        /* the first head's output feeds nothing */
        int out = 0;
        for (size_t e = 0; e < g.n_edges; e++)
            out += g.edge[e][0] == 16;
        T_CHECK(out == 0);
        mgraph_free(&g);
    }
    if (load("alexnet", &g) == 0) {
        T_CHECK(shape_is(&g.node[0], 55, 55, 96));  /* 227, 11/4, pad 0 */
        T_CHECK(shape_is(&g.node[1], 27, 27, 96));  /* maxpool padding=0 */
        T_CHECK(shape_is(&g.node[2], 27, 27, 256)); /* 5x5 pad=1: 2 */
        T_CHECK(shape_is(&g.node[8], 1, 1, 4096));
        T_NEAR(g.node[8].param_bytes, 4.0 * (9216.0 * 4096 + 4096), 0);
        T_NEAR(g.node[8].flops, 2.0 * 9216 * 4096, 0);
        mgraph_free(&g);
    }
    if (load("vgg-16", &g) == 0) {
        T_STREQ(g.node[0].kind, "crop");
        T_CHECK(shape_is(&g.node[0], 224, 224, 3));
        T_CHECK(shape_is(&g.node[18], 7, 7, 512));
        mgraph_free(&g);
    }
    if (load("densenet201", &g) == 0) {
        /* layer 4, route -1,-3: 32 new channels on the 64 of layer 1 */
        T_CHECK(shape_is(&g.node[4], 64, 64, 96));
        T_CHECK(has_edge(&g, 3, 4) && has_edge(&g, 1, 4) && n_in(&g, 4) == 2);
        mgraph_free(&g);
    }
}

/* Sections Darknet has that the shared cfgs do not use. */
static void test_other_sections(void)
{
    static const char cfg[] =
        "[network]\nwidth=8\nheight=8\nchannels=2\nbatch=64\n"
        "subdivisions=4\n"
        "[conv]\nfilters=4\nsize=3\npadding=1\ngroups=2\n" /* 0: 8x8x4 */
        "batch_normalize=1\n"
        "[batchnorm]\n"                                    /* 1 */
        "[reorg]\nstride=2\n"                              /* 2: 4x4x16 */
        "[reorg]\nstride=2\nreverse=1\n"                   /* 3: 8x8x4 */
        "[local]\nfilters=2\nsize=3\nstride=1\npad=1\n"    /* 4: 8x8x2 */
        "[deconvolutional]\nfilters=3\nsize=2\nstride=2\n" /* 5: 16x16x3 */
        "[upsample]\nstride=-2\n"                          /* 6: 8x8x3 */
        "[route]\nlayers=0,4,6\ngroups=3\ngroup_id=2\n"    /* 7: 8x8x3 */
        "[avg]\n"                                          /* 8: 1x1x3 */
        "[conn]\noutput=30\nbatch_normalize=1\n"           /* 9 */
        "[region]\nclasses=5\ncoords=4\nnum=3\n"           /* 10 */
        "[activation]\n[logistic]\n[l2norm]\n[lrn]\n"      /* 11-14 */
        "[cost]\n[soft]\n[dropout]\n";                     /* 15-17 */
    struct mgraph g;
    char err[256] = "";
    const int rc = dncfg_read_buf(cfg, sizeof cfg - 1, "dir/other.cfg", &g, err,
                                  sizeof err);
    T_CHECK(rc == 0);
    if (rc) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    T_STREQ(g.name, "other");
    T_CHECK(g.n == 18);
    T_CHECK(g.batch == 16);
    T_NEAR(g.in_bytes, 4.0 * 8 * 8 * 2, 0); /* [network]'s floats */
    T_CHECK(shape_is(&g.node[0], 8, 8, 4));
    T_STREQ(g.node[0].kind, "convolutional");
    /* groups=2: each filter sees 1 of the 2 input channels */
    T_NEAR(g.node[0].flops, 2.0 * 1 * 4 * 9 * 64, 0);
    T_NEAR(g.node[0].param_bytes, 4.0 * (1 * 4 * 9 + 4 * 4), 0);
    T_NEAR(g.node[1].param_bytes, 4.0 * 3 * 4, 0);
    T_CHECK(shape_is(&g.node[2], 4, 4, 16));
    T_CHECK(shape_is(&g.node[3], 8, 8, 4));
    T_CHECK(shape_is(&g.node[4], 8, 8, 2));
    /* unshared weights: one 3x3x4 kernel per filter and location */
    T_NEAR(g.node[4].param_bytes, 4.0 * (4 * 2 * 9 * 64 + 64 * 2), 0);
    T_CHECK(shape_is(&g.node[5], 16, 16, 3));
    T_NEAR(g.node[5].flops, 2.0 * 2 * 3 * 4 * 64, 0);
    T_CHECK(shape_is(&g.node[6], 8, 8, 3));
    /* 4 + 2 + 3 = 9 channels, the third of three groups */
    T_CHECK(shape_is(&g.node[7], 8, 8, 3));
    T_CHECK(has_edge(&g, 0, 7) && has_edge(&g, 4, 7) && has_edge(&g, 6, 7) &&
            n_in(&g, 7) == 3);
    T_CHECK(shape_is(&g.node[8], 1, 1, 3));
    T_CHECK(shape_is(&g.node[9], 1, 1, 30));
    T_NEAR(g.node[9].param_bytes, 4.0 * (3 * 30 + 4 * 30), 0);
    T_STREQ(g.node[14].kind, "normalization");
    T_STREQ(g.node[16].kind, "softmax");
    T_CHECK(shape_is(&g.node[17], 1, 1, 30));
    mgraph_free(&g);
}

static const char NET[] = "[net]\nwidth=8\nheight=8\nchannels=3\n";
static const char CONV[] = "[convolutional]\nfilters=4\nsize=3\npad=1\n";

/* `body` after NET (lines 1-4) must be refused with exactly `want`. */
static void bad(const char *body, const char *want)
{
    const size_t len = strlen(NET) + strlen(body);
    char *text = malloc(len + 1), err[256] = "";
    T_CHECK(text != NULL);
    if (!text)
        return;
    snprintf(text, len + 1, "%s%s", NET, body);
    struct mgraph g;
    g.n = 99; /* garbage the reader must not trust or keep */
    const int rc = dncfg_read_buf(text, len, "t.cfg", &g, err, sizeof err);
    free(text);
    T_CHECK(rc == -1);
    if (rc == 0)
        mgraph_free(&g);
    T_STREQ(err, want);
    T_CHECK(g.n == 0 && g.node == NULL && g.n_edges == 0 && g.edge == NULL);
    T_CHECK(strchr(err, '\n') == NULL);
}

/* text as it is (len 0: up to its NUL) must be refused with `want`. */
static void bad_raw(const char *text, size_t len, const char *want)
{
    char err[256] = "";
    if (len == 0)
        len = strlen(text);
    struct mgraph g;
    T_CHECK(dncfg_read_buf(text, len, "t.cfg", &g, err, sizeof err) == -1);
    T_STREQ(err, want);
    T_CHECK(g.n == 0 && g.node == NULL);
}

/* `rest` after NET and one CONV (lines 5-8, layer 0). */
static void bad_after_conv(const char *rest, const char *want)
{
    char body[512];
    snprintf(body, sizeof body, "%s%s", CONV, rest);
    bad(body, want);
}

static void test_bad_input(void)
{
    /* sections and lines */
    bad("[convolutionl]\nfilters=4\n", "t.cfg:5: [convolutionl]: unknown "
                                       "section");
    bad("[lstm]\noutput=4\n",
        "t.cfg:5: [lstm]: a Darknet section this reader does not support");
    bad("[net]\n", "t.cfg:5: [net]: only the first section may be [net]");
    bad("[convolutional\n", "t.cfg:5: [convolutional: a section header is "
                            "[name]");
    bad("[]\n", "t.cfg:5: []: a section header is [name]");
    bad("[maxpool]\nsize 2\n", "t.cfg:6: size2: not a key=value line");
    bad("[maxpool]\n=2\n", "t.cfg:6: =2: a value with no key");
    bad("[maxpool]\nsize=2\nstride=2\nsize=3\n",
        "t.cfg:8: [maxpool] size=3: size given again (first at line 6)");
    bad("", "t.cfg:1: [net]: no layers after it");
    bad_raw("width=8\n[net]\n", 0,
            "t.cfg:1: width=8: a key before the first section ([net])");
    bad_raw("# nothing\n\n", 0, "t.cfg:1: no sections: not a Darknet cfg");
    bad_raw("[maxpool]\n", 0,
            "t.cfg:1: [maxpool]: the first section must "
            "be [net]");
    bad_raw("[net]\nwidth=8\0\n", 15, "t.cfg:2: a NUL byte: not a text file");

    /* [net] */
    bad_raw("[net]\nheight=8\nchannels=3\n[avgpool]\n", 0,
            "t.cfg:1: [net]: missing width=");
    bad_raw("[net]\nwidth=-3\nheight=8\nchannels=3\n[avgpool]\n", 0,
            "t.cfg:2: [net] width=-3: must be positive");
    bad_raw("[net]\nwidth=8\nheight=8\nchannels=3\nbatch=2\nsubdivisions=4"
            "\n[avgpool]\n",
            0, "t.cfg:6: [net] subdivisions=4: more than batch=2");

    /* keys and sizes */
    bad("[convolutional]\nsize=3\n",
        "t.cfg:5: [convolutional]: missing filters= (layer 0)");
    bad("[convolutional]\nfilters=0\nsize=3\n",
        "t.cfg:6: [convolutional] filters=0: must be positive");
    bad("[convolutional]\nfilters=4\nsize=3\nstride=-1\n",
        "t.cfg:8: [convolutional] stride=-1: must be positive");
    bad("[convolutional]\nfilters=4x\nsize=3\n",
        "t.cfg:6: [convolutional] filters=4x: not an integer");
    bad("[convolutional]\nfilters=99999999999\nsize=3\n",
        "t.cfg:6: [convolutional] filters=99999999999: not an integer");
    bad("[convolutional]\nfilters=4\nsize=9\n",
        "t.cfg:7: [convolutional] size=9: larger than the input 8 x 8 with "
        "padding 0");
    bad("[convolutional]\nfilters=4\nsize=1\ngroups=2\n",
        "t.cfg:8: [convolutional] groups=2: 3 input channels and 4 filters "
        "do not split into 2 groups");
    bad("[maxpool]\nsize=10\npadding=0\n",
        "t.cfg:5: [maxpool]: size 10 is larger than the input 8 x 8 with "
        "padding 0");
    bad("[connected]\n", "t.cfg:5: [connected]: missing output= (layer 0)");
    bad("[upsample]\nstride=0\n", "t.cfg:6: [upsample] stride=0: must not "
                                  "be 0");
    bad("[upsample]\nstride=100000\n",
        "t.cfg:5: [upsample]: output 800000 x 800000 x 3 is larger than "
        "1073741824 values (layer 0)");
    bad("[upsample]\nstride=-16\n",
        "t.cfg:5: [upsample]: output 0 x 0 x 3 is empty (layer 0)");
    bad("[crop]\ncrop_height=4\n",
        "t.cfg:5: [crop]: missing crop_width= (layer 0)");
    bad("[crop]\ncrop_height=4\ncrop_width=9\n",
        "t.cfg:5: [crop]: crop 9 x 4 is larger than the input 8 x 8");

    /* routes and shortcuts */
    bad_after_conv("[convolutional]\nfilters=4\nsize=3\npad=1\n"
                   "[route]\nlayers=-40\n",
                   "t.cfg:14: [route] layers=-40: no layer 40 back (this is "
                   "layer 2)");
    bad_after_conv("[route]\nlayers=-1,1\n",
                   "t.cfg:10: [route] layers=-1,1: layer 1 is not before this "
                   "one (this is layer 1)");
    bad_after_conv(
        "[route]\nlayers=-1,,0\n",
        "t.cfg:10: [route] layers=-1,,0: not a list of layer numbers");
    bad_after_conv("[route]\n", "t.cfg:9: [route]: missing layers= (layer 1)");
    bad_after_conv("[maxpool]\nsize=2\nstride=2\n"
                   "[route]\nlayers=0,1\n",
                   "t.cfg:13: [route] layers=0,1: layer 0 is 8 x 8 but layer 1 "
                   "is 4 x 4");
    bad_after_conv("[route]\nlayers=0\ngroups=3\n",
                   "t.cfg:11: [route] groups=3: 4 channels do not split into 3 "
                   "groups");
    bad_after_conv(
        "[shortcut]\nfrom=-2\n",
        "t.cfg:10: [shortcut] from=-2: no layer 2 back (this is layer "
        "1)");
    bad_after_conv("[shortcut]\n",
                   "t.cfg:9: [shortcut]: missing from= (layer 1)");
    /* 8x8 against 8x4: Darknet's shortcut_cpu() asserts the ratios */
    bad_after_conv(
        "[crop]\ncrop_width=8\ncrop_height=4\n"
        "[shortcut]\nfrom=0\n",
        "t.cfg:13: [shortcut] from=0: layer 0 is 8 x 8 x 4, the layer "
        "before is 8 x 4 x 4: sizes that differ by unlike ratios in "
        "width and height");

    /* detection heads */
    bad_after_conv(
        "[yolo]\nmask=0,1\nclasses=1\n",
        "t.cfg:9: [yolo]: needs 12 input channels for its classes and "
        "anchors, the layer before gives 4 (layer 1)");
    bad("[connected]\noutput=100\n[detection]\nside=2\n",
        "t.cfg:7: [detection]: needs 12 input values for its classes and "
        "anchors, the layer before gives 100 (layer 1)");
}

/* The caps on layers and edges that keep a hostile file cheap. */
static void test_limits(void)
{
    const size_t cap = 10002 * 32 + 64;
    char *text = malloc(cap);
    T_CHECK(text != NULL);
    if (!text)
        return;
    size_t n = (size_t)snprintf(text, cap, "%s", NET);
    for (int i = 0; i < 10001; i++)
        n += (size_t)snprintf(text + n, cap - n, "[dropout]\n");
    bad(text + strlen(NET), "t.cfg:10005: [dropout]: more than 10000 layers");
    /* 64 layers (63 edges), then routes of 64 layers each (3 lines
     * apiece, from line 69): the 312th would pass 20,000 edges */
    n = (size_t)snprintf(text, cap, "%s", NET);
    for (int i = 0; i < 64; i++)
        n += (size_t)snprintf(text + n, cap - n, "[dropout]\n");
    for (int i = 0; i < 400; i++) {
        n += (size_t)snprintf(text + n, cap - n,
                              "[route]\nlayers=-64,-63,-62,-61,-60,-59,-58,"
                              "-57,-56,-55,-54,-53,-52,-51,-50,-49,-48,-47,"
                              "-46,-45,-44,-43,-42,-41,-40,-39,-38,-37,-36,"
                              "-35,-34,-33,-32,-31,-30,-29,-28,-27,-26,-25,"
                              "-24,-23,-22,-21,-20,-19,-18,-17,-16,-15,-14,"
                              "-13,-12,-11,-10,-9,-8,-7,-6,-5,-4,-3,-2,-1\n"
                              "groups=64\n");
        T_CHECK(n < cap);
    }
    bad(text + strlen(NET),
        "t.cfg:1002: [route]: more than 20000 edges in all");
    free(text);
}

/* A shortcut across a 2:1 size difference is what resnet uses; a route
 * may name the same layer twice (one edge); comments and blanks anywhere
 * in a line are Darknet's. */
static void test_accepted(void)
{
    static const char cfg[] =
        "; a comment\n[net]\n  width = 8\nheight=8\n\tchannels=3 \r\n"
        "# another\n"
        "[convolutional]\nfilters=4\nsize=3\npad=1\n"
        "[convolutional]\nfilters=8\nsize=3\nstride=2\npad=1\n"
        "[shortcut]\nfrom = -2\n"
        "[route]\nlayers = -1, -1\n";
    struct mgraph g;
    char err[256] = "";
    T_CHECK(dncfg_read_buf(cfg, sizeof cfg - 1, "a.cfg", &g, err, sizeof err) ==
            0);
    T_STREQ(err, "");
    T_CHECK(g.n == 4);
    if (g.n == 4) {
        T_CHECK(shape_is(&g.node[2], 4, 4, 8));
        T_CHECK(shape_is(&g.node[3], 4, 4, 16));
        T_CHECK(n_in(&g, 3) == 1);
        T_CHECK(g.node[3].line == 18);
    }
    mgraph_free(&g);
    /* a file that is not there */
    T_CHECK(dncfg_read_file("/nonexistent/x.cfg", &g, err, sizeof err) == -1);
    T_STREQ(err, "/nonexistent/x.cfg: No such file or directory");
    T_CHECK(g.n == 0);
}

int main(void)
{
    test_shared_totals();
    test_params();
    test_known_layers();
    test_other_sections();
    test_bad_input();
    test_limits();
    test_accepted();
    return t_done("test_dncfg");
}
