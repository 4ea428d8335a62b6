/*
 * ofsess - the offload protocol's transport (issue 18): TCP connections
 * on libevent bufferevents carrying ofwire frames (core/ofwire.h), with
 * the stream priorities the seed asks for, and the one-shot timers the
 * simulated compute runs on.  The libevent base is the loop's
 * (loop_base); nothing here dispatches it.
 *
 * Priorities: a frame is queued on its priority's own buffer, and frames
 * move to the socket's output only while that holds less than
 * OFSESS_LOWAT bytes, the highest priority first, whole frames only.  So
 * a control frame (a PING, a RESULT) waits behind at most OFSESS_LOWAT
 * bytes and one frame already in the socket's output, not behind a
 * queued 10 MB activation: the sender cuts activations into chunks of at
 * most OFSESS_CHUNK bytes for that reason.
 *
 * Arrival times: for each frame, the time its first bytes were seen
 * (the read callback that first found part of it) and the time it was
 * whole, so that a receiver can time a train of frames (core/oflink.h).
 *
 * Faults: a frame that does not parse (bad magic, a header out of range,
 * a CRC32C mismatch: on TCP the stream can no longer be trusted, since
 * the length may be what was corrupted) or of another protocol version
 * ends the connection: the reason is sent to the peer as an ERROR frame
 * where the stream is still ours to write, and handed to `closed`.  A
 * peer's EOF or a socket error ends it too.  Only addresses given as
 * numbers are taken (127.0.0.1:7207, [::1]:7207): no name lookup.
 *
 * Datagrams (struct ofsess_udp, the tensors of `offload run --transport
 * udp`, engines/ofdg.h): one UDP socket per side - the server's on its
 * TCP listener's address and port, a client's on the local address of
 * its TCP connection, an ephemeral port - whose port each side announces
 * in its HELLO.  A datagram is taken only from a registered peer: the IP
 * address of one of its TCP sessions' peers and the UDP port that peer
 * announced (ofsess_udp_peer); anything else is dropped and counted.
 * UDP has no flow control: the caller paces what it sends, and a
 * datagram the socket's buffer has no room for is reported, not queued.
 */
#ifndef WATTSON_OFSESS_H
#define WATTSON_OFSESS_H

#include <stddef.h>
#include <stdint.h>

#include "core/ofwire.h"

struct event_base;
struct ofsess;
struct ofsess_srv;
struct ofsess_timer;
struct ofsess_udp;

#define OFSESS_LOWAT (64u * 1024)
#define OFSESS_CHUNK (64u * 1024)
#define OFSESS_DEFAULT_ADDR "127.0.0.1:7207"

struct ofsess_ops {
    /* A whole frame; first_s and now_s on the monotonic clock (s). */
    void (*frame)(void *arg, struct ofsess *s, const struct ofwire_frame *f,
                  double first_s, double now_s);
    /* The connection is over (once; why says how).  The owner frees it,
     * here or later. */
    void (*closed)(void *arg, struct ofsess *s, const char *why);
    /* ofsess_connect's connection is up (not called for accepted ones). */
    void (*connected)(void *arg, struct ofsess *s);
};

/* Whether addr is an address ofsess takes: 0, or -1 with one line. */
int ofsess_addr_check(const char *addr, char *err, size_t errlen);

/* The monotonic clock, s. */
double ofsess_now(void);

/* Starts connecting to addr: the session, or NULL with one line in err
 * (a bad address).  A refused or failed connection comes as `closed`. */
struct ofsess *ofsess_connect(struct event_base *b, const char *addr,
                              const struct ofsess_ops *ops, void *arg,
                              char *err, size_t errlen);
/* Listens on addr; each accepted connection is given to accept(), whose
 * sessions use ops and arg.  NULL with one line in err. */
struct ofsess_srv *ofsess_listen(struct event_base *b, const char *addr,
                                 void (*accept)(void *arg, struct ofsess *s),
                                 const struct ofsess_ops *ops, void *arg,
                                 char *err, size_t errlen);
void ofsess_srv_free(struct ofsess_srv *srv);
/* The port it listens on (for ADDR:0). */
unsigned ofsess_srv_port(const struct ofsess_srv *srv);

/* Queues one frame (payload copied): 0, or -1 when the frame is not
 * valid or the session is over. */
int ofsess_send(struct ofsess *s, unsigned type, unsigned prio, unsigned flags,
                uint32_t stream, uint32_t seq, const void *payload, size_t len);
/* Bytes queued and not yet handed to the kernel. */
size_t ofsess_pending(const struct ofsess *s);
/* Ends the session: an ERROR frame with why first when why is not NULL,
 * then `closed` once what was queued has gone (at most a second). */
void ofsess_fail(struct ofsess *s, const char *why);
void ofsess_free(struct ofsess *s);
void ofsess_set_arg(struct ofsess *s, void *arg);
/* "127.0.0.1:40122" */
const char *ofsess_peer(const struct ofsess *s);
/* Bytes read and written (frames, headers included). */
uint64_t ofsess_bytes_in(const struct ofsess *s);
uint64_t ofsess_bytes_out(const struct ofsess *s);

/* A UDP socket: on srv's address and port when srv is not NULL, else
 * on the local address of s's (connected) TCP socket, an ephemeral
 * port.  Each datagram of a registered peer goes to dgram with that
 * peer's arg (now_s: the monotonic clock).  NULL with one line in err. */
struct ofsess_udp *ofsess_udp_open(
    struct event_base *b, const struct ofsess_srv *srv, const struct ofsess *s,
    void (*dgram)(void *arg, const void *dg, size_t n, double now_s), char *err,
    size_t errlen);
void ofsess_udp_free(struct ofsess_udp *u);
unsigned ofsess_udp_port(const struct ofsess_udp *u);
/* Takes datagrams from s's peer's IP address and UDP port `port` (1..
 * 65535) for arg, and sends there (ofsess_udp_send with arg): 0, or -1
 * (the table of OFSESS_UDP_PEERS is full, or a bad port). */
#define OFSESS_UDP_PEERS 64
int ofsess_udp_peer(struct ofsess_udp *u, const struct ofsess *s, unsigned port,
                    void *arg);
void ofsess_udp_unpeer(struct ofsess_udp *u, void *arg);
/* One datagram to arg's peer: 0 sent, 1 the socket's buffer is full
 * (send it later), -1 failed (no such peer, an error). */
int ofsess_udp_send(struct ofsess_udp *u, void *arg, const void *dg, size_t n);
/* Datagrams dropped: from an address or port not registered. */
uint64_t ofsess_udp_dropped(const struct ofsess_udp *u);

struct ofsess_timer *ofsess_timer_new(struct event_base *b,
                                      void (*cb)(void *arg), void *arg);
/* (Re)arms it to fire once, delay_s from now. */
void ofsess_timer_in(struct ofsess_timer *t, double delay_s);
void ofsess_timer_stop(struct ofsess_timer *t);
void ofsess_timer_free(struct ofsess_timer *t);

#endif
