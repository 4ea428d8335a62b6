/*
 * test_ofzst - zstd with an adaptive level (core/ofzst.c): round trips
 * at every level on synthetic activations (core/oftensor.c) and on
 * incompressible bytes; no allocation per call after init; every
 * refusal of the decoder (truncated, corrupted, oversized, trailing
 * bytes, not zstd, no content size); the level choice on injected
 * observations (low bandwidth STRONG, high NONE, between FAST, little
 * CPU pushing to NONE, a changed ratio moving it) and its re-probing.
 *
 * It also prints the table that ofzst.h's choice of OFZST_STRONG_ZLEVEL
 * cites: ratio and MB/s per zstd level on 1 MiB of activations.  Speeds
 * are printed, never asserted (a sanitized build on a shared machine).
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

#include "allocount.h"
#include "core/ofzst.h"
#include "core/oftensor.h"
#include "t.h"

#define CHUNK (1u << 20)

static unsigned char src[CHUNK], comp[CHUNK + 1024], back[CHUNK];

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The measurement ofzst.h cites: each level on the same 1 MiB. */
static void print_levels(void)
{
    static const int levels[] = {1, 2, 3, 5, 9, 12, 19};
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_DCtx *d = ZSTD_createDCtx();
    T_CHECK(c && d);
    oftensor_fill(src, CHUNK, OFTENSOR_ZERO_FRAC_DEFAULT, 7);
    fprintf(stderr,
            "ofzst: 1 MiB of activations (%.0f %% zeros)\n"
            "ofzst:  level   ratio  compress MB/s  decompress MB/s\n",
            100 * OFTENSOR_ZERO_FRAC_DEFAULT);
    for (size_t i = 0; c && d && i < sizeof levels / sizeof *levels; i++) {
        double t0 = cpu_s();
        size_t n =
            ZSTD_compressCCtx(c, comp, sizeof comp, src, CHUNK, levels[i]);
        double t1 = cpu_s();
        size_t m = ZSTD_decompressDCtx(d, back, CHUNK, comp, n);
        double t2 = cpu_s();
        T_CHECK(!ZSTD_isError(n) && m == CHUNK);
        fprintf(stderr, "ofzst: %6d  %6.3f  %13.1f  %15.1f\n", levels[i],
                (double)n / CHUNK, CHUNK / 1e6 / (t1 - t0),
                CHUNK / 1e6 / (t2 - t1));
    }
    ZSTD_freeCCtx(c);
    ZSTD_freeDCtx(d);
}

