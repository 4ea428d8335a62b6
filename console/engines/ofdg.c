/*
 * ofdg - see ofdg.h.
 */
#include "engines/ofdg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ofsess.h"
#include "core/ofwire.h"
#include "part/ofmsg.h"

#define LOSS_ALPHA 0.25
#define OFDG_LATE 5  /* ticks a late timer may make up */
#define DONE_RING 64 /* blobs delivered lately: their late datagrams */

struct dg_tx {
    int used;
    uint32_t blob, stream, tensor;
    uint8_t *buf;
    size_t n;
    unsigned m;
    uint32_t groups;
    uint32_t next_group; /* the first sending: the next datagram */
    unsigned next_index;
    uint8_t *again; /* per group: to be sent again */
    uint32_t again_n, rs_scan, rs_group;
    unsigned rs_index;
    int rs_active;
    uint64_t born; /* order of sending, for eviction */
};

struct dg_rx {
    int used, complete;
    uint32_t blob, stream;
    struct ofblk_rx rx;
    double first, last;
    uint64_t wire;
    uint32_t got, maxpos1, nacked, rebuilt, rounds;
};

struct ofdg {
    struct ofsess_udp *u;
    struct ofsess *s;
    const struct ofdg_ops *ops;
    void *arg;
    struct ofsess_timer *t_pace, *t_nack;
    struct ofblk_tx enc[OFDG_K + 1]; /* per m, made on first use */
    const struct dg_tx *enc_of[OFDG_K + 1];
    struct dg_tx tx[OFDG_KEEP];
    struct dg_rx rx[OFDG_RX];
    uint32_t done[DONE_RING];
    unsigned done_n, done_i;
    uint32_t next_blob;
    uint64_t born;
    double tokens, refilled; /* bytes; when last refilled (s) */
    int pacing, nack_armed, depth, freed, have_loss;
    uint32_t missing[OFMSG_NACK_MAX];
    unsigned char nack[8 + 4 * OFMSG_NACK_MAX];
    unsigned char dg[OFDG_DGRAM];
    struct ofdg_stats st;
};

unsigned ofdg_parity(unsigned k, double p)
{
    if (!(p > 0))
        p = 0;
    if (p > 1)
        p = 1;
    const double m = ceil(k * (p + 3 * sqrt(p * (1 - p) / k)) - 1e-9);
    if (m <= 2)
        return k < 2 ? k : 2;
    return m >= k ? k : (unsigned)m;
}

size_t ofdg_rec_put(uint8_t *dst, unsigned flags, const void *payload,
                    size_t len)
{
    ofwire_put32(dst, (uint32_t)len);
    dst[4] = (uint8_t)flags;
    if (len)
        memcpy(dst + OFDG_REC_HDR, payload, len);
    return OFDG_REC_HDR + len;
}

int ofdg_rec_next(const uint8_t *p, size_t n, size_t *off, unsigned *flags,
                  const uint8_t **payload, size_t *len)
{
    if (*off >= n)
        return 0;
    if (n - *off < OFDG_REC_HDR)
        return -1;
    const size_t l = ofwire_get32(p + *off);
    if (l > n - *off - OFDG_REC_HDR)
        return -1;
    *flags = p[*off + 4];
    *payload = p + *off + OFDG_REC_HDR;
    *len = l;
    *off += OFDG_REC_HDR + l;
    return 1;
}

static void on_pace(void *arg);
static void on_nack(void *arg);

struct ofdg *ofdg_new(struct event_base *b, struct ofsess_udp *u,
                      struct ofsess *s, const struct ofdg_ops *ops, void *arg)
{
    struct ofdg *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->u = u;
    d->s = s;
    d->ops = ops;
    d->arg = arg;
    d->t_pace = ofsess_timer_new(b, on_pace, d);
    d->t_nack = ofsess_timer_new(b, on_nack, d);
    if (!d->t_pace || !d->t_nack) {
        ofdg_free(d);
        return NULL;
    }
    return d;
}

static void tx_drop(struct dg_tx *t)
{
    free(t->buf);
    free(t->again);
    memset(t, 0, sizeof *t);
}

