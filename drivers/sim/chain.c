/*
 * chain - the sim plugin's chains of processes: reading the lab's
 * `pipelines` (client and stage processes, their devices and pids), and
 * the traffic between them (work in flight towards each stage, and the
 * IPC event log that ipc_read drains).  It is apart from sim.c, which
 * owns the devices and the plugin ops, because it is a workload laid over
 * the devices rather than part of them; the state both use is simint.h's,
 * and it reads the lab with simcfg.c's helpers, so sim.c calls it and it
 * calls nothing of sim.c.  The lab key stays `pipelines` (labs in use
 * name it so); the code says "chain" because "pipeline" is the console's
 * tick.
 *
 * Chains.  A chain is a client process and 1 to CHAIN_MAX_STAGES
 * stages, each a process on its own device.  At the end of every interval
 * (the read at time t) the client sends stage 1 the work of
 * [t + lag, t + lag + dt] (its source shape evaluated lag ahead), and each
 * stage k that served chain work in the interval sends it on to stage
 * k + 1, times that stage's ratio; both arrive lag later.  Work in flight
 * towards a stage sits in a fixed ring of (arrival time, op) entries;
 * arrivals inside an interval join the unit's FIFO with the interval's own
 * demand, at the interval start (the sim's one arrival convention).  A
 * stage's FIFO tags the chain work (pu_step_tagged), so a device that is
 * also a stage can keep its own workload without forwarding it.  Every
 * message is logged in a fixed ring of IPC events that ipc_read drains.
 */
#include "chain.h"

#include <wattson/plugin.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pu.h"
#include "simcfg.h"
#include "simint.h"
#include "workload.h"

#define CHAIN_MAX 256
/* Entries of work in flight towards one stage (lag / tick of them are in
 * use at a time); when full, new work is merged into the newest entry. */
#define CHAIN_FLIGHT_RING 4096
/* The IPC event log holds this many intervals' messages. */
#define CHAIN_IPC_TICKS 256
/* Chain defaults: a decode/preprocess hand-off through shared memory or
 * a local socket takes 10-100 ms (batching included). */
#define CHAIN_LAG_DEFAULT_S 0.02
#define CHAIN_LAG_MAX_S 3600.0
/* Random streams of chain sources start above every device index. */
#define CHAIN_STREAM 0x100000000ull

/* ---- chain configuration --------------------------------------------- */

/* A process id at `path`: required, a whole number in [1, 2^32 - 1], and
 * not already taken by another process of any chain. */
static int chain_read_pid(const struct sim *s, const char *path, uint32_t *out,
                          char *err, size_t errlen)
{
    const struct wattson_host *h = s->host;
    uint32_t pid;
    double v;

    if (h->cfg_type(h->ctx, path) == WATTSON_CFG_NONE) {
        simcfg_err(err, errlen, "%s: missing (a process id is required)", path);
        return -1;
    }
    if (simcfg_num(h, path, 0, 1, 0, 4294967295.0, &v, err, errlen))
        return -1;
    if (v != floor(v)) {
        simcfg_err(err, errlen, "%s: must be a whole number, got %g", path, v);
        return -1;
    }
    pid = (uint32_t)v;
    /* Every pid read so far: the chains before this one, and this one
     * (index n_chains while reading: its client, then its complete stages;
     * pids not read yet are 0). */
    for (size_t p = 0; p <= s->n_chains; p++) {
        const struct chain *ch = &s->chains[p];
        char other[SIM_PATH_MAX];
        int hit = 0;
        if (ch->pid == pid) {
            simcfg_fmt(other, sizeof other, "pipelines.%zu.pid", p + 1);
            hit = 1;
        }
        for (size_t k = 0; !hit && k < ch->n_stages; k++) {
            if (ch->st[k].pid == pid) {
                simcfg_fmt(other, sizeof other, "pipelines.%zu.stages.%zu.pid",
                           p + 1, k + 1);
                hit = 1;
            }
        }
        if (hit) {
            simcfg_err(err, errlen, "%s: duplicate pid %u (also %s)", path,
                       (unsigned)pid, other);
            return -1;
        }
    }
    *out = pid;
    return 0;
}

