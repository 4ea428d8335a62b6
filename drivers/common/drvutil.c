/*
 * drvutil - the real-hardware drivers' shared helpers (see drvutil.h).
 */
#include "drvutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int drv_host_ok(const struct wattson_host *host, char *err, size_t errlen)
{
    if (host->abi_major != WATTSON_ABI_MAJOR ||
        host->size < sizeof(struct wattson_host)) {
        snprintf(err, errlen, "host ABI %u.%u is not supported",
                 (unsigned)host->abi_major, (unsigned)host->abi_minor);
        return WATTSON_ERR;
    }
    return WATTSON_OK;
}

void *drv_state_new(const struct wattson_host *host, size_t size, int *rc,
                    char *err, size_t errlen)
{
    void *p;

    if ((*rc = drv_host_ok(host, err, errlen)) != WATTSON_OK)
        return NULL;
    if (!(p = calloc(1, size))) {
        snprintf(err, errlen, "out of memory");
        *rc = WATTSON_ERR;
    }
    return p;
}

char *drv_fmt(struct drv_strs *s, const char *fmt, ...)
{
    va_list ap;
    int n;
    char *str;

    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        char **p = realloc(s->v, cap * sizeof *p);

        if (!p)
            return NULL;
        s->v = p;
        s->cap = cap;
    }
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !(str = malloc((size_t)n + 1)))
        return NULL;
    va_start(ap, fmt);
    vsnprintf(str, (size_t)n + 1, fmt, ap);
    va_end(ap);
    s->v[s->n++] = str;
    return str;
}

void drv_strs_free(struct drv_strs *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

int drv_read_text(const char *path, char *buf, size_t len)
{
    ssize_t got;
    int fd, e;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    do {
        got = read(fd, buf, len - 1);
    } while (got < 0 && errno == EINTR);
    e = errno;
    close(fd);
    if (got < 0) {
        errno = e;
        return -1;
    }
    buf[got] = '\0';
    while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == ' '))
        buf[--got] = '\0';
    return 0;
}

int drv_write_text(const char *path, const char *buf, size_t len)
{
    int fd, e;
    ssize_t put;

    fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return drv_errno_status(errno, 1);
    do {
        put = write(fd, buf, len);
    } while (put < 0 && errno == EINTR);
    e = put < 0 ? errno : EIO;
    /* sysfs reports a refused value from write(); close() can still fail
     * (NFS, a full disk), and then its errno is the one to report. */
    if (close(fd) != 0 && put >= 0 && (size_t)put == len)
        return drv_errno_status(errno, 1);
    if (put < 0 || (size_t)put != len) {
        errno = e;
        return drv_errno_status(e, 1);
    }
    return WATTSON_OK;
}

int drv_root(struct drv_strs *s, const struct wattson_host *h,
             const char **root, char *err, size_t errlen)
{
    int type = h->cfg_type(h->ctx, "root");
    const char *v = NULL;

    if (type == WATTSON_CFG_STRING) {
        v = h->cfg_string(h->ctx, "root");
    } else if (type != WATTSON_CFG_NONE) {
        snprintf(err, errlen,
                 "config key 'root': expected a directory "
                 "(a prefix put before /sys)");
        return WATTSON_ERR_CONFIG;
    } else {
        v = getenv("WATTSON_SYSFS_ROOT");
    }
    if (!v)
        v = "";
    while (v[0] && v[strlen(v) - 1] == '/' && v[1]) {
        /* "/tmp/x/" and "/tmp/x" are the same prefix. */
        char *c = drv_fmt(s, "%.*s", (int)(strlen(v) - 1), v);

        if (!c)
            break;
        v = c;
    }
    if (strcmp(v, ".") == 0 && h->lab_dir && *h->lab_dir)
        v = drv_fmt(s, "%s", h->lab_dir);
    else if (v[0] && v[0] != '/' && h->lab_dir && *h->lab_dir)
        v = drv_fmt(s, "%s/%s", h->lab_dir, v);
    else if (strcmp(v, "/") == 0)
        v = "";
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    *root = v;
    return WATTSON_OK;
}

int drv_read_int(const char *path, int allow_negative, double *out)
{
    char buf[64], *end;

    if (drv_read_text(path, buf, sizeof buf) != 0)
        return -1;
    if (!(buf[0] >= '0' && buf[0] <= '9') && !(allow_negative && buf[0] == '-'))
        return -1;
    errno = 0;
    if (buf[0] == '-') {
        long long v = strtoll(buf, &end, 10);
        if (errno != 0 || *end != '\0')
            return -1;
        *out = (double)v;
    } else {
        unsigned long long u = strtoull(buf, &end, 10);
        if (errno != 0 || *end != '\0')
            return -1;
        *out = (double)u;
    }
    return 0;
}

int drv_is_file(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
