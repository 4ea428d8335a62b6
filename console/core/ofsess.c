/*
 * ofsess - see ofsess.h.
 */
#include "core/ofsess.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/netaddr.h"

struct ofsess {
    struct bufferevent *bev;
    struct evbuffer *q[OFWIRE_PRIO__N];
    struct event *linger; /* ofsess_fail's deadline */
    const struct ofsess_ops *ops;
    void *arg;
    char peer[64];
    struct sockaddr_storage peer_ss; /* the TCP peer's address */
    double first; /* when the frame at the head of input was first seen */
    uint64_t in, out;
    int connecting, closing, over, depth, freed;
    char why[240]; /* what `closed` will say once the error has gone */
    unsigned char hdr[OFWIRE_HDR_SIZE];
};

struct ofsess_srv {
    struct evconnlistener *lis;
    void (*accept)(void *arg, struct ofsess *s);
    const struct ofsess_ops *ops;
    void *arg;
    unsigned port;
    struct sockaddr_storage bound; /* its address and port */
    socklen_t bound_len;
};

struct udp_peer {
    struct sockaddr_storage addr; /* IP and UDP port */
    socklen_t len;
    void *arg; /* NULL: a free entry */
};

struct ofsess_udp {
    evutil_socket_t fd;
    struct event *ev;
    void (*dgram)(void *arg, const void *dg, size_t n, double now_s);
    unsigned port;
    uint64_t dropped;
    struct udp_peer peer[OFSESS_UDP_PEERS];
    unsigned char buf[65536]; /* one datagram at a time */
};

struct ofsess_timer {
    struct event *ev;
    void (*cb)(void *arg);
    void *arg;
};

double ofsess_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void describe(const struct sockaddr *sa, char *buf, size_t len)
{
    netaddr_format(sa, buf, len);
}

static int parse_addr(const char *addr, struct sockaddr_storage *ss, int *sslen,
                      char *err, size_t errlen)
{
    return netaddr_parse(addr, 7207, ss, sslen, err, errlen);
}

int ofsess_addr_check(const char *addr, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int len;
    return parse_addr(addr, &ss, &len, err, errlen);
}

/* The real free, once no callback of this session is running. */
static void really_free(struct ofsess *s)
{
    if (s->bev)
        bufferevent_free(s->bev);
    for (int p = 0; p < OFWIRE_PRIO__N; p++)
        if (s->q[p])
            evbuffer_free(s->q[p]);
    if (s->linger)
        event_free(s->linger);
    free(s);
}

void ofsess_free(struct ofsess *s)
{
    if (!s)
        return;
    if (s->depth > 0) {
        s->freed = 1; /* inside one of its callbacks: on the way out */
        return;
    }
    really_free(s);
}

/* Ends the session once: `closed` with why. */
static void finish(struct ofsess *s, const char *why)
{
    if (s->over)
        return;
    s->over = 1;
    if (s->bev)
        bufferevent_disable(s->bev, EV_READ | EV_WRITE);
    if (s->linger)
        event_del(s->linger);
    if (s->ops->closed)
        s->ops->closed(s->arg, s, why);
}

/* Moves whole frames, highest priority first, into the socket's output
 * while it is under OFSESS_LOWAT. */
static void pump(struct ofsess *s)
{
    if (s->connecting || s->closing || s->over)
        return;
    struct evbuffer *out = bufferevent_get_output(s->bev);
    while (evbuffer_get_length(out) < OFSESS_LOWAT) {
        int p = 0;
        while (p < OFWIRE_PRIO__N && evbuffer_get_length(s->q[p]) == 0)
            p++;
        if (p == OFWIRE_PRIO__N)
            return;
        evbuffer_copyout(s->q[p], s->hdr, OFWIRE_HDR_SIZE);
        const size_t n = OFWIRE_HDR_SIZE + ofwire_get32(s->hdr + 16);
        evbuffer_remove_buffer(s->q[p], out, n);
        s->out += n;
    }
}

