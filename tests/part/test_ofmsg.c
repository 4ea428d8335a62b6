/*
 * test_ofmsg - the offload protocol's messages (console/part/ofmsg.c):
 * every message survives its round trip; a REQUEST made from a real
 * split's remote plan (ofexec_build) decodes to the same plan; each
 * refusal of every decoder is reached by a hand-made buffer and gives
 * its reason (checked by a substring) with nothing left allocated; an
 * ERROR's text comes out printable and at most OFMSG_ERROR_MAX bytes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ofwire.h"
#include "part/ofmsg.h"
#include "t.h"

/* ---- REQUEST, written field by field so any field can be wrong ---- */

struct rl {
    uint32_t id, n_in, flags;
    double work, out;
};

struct req {
    uint32_t nn, nl, ni;
    double scale, score, entropy, edges;
    uint32_t w, h;
    struct rl l[8];
    uint32_t ins[16];
};

/* A valid plan of a 6-node model: 1 reads the input, 2 reads 1 and node
 * 0 (from the user), 4 reads 2 and is sent home. */
static struct req good(void)
{
    struct req r = {.nn = 6,
                    .nl = 3,
                    .ni = 4,
                    .scale = 1.5,
                    .score = 42,
                    .entropy = 7.25,
                    .edges = 0.125,
                    .w = 640,
                    .h = 480};
    r.l[0] = (struct rl){1, 1, 0, 1.0, 100};
    r.l[1] = (struct rl){2, 2, 0, 2.5, 200};
    r.l[2] = (struct rl){4, 1, OFEXEC_F_SEND, 0, 0};
    r.ins[0] = OFEXEC_INPUT;
    r.ins[1] = 1;
    r.ins[2] = 0;
    r.ins[3] = 2;
    return r;
}

static unsigned char buf[64 + 8 * 28 + 16 * 4 + 4 * 4200];

/* Its bytes into buf; the size, adjusted by `adj` bytes. */
static size_t enc(const struct req *r, long adj)
{
    memset(buf, 0, sizeof buf);
    ofwire_put32(buf, r->nn);
    ofwire_put32(buf + 4, r->nl);
    ofwire_put32(buf + 8, r->ni);
    ofwire_putf64(buf + 16, r->scale);
    ofwire_putf64(buf + 24, r->score);
    ofwire_putf64(buf + 32, r->entropy);
    ofwire_putf64(buf + 40, r->edges);
    ofwire_put32(buf + 48, r->w);
    ofwire_put32(buf + 52, r->h);
    unsigned char *p = buf + 64;
    for (uint32_t i = 0; i < r->nl && i < 8; i++, p += 28) {
        ofwire_put32(p, r->l[i].id);
        ofwire_put32(p + 4, r->l[i].n_in);
        ofwire_put32(p + 8, r->l[i].flags);
        ofwire_putf64(p + 12, r->l[i].work);
        ofwire_putf64(p + 20, r->l[i].out);
    }
    for (uint32_t i = 0; i < r->ni && i < 16; i++, p += 4)
        ofwire_put32(p, r->ins[i]);
    return (size_t)((long)(64 + (size_t)r->nl * 28 + (size_t)r->ni * 4) + adj);
}

/* A refusal whose reason contains `want`, leaving no plan. */
static void refused(const char *what, size_t n, const char *want)
{
    struct ofexec_plan pl;
    struct ofmsg_feat fv;
    double scale = 0;
    char why[160] = "";
    const int rc = ofmsg_request_get(buf, n, &pl, &scale, &fv, why, sizeof why);
    const int ok = rc == -1 && strstr(why, want) != NULL && pl.l == NULL &&
                   pl.ins == NULL && pl.n == 0;
    T_CHECK(ok);
    if (!ok)
        fprintf(stderr, "  %s: rc %d, \"%s\" (wanted \"%s\")\n", what, rc, why,
                want);
    if (rc == 0)
        ofexec_free(&pl);
}

