/*
 * ipcwrap - libwattson-ipc.so, the IPC interception library (issue 17,
 * the first design document's "IPC Interception Layer").  Preloaded with
 * LD_PRELOAD into an unmodified program, it turns every message the
 * program sends to another local process into an event (time, source
 * pid/tid, destination pid, bytes, type) and ships the events in batches
 * to wattson on the Unix SOCK_SEQPACKET socket $WATTSON_IPC_SOCKET, in the
 * format of wattson/ipcwire.h.  Without $WATTSON_IPC_SOCKET it does nothing
 * but pass the calls through.
 *
 * What it wraps (through dlsym(RTLD_NEXT)): write, writev, send, sendto,
 * sendmsg, sendmmsg, mq_send, mq_timedsend; their read-side counterparts
 * read, readv, recv, recvfrom, recvmsg, recvmmsg, mq_receive,
 * mq_timedreceive (and the _FORTIFY_SOURCE entries __read_chk,
 * __recv_chk, __recvfrom_chk that Debian's programs call instead); close,
 * dup2 and dup3 only to keep the fd cache right; _exit and _Exit to send
 * the caller's batch (they run no destructor).  A send is an event when
 * it succeeded (>0 bytes; mq: 0) on an fd that is IPC.
 *
 * The read side is opt-in ($WATTSON_IPC_READS=1; wattson trace sets it):
 * a receive event is a successful read/recv... returning >0 bytes (not
 * a MSG_PEEK, which leaves the data for the next) on an fd that is IPC, src the
 * fd's other end as the cache knows it (a pipe's writer, a socket's peer; a
 * message queue's writer is unknowable: 0), dst this process, marked
 * IPCWIRE_RECV on the wire.  It is what lets wattson see a message whose sender
 * the library cannot see: a program that writes through stdio (below), or one
 * started without the library; wattson drops a receive whose sender is itself
 * traced (core/ipcsrv.h), so a message counts once.  Without the variable a
 * read wrapper only passes the call through.
 * Calls libc makes internally (stdio's fwrite/printf/fread, which reach
 * the kernel through libc's own write/read, not the interposable symbol)
 * are not seen: a program that writes a pipe through stdio makes no send
 * event (its reader's receive events stand for them, with reads on), one
 * that reads through stdio no receive event.
 *
 * The fd cache: one 64-bit word per fd below IPCW_FDS (beyond: not traced,
 * counted in the untraced counter), filled on the first send or receive
 * on that fd by ipcpeer.c (what the fd is, who is at the other end: see
 * there; a regular file is K_NOTIPC after that one look, so a read of a
 * file costs one load of its word) and
 * atomic, so that threads share it without a lock.  close/dup2/dup3 clear
 * the fd's word (with a generation, so that a lookup racing a close does
 * not store a stale answer).  An fd closed behind the library's back
 * (fclose, close_range) keeps its word until close/dup2/dup3 reach its
 * number: a stale answer is possible there.  A pipe's answer is for the
 * direction that looked it up first (its reader for a send, its writer
 * for a read, F_READSIDE): an fd used both ways (a FIFO opened O_RDWR)
 * reports the other direction's events with the peer 0.
 *
 * The type: $WATTSON_IPC_TYPE (data|request|reply|control) tags every
 * event of the process; otherwise DATA for 64 bytes and more, CONTROL
 * below (acks, heartbeats).  REQUEST/REPLY only by the tag.
 *
 * The fast path: a per-thread ring (IPCW_RING events, initial-exec TLS:
 * no allocation, no lock) holding the datagram being built; one
 * clock_gettime(CLOCK_MONOTONIC) (the vDSO) per event; a flush, one
 * send(MSG_DONTWAIT | MSG_NOSIGNAL), when the ring is full or its oldest
 * event is IPCW_FLUSH_NS old (checked at the next event: an idle thread
 * keeps its batch until then, its exit or the process's exit).  When
 * wattson is absent, slow or the send fails, the batch is dropped and
 * counted; the count travels in the next datagram that gets through.
 * Never a retry loop; the connection is made lazily, retried at most once
 * per IPCW_RETRY_NS, and replaced in place (dup3) so that its fd number is
 * never freed under a concurrent sender.
 *
 * Safety: errno is saved and restored around everything the library does;
 * return values are the wrapped call's.  A wrapper entered on a thread
 * that is already inside the library (a signal handler's write, the
 * library's own send) passes through, its event counted as dropped.
 * fork: the child drops its copy of the parent's batch, socket and cache
 * (pthread_atfork) and connects anew.  exec: the new image's constructor
 * starts afresh (LD_PRELOAD is inherited); events still in the exec'ing
 * thread's batch are lost uncounted, as are those of threads still
 * running when the process exits (the exiting thread's are flushed, by
 * the destructor on exit(), by the wrapper on _exit()), and those of a
 * process killed by a signal.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ipcpeer.h"
#include "wattson/ipcwire.h"

#define IPCW_EXPORT __attribute__((visibility("default")))
#define IPCW_TLS __thread __attribute__((tls_model("initial-exec")))

enum {
    IPCW_FDS = 4096,     /* fds the cache covers */
    IPCW_RING = 64,      /* events per thread before a flush */
    IPCW_CTL_BYTES = 64, /* below: CONTROL, else DATA */
};
#define IPCW_FLUSH_NS 10000000LL   /* 10 ms: the oldest event's longest wait */
#define IPCW_RETRY_NS 1000000000LL /* 1 s between connection attempts */

