/*
 * chain - chains of processes laid over the sim's devices (chain.c): a
 * client process feeding work to stages, each a process on its own
 * device, over IPC.  A lab declares them under the driver entry's
 * `pipelines` key (drivers/sim/README.md, "Pipelines"); the code calls
 * them chains so that "pipeline" names only the console's tick stages.
 */
#ifndef WATTSON_SIM_CHAIN_H
#define WATTSON_SIM_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "simcfg.h"
#include "workload.h"

struct sim;

#define CHAIN_MAX_STAGES 16

/* Work that will arrive at a stage at t_ns (the host clock). */
struct chain_flight {
    uint64_t t_ns;
    double ops;
};

/* What travels towards one stage, oldest first. */
struct chain_hop {
    struct chain_flight *ring;
    size_t head, count;
    double byte_frac; /* the fraction of a byte not yet sent */
    uint64_t merged;  /* entries merged because the ring was full */
};

struct chain_stage {
    size_t dev;
    uint32_t pid;
    double ratio; /* op here per op served at the previous stage */
    char name[SIM_NAME_MAX];
    struct chain_hop in;
};

struct chain {
    char name[SIM_NAME_MAX];
    uint32_t pid; /* the client */
    struct wl src;
    double lag_s, bytes_per_op;
    uint64_t lag_ns;
    size_t n_stages;
    struct chain_stage st[CHAIN_MAX_STAGES];
    int src_begun;
    uint64_t src_gen_ns; /* the source is drawn up to here (since origin) */
};

/* The optional `pipelines` array of the lab entry, then the process table
 * and the IPC event log sized for it.  Run after the devices are read;
 * on error chain_free (from sim_free) releases what was set up. */
int chain_read_all(struct sim *s, char *err, size_t errlen);

/* Sends the messages of the interval that ended at host time `now`
 * (dt_ns long): the clients' new work and each stage's served work. */
void chain_send_all(struct sim *s, uint64_t now, uint64_t dt_ns);

/* Removes and sums the work arriving at a stage before `end` (host ns). */
double chain_hop_take(struct chain_hop *hop, uint64_t end);

/* Sums, without removing, the work arriving before `end`. */
double chain_hop_peek(const struct chain_hop *hop, uint64_t end);

/* Releases the chains, the process table and the IPC event log. */
void chain_free(struct sim *s);

#endif
