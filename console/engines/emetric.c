/*
 * emetric - see emetric.h.
 */
#include "engines/emetric.h"

#include "core/json.h"
#include "engines/engines.h"

enum {
    EM_QL_REWARD,
    EM_QL_STATES,
    EM_PART_BOTTLENECK,
    EM_PART_STAGE,
    EM_PART_LAYERS,
    EM_PART_FIRST,
    EM_PART_MOVES,
    EM_VG_SHARE,
    EM_VG_USED,
    EM_VG_REALLOCS,
    EM_N
};

const struct emetric_family emetric_families[EM_N] = {
    [EM_QL_REWARD] = {"qlearn_reward", "gauge", "1", "agent",
                      "a Q-learning agent's latest reward"},
    [EM_QL_STATES] = {"qlearn_states", "gauge", "1", "agent",
                      "states a Q-learning agent has visited"},
    [EM_PART_BOTTLENECK] = {"partition_bottleneck_seconds", "gauge", "s",
                            "source",
                            "the partition's slowest stage: predicted, "
                            "measured, and the bound it is held to"},
    [EM_PART_STAGE] = {"partition_stage_compute_seconds", "gauge", "s",
                       "device",
                       "predicted compute of the stage each device holds"},
    /* where the layers sit over time: the partition's timeline */
    [EM_PART_LAYERS] = {"partition_stage_layers", "gauge", "1", "device",
                        "layers of the model each device's stage holds"},
    /* with the counts, which layers: the pipeline's order at each tick */
    [EM_PART_FIRST] = {"partition_stage_first_layer", "gauge", "1", "device",
                       "the first layer of each device's stage, counted "
                       "from 0 in the model's order"},
    [EM_PART_MOVES] = {"partition_moves", "counter", "1", NULL, "repartitions"},
    [EM_VG_SHARE] = {"vgpu_sm_share_ratio", "gauge", "1", "tenant",
                     "a GPU tenant's share of its GPU's SMs"},
    [EM_VG_USED] = {"vgpu_sm_used_ratio", "gauge", "1", "tenant",
                    "the fraction of its GPU's SMs a tenant uses"},
    [EM_VG_REALLOCS] = {"vgpu_reallocs", "counter", "1", NULL,
                        "vGPU share reallocations"},
};
const size_t emetric_n_families = EM_N;

/* Which pane kind carries a family. */
static enum engine_pane_kind em_kind(size_t fam)
{
    if (fam <= EM_QL_STATES)
        return ENGINE_PANE_QTABLE;
    if (fam <= EM_PART_MOVES)
        return ENGINE_PANE_STAGES;
    return ENGINE_PANE_GPUS;
}

static void em_stages(const struct engine_stages *st, size_t fam, emetric_fn fn,
                      void *ctx)
{
    if (fam == EM_PART_MOVES) {
        fn(ctx, fam, NULL, (double)st->moves);
    } else if (fam == EM_PART_BOTTLENECK) {
        fn(ctx, fam, "predicted", st->predicted_bottleneck_ms / 1e3);
        fn(ctx, fam, "measured", st->measured_bottleneck_ms / 1e3);
        fn(ctx, fam, "bound", st->bound_ms / 1e3);
    } else {
        const double *v = fam == EM_PART_STAGE ? st->cost_ms : st->first_layer;
        for (size_t k = 0; st->device && v && k < st->n; k++) {
            /* a stage's layers are the span to the next one's first */
            const double x = fam == EM_PART_STAGE    ? v[k] / 1e3
                             : fam == EM_PART_LAYERS ? v[k + 1] - v[k]
                                                     : v[k];
            if (st->device[k])
                fn(ctx, fam, st->device[k], x);
        }
    }
}

static void em_gpus(const struct engine_gpus *g, size_t fam, emetric_fn fn,
                    void *ctx)
{
    if (fam == EM_VG_REALLOCS) {
        fn(ctx, fam, NULL, (double)g->reallocs);
        return;
    }
    for (size_t k = 0; k < g->n; k++)
        fn(ctx, fam, g->row[k].name,
           fam == EM_VG_SHARE ? g->row[k].share_sm : g->row[k].sm);
}

void emetric_each(const struct engines *e, size_t fam, emetric_fn fn, void *ctx)
{
    if (fam >= EM_N)
        return;
    const enum engine_pane_kind want = em_kind(fam);
    struct engine_pane p;
    for (size_t i = 0; engines_pane(e, i, &p); i++) {
        if (p.kind != want)
            continue;
        if (want == ENGINE_PANE_QTABLE) {
            const struct engine_qtable *q = &p.u.qtable;
            if (fam == EM_QL_STATES)
                fn(ctx, fam, q->agent, (double)q->rows);
            else if (q->ntrend > 0)
                fn(ctx, fam, q->agent, q->trend[q->ntrend - 1]);
        } else if (want == ENGINE_PANE_STAGES) {
            em_stages(&p.u.stages, fam, fn, ctx);
        } else {
            em_gpus(&p.u.gpus, fam, fn, ctx);
        }
    }
}

void emetric_json_header(const void *engines, FILE *f)
{
    (void)engines;
    fputc('{', f);
    for (size_t k = 0; k < EM_N; k++) {
        const struct emetric_family *fm = &emetric_families[k];
        fprintf(f, "%s\"%s\":{\"type\":\"%s\",\"unit\":\"%s\",\"label\":",
                k ? "," : "", fm->name, fm->type, fm->unit);
        if (fm->label)
            fprintf(f, "\"%s\"", fm->label);
        else
            fputs("null", f);
        fputs(",\"help\":", f);
        json_put_string(f, fm->help);
        fputc('}', f);
    }
    fputc('}', f);
}

/* One family's values into a tick's "eng" object. */
struct em_json {
    FILE *f;
    int any_family; /* a family was written: the next needs a comma */
    int in_family;  /* this family's key is written */
};

static void em_json_one(void *ctx, size_t fam, const char *label, double v)
{
    struct em_json *j = ctx;
    if (!j->in_family) {
        fprintf(j->f, "%s\"%s\":%s", j->any_family ? "," : "",
                emetric_families[fam].name, label ? "{" : "");
        j->in_family = j->any_family = 1;
    } else if (label) {
        fputc(',', j->f);
    } else {
        return; /* a second value of a one-value family: the first stands */
    }
    if (label) {
        json_put_string(j->f, label);
        fputc(':', j->f);
    }
    json_put_number(j->f, v);
}

void emetric_json_tick(const void *engines, FILE *f)
{
    struct em_json j = {.f = f};
    fputc('{', f);
    for (size_t k = 0; k < EM_N; k++) {
        j.in_family = 0;
        emetric_each(engines, k, em_json_one, &j);
        if (j.in_family && emetric_families[k].label)
            fputc('}', f);
    }
    fputc('}', f);
}
