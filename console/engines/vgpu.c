/*
 * vgpu - see vgpu.h.
 */
#include "engines/vgpu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/labvg.h"
#include "core/model.h"
#include "core/summary.h"
#include "engines/galloc.h"
#include "engines/gpred.h"
#include "engines/gprof.h"
#include "engines/vgledger.h"
#include "wattson/plugin.h"

enum { VGPU_PERFECT = 100 }; /* beside labvg's modes: the bench's */

struct vgpu_tenant {
    int used;
    uint32_t device, pid;
    char name[WATTSON_GPU_NAME_LEN];
    uint32_t perf_kind;
    double slo;
    const struct labvg_tenant *cfg;
    double last_seen;
    struct gprof prof;
    struct gpred pred;
    double perf, need_sm, need_mem; /* this tick's */
    double pred_sm, pred_mem;
    int pred_known;
    double want_sm, want_mem;
    double share_sm, share_mem;
    int has_share;
    double mem_low_since; /* want below 80 % of the share since (NaN: not) */
    int violating;
    unsigned win_bad, win_ok; /* windows with / without a violation */
    double slack;             /* SLO feedback: want = use x headroom x slack */
    double slo_bad_s, seen_s;
};

struct vgpu_gpu {
    uint32_t device;
    double mem_total;
    double res_sm, res_mem; /* held by the API's requests */
    unsigned n_tenants;     /* for static: the set the slices are for */
};

struct vgpu {
    struct labvg cfg;
    int mode;
    unsigned h; /* horizon, windows */
    struct vgpu_tenant t[VGPU_MAX_TENANTS];
    struct vgpu_gpu g[VGPU_MAX_GPUS];
    size_t n_gpu;
    double next_window;
    int started;
    vgpu_future_fn future;
    void *future_ctx;
    struct vgpu_stats st;
    double t_first;
    uint64_t windows, phase_changes;
    size_t n_tenants;
    /* the API's book (NULL without --vgpu-socket) and the model device
     * of each of its GPUs (-1: none by that name) */
    struct vgledger *ledger;
    int ldev[VGLEDGER_MAX_GPUS];
    int ldev_known;
    struct vgpu_view view;
    struct engine_gpu_row rows[VGPU_MAX_TENANTS]; /* the pane's */
    size_t n_clients;
    double client_sm;
};

static void *vgpu_create(const struct model *m)
{
    (void)m;
    struct vgpu *v = calloc(1, sizeof *v);
    if (!v)
        return NULL;
    vgpu_configure(v, NULL);
    return v;
}

static void vgpu_destroy(void *st)
{
    free(st);
}

void vgpu_configure(struct vgpu *v, const struct labvg *cfg)
{
    if (!v)
        return;
    if (cfg)
        v->cfg = *cfg;
    else
        labvg_default(&v->cfg);
    /* A tenant's cfg pointed into the old copy. */
    for (size_t i = 0; i < VGPU_MAX_TENANTS; i++)
        if (v->t[i].used)
            v->t[i].cfg = labvg_tenant(&v->cfg, v->t[i].name);
    v->mode = v->future ? VGPU_PERFECT : (int)v->cfg.mode;
    double h = v->cfg.horizon_s / v->cfg.interval_s;
    v->h = (unsigned)fmin(GPRED_HMAX, fmax(1, floor(h + 0.5)));
}

void vgpu_set_future(struct vgpu *v, vgpu_future_fn fn, void *ctx)
{
    if (!v)
        return;
    v->future = fn;
    v->future_ctx = ctx;
    v->mode = fn ? VGPU_PERFECT : (int)v->cfg.mode;
}

void vgpu_set_ledger(struct vgpu *v, struct vgledger *l)
{
    if (!v)
        return;
    v->ledger = l;
    v->ldev_known = 0;
}

struct vgledger *vgpu_ledger(const struct vgpu *v)
{
    return v ? v->ledger : NULL;
}

static struct vgpu_gpu *vgpu_gpu(struct vgpu *v, const struct model *m,
                                 uint32_t dev);

/* The API's holdings reserve capacity before the tenants share, and the
 * tenants' guarantees are not the API's to grant (every tick: a request
 * answered between ticks counts from the next). */