/* An optional name at `path` (default `def`) into buf. */
static int chain_read_name(const struct wattson_host *h, const char *path,
                           const char *def, char *buf, char *err, size_t errlen)
{
    int absent;
    const char *name = simcfg_str(h, path, 0, &absent, err, errlen);

    if (!name && !absent)
        return -1;
    if (absent)
        name = def;
    if (!name[0] || strlen(name) >= SIM_NAME_MAX) {
        simcfg_err(err, errlen, "%s: must be 1 to %d characters", path,
                   SIM_NAME_MAX - 1);
        return -1;
    }
    simcfg_fmt(buf, SIM_NAME_MAX, "%s", name);
    return 0;
}

static int chain_read_stage(struct sim *s, size_t p, size_t k, char *err,
                            size_t errlen)
{
    static const char *const keys[] = {"device", "pid", "name", "ratio", NULL};
    const struct wattson_host *h = s->host;
    struct chain *ch = &s->chains[p];
    struct chain_stage *st = &ch->st[k];
    char spath[SIM_PATH_MAX], path[SIM_PATH_MAX + 16];
    const char *dev;
    size_t i;

    simcfg_fmt(spath, sizeof spath, "pipelines.%zu.stages.%zu", p + 1, k + 1);
    if (simcfg_expect_table(h, spath, err, errlen) ||
        simcfg_check_keys(h, spath, keys, err, errlen))
        return -1;
    simcfg_fmt(path, sizeof path, "%s.device", spath);
    if (!(dev = sim_dev_read(s, path, &i, err, errlen)))
        return -1;
    if (s->devs[i].chain >= 0) {
        simcfg_err(
            err, errlen,
            "%s: device '%s' is already pipelines.%d.stages.%d (a device "
            "serves one stage)",
            path, dev, s->devs[i].chain + 1, s->devs[i].stage + 1);
        return -1;
    }
    st->dev = i;
    simcfg_fmt(path, sizeof path, "%s.pid", spath);
    if (chain_read_pid(s, path, &st->pid, err, errlen))
        return -1;
    simcfg_fmt(path, sizeof path, "%s.name", spath);
    if (chain_read_name(h, path, dev, st->name, err, errlen))
        return -1;
    simcfg_fmt(path, sizeof path, "%s.ratio", spath);
    if (k == 0 && h->cfg_type(h->ctx, path) != WATTSON_CFG_NONE) {
        simcfg_err(err, errlen,
                   "%s: the first stage takes the source's demand as it is (no "
                   "ratio)",
                   path);
        return -1;
    }
    if (simcfg_num(h, path, 1.0, 0, 1, 1e9, &st->ratio, err, errlen))
        return -1;
    st->in.ring = calloc(CHAIN_FLIGHT_RING, sizeof *st->in.ring);
    if (!st->in.ring) {
        simcfg_err(err, errlen, "%s: out of memory", spath);
        return -1;
    }
    /* Counted only now, so that chain_read_pid's duplicate search and
     * chain_free see complete stages. */
    ch->n_stages = k + 1;
    s->devs[i].chain = (int)p;
    s->devs[i].stage = (int)k;
    return 0;
}

