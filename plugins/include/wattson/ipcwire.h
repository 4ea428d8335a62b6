/*
 * wattson/ipcwire.h - the wire format between the IPC interception library
 * (libwattson-ipc.so, plugins/ipcwrap/, issue 17) and wattson.
 *
 * The library, preloaded into an application, batches the messages the
 * application sends (one event per intercepted write/send/mq_send on a
 * pipe, FIFO, Unix socket, loopback TCP/UDP socket or message queue) and,
 * with $WATTSON_IPC_READS=1, those it receives (read/recv/mq_receive on
 * the same: a receive event), and sends each batch as ONE datagram on a Unix
 * SOCK_SEQPACKET socket connected to $WATTSON_IPC_SOCKET.  A datagram is a
 * header followed by exactly `count` fixed-size records, every field
 * little-endian:
 *
 *   header (IPCWIRE_HDR_SIZE = 32 bytes)
 *     0  u32 magic     IPCWIRE_MAGIC ("WIPC" read as bytes)
 *     4  u16 version   IPCWIRE_VERSION
 *     6  u16 reserved  0
 *     8  u32 pid       the sending process
 *    12  u32 tid       the thread whose batch this is
 *    16  u32 count     records that follow, 0..IPCWIRE_MAX_EVENTS
 *    20  u32 reserved  0
 *    24  u64 dropped   events the process dropped since its last datagram
 *                      that got through (wattson absent, slow, full)
 *   record (IPCWIRE_REC_SIZE = 32 bytes)
 *     0  u64 t_ns      CLOCK_MONOTONIC when the call returned, ns
 *     8  u32 src_pid   the sender; a send event's is the header's pid, a
 *                      receive event's the fd's other end (0 unknown)
 *    12  u32 src_tid   the thread that made the call (send: the sending
 *                      thread; receive: the receiving one)
 *    16  u32 dst_pid   the receiving process, 0 when unknown; a receive
 *                      event's is the header's pid
 *    20  u16 type      enum wattson_ipc_type (wattson/plugin.h)
 *    22  u16 transport enum ipcwire_transport, with bit 15 (IPCWIRE_RECV)
 *                      set on a receive event
 *    24  u64 bytes     what the call reported sent or received (its
 *                      return value)
 *
 * A process vouches only for its own side of a message: a send record's
 * src_pid and a receive record's dst_pid must be the header's pid (which
 * wattson checks against the connection's SO_PEERCRED).  A datagram of
 * any other length, magic or version (version 1, send records only, is
 * refused too: one build ships both ends), or with a reserved field not
 * zero, a type or transport out of range or a record that breaks the pid
 * rule, is refused whole: ipcwire_decode says why in one line.  What decodes
 * re-encodes byte-identically (tests/fuzz/fuzz_ipcwire.c checks both).
 *
 * Self-contained (the C library and wattson/plugin.h only), inline, so
 * that the library and the console share it without linking each other.
 */
#ifndef WATTSON_IPCWIRE_H
#define WATTSON_IPCWIRE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

#define IPCWIRE_MAGIC 0x43504957u /* bytes 'W' 'I' 'P' 'C' */
#define IPCWIRE_VERSION 2u
#define IPCWIRE_HDR_SIZE 32u
#define IPCWIRE_REC_SIZE 32u
/* The most records in one datagram: bounds a receiver's buffer. */
#define IPCWIRE_MAX_EVENTS 256u
#define IPCWIRE_MAX_SIZE                                                       \
    (IPCWIRE_HDR_SIZE + IPCWIRE_MAX_EVENTS * IPCWIRE_REC_SIZE)

/* How a message travelled.  0 is not a transport (refused on the wire). */
enum ipcwire_transport {
    IPCWIRE_UNIX_STREAM = 1,
    IPCWIRE_UNIX_DGRAM = 2,
    IPCWIRE_UNIX_SEQPACKET = 3,
    IPCWIRE_TCP_LOOPBACK = 4,
    IPCWIRE_UDP_LOOPBACK = 5,
    IPCWIRE_PIPE = 6, /* an anonymous pipe or a FIFO */
    IPCWIRE_MQ = 7,   /* a POSIX message queue */
    IPCWIRE_TRANSPORT__N
};
/* A record's transport field: bit 15 marks a receive event, the rest is
 * the enum ipcwire_transport. */
#define IPCWIRE_RECV 0x8000u
#define IPCWIRE_KIND(transport) ((unsigned)(transport)&0x7fffu)

struct ipcwire_hdr {
    uint32_t pid, tid;
    uint32_t count;
    uint64_t dropped;
};

struct ipcwire_rec {
    uint64_t t_ns;
    uint32_t src_pid, src_tid, dst_pid;
    uint16_t type, transport;
    uint64_t bytes;
};

static inline void ipcwire_put16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static inline void ipcwire_put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline void ipcwire_put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint16_t ipcwire_get16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t ipcwire_get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline uint64_t ipcwire_get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Writes a header of h with n records (h->count ignored) at p. */
static inline void ipcwire_put_hdr(unsigned char *p,
                                   const struct ipcwire_hdr *h, uint32_t n)
{
    ipcwire_put32(p, IPCWIRE_MAGIC);
    ipcwire_put16(p + 4, (uint16_t)IPCWIRE_VERSION);
    ipcwire_put16(p + 6, 0);
    ipcwire_put32(p + 8, h->pid);
    ipcwire_put32(p + 12, h->tid);
    ipcwire_put32(p + 16, n);
    ipcwire_put32(p + 20, 0);
    ipcwire_put64(p + 24, h->dropped);
}

