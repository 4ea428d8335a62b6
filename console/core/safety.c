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
#include <unistd.h>

#include "core/log.h"

static const char *lock_path(char *buf, size_t len)
{
    const char *env = getenv("WATTSON_LOCK_FILE");
    if (env && *env)
        return env;
    if (access("/run/lock", W_OK) == 0)
        return "/run/lock/wattson.lock";
    snprintf(buf, len, "/tmp/wattson-%ld.lock", (long)getuid());
    return buf;
}

int safety_lock(char *err, size_t errlen)
{
    char buf[64];
    const char *path = lock_path(buf, sizeof buf);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open the writer lock: %s", path,
                 strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (*pid)
            snprintf(err, errlen,
                     "%s: another wattson (pid %s) is already writing to "
                     "this machine's hardware",
                     path, pid);
        else
            snprintf(err, errlen,
                     "%s: another wattson is already writing to this "
                     "machine's hardware",
                     path);
        close(fd);
        return -1;
    }
    /* The lock is ours (flock semantics: the kernel dropped any previous
     * holder's when it died).  A pid still in the file means that holder
     * died without safety_unlock, which empties it: say so, since its
     * hardware may not have been put back. */
    char old[32] = "";
    ssize_t got = pread(fd, old, sizeof old - 1, 0);
    old[got > 0 ? got : 0] = '\0';
    old[strcspn(old, "\n")] = '\0';
    char *end;
    long prev = strtol(old, &end, 10);
    if (*old && *end == '\0' && prev > 0 && prev != (long)getpid() &&
        kill((pid_t)prev, 0) != 0 && errno == ESRCH)
        log_msg(LOG_WARN,
                "%s: stale lock from pid %ld (not running); "
                "taking it over",
                path, prev);
    /* Record our pid for the message the next writer will see. */
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) != n)
        log_msg(LOG_DEBUG, "%s: could not record pid", path);
    return fd;
}

void safety_unlock(int fd)
{
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
