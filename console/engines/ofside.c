/*
 * ofside - see ofside.h.
 */
#include "engines/ofside.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/oftensor.h"
#include "core/ofwire.h"
#include "part/ofmsg.h"

/* A chunk's compressed bound: zstd's worst case for OFSESS_CHUNK is a
 * little over it; the chunk is sent raw when compression does not
 * shrink it, so twice is room enough. */
#define ZBUF (2u * OFSESS_CHUNK)

static size_t slot(const struct ofside *x, uint32_t t)
{
    return t == OFEXEC_INPUT ? x->p->n_nodes : t;
}

static void on_layer(void *arg);
static void failed(struct ofside *x, const char *why);

int ofside_init(struct ofside *x, struct event_base *b,
                const struct ofexec_plan *p, const struct ofside_ops *ops,
                void *arg)
{
    memset(x, 0, sizeof *x);
    x->p = p;
    x->ops = ops;
    x->arg = arg;
    x->scale = 1;
    x->speed = 1;
    x->zlevel = -1;
    x->cpu_share = 1;
    x->zero_frac = OFTENSOR_ZERO_FRAC_DEFAULT;
    x->ident = calloc(p->n_nodes + 1, sizeof *x->ident);
    x->have = calloc(p->n_nodes + 1, 1);
    x->expect = calloc(p->n_nodes + 1, 1);
    x->avail = calloc(p->n_nodes + 1, sizeof *x->avail);
    x->zbuf = malloc(ZBUF);
    x->t = ofsess_timer_new(b, on_layer, x);
    return x->ident && x->have && x->expect && x->avail && x->zbuf && x->t ? 0
                                                                           : -1;
}

void ofside_free(struct ofside *x)
{
    free(x->ident);
    free(x->have);
    free(x->expect);
    free(x->avail);
    free(x->zbuf);
    for (int i = 0; i < OFSIDE_RX; i++)
        free(x->rx[i].buf);
    ofsess_timer_free(x->t);
    memset(x, 0, sizeof *x);
}

void ofside_expect(struct ofside *x, uint32_t t)
{
    if (!x->expect[slot(x, t)]) {
        x->expect[slot(x, t)] = 1;
        x->n_expect++;
    }
}

void ofside_put(struct ofside *x, uint32_t t, uint64_t ident)
{
    x->ident[slot(x, t)] = ident;
    x->have[slot(x, t)] = 1;
    x->avail[slot(x, t)] = ofsess_now();
}

