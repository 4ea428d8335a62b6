/*
 * oflink - what the offload protocol knows of its network path (issue
 * 18): the round-trip time and the bandwidth, measured continuously from
 * the traffic itself, as the partitioner's link (part/psplit.h: bw, lat).
 *
 * Round-trip time: each sample is a PING's echo (or a request's, which
 * carries no compute), smoothed as TCP does it (RFC 6298, section 2:
 * SRTT and RTTVAR with alpha 1/8 and beta 1/4, the first sample setting
 * SRTT = R and RTTVAR = R/2).  The one-way latency given to the
 * partitioner is SRTT / 2: the path is taken as symmetric, as psplit's
 * model takes it.  The request timeout (oflink_timeout) is RFC 6298's RTO,
 * SRTT + 4 RTTVAR, added to the time the request's work is predicted to
 * take.
 *
 * Bandwidth: the receiver of a tensor (or of a bandwidth probe, a padded
 * PING) times it from the arrival of its first bytes to that of its last
 * and reports both the bytes and that dispersion back (an ACK frame): a
 * packet train's dispersion (Dovrolis, Ramanathan and Moore, "Packet-
 * dispersion techniques and a capacity-estimation methodology", IEEE/ACM
 * ToN 12(6), 2004), taken over a whole tensor so that it measures what a
 * tensor will get, cross traffic and TCP's own pacing included, rather
 * than the bottleneck's capacity.  A sample is kept only when the train
 * was long enough to time (OFLINK_MIN_TRAIN_BYTES and a dispersion of at
 * least OFLINK_MIN_DISP_S: a train that arrived in one read says only
 * that the path is at least that fast, and raises the estimate to it).
 * Samples are averaged with weight OFLINK_BW_ALPHA, except that a sample
 * under half or over twice the estimate, twice in a row, replaces it: a
 * bandwidth drop (the bench's "recovery after a drop") is believed after
 * two tensors instead of being averaged away over ten.
 *
 * Nothing here allocates or reads a clock: times come in as arguments.
 */
#ifndef WATTSON_OFLINK_H
#define WATTSON_OFLINK_H

#include <stdint.h>

#define OFLINK_MIN_TRAIN_BYTES 16384.0
#define OFLINK_MIN_DISP_S 0.002
#define OFLINK_BW_ALPHA 0.3

struct oflink {
    double srtt, rttvar;        /* s; srtt 0: no sample yet */
    double bw;                  /* bytes/s; 0: no sample yet */
    double prior_bw, prior_rtt; /* what is assumed before any sample */
    unsigned n_rtt, n_bw;       /* samples taken */
    int jump;                   /* the last sample's side: -1 below half,
                                   +1 over twice the estimate, 0 within */
};

/* An estimator with the assumption before any sample (bytes/s, s). */
void oflink_init(struct oflink *l, double prior_bw, double prior_rtt);
/* One round trip of rtt_s (> 0; others ignored). */
void oflink_rtt(struct oflink *l, double rtt_s);
/* A train of `bytes` whose last arrived disp_s after its first. */
void oflink_train(struct oflink *l, double bytes, double disp_s);
/* The estimates the partitioner uses: bytes/s and one-way seconds. */
double oflink_bw(const struct oflink *l);
double oflink_lat(const struct oflink *l);
/* RFC 6298's RTO for a request whose work is predicted at work_s:
 * work_s + SRTT + max(G, 4 RTTVAR), at least 1 s (RFC 6298 2.4), with
 * twice the time its bytes take at the estimated bandwidth (a margin
 * for a bandwidth that halved: once more and the request fails over). */
double oflink_timeout(const struct oflink *l, double work_s, double bytes);

#endif