static void on_linger(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ofsess *s = arg;
    s->depth++;
    finish(s, s->why[0] ? s->why : "ended");
    if (--s->depth == 0 && s->freed)
        really_free(s);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    struct ofsess *s = arg;
    s->depth++;
    if (s->closing && evbuffer_get_length(bufferevent_get_output(bev)) == 0)
        finish(s, s->why[0] ? s->why : "ended");
    else
        pump(s);
    if (--s->depth == 0 && s->freed)
        really_free(s);
}

/* Parses what has come; stops at the first fault. */
static void on_read(struct bufferevent *bev, void *arg)
{
    struct ofsess *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    const double now = ofsess_now();
    char why[160];
    s->depth++;
    if (s->first == 0)
        s->first = now;
    while (!s->over && !s->freed && !s->closing) {
        size_t avail = evbuffer_get_length(in);
        if (avail == 0) {
            s->first = 0;
            break;
        }
        size_t need = avail < OFWIRE_HDR_SIZE ? avail : OFWIRE_HDR_SIZE;
        unsigned char *p = evbuffer_pullup(in, (ev_ssize_t)need);
        struct ofwire_frame f;
        size_t used;
        int rc = ofwire_parse(p, need, &f, &used, why, sizeof why);
        if (rc == OFWIRE_MORE && need == OFWIRE_HDR_SIZE) {
            need += ofwire_get32(p + 16);
            if (avail < need)
                break; /* the rest of its payload is coming */
            p = evbuffer_pullup(in, (ev_ssize_t)need);
            rc = ofwire_parse(p, need, &f, &used, why, sizeof why);
        }
        if (rc == OFWIRE_MORE)
            break;
        if (rc != OFWIRE_OK) {
            /* the peer's bytes are untrusted, but it can still read ours:
             * it is told why, and `closed` says it once that has gone */
            ofsess_fail(s, why);
            break;
        }
        s->in += used;
        s->ops->frame(s->arg, s, &f, s->first, now);
        evbuffer_drain(in, used);
        /* the next frame's first bytes came with this read */
        s->first = evbuffer_get_length(in) ? now : 0;
    }
    if (--s->depth == 0 && s->freed)
        really_free(s);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct ofsess *s = arg;
    s->depth++;
    if (what & BEV_EVENT_CONNECTED) {
        s->connecting = 0;
        evutil_socket_t fd = bufferevent_getfd(s->bev);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (s->ops->connected)
            s->ops->connected(s->arg, s);
        pump(s);
    } else if (what & BEV_EVENT_EOF) {
        finish(s, "the peer closed the connection");
    } else if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
        finish(s, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    }
    if (--s->depth == 0 && s->freed)
        really_free(s);
}

static struct ofsess *sess_new(struct event_base *b, evutil_socket_t fd,
                               const struct ofsess_ops *ops, void *arg)
{
    struct ofsess *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->ops = ops;
    s->arg = arg;
    s->bev = bufferevent_socket_new(b, fd, BEV_OPT_CLOSE_ON_FREE);
    s->linger = evtimer_new(b, on_linger, s);
    for (int p = 0; p < OFWIRE_PRIO__N; p++)
        s->q[p] = evbuffer_new();
    if (!s->bev || !s->linger || !s->q[0] || !s->q[1] || !s->q[2]) {
        if (!s->bev && fd >= 0)
            evutil_closesocket(fd);
        really_free(s);
        return NULL;
    }
    bufferevent_setcb(s->bev, on_read, on_write, on_event, s);
    bufferevent_setwatermark(s->bev, EV_WRITE, OFSESS_LOWAT, 0);
    bufferevent_enable(s->bev, EV_READ | EV_WRITE);
    return s;
}

