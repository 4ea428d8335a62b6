/*
 * vgserve - see vgserve.h.
 *
 * The token bucket is the classic one (Turner 1986; RFC 2697's single
 * rate): a connection holds up to VGSERVE_BURST tokens, refilled at
 * VGSERVE_RATE per second of the monotonic clock, and a request costs
 * one.  2000/s per connection is a fifth of the aim the whole API must
 * sustain (10,000/s, issue 16), so five clients can reach the aim and
 * one cannot take it all.
 */
#define _GNU_SOURCE /* struct ucred, accept4 */
#include "run/vgserve.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/summary.h"
#include "core/usock.h"
#include "core/vgproto.h"
#include "engines/vgledger.h"

/* epoll data of the two fixed descriptors; a connection's is its index. */
#define VG_LISTEN 0xfffffff0u
#define VG_KICK 0xfffffff1u
/* Answers: an AVAILABLE of every GPU is the longest (16 x 3 fields). */
#define VG_ANSWER_MAX 2048
#define VG_ACCEPTS_PER_EVENT 16
/* A connection's answers not yet written: lines are served only while
 * the longest answer still fits, so a client that reads slowly is slowed
 * down (its lines wait), never answered out of buffer. */
#define VG_OUT_MAX 16384
/* A connection whose answers could not be written for this long is
 * dropped (checked on each pass of the server). */
#define VG_STALL_NS 5000000000ull

static const char *const type_names[WVG_NTYPES] = WVG_TYPE_NAMES;

struct vg_conn {
    int fd; /* -1: free slot */
    int id; /* the ledger's client */
    uint32_t pid, uid;
    char in[WVG_LINE_MAX];
    size_t n;
    double tokens;
    uint64_t last_ns;
    uint64_t pass; /* the pass that last served it */
    int pending;   /* complete lines left in `in` */
    char out[VG_OUT_MAX];
    size_t out_n;
    uint64_t stalled_ns; /* when out stopped draining, 0 when it drains */
};

struct vgserve {
    struct loop *loop;
    struct vgledger *l;
    struct summary *sum;
    struct summary dummy; /* counters when the caller gives no summary */
    int reg, epfd, kfd;
    uid_t uid;
    struct usock lsn; /* the listening socket; .path for messages */
    uint64_t pass;
    size_t n_conns;
    struct vg_conn conns[VGSERVE_MAX_CONNS];
    struct epoll_event evs[VGSERVE_MAX_CONNS + 2];
    char ans[VG_ANSWER_MAX];
};

static const char *dot(const char *s)
{
    return s ? s : "?";
}

static int send_all(int fd, const char *buf, size_t n)
{
    ssize_t w = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    return w == (ssize_t)n ? 0 : -1;
}

static void watch(struct vgserve *s, struct vg_conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = events,
                             .data.u32 = (uint32_t)(c - s->conns)};
    epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what c->out holds; -1 when the connection failed.  While some
 * is left the connection is watched for writing only (its lines wait). */