/* The cache word: dst pid | kind << 32 | flags << 40 | events << 48 |
 * generation << 56.  Kind 0: not looked up yet. */
#define K_NONE IPCPEER_NOTYET
#define K_NOTIPC IPCPEER_NOTIPC
#define F_TENTATIVE IPCPEER_TENTATIVE
#define F_PERCALL IPCPEER_PERCALL
#define F_READSIDE IPCPEER_READSIDE
#define W_PID(w) ((uint32_t)(w))
#define W_KIND(w) ((unsigned)((w) >> 32) & 0xffu)
#define W_FLAGS(w) ((unsigned)((w) >> 40) & 0xffu)
#define W_EVENTS(w) ((unsigned)((w) >> 48) & 0xffu)
#define W_GEN(w) ((w)&0xff00000000000000ull)
#define W_MAKE(pid, kind, flags, ev)                                           \
    ((uint64_t)(pid) | (uint64_t)(kind) << 32 | (uint64_t)(flags) << 40 |      \
     (uint64_t)(ev) << 48)

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*writev_fn)(int, const struct iovec *, int);
typedef ssize_t (*send_fn)(int, const void *, size_t, int);
typedef ssize_t (*sendto_fn)(int, const void *, size_t, int,
                             __CONST_SOCKADDR_ARG, socklen_t);
typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
typedef int (*sendmmsg_fn)(int, struct mmsghdr *, unsigned, int);
typedef int (*mqsend_fn)(mqd_t, const char *, size_t, unsigned);
typedef int (*mqtsend_fn)(mqd_t, const char *, size_t, unsigned,
                          const struct timespec *);
typedef ssize_t (*read_fn)(int, void *, size_t);
typedef ssize_t (*readv_fn)(int, const struct iovec *, int);
typedef ssize_t (*recv_fn)(int, void *, size_t, int);
typedef ssize_t (*recvfrom_fn)(int, void *, size_t, int, __SOCKADDR_ARG,
                               socklen_t *);
typedef ssize_t (*recvmsg_fn)(int, struct msghdr *, int);
typedef int (*recvmmsg_fn)(int, struct mmsghdr *, unsigned, int,
                           struct timespec *);
typedef ssize_t (*mqrecv_fn)(mqd_t, char *, size_t, unsigned *);
typedef ssize_t (*mqtrecv_fn)(mqd_t, char *, size_t, unsigned *,
                              const struct timespec *);
typedef ssize_t (*readchk_fn)(int, void *, size_t, size_t);
typedef ssize_t (*recvchk_fn)(int, void *, size_t, size_t, int);
typedef ssize_t (*recvfromchk_fn)(int, void *, size_t, size_t, int,
                                  __SOCKADDR_ARG, socklen_t *);