static void test_request_good(void)
{
    struct req r = good();
    const size_t n = enc(&r, 0);
    struct ofexec_plan pl;
    struct ofmsg_feat fv;
    double scale = 0;
    char why[160] = "";
    T_CHECK(ofmsg_request_get(buf, n, &pl, &scale, &fv, why, sizeof why) == 0);
    T_CHECK(pl.n_nodes == 6 && pl.n == 3 && pl.n_ins == 4);
    T_CHECK(scale == 1.5 && fv.score == 42 && fv.entropy == 7.25 &&
            fv.edges == 0.125 && fv.width == 640 && fv.height == 480);
    T_CHECK(pl.l[1].id == 2 && pl.l[1].n_in == 2 && pl.l[1].in_off == 1 &&
            pl.l[1].work_ms == 2.5 && pl.l[1].out_bytes == 200);
    T_CHECK(pl.l[2].in_off == 3 && pl.l[2].flags == OFEXEC_F_SEND);
    T_CHECK(pl.ins[0] == OFEXEC_INPUT && pl.ins[2] == 0 && pl.ins[3] == 2);
    ofexec_free(&pl);

    /* the edges of the ranges are in */
    r.scale = 1e-3;
    r.score = 100;
    r.entropy = 0;
    r.edges = 1;
    r.l[0].work = 86400e3;
    r.l[0].out = OFEXEC_MAX_TENSOR;
    r.nn = OFEXEC_MAX_NODES;
    T_CHECK(ofmsg_request_get(buf, enc(&r, 0), &pl, &scale, &fv, why,
                              sizeof why) == 0);
    ofexec_free(&pl);
    /* every layer of the model in the plan */
    r = good();
    r.nn = 3;
    r.l[2].id = 0;
    r.ins[2] = OFEXEC_INPUT;
    r.ins[3] = 2;
    T_CHECK(ofmsg_request_get(buf, enc(&r, 0), &pl, &scale, &fv, why,
                              sizeof why) == 0);
    ofexec_free(&pl);
}

static void test_request_refused(void)
{
    struct req r = good();
    size_t n = enc(&r, 0);
    refused("short", 63, "short");
    refused("empty", 0, "short");

    /* counts */
    r = good(), r.nn = 0;
    refused("no nodes", enc(&r, 0), "layer counts out of range");
    r = good(), r.nn = OFEXEC_MAX_NODES + 1;
    refused("too many nodes", enc(&r, 0), "layer counts out of range");
    r = good(), r.nl = 0, r.ni = 0;
    refused("no layers", enc(&r, 0), "layer counts out of range");
    r = good(), r.nn = 2;
    refused("more layers than nodes", enc(&r, 0), "layer counts out of range");

    /* the size against the counts */
    r = good();
    n = enc(&r, 0);
    refused("a byte more", n + 1, "size does not match");
    refused("a byte less", n - 1, "size does not match");
    r.ni = 5;
    refused("an input not there", enc(&r, -4), "size does not match");
    /* more than 4096 inputs a layer, though the size agrees */
    r = good(), r.nl = 1, r.ni = 4097;
    refused("too many inputs", enc(&r, 0), "size does not match");

    /* scale and the feature vector */
    const struct {
        int field;
        double v;
    } fvbad[] = {{0, NAN},      {0, 0},        {0, 9e-4},  {0, 1001}, {0, -1},
                 {0, INFINITY}, {1, -1},       {1, 100.5}, {1, NAN},  {2, -0.1},
                 {2, 8.5},      {2, INFINITY}, {3, -0.1},  {3, 1.01}, {3, NAN}};
    for (size_t i = 0; i < sizeof fvbad / sizeof fvbad[0]; i++) {
        r = good();
        double *f[] = {&r.scale, &r.score, &r.entropy, &r.edges};
        *f[fvbad[i].field] = fvbad[i].v;
        char what[64];
        snprintf(what, sizeof what, "feature %d = %g", fvbad[i].field,
                 fvbad[i].v);
        refused(what, enc(&r, 0), "scale or feature vector out of range");
    }

    /* layers */
    r = good(), r.l[1].id = 6;
    refused("id = n_nodes", enc(&r, 0), "layer id out of range");
    r = good(), r.l[0].id = 0xffffffffu;
    refused("id = OFEXEC_INPUT", enc(&r, 0), "layer id out of range");
    r = good(), r.l[2].id = 1, r.ins[3] = 2;
    refused("a layer twice", enc(&r, 0), "listed twice");
    r = good(), r.l[1].flags = 0x2;
    refused("flag 0x2", enc(&r, 0), "unknown layer flags");
    r = good(), r.l[1].flags = 0x80000001u;
    refused("flag 0x80000001", enc(&r, 0), "unknown layer flags");
    const double wbad[] = {NAN,      -1,       -1e-300, 86400e3 * 1.0001,
                           INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof wbad / sizeof wbad[0]; i++) {
        r = good(), r.l[1].work = wbad[i];
        char what[64];
        snprintf(what, sizeof what, "work %g", wbad[i]);
        refused(what, enc(&r, 0), "work or output size out of range");
    }
    const double obad[] = {NAN, -1, OFEXEC_MAX_TENSOR + 1, 1e300, INFINITY};
    for (size_t i = 0; i < sizeof obad / sizeof obad[0]; i++) {
        r = good(), r.l[0].out = obad[i];
        char what[64];
        snprintf(what, sizeof what, "out %g", obad[i]);
        refused(what, enc(&r, 0), "work or output size out of range");
    }

    /* inputs */
    r = good(), r.l[0].n_in = 0, r.l[1].n_in = 3;
    refused("n_in 0", enc(&r, 0), "inputs do not add up");
    r = good(), r.l[2].n_in = 2;
    refused("past the inputs", enc(&r, 0), "inputs do not add up");
    r = good(), r.l[2].n_in = 0xffffffffu;
    refused("n_in huge", enc(&r, 0), "inputs do not add up");
    r = good(), r.ni = 5, r.ins[4] = 0;
    refused("an input left over", enc(&r, 0), "inputs do not add up");
    r = good(), r.ins[2] = 6;
    refused("input = n_nodes", enc(&r, 0), "input id out of range");
    r = good(), r.ins[0] = 0xfffffffeu;
    refused("input 0xfffffffe", enc(&r, 0), "input id out of range");
    r = good(), r.ins[1] = 2;
    refused("reads itself", enc(&r, 0), "reads itself");
    r = good(), r.ins[0] = 4;
    refused("reads a later layer", enc(&r, 0), "comes after it");
    r = good(), r.ins[0] = 2;
    refused("reads the next layer", enc(&r, 0), "comes after it");
}

