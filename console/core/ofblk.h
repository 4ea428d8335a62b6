/*
 * ofblk - a buffer (a tensor, up to OFBLK_MAX_TOTAL bytes) as
 * erasure-coded datagrams, for the offload protocol (issue 18) over a
 * datagram transport or a lossy link.  Pure functions over caller
 * buffers: no sockets.
 *
 * The sender cuts the buffer into groups of k data shards of S bytes
 * (the last group zero-padded; the true length travels in every header)
 * and adds m parity shards per group (core/offec.c, Reed-Solomon over
 * ISA-L).  S defaults to OFBLK_SHARD_DEFAULT = 1200 so that a datagram,
 * 28 + 1200 bytes, fits the 1472 bytes of UDP payload an Ethernet MTU of
 * 1500 leaves after the IPv4 and UDP headers (20 + 8), with room for IPv6
 * (40) or a tunnel's encapsulation.
 *
 * A datagram is a 28-byte header, little-endian, then the S-byte shard:
 *
 *    0  u32 magic    OFBLK_MAGIC ("WOFB" read as bytes)
 *    4  u8  version  OFBLK_VERSION
 *    5  u8  k        data shards per group
 *    6  u8  m        parity shards per group
 *    7  u8  index    in the group: < k data, k.. k+m-1 parity
 *    8  u32 stream   the buffer (the session's stream id)
 *   12  u32 group
 *   16  u32 total    the buffer's true length in bytes
 *   20  u16 shard    S
 *   22  u16 zero     reserved, must be 0
 *   24  u32 crc      CRC32C (core/ofwire.h) of bytes 0..23 and the shard
 *
 * The receiver, struct ofblk_rx, owns buffers made at init for a maximum
 * length (data, parity, per-shard flags), so taking a datagram allocates
 * nothing: a data shard is copied to its place in the output, a parity
 * shard to the group's parity, and once a group holds any k of its k+m
 * its lost data shards are rebuilt in place (offec_decode).  Datagrams
 * come in any order; a duplicate, or one for a group already rebuilt, is
 * ignored; one that fails the CRC or whose header is inconsistent (with
 * the receiver's code, with the stream's length, out of range) is
 * dropped and counted.  ofblk_rx_missing lists the groups still short,
 * with how many shards each lacks: what the caller asks the sender to
 * send again (the retransmission path; any of a group's shards not yet
 * received will do).  Fuzzed: tests/fuzz/fuzz_ofblk.c.
 */
#ifndef WATTSON_OFBLK_H
#define WATTSON_OFBLK_H

#include <stddef.h>
#include <stdint.h>

#include "core/offec.h"

#define OFBLK_MAGIC 0x42464f57u /* bytes 'W' 'O' 'F' 'B' */
#define OFBLK_VERSION 1u
#define OFBLK_HDR_SIZE 28u
#define OFBLK_SHARD_DEFAULT 1200u
#define OFBLK_MAX_TOTAL (64u << 20) /* 64 MiB: a large activation */

struct ofblk_tx {
    struct offec fec;
    unsigned k, m, shard;
    uint8_t *pad;    /* k * S: the last group, zero-padded */
    uint8_t *parity; /* m * S: the parity of group `cur` */
    const uint8_t *buf;
    size_t total;
    uint32_t stream, groups;
    int64_t cur; /* the group whose parity is in `parity`, -1: none */
};

/* A sender for (k, m) and S-byte shards (1..65535).  0, or -1 with a
 * reason in err. */
int ofblk_tx_init(struct ofblk_tx *tx, unsigned k, unsigned m, unsigned shard,
                  char *err, size_t errlen);
void ofblk_tx_free(struct ofblk_tx *tx);

/* Starts sending total bytes of buf (kept by pointer until the next
 * begin) as stream.  Returns the number of groups, or -1 when total is
 * over OFBLK_MAX_TOTAL. */
long ofblk_tx_begin(struct ofblk_tx *tx, uint32_t stream, const void *buf,
                    size_t total);

/* Writes datagram (group, index) into dg; every datagram is
 * OFBLK_HDR_SIZE + S bytes.  Returns its size, or 0 when group or index
 * is out of range or cap too small.  Parity is computed once per group
 * (the latest group's is kept), so sending a group's datagrams together
 * costs one encode. */
size_t ofblk_tx_make(struct ofblk_tx *tx, uint32_t group, unsigned index,
                     void *dg, size_t cap);

struct ofblk_stats {
    uint64_t taken;     /* shards kept */
    uint64_t duplicate; /* already held, or the group already complete */
    uint64_t corrupt;   /* bad CRC, or a header inconsistent or invalid */
    uint64_t foreign;   /* valid, but of another stream */
    uint64_t rebuilt;   /* data shards rebuilt from parity */
};

struct ofblk_rx {
    struct offec fec;
    unsigned k, m, shard;
    size_t max_total;
    uint32_t max_groups;
    uint8_t *data;   /* max_groups * k * S: the buffer, padded */
    uint8_t *parity; /* max_groups * m * S */
    uint8_t *have;   /* max_groups * (k + m): shard received */
    uint16_t *count; /* per group: shards held */
    uint8_t *done;   /* per group: its data complete */
    uint32_t stream; /* the stream being received */
    int active;      /* ofblk_rx_reset called */
    size_t total;    /* 0 until known */
    uint32_t groups, groups_done;
    struct ofblk_stats st;
};

enum ofblk_status {
    OFBLK_TAKEN = 0,    /* a new shard, kept */
    OFBLK_COMPLETE = 1, /* a new shard, and the buffer is now whole */
    OFBLK_DUP = 2,      /* ignored: already held or not needed */
    OFBLK_FOREIGN = 3,  /* ignored: another stream's (or no reset yet) */
    OFBLK_CORRUPT = -1, /* dropped, with a one-line reason */
};

/* A receiver for buffers of at most max_total bytes (<= OFBLK_MAX_TOTAL)
 * coded with (k, m) and S-byte shards.  0, or -1 with a reason. */
int ofblk_rx_init(struct ofblk_rx *rx, size_t max_total, unsigned k, unsigned m,
                  unsigned shard, char *err, size_t errlen);
void ofblk_rx_free(struct ofblk_rx *rx);

/* Starts receiving stream, of total bytes (0: learnt from its first
 * datagram).  The statistics are kept across resets.  0, or -1 when
 * total is over the receiver's maximum. */
int ofblk_rx_reset(struct ofblk_rx *rx, uint32_t stream, size_t total);

/* Takes one datagram of n bytes (from the network: untrusted). */
int ofblk_rx_put(struct ofblk_rx *rx, const void *dg, size_t n, char *why,
                 size_t whylen);

/* Whether every group of the stream is complete (its length known). */
int ofblk_rx_complete(const struct ofblk_rx *rx);

/* The buffer (rx->total bytes; whole once ofblk_rx_complete). */
const uint8_t *ofblk_rx_data(const struct ofblk_rx *rx);

/* The groups still short, ascending: writes up to cap of them to groups
 * and, when need is not NULL, how many more shards each needs; returns
 * how many there are (all of them, even past cap).  0 while the length
 * is unknown (nothing arrived: the caller asks for the whole buffer). */
size_t ofblk_rx_missing(const struct ofblk_rx *rx, uint32_t *groups,
                        unsigned *need, size_t cap);

#endif
