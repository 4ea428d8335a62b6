/*
 * journal - see journal.h.
 */
#include "core/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/decnum.h"
#include "core/safefile.h"
#include "core/sbuf.h"
#include "core/trust.h"

const char *const journal_env_names[] = {"WATTSON_SYSFS_ROOT",
                                         "WATTSON_NVML_LIB", NULL};

/* ---- what the format can hold ---- */

/* A name is one field of a space-separated line: printable, no space. */
static int name_ok(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

/* A path or value is the rest of its line: anything but a newline. */
static int rest_ok(const char *s)
{
    return s && *s && !strchr(s, '\n');
}

static int env_known(const char *name, size_t len)
{
    for (size_t i = 0; journal_env_names[i]; i++)
        if (strlen(journal_env_names[i]) == len &&
            memcmp(journal_env_names[i], name, len) == 0)
            return 1;
    return 0;
}

static int labline_ok(const char *s)
{
    return rest_ok(s) && (s[0] == '/' || strcmp(s, "(embedded)") == 0 ||
                          strcmp(s, "(generated)") == 0);
}

/* ---- building ---- */

int journal_set_lab(struct journal *j, const char *lab)
{
    if (!labline_ok(lab)) {
        errno = EINVAL;
        return -1;
    }
    char *s = strdup(lab);
    if (!s)
        return -1;
    free(j->lab);
    j->lab = s;
    return 0;
}

int journal_add_dir(struct journal *j, const char *dir)
{
    if (!rest_ok(dir) || dir[0] != '/' || j->n_dirs >= JOURNAL_MAX_DIRS) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < j->n_dirs; i++)
        if (strcmp(j->dirs[i], dir) == 0)
            return 0; /* the search path needs each directory once */
    char **d = realloc(j->dirs, (j->n_dirs + 1) * sizeof *d);
    if (!d)
        return -1;
    j->dirs = d;
    if (!(d[j->n_dirs] = strdup(dir)))
        return -1;
    j->n_dirs++;
    return 0;
}

int journal_add_env(struct journal *j, const char *name, const char *value)
{
    if (!name || !env_known(name, strlen(name)) || !rest_ok(value) ||
        j->n_env >= JOURNAL_MAX_DIRS) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < j->n_env; i++)
        if (strcmp(j->env[i].name, name) == 0) {
            errno = EINVAL;
            return -1;
        }
    struct journal_env *e = realloc(j->env, (j->n_env + 1) * sizeof *e);
    if (!e)
        return -1;
    j->env = e;
    e[j->n_env].name = strdup(name);
    e[j->n_env].value = strdup(value);
    if (!e[j->n_env].name || !e[j->n_env].value) {
        free(e[j->n_env].name);
        free(e[j->n_env].value);
        return -1;
    }
    j->n_env++;
    return 0;
}

int journal_add_control(struct journal *j, const char *plugin,
                        const char *device, const char *control, double value)
{
    if (!name_ok(plugin) || !name_ok(device) || !name_ok(control) ||
        !isfinite(value) || j->n_ctl >= JOURNAL_MAX_CONTROLS) {
        errno = EINVAL;
        return -1;
    }
    if (j->n_ctl == j->cap_ctl) {
        size_t cap = j->cap_ctl ? 2 * j->cap_ctl : 8;
        struct journal_control *c = realloc(j->ctl, cap * sizeof *c);
        if (!c)
            return -1;
        j->ctl = c;
        j->cap_ctl = cap;
    }
    struct journal_control *c = &j->ctl[j->n_ctl];
    c->plugin = strdup(plugin);
    c->device = strdup(device);
    c->control = strdup(control);
    c->value = value;
    if (!c->plugin || !c->device || !c->control) {
        free(c->plugin);
        free(c->device);
        free(c->control);
        return -1;
    }
    j->n_ctl++;
    return 0;
}

