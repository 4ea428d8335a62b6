/*
 * ipcin - see ipcin.h.
 */
#include "core/ipcin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "core/ipcfmt.h"
#include "core/ipcmap.h"
#include "core/ipcsrv.h"
#include "core/labipc.h"
#include "core/log.h"
#include "core/model.h"
#include "core/summary.h"
#include "core/tracefile.h"
#include "loader/loader.h"

/* How long an event is held before it is written (--ipc-out): a
 * library's batch is sent 10 ms after its first event at the earliest,
 * and reaches the next tick. */
#define IPCIN_HOLD_S 0.05

struct ipcin {
    struct ipcsrv *srv;
    struct ipcmap *map;
    struct summary *sum;
    struct wattson_ipc_event *replay; /* the whole file */
    size_t n_replay, next;
    struct tracefile out;
    int has_out;
    double last_t; /* of the last line written */
    /* Events held back IPCIN_HOLD_S before they are written, so that a
     * batch arriving late still finds its place (2 x MODEL_IPC_CAP). */
    struct wattson_ipc_event *pend;
    size_t n_pend, cap_pend;
    /* This tick's destinations (global devices, -1 unplaced) and the
     * batch for one plugin's ipc_deliver, MODEL_IPC_CAP each. */
    int32_t *dev;
    struct wattson_ipc_delivery *batch;
    int warned;
};

/* A "# proc PID NAME" comment (what write_out notes of each process it
 * placed) names a replayed process, whose pid is no live one's. */
static void take_name(struct ipcin *in, const char *line)
{
    unsigned pid;
    char comm[LABIPC_COMM_LEN];
    int end = 0;
    if (sscanf(line, "# proc %u %15[^ \t\r\n]%n", &pid, comm, &end) == 2 &&
        end > 0 && pid > 0)
        (void)ipcmap_name(in->map, pid, comm);
}

/* Reads the whole replay file, checked line by line by ipcfmt's reader
 * (one message naming FILE:LINE). */
static int read_replay(struct ipcin *in, const char *path, char *err,
                       size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "--ipc-replay %s: %s", path, strerror(errno));
        return -1;
    }
    struct ipcfmt_reader rd;
    ipcfmt_reader_init(&rd, path);
    char *line = NULL;
    size_t cap = 0, room = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        struct wattson_ipc_event ev;
        char why[256];
        int r =
            ipcfmt_reader_next(&rd, line, (size_t)len, &ev, why, sizeof why);
        if (r < 0) {
            snprintf(err, errlen, "--ipc-replay %s", why);
            rc = -1;
            break;
        }
        if (r == 0) {
            take_name(in, line);
            continue;
        }
        if (in->n_replay == room) {
            size_t nr = room ? 2 * room : 1024;
            void *p = realloc(in->replay, nr * sizeof *in->replay);
            if (!p) {
                snprintf(err, errlen, "--ipc-replay %s: out of memory", path);
                rc = -1;
                break;
            }
            in->replay = p;
            room = nr;
        }
        in->replay[in->n_replay++] = ev;
    }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "--ipc-replay %s: %s", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

int ipcin_new(struct ipcin **out, const struct ipcin_opts *o,
              const struct labipc *rules, struct loop *loop, struct model *m,
              struct summary *sum, char *err, size_t errlen)
{
    *out = NULL;
    if (!o->socket && !o->replay && !o->out)
        return IPCIN_OK;
    struct ipcin *in = calloc(1, sizeof *in);
    if (!in) {
        snprintf(err, errlen, "IPC input: out of memory");
        return IPCIN_ESOCKET;
    }
    in->sum = sum;
    in->dev = calloc(m->ipc_cap, sizeof *in->dev);
    in->batch = calloc(m->ipc_cap, sizeof *in->batch);
    in->cap_pend = 2 * m->ipc_cap;
    in->pend = o->out ? calloc(in->cap_pend, sizeof *in->pend) : NULL;
    int st = IPCIN_OK;
    if (!in->dev || !in->batch || (o->out && !in->pend)) {
        snprintf(err, errlen, "IPC input: out of memory");
        ipcin_free(in);
        return IPCIN_ESOCKET;
    }
    /* The sysfs drivers' root ($WATTSON_SYSFS_ROOT, a prefix before
     * /sys), so a process is placed on the cpufreq policy they read. */
    char sysfs[4096];
    const char *pre = getenv("WATTSON_SYSFS_ROOT");
    snprintf(sysfs, sizeof sysfs, "%s/sys", pre ? pre : "");
    if (ipcmap_new(&in->map, rules, m, o->proc_root ? o->proc_root : "/proc",
                   o->sysfs_root ? o->sysfs_root : sysfs, err, errlen))
        st = IPCIN_EINPUT;
    else if (o->replay && read_replay(in, o->replay, err, errlen))
        st = IPCIN_EINPUT;
    else if (o->out &&
             tracefile_open(&in->out, o->out, TRACEFILE_TEXT, err, errlen) != 0)
        st = IPCIN_EOUTPUT;
    if (st == IPCIN_OK && o->out) {
        in->has_out = 1;
        fputs("# wattson IPC events (docs/ARCHITECTURE.md, core/ipcfmt.h)\n"
              "# t_s src_pid dst_pid bytes type\n",
              in->out.f);
    }
    if (st == IPCIN_OK && o->socket &&
        ipcsrv_start(&in->srv, loop, o->socket, o->t0_ns, sum, err, errlen))
        st = IPCIN_ESOCKET;
    if (st != IPCIN_OK) {
        ipcin_free(in);
        return st;
    }
    *out = in;
    return IPCIN_OK;
}

