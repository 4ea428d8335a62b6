/*
 * test_safety - the writer lock: machine-wide by default, a private lock
 * file (WATTSON_LOCK_FILE) warned about and still meeting the machine's
 * lock, and lock files that are links, hard links, FIFOs or another
 * user's refused without being truncated or waited on.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/safety.h"
#include "t.h"

static char dir[] = "/tmp/wattson-safety-XXXXXX";
static char machine[256], own_a[256], own_b[256];

/* A child holding a lock until told to let go (a second writer). */
static pid_t hold(const char *own, int *release)
{
    int go[2], ready[2];
    char c = 0, e[512];
    if (pipe(go) != 0 || pipe(ready) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(go[1]);
        close(ready[0]);
        int fd = safety_lock_at(own, machine, e, sizeof e);
        c = fd >= 0 ? 'y' : 'n';
        if (write(ready[1], &c, 1) != 1)
            _exit(2);
        while (read(go[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    if (read(ready[0], &c, 1) != 1)
        c = 'n';
    close(ready[0]);
    *release = go[1];
    return c == 'y' ? pid : -1;
}

static void let_go(pid_t pid, int release)
{
    close(release);
    waitpid(pid, NULL, 0);
}

static void test_machine_wide(void)
{
    char err[1024];
    int rel;
    /* Default writer holds the machine's lock: a second default writer
     * and a writer under its own lock file are both refused. */
    pid_t p = hold(NULL, &rel);
    T_CHECK(p > 0);
    T_CHECK(safety_lock_at(NULL, machine, err, sizeof err) == -1);
    T_CHECK(strstr(err, "another wattson (pid") != NULL);
    T_CHECK(safety_lock_at(own_a, machine, err, sizeof err) == -1);
    T_CHECK(strstr(err, machine) != NULL &&
            strstr(err, "under the machine's lock") != NULL);
    let_go(p, rel);
    /* A writer under its own lock file: a default writer is refused (it
     * would write the same hardware), another private lock is not. */
    p = hold(own_a, &rel);
    T_CHECK(p > 0);
    T_CHECK(safety_lock_at(NULL, machine, err, sizeof err) == -1);
    T_CHECK(strstr(err, "holds it shared") != NULL);
    int fd = safety_lock_at(own_b, machine, err, sizeof err);
    T_CHECK(fd >= 0);
    safety_unlock(fd);
    T_CHECK(safety_lock_at(own_a, machine, err, sizeof err) == -1);
    let_go(p, rel);
    fd = safety_lock_at(NULL, machine, err, sizeof err);
    T_CHECK(fd >= 0);
    safety_unlock(fd);
}

static void test_refused_files(void)
{
    char err[1024], target[300], path[300];
    /* A planted link: refused, its target neither truncated nor locked. */
    snprintf(target, sizeof target, "%s/precious", dir);
    snprintf(path, sizeof path, "%s/link.lock", dir);
    FILE *f = fopen(target, "w");
    if (f) {
        fputs("keep me\n", f);
        fclose(f);
    }
    T_CHECK(symlink(target, path) == 0);
    T_CHECK(safety_lock_at(path, machine, err, sizeof err) == -1);
    T_CHECK(strstr(err, "symbolic link") != NULL);
    T_CHECK(safety_lock_at(NULL, path, err, sizeof err) == -1);
    struct stat st;
    T_CHECK(stat(target, &st) == 0 && st.st_size == 8);
    unlink(path);
    /* A hard link to another file: refused, not truncated. */
    T_CHECK(link(target, path) == 0);
    T_CHECK(safety_lock_at(NULL, path, err, sizeof err) == -1);
    T_CHECK(strstr(err, "hard link") != NULL);
    T_CHECK(stat(target, &st) == 0 && st.st_size == 8);
    unlink(path);
    /* A FIFO: refused at once. */
    T_CHECK(mkfifo(path, 0600) == 0);
    T_CHECK(safety_lock_at(NULL, path, err, sizeof err) == -1);
    T_CHECK(strstr(err, "FIFO") != NULL);
    unlink(path);
    if (geteuid() == 0) {
        /* Another user's lock file, which they could hold to block us. */
        f = fopen(path, "w");
        if (f)
            fclose(f);
        T_CHECK(chown(path, 65534, 65534) == 0);
        T_CHECK(safety_lock_at(NULL, path, err, sizeof err) == -1);
        T_CHECK(strstr(err, "owned by uid 65534") != NULL);
        unlink(path);
    } else {
        t_skip("test_safety: not root: another user's lock file is tested "
               "only as root");
    }
    unlink(target);
}

int main(void)
{
    log_set_level(LOG_ERROR); /* the private-lock warning, expected */
    if (!mkdtemp(dir))
        return 1;
    snprintf(machine, sizeof machine, "%s/machine.lock", dir);
    snprintf(own_a, sizeof own_a, "%s/a.lock", dir);
    snprintf(own_b, sizeof own_b, "%s/b.lock", dir);
    T_CHECK(strcmp(safety_machine_lock(), "/run/lock/wattson.lock") == 0 ||
            strcmp(safety_machine_lock(), "/tmp/wattson.lock") == 0);
    test_machine_wide();
    test_refused_files();
    unlink(machine);
    unlink(own_a);
    unlink(own_b);
    rmdir(dir);
    return t_done("test_safety");
}