/* A real split's remote plan: the REQUEST decodes to the same plan. */
static void test_request_from_plan(void)
{
    struct mgraph g;
    mgraph_init(&g);
    for (int v = 0; v < 7; v++) {
        struct mgraph_node nd = {.fwd_ms = NAN, .bwd_ms = NAN, .flops = NAN};
        snprintf(nd.name, sizeof nd.name, "n%d", v);
        nd.act_bytes = 4096.0 * (v + 1);
        T_CHECK(mgraph_add(&g, &nd) == v);
    }
    /* 0 -> 1 -> 2 -> 3 -> 5, 1 -> 4 -> 5, 0 -> 6 (a second sink) */
    static const uint32_t e[][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 5},
                                    {1, 4}, {4, 5}, {0, 6}};
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++)
        T_CHECK(mgraph_edge(&g, e[i][0], e[i][1]) == 0);
    uint32_t order[7];
    char err[128];
    T_CHECK(mgraph_topo(&g, order, err, sizeof err) == 0);
    const double fwd[7] = {0.5, 1, 2, 3, 0.25, 4, 0.125};
    const struct ofmsg_feat fv = {12.5, 3.5, 0.25, 1920, 1080};
    /* every prefix but the all-local one (no REQUEST then) */
    for (size_t p = 0; p < 7; p++) {
        uint8_t tier[7];
        for (size_t k = 0; k < 7; k++)
            tier[order[k]] = k >= p;
        struct ofexec_plan u, r, d;
        T_CHECK(ofexec_build(&g, order, fwd, tier, &u, &r) == 0);
        const size_t size = ofmsg_request_size(&r);
        unsigned char *b = malloc(size);
        T_CHECK(b != NULL);
        if (!b) {
            ofexec_free(&u);
            ofexec_free(&r);
            break;
        }
        T_CHECK(ofmsg_request_put(b, size - 1, &r, 2.0, &fv) == 0);
        T_CHECK(ofmsg_request_put(b, size, &r, 2.0, &fv) == size);
        double scale = 0;
        struct ofmsg_feat got;
        char why[160] = "";
        const int rc =
            ofmsg_request_get(b, size, &d, &scale, &got, why, sizeof why);
        T_CHECK(rc == 0);
        if (rc != 0)
            fprintf(stderr, "  prefix %zu: %s\n", p, why);
        else {
            int same = d.n_nodes == r.n_nodes && d.n == r.n &&
                       d.n_ins == r.n_ins && scale == 2.0 &&
                       memcmp(&got, &fv, sizeof fv) == 0;
            for (size_t i = 0; same && i < r.n; i++)
                same &= d.l[i].id == r.l[i].id && d.l[i].n_in == r.l[i].n_in &&
                        d.l[i].in_off == r.l[i].in_off &&
                        d.l[i].flags == r.l[i].flags &&
                        d.l[i].work_ms == r.l[i].work_ms &&
                        d.l[i].out_bytes == r.l[i].out_bytes;
            same = same && memcmp(d.ins, r.ins, r.n_ins * sizeof *r.ins) == 0;
            T_CHECK(same);
            ofexec_free(&d);
        }
        free(b);
        ofexec_free(&u);
        ofexec_free(&r);
    }
    /* the all-local split's remote plan is empty: refused if sent */
    uint8_t tier[7] = {0};
    struct ofexec_plan u, r, d;
    T_CHECK(ofexec_build(&g, order, fwd, tier, &u, &r) == 0);
    T_CHECK(r.n == 0 && ofmsg_request_size(&r) == 64);
    T_CHECK(ofmsg_request_put(buf, sizeof buf, &r, 1.0, &fv) == 64);
    double scale;
    struct ofmsg_feat got;
    char why[160] = "";
    T_CHECK(ofmsg_request_get(buf, 64, &d, &scale, &got, why, sizeof why) ==
            -1);
    T_CHECK(strstr(why, "layer counts") != NULL);
    ofexec_free(&u);
    ofexec_free(&r);
    mgraph_free(&g);
}