static void vgpu_sync_ledger(struct vgpu *v, const struct model *m)
{
    struct vgledger *l = v->ledger;
    size_t ng = vgledger_n_gpus(l);
    if (!v->ldev_known) {
        for (size_t i = 0; i < ng; i++)
            v->ldev[i] = model_find_device(m, vgledger_gpu_name(l, i));
        v->ldev_known = 1;
    }
    double held[VGLEDGER_MAX_GPUS][WVG_NTYPES];
    memset(held, 0, sizeof held);
    size_t cur = 0;
    struct vgledger_holding h;
    v->client_sm = 0;
    while (vgledger_next_holding(l, &cur, &h))
        if (h.gpu < ng) {
            for (int k = 0; k < WVG_NTYPES; k++)
                held[h.gpu][k] += h.held[k];
            v->client_sm += h.held[WVG_COMPUTE];
        }
    v->n_clients = vgledger_n_clients(l);
    for (size_t i = 0; i < ng; i++) {
        if (v->ldev[i] < 0)
            continue;
        struct vgpu_gpu *g = vgpu_gpu(v, m, (uint32_t)v->ldev[i]);
        if (!g)
            continue;
        g->res_sm = fmin(1, held[i][WVG_COMPUTE]);
        g->res_mem = held[i][WVG_MEMORY];
        double gsm = 0, gmem = 0;
        for (size_t k = 0; k < VGPU_MAX_TENANTS; k++) {
            const struct vgpu_tenant *t = &v->t[k];
            if (t->used && t->device == g->device && t->cfg) {
                gsm += t->cfg->min_sm;
                gmem += t->cfg->min_mem;
            }
        }
        vgledger_set_reserved(l, i, WVG_COMPUTE, gsm);
        vgledger_set_reserved(l, i, WVG_MEMORY, gmem);
    }
}

struct vgpu *vgpu_of(const struct engines *e)
{
    return engines_state_of(e, &vgpu_engine_ops);
}

const struct vgpu_view *vgpu_view(const struct vgpu *v)
{
    return v ? &v->view : NULL;
}

void vgpu_stats(const struct vgpu *v, struct vgpu_stats *out)
{
    memset(out, 0, sizeof *out);
    if (v)
        *out = v->st;
}

/* The GPU's slot if it has one. */
static struct vgpu_gpu *vgpu_gpu_of(struct vgpu *v, uint32_t dev)
{
    for (size_t i = 0; i < v->n_gpu; i++)
        if (v->g[i].device == dev)
            return &v->g[i];
    return NULL;
}

/* The GPU's slot, made on first sight (NULL when full). */
static struct vgpu_gpu *vgpu_gpu(struct vgpu *v, const struct model *m,
                                 uint32_t dev)
{
    struct vgpu_gpu *had = vgpu_gpu_of(v, dev);
    if (had || v->n_gpu == VGPU_MAX_GPUS)
        return had;
    struct vgpu_gpu *g = &v->g[v->n_gpu++];
    memset(g, 0, sizeof *g);
    g->device = dev;
    g->mem_total = NAN;
    int s = model_find_signal(m, dev, "mem_total");
    if (s >= 0 && m->valid[s] && m->val[s] > 0)
        g->mem_total = m->val[s];
    return g;
}

void vgpu_set_reserved(struct vgpu *v, uint32_t device, double sm, double mem_b)
{
    struct vgpu_gpu *g = v ? vgpu_gpu_of(v, device) : NULL;
    if (!g)
        return;
    g->res_sm = isfinite(sm) && sm > 0 ? fmin(sm, 1) : 0;
    g->res_mem = isfinite(mem_b) && mem_b > 0 ? mem_b : 0;
}

