/*
 * ipcmap - see ipcmap.h.
 */
#include "core/ipcmap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/labipc.h"
#include "core/model.h"

/* Open addressing over twice the pids kept, so probes stay short. */
#define IPCMAP_SLOTS (2 * IPCMAP_MAX_PIDS)

struct ipcmap_slot {
    uint32_t pid; /* 0: free */
    int32_t device;
    double retry_t;   /* unplaced: when to try again */
    double recheck_t; /* placed by a fallback: look at its name again then */
    int named;        /* comm given by ipcmap_name, not read from /proc */
    char comm[LABIPC_COMM_LEN];
};

struct ipcmap {
    char proc_root[512], sysfs_root[512]; /* copies */
    int32_t dev[LABIPC_MAX_RULES];        /* each rule's device */
    struct labipc rules;
    int32_t any; /* the "*" rule's device, -1 */
    size_t used;
    size_t pending; /* slots with a recheck_t */
    struct ipcmap_slot slot[IPCMAP_SLOTS];
};

int ipcmap_new(struct ipcmap **out, const struct labipc *rules,
               const struct model *m, const char *proc_root,
               const char *sysfs_root, char *err, size_t errlen)
{
    *out = NULL;
    struct ipcmap *map = calloc(1, sizeof *map);
    if (!map) {
        snprintf(err, errlen, "ipc_procs: out of memory");
        return -1;
    }
    if ((size_t)snprintf(map->proc_root, sizeof map->proc_root, "%s",
                         proc_root) >= sizeof map->proc_root ||
        (size_t)snprintf(map->sysfs_root, sizeof map->sysfs_root, "%s",
                         sysfs_root) >= sizeof map->sysfs_root) {
        snprintf(err, errlen, "ipc_procs: /proc or /sys root too long");
        free(map);
        return -1;
    }
    map->any = -1;
    if (rules)
        map->rules = *rules;
    for (size_t i = 0; i < map->rules.n; i++) {
        const struct labipc_rule *r = &map->rules.r[i];
        int d = model_find_device(m, r->device);
        if (d < 0) {
            snprintf(err, errlen, "ipc_procs.%s: no device '%s' in this lab",
                     r->comm, r->device);
            free(map);
            return -1;
        }
        map->dev[i] = d;
        if (strcmp(r->comm, "*") == 0)
            map->any = d;
    }
    *out = map;
    return 0;
}

void ipcmap_free(struct ipcmap *map)
{
    free(map);
}

/* Reads a small file into buf (NUL-terminated, the last newline cut).
 * Its length, or -1. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    return n;
}

/* The CPU the kernel last ran pid on (/proc/PID/stat field 39), or -1.
 * The name field may hold spaces and parentheses: fields are counted
 * after its last ')'. */
static long last_cpu(const struct ipcmap *map, uint32_t pid)
{
    char path[640], buf[1024];
    snprintf(path, sizeof path, "%s/%u/stat", map->proc_root, (unsigned)pid);
    if (read_small(path, buf, sizeof buf) <= 0)
        return -1;
    const char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* After ')' comes field 3 (state); `processor` is field 39. */
    for (int field = 2; field < 39 && p; field++)
        p = strchr(p + 1, ' ');
    if (!p)
        return -1;
    char *end;
    long cpu = strtol(p + 1, &end, 10);
    return end != p + 1 && cpu >= 0 ? cpu : -1;
}

/* Whether CPU list text (cpufreq's "0 1 2 3" or the cpulist form
 * "0-3,8") holds cpu. */
static int cpulist_has(const char *s, long cpu)
{
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10);
        if (end == s) {
            s++;
            continue;
        }
        long b = a;
        if (*end == '-') {
            const char *q = end + 1;
            b = strtol(q, &end, 10);
            if (end == q)
                b = a;
        }
        if (cpu >= a && cpu <= b)
            return 1;
        s = end;
    }
    return 0;
}

/* The device cpufreqM of the policy of CPU `cpu`, or -1: the CPU's
 * cpufreq link (SYSFS/devices/system/cpu/cpuN/cpufreq -> policyM), else
 * the policy whose related_cpus holds it (fixture trees have no links). */