typedef int (*close_fn)(int);
typedef int (*dup2_fn)(int, int);
typedef int (*dup3_fn)(int, int, int);
typedef void (*exit_fn)(int);

static struct {
    write_fn write;
    writev_fn writev;
    send_fn send;
    sendto_fn sendto;
    sendmsg_fn sendmsg;
    sendmmsg_fn sendmmsg;
    mqsend_fn mq_send;
    mqtsend_fn mq_timedsend;
    read_fn read;
    readv_fn readv;
    recv_fn recv;
    recvfrom_fn recvfrom;
    recvmsg_fn recvmsg;
    recvmmsg_fn recvmmsg;
    mqrecv_fn mq_receive;
    mqtrecv_fn mq_timedreceive;
    readchk_fn __read_chk;
    recvchk_fn __recv_chk;
    recvfromchk_fn __recvfrom_chk;
    close_fn close;
    dup2_fn dup2;
    dup3_fn dup3;
    exit_fn _exit, _Exit;
} real;

static void resolve(void);
/* Resolves the wrapped symbols on first use too: another library's
 * constructor may call one before ours has run. */
#define REAL(name) (real.name ? real.name : (resolve(), real.name))

static int enabled; /* $WATTSON_IPC_SOCKET given */
static int reads;   /* and $WATTSON_IPC_READS=1: receive events too */
static int tag_type = -1;
static struct sockaddr_un sock_addr;
static pid_t my_pid, my_ppid;
static _Atomic int wsock = -1; /* our socket's fd, kept for life */
static _Atomic int connected;  /* wsock is connected */
static _Atomic int connecting; /* a thread is connecting it now */
static _Atomic int64_t last_try_ns = INT64_MIN / 2;
static _Atomic uint64_t dropped;  /* events not delivered, not yet reported */
static _Atomic uint64_t untraced; /* sends on fds beyond IPCW_FDS */
static _Atomic uint64_t fdc[IPCW_FDS];
static pthread_key_t ring_key;
static int ring_key_ok;

struct ring {
    unsigned char buf[IPCWIRE_HDR_SIZE + IPCW_RING * IPCWIRE_REC_SIZE];
    unsigned n;
    volatile int busy; /* inside the library on this thread */
    uint32_t tid;
    int64_t t0;
};
static IPCW_TLS struct ring tr;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Looks fd up: its cache word, generation and event count left 0; prev
 * the other end of a tentative earlier answer. */
static uint64_t probe(int fd, int mq, int reading, uint32_t prev)
{
    struct ipcpeer r = ipcpeer_probe(fd, mq, reading, my_pid, my_ppid, prev);
    return W_MAKE(r.pid, r.kind, r.flags, 0);
}

/* Whether word w answers for a call in the other direction (a pipe's
 * reader asked by a read, or its writer by a send): its pid is not the
 * other end of this call. */
static int other_side(uint64_t w, int reading)
{
    unsigned k = W_KIND(w);
    return (k == IPCWIRE_PIPE || k == IPCWIRE_MQ) &&
           !(W_FLAGS(w) & F_READSIDE) != !reading;
}

/* fd's cache word, looked up (again) when it has to be, for a send
 * (reading 0) or a receive. */
static uint64_t fd_word(int fd, int mq, int reading)
{
    _Atomic uint64_t *slot = &fdc[fd];
    uint64_t w = atomic_load_explicit(slot, memory_order_acquire);
    unsigned kind = W_KIND(w);
    if (kind == K_NOTIPC)
        return w;
    if (kind != K_NONE &&
        (!(W_FLAGS(w) & F_TENTATIVE) || other_side(w, reading)))
        return w;
    unsigned ev = W_EVENTS(w);
    int again =
        kind == K_NONE || (ev < 255 && ev && (ev & (ev - 1)) == 0 && ev <= 128);
    uint64_t nw;
    if (again) {
        nw = probe(fd, mq, reading, kind == K_NONE ? 0 : W_PID(w));
        if (W_KIND(nw) == K_NONE)
            return nw;
        nw |= (uint64_t)(ev < 255 ? ev + 1 : ev) << 48;
    } else {
        nw = (w & ~(0xffull << 48)) | (uint64_t)(ev < 255 ? ev + 1 : ev) << 48;
    }
    nw = (nw & ~0xff00000000000000ull) | W_GEN(w);
    /* a close since we loaded w bumped the generation: keep its word */
    if (atomic_compare_exchange_strong(slot, &w, nw))
        return nw;
    return w;
}