static void round_trips(struct ofzst *z)
{
    static const double fracs[] = {0.0, OFTENSOR_ZERO_FRAC_DEFAULT, 0.9};
    char why[160];
    size_t out;
    for (size_t f = 0; f < sizeof fracs / sizeof *fracs; f++) {
        oftensor_fill(src, CHUNK, fracs[f], 100 + f);
        for (int l = OFZST_FAST; l <= OFZST_STRONG; l++) {
            size_t n = ofzst_compress(z, (enum ofzst_level)l, comp, sizeof comp,
                                      src, CHUNK);
            T_CHECK(n > 0 && n < CHUNK);
            memset(back, 0xa5, CHUNK);
            T_CHECK(ofzst_decompress(z, back, CHUNK, comp, n, &out, why,
                                     sizeof why) == 0);
            T_CHECK(out == CHUNK && memcmp(back, src, CHUNK) == 0);
            fprintf(stderr, "ofzst: zeros %.2f %s: ratio %.3f\n", fracs[f],
                    ofzst_level_name((enum ofzst_level)l), (double)n / CHUNK);
        }
    }
    /* A small odd-sized chunk round-trips too. */
    for (int l = OFZST_FAST; l <= OFZST_STRONG; l++) {
        size_t n = ofzst_compress(z, (enum ofzst_level)l, comp, sizeof comp,
                                  src, 4097);
        T_CHECK(n > 0 &&
                ofzst_decompress(z, back, 4097, comp, n, &out, why,
                                 sizeof why) == 0 &&
                out == 4097 && memcmp(back, src, 4097) == 0);
    }
    /* NONE compresses nothing. */
    T_CHECK(ofzst_compress(z, OFZST_NONE, comp, sizeof comp, src, CHUNK) == 0);
    /* Random bytes do not shrink: 0, the caller sends them raw, and the
     * observation says so (ratio 1). */
    uint64_t s = 99;
    for (size_t i = 0; i < CHUNK; i++)
        src[i] = (unsigned char)(t_unif(&s) * 256);
    const double before = z->est[OFZST_FAST].ratio;
    T_CHECK(ofzst_compress(z, OFZST_FAST, comp, sizeof comp, src, CHUNK) == 0);
    T_NEAR(z->est[OFZST_FAST].ratio, before + OFZST_EWMA_ALPHA * (1.0 - before),
           1e-12);
    /* Too small a destination: 0, not an error. */
    oftensor_fill(src, CHUNK, 0.5, 1);
    T_CHECK(ofzst_compress(z, OFZST_FAST, comp, 100, src, CHUNK) == 0);
    /* Nothing, or over max_src (refused before src is read): 0. */
    T_CHECK(ofzst_compress(z, OFZST_FAST, comp, sizeof comp, src, 0) == 0);
    T_CHECK(ofzst_compress(z, OFZST_FAST, comp, sizeof comp, src, CHUNK + 1) ==
            0);
}

static void no_allocation(struct ofzst *z)
{
    char why[160];
    size_t out, n1, n2;
    unsigned long al = 1, fr = 1;
    oftensor_fill(src, CHUNK, 0.6, 5);
    allocount_start();
    n1 = ofzst_compress(z, OFZST_STRONG, comp, sizeof comp, src, CHUNK);
    int r1 = ofzst_decompress(z, back, CHUNK, comp, n1, &out, why, sizeof why);
    n2 = ofzst_compress(z, OFZST_FAST, comp, sizeof comp, src, CHUNK / 3);
    int r2 = ofzst_decompress(z, back, CHUNK, comp, n2, &out, why, sizeof why);
    allocount_stop(&al, &fr);
    T_CHECK(n1 > 0 && n2 > 0 && r1 == 0 && r2 == 0);
    T_CHECK(al == 0 && fr == 0);
}

