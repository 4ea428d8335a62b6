/*
 * ofuser - see ofuser.h.
 */
#include "engines/ofuser.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/oflink.h"
#include "core/ofsess.h"
#include "core/ofzst.h"
#include "engines/ofdg.h"
#include "engines/ofside.h"
#include "part/psplit.h"

#define HELLO_TIMEOUT_S 5.0
#define RECONNECT_S 1.0
#define PROBE_MIN 16384.0
#define PROBE_MAX (1024.0 * 1024 - 8)
#define PROBE_EVERY_S 1.0 /* a bandwidth sample older than this: probe */

struct ofuser {
    struct ofuser_cfg c;
    struct event_base *b;
    struct ofsess *s;
    struct ofsess_udp *udp; /* --transport udp: this connection's socket */
    struct ofdg *dg;        /* and its channel, once the remote's HELLO */
    struct ofdg_stats dg0;  /* at the request's start */
    int up;                 /* HELLOs exchanged */
    double remote_speed;
    char remote_name[32];
    struct oflink link;
    struct ofzst z;
    struct ofsess_timer *t_next, *t_timeout, *t_hello, *t_fail;
    uint64_t *ref;
    uint8_t *tiers, *static_tiers;
    int have_static;
    struct ofexec_plan up_plan, rp;
    struct ofside side;
    int side_live;
    unsigned k;
    uint32_t stream;
    int in_req, result_got, probing;
    /* the opening probes: how many so far, the last one's size */
    int opening;
    double open_pad;
    struct ofmsg_result res;
    double t0, dev_free, last_bw, last_try;
    /* what offloading costs beyond the partitioner's model (the CPU that
     * makes, checks and copies the bytes; the control frames' round
     * trips): an average of measured - predicted over offloaded
     * requests, ms */
    double over_ms, model_ms;
    unsigned n_over;
    uint64_t rtt_token, probe_token;
    unsigned char *probe;
    int over;
    char err[300];
    struct ofuser_rec rec;
};

static void start_request(struct ofuser *u);
static void try_connect(struct ofuser *u);

static void stop(struct ofuser *u, const char *why)
{
    if (why && !u->err[0])
        snprintf(u->err, sizeof u->err, "%s", why);
    u->over = 1;
    ofsess_timer_stop(u->t_next);
    ofsess_timer_stop(u->t_timeout);
    ofsess_timer_stop(u->t_hello);
    ofsess_timer_stop(u->t_fail);
    if (u->s)
        ofsess_fail(u->s, NULL);
    u->c.record(u->c.arg, NULL);
}

static double bw_of(void *arg)
{
    const struct ofuser *u = arg;
    return oflink_bw(&u->link);
}

/* The bandwidth the split is solved on: input bytes per second through
 * the compression level expected to be best (its CPU time included). */
static double bw_eff(struct ofuser *u)
{
    const double bw = oflink_bw(&u->link);
    if (u->c.zlevel >= 0)
        return 1 / ofzst_cost(&u->z, (enum ofzst_level)u->c.zlevel, bw, 1);
    double best = INFINITY;
    for (int l = 0; l < OFZST_LEVELS; l++) {
        const double c = ofzst_cost(&u->z, (enum ofzst_level)l, bw, 1);
        if (c < best)
            best = c;
    }
    return 1 / best;
}

/* The partitioner's question for the network as estimated now: two
 * tiers (this device, the remote), one link; bw and lat hold its link. */
struct split_q {
    struct psplit_tier tier[2];
    double bw, lat;
    struct psplit_in in;
};

static void split_q(struct ofuser *u, struct split_q *q)
{
    memset(q, 0, sizeof *q);
    q->tier[0].speed = u->c.speed;
    q->tier[1].speed = u->remote_speed > 0 ? u->remote_speed : 1;
    snprintf(q->tier[0].name, sizeof q->tier[0].name, "%s", u->c.name);
    snprintf(q->tier[1].name, sizeof q->tier[1].name, "%s", u->remote_name);
    q->bw = bw_eff(u);
    q->lat = oflink_lat(&u->link);
    q->in = (struct psplit_in){.g = u->c.g,
                               .order = u->c.order,
                               .work_ms = u->c.fwd,
                               .scale = u->c.scale,
                               .ntiers = 2,
                               .tier = q->tier,
                               .bw = &q->bw,
                               .lat = &q->lat,
                               .in_bytes = u->c.in_bytes,
                               .out_home = 1};
}