struct ofsess *ofsess_connect(struct event_base *b, const char *addr,
                              const struct ofsess_ops *ops, void *arg,
                              char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int len;
    if (parse_addr(addr, &ss, &len, err, errlen) != 0)
        return NULL;
    struct ofsess *s = sess_new(b, -1, ops, arg);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    describe((struct sockaddr *)&ss, s->peer, sizeof s->peer);
    s->peer_ss = ss;
    s->connecting = 1;
    if (bufferevent_socket_connect(s->bev, (struct sockaddr *)&ss, len) != 0) {
        snprintf(err, errlen, "%s: cannot connect", s->peer);
        really_free(s);
        return NULL;
    }
    return s;
}

static void on_accept(struct evconnlistener *lis, evutil_socket_t fd,
                      struct sockaddr *sa, int salen, void *arg)
{
    struct ofsess_srv *srv = arg;
    struct ofsess *s =
        sess_new(evconnlistener_get_base(lis), fd, srv->ops, srv->arg);
    if (!s)
        return; /* out of memory: the connection is closed */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    describe(sa, s->peer, sizeof s->peer);
    if ((size_t)salen <= sizeof s->peer_ss)
        memcpy(&s->peer_ss, sa, (size_t)salen);
    srv->accept(srv->arg, s);
}

struct ofsess_srv *ofsess_listen(struct event_base *b, const char *addr,
                                 void (*accept)(void *arg, struct ofsess *s),
                                 const struct ofsess_ops *ops, void *arg,
                                 char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    int len;
    if (parse_addr(addr, &ss, &len, err, errlen) != 0)
        return NULL;
    struct ofsess_srv *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    *srv = (struct ofsess_srv){.accept = accept, .ops = ops, .arg = arg};
    srv->lis = evconnlistener_new_bind(
        b, on_accept, srv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
        (struct sockaddr *)&ss, len);
    if (!srv->lis) {
        snprintf(err, errlen, "%s: cannot listen: %s", addr,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        free(srv);
        return NULL;
    }
    srv->bound_len = sizeof srv->bound;
    if (getsockname(evconnlistener_get_fd(srv->lis),
                    (struct sockaddr *)&srv->bound, &srv->bound_len) == 0)
        srv->port = (uint16_t)netaddr_port(&srv->bound);
    else
        srv->bound_len = 0;
    return srv;
}

void ofsess_srv_free(struct ofsess_srv *srv)
{
    if (!srv)
        return;
    evconnlistener_free(srv->lis);
    free(srv);
}

unsigned ofsess_srv_port(const struct ofsess_srv *srv)
{
    return srv->port;
}

/* One frame's header and payload at the end of dst: 0, or -1. */
static int frame_into(struct evbuffer *dst, unsigned type, unsigned prio,
                      unsigned flags, uint32_t stream, uint32_t seq,
                      const void *payload, size_t len)
{
    if (len > OFWIRE_MAX_PAYLOAD)
        return -1;
    const struct ofwire_frame f = {.type = (uint8_t)type,
                                   .prio = (uint8_t)prio,
                                   .flags = (uint8_t)flags,
                                   .stream = stream,
                                   .seq = seq,
                                   .len = (uint32_t)len};
    unsigned char hdr[OFWIRE_HDR_SIZE];
    if (ofwire_header(hdr, &f, payload) != 0 ||
        evbuffer_add(dst, hdr, sizeof hdr) != 0 ||
        (len && evbuffer_add(dst, payload, len) != 0))
        return -1;
    return 0;
}

int ofsess_send(struct ofsess *s, unsigned type, unsigned prio, unsigned flags,
                uint32_t stream, uint32_t seq, const void *payload, size_t len)
{
    if (s->over || s->closing || prio >= OFWIRE_PRIO__N ||
        frame_into(s->q[prio], type, prio, flags, stream, seq, payload, len) !=
            0)
        return -1;
    pump(s);
    return 0;
}

size_t ofsess_pending(const struct ofsess *s)
{
    size_t n = s->bev ? evbuffer_get_length(bufferevent_get_output(s->bev)) : 0;
    for (int p = 0; p < OFWIRE_PRIO__N; p++)
        n += evbuffer_get_length(s->q[p]);
    return n;
}

void ofsess_fail(struct ofsess *s, const char *why)
{
    if (s->over || s->closing)
        return;
    for (int p = 0; p < OFWIRE_PRIO__N; p++)
        evbuffer_drain(s->q[p], evbuffer_get_length(s->q[p]));
    if (why && !s->connecting) {
        /* straight onto the socket's output: after what is already
         * there, before nothing else */
        size_t n = strlen(why);
        if (n > 255)
            n = 255;
        struct evbuffer *out = bufferevent_get_output(s->bev);
        const size_t before = evbuffer_get_length(out);
        if (frame_into(out, OFWIRE_ERROR, OFWIRE_PRIO_CONTROL, 0, 0, 0, why,
                       n) == 0)
            s->out += evbuffer_get_length(out) - before;
    }
    s->closing = 1;
    snprintf(s->why, sizeof s->why, "%s", why ? why : "ended");
    bufferevent_disable(s->bev, EV_READ);
    if (s->connecting ||
        evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
        finish(s, s->why);
        return;
    }
    const struct timeval one = {1, 0};
    evtimer_add(s->linger, &one);
}

void ofsess_set_arg(struct ofsess *s, void *arg)
{
    s->arg = arg;
}

const char *ofsess_peer(const struct ofsess *s)
{
    return s->peer;
}

uint64_t ofsess_bytes_in(const struct ofsess *s)
{
    return s->in;
}

uint64_t ofsess_bytes_out(const struct ofsess *s)
{
    return s->out;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct ofsess_timer *t = arg;
    t->cb(t->arg);
}

struct ofsess_timer *ofsess_timer_new(struct event_base *b,
                                      void (*cb)(void *arg), void *arg)
{
    struct ofsess_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cb = cb;
    t->arg = arg;
    t->ev = evtimer_new(b, on_timer, t);
    if (!t->ev) {
        free(t);
        return NULL;
    }
    return t;
}

void ofsess_timer_in(struct ofsess_timer *t, double delay_s)
{
    if (!(delay_s > 0))
        delay_s = 0;
    struct timeval tv = {
        (time_t)delay_s,
        (suseconds_t)((delay_s - (double)(time_t)delay_s) * 1e6)};
    evtimer_add(t->ev, &tv);
}

void ofsess_timer_stop(struct ofsess_timer *t)
{
    evtimer_del(t->ev);
}

void ofsess_timer_free(struct ofsess_timer *t)
{
    if (!t)
        return;
    event_free(t->ev);
    free(t);
}

/* ---- datagrams ---- */

static uint16_t *port_of(struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? &((struct sockaddr_in6 *)ss)->sin6_port
                                     : &((struct sockaddr_in *)ss)->sin_port;
}

/* Whether a and b are the same IP address and port. */
static int same_addr(const struct sockaddr_storage *a,
                     const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port &&
               x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
    }
    return 0;
}

