/*
 * ofmsg - the messages inside the offload protocol's frames (issue 18;
 * frames: core/ofwire.h).  Every field is little-endian (ofwire_put*),
 * doubles as their IEEE 754 bits; every decoder takes bytes from the
 * network and trusts none of them (fuzzed: tests/fuzz/fuzz_ofmsg.c).
 *
 *   HELLO    role u8 (1 user, 2 remote), 1 byte 0, udp_port u16 (the
 *            UDP port this side takes tensors on, engines/ofdg.h; 0:
 *            none, TCP only), features u32
 *            (OFMSG_FEAT_*), speed f64 (the device's, relative to the
 *            profiled one), cpu_share f64 (0..1), name char[32] (NUL
 *            padded): 56 bytes.  Each side sends it first; nothing else
 *            is accepted before the peer's.
 *   REQUEST  the seed's "partitionConfig, featureVector": n_nodes u32,
 *            n_layers u32, n_ins u32, 4 bytes 0, scale f64, then the
 *            feature vector - score f64, entropy f64, edge density f64,
 *            width u32, height u32 - then per layer id u32, n_in u32,
 *            flags u32, work_ms f64, out_bytes f64 (28 bytes), then the
 *            n_ins input ids u32.  The remote's plan (part/ofexec.h),
 *            checked whole: ids below n_nodes, each layer once, an input
 *            either an earlier layer or not the plan's (it will arrive),
 *            numbers finite and in range.  Inputs: the ACTIVATION frames
 *            of the same stream.
 *   TENSOR   (an ACTIVATION frame's payload, the seed's inputData and the
 *            activations) tensor u32 (a node, or OFEXEC_INPUT), chunk
 *            u32, total u64 (the tensor's bytes), offset u64 (this
 *            chunk's, raw), ident u64, digest u64 (part/ofexec.h), raw
 *            u32 (this chunk's bytes before compression): 44 bytes, then
 *            the chunk (zstd when the frame says so).
 *   RESULT   status u32 (0 done; else the request failed there, a
 *            one-line reason follows), sent u32 (tensors sent home),
 *            compute_ms f64 (the remote's simulated compute), predicted_ms
 *            f64 (its prediction from the feature vector), queued_ms f64
 *            (waiting for its device): 32 bytes, then the reason.
 *   ACK      tensor u32, rebuilt u32 (datagram groups rebuilt from
 *            parity; 0 over TCP), wire u64 (bytes as they crossed), raw
 *            u64, disp f64 (s from its first bytes to its last), got u32
 *            and expected u32 (datagrams received of those sent as far as
 *            the receiver can tell, the sender's loss sample; 0 and 0
 *            over TCP): 40 bytes.
 *   NACK     blob u32 (the datagram stream, core/ofblk.h's `stream`), n
 *            u32 (1..OFMSG_NACK_MAX), then n group numbers u32, strictly
 *            ascending: the groups still short of a tensor sent as
 *            datagrams (engines/ofdg.h).  It names the blob, not the
 *            tensor: the tensor's id is inside the blob, and the group
 *            that holds it may be the one lost.
 *   PING     token u64 (the sender's clock), then any padding (a
 *            bandwidth probe); PONG: token u64, bytes u64 (the ping's
 *            frame), disp f64: 24 bytes.
 *   ERROR    a one-line reason, printable ASCII, at most 255 bytes.
 */
#ifndef WATTSON_OFMSG_H
#define WATTSON_OFMSG_H

#include <stddef.h>
#include <stdint.h>

#include "part/ofexec.h"

#define OFMSG_ROLE_USER 1u
#define OFMSG_ROLE_REMOTE 2u
#define OFMSG_FEAT_ZSTD 0x1u

#define OFMSG_HELLO_SIZE 56u
#define OFMSG_TENSOR_HDR 44u
#define OFMSG_RESULT_SIZE 32u
#define OFMSG_ACK_SIZE 40u
#define OFMSG_NACK_MAX 4096u /* groups per NACK; more: the next one */
#define OFMSG_PONG_SIZE 24u
#define OFMSG_ERROR_MAX 255u