/* The optimum split into tiers: 0, or -1 (out of memory). */
static int solve(struct ofuser *u, uint8_t *tiers, double *predicted_ms)
{
    struct split_q q;
    struct psplit_cost cost;
    char err[256];
    split_q(u, &q);
    if (psplit_solve(&q.in, tiers, &cost, err, sizeof err) != 0)
        return -1;
    *predicted_ms = cost.total_ms;
    return 0;
}

/* The objective of tiers on the current estimates (the fixed modes'
 * prediction). */
static double predict(struct ofuser *u, const uint8_t *tiers)
{
    struct split_q q;
    struct psplit_cost cost;
    char err[256];
    split_q(u, &q);
    return psplit_eval(&q.in, tiers, &cost, NULL, err, sizeof err) == 0
               ? cost.total_ms
               : NAN;
}

static void send_ping(struct ofuser *u, double pad)
{
    const size_t n = 8 + (size_t)pad;
    const uint64_t token = (uint64_t)(ofsess_now() * 1e9) | (pad > 0 ? 1u : 0u);
    ofwire_put64(u->probe, token);
    if (ofsess_send(u->s, OFWIRE_PING,
                    pad > 0 ? OFWIRE_PRIO_BULK : OFWIRE_PRIO_CONTROL, 0, 0, 0,
                    u->probe, n) != 0)
        return;
    if (pad > 0) {
        u->probe_token = token;
        u->probing++;
    } else
        u->rtt_token = token;
}

/* After a request: an RTT sample and, when the last bandwidth sample is
 * old (the split kept everything local, say), a probe sized to take
 * about 50 ms or two RTTs at the estimate, whichever is longer (a probe
 * shorter than the window TCP needs says only what slow start gave). */
static void measure(struct ofuser *u)
{
    if (!u->up)
        return;
    send_ping(u, 0);
    if (ofsess_now() - u->last_bw > PROBE_EVERY_S) {
        const double t = fmax(0.05, 4 * oflink_lat(&u->link));
        double pad = oflink_bw(&u->link) * t;
        pad = pad < PROBE_MIN ? PROBE_MIN : pad > PROBE_MAX ? PROBE_MAX : pad;
        send_ping(u, pad);
    }
}

static void next_after(struct ofuser *u, double s)
{
    if (u->k >= u->c.requests) {
        stop(u, NULL);
        return;
    }
    ofsess_timer_in(u->t_next, s);
}

static int outputs_ok(const struct ofuser *u)
{
    const struct mgraph *g = u->c.g;
    uint8_t *succ = calloc(g->n ? g->n : 1, 1);
    if (!succ)
        return 0;
    for (size_t e = 0; e < g->n_edges; e++)
        succ[g->edge[e][0]] = 1;
    int ok = 1;
    for (size_t v = 0; v < g->n; v++)
        if (!succ[v] && (!u->side.have[v] || u->side.ident[v] != u->ref[v]))
            ok = 0;
    free(succ);
    return ok;
}

