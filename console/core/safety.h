/*
 * safety - machine-wide precautions before wattson writes real hardware:
 *  - one writer per machine: an exclusive flock(2) on the machine's lock
 *    file (/run/lock/wattson.lock, else /tmp/wattson.lock where /run/lock
 *    cannot be written), held until exit and released by the kernel even
 *    if wattson dies.  $WATTSON_LOCK_FILE names another lock file (a
 *    private one, for a copy of sysfs in tests): that is warned about,
 *    and the machine's lock is then held shared, so a writer under the
 *    machine's lock and one under another lock file refuse each other
 *    (two writers with two other lock files do not: both were warned);
 *  - lock files are opened with O_NOFOLLOW and without O_TRUNC, and used
 *    only when they are regular files of ours or root's with one name;
 *  - a warning for each known daemon that also sets frequencies or power
 *    limits (tuned, power-profiles-daemon, TLP, auto-cpufreq, thermald,
 *    nvidia-powerd), since two controllers fighting over one knob leave
 *    it at whichever wrote last.
 * Simulated drivers need neither.
 */
#ifndef WATTSON_SAFETY_H
#define WATTSON_SAFETY_H

#include <stddef.h>

/* Returns a file descriptor holding the lock, or -1 with a message naming
 * the lock file and, when known, the holder's pid.  The holder's pid is
 * written into the file; when the file still holds the pid of a process
 * that is no longer running (a writer that died without unlocking), the
 * lock is taken all the same - flock already let go of it - with a
 * warning "LOCKFILE: stale lock from pid N (not running); taking it
 * over". */
int safety_lock(char *err, size_t errlen);
/* The same with the lock files given: `own` ($WATTSON_LOCK_FILE, or NULL)
 * and `machine` (safety_machine_lock(); another path in tests). */
int safety_lock_at(const char *own, const char *machine, char *err,
                   size_t errlen);
/* /run/lock/wattson.lock, else /tmp/wattson.lock. */
const char *safety_machine_lock(void);
/* Empties the lock file (so a pid in it means a dead writer) and
 * releases the lock, and the machine's shared hold.  -1 is ignored. */
void safety_unlock(int fd);
/* Logs one warning per competing daemon found in /proc (or `proc_root`,
 * for tests).  Returns how many were found. */
int safety_warn_daemons(const char *proc_root);

#endif
