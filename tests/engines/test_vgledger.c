/*
 * test_vgledger - the vGPU API's book (engines/vgledger.h): grants,
 * partial grants and refusals with their reasons, limits, reservations,
 * the policy's rules, releases of more than held, bad amounts, unknown
 * types and GPUs, a full client table, the release of a closed client's
 * holdings, the counters, and that no call allocates.
 */
#include <math.h>
#include <string.h>

#include "allocount.h"
#include "engines/vgledger.h"
#include "t.h"

static struct vgledger *two_gpus(size_t clients)
{
    struct vgledger *l = vgledger_new(2, clients);
    double a[WVG_NTYPES] = {1.0, 16e9, 250};
    double b[WVG_NTYPES] = {1.0, 8e9, 70};
    T_CHECK(l != NULL);
    T_CHECK(vgledger_set_gpu(l, 0, "gpu0", a) == 0);
    T_CHECK(vgledger_set_gpu(l, 1, "gpu1", b) == 0);
    return l;
}

static void test_grants(void)
{
    struct vgledger *l = two_gpus(4);
    char why[128];
    double g;
    int a = vgledger_client_open(l, 100, 1000);
    int b = vgledger_client_open(l, 200, 1000);
    T_CHECK(a >= 0 && b >= 0 && a != b);
    T_CHECK(vgledger_request(l, a, 0, WVG_COMPUTE, 0.5, &g, why, sizeof why) ==
            VGLEDGER_OK);
    T_NEAR(g, 0.5, 1e-12);
    T_STREQ(why, "");
    T_NEAR(vgledger_available(l, 0, WVG_COMPUTE), 0.5, 1e-12);
    T_NEAR(vgledger_held(l, a, 0, WVG_COMPUTE), 0.5, 1e-12);
    /* b asks more than is left: partial, and says so */
    T_CHECK(vgledger_request(l, b, 0, WVG_COMPUTE, 0.8, &g, why, sizeof why) ==
            VGLEDGER_OK);
    T_NEAR(g, 0.5, 1e-12);
    T_CHECK(strstr(why, "partial: only 0.5 compute available on gpu0") != NULL);
    /* nothing left: a refusal with the reason */
    T_CHECK(vgledger_request(l, b, 0, WVG_COMPUTE, 0.1, &g, why, sizeof why) ==
            VGLEDGER_EFULL);
    T_NEAR(g, 0, 0);
    T_STREQ(why, "only 0 compute available on gpu0");
    /* the other GPU is untouched */
    T_NEAR(vgledger_available(l, 1, WVG_COMPUTE), 1.0, 0);
    T_NEAR(vgledger_available(l, 1, WVG_MEMORY), 8e9, 0);
    const struct vgledger_counters *c = vgledger_counters(l);
    T_CHECK(c->requests == 3 && c->grants == 2 && c->partial == 1 &&
            c->refusals == 1);
    vgledger_free(l);
}

static void test_release(void)
{
    struct vgledger *l = two_gpus(4);
    char why[128];
    double g, r;
    int a = vgledger_client_open(l, 1, 0), b = vgledger_client_open(l, 2, 0);
    T_CHECK(vgledger_request(l, a, 1, WVG_MEMORY, 4e9, &g, why, sizeof why) ==
            VGLEDGER_OK);
    /* b holds nothing: releasing never touches a's */
    T_CHECK(vgledger_release(l, b, 1, WVG_MEMORY, 4e9, &r, why, sizeof why) ==
            VGLEDGER_OK);
    T_NEAR(r, 0, 0);
    T_NEAR(vgledger_held(l, a, 1, WVG_MEMORY), 4e9, 0);
    T_NEAR(vgledger_available(l, 1, WVG_MEMORY), 4e9, 0);
    /* more than held: what is held, and says so */
    T_CHECK(vgledger_release(l, a, 1, WVG_MEMORY, 6e9, &r, why, sizeof why) ==
            VGLEDGER_OK);
    T_NEAR(r, 4e9, 0);
    T_CHECK(strstr(why, "held only 4e+09 memory on gpu1") != NULL);
    T_NEAR(vgledger_available(l, 1, WVG_MEMORY), 8e9, 0);
    /* a thousand pairs leave no rounding dust */
    for (int i = 0; i < 1000; i++) {
        vgledger_request(l, a, 0, WVG_COMPUTE, 0.1, &g, why, sizeof why);
        vgledger_release(l, a, 0, WVG_COMPUTE, 0.1, &r, why, sizeof why);
    }
    T_CHECK(vgledger_held(l, a, 0, WVG_COMPUTE) == 0);
    T_CHECK(vgledger_available(l, 0, WVG_COMPUTE) == 1.0);
    vgledger_free(l);
}