static int cpufreq_device(const struct ipcmap *map, const struct model *m,
                          long cpu)
{
    char path[640], link[256], name[32];
    snprintf(path, sizeof path, "%s/devices/system/cpu/cpu%ld/cpufreq",
             map->sysfs_root, cpu);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n > 0) {
        link[n] = '\0';
        const char *base = strrchr(link, '/');
        base = base ? base + 1 : link;
        if (strncmp(base, "policy", 6) != 0)
            return -1;
        snprintf(name, sizeof name, "cpufreq%s", base + 6);
        return model_find_device(m, name);
    }
    /* The run's cpufreq devices are few: ask each for its CPUs. */
    for (size_t d = 0; d < m->n_devices; d++) {
        const char *dn = m->devices[d].name;
        char cpus[512];
        if (!dn || strncmp(dn, "cpufreq", 7) != 0)
            continue;
        snprintf(path, sizeof path,
                 "%s/devices/system/cpu/cpufreq/policy%s/related_cpus",
                 map->sysfs_root, dn + 7);
        if (read_small(path, cpus, sizeof cpus) > 0 && cpulist_has(cpus, cpu))
            return (int)d;
    }
    return -1;
}

/* The device of pid; *exact when a rule names it (not "*", not its
 * CPU). */
static int32_t place(const struct ipcmap *map, const struct model *m,
                     uint32_t pid, char *comm, int named, int *exact)
{
    *exact = 0;
    char path[640];
    snprintf(path, sizeof path, "%s/%u/comm", map->proc_root, (unsigned)pid);
    if (!named && read_small(path, comm, LABIPC_COMM_LEN) < 0)
        return -1; /* gone, or not ours to read */
    for (size_t i = 0; i < map->rules.n; i++)
        if (strcmp(map->rules.r[i].comm, comm) == 0) {
            *exact = 1;
            return map->dev[i];
        }
    if (map->any >= 0)
        return map->any;
    if (named)
        return -1; /* a replay's process: where it ran is not known */
    long cpu = last_cpu(map, pid);
    return cpu >= 0 ? cpufreq_device(map, m, cpu) : -1;
}

/* The slot of pid, made when new (device -1, due now); NULL when the
 * table is full. */
static struct ipcmap_slot *slot_of(struct ipcmap *map, uint32_t pid)
{
    size_t h = (pid * 2654435761u) % IPCMAP_SLOTS;
    for (size_t k = 0; k < IPCMAP_SLOTS; k++, h = (h + 1) % IPCMAP_SLOTS) {
        struct ipcmap_slot *s = &map->slot[h];
        if (s->pid == pid)
            return s;
        if (s->pid == 0) {
            if (map->used == IPCMAP_MAX_PIDS)
                return NULL;
            map->used++;
            *s = (struct ipcmap_slot){.pid = pid, .device = -1};
            return s;
        }
    }
    return NULL;
}

int ipcmap_name(struct ipcmap *map, uint32_t pid, const char *comm)
{
    struct ipcmap_slot *s = pid ? slot_of(map, pid) : NULL;
    if (!s)
        return -1;
    snprintf(s->comm, sizeof s->comm, "%s", comm);
    s->named = 1;
    return 0;
}

/* A process placed by a fallback is looked at once more IPCMAP_SETTLE_S
 * later: a pipeline's reader can get its first message while it still
 * has its shell's name, before its exec. */
static void recheck(struct ipcmap *map, struct model *m, uint32_t pid, double t)
{
    struct ipcmap_slot *s = slot_of(map, pid);
    if (!s || s->recheck_t <= 0 || t < s->recheck_t)
        return;
    s->recheck_t = 0;
    map->pending--;
    int exact;
    char comm[LABIPC_COMM_LEN];
    memcpy(comm, s->comm, sizeof comm);
    int32_t d = place(map, m, pid, comm, s->named, &exact);
    if (d >= 0 && d != s->device) {
        memcpy(s->comm, comm, sizeof comm); /* the model's name, too */
        s->device = d;
        model_move_proc(m, pid, (uint32_t)d);
    }
}

int ipcmap_resolve(struct ipcmap *map, struct model *m, uint32_t pid, double t,
                   int *added)
{
    *added = 0;
    const struct model_proc *pr = model_find_proc(m, pid);
    if (pr) {
        if (map->pending)
            recheck(map, m, pid, t);
        return (int)pr->device;
    }
    if (pid == 0)
        return -1; /* the library could not tell the destination */
    struct ipcmap_slot *s = slot_of(map, pid);
    if (!s)
        return -1;
    if (s->device >= 0 || (s->retry_t > 0 && t < s->retry_t))
        return s->device;
    int exact;
    s->device = place(map, m, pid, s->comm, s->named, &exact);
    if (s->device < 0) {
        s->retry_t = t + IPCMAP_RETRY_S;
        return -1;
    }
    if (model_add_proc(m, pid, (uint32_t)s->device, s->comm) != 0)
        return -1;
    if (!exact && !s->named) {
        s->recheck_t = t + IPCMAP_SETTLE_S;
        map->pending++;
    }
    *added = 1;
    return s->device;
}