/* Reads what has come, at most 256 datagrams a call so that the TCP
 * sessions on the same loop are not starved by a flood. */
static void on_udp(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct ofsess_udp *u = arg;
    for (int i = 0; i < 256; i++) {
        struct sockaddr_storage from;
        socklen_t flen = sizeof from;
        memset(&from, 0, sizeof from);
        const ssize_t n = recvfrom(fd, u->buf, sizeof u->buf, 0,
                                   (struct sockaddr *)&from, &flen);
        if (n < 0)
            return; /* EAGAIN, or an ICMP error reported late */
        const double now = ofsess_now();
        void *to = NULL;
        for (int p = 0; p < OFSESS_UDP_PEERS && !to; p++)
            if (u->peer[p].arg && same_addr(&u->peer[p].addr, &from))
                to = u->peer[p].arg;
        if (!to) {
            u->dropped++;
            continue;
        }
        u->dgram(to, u->buf, (size_t)n, now);
    }
}

struct ofsess_udp *ofsess_udp_open(
    struct event_base *b, const struct ofsess_srv *srv, const struct ofsess *s,
    void (*dgram)(void *arg, const void *dg, size_t n, double now_s), char *err,
    size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (srv) {
        if (!srv->bound_len) {
            snprintf(err, errlen, "UDP: the listener's address is unknown");
            return NULL;
        }
        ss = srv->bound;
        len = srv->bound_len;
    } else if (!s || !s->bev ||
               getsockname(bufferevent_getfd(s->bev), (struct sockaddr *)&ss,
                           &len) != 0) {
        snprintf(err, errlen, "UDP: the connection's local address is unknown");
        return NULL;
    } else
        *port_of(&ss) = 0;
    struct ofsess_udp *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    u->dgram = dgram;
    u->fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    /* room for a burst of a few ms at 10 Gb/s; the kernel caps it at
     * net.core.rmem_max / wmem_max */
    const int room = 4 << 20;
    if (u->fd >= 0) {
        setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &room, sizeof room);
        setsockopt(u->fd, SOL_SOCKET, SO_SNDBUF, &room, sizeof room);
    }
    if (u->fd < 0 || evutil_make_socket_nonblocking(u->fd) != 0 ||
        evutil_make_socket_closeonexec(u->fd) != 0 ||
        bind(u->fd, (struct sockaddr *)&ss, len) != 0) {
        char where[64];
        describe((struct sockaddr *)&ss, where, sizeof where);
        snprintf(err, errlen, "UDP %s: cannot bind: %s", where,
                 strerror(errno));
        if (u->fd >= 0)
            close(u->fd);
        free(u);
        return NULL;
    }
    struct sockaddr_storage bound;
    socklen_t blen = sizeof bound;
    if (getsockname(u->fd, (struct sockaddr *)&bound, &blen) == 0)
        u->port = (uint16_t)netaddr_port(&bound);
    u->ev = event_new(b, u->fd, EV_READ | EV_PERSIST, on_udp, u);
    if (!u->ev || event_add(u->ev, NULL) != 0) {
        snprintf(err, errlen, "out of memory");
        ofsess_udp_free(u);
        return NULL;
    }
    return u;
}