static int chain_read_one(struct sim *s, size_t p, char *err, size_t errlen)
{
    static const char *const keys[] = {
        "name", "pid", "source", "lag_s", "stages", "bytes_per_op", NULL};
    const struct wattson_host *h = s->host;
    struct chain *ch = &s->chains[p];
    char ppath[SIM_PATH_MAX], path[SIM_PATH_MAX + 16], def[SIM_NAME_MAX];
    size_t n;
    int type;

    simcfg_fmt(ppath, sizeof ppath, "pipelines.%zu", p + 1);
    if (simcfg_expect_table(h, ppath, err, errlen) ||
        simcfg_check_keys(h, ppath, keys, err, errlen))
        return -1;
    simcfg_fmt(def, sizeof def, "pipeline%zu", p + 1);
    simcfg_fmt(path, sizeof path, "%s.name", ppath);
    if (chain_read_name(h, path, def, ch->name, err, errlen))
        return -1;
    simcfg_fmt(path, sizeof path, "%s.pid", ppath);
    if (chain_read_pid(s, path, &ch->pid, err, errlen))
        return -1;
    simcfg_fmt(path, sizeof path, "%s.lag_s", ppath);
    if (simcfg_num(h, path, CHAIN_LAG_DEFAULT_S, 0, 0, CHAIN_LAG_MAX_S,
                   &ch->lag_s, err, errlen))
        return -1;
    ch->lag_ns = (uint64_t)llround(ch->lag_s * 1e9);
    simcfg_fmt(path, sizeof path, "%s.bytes_per_op", ppath);
    if (simcfg_num(h, path, 1.0, 0, 0, 1e12, &ch->bytes_per_op, err, errlen))
        return -1;
    wl_seed(&ch->src, h->seed, CHAIN_STREAM + (uint64_t)p);
    simcfg_fmt(path, sizeof path, "%s.source", ppath);
    if (simcfg_read_workload(h, path, 1, &ch->src, err, errlen))
        return -1;
    wl_start(&ch->src);

    simcfg_fmt(path, sizeof path, "%s.stages", ppath);
    type = h->cfg_type(h->ctx, path);
    if (type == WATTSON_CFG_NONE) {
        simcfg_err(err, errlen, "%s: missing (a table of stages is required)",
                   path);
        return -1;
    }
    if (simcfg_expect_table(h, path, err, errlen))
        return -1;
    n = h->cfg_len(h->ctx, path);
    if (n < 1 || n > CHAIN_MAX_STAGES) {
        simcfg_err(err, errlen, "%s: need 1 to %d stages, got %zu", path,
                   CHAIN_MAX_STAGES, n);
        return -1;
    }
    for (size_t k = 0; k < n; k++)
        if (chain_read_stage(s, p, k, err, errlen))
            return -1;
    return 0;
}

/* The optional `pipelines` array, then the process table and the IPC
 * event log sized for it. */
int chain_read_all(struct sim *s, char *err, size_t errlen)
{
    size_t n, per_tick = 0, q = 0;

    if (simcfg_array(s->host, "pipelines", "pipelines", CHAIN_MAX, &n, err,
                     errlen))
        return -1;
    if (n == 0)
        return 0;
    s->chains = calloc(n, sizeof *s->chains);
    if (!s->chains) {
        simcfg_err(err, errlen, "pipelines: out of memory");
        return -1;
    }
    for (size_t p = 0; p < n; p++) {
        s->n_chains = p; /* the complete ones, for the pid search */
        if (chain_read_one(s, p, err, errlen)) {
            s->n_chains = p + 1; /* chain_free releases this one's parts */
            return -1;
        }
        s->n_procs += s->chains[p].n_stages;
    }
    s->n_chains = n;
    /* Messages per interval: one from the client, one per later stage. */
    for (size_t p = 0; p < n; p++)
        per_tick += s->chains[p].n_stages;
    s->procs = calloc(s->n_procs, sizeof *s->procs);
    s->ev_cap = per_tick * CHAIN_IPC_TICKS;
    s->ev = calloc(s->ev_cap, sizeof *s->ev);
    if (!s->procs || !s->ev) {
        simcfg_err(err, errlen, "pipelines: out of memory");
        return -1;
    }
    for (size_t p = 0; p < n; p++) {
        for (size_t k = 0; k < s->chains[p].n_stages; k++, q++) {
            const struct chain_stage *st = &s->chains[p].st[k];
            s->procs[q].pid = st->pid;
            s->procs[q].device = (uint32_t)st->dev;
            s->procs[q].name = st->name;
        }
    }
    return 0;
}

/* ---- chain traffic ------------------------------------------------------ */

/* Appends an event to the log; a full log drops its oldest event (the
 * host reads every tick, so only a reader that stopped loses anything). */
static void chain_log_event(struct sim *s, uint64_t now, uint32_t src,
                            uint32_t dst, uint64_t bytes)
{
    struct wattson_ipc_event *e;

    if (s->ev_count == s->ev_cap) {
        if (s->ev_dropped++ == 0 && s->host->log)
            s->host->log(s->host->ctx, WATTSON_LOG_WARN,
                         "sim: IPC event log full (%zu events): dropping the "
                         "oldest",
                         s->ev_cap);
        s->ev_head = (s->ev_head + 1) % s->ev_cap;
        s->ev_count--;
    }
    e = &s->ev[(s->ev_head + s->ev_count) % s->ev_cap];
    e->t = (double)now * 1e-9;
    e->src_pid = src;
    e->dst_pid = dst;
    e->bytes = bytes;
    e->type = WATTSON_IPC_DATA;
    s->ev_count++;
}

