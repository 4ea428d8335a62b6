/*
 * ofzst - see ofzst.h.
 */
#define ZSTD_STATIC_LINKING_ONLY /* the static contexts */
#include "core/ofzst.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zstd.h>

/* The priors (ofzst.h says where they come from). */
#define PRIOR_RATIO_FAST 0.64
#define PRIOR_RATIO_STRONG 0.63
#define PRIOR_C_FAST 530e6
#define PRIOR_C_STRONG 95e6
#define PRIOR_D 1700e6

static double cpu_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double ewma(double old, uint64_t seen, double x)
{
    return seen ? old + OFZST_EWMA_ALPHA * (x - old) : x;
}

int ofzst_zlevel(enum ofzst_level level)
{
    return level == OFZST_FAST     ? OFZST_FAST_ZLEVEL
           : level == OFZST_STRONG ? OFZST_STRONG_ZLEVEL
                                   : 0;
}

const char *ofzst_level_name(enum ofzst_level level)
{
    return level == OFZST_FAST     ? "fast"
           : level == OFZST_STRONG ? "strong"
                                   : "none";
}

int ofzst_init(struct ofzst *z, size_t max_src, char *err, size_t errlen)
{
    memset(z, 0, sizeof *z);
    /* The largest workspace either level needs for a chunk of max_src:
     * zstd sizes its tables from the level and the source size. */
    size_t csize = 0;
    for (int l = OFZST_FAST; l <= OFZST_STRONG; l++) {
        ZSTD_compressionParameters cp = ZSTD_getCParams(
            ofzst_zlevel((enum ofzst_level)l), (unsigned long long)max_src, 0);
        /* compress2's one-shot path: the stream size is the safe one. */
        size_t s = ZSTD_estimateCStreamSize_usingCParams(cp);
        if (s > csize)
            csize = s;
    }
    const size_t dsize = ZSTD_estimateDCtxSize();
    z->cws = malloc(csize);
    z->dws = malloc(dsize);
    if (z->cws && z->dws) {
        z->cctx = ZSTD_initStaticCCtx(z->cws, csize);
        z->dctx = ZSTD_initStaticDCtx(z->dws, dsize);
    }
    if (!z->cctx || !z->dctx) {
        snprintf(err, errlen, "zstd: cannot make contexts (%zu + %zu bytes)",
                 csize, dsize);
        ofzst_free(z);
        return -1;
    }
    /* Every frame carries its content size and a checksum of it (XXH64,
     * 4 bytes): the decoder refuses a frame that lacks either. */
    if (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(
            ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_contentSizeFlag, 1))) {
        snprintf(err, errlen, "zstd: cannot set the frame parameters");
        ofzst_free(z);
        return -1;
    }
    z->max_src = max_src;
    z->est[OFZST_FAST].ratio = PRIOR_RATIO_FAST;
    z->est[OFZST_STRONG].ratio = PRIOR_RATIO_STRONG;
    z->est[OFZST_FAST].c_speed = PRIOR_C_FAST;
    z->est[OFZST_STRONG].c_speed = PRIOR_C_STRONG;
    z->d_speed = PRIOR_D;
    return 0;
}

void ofzst_free(struct ofzst *z)
{
    /* Static contexts live in their workspaces: freeing those is all. */
    free(z->cws);
    free(z->dws);
    memset(z, 0, sizeof *z);
}

void ofzst_observe(struct ofzst *z, enum ofzst_level level, size_t in,
                   size_t out, double cpu_s)
{
    if ((level != OFZST_FAST && level != OFZST_STRONG) || in == 0)
        return;
    struct ofzst_est *e = &z->est[level];
    double r = out >= in ? 1.0 : (double)out / (double)in;
    e->ratio = ewma(e->ratio, e->seen, r);
    if (in >= OFZST_MIN_TIMED && cpu_s > 0)
        e->c_speed = ewma(e->c_speed, e->seen, (double)in / cpu_s);
    e->seen++;
    e->last = z->choices;
}

void ofzst_observe_d(struct ofzst *z, size_t out, double cpu_s)
{
    if (out < OFZST_MIN_TIMED || !(cpu_s > 0))
        return;
    z->d_speed = ewma(z->d_speed, z->d_seen, (double)out / cpu_s);
    z->d_seen++;
}

