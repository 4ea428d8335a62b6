/*
 * ipcsrv - see ipcsrv.h.
 *
 * One loop registration for everything, as run/vgserve.c does: the
 * listener and the connections are in an epoll set whose descriptor the
 * loop watches (level-triggered, so a connection left with datagrams
 * after its IPCSRV_DGRAMS_PER_PASS keeps the set readable and is served
 * again on the loop's next turn).
 */
#define _GNU_SOURCE /* struct ucred, accept4 */
#include "core/ipcsrv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/summary.h"
#include "core/usock.h"
#include "wattson/ipcwire.h"

#define IPCSRV_LISTEN 0xfffffff0u
#define IPCSRV_ACCEPTS_PER_PASS 32

struct ipcsrv_conn {
    int fd; /* -1: free slot */
    uint32_t pid;
};

struct ipcsrv {
    struct loop *loop;
    struct summary *sum;
    struct summary dummy; /* counters when the caller gives no summary */
    int reg, epfd;
    uid_t uid;
    uint64_t t0_ns;
    struct usock lsn;
    unsigned logged; /* refusals logged so far */
    size_t n_conns;
    struct ipcsrv_conn conns[IPCSRV_MAX_CONNS];
    /* The pids of the last IPCSRV_GONE connections closed (0: none):
     * their receivers' last batches often arrive after they exit. */
    uint32_t gone[IPCSRV_GONE];
    size_t gone_next;
    struct epoll_event evs[IPCSRV_MAX_CONNS + 1];
    /* The ring: head is the next to take, n how many are kept. */
    struct wattson_ipc_event ring[IPCSRV_RING];
    size_t head, n;
    /* One datagram: one byte more than the largest, so that MSG_TRUNC
     * tells a longer one apart. */
    unsigned char dgram[IPCWIRE_MAX_SIZE + 1];
    struct ipcwire_rec recs[IPCWIRE_MAX_EVENTS];
};

/* Logs a refusal while fewer than IPCSRV_LOG_MAX were; says so once
 * when the rest will only be counted. */
static void refusal(struct ipcsrv *s, const char *msg)
{
    if (s->logged >= IPCSRV_LOG_MAX)
        return;
    log_msg(LOG_WARN, "ipc: %s%s", msg,
            ++s->logged == IPCSRV_LOG_MAX ? " (further refusals are only "
                                            "counted: ipcsrv_refused, "
                                            "ipcsrv_malformed)"
                                          : "");
}

/* Whether pid has a connection open now, or had one of the last
 * IPCSRV_GONE closed: its library reports (reported) its sends. */
static int traced(const struct ipcsrv *s, uint32_t pid)
{
    size_t ng = s->gone_next < IPCSRV_GONE ? s->gone_next : IPCSRV_GONE;
    for (size_t i = 0; i < ng; i++)
        if (s->gone[i] == pid)
            return 1;
    size_t seen = 0;
    for (size_t i = 0; i < IPCSRV_MAX_CONNS && seen < s->n_conns; i++) {
        if (s->conns[i].fd < 0)
            continue;
        seen++;
        if (s->conns[i].pid == pid)
            return 1;
    }
    return 0;
}

int ipcsrv_feed(struct ipcsrv *s, uint32_t pid, const void *buf, size_t len,
                char *why, size_t whylen)
{
    struct ipcwire_hdr h;
    if (len > IPCWIRE_MAX_SIZE) {
        snprintf(why, whylen, "datagram longer than %u bytes",
                 IPCWIRE_MAX_SIZE);
        s->sum->ipcsrv_malformed++;
        return -1;
    }
    if (ipcwire_decode(buf, len, &h, s->recs, IPCWIRE_MAX_EVENTS, why,
                       whylen) != 0) {
        s->sum->ipcsrv_malformed++;
        return -1;
    }
    if (h.pid != pid) {
        snprintf(why, whylen, "sender pid %u is not the connection's %u",
                 (unsigned)h.pid, (unsigned)pid);
        s->sum->ipcsrv_malformed++;
        return -1;
    }
    s->sum->ipcsrv_lib_dropped += h.dropped;
    s->sum->ipcsrv_events += h.count;
    for (uint32_t i = 0; i < h.count; i++) {
        const struct ipcwire_rec *r = &s->recs[i];
        int recv = (r->transport & IPCWIRE_RECV) != 0;
        /* the sender's own event names this message already */
        if (recv && r->src_pid && traced(s, r->src_pid)) {
            s->sum->ipcsrv_recv_dup++;
            continue;
        }
        if (s->n == IPCSRV_RING) {
            s->sum->ipcsrv_overflow++;
            continue;
        }
        struct wattson_ipc_event *e =
            &s->ring[(s->head + s->n++) % IPCSRV_RING];
        e->t = r->t_ns > s->t0_ns ? (double)(r->t_ns - s->t0_ns) * 1e-9 : 0;
        e->src_pid = r->src_pid;
        e->dst_pid = r->dst_pid;
        e->bytes = r->bytes;
        e->type = r->type;
        s->sum->ipcsrv_recv_events += (uint64_t)recv;
    }
    return 0;
}

static void close_conn(struct ipcsrv *s, struct ipcsrv_conn *c)
{
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    s->n_conns--;
    s->gone[s->gone_next++ % IPCSRV_GONE] = c->pid;
}

