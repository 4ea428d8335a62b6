/*
 * test_ofwire - the offload protocol's frames (core/ofwire.c): CRC32C
 * against its published check value, round trips, a stream arriving a
 * byte at a time and two frames back to back, and every refusal.
 */
#include <stdio.h>
#include <string.h>

#include "core/ofwire.h"
#include "t.h"

static unsigned char buf[2 * (OFWIRE_HDR_SIZE + 4096)];

static size_t make(unsigned char *out, uint8_t type, uint32_t seq,
                   const char *payload)
{
    struct ofwire_frame f = {.type = type,
                             .prio = OFWIRE_PRIO_CRITICAL,
                             .flags = OFWIRE_F_LAST,
                             .stream = 7,
                             .seq = seq,
                             .len = (uint32_t)strlen(payload)};
    return ofwire_encode(out, sizeof buf / 2, &f, payload);
}

int main(void)
{
    char why[160];
    struct ofwire_frame f;
    size_t used;

    /* The catalogue's check value of CRC-32/ISCSI (CRC32C) over the
     * ASCII digits 1-9; in two pieces, the same. */
    T_CHECK(ofwire_crc32c(0, "123456789", 9) == 0xe3069283u);
    T_CHECK(ofwire_crc32c(ofwire_crc32c(0, "1234", 4), "56789", 5) ==
            0xe3069283u);

    size_t n = make(buf, OFWIRE_ACTIVATION, 3, "tensor bytes");
    T_CHECK(n == OFWIRE_HDR_SIZE + 12);
    T_CHECK(ofwire_parse(buf, n, &f, &used, why, sizeof why) == OFWIRE_OK);
    T_CHECK(used == n && f.type == OFWIRE_ACTIVATION && f.stream == 7 &&
            f.seq == 3 && f.len == 12 && f.prio == OFWIRE_PRIO_CRITICAL &&
            f.flags == OFWIRE_F_LAST && f.version == OFWIRE_VERSION);
    T_CHECK(memcmp(f.payload, "tensor bytes", 12) == 0);

    /* A byte at a time: more, more, ... then the frame. */
    int more = 0;
    for (size_t k = 0; k < n; k++)
        more += ofwire_parse(buf, k, &f, &used, why, sizeof why) == OFWIRE_MORE;
    T_CHECK(more == (int)n);

    /* Two frames back to back. */
    size_t n2 = make(buf + n, OFWIRE_PING, 4, "");
    T_CHECK(ofwire_parse(buf, n + n2, &f, &used, why, sizeof why) ==
                OFWIRE_OK &&
            used == n);
    T_CHECK(ofwire_parse(buf + used, n2, &f, &used, why, sizeof why) ==
                OFWIRE_OK &&
            f.type == OFWIRE_PING && f.len == 0 && used == OFWIRE_HDR_SIZE);

    /* A payload byte changed: the checksum says so. */
    buf[OFWIRE_HDR_SIZE + 2] ^= 0x10;
    T_CHECK(ofwire_parse(buf, n, &f, &used, why, sizeof why) == OFWIRE_EBAD);
    T_CHECK(strstr(why, "CRC32C") != NULL && used == 0);
    buf[OFWIRE_HDR_SIZE + 2] ^= 0x10;
    /* A header field changed (seq): so does it. */
    buf[12] ^= 1;
    T_CHECK(ofwire_parse(buf, n, &f, &used, why, sizeof why) == OFWIRE_EBAD);
    buf[12] ^= 1;

    /* Another version, told as such from its fifth byte on. */
    buf[4] = 2;
    T_CHECK(ofwire_parse(buf, 5, &f, &used, why, sizeof why) ==
            OFWIRE_EVERSION);
    T_STREQ(why, "peer speaks offload protocol version 2, this wattson "
                 "speaks 1");
    buf[4] = OFWIRE_VERSION;

    /* Something else entirely, from its first bytes. */
    T_CHECK(ofwire_parse("GET / HTTP/1.1\r\n", 2, &f, &used, why, sizeof why) ==
            OFWIRE_EBAD);
    T_CHECK(strstr(why, "bad magic") != NULL);

    /* An oversize length is refused with the header alone. */
    unsigned char h[OFWIRE_HDR_SIZE];
    memcpy(h, buf, sizeof h);
    h[18] = 0x20; /* len = 2 MiB + ... */
    T_CHECK(ofwire_parse(h, sizeof h, &f, &used, why, sizeof why) ==
            OFWIRE_EBAD);
    T_CHECK(strstr(why, "over the") != NULL);
    /* Unknown type, priority, flags. */
    memcpy(h, buf, sizeof h);
    h[5] = 0;
    T_CHECK(ofwire_parse(h, sizeof h, &f, &used, why, sizeof why) ==
            OFWIRE_EBAD);
    memcpy(h, buf, sizeof h);
    h[6] = OFWIRE_PRIO__N;
    T_CHECK(ofwire_parse(h, sizeof h, &f, &used, why, sizeof why) ==
            OFWIRE_EBAD);
    memcpy(h, buf, sizeof h);
    h[7] = 0x80;
    T_CHECK(ofwire_parse(h, sizeof h, &f, &used, why, sizeof why) ==
            OFWIRE_EBAD);
    T_CHECK(strstr(why, "flags") != NULL);

    /* encode refuses what parse would. */
    struct ofwire_frame bad = {.type = OFWIRE_TYPE__N};
    T_CHECK(ofwire_encode(buf, sizeof buf, &bad, NULL) == 0);
    struct ofwire_frame big = {.type = OFWIRE_RESULT, .len = 100};
    T_CHECK(ofwire_encode(buf, 50, &big, "x") == 0); /* cap too small */
    return t_done("test_ofwire");
}
