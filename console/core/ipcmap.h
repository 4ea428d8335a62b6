/*
 * ipcmap - which processing unit a process that receives messages runs
 * on, for the live events of real processes (core/ipcin.h): the broker
 * turns a message into work announced for its destination's PU, and a
 * real process is in no driver's process list.
 *
 * The lab's `ipc_procs` (core/labipc.h) names each process's device.
 *
 * Without a rule for its name (and without "*"), a process is placed by
 * where the kernel ran it last (/proc/PID/stat's `processor`): the CPU's
 * cpufreq policy (SYSFS/devices/system/cpu/cpuN/cpufreq -> policyM) is
 * the device cpufreqM of the cpufreq driver, when the run has it.
 *
 * A pid is resolved once, when its first message arrives, and keeps its
 * device for the run (a pid reused within a run keeps the first one's).
 * A pid that cannot be placed is tried again IPCMAP_RETRY_S later: a
 * pipeline's reader may still have its shell's name when the first
 * message reaches it, before its exec.  Resolution reads two small /proc
 * files and allocates nothing.
 */
#ifndef WATTSON_IPCMAP_H
#define WATTSON_IPCMAP_H

#include <stddef.h>
#include <stdint.h>

struct labipc;
struct model;

#define IPCMAP_MAX_PIDS 1024
#define IPCMAP_RETRY_S 0.25

struct ipcmap;

/* The map of a run over model `m`: every rule's device must be one of
 * m's ("ipc_procs.gzip: no device 'cpu9' in this lab").  `proc_root` and
 * `sysfs_root` are "/proc" and "/sys" but for tests.  0, or -1 with one
 * line. */
int ipcmap_new(struct ipcmap **out, const struct labipc *rules,
               const struct model *m, const char *proc_root,
               const char *sysfs_root, char *err, size_t errlen);
void ipcmap_free(struct ipcmap *map);
/* Names process `pid` (a replayed file's "# proc PID NAME" line): it
 * is then placed by that name, never by /proc.  0, or -1 when the table
 * is full. */
int ipcmap_name(struct ipcmap *map, uint32_t pid, const char *comm);
/* The global device of process `pid` at run time `t`, or -1.  A pid
 * placed for the first time is added to m's processes (model_add_proc),
 * so the broker finds it; *added is then 1. */
int ipcmap_resolve(struct ipcmap *map, struct model *m, uint32_t pid, double t,
                   int *added);

#endif