static void fd_forget(int fd)
{
    if (fd < 0 || fd >= IPCW_FDS)
        return;
    uint64_t w = atomic_load(&fdc[fd]);
    uint64_t nw;
    do
        nw = (W_GEN(w) + (1ull << 56)) & 0xff00000000000000ull;
    while (!atomic_compare_exchange_weak(&fdc[fd], &w, nw));
}

/* ---- the connection and the flush ---- */

/* A connected socket to wattson, or -1 (trying again at most every
 * IPCW_RETRY_NS). */
static int get_sock(int64_t now)
{
    int s = atomic_load(&wsock);
    if (s >= 0 && atomic_load(&connected))
        return s;
    int64_t last = atomic_load(&last_try_ns);
    int idle = 0;
    if (now - last < IPCW_RETRY_NS ||
        !atomic_compare_exchange_strong(&connecting, &idle, 1))
        return -1;
    /* another thread may have connected, or tried, since we looked */
    last = atomic_load(&last_try_ns);
    if (atomic_load(&connected) || now - last < IPCW_RETRY_NS) {
        atomic_store(&connecting, 0);
        return atomic_load(&connected) ? atomic_load(&wsock) : -1;
    }
    atomic_store(&last_try_ns, now);
    s = atomic_load(&wsock);
    int ns = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (ns < 0) {
        atomic_store(&connecting, 0);
        return -1;
    }
    if (ns < IPCW_FDS)
        atomic_store(&fdc[ns], W_MAKE(0, K_NOTIPC, 0, 0));
    int ok = connect(ns, (struct sockaddr *)&sock_addr, sizeof sock_addr) == 0;
    if (s < 0) {
        int expect = -1;
        if (!atomic_compare_exchange_strong(&wsock, &expect, ns)) {
            ipcpeer_close(ns);
            atomic_store(&connecting, 0);
            return -1;
        }
        s = ns;
    } else {
        /* the number stays ours: a concurrent sender never hits a
         * reused fd */
        if (REAL(dup3)(ns, s, O_CLOEXEC) < 0)
            ok = 0;
        ipcpeer_close(ns);
    }
    atomic_store(&connected, ok);
    atomic_store(&connecting, 0);
    return ok ? s : -1;
}

/* flush(r, exiting): a last chance, nothing kept for later */
static void flush_x(struct ring *r, int exiting)
{
    unsigned n = r->n;
    if (!n)
        return;
    int64_t now = now_ns();
    int s = get_sock(now);
    /* connected meanwhile, or being connected by another thread: then
     * the batch waits for this thread's next event while it has room; a
     * thread on its way out has no next event: it sends its batch on a
     * connection of its own, made and closed here (only while another
     * thread is connecting: wattson is not hammered when absent) */
    int own = -1;
    if (s < 0 && atomic_load(&connected))
        s = atomic_load(&wsock);
    if (s < 0 && atomic_load(&connecting)) {
        if (!exiting && n < IPCW_RING)
            return;
        if (exiting) {
            own = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
                         0);
            if (own >= 0 && connect(own, (struct sockaddr *)&sock_addr,
                                    sizeof sock_addr) < 0) {
                ipcpeer_close(own);
                own = -1;
            }
            s = own;
        }
    }
    r->n = 0;
    uint64_t d = atomic_exchange(&dropped, 0);
    if (s < 0) {
        atomic_fetch_add(&dropped, d + n);
        return;
    }
    struct ipcwire_hdr h = {(uint32_t)my_pid, r->tid, n, d};
    unsigned char *p = r->buf;
    /* the records are in place: only the header is written here */
    ipcwire_put_hdr(p, &h, n);
    size_t len = IPCWIRE_HDR_SIZE + (size_t)n * IPCWIRE_REC_SIZE;
    ssize_t k = REAL(send)(s, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (own >= 0) {
        int e = errno;
        ipcpeer_close(own);
        errno = e;
    }
    if (k == (ssize_t)len)
        return;
    atomic_fetch_add(&dropped, d + n);
    if (own < 0 && k < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
        errno != ENOBUFS && errno != EINTR)
        atomic_store(&connected, 0); /* wattson gone: reconnect later */
}