static void rx_drop(struct ofdg *d, struct dg_rx *r, int remember)
{
    if (remember) {
        d->done[d->done_i] = r->blob;
        d->done_i = (d->done_i + 1) % DONE_RING;
        if (d->done_n < DONE_RING)
            d->done_n++;
    }
    ofblk_rx_free(&r->rx);
    memset(r, 0, sizeof *r);
}

static void really_free(struct ofdg *d)
{
    for (unsigned i = 0; i < OFDG_KEEP; i++)
        tx_drop(&d->tx[i]);
    for (unsigned i = 0; i < OFDG_RX; i++)
        rx_drop(d, &d->rx[i], 0);
    for (unsigned m = 0; m <= OFDG_K; m++)
        if (d->enc[m].k)
            ofblk_tx_free(&d->enc[m]);
    ofsess_timer_free(d->t_pace);
    ofsess_timer_free(d->t_nack);
    free(d);
}

void ofdg_free(struct ofdg *d)
{
    if (!d)
        return;
    if (d->depth > 0) {
        d->freed = 1; /* inside its own callback: on the way out */
        ofsess_timer_stop(d->t_pace);
        ofsess_timer_stop(d->t_nack);
        return;
    }
    really_free(d);
}

/* ---- sending ---- */

static double rate(struct ofdg *d)
{
    double bw = d->ops->bw(d->arg) * OFDG_GAIN;
    return bw > 1000 ? bw : 1000;
}

/* The encoder for t's m, begun on t's blob. */
static struct ofblk_tx *enc_for(struct ofdg *d, const struct dg_tx *t)
{
    struct ofblk_tx *e = &d->enc[t->m];
    char err[160];
    if (!e->k && ofblk_tx_init(e, OFDG_K, t->m, OFDG_SHARD, err, sizeof err))
        return NULL;
    if (d->enc_of[t->m] != t || e->buf != t->buf) {
        ofblk_tx_begin(e, t->blob, t->buf, t->n);
        d->enc_of[t->m] = t;
    }
    return e;
}

/* The next datagram to send: resends first (they hold a tensor back),
 * then first sendings, oldest blob first.  Its blob, group and index. */
static struct dg_tx *next_dg(struct ofdg *d, uint32_t *g, unsigned *i)
{
    struct dg_tx *best = NULL;
    for (unsigned j = 0; j < OFDG_KEEP; j++) {
        struct dg_tx *t = &d->tx[j];
        if (!t->used || (!t->rs_active && !t->again_n))
            continue;
        if (!best || t->born < best->born)
            best = t;
    }
    if (best) {
        if (!best->rs_active) {
            while (!best->again[best->rs_scan])
                best->rs_scan = (best->rs_scan + 1) % best->groups;
            best->again[best->rs_scan] = 0;
            best->again_n--;
            best->rs_group = best->rs_scan;
            best->rs_index = 0;
            best->rs_active = 1;
            d->st.resent++;
        }
        *g = best->rs_group;
        *i = best->rs_index;
        return best;
    }
    for (unsigned j = 0; j < OFDG_KEEP; j++) {
        struct dg_tx *t = &d->tx[j];
        if (t->used && t->next_group < t->groups &&
            (!best || t->born < best->born))
            best = t;
    }
    if (best) {
        *g = best->next_group;
        *i = best->next_index;
    }
    return best;
}

static void advance(struct dg_tx *t)
{
    if (t->rs_active) {
        if (++t->rs_index >= OFDG_K + t->m)
            t->rs_active = 0;
        return;
    }
    if (++t->next_index >= OFDG_K + t->m) {
        t->next_index = 0;
        t->next_group++;
    }
}

