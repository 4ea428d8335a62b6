/*
 * qmesh - the converter mesh's control agents (issue 14): one tabular
 * Q-learning agent per node (the fourth seed's pseudocode), each seeing
 * only its own node's sensors and what its neighbours tell it over a
 * simulated node-to-node link with latency and loss; never a global view.
 *
 * Per agent:
 *   state    (own bus voltage in steps of one duty step, 3 error-rate
 *            bands, 3 bands of module current against the calibration's
 *            prediction at that voltage, whether it is feeding a failed
 *            neighbour) - at most QMESH_VBINS x 3 x 3 x 2 states
 *   actions  duty steps {-2d, -d, 0, +d, +2d}
 *   reward   the node's performance per input watt over the best the
 *            calibration sweep saw, minus w_err per decade of error rate
 *            above err_ok (timing failures penalised heavily)
 *   learning Q += alpha (r + gamma max Q' - Q), epsilon-greedy with
 *            epsilon decaying from eps0 to eps_floor
 *
 * Calibration: when a module attaches, the agent sweeps its bus over the
 * module's range (sweep_points set points, each held settle steps),
 * records the reward, and seeds every state's Q-row from the swept curve
 * (perf/W smoothed over neighbouring points; Q(s, a) = reward at the
 * voltage a leads to / (1 - gamma)), so the greedy action points at the
 * sweep's best from the first step, and goes back to that point's duty,
 * the bins centred on it.  Where the best is the edge of an error cliff
 * (a fixed clock: performance flat above it, power rising) it first
 * sweeps the gap under the edge point again in quarter duty steps and
 * goes to the duty where the error rate crosses err_ok less 0.1 decade
 * (qmesh.c, QMESH_CLIFF_DEC).  Then it learns, binning its voltage
 * reading filtered along its own duty moves; when the observed reward
 * falls under the swept curve by more than resweep_rel for resweep_hold
 * steps (aging, temperature, a new workload) it sweeps again.
 *
 * Baselines (cfg.mode): perturb-and-observe - the hill climber of
 * maximum-power-point tracking (Femia et al., "Optimization of perturb and
 * observe maximum power point tracking method", IEEE Trans. Power
 * Electron. 20(4), 2005): each step it moves the duty one step in its
 * direction and reverses when the objective (the same reward) fell; the
 * perturbation period is one step because the plant settles within one.
 * Fixed: a regulator holding the bus at the module's nominal voltage.
 *
 * Failover: every agent sends each neighbour a heartbeat each step (its
 * voltage, its modules' minimum supply and current, its number of
 * neighbours, whether it is moving its bus on purpose).  A neighbour is
 * failed when the tie switch senses its bus 20 mV or more under what it
 * last reported and under where any agent keeps a live bus (its vmin +
 * margin: a node whose converter died sags at once to its hold-up
 * threshold), unless it said it was moving (sweeping, or a jump larger
 * than a learning action's two duty steps); or when no heartbeat came
 * for hb_miss steps (a node that went silent some other way).  It stays
 * failed until a heartbeat arrives, so closing the tie does not undo the
 * detection.  Then the agent asks to close the tie to it and regulates
 * the failed node's bus, as its tie switch senses it, to that node's
 * last reported voltage (never under its modules' vmin + margin): it
 * raises its own bus by the shortfall (never past its own module's
 * vmax) - on the step it closes the tie, plus the drop its share of the
 * failed node's load (its last reported current over its neighbours)
 * will make across the tie and its own converter's droop - and takes no
 * step down the failed bus
 * cannot spare; when the heartbeats return it opens the tie again.
 * Raising by the whole shortfall does not overshoot however many
 * neighbours feed it: they all raise by the same amount, and a bus tied
 * to sources that all rose by d rises by d.
 *
 * Persistence: with a state directory set, an agent's Q-table and its
 * calibration (the sweep and the reward scale) are saved per module
 * identity through engines/qtab.c when its module detaches, and loaded
 * when a module of that identity attaches: it skips the sweep and goes
 * to its table's best.  A file that is corrupt, of another shape or of
 * another module is refused (q->msg says why), the agent sweeps as for
 * a new module, and the file stays as it was until its next good save.
 *
 * Nothing allocates after qmesh_init in a step (loads and saves, at
 * attach and detach, do).
 */
#ifndef WATTSON_QMESH_H
#define WATTSON_QMESH_H

#include <stddef.h>
#include <stdint.h>

#define QMESH_MAX_AGENTS 64
#define QMESH_MAX_NBR 8
#define QMESH_NACT 5
#define QMESH_VBINS 128
/* states per voltage bin: 3 error bands x 3 load bands x feeding or not;
 * a state is vbin * QMESH_CTX + its context */
#define QMESH_CTX (3 * 3 * 2)
#define QMESH_NSTATES (QMESH_VBINS * QMESH_CTX)
#define QMESH_SWEEP_MAX 48
/* the fine sweep across an error cliff (qmesh.c, qmesh_refine) */
#define QMESH_FINE_MAX 8
#define QMESH_SPARK 64
#define QMESH_MAX_LAT 8

