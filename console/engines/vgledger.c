/*
 * vgledger - see vgledger.h.
 *
 * Every array is sized at vgledger_new: per GPU the capacity, reserved
 * and total held per type; per client slot and GPU the held amount and
 * limit per type.  What is available is kept as capacity - reserved -
 * the sum held, the sum maintained on every grant and release so that a
 * query costs O(1) whatever the number of clients.
 *
 * Amounts are doubles: a release that brings a holding within a
 * millionth of the GPU's capacity of zero makes it zero (and the sum
 * likewise), so repeated request/release pairs never leave rounding dust
 * that would show as "held 1e-17".
 */
#include "engines/vgledger.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[WVG_NTYPES] = WVG_TYPE_NAMES;

struct vg_gpu {
    char name[VGLEDGER_NAME_MAX];
    double cap[WVG_NTYPES], reserved[WVG_NTYPES], held[WVG_NTYPES];
};

struct vg_client {
    int open;
    uint32_t pid, uid;
};

struct vg_rule {
    double max_per_client; /* INFINITY: none */
    int deny;
};

struct vgledger {
    size_t max_gpus, n_gpus, max_clients, n_open;
    struct vg_gpu *gpus;
    struct vg_client *clients;
    /* [(client * max_gpus + gpu) * WVG_NTYPES + type] */
    double *held, *limit;
    struct vg_rule rules[WVG_NTYPES];
    struct vgledger_counters cnt;
};

struct vgledger *vgledger_new(size_t max_gpus, size_t max_clients)
{
    if (max_gpus == 0 || max_gpus > VGLEDGER_MAX_GPUS || max_clients == 0 ||
        max_clients > 65536)
        return NULL;
    struct vgledger *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    size_t n = max_clients * max_gpus * WVG_NTYPES;
    l->gpus = calloc(max_gpus, sizeof *l->gpus);
    l->clients = calloc(max_clients, sizeof *l->clients);
    l->held = calloc(n, sizeof *l->held);
    l->limit = calloc(n, sizeof *l->limit);
    if (!l->gpus || !l->clients || !l->held || !l->limit) {
        vgledger_free(l);
        return NULL;
    }
    l->max_gpus = max_gpus;
    l->max_clients = max_clients;
    for (size_t i = 0; i < n; i++)
        l->limit[i] = INFINITY;
    for (int t = 0; t < WVG_NTYPES; t++)
        l->rules[t].max_per_client = INFINITY;
    return l;
}

void vgledger_free(struct vgledger *l)
{
    if (!l)
        return;
    free(l->gpus);
    free(l->clients);
    free(l->held);
    free(l->limit);
    free(l);
}

static int bad_type(int type)
{
    return type < 0 || type >= WVG_NTYPES;
}

static size_t slot(const struct vgledger *l, int id, size_t gpu, int type)
{
    return ((size_t)id * l->max_gpus + gpu) * WVG_NTYPES + (size_t)type;
}

int vgledger_set_gpu(struct vgledger *l, size_t i, const char *name,
                     const double cap[WVG_NTYPES])
{
    if (i >= l->max_gpus || !name || strlen(name) >= VGLEDGER_NAME_MAX)
        return -1;
    for (int t = 0; t < WVG_NTYPES; t++)
        if (!isfinite(cap[t]) || cap[t] < 0)
            return -1;
    struct vg_gpu *g = &l->gpus[i];
    snprintf(g->name, sizeof g->name, "%s", name);
    memcpy(g->cap, cap, sizeof g->cap);
    if (l->n_gpus < i + 1)
        l->n_gpus = i + 1;
    return 0;
}

size_t vgledger_n_gpus(const struct vgledger *l)
{
    return l->n_gpus;
}

const char *vgledger_gpu_name(const struct vgledger *l, size_t i)
{
    return i < l->n_gpus ? l->gpus[i].name : NULL;
}

int vgledger_gpu_find(const struct vgledger *l, const char *name)
{
    for (size_t i = 0; i < l->n_gpus; i++)
        if (strcmp(l->gpus[i].name, name) == 0)
            return (int)i;
    return -1;
}

double vgledger_capacity(const struct vgledger *l, size_t gpu, int type)
{
    if (gpu >= l->n_gpus || bad_type(type))
        return 0;
    return l->gpus[gpu].cap[type];
}

int vgledger_set_reserved(struct vgledger *l, size_t gpu, int type,
                          double amount)
{
    if (gpu >= l->n_gpus || bad_type(type) || !isfinite(amount) || amount < 0)
        return -1;
    l->gpus[gpu].reserved[type] = amount;
    return 0;
}

