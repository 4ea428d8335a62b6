/*
 * pdata - a layer's cost as a function of the batch it runs (issue 15,
 * the data profiler of the first seed): what a batch's characteristics
 * (its padded sequence lengths, its image size) do to each layer's work
 * and to the activation it hands on, relative to the batch the model was
 * profiled (or its FLOPs counted) at.  Layers of different kinds scale
 * differently, so the best pipeline partition (part/ppipe.h) moves with
 * the data.
 *
 * Every layer's work is a mix of a few scaling classes, each a factor of
 * the batch relative to the profiled one:
 *   const     1: the layer does not see the varying dimension
 *   src       S / S0: per source token (recurrent and per-token layers of
 *             the encoder: embedding, LSTM, dropout, add, concat)
 *   tgt       T / T0: per target token (the decoder's, its classifier)
 *   src_tgt   S T / (S0 T0): one unit per pair of source and target
 *             tokens (the attention's scores and context); quadratic in
 *             the length when both vary together
 *   pixels    w h / (w0 h0): per output pixel (convolution, pooling,
 *             upsampling, routes, detection heads)
 * so work(batch) = base work x sum over classes of share x factor: linear
 * in the factor vector, which is what lets the predictor (engines/
 * pdpred.h) forecast a handful of factors instead of every layer, and
 * makes the mean work over a window exactly the work at the window's mean
 * factors.  Activation bytes follow one class per layer (the class of its
 * output: a token's or a pixel's worth).
 *
 * Sequence models (a graph with an LSTM/GRU/RNN, an Embedding or an
 * attention layer; kinds as part/pdprof.h keeps them):
 *   - the attention layers are those whose kind holds "Attention"; the
 *     encoder is every node on a path through a recurrent layer that is an
 *     ancestor of the attention, up to the attention; the decoder is the
 *     rest (the target embedding, which reaches the attention directly,
 *     and everything after it).  With no attention the model has one
 *     sequence and every layer scales with src.
 *   - GNMT's RecurrentAttention is an LSTM cell (per target token) and a
 *     Bahdanau attention, whose B x T x S x H score tensor makes its cost
 *     per (source, target) pair.  PDATA_ATTN_PAIR_SHARE of its time is
 *     taken as the pair part: in the profile (gnmt.txt) the layer takes
 *     4.546 + 6.141 ms where the plain LSTM(1024, 1024) beside it takes
 *     2.491 + 4.203 ms; the 3.99 ms difference, 37 %, is the attention.
 *   - Every other layer is per token of its side (the embeddings' very
 *     different backward times, 6.9 and 0.3 ms, are taken as measured,
 *     scaled like the rest).
 *   - The profiled lengths: S0 = 48, T0 = 47 (PDATA_GNMT_SRC/_TGT), read
 *     off gnmt.txt's own activation sizes at hidden size 1024 in fp32:
 *     the encoder's 6291456 bytes = 32 x 48 x 1024 x 4, the decoder's
 *     6160384 = 32 x 47 x 1024 x 4, the attention's score output 288768 =
 *     32 x 47 x 48 x 4 (batch 32; the decoder reads the target less its
 *     last token).  48 is the training maximum of the MLPerf / NVIDIA GNMT
 *     reference (rnn_translator's --max-length-train 50 counts BOS and
 *     EOS), so the profile is a batch of the longest sentences.
 *
 * Vision models (otherwise):
 *   - a layer whose output no longer has the input's spatial extent fixes
 *     the size: PipeDream's View (the flatten before the classifier),
 *     Linear, AdaptiveAvgPool2d; Darknet's [connected] and [avgpool]
 *     (a global average).  Everything after such a layer is const;
 *     Linear and connected layers themselves are const; a global pooling
 *     layer's work is per input pixel (it reads the whole map), its output
 *     const.  Every other layer is per pixel.
 *   - the profiled size: a Darknet cfg's [net] width x height, recovered
 *     as a square from mgraph's in_bytes (width x height x 3 floats); a
 *     profile's 224 x 224 (the ImageNet crop PipeDream's image models
 *     take).  A caller may give its own.
 *   - Darknet's multi-scale training (a detection head with random=1):
 *     examples/detector.c's train_detector, every 10 iterations
 *     (`count++ % 10 == 0`), picks dim = (rand() % 10 + 10) * 32, one of
 *     320, 352, ..., 608 with equal odds (608 for the last 200 batches)
 *     and resize_network()s to dim x dim; part/pbatch.h generates it.
 *   - a network whose every layer is per pixel (yolov3-tiny) scales as a
 *     whole: its best plan does not move with the size (up to the links'
 *     fixed latency), only its pace does.
 */