static void refusals(struct ofzst *z)
{
    char why[160];
    size_t out, n;
    oftensor_fill(src, 65536, 0.5, 3);
    n = ofzst_compress(z, OFZST_FAST, comp, sizeof comp, src, 65536);
    T_CHECK(n > 100);
    /* Truncated, anywhere (the header itself included). */
    int refused = 0;
    for (size_t k = 0; k < n; k += (k < 32 ? 1 : 97))
        refused += ofzst_decompress(z, back, CHUNK, comp, k, &out, why,
                                    sizeof why) == -1 &&
                   out == 0 && why[0] && !strchr(why, '\n');
    T_CHECK(refused == (int)(32 + (n - 32 + 96) / 97));
    T_CHECK(ofzst_decompress(z, back, CHUNK, comp, n - 1, &out, why,
                             sizeof why) == -1);
    /* Corrupted: a byte of the compressed blocks flipped, at many places;
     * the content checksum or the block decoder catches each. */
    refused = 0;
    int tried = 0;
    for (size_t k = 20; k < n; k += 61) {
        comp[k] ^= 0x5a;
        refused += ofzst_decompress(z, back, CHUNK, comp, n, &out, why,
                                    sizeof why) == -1;
        comp[k] ^= 0x5a;
        tried++;
    }
    T_CHECK(refused == tried);
    /* Oversized: content over cap. */
    T_CHECK(ofzst_decompress(z, back, 65535, comp, n, &out, why, sizeof why) ==
            -1);
    T_CHECK(strstr(why, "65536") != NULL && strstr(why, "65535") != NULL);
    /* Trailing bytes: one frame and something after it. */
    comp[n] = 0;
    T_CHECK(ofzst_decompress(z, back, CHUNK, comp, n + 1, &out, why,
                             sizeof why) == -1);
    T_STREQ(why, "1 bytes after the zstd frame");
    /* Two frames back to back are not one frame. */
    memcpy(comp + n, comp, n);
    T_CHECK(ofzst_decompress(z, back, CHUNK, comp, 2 * n, &out, why,
                             sizeof why) == -1);
    /* The original still decodes (nothing above changed it). */
    T_CHECK(ofzst_decompress(z, back, CHUNK, comp, n, &out, why, sizeof why) ==
                0 &&
            out == 65536 && memcmp(back, src, 65536) == 0);
    /* Not zstd at all. */
    T_CHECK(ofzst_decompress(z, back, CHUNK, "GET / HTTP/1.1\r\n", 16, &out,
                             why, sizeof why) == -1);
    T_STREQ(why, "not a zstd frame (bad magic)");
    T_CHECK(ofzst_decompress(z, back, CHUNK, "", 0, &out, why, sizeof why) ==
            -1);
    /* A skippable frame (a legal zstd object with no content). */
    static const unsigned char skip[12] = {0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0};
    T_CHECK(ofzst_decompress(z, back, CHUNK, skip, sizeof skip, &out, why,
                             sizeof why) == -1);
    /* A real frame without its content size or checksum: zstd's own
     * streaming compressor, which knows no size in advance. */
    ZSTD_CCtx *c = ZSTD_createCCtx();
    ZSTD_outBuffer ob = {comp, sizeof comp, 0};
    ZSTD_inBuffer ib = {src, 1000, 0}, none = {src, 0, 0};
    T_CHECK(c &&
            !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) &&
            !ZSTD_isError(ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_continue)) &&
            ZSTD_compressStream2(c, &ob, &none, ZSTD_e_end) == 0);
    T_CHECK(ofzst_decompress(z, back, CHUNK, comp, ob.pos, &out, why,
                             sizeof why) == -1);
    T_STREQ(why, "zstd frame without its content size");
    /* With the size but no checksum. */
    ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
    n = ZSTD_compressCCtx(c, comp, sizeof comp, src, 1000, 1);
    T_CHECK(!ZSTD_isError(n) && ofzst_decompress(z, back, CHUNK, comp, n, &out,
                                                 why, sizeof why) == -1);
    T_STREQ(why, "zstd frame without a checksum");
    ZSTD_freeCCtx(c);
}

/* An observation of `ratio` at `mbps` MB/s of CPU, on 1 MiB. */
static void inject(struct ofzst *z, enum ofzst_level l, double ratio,
                   double mbps)
{
    ofzst_observe(z, l, CHUNK, (size_t)(ratio * CHUNK), CHUNK / (mbps * 1e6));
}

