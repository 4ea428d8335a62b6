/*
 * ofmsg - see ofmsg.h.
 */
#include "part/ofmsg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ofwire.h"

#define REQ_HDR 64u
#define REQ_LAYER 28u
/* a layer's simulated work, at most: a day */
#define MAX_WORK_MS 86400e3

static int bad(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return -1;
}

size_t ofmsg_hello_put(void *buf, const struct ofmsg_hello *h)
{
    unsigned char *p = buf;
    memset(p, 0, OFMSG_HELLO_SIZE);
    p[0] = (unsigned char)h->role;
    p[2] = (unsigned char)(h->udp_port & 0xffu);
    p[3] = (unsigned char)(h->udp_port >> 8 & 0xffu);
    ofwire_put32(p + 4, h->features);
    ofwire_putf64(p + 8, h->speed);
    ofwire_putf64(p + 16, h->cpu_share);
    memcpy(p + 24, h->name, strnlen(h->name, sizeof h->name - 1));
    return OFMSG_HELLO_SIZE;
}

int ofmsg_hello_get(const void *buf, size_t n, struct ofmsg_hello *h, char *why,
                    size_t whylen)
{
    const unsigned char *p = buf;
    if (n != OFMSG_HELLO_SIZE)
        return bad(why, whylen, "HELLO of the wrong size");
    memset(h, 0, sizeof *h);
    h->role = p[0];
    h->udp_port = (unsigned)p[2] | (unsigned)p[3] << 8;
    h->features = ofwire_get32(p + 4);
    h->speed = ofwire_getf64(p + 8);
    h->cpu_share = ofwire_getf64(p + 16);
    if (h->role != OFMSG_ROLE_USER && h->role != OFMSG_ROLE_REMOTE)
        return bad(why, whylen, "HELLO: unknown role");
    if (!(h->speed > 0) || !(h->speed <= 1e6))
        return bad(why, whylen, "HELLO: speed not in (0, 1e6]");
    if (!(h->cpu_share > 0) || !(h->cpu_share <= 1))
        return bad(why, whylen, "HELLO: cpu share not in (0, 1]");
    for (size_t i = 0; i < sizeof h->name - 1; i++) {
        const unsigned char c = p[24 + i];
        if (c == 0)
            break;
        h->name[i] = c > 32 && c < 127 ? (char)c : '?';
    }
    return 0;
}

size_t ofmsg_request_size(const struct ofexec_plan *p)
{
    return REQ_HDR + p->n * REQ_LAYER + p->n_ins * 4;
}

size_t ofmsg_request_put(void *buf, size_t cap, const struct ofexec_plan *pl,
                         double scale, const struct ofmsg_feat *fv)
{
    const size_t size = ofmsg_request_size(pl);
    if (size > cap)
        return 0;
    unsigned char *p = buf;
    memset(p, 0, REQ_HDR);
    ofwire_put32(p, pl->n_nodes);
    ofwire_put32(p + 4, (uint32_t)pl->n);
    ofwire_put32(p + 8, (uint32_t)pl->n_ins);
    ofwire_putf64(p + 16, scale);
    ofwire_putf64(p + 24, fv->score);
    ofwire_putf64(p + 32, fv->entropy);
    ofwire_putf64(p + 40, fv->edges);
    ofwire_put32(p + 48, fv->width);
    ofwire_put32(p + 52, fv->height);
    p += REQ_HDR;
    for (size_t i = 0; i < pl->n; i++, p += REQ_LAYER) {
        ofwire_put32(p, pl->l[i].id);
        ofwire_put32(p + 4, pl->l[i].n_in);
        ofwire_put32(p + 8, pl->l[i].flags);
        ofwire_putf64(p + 12, pl->l[i].work_ms);
        ofwire_putf64(p + 20, pl->l[i].out_bytes);
    }
    for (size_t i = 0; i < pl->n_ins; i++, p += 4)
        ofwire_put32(p, pl->ins[i]);
    return size;
}

static int finite_in(double x, double lo, double hi)
{
    return isfinite(x) && x >= lo && x <= hi;
}

/* The plan's layers and inputs, checked (see ofmsg.h); pos is n_nodes
 * zeros on entry (a layer's place in the plan + 1). */