int ofside_send(struct ofside *x, uint32_t t, uint64_t ident, double bytes,
                double zero_frac)
{
    if (!x->s)
        return -1;
    const size_t n = (size_t)bytes;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf)
        return -1;
    oftensor_fill(buf, n, zero_frac, ident);
    struct ofmsg_tensor h = {.tensor = t,
                             .total = n,
                             .ident = ident,
                             .digest = ofexec_digest(buf, n)};
    unsigned char *frame = malloc(OFMSG_TENSOR_HDR + ZBUF);
    /* over datagrams: the request's stream, then every chunk as a record
     * (a chunk is never larger than raw: else it goes raw) */
    const size_t chunks = n / OFSESS_CHUNK + 1;
    const size_t cap = 4 + n + chunks * (OFDG_REC_HDR + OFMSG_TENSOR_HDR);
    uint8_t *blob = x->dg ? malloc(cap) : NULL;
    size_t bn = 4;
    int rc = frame && (!x->dg || blob) ? 0 : -1;
    if (blob)
        ofwire_put32(blob, x->stream);
    size_t off = 0;
    do {
        if (rc != 0)
            break;
        const size_t raw = n - off < OFSESS_CHUNK ? n - off : OFSESS_CHUNK;
        enum ofzst_level lv =
            x->zlevel >= 0
                ? (enum ofzst_level)x->zlevel
                : ofzst_choose(x->z, x->ops->bw(x->arg), x->cpu_share);
        size_t zn = 0;
        x->last_level = lv;
        if (lv != OFZST_NONE && raw > 0)
            zn = ofzst_compress(x->z, lv, frame + OFMSG_TENSOR_HDR, ZBUF,
                                buf + off, raw);
        if (zn >= raw)
            zn = 0; /* no gain: raw */
        if (zn == 0 && raw > 0)
            memcpy(frame + OFMSG_TENSOR_HDR, buf + off, raw);
        h.offset = off;
        h.raw = (uint32_t)raw;
        ofmsg_tensor_put(frame, &h);
        h.chunk++;
        off += raw;
        const unsigned flags =
            (zn ? OFWIRE_F_ZSTD : 0) | (off == n ? OFWIRE_F_LAST : 0);
        const size_t len = OFMSG_TENSOR_HDR + (zn ? zn : raw);
        if (blob) {
            bn += ofdg_rec_put(blob + bn, flags, frame, len);
        } else {
            rc = ofsess_send(x->s, OFWIRE_ACTIVATION, OFWIRE_PRIO_CRITICAL,
                             flags, x->stream, x->seq++, frame, len);
            x->wire_out += OFWIRE_HDR_SIZE + len;
        }
        x->chunks_z += zn != 0;
    } while (off < n);
    if (blob && rc == 0) {
        const uint64_t w = ofdg_send(x->dg, x->stream, t, blob, bn);
        rc = w ? 0 : -1;
        x->wire_out += w;
    } else
        free(blob);
    x->raw_out += n;
    x->tensors_out++;
    free(frame);
    free(buf);
    return rc;
}

int ofside_finished(const struct ofside *x)
{
    if (x->next < x->p->n || x->running)
        return 0;
    for (size_t t = 0; t <= x->p->n_nodes; t++)
        if (x->expect[t] && !x->have[t])
            return 0;
    return 1;
}

static void check_done(struct ofside *x)
{
    if (!x->over && ofside_finished(x)) {
        x->over = 1;
        x->ops->done(x->arg);
    }
}

static void failed(struct ofside *x, const char *why)
{
    if (x->over)
        return;
    ofside_stop(x);
    x->ops->fail(x->arg, why);
}

/* The next layer's inputs: all there? */
static int ready(const struct ofside *x, const struct ofexec_layer *L)
{
    for (uint32_t k = 0; k < L->n_in; k++)
        if (!x->have[slot(x, x->p->ins[L->in_off + k])])
            return 0;
    return 1;
}

/* The identity of layer L from its inputs'. */
static int layer_ident(const struct ofside *x, const struct ofexec_layer *L,
                       uint64_t *h)
{
    uint64_t in[64], *v = in;
    if (L->n_in > 64 && !(v = malloc(L->n_in * sizeof *v)))
        return -1;
    for (uint32_t k = 0; k < L->n_in; k++)
        v[k] = x->ident[slot(x, x->p->ins[L->in_off + k])];
    *h = ofexec_ident(L->id, v, L->n_in);
    if (v != in)
        free(v);
    return 0;
}

/* The timer: the layer whose output was waiting for its simulated end
 * is sent now, or the plan's last layer has ended. */
static void on_layer(void *arg)
{
    struct ofside *x = arg;
    if (x->over)
        return;
    x->running = 0;
    if (x->send_at) {
        const struct ofexec_layer *L = x->send_at;
        x->send_at = NULL;
        if (ofside_send(x, L->id, x->ident[L->id], L->out_bytes,
                        x->zero_frac) != 0) {
            failed(x, "cannot send a tensor (out of memory, or the "
                      "connection is gone)");
            return;
        }
    }
    ofside_step(x);
}