static int flush(struct vgserve *s, struct vg_conn *c)
{
    if (c->out_n == 0)
        return 0;
    ssize_t w = send(c->fd, c->out, c->out_n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return -1;
    if (w > 0) {
        c->out_n -= (size_t)w;
        memmove(c->out, c->out + w, c->out_n);
    }
    if (c->out_n > 0) {
        if (!c->stalled_ns) {
            c->stalled_ns = clock_mono_ns();
            watch(s, c, EPOLLOUT);
        }
    } else if (c->stalled_ns) {
        c->stalled_ns = 0;
        watch(s, c, EPOLLIN);
    }
    return 0;
}

/* Ends connection c: what it held is released and logged. */
static void drop(struct vgserve *s, struct vg_conn *c, const char *why)
{
    double rel[VGLEDGER_MAX_GPUS * WVG_NTYPES];
    if (vgledger_client_close(s->l, c->id, rel) == 1) {
        char list[512];
        size_t at = 0;
        for (size_t g = 0; g < vgledger_n_gpus(s->l); g++)
            for (int t = 0; t < WVG_NTYPES; t++) {
                double v = rel[g * WVG_NTYPES + (size_t)t];
                if (v > 0 && at < sizeof list)
                    at += (size_t)snprintf(list + at, sizeof list - at,
                                           "%s%s %s %g", at ? ", " : "",
                                           dot(vgledger_gpu_name(s->l, g)),
                                           type_names[t], v);
            }
        s->sum->vgpu_api_disconnect_releases++;
        log_msg(LOG_WARN,
                "vgpu: client pid %u (uid %u) %s holding %s: released",
                (unsigned)c->pid, (unsigned)c->uid, why, list);
    } else {
        log_msg(LOG_DEBUG, "vgpu: client pid %u %s", (unsigned)c->pid, why);
    }
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    c->pending = 0;
    s->n_conns--;
}

/* Refuses a connection before it has a slot: one ERR line, then close. */
static void refuse(int fd, int code, const char *msg)
{
    char line[256];
    int n = vgproto_format_err(line, sizeof line, code, msg);
    if (n > 0)
        (void)send_all(fd, line, (size_t)n);
    close(fd);
}

static void accept_some(struct vgserve *s)
{
    for (int k = 0; k < VG_ACCEPTS_PER_EVENT; k++) {
        int fd = accept4(s->lsn.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or a peer gone before accept */
        struct ucred cr;
        socklen_t crl = sizeof cr;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crl) != 0) {
            refuse(fd, VGPROTO_EPERM, "cannot tell who you are");
            s->sum->vgpu_api_peer_refused++;
            continue;
        }
        if (cr.uid != s->uid) {
            log_msg(LOG_WARN,
                    "vgpu: refused pid %u of uid %u (only uid %u may use "
                    "%s)",
                    (unsigned)cr.pid, (unsigned)cr.uid, (unsigned)s->uid,
                    s->lsn.path);
            refuse(fd, VGPROTO_EPERM, "another user's connection");
            s->sum->vgpu_api_peer_refused++;
            continue;
        }
        size_t i = 0;
        while (i < VGSERVE_MAX_CONNS && s->conns[i].fd >= 0)
            i++;
        int id =
            i < VGSERVE_MAX_CONNS
                ? vgledger_client_open(s->l, (uint32_t)cr.pid, (uint32_t)cr.uid)
                : -1;
        if (id < 0) {
            refuse(fd, VGPROTO_EFULL, "too many connections");
            s->sum->vgpu_api_refused++;
            continue;
        }
        struct vg_conn *c = &s->conns[i];
        *c = (struct vg_conn){.fd = fd,
                              .id = id,
                              .pid = (uint32_t)cr.pid,
                              .uid = (uint32_t)cr.uid,
                              .tokens = VGSERVE_BURST,
                              .last_ns = clock_mono_ns()};
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            vgledger_client_close(s->l, id, NULL);
            refuse(fd, VGPROTO_EFULL, "cannot watch the connection");
            c->fd = -1;
            continue;
        }
        s->n_conns++;
        log_msg(LOG_DEBUG, "vgpu: client pid %u connected", (unsigned)cr.pid);
    }
}

static int to_proto(int st)
{
    switch (st) {
    case VGLEDGER_EAMOUNT:
        return VGPROTO_EAMOUNT;
    case VGLEDGER_ETYPE:
        return VGPROTO_ETYPE;
    case VGLEDGER_EGPU:
        return VGPROTO_EGPU;
    case VGLEDGER_EFULL:
        return VGPROTO_EFULL;
    case VGLEDGER_ELIMIT:
        return VGPROTO_ELIMIT;
    case VGLEDGER_EPOLICY:
        return VGPROTO_EPOLICY;
    default:
        return VGPROTO_EPROTO;
    }
}

static void fmt_limit(char *buf, size_t len, double v)
{
    if (isinf(v))
        snprintf(buf, len, "none");
    else
        snprintf(buf, len, "%.9g", v);
}

