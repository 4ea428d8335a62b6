/*
 * mesh - the simulated converter mesh (issue 14): N nodes, each a
 * bidirectional buck-boost converter (conv.h) from a 12 V input bus onto
 * its own output bus, joined to its neighbours' buses by resistive links,
 * each link through a tie switch (a load switch or eFuse: closed links
 * make one bus of their nodes, open ones leave each node its own voltage;
 * the agents close a failed node's ties so its neighbours feed it over
 * every path it has), with a supercapacitor hold-up circuit and up to
 * MESH_MAX_MODS compute modules (cmod.h) on the bus.  mesh_step advances one
 * control step: the DC power flow (dcnet.h), the hold-up circuits, losses, the
 * modules' work and errors, and the sensors' readings.  Nothing allocates.
 *
 * The hold-up circuit is a supercapacitor stack behind its own
 * bidirectional charger, the way a backup controller such as ADI's
 * LTC3350 does it: idle while the bus is above its threshold (recharging
 * the stack from the input at a fixed rate until full), it supplies the
 * bus when it sags below, as a source at the threshold behind r_hold,
 * current-limited, until the stack is down to its minimum voltage.  The
 * threshold is the highest minimum supply voltage of the node's modules
 * plus a margin, set when a module attaches: so when a node's converter
 * fails its modules are held up while the neighbours take over.
 *
 * Sensors: each reading is the true value plus Gaussian noise, quantised
 * to the ADC's step (PMBus LINEAR16 voltage at 2^-12 V, LINEAR11 current
 * at 1/32 A); a failed node's readings are invalid.
 */
#ifndef WATTSON_MESH_H
#define WATTSON_MESH_H

#include <stdint.h>

#include "cmod.h"
#include "conv.h"
#include "dcnet.h"

#define MESH_MAX_NODES DCNET_MAX_NODES
#define MESH_MAX_MODS 2
#define MESH_ID_LEN 32

enum mesh_err {
    MESH_OK = 0,
    MESH_EPARAM = -1,   /* bad node, slot or value */
    MESH_EFULL = -2,    /* no free module slot / link slot */
    MESH_ERANGE = -3,   /* a voltage outside the module's range */
    MESH_ECOLLAPSE = -4 /* no operating point this step */
};

struct mesh_holdup {
    double c;         /* F: the stack */
    double vmax, vlo; /* V: full, and empty (the charger's minimum) */
    double vc;        /* V: now */
    double ilim;      /* A: the most it supplies to the bus */
    double r_hold;    /* ohm */
    double p_chg;     /* W: recharge rate from the input */
    double eff;       /* charger efficiency, each way */
    double vth;       /* V: the bus threshold (0: disarmed) */
};

struct mesh_reading {
    int valid;
    double v;      /* V: the bus (= the modules' supply) */
    double i_mod;  /* A: the modules together */
    double i_conv; /* A: the converter's output */
    double p_in;   /* W: the converter's (and charger's) input */
    double perf;   /* work / s */
    double err;    /* failures per operation, worst module */
    double soc;    /* 0..1: the hold-up stack's energy */
    int ilim;      /* status: the converter is at its current limit */
};

struct mesh_node {
    struct conv_part conv;
    double duty;
    int failed;
    struct mesh_holdup hold;
    unsigned nmod;
    struct cmod mod[MESH_MAX_MODS];
    char id[MESH_MAX_MODS][MESH_ID_LEN];
    /* the truth of the last step */
    double v, i_conv, i_mod, i_hold, p_mod, perf, err, p_in, p_loss_conv,
        p_loss_link; /* half of each adjacent link's */
    int holding, limited;
    int shed; /* its modules were tripped off this step (a collapse) */
    struct mesh_reading rd;
};

struct mesh {
    struct dcnet net;
    unsigned n;
    double dt;      /* s per step */
    uint64_t steps; /* taken */
    uint64_t rng;
    double noise; /* 1: sensor noise as specified, 0: exact readings */
    struct mesh_node node[MESH_MAX_NODES];
    /* totals of the last step */
    double perf, p_in, p_loss_conv, p_loss_link;
    /* each tie switch senses the buses on both its sides (open or
     * closed): tie_v[k][0] bus a, [1] bus b, as measured */
    double tie_v[DCNET_MAX_LINKS][2];
    double vmargin;    /* min over attached modules of v - vmin (V) */
    unsigned brownout; /* modules below their vmin this step */
};

/* n nodes (1..MESH_MAX_NODES) with the shipped converter at its duty for
 * 0.85 V, a 5 F hold-up stack charged full and disarmed, no module, no
 * link; dt seconds per step; seed for the sensors' noise. */
int mesh_init(struct mesh *m, unsigned n, double dt, uint64_t seed);
/* A link of r ohm between buses a and b through a tie switch, closed or
 * open: its index, or MESH_EPARAM. */
int mesh_link(struct mesh *m, unsigned a, unsigned b, double r, int closed);
/* Link k's tie switch. */
int mesh_tie(struct mesh *m, unsigned k, int closed);
/* Node i's duty: NaN is refused (MESH_EPARAM), else clamped to the
 * part's limits. */
int mesh_set_duty(struct mesh *m, unsigned i, double duty);
/* Attach a module of type t (checked with cmod_check) to node i; the
 * slot, or MESH_EPARAM / MESH_EFULL.  Arms the node's hold-up circuit at
 * the modules' highest vmin + 15 mV. */
int mesh_attach(struct mesh *m, unsigned i, const struct cmod_type *t,
                const char *id, double tamb);
int mesh_detach(struct mesh *m, unsigned i, unsigned slot);
/* Node i's converter fails (1) or recovers (0). */
int mesh_fail(struct mesh *m, unsigned i, int failed);
/* Aging and room temperature of node i's module in slot. */
int mesh_drift(struct mesh *m, unsigned i, unsigned slot, double dvth,
               double tamb);
/* One control step (dt).  MESH_OK or MESH_ECOLLAPSE. */
int mesh_step(struct mesh *m);
/* The steady operating point at the present duties, hold-up circuits
 * ignored and nothing advanced but the truth fields (no noise): what a
 * search over set points evaluates.  MESH_OK or MESH_ECOLLAPSE. */
int mesh_steady(struct mesh *m);

#endif
