/*
 * test_oflink - the offload link's estimator (console/core/oflink.c):
 * SRTT and RTTVAR follow RFC 6298 section 2 (values worked by hand
 * below), samples that are not a positive finite time are ignored, the
 * one-way latency is SRTT / 2 (the prior's half before any sample); the
 * bandwidth ignores trains too short to time, lets a too-quick train only
 * count as bytes / OFLINK_MIN_DISP_S, keeps the largest of the last
 * OFLINK_WIN samples, and believes a drop (two samples in a row under
 * half) at once; the request timeout is RFC 6298's RTO, at
 * least 1 s, plus the work and twice the bytes' time.
 */
#include <math.h>

#include "core/oflink.h"
#include "t.h"

/* a relative tolerance: the hand values are exact decimals, the code's
 * arithmetic binary */
static double tol(double x)
{
    return 1e-12 * fabs(x) + 1e-15;
}

static void test_rtt_rfc6298(void)
{
    struct oflink l;
    oflink_init(&l, 1e6, 0.04);
    /* before any sample: the prior, one way */
    T_NEAR(oflink_lat(&l), 0.02, tol(0.02));
    T_CHECK(l.n_rtt == 0);

    /* R1 = 0.1: SRTT = R, RTTVAR = R/2 */
    oflink_rtt(&l, 0.1);
    T_NEAR(l.srtt, 0.1, tol(0.1));
    T_NEAR(l.rttvar, 0.05, tol(0.05));
    T_NEAR(oflink_lat(&l), 0.05, tol(0.05));
    /* R2 = 0.2: RTTVAR = 3/4 0.05 + 1/4 |0.1 - 0.2| = 0.0625 (with the
     * old SRTT), SRTT = 7/8 0.1 + 1/8 0.2 = 0.1125 */
    oflink_rtt(&l, 0.2);
    T_NEAR(l.rttvar, 0.0625, tol(0.0625));
    T_NEAR(l.srtt, 0.1125, tol(0.1125));
    /* R3 = 0.05: RTTVAR = 3/4 0.0625 + 1/4 |0.1125 - 0.05| = 0.0625,
     * SRTT = 7/8 0.1125 + 1/8 0.05 = 0.1046875 */
    oflink_rtt(&l, 0.05);
    T_NEAR(l.rttvar, 0.0625, tol(0.0625));
    T_NEAR(l.srtt, 0.1046875, tol(0.1046875));
    T_NEAR(oflink_lat(&l), 0.05234375, tol(0.05234375));
    T_CHECK(l.n_rtt == 3);

    /* ignored: zero, negative, NaN, infinities */
    const double bad[] = {0.0, -0.1, -0.0, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        oflink_rtt(&l, bad[i]);
    T_CHECK(l.n_rtt == 3);
    T_NEAR(l.srtt, 0.1046875, tol(0.1046875));
    T_NEAR(l.rttvar, 0.0625, tol(0.0625));

    /* an ignored first sample leaves the prior in place */
    struct oflink m;
    oflink_init(&m, 1e6, 0.3);
    oflink_rtt(&m, NAN);
    oflink_rtt(&m, 0);
    T_CHECK(m.n_rtt == 0);
    T_NEAR(oflink_lat(&m), 0.15, tol(0.15));
    /* and the first real sample is still taken as the first */
    oflink_rtt(&m, 0.08);
    T_NEAR(m.srtt, 0.08, tol(0.08));
    T_NEAR(m.rttvar, 0.04, tol(0.04));
}

static void test_bw_trains(void)
{
    struct oflink l;
    oflink_init(&l, 1e6, 0.01);
    T_NEAR(oflink_bw(&l), 1e6, tol(1e6));

    /* too short to time, or not numbers: ignored, the prior stays */
    oflink_train(&l, OFLINK_MIN_TRAIN_BYTES - 1, 0.1);
    oflink_train(&l, 0, 0.1);
    oflink_train(&l, -1e6, 0.1);
    oflink_train(&l, NAN, 0.1);
    oflink_train(&l, INFINITY, 0.1);
    oflink_train(&l, 1e6, -0.1);
    oflink_train(&l, 1e6, NAN);
    oflink_train(&l, 1e6, INFINITY);
    T_CHECK(l.n_bw == 0);
    T_NEAR(oflink_bw(&l), 1e6, tol(1e6));

    /* exactly the minimum is a sample; the first replaces the prior */
    oflink_train(&l, OFLINK_MIN_TRAIN_BYTES, 0.01);
    T_CHECK(l.n_bw == 1);
    T_NEAR(oflink_bw(&l), OFLINK_MIN_TRAIN_BYTES / 0.01,
           tol(OFLINK_MIN_TRAIN_BYTES / 0.01));

    /* the window's largest: 1e7, then 8e6 and 5e6 (not under half)
     * leave it; 2e7 raises it at once (rates exact: disp 0.125) */
    struct oflink e;
    oflink_init(&e, 1e6, 0.01);
    oflink_train(&e, 1.25e6, 0.125); /* 1e7 */
    T_NEAR(oflink_bw(&e), 1e7, tol(1e7));
    oflink_train(&e, 1e6, 0.125); /* 8e6 */
    T_NEAR(oflink_bw(&e), 1e7, tol(1e7));
    oflink_train(&e, 6.25e5, 0.125); /* 5e6: exactly half, not a drop */
    T_NEAR(oflink_bw(&e), 1e7, tol(1e7));
    T_CHECK(e.low == 0);
    oflink_train(&e, 2.5e6, 0.125); /* 2e7 */
    T_NEAR(oflink_bw(&e), 2e7, tol(2e7));
    T_CHECK(e.n_bw == 4);
    /* the largest ages out after OFLINK_WIN newer samples */
    for (int k = 0; k < OFLINK_WIN - 1; k++) {
        oflink_train(&e, 1.5e6, 0.125); /* 1.2e7: over half of 2e7 */
        T_NEAR(oflink_bw(&e), 2e7, tol(2e7));
    }
    oflink_train(&e, 1.5e6, 0.125);
    T_NEAR(oflink_bw(&e), 1.2e7, tol(1.2e7));
}

static void test_bw_quick(void)
{
    struct oflink l;
    oflink_init(&l, 1e6, 0.01);
    /* arrived in one read (disp 0, or under OFLINK_MIN_DISP_S): the path
     * is at least bytes / OFLINK_MIN_DISP_S, a sample like another */
    oflink_train(&l, 1e5, 0);
    T_NEAR(oflink_bw(&l), 1e5 / OFLINK_MIN_DISP_S, tol(5e7));
    oflink_train(&l, 1e5, OFLINK_MIN_DISP_S / 2);
    T_NEAR(oflink_bw(&l), 5e7, tol(5e7));
    /* a bigger quick train raises it; a smaller one does not lower it */
    oflink_train(&l, 2e5, 0);
    T_NEAR(oflink_bw(&l), 1e8, tol(1e8));
    oflink_train(&l, 1.5e5, 0);
    T_NEAR(oflink_bw(&l), 1e8, tol(1e8));
    T_CHECK(l.n_bw == 4);
    /* a train timed at exactly OFLINK_MIN_DISP_S is an ordinary sample */
    struct oflink m;
    oflink_init(&m, 1e6, 0.01);
    oflink_train(&m, 2e4, OFLINK_MIN_DISP_S);
    T_NEAR(oflink_bw(&m), 2e4 / OFLINK_MIN_DISP_S, tol(1e7));
}

static void test_bw_drop(void)
{
    struct oflink l;
    oflink_init(&l, 1e6, 0.01);
    oflink_train(&l, 1.25e6, 0.125); /* 1e7 */
    oflink_train(&l, 1.5e6, 0.125);  /* 1.2e7 */
    /* one sample under half: not believed yet, the largest stays */
    oflink_train(&l, 2.5e5, 0.125); /* 2e6 */
    T_NEAR(oflink_bw(&l), 1.2e7, tol(1.2e7));
    T_NEAR(l.low, 2e6, tol(2e6));
    /* the second in a row: the window restarts from the two */
    oflink_train(&l, 3.75e5, 0.125); /* 3e6 */
    T_NEAR(oflink_bw(&l), 3e6, tol(3e6));
    T_CHECK(l.n_win == 2 && l.low == 0);
    /* and a rise after it is taken at once */
    oflink_train(&l, 1.25e6, 0.125);
    T_NEAR(oflink_bw(&l), 1e7, tol(1e7));

    /* under half, then within: not a run; the next one under half is a
     * first again */
    struct oflink m;
    oflink_init(&m, 1e6, 0.01);
    oflink_train(&m, 1.25e6, 0.125); /* 1e7 */
    oflink_train(&m, 2.5e5, 0.125);  /* 2e6: low */
    oflink_train(&m, 1e6, 0.125);    /* 8e6: within */
    T_CHECK(m.low == 0);
    oflink_train(&m, 2.5e5, 0.125); /* 2e6: a first low again */
    T_NEAR(oflink_bw(&m), 1e7, tol(1e7));
    /* a too-quick train is within (it says at least): it breaks a run */
    oflink_train(&m, 1e5, 0); /* 5e7 */
    T_CHECK(m.low == 0);
    T_NEAR(oflink_bw(&m), 5e7, tol(5e7));
}

static void test_timeout(void)
{
    struct oflink l;
    /* before any sample: SRTT = prior, RTTVAR = prior / 2; 0.5 + 4 x 0.25
     * = 1.5 s, over the floor; plus work 0.2 and 2 x 5e5 / 1e6 */
    oflink_init(&l, 1e6, 0.5);
    T_NEAR(oflink_timeout(&l, 0.2, 5e5), 0.2 + 1.5 + 1.0, tol(2.7));
    /* the terms one at a time */
    T_NEAR(oflink_timeout(&l, 0, 0), 1.5, tol(1.5));
    T_NEAR(oflink_timeout(&l, 3, 0), 4.5, tol(4.5));
    T_NEAR(oflink_timeout(&l, 0, 1e6), 3.5, tol(3.5));

    /* the 1 s floor (RFC 6298 2.4): a fast path's RTO is 1 s */
    struct oflink f;
    oflink_init(&f, 1e6, 0.01);
    T_NEAR(oflink_timeout(&f, 0, 0), 1.0, tol(1.0));
    oflink_rtt(&f, 0.02);
    T_NEAR(oflink_timeout(&f, 0, 0), 1.0, tol(1.0));
    /* just under the floor (0.3 + 4 x 0.15 = 0.9 s) and just over it
     * (0.34 + 4 x 0.17 = 1.02 s) */
    struct oflink e;
    oflink_init(&e, 1e6, 0.3);
    T_NEAR(oflink_timeout(&e, 0, 0), 1.0, tol(1.0));
    oflink_init(&e, 1e6, 0.34);
    T_NEAR(oflink_timeout(&e, 0, 0), 1.02, tol(1.02));
    /* the floor is on the RTO alone: work and bytes come on top */
    T_NEAR(oflink_timeout(&f, 0.25, 1e5), 1.0 + 0.25 + 0.2, tol(1.45));

    /* after samples: R = 1 then 3: RTTVAR = 0.375 + 0.5 = 0.875, SRTT =
     * 0.875 + 0.375 = 1.25; RTO = 1.25 + 3.5 = 4.75 */
    oflink_rtt(&l, 1.0);
    oflink_rtt(&l, 3.0);
    T_NEAR(oflink_timeout(&l, 0, 0), 4.75, tol(4.75));
    /* the bandwidth term uses the estimate, not the prior */
    oflink_train(&l, 1e6, 0.1); /* 1e7 */
    T_NEAR(oflink_timeout(&l, 2, 1e6), 2 + 4.75 + 0.2, tol(6.95));

    /* G: an RTT that never varies still leaves G = 1 ms over SRTT */
    struct oflink g;
    oflink_init(&g, 1e6, 0.01);
    for (int i = 0; i < 100; i++)
        oflink_rtt(&g, 2.0);
    T_NEAR(g.srtt, 2.0, tol(2.0));
    T_CHECK(4 * g.rttvar < 0.001);
    T_NEAR(oflink_timeout(&g, 0, 0), 2.001, tol(2.001));
}

int main(void)
{
    test_rtt_rfc6298();
    test_bw_trains();
    test_bw_quick();
    test_bw_drop();
    test_timeout();
    return t_done("test_oflink");
}
