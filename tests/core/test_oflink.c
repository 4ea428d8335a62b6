/*
 * test_oflink - the offload link's estimator (console/core/oflink.c):
 * SRTT and RTTVAR follow RFC 6298 section 2 (values worked by hand
 * below), samples that are not a positive finite time are ignored, the
 * one-way latency is SRTT / 2 (the prior's half before any sample); the
 * bandwidth ignores trains too short to time, lets a too-quick train only
 * raise the estimate (to bytes / OFLINK_MIN_DISP_S), averages with
 * OFLINK_BW_ALPHA, and believes an outlier (under half, over twice) only
 * the second time in a row; the request timeout is RFC 6298's RTO, at
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

    /* EWMA: 1e7 then 8e6 (within half..twice): 0.7 1e7 + 0.3 8e6 */
    struct oflink e;
    oflink_init(&e, 1e6, 0.01);
    oflink_train(&e, 1e6, 0.1);
    T_NEAR(oflink_bw(&e), 1e7, tol(1e7));
    oflink_train(&e, 1e6, 0.125);
    const double want = (1 - OFLINK_BW_ALPHA) * 1e7 + OFLINK_BW_ALPHA * 8e6;
    T_NEAR(want, 9.4e6, tol(9.4e6)); /* the constant is the header's 0.3 */
    T_NEAR(oflink_bw(&e), 9.4e6, tol(9.4e6));
    oflink_train(&e, 5e5, 0.1); /* 0.7 9.4e6 + 0.3 5e6 */
    T_NEAR(oflink_bw(&e), 8.08e6, tol(8.08e6));
    T_CHECK(e.n_bw == 3);

    /* exactly half, and exactly twice, are within: averaged (rates
     * exact in binary: disp 0.125) */
    struct oflink h;
    oflink_init(&h, 1e6, 0.01);
    oflink_train(&h, 1.25e6, 0.125); /* 1e7 */
    oflink_train(&h, 6.25e5, 0.125); /* 5e6 */
    T_NEAR(oflink_bw(&h), 8.5e6, tol(8.5e6));
    T_CHECK(h.jump == 0);
    oflink_init(&h, 1e6, 0.01);
    oflink_train(&h, 1.25e6, 0.125); /* 1e7 */
    oflink_train(&h, 2.5e6, 0.125);  /* 2e7 */
    T_NEAR(oflink_bw(&h), 1.3e7, tol(1.3e7));
    T_CHECK(h.jump == 0);
}

static void test_bw_quick(void)
{
    struct oflink l;
    oflink_init(&l, 1e6, 0.01);
    /* arrived in one read (disp 0, or under OFLINK_MIN_DISP_S): the path
     * is at least bytes / OFLINK_MIN_DISP_S */
    oflink_train(&l, 1e5, 0);
    T_NEAR(oflink_bw(&l), 1e5 / OFLINK_MIN_DISP_S, tol(5e7));
    T_NEAR(oflink_bw(&l), 5e7, tol(5e7));
    /* a smaller quick train never lowers it */
    oflink_train(&l, 2e4, OFLINK_MIN_DISP_S / 2);
    T_NEAR(oflink_bw(&l), 5e7, tol(5e7));
    /* a larger one raises it */
    oflink_train(&l, 4e5, 0.001);
    T_NEAR(oflink_bw(&l), 2e8, tol(2e8));
    T_CHECK(l.n_bw == 3);

    /* over an estimate from timed trains: raised, never lowered */
    struct oflink m;
    oflink_init(&m, 1e6, 0.01);
    oflink_train(&m, 1e6, 0.1);        /* 1e7 */
    oflink_train(&m, 1e4 * 2, 0.0001); /* floor 1e7: equal, kept */
    T_NEAR(oflink_bw(&m), 1e7, tol(1e7));
    oflink_train(&m, 16384, 0.001); /* floor 8.192e6 < 1e7: kept */
    T_NEAR(oflink_bw(&m), 1e7, tol(1e7));
    oflink_train(&m, 1e5, 0.001); /* floor 5e7: raised */
    T_NEAR(oflink_bw(&m), 5e7, tol(5e7));
    /* exactly OFLINK_MIN_DISP_S is timed: 1e5 / 0.002 = 5e7, averaged
     * (equal), so the estimate stays */
    oflink_train(&m, 1e5, OFLINK_MIN_DISP_S);
    T_NEAR(oflink_bw(&m), 5e7, tol(5e7));
}

static void test_bw_outliers(void)
{
    struct oflink l;
    oflink_init(&l, 1e6, 0.01);
    oflink_train(&l, 1e6, 0.1); /* 1e7 */

    /* one sample at x0.3: not believed, not averaged in */
    oflink_train(&l, 3e5, 0.1);
    T_NEAR(oflink_bw(&l), 1e7, tol(1e7));
    T_CHECK(l.jump == -1);
    /* a normal one after it: averaged (equal), and the run is broken */
    oflink_train(&l, 1e6, 0.1);
    T_NEAR(oflink_bw(&l), 1e7, tol(1e7));
    T_CHECK(l.jump == 0);
    oflink_train(&l, 3e5, 0.1);
    T_NEAR(oflink_bw(&l), 1e7, tol(1e7));
    /* the second in a row: a drop, replaces the estimate */
    oflink_train(&l, 3e5, 0.1);
    T_NEAR(oflink_bw(&l), 3e6, tol(3e6));
    T_CHECK(l.jump == 0);

    /* x3: the same for a rise */
    oflink_train(&l, 9e5, 0.1);
    T_NEAR(oflink_bw(&l), 3e6, tol(3e6));
    T_CHECK(l.jump == 1);
    oflink_train(&l, 9e5, 0.1);
    T_NEAR(oflink_bw(&l), 9e6, tol(9e6));

    /* one below then one above: not a run, neither believed */
    oflink_train(&l, 2.7e5, 0.1); /* x0.3 */
    oflink_train(&l, 2.7e6, 0.1); /* x3 */
    T_NEAR(oflink_bw(&l), 9e6, tol(9e6));
    T_CHECK(l.jump == 1);
    /* the run is the last two: another x3 replaces with the latest */
    oflink_train(&l, 3e6, 0.1);
    T_NEAR(oflink_bw(&l), 3e7, tol(3e7));

    /* a too-quick train between two outliers breaks the run */
    oflink_train(&l, 3e5, 0.1); /* 3e6, x0.1 */
    oflink_train(&l, 16384, 0); /* floor 8.192e6 < 3e7: kept */
    oflink_train(&l, 3e5, 0.1);
    T_NEAR(oflink_bw(&l), 3e7, tol(3e7));
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
    test_bw_outliers();
    test_timeout();
    return t_done("test_oflink");
}
