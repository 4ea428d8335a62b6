/*
 * drvutil - helpers every driver shares (drivers/cpufreq, rapl, hwmon,
 * pci, nvml use them): the host ABI check, an owned-string pool, one-call
 * sysfs reads and writes, the mapping of errno to a wattson_status, and
 * the `root` prefix every sysfs driver resolves the same way.
 *
 * drivers/common/CMakeLists.txt builds drvutil.c once as an OBJECT
 * library that wattson_plugin() links into every plugin (plugins link
 * nothing of the console); plugins are built with hidden visibility, so
 * these symbols stay inside each .so.
 */
#ifndef WATTSON_DRVUTIL_H
#define WATTSON_DRVUTIL_H

#include <errno.h>
#include <stddef.h>

#include "wattson/plugin.h"

/* Every string a driver's init made, freed together by drv_strs_free.
 * All zero is an empty pool. */
struct drv_strs {
    char **v;
    size_t n, cap;
};

/* WATTSON_OK when the plugin can use `host` (this ABI major, a struct at
 * least this size); else WATTSON_ERR with a message in err. */
int drv_host_ok(const struct wattson_host *host, char *err, size_t errlen);

/* What every driver's init starts with: drv_host_ok, then a zeroed state
 * of `size` bytes (calloc, the driver frees it).  NULL with *rc set and a
 * message in err when either fails. */
void *drv_state_new(const struct wattson_host *host, size_t size, int *rc,
                    char *err, size_t errlen);

/* A formatted string owned by `s`; NULL when out of memory. */
char *drv_fmt(struct drv_strs *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Frees every string in `s` and the pool itself (not `s`). */
void drv_strs_free(struct drv_strs *s);

/* Reads a file's text into buf (at most len - 1 bytes, trailing newlines
 * and spaces cut); 0, or -1 with errno. */
int drv_read_text(const char *path, char *buf, size_t len);

/* Reads a file holding one decimal integer (a sysfs attribute) into *out
 * as a double; a leading '-' is refused unless `allow_negative`.  0, or -1
 * when the file is unreadable, empty or holds anything else. */
int drv_read_int(const char *path, int allow_negative, double *out);

/* 1 when path is a regular file (an attribute that exists). */
int drv_is_file(const char *path);

/* The wattson_status for errno `e` of a failed open/read/write (`writing`:
 * of a write): EACCES, EPERM -> WATTSON_ERR_PERM; ENOENT, ENODEV, ENXIO ->
 * WATTSON_ERR_GONE; when writing, EINVAL, ERANGE, EOPNOTSUPP ->
 * WATTSON_ERR_REJECTED (the kernel refused the value); anything else
 * (and e = 0) -> WATTSON_ERR.  Inline: tests/drivers check it without
 * linking drvutil.c. */
static inline int drv_errno_status(int e, int writing)
{
    switch (e) {
    case EACCES:
    case EPERM:
        return WATTSON_ERR_PERM;
    case ENOENT:
    case ENODEV:
    case ENXIO:
        return WATTSON_ERR_GONE;
    case EINVAL:
    case ERANGE:
    case EOPNOTSUPP:
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
    case ENOTSUP:
#endif
        return writing ? WATTSON_ERR_REJECTED : WATTSON_ERR;
    default:
        return WATTSON_ERR;
    }
}

/* Writes len bytes of buf to path with one write(), as sysfs wants;
 * WATTSON_OK, or drv_errno_status(errno, 1) of the failing open, write or
 * close (a short write is WATTSON_ERR with errno EIO), errno kept. */
int drv_write_text(const char *path, const char *buf, size_t len);

/*
 * The sysfs prefix ROOT: the lab's `root` (a string), else
 * $WATTSON_SYSFS_ROOT, else "" (the real /sys).  Trailing slashes are
 * dropped, "/" is "", and a relative root is relative to the lab's
 * directory.  Any other type of `root` is WATTSON_ERR_CONFIG; out of
 * memory WATTSON_ERR; both with a message in err.  *root is owned by `s`
 * or static.
 */
int drv_root(struct drv_strs *s, const struct wattson_host *h,
             const char **root, char *err, size_t errlen);

#endif
