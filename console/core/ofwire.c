/*
 * ofwire - see ofwire.h.
 */
#include "core/ofwire.h"

#include <isa-l/crc.h>

#include <stdio.h>
#include <string.h>

/* ISA-L's crc32_iscsi is CRC32C with the pre- and post-inversion left
 * to the caller; it uses the SSE4.2 instruction where there is one.  It
 * replaced a byte-at-a-time table that took 9 % of a sender's CPU at
 * loopback speed (perf, bench offload). */
uint32_t ofwire_crc32c(uint32_t crc, const void *p, size_t n)
{
    const unsigned char *b = p;
    crc = ~crc;
    while (n > 0) {
        const int k = n > (1u << 30) ? 1 << 30 : (int)n;
        crc = crc32_iscsi((unsigned char *)b, k, crc);
        b += k;
        n -= (size_t)k;
    }
    return ~crc;
}

void ofwire_put32(void *p, uint32_t v)
{
    unsigned char *b = p;
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

uint32_t ofwire_get32(const void *p)
{
    const unsigned char *b = p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

void ofwire_put64(void *p, uint64_t v)
{
    ofwire_put32(p, (uint32_t)v);
    ofwire_put32((unsigned char *)p + 4, (uint32_t)(v >> 32));
}

uint64_t ofwire_get64(const void *p)
{
    return ofwire_get32(p) |
           (uint64_t)ofwire_get32((const unsigned char *)p + 4) << 32;
}

void ofwire_putf64(void *p, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    ofwire_put64(p, u);
}

double ofwire_getf64(const void *p)
{
    const uint64_t u = ofwire_get64(p);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

/* What is wrong with a header's fields, or NULL. */
static const char *bad_fields(unsigned type, unsigned prio, unsigned flags,
                              uint32_t len, char *why, size_t whylen)
{
    if (type == 0 || type >= OFWIRE_TYPE__N)
        snprintf(why, whylen, "frame type %u unknown", type);
    else if (prio >= OFWIRE_PRIO__N)
        snprintf(why, whylen, "priority %u unknown", prio);
    else if (flags & ~OFWIRE_F__ALL)
        snprintf(why, whylen, "unknown flags 0x%02x", flags);
    else if (len > OFWIRE_MAX_PAYLOAD)
        snprintf(why, whylen, "payload of %lu bytes, over the %u limit",
                 (unsigned long)len, OFWIRE_MAX_PAYLOAD);
    else
        return NULL;
    return why;
}

int ofwire_header(void *hdr, const struct ofwire_frame *f, const void *payload)
{
    char why[96];
    if (bad_fields(f->type, f->prio, f->flags, f->len, why, sizeof why) ||
        (f->len && !payload))
        return -1;
    unsigned char *p = hdr;
    ofwire_put32(p, OFWIRE_MAGIC);
    p[4] = (unsigned char)OFWIRE_VERSION;
    p[5] = f->type;
    p[6] = f->prio;
    p[7] = f->flags;
    ofwire_put32(p + 8, f->stream);
    ofwire_put32(p + 12, f->seq);
    ofwire_put32(p + 16, f->len);
    uint32_t crc = ofwire_crc32c(0, p, 20);
    crc = ofwire_crc32c(crc, payload, f->len);
    ofwire_put32(p + 20, crc);
    return 0;
}

size_t ofwire_encode(void *buf, size_t cap, const struct ofwire_frame *f,
                     const void *payload)
{
    if (cap < OFWIRE_HDR_SIZE + (size_t)f->len)
        return 0;
    unsigned char *p = buf;
    if (f->len && payload)
        memmove(p + OFWIRE_HDR_SIZE, payload, f->len);
    if (ofwire_header(p, f, p + OFWIRE_HDR_SIZE) != 0)
        return 0;
    return OFWIRE_HDR_SIZE + f->len;
}

int ofwire_parse(const void *buf, size_t len, struct ofwire_frame *f,
                 size_t *used, char *why, size_t whylen)
{
    const unsigned char *p = buf;
    *used = 0;
    /* The magic as far as it has come: a stranger is told at once. */
    unsigned char magic[4];
    ofwire_put32(magic, OFWIRE_MAGIC);
    if (memcmp(p, magic, len < 4 ? len : 4) != 0) {
        snprintf(why, whylen, "not an offload frame (bad magic)");
        return OFWIRE_EBAD;
    }
    if (len >= 5 && p[4] != OFWIRE_VERSION) {
        snprintf(why, whylen,
                 "peer speaks offload protocol version %u, this wattson "
                 "speaks %u",
                 (unsigned)p[4], OFWIRE_VERSION);
        return OFWIRE_EVERSION;
    }
    if (len < OFWIRE_HDR_SIZE)
        return OFWIRE_MORE;
    uint32_t plen = ofwire_get32(p + 16);
    if (bad_fields(p[5], p[6], p[7], plen, why, whylen))
        return OFWIRE_EBAD;
    if (len < OFWIRE_HDR_SIZE + (size_t)plen)
        return OFWIRE_MORE;
    uint32_t crc = ofwire_crc32c(0, p, 20);
    crc = ofwire_crc32c(crc, p + OFWIRE_HDR_SIZE, plen);
    if (crc != ofwire_get32(p + 20)) {
        snprintf(why, whylen, "frame %u/%u: CRC32C 0x%08x, computed 0x%08x",
                 (unsigned)ofwire_get32(p + 8), (unsigned)ofwire_get32(p + 12),
                 (unsigned)ofwire_get32(p + 20), (unsigned)crc);
        return OFWIRE_EBAD;
    }
    *f = (struct ofwire_frame){.version = p[4],
                               .type = p[5],
                               .prio = p[6],
                               .flags = p[7],
                               .stream = ofwire_get32(p + 8),
                               .seq = ofwire_get32(p + 12),
                               .len = plen,
                               .payload = p + OFWIRE_HDR_SIZE};
    *used = OFWIRE_HDR_SIZE + plen;
    return OFWIRE_OK;
}