static struct vgpu_tenant *vgpu_tenant(struct vgpu *v, const struct model *m,
                                       const struct wattson_gpu_proc *p)
{
    struct vgpu_tenant *fr = NULL;
    for (size_t i = 0; i < VGPU_MAX_TENANTS; i++) {
        struct vgpu_tenant *t = &v->t[i];
        if (t->used && t->device == p->device && t->pid == p->pid)
            return t;
        if (!t->used && !fr)
            fr = t;
    }
    struct vgpu_gpu *g = vgpu_gpu(v, m, p->device);
    if (!fr || !g)
        return NULL;
    memset(fr, 0, sizeof *fr);
    fr->used = 1;
    fr->device = p->device;
    fr->pid = p->pid;
    memcpy(fr->name, p->name, sizeof fr->name);
    fr->name[sizeof fr->name - 1] = '\0';
    fr->cfg = labvg_tenant(&v->cfg, fr->name);
    fr->mem_low_since = NAN;
    fr->slack = 1;
    gprof_init(&fr->prof, isfinite(g->mem_total) ? g->mem_total : 16e9);
    gpred_init(&fr->pred, v->h);
    v->n_tenants++;
    return fr;
}

/* Worse than its objective: fps or rate below, latency above. */
static int vgpu_violates(uint32_t kind, double perf, double slo)
{
    if (!isfinite(perf) || !isfinite(slo))
        return 0;
    return kind == WATTSON_GPU_PERF_LATENCY ? perf > slo : perf < slo;
}

/* What the mode wants of SM time and memory for t. */
static void vgpu_want(struct vgpu *v, struct vgpu_tenant *t, double now)
{
    double k = 1 + v->cfg.headroom;
    double sm, mem;
    unsigned recent = v->mode == LABVG_REACTIVE ? 5 : 2;
    gpred_recent(&t->pred, recent, &sm, &mem);
    t->pred_known =
        gpred_predict(&t->pred, t->prof.sig, &t->pred_sm, &t->pred_mem) > 0;
    double fs, fm;
    if (v->mode == VGPU_PERFECT &&
        v->future(v->future_ctx, t->device, t->pid, now, now + v->cfg.horizon_s,
                  &fs, &fm) == 0) {
        /* the true needs instead of the predictor's; the feedback below
         * stays, so the two differ in their forecasts alone */
        sm = fs;
        mem = fm;
    } else if (v->mode == LABVG_PREDICTIVE && t->pred_known) {
        sm = fmax(sm, t->pred_sm);
        mem = fmax(mem, t->pred_mem);
    }
    /* A tenant at its memory limit shows no more than the limit: like a
     * capped SM share, it is offered more (25 % and 5 % of the GPU). */
    double total = t->prof.mem_total;
    int mem_capped = t->has_share && isfinite(t->share_mem) &&
                     t->prof.mem_b >= 0.98 * t->share_mem;
    /* SLO feedback: use is not need for a queue (a server at 90 % busy
     * waits long), so a tenant that did worse than its SLO in a window
     * gets 10 % more slack, and gives 2 % back per window it met it
     * (AIMD's shape, multiplicative both ways), within [1, 3].  Not
     * while it is at its memory limit: then memory is what it lacks. */
    if (t->win_bad > 0 && !mem_capped)
        t->slack = fmin(3, t->slack * 1.1);
    else if (t->win_bad == 0 && t->win_ok > 0)
        t->slack = fmax(1, t->slack * 0.98);
    t->win_bad = t->win_ok = 0;
    int capped = t->has_share && t->prof.sm >= t->share_sm - 0.02;
    t->want_sm = sm * k * t->slack;
    if (capped)
        t->want_sm = fmax(t->want_sm, t->prof.sm * 1.25);
    t->want_mem = mem * k;
    if (mem_capped)
        t->want_mem = fmax(t->want_mem, t->share_mem * 1.25 + 0.05 * total);
}

