/*
 * ofzst - zstd compression for the offload protocol (issue 18) with a
 * level that follows the measured bandwidth and CPU headroom (the third
 * design document's "dynamically adjust compression levels based on
 * bandwidth").  Pure C over Debian's libzstd: no sockets, no event loop.
 *
 * Three levels: OFZST_NONE (the chunk is sent raw), OFZST_FAST (zstd
 * level 1) and OFZST_STRONG (zstd level OFZST_STRONG_ZLEVEL = 5).  Why 5:
 * measured on this project's synthetic activations (core/oftensor.c,
 * binary16 after ReLU, 1 MiB chunks, seed 7; test_ofzst prints the
 * 44 % columns again on every run), libzstd 1.5.4, gcc -O2, best of three
 * runs on the 2-core development VM (MB/s of input per CPU second):
 *
 *            44 % zeros (the default)     70 % zeros
 *    level   ratio   comp.  decomp.     ratio   comp.  decomp.
 *        1   0.636    221     669       0.412    234     606
 *        2   0.632    175     729       0.401    180     568
 *        3   0.636     89     756       0.401    132     676
 *        5   0.628     40     655       0.393     55     704
 *        9   0.627     23     637       0.391     33     763
 *       12   0.626     11     621       0.390     15     745
 *       19   0.613    1.6    1357       0.378    1.7     792
 *
 * Activations leave little for a stronger level: the zeros and the
 * exponent bytes are what compresses, and level 1 finds them.  Level 5
 * takes about 90 % of what level 9 gains over level 1 (0.008 of 0.009,
 * and 0.019 of 0.020) at about 1.7 times level 9's speed; levels 12 to
 * 19 save another 0.1 to 1.5 % of the bytes for 2 to 25 times the CPU,
 * and a 1 MiB chunk at level 19 would hold the session's event loop for
 * over half a second.  STRONG pays off only on slow links: with the
 * figures above it beats FAST under about 0.4 MB/s (44 % zeros).
 *
 * One struct ofzst holds one ZSTD_CCtx and one ZSTD_DCtx, both made once
 * by ofzst_init in a workspace sized there (zstd's static contexts,
 * ZSTD_initStaticCCtx/DCtx) for chunks of at most max_src bytes, so no
 * compress or decompress call allocates (test_ofzst counts).
 *
 * The level policy.  Per level the context keeps an EWMA (weight
 * OFZST_EWMA_ALPHA for the newest) of the compression ratio (bytes out
 * per byte in) and of the compression throughput (bytes of input per
 * CPU second, CLOCK_THREAD_CPUTIME_ID around the real call: CPU time,
 * not wall time, so a busy machine does not look like a slow
 * compressor; the share of a core left is the caller's cpu_share), and
 * one EWMA of the decompression throughput for all levels: zstd's own
 * README notes that its decompression speed stays roughly the same at
 * every level, and the receiver cannot tell a frame's level.  Every
 * ofzst_compress records itself; ofzst_observe takes a measurement made
 * elsewhere (the bench, the tests' injected ones).  ofzst_choose then
 * returns the level with the least expected time per input byte,
 *
 *     NONE:  1 / bw
 *     L:     1 / (c_speed(L) * cpu_share) + ratio(L) / bw + 1 / d_speed
 *
 * (compress, send, decompress, not overlapped: a chunk is compressed
 * before it is sent; the pipelining of chunks is the session's).
 *
 * Priors, before a level is observed: ratios 0.64 (FAST) and 0.63
 * (STRONG), the measurement above at the default sparsity; compression
 * 530 MB/s at level 1 and decompression 1700 MB/s, zstd's README
 * benchmark table for zstd 1.5.1 -1 (Silesia corpus, Core i7-9700K at
 * 4.9 GHz); for level 5, 530 MB/s scaled by the ratio of the two levels'
 * speeds measured above (40 / 221), 95 MB/s.  A measurement replaces the
 * prior outright (the EWMA starts at the first sample), so the priors
 * only decide the first chunks.
 *
 * Re-probing: a level not observed for OFZST_PROBE_EVERY choices is
 * returned once by ofzst_choose whatever it costs (the stalest first), so
 * that a change in the data (sparser activations, another layer) is
 * noticed by a level the policy had stopped using; at most one chunk in
 * OFZST_PROBE_EVERY pays for it.
 */
