/*
 * safefile - reading and atomically replacing the small files wattson
 * keeps for itself (the saved-controls journal, the engines' Q-tables),
 * under the rule of core/trust.h.
 *
 * A reader never follows a symbolic link, never waits on a FIFO planted in
 * a file's place, and reads only a regular file owned by the effective
 * user or root that nobody else may write.  A writer never writes through
 * a link and never leaves half a file: the text goes to PATH.tmp.PID
 * (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), is fsynced and renamed over
 * PATH, then the directory is fsynced; a failure before the rename removes
 * the temporary file and leaves the old PATH as it was.
 *
 * Nothing here logs: the callers report what they get, in their words.
 */
#ifndef WATTSON_SAFEFILE_H
#define WATTSON_SAFEFILE_H

#include <stddef.h>
#include <sys/types.h>

enum safefile_status {
    SAFEFILE_OK = 0,
    SAFEFILE_ABSENT = 1,      /* no such file, or no such directory */
    SAFEFILE_EIO = -1,        /* a read failed, out of memory */
    SAFEFILE_EUNTRUSTED = -2, /* a link, not a regular file, not ours */
    SAFEFILE_ETOOBIG = -3,    /* more than `max` bytes */
};

/* Reads all of `path` into a malloc'd buffer (*buf, *len bytes, with a
 * NUL after them that *len does not count).  `what` names the kind of
 * file in the message for a link ("PATH: a symbolic link, not a WHAT").
 * Returns an enum safefile_status; on an error *buf is NULL and err holds
 * one line "PATH: why". */
int safefile_read(const char *path, size_t max, const char *what, char **buf,
                  size_t *len, char *err, size_t errlen);

/* Replaces `path` with `len` bytes of `data` as described above.  0; -1
 * with errno set and *step naming what failed ("create", "write",
 * "fsync", "close", "rename"), the old file untouched and no temporary
 * file left; or -2 with errno when the directory's fsync failed
 * (*step "fsync of its directory"): the new file is in place, but a power
 * cut may lose it. */
int safefile_write(const char *path, const void *data, size_t len,
                   const char **step);

/* Makes a rename or unlink in the directory of `path` durable.  0 or -1
 * with errno. */
int safefile_sync_dir_of(const char *path);

/* mkdir -p: creates `dir` and any missing directory above it, each with
 * `mode`.  0 (also when it all exists) or -1 with errno. */
int safefile_mkdirs(const char *dir, mode_t mode);

#endif