size_t ofzst_compress(struct ofzst *z, enum ofzst_level level, void *dst,
                      size_t cap, const void *src, size_t n)
{
    if ((level != OFZST_FAST && level != OFZST_STRONG) || n == 0 ||
        n > z->max_src)
        return 0;
    const double t0 = cpu_now();
    size_t r = ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel,
                                      ofzst_zlevel(level));
    if (!ZSTD_isError(r))
        r = ZSTD_compress2(z->cctx, dst, cap, src, n);
    const double t1 = cpu_now();
    /* Too small a dst is zstd's "did not fit": as good as no gain. */
    if (ZSTD_isError(r) || r >= n)
        r = 0;
    ofzst_observe(z, level, n, r ? r : n, t1 - t0);
    return r;
}

int ofzst_decompress(struct ofzst *z, void *dst, size_t cap, const void *src,
                     size_t n, size_t *out, char *why, size_t whylen)
{
    const unsigned char *p = src;
    *out = 0;
    if (n < 4 || (p[0] | p[1] << 8 | p[2] << 16 | (unsigned)p[3] << 24) !=
                     ZSTD_MAGICNUMBER) {
        snprintf(why, whylen, "not a zstd frame (bad magic)");
        return -1;
    }
    ZSTD_frameHeader fh;
    const size_t hr = ZSTD_getFrameHeader(&fh, src, n);
    if (ZSTD_isError(hr) || fh.frameType != ZSTD_frame) {
        snprintf(why, whylen, "zstd frame header invalid");
        return -1;
    }
    if (hr != 0) {
        snprintf(why, whylen, "zstd frame header truncated");
        return -1;
    }
    const unsigned long long size = fh.frameContentSize;
    if (size == ZSTD_CONTENTSIZE_UNKNOWN) {
        snprintf(why, whylen, "zstd frame without its content size");
        return -1;
    }
    if (!fh.checksumFlag) {
        snprintf(why, whylen, "zstd frame without a checksum");
        return -1;
    }
    if (size > cap) {
        snprintf(why, whylen, "zstd frame of %llu bytes, over the %zu limit",
                 size, cap);
        return -1;
    }
    const size_t whole = ZSTD_findFrameCompressedSize(src, n);
    if (ZSTD_isError(whole)) {
        snprintf(why, whylen, "zstd frame truncated or corrupt: %s",
                 ZSTD_getErrorName(whole));
        return -1;
    }
    if (whole != n) {
        snprintf(why, whylen, "%zu bytes after the zstd frame", n - whole);
        return -1;
    }
    const double t0 = cpu_now();
    const size_t r = ZSTD_decompressDCtx(z->dctx, dst, cap, src, n);
    const double t1 = cpu_now();
    if (ZSTD_isError(r)) {
        snprintf(why, whylen, "zstd: %s", ZSTD_getErrorName(r));
        return -1;
    }
    if (r != size) {
        snprintf(why, whylen, "zstd frame gave %zu bytes, its header %llu", r,
                 size);
        return -1;
    }
    ofzst_observe_d(z, r, t1 - t0);
    *out = r;
    return 0;
}

double ofzst_cost(const struct ofzst *z, enum ofzst_level level, double bw_Bps,
                  double cpu_share)
{
    if (!(cpu_share > 0))
        cpu_share = 1e-6;
    if (cpu_share > 1)
        cpu_share = 1;
    if (level != OFZST_FAST && level != OFZST_STRONG)
        return 1.0 / bw_Bps;
    const struct ofzst_est *e = &z->est[level];
    return 1.0 / (e->c_speed * cpu_share) + e->ratio / bw_Bps +
           1.0 / z->d_speed;
}

enum ofzst_level ofzst_choose(struct ofzst *z, double bw_Bps, double cpu_share)
{
    enum ofzst_level best = OFZST_NONE;
    double best_cost = ofzst_cost(z, OFZST_NONE, bw_Bps, cpu_share);
    for (int l = OFZST_FAST; l <= OFZST_STRONG; l++) {
        double c = ofzst_cost(z, (enum ofzst_level)l, bw_Bps, cpu_share);
        if (c < best_cost) {
            best_cost = c;
            best = (enum ofzst_level)l;
        }
    }
    z->choices++;
    /* The stalest level not chosen, once it is OFZST_PROBE_EVERY choices
     * old: probed now.  Its observation (the compress call) resets it. */
    enum ofzst_level probe = OFZST_NONE;
    uint64_t oldest = 0;
    for (int l = OFZST_FAST; l <= OFZST_STRONG; l++) {
        uint64_t age = z->choices - z->est[l].last;
        if (l != (int)best && age >= OFZST_PROBE_EVERY && age > oldest) {
            oldest = age;
            probe = (enum ofzst_level)l;
        }
    }
    return probe != OFZST_NONE ? probe : best;
}
