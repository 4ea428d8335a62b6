/*
 * ipcsrv - wattson's end of the IPC interception library (issue 17): a
 * Unix SOCK_SEQPACKET socket on the run's event loop that receives the
 * datagrams of libwattson-ipc.so (plugins/ipcwrap/, format
 * wattson/ipcwire.h) and keeps their events, on the run's clock, in a
 * fixed ring until the sample stage takes them (core/ipcin.h).
 *
 * Safety, for a socket any process of the user can reach:
 *  - created owner-only, never over what is at its path (core/usock.h);
 *  - every peer's uid is read with SO_PEERCRED on accept: another user's
 *    connection is closed at once (ipcsrv_refused, logged), as is one over
 *    IPCSRV_MAX_CONNS;
 *  - a datagram that does not decode (ipcwire_decode's reasons), is
 *    longer than IPCWIRE_MAX_SIZE, or whose sender pid is not the
 *    connection's SO_PEERCRED pid (a process naming another as the
 *    sender) is refused whole, counted in ipcsrv_malformed, and ends that
 *    connection (logged with its reason, the first IPCSRV_LOG_MAX times);
 *    the pid rule means a process in another pid namespace than
 *    wattson's cannot report;
 *  - at most IPCSRV_DGRAMS_PER_PASS datagrams of one connection per pass,
 *    so one flooding process does not starve the others (what it leaves
 *    waits in its socket; when that fills, its library drops and counts);
 *  - events that find the ring full are counted (ipcsrv_overflow), never
 *    waited for: the library never blocks on wattson, and wattson never
 *    blocks on the library.
 * Nothing is allocated after ipcsrv_start.
 *
 * Receive events (a library run with $WATTSON_IPC_READS=1, wire bit
 * IPCWIRE_RECV): one is used only when its sender is not itself traced,
 * so that a message whose both ends are traced counts once, by the
 * sender's event.  One whose src_pid is the pid of a connection open now,
 * or of one of the last IPCSRV_GONE closed (a writer that exits before
 * its reader's last batch arrives: dd's last 64 KiB in `dd | gzip`, 15
 * of 266 events counted twice before), is dropped as a duplicate
 * (ipcsrv_recv_dup); one whose sender is untraced (a stdio writer such
 * as head, a process started without the library) or unknown (0: a
 * message queue's) becomes an ordinary event, src the sender, dst the
 * receiver (ipcsrv_recv_events).  A receiver's batch that arrives before
 * its traced sender's connection is accepted counts twice (its library
 * connects at its first event: rare).
 *
 * Accounting: every event a library made is either received
 * (ipcsrv_events, sends and receives, of which ipcsrv_overflow did not
 * fit the ring and ipcsrv_recv_dup were duplicates) or
 * reported dropped by its library (ipcsrv_lib_dropped, carried in its
 * next datagram that gets through) - except those the library's header
 * comment lists as lost uncounted (a batch pending at exec, at a kill).
 */
#ifndef WATTSON_IPCSRV_H
#define WATTSON_IPCSRV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IPCSRV_MAX_CONNS 256
#define IPCSRV_RING 65536 /* events kept between two ticks */
#define IPCSRV_DGRAMS_PER_PASS 16
#define IPCSRV_LOG_MAX 8 /* refusals logged one by one, then counted */
#define IPCSRV_GONE 256  /* closed connections' pids kept for dedupe */

struct ipcsrv;
struct loop;
struct summary;
struct wattson_ipc_event;

/* Listens at `path` on `loop` (both NULL: no socket, datagrams only
 * through ipcsrv_feed - the fuzz target).  Event times become seconds since
 * `t0_ns` (CLOCK_MONOTONIC at the run's start; an earlier event is at
 * 0).  Counters go into `sum` (its ipcsrv_* keys; NULL: none).  0, or -1
 * with one line in err naming the path and why. */
int ipcsrv_start(struct ipcsrv **out, struct loop *loop, const char *path,
                 uint64_t t0_ns, struct summary *sum, char *err, size_t errlen);
/* Closes every connection, leaves the loop, removes the socket. */
void ipcsrv_stop(struct ipcsrv *s);
/* Moves up to `max` events, oldest first, into ev[]; returns how many. */
size_t ipcsrv_take(struct ipcsrv *s, struct wattson_ipc_event *ev, size_t max);
/* One datagram as if it came from a connection of process `pid`: 0 when
 * taken, -1 when refused (counted; the reason in why).  The receive path
 * uses it; the fuzz target (tests/fuzz/fuzz_ipcsrv.c) calls it directly. */
int ipcsrv_feed(struct ipcsrv *s, uint32_t pid, const void *buf, size_t len,
                char *why, size_t whylen);
/* Serves what is pending without waiting (tests; the loop does this). */
void ipcsrv_poll(struct ipcsrv *s);
/* The uid a peer must have (default geteuid()); for tests. */
void ipcsrv_set_uid(struct ipcsrv *s, uid_t uid);
size_t ipcsrv_n_conns(const struct ipcsrv *s);

#endif