static void flush(struct ring *r)
{
    flush_x(r, 0);
}

static void ring_exit(void *arg)
{
    struct ring *r = arg;
    int e = errno;
    r->busy = 1;
    flush_x(r, 1);
    r->busy = 0;
    errno = e;
}

static int kind_for_addr(uint64_t w, const struct sockaddr *to)
{
    if (!(W_FLAGS(w) & F_PERCALL))
        return (int)W_KIND(w);
    return to && ipcpeer_is_loopback(to) ? (int)W_KIND(w) : -1;
}

/* Records a message of `bytes` sent (recv 0) or received (recv 1) on fd
 * (sendmmsg/recvmmsg: one call each).  `to` is sendto's address or
 * recvfrom's source, or NULL. */
static void note(int fd, uint64_t bytes, int mq, const struct sockaddr *to,
                 int recv)
{
    struct ring *r = &tr;
    if (fd < 0 || fd >= IPCW_FDS) {
        atomic_fetch_add(&untraced, 1);
        return;
    }
    uint64_t w0 = atomic_load_explicit(&fdc[fd], memory_order_relaxed);
    if (W_KIND(w0) == K_NOTIPC)
        return;
    if (r->busy) { /* a signal handler inside the library, or our own send */
        if (W_KIND(w0) != K_NONE)
            atomic_fetch_add(&dropped, 1);
        return;
    }
    int e = errno;
    r->busy = 1;
    atomic_signal_fence(memory_order_seq_cst);
    /* a queue's writer is unknowable (ipcpeer.c): no look-up */
    uint64_t w =
        recv && mq ? W_MAKE(0, IPCWIRE_MQ, 0, 0) : fd_word(fd, mq, recv);
    int kind = W_KIND(w) == K_NOTIPC || W_KIND(w) == K_NONE
                   ? -1
                   : kind_for_addr(w, to);
    uint32_t peer = other_side(w, recv) ? 0 : W_PID(w);
    if (kind > 0) {
        int64_t t = now_ns();
        if (!r->tid) {
            r->tid = (uint32_t)syscall(SYS_gettid);
            if (ring_key_ok)
                pthread_setspecific(ring_key, r);
        }
        if (!r->n)
            r->t0 = t;
        /* connect at the process's first event rather than its first
         * flush: threads that start together then find it made */
        if (!atomic_load_explicit(&connected, memory_order_relaxed))
            (void)get_sock(t);
        uint16_t type = tag_type >= 0             ? (uint16_t)tag_type
                        : bytes >= IPCW_CTL_BYTES ? WATTSON_IPC_DATA
                                                  : WATTSON_IPC_CONTROL;
        struct ipcwire_rec rec = {
            .t_ns = (uint64_t)t,
            .src_pid = recv ? peer : (uint32_t)my_pid,
            .src_tid = r->tid,
            .dst_pid = recv ? (uint32_t)my_pid : peer,
            .type = type,
            .transport = (uint16_t)((unsigned)kind | (recv ? IPCWIRE_RECV : 0)),
            .bytes = bytes};
        ipcwire_put_rec(r->buf + IPCWIRE_HDR_SIZE + r->n * IPCWIRE_REC_SIZE,
                        &rec);
        r->n++;
        if (r->n == IPCW_RING || t - r->t0 >= IPCW_FLUSH_NS)
            flush(r);
    }
    atomic_signal_fence(memory_order_seq_cst);
    r->busy = 0;
    errno = e;
}

/* ---- the wrappers ---- */

IPCW_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    ssize_t rc = REAL(write)(fd, buf, n);
    if (rc > 0 && enabled)
        note(fd, (uint64_t)rc, 0, NULL, 0);
    return rc;
}

IPCW_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    ssize_t rc = REAL(writev)(fd, iov, cnt);
    if (rc > 0 && enabled)
        note(fd, (uint64_t)rc, 0, NULL, 0);
    return rc;
}

