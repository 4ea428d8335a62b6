/*
 * dcnet - the DC power flow of a converter mesh (issue 14): node voltages,
 * converter and link currents of a network of droop-controlled converter
 * outputs joined by resistive links and loaded by compute modules, solved
 * by nodal analysis each step.  The mesh plant (drivers/mesh/) builds one
 * from the lab and calls dcnet_solve every step; nothing here allocates
 * after dcnet_init.
 *
 * The model (the usual one for a DC microgrid of paralleled converters):
 *
 *   - Node i's converter, when it is up, is a Thevenin source at its
 *     output: set point vset_i behind its droop resistance rdroop_i (the
 *     virtual output resistance a droop controller gives it, so that
 *     paralleled converters share current).  It is bidirectional: its
 *     current (vset_i - V_i) / rdroop_i may be negative.  A failed
 *     converter is an open circuit.
 *   - Link (a, b) is a resistance r between the output buses of nodes a
 *     and b (copper, connectors); a link that is down is open.
 *   - Node i's load (its compute modules together) is a ZIP load: a
 *     conductance g_i, a constant current ic_i and a constant power p_i,
 *     I_i(V) = g_i V + ic_i + p_i / V, the standard static load model of
 *     power-flow studies (constant impedance, current, power).
 *
 * Kirchhoff's current law at every node gives F(V) = G V - s + I(V) = 0,
 * with G the links' conductance Laplacian plus 1 / rdroop_i on the
 * diagonal of the converters that are up, s_i = vset_i / rdroop_i.  With
 * constant-power loads F is nonlinear; dcnet_solve runs Newton's method
 * on it (Jacobian G + diag(g_i - p_i / V_i^2)), each step a dense LU
 * solve with partial pivoting (dcnet.c says why not LAPACK).  A node in a
 * part of the network that no converter feeds has no defined voltage: it
 * is set to 0 and reported unfed, its load unserved.
 */
#ifndef WATTSON_DCNET_H
#define WATTSON_DCNET_H

#include <stddef.h>

#define DCNET_MAX_NODES 64
#define DCNET_MAX_LINKS 256

enum dcnet_err {
    DCNET_OK = 0,
    DCNET_EPARAM = -1,   /* a value out of range (dcnet_init / _set_*) */
    DCNET_ECOLLAPSE = -2 /* no operating point: the loads want more power
                            than the network can carry (voltage collapse),
                            or Newton did not converge */
};

struct dcnet_link {
    unsigned a, b; /* node indices, a != b */
    double r;      /* ohm, > 0 */
    int up;
};

struct dcnet_node {
    /* converter */
    int conv_up;
    double vset;   /* V, >= 0 */
    double rdroop; /* ohm, > 0 */
    /* load: I(V) = g V + ic + p / V */
    double g, ic, p; /* S >= 0, A (either sign: a linearised load's
                        offset), W >= 0 */
    /* auxiliary source into the node: aux_i - aux_g V (a supercapacitor
     * behind its resistance, or a current-limited path as a current
     * source); a node with aux_g > 0 feeds its part like a converter */
    double aux_g, aux_i; /* S >= 0, A (either sign) */
};

struct dcnet {
    unsigned n, nl;
    struct dcnet_node node[DCNET_MAX_NODES];
    struct dcnet_link link[DCNET_MAX_LINKS];
    /* results of the last dcnet_solve */
    double v[DCNET_MAX_NODES];      /* node voltage, V (0: unfed) */
    double i_conv[DCNET_MAX_NODES]; /* converter output current, A */
    double i_aux[DCNET_MAX_NODES];  /* auxiliary source current, A */
    double i_load[DCNET_MAX_NODES]; /* load current, A */
    double i_link[DCNET_MAX_LINKS]; /* a -> b, A */
    int fed[DCNET_MAX_NODES];       /* 1: some converter feeds it */
    unsigned iters;                 /* Newton iterations taken */
    /* scratch, sized once */
    double jac[DCNET_MAX_NODES][DCNET_MAX_NODES];
    double rhs[DCNET_MAX_NODES];
    unsigned piv[DCNET_MAX_NODES];
    int comp[DCNET_MAX_NODES];
};

/* n nodes (1..DCNET_MAX_NODES), all converters down, no load, no link.
 * 0 or DCNET_EPARAM. */
int dcnet_init(struct dcnet *d, unsigned n);
/* Adds a link; its index (>= 0) or DCNET_EPARAM (bad node, a == b,
 * r not positive and finite, or too many links). */
int dcnet_add_link(struct dcnet *d, unsigned a, unsigned b, double r);
/* Node i's converter: up or not, set point and droop resistance.  0 or
 * DCNET_EPARAM (bad node, vset negative or not finite, rdroop not
 * positive and finite); nothing changes on error. */
int dcnet_set_conv(struct dcnet *d, unsigned i, int up, double vset,
                   double rdroop);
/* Node i's ZIP load.  0 or DCNET_EPARAM (bad node, a term not finite, g
 * or p negative); nothing changes on error. */
int dcnet_set_load(struct dcnet *d, unsigned i, double g, double ic, double p);

/* Node i's auxiliary source, aux_i - aux_g V into the node.  0 or
 * DCNET_EPARAM (bad node, g negative or not finite, i not finite). */
int dcnet_set_aux(struct dcnet *d, unsigned i, double g, double isrc);

/* The operating point: v, i_conv, i_aux, i_load, i_link, fed, iters.  Newton
 * starts from the last solution where it is valid (warm start: one or two
 * iterations per step in steady state), else from the feeding converters'
 * set points.  0, or DCNET_ECOLLAPSE (then v holds the last iterate and
 * the caller treats the fed nodes as browned out).  Allocates nothing. */
int dcnet_solve(struct dcnet *d);

#endif
