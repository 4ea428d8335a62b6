/*
 * ofremote - see ofremote.h.
 */
#include "engines/ofremote.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/oflink.h"
#include "core/ofsess.h"
#include "core/ofzst.h"
#include "engines/ofdg.h"
#include "engines/ofalloc.h"
#include "engines/ofside.h"
#include "part/ofmsg.h"

#define MAX_CONNS 64
#define MAX_REQS 4          /* per connection at once */
#define HELLO_TIMEOUT_S 5.0 /* a connection that says nothing */

struct rconn;

struct rreq {
    struct rconn *c;
    uint32_t stream;
    struct ofexec_plan plan;
    struct ofside side;
    double t0, predicted_ms;
    double work_ms, mem; /* its prediction: scaled work, memory */
    int grant;           /* its hold in the book (ofalloc), -1 none */
    size_t dev;          /* its device, once granted */
};

struct rconn {
    struct ofremote *r;
    struct ofsess *s;
    struct ofsess_timer *hello_t;
    struct rreq *req[MAX_REQS];
    struct ofdg *dg;    /* the user announced a UDP port */
    struct oflink link; /* what its tensors are paced at */
    int hello;
};

struct ofremote {
    struct ofremote_cfg cfg;
    struct event_base *b;
    struct ofsess_srv *srv;
    struct ofsess_udp *udp; /* on the listener's address and port */
    struct rconn *conn[MAX_CONNS];
    struct ofzst z;
    struct ofalloc *alloc; /* its devices and what requests hold */
    /* requests waiting for a device, in order of arrival */
    struct rreq *wait[MAX_CONNS * MAX_REQS];
    size_t n_wait;
    struct ofremote_stats st;
};

static void admit_waiting(struct ofremote *r);