static void complete(struct ofuser *u, int failover)
{
    struct ofuser_rec *r = &u->rec;
    ofsess_timer_stop(u->t_timeout);
    u->in_req = 0;
    r->latency_ms = (ofsess_now() - u->t0) * 1e3;
    r->failover = failover;
    r->ok = failover ? 1 : outputs_ok(u);
    r->wire_up += u->side.wire_out;
    r->raw_up = u->side.raw_out;
    r->wire_down = u->side.wire_in;
    r->raw_down = u->side.raw_in;
    r->level = ofzst_level_name((enum ofzst_level)u->side.last_level);
    if (u->dg && r->udp) {
        struct ofdg_stats st;
        ofdg_stats(u->dg, &st);
        r->dg_sent = st.dg_out - u->dg0.dg_out;
        r->dg_got = st.dg_in - u->dg0.dg_in;
        r->fec_recovered =
            st.rebuilt - u->dg0.rebuilt + st.peer_rebuilt - u->dg0.peer_rebuilt;
        r->nacked = st.nacked - u->dg0.nacked + st.resent - u->dg0.resent;
    }
    if (u->result_got) {
        r->remote_compute_ms = u->res.compute_ms;
        r->remote_queued_ms = u->res.queued_ms;
    }
    if (!failover && r->remote_layers > 0 && isfinite(u->model_ms)) {
        const double res = r->latency_ms - u->model_ms;
        u->over_ms = u->n_over++ ? 0.7 * u->over_ms + 0.3 * res : res;
        if (u->over_ms < 0)
            u->over_ms = 0;
    }
    u->k++;
    u->c.record(u->c.arg, r);
    measure(u);
    next_after(u, u->c.gap_s);
}

static void on_failover_done(void *arg)
{
    complete(arg, 1);
}

/* The request cannot finish remotely: what is left runs here. */
static void failover(struct ofuser *u, const char *why)
{
    if (!u->in_req || u->rec.failover)
        return;
    u->rec.failover = 1;
    snprintf(u->rec.why, sizeof u->rec.why, "%s", why);
    ofside_stop(&u->side);
    /* the remote's layers on this device, after what this device is
     * still computing (its own layers not reached yet included) */
    double ms = 0;
    for (size_t i = u->side.next; i < u->up_plan.n; i++)
        ms += u->up_plan.l[i].work_ms;
    for (size_t i = 0; i < u->rp.n; i++)
        ms += u->rp.l[i].work_ms;
    ms *= u->c.scale / u->c.speed;
    const double busy = u->side.end - ofsess_now();
    if (busy > 0)
        ms += busy * 1e3;
    ofsess_timer_stop(u->t_timeout);
    ofsess_timer_in(u->t_fail, ms * 1e-3);
}

static void on_timeout(void *arg)
{
    struct ofuser *u = arg;
    failover(u, "timed out waiting for the remote");
}

static void maybe_complete(struct ofuser *u)
{
    if (u->in_req && !u->rec.failover && ofside_finished(&u->side) &&
        (u->rp.n == 0 || u->result_got))
        complete(u, 0);
}

static void side_done(void *arg)
{
    maybe_complete(arg);
}

static void side_fail(void *arg, const char *why)
{
    failover(arg, why);
}

static void side_arrived(void *arg, uint64_t wire, double disp)
{
    struct ofuser *u = arg;
    oflink_train(&u->link, (double)wire, disp);
    u->last_bw = ofsess_now();
}

/* A tensor's blob came whole over UDP: this request's, or too late. */
static int dg_blob(void *arg, uint32_t stream, const struct ofdg_in *in)
{
    struct ofuser *u = arg;
    if (!u->in_req || stream != u->stream || u->rec.failover || u->side.over)
        return -1;
    ofside_blob(&u->side, in);
    return 1;
}

static double dg_srtt(void *arg)
{
    const struct ofuser *u = arg;
    return u->link.srtt;
}

static const struct ofdg_ops user_dg_ops = {
    .blob = dg_blob, .bw = bw_of, .srtt = dg_srtt};

static const struct ofside_ops user_side_ops = {
    .done = side_done, .fail = side_fail, .bw = bw_of, .arrived = side_arrived};

