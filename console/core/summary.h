/*
 * summary - the figures of a run, accumulated tick by tick by the record
 * stage and printed as one JSON object.  Every key is defined in the
 * README ("Summary keys").
 */
#ifndef WATTSON_SUMMARY_H
#define WATTSON_SUMMARY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct lab_limit;
struct stats;
struct model;

struct summary {
    uint64_t ticks;
    double sim_seconds;
    double wall_seconds;
    double energy_j;
    double peak_power_w;
    double budget_w;
    uint64_t budget_violations;
    double work_arrived;
    double work_served;
    double backlog_end;
    double wait_op_s; /* sum of queueing delay x work */
    double deadline_misses;
    uint64_t policy_errors;
    uint64_t rejected_decisions;
    uint64_t driver_errors;
    uint64_t invalid_samples;
    uint64_t fallback_ticks; /* ticks the built-in policy decided instead */
    uint64_t reloads;        /* policy versions swapped in after the first */
    uint64_t reload_errors;  /* reloads rejected (the old version stayed) */
    uint64_t journal_errors; /* saved-controls journal not written: the
                                run's writes were blocked (core/journal.h) */
    /* the predictive broker (engines/broker.h's counters) */
    uint64_t broker_adjustments, broker_held, broker_budget_limited,
        broker_thermal_limited, broker_degraded_ticks;
    uint64_t ipc_events, ipc_unknown, ipc_dropped;
    /* the converter mesh's agents (engines/meshag.h) */
    uint64_t mesh_nodes, mesh_brownouts, mesh_tie_closes, mesh_sweeps,
        mesh_msgs_lost;
    double mesh_work_per_j;
    /* the partitioned training pipeline (engines/partrun.h) */
    uint64_t partition_stages, partition_moves, partition_vetoes,
        partition_proposals;
    double partition_batches, partition_migration_s, partition_bottleneck_ms;
    uint64_t partition_data_moves;
    /* the GPU tenants' engine (engines/vgpu.h) */
    uint64_t vgpu_tenants, vgpu_reallocs, vgpu_phase_changes;
    double vgpu_slo_violation_s, vgpu_tenant_s, vgpu_util;
    /* the vGPU request API's server (run/vgserve.h) */
    uint64_t vgpu_api_requests, vgpu_api_refused, vgpu_api_rate_limited,
        vgpu_api_malformed, vgpu_api_peer_refused, vgpu_api_disconnect_releases;
    /* The IPC listener's (core/ipcsrv.h) and the live events' map
     * (core/ipcin.h). */
    uint64_t ipcsrv_events, ipcsrv_lib_dropped, ipcsrv_overflow,
        ipcsrv_malformed, ipcsrv_refused, ipcsrv_conns, ipcsrv_recv_events,
        ipcsrv_recv_dup, ipc_mapped, ipc_late;
    /* The model whose per-device faults are `device_faults` (the record
     * stage sets it); NULL: none. */
    const struct model *faults;
    int interrupted;          /* stopped by a signal before its duration */
    const char *limit_broken; /* first declared limit exceeded, or NULL */
    double limit_value;
};

/* The keys a lab's `limits` may bound: every numeric key of the summary
 * but wall_seconds (a limit on it would make a run's outcome depend on
 * the machine) and budget_w (the lab's own setting).  X(name, type) per
 * member of struct summary, then the ones computed from members.  One
 * list, for summary_get and the lab reader's check (which cannot link
 * this file, so it takes the names from here). */