static void choices(void)
{
    struct ofzst z;
    char err[160];
    T_CHECK(ofzst_init(&z, 1u << 16, err, sizeof err) == 0);
    /* FAST 0.74 at 400 MB/s, STRONG 0.70 at 50 MB/s, decompression
     * 1000 MB/s: per byte FAST costs 3.5 ns + 0.74/bw, STRONG
     * 21 ns + 0.70/bw, NONE 1/bw.  FAST beats NONE under 74 MB/s,
     * STRONG beats FAST under 2.3 MB/s. */
    inject(&z, OFZST_FAST, 0.74, 400);
    inject(&z, OFZST_STRONG, 0.70, 50);
    ofzst_observe_d(&z, CHUNK, CHUNK / 1000e6);
    T_NEAR(z.est[OFZST_FAST].c_speed, 400e6, 1);
    T_NEAR(z.d_speed, 1000e6, 1);
    T_NEAR(ofzst_cost(&z, OFZST_FAST, 10e6, 1), 3.5e-9 + 0.74 / 10e6, 1e-12);
    T_CHECK(ofzst_choose(&z, 100e3, 1) == OFZST_STRONG);
    T_CHECK(ofzst_choose(&z, 1e6, 1) == OFZST_STRONG);
    T_CHECK(ofzst_choose(&z, 10e6, 1) == OFZST_FAST);
    T_CHECK(ofzst_choose(&z, 50e6, 1) == OFZST_FAST);
    T_CHECK(ofzst_choose(&z, 100e6, 1) == OFZST_NONE);
    T_CHECK(ofzst_choose(&z, 10e9, 1) == OFZST_NONE);
    /* Little CPU left: at 10 MB/s FAST needs over a tenth of a core. */
    T_CHECK(ofzst_choose(&z, 10e6, 0.2) == OFZST_FAST);
    T_CHECK(ofzst_choose(&z, 10e6, 0.05) == OFZST_NONE);
    /* At 100 kB/s STRONG gives way to FAST when the CPU is scarce. */
    T_CHECK(ofzst_choose(&z, 100e3, 0.001) == OFZST_FAST);
    /* The data changed: FAST now finds nothing to gain (ratio 1, twenty
     * observations into the EWMA): at 10 MB/s STRONG (still 0.70) now
     * wins, and raw once STRONG has no room either. */
    for (int i = 0; i < 20; i++)
        inject(&z, OFZST_FAST, 1.0, 400);
    T_CHECK(z.est[OFZST_FAST].ratio > 0.99);
    T_CHECK(ofzst_choose(&z, 10e6, 1) == OFZST_STRONG);
    T_CHECK(ofzst_choose(&z, 10e6, 0.5) == OFZST_NONE);
    ofzst_free(&z);

    /* Re-probing: at 10 GB/s NONE wins; after OFZST_PROBE_EVERY
     * choices without an observation, FAST then STRONG are tried once. */
    T_CHECK(ofzst_init(&z, 1u << 16, err, sizeof err) == 0);
    inject(&z, OFZST_FAST, 0.74, 400);
    inject(&z, OFZST_STRONG, 0.70, 50);
    int none = 0;
    for (unsigned i = 1; i < OFZST_PROBE_EVERY; i++)
        none += ofzst_choose(&z, 10e9, 1) == OFZST_NONE;
    T_CHECK(none == (int)OFZST_PROBE_EVERY - 1);
    T_CHECK(ofzst_choose(&z, 10e9, 1) == OFZST_FAST);
    oftensor_fill(src, 65536, 0.5, 1);
    T_CHECK(ofzst_compress(&z, OFZST_FAST, comp, sizeof comp, src, 65536) > 0);
    T_CHECK(ofzst_choose(&z, 10e9, 1) == OFZST_STRONG);
    T_CHECK(ofzst_compress(&z, OFZST_STRONG, comp, sizeof comp, src, 65536) >
            0);
    T_CHECK(ofzst_choose(&z, 10e9, 1) == OFZST_NONE);
    ofzst_free(&z);

    /* The priors alone, before any observation: at 1 GB/s raw, at
     * 1 MB/s a zstd level (the priors' ratio 0.74 < 1). */
    T_CHECK(ofzst_init(&z, 1u << 16, err, sizeof err) == 0);
    T_CHECK(ofzst_choose(&z, 1e9, 1) == OFZST_NONE);
    T_CHECK(ofzst_choose(&z, 1e6, 1) != OFZST_NONE);
    ofzst_free(&z);
}

int main(void)
{
    struct ofzst z;
    char err[160];
    allocount_install();
    print_levels();
    T_CHECK(ofzst_init(&z, CHUNK, err, sizeof err) == 0);
    round_trips(&z);
    no_allocation(&z);
    refusals(&z);
    ofzst_free(&z);
    choices();
    return t_done("test_ofzst");
}