/* The shares of one GPU's tenants. */
static void vgpu_share_gpu(struct vgpu *v, struct vgpu_gpu *g, double now)
{
    struct galloc_in in[GALLOC_MAX], inm[GALLOC_MAX];
    struct vgpu_tenant *ts[GALLOC_MAX];
    double out[GALLOC_MAX], outm[GALLOC_MAX];
    size_t n = 0;
    for (size_t i = 0; i < VGPU_MAX_TENANTS && n < GALLOC_MAX; i++) {
        struct vgpu_tenant *t = &v->t[i];
        if (!t->used || t->device != g->device)
            continue;
        const struct labvg_tenant *c = t->cfg;
        ts[n] = t;
        in[n] = (struct galloc_in){.want = t->want_sm,
                                   .min = c ? c->min_sm : 0,
                                   .max = c ? c->max_sm : 1,
                                   .prio = c ? c->priority : 1};
        inm[n] = (struct galloc_in){.want = t->want_mem,
                                    .min = c ? c->min_mem : 0,
                                    .max = c ? c->max_mem : INFINITY,
                                    .prio = c ? c->priority : 1};
        n++;
    }
    if (n == 0)
        return;
    /* Memory moves cost time: a share the want fell below 80 % of is held
     * for VGPU_MEM_HOLD_S (as a guarantee, so the others cannot take it
     * meanwhile), then released. */
    for (size_t i = 0; i < n; i++) {
        struct vgpu_tenant *t = ts[i];
        if (!t->has_share || !isfinite(t->share_mem) ||
            !(t->want_mem < 0.8 * t->share_mem)) {
            t->mem_low_since = NAN;
            continue;
        }
        if (isnan(t->mem_low_since))
            t->mem_low_since = now;
        if (now - t->mem_low_since < VGPU_MEM_HOLD_S) {
            inm[i].want = t->share_mem;
            inm[i].min = fmin(fmax(inm[i].min, t->share_mem), inm[i].max);
        }
    }
    double cap_sm = fmax(0, 1 - g->res_sm);
    double cap_mem =
        isfinite(g->mem_total) ? fmax(0, g->mem_total - g->res_mem) : INFINITY;
    if (v->mode == LABVG_STATIC) {
        if (g->n_tenants == n)
            return; /* the slices stand while the set does */
        g->n_tenants = (unsigned)n;
        for (size_t i = 0; i < n; i++) {
            ts[i]->share_sm = cap_sm / (double)n;
            ts[i]->share_mem = cap_mem / (double)n;
            ts[i]->has_share = 1;
        }
        v->st.reallocs++;
        return;
    }
    galloc_share(in, n, cap_sm, 1, out);
    if (isfinite(cap_mem)) {
        galloc_share(inm, n, cap_mem, 0, outm);
    } else {
        for (size_t i = 0; i < n; i++)
            outm[i] = INFINITY;
    }
    int change = 0;
    double mem_step = isfinite(g->mem_total) ? 0.05 * g->mem_total : 0;
    for (size_t i = 0; i < n; i++) {
        const struct vgpu_tenant *t = ts[i];
        /* short of what it wants, or a move worth making */
        int short_sm =
            t->want_sm > t->share_sm + 0.01 && out[i] >= t->share_sm + 0.02;
        if (!t->has_share || short_sm ||
            fabs(out[i] - t->share_sm) >= VGPU_SM_STEP ||
            (isfinite(outm[i]) && fabs(outm[i] - t->share_mem) > mem_step))
            change = 1;
    }
    if (!change)
        return;
    for (size_t i = 0; i < n; i++) {
        ts[i]->share_sm = out[i];
        ts[i]->share_mem = outm[i];
        ts[i]->has_share = 1;
    }
    v->st.reallocs++;
}

/* A window ends: signatures, predictions, shares. */
static void vgpu_window(struct vgpu *v, double now)
{
    double win = v->cfg.interval_s;
    for (size_t i = 0; i < VGPU_MAX_TENANTS; i++) {
        struct vgpu_tenant *t = &v->t[i];
        if (!t->used)
            continue;
        int ch = gprof_end(&t->prof, win);
        if (ch < 0)
            continue;
        v->phase_changes += (uint64_t)ch;
        gpred_add(&t->pred, t->prof.sig, t->prof.sm, t->prof.mem_b);
        vgpu_want(v, t, now);
    }
    v->windows++;
    if (v->mode == LABVG_OFF)
        return;
    for (size_t k = 0; k < v->n_gpu; k++)
        vgpu_share_gpu(v, &v->g[k], now);
}

