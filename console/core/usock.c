/*
 * usock - see usock.h.
 */
#include "core/usock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"

_Static_assert(sizeof(((struct usock *)0)->path) ==
                   sizeof(((struct sockaddr_un *)0)->sun_path),
               "usock.path holds a sun_path");

/* Refuses a PATH that is there and is not a stale socket of ours: only a
 * socket we own that no server answers is removed. */
static int clear_path(const char *path, int type, const char *opt, char *err,
                      size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s %s: %s", opt, path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen,
                 "%s %s: exists and is not a socket; not "
                 "replacing it",
                 opt, path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s %s: a socket of uid %u; not replacing it",
                 opt, path, (unsigned)st.st_uid);
        return -1;
    }
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s %s: socket: %s", opt, path, strerror(errno));
        return -1;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    if (rc == 0) {
        snprintf(err, errlen,
                 "%s %s: another server answers there; not "
                 "replacing it",
                 opt, path);
        return -1;
    }
    /* A socket of the other type answers EPROTOTYPE whether or not a
     * server holds it: not known to be stale, so kept. */
    if (e != ECONNREFUSED) {
        snprintf(err, errlen, "%s %s: %s; not replacing it", opt, path,
                 strerror(e));
        return -1;
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        snprintf(err, errlen, "%s %s: stale socket: %s", opt, path,
                 strerror(errno));
        return -1;
    }
    log_msg(LOG_INFO, "%s: replaced the stale socket %s", opt, path);
    return 0;
}

int usock_listen(struct usock *u, const char *path, int type, int backlog,
                 const char *opt, char *err, size_t errlen)
{
    memset(u, 0, sizeof *u);
    u->fd = -1;
    if (strlen(path) >= sizeof u->path || !*path) {
        snprintf(err, errlen, "%s %s: %s", opt, path,
                 *path ? "longer than a Unix socket path may be" : "empty");
        return -1;
    }
    if (clear_path(path, type, opt, err, errlen) != 0)
        return -1;
    int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "%s %s: socket: %s", opt, path, strerror(errno));
        return -1;
    }
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    /* Owner-only from the start: no moment where another user could
     * connect to a socket still 0777 & ~umask. */
    mode_t old = umask(0177);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    umask(old);
    if (rc != 0) {
        snprintf(err, errlen, "%s %s: %s", opt, path, strerror(e));
        close(fd);
        return -1;
    }
    snprintf(u->path, sizeof u->path, "%s", path);
    struct stat st;
    if (lstat(path, &st) == 0) {
        u->dev = st.st_dev;
        u->ino = st.st_ino;
    }
    u->fd = fd;
    if (listen(fd, backlog) != 0) {
        snprintf(err, errlen, "%s %s: listen: %s", opt, path, strerror(errno));
        usock_close(u);
        return -1;
    }
    return 0;
}

void usock_close(struct usock *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
    /* Only the socket we made: one put there since is someone else's. */
    struct stat st;
    if (u->path[0] && lstat(u->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
        st.st_dev == u->dev && st.st_ino == u->ino)
        unlink(u->path);
    u->path[0] = '\0';
}
