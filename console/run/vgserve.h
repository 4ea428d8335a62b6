/*
 * vgserve - the vGPU request API's server (issue 16): a Unix stream
 * socket on the run's event loop that answers core/vgproto.h's lines
 * from engines/vgledger.h's book.
 *
 * Safety (README "vGPU request API"):
 *  - the socket is created owner-only (umask 0177: mode 0600); a PATH
 *    that exists and is not a socket is never removed (refused), nor is a
 *    socket owned by another user or one that a live server answers; a
 *    stale socket of ours (connection refused) is replaced;
 *  - every peer's uid is read with SO_PEERCRED on accept: another user's
 *    connection gets one "ERR EPERM" line and is closed (counted, logged);
 *  - a fixed pool of VGSERVE_MAX_CONNS connections, each with a fixed
 *    input buffer; one more is answered "ERR EFULL" and closed;
 *  - a line longer than WVG_LINE_MAX is EPROTO and ends the connection;
 *  - per connection a token bucket (VGSERVE_RATE requests/s, burst
 *    VGSERVE_BURST): a request over it is answered ERR ERATE; at most
 *    VGSERVE_LINES_PER_EVENT lines of one connection are served per pass,
 *    so a flooding client never starves the others;
 *  - answers go out with send(MSG_NOSIGNAL | MSG_DONTWAIT) from a fixed
 *    output buffer per connection: while a client does not read, its
 *    lines wait unread (the loop never blocks on it; others are served),
 *    and one whose answers could not be written for 5 s is dropped;
 *  - a connection that ends (EOF, error, dropped) releases everything it
 *    held, logged with its pid and the amounts.
 *
 * One loop registration for everything: the listener and the connections
 * are in an epoll set whose descriptor the loop watches (the loop has 16
 * slots for the whole run), with an eventfd that wakes the next pass
 * while a connection still has buffered lines it was not served.
 * Nothing is allocated per request or per connection after
 * vgserve_start.
 */
#ifndef WATTSON_VGSERVE_H
#define WATTSON_VGSERVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define VGSERVE_MAX_CONNS 64
#define VGSERVE_RATE 2000.0 /* requests/s per connection */
#define VGSERVE_BURST 200.0
#define VGSERVE_LINES_PER_EVENT 32

struct vgserve;
struct vgledger;
struct loop;
struct summary;

/* Listens at `path` and serves `l` on `loop`; counters go into `sum` (its
 * vgpu_api_* keys; NULL: none).  Returns 0, or -1 with one line in err
 * naming the path and why. */
int vgserve_start(struct vgserve **out, struct loop *loop, struct vgledger *l,
                  const char *path, struct summary *sum, char *err,
                  size_t errlen);
/* Closes every connection (releasing what each held), leaves the loop and
 * removes the socket it created (if it is still the one it created). */
void vgserve_stop(struct vgserve *s);
/* The uid a peer must have (default geteuid()); for tests of the
 * refusal with a real connection. */
void vgserve_set_uid(struct vgserve *s, uid_t uid);
/* Serves what is pending without waiting (tests; the loop does this). */
void vgserve_poll(struct vgserve *s);
/* Open connections. */
size_t vgserve_n_conns(const struct vgserve *s);

#endif