static void vgpu_publish(struct vgpu *v, const struct model *m)
{
    struct vgpu_view *w = &v->view;
    w->mode = v->mode == VGPU_PERFECT ? "perfect" : labvg_mode_name(v->mode);
    w->windows = v->windows;
    w->reallocs = v->st.reallocs;
    w->phase_changes = v->phase_changes;
    w->n = 0;
    for (size_t i = 0; i < VGPU_MAX_TENANTS; i++) {
        const struct vgpu_tenant *t = &v->t[i];
        if (!t->used)
            continue;
        struct vgpu_tenant_view *o = &w->t[w->n++];
        double gpu_w = NAN, sum = 0;
        for (size_t j = 0; j < VGPU_MAX_TENANTS; j++)
            if (v->t[j].used && v->t[j].device == t->device)
                sum += v->t[j].prof.sm;
        if (!model_device_power(m, t->device, &gpu_w))
            gpu_w = NAN;
        *o = (struct vgpu_tenant_view){
            .device = t->device,
            .pid = t->pid,
            .name = t->name,
            .perf_kind = t->perf_kind,
            .sm = t->prof.sm,
            .mem_b = t->prof.mem_b,
            .perf = t->prof.perf,
            .slo = t->slo,
            .power_w = sum > 0 ? gpu_w * t->prof.sm / sum : 0,
            .pred_sm = t->pred_known ? t->pred_sm : NAN,
            .pred_mem = t->pred_known ? t->pred_mem : NAN,
            .pred_known = t->pred_known,
            .share_sm = t->has_share ? t->share_sm : NAN,
            .share_mem = t->has_share ? t->share_mem : NAN,
            .phase = t->prof.phase,
            .phase_changes = t->prof.phase_changes,
            .violating = t->violating,
            .need_sm = t->need_sm,
            .slo_bad_s = t->slo_bad_s,
            .seen_s = t->seen_s,
            .sig = t->prof.sig,
        };
        v->rows[w->n - 1] = (struct engine_gpu_row){
            .name = t->name,
            .gpu = t->device < m->n_devices ? m->devices[t->device].name : "?",
            .sm = o->sm,
            .share_sm = o->share_sm,
            .pred_sm = o->pred_sm,
            .mem_b = o->mem_b,
            .share_mem = o->share_mem,
            .power_w = o->power_w,
            .perf = o->perf,
            .slo = o->slo,
            .perf_kind = (int)o->perf_kind,
            .violating = o->violating,
        };
    }
}