static int request_check(const struct ofexec_plan *pl, uint32_t *pos, char *why,
                         size_t whylen)
{
    size_t off = 0;
    for (size_t i = 0; i < pl->n; i++) {
        const struct ofexec_layer *L = &pl->l[i];
        if (L->id >= pl->n_nodes || pos[L->id])
            return bad(why, whylen,
                       L->id >= pl->n_nodes ? "REQUEST: layer id out of range"
                                            : "REQUEST: a layer listed twice");
        if (L->flags & ~OFEXEC_F_SEND)
            return bad(why, whylen, "REQUEST: unknown layer flags");
        if (!finite_in(L->work_ms, 0, MAX_WORK_MS) ||
            !finite_in(L->out_bytes, 0, OFEXEC_MAX_TENSOR))
            return bad(why, whylen,
                       "REQUEST: a layer's work or output "
                       "size out of range");
        if (L->n_in == 0 || L->n_in > pl->n_ins - off)
            return bad(why, whylen, "REQUEST: inputs do not add up");
        for (uint32_t k = 0; k < L->n_in; k++) {
            const uint32_t in = pl->ins[off + k];
            if (in != OFEXEC_INPUT && in >= pl->n_nodes)
                return bad(why, whylen, "REQUEST: input id out of range");
            if (in == L->id)
                return bad(why, whylen, "REQUEST: a layer reads itself");
        }
        off += L->n_in;
        pos[L->id] = (uint32_t)i + 1;
    }
    if (off != pl->n_ins)
        return bad(why, whylen, "REQUEST: inputs do not add up");
    /* an input that is a layer of the plan must come before its reader
     * (else the remote would wait for itself) */
    for (size_t i = 0; i < pl->n; i++)
        for (uint32_t k = 0; k < pl->l[i].n_in; k++) {
            const uint32_t in = pl->ins[pl->l[i].in_off + k];
            if (in != OFEXEC_INPUT && pos[in] && pos[in] > i)
                return bad(why, whylen,
                           "REQUEST: a layer reads one that "
                           "comes after it");
        }
    return 0;
}

int ofmsg_request_get(const void *buf, size_t n, struct ofexec_plan *pl,
                      double *scale, struct ofmsg_feat *fv, char *why,
                      size_t whylen)
{
    const unsigned char *p = buf;
    memset(pl, 0, sizeof *pl);
    if (n < REQ_HDR)
        return bad(why, whylen, "REQUEST: short");
    const uint32_t nn = ofwire_get32(p), nl = ofwire_get32(p + 4),
                   ni = ofwire_get32(p + 8);
    if (nn == 0 || nn > OFEXEC_MAX_NODES || nl == 0 || nl > nn)
        return bad(why, whylen, "REQUEST: layer counts out of range");
    if (ni > (size_t)nl * 4096 ||
        n != REQ_HDR + (size_t)nl * REQ_LAYER + (size_t)ni * 4)
        return bad(why, whylen, "REQUEST: size does not match its counts");
    *scale = ofwire_getf64(p + 16);
    fv->score = ofwire_getf64(p + 24);
    fv->entropy = ofwire_getf64(p + 32);
    fv->edges = ofwire_getf64(p + 40);
    fv->width = ofwire_get32(p + 48);
    fv->height = ofwire_get32(p + 52);
    if (!finite_in(*scale, 1e-3, 1e3) || !finite_in(fv->score, 0, 100) ||
        !finite_in(fv->entropy, 0, 8) || !finite_in(fv->edges, 0, 1))
        return bad(why, whylen,
                   "REQUEST: scale or feature vector out of "
                   "range");
    pl->n_nodes = nn;
    pl->n = nl;
    pl->n_ins = ni;
    pl->l = calloc(nl, sizeof *pl->l);
    pl->ins = malloc((ni ? ni : 1) * sizeof *pl->ins);
    uint32_t *pos = calloc(nn, sizeof *pos);
    if (!pl->l || !pl->ins || !pos) {
        free(pos);
        ofexec_free(pl);
        return bad(why, whylen, "REQUEST: out of memory");
    }
    const unsigned char *q = p + REQ_HDR;
    uint32_t off = 0;
    for (uint32_t i = 0; i < nl; i++, q += REQ_LAYER) {
        pl->l[i].id = ofwire_get32(q);
        pl->l[i].n_in = ofwire_get32(q + 4);
        pl->l[i].flags = ofwire_get32(q + 8);
        pl->l[i].work_ms = ofwire_getf64(q + 12);
        pl->l[i].out_bytes = ofwire_getf64(q + 20);
        pl->l[i].in_off = off;
        off += pl->l[i].n_in < ni ? pl->l[i].n_in : ni;
    }
    for (uint32_t i = 0; i < ni; i++, q += 4)
        pl->ins[i] = ofwire_get32(q);
    const int rc = request_check(pl, pos, why, whylen);
    free(pos);
    if (rc != 0)
        ofexec_free(pl);
    return rc;
}