void journal_free(struct journal *j)
{
    free(j->lab);
    for (size_t i = 0; i < j->n_dirs; i++)
        free(j->dirs[i]);
    free(j->dirs);
    for (size_t i = 0; i < j->n_env; i++) {
        free(j->env[i].name);
        free(j->env[i].value);
    }
    free(j->env);
    for (size_t i = 0; i < j->n_ctl; i++) {
        free(j->ctl[i].plugin);
        free(j->ctl[i].device);
        free(j->ctl[i].control);
    }
    free(j->ctl);
    memset(j, 0, sizeof *j);
}

/* ---- formatting ---- */

char *journal_format(const struct journal *j, size_t *len)
{
    if (j->pid <= 0 || j->start < 0 || !labline_ok(j->lab)) {
        errno = EINVAL;
        return NULL;
    }
    struct sbuf b = {0};
    sbuf_printf(&b, "wattson-journal %d\npid %ld\nstart %lld\nlab %s\n",
                JOURNAL_VERSION, j->pid, j->start, j->lab);
    for (size_t i = 0; i < j->n_dirs; i++) {
        if (!rest_ok(j->dirs[i]) || j->dirs[i][0] != '/')
            b.failed = 2;
        sbuf_printf(&b, "plugin-dir %s\n", j->dirs[i]);
    }
    for (size_t i = 0; i < j->n_env; i++) {
        const struct journal_env *e = &j->env[i];
        if (!e->name || !env_known(e->name, strlen(e->name)) ||
            !rest_ok(e->value))
            b.failed = 2;
        sbuf_printf(&b, "env %s %s\n", e->name, e->value);
    }
    for (size_t i = 0; i < j->n_ctl; i++) {
        const struct journal_control *c = &j->ctl[i];
        if (!name_ok(c->plugin) || !name_ok(c->device) ||
            !name_ok(c->control) || !isfinite(c->value))
            b.failed = 2;
        /* %.17g: 17 significant digits identify a double exactly, so the
         * value restored is the very one saved. */
        sbuf_printf(&b, "control %s %s %s %.17g\n", c->plugin, c->device,
                    c->control, c->value);
    }
    sbuf_printf(&b, "end\n");
    if (b.failed) {
        free(b.p);
        errno = b.failed == 2 ? EINVAL : ENOMEM;
        return NULL;
    }
    *len = b.len;
    return b.p;
}

/* ---- parsing ---- */

