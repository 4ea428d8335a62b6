/*
 * summary - see summary.h.
 */
#include "core/summary.h"

#include <string.h>

#include "core/json.h"
#include "core/lab.h"
#include "core/model.h"
#include "core/stats.h"

double summary_mean_power(const struct summary *s)
{
    return s->sim_seconds > 0 ? s->energy_j / s->sim_seconds : 0;
}

double summary_mean_latency(const struct summary *s)
{
    return s->work_served > 0 ? s->wait_op_s / s->work_served : 0;
}

double summary_edp(const struct summary *s)
{
    return s->energy_j * summary_mean_latency(s);
}

int summary_get(const struct summary *s, const char *key, double *out)
{
#define SUMMARY_GET_MEMBER(name, type)                                         \
    if (strcmp(key, #name) == 0) {                                             \
        *out = (double)s->name;                                                \
        return 1;                                                              \
    }
#define SUMMARY_GET_DERIVED(name, fn)                                          \
    if (strcmp(key, #name) == 0) {                                             \
        *out = fn(s);                                                          \
        return 1;                                                              \
    }
    SUMMARY_MEMBER_KEYS(SUMMARY_GET_MEMBER)
    SUMMARY_DERIVED_KEYS(SUMMARY_GET_DERIVED)
#undef SUMMARY_GET_MEMBER
#undef SUMMARY_GET_DERIVED
    return 0;
}

int summary_check_limits(struct summary *s, const struct lab_limit *lim,
                         size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double v;
        if (summary_get(s, lim[i].key, &v) && v > lim[i].max) {
            s->limit_broken = lim[i].key;
            s->limit_value = lim[i].max;
            return 1;
        }
    }
    return 0;
}

/* "device_faults":{"DEV":"what",...}, devices in model order. */
static void put_device_faults(const struct summary *s, FILE *f)
{
    const struct model *m = s->faults;
    int first = 1;
    fputs("\"device_faults\":{", f);
    for (size_t d = 0; m && m->faults && d < m->n_devices; d++) {
        char what[128];
        if (m->faults[d].first == FAULT_NONE)
            continue;
        model_fault_describe(m, (uint32_t)d, what, sizeof what);
        if (!first)
            fputc(',', f);
        first = 0;
        json_put_string(f, m->devices[d].name);
        fputc(':', f);
        json_put_string(f, what);
    }
    fputs("},", f);
}

void summary_write_json(const struct summary *s, FILE *f, int with_wall)
{
    fprintf(f, "{\"type\":\"summary\",\"ticks\":%llu,\"sim_seconds\":%.9g,",
            (unsigned long long)s->ticks, s->sim_seconds);
    if (with_wall)
        fprintf(f, "\"wall_seconds\":%.6f,", s->wall_seconds);
    fprintf(
        f,
        "\"energy_j\":%.9g,\"mean_power_w\":%.9g,\"peak_power_w\":%.9g,"
        "\"budget_w\":%.9g,\"budget_violations\":%llu,"
        "\"work_arrived\":%.9g,\"work_served\":%.9g,"
        "\"backlog_end\":%.9g,\"mean_latency_s\":%.9g,\"edp\":%.9g,"
        "\"deadline_misses\":%.0f,\"policy_errors\":%llu,"
        "\"rejected_decisions\":%llu,\"driver_errors\":%llu,"
        "\"invalid_samples\":%llu,\"fallback_ticks\":%llu,\"reloads\":%llu,"
        "\"reload_errors\":%llu,\"journal_errors\":%llu,",
        s->energy_j, summary_mean_power(s), s->peak_power_w, s->budget_w,
        (unsigned long long)s->budget_violations, s->work_arrived,
        s->work_served, s->backlog_end, summary_mean_latency(s), summary_edp(s),
        s->deadline_misses, (unsigned long long)s->policy_errors,
        (unsigned long long)s->rejected_decisions,
        (unsigned long long)s->driver_errors,
        (unsigned long long)s->invalid_samples,
        (unsigned long long)s->fallback_ticks, (unsigned long long)s->reloads,
        (unsigned long long)s->reload_errors,
        (unsigned long long)s->journal_errors);
    put_device_faults(s, f);
    fprintf(
        f,
        "\"broker_adjustments\":%llu,\"broker_held\":%llu,"
        "\"broker_budget_limited\":%llu,\"broker_thermal_limited\":%llu,"
        "\"broker_degraded_ticks\":%llu,\"ipc_events\":%llu,"
        "\"ipc_unknown\":%llu,\"ipc_dropped\":%llu,\"mesh_nodes\":%llu,"
        "\"mesh_brownouts\":%llu,\"mesh_tie_closes\":%llu,"
        "\"mesh_sweeps\":%llu,\"mesh_msgs_lost\":%llu,"
        "\"mesh_work_per_j\":%.9g,\"partition_stages\":%llu,"
        "\"partition_moves\":%llu,\"partition_vetoes\":%llu,"
        "\"partition_proposals\":%llu,\"partition_batches\":%.9g,"
        "\"partition_migration_s\":%.9g,\"partition_bottleneck_ms\":%.9g,"
        "\"partition_data_moves\":%llu,\"vgpu_tenants\":%llu,"
        "\"vgpu_reallocs\":%llu,\"vgpu_phase_changes\":%llu,"
        "\"vgpu_slo_violation_s\":%.9g,\"vgpu_tenant_s\":%.9g,"
        "\"vgpu_util\":%.9g,"
        "\"vgpu_api_requests\":%llu,"
        "\"vgpu_api_refused\":%llu,\"vgpu_api_rate_limited\":%llu,"
        "\"vgpu_api_malformed\":%llu,\"vgpu_api_peer_refused\":%llu,"
        "\"vgpu_api_disconnect_releases\":%llu,"
        "\"ipcsrv_events\":%llu,\"ipcsrv_lib_dropped\":%llu,"
        "\"ipcsrv_overflow\":%llu,\"ipcsrv_malformed\":%llu,"
        "\"ipcsrv_refused\":%llu,\"ipcsrv_conns\":%llu,"
        "\"ipcsrv_recv_events\":%llu,\"ipcsrv_recv_dup\":%llu,"
        "\"ipc_mapped\":%llu,\"ipc_late\":%llu,\"interrupted\":%s,",
        (unsigned long long)s->broker_adjustments,
        (unsigned long long)s->broker_held,
        (unsigned long long)s->broker_budget_limited,
        (unsigned long long)s->broker_thermal_limited,
        (unsigned long long)s->broker_degraded_ticks,
        (unsigned long long)s->ipc_events, (unsigned long long)s->ipc_unknown,
        (unsigned long long)s->ipc_dropped, (unsigned long long)s->mesh_nodes,
        (unsigned long long)s->mesh_brownouts,
        (unsigned long long)s->mesh_tie_closes,
        (unsigned long long)s->mesh_sweeps,
        (unsigned long long)s->mesh_msgs_lost, s->mesh_work_per_j,
        (unsigned long long)s->partition_stages,
        (unsigned long long)s->partition_moves,
        (unsigned long long)s->partition_vetoes,
        (unsigned long long)s->partition_proposals, s->partition_batches,
        s->partition_migration_s, s->partition_bottleneck_ms,
        (unsigned long long)s->partition_data_moves,
        (unsigned long long)s->vgpu_tenants,
        (unsigned long long)s->vgpu_reallocs,
        (unsigned long long)s->vgpu_phase_changes, s->vgpu_slo_violation_s,
        s->vgpu_tenant_s, s->vgpu_util,
        (unsigned long long)s->vgpu_api_requests,
        (unsigned long long)s->vgpu_api_refused,
        (unsigned long long)s->vgpu_api_rate_limited,
        (unsigned long long)s->vgpu_api_malformed,
        (unsigned long long)s->vgpu_api_peer_refused,
        (unsigned long long)s->vgpu_api_disconnect_releases,
        (unsigned long long)s->ipcsrv_events,
        (unsigned long long)s->ipcsrv_lib_dropped,
        (unsigned long long)s->ipcsrv_overflow,
        (unsigned long long)s->ipcsrv_malformed,
        (unsigned long long)s->ipcsrv_refused,
        (unsigned long long)s->ipcsrv_conns,
        (unsigned long long)s->ipcsrv_recv_events,
        (unsigned long long)s->ipcsrv_recv_dup,
        (unsigned long long)s->ipc_mapped, (unsigned long long)s->ipc_late,
        s->interrupted ? "true" : "false");
    if (s->limit_broken)
        fprintf(f, "\"limit_broken\":\"%s\",\"limit_max\":%.9g}",
                s->limit_broken, s->limit_value);
    else
        fprintf(f, "\"limit_broken\":null}");
}

void summary_take_counters(struct summary *s, const struct stats *st,
                           uint64_t ipc_dropped)
{
    s->policy_errors = st->policy_errors;
    s->rejected_decisions = st->rejected_decisions;
    s->driver_errors = st->driver_errors;
    s->invalid_samples = st->invalid_samples;
    s->fallback_ticks = st->fallback_ticks;
    s->ipc_dropped = ipc_dropped;
}