static void start_request(struct ofuser *u)
{
    const struct mgraph *g = u->c.g;
    struct ofuser_rec *r = &u->rec;
    const int need_remote = u->c.mode != OFUSER_LOCAL;
    if (need_remote && !u->up)
        try_connect(u);
    *r = (struct ofuser_rec){.k = u->k, .mode = u->c.mode, .layers = g->n};
    double predicted = NAN;
    if (!need_remote || !u->up) {
        memset(u->tiers, 0, g->n);
        if (need_remote)
            snprintf(r->why, sizeof r->why, "no connection: ran locally");
    } else if (u->c.mode == OFUSER_REMOTE) {
        memset(u->tiers, 1, g->n);
    } else if (u->c.mode == OFUSER_STATIC &&
               (u->have_static || u->c.static_split)) {
        memcpy(u->tiers, u->have_static ? u->static_tiers : u->c.static_split,
               g->n);
    } else if (solve(u, u->tiers, &predicted) != 0) {
        stop(u, "the partitioner failed (out of memory)");
        return;
    } else {
        /* a split that offloads pays the overhead the model lacks: kept
         * only when it still beats running everything here */
        size_t nr = 0;
        for (size_t v = 0; v < g->n; v++)
            nr += u->tiers[v];
        if (nr > 0) {
            uint8_t *loc = u->static_tiers; /* scratch until static is set */
            memset(loc, 0, g->n);
            const double local = predict(u, loc);
            if (predicted + u->over_ms >= local) {
                memset(u->tiers, 0, g->n);
                predicted = local;
            }
        }
        if (u->c.mode == OFUSER_STATIC) {
            memcpy(u->static_tiers, u->tiers, g->n);
            u->have_static = 1;
        }
    }
    if (isnan(predicted))
        predicted = predict(u, u->tiers);
    u->model_ms = predicted;
    size_t nr = 0;
    for (size_t v = 0; v < g->n; v++)
        nr += u->tiers[v];
    r->predicted_ms = predicted + (nr ? u->over_ms : 0);
    r->bw_est = oflink_bw(&u->link);
    r->rtt_est = 2 * oflink_lat(&u->link);
    if (u->side_live)
        ofside_free(&u->side);
    u->side_live = 0;
    ofexec_free(&u->up_plan);
    ofexec_free(&u->rp);
    if (ofexec_build(g, u->c.order, u->c.fwd, u->tiers, &u->up_plan, &u->rp) !=
            0 ||
        ofside_init(&u->side, u->b, &u->up_plan, &user_side_ops, u) != 0) {
        stop(u, "out of memory");
        return;
    }
    u->side_live = 1;
    r->remote_layers = u->rp.n;
    u->in_req = 1;
    u->result_got = 0;
    u->t0 = ofsess_now();
    u->stream++;
    struct ofside *x = &u->side;
    x->s = u->rp.n ? u->s : NULL;
    x->dg = u->rp.n ? u->dg : NULL;
    r->udp = x->dg != NULL;
    if (u->dg)
        ofdg_stats(u->dg, &u->dg0);
    x->stream = u->stream;
    x->scale = u->c.scale;
    x->speed = u->c.speed;
    x->dev_free = &u->dev_free;
    x->z = &u->z;
    x->zlevel = u->c.zlevel;
    const uint64_t in_ident = ofexec_input_ident(u->c.seed);
    ofside_put(x, OFEXEC_INPUT, in_ident);
    if (u->rp.n) {
        const size_t n = ofmsg_request_size(&u->rp);
        unsigned char *buf = malloc(n);
        if (!buf || n > OFWIRE_MAX_PAYLOAD ||
            ofmsg_request_put(buf, n, &u->rp, u->c.scale, &u->c.fv) != n ||
            ofsess_send(u->s, OFWIRE_REQUEST, OFWIRE_PRIO_CONTROL, 0, u->stream,
                        0, buf, n) != 0) {
            free(buf);
            stop(u, n > OFWIRE_MAX_PAYLOAD
                        ? "the model is too large for one REQUEST frame"
                        : "cannot send the request");
            return;
        }
        free(buf);
        r->wire_up += OFWIRE_HDR_SIZE + n;
        double cross = 0;
        for (size_t i = 0; i < u->rp.n; i++)
            if (u->rp.l[i].flags & OFEXEC_F_SEND) {
                ofside_expect(x, u->rp.l[i].id);
                cross += u->rp.l[i].out_bytes;
            }
        for (size_t i = 0; i < u->up_plan.n; i++)
            if (u->up_plan.l[i].flags & OFEXEC_F_SEND)
                cross += u->up_plan.l[i].out_bytes;
        if (u->up_plan.send_input) {
            cross += u->c.in_bytes;
            if (ofside_send(x, OFEXEC_INPUT, in_ident, u->c.in_bytes, 0) != 0) {
                failover(u, "cannot send the input");
                return;
            }
        }
        double work = 0;
        for (size_t i = 0; i < g->n; i++)
            work += u->c.fwd[i];
        work *= u->c.scale /
                (u->c.speed < u->remote_speed ? u->c.speed : u->remote_speed);
        const double to = u->c.timeout_s > 0
                              ? u->c.timeout_s
                              : oflink_timeout(&u->link, work * 1e-3, cross);
        ofsess_timer_in(u->t_timeout, to);
    }
    ofside_step(x);
}