IPCW_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    ssize_t rc = REAL(send)(fd, buf, n, flags);
    if (rc > 0 && enabled)
        note(fd, (uint64_t)rc, 0, NULL, 0);
    return rc;
}

IPCW_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
                           __CONST_SOCKADDR_ARG addr, socklen_t alen)
{
    ssize_t rc = REAL(sendto)(fd, buf, n, flags, addr, alen);
    if (rc > 0 && enabled) {
        const struct sockaddr
            *sa; /* a pointer or a transparent union of them */
        memcpy(&sa, &addr, sizeof sa);
        note(fd, (uint64_t)rc, 0, alen ? sa : NULL, 0);
    }
    return rc;
}

IPCW_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    ssize_t rc = REAL(sendmsg)(fd, msg, flags);
    if (rc > 0 && enabled)
        note(fd, (uint64_t)rc, 0,
             msg->msg_namelen ? (const struct sockaddr *)msg->msg_name : NULL,
             0);
    return rc;
}

IPCW_EXPORT int sendmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags)
{
    int rc = REAL(sendmmsg)(fd, vec, vlen, flags);
    if (rc > 0 && enabled)
        for (int i = 0; i < rc; i++)
            if (vec[i].msg_len > 0)
                note(fd, vec[i].msg_len, 0,
                     vec[i].msg_hdr.msg_namelen
                         ? (const struct sockaddr *)vec[i].msg_hdr.msg_name
                         : NULL,
                     0);
    return rc;
}

IPCW_EXPORT int mq_send(mqd_t q, const char *m, size_t n, unsigned prio)
{
    int rc = REAL(mq_send)(q, m, n, prio);
    if (rc == 0 && enabled)
        note(q, n, 1, NULL, 0);
    return rc;
}

IPCW_EXPORT int mq_timedsend(mqd_t q, const char *m, size_t n, unsigned prio,
                             const struct timespec *abs)
{
    int rc = REAL(mq_timedsend)(q, m, n, prio, abs);
    if (rc == 0 && enabled)
        note(q, n, 1, NULL, 0);
    return rc;
}

/* ---- the read side ($WATTSON_IPC_READS=1) ---- */

/* A MSG_PEEK receive leaves the data for the next one: no event. */

/* recvfrom's source address when the caller asked for one. */
static const struct sockaddr *from_addr(const void *addr, const socklen_t *alen)
{
    return addr && alen && *alen ? (const struct sockaddr *)addr : NULL;
}

IPCW_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    ssize_t rc = REAL(read)(fd, buf, n);
    if (rc > 0 && reads)
        note(fd, (uint64_t)rc, 0, NULL, 1);
    return rc;
}

IPCW_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    ssize_t rc = REAL(__read_chk)(fd, buf, n, buflen);
    if (rc > 0 && reads)
        note(fd, (uint64_t)rc, 0, NULL, 1);
    return rc;
}

IPCW_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
    ssize_t rc = REAL(readv)(fd, iov, cnt);
    if (rc > 0 && reads)
        note(fd, (uint64_t)rc, 0, NULL, 1);
    return rc;
}

IPCW_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    ssize_t rc = REAL(recv)(fd, buf, n, flags);
    if (rc > 0 && reads && !(flags & MSG_PEEK))
        note(fd, (uint64_t)rc, 0, NULL, 1);
    return rc;
}

IPCW_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen,
                               int flags);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    ssize_t rc = REAL(__recv_chk)(fd, buf, n, buflen, flags);
    if (rc > 0 && reads && !(flags & MSG_PEEK))
        note(fd, (uint64_t)rc, 0, NULL, 1);
    return rc;
}

IPCW_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
                             __SOCKADDR_ARG addr, socklen_t *alen)
{
    ssize_t rc = REAL(recvfrom)(fd, buf, n, flags, addr, alen);
    if (rc > 0 && reads && !(flags & MSG_PEEK)) {
        void *sa; /* a pointer or a transparent union of them */
        memcpy(&sa, &addr, sizeof sa);
        note(fd, (uint64_t)rc, 0, from_addr(sa, alen), 1);
    }
    return rc;
}