/* The controller the agents run: Q-learning, or for comparison the
 * classic perturb-and-observe hill climber or a regulator holding the
 * module's nominal voltage (same sensors, messages and failover). */
enum qmesh_mode { QMESH_Q, QMESH_PO, QMESH_FIXED };

struct qmesh_cfg {
    enum qmesh_mode mode;
    double alpha, gamma;
    double eps0, eps_floor, eps_decay; /* decay: factor per step */
    double dstep;                      /* duty step */
    double w_err, err_ok;
    unsigned sweep_points, settle;
    double resweep_rel;
    unsigned resweep_hold;
    unsigned latency; /* steps a message takes (0..QMESH_MAX_LAT) */
    double loss;      /* probability a message is lost */
    unsigned hb_miss; /* silent steps before a neighbour is failed */
    double margin;    /* V kept above a module's vmin */
    double hold_tol;  /* the greedy stays put unless a move's Q is this
                         fraction better (a dead band) */
};

/* What one node's controller measures this step. */
struct qmesh_obs {
    int valid;
    double v, i_mod, i_conv, p_in, perf, err;
    double duty; /* the converter's present duty */
    double dvdd; /* dV/d(duty) of its converter at that duty */
    double vset; /* its converter's set point at that duty */
    int limited; /* its converter is at its current limit (status bit) */
    /* the far bus of each tie, in qmesh_neighbours' order, as the tie
     * switch senses it (NaN: not sensed) */
    double vnbr[QMESH_MAX_NBR];
};

enum qmesh_phase { QMESH_IDLE, QMESH_SWEEP, QMESH_LEARN };

struct qmesh_agent {
    enum qmesh_phase phase;
    char id[32];             /* the module's identity */
    double vmin, vmax, vnom; /* of its module(s) */
    double vlo, vhi;         /* bounds it keeps (policy may narrow) */
    double vstep;            /* volts per state bin */
    unsigned nbins;
    /* calibration */
    unsigned sw_k, sw_hold, sw_n;
    double sw_v[QMESH_SWEEP_MAX], sw_r[QMESH_SWEEP_MAX], sw_i[QMESH_SWEEP_MAX],
        sw_e[QMESH_SWEEP_MAX];
    /* the duty of each swept point, its converter's dV/dD and the
     * module's performance there */
    double sw_d[QMESH_SWEEP_MAX], sw_g[QMESH_SWEEP_MAX], sw_p[QMESH_SWEEP_MAX];
    /* the fine sweep across the error cliff next to the sweep's best:
     * fine_n duties from fine_d0 in fine_dd, the one at fine_k next */
    unsigned fine_k, fine_n;
    int fining;
    double fine_d0, fine_dd;
    double fine_v[QMESH_FINE_MAX], fine_e[QMESH_FINE_MAX],
        fine_i[QMESH_FINE_MAX];
    double lambda; /* best performance per watt seen (reward scale) */
    unsigned sweeps;
    /* learning */
    double *q; /* QMESH_NSTATES x QMESH_NACT, in qmesh's block */
    uint32_t *visits;
    unsigned s, a; /* last state and action */
    int have_prev;
    double eps, reward, dev;
    double po_last; /* perturb-and-observe: last objective, direction */
    int po_dir;
    unsigned dev_steps;
    double duty; /* its command */
    uint64_t steps;
    double spark[QMESH_SPARK]; /* recent rewards, a ring */
    unsigned spark_at, spark_n;
    double qdelta; /* EWMA of |TD error|: convergence */
    /* neighbours */
    unsigned nnbr;
    unsigned nbr[QMESH_MAX_NBR];
    unsigned link[QMESH_MAX_NBR]; /* the plant's link index */
    double rtie[QMESH_MAX_NBR];
    uint64_t heard[QMESH_MAX_NBR];
    double nbr_v[QMESH_MAX_NBR], nbr_vmin[QMESH_MAX_NBR];
    int nbr_failed[QMESH_MAX_NBR];
    int nbr_sweeping[QMESH_MAX_NBR]; /* its voltage jumps on purpose */
    double nbr_imod[QMESH_MAX_NBR];  /* its modules' current */
    unsigned nbr_deg[QMESH_MAX_NBR]; /* its neighbours */
    int nbr_fresh[QMESH_MAX_NBR];    /* failed this step: tie still open */
    int alive;                       /* its node is up (valid readings) */
    uint64_t rng;
    int warm; /* its table came from a file: to its best on the next step
                 instead of sweeping */
    /* the bus voltage its state bins: the reading filtered along the
     * duty it commands (qmesh.c, qmesh_vfilter) */
    double vf, vf_duty;
    int vf_ok;
    /* what a policy asks of it (qmesh_steer), until it asks otherwise */
    double pol_eps;          /* its exploration rate instead; NaN: its own */
    int frozen;              /* no learning, no exploring */
    double pol_vlo, pol_vhi; /* narrower bounds; NaN: its module's */
    double v, dv; /* its bus and a duty step's volts at its last step */
};