static void vgpu_propose(void *st, struct model *m)
{
    struct vgpu *v = st;
    double now = m->t, dt = m->dt > 0 ? m->dt : 0;
    if (!v->started) {
        v->started = 1;
        v->t_first = now;
        v->next_window = now + v->cfg.interval_s;
    }
    /* Nothing to do without GPU processes (most runs: bench tick16 spent
     * about 100 ns of its 7.7 us tick here without this); what the book's
     * clients hold matters only to tenants' shares. */
    if (v->n_tenants == 0 && m->n_gproc == 0) {
        m->n_gshare = 0;
        return;
    }
    /* this tick's samples */
    double fair_x[GALLOC_MAX];
    size_t nf = 0;
    for (size_t i = 0; i < m->n_gproc; i++) {
        const struct wattson_gpu_proc *p = &m->gproc[i];
        struct vgpu_tenant *t = vgpu_tenant(v, m, p);
        if (!t)
            continue;
        gprof_add(&t->prof, p);
        t->last_seen = now;
        t->perf_kind = p->perf_kind;
        t->slo = p->slo;
        t->perf = p->perf;
        t->need_sm = p->need_sm;
        t->need_mem = p->need_mem;
        t->violating = vgpu_violates(p->perf_kind, p->perf, p->slo);
        t->win_bad += t->violating != 0;
        t->win_ok += t->violating == 0;
        t->seen_s += dt;
        t->slo_bad_s += t->violating ? dt : 0;
        v->st.tenant_s += dt;
        v->st.slo_bad_s += t->violating ? dt : 0;
        /* below need: its share under 98 % of its true need (the
         * simulation's ground truth; tenants with a share only) */
        if (isfinite(p->need_sm) && t->has_share && v->mode != LABVG_OFF) {
            v->st.share_s += dt;
            v->st.below_need_s += t->share_sm < 0.98 * p->need_sm ? dt : 0;
        }
        /* fairness of what each tenant attains of its SLO */
        if (isfinite(p->perf) && isfinite(p->slo) && p->perf > 0 &&
            p->slo > 0 && nf < GALLOC_MAX)
            fair_x[nf++] = fmin(1, p->perf_kind == WATTSON_GPU_PERF_LATENCY
                                       ? p->slo / p->perf
                                       : p->perf / p->slo);
    }
    if (nf > 0) {
        v->st.fair_sum += galloc_jain(fair_x, nf);
        v->st.fair_n++;
    }
    /* per GPU utilisation over the GPUs with tenants */
    for (size_t k = 0; k < v->n_gpu; k++) {
        double used = 0;
        int any = 0;
        for (size_t i = 0; i < m->n_gproc; i++)
            if (m->gproc[i].device == v->g[k].device &&
                isfinite(m->gproc[i].sm)) {
                used += m->gproc[i].sm;
                any = 1;
            }
        if (any) {
            v->st.gpu_s += dt;
            v->st.used_sm_s += fmin(1, used) * dt;
        }
    }
    if (v->ledger)
        vgpu_sync_ledger(v, m);
    /* tenants gone */
    for (size_t i = 0; i < VGPU_MAX_TENANTS; i++) {
        struct vgpu_tenant *t = &v->t[i];
        if (t->used && now - t->last_seen > VGPU_GONE_S) {
            t->used = 0;
            v->n_tenants--;
        }
    }
    if (now + 1e-9 >= v->next_window) {
        vgpu_window(v, now);
        v->next_window += v->cfg.interval_s;
        if (v->next_window <= now)
            v->next_window = now + v->cfg.interval_s;
        vgpu_publish(v, m);
    }
    v->st.span_s = now - v->t_first;
    /* the shares, every tick: the policy and the actuate stage see them */
    m->n_gshare = 0;
    for (size_t i = 0; i < VGPU_MAX_TENANTS && m->n_gshare < MODEL_GPROC_CAP;
         i++) {
        const struct vgpu_tenant *t = &v->t[i];
        if (!t->used || !t->has_share || v->mode == LABVG_OFF)
            continue;
        struct model_gshare *s = &m->gshare[m->n_gshare++];
        const struct vgpu_gpu *g = vgpu_gpu_of(v, t->device);
        memset(s, 0, sizeof *s);
        s->device = t->device;
        s->mem_total = g ? g->mem_total : NAN;
        s->pid = t->pid;
        s->prop_sm = t->share_sm;
        s->prop_mem = t->share_mem;
    }
}

static void vgpu_summarize(const void *st, struct summary *s)
{
    const struct vgpu *v = st;
    if (!v || v->st.tenant_s <= 0)
        return;
    s->vgpu_tenants = v->n_tenants;
    s->vgpu_reallocs = v->st.reallocs;
    s->vgpu_phase_changes = v->phase_changes;
    s->vgpu_slo_violation_s = v->st.slo_bad_s;
    s->vgpu_tenant_s = v->st.tenant_s;
    s->vgpu_util = v->st.gpu_s > 0 ? v->st.used_sm_s / v->st.gpu_s : 0;
}

static int vgpu_pane(const void *st, size_t i, struct engine_pane *out)
{
    const struct vgpu *v = st;
    if (!v || i > 0 || !v->view.mode || (v->view.n == 0 && !v->ledger))
        return 0;
    out->kind = ENGINE_PANE_GPUS;
    out->u.gpus = (struct engine_gpus){
        .mode = v->view.mode,
        .n = v->view.n,
        .row = v->rows,
        .reallocs = (unsigned long)v->view.reallocs,
        .phase_changes = (unsigned long)v->view.phase_changes,
        .clients = v->ledger ? v->n_clients : 0,
        .client_sm = v->ledger ? v->client_sm : 0,
    };
    return 1;
}

const struct engine_ops vgpu_engine_ops = {
    .name = "vgpu",
    .create = vgpu_create,
    .propose = vgpu_propose,
    .destroy = vgpu_destroy,
    .summarize = vgpu_summarize,
    .pane = vgpu_pane,
};
