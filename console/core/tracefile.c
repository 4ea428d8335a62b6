/*
 * tracefile - see tracefile.h.
 *
 * Where an output goes is decided once, at open, from what the path is
 * (lstat, then stat through any symlink):
 *  - "-", or a path that is the process's own stdout (/dev/stdout, or
 *    the file or pipe stdout is): written to stdout, never closed;
 *  - a FIFO or a character device (a pipe a reader waits on, /dev/null, a
 *    terminal): opened and written directly, since replacing it with a
 *    regular file would break every other user of it (a device node
 *    replaced by root broke the machine's /dev/null);
 *  - a regular file, or a name that does not exist yet: the temporary
 *    file beside it, renamed over it at commit (nothing half-written);
 *    the replacement keeps the old file's mode (and owner, as root).  A
 *    file with several hard links is copied into at commit instead,
 *    since a rename would cut it off from its other names;
 *  - a symlink: resolved once, here, to what it finally names, and that
 *    is classified as above; the link itself is never replaced;
 *  - anything else (a directory, a socket, a block device): refused here,
 *    before the first tick.
 * The temporary file is made with O_EXCL and O_NOFOLLOW under a name with
 * a random part, so nothing planted in a shared directory is followed.
 */
#include "core/tracefile.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/json.h"
#include "core/lab.h"
#include "core/model.h"
#include "core/summary.h"
#include "wattson/plugin.h"

/* Symlink hops followed by hand for a dangling link (the kernel's own
 * limit, MAXSYMLINKS, is 40). */
#define TF_MAX_HOPS 40

/* The name a dangling symlink chain ends at: each relative target is
 * taken from the directory of the link that holds it.  Returns a malloc'd
 * path, or NULL with errno set. */
static char *follow_dangling(const char *path)
{
    char *cur = strdup(path);
    for (int hop = 0; cur && hop < TF_MAX_HOPS; hop++) {
        struct stat sb;
        if (lstat(cur, &sb) != 0 || !S_ISLNK(sb.st_mode))
            return cur;
        char target[PATH_MAX];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n < 0) {
            free(cur);
            return NULL;
        }
        target[n] = '\0';
        char *next;
        const char *slash = strrchr(cur, '/');
        if (target[0] == '/' || !slash) {
            next = strdup(target);
        } else {
            size_t dn = (size_t)(slash - cur) + 1;
            next = malloc(dn + (size_t)n + 1);
            if (next) {
                memcpy(next, cur, dn);
                memcpy(next + dn, target, (size_t)n + 1);
            }
        }
        free(cur);
        cur = next;
    }
    if (cur) {
        free(cur);
        errno = ELOOP;
    }
    return NULL;
}

static const char *kind_name(mode_t m)
{
    return S_ISDIR(m)    ? "a directory"
           : S_ISSOCK(m) ? "a socket"
           : S_ISBLK(m)  ? "a block device"
                         : "not a file";
}

/* The temporary file beside `target`, with the mode (and, as root, the
 * owner) the file it replaces has, or 0666 less the umask for a new one. */
static int open_tmp(struct tracefile *t, const struct stat *old, int have_old)
{
    size_t n = strlen(t->path) + 32;
    t->tmp = malloc(n);
    if (!t->tmp) {
        errno = ENOMEM;
        return -1;
    }
    snprintf(t->tmp, n, "%s.tmp.%ld.XXXXXX", t->path, (long)getpid());
    /* mkstemp opens with O_CREAT|O_EXCL, so a name planted in a shared
     * directory (a symlink to someone else's file) is never opened. */
    int fd = mkstemp(t->tmp);
    if (fd >= 0)
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (fd < 0) {
        free(t->tmp);
        t->tmp = NULL;
        return -1;
    }
    mode_t mode;
    if (have_old) {
        mode = old->st_mode & 07777;
        if (geteuid() == 0 && (old->st_uid != 0 || old->st_gid != 0) &&
            fchown(fd, old->st_uid, old->st_gid) != 0) {
            /* Keeping root as the owner is safe; go on. */
        }
    } else {
        mode_t um = umask(0);
        umask(um);
        mode = 0666 & ~um;
    }
    if (fchmod(fd, mode) != 0 || !(t->f = fdopen(fd, "w"))) {
        int e = errno;
        close(fd);
        unlink(t->tmp);
        free(t->tmp);
        t->tmp = NULL;
        errno = e;
        return -1;
    }
    return 0;
}

