/*
 * safety - see safety.h.
 */
#include "core/safety.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

#include "core/trust.h"

/* The machine's shared hold, when this writer was given its own lock
 * file: one writer lock per process. */
static int machine_fd = -1;

const char *safety_machine_lock(void)
{
    /* One path for every user, so two users' writers meet; /tmp only
     * where /run/lock cannot be written. */
    return access("/run/lock", W_OK) == 0 ? "/run/lock/wattson.lock"
                                          : "/tmp/wattson.lock";
}

/* Opens a lock file without following a link or truncating it, and only
 * if it is a regular file of ours or root's with one name: a link or a
 * hard link planted in /run/lock must not make root truncate or write
 * another file, and another user's file could be held to block us. */
static int open_lock(const char *path, char *err, size_t errlen)
{
    int flags = O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
    int fd = open(path, O_RDWR | flags, 0600);
    if (fd < 0 && (errno == EACCES || errno == EPERM))
        fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open the writer lock: %s", path,
                 errno == ELOOP ? "a symbolic link" : strerror(errno));
        return -1;
    }
    struct stat st = {0};
    char why[512] = "fstat failed";
    if (fstat(fd, &st) != 0 ||
        trust_check_stat(&st, path, TRUST_FILE, why, sizeof why) != 0 ||
        st.st_nlink != 1) {
        if (st.st_nlink != 1 && S_ISREG(st.st_mode))
            snprintf(why, sizeof why, "%s: has %lu names (a hard link)", path,
                     (unsigned long)st.st_nlink);
        snprintf(err, errlen, "%s; refusing it as the writer lock", why);
        close(fd);
        return -1;
    }
    return fd;
}

/* The pid a holder wrote into the lock file, or "". */
static void holder_pid(int fd, char *pid, size_t len)
{
    ssize_t n = pread(fd, pid, len - 1, 0);
    pid[n > 0 ? n : 0] = '\0';
    pid[strcspn(pid, "\n")] = '\0';
}

int safety_lock_at(const char *own, const char *machine, char *err,
                   size_t errlen)
{
    const char *path = own && strcmp(own, machine) != 0 ? own : machine;
    if (path != machine) {
        /* Another lock file only stops writers that use the same one, so
         * say so; and hold the machine's lock shared, so that a writer
         * under it (exclusive) and this one refuse each other. */
        log_msg(LOG_WARN,
                "%s: writer lock from WATTSON_LOCK_FILE, not the machine's "
                "(%s): another wattson with yet another lock file would "
                "not be stopped",
                own, machine);
        char merr[512];
        int mfd = open_lock(machine, merr, sizeof merr);
        if (mfd < 0) {
            log_msg(LOG_DEBUG, "%s (not held)", merr);
        } else if (flock(mfd, LOCK_SH | LOCK_NB) != 0) {
            char pid[32];
            holder_pid(mfd, pid, sizeof pid);
            snprintf(err, errlen,
                     "%s: another wattson%s%s%s is already writing to this "
                     "machine's hardware under the machine's lock",
                     machine, *pid ? " (pid " : "", pid, *pid ? ")" : "");
            close(mfd);
            return -1;
        } else {
            if (machine_fd >= 0)
                close(machine_fd);
            machine_fd = mfd;
        }
    }
    int fd = open_lock(path, err, errlen);
    if (fd < 0) {
        safety_unlock(-1); /* and the machine's shared hold */
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32];
        holder_pid(fd, pid, sizeof pid);
        /* A dead writer's pid left in the file is not the holder: the
         * holder is then one with its own lock file, holding it shared. */
        long hp = strtol(pid, NULL, 10);
        if (hp > 0 && kill((pid_t)hp, 0) != 0 && errno == ESRCH)
            pid[0] = '\0';
        if (*pid)
            snprintf(err, errlen,
                     "%s: another wattson (pid %s) is already writing to "
                     "this machine's hardware",
                     path, pid);
        else
            snprintf(err, errlen,
                     "%s: another wattson is already writing to this "
                     "machine's hardware%s",
                     path,
                     path == machine ? " (or one with its own "
                                       "WATTSON_LOCK_FILE holds it shared)"
                                     : "");
        close(fd);
        safety_unlock(-1);
        return -1;
    }
    /* The lock is ours (flock semantics: the kernel dropped any previous
     * holder's when it died).  A pid still in the file means that holder
     * died without safety_unlock, which empties it: say so, since its
     * hardware may not have been put back. */
    char old[32];
    holder_pid(fd, old, sizeof old);
    char *end;
    long prev = strtol(old, &end, 10);
    if (*old && *end == '\0' && prev > 0 && prev != (long)getpid() &&
        kill((pid_t)prev, 0) != 0 && errno == ESRCH)
        log_msg(LOG_WARN,
                "%s: stale lock from pid %ld (not running); "
                "taking it over",
                path, prev);
    /* Record our pid for the message the next writer will see (the file
     * was checked to be a regular file of ours or root's with one name,
     * so emptying it harms nothing else). */
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
        log_msg(LOG_DEBUG, "%s: could not record pid", path);
    return fd;
}

int safety_lock(char *err, size_t errlen)
{
    const char *env = getenv("WATTSON_LOCK_FILE");
    return safety_lock_at(env && *env ? env : NULL, safety_machine_lock(), err,
                          errlen);
}

void safety_unlock(int fd)
{
    if (machine_fd >= 0) {
        close(machine_fd);
        machine_fd = -1;
    }
    if (fd < 0)
        return;
    /* Empty the file while still holding the lock: a pid left in it then
     * always means a writer that died (see the stale lock notice). */
    if (ftruncate(fd, 0) != 0)
        log_msg(LOG_DEBUG, "could not clear the writer lock file");
    close(fd);
}

int safety_warn_daemons(const char *proc_root)
{
    static const char *const daemons[] = {
        "tuned",        "power-profiles-", "tlp",
        "auto-cpufreq", "thermald",        "nvidia-powerd",
    };
    const char *root = proc_root ? proc_root : "/proc";
    DIR *d = opendir(root);
    int found = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[512], comm[64] = "";
        snprintf(path, sizeof path, "%s/%s/comm", root, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(comm, sizeof comm, f))
            comm[strcspn(comm, "\n")] = '\0';
        fclose(f);
        /* comm is cut at 15 characters: "power-profiles-daemon" reads as
         * "power-profiles-", hence prefixes for the long names. */
        for (size_t i = 0; i < sizeof daemons / sizeof daemons[0]; i++) {
            size_t n = strlen(daemons[i]);
            int match = daemons[i][n - 1] == '-'
                            ? strncmp(comm, daemons[i], n) == 0
                            : strcmp(comm, daemons[i]) == 0;
            if (match) {
                log_msg(LOG_WARN,
                        "%s (pid %s) also controls frequencies or power "
                        "limits; stop it, or it and wattson will undo each "
                        "other's settings",
                        comm, e->d_name);
                found++;
            }
        }
    }
    closedir(d);
    return found;
}
