/*
 * ofexec - see ofexec.h.
 */
#include "part/ofexec.h"

#include <stdlib.h>
#include <string.h>

/* splitmix64's finaliser (Steele, Lea and Flood, "Fast splittable
 * pseudorandom number generators", OOPSLA 2014): every input bit moves
 * every output bit. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t ofexec_ident(uint32_t id, const uint64_t *in, size_t n)
{
    uint64_t h = mix64(0x6f66657865630000ull ^ id);
    for (size_t i = 0; i < n; i++)
        h = mix64(h ^ mix64(in[i] + i));
    return h;
}

uint64_t ofexec_input_ident(uint64_t seed)
{
    return mix64(seed ^ 0x696e707574ull);
}

uint64_t ofexec_digest(const void *p, size_t n)
{
    /* four independent lanes of 8 bytes, so the multiplies overlap; the
     * tail and the length go into the last mix */
    const unsigned char *b = p;
    uint64_t h[4] = {0x243f6a8885a308d3ull, 0x13198a2e03707344ull,
                     0xa4093822299f31d0ull, 0x082efa98ec4e6c89ull};
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++) {
            uint64_t w;
            memcpy(&w, b + i + 8 * k, 8);
            h[k] = (h[k] ^ w) * 0x9e3779b97f4a7c15ull;
            h[k] ^= h[k] >> 29;
        }
    uint64_t t = 0;
    for (size_t s = 0; i < n; i++, s += 8) {
        t |= (uint64_t)b[i] << (s % 64);
        if (s % 64 == 56) {
            h[0] = mix64(h[0] ^ t);
            t = 0;
        }
    }
    return mix64(mix64(h[0] ^ t) ^ mix64(h[1] + n) ^ mix64(h[2]) * 3 ^
                 mix64(h[3]) * 5);
}

/* Per node, its inputs (edge sources) in edge order: CSR by target. */
struct ofexec_csr {
    uint32_t *off; /* n + 1 */
    uint32_t *src; /* n_edges */
    uint8_t *has_succ;
};

static void csr_free(struct ofexec_csr *c)
{
    free(c->off);
    free(c->src);
    free(c->has_succ);
}

static int csr_build(const struct mgraph *g, struct ofexec_csr *c)
{
    c->off = calloc(g->n + 1, sizeof *c->off);
    c->src = malloc((g->n_edges ? g->n_edges : 1) * sizeof *c->src);
    c->has_succ = calloc(g->n ? g->n : 1, 1);
    if (!c->off || !c->src || !c->has_succ) {
        csr_free(c);
        return -1;
    }
    for (size_t e = 0; e < g->n_edges; e++) {
        c->off[g->edge[e][1] + 1]++;
        c->has_succ[g->edge[e][0]] = 1;
    }
    for (size_t v = 0; v < g->n; v++)
        c->off[v + 1] += c->off[v];
    uint32_t *fill = calloc(g->n ? g->n : 1, sizeof *fill);
    if (!fill) {
        csr_free(c);
        return -1;
    }
    for (size_t e = 0; e < g->n_edges; e++) {
        const uint32_t to = g->edge[e][1];
        c->src[c->off[to] + fill[to]++] = g->edge[e][0];
    }
    free(fill);
    return 0;
}

int ofexec_is_sink(const struct mgraph *g, uint32_t v)
{
    for (size_t e = 0; e < g->n_edges; e++)
        if (g->edge[e][0] == v)
            return 0;
    return 1;
}

void ofexec_free(struct ofexec_plan *p)
{
    free(p->l);
    free(p->ins);
    memset(p, 0, sizeof *p);
}

int ofexec_build(const struct mgraph *g, const uint32_t *order,
                 const double *fwd, const uint8_t *tier,
                 struct ofexec_plan *user, struct ofexec_plan *remote)
{
    struct ofexec_csr c = {0};
    struct ofexec_plan *side[2] = {user, remote};
    memset(user, 0, sizeof *user);
    memset(remote, 0, sizeof *remote);
    if (csr_build(g, &c) != 0)
        return -1;
    for (int s = 0; s < 2; s++) {
        side[s]->n_nodes = (uint32_t)g->n;
        side[s]->l = calloc(g->n ? g->n : 1, sizeof *side[s]->l);
        /* a source reads the input: one more than the edges */
        side[s]->ins = malloc((g->n_edges + g->n + 1) * sizeof(uint32_t));
        if (!side[s]->l || !side[s]->ins) {
            ofexec_free(user);
            ofexec_free(remote);
            csr_free(&c);
            return -1;
        }
    }
    for (size_t k = 0; k < g->n; k++) {
        const uint32_t v = order[k];
        struct ofexec_plan *p = side[tier[v] ? 1 : 0];
        struct ofexec_layer *L = &p->l[p->n++];
        *L = (struct ofexec_layer){
            .id = v,
            .in_off = (uint32_t)p->n_ins,
            .work_ms = fwd[v],
            .out_bytes = g->node[v].act_bytes > 0 ? g->node[v].act_bytes : 0};
        if (c.off[v] == c.off[v + 1]) {
            p->ins[p->n_ins++] = OFEXEC_INPUT;
            if (tier[v])
                user->send_input = 1;
        }
        for (uint32_t e = c.off[v]; e < c.off[v + 1]; e++) {
            p->ins[p->n_ins++] = c.src[e];
        }
        L->n_in = (uint32_t)p->n_ins - L->in_off;
        if (tier[v] && !c.has_succ[v])
            L->flags |= OFEXEC_F_SEND; /* a remote sink goes home */
    }
    /* an output whose reader is on the other side is sent */
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < side[s]->n; i++) {
            const uint32_t v = side[s]->l[i].id;
            for (size_t e = 0; e < g->n_edges; e++)
                if (g->edge[e][0] == v && tier[g->edge[e][1]] != tier[v])
                    side[s]->l[i].flags |= OFEXEC_F_SEND;
        }
    csr_free(&c);
    return 0;
}

int ofexec_local(const struct mgraph *g, const uint32_t *order, uint64_t seed,
                 uint64_t *ident)
{
    /* the same inputs in the same order as ofexec_build gives a plan:
     * the input for a source, else its edges in edge order */
    struct ofexec_csr c = {0};
    if (csr_build(g, &c) != 0)
        return -1;
    uint64_t *in = malloc((g->n_edges + 1) * sizeof *in);
    if (!in) {
        csr_free(&c);
        return -1;
    }
    for (size_t k = 0; k < g->n; k++) {
        const uint32_t v = order[k];
        size_t n = 0;
        for (uint32_t e = c.off[v]; e < c.off[v + 1]; e++)
            in[n++] = ident[c.src[e]];
        if (n == 0)
            in[n++] = ofexec_input_ident(seed);
        ident[v] = ofexec_ident(v, in, n);
    }
    free(in);
    csr_free(&c);
    return 0;
}