static int perr(char *err, size_t errlen, const char *name, size_t line,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int perr(char *err, size_t errlen, const char *name, size_t line,
                const char *fmt, ...)
{
    int n = snprintf(err, errlen, "%s:%zu: ", name, line);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Splits the line's fields after the key: exactly `n` names, one space
 * apart.  Returns 0 and fills off/len, or -1. */
static int split_names(const char *s, size_t len, size_t n, size_t *off,
                       size_t *flen)
{
    size_t pos = 0;
    for (size_t k = 0; k < n; k++) {
        size_t start = pos;
        while (pos < len && s[pos] != ' ')
            pos++;
        if (pos == start)
            return -1;
        for (size_t i = start; i < pos; i++)
            if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
                return -1;
        off[k] = start;
        flen[k] = pos - start;
        if (k + 1 < n) {
            if (pos >= len)
                return -1;
            pos++; /* the one space */
        }
    }
    return pos == len ? 0 : -1;
}

enum stage { ST_VERSION, ST_PID, ST_START, ST_LAB, ST_BODY, ST_END };

static int parse_line(const char *name, size_t ln, const char *s, size_t len,
                      int *stage, int *body, struct journal *j, char *err,
                      size_t errlen)
{
    static const char *const expected[] = {"'wattson-journal 1'", "'pid N'",
                                           "'start N'", "'lab PATH'"};
    const char *sp = memchr(s, ' ', len);
    size_t klen = sp ? (size_t)(sp - s) : len;
    const char *rest = sp ? sp + 1 : s + len;
    size_t rlen = sp ? len - klen - 1 : 0;
    unsigned long long u;

#define KEY(k) (klen == sizeof(k) - 1 && memcmp(s, k, klen) == 0)
    if (*stage == ST_END)
        return perr(err, errlen, name, ln, "text after the 'end' line");
    if (*stage == ST_VERSION) {
        if (!KEY("wattson-journal"))
            return perr(err, errlen, name, ln,
                        "not a wattson journal (expected %s first)",
                        expected[0]);
        if (decnum_uint(rest, rlen, 1000000, &u) != 0)
            return perr(err, errlen, name, ln, "bad journal version");
        if (u != JOURNAL_VERSION)
            return perr(err, errlen, name, ln,
                        "journal version %llu, this wattson reads version %d",
                        u, JOURNAL_VERSION);
        *stage = ST_PID;
        return 0;
    }
    if (*stage == ST_PID || *stage == ST_START || *stage == ST_LAB) {
        const char *want = *stage == ST_PID     ? "pid"
                           : *stage == ST_START ? "start"
                                                : "lab";
        if (klen != strlen(want) || memcmp(s, want, klen) != 0 || !sp)
            return perr(err, errlen, name, ln, "expected %s", expected[*stage]);
        if (*stage == ST_PID) {
            if (decnum_uint(rest, rlen, INT32_MAX, &u) != 0 || u == 0)
                return perr(err, errlen, name, ln,
                            "pid: expected a positive process id");
            j->pid = (long)u;
        } else if (*stage == ST_START) {
            if (decnum_uint(rest, rlen, 1ULL << 52, &u) != 0)
                return perr(err, errlen, name, ln,
                            "start: expected seconds since 1970");
            j->start = (long long)u;
        } else {
            char *lab = dupn(rest, rlen);
            if (!lab)
                return perr(err, errlen, name, ln, "out of memory");
            int rc = journal_set_lab(j, lab);
            int e = errno;
            free(lab);
            if (rc != 0)
                return perr(err, errlen, name, ln, "%s",
                            e == ENOMEM ? "out of memory"
                                        : "lab: expected an absolute path, "
                                          "(embedded) or (generated)");
        }
        (*stage)++;
        return 0;
    }
    /* The body: plugin-dir lines, then env lines, then control lines,
     * then end.  *body says how far it got (0, 1, 2). */
    if (KEY("end")) {
        if (sp)
            return perr(err, errlen, name, ln, "'end' takes nothing after it");
        *stage = ST_END;
        return 0;
    }
    if (KEY("plugin-dir") || KEY("env") || KEY("control")) {
        int order = KEY("plugin-dir") ? 0 : KEY("env") ? 1 : 2;
        if (order < *body)
            return perr(err, errlen, name, ln,
                        "'%.*s' after '%s' lines (order: plugin-dir, env, "
                        "control)",
                        (int)klen, s, *body == 1 ? "env" : "control");
        *body = order;
        if (!sp || rlen == 0)
            return perr(err, errlen, name, ln, "'%.*s' needs a value",
                        (int)klen, s);
    }
    if (KEY("plugin-dir")) {
        if (rest[0] != '/')
            return perr(err, errlen, name, ln,
                        "plugin-dir: expected an absolute directory");
        for (size_t i = 0; i < j->n_dirs; i++)
            if (strlen(j->dirs[i]) == rlen &&
                memcmp(j->dirs[i], rest, rlen) == 0)
                return perr(err, errlen, name, ln, "plugin-dir: listed twice");
        if (j->n_dirs >= JOURNAL_MAX_DIRS)
            return perr(err, errlen, name, ln,
                        "plugin-dir: more than %d directories",
                        JOURNAL_MAX_DIRS);
        char *d = dupn(rest, rlen);
        int rc = d ? journal_add_dir(j, d) : -1;
        free(d);
        if (rc != 0)
            return perr(err, errlen, name, ln, "out of memory");
        return 0;
    }
    if (KEY("env")) {
        const char *vsp = memchr(rest, ' ', rlen);
        size_t nlen = vsp ? (size_t)(vsp - rest) : rlen;
        if (!vsp || nlen + 1 >= rlen)
            return perr(err, errlen, name, ln, "env: expected NAME VALUE");
        if (!env_known(rest, nlen))
            return perr(err, errlen, name, ln,
                        "env: '%.*s' is not a driver variable wattson "
                        "records",
                        (int)nlen, rest);
        for (size_t i = 0; i < j->n_env; i++)
            if (strlen(j->env[i].name) == nlen &&
                memcmp(j->env[i].name, rest, nlen) == 0)
                return perr(err, errlen, name, ln, "env: %.*s listed twice",
                            (int)nlen, rest);
        char *n = dupn(rest, nlen), *v = dupn(vsp + 1, rlen - nlen - 1);
        int rc = n && v ? journal_add_env(j, n, v) : -1;
        free(n);
        free(v);
        if (rc != 0)
            return perr(err, errlen, name, ln, "out of memory");
        return 0;
    }
    if (KEY("control")) {
        size_t off[4], fl[4];
        if (split_names(rest, rlen, 4, off, fl) != 0)
            return perr(err, errlen, name, ln,
                        "control: expected PLUGIN DEVICE CONTROL VALUE, one "
                        "space apart");
        double v;
        if (decnum_double(rest + off[3], fl[3], 63, &v) != 0)
            return perr(err, errlen, name, ln,
                        "control: '%.*s' is not a finite decimal number",
                        (int)(fl[3] > 40 ? 40 : fl[3]), rest + off[3]);
        for (size_t i = 0; i < j->n_ctl; i++) {
            const struct journal_control *c = &j->ctl[i];
            if (strlen(c->plugin) == fl[0] &&
                memcmp(c->plugin, rest + off[0], fl[0]) == 0 &&
                strlen(c->device) == fl[1] &&
                memcmp(c->device, rest + off[1], fl[1]) == 0 &&
                strlen(c->control) == fl[2] &&
                memcmp(c->control, rest + off[2], fl[2]) == 0)
                return perr(err, errlen, name, ln,
                            "control: %s.%s listed twice", c->device,
                            c->control);
        }
        if (j->n_ctl >= JOURNAL_MAX_CONTROLS)
            return perr(err, errlen, name, ln, "more than %d controls",
                        JOURNAL_MAX_CONTROLS);
        char *p = dupn(rest + off[0], fl[0]);
        char *d = dupn(rest + off[1], fl[1]);
        char *c = dupn(rest + off[2], fl[2]);
        int rc = p && d && c ? journal_add_control(j, p, d, c, v) : -1;
        free(p);
        free(d);
        free(c);
        if (rc != 0)
            return perr(err, errlen, name, ln, "out of memory");
        return 0;
    }
#undef KEY
    return perr(err, errlen, name, ln,
                "unknown line '%.*s' (expected plugin-dir, env, control or "
                "end)",
                (int)(klen > 40 ? 40 : klen), s);
}

int journal_parse(const char *name, const char *text, size_t len,
                  struct journal *j, char *err, size_t errlen)
{
    int stage = ST_VERSION, body = 0;
    size_t pos = 0, ln = 0;
    memset(j, 0, sizeof *j);
    if (len == 0) {
        perr(err, errlen, name, 1, "empty file");
        return -1;
    }
    while (pos < len) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        ln++;
        int rc;
        if (l > JOURNAL_MAX_LINE)
            rc = perr(err, errlen, name, ln, "line longer than %d bytes",
                      JOURNAL_MAX_LINE);
        else if (memchr(s, '\0', l))
            rc = perr(err, errlen, name, ln, "NUL byte");
        else if (!nl)
            /* Written files always end in a newline: a missing one means
             * the file was cut short. */
            rc = perr(err, errlen, name, ln,
                      "no newline at the end of the line (truncated file?)");
        else if (l > 0 && s[l - 1] == '\r')
            rc = perr(err, errlen, name, ln, "carriage return (CRLF line)");
        else if (l == 0)
            rc = perr(err, errlen, name, ln, "empty line");
        else
            rc = parse_line(name, ln, s, l, &stage, &body, j, err, errlen);
        if (rc != 0) {
            journal_free(j);
            return -1;
        }
        pos += l + 1;
    }
    if (stage != ST_END) {
        perr(err, errlen, name, ln, "truncated: no 'end' line");
        journal_free(j);
        return -1;
    }
    return 0;
}

/* ---- files ---- */

int journal_read(const char *path, struct journal *j, char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    /* Only a regular file of ours or root's that nobody else may write
     * (safefile.h): its plugin-dir lines decide what code is loaded.  Big
     * enough for JOURNAL_MAX_CONTROLS lines of sane length; a larger file
     * is not one wattson wrote. */
    char *buf;
    size_t len;
    int rc = safefile_read(path, 16u << 20, "journal", &buf, &len, err, errlen);
    if (rc == SAFEFILE_ABSENT)
        return 1;
    if (rc != SAFEFILE_OK)
        return -1;
    rc = journal_parse(path, buf, len, j, err, errlen);
    free(buf);
    return rc;
}

int journal_write(const char *path, const struct journal *j, char *err,
                  size_t errlen)
{
    size_t len;
    char *text = journal_format(j, &len);
    if (!text) {
        snprintf(err, errlen, "%s: cannot write the journal: %s", path,
                 errno == EINVAL ? "a name or path it cannot hold"
                                 : strerror(errno));
        return -1;
    }
    const char *step;
    int rc = safefile_write(path, text, len, &step);
    int e = errno;
    free(text);
    if (rc == 0)
        return 0;
    if (rc == -1 && strcmp(step, "create") == 0) {
        snprintf(err, errlen, "%s: cannot create the journal: %s", path,
                 strerror(e));
        return -1;
    }
    /* Without the directory's fsync a power cut could lose the journal
     * of a run that already wrote the hardware: better none, reported,
     * than one that may vanish. */
    if (rc == -2) {
        unlink(path);
        safefile_sync_dir_of(path);
    }
    snprintf(err, errlen, "%s: cannot write the journal (%s): %s", path, step,
             strerror(e));
    return -1;
}

int journal_remove_own(const char *path, long pid)
{
    /* Signal-safe: a fixed buffer, no stdio, no allocation. */
    char buf[128], want[40];
    size_t w = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    if (fd < 0) /* a link is not a journal we wrote */
        return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd); /* not a journal, so not ours */
        return 0;
    }
    ssize_t n, got = 0;
    while (got < (ssize_t)sizeof buf - 1 &&
           (n = read(fd, buf + got, sizeof buf - 1 - (size_t)got)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close(fd);
            return -1;
        }
        got += n;
    }
    close(fd);
    buf[got] = '\0';
    /* "\npid N\n" right after the version line */
    char digits[24];
    size_t nd = 0;
    unsigned long v = pid > 0 ? (unsigned long)pid : 0;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && nd < sizeof digits);
    memcpy(want, "\npid ", 5);
    w = 5;
    while (nd > 0)
        want[w++] = digits[--nd];
    want[w++] = '\n';
    want[w] = '\0';
    const char *nl = strchr(buf, '\n');
    if (!nl || strncmp(nl, want, w) != 0)
        return 0;
    if (unlink(path) != 0)
        return errno == ENOENT ? 0 : -1;
    return 1;
}

