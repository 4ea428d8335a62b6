/*
 * trust - see trust.h.
 */
#include "core/trust.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int trusted_owner(uid_t uid)
{
    return uid == 0 || uid == geteuid();
}

int trust_check_stat(const struct stat *st, const char *path, int flags,
                     char *err, size_t errlen)
{
    if ((flags & TRUST_FILE) && !S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (%s)", path,
                 S_ISFIFO(st->st_mode)   ? "a FIFO"
                 : S_ISDIR(st->st_mode)  ? "a directory"
                 : S_ISLNK(st->st_mode)  ? "a symbolic link"
                 : S_ISSOCK(st->st_mode) ? "a socket"
                                         : "a device or other special file");
        return -1;
    }
    if ((flags & TRUST_DIR) && !S_ISDIR(st->st_mode)) {
        snprintf(err, errlen, "%s: not a directory", path);
        return -1;
    }
    if (!trusted_owner(st->st_uid)) {
        snprintf(err, errlen,
                 "%s: owned by uid %ld, neither root nor this user (uid %ld)",
                 path, (long)st->st_uid, (long)geteuid());
        return -1;
    }
    if ((flags & TRUST_MODES) && (st->st_mode & 022)) {
        snprintf(err, errlen, "%s: writable by %s (mode %04o)", path,
                 (st->st_mode & 002) ? "others" : "its group",
                 (unsigned)(st->st_mode & 07777));
        return -1;
    }
    return 0;
}

int trust_check_path(const char *path, int flags, char *err, size_t errlen)
{
    char *real = realpath(path, NULL);
    struct stat st;
    if (!real) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (lstat(real, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(real);
        return -1;
    }
    if (trust_check_stat(&st, path, flags, err, errlen) != 0) {
        free(real);
        return -1;
    }
    if (!(flags & TRUST_PARENTS)) {
        free(real);
        return 0;
    }
    /* Up to "/": each directory above could swap what is below it. */
    for (char *slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
        if (slash == real)
            slash[1] = '\0';
        else
            *slash = '\0';
        if (lstat(real, &st) != 0) {
            snprintf(err, errlen, "%s: %s", real, strerror(errno));
            free(real);
            return -1;
        }
        int open_to_others = (st.st_mode & 022) && !(st.st_mode & S_ISVTX) &&
                             (flags & TRUST_MODES);
        if (!trusted_owner(st.st_uid) || open_to_others) {
            trust_check_stat(&st, real, TRUST_MODES, err, errlen);
            size_t n = strlen(err);
            snprintf(err + n, errlen > n ? errlen - n : 0, ", above %s", path);
            free(real);
            return -1;
        }
        if (slash == real)
            break;
    }
    free(real);
    return 0;
}