void ofsess_udp_free(struct ofsess_udp *u)
{
    if (!u)
        return;
    if (u->ev)
        event_free(u->ev);
    close(u->fd);
    free(u);
}

unsigned ofsess_udp_port(const struct ofsess_udp *u)
{
    return u->port;
}

int ofsess_udp_peer(struct ofsess_udp *u, const struct ofsess *s, unsigned port,
                    void *arg)
{
    if (port == 0 || port > 65535 || !arg)
        return -1;
    ofsess_udp_unpeer(u, arg);
    for (int p = 0; p < OFSESS_UDP_PEERS; p++)
        if (!u->peer[p].arg) {
            u->peer[p].addr = s->peer_ss;
            *port_of(&u->peer[p].addr) = htons((uint16_t)port);
            u->peer[p].len = u->peer[p].addr.ss_family == AF_INET6
                                 ? sizeof(struct sockaddr_in6)
                                 : sizeof(struct sockaddr_in);
            u->peer[p].arg = arg;
            return 0;
        }
    return -1;
}

void ofsess_udp_unpeer(struct ofsess_udp *u, void *arg)
{
    for (int p = 0; p < OFSESS_UDP_PEERS; p++)
        if (u->peer[p].arg == arg)
            u->peer[p].arg = NULL;
}

int ofsess_udp_send(struct ofsess_udp *u, void *arg, const void *dg, size_t n)
{
    for (int p = 0; p < OFSESS_UDP_PEERS; p++) {
        if (u->peer[p].arg != arg)
            continue;
        if (sendto(u->fd, dg, n, 0, (struct sockaddr *)&u->peer[p].addr,
                   u->peer[p].len) == (ssize_t)n)
            return 0;
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? 1
                                                                           : -1;
    }
    return -1;
}

uint64_t ofsess_udp_dropped(const struct ofsess_udp *u)
{
    return u->dropped;
}