/* The answer to one parsed request into s->ans; returns its length. */
static int answer(struct vgserve *s, struct vg_conn *c,
                  const struct vgproto_req *rq)
{
    char why[256], lim[32];
    char *a = s->ans;
    size_t al = sizeof s->ans;
    size_t ng = vgledger_n_gpus(s->l);
    int gpu = 0;
    if (rq->gpu[0])
        gpu = vgledger_gpu_find(s->l, rq->gpu);
    if (gpu < 0 || ng == 0) {
        snprintf(why, sizeof why, "%s%s%s", ng ? "unknown gpu '" : "",
                 ng ? rq->gpu : "the lab has no gpu", ng ? "'" : "");
        s->sum->vgpu_api_refused++;
        return vgproto_format_err(a, al, VGPROTO_EGPU, why);
    }
    const char *gn = vgledger_gpu_name(s->l, (size_t)gpu);
    size_t g = (size_t)gpu;
    double v = 0;
    int st = VGLEDGER_OK;
    switch (rq->verb) {
    case VGPROTO_REQUEST:
        st = vgledger_request(s->l, c->id, g, rq->type, rq->amount, &v, why,
                              sizeof why);
        if (st != VGLEDGER_OK)
            break;
        fmt_limit(lim, sizeof lim, vgledger_limit(s->l, c->id, g, rq->type));
        return snprintf(a, al,
                        "OK granted=%.9g held=%.9g available=%.9g limit=%s "
                        "gpu=%s%s\n",
                        v, vgledger_held(s->l, c->id, g, rq->type),
                        vgledger_available(s->l, g, rq->type), lim, gn,
                        v < rq->amount ? " partial=1" : "");
    case VGPROTO_RELEASE:
        st = vgledger_release(s->l, c->id, g, rq->type, rq->amount, &v, why,
                              sizeof why);
        if (st != VGLEDGER_OK)
            break;
        return snprintf(a, al,
                        "OK released=%.9g held=%.9g available=%.9g gpu=%s\n", v,
                        vgledger_held(s->l, c->id, g, rq->type),
                        vgledger_available(s->l, g, rq->type), gn);
    case VGPROTO_LIMIT:
        st = vgledger_set_limit(s->l, c->id, g, rq->type, rq->amount, why,
                                sizeof why);
        if (st != VGLEDGER_OK)
            break;
        fmt_limit(lim, sizeof lim, rq->amount);
        return snprintf(a, al, "OK limit=%s held=%.9g gpu=%s\n", lim,
                        vgledger_held(s->l, c->id, g, rq->type), gn);
    default: { /* AVAILABLE */
        size_t at = (size_t)snprintf(a, al, "OK");
        size_t from = rq->gpu[0] ? g : 0, to = rq->gpu[0] ? g + 1 : ng;
        if (rq->gpu[0])
            at += (size_t)snprintf(a + at, al - at, " gpu=%s", gn);
        for (size_t i = from; i < to && at < al; i++)
            for (int t = 0; t < WVG_NTYPES && at < al; t++)
                at += (size_t)snprintf(a + at, al - at, " %s%s%s=%.9g",
                                       rq->gpu[0] ? ""
                                                  : vgledger_gpu_name(s->l, i),
                                       rq->gpu[0] ? "" : ".", type_names[t],
                                       vgledger_available(s->l, i, t));
        if (at + 2 > al)
            at = al - 2;
        a[at++] = '\n';
        a[at] = '\0';
        return (int)at;
    }
    }
    s->sum->vgpu_api_refused++;
    return vgproto_format_err(a, al, to_proto(st), why);
}

/* One line of c: rate limit, parse, answer.  Returns -1 when c was
 * dropped. */
static int serve_line(struct vgserve *s, struct vg_conn *c, const char *line,
                      size_t len)
{
    s->sum->vgpu_api_requests++;
    uint64_t now = clock_mono_ns();
    c->tokens += (double)(now - c->last_ns) * 1e-9 * VGSERVE_RATE;
    if (c->tokens > VGSERVE_BURST)
        c->tokens = VGSERVE_BURST;
    c->last_ns = now;
    int n;
    if (c->tokens < 1) {
        s->sum->vgpu_api_rate_limited++;
        n = vgproto_format_err(s->ans, sizeof s->ans, VGPROTO_ERATE,
                               "over 2000 requests/s: slow down");
    } else {
        c->tokens -= 1;
        struct vgproto_req rq;
        char msg[256];
        int code = vgproto_parse(line, len, &rq, msg, sizeof msg);
        if (code == VGPROTO_EPROTO)
            s->sum->vgpu_api_malformed++;
        else if (code != VGPROTO_OK)
            s->sum->vgpu_api_refused++;
        n = code == VGPROTO_OK
                ? answer(s, c, &rq)
                : vgproto_format_err(s->ans, sizeof s->ans, code, msg);
    }
    if (n <= 0 || (size_t)n > sizeof c->out - c->out_n) {
        drop(s, c, "dropped (an answer did not fit)");
        return -1;
    }
    memcpy(c->out + c->out_n, s->ans, (size_t)n);
    c->out_n += (size_t)n;
    return 0;
}

/* Serves up to VGSERVE_LINES_PER_EVENT lines of c, reading as needed,
 * then writes their answers. */
static void serve_lines(struct vgserve *s, struct vg_conn *c);

static void serve_conn(struct vgserve *s, struct vg_conn *c)
{
    c->pass = s->pass;
    if (flush(s, c) != 0) {
        drop(s, c, "lost");
        return;
    }
    if (c->out_n > 0) /* the client is not reading: its lines wait */
        return;
    serve_lines(s, c);
    if (c->fd >= 0 && flush(s, c) != 0)
        drop(s, c, "lost");
}