static void test_limits(void)
{
    struct vgledger *l = two_gpus(4);
    char why[128];
    double g;
    int a = vgledger_client_open(l, 1, 0);
    T_CHECK(vgledger_limit(l, a, 0, WVG_COMPUTE) == INFINITY);
    T_CHECK(vgledger_set_limit(l, a, 0, WVG_COMPUTE, 0.5, why, sizeof why) ==
            VGLEDGER_OK);
    T_CHECK(vgledger_request(l, a, 0, WVG_COMPUTE, 0.4, &g, why, sizeof why) ==
            VGLEDGER_OK);
    T_CHECK(vgledger_request(l, a, 0, WVG_COMPUTE, 0.4, &g, why, sizeof why) ==
            VGLEDGER_OK);
    T_NEAR(g, 0.1, 1e-12);
    T_CHECK(strstr(why, "partial: limit 0.5 compute") != NULL);
    T_CHECK(vgledger_request(l, a, 0, WVG_COMPUTE, 0.1, &g, why, sizeof why) ==
            VGLEDGER_ELIMIT);
    T_STREQ(why, "limit 0.5 compute reached on gpu0");
    /* a limit below what is held is refused and changes nothing */
    T_CHECK(vgledger_set_limit(l, a, 0, WVG_COMPUTE, 0.2, why, sizeof why) ==
            VGLEDGER_ELIMIT);
    T_CHECK(strstr(why, "below the 0.5 compute held") != NULL);
    T_NEAR(vgledger_limit(l, a, 0, WVG_COMPUTE), 0.5, 0);
    /* 0 is a valid limit (nothing more), negative/NaN are not */
    T_CHECK(vgledger_set_limit(l, a, 1, WVG_POWER, 0, why, sizeof why) ==
            VGLEDGER_OK);
    T_CHECK(vgledger_request(l, a, 1, WVG_POWER, 1, &g, why, sizeof why) ==
            VGLEDGER_ELIMIT);
    T_CHECK(vgledger_set_limit(l, a, 1, WVG_POWER, -1, why, sizeof why) ==
            VGLEDGER_EAMOUNT);
    T_CHECK(vgledger_set_limit(l, a, 1, WVG_POWER, NAN, why, sizeof why) ==
            VGLEDGER_EAMOUNT);
    T_CHECK(vgledger_counters(l)->limits == 2);
    vgledger_free(l);
}

static void test_reserved_and_rules(void)
{
    struct vgledger *l = two_gpus(4);
    char why[128];
    double g;
    int a = vgledger_client_open(l, 1, 0);
    T_CHECK(vgledger_set_reserved(l, 0, WVG_POWER, 200) == 0);
    T_NEAR(vgledger_available(l, 0, WVG_POWER), 50, 0);
    T_CHECK(vgledger_request(l, a, 0, WVG_POWER, 100, &g, why, sizeof why) ==
            VGLEDGER_OK);
    T_NEAR(g, 50, 0);
    /* reserving more than is free: available is 0, never negative */
    T_CHECK(vgledger_set_reserved(l, 0, WVG_POWER, 240) == 0);
    T_CHECK(vgledger_available(l, 0, WVG_POWER) == 0);
    T_CHECK(vgledger_set_reserved(l, 0, WVG_POWER, -1) == -1);
    T_CHECK(vgledger_set_reserved(l, 0, WVG_POWER, NAN) == -1);
    /* the policy's rules */
    T_CHECK(vgledger_set_rule(l, WVG_MEMORY, 0, 1) == 0);
    T_CHECK(vgledger_request(l, a, 0, WVG_MEMORY, 1e9, &g, why, sizeof why) ==
            VGLEDGER_EPOLICY);
    T_CHECK(strstr(why, "refused by policy") != NULL);
    T_CHECK(vgledger_set_rule(l, WVG_COMPUTE, 0.25, 0) == 0);
    T_CHECK(vgledger_request(l, a, 1, WVG_COMPUTE, 0.5, &g, why, sizeof why) ==
            VGLEDGER_OK);
    T_NEAR(g, 0.25, 0);
    T_CHECK(vgledger_request(l, a, 1, WVG_COMPUTE, 0.5, &g, why, sizeof why) ==
            VGLEDGER_EPOLICY);
    T_CHECK(strstr(why, "policy limit 0.25") != NULL);
    T_CHECK(vgledger_set_rule(l, 7, 1, 0) == -1);
    vgledger_free(l);
}

