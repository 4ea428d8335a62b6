/*
 * trust - may this process rely on a file or directory that decides what
 * it runs or writes (a driver plugin, the run directory, the saved-controls
 * journal, the writer lock)?
 *
 * The rule is the GEOPM service's: such a path must be owned by the
 * effective user or by root, and must not be writable by its group or by
 * others, or someone else could put their code or their values in it and
 * have wattson, perhaps running as root, use them.  The directories above
 * it must be owned by the effective user or root too, and may be writable
 * by others only when sticky (like /tmp, where others cannot rename or
 * remove what is ours), since a writable parent lets anyone swap the file.
 *
 * Nothing here logs: the callers refuse with the message they get, which
 * names the path and says why.
 */
#ifndef WATTSON_TRUST_H
#define WATTSON_TRUST_H

#include <stddef.h>
#include <sys/stat.h>

enum trust_flags {
    TRUST_FILE = 1,    /* must be a regular file */
    TRUST_DIR = 2,     /* must be a directory */
    TRUST_MODES = 4,   /* not group/other-writable (parents: unless sticky) */
    TRUST_PARENTS = 8, /* the directories above it too */
};

/* Checks what fstat or lstat said about `path`: its type (TRUST_FILE or
 * TRUST_DIR), owner and, with TRUST_MODES, its mode.  0, or -1 with
 * "PATH: why" in err. */
int trust_check_stat(const struct stat *st, const char *path, int flags,
                     char *err, size_t errlen);
/* Resolves `path` (which must exist) and checks it as trust_check_stat
 * does, then, with TRUST_PARENTS, every directory above it up to "/".
 * 0, or -1 with "PATH: why" in err. */
int trust_check_path(const char *path, int flags, char *err, size_t errlen);

#endif