#define SUMMARY_MEMBER_KEYS(X)                                                 \
    X(ticks, uint64_t)                                                         \
    X(sim_seconds, double)                                                     \
    X(energy_j, double)                                                        \
    X(peak_power_w, double)                                                    \
    X(budget_violations, uint64_t)                                             \
    X(work_arrived, double)                                                    \
    X(work_served, double)                                                     \
    X(backlog_end, double)                                                     \
    X(deadline_misses, double)                                                 \
    X(policy_errors, uint64_t)                                                 \
    X(rejected_decisions, uint64_t)                                            \
    X(driver_errors, uint64_t)                                                 \
    X(invalid_samples, uint64_t)                                               \
    X(fallback_ticks, uint64_t)                                                \
    X(reloads, uint64_t)                                                       \
    X(reload_errors, uint64_t)                                                 \
    X(journal_errors, uint64_t)                                                \
    X(broker_adjustments, uint64_t)                                            \
    X(broker_held, uint64_t)                                                   \
    X(broker_budget_limited, uint64_t)                                         \
    X(broker_thermal_limited, uint64_t)                                        \
    X(broker_degraded_ticks, uint64_t)                                         \
    X(ipc_events, uint64_t)                                                    \
    X(ipc_unknown, uint64_t)                                                   \
    X(ipc_dropped, uint64_t)                                                   \
    X(mesh_nodes, uint64_t)                                                    \
    X(mesh_brownouts, uint64_t)                                                \
    X(mesh_tie_closes, uint64_t)                                               \
    X(mesh_sweeps, uint64_t)                                                   \
    X(mesh_msgs_lost, uint64_t)                                                \
    X(mesh_work_per_j, double)                                                 \
    X(partition_stages, uint64_t)                                              \
    X(partition_moves, uint64_t)                                               \
    X(partition_vetoes, uint64_t)                                              \
    X(partition_proposals, uint64_t)                                           \
    X(partition_batches, double)                                               \
    X(partition_migration_s, double)                                           \
    X(partition_bottleneck_ms, double)                                         \
    X(partition_data_moves, uint64_t)                                          \
    X(vgpu_tenants, uint64_t)                                                  \
    X(vgpu_reallocs, uint64_t)                                                 \
    X(vgpu_phase_changes, uint64_t)                                            \
    X(vgpu_slo_violation_s, double)                                            \
    X(vgpu_tenant_s, double)                                                   \
    X(vgpu_util, double)                                                       \
    X(vgpu_api_requests, uint64_t)                                             \
    X(vgpu_api_refused, uint64_t)                                              \
    X(vgpu_api_rate_limited, uint64_t)                                         \
    X(vgpu_api_malformed, uint64_t)                                            \
    X(vgpu_api_peer_refused, uint64_t)                                         \
    X(vgpu_api_disconnect_releases, uint64_t)                                  \
    X(ipcsrv_events, uint64_t)                                                 \
    X(ipcsrv_lib_dropped, uint64_t)                                            \
    X(ipcsrv_overflow, uint64_t)                                               \
    X(ipcsrv_malformed, uint64_t)                                              \
    X(ipcsrv_refused, uint64_t)                                                \
    X(ipcsrv_conns, uint64_t)                                                  \
    X(ipcsrv_recv_events, uint64_t)                                            \
    X(ipcsrv_recv_dup, uint64_t)                                               \
    X(ipc_mapped, uint64_t)                                                    \
    X(ipc_late, uint64_t)
#define SUMMARY_DERIVED_KEYS(X)                                                \
    X(mean_power_w, summary_mean_power)                                        \
    X(mean_latency_s, summary_mean_latency)                                    \
    X(edp, summary_edp)

double summary_mean_power(const struct summary *s);
double summary_mean_latency(const struct summary *s);
double summary_edp(const struct summary *s);
/* Value of a summary key by name (for limits); returns 0 if unknown. */
int summary_get(const struct summary *s, const char *key, double *out);
/* The counters the stages keep in `st` (policy errors, rejected
 * decisions, driver errors, invalid samples, fallback ticks) and the
 * model's IPC drops, into the summary (the record stage, every tick). */
void summary_take_counters(struct summary *s, const struct stats *st,
                           uint64_t ipc_dropped);
/* Checks the declared limits; sets limit_broken.  Returns 1 if broken. */
int summary_check_limits(struct summary *s, const struct lab_limit *lim,
                         size_t n);
/* One JSON object on one line, no trailing newline; `with_wall` = 0 leaves
 * out wall_seconds, the one key that differs between identical runs.
 * `device_faults` is an object, one key per device that had a fault, in
 * the model's device order (so at most one per device): {} when none. */
void summary_write_json(const struct summary *s, FILE *f, int with_wall);

#endif