static void test_bad_input(void)
{
    struct vgledger *l = two_gpus(2);
    char why[128];
    double g, r;
    int a = vgledger_client_open(l, 1, 0);
    const double bad[] = {NAN, INFINITY, -INFINITY, -0.5, 0.0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        T_CHECK(vgledger_request(l, a, 0, WVG_COMPUTE, bad[i], &g, why,
                                 sizeof why) == VGLEDGER_EAMOUNT);
        T_CHECK(strstr(why, "must be finite and > 0") != NULL);
        T_CHECK(vgledger_release(l, a, 0, WVG_COMPUTE, bad[i], &r, why,
                                 sizeof why) == VGLEDGER_EAMOUNT);
    }
    T_CHECK(vgledger_request(l, a, 0, 3, 0.1, &g, why, sizeof why) ==
            VGLEDGER_ETYPE);
    T_CHECK(vgledger_request(l, a, 0, -1, 0.1, &g, why, sizeof why) ==
            VGLEDGER_ETYPE);
    T_CHECK(vgledger_request(l, a, 2, WVG_COMPUTE, 0.1, &g, why, sizeof why) ==
            VGLEDGER_EGPU);
    T_CHECK(vgledger_request(l, 1, 0, WVG_COMPUTE, 0.1, &g, why, sizeof why) ==
            VGLEDGER_ECLIENT);
    T_CHECK(vgledger_request(l, 99, 0, WVG_COMPUTE, 0.1, &g, why, sizeof why) ==
            VGLEDGER_ECLIENT);
    T_CHECK(vgledger_gpu_find(l, "gpu1") == 1 && vgledger_gpu_find(l, "x") < 0);
    T_CHECK(vgledger_available(l, 0, WVG_COMPUTE) == 1.0);
    double capbad[WVG_NTYPES] = {1, NAN, 1};
    T_CHECK(vgledger_set_gpu(l, 0, "g", capbad) == -1);
    T_CHECK(vgledger_set_gpu(l, 5, "g", capbad) == -1);
    T_CHECK(vgledger_new(0, 4) == NULL && vgledger_new(17, 4) == NULL);
    vgledger_free(l);
}

static void test_clients(void)
{
    struct vgledger *l = two_gpus(2);
    char why[128];
    double g, rel[2 * WVG_NTYPES];
    int a = vgledger_client_open(l, 11, 0), b = vgledger_client_open(l, 12, 0);
    T_CHECK(vgledger_client_open(l, 13, 0) == -1); /* full */
    T_CHECK(vgledger_n_clients(l) == 2);
    vgledger_request(l, a, 0, WVG_COMPUTE, 0.3, &g, why, sizeof why);
    vgledger_request(l, a, 1, WVG_POWER, 20, &g, why, sizeof why);
    vgledger_set_limit(l, b, 1, WVG_MEMORY, 1e9, why, sizeof why);
    /* the holders: a on both GPUs, b on gpu1 (a limit) */
    size_t cur = 0, n = 0;
    struct vgledger_holding h;
    int seen_a0 = 0;
    while (vgledger_next_holding(l, &cur, &h)) {
        n++;
        if (h.client == a && h.gpu == 0)
            seen_a0 = h.pid == 11 && h.held[WVG_COMPUTE] == 0.3;
    }
    T_CHECK(n == 3 && seen_a0);
    T_CHECK(vgledger_client_close(l, a, rel) == 1);
    T_NEAR(rel[0 * WVG_NTYPES + WVG_COMPUTE], 0.3, 0);
    T_NEAR(rel[1 * WVG_NTYPES + WVG_POWER], 20, 0);
    T_CHECK(vgledger_available(l, 0, WVG_COMPUTE) == 1.0);
    T_CHECK(vgledger_available(l, 1, WVG_POWER) == 70);
    T_CHECK(vgledger_client_close(l, b, NULL) == 0); /* held nothing */
    T_CHECK(vgledger_client_close(l, b, NULL) == -1);
    T_CHECK(vgledger_counters(l)->disconnect_releases == 1);
    /* a slot freed is reused, with nothing of the old client's */
    int c = vgledger_client_open(l, 14, 0);
    T_CHECK(c >= 0 && vgledger_held(l, c, 0, WVG_COMPUTE) == 0 &&
            vgledger_limit(l, c, 1, WVG_MEMORY) == INFINITY);
    vgledger_free(l);
}

static void test_noalloc(void)
{
    struct vgledger *l = two_gpus(8);
    char why[128];
    double g, r;
    unsigned long allocs = 1;
    allocount_start();
    for (int i = 0; i < 100; i++) {
        int a = vgledger_client_open(l, 1, 0);
        vgledger_request(l, a, 0, WVG_COMPUTE, 0.1, &g, why, sizeof why);
        vgledger_release(l, a, 0, WVG_COMPUTE, 0.05, &r, why, sizeof why);
        vgledger_set_limit(l, a, 0, WVG_MEMORY, 1e9, why, sizeof why);
        vgledger_client_close(l, a, NULL);
    }
    allocount_stop(&allocs, NULL);
    T_CHECK(allocs == 0);
    vgledger_free(l);
}

int main(void)
{
    allocount_install();
    test_grants();
    test_release();
    test_limits();
    test_reserved_and_rules();
    test_bad_input();
    test_clients();
    test_noalloc();
    return t_done("test_vgledger");
}