#ifndef WATTSON_PDATA_H
#define WATTSON_PDATA_H

#include <stddef.h>
#include <stdint.h>

#include "part/mgraph.h"
#include "part/ppipe.h"

enum pdata_class {
    PDATA_CONST,
    PDATA_SRC,
    PDATA_TGT,
    PDATA_SRC_TGT,
    PDATA_PIXELS,
    PDATA__N
};

enum pdata_kind { PDATA_SEQ, PDATA_VISION };

#define PDATA_GNMT_SRC 48
#define PDATA_GNMT_TGT 47
#define PDATA_IMAGENET_SIDE 224
#define PDATA_ATTN_PAIR_SHARE 0.37

/* One batch's characteristics: padded source and target lengths (tokens)
 * for a sequence model, image width and height (pixels) for a vision one;
 * the others are ignored. */
struct pdata_batch {
    double src, tgt;
    double w, h;
};

struct pdata_layer {
    double share[PDATA__N]; /* its work's shares (sum 1) */
    unsigned char act;      /* its activation's class */
};

struct pdata {
    enum pdata_kind kind;
    struct pdata_batch base; /* what the model was profiled at */
    size_t n;
    struct pdata_layer *layer; /* per node of the graph */
    unsigned used;             /* bit per class some layer has */
};

/* Classifies g's layers (order: a topological order of g, mgraph_topo);
 * base NULL: the profiled batch above.  0, or -1 with one line in err
 * (out of memory, a base that is not positive). */
int pdata_init(struct pdata *d, const struct mgraph *g, const uint32_t *order,
               const struct pdata_batch *base, char *err, size_t errlen);
void pdata_free(struct pdata *d);

/* The factor of every class for batch b (f[PDATA_CONST] = 1). */
void pdata_factors(const struct pdata *d, const struct pdata_batch *b,
                   double f[PDATA__N]);
/* The mean factors of batch[0..n) (n > 0). */
void pdata_mean(const struct pdata *d, const struct pdata_batch *batch,
                size_t n, double f[PDATA__N]);
/* Layer u's work at factors f, given its base work. */
double pdata_layer_work(const struct pdata *d, size_t u, double base_ms,
                        const double f[PDATA__N]);
/* The class's name ("src_tgt"). */
const char *pdata_class_name(enum pdata_class c);

/* A model as it runs a given batch: a copy of its graph whose nodes carry
 * the scaled activation bytes and its own work array, behind a ppipe_in
 * for the partitioner.  The view points into itself: do not move it
 * after pdata_view_init.  The base's arrays must outlive it. */
struct pdata_view {
    struct mgraph g; /* shares the base's edges; its own nodes */
    double *work;
    struct ppipe_in in;
    const struct ppipe_in *base;
};

/* 0, or -1 out of memory. */
int pdata_view_init(struct pdata_view *v, const struct pdata *d,
                    const struct ppipe_in *base);
/* The view at factors f (allocates nothing). */
void pdata_view_set(struct pdata_view *v, const struct pdata *d,
                    const double f[PDATA__N]);
void pdata_view_free(struct pdata_view *v);

#endif
