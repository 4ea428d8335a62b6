/*
 * labipc - the lab's `ipc_procs` table (issue 17): which processing unit
 * a traced process runs on, for the live events of real processes
 * (core/ipcmap.h places them at run time).
 *
 * By the process's name (its comm, as /proc/PID/comm and
 * `ps -o comm` show it, at most 15 characters):
 *
 *   ipc_procs = {
 *     gzip = "cpu1",   -- every process named gzip runs on device cpu1
 *     wc = "cpu2",
 *     ["*"] = "cpu0",  -- any other process (optional)
 *   }
 *
 * The devices are checked when the run's model exists (ipcmap_new).
 */
#ifndef WATTSON_LABIPC_H
#define WATTSON_LABIPC_H

#include <stddef.h>

struct cfg;

#define LABIPC_MAX_RULES 64
#define LABIPC_COMM_LEN 16 /* TASK_COMM_LEN, with the NUL */

struct labipc_rule {
    char comm[LABIPC_COMM_LEN]; /* "*": any */
    char device[64];
};

struct labipc {
    struct labipc_rule r[LABIPC_MAX_RULES];
    size_t n;
};

/* Reads `ipc_procs` (t may be NULL: no rules).  0, or -1 with one line
 * naming the field ("ipc_procs.gzip: ..."). */
int labipc_read(const struct cfg *t, struct labipc *out, char *err,
                size_t errlen);

#endif