/* Sends what the bucket allows, then waits for it to refill. */
static void pace(struct ofdg *d)
{
    const double now = ofsess_now(), r = rate(d);
    /* at most one tick's worth at once; a tick that came late (the loop
     * was busy) gives what its lateness owes, up to OFDG_LATE ticks, so
     * that a busy loop does not pace slower than asked */
    double tick = d->pacing ? now - d->refilled : OFDG_TICK_S;
    tick = tick < OFDG_TICK_S               ? OFDG_TICK_S
           : tick > OFDG_LATE * OFDG_TICK_S ? OFDG_LATE * OFDG_TICK_S
                                            : tick;
    double cap = r * tick;
    if (cap < OFDG_DGRAM)
        cap = OFDG_DGRAM;
    if (!d->pacing)
        d->tokens = cap; /* idle: one tick's worth at once */
    else
        d->tokens += (now - d->refilled) * r;
    if (d->tokens > cap)
        d->tokens = cap;
    d->refilled = now;
    d->pacing = 0;
    for (;;) {
        uint32_t g;
        unsigned i;
        struct dg_tx *t = next_dg(d, &g, &i);
        if (!t) {
            d->pacing = 0; /* nothing left: idle */
            return;
        }
        d->pacing = 1;
        if (d->tokens < OFDG_DGRAM)
            break;
        struct ofblk_tx *e = enc_for(d, t);
        const size_t n = e ? ofblk_tx_make(e, g, i, d->dg, sizeof d->dg) : 0;
        const int rc = n ? ofsess_udp_send(d->u, d, d->dg, n) : -1;
        if (rc == 1)
            break; /* the socket's buffer is full: later */
        /* sent, or failed (an ICMP error reported late): either way the
         * datagram is gone, and parity or a NACK covers it */
        advance(t);
        d->tokens -= OFDG_DGRAM;
        d->st.dg_out += rc == 0;
    }
    double wait = (OFDG_DGRAM - d->tokens) / r;
    ofsess_timer_in(d->t_pace, wait > OFDG_TICK_S ? wait : OFDG_TICK_S);
}

static void on_pace(void *arg)
{
    struct ofdg *d = arg;
    d->depth++;
    pace(d);
    if (--d->depth == 0 && d->freed)
        really_free(d);
}

uint64_t ofdg_send(struct ofdg *d, uint32_t stream, uint32_t tensor,
                   uint8_t *blob, size_t n)
{
    if (n > OFDG_MAX_BLOB) {
        free(blob);
        return 0;
    }
    struct dg_tx *t = NULL;
    for (unsigned j = 0; j < OFDG_KEEP && !t; j++)
        if (!d->tx[j].used)
            t = &d->tx[j];
    if (!t) { /* the oldest is forgotten */
        t = &d->tx[0];
        for (unsigned j = 1; j < OFDG_KEEP; j++)
            if (d->tx[j].born < t->born)
                t = &d->tx[j];
        for (unsigned m = 0; m <= OFDG_K; m++)
            if (d->enc_of[m] == t)
                d->enc_of[m] = NULL;
        tx_drop(t);
        d->st.evicted++;
    }
    const uint32_t groups = (uint32_t)((n + (size_t)OFDG_K * OFDG_SHARD - 1) /
                                       ((size_t)OFDG_K * OFDG_SHARD));
    *t = (struct dg_tx){.used = 1,
                        .blob = ++d->next_blob,
                        .stream = stream,
                        .tensor = tensor,
                        .buf = blob,
                        .n = n,
                        .m = ofdg_parity(OFDG_K, d->st.loss),
                        .groups = groups,
                        .born = ++d->born};
    t->again = calloc(groups ? groups : 1, 1);
    if (!t->again || groups == 0) {
        tx_drop(t);
        return 0;
    }
    for (unsigned m = 0; m <= OFDG_K; m++)
        if (d->enc_of[m] == t)
            d->enc_of[m] = NULL; /* a slot reused: begin again */
    if (!d->pacing)
        pace(d);
    return (uint64_t)groups * (OFDG_K + t->m) * OFDG_DGRAM;
}

void ofdg_acked(struct ofdg *d, uint32_t stream, uint32_t tensor, uint32_t got,
                uint32_t expected, uint32_t rebuilt)
{
    d->st.peer_rebuilt += rebuilt;
    if (expected > 0) {
        const double p = 1 - (double)got / expected;
        d->st.loss =
            d->have_loss ? (1 - LOSS_ALPHA) * d->st.loss + LOSS_ALPHA * p : p;
        d->have_loss = 1;
    }
    for (unsigned j = 0; j < OFDG_KEEP; j++) {
        struct dg_tx *t = &d->tx[j];
        if (t->used && t->stream == stream && t->tensor == tensor) {
            for (unsigned m = 0; m <= OFDG_K; m++)
                if (d->enc_of[m] == t)
                    d->enc_of[m] = NULL;
            tx_drop(t);
        }
    }
}