void ofmsg_tensor_put(void *buf, const struct ofmsg_tensor *t)
{
    unsigned char *p = buf;
    ofwire_put32(p, t->tensor);
    ofwire_put32(p + 4, t->chunk);
    ofwire_put64(p + 8, t->total);
    ofwire_put64(p + 16, t->offset);
    ofwire_put64(p + 24, t->ident);
    ofwire_put64(p + 32, t->digest);
    ofwire_put32(p + 40, t->raw);
}

int ofmsg_tensor_get(const void *buf, size_t n, struct ofmsg_tensor *t,
                     char *why, size_t whylen)
{
    const unsigned char *p = buf;
    if (n < OFMSG_TENSOR_HDR)
        return bad(why, whylen, "ACTIVATION: short");
    t->tensor = ofwire_get32(p);
    t->chunk = ofwire_get32(p + 4);
    t->total = ofwire_get64(p + 8);
    t->offset = ofwire_get64(p + 16);
    t->ident = ofwire_get64(p + 24);
    t->digest = ofwire_get64(p + 32);
    t->raw = ofwire_get32(p + 40);
    if ((double)t->total > OFEXEC_MAX_TENSOR)
        return bad(why, whylen, "ACTIVATION: tensor too large");
    if (t->raw > OFWIRE_MAX_PAYLOAD || t->offset > t->total ||
        t->raw > t->total - t->offset)
        return bad(why, whylen, "ACTIVATION: chunk outside its tensor");
    return 0;
}

size_t ofmsg_result_put(void *buf, size_t cap, const struct ofmsg_result *r)
{
    const size_t len = strnlen(r->reason, OFMSG_ERROR_MAX);
    if (cap < OFMSG_RESULT_SIZE + len)
        return 0;
    unsigned char *p = buf;
    ofwire_put32(p, r->status);
    ofwire_put32(p + 4, r->sent);
    ofwire_putf64(p + 8, r->compute_ms);
    ofwire_putf64(p + 16, r->predicted_ms);
    ofwire_putf64(p + 24, r->queued_ms);
    memcpy(p + OFMSG_RESULT_SIZE, r->reason, len);
    return OFMSG_RESULT_SIZE + len;
}

int ofmsg_result_get(const void *buf, size_t n, struct ofmsg_result *r,
                     char *why, size_t whylen)
{
    const unsigned char *p = buf;
    if (n < OFMSG_RESULT_SIZE || n > OFMSG_RESULT_SIZE + OFMSG_ERROR_MAX)
        return bad(why, whylen, "RESULT of the wrong size");
    r->status = ofwire_get32(p);
    r->sent = ofwire_get32(p + 4);
    r->compute_ms = ofwire_getf64(p + 8);
    r->predicted_ms = ofwire_getf64(p + 16);
    r->queued_ms = ofwire_getf64(p + 24);
    ofmsg_error_get(p + OFMSG_RESULT_SIZE, n - OFMSG_RESULT_SIZE, r->reason,
                    sizeof r->reason);
    if (!finite_in(r->compute_ms, 0, 1e12) ||
        !finite_in(r->predicted_ms, 0, 1e12) ||
        !finite_in(r->queued_ms, 0, 1e12))
        return bad(why, whylen, "RESULT: times out of range");
    return 0;
}

void ofmsg_ack_put(void *buf, const struct ofmsg_ack *a)
{
    unsigned char *p = buf;
    ofwire_put32(p, a->tensor);
    ofwire_put32(p + 4, a->rebuilt);
    ofwire_put64(p + 8, a->wire);
    ofwire_put64(p + 16, a->raw);
    ofwire_putf64(p + 24, a->disp);
    ofwire_put32(p + 32, a->got);
    ofwire_put32(p + 36, a->expected);
}