/* Writes record e at p. */
static inline void ipcwire_put_rec(unsigned char *p,
                                   const struct ipcwire_rec *e)
{
    ipcwire_put64(p, e->t_ns);
    ipcwire_put32(p + 8, e->src_pid);
    ipcwire_put32(p + 12, e->src_tid);
    ipcwire_put32(p + 16, e->dst_pid);
    ipcwire_put16(p + 20, e->type);
    ipcwire_put16(p + 22, e->transport);
    ipcwire_put64(p + 24, e->bytes);
}

/* Writes the datagram of h (its count ignored: n is used) and the n
 * records ev[] into buf.  Returns its length, or 0 when n exceeds
 * IPCWIRE_MAX_EVENTS or cap is too small.  No check of the records:
 * the sender stamps them itself. */
static inline size_t ipcwire_encode(void *buf, size_t cap,
                                    const struct ipcwire_hdr *h,
                                    const struct ipcwire_rec *ev, size_t n)
{
    unsigned char *p = (unsigned char *)buf;
    if (n > IPCWIRE_MAX_EVENTS || cap < IPCWIRE_HDR_SIZE + n * IPCWIRE_REC_SIZE)
        return 0;
    ipcwire_put_hdr(p, h, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        ipcwire_put_rec(p + IPCWIRE_HDR_SIZE + i * IPCWIRE_REC_SIZE, &ev[i]);
    return IPCWIRE_HDR_SIZE + n * IPCWIRE_REC_SIZE;
}

/* Reads one datagram of len bytes: its header into *h and its records
 * into ev[0..max).  Returns 0, or -1 with a one-line reason in
 * why[0..whylen) when the datagram is malformed or holds more than max
 * records; then *h and ev[] are unspecified. */
static inline int ipcwire_decode(const void *buf, size_t len,
                                 struct ipcwire_hdr *h, struct ipcwire_rec *ev,
                                 size_t max, char *why, size_t whylen)
{
    const unsigned char *p = (const unsigned char *)buf;
    if (len < IPCWIRE_HDR_SIZE) {
        snprintf(why, whylen,
                 "datagram of %zu bytes, shorter than the %u-byte header", len,
                 IPCWIRE_HDR_SIZE);
        return -1;
    }
    if (ipcwire_get32(p) != IPCWIRE_MAGIC) {
        snprintf(why, whylen, "bad magic 0x%08x (want 0x%08x)",
                 (unsigned)ipcwire_get32(p), IPCWIRE_MAGIC);
        return -1;
    }
    if (ipcwire_get16(p + 4) != IPCWIRE_VERSION) {
        snprintf(why, whylen, "wire version %u, this reader knows %u",
                 (unsigned)ipcwire_get16(p + 4), IPCWIRE_VERSION);
        return -1;
    }
    if (ipcwire_get16(p + 6) != 0 || ipcwire_get32(p + 20) != 0) {
        snprintf(why, whylen, "reserved header field not zero");
        return -1;
    }
    h->pid = ipcwire_get32(p + 8);
    h->tid = ipcwire_get32(p + 12);
    h->count = ipcwire_get32(p + 16);
    h->dropped = ipcwire_get64(p + 24);
    if (h->count > IPCWIRE_MAX_EVENTS || h->count > max) {
        snprintf(why, whylen, "count %u over the limit %zu", (unsigned)h->count,
                 max < IPCWIRE_MAX_EVENTS ? max : (size_t)IPCWIRE_MAX_EVENTS);
        return -1;
    }
    if (len != IPCWIRE_HDR_SIZE + (size_t)h->count * IPCWIRE_REC_SIZE) {
        snprintf(why, whylen,
                 "datagram of %zu bytes, header says %u records (%zu bytes)",
                 len, (unsigned)h->count,
                 IPCWIRE_HDR_SIZE + (size_t)h->count * IPCWIRE_REC_SIZE);
        return -1;
    }
    p += IPCWIRE_HDR_SIZE;
    for (uint32_t i = 0; i < h->count; i++, p += IPCWIRE_REC_SIZE) {
        struct ipcwire_rec *e = &ev[i];
        e->t_ns = ipcwire_get64(p);
        e->src_pid = ipcwire_get32(p + 8);
        e->src_tid = ipcwire_get32(p + 12);
        e->dst_pid = ipcwire_get32(p + 16);
        e->type = ipcwire_get16(p + 20);
        e->transport = ipcwire_get16(p + 22);
        e->bytes = ipcwire_get64(p + 24);
        if (e->transport & IPCWIRE_RECV) {
            if (e->dst_pid != h->pid) {
                snprintf(why, whylen,
                         "record %u: a receive whose dst pid %u is not the "
                         "reporter's %u",
                         (unsigned)i, (unsigned)e->dst_pid, (unsigned)h->pid);
                return -1;
            }
        } else if (e->src_pid != h->pid) {
            snprintf(why, whylen,
                     "record %u: src pid %u is not the sender's %u",
                     (unsigned)i, (unsigned)e->src_pid, (unsigned)h->pid);
            return -1;
        }
        if (e->type >= WATTSON_IPC__N) {
            snprintf(why, whylen, "record %u: type %u out of range",
                     (unsigned)i, (unsigned)e->type);
            return -1;
        }
        if (IPCWIRE_KIND(e->transport) == 0 ||
            IPCWIRE_KIND(e->transport) >= IPCWIRE_TRANSPORT__N) {
            snprintf(why, whylen, "record %u: transport %u out of range",
                     (unsigned)i, IPCWIRE_KIND(e->transport));
            return -1;
        }
    }
    return 0;
}

#endif
