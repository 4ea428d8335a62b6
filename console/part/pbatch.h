/*
 * pbatch - seeded streams of training batches' characteristics (issue 15,
 * for the data profiler: part/pdata.h): what a data loader hands the
 * pipeline, batch after batch.
 *
 * Sentence lengths (GNMT, WMT16 English-German with a 32k BPE vocabulary,
 * as in MLPerf's rnn_translator): an ASSUMPTION, no published histogram
 * was at hand: a source sentence's length in tokens is log-normal with
 * median PBATCH_LEN_MEDIAN (22) and sigma PBATCH_LEN_SIGMA (0.55), redrawn
 * until it lies in [2, 48] (48: the reference's training maximum,
 * --max-length-train 50 less BOS and EOS, and the length gnmt.txt was
 * profiled at, part/pdata.h); its translation's length is the source's
 * times a log-normal ratio of median 1 and sigma 0.15, in [2, 48].  A batch
 * of `batch` sentences is padded to its longest: src = the longest
 * source, tgt = the longest target less one (the decoder reads the target
 * without its last token, as the profile's 47 does).
 *
 * Buckets: source lengths 2..11, 12..20, 21..30, 31..39, 40..48 (five of
 * equal width over the range); a batch's sentences all come from one.
 *   PBATCH_PHASES     a sampler that drains one bucket before the next:
 *                     `phase` batches from a bucket, then another bucket
 *                     (drawn by its share of the sentences, never the
 *                     same one twice in a row);
 *   PBATCH_SHUFFLED   every batch from a bucket drawn by its share
 *                     (bucketed batches shuffled, as bucketing samplers do
 *                     between epochs): stationary;
 *   PBATCH_SORTED     the whole run's sentences sorted by source length
 *                     and cut into consecutive batches: Deep Speech 2's
 *                     SortaGrad (Amodei et al., ICML 2016; its first epoch
 *                     in increasing order of length), a slow ramp.
 * Images (Darknet's multi-scale YOLO training, part/pdata.h):
 *   PBATCH_MULTISCALE every `period` batches (Darknet: 10) a new square
 *                     size (rand() % 10 + 10) * 32, 320..608 with equal
 *                     odds; Darknet's last 200 batches at 608 are not
 *                     modelled (a run here is a stretch of the middle of
 *                     training).
 * Every stream is a function of its seed alone.
 */
#ifndef WATTSON_PBATCH_H
#define WATTSON_PBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "part/pdata.h"

#define PBATCH_LEN_MEDIAN 22.0
#define PBATCH_LEN_SIGMA 0.55
#define PBATCH_LEN_MIN 2
#define PBATCH_LEN_MAX 48
#define PBATCH_NBUCKET 5
#define PBATCH_DIM_MIN 320
#define PBATCH_DIM_STEP 32
#define PBATCH_NDIM 10

enum pbatch_kind {
    PBATCH_PHASES,
    PBATCH_SHUFFLED,
    PBATCH_SORTED,
    PBATCH_MULTISCALE
};

struct pbatch_cfg {
    enum pbatch_kind kind;
    uint64_t seed;
    unsigned batch;  /* sentences per batch (gnmt.txt's: 32) */
    unsigned phase;  /* PBATCH_PHASES: batches per bucket */
    unsigned period; /* PBATCH_MULTISCALE: batches per size */
};

/* The first n batches of the stream into out.  0, or -1 (a count of 0
 * where one is needed, out of memory for PBATCH_SORTED). */
int pbatch_fill(const struct pbatch_cfg *c, struct pdata_batch *out, size_t n);

/* Bucket k's source lengths, [lo, hi]. */
void pbatch_bucket(unsigned k, unsigned *lo, unsigned *hi);

/* The stream's name ("phases", ...). */
const char *pbatch_name(enum pbatch_kind k);

#endif