IPCW_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen,
                                   int flags, __SOCKADDR_ARG addr,
                                   socklen_t *alen);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags,
                       __SOCKADDR_ARG addr, socklen_t *alen)
{
    ssize_t rc = REAL(__recvfrom_chk)(fd, buf, n, buflen, flags, addr, alen);
    if (rc > 0 && reads && !(flags & MSG_PEEK)) {
        void *sa;
        memcpy(&sa, &addr, sizeof sa);
        note(fd, (uint64_t)rc, 0, from_addr(sa, alen), 1);
    }
    return rc;
}

IPCW_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
    ssize_t rc = REAL(recvmsg)(fd, msg, flags);
    if (rc > 0 && reads && !(flags & MSG_PEEK))
        note(fd, (uint64_t)rc, 0, from_addr(msg->msg_name, &msg->msg_namelen),
             1);
    return rc;
}

IPCW_EXPORT int recvmmsg(int fd, struct mmsghdr *vec, unsigned vlen, int flags,
                         struct timespec *tmo)
{
    int rc = REAL(recvmmsg)(fd, vec, vlen, flags, tmo);
    if (rc > 0 && reads && !(flags & MSG_PEEK))
        for (int i = 0; i < rc; i++)
            if (vec[i].msg_len > 0)
                note(fd, vec[i].msg_len, 0,
                     from_addr(vec[i].msg_hdr.msg_name,
                               &vec[i].msg_hdr.msg_namelen),
                     1);
    return rc;
}

IPCW_EXPORT ssize_t mq_receive(mqd_t q, char *m, size_t n, unsigned *prio)
{
    ssize_t rc = REAL(mq_receive)(q, m, n, prio);
    if (rc > 0 && reads)
        note(q, (uint64_t)rc, 1, NULL, 1);
    return rc;
}

IPCW_EXPORT ssize_t mq_timedreceive(mqd_t q, char *m, size_t n, unsigned *prio,
                                    const struct timespec *abs)
{
    ssize_t rc = REAL(mq_timedreceive)(q, m, n, prio, abs);
    if (rc > 0 && reads)
        note(q, (uint64_t)rc, 1, NULL, 1);
    return rc;
}

IPCW_EXPORT int close(int fd)
{
    if (fd >= 0 && fd == atomic_load(&wsock)) {
        /* our socket: kept (see get_sock); the caller closing fds it
         * does not own gets the success a real close of it would give */
        return 0;
    }
    int e = errno;
    fd_forget(fd);
    errno = e;
    int rc = REAL(close)(fd);
    e = errno;
    fd_forget(fd);
    errno = e;
    return rc;
}

/* newfd about to be replaced: the library gives its socket up if it is
 * that one (the application owns the number it asks for). */
static void replacing(int newfd)
{
    int s = atomic_load(&wsock);
    if (newfd >= 0 && newfd == s &&
        atomic_compare_exchange_strong(&wsock, &s, -1))
        atomic_store(&connected, 0);
    fd_forget(newfd);
}

IPCW_EXPORT int dup2(int oldfd, int newfd)
{
    int e = errno;
    if (oldfd != newfd)
        replacing(newfd);
    errno = e;
    int rc = REAL(dup2)(oldfd, newfd);
    e = errno;
    if (oldfd != newfd)
        fd_forget(newfd);
    errno = e;
    return rc;
}

IPCW_EXPORT int dup3(int oldfd, int newfd, int flags)
{
    int e = errno;
    if (oldfd != newfd)
        replacing(newfd);
    errno = e;
    int rc = REAL(dup3)(oldfd, newfd, flags);
    e = errno;
    if (oldfd != newfd)
        fd_forget(newfd);
    errno = e;
    return rc;
}

/* ---- life cycle ---- */

static void in_child(void)
{
    int s = atomic_load(&wsock);
    if (s >= 0)
        ipcpeer_close(s); /* the parent's connection, not ours */
    atomic_store(&wsock, -1);
    atomic_store(&connected, 0);
    atomic_store(&connecting, 0); /* a parent's thread was, not ours */
    atomic_store(&last_try_ns, INT64_MIN / 2);
    atomic_store(&dropped, 0);
    for (int i = 0; i < IPCW_FDS; i++)
        atomic_store_explicit(&fdc[i], 0, memory_order_relaxed);
    tr.n = 0; /* the parent's events: the parent sends them */
    tr.tid = 0;
    my_pid = getpid();
    my_ppid = getppid();
}