int tracefile_open(struct tracefile *t, const char *path, int flags, char *err,
                   size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->csv = (flags & TRACEFILE_CSV) != 0;
    t->text = (flags & TRACEFILE_TEXT) != 0;
    if (!path || !*path) {
        snprintf(err, errlen, "no output file given");
        return -1;
    }
    struct stat out;
    int have_out = fstat(STDOUT_FILENO, &out) == 0;
    struct stat lsb, sb;
    int exists = lstat(path, &lsb) == 0;
    if (!exists && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int followed = exists && stat(path, &sb) == 0;
    if (exists && !followed && errno != ENOENT) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int is_stdout = strcmp(path, "-") == 0 ||
                    (followed && have_out && sb.st_dev == out.st_dev &&
                     sb.st_ino == out.st_ino);
    if (is_stdout) {
        if (flags & TRACEFILE_NO_STDOUT) {
            snprintf(err, errlen, "%s: this output cannot go to stdout", path);
            return -1;
        }
        t->path = strdup("-");
        if (!t->path) {
            snprintf(err, errlen, "%s: out of memory", path);
            return -1;
        }
        t->f = stdout;
        t->how = TRACEFILE_STDOUT;
        return 0;
    }
    if (followed && (S_ISFIFO(sb.st_mode) || S_ISCHR(sb.st_mode))) {
        /* Written in place: a reader is waiting on it, or it is a device
         * others use.  A FIFO blocks here until its reader opens it, as
         * a shell redirection would. */
        int nowait = (flags & TRACEFILE_NO_WAIT) && S_ISFIFO(sb.st_mode);
        t->path = strdup(path);
        int fd = t->path ? open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY |
                                          (nowait ? O_NONBLOCK : 0))
                         : -1;
        /* Writes block again once the reader is there. */
        if (fd >= 0 && nowait)
            (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        if (fd < 0 || !(t->f = fdopen(fd, "w"))) {
            snprintf(err, errlen, "%s: cannot write: %s", path,
                     fd < 0 && errno == ENXIO
                         ? "no reader on this FIFO"
                         : strerror(t->path ? errno : ENOMEM));
            if (fd >= 0)
                close(fd);
            tracefile_abort(t);
            return -1;
        }
        t->how = TRACEFILE_DIRECT;
        return 0;
    }
    if (followed && !S_ISREG(sb.st_mode)) {
        snprintf(err, errlen,
                 "%s: %s (an output must be a regular file, a FIFO, a "
                 "character device or -)",
                 path, kind_name(sb.st_mode));
        return -1;
    }
    /* A regular file or a new name: temp file beside the final target. */
    if (!exists || !S_ISLNK(lsb.st_mode))
        t->path = strdup(path);
    else if (followed)
        t->path = realpath(path, NULL);
    else
        t->path = follow_dangling(path);
    if (!t->path) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (followed && sb.st_nlink > 1)
        t->how = TRACEFILE_COPY;
    else
        t->how = TRACEFILE_RENAME;
    if (open_tmp(t, &sb, followed) != 0) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        tracefile_abort(t);
        return -1;
    }
    /* A large buffer: a tick line is a few kB at most. */
    setvbuf(t->f, NULL, _IOFBF, 1 << 16);
    return 0;
}

int tracefile_on_stdout(const struct tracefile *t)
{
    return t->how == TRACEFILE_STDOUT;
}

/* An invalid reading is null, as a NaN or an infinity is (json.h). */
static void put_num(FILE *f, double v, int valid)
{
    json_put_number(f, valid ? v : NAN);
}

/* One CSV field made of a, sep and b (any may be NULL) joined, as RFC
 * 4180 asks: as is when it holds no comma, quote, CR or LF, else in
 * double quotes with each quote doubled. */