static void serve_lines(struct vgserve *s, struct vg_conn *c)
{
    int served = 0;
    c->pending = 0;
    while (served < VGSERVE_LINES_PER_EVENT &&
           sizeof c->out - c->out_n >= VG_ANSWER_MAX) {
        char *nl = memchr(c->in, '\n', c->n);
        if (nl) {
            size_t len = (size_t)(nl - c->in);
            if (serve_line(s, c, c->in, len) != 0)
                return;
            c->n -= len + 1;
            memmove(c->in, nl + 1, c->n);
            served++;
            continue;
        }
        if (c->n >= sizeof c->in) {
            int n = vgproto_format_err(s->ans, sizeof s->ans, VGPROTO_EPROTO,
                                       "line longer than 255 bytes");
            s->sum->vgpu_api_requests++;
            s->sum->vgpu_api_malformed++;
            (void)flush(s, c);
            (void)send_all(c->fd, s->ans, (size_t)n);
            drop(s, c, "dropped (a line over 255 bytes)");
            return;
        }
        ssize_t r =
            recv(c->fd, c->in + c->n, sizeof c->in - c->n, MSG_DONTWAIT);
        if (r > 0) {
            c->n += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        drop(s, c, r == 0 ? "disconnected" : "lost");
        return;
    }
    c->pending = c->n > 0 && memchr(c->in, '\n', c->n) != NULL;
}

static void on_ready(void *arg)
{
    struct vgserve *s = arg;
    s->pass++;
    int n = epoll_wait(s->epfd, s->evs, VGSERVE_MAX_CONNS + 2, 0);
    for (int i = 0; i < n; i++) {
        uint32_t d = s->evs[i].data.u32;
        if (d == VG_LISTEN) {
            accept_some(s);
        } else if (d == VG_KICK) {
            uint64_t v;
            (void)!read(s->kfd, &v, sizeof v);
        } else if (d < VGSERVE_MAX_CONNS && s->conns[d].fd >= 0 &&
                   s->conns[d].pass != s->pass) {
            serve_conn(s, &s->conns[d]);
        }
    }
    int again = 0;
    uint64_t now = clock_mono_ns();
    for (size_t i = 0; i < VGSERVE_MAX_CONNS; i++) {
        struct vg_conn *c = &s->conns[i];
        if (c->fd >= 0 && c->stalled_ns && now - c->stalled_ns > VG_STALL_NS)
            drop(s, c, "dropped (it did not read its answers for 5 s)");
        if (c->fd >= 0 && c->pending && !c->out_n && c->pass != s->pass)
            serve_conn(s, c);
        again |= c->fd >= 0 && c->pending && !c->out_n;
    }
    if (again) { /* the next pass serves the rest */
        uint64_t one = 1;
        (void)!write(s->kfd, &one, sizeof one);
    }
}

void vgserve_poll(struct vgserve *s)
{
    on_ready(s);
}

int vgserve_start(struct vgserve **out, struct loop *loop, struct vgledger *l,
                  const char *path, struct summary *sum, char *err,
                  size_t errlen)
{
    *out = NULL;
    struct vgserve *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->loop = loop;
    s->l = l;
    s->sum = sum ? sum : &s->dummy;
    s->reg = s->lsn.fd = s->epfd = s->kfd = -1;
    s->uid = geteuid();
    for (size_t i = 0; i < VGSERVE_MAX_CONNS; i++)
        s->conns[i].fd = -1;
    if (usock_listen(&s->lsn, path, SOCK_STREAM, 64, "--vgpu-socket", err,
                     errlen) != 0) {
        vgserve_stop(s);
        return -1;
    }
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    s->kfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event el = {.events = EPOLLIN, .data.u32 = VG_LISTEN};
    struct epoll_event ek = {.events = EPOLLIN, .data.u32 = VG_KICK};
    if (s->epfd < 0 || s->kfd < 0 ||
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->lsn.fd, &el) != 0 ||
        epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->kfd, &ek) != 0) {
        snprintf(err, errlen, "--vgpu-socket %s: epoll: %s", path,
                 strerror(errno));
        vgserve_stop(s);
        return -1;
    }
    s->reg = loop_add_fd(loop, s->epfd, on_ready, s);
    if (s->reg < 0) {
        snprintf(err, errlen, "--vgpu-socket %s: no event slot left", path);
        vgserve_stop(s);
        return -1;
    }
    log_msg(LOG_INFO, "vgpu: serving the request API at %s", path);
    *out = s;
    return 0;
}

void vgserve_stop(struct vgserve *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < VGSERVE_MAX_CONNS; i++)
        if (s->conns[i].fd >= 0)
            drop(s, &s->conns[i], "closed at the end of the run");
    if (s->reg >= 0)
        loop_remove(s->loop, s->reg);
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->kfd >= 0)
        close(s->kfd);
    usock_close(&s->lsn);
    free(s);
}

void vgserve_set_uid(struct vgserve *s, uid_t uid)
{
    s->uid = uid;
}

size_t vgserve_n_conns(const struct vgserve *s)
{
    return s->n_conns;
}