struct qmesh_msg {
    double v, vmin;
    double imod; /* its modules' current, A */
    int sweeping;
    unsigned deg; /* its neighbours */
};

struct qmesh {
    struct qmesh_cfg cfg;
    unsigned n;
    uint64_t t;
    struct qmesh_agent ag[QMESH_MAX_AGENTS];
    /* messages in flight: one slot per (step of latency, directed pair) */
    struct qmesh_msg *inflight; /* (QMESH_MAX_LAT+1) x n x QMESH_MAX_NBR */
    uint8_t *inflight_ok;
    double *block; /* the Q-tables */
    uint32_t *vblock;
    unsigned long sent, lost;
    /* persistence (qmesh_set_state_dir): where the tables go, "" none;
     * the last load's or save's message, "" when it went well or there
     * was nothing to load */
    char state_dir[512];
    char msg[512];
    unsigned loads, saves;
};

struct qmesh_out {
    double duty[QMESH_MAX_AGENTS];
    int tie_close[QMESH_MAX_AGENTS * QMESH_MAX_NBR]; /* by link index */
    unsigned nlinks;
};

/* The defaults: the seed's alpha 0.1, gamma 0.9, epsilon 0.2 decaying
 * to 0.02, duty step 4e-4, w_err 1, err_ok 1e-9, 24 sweep points of 2
 * steps, re-sweep past 5 % for 50 steps, latency 0, loss 1 %, 3 missed
 * heartbeats (or one and a sag), 20 mV margin, a 0.1 % dead band (over
 * the ~0.07 % noise a 1 % noisy reward leaves in a Q-value at alpha 0.1,
 * gamma 0.9; under the 0.13 % one duty step off an fpga's timing cliff
 * costs). */
void qmesh_defaults(struct qmesh_cfg *c);
/* 0, or -1 with the field's name in *field. */
int qmesh_check(const struct qmesh_cfg *c, const char **field);
/* n agents; allocates their tables (the only allocation).  0 or -1. */
int qmesh_init(struct qmesh *q, unsigned n, const struct qmesh_cfg *c,
               uint64_t seed);
void qmesh_free(struct qmesh *q);
/* Neighbours a and b over the plant's link `link` of rtie ohm. */
int qmesh_neighbours(struct qmesh *q, unsigned a, unsigned b, unsigned link,
                     double rtie);
/* A module attached to node i (calibration starts) or detached (id
 * NULL).  0 or -1 (bad node or range). */
int qmesh_attach(struct qmesh *q, unsigned i, const char *id, double vmin,
                 double vmax, double vnom);
/* Keep the agents' tables under dir (qtab.h's files: one per module
 * identity, and its calibration as ID@sweep): a module that attaches
 * with a saved table starts warm (no sweep), an agent whose module
 * detaches or is replaced saves its table first.  NULL or "" turns it
 * off.  0, or -1 for a name too long. */
int qmesh_set_state_dir(struct qmesh *q, const char *dir);
/* Saves agent i's table and calibration now (if it has learned
 * anything).  0, or a qtab error code with q->msg saying why. */
int qmesh_save(struct qmesh *q, unsigned i);

/* One control step: obs[i] is node i's readings after the last step;
 * out gets each node's duty and the tie switches to close. */
void qmesh_step(struct qmesh *q, const struct qmesh_obs *obs,
                struct qmesh_out *out);
/* What a policy may ask of agent i (lua/pmesh.c: out.mesh[i]) for its
 * steps from the next on: eps its exploration rate instead of its own
 * decaying one (NaN: its own), freeze no Q updates and no exploring,
 * vlo / vhi bounds inside its module's range (NaN: the module's; the
 * agent moves its bus inside them, sweeps included). */
struct qmesh_steer {
    double eps;
    int freeze;
    double vlo, vhi;
};
/* 0, or -1 with why for a bad node or a value out of range: eps outside
 * 0..1, bounds outside its module's range (vmin + margin .. vmax) or
 * crossed (with no module yet: not positive or crossed; bounds outside
 * the range of the module that comes are then ignored). */
int qmesh_steer_check(const struct qmesh *q, unsigned i,
                      const struct qmesh_steer *s, char *why, size_t n);
/* Applies s if qmesh_steer_check passes (0); else -1, nothing changes. */
int qmesh_steer(struct qmesh *q, unsigned i, const struct qmesh_steer *s);
/* Replaces the action agent i chose in its last step by `action` (-2..2
 * duty steps) and learns from that one instead (Q-learning learns from
 * whatever behaviour it follows).  Only while it learns, and only an
 * action that keeps its bus in its bounds: 0 with the duty to apply in
 * *duty, -1 otherwise. */
int qmesh_force(struct qmesh *q, unsigned i, int action, double *duty);

/* Agent i's Q-row for its present state (QMESH_NACT values). */
const double *qmesh_row(const struct qmesh *q, unsigned i);

#endif
