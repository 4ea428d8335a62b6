/*
 * qmcal - the mesh agents' calibration (qmesh.h, "Calibration"): what an
 * agent does with its sweep - the reward scale, the swept curve as a
 * model of reward against voltage, the Q-table seeded from it, and at an
 * error cliff (a fixed clock) the fine sweep of the edge and the duty it
 * goes to - apart from the stepping, learning and failover in qmesh.c,
 * which calls these.  Internal to the agents: nothing else includes it.
 * Nothing here allocates.
 */
#ifndef WATTSON_QMCAL_H
#define WATTSON_QMCAL_H

#include "engines/qmesh.h"

double qmcal_model(const struct qmesh_agent *a, const double *y, double v);
double qmcal_penalty(const struct qmesh_cfg *c, double err);
unsigned qmcal_sidx(unsigned vb, unsigned eb, unsigned lb, unsigned fb);
void qmcal_scale(const struct qmesh_cfg *c, struct qmesh_agent *a);
void qmcal_seed(struct qmesh *q, struct qmesh_agent *a);
unsigned qmcal_cliff(const struct qmesh_cfg *c, const struct qmesh_agent *a);
void qmcal_fine_start(const struct qmesh_cfg *c, struct qmesh_agent *a,
                      unsigned j);
void qmcal_fine_done(struct qmesh *q, struct qmesh_agent *a,
                     const struct qmesh_obs *o);

#endif
