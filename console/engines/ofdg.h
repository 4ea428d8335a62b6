/*
 * ofdg - the tensors of one offload connection as erasure-coded
 * datagrams (issue 18: `offload run --transport udp`, "forward error
 * correction ... for a datagram transport or lossy links").  Everything
 * else - HELLO, REQUEST, RESULT, ACK, PING/PONG, ERROR and NACK - stays
 * on the TCP session (core/ofsess.h); the UDP socket is core/ofsess.h's
 * struct ofsess_udp, one per side.
 *
 * A tensor is sent as one blob: the request's stream u32, then its
 * ACTIVATION payloads exactly as the TCP path would send them (the
 * TENSOR header and the chunk, zstd as chosen) as records [u32 len][u8
 * frame flags][payload].  The blob is cut by core/ofblk.h into groups of
 * OFDG_K = 32 data shards of 1200 bytes plus m parity shards (ISA-L
 * Reed-Solomon), the datagram header's `stream` being the blob's number
 * (a counter per sender).  m follows the loss measured on this
 * connection: m = max(2, ceil(k (p + 3 sqrt(p (1 - p) / k)))), at most
 * k - the mean number of a group's k shards lost plus three standard
 * deviations of that binomial count in its normal approximation, so that
 * a group is short of parity about once in 700 (our rule; two parity
 * shards at no measured loss cover a stray drop).  p is an EWMA (weight
 * 1/4) of the receivers' samples: each ACK says how many of a blob's
 * datagrams came of those sent before its last one (plus those asked for
 * again).
 *
 * Pacing: UDP has no congestion control, and a burst into a slow
 * bottleneck's queue (a 1 Mb/s tbf) is mostly dropped.  Datagrams leave
 * through a token bucket refilled at OFDG_GAIN x the estimated bandwidth
 * (the caller's, core/oflink.h; the gain, 1.25, is BBR's probing
 * pacing_gain, so that an estimate learnt from paced trains can still
 * grow), holding at most one timer tick's (OFDG_TICK_S) worth; a one-shot
 * timer drives it.  A blob is kept until its ACK (at most OFDG_KEEP;
 * past that the oldest is forgotten and its request fails over if it
 * needed it).
 *
 * Receiving: a core/ofblk.h receiver per blob in flight (made when its
 * first datagram arrives, sized from its header, at most OFDG_MAX_BLOB;
 * OFDG_RX at once).  Once whole, its records go to the owner (`blob`),
 * which feeds them to the same reassembly as the TCP frames
 * (engines/ofside.h).  When no datagram of a blob still short has come
 * for max(20 ms, 2 SRTT), its short groups are named in a NACK on the TCP
 * session and the sender sends every shard of each again (paced); after
 * OFDG_NACKS rounds the blob is given up (the request's timeout fails it
 * over).  Datagrams of a blob already delivered are dropped and counted.
 */
#ifndef WATTSON_OFDG_H
#define WATTSON_OFDG_H

#include <stddef.h>
#include <stdint.h>

#include "core/ofblk.h"

struct event_base;
struct ofsess;
struct ofsess_udp;
struct ofdg;

#define OFDG_K 32u
#define OFDG_SHARD OFBLK_SHARD_DEFAULT
#define OFDG_DGRAM (OFBLK_HDR_SIZE + OFDG_SHARD)
#define OFDG_KEEP 16u /* blobs kept for resending until their ACK */
#define OFDG_RX 8u    /* blobs being received at once */
#define OFDG_NACKS 20u
#define OFDG_TICK_S 0.001
#define OFDG_GAIN 1.25
#define OFDG_NACK_MIN_S 0.020
#define OFDG_REC_HDR 5u /* a record's u32 len and u8 flags */
/* a tensor of OFEXEC_MAX_TENSOR bytes in 64 KiB chunks, with its
 * records' and TENSOR headers' overhead and the stream prefix */
#define OFDG_MAX_BLOB (OFBLK_MAX_TOTAL)

/* A whole blob, as handed to its owner. */
struct ofdg_in {
    const uint8_t *recs; /* the records, after the stream prefix */
    size_t n;
    uint64_t wire;      /* datagram bytes received */
    double first, last; /* its first and last datagram's arrival, s */
    uint32_t got, expected, rebuilt; /* the ACK's loss sample */
};

struct ofdg_ops {
    /* A blob arrived whole for the request `stream`: 1 taken, 0 kept
     * for later (that request has not started yet: ofdg_deliver), -1
     * dropped (a request that is over). */
    int (*blob)(void *arg, uint32_t stream, const struct ofdg_in *in);
    /* The estimated bandwidth to pace at (bytes/s) and the smoothed RTT
     * (s; 0 unknown). */
    double (*bw)(void *arg);
    double (*srtt)(void *arg);
};

struct ofdg_stats {
    uint64_t dg_out, dg_in;  /* datagrams sent, taken */
    uint64_t rebuilt;        /* groups this side rebuilt from parity */
    uint64_t peer_rebuilt;   /* groups the peer did (its ACKs) */
    uint64_t nacked, resent; /* groups this side asked for / resent */
    uint64_t late, corrupt;  /* dropped: of a blob done, or bad */
    uint64_t evicted, given_up;
    double loss; /* the EWMA of the ACKs' samples */
};

/* The channel of session s (TCP, for NACKs) over u to the peer
 * registered with ofsess_udp_peer(u, s, port, the channel): NULL out of
 * memory.  The owner hands it every datagram (ofdg_input). */
struct ofdg *ofdg_new(struct event_base *b, struct ofsess_udp *u,
                      struct ofsess *s, const struct ofdg_ops *ops, void *arg);
void ofdg_free(struct ofdg *d);

/* Sends blob (n bytes, malloc'd: taken, freed here whatever happens)
 * carrying tensor of request stream.  Returns the datagram bytes its
 * first sending takes, or 0 (too large, out of memory). */
uint64_t ofdg_send(struct ofdg *d, uint32_t stream, uint32_t tensor,
                   uint8_t *blob, size_t n);
/* A datagram from the peer (ofsess_udp's callback). */
void ofdg_input(void *d, const void *dg, size_t n, double now_s);
/* The peer's ACK of (stream, tensor): the blob is forgotten and its loss
 * sample kept. */
void ofdg_acked(struct ofdg *d, uint32_t stream, uint32_t tensor, uint32_t got,
                uint32_t expected, uint32_t rebuilt);
/* The peer's NACK payload: 0, or -1 with a reason (a bad NACK). */
int ofdg_nack(struct ofdg *d, const void *p, size_t n, char *why,
              size_t whylen);
/* Hands the blobs kept for request stream (ofdg_ops.blob said 0) over
 * again. */
void ofdg_deliver(struct ofdg *d, uint32_t stream);
void ofdg_stats(const struct ofdg *d, struct ofdg_stats *st);

/* ---- pure helpers (tests/engines/test_ofdg.c) ---- */

/* m for k data shards at loss p (0..1): the rule above. */
unsigned ofdg_parity(unsigned k, double loss);
/* One record at dst: its size, OFDG_REC_HDR + len. */
size_t ofdg_rec_put(uint8_t *dst, unsigned flags, const void *payload,
                    size_t len);
/* The record at *off of n bytes: 1 (its flags, payload and length out,
 * *off past it), 0 at the end, -1 a record that overruns the blob. */
int ofdg_rec_next(const uint8_t *p, size_t n, size_t *off, unsigned *flags,
                  const uint8_t **payload, size_t *len);

#endif