int ofdg_nack(struct ofdg *d, const void *p, size_t n, char *why, size_t whylen)
{
    struct ofmsg_nack k;
    if (ofmsg_nack_get(p, n, &k, why, whylen) != 0)
        return -1;
    struct dg_tx *t = NULL;
    for (unsigned j = 0; j < OFDG_KEEP && !t; j++)
        if (d->tx[j].used && d->tx[j].blob == k.blob)
            t = &d->tx[j];
    if (!t)
        return 0; /* acknowledged or forgotten meanwhile */
    for (uint32_t i = 0; i < k.n; i++) {
        const uint32_t g = ofmsg_nack_group(&k, i);
        if (g >= t->groups) {
            snprintf(why, whylen, "NACK: group %u of a blob of %u", g,
                     t->groups);
            return -1;
        }
        /* a group the first sending has not reached is not resent */
        if (g < t->next_group && !t->again[g] &&
            !(t->rs_active && t->rs_group == g)) {
            t->again[g] = 1;
            t->again_n++;
        }
    }
    if (!d->pacing)
        pace(d);
    return 0;
}

/* ---- receiving ---- */

static double nack_after(struct ofdg *d)
{
    const double s = d->ops->srtt ? 2 * d->ops->srtt(d->arg) : 0;
    return s > OFDG_NACK_MIN_S ? s : OFDG_NACK_MIN_S;
}

static void arm_nack(struct ofdg *d)
{
    if (!d->nack_armed) {
        d->nack_armed = 1;
        ofsess_timer_in(d->t_nack, nack_after(d));
    }
}

/* Hands a whole blob to the owner; forgets it unless kept for later. */
static void deliver(struct ofdg *d, struct dg_rx *r)
{
    const struct ofblk_rx *b = &r->rx;
    const uint8_t *data = ofblk_rx_data(b);
    if (b->total < 4) {
        rx_drop(d, r, 1);
        d->st.corrupt++;
        return;
    }
    r->stream = ofwire_get32(data);
    uint32_t expected = r->maxpos1 + r->nacked * (b->k + b->m);
    const struct ofdg_in in = {.recs = data + 4,
                               .n = b->total - 4,
                               .wire = r->wire,
                               .first = r->first,
                               .last = r->last,
                               .got = r->got < expected ? r->got : expected,
                               .expected = expected,
                               .rebuilt = r->rebuilt};
    r->complete = 1;
    const int rc = d->ops->blob(d->arg, r->stream, &in);
    if (rc != 0 && !d->freed)
        rx_drop(d, r, 1);
}

void ofdg_deliver(struct ofdg *d, uint32_t stream)
{
    d->depth++;
    for (unsigned i = 0; i < OFDG_RX && !d->freed; i++)
        if (d->rx[i].used && d->rx[i].complete && d->rx[i].stream == stream)
            deliver(d, &d->rx[i]);
    if (--d->depth == 0 && d->freed)
        really_free(d);
}

/* The slot for a new blob: a free one, else the one kept longest
 * (delivered blobs waiting for their request first). */
static struct dg_rx *rx_slot(struct ofdg *d)
{
    struct dg_rx *old = NULL;
    for (unsigned i = 0; i < OFDG_RX; i++) {
        struct dg_rx *r = &d->rx[i];
        if (!r->used)
            return r;
        if (!old || r->complete > old->complete ||
            (r->complete == old->complete && r->last < old->last))
            old = r;
    }
    rx_drop(d, old, 1);
    d->st.evicted++;
    return old;
}