int journal_remove(const char *path)
{
    if (unlink(path) != 0 && errno != ENOENT)
        return -1;
    safefile_sync_dir_of(path);
    return 0;
}

/* ---- where ---- */

static int usable_dir(const char *dir)
{
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
           access(dir, W_OK | X_OK) == 0;
}

const char *journal_run_dir(const char *opt, char *buf, size_t len,
                            int *explicit_dir, char *err, size_t errlen)
{
    const char *env = getenv("WATTSON_RUN_DIR");
    int fallback = 0;
    *explicit_dir = 0;
    if (opt && *opt) {
        *explicit_dir = 1;
        snprintf(buf, len, "%s", opt);
    } else if (env && *env) {
        snprintf(buf, len, "%s", env);
    } else {
        /* /run is tmpfs: a journal there is gone after a reboot, which is
         * right, since rebooting resets what it saved. */
        if (mkdir("/run/wattson", 0700) == 0 || errno == EEXIST) {
            if (usable_dir("/run/wattson")) {
                snprintf(buf, len, "/run/wattson");
                return buf;
            }
        }
        snprintf(buf, len, "/tmp/wattson-%ld", (long)getuid());
        fallback = 1;
    }
    /* Created if missing; a path that cannot be a directory (a regular
     * file, no permission) is left for the journal's write to report. */
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
        /* nothing: journal_write names the path and the reason */
    }
    if (fallback) {
        /* /tmp is everyone's: a directory someone else made (or a link
         * to one) could feed `wattson restore` values of their choosing. */
        struct stat st;
        if (lstat(buf, &st) != 0 || !S_ISDIR(st.st_mode) ||
            st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
            snprintf(err, errlen,
                     "%s: not a directory of uid %ld's alone; refusing it "
                     "as the run directory (use --run-dir)",
                     buf, (long)geteuid());
            return NULL;
        }
    }
    /* Any run directory, not only /tmp's: whoever can write it chooses
     * the plugin directories and values `wattson restore` uses, maybe as
     * root.  (A path that is not a directory at all is left for the
     * journal's write to report, as above.) */
    struct stat st;
    char why[PATH_MAX + 200];
    if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode) &&
        trust_check_path(buf, TRUST_DIR | TRUST_MODES | TRUST_PARENTS, why,
                         sizeof why) != 0) {
        snprintf(err, errlen, "%s; refusing it as the run directory", why);
        return NULL;
    }
    return buf;
}