double vgledger_reserved(const struct vgledger *l, size_t gpu, int type)
{
    if (gpu >= l->n_gpus || bad_type(type))
        return 0;
    return l->gpus[gpu].reserved[type];
}

double vgledger_available(const struct vgledger *l, size_t gpu, int type)
{
    if (gpu >= l->n_gpus || bad_type(type))
        return 0;
    const struct vg_gpu *g = &l->gpus[gpu];
    double a = g->cap[type] - g->reserved[type] - g->held[type];
    return a > 0 ? a : 0;
}

static int client_ok(const struct vgledger *l, int id)
{
    return id >= 0 && (size_t)id < l->max_clients && l->clients[id].open;
}

double vgledger_held(const struct vgledger *l, int id, size_t gpu, int type)
{
    if (!client_ok(l, id) || gpu >= l->n_gpus || bad_type(type))
        return 0;
    return l->held[slot(l, id, gpu, type)];
}

double vgledger_limit(const struct vgledger *l, int id, size_t gpu, int type)
{
    if (!client_ok(l, id) || gpu >= l->n_gpus || bad_type(type))
        return INFINITY;
    return l->limit[slot(l, id, gpu, type)];
}

int vgledger_client_open(struct vgledger *l, uint32_t pid, uint32_t uid)
{
    for (size_t i = 0; i < l->max_clients; i++) {
        struct vg_client *c = &l->clients[i];
        if (c->open)
            continue;
        c->open = 1;
        c->pid = pid;
        c->uid = uid;
        l->n_open++;
        return (int)i;
    }
    return -1;
}

/* Below this, a holding is zero (see the header comment). */
static double dust(const struct vg_gpu *g, int type)
{
    return g->cap[type] * 1e-6;
}

static void take_back(struct vgledger *l, size_t gpu, int type, double amount)
{
    struct vg_gpu *g = &l->gpus[gpu];
    g->held[type] -= amount;
    if (g->held[type] < dust(g, type))
        g->held[type] = 0;
}

int vgledger_client_close(struct vgledger *l, int id, double *released)
{
    if (!client_ok(l, id))
        return -1;
    int any = 0;
    for (size_t gpu = 0; gpu < l->max_gpus; gpu++) {
        for (int t = 0; t < WVG_NTYPES; t++) {
            size_t s = slot(l, id, gpu, t);
            double h = l->held[s];
            if (released)
                released[gpu * WVG_NTYPES + (size_t)t] = h;
            if (h > 0) {
                any = 1;
                take_back(l, gpu, t, h);
            }
            l->held[s] = 0;
            l->limit[s] = INFINITY;
        }
    }
    l->clients[id].open = 0;
    l->n_open--;
    if (any)
        l->cnt.disconnect_releases++;
    return any;
}

/* The common checks of a call: an open client, a known GPU and type, and
 * an amount that is finite and > 0 (a limit: >= 0). */
static int check(const struct vgledger *l, int id, size_t gpu, int type,
                 double amount, int zero_ok, char *why, size_t wlen)
{
    if (!client_ok(l, id)) {
        snprintf(why, wlen, "not a connected client");
        return VGLEDGER_ECLIENT;
    }
    if (bad_type(type)) {
        snprintf(why, wlen, "unknown type (compute, memory or power)");
        return VGLEDGER_ETYPE;
    }
    if (gpu >= l->n_gpus) {
        snprintf(why, wlen, "unknown gpu");
        return VGLEDGER_EGPU;
    }
    if (isnan(amount) || isinf(amount) || amount < 0 ||
        (amount == 0 && !zero_ok)) {
        snprintf(why, wlen, "%s %g: must be finite and %s",
                 zero_ok ? "limit" : "amount", amount,
                 zero_ok ? ">= 0" : "> 0");
        return VGLEDGER_EAMOUNT;
    }
    return VGLEDGER_OK;
}