#ifndef WATTSON_OFZST_H
#define WATTSON_OFZST_H

#include <stddef.h>
#include <stdint.h>

enum ofzst_level { OFZST_NONE = 0, OFZST_FAST = 1, OFZST_STRONG = 2 };
#define OFZST_LEVELS 3

#define OFZST_FAST_ZLEVEL 1
#define OFZST_STRONG_ZLEVEL 5
#define OFZST_EWMA_ALPHA 0.25
#define OFZST_PROBE_EVERY 64u
/* Measurements of fewer input bytes than this keep their ratio but not
 * their speed: the clock's resolution and the call's fixed cost would
 * dominate. */
#define OFZST_MIN_TIMED 4096u

struct ofzst_est {
    double ratio;   /* output bytes per input byte, <= 1 */
    double c_speed; /* input bytes per CPU second, compressing */
    uint64_t seen;  /* observations so far */
    uint64_t last;  /* z->choices at the latest one */
};

struct ofzst {
    void *cws, *dws;   /* the contexts' workspaces (static contexts) */
    void *cctx, *dctx; /* ZSTD_CCtx *, ZSTD_DCtx * inside them */
    size_t max_src;
    struct ofzst_est est[OFZST_LEVELS]; /* [OFZST_NONE] unused */
    double d_speed;                     /* output bytes per CPU second */
    uint64_t d_seen;
    uint64_t choices; /* ofzst_choose calls so far */
};

/* Makes the contexts for chunks of at most max_src bytes.  0, or -1 with
 * a reason in err. */
int ofzst_init(struct ofzst *z, size_t max_src, char *err, size_t errlen);
void ofzst_free(struct ofzst *z);

/* The zstd level of a policy level (0 for OFZST_NONE). */
int ofzst_zlevel(enum ofzst_level level);
const char *ofzst_level_name(enum ofzst_level level);

/* Compresses n bytes of src (n <= max_src) at level into dst (cap bytes)
 * as one zstd frame with its content size and checksum.  Returns the frame's
 * size, or 0 when the level is OFZST_NONE, the frame does not fit in cap, or it
 * is not smaller than n: the caller then sends src raw.  Records its ratio and
 * CPU time (ofzst_observe). */
size_t ofzst_compress(struct ofzst *z, enum ofzst_level level, void *dst,
                      size_t cap, const void *src, size_t n);

/* Decompresses src (n bytes, from the network: untrusted) into dst.
 * Refuses, -1 with a one-line reason, anything but exactly one whole
 * zstd frame whose header declares its content size and a checksum
 * (what ofzst_compress writes), that size at most cap, and whose content
 * decodes to exactly that size with a matching checksum.  0 with *out the
 * size.  Records the decompression speed. */
int ofzst_decompress(struct ofzst *z, void *dst, size_t cap, const void *src,
                     size_t n, size_t *out, char *why, size_t whylen);

/* One compression of in bytes to out bytes (out = in when it did not
 * shrink) that took cpu_s CPU seconds at level. */
void ofzst_observe(struct ofzst *z, enum ofzst_level level, size_t in,
                   size_t out, double cpu_s);
/* One decompression to out bytes that took cpu_s CPU seconds. */
void ofzst_observe_d(struct ofzst *z, size_t out, double cpu_s);

/* The expected seconds per input byte of sending at level over a link
 * of bw_Bps bytes per second with cpu_share of a core, by the formula
 * above and the current estimates. */
double ofzst_cost(const struct ofzst *z, enum ofzst_level level, double bw_Bps,
                  double cpu_share);

/* The level to send the next chunk at (see the header comment; counts
 * the choice for re-probing).  bw_Bps > 0; cpu_share in (0, 1], clamped
 * there. */
enum ofzst_level ofzst_choose(struct ofzst *z, double bw_Bps, double cpu_share);

#endif
