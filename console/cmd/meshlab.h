/*
 * meshlab - the `mesh` section of a lab file (issue 14): the converter
 * mesh's topology, its modules, its events and its agents' settings, read
 * from the lab's configuration tree by the mesh's own reader
 * (drivers/mesh/meshcfg.h, which the mesh driver plugin uses too) and its
 * agents' settings here, then built into a plant and its agents.  The section
 * (lua-policies/labs/mesh/README.md has it all):
 *
 *   mesh = {
 *     nodes = 9,                          -- 1..64 converter nodes
 *     topology = "grid", cols = 3,        -- or "ring", "line", or links
 *     link_r = 0.010,                     -- ohm, every link's default
 *     links = { { 1, 2, r = 0.012 }, ... }, -- instead of a topology
 *     modules = { { node = 1, type = "cpu", id = "cpu-a",
 *                   ambient_c = 30 }, ... },
 *     events = { { at = "15s", fail = 5 }, { at = "16s", recover = 5 },
 *                { at = "17s", detach = 3 },
 *                { at = "17s", attach = 3, type = "gpu", id = "gpu-b" },
 *                { at = "20s", drift = 4, dvth = 0.02, ambient_c = 40 } },
 *     agents = { controller = "q", alpha = 0.1, gamma = 0.9,
 *                epsilon = 0.2, epsilon_floor = 0.02, duty_step = 4e-4,
 *                latency = 0, loss = 0.01, ... },
 *   }
 *
 * Nodes are numbered from 1 in the file, from 0 inside.  Every error is
 * one line naming the file and the field ("ring.lua: mesh.modules.3.node:
 * no node 13 (the mesh has 12)").
 */
#ifndef WATTSON_MESHLAB_H
#define WATTSON_MESHLAB_H

#include <stddef.h>
#include <stdint.h>

#include "engines/qmesh.h"
#include "mesh/mesh.h"

#include "mesh/meshcfg.h"

struct lab;

struct meshlab {
    char name[64];
    struct meshcfg p; /* the plant: nodes, links, modules, events */
    struct qmesh_cfg agents;
    double tick_s, duration_s;
    uint64_t seed;
};

/* The lab's mesh section into ml: 0, or -1 with one line in err (a lab
 * without one is an error too: "no mesh section"). */
int meshlab_read(const struct lab *lab, struct meshlab *ml, char *err,
                 size_t errlen);
/* The plant (and, q not NULL, its agents with cfg's controller) of ml at
 * time 0: the modules attached at their nominal voltage.  0 or -1 (err). */
int meshlab_build(const struct meshlab *ml, const struct qmesh_cfg *cfg,
                  struct mesh *m, struct qmesh *q, char *err, size_t errlen);
/* Applies the events due in (t0, t1] to m and, q not NULL, tells its
 * agents of modules that came and went.  Returns how many took. */
unsigned meshlab_events(const struct meshlab *ml, double t0, double t1,
                        struct mesh *m, struct qmesh *q);

/* What each node's controller measures this step (sensor readings, its
 * converter's duty, slope and set point, the far buses its ties sense),
 * from plant m for agents q: the glue `bench mesh` and the tests put
 * between the plant and the agents (in a run, engines/meshag.c reads the
 * same from the model). */
void meshlab_observe(const struct mesh *m, const struct qmesh *q,
                     struct qmesh_obs *o);

#endif