int journal_clean_tmp(const char *dir)
{
    static const char prefix[] = JOURNAL_FILE ".tmp.";
    DIR *d = opendir(dir);
    int removed = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, sizeof prefix - 1) != 0)
            continue;
        const char *digits = e->d_name + sizeof prefix - 1;
        char *end;
        errno = 0;
        long pid = strtol(digits, &end, 10);
        if (end == digits || *end || errno || pid <= 0)
            continue;
        /* A live wattson may be between its write and its rename (it can
         * only hold another lock file): leave its file alone. */
        if (pid == (long)getpid() || journal_owner_alive(pid))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    return removed;
}

const char *journal_path(const char *dir, char *buf, size_t len)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    snprintf(buf, len, "%.*s/%s", (int)n, dir, JOURNAL_FILE);
    return buf;
}

static int read_comm(const char *path, char *out, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

int journal_owner_alive(long pid)
{
    if (pid <= 0 || pid > INT32_MAX)
        return 0;
    if (kill((pid_t)pid, 0) != 0 && errno != EPERM)
        return 0;
    char path[64], theirs[64], ours[64];
    /* A killed process stays a zombie until its parent reaps it (or for
     * good, under an init that does not reap): it answers kill(0) but
     * will never restore anything.  Its state is the field after the
     * ')' that ends the command name in /proc/PID/stat. */
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *st = fopen(path, "r");
    if (st) {
        char buf[512];
        size_t n = fread(buf, 1, sizeof buf - 1, st);
        fclose(st);
        buf[n] = '\0';
        char *rp = strrchr(buf, ')');
        if (rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'))
            return 0;
    }
    snprintf(path, sizeof path, "/proc/%ld/comm", pid);
    if (read_comm(path, theirs, sizeof theirs) != 0 ||
        read_comm("/proc/self/comm", ours, sizeof ours) != 0)
        return 1; /* no /proc: the pid is all there is to go by */
    return strcmp(theirs, ours) == 0;
}