static void csv_put_field(FILE *f, const char *a, const char *sep,
                          const char *b)
{
    const char *parts[3] = {a, sep, b};
    int quote = 0;
    for (int i = 0; i < 3; i++)
        if (parts[i] && strpbrk(parts[i], ",\"\r\n"))
            quote = 1;
    if (!quote) {
        for (int i = 0; i < 3; i++)
            if (parts[i])
                fputs(parts[i], f);
        return;
    }
    /* RFC 4180: the field in double quotes, each quote doubled. */
    fputc('"', f);
    for (int i = 0; i < 3; i++)
        for (const char *s = parts[i]; s && *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
    fputc('"', f);
}

void tracefile_header(struct tracefile *t, const struct model *m,
                      const struct lab *lab, const char *policy)
{
    FILE *f = t->f;
    if (t->csv) {
        /* Names are the lab's text: a comma, quote or newline in one is
         * quoted, so the columns stay where the rows have them. */
        fputs("t_s", f);
        for (size_t i = 0; i < m->n_signals; i++)
            if (m->signals[i].behaviour != WATTSON_CONSTANT) {
                fputc(',', f);
                csv_put_field(f, m->devices[m->signals[i].device].name, ".",
                              m->signals[i].name);
            }
        for (size_t c = 0; c < m->n_controls; c++) {
            fputc(',', f);
            csv_put_field(f, m->devices[m->controls[c].device].name, ".set.",
                          m->controls[c].name);
        }
        fputc('\n', f);
        return;
    }
    fprintf(f,
            "{\"type\":\"header\",\"format\":%d,\"wattson\":\"%s\","
            "\"lab\":",
            TRACEFILE_FORMAT, WATTSON_VERSION);
    json_put_string(f, lab->name);
    fprintf(f,
            ",\"seed\":%llu,\"tick_s\":%.9g,\"duration_s\":%.9g,"
            "\"budget_w\":%.9g,\"policy\":",
            (unsigned long long)lab->seed, lab->tick_s, lab->duration_s,
            lab->budget_w);
    json_put_string(f, policy);
    fputs(",\"devices\":[", f);
    for (size_t d = 0; d < m->n_devices; d++) {
        const struct model_device *dev = &m->devices[d];
        fputs(d ? ",{\"name\":" : "{\"name\":", f);
        json_put_string(f, dev->name);
        fputs(",\"kind\":", f);
        json_put_string(f, dev->kind);
        fputs(",\"driver\":", f);
        json_put_string(f, m->plugins[dev->plugin].name);
        fputs(",\"signals\":{", f);
        int first = 1;
        for (size_t i = 0; i < m->n_signals; i++) {
            if (m->signals[i].device != d)
                continue;
            fputs(first ? "" : ",", f);
            first = 0;
            json_put_string(f, m->signals[i].name);
            fputs(":", f);
            json_put_string(f, m->signals[i].unit);
        }
        fputs("},\"controls\":{", f);
        first = 1;
        for (size_t c = 0; c < m->n_controls; c++) {
            const struct model_control *mc = &m->controls[c];
            if (mc->device != d)
                continue;
            fputs(first ? "" : ",", f);
            first = 0;
            json_put_string(f, mc->name);
            fprintf(f, ":{\"unit\":");
            json_put_string(f, mc->unit);
            fprintf(f, ",\"min\":%.9g,\"max\":%.9g}", mc->min, mc->max);
        }
        fputs("}}", f);
    }
    fputc(']', f);
    if (t->extra.header) {
        fputs(",\"eng\":", f);
        t->extra.header(t->extra.ctx, f);
    }
    fputs("}\n", f);
}

void tracefile_tick(struct tracefile *t, const struct model *m,
                    double total_power)
{
    FILE *f = t->f;
    if (t->csv) {
        fprintf(f, "%.9g", m->t);
        for (size_t i = 0; i < m->n_signals; i++) {
            if (m->signals[i].behaviour == WATTSON_CONSTANT)
                continue;
            if (m->valid[i])
                fprintf(f, ",%.9g", m->val[i]);
            else
                fputc(',', f);
        }
        for (size_t c = 0; c < m->n_controls; c++) {
            if (m->applied_known[c])
                fprintf(f, ",%.9g", m->applied[c]);
            else
                fputc(',', f);
        }
        fputc('\n', f);
        return;
    }
    fprintf(f, "{\"type\":\"tick\",\"tick\":%llu,\"t\":%.9g,\"power_w\":",
            (unsigned long long)m->tick, m->t);
    put_num(f, total_power, 1);
    fputs(",\"dev\":{", f);
    /* Names are the lab's and the drivers' text: escaped like the
     * header's (a plain name is written as is). */
    for (size_t d = 0; d < m->n_devices; d++) {
        fputs(d ? ",\"" : "\"", f);
        json_put_chars(f, m->devices[d].name);
        fputs("\":{", f);
        int first = 1;
        for (uint32_t k = m->dsig_off[d]; k < m->dsig_off[d + 1]; k++) {
            uint32_t i = m->dsig[k];
            if (m->signals[i].behaviour == WATTSON_CONSTANT)
                continue;
            fputs(first ? "\"" : ",\"", f);
            json_put_chars(f, m->signals[i].name);
            fputs("\":", f);
            first = 0;
            put_num(f, m->val[i], m->valid[i]);
        }
        for (uint32_t k = m->dctl_off[d]; k < m->dctl_off[d + 1]; k++) {
            uint32_t c = m->dctl[k];
            fputs(",\"set.", f);
            json_put_chars(f, m->controls[c].name);
            fputs("\":", f);
            put_num(f, m->applied[c], m->applied_known[c]);
        }
        if (m->devices[d].is_pu) {
            fputs(",\"fc.demand\":", f);
            put_num(f, m->fc_demand[d], m->fc_valid[d]);
        }
        fputc('}', f);
    }
    fputc('}', f);
    if (t->extra.tick) {
        fputs(",\"eng\":", f);
        t->extra.tick(t->extra.ctx, f);
    }
    fputs("}\n", f);
}

void tracefile_reload(struct tracefile *t, const struct model *m, int ok,
                      const char *error)
{
    if (t->csv)
        return;
    fprintf(t->f, "{\"type\":\"reload\",\"tick\":%llu,\"t\":%.9g,\"ok\":%s",
            (unsigned long long)m->tick, m->t, ok ? "true" : "false");
    if (error) {
        fputs(",\"error\":", t->f);
        json_put_string(t->f, error);
    }
    fputs("}\n", t->f);
}

/* A file with other hard links keeps its inode: the finished temporary
 * file is copied into it. */
static int copy_into(const char *from, const char *to)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(to, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    char buf[1 << 16];
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -1 : 0;
            break;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    int e = errno;
    close(in);
    if (close(out) != 0 && rc == 0) {
        e = errno;
        rc = -1;
    }
    errno = e;
    return rc;
}

int tracefile_commit(struct tracefile *t, const struct summary *s, char *err,
                     size_t errlen)
{
    if (!t->f)
        return 0;
    if (!t->csv && !t->text) {
        summary_write_json(s, t->f, 1);
        fputc('\n', t->f);
    }
    int bad = 0;
    if (t->how == TRACEFILE_STDOUT) {
        /* Never closed: the summary and the caller's exit path may still
         * write to it. */
        bad = fflush(t->f) != 0 || ferror(t->f);
    } else {
        bad = ferror(t->f);
        if (fclose(t->f) != 0)
            bad = 1;
    }
    int e = bad ? (errno ? errno : EIO) : 0;
    t->f = NULL;
    if (!bad && t->how == TRACEFILE_RENAME && rename(t->tmp, t->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (!bad && t->how == TRACEFILE_COPY && copy_into(t->tmp, t->path) != 0) {
        bad = 1;
        e = errno;
    }
    if (bad) {
        snprintf(err, errlen, "%s: write failed: %s",
                 t->how == TRACEFILE_STDOUT ? "stdout" : t->path, strerror(e));
        tracefile_abort(t);
        return -1;
    }
    if (t->how == TRACEFILE_COPY)
        unlink(t->tmp);
    free(t->tmp);
    free(t->path);
    t->tmp = t->path = NULL;
    return 0;
}

void tracefile_abort(struct tracefile *t)
{
    if (t->f && t->how != TRACEFILE_STDOUT)
        fclose(t->f);
    else if (t->f)
        fflush(t->f);
    t->f = NULL;
    if (t->tmp)
        unlink(t->tmp);
    free(t->tmp);
    free(t->path);
    t->tmp = t->path = NULL;
}
