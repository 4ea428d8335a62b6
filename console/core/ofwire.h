/*
 * ofwire - the frames of the offload protocol between two wattson
 * processes (issue 18: `wattson offload serve` / `offload run`, the third
 * design document's "Adaptive Communication Protocol").  This module is
 * the framing alone: the byte layout, its integrity check and a parser
 * that takes a TCP stream as it arrives (any split of the bytes);
 * sessions, compression, error correction and the transport come with
 * the rest of the issue.
 *
 * A frame is a 24-byte header and `len` payload bytes, every field
 * little-endian:
 *
 *    0  u32 magic    OFWIRE_MAGIC ("WOFF" read as bytes)
 *    4  u8  version  OFWIRE_VERSION
 *    5  u8  type     enum ofwire_type
 *    6  u8  prio     enum ofwire_prio: control > critical > bulk
 *    7  u8  flags    OFWIRE_F_*; unknown bits refused
 *    8  u32 stream   the request the frame belongs to (0: the session)
 *   12  u32 seq      the frame's number within its stream
 *   16  u32 len      payload bytes, at most OFWIRE_MAX_PAYLOAD
 *   20  u32 crc      CRC32C (Castagnoli) of bytes 0..19 and the payload
 *
 * CRC32C, not CRC32: it is what iSCSI, SCTP and ext4 chose for its better
 * detection of the burst errors a link makes (Castagnoli, Braeuer and
 * Herrmann, IEEE Trans. Commun. 41(6), 1993), and x86 and ARM have an
 * instruction for it.  The magic comes first so that a peer speaking
 * something else entirely is told apart from a corrupted frame, and the
 * version second so that a peer of another version gets a message that
 * says so (OFWIRE_EVERSION) rather than a checksum error.
 *
 * Nothing here allocates; the parser reads in place from the caller's
 * buffer.  Fuzzed: tests/fuzz/fuzz_ofwire.c.
 */
#ifndef WATTSON_OFWIRE_H
#define WATTSON_OFWIRE_H

#include <stddef.h>
#include <stdint.h>

#define OFWIRE_MAGIC 0x46464f57u /* bytes 'W' 'O' 'F' 'F' */
#define OFWIRE_VERSION 1u
#define OFWIRE_HDR_SIZE 24u
/* The largest payload: an activation is sent in chunks of at most this,
 * so that a control frame never waits behind more than one of them. */
#define OFWIRE_MAX_PAYLOAD (1u << 20)

enum ofwire_type {
    OFWIRE_HELLO = 1,      /* version, role, what each side offers */
    OFWIRE_REQUEST = 2,    /* partitionConfig, featureVector */
    OFWIRE_ACTIVATION = 3, /* a chunk of a tensor (inputData, activations) */
    OFWIRE_RESULT = 4,     /* the output */
    OFWIRE_PING = 5,       /* RTT and bandwidth measurement */
    OFWIRE_PONG = 6,
    OFWIRE_ERROR = 7, /* a refusal, with a one-line reason */
    OFWIRE_BYE = 8,
    OFWIRE_ACK = 9,   /* a tensor arrived whole: its bytes and dispersion */
    OFWIRE_NACK = 10, /* datagram groups still short: send them again */
    OFWIRE_TYPE__N
};

enum ofwire_prio {
    OFWIRE_PRIO_CONTROL = 0,
    OFWIRE_PRIO_CRITICAL = 1,
    OFWIRE_PRIO_BULK = 2,
    OFWIRE_PRIO__N
};

#define OFWIRE_F_ZSTD 0x01u /* the payload is zstd-compressed */
#define OFWIRE_F_FEC 0x02u  /* the payload carries erasure-coded shards */
#define OFWIRE_F_LAST 0x04u /* the last chunk of its tensor */
#define OFWIRE_F__ALL 0x07u

struct ofwire_frame {
    uint8_t version, type, prio, flags;
    uint32_t stream, seq, len;
    const unsigned char *payload; /* parse: into the caller's buffer */
};

enum ofwire_status {
    OFWIRE_OK = 0,
    OFWIRE_MORE = 1,      /* not a whole frame yet: read more */
    OFWIRE_EBAD = -1,     /* not a frame of this protocol, or corrupted */
    OFWIRE_EVERSION = -2, /* a frame of another version */
};

/* CRC32C of n bytes of p, continuing from crc (0 to start). */
uint32_t ofwire_crc32c(uint32_t crc, const void *p, size_t n);

/* Writes f's header (its len and payload from `payload`, f->len bytes)
 * into buf.  Returns the frame's size, or 0 when f is not a valid frame
 * (type, prio, flags, len) or cap is too small. */
size_t ofwire_encode(void *buf, size_t cap, const struct ofwire_frame *f,
                     const void *payload);

/* The same, the header alone into hdr (OFWIRE_HDR_SIZE bytes), the
 * payload left where it is (its CRC is computed over it): 0, or -1 when
 * f is not a valid frame. */
int ofwire_header(void *hdr, const struct ofwire_frame *f, const void *payload);

/* Parses the frame at the start of buf (len bytes so far).  OFWIRE_OK
 * with *f filled and *used its size; OFWIRE_MORE when more bytes are
 * needed (nothing is wrong so far; a header that is already invalid is
 * refused before its payload arrives); OFWIRE_EBAD or OFWIRE_EVERSION
 * with a one-line reason in why. */
int ofwire_parse(const void *buf, size_t len, struct ofwire_frame *f,
                 size_t *used, char *why, size_t whylen);

/* Little-endian fields, for the messages inside the frames too
 * (part/ofmsg.h); doubles as their IEEE 754 bits. */
void ofwire_put32(void *p, uint32_t v);
uint32_t ofwire_get32(const void *p);
void ofwire_put64(void *p, uint64_t v);
uint64_t ofwire_get64(const void *p);
void ofwire_putf64(void *p, double v);
double ofwire_getf64(const void *p);

#endif