static void accept_some(struct ipcsrv *s)
{
    for (int k = 0; k < IPCSRV_ACCEPTS_PER_PASS; k++) {
        int fd = accept4(s->lsn.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a peer gone before accept */
        struct ucred cr;
        socklen_t crl = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl) != 0 ||
            cr.uid != s->uid) {
            char msg[128];
            snprintf(msg, sizeof msg,
                     "refused a connection of uid %u (only uid %u may report)",
                     crl == sizeof cr ? (unsigned)cr.uid : ~0u,
                     (unsigned)s->uid);
            refusal(s, msg);
            s->sum->ipcsrv_refused++;
            close(fd);
            continue;
        }
        size_t i = 0;
        while (i < IPCSRV_MAX_CONNS && s->conns[i].fd >= 0)
            i++;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (i == IPCSRV_MAX_CONNS ||
            epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            char msg[128];
            snprintf(msg, sizeof msg,
                     "refused pid %u: %zu connections are open",
                     (unsigned)cr.pid, s->n_conns);
            refusal(s, msg);
            s->sum->ipcsrv_refused++;
            close(fd);
            continue;
        }
        s->conns[i] = (struct ipcsrv_conn){.fd = fd, .pid = (uint32_t)cr.pid};
        s->n_conns++;
        s->sum->ipcsrv_conns++;
        log_msg(LOG_DEBUG, "ipc: pid %u connected", (unsigned)cr.pid);
    }
}

static void serve_conn(struct ipcsrv *s, struct ipcsrv_conn *c)
{
    for (int k = 0; k < IPCSRV_DGRAMS_PER_PASS; k++) {
        ssize_t n =
            recv(c->fd, s->dgram, sizeof s->dgram, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n <= 0) { /* the process ended or closed; an error likewise */
            log_msg(LOG_DEBUG, "ipc: pid %u disconnected", (unsigned)c->pid);
            close_conn(s, c);
            return;
        }
        char why[160], msg[256];
        if (ipcsrv_feed(s, c->pid, s->dgram, (size_t)n, why, sizeof why)) {
            snprintf(msg, sizeof msg,
                     "pid %u sent a malformed datagram, connection closed: %s",
                     (unsigned)c->pid, why);
            refusal(s, msg);
            close_conn(s, c);
            return;
        }
    }
}

void ipcsrv_poll(struct ipcsrv *s)
{
    if (s->epfd < 0)
        return;
    int n = epoll_wait(s->epfd, s->evs, IPCSRV_MAX_CONNS + 1, 0);
    for (int i = 0; i < n; i++) {
        uint32_t d = s->evs[i].data.u32;
        if (d == IPCSRV_LISTEN)
            accept_some(s);
        else if (d < IPCSRV_MAX_CONNS && s->conns[d].fd >= 0)
            serve_conn(s, &s->conns[d]);
    }
}

static void on_ready(void *arg)
{
    ipcsrv_poll(arg);
}

size_t ipcsrv_take(struct ipcsrv *s, struct wattson_ipc_event *ev, size_t max)
{
    size_t k = 0;
    while (k < max && s->n > 0) {
        ev[k++] = s->ring[s->head];
        s->head = (s->head + 1) % IPCSRV_RING;
        s->n--;
    }
    return k;
}

int ipcsrv_start(struct ipcsrv **out, struct loop *loop, const char *path,
                 uint64_t t0_ns, struct summary *sum, char *err, size_t errlen)
{
    *out = NULL;
    struct ipcsrv *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "--ipc-socket: out of memory");
        return -1;
    }
    s->loop = loop;
    s->sum = sum ? sum : &s->dummy;
    s->reg = s->epfd = -1;
    s->lsn.fd = -1;
    s->uid = geteuid();
    s->t0_ns = t0_ns;
    for (size_t i = 0; i < IPCSRV_MAX_CONNS; i++)
        s->conns[i].fd = -1;
    if (!path) {
        *out = s;
        return 0;
    }
    if (usock_listen(&s->lsn, path, SOCK_SEQPACKET, 128, "--ipc-socket", err,
                     errlen) != 0) {
        ipcsrv_stop(s);
        return -1;
    }
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event el = {.events = EPOLLIN, .data.u32 = IPCSRV_LISTEN};
    if (s->epfd < 0 || epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lsn.fd, &el)) {
        snprintf(err, errlen, "--ipc-socket %s: epoll: %s", path,
                 strerror(errno));
        ipcsrv_stop(s);
        return -1;
    }
    if (loop && (s->reg = loop_add_fd(loop, s->epfd, on_ready, s)) < 0) {
        snprintf(err, errlen, "--ipc-socket %s: no event slot left", path);
        ipcsrv_stop(s);
        return -1;
    }
    log_msg(LOG_INFO, "ipc: listening for libwattson-ipc at %s", path);
    *out = s;
    return 0;
}

void ipcsrv_stop(struct ipcsrv *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < IPCSRV_MAX_CONNS; i++)
        if (s->conns[i].fd >= 0)
            close_conn(s, &s->conns[i]);
    if (s->reg >= 0)
        loop_remove(s->loop, s->reg);
    if (s->epfd >= 0)
        close(s->epfd);
    usock_close(&s->lsn);
    free(s);
}

void ipcsrv_set_uid(struct ipcsrv *s, uid_t uid)
{
    s->uid = uid;
}

size_t ipcsrv_n_conns(const struct ipcsrv *s)
{
    return s->n_conns;
}