static void say(const struct ofremote *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(const struct ofremote *r, const char *fmt, ...)
{
    if (!r->cfg.log)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(r->cfg.log, "wattson offload serve: ");
    vfprintf(r->cfg.log, fmt, ap);
    fputc('\n', r->cfg.log);
    fflush(r->cfg.log);
    va_end(ap);
}

static void req_free(struct rreq *q)
{
    struct ofremote *r = q->c->r;
    for (int i = 0; i < MAX_REQS; i++)
        if (q->c->req[i] == q)
            q->c->req[i] = NULL;
    for (size_t i = 0; i < r->n_wait; i++)
        if (r->wait[i] == q) {
            memmove(&r->wait[i], &r->wait[i + 1],
                    (r->n_wait - i - 1) * sizeof *r->wait);
            r->n_wait--;
            break;
        }
    const int held = q->grant >= 0;
    ofalloc_release(r->alloc, q->grant);
    ofside_free(&q->side);
    ofexec_free(&q->plan);
    free(q);
    if (held)
        admit_waiting(r); /* a device is free again */
}

static void conn_free(struct rconn *c)
{
    for (int i = 0; i < MAX_REQS; i++)
        if (c->req[i]) {
            ofside_stop(&c->req[i]->side);
            req_free(c->req[i]);
        }
    for (int i = 0; i < MAX_CONNS; i++)
        if (c->r->conn[i] == c)
            c->r->conn[i] = NULL;
    c->r->st.bytes_in += ofsess_bytes_in(c->s);
    c->r->st.bytes_out += ofsess_bytes_out(c->s);
    if (c->dg) {
        ofsess_udp_unpeer(c->r->udp, c->dg);
        ofdg_free(c->dg);
    }
    ofsess_timer_free(c->hello_t);
    ofsess_free(c->s);
    free(c);
}

static void result(struct rreq *q, uint32_t status, const char *why)
{
    struct ofmsg_result res = {.status = status,
                               .sent = q->side.tensors_out,
                               .compute_ms = q->side.compute_ms,
                               .predicted_ms = q->predicted_ms,
                               .queued_ms = q->side.queued_ms};
    if (why)
        snprintf(res.reason, sizeof res.reason, "%s", why);
    unsigned char buf[OFMSG_RESULT_SIZE + OFMSG_ERROR_MAX];
    const size_t n = ofmsg_result_put(buf, sizeof buf, &res);
    ofsess_send(q->c->s, OFWIRE_RESULT, OFWIRE_PRIO_CONTROL, 0, q->stream, 0,
                buf, n);
}

static void req_done(void *arg)
{
    struct rreq *q = arg;
    struct ofremote *r = q->c->r;
    result(q, 0, NULL);
    r->st.done++;
    say(r,
        "%s: request %u: %zu layers on %s, %.3g MB held, predicted %.3f ms, "
        "computed %.3f ms after %.3f ms queued, %u tensors home",
        ofsess_peer(q->c->s), (unsigned)q->stream, q->plan.n,
        ofalloc_name(r->alloc, q->dev), q->mem / 1e6, q->predicted_ms,
        q->side.compute_ms, q->side.queued_ms, q->side.tensors_out);
    req_free(q);
}

static void req_fail(void *arg, const char *why)
{
    struct rreq *q = arg;
    struct ofremote *r = q->c->r;
    result(q, 1, why);
    r->st.failed++;
    say(r, "%s: request %u failed: %s", ofsess_peer(q->c->s),
        (unsigned)q->stream, why);
    req_free(q);
}

static double req_bw(void *arg)
{
    (void)arg;
    /* the remote sends what comes home (the outputs, usually small) at
     * the level a fast link would get: it has no estimate of its own */
    return 125e6;
}

static const struct ofside_ops req_ops = {
    .done = req_done, .fail = req_fail, .bw = req_bw};

static struct rreq *req_of(struct rconn *c, uint32_t stream);

/* A tensor's blob came whole over UDP: its request's, or kept until its
 * REQUEST (on TCP) arrives. */
static int dg_blob(void *arg, uint32_t stream, const struct ofdg_in *in)
{
    struct rconn *c = arg;
    struct rreq *q = req_of(c, stream);
    /* the path is taken as symmetric: what came paces what goes */
    oflink_train(&c->link, (double)in->wire, in->last - in->first);
    if (!q)
        return 0;
    ofside_blob(&q->side, in);
    return 1;
}

static double dg_bw(void *arg)
{
    const struct rconn *c = arg;
    return oflink_bw(&c->link);
}

static const struct ofdg_ops conn_dg_ops = {.blob = dg_blob, .bw = dg_bw};

/* Request q has device dev: its layers run there now. */
static void start(struct rreq *q, size_t dev)
{
    struct ofremote *r = q->c->r;
    q->dev = dev;
    q->side.speed = ofalloc_speed(r->alloc, dev);
    q->side.dev_free = ofalloc_timeline(r->alloc, dev);
    q->side.queued_ms += (ofsess_now() - q->t0) * 1e3;
    q->predicted_ms = q->work_ms / q->side.speed;
    q->side.held = 0;
    ofside_step(&q->side);
}

static void on_request(struct rconn *c, const struct ofwire_frame *f)
{
    struct ofremote *r = c->r;
    char why[160];
    int slot = -1;
    for (int i = 0; i < MAX_REQS; i++) {
        if (c->req[i] && c->req[i]->stream == f->stream) {
            ofsess_fail(c->s, "REQUEST: a stream already in use");
            return;
        }
        if (!c->req[i] && slot < 0)
            slot = i;
    }
    r->st.requests++;
    struct rreq *q = calloc(1, sizeof *q);
    if (!q) {
        ofsess_fail(c->s, "out of memory");
        return;
    }
    q->c = c;
    q->stream = f->stream;
    q->grant = -1;
    struct ofmsg_feat fv;
    double scale;
    if (slot < 0 || ofmsg_request_get(f->payload, f->len, &q->plan, &scale, &fv,
                                      why, sizeof why) != 0) {
        struct ofexec_plan none = {.n_nodes = 1};
        if (slot < 0)
            snprintf(why, sizeof why, "too many requests at once (%d)",
                     MAX_REQS);
        q->plan = none;
        if (ofside_init(&q->side, r->b, &q->plan, &req_ops, q) == 0) {
            result(q, 1, why);
        }
        r->st.failed++;
        say(r, "%s: request %u refused: %s", ofsess_peer(c->s),
            (unsigned)f->stream, why);
        ofside_free(&q->side);
        free(q);
        return;
    }
    c->req[slot] = q;
    if (ofside_init(&q->side, r->b, &q->plan, &req_ops, q) != 0) {
        req_fail(q, "out of memory");
        return;
    }
    /* the prediction: its work, scaled by the input's complexity, and
     * every activation it makes resident at once (an upper bound) */
    for (size_t i = 0; i < q->plan.n; i++) {
        q->work_ms += q->plan.l[i].work_ms * scale;
        q->mem += q->plan.l[i].out_bytes;
    }
    q->t0 = ofsess_now();
    q->side.s = c->s;
    q->side.stream = f->stream;
    q->side.scale = scale;
    q->side.z = &r->z;
    q->side.zlevel = r->cfg.zlevel;
    q->side.dg = c->dg;
    q->side.held = 1; /* it takes its input, but computes once admitted */
    size_t dev;
    const int rc = ofalloc_admit(r->alloc, q->mem, q->work_ms, q->t0, &dev,
                                 &q->grant, why, sizeof why);
    if (rc == OFALLOC_REFUSED) {
        req_fail(q, why);
        return;
    }
    if (rc == OFALLOC_GRANTED)
        start(q, dev);
    else
        r->wait[r->n_wait++] = q; /* room: one slot per possible request */
    if (c->dg) /* its input may have come before the REQUEST */
        ofdg_deliver(c->dg, f->stream);
}

/* The waiting requests that a device can take now, in order. */
static void admit_waiting(struct ofremote *r)
{
    for (size_t i = 0; i < r->n_wait;) {
        struct rreq *q = r->wait[i];
        size_t dev;
        char why[160];
        if (ofalloc_admit(r->alloc, q->mem, q->work_ms, ofsess_now(), &dev,
                          &q->grant, why, sizeof why) != OFALLOC_GRANTED) {
            i++;
            continue;
        }
        memmove(&r->wait[i], &r->wait[i + 1],
                (r->n_wait - i - 1) * sizeof *r->wait);
        r->n_wait--;
        start(q, dev);
    }
}

static struct rreq *req_of(struct rconn *c, uint32_t stream)
{
    for (int i = 0; i < MAX_REQS; i++)
        if (c->req[i] && c->req[i]->stream == stream)
            return c->req[i];
    return NULL;
}

static void on_frame(void *arg, struct ofsess *s, const struct ofwire_frame *f,
                     double first, double now)
{
    struct rconn *c = arg;
    struct ofremote *r = c->r;
    char why[160];
    if (!c->hello) {
        struct ofmsg_hello h;
        if (f->type != OFWIRE_HELLO) {
            if (f->type == OFWIRE_ERROR) {
                ofmsg_error_get(f->payload, f->len, why, sizeof why);
                say(r, "%s says: %s", ofsess_peer(s), why);
            }
            ofsess_fail(s, "HELLO first");
            return;
        }
        if (ofmsg_hello_get(f->payload, f->len, &h, why, sizeof why) != 0 ||
            h.role != OFMSG_ROLE_USER) {
            if (h.role == OFMSG_ROLE_REMOTE)
                snprintf(why, sizeof why, "HELLO: a remote, not a user");
            say(r, "%s refused: %s", ofsess_peer(s), why);
            ofsess_fail(s, why);
            return;
        }
        if (h.udp_port) {
            c->dg = ofdg_new(r->b, r->udp, s, &conn_dg_ops, c);
            if (!c->dg || ofsess_udp_peer(r->udp, s, h.udp_port, c->dg)) {
                ofsess_fail(s, "out of memory for a UDP peer");
                return;
            }
        }
        c->hello = 1;
        ofsess_timer_stop(c->hello_t);
        struct ofmsg_hello me = {.role = OFMSG_ROLE_REMOTE,
                                 .features = OFMSG_FEAT_ZSTD,
                                 .speed = ofalloc_best_speed(r->alloc),
                                 .cpu_share = 1,
                                 .udp_port = ofsess_udp_port(r->udp)};
        snprintf(me.name, sizeof me.name, "%s", r->cfg.name);
        unsigned char buf[OFMSG_HELLO_SIZE];
        ofmsg_hello_put(buf, &me);
        ofsess_send(s, OFWIRE_HELLO, OFWIRE_PRIO_CONTROL, 0, 0, 0, buf,
                    sizeof buf);
        say(r, "%s: user device %s (speed %.3g)", ofsess_peer(s), h.name,
            h.speed);
        return;
    }
    switch (f->type) {
    case OFWIRE_PING: {
        if (f->len < 8) {
            ofsess_fail(s, "PING: short");
            return;
        }
        const struct ofmsg_pong p = {.token = ofwire_get64(f->payload),
                                     .bytes = OFWIRE_HDR_SIZE + f->len,
                                     .disp = now - first};
        unsigned char buf[OFMSG_PONG_SIZE];
        ofmsg_pong_put(buf, &p);
        ofsess_send(s, OFWIRE_PONG, OFWIRE_PRIO_CONTROL, 0, f->stream, f->seq,
                    buf, sizeof buf);
        return;
    }
    case OFWIRE_REQUEST:
        on_request(c, f);
        return;
    case OFWIRE_ACTIVATION: {
        struct rreq *q = req_of(c, f->stream);
        if (q)
            ofside_frame(&q->side, f, first, now);
        return; /* else a request already over: its late chunks */
    }
    case OFWIRE_ACK: {
        struct ofmsg_ack a;
        if (ofmsg_ack_get(f->payload, f->len, &a, why, sizeof why) != 0) {
            ofsess_fail(s, why);
            return;
        }
        oflink_train(&c->link, (double)a.wire, a.disp);
        if (c->dg)
            ofdg_acked(c->dg, f->stream, a.tensor, a.got, a.expected,
                       a.rebuilt);
        return;
    }
    case OFWIRE_NACK:
        if (!c->dg) {
            ofsess_fail(s, "NACK: no datagrams were sent");
            return;
        }
        if (ofdg_nack(c->dg, f->payload, f->len, why, sizeof why) != 0)
            ofsess_fail(s, why);
        return;
    case OFWIRE_PONG:
        return;
    case OFWIRE_ERROR:
        ofmsg_error_get(f->payload, f->len, why, sizeof why);
        say(r, "%s says: %s", ofsess_peer(s), why);
        ofsess_fail(s, NULL);
        return;
    case OFWIRE_BYE:
        ofsess_fail(s, NULL);
        return;
    default:
        ofsess_fail(s, "a frame a user does not send");
        return;
    }
}

static void on_closed(void *arg, struct ofsess *s, const char *why)
{
    struct rconn *c = arg;
    if (!c) {
        ofsess_free(s);
        return;
    }
    if (!c->hello)
        c->r->st.refused++; /* it never got past HELLO */
    say(c->r, "%s: %s", ofsess_peer(s), why);
    conn_free(c);
}

static void on_hello_timeout(void *arg)
{
    struct rconn *c = arg;
    ofsess_fail(c->s, "no HELLO within 5 s");
}

static const struct ofsess_ops conn_ops = {.frame = on_frame,
                                           .closed = on_closed};

static void on_accept(void *arg, struct ofsess *s)
{
    struct ofremote *r = arg;
    int slot = -1;
    for (int i = 0; i < MAX_CONNS && slot < 0; i++)
        if (!r->conn[i])
            slot = i;
    struct rconn *c = slot >= 0 ? calloc(1, sizeof *c) : NULL;
    if (c)
        c->hello_t = ofsess_timer_new(r->b, on_hello_timeout, c);
    if (!c || !c->hello_t) {
        free(c);
        r->st.refused++;
        ofsess_set_arg(s, NULL); /* on_closed frees it */
        ofsess_fail(s, "too many connections");
        return;
    }
    c->r = r;
    c->s = s;
    /* before any sample: a gigabit, as the user assumes */
    oflink_init(&c->link, 125e6, 1e-3);
    r->conn[slot] = c;
    r->st.conns++;
    ofsess_set_arg(s, c);
    ofsess_timer_in(c->hello_t, HELLO_TIMEOUT_S);
    say(r, "%s: connected", ofsess_peer(s));
}

struct ofremote *ofremote_new(struct event_base *b,
                              const struct ofremote_cfg *cfg, char *err,
                              size_t errlen)
{
    struct ofremote *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->cfg = *cfg;
    r->b = b;
    /* its devices: the lab's, or the one named */
    struct ofalloc_dev one = {.speed = cfg->speed, .mem_bytes = cfg->mem};
    snprintf(one.name, sizeof one.name, "%s", cfg->name);
    r->alloc = cfg->ndev
                   ? ofalloc_new(cfg->dev, cfg->ndev, MAX_CONNS * MAX_REQS, err,
                                 errlen)
                   : ofalloc_new(&one, 1, MAX_CONNS * MAX_REQS, err, errlen);
    if (!r->alloc) {
        free(r);
        return NULL;
    }
    if (ofzst_init(&r->z, OFSESS_CHUNK, err, errlen) != 0) {
        ofalloc_free(r->alloc);
        free(r);
        return NULL;
    }
    r->srv =
        ofsess_listen(b, cfg->listen, on_accept, &conn_ops, r, err, errlen);
    if (!r->srv) {
        ofzst_free(&r->z);
        ofalloc_free(r->alloc);
        free(r);
        return NULL;
    }
    r->udp = ofsess_udp_open(b, r->srv, NULL, ofdg_input, err, errlen);
    if (!r->udp) {
        ofsess_srv_free(r->srv);
        ofzst_free(&r->z);
        ofalloc_free(r->alloc);
        free(r);
        return NULL;
    }
    return r;
}

void ofremote_free(struct ofremote *r)
{
    if (!r)
        return;
    for (int i = 0; i < MAX_CONNS; i++)
        if (r->conn[i])
            conn_free(r->conn[i]);
    ofsess_srv_free(r->srv);
    ofsess_udp_free(r->udp);
    ofzst_free(&r->z);
    ofalloc_free(r->alloc);
    free(r);
}

unsigned ofremote_port(const struct ofremote *r)
{
    return ofsess_srv_port(r->srv);
}

void ofremote_stats(const struct ofremote *r, struct ofremote_stats *st)
{
    *st = r->st;
    for (int i = 0; i < MAX_CONNS; i++)
        if (r->conn[i]) {
            st->bytes_in += ofsess_bytes_in(r->conn[i]->s);
            st->bytes_out += ofsess_bytes_out(r->conn[i]->s);
        }
}
