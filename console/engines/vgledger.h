/*
 * vgledger - who holds what of each GPU: the book the vGPU request API
 * (run/vgserve.c) and the allocator (engines/vgpu.c) keep together.
 *
 * Per GPU (at most VGLEDGER_MAX_GPUS) three capacities, indexed by
 * wattson/vgpu.h's enum wvg_type: compute, a fraction of the GPU's
 * streaming multiprocessors (1.0 the whole GPU, as MPS's active-thread
 * percentage counts it); memory, bytes of device memory; power, W of the
 * board's power limit.  Of each, an amount is reserved by the allocator
 * (its tenants' guarantees) and is never granted to a request; the rest,
 * less what clients hold, is available.
 *
 * A client is one connection of the API: an id from vgledger_client_open
 * with the peer's pid and uid recorded; it holds amounts per GPU and type,
 * under its own limit (vgledger_set_limit, default none) and under the
 * policy's rules (vgledger_set_rule: a cap per client, or a type denied).
 * A request grants min(amount, available, cap - held): less than asked is
 * a partial grant and says why; nothing is a refusal with a reason.  A
 * client releases only its own holdings; closing it releases all of them.
 *
 * Pure: no I/O, no clock, nothing allocated after vgledger_new.
 */
#ifndef WATTSON_VGLEDGER_H
#define WATTSON_VGLEDGER_H

#include <stddef.h>
#include <stdint.h>

#include "wattson/vgpu.h"

#define VGLEDGER_MAX_GPUS 16
#define VGLEDGER_NAME_MAX 32

/* Why a call was refused (0: done).  The API's ERR codes map to these. */
enum vgledger_status {
    VGLEDGER_OK = 0,
    VGLEDGER_EAMOUNT, /* not a finite amount > 0 (a limit: >= 0) */
    VGLEDGER_ETYPE,   /* no such type */
    VGLEDGER_EGPU,    /* no such GPU */
    VGLEDGER_EFULL,   /* nothing available, or no client slot left */
    VGLEDGER_ELIMIT,  /* the client's own limit reached / below held */
    VGLEDGER_EPOLICY, /* the policy's rule refuses it */
    VGLEDGER_ECLIENT  /* not an open client */
};

struct vgledger_counters {
    uint64_t requests, grants, partial, refusals, releases, limits,
        disconnect_releases;
};

/* One client's holdings on one GPU, for the pane and the allocator. */
struct vgledger_holding {
    int client;
    uint32_t pid, uid;
    size_t gpu;
    double held[WVG_NTYPES];
    double limit[WVG_NTYPES]; /* INFINITY: none */
};

struct vgledger;

/* NULL when out of memory or max_gpus is 0 or above VGLEDGER_MAX_GPUS. */
struct vgledger *vgledger_new(size_t max_gpus, size_t max_clients);
void vgledger_free(struct vgledger *l);

/* GPU i (< max_gpus) is `name` with capacities cap[] (finite, >= 0).
 * GPUs are numbered from 0 without gaps: setting i makes n_gpus at least
 * i + 1.  -1 on a bad index or capacity. */
int vgledger_set_gpu(struct vgledger *l, size_t i, const char *name,
                     const double cap[WVG_NTYPES]);
size_t vgledger_n_gpus(const struct vgledger *l);
const char *vgledger_gpu_name(const struct vgledger *l, size_t i);
/* The GPU named `name`, or -1. */
int vgledger_gpu_find(const struct vgledger *l, const char *name);
double vgledger_capacity(const struct vgledger *l, size_t gpu, int type);

/* The allocator's reservation (finite, >= 0; may exceed what is free: the
 * available amount is then 0 until clients release). */
int vgledger_set_reserved(struct vgledger *l, size_t gpu, int type,
                          double amount);
double vgledger_reserved(const struct vgledger *l, size_t gpu, int type);

/* A client slot, or -1 when all max_clients are open. */
int vgledger_client_open(struct vgledger *l, uint32_t pid, uint32_t uid);
/* Releases everything the client held and frees its slot.  released (if
 * not NULL) gets max_gpus * WVG_NTYPES amounts, [gpu * WVG_NTYPES + type].
 * Returns 1 when something was released (counted in
 * disconnect_releases), 0 when nothing was held, -1 for a bad id. */
int vgledger_client_close(struct vgledger *l, int id, double *released);

/* The calls of the API.  Each returns an enum vgledger_status; `why`
 * gets one line: the reason of a refusal, or of a partial grant / release
 * ("" otherwise). */
int vgledger_request(struct vgledger *l, int id, size_t gpu, int type,
                     double amount, double *granted, char *why, size_t wlen);
int vgledger_release(struct vgledger *l, int id, size_t gpu, int type,
                     double amount, double *released, char *why, size_t wlen);
int vgledger_set_limit(struct vgledger *l, int id, size_t gpu, int type,
                       double limit, char *why, size_t wlen);
double vgledger_available(const struct vgledger *l, size_t gpu, int type);
double vgledger_held(const struct vgledger *l, int id, size_t gpu, int type);
double vgledger_limit(const struct vgledger *l, int id, size_t gpu, int type);

/* The policy's rule for a type: each client holds at most max_per_client
 * of it per GPU (<= 0 or INFINITY: no cap); deny refuses every request of
 * the type.  -1 on a bad type or cap. */
int vgledger_set_rule(struct vgledger *l, int type, double max_per_client,
                      int deny);

/* Iterates the holdings (a client with something held or a limit set on
 * a GPU): start with *cursor = 0; returns 1 with *h filled, 0 at the end. */
int vgledger_next_holding(const struct vgledger *l, size_t *cursor,
                          struct vgledger_holding *h);
size_t vgledger_n_clients(const struct vgledger *l);
const struct vgledger_counters *vgledger_counters(const struct vgledger *l);

#endif