static void on_next(void *arg)
{
    struct ofuser *u = arg;
    if (!u->over && !u->in_req)
        start_request(u);
}

static void on_hello_timeout(void *arg)
{
    struct ofuser *u = arg;
    if (!u->up)
        stop(u, "the remote did not answer HELLO within 5 s");
}

static void hello_from(struct ofuser *u, const struct ofwire_frame *f)
{
    struct ofmsg_hello h;
    char why[160];
    if (ofmsg_hello_get(f->payload, f->len, &h, why, sizeof why) != 0 ||
        h.role != OFMSG_ROLE_REMOTE) {
        if (h.role == OFMSG_ROLE_USER)
            snprintf(why, sizeof why, "HELLO: the peer is a user too");
        ofsess_fail(u->s, why);
        stop(u, why);
        return;
    }
    if (u->udp) {
        if (h.udp_port == 0) {
            snprintf(why, sizeof why,
                     "--transport udp: the remote offers no UDP port");
            ofsess_fail(u->s, why);
            stop(u, why);
            return;
        }
        u->dg = ofdg_new(u->b, u->udp, u->s, &user_dg_ops, u);
        if (!u->dg || ofsess_udp_peer(u->udp, u->s, h.udp_port, u->dg) != 0) {
            ofsess_fail(u->s, NULL);
            stop(u, "out of memory");
            return;
        }
    }
    u->up = 1;
    u->remote_speed = h.speed;
    snprintf(u->remote_name, sizeof u->remote_name, "%s", h.name);
    ofsess_timer_stop(u->t_hello);
    /* the opening measurements: an RTT, then probes that double from
     * 16 kB while each takes half an RTT or more (TCP's window opening:
     * a probe held by the window under-states the path) or is too quick
     * to time, at most 7, up to 1 MiB, while one takes under 0.5 s.  The first
     * request waits for them, at most 3 s: a probe that never comes back does
     * not hold it. */
    send_ping(u, 0);
    u->opening = 1;
    u->open_pad = PROBE_MIN;
    send_ping(u, u->open_pad);
    if (u->k == 0)
        ofsess_timer_in(u->t_next, 3.0);
}

