/*
 * pcplx - the input's complexity score (issue 15, the second seed's Input
 * Analysis Module): a number from 0 to 100, higher for an input that is
 * harder to process, from which split inference (part/psplit.h) scales
 * every layer's compute.
 *
 * For an image (JPEG through Debian's libjpeg-turbo, PNG through libpng's
 * simplified API), two features of its decoded grey levels:
 *   entropy       the Shannon entropy of the 256-bin grey-level histogram,
 *                 0 (one level) to 8 bits (all levels equally often);
 *   edge density  the share of interior pixels whose Sobel gradient
 *                 magnitude, sqrt(gx^2 + gy^2) on 0..255 levels, is at
 *                 least PCPLX_EDGE (a step of 32 levels between
 *                 neighbours: |g| = 4 x the step); 0 for images under 3x3.
 * combined as score = 50 x entropy / 8 + 50 x min(1, edges / PCPLX_EDGE_SAT):
 * each feature half of the scale, edge density saturating at
 * PCPLX_EDGE_SAT (half the pixels on an edge).  On the photos Debian's
 * darknet ships (/usr/share/darknet/data) entropy is 6.8 to 7.7 bits and
 * edge density 0.05 (kite: sky) to 0.61 (giraffe: grass), scores 49 to
 * 98.  The seed names both features and proposes a trained model for the
 * mapping, which this is not: a fixed, documented formula.  A uniform
 * image scores 0.
 *
 * For a sequence model (GNMT) the score is the sequence's length over the
 * longest it handles, x 100: attention and recurrence work grow with it.
 *
 * The score scales compute as scale = 0.5 + score / 100 (the seed says
 * only "higher complexity = ... pushing more processing to remote
 * resources"): 0.5 x the profiled work for the simplest input, 1 at 50,
 * 1.5 at 100.  Since transfers do not scale, a higher score makes the
 * faster remote tiers worth more of the layers.
 *
 * Errors: a file that is neither JPEG nor PNG, one the library refuses,
 * one it can only read with a warning (a truncated or corrupt JPEG, which
 * libjpeg would otherwise fill with grey), an arithmetic-coded JPEG
 * (whose size, unlike Huffman data's, does not bound the decoding work),
 * and one over PCPLX_MAX_PIXELS
 * are one line "FILE: why".  libjpeg's errors come back through its error
 * manager (a longjmp to this module, never exit()); libpng's simplified
 * API keeps its own.
 */
#ifndef WATTSON_PCPLX_H
#define WATTSON_PCPLX_H

#include <stddef.h>
#include <stdint.h>

#define PCPLX_EDGE 128.0
#define PCPLX_EDGE_SAT 0.5
#define PCPLX_MAX_PIXELS (64u << 20)

struct pcplx_feat {
    unsigned width, height;
    double entropy;      /* bits, 0..8 */
    double edge_density; /* 0..1 */
};

/* The features of w x h grey levels, row-major. */
void pcplx_gray(const uint8_t *px, unsigned w, unsigned h,
                struct pcplx_feat *f);
/* The features of a JPEG or PNG image of `len` bytes; fname names it in
 * messages.  0, or -1 with "FNAME: why" in err. */
int pcplx_image_buf(const void *buf, size_t len, const char *fname,
                    struct pcplx_feat *f, char *err, size_t errlen);
/* The same for the file at path. */
int pcplx_image_file(const char *path, struct pcplx_feat *f, char *err,
                     size_t errlen);

/* The score of an image's features, 0..100. */
double pcplx_score(const struct pcplx_feat *f);
/* A sequence of len tokens out of max_len, 0..100 (len clamped). */
double pcplx_seq_score(double len, double max_len);
/* The compute multiplier of a score: 0.5 + score / 100. */
double pcplx_scale(double score);

#endif