/* Runs the layers in a virtual timeline: a layer starts when the device
 * is free and its inputs exist - a local input at its producer's
 * simulated end, a received one when it arrived - and ends work x scale /
 * speed later.  Real time is waited for only where it shows: before an
 * output is sent, and before the side is done.  (A timer per layer would
 * be late by up to the event loop's millisecond each time, and a chain of
 * 25 short layers would take 25 ms longer than its profile says.) */
void ofside_step(struct ofside *x)
{
    if (x->held)
        return;
    const double now = ofsess_now();
    while (!x->over && !x->running && x->next < x->p->n) {
        const struct ofexec_layer *L = &x->p->l[x->next];
        if (!ready(x, L))
            return; /* a tensor from the other side is still coming */
        double in_at = 0;
        for (uint32_t k = 0; k < L->n_in; k++) {
            const double a = x->avail[slot(x, x->p->ins[L->in_off + k])];
            in_at = a > in_at ? a : in_at;
        }
        const double start = *x->dev_free > in_at ? *x->dev_free : in_at;
        const double ms = L->work_ms * x->scale / x->speed;
        x->queued_ms += (start - in_at) * 1e3;
        x->compute_ms += ms;
        *x->dev_free = start + ms * 1e-3;
        uint64_t h;
        if (layer_ident(x, L, &h) != 0) {
            failed(x, "out of memory");
            return;
        }
        ofside_put(x, L->id, h);
        x->avail[L->id] = *x->dev_free;
        x->end = *x->dev_free;
        x->next++;
        if (!(L->flags & OFEXEC_F_SEND))
            continue;
        if (x->end > now) {
            x->send_at = L;
            x->running = 1;
            ofsess_timer_in(x->t, x->end - now);
            return;
        }
        if (ofside_send(x, L->id, h, L->out_bytes, x->zero_frac) != 0) {
            failed(x, "cannot send a tensor (out of memory, or the "
                      "connection is gone)");
            return;
        }
    }
    if (!x->over && !x->running && x->next == x->p->n && x->end > now) {
        x->running = 1; /* the last layer's simulated end */
        ofsess_timer_in(x->t, x->end - now);
        return;
    }
    check_done(x);
}

static struct ofside_rx *rx_of(struct ofside *x, uint32_t t)
{
    struct ofside_rx *free_slot = NULL;
    for (int i = 0; i < OFSIDE_RX; i++) {
        if (x->rx[i].used && x->rx[i].tensor == t)
            return &x->rx[i];
        if (!x->rx[i].used && !free_slot)
            free_slot = &x->rx[i];
    }
    return free_slot;
}

/* One ACTIVATION payload (a TCP frame's, or a blob's record, then `in`
 * says what the ACK reports): 0, or -1 when the side has failed. */