static void on_frame(void *arg, struct ofsess *s, const struct ofwire_frame *f,
                     double first, double now)
{
    (void)s;
    (void)first;
    struct ofuser *u = arg;
    char why[300];
    if (f->type == OFWIRE_ERROR) {
        char msg[OFMSG_ERROR_MAX + 1];
        ofmsg_error_get(f->payload, f->len, msg, sizeof msg);
        snprintf(why, sizeof why, "the remote says: %s", msg);
        if (!u->up)
            stop(u, why);
        else
            failover(u, why);
        return;
    }
    if (!u->up) {
        if (f->type != OFWIRE_HELLO) {
            ofsess_fail(u->s, "HELLO first");
            stop(u, "the remote did not start with HELLO");
            return;
        }
        hello_from(u, f);
        return;
    }
    switch (f->type) {
    case OFWIRE_PONG: {
        struct ofmsg_pong p;
        if (ofmsg_pong_get(f->payload, f->len, &p, why, sizeof why) != 0) {
            ofsess_fail(u->s, why);
            return;
        }
        if (p.token == u->probe_token && u->probing) {
            u->probing--;
            oflink_train(&u->link, (double)p.bytes, p.disp);
            u->last_bw = now;
            if (u->opening) {
                /* a probe that took half an RTT or more was held by TCP's
                 * window (it waited for acknowledgements), not only by the
                 * path, and one too quick to time says only "at least":
                 * a bigger one (the window grew with it) */
                if (u->opening < 7 &&
                    (p.disp >= oflink_lat(&u->link) ||
                     p.disp < OFLINK_MIN_DISP_S) &&
                    p.disp < 0.5 && 2 * u->open_pad <= PROBE_MAX) {
                    u->opening++;
                    u->open_pad *= 2;
                    send_ping(u, u->open_pad);
                } else
                    u->opening = 0;
            }
        } else if (p.token == u->rtt_token && !u->in_req) {
            oflink_rtt(&u->link, now - (double)(p.token & ~1ull) * 1e-9);
        }
        if (u->k == 0 && !u->in_req && !u->probing && !u->opening &&
            u->link.n_rtt) {
            ofsess_timer_stop(u->t_next);
            start_request(u);
        }
        return;
    }
    case OFWIRE_ACK: {
        struct ofmsg_ack a;
        if (ofmsg_ack_get(f->payload, f->len, &a, why, sizeof why) != 0) {
            ofsess_fail(u->s, why);
            return;
        }
        oflink_train(&u->link, (double)a.wire, a.disp);
        u->last_bw = now;
        if (u->dg)
            ofdg_acked(u->dg, f->stream, a.tensor, a.got, a.expected,
                       a.rebuilt);
        return;
    }
    case OFWIRE_NACK:
        if (!u->dg) {
            ofsess_fail(u->s, "NACK: no datagrams were sent");
            return;
        }
        if (ofdg_nack(u->dg, f->payload, f->len, why, sizeof why) != 0)
            ofsess_fail(u->s, why);
        return;
    case OFWIRE_ACTIVATION:
        if (u->in_req && f->stream == u->stream)
            ofside_frame(&u->side, f, first, now);
        return;
    case OFWIRE_RESULT:
        if (!u->in_req || f->stream != u->stream)
            return;
        if (ofmsg_result_get(f->payload, f->len, &u->res, why, sizeof why) !=
            0) {
            ofsess_fail(u->s, why);
            return;
        }
        if (u->res.status != 0) {
            snprintf(why, sizeof why, "the remote failed it: %s",
                     u->res.reason);
            failover(u, why);
            return;
        }
        u->result_got = 1;
        maybe_complete(u);
        return;
    case OFWIRE_BYE:
        ofsess_fail(u->s, NULL);
        return;
    default:
        ofsess_fail(u->s, "a frame a remote does not send");
        return;
    }
}

static void on_closed(void *arg, struct ofsess *s, const char *why)
{
    struct ofuser *u = arg;
    char msg[300];
    snprintf(msg, sizeof msg, "%s: %s", ofsess_peer(s), why);
    const int was_up = u->up;
    u->up = 0;
    u->s = NULL;
    ofsess_free(s);
    u->side.dg = NULL;
    ofdg_free(u->dg);
    u->dg = NULL;
    ofsess_udp_free(u->udp);
    u->udp = NULL;
    if (u->over)
        return;
    if (!was_up && u->k == 0 && !u->in_req) {
        stop(u, msg); /* never got going: say so and stop */
        return;
    }
    if (u->in_req) {
        u->side.s = NULL;
        failover(u, msg);
    }
}

