/*
 * safety - machine-wide precautions before wattson writes real hardware:
 *  - one writer per machine: an exclusive flock(2) on a lock file
 *    ($WATTSON_LOCK_FILE, else /run/lock/wattson.lock, else
 *    /tmp/wattson-UID.lock), held until exit and released by the kernel
 *    even if wattson dies;
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
/* Empties the lock file (so a pid in it means a dead writer) and
 * releases the lock.  -1 is ignored. */
void safety_unlock(int fd);
/* Logs one warning per competing daemon found in /proc (or `proc_root`,
 * for tests).  Returns how many were found. */
int safety_warn_daemons(const char *proc_root);

#endif