static int take(struct ofside *x, unsigned flags, const unsigned char *payload,
                size_t plen, double first, double now, const struct ofdg_in *in)
{
    char why[160];
    struct ofmsg_tensor h;
    if (ofmsg_tensor_get(payload, plen, &h, why, sizeof why) != 0) {
        failed(x, why);
        return -1;
    }
    if (h.tensor != OFEXEC_INPUT && h.tensor >= x->p->n_nodes) {
        failed(x, "ACTIVATION: tensor id out of range");
        return -1;
    }
    struct ofside_rx *r = rx_of(x, h.tensor);
    if (!r) {
        failed(x, "ACTIVATION: too many tensors at once");
        return -1;
    }
    if (!r->used) {
        if (h.offset != 0 || x->have[slot(x, h.tensor)]) {
            failed(x, "ACTIVATION: a tensor that does not start at 0, or "
                      "came twice");
            return -1;
        }
        *r = (struct ofside_rx){.tensor = h.tensor,
                                .total = h.total,
                                .ident = h.ident,
                                .digest = h.digest,
                                .first = first,
                                .used = 1};
        r->buf = malloc(h.total ? h.total : 1);
        if (!r->buf) {
            r->used = 0;
            failed(x, "out of memory for a tensor");
            return -1;
        }
    }
    if (h.total != r->total || h.ident != r->ident || h.digest != r->digest ||
        h.offset != r->got) {
        failed(x, "ACTIVATION: a chunk out of order or of another tensor");
        return -1;
    }
    const unsigned char *data = payload + OFMSG_TENSOR_HDR;
    const size_t dn = plen - OFMSG_TENSOR_HDR;
    if (flags & OFWIRE_F_ZSTD) {
        size_t out = 0;
        if (ofzst_decompress(x->z, r->buf + r->got, h.raw, data, dn, &out, why,
                             sizeof why) != 0 ||
            out != h.raw) {
            failed(x, out != h.raw ? "ACTIVATION: a chunk of the wrong size"
                                   : why);
            return -1;
        }
    } else {
        if (dn != h.raw) {
            failed(x, "ACTIVATION: a chunk of the wrong size");
            return -1;
        }
        memcpy(r->buf + r->got, data, dn);
    }
    r->got += h.raw;
    r->wire += OFWIRE_HDR_SIZE + plen;
    if (!(flags & OFWIRE_F_LAST))
        return 0;
    if (r->got != r->total) {
        failed(x, "ACTIVATION: the last chunk before the tensor's end");
        return -1;
    }
    if (in) /* over datagrams: what crossed is the datagrams */
        r->wire = in->wire;
    const int ok = ofexec_digest(r->buf, r->total) == r->digest;
    const struct ofmsg_ack a = {.tensor = r->tensor,
                                .wire = r->wire,
                                .raw = r->total,
                                .disp = now - r->first,
                                .rebuilt = in ? in->rebuilt : 0,
                                .got = in ? in->got : 0,
                                .expected = in ? in->expected : 0};
    unsigned char ack[OFMSG_ACK_SIZE];
    ofmsg_ack_put(ack, &a);
    ofsess_send(x->s, OFWIRE_ACK, OFWIRE_PRIO_CONTROL, 0, x->stream, x->seq++,
                ack, sizeof ack);
    x->wire_in += r->wire;
    x->raw_in += r->total;
    x->tensors_in++;
    if (x->ops->arrived)
        x->ops->arrived(x->arg, r->wire, now - r->first);
    const uint32_t t = r->tensor;
    const uint64_t ident = r->ident;
    free(r->buf);
    *r = (struct ofside_rx){0};
    if (!ok) {
        snprintf(why, sizeof why,
                 "tensor %u: its bytes do not match their digest", t);
        failed(x, why);
        return -1;
    }
    ofside_put(x, t, ident);
    ofside_step(x);
    return 1;
}

void ofside_frame(struct ofside *x, const struct ofwire_frame *f, double first,
                  double now)
{
    if (x->over || f->type != OFWIRE_ACTIVATION)
        return;
    take(x, f->flags, f->payload, f->len, first, now, NULL);
}

int ofside_blob(struct ofside *x, const struct ofdg_in *in)
{
    size_t off = 0, len;
    unsigned flags;
    const uint8_t *p;
    int rc, last = 0;
    if (x->over)
        return -1;
    while ((rc = ofdg_rec_next(in->recs, in->n, &off, &flags, &p, &len)) == 1) {
        if (last) {
            failed(x, "blob: records after its tensor's last chunk");
            return -1;
        }
        const int t = take(x, flags, p, len, in->first, in->last, in);
        if (t < 0)
            return -1;
        last = t == 1;
    }
    if (rc < 0 || !last) {
        failed(x, rc < 0 ? "blob: a record overruns it"
                         : "blob: it ends before its tensor's last chunk");
        return -1;
    }
    return 0;
}

void ofside_stop(struct ofside *x)
{
    x->over = 1;
    if (x->t)
        ofsess_timer_stop(x->t);
    for (int i = 0; i < OFSIDE_RX; i++) {
        free(x->rx[i].buf);
        x->rx[i] = (struct ofside_rx){0};
    }
}
