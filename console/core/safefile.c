/*
 * safefile - see safefile.h.
 */
#include "core/safefile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/trust.h"

int safefile_read(const char *path, size_t max, const char *what, char **buf,
                  size_t *len, char *err, size_t errlen)
{
    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO planted in the file's place must not hang us in
     * open(); O_NOFOLLOW: nor may a link lead elsewhere.  Then only a
     * regular file of ours or root's, writable by no one else, is read
     * (trust.h): what is in it decides what wattson loads or writes. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return SAFEFILE_ABSENT;
        if (errno == ELOOP) {
            snprintf(err, errlen, "%s: a symbolic link, not a %s", path, what);
            return SAFEFILE_EUNTRUSTED;
        }
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return SAFEFILE_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return SAFEFILE_EIO;
    }
    if (trust_check_stat(&st, path, TRUST_FILE | TRUST_MODES, err, errlen) !=
        0) {
        close(fd);
        return SAFEFILE_EUNTRUSTED;
    }
    /* Grown as the file is read rather than sized by st_size, which a
     * writer could change under us; `max` bounds it either way. */
    size_t cap = max < (1u << 16) ? max + 1 : 1u << 16, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b) {
            close(fd);
            snprintf(err, errlen, "%s: out of memory", path);
            return SAFEFILE_EIO;
        }
        if (n == cap) {
            if (cap > max) {
                free(b);
                close(fd);
                snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
                return SAFEFILE_ETOOBIG;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(b, ncap);
            if (!nb)
                free(b);
            b = nb;
            cap = ncap;
            continue;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            free(b);
            close(fd);
            return SAFEFILE_EIO;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    /* read is only called with n < cap, so the NUL fits and n <= max. */
    b[n] = '\0';
    *buf = b;
    *len = n;
    return SAFEFILE_OK;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int safefile_sync_dir_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int safefile_write(const char *path, const void *data, size_t len,
                   const char **step)
{
    char tmp[4200];
    *step = "create";
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >=
        sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* O_EXCL | O_NOFOLLOW: never write through a link someone planted. A
     * leftover of our own pid (a crash mid-write) is removed once. */
    int fd =
        open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0600);
    if (fd < 0)
        return -1;
    const char *failed = NULL;
    if (write_all(fd, data, len) != 0)
        failed = "write";
    else if (fsync(fd) != 0)
        failed = "fsync";
    int e = errno;
    if (close(fd) != 0 && !failed) {
        failed = "close";
        e = errno;
    }
    if (!failed && rename(tmp, path) != 0) {
        failed = "rename";
        e = errno;
    }
    if (failed) {
        unlink(tmp);
        *step = failed;
        errno = e;
        return -1;
    }
    /* The rename is only durable once the directory is synced. */
    if (safefile_sync_dir_of(path) != 0) {
        *step = "fsync of its directory";
        return -2;
    }
    *step = NULL;
    return 0;
}

int safefile_mkdirs(const char *dir, mode_t mode)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) {
        errno = n ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    memcpy(buf, dir, n + 1);
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        int rc = mkdir(buf, mode);
        *p = c;
        if (rc != 0 && errno != EEXIST)
            return -1;
        if (!c)
            return 0;
    }
}