static void test_tensor(void)
{
    unsigned char b[OFMSG_TENSOR_HDR];
    const struct ofmsg_tensor t = {.tensor = 17,
                                   .chunk = 3,
                                   .total = 1000000,
                                   .offset = 196608,
                                   .ident = 0x0123456789abcdefull,
                                   .digest = 0xfedcba9876543210ull,
                                   .raw = 65536};
    ofmsg_tensor_put(b, &t);
    struct ofmsg_tensor g;
    char why[160] = "";
    T_CHECK(ofmsg_tensor_get(b, sizeof b, &g, why, sizeof why) == 0);
    T_CHECK(g.tensor == t.tensor && g.chunk == t.chunk && g.total == t.total &&
            g.offset == t.offset && g.ident == t.ident &&
            g.digest == t.digest && g.raw == t.raw);
    /* the chunk follows the header: a longer payload is fine */
    unsigned char big[OFMSG_TENSOR_HDR + 8];
    memcpy(big, b, sizeof b);
    T_CHECK(ofmsg_tensor_get(big, sizeof big, &g, why, sizeof why) == 0);
    /* the input as a tensor, the last chunk to the byte, an empty one */
    struct ofmsg_tensor x = t;
    x.tensor = OFEXEC_INPUT;
    x.offset = x.total - x.raw;
    ofmsg_tensor_put(b, &x);
    T_CHECK(ofmsg_tensor_get(b, sizeof b, &g, why, sizeof why) == 0);
    T_CHECK(g.tensor == OFEXEC_INPUT);
    x.offset = x.total, x.raw = 0;
    ofmsg_tensor_put(b, &x);
    T_CHECK(ofmsg_tensor_get(b, sizeof b, &g, why, sizeof why) == 0);
    x = t, x.total = (uint64_t)OFEXEC_MAX_TENSOR, x.offset = 0;
    x.raw = OFWIRE_MAX_PAYLOAD;
    ofmsg_tensor_put(b, &x);
    T_CHECK(ofmsg_tensor_get(b, sizeof b, &g, why, sizeof why) == 0);

    const struct {
        const char *what;
        uint64_t total, offset;
        uint32_t raw;
        const char *want;
    } bad[] = {
        {"total over the maximum", (uint64_t)OFEXEC_MAX_TENSOR + 1, 0, 1,
         "too large"},
        {"total 2^64 - 1", UINT64_MAX, 0, 1, "too large"},
        {"offset past the end", 1000, 1001, 0, "outside"},
        {"offset 2^64 - 1", 1000, UINT64_MAX, 0, "outside"},
        {"chunk past the end", 1000, 900, 101, "outside"},
        {"chunk of 2^32 - 1", 1000, 0, 0xffffffffu, "outside"},
        {"raw over a frame", (uint64_t)OFEXEC_MAX_TENSOR, 0,
         OFWIRE_MAX_PAYLOAD + 1, "outside"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        x = t;
        x.total = bad[i].total;
        x.offset = bad[i].offset;
        x.raw = bad[i].raw;
        ofmsg_tensor_put(b, &x);
        why[0] = '\0';
        const int ok =
            ofmsg_tensor_get(b, sizeof b, &g, why, sizeof why) == -1 &&
            strstr(why, bad[i].want) != NULL;
        T_CHECK(ok);
        if (!ok)
            fprintf(stderr, "  %s: \"%s\"\n", bad[i].what, why);
    }
    ofmsg_tensor_put(b, &t);
    T_CHECK(ofmsg_tensor_get(b, OFMSG_TENSOR_HDR - 1, &g, why, sizeof why) ==
                -1 &&
            strstr(why, "short") != NULL);
    T_CHECK(ofmsg_tensor_get(b, 0, &g, why, sizeof why) == -1);
}

static void test_result(void)
{
    unsigned char b[OFMSG_RESULT_SIZE + OFMSG_ERROR_MAX + 8];
    struct ofmsg_result r = {.status = 0,
                             .sent = 2,
                             .compute_ms = 12.5,
                             .predicted_ms = 11.25,
                             .queued_ms = 0.5};
    size_t n = ofmsg_result_put(b, sizeof b, &r);
    T_CHECK(n == OFMSG_RESULT_SIZE);
    struct ofmsg_result g;
    char why[160] = "";
    T_CHECK(ofmsg_result_get(b, n, &g, why, sizeof why) == 0);
    T_CHECK(g.status == 0 && g.sent == 2 && g.compute_ms == 12.5 &&
            g.predicted_ms == 11.25 && g.queued_ms == 0.5 && g.reason[0] == 0);
    /* a failure with its reason, and one of the longest */
    r.status = 3;
    snprintf(r.reason, sizeof r.reason, "layer 12: out of memory");
    n = ofmsg_result_put(b, sizeof b, &r);
    T_CHECK(n == OFMSG_RESULT_SIZE + strlen(r.reason));
    T_CHECK(ofmsg_result_get(b, n, &g, why, sizeof why) == 0);
    T_CHECK(g.status == 3);
    T_STREQ(g.reason, "layer 12: out of memory");
    memset(r.reason, 'x', OFMSG_ERROR_MAX);
    r.reason[OFMSG_ERROR_MAX] = '\0';
    n = ofmsg_result_put(b, sizeof b, &r);
    T_CHECK(n == OFMSG_RESULT_SIZE + OFMSG_ERROR_MAX);
    T_CHECK(ofmsg_result_get(b, n, &g, why, sizeof why) == 0);
    T_CHECK(strlen(g.reason) == OFMSG_ERROR_MAX);
    T_CHECK(ofmsg_result_put(b, n - 1, &r) == 0);
    /* sanitized: what a peer says is shown, never obeyed */
    memcpy(b + OFMSG_RESULT_SIZE, "a\nb\033[2Jc\x80", 9);
    T_CHECK(ofmsg_result_get(b, OFMSG_RESULT_SIZE + 9, &g, why, sizeof why) ==
            0);
    T_STREQ(g.reason, "a?b?[2Jc?");

    /* refusals */
    r.reason[0] = '\0';
    n = ofmsg_result_put(b, sizeof b, &r);
    T_CHECK(ofmsg_result_get(b, OFMSG_RESULT_SIZE - 1, &g, why, sizeof why) ==
                -1 &&
            strstr(why, "wrong size") != NULL);
    T_CHECK(ofmsg_result_get(b, OFMSG_RESULT_SIZE + OFMSG_ERROR_MAX + 1, &g,
                             why, sizeof why) == -1 &&
            strstr(why, "wrong size") != NULL);
    const double tbad[] = {NAN, -1, 1.001e12, INFINITY};
    for (int f = 0; f < 3; f++)
        for (size_t i = 0; i < sizeof tbad / sizeof tbad[0]; i++) {
            struct ofmsg_result x = r;
            double *t[] = {&x.compute_ms, &x.predicted_ms, &x.queued_ms};
            *t[f] = tbad[i];
            n = ofmsg_result_put(b, sizeof b, &x);
            why[0] = '\0';
            T_CHECK(ofmsg_result_get(b, n, &g, why, sizeof why) == -1 &&
                    strstr(why, "times out of range") != NULL);
        }
}

static void test_ack_pong(void)
{
    unsigned char b[64];
    const struct ofmsg_ack a = {.tensor = 9,
                                .rebuilt = 3,
                                .wire = 123456,
                                .raw = 654321,
                                .disp = 0.0125,
                                .got = 1000,
                                .expected = 1050};
    ofmsg_ack_put(b, &a);
    struct ofmsg_ack ga;
    char why[160] = "";
    T_CHECK(ofmsg_ack_get(b, OFMSG_ACK_SIZE, &ga, why, sizeof why) == 0);
    T_CHECK(ga.tensor == 9 && ga.wire == 123456 && ga.raw == 654321 &&
            ga.disp == 0.0125 && ga.rebuilt == 3 && ga.got == 1000 &&
            ga.expected == 1050);
    T_CHECK(ofmsg_ack_get(b, OFMSG_ACK_SIZE - 1, &ga, why, sizeof why) == -1 &&
            strstr(why, "wrong size") != NULL);
    T_CHECK(ofmsg_ack_get(b, OFMSG_ACK_SIZE + 1, &ga, why, sizeof why) == -1 &&
            strstr(why, "wrong size") != NULL);
    const double dbad[] = {NAN, -0.001, 1.0001e6, INFINITY};
    for (size_t i = 0; i < sizeof dbad / sizeof dbad[0]; i++) {
        struct ofmsg_ack x = a;
        x.disp = dbad[i];
        ofmsg_ack_put(b, &x);
        why[0] = '\0';
        T_CHECK(ofmsg_ack_get(b, OFMSG_ACK_SIZE, &ga, why, sizeof why) == -1 &&
                strstr(why, "out of range") != NULL);
    }
    struct ofmsg_ack x = a;
    x.raw = (uint64_t)OFEXEC_MAX_TENSOR + 1;
    ofmsg_ack_put(b, &x);
    T_CHECK(ofmsg_ack_get(b, OFMSG_ACK_SIZE, &ga, why, sizeof why) == -1 &&
            strstr(why, "out of range") != NULL);
    x.raw = (uint64_t)OFEXEC_MAX_TENSOR;
    ofmsg_ack_put(b, &x);
    T_CHECK(ofmsg_ack_get(b, OFMSG_ACK_SIZE, &ga, why, sizeof why) == 0);
    /* a loss sample that cannot be: more got than sent */
    x.got = x.expected + 1;
    ofmsg_ack_put(b, &x);
    T_CHECK(ofmsg_ack_get(b, OFMSG_ACK_SIZE, &ga, why, sizeof why) == -1 &&
            strstr(why, "more datagrams") != NULL);
    x.got = x.expected;
    ofmsg_ack_put(b, &x);
    T_CHECK(ofmsg_ack_get(b, OFMSG_ACK_SIZE, &ga, why, sizeof why) == 0);

    const struct ofmsg_pong p = {
        .token = 0x1122334455667788ull, .bytes = 70000, .disp = 0.003};
    ofmsg_pong_put(b, &p);
    struct ofmsg_pong gp;
    T_CHECK(ofmsg_pong_get(b, OFMSG_PONG_SIZE, &gp, why, sizeof why) == 0);
    T_CHECK(gp.token == p.token && gp.bytes == 70000 && gp.disp == 0.003);
    T_CHECK(ofmsg_pong_get(b, OFMSG_PONG_SIZE - 1, &gp, why, sizeof why) ==
                -1 &&
            strstr(why, "wrong size") != NULL);
    T_CHECK(ofmsg_pong_get(b, OFMSG_PONG_SIZE + 1, &gp, why, sizeof why) ==
                -1 &&
            strstr(why, "wrong size") != NULL);
    for (size_t i = 0; i < sizeof dbad / sizeof dbad[0]; i++) {
        struct ofmsg_pong y = p;
        y.disp = dbad[i];
        ofmsg_pong_put(b, &y);
        why[0] = '\0';
        T_CHECK(ofmsg_pong_get(b, OFMSG_PONG_SIZE, &gp, why, sizeof why) ==
                    -1 &&
                strstr(why, "out of range") != NULL);
    }
    struct ofmsg_pong y = p;
    y.bytes = 2ull * OFWIRE_MAX_PAYLOAD + 1;
    ofmsg_pong_put(b, &y);
    T_CHECK(ofmsg_pong_get(b, OFMSG_PONG_SIZE, &gp, why, sizeof why) == -1 &&
            strstr(why, "out of range") != NULL);
    y.bytes = 2ull * OFWIRE_MAX_PAYLOAD;
    ofmsg_pong_put(b, &y);
    T_CHECK(ofmsg_pong_get(b, OFMSG_PONG_SIZE, &gp, why, sizeof why) == 0);
}

static void test_hello(void)
{
    unsigned char b[OFMSG_HELLO_SIZE + 1];
    struct ofmsg_hello h = {.role = OFMSG_ROLE_REMOTE,
                            .features = OFMSG_FEAT_ZSTD,
                            .speed = 2.5,
                            .cpu_share = 0.75};
    snprintf(h.name, sizeof h.name, "gpu-box.lan");
    T_CHECK(ofmsg_hello_put(b, &h) == OFMSG_HELLO_SIZE);
    struct ofmsg_hello g;
    char why[160] = "";
    T_CHECK(ofmsg_hello_get(b, OFMSG_HELLO_SIZE, &g, why, sizeof why) == 0);
    T_CHECK(g.role == OFMSG_ROLE_REMOTE && g.features == OFMSG_FEAT_ZSTD &&
            g.speed == 2.5 && g.cpu_share == 0.75);
    T_STREQ(g.name, "gpu-box.lan");
    /* the padding byte is zero; no UDP port: bytes 2..3 zero */
    T_CHECK(b[1] == 0 && b[2] == 0 && b[3] == 0 && g.udp_port == 0);
    /* the UDP port, little-endian in bytes 2..3 */
    h.udp_port = 0xbeef;
    ofmsg_hello_put(b, &h);
    T_CHECK(b[2] == 0xef && b[3] == 0xbe && b[1] == 0);
    T_CHECK(ofmsg_hello_get(b, OFMSG_HELLO_SIZE, &g, why, sizeof why) == 0);
    T_CHECK(g.udp_port == 0xbeef);
    h.udp_port = 65535;
    ofmsg_hello_put(b, &h);
    T_CHECK(ofmsg_hello_get(b, OFMSG_HELLO_SIZE, &g, why, sizeof why) == 0);
    T_CHECK(g.udp_port == 65535);
    h.udp_port = 0;
    /* a full name (31) comes back; the name's bytes are sanitized */
    memset(h.name, 'n', sizeof h.name); /* no NUL: 31 go */
    ofmsg_hello_put(b, &h);
    T_CHECK(b[OFMSG_HELLO_SIZE - 1] == 0);
    T_CHECK(ofmsg_hello_get(b, OFMSG_HELLO_SIZE, &g, why, sizeof why) == 0);
    T_CHECK(strlen(g.name) == 31);
    memcpy(b + 24, "a b\tc\x7f\xff", 7);
    b[31] = 0;
    T_CHECK(ofmsg_hello_get(b, OFMSG_HELLO_SIZE, &g, why, sizeof why) == 0);
    T_STREQ(g.name, "a?b?c??");
    memset(b + 24, 'z', 32); /* no NUL on the wire: still terminated */
    T_CHECK(ofmsg_hello_get(b, OFMSG_HELLO_SIZE, &g, why, sizeof why) == 0);
    T_CHECK(strlen(g.name) == 31);

    snprintf(h.name, sizeof h.name, "user");
    T_CHECK(ofmsg_hello_get(b, OFMSG_HELLO_SIZE - 1, &g, why, sizeof why) ==
                -1 &&
            strstr(why, "wrong size") != NULL);
    T_CHECK(ofmsg_hello_get(b, OFMSG_HELLO_SIZE + 1, &g, why, sizeof why) ==
                -1 &&
            strstr(why, "wrong size") != NULL);
    /* role, speed, cpu share: each out of range in turn */
    const struct {
        int field;
        double v;
        const char *want;
    } bad[] = {{0, 0, "unknown role"},    {0, 3, "unknown role"},
               {0, 255, "unknown role"},  {1, 0, "speed"},
               {1, -1, "speed"},          {1, NAN, "speed"},
               {1, 1.01e6, "speed"},      {1, INFINITY, "speed"},
               {2, 0, "cpu share"},       {2, -0.5, "cpu share"},
               {2, 1.001, "cpu share"},   {2, NAN, "cpu share"},
               {2, INFINITY, "cpu share"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ofmsg_hello x = h;
        if (bad[i].field == 0)
            x.role = (unsigned)bad[i].v;
        else
            *(bad[i].field == 1 ? &x.speed : &x.cpu_share) = bad[i].v;
        ofmsg_hello_put(b, &x);
        why[0] = '\0';
        const int ok =
            ofmsg_hello_get(b, OFMSG_HELLO_SIZE, &g, why, sizeof why) == -1 &&
            strstr(why, bad[i].want) != NULL;
        T_CHECK(ok);
        if (!ok)
            fprintf(stderr, "  HELLO field %d = %g: \"%s\"\n", bad[i].field,
                    bad[i].v, why);
    }
    /* the edges of the ranges are in */
    h.role = OFMSG_ROLE_USER;
    h.speed = 1e6;
    h.cpu_share = 1;
    ofmsg_hello_put(b, &h);
    T_CHECK(ofmsg_hello_get(b, OFMSG_HELLO_SIZE, &g, why, sizeof why) == 0);
    T_CHECK(g.role == OFMSG_ROLE_USER);
}

static void test_nack(void)
{
    static unsigned char b[8 + 4 * (OFMSG_NACK_MAX + 2)];
    static uint32_t g[OFMSG_NACK_MAX + 1];
    char why[160] = "";
    const uint32_t three[] = {0, 7, 4000000000u};
    size_t n = ofmsg_nack_put(b, sizeof b, 77, three, 3);
    T_CHECK(n == 8 + 12);
    struct ofmsg_nack k;
    T_CHECK(ofmsg_nack_get(b, n, &k, why, sizeof why) == 0);
    T_CHECK(k.blob == 77 && k.n == 3 && ofmsg_nack_group(&k, 0) == 0 &&
            ofmsg_nack_group(&k, 1) == 7 &&
            ofmsg_nack_group(&k, 2) == 4000000000u);
    /* encoder refusals: none, too many, no room */
    T_CHECK(ofmsg_nack_put(b, sizeof b, 1, three, 0) == 0);
    for (uint32_t i = 0; i <= OFMSG_NACK_MAX; i++)
        g[i] = i;
    T_CHECK(ofmsg_nack_put(b, sizeof b, 1, g, OFMSG_NACK_MAX + 1) == 0);
    T_CHECK(ofmsg_nack_put(b, 19, 1, three, 3) == 0);
    /* the largest */
    n = ofmsg_nack_put(b, sizeof b, 1, g, OFMSG_NACK_MAX);
    T_CHECK(n == 8 + 4 * OFMSG_NACK_MAX);
    T_CHECK(ofmsg_nack_get(b, n, &k, why, sizeof why) == 0 &&
            k.n == OFMSG_NACK_MAX &&
            ofmsg_nack_group(&k, OFMSG_NACK_MAX - 1) == OFMSG_NACK_MAX - 1);
    /* decoder refusals, each with its reason */
    n = ofmsg_nack_put(b, sizeof b, 77, three, 3);
    T_CHECK(ofmsg_nack_get(b, 7, &k, why, sizeof why) == -1 &&
            strstr(why, "short") != NULL);
    T_CHECK(ofmsg_nack_get(b, n - 1, &k, why, sizeof why) == -1 &&
            strstr(why, "size does not match") != NULL);
    T_CHECK(ofmsg_nack_get(b, n + 4, &k, why, sizeof why) == -1 &&
            strstr(why, "size does not match") != NULL);
    ofwire_put32(b + 4, 0);
    T_CHECK(ofmsg_nack_get(b, 8, &k, why, sizeof why) == -1 &&
            strstr(why, "count") != NULL);
    ofwire_put32(b + 4, OFMSG_NACK_MAX + 1);
    T_CHECK(ofmsg_nack_get(b, sizeof b, &k, why, sizeof why) == -1 &&
            strstr(why, "count") != NULL);
    const uint32_t same[] = {5, 5}, down[] = {9, 2};
    n = ofmsg_nack_put(b, sizeof b, 1, same, 2);
    T_CHECK(ofmsg_nack_get(b, n, &k, why, sizeof why) == -1 &&
            strstr(why, "ascending") != NULL);
    n = ofmsg_nack_put(b, sizeof b, 1, down, 2);
    T_CHECK(ofmsg_nack_get(b, n, &k, why, sizeof why) == -1 &&
            strstr(why, "ascending") != NULL && k.n == 0);
}

static void test_error(void)
{
    char out[OFMSG_ERROR_MAX + 16];
    ofmsg_error_get("no route to model", 17, out, sizeof out);
    T_STREQ(out, "no route to model");
    ofmsg_error_get("bad\r\nline\0x\t\x1b\x7f\xc3\xa9", 16, out, sizeof out);
    T_STREQ(out, "bad??line?x?????");
    /* at most OFMSG_ERROR_MAX, however long the frame */
    static unsigned char lng[1000];
    memset(lng, 'e', sizeof lng);
    ofmsg_error_get(lng, sizeof lng, out, sizeof out);
    T_CHECK(strlen(out) == OFMSG_ERROR_MAX);
    /* and never past outlen */
    char small[8];
    memset(small, 'X', sizeof small);
    ofmsg_error_get(lng, sizeof lng, small, sizeof small);
    T_CHECK(strlen(small) == 7);
    char none[1] = {'X'};
    ofmsg_error_get(lng, sizeof lng, none, 0);
    T_CHECK(none[0] == 'X');
    ofmsg_error_get(lng, 0, out, sizeof out);
    T_STREQ(out, "");
}

int main(void)
{
    test_request_good();
    test_request_refused();
    test_request_from_plan();
    test_tensor();
    test_result();
    test_ack_pong();
    test_hello();
    test_nack();
    test_error();
    return t_done("test_ofmsg");
}
