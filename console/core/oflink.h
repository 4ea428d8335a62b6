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
 * tensor gets, cross traffic and TCP's own pacing included.  A train
 * short of OFLINK_MIN_TRAIN_BYTES is ignored; one that arrived in less
 * than OFLINK_MIN_DISP_S counts as bytes / OFLINK_MIN_DISP_S (the path
 * is at least that fast).  A train can only under-state the path (TCP's
 * slow start, a sender with nothing more to send), so the estimate is the
 * largest of the last OFLINK_WIN samples, as BBR's bottleneck-bandwidth
 * filter is a windowed maximum of delivery-rate samples (Cardwell et al.,
 * "BBR: Congestion-Based Congestion Control", ACM Queue 14(5), 2016);
 * except that two samples in a row under half the estimate are a drop
 * (the bench's bandwidth drop): the window then restarts from them, so a
 * slower path is believed after two tensors instead of after OFLINK_WIN.
 *
 * Nothing here allocates or reads a clock: times come in as arguments.
 */
#ifndef WATTSON_OFLINK_H
#define WATTSON_OFLINK_H

#include <stdint.h>

#define OFLINK_MIN_TRAIN_BYTES 16384.0
#define OFLINK_MIN_DISP_S 0.002
#define OFLINK_WIN 8

struct oflink {
    double srtt, rttvar; /* s; srtt 0: no sample yet */
    double bw;           /* bytes/s, the window's largest; 0: no sample yet */
    double prior_bw, prior_rtt; /* what is assumed before any sample */
    unsigned n_rtt, n_bw;       /* samples taken */
    double win[OFLINK_WIN];     /* the latest samples, a ring */
    unsigned n_win, head;
    /* the last sample when it was under half the estimate, else 0 */
    double low;
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