/* Shell sort by time (Ciura's gaps): in place, allocation-free, and
 * near-linear on the nearly sorted runs that batches make. */
static void sort_by_t(struct wattson_ipc_event *e, size_t n)
{
    static const size_t gaps[] = {701, 301, 132, 57, 23, 10, 4, 1};
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        size_t gap = gaps[g];
        for (size_t i = gap; i < n; i++) {
            struct wattson_ipc_event v = e[i];
            size_t j = i;
            for (; j >= gap && e[j - gap].t > v.t; j -= gap)
                e[j] = e[j - gap];
            e[j] = v;
        }
    }
}

/* Writes the first k held events (sorted) and keeps the rest. */
static void write_held(struct ipcin *in, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        struct wattson_ipc_event w = in->pend[i];
        if (w.t < in->last_t) {
            w.t = in->last_t;
            in->sum->ipc_late++;
        }
        char line[IPCFMT_LINE_MAX];
        int len = ipcfmt_format_line(&w, line, sizeof line);
        if (len > 0) {
            fwrite(line, 1, (size_t)len, in->out.f);
            in->last_t = w.t;
        }
    }
    memmove(in->pend, in->pend + k, (in->n_pend - k) * sizeof *in->pend);
    in->n_pend -= k;
}

/* This tick's events join the held ones; those older than now -
 * IPCIN_HOLD_S are written in time order (all when done). */
static void write_out(struct ipcin *in, const struct wattson_ipc_event *e,
                      size_t n, double now, int done)
{
    for (size_t i = 0; i < n; i++) {
        if (in->n_pend == in->cap_pend) { /* full: the oldest go now */
            sort_by_t(in->pend, in->n_pend);
            write_held(in, in->n_pend / 2);
        }
        in->pend[in->n_pend++] = e[i];
    }
    sort_by_t(in->pend, in->n_pend);
    size_t k = 0;
    while (k < in->n_pend && (done || in->pend[k].t <= now - IPCIN_HOLD_S))
        k++;
    write_held(in, k);
}

/* Each plugin that takes messages (ABI 1.3 ipc_deliver: the sim, whose
 * devices then get the work a message carries) gets those of this tick
 * whose destination is on one of its devices. */
static void deliver(struct ipcin *in, struct model *m, size_t first)
{
    size_t n = m->n_ipc - first;
    for (size_t p = 0; n > 0 && p < m->n_plugins; p++) {
        struct model_plugin *mp = &m->plugins[p];
        if (!plug_has_ipc_deliver(mp->plug))
            continue;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            int32_t d = in->dev[i];
            if (d < 0 || m->devices[d].plugin != p)
                continue;
            in->batch[k].ev = m->ipc[first + i];
            in->batch[k].device = (uint32_t)d - mp->dev_base;
            k++;
        }
        int rc = k ? plug_ipc_deliver(mp->plug, in->batch, k) : 0;
        if (rc < 0 && !in->warned) {
            in->warned = 1;
            log_msg(LOG_WARN,
                    "%s: ipc_deliver failed (%d); its messages "
                    "bring no work (logged once)",
                    mp->name, rc);
        }
    }
}

void ipcin_tick(struct ipcin *in, struct model *m, double now)
{
    size_t first = m->n_ipc;
    if (in->srv)
        m->n_ipc +=
            ipcsrv_take(in->srv, m->ipc + m->n_ipc, m->ipc_cap - m->n_ipc);
    while (in->next < in->n_replay && in->replay[in->next].t <= now &&
           m->n_ipc < m->ipc_cap)
        m->ipc[m->n_ipc++] = in->replay[in->next++];
    for (size_t i = first; i < m->n_ipc; i++) {
        int added;
        uint32_t pid = m->ipc[i].dst_pid;
        in->dev[i - first] = ipcmap_resolve(in->map, m, pid, now, &added);
        in->sum->ipc_mapped += (uint64_t)added;
        /* Its name, for a replay of the file (take_name). */
        if (added && in->has_out)
            fprintf(in->out.f, "# proc %u %s\n", (unsigned)pid,
                    model_find_proc(m, pid)->name);
    }
    deliver(in, m, first);
    if (in->has_out)
        write_out(in, m->ipc + first, m->n_ipc - first, now, 0);
}

int ipcin_commit(struct ipcin *in, char *err, size_t errlen)
{
    if (!in || !in->has_out)
        return 0;
    write_out(in, NULL, 0, 0, 1);
    in->has_out = 0;
    return tracefile_commit(&in->out, in->sum, err, errlen);
}

void ipcin_free(struct ipcin *in)
{
    if (!in)
        return;
    if (in->has_out)
        tracefile_abort(&in->out);
    ipcsrv_stop(in->srv);
    ipcmap_free(in->map);
    free(in->replay);
    free(in->dev);
    free(in->batch);
    free(in->pend);
    free(in);
}

struct ipcsrv *ipcin_server(struct ipcin *in)
{
    return in ? in->srv : NULL;
}