static void on_connected(void *arg, struct ofsess *s)
{
    struct ofuser *u = arg;
    if (u->c.udp) {
        char err[256], why[300];
        u->udp = ofsess_udp_open(u->b, NULL, s, ofdg_input, err, sizeof err);
        if (!u->udp) {
            snprintf(why, sizeof why, "--transport udp: %s", err);
            ofsess_fail(s, NULL);
            stop(u, why);
            return;
        }
    }
    struct ofmsg_hello me = {.role = OFMSG_ROLE_USER,
                             .features = OFMSG_FEAT_ZSTD,
                             .speed = u->c.speed,
                             .cpu_share = 1,
                             .udp_port = u->udp ? ofsess_udp_port(u->udp) : 0};
    snprintf(me.name, sizeof me.name, "%s", u->c.name);
    unsigned char buf[OFMSG_HELLO_SIZE];
    ofmsg_hello_put(buf, &me);
    ofsess_send(s, OFWIRE_HELLO, OFWIRE_PRIO_CONTROL, 0, 0, 0, buf, sizeof buf);
    ofsess_timer_in(u->t_hello, HELLO_TIMEOUT_S);
}

static const struct ofsess_ops user_ops = {
    .frame = on_frame, .closed = on_closed, .connected = on_connected};

static void try_connect(struct ofuser *u)
{
    const double now = ofsess_now();
    if (u->s || now - u->last_try < RECONNECT_S)
        return;
    u->last_try = now;
    char err[256];
    u->s = ofsess_connect(u->b, u->c.connect, &user_ops, u, err, sizeof err);
}

struct ofuser *ofuser_new(struct event_base *b, const struct ofuser_cfg *cfg,
                          char *err, size_t errlen)
{
    struct ofuser *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    u->c = *cfg;
    u->b = b;
    const size_t n1 = cfg->g->n ? cfg->g->n : 1;
    u->ref = calloc(n1, sizeof *u->ref);
    u->tiers = calloc(n1, 1);
    u->static_tiers = calloc(n1, 1);
    u->probe = calloc(1, 8 + (size_t)PROBE_MAX);
    u->t_next = ofsess_timer_new(b, on_next, u);
    u->t_timeout = ofsess_timer_new(b, on_timeout, u);
    u->t_hello = ofsess_timer_new(b, on_hello_timeout, u);
    u->t_fail = ofsess_timer_new(b, on_failover_done, u);
    if (!u->ref || !u->tiers || !u->static_tiers || !u->probe || !u->t_next ||
        !u->t_timeout || !u->t_hello || !u->t_fail ||
        ofexec_local(cfg->g, cfg->order, cfg->seed, u->ref) != 0) {
        snprintf(err, errlen, "out of memory");
        ofuser_free(u);
        return NULL;
    }
    if (ofzst_init(&u->z, OFSESS_CHUNK, err, errlen) != 0) {
        ofuser_free(u);
        return NULL;
    }
    oflink_init(&u->link, cfg->prior_bw, cfg->prior_rtt);
    if (cfg->mode == OFUSER_LOCAL) {
        next_after(u, 0);
        return u;
    }
    u->last_try = ofsess_now();
    u->s = ofsess_connect(b, cfg->connect, &user_ops, u, err, errlen);
    if (!u->s) {
        ofuser_free(u);
        return NULL;
    }
    return u;
}

int ofuser_over(const struct ofuser *u)
{
    return u->over;
}

const uint8_t *ofuser_split(const struct ofuser *u)
{
    return u->tiers;
}

const char *ofuser_error(const struct ofuser *u)
{
    return u->err[0] ? u->err : NULL;
}

void ofuser_free(struct ofuser *u)
{
    if (!u)
        return;
    if (u->side_live)
        ofside_free(&u->side);
    ofexec_free(&u->up_plan);
    ofexec_free(&u->rp);
    if (u->s)
        ofsess_free(u->s);
    ofdg_free(u->dg);
    ofsess_udp_free(u->udp);
    ofsess_timer_free(u->t_next);
    ofsess_timer_free(u->t_timeout);
    ofsess_timer_free(u->t_hello);
    ofsess_timer_free(u->t_fail);
    ofzst_free(&u->z);
    free(u->ref);
    free(u->tiers);
    free(u->static_tiers);
    free(u->probe);
    free(u);
}