/* Sends `ops` of stage k's work (already scaled by its ratio) from process
 * `src` at host time `now`; it arrives at t_arr. */
static void chain_send(struct sim *s, struct chain *ch, size_t k, uint32_t src,
                       uint64_t now, uint64_t t_arr, double ops)
{
    struct chain_hop *hop = &ch->st[k].in;
    double b;
    uint64_t bytes;

    if (hop->count < CHAIN_FLIGHT_RING) {
        struct chain_flight *f =
            &hop->ring[(hop->head + hop->count) % CHAIN_FLIGHT_RING];
        f->t_ns = t_arr;
        f->ops = ops;
        hop->count++;
    } else {
        /* Full: merge into the newest entry at the later time, so work is
         * delayed, never early. */
        struct chain_flight *f =
            &hop->ring[(hop->head + hop->count - 1) % CHAIN_FLIGHT_RING];
        f->t_ns = t_arr;
        f->ops += ops;
        hop->merged++;
    }
    /* Whole bytes per message; the fraction is carried over, so the bytes
     * sent sum to the exact total within one byte. */
    hop->byte_frac += ops * ch->bytes_per_op;
    b = floor(hop->byte_frac);
    bytes = b >= 1.8e19 ? UINT64_MAX : (uint64_t)b;
    hop->byte_frac -= b;
    chain_log_event(s, now, src, ch->st[k].pid, bytes);
}

/* Removes and sums the work arriving before `end` (host ns). */
double chain_hop_take(struct chain_hop *hop, uint64_t end)
{
    double ops = 0;
    while (hop->count > 0 && hop->ring[hop->head].t_ns < end) {
        ops += hop->ring[hop->head].ops;
        hop->head = (hop->head + 1) % CHAIN_FLIGHT_RING;
        hop->count--;
    }
    return ops;
}

/* Sums, without removing, the work arriving before `end`. */
double chain_hop_peek(const struct chain_hop *hop, uint64_t end)
{
    double ops = 0;
    for (size_t i = 0; i < hop->count; i++) {
        const struct chain_flight *f =
            &hop->ring[(hop->head + i) % CHAIN_FLIGHT_RING];
        if (f->t_ns >= end)
            break;
        ops += f->ops;
    }
    return ops;
}

/* The messages of the interval that ended at host time `now` (dt_ns
 * long): per chain, the client's, then each stage's in order. */
void chain_send_all(struct sim *s, uint64_t now, uint64_t dt_ns)
{
    uint64_t rel = now - s->origin_ns;

    for (size_t p = 0; p < s->n_chains; p++) {
        struct chain *ch = &s->chains[p];
        uint64_t w0 = rel + ch->lag_ns, w1 = w0 + dt_ns;

        if (ch->src_begun && ch->src_gen_ns > w0)
            w0 = ch->src_gen_ns; /* the tick shrank: no work twice */
        if (w1 > w0) {
            double span = (double)(w1 - w0) * 1e-9;
            double d = wl_demand(&ch->src, (double)w0 * 1e-9, span);
            double ops =
                d * pu_max_throughput(&s->devs[ch->st[0].dev].pu) * span;
            ch->src_begun = 1;
            ch->src_gen_ns = w1;
            if (ops > 0)
                chain_send(s, ch, 0, ch->pid, now, s->origin_ns + w0, ops);
        }
        for (size_t k = 0; k + 1 < ch->n_stages; k++) {
            double x = s->devs[ch->st[k].dev].pu.served_tagged;
            if (x > 0)
                chain_send(s, ch, k + 1, ch->st[k].pid, now, now + ch->lag_ns,
                           x * ch->st[k + 1].ratio);
        }
    }
}

void chain_free(struct sim *s)
{
    for (size_t p = 0; s->chains && p < s->n_chains; p++) {
        wl_fini(&s->chains[p].src);
        for (size_t k = 0; k < s->chains[p].n_stages; k++)
            free(s->chains[p].st[k].in.ring);
    }
    free(s->chains);
    free(s->procs);
    free(s->ev);
    s->chains = NULL;
    s->procs = NULL;
    s->ev = NULL;
    s->n_chains = 0;
}