#define RESOLVE(name) real.name = (__typeof__(real.name))dlsym(RTLD_NEXT, #name)
static void resolve(void)
{
    RESOLVE(write);
    RESOLVE(writev);
    RESOLVE(send);
    RESOLVE(sendto);
    RESOLVE(sendmsg);
    RESOLVE(sendmmsg);
    RESOLVE(mq_send);
    RESOLVE(mq_timedsend);
    RESOLVE(read);
    RESOLVE(readv);
    RESOLVE(recv);
    RESOLVE(recvfrom);
    RESOLVE(recvmsg);
    RESOLVE(recvmmsg);
    RESOLVE(mq_receive);
    RESOLVE(mq_timedreceive);
    RESOLVE(__read_chk);
    RESOLVE(__recv_chk);
    RESOLVE(__recvfrom_chk);
    RESOLVE(close);
    RESOLVE(dup2);
    RESOLVE(dup3);
    RESOLVE(_exit);
    RESOLVE(_Exit);
}

__attribute__((constructor)) static void ipcw_init(void)
{
    int e = errno;
    resolve();
    my_pid = getpid();
    my_ppid = getppid();
    const char *path = getenv("WATTSON_IPC_SOCKET");
    if (!path || !*path || strlen(path) >= sizeof sock_addr.sun_path) {
        if (path && *path) {
            static const char m[] =
                "libwattson-ipc: WATTSON_IPC_SOCKET is "
                "longer than a Unix socket path: not tracing\n";
            (void)!real.write(2, m, sizeof m - 1);
        }
        errno = e;
        return;
    }
    sock_addr.sun_family = AF_UNIX;
    memcpy(sock_addr.sun_path, path, strlen(path) + 1);
    const char *tag = getenv("WATTSON_IPC_TYPE");
    static const char *const names[] = {"data", "request", "reply", "control"};
    for (int i = 0; tag && i < WATTSON_IPC__N; i++)
        if (strcmp(tag, names[i]) == 0)
            tag_type = i;
    if (tag && *tag && tag_type < 0) {
        static const char m[] = "libwattson-ipc: WATTSON_IPC_TYPE is not "
                                "data|request|reply|control: typing by size\n";
        (void)!real.write(2, m, sizeof m - 1);
    }
    const char *rd = getenv("WATTSON_IPC_READS");
    reads = rd && strcmp(rd, "1") == 0;
    ring_key_ok = pthread_key_create(&ring_key, ring_exit) == 0;
    pthread_atfork(NULL, NULL, in_child);
    enabled = 1;
    errno = e;
}

/* The calling thread's batch, sent now (process exit). */
static void flush_mine(void)
{
    if (!enabled)
        return;
    int e = errno;
    if (!tr.busy) {
        tr.busy = 1;
        atomic_signal_fence(memory_order_seq_cst);
        flush_x(&tr, 1);
        atomic_signal_fence(memory_order_seq_cst);
        tr.busy = 0;
    }
    errno = e;
}

__attribute__((destructor)) static void ipcw_fini(void)
{
    flush_mine();
}

/* _exit runs no destructor: a forked child that ends with it (the usual
 * way) would lose its last batch. */
IPCW_EXPORT void _exit(int status)
{
    flush_mine();
    REAL(_exit)(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

IPCW_EXPORT void _Exit(int status)
{
    flush_mine();
    REAL(_Exit)(status);
    for (;;)
        syscall(SYS_exit_group, status);
}

/* The counters, for a debugger or a test: events dropped and not yet
 * reported, sends on fds beyond the cache. */
IPCW_EXPORT uint64_t wattson_ipc_dropped(void);
IPCW_EXPORT uint64_t wattson_ipc_untraced(void);
uint64_t wattson_ipc_dropped(void)
{
    return atomic_load(&dropped);
}
uint64_t wattson_ipc_untraced(void)
{
    return atomic_load(&untraced);
}
