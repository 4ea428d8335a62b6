/*
 * fuzz_ofmsg - libFuzzer target for the offload protocol's messages
 * (part/ofmsg.c): the first byte picks the decoder (HELLO, REQUEST,
 * TENSOR, RESULT, ACK, PONG, NACK, ERROR), the rest is a frame's payload as a
 * peer might send it.  Never a crash or a leak; a refusal comes with a
 * one-line reason and, for a REQUEST, no plan; what is taken is in range
 * and re-encodes to the bytes it came from (but for the padding the
 * decoders do not read, and text they sanitize); a REQUEST's plan reads
 * only earlier layers or tensors from outside it.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ofwire.h"
#include "part/ofmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_why(const char *why)
{
    if (!why[0] || strchr(why, '\n'))
        abort();
}

/* Printable, NUL-terminated within max. */
static void check_text(const char *s, size_t max)
{
    const size_t n = strnlen(s, max + 1);
    if (n > max)
        abort();
    for (size_t i = 0; i < n; i++)
        if (s[i] < 32 || s[i] > 126)
            abort();
}

/* Bytes a and b equal but in [skip, skip + len). */
static void same_but(const void *a, const void *b, size_t n, size_t skip,
                     size_t len)
{
    if (memcmp(a, b, skip) != 0 ||
        memcmp((const char *)a + skip + len, (const char *)b + skip + len,
               n - skip - len) != 0)
        abort();
}

static void request(const uint8_t *p, size_t n)
{
    struct ofexec_plan pl;
    struct ofmsg_feat fv;
    double scale;
    char why[160] = "";
    if (ofmsg_request_get(p, n, &pl, &scale, &fv, why, sizeof why) != 0) {
        check_why(why);
        if (pl.l || pl.ins || pl.n || pl.n_ins)
            abort();
        return;
    }
    if (pl.n == 0 || pl.n > pl.n_nodes || pl.n_nodes > OFEXEC_MAX_NODES)
        abort();
    size_t off = 0;
    for (size_t i = 0; i < pl.n; i++) {
        const struct ofexec_layer *L = &pl.l[i];
        if (L->id >= pl.n_nodes || L->in_off != off || L->n_in == 0 ||
            L->n_in > pl.n_ins - off || (L->flags & ~OFEXEC_F_SEND) ||
            !isfinite(L->work_ms) || L->work_ms < 0 ||
            !(L->out_bytes >= 0 && L->out_bytes <= OFEXEC_MAX_TENSOR))
            abort();
        for (uint32_t k = 0; k < L->n_in; k++) {
            const uint32_t t = pl.ins[off + k];
            if (t == OFEXEC_INPUT)
                continue;
            if (t >= pl.n_nodes)
                abort();
            /* a layer of the plan is read only after it ran */
            for (size_t j = i; j < pl.n; j++)
                if (pl.l[j].id == t)
                    abort();
        }
        off += L->n_in;
    }
    if (off != pl.n_ins)
        abort();
    /* the same bytes back, but the 4 + 8 padding bytes */
    unsigned char *back = malloc(n);
    if (!back)
        abort();
    if (ofmsg_request_size(&pl) != n ||
        ofmsg_request_put(back, n, &pl, scale, &fv) != n)
        abort();
    if (memcmp(back, p, 12) != 0)
        abort();
    same_but(back + 16, p + 16, n - 16, 56 - 16, 8);
    free(back);
    ofexec_free(&pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const uint8_t *p = data + 1;
    const size_t n = size - 1;
    unsigned char back[OFMSG_RESULT_SIZE + OFMSG_ERROR_MAX];
    char why[160] = "";
    switch (data[0] % 8) {
    case 0: {
        struct ofmsg_hello h;
        if (ofmsg_hello_get(p, n, &h, why, sizeof why) != 0) {
            check_why(why);
            return 0;
        }
        if ((h.role != OFMSG_ROLE_USER && h.role != OFMSG_ROLE_REMOTE) ||
            !(h.speed > 0 && h.speed <= 1e6) ||
            !(h.cpu_share > 0 && h.cpu_share <= 1))
            abort();
        check_text(h.name, sizeof h.name - 1);
        if (ofmsg_hello_put(back, &h) != OFMSG_HELLO_SIZE ||
            memcmp(back + 2, p + 2, 22) != 0 || back[0] != p[0])
            abort();
        return 0;
    }
    case 1:
        request(p, n);
        return 0;
    case 2: {
        struct ofmsg_tensor t;
        if (ofmsg_tensor_get(p, n, &t, why, sizeof why) != 0) {
            check_why(why);
            return 0;
        }
        if ((double)t.total > OFEXEC_MAX_TENSOR || t.offset + t.raw > t.total ||
            t.raw > OFWIRE_MAX_PAYLOAD)
            abort();
        ofmsg_tensor_put(back, &t);
        if (memcmp(back, p, OFMSG_TENSOR_HDR) != 0)
            abort();
        return 0;
    }
    case 3: {
        struct ofmsg_result r;
        if (ofmsg_result_get(p, n, &r, why, sizeof why) != 0) {
            check_why(why);
            return 0;
        }
        check_text(r.reason, OFMSG_ERROR_MAX);
        /* every byte of the reason is kept, sanitized */
        if (strlen(r.reason) != n - OFMSG_RESULT_SIZE)
            abort();
        if (ofmsg_result_put(back, sizeof back, &r) != n ||
            memcmp(back, p, OFMSG_RESULT_SIZE) != 0)
            abort();
        return 0;
    }
    case 4: {
        struct ofmsg_ack a;
        if (ofmsg_ack_get(p, n, &a, why, sizeof why) != 0) {
            check_why(why);
            return 0;
        }
        if (!(a.disp >= 0 && a.disp <= 1e6) || a.got > a.expected)
            abort();
        ofmsg_ack_put(back, &a);
        if (memcmp(back, p, OFMSG_ACK_SIZE) != 0)
            abort();
        return 0;
    }
    case 6: {
        struct ofmsg_nack k;
        if (ofmsg_nack_get(p, n, &k, why, sizeof why) != 0) {
            check_why(why);
            return 0;
        }
        if (k.n == 0 || k.n > OFMSG_NACK_MAX || n != 8 + 4 * (size_t)k.n)
            abort();
        for (uint32_t i = 1; i < k.n; i++)
            if (ofmsg_nack_group(&k, i) <= ofmsg_nack_group(&k, i - 1))
                abort();
        if (memcmp(k.groups, p + 8, 4 * (size_t)k.n) != 0)
            abort();
        return 0;
    }
    case 5: {
        struct ofmsg_pong g;
        if (ofmsg_pong_get(p, n, &g, why, sizeof why) != 0) {
            check_why(why);
            return 0;
        }
        if (!(g.disp >= 0 && g.disp <= 1e6))
            abort();
        ofmsg_pong_put(back, &g);
        if (memcmp(back, p, OFMSG_PONG_SIZE) != 0)
            abort();
        return 0;
    }
    default: {
        char text[OFMSG_ERROR_MAX + 1];
        ofmsg_error_get(p, n, text, sizeof text);
        check_text(text, OFMSG_ERROR_MAX);
        if (strlen(text) != (n < OFMSG_ERROR_MAX ? n : OFMSG_ERROR_MAX))
            abort();
        return 0;
    }
    }
}