static void input(struct ofdg *d, const uint8_t *p, size_t n, double now)
{
    char why[160];
    if (n < OFBLK_HDR_SIZE || ofwire_get32(p) != OFBLK_MAGIC) {
        d->st.corrupt++;
        return;
    }
    const uint32_t blob = ofwire_get32(p + 8), group = ofwire_get32(p + 12);
    const unsigned k = p[5], m = p[6], idx = p[7];
    for (unsigned i = 0; i < d->done_n; i++)
        if (d->done[i] == blob) {
            d->st.late++;
            return;
        }
    struct dg_rx *r = NULL;
    for (unsigned i = 0; i < OFDG_RX && !r; i++)
        if (d->rx[i].used && d->rx[i].blob == blob)
            r = &d->rx[i];
    if (!r) {
        const size_t total = ofwire_get32(p + 16);
        const unsigned shard = (unsigned)p[20] | (unsigned)p[21] << 8;
        if (k != OFDG_K || m < 1 || m > OFDG_K || shard != OFDG_SHARD ||
            total < 4 || total > OFDG_MAX_BLOB ||
            ofwire_crc32c(ofwire_crc32c(0, p, 24), p + OFBLK_HDR_SIZE,
                          n - OFBLK_HDR_SIZE) != ofwire_get32(p + 24)) {
            d->st.corrupt++; /* nothing allocated for a bad header */
            return;
        }
        r = rx_slot(d);
        if (ofblk_rx_init(&r->rx, total, k, m, shard, why, sizeof why) != 0 ||
            ofblk_rx_reset(&r->rx, blob, total) != 0) {
            ofblk_rx_free(&r->rx);
            memset(r, 0, sizeof *r);
            d->st.corrupt++;
            return;
        }
        r->used = 1;
        r->blob = blob;
        r->first = now;
    }
    if (r->complete) {
        d->st.late++;
        return;
    }
    const uint64_t before = r->rx.st.rebuilt;
    const int rc = ofblk_rx_put(&r->rx, p, n, why, sizeof why);
    if (rc == OFBLK_CORRUPT || rc == OFBLK_FOREIGN) {
        d->st.corrupt++;
        return;
    }
    d->st.dg_in++;
    r->got++;
    r->wire += n;
    r->last = now;
    const uint32_t pos = group * (k + m) + idx + 1;
    if (pos > r->maxpos1)
        r->maxpos1 = pos;
    if (r->rx.st.rebuilt > before) {
        r->rebuilt++;
        d->st.rebuilt++;
    }
    if (rc == OFBLK_COMPLETE)
        deliver(d, r);
    else
        arm_nack(d);
}

void ofdg_input(void *arg, const void *dg, size_t n, double now)
{
    struct ofdg *d = arg;
    d->depth++;
    input(d, dg, n, now);
    if (--d->depth == 0 && d->freed)
        really_free(d);
}

/* Datagrams of a blob still short have stopped: ask for its short
 * groups again. */
static void on_nack(void *arg)
{
    struct ofdg *d = arg;
    const double now = ofsess_now(), after = nack_after(d);
    d->nack_armed = 0;
    int waiting = 0;
    for (unsigned i = 0; i < OFDG_RX; i++) {
        struct dg_rx *r = &d->rx[i];
        if (!r->used || r->complete)
            continue;
        if (now - r->last < after * 0.999) {
            waiting = 1;
            continue;
        }
        if (r->rounds >= OFDG_NACKS) {
            rx_drop(d, r, 1);
            d->st.given_up++;
            continue;
        }
        const size_t nm =
            ofblk_rx_missing(&r->rx, d->missing, NULL, OFMSG_NACK_MAX);
        const size_t k = nm < OFMSG_NACK_MAX ? nm : OFMSG_NACK_MAX;
        const size_t len =
            ofmsg_nack_put(d->nack, sizeof d->nack, r->blob, d->missing, k);
        if (len && ofsess_send(d->s, OFWIRE_NACK, OFWIRE_PRIO_CONTROL, 0, 0, 0,
                               d->nack, len) == 0) {
            r->nacked += (uint32_t)k;
            d->st.nacked += k;
        }
        r->rounds++;
        r->last = now;
        waiting = 1;
    }
    if (waiting)
        arm_nack(d);
}

void ofdg_stats(const struct ofdg *d, struct ofdg_stats *st)
{
    *st = d->st;
}