struct ofmsg_hello {
    unsigned role, udp_port;
    uint32_t features;
    double speed, cpu_share;
    char name[32];
};

struct ofmsg_feat {
    double score, entropy, edges;
    uint32_t width, height;
};

struct ofmsg_tensor {
    uint32_t tensor, chunk;
    uint64_t total, offset, ident, digest;
    uint32_t raw;
};

struct ofmsg_result {
    uint32_t status, sent;
    double compute_ms, predicted_ms, queued_ms;
    char reason[OFMSG_ERROR_MAX + 1];
};

struct ofmsg_ack {
    uint32_t tensor, rebuilt;
    uint64_t wire, raw;
    double disp;
    uint32_t got, expected;
};

struct ofmsg_nack {
    uint32_t blob, n;
    const unsigned char *groups; /* decoded: into the caller's payload */
};

struct ofmsg_pong {
    uint64_t token, bytes;
    double disp;
};

size_t ofmsg_hello_put(void *buf, const struct ofmsg_hello *h);
int ofmsg_hello_get(const void *p, size_t n, struct ofmsg_hello *h, char *why,
                    size_t whylen);

/* REQUEST's size for plan p, and its encoding into buf (cap bytes):
 * the size, or 0 when it does not fit. */
size_t ofmsg_request_size(const struct ofexec_plan *p);
size_t ofmsg_request_put(void *buf, size_t cap, const struct ofexec_plan *p,
                         double scale, const struct ofmsg_feat *fv);
/* Decodes and checks a REQUEST into a plan it allocates (ofexec_free):
 * 0, or -1 with a one-line reason (nothing allocated). */
int ofmsg_request_get(const void *p, size_t n, struct ofexec_plan *plan,
                      double *scale, struct ofmsg_feat *fv, char *why,
                      size_t whylen);

void ofmsg_tensor_put(void *buf, const struct ofmsg_tensor *t);
/* The chunk header of an ACTIVATION payload of n bytes: 0, or -1 with a
 * reason (short, a tensor over OFEXEC_MAX_TENSOR, a chunk beyond it). */
int ofmsg_tensor_get(const void *p, size_t n, struct ofmsg_tensor *t, char *why,
                     size_t whylen);

size_t ofmsg_result_put(void *buf, size_t cap, const struct ofmsg_result *r);
int ofmsg_result_get(const void *p, size_t n, struct ofmsg_result *r, char *why,
                     size_t whylen);

void ofmsg_ack_put(void *buf, const struct ofmsg_ack *a);
int ofmsg_ack_get(const void *p, size_t n, struct ofmsg_ack *a, char *why,
                  size_t whylen);

/* A NACK for blob's n groups (ascending) into buf (cap bytes): its size,
 * or 0 when n is 0, over OFMSG_NACK_MAX or does not fit. */
size_t ofmsg_nack_put(void *buf, size_t cap, uint32_t blob,
                      const uint32_t *groups, size_t n);
/* Decodes a NACK (its groups read in place: ofmsg_nack_group): 0, or -1
 * with a reason (size, count, groups not ascending). */
int ofmsg_nack_get(const void *p, size_t n, struct ofmsg_nack *k, char *why,
                   size_t whylen);
uint32_t ofmsg_nack_group(const struct ofmsg_nack *k, size_t i);

void ofmsg_pong_put(void *buf, const struct ofmsg_pong *a);
int ofmsg_pong_get(const void *p, size_t n, struct ofmsg_pong *a, char *why,
                   size_t whylen);

/* An ERROR's text into out (NUL-terminated, at most OFMSG_ERROR_MAX),
 * non-printable bytes as '?': what a peer says is shown, never obeyed. */
void ofmsg_error_get(const void *p, size_t n, char *out, size_t outlen);

#endif
