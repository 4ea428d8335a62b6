/*
 * dncfg - the Darknet network definition reader (issue 15): a `.cfg`
 * file's `[net]` and layer sections become an mgraph with every layer's
 * output shape, FLOPs, parameter bytes and activation bytes, computed as
 * Darknet (pjreddie's, as Debian packages it: 0.0.0+git20180914) computes
 * them when it parses the same file.
 *
 * Nodes are named by Darknet's layer index ("0", "1", ...: the numbers
 * Darknet prints and that `[route] layers=` counts absolutely) and their
 * kind is the section's canonical name ("convolutional" for `[conv]` too).
 * Layer 0 reads the network input, which is not a node.  Every layer reads
 * the layer before it (an edge), except `[route]`, which reads exactly the
 * layers it lists; `[shortcut]` reads the layer before it and its `from=`.
 *
 * Per sample: act_bytes = out_c*out_h*out_w*4 (float32); flops counts a
 * multiply-add as 2, Darknet's convention (`darknet ops` and its BFLOPs
 * column), for convolutional, deconvolutional, local and connected layers;
 * the other layers get small honest counts Darknet does not print (a max
 * pool one comparison per window element, an average pool one add per
 * input element, shortcut/activation one op per output element, batchnorm
 * 2, softmax 3, copies such as route, upsample, crop, reorg, dropout and
 * the detection heads 0).  param_bytes is what Darknet keeps in a
 * .weights file, 4 bytes each: weights and biases, plus scales, rolling
 * means and variances for a batch-normalised layer.
 *
 * Stricter than Darknet, which warns and goes on with a default or
 * garbage: an unknown or unsupported section, a key line without '=', a
 * key given twice in a section, a value that is not a whole integer where
 * one is read, a missing filters=/size= (convolutional, local,
 * deconvolutional), output= (connected), layers= (route), from=
 * (shortcut), crop_width=/crop_height= (crop), a missing or non-positive
 * [net] width/height/channels, a route or shortcut to a layer that is not
 * before this one, route inputs of different sizes, a detection head whose
 * input does not have the channels its classes need, and an output shape
 * that is empty or over DNCFG_MAX_ELEMS are each refused, as is a file of
 * more than 10,000 layers or 20,000 edges (mgraph's edge list checks for
 * duplicates linearly, so a hostile file could make it quadratic).  Keys this
 * reader does not use (training settings, activation=, ...) are ignored.
 *
 * A shortcut whose two inputs differ in size is accepted exactly where
 * Darknet's shortcut_cpu() accepts it (the same integer ratio across width
 * and height, channels cut or zero-filled: resnet18/50's strided blocks
 * rely on it); its output has the previous layer's shape.
 */
#ifndef WATTSON_DNCFG_H
#define WATTSON_DNCFG_H

#include <stddef.h>

#include "part/mgraph.h"

/* No layer output may hold more elements than this (per sample), so
 * that shapes fit an int and a hostile file cannot ask for terabytes. */
#define DNCFG_MAX_ELEMS (1L << 30)
/* dncfg_read_file refuses a file larger than this. */
#define DNCFG_MAX_FILE (16u << 20)

/* Parses `len` bytes of cfg text; `fname` names it in messages and gives
 * the model its name (base name without ".cfg").  `g` need not be
 * initialised.  0 with the graph in g (free with mgraph_free), g->batch
 * the [net] batch divided by its subdivisions (what Darknet runs at once);
 * or -1 with g empty and one line in err: "FNAME:LINE: [section] key=value:
 * why" (or "FNAME:LINE: [section]: why" when no key is to blame). */
int dncfg_read_buf(const char *text, size_t len, const char *fname,
                   struct mgraph *g, char *err, size_t errlen);
/* The same for the file at `path` ("PATH: why" when it cannot be read). */
int dncfg_read_file(const char *path, struct mgraph *g, char *err,
                    size_t errlen);

#endif
