/*
 * policy - the Lua policy host: user-written allocation policies, each
 * version in its own sandboxed lua_State, deciding through the decide
 * stage's seam (policy_lua_ops).
 *
 * A policy file returns a table of callbacks (api = 1, on_load, on_tick,
 * on_event, persist; see lua-policies/README.md).  Every tick the host
 * updates one `state` table in place and hands on_tick a host-owned `out`
 * object; an assignment `out.cpu0.freq = 2.0e9` is validated at once in C
 * (exact number type, finite, known device and control, within range) and
 * a bad one is rejected, named in the log and counted, never applied.
 *
 * Loading is a transaction (policy_load): a fresh sandbox, the chunk run
 * under a budget, the module's shape checked, on_load(ctx) given the
 * previous version's persist() data, a shadow on_tick on the current
 * state whose output must validate; only then is the new version swapped
 * in.  On any failure the running version keeps deciding.
 */
#ifndef WATTSON_POLICY_H
#define WATTSON_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "policies/policy.h"

struct model;
struct engines;
struct ring;

struct policy_limits {
    size_t mem_bytes;      /* per version, default 16 MiB */
    uint64_t instructions; /* per callback call, default 2,000,000 */
    uint64_t time_ns;      /* per callback call, default 20 ms; 0 = none
                            * (run.c: the default on a virtual clock) */
    uint64_t cpu_ns;       /* per callback call, CPU time, default 1 s on
                            * both clocks; 0 = none */
};

void policy_limits_default(struct policy_limits *l);

/* policy_load results. */
enum policy_load_result {
    POLICY_REJECTED = -1, /* the running version (if any) keeps deciding */
    POLICY_SAME = 0,      /* content equal to the active or last rejected */
    POLICY_SWAPPED = 1,
};

struct policy;

/* A host for `m` (its devices, signals and controls are fixed for the
 * run); `hist` is the telemetry the history() function reads.  No version
 * is loaded yet: decide fails until policy_load succeeds once. */
int policy_new(struct policy **out, const struct model *m,
               const struct ring *hist, const struct policy_limits *lim,
               char *err, size_t errlen);
/* Loads `text` (named `name` in messages, normally the file path) as the
 * next version.  Returns an enum policy_load_result; on POLICY_REJECTED
 * `err` holds one line with file:line where Lua gave one. */
int policy_load(struct policy *p, const char *name, const char *text,
                size_t len, struct model *m, char *err, size_t errlen);
/* The run's engines whose state the versions loaded from now on show
 * and let policies steer (NULL: none): the converter mesh's agents
 * (engines/meshag.h) as state.mesh and out.mesh (lua/pmesh.c), the
 * partitioned training pipeline (engines/partrun.h) as state.partition
 * and out.partition (lua/ppart.c). */
void policy_set_engines(struct policy *p, const struct engines *e);
/* Tells the running version about an event (on_event), e.g. a rejected
 * reload.  `type` and `detail` become ev.type and ev.detail. */
void policy_event(struct policy *p, const char *type, const char *detail);
void policy_free(struct policy *p);

/* The decide-stage ops; the state is the struct policy. */
extern const struct policy_ops policy_lua_ops;

/* For the summary and the bench. */
uint64_t policy_lua_allocs(const struct policy *p); /* active version */
size_t policy_lua_mem(const struct policy *p);      /* its bytes in use */
int policy_loaded(const struct policy *p);
const char *policy_name(const struct policy *p);
uint64_t policy_version(const struct policy *p); /* 0 before the first */
/* 1 when `text` is the running version's (POLICY_SAME tells that apart
 * from the last rejected text only through this). */
int policy_is_active_text(const struct policy *p, const char *text, size_t len);

#endif
