/*
 * meshcfg - a converter mesh's description (issue 14): its nodes and
 * links, its modules and its events, read from configuration through
 * path accessors, so that one reader serves both the lab file's `mesh`
 * section (console/cmd/meshlab.c adapts the lab's tree) and the mesh
 * driver plugin's own lab entry (meshdrv.c hands the host's accessors),
 * then built into a plant (mesh.h).  The keys are documented in
 * lua-policies/labs/mesh/README.md.
 *
 * Checked beyond each field's type and range: that the links make one
 * connected mesh (a node nothing reaches could never be fed if its
 * converter failed, and its agent would have no neighbour), that modules
 * and events name nodes that exist, that a node's modules fit its slots,
 * that a module's `vnom` is inside its part's range, and that events fall
 * inside the run.  Every error is one line naming the field.
 */
#ifndef WATTSON_MESHCFG_H
#define WATTSON_MESHCFG_H

#include <stddef.h>
#include <stdint.h>

#include "mesh.h"

#define MESHCFG_MAX_EVENTS 64
#define MESHCFG_MAX_MODS (MESH_MAX_NODES * MESH_MAX_MODS)

/* Path accessors, as the plugin ABI's host hands them (wattson/plugin.h:
 * types are enum wattson_cfg_type; paths are dotted, arrays 1-based). */
struct meshcfg_src {
    void *ctx;
    int (*type)(void *ctx, const char *path);
    int (*number)(void *ctx, const char *path, double *out);
    const char *(*string)(void *ctx, const char *path);
    size_t (*len)(void *ctx, const char *path);
    const char *(*key)(void *ctx, const char *path, size_t i);
};

enum meshcfg_ev {
    MESHCFG_FAIL,
    MESHCFG_RECOVER,
    MESHCFG_ATTACH,
    MESHCFG_DETACH,
    MESHCFG_DRIFT
};

struct meshcfg_event {
    double at_s;
    enum meshcfg_ev kind;
    unsigned node;
    const struct cmod_type *type; /* attach */
    char id[MESH_ID_LEN];         /* attach */
    double dvth, tamb;            /* drift; attach: tamb */
};

struct meshcfg {
    unsigned n, nl;
    struct {
        unsigned a, b;
        double r;
    } link[DCNET_MAX_LINKS];
    unsigned nmod;
    struct {
        unsigned node;
        const struct cmod_type *type;
        char id[MESH_ID_LEN];
        double tamb;
    } mod[MESHCFG_MAX_MODS];
    unsigned nev;
    struct meshcfg_event ev[MESHCFG_MAX_EVENTS]; /* sorted by at_s */
};

/* The description under `base` ("" or a path such as "mesh"); `shown`
 * prefixes field names in messages ("mesh", "drivers.2"); `extra` lists
 * the other keys the table may hold (NULL-terminated, or NULL); events
 * must fall in [0, duration_s].  0, or -1 with one line in err. */
int meshcfg_read(const struct meshcfg_src *src, const char *base,
                 const char *shown, const char *const *extra, double duration_s,
                 struct meshcfg *mc, char *err, size_t errlen);
/* The plant at time 0: dt s per step, seed for its sensors' noise, every
 * module attached and its node at the module's nominal voltage.  0 or -1
 * (err). */
int meshcfg_build(const struct meshcfg *mc, double dt, uint64_t seed,
                  struct mesh *m, char *err, size_t errlen);
/* Applies to m the events due in (t0, t1], in order, calling on(ctx, e)
 * after each that took (an attach to a full node does not; NULL: none).  A
 * module is powered up at its nominal voltage (its node's duty is set before it
 * is enabled).  Returns how many took. */
unsigned meshcfg_events(const struct meshcfg *mc, double t0, double t1,
                        struct mesh *m,
                        void (*on)(void *ctx, const struct meshcfg_event *e),
                        void *ctx);

#endif