int ofmsg_ack_get(const void *buf, size_t n, struct ofmsg_ack *a, char *why,
                  size_t whylen)
{
    const unsigned char *p = buf;
    if (n != OFMSG_ACK_SIZE)
        return bad(why, whylen, "ACK of the wrong size");
    a->tensor = ofwire_get32(p);
    a->wire = ofwire_get64(p + 8);
    a->raw = ofwire_get64(p + 16);
    a->disp = ofwire_getf64(p + 24);
    a->rebuilt = ofwire_get32(p + 4);
    a->got = ofwire_get32(p + 32);
    a->expected = ofwire_get32(p + 36);
    if (!finite_in(a->disp, 0, 1e6) || (double)a->raw > OFEXEC_MAX_TENSOR)
        return bad(why, whylen, "ACK: out of range");
    if (a->got > a->expected)
        return bad(why, whylen, "ACK: more datagrams got than expected");
    return 0;
}

#define NACK_HDR 8u

size_t ofmsg_nack_put(void *buf, size_t cap, uint32_t blob,
                      const uint32_t *groups, size_t n)
{
    const size_t size = NACK_HDR + 4 * n;
    if (n == 0 || n > OFMSG_NACK_MAX || size > cap)
        return 0;
    unsigned char *p = buf;
    ofwire_put32(p, blob);
    ofwire_put32(p + 4, (uint32_t)n);
    for (size_t i = 0; i < n; i++)
        ofwire_put32(p + NACK_HDR + 4 * i, groups[i]);
    return size;
}

int ofmsg_nack_get(const void *buf, size_t n, struct ofmsg_nack *k, char *why,
                   size_t whylen)
{
    const unsigned char *p = buf;
    memset(k, 0, sizeof *k);
    if (n < NACK_HDR)
        return bad(why, whylen, "NACK: short");
    const uint32_t cnt = ofwire_get32(p + 4);
    if (cnt == 0 || cnt > OFMSG_NACK_MAX)
        return bad(why, whylen, "NACK: group count not in 1..4096");
    if (n != NACK_HDR + 4 * (size_t)cnt)
        return bad(why, whylen, "NACK: size does not match its count");
    for (uint32_t i = 1; i < cnt; i++)
        if (ofwire_get32(p + NACK_HDR + 4 * i) <=
            ofwire_get32(p + NACK_HDR + 4 * (i - 1)))
            return bad(why, whylen, "NACK: groups not strictly ascending");
    k->blob = ofwire_get32(p);
    k->n = cnt;
    k->groups = p + NACK_HDR;
    return 0;
}

uint32_t ofmsg_nack_group(const struct ofmsg_nack *k, size_t i)
{
    return ofwire_get32(k->groups + 4 * i);
}

void ofmsg_pong_put(void *buf, const struct ofmsg_pong *a)
{
    unsigned char *p = buf;
    ofwire_put64(p, a->token);
    ofwire_put64(p + 8, a->bytes);
    ofwire_putf64(p + 16, a->disp);
}

int ofmsg_pong_get(const void *buf, size_t n, struct ofmsg_pong *a, char *why,
                   size_t whylen)
{
    const unsigned char *p = buf;
    if (n != OFMSG_PONG_SIZE)
        return bad(why, whylen, "PONG of the wrong size");
    a->token = ofwire_get64(p);
    a->bytes = ofwire_get64(p + 8);
    a->disp = ofwire_getf64(p + 16);
    if (!finite_in(a->disp, 0, 1e6) || a->bytes > 2u * OFWIRE_MAX_PAYLOAD)
        return bad(why, whylen, "PONG: out of range");
    return 0;
}

void ofmsg_error_get(const void *buf, size_t n, char *out, size_t outlen)
{
    const unsigned char *p = buf;
    size_t k = 0;
    for (size_t i = 0; i < n && i < OFMSG_ERROR_MAX && k + 1 < outlen; i++)
        out[k++] = p[i] >= 32 && p[i] < 127 ? (char)p[i] : '?';
    if (outlen)
        out[k] = '\0';
}
