/*
 * test_ofdg - the datagram transport's pure parts (console/engines/
 * ofdg.c): a blob's records round trip, any cut of the blob short of a
 * record is refused, and the parity rule m = max(2, ceil(k (p +
 * 3 sqrt(p (1 - p) / k)))), at most k, against values worked by hand.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engines/ofdg.h"
#include "t.h"

static void test_records(void)
{
    static uint8_t blob[4096];
    const char *pay[] = {"", "a", "activation chunk", "x"};
    const unsigned fl[] = {0, 1, 4, 5};
    size_t n = 0;
    for (int i = 0; i < 4; i++)
        n += ofdg_rec_put(blob + n, fl[i], pay[i], strlen(pay[i]));
    T_CHECK(n == 4 * OFDG_REC_HDR + 0 + 1 + 16 + 1);
    size_t off = 0, len;
    unsigned flags;
    const uint8_t *p;
    for (int i = 0; i < 4; i++) {
        T_CHECK(ofdg_rec_next(blob, n, &off, &flags, &p, &len) == 1);
        T_CHECK(flags == fl[i] && len == strlen(pay[i]) &&
                memcmp(p, pay[i], len) == 0);
    }
    T_CHECK(ofdg_rec_next(blob, n, &off, &flags, &p, &len) == 0);
    T_CHECK(off == n);
    /* every cut inside a record is refused, at its boundaries taken */
    size_t bounds[5] = {0};
    for (int i = 1; i <= 4; i++)
        bounds[i] = bounds[i - 1] + OFDG_REC_HDR + strlen(pay[i - 1]);
    for (size_t cut = 0; cut < n; cut++) {
        int at_bound = 0;
        for (int i = 0; i <= 4; i++)
            at_bound |= bounds[i] == cut;
        off = 0;
        int rc;
        while ((rc = ofdg_rec_next(blob, cut, &off, &flags, &p, &len)) == 1)
            ;
        T_CHECK(rc == (at_bound ? 0 : -1));
    }
    /* a length past the end */
    uint8_t bad[OFDG_REC_HDR + 3] = {0xff, 0xff, 0xff, 0xff, 0};
    off = 0;
    T_CHECK(ofdg_rec_next(bad, sizeof bad, &off, &flags, &p, &len) == -1);
}

static void test_parity(void)
{
    /* no loss, and below what needs more than the floor: 2 */
    T_CHECK(ofdg_parity(32, 0) == 2);
    T_CHECK(ofdg_parity(32, -1) == 2);
    T_CHECK(ofdg_parity(32, NAN) == 2);
    /* p = 0.001: 32 (0.001 + 3 sqrt(0.000999 / 32)) = 0.568: 2 */
    T_CHECK(ofdg_parity(32, 0.001) == 2);
    /* p = 0.01: 32 (0.01 + 3 x 0.017589) = 2.009: 3 */
    T_CHECK(ofdg_parity(32, 0.01) == 3);
    /* p = 0.05: 32 (0.05 + 3 x 0.038528) = 5.299: 6 */
    T_CHECK(ofdg_parity(32, 0.05) == 6);
    /* p = 0.2: 32 (0.2 + 3 x 0.070711) = 13.19: 14 */
    T_CHECK(ofdg_parity(32, 0.2) == 14);
    /* capped at k */
    T_CHECK(ofdg_parity(32, 0.8) == 32);
    T_CHECK(ofdg_parity(32, 1) == 32);
    T_CHECK(ofdg_parity(32, 7) == 32);
    /* never fewer for more loss */
    unsigned last = 0;
    for (double p = 0; p <= 1; p += 0.001) {
        const unsigned m = ofdg_parity(32, p);
        T_CHECK(m >= last && m >= 2 && m <= 32);
        last = m;
    }
}

int main(void)
{
    test_records();
    test_parity();
    return t_done("test_ofdg");
}