int vgledger_request(struct vgledger *l, int id, size_t gpu, int type,
                     double amount, double *granted, char *why, size_t wlen)
{
    *granted = 0;
    why[0] = '\0';
    l->cnt.requests++;
    int rc = check(l, id, gpu, type, amount, 0, why, wlen);
    if (rc != VGLEDGER_OK) {
        l->cnt.refusals++;
        return rc;
    }
    const struct vg_gpu *g = &l->gpus[gpu];
    const struct vg_rule *rule = &l->rules[type];
    const char *tn = type_names[type];
    if (rule->deny) {
        snprintf(why, wlen, "%s requests refused by policy", tn);
        l->cnt.refusals++;
        return VGLEDGER_EPOLICY;
    }
    size_t s = slot(l, id, gpu, type);
    double held = l->held[s], lim = l->limit[s];
    int by_policy = rule->max_per_client < lim;
    double cap = by_policy ? rule->max_per_client : lim;
    double room = cap - held;
    double avail = vgledger_available(l, gpu, type);
    if (room <= dust(g, type)) {
        if (by_policy)
            snprintf(why, wlen, "policy limit %g %s per client reached on %s",
                     cap, tn, g->name);
        else
            snprintf(why, wlen, "limit %g %s reached on %s", cap, tn, g->name);
        l->cnt.refusals++;
        return by_policy ? VGLEDGER_EPOLICY : VGLEDGER_ELIMIT;
    }
    if (avail <= dust(g, type)) {
        snprintf(why, wlen, "only %g %s available on %s", avail, tn, g->name);
        l->cnt.refusals++;
        return VGLEDGER_EFULL;
    }
    double give = amount;
    if (give > avail) {
        give = avail;
        snprintf(why, wlen, "partial: only %g %s available on %s", avail, tn,
                 g->name);
    }
    if (give > room) {
        give = room;
        snprintf(why, wlen, "partial: %s %g %s per client on %s",
                 by_policy ? "policy limit" : "limit", cap, tn, g->name);
    }
    l->held[s] += give;
    l->gpus[gpu].held[type] += give;
    *granted = give;
    l->cnt.grants++;
    if (give < amount)
        l->cnt.partial++;
    return VGLEDGER_OK;
}

int vgledger_release(struct vgledger *l, int id, size_t gpu, int type,
                     double amount, double *released, char *why, size_t wlen)
{
    *released = 0;
    why[0] = '\0';
    int rc = check(l, id, gpu, type, amount, 0, why, wlen);
    if (rc != VGLEDGER_OK)
        return rc;
    size_t s = slot(l, id, gpu, type);
    double held = l->held[s];
    const struct vg_gpu *g = &l->gpus[gpu];
    double r = amount;
    if (r >= held - dust(g, type)) {
        if (r > held + dust(g, type))
            snprintf(why, wlen, "held only %g %s on %s: released that", held,
                     type_names[type], g->name);
        r = held;
    }
    l->held[s] = held - r;
    take_back(l, gpu, type, r);
    *released = r;
    l->cnt.releases++;
    return VGLEDGER_OK;
}

int vgledger_set_limit(struct vgledger *l, int id, size_t gpu, int type,
                       double limit, char *why, size_t wlen)
{
    why[0] = '\0';
    int rc = check(l, id, gpu, type, limit, 1, why, wlen);
    if (rc != VGLEDGER_OK)
        return rc;
    size_t s = slot(l, id, gpu, type);
    if (limit < l->held[s]) {
        snprintf(why, wlen,
                 "limit %g below the %g %s held on %s: release first", limit,
                 l->held[s], type_names[type], l->gpus[gpu].name);
        return VGLEDGER_ELIMIT;
    }
    l->limit[s] = limit;
    l->cnt.limits++;
    return VGLEDGER_OK;
}

int vgledger_set_rule(struct vgledger *l, int type, double max_per_client,
                      int deny)
{
    if (bad_type(type) || isnan(max_per_client))
        return -1;
    l->rules[type].max_per_client =
        max_per_client > 0 ? max_per_client : INFINITY;
    l->rules[type].deny = deny != 0;
    return 0;
}

int vgledger_next_holding(const struct vgledger *l, size_t *cursor,
                          struct vgledger_holding *h)
{
    size_t end = l->max_clients * l->max_gpus;
    for (; *cursor < end; (*cursor)++) {
        size_t id = *cursor / l->max_gpus, gpu = *cursor % l->max_gpus;
        if (!l->clients[id].open || gpu >= l->n_gpus)
            continue;
        const double *held = &l->held[(id * l->max_gpus + gpu) * WVG_NTYPES];
        const double *lim = &l->limit[(id * l->max_gpus + gpu) * WVG_NTYPES];
        int any = 0;
        for (int t = 0; t < WVG_NTYPES; t++)
            any |= held[t] > 0 || !isinf(lim[t]);
        if (!any)
            continue;
        h->client = (int)id;
        h->pid = l->clients[id].pid;
        h->uid = l->clients[id].uid;
        h->gpu = gpu;
        memcpy(h->held, held, sizeof h->held);
        memcpy(h->limit, lim, sizeof h->limit);
        (*cursor)++;
        return 1;
    }
    return 0;
}

size_t vgledger_n_clients(const struct vgledger *l)
{
    return l->n_open;
}

const struct vgledger_counters *vgledger_counters(const struct vgledger *l)
{
    return &l->cnt;
}
