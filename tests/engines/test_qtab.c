/*
 * The Q-table files (engines/qtab.c): a table saved and loaded back bit
 * for bit (negatives, -0, subnormals, the largest doubles, visit counts up
 * to UINT32_MAX); a missing table is a cold start; a damaged file (bad
 * checksum, truncated, an edited value, NaN, wrong counts, duplicate or
 * missing rows, junk, over-long or CRLF lines) is refused as corrupt, one
 * of another shape or module as such, each with a message naming the file
 * and line, the caller's arrays untouched and the file left in place;
 * module ids that could leave the directory are refused; links and
 * directories or files others could write are refused; a save that fails
 * leaves the old file as it was and no temporary file behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engines/qtab.h"
#include "t.h"

#define NA 5
#define NS 12 /* 3 x 4 states */
#define NC (NS * NA)

static const struct qtab_shape shape = {2, {3, 4}, NA};
static const char *const mod = "gpu-t4:serial123";

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Random doubles of every sign and magnitude, and the awkward ones. */
static void fill(double *q, uint32_t *v)
{
    static const double odd[] = {0.0,
                                 -0.0,
                                 5e-324,
                                 -5e-324,
                                 2.2250738585072014e-308,
                                 1.7976931348623157e308,
                                 -1.7976931348623157e308,
                                 0.1,
                                 -1.0 / 3.0};
    for (int i = 0; i < NC; i++) {
        if (i < (int)(sizeof odd / sizeof odd[0])) {
            q[i] = odd[i];
        } else {
            uint64_t b;
            double d;
            do { /* a random bit pattern that is a finite double */
                b = next();
                memcpy(&d, &b, sizeof d);
            } while (!isfinite(d));
            q[i] = d;
        }
        v[i] = i == 0 ? UINT32_MAX : i == 1 ? 0 : (uint32_t)next();
    }
}

static int write_file(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, len);
    close(fd);
    return n == (ssize_t)len ? 0 : -1;
}

/* The whole file, NUL-terminated (malloc'd), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(1 << 20);
    size_t n = b ? fread(b, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    if (b)
        b[n] = '\0';
    *len = n;
    return b;
}

/* Rewrites the last line, "crc32 X", to the right checksum of what is
 * before it, so that a test reaches the check behind the checksum. */
static void fix_crc(char *text, size_t *len)
{
    char *last = text + *len - 1;
    while (last > text && last[-1] != '\n')
        last--;
    size_t body = (size_t)(last - text);
    *len = body + (size_t)sprintf(last, "crc32 %08lx\n",
                                  (unsigned long)qtab_crc32(text, body));
}

/* Replaces the first `from` after `after` (or anywhere) with `to`. */
static char *edit(const char *text, const char *after, const char *from,
                  const char *to, size_t *len)
{
    const char *p = after ? strstr(text, after) : text;
    p = p ? strstr(p, from) : NULL;
    if (!p)
        return NULL;
    size_t n = strlen(text) + strlen(to) + 64;
    char *out = malloc(n + 1);
    size_t k = (size_t)(p - text);
    memcpy(out, text, k);
    strcpy(out + k, to);
    strcat(out, p + strlen(from));
    *len = strlen(out);
    return out;
}

/* Arrays that a refused load must leave as they are. */
static double sq[NC];
static uint32_t sv[NC];

static void sentinel(void)
{
    for (int i = 0; i < NC; i++) {
        sq[i] = 42.5 + i;
        sv[i] = 7u + (uint32_t)i;
    }
}

static int untouched(void)
{
    for (int i = 0; i < NC; i++)
        if (sq[i] != 42.5 + i || sv[i] != 7u + (uint32_t)i)
            return 0;
    return 1;
}

/* qtab_parse on text, expecting `code` and `want` in the message, and
 * the arrays untouched. */
static void refuse(const char *text, size_t len, const char *id, int code,
                   const char *want)
{
    char err[512] = "";
    sentinel();
    int rc =
        qtab_parse(text, len, "t.qtab", id, &shape, sq, sv, err, sizeof err);
    T_CHECK(rc == code);
    T_CHECK(strncmp(err, "qtab: t.qtab:", 13) == 0);
    T_CHECK(strchr(err, '\n') == NULL);
    if (!strstr(err, want))
        fprintf(stderr, "message: %s (wanted '%s')\n", err, want);
    T_CHECK(strstr(err, want) != NULL);
    T_CHECK(untouched());
}

static void test_crc_and_names(void)
{
    char buf[512], err[256];
    T_CHECK(qtab_crc32("123456789", 9) == 0xcbf43926u);
    T_CHECK(qtab_cells(&shape) == NC);
    struct qtab_shape s = shape;
    s.nactions = 0;
    T_CHECK(qtab_cells(&s) == 0);
    s = shape;
    s.ndims = QTAB_MAX_DIMS + 1;
    T_CHECK(qtab_cells(&s) == 0);
    s = (struct qtab_shape){2, {1024, 1025}, 1};
    T_CHECK(qtab_cells(&s) == 0); /* more than QTAB_MAX_CELLS */
    s.dims[1] = 1024;
    T_CHECK(qtab_cells(&s) == QTAB_MAX_CELLS);

    T_CHECK(qtab_path("/d/", mod, buf, sizeof buf, err, sizeof err) == QTAB_OK);
    T_STREQ(buf, "/d/gpu-t4:serial123.qtab");
    T_CHECK(qtab_path("/", "m", buf, sizeof buf, err, sizeof err) == QTAB_OK);
    T_STREQ(buf, "/m.qtab");
    T_CHECK(qtab_path("", "m", buf, sizeof buf, err, sizeof err) ==
            QTAB_EPARAM);
    T_CHECK(qtab_path("/d", "a%b@c", buf, sizeof buf, err, sizeof err) ==
            QTAB_OK);
    T_STREQ(buf, "/d/a%25b%40c.qtab");
    static const char *const bad[] = {"",     "../x", "a/b",  "..",   "a..b",
                                      ".hid", "a b",  "a\nb", "/abs", "x/../y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        T_CHECK(qtab_path("/d", bad[i], buf, sizeof buf, err, sizeof err) ==
                QTAB_EPARAM);
        T_CHECK(strncmp(err, "qtab: module id", 15) == 0);
        T_CHECK(strchr(err, '\n') == NULL);
    }
    char id[QTAB_ID_MAX + 2];
    memset(id, 'x', sizeof id);
    id[QTAB_ID_MAX] = '\0';
    T_CHECK(qtab_path("/d", id, buf, sizeof buf, err, sizeof err) == QTAB_OK);
    id[QTAB_ID_MAX] = 'x';
    id[QTAB_ID_MAX + 1] = '\0';
    T_CHECK(qtab_path("/d", id, buf, sizeof buf, err, sizeof err) ==
            QTAB_EPARAM);

    setenv("XDG_STATE_HOME", "/s", 1);
    T_CHECK(qtab_default_dir(buf, sizeof buf) == 0);
    T_STREQ(buf, "/s/wattson/qtables");
    /* (the variables' fallbacks: paths_state, tested with the history's
     * path in test_cmdline) */
}

/* The parser's refusals, each behind a right checksum unless the
 * checksum is what is wrong. */
static void test_parse(void)
{
    double q[NC];
    uint32_t v[NC];
    size_t len, n;
    char err[512];
    fill(q, v);
    char *text = qtab_format(mod, &shape, q, v, &len);
    T_CHECK(text != NULL);
    if (!text)
        return;
    T_CHECK(strncmp(text,
                    "wattson-qtable 1\nmodule gpu-t4:serial123\n"
                    "dims 3 4\nactions 5\nrow 0 q 0 -0 ",
                    strlen("wattson-qtable 1\nmodule gpu-t4:serial123\n"
                           "dims 3 4\nactions 5\nrow 0 q 0 -0 ")) == 0);
    sentinel();
    T_CHECK(qtab_parse(text, len, "t.qtab", mod, &shape, sq, sv, err,
                       sizeof err) == QTAB_OK);
    T_CHECK(memcmp(sq, q, sizeof q) == 0 && memcmp(sv, v, sizeof v) == 0);
    /* NULL module id: any valid one. */
    T_CHECK(qtab_parse(text, len, "t.qtab", NULL, &shape, sq, sv, err,
                       sizeof err) == QTAB_OK);

    /* the checksum itself, one hex digit changed */
    char *e = malloc(len + 1);
    memcpy(e, text, len + 1);
    e[len - 2] = e[len - 2] == '0' ? '1' : '0';
    refuse(e, len, mod, QTAB_ECORRUPT, "checksum: the file says");
    /* an edited value (a digit of row 3's first Q-value), checksum left
     * as it was */
    memcpy(e, text, len + 1);
    char *dg = strstr(e, "row 3 q ") + 8;
    while (*dg < '0' || *dg > '9')
        dg++;
    *dg = *dg == '1' ? '2' : '1';
    refuse(e, len, mod, QTAB_ECORRUPT, "checksum: the file says");
    free(e);
    /* truncated: cut mid-line, at a line end, and the checksum gone */
    refuse(text, len / 2, mod, QTAB_ECORRUPT, "no newline");
    const char *row9 = strstr(text, "row 9 ");
    refuse(text, (size_t)(row9 - text), mod, QTAB_ECORRUPT,
           "expected the checksum line");
    refuse(text, len - 1, mod, QTAB_ECORRUPT, "truncated");
    refuse(text, 0, mod, QTAB_ECORRUPT, "empty file");
    refuse("hello\ncrc32 00000000\n", 21, mod, QTAB_ECORRUPT,
           "not a wattson Q-table");

    /* Behind a good checksum. */
    struct {
        const char *after, *from, *to;
        int code;
        const char *msg;
    } cases[] = {
        {NULL, "wattson-qtable 1", "wattson-qtable 2", QTAB_ECORRUPT,
         ":1: Q-table version 2"},
        {NULL, "module gpu-t4:serial123", "module gpu-t4:serial999",
         QTAB_EMODULE, ":2: module: the table of 'gpu-t4:serial999'"},
        {NULL, "module gpu-t4:serial123", "module ../x", QTAB_ECORRUPT,
         ":2: module: the id starts with '.'"},
        {NULL, "module gpu-t4:serial123", "module a/b", QTAB_ECORRUPT,
         ":2: module: the id has a '/'"},
        {NULL, "dims 3 4", "dims 3 5", QTAB_ESHAPE,
         ":3: dims: the table's states are 3x5, the agent's 3x4"},
        {NULL, "dims 3 4", "dims 12", QTAB_ESHAPE, "states are 12"},
        {NULL, "dims 3 4", "dims 3  4", QTAB_ECORRUPT, ":3: dims:"},
        {NULL, "actions 5", "actions 4", QTAB_ESHAPE,
         ":4: actions: the table has 4, the agent 5"},
        {"row 2 ", " visits", " nan visits", QTAB_ECORRUPT,
         ":7: row 2: Q-value 5 'nan' is not a finite number"},
        {"row 2 ", "q ", "q inf ", QTAB_ECORRUPT, "Q-value 0 'inf'"},
        {"row 2 ", "q ", "q 1e999 ", QTAB_ECORRUPT, "Q-value 0 '1e999'"},
        {"row 2 ", "q ", "q 0x1p3 ", QTAB_ECORRUPT, "Q-value 0 '0x1p3'"},
        {"row 2 ", " visits", " 1 visits", QTAB_ECORRUPT,
         ":7: row 2: expected 5 Q-values, found 6"},
        {"row 2 ", "\n", " 9\n", QTAB_ECORRUPT,
         "row 2: expected 5 visit counts, found 6"},
        {"row 2 ", "\n", " junk\n", QTAB_ECORRUPT, "visit count 5 'junk'"},
        {"row 2 ", "\n", " 4294967296\n", QTAB_ECORRUPT,
         "visit count 5 '4294967296'"},
        {"row 2 ", "\n", " \n", QTAB_ECORRUPT, "empty field"},
        {NULL, "row 4 ", "row 3 ", QTAB_ECORRUPT,
         ":9: row 3 listed twice (expected row 4)"},
        {NULL, "row 4 ", "row 5 ", QTAB_ECORRUPT,
         ":9: row 4 missing (found row 5)"},
        {"row 4 ", "\n", "\r\n", QTAB_ECORRUPT, ":9: carriage return"},
        {"row 11 ", "\n", "\nrow 12 q 1 2 3 4 5 visits 1 2 3 4 5\n",
         QTAB_ECORRUPT, ":17: expected the checksum line after row 11"},
        {"row 11 ", "\n", "\n\n", QTAB_ECORRUPT, ":17: empty line"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        e = edit(text, cases[i].after, cases[i].from, cases[i].to, &n);
        T_CHECK(e != NULL);
        if (!e)
            continue;
        fix_crc(e, &n);
        refuse(e, n, mod, cases[i].code, cases[i].msg);
        free(e);
    }
    /* a row dropped: row 5 missing */
    const char *r5 = strstr(text, "row 5 "), *r6 = strstr(text, "row 6 ");
    char *d = malloc(len + 1);
    size_t k = (size_t)(r5 - text);
    memcpy(d, text, k);
    memcpy(d + k, r6, len - (size_t)(r6 - text));
    n = len - (size_t)(r6 - r5);
    fix_crc(d, &n);
    refuse(d, n, mod, QTAB_ECORRUPT, ":10: row 5 missing (found row 6)");
    /* a row with one Q-value less: the message the agent's log shows */
    e = edit(text, "row 7 ", " visits", " visits", &n);
    char *sp = strstr(strstr(e, "row 7 q "), " visits");
    char *prev = sp - 1;
    while (*prev != ' ')
        prev--;
    memmove(prev, sp, strlen(sp) + 1);
    n = strlen(e);
    fix_crc(e, &n);
    refuse(e, n, mod, QTAB_ECORRUPT,
           "t.qtab:12: row 7: expected 5 Q-values, found 4");
    free(e);
    /* an over-long line (a row padded with a huge Q-value field) */
    size_t big = QTAB_MAX_LINE + 100;
    char *lng = malloc(len + big + 64);
    k = (size_t)(r5 - text);
    memcpy(lng, text, k);
    memcpy(lng + k, "row 5 q ", 8);
    memset(lng + k + 8, '1', big);
    memcpy(lng + k + 8 + big, r5 + 7, len - (size_t)(r5 + 7 - text));
    n = len + big + 1;
    lng[n] = '\0';
    fix_crc(lng, &n);
    refuse(lng, n, mod, QTAB_ECORRUPT, ":10: line longer than 65536 bytes");
    free(lng);
    /* a NUL byte */
    memcpy(d, text, len);
    d[10] = '\0';
    n = len;
    fix_crc(d, &n);
    refuse(d, n, mod, QTAB_ECORRUPT, ":1: NUL byte");
    free(d);
    /* formatting refuses what it cannot write */
    q[3] = NAN;
    errno = 0;
    T_CHECK(qtab_format(mod, &shape, q, v, &n) == NULL && errno == EINVAL);
    free(text);
}

static void test_files(void)
{
    char base[] = "/tmp/wattson-qtab-XXXXXX";
    char dir[256], path[512], err[512], other[512];
    double q[NC], q2[NC];
    uint32_t v[NC], v2[NC];
    struct stat st;
    if (!mkdtemp(base)) {
        T_CHECK(0);
        return;
    }
    snprintf(dir, sizeof dir, "%s/state/wattson/qtables", base);
    qtab_path(dir, mod, path, sizeof path, err, sizeof err);

    /* cold start: no directory, then no file */
    sentinel();
    T_CHECK(qtab_load(dir, mod, &shape, sq, sv, err, sizeof err) ==
            QTAB_ENOENT);
    T_CHECK(untouched());

    /* round trip, exact to the bit; the directories made 0700 */
    fill(q, v);
    T_CHECK(qtab_save(dir, mod, &shape, q, v, err, sizeof err) == QTAB_OK);
    T_CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700);
    T_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    T_CHECK(t_dir_entries(dir) == 1);
    memset(q2, 0, sizeof q2);
    memset(v2, 0, sizeof v2);
    T_CHECK(qtab_load(dir, mod, &shape, q2, v2, err, sizeof err) == QTAB_OK);
    T_CHECK(memcmp(q, q2, sizeof q) == 0);
    T_CHECK(memcmp(v, v2, sizeof v) == 0);
    T_CHECK(signbit(q2[1]) && q2[1] == 0.0); /* -0 stays -0 */
    /* another module's table is another file: a cold start */
    T_CHECK(qtab_load(dir, "gpu-t4:serial999", &shape, q2, v2, err,
                      sizeof err) == QTAB_ENOENT);

    /* another shape: refused, the file kept */
    struct qtab_shape s2 = shape;
    s2.dims[0] = 4; /* 4 x 4 states */
    double q3[16 * NA];
    uint32_t v3[16 * NA];
    memset(q3, 0, sizeof q3);
    T_CHECK(qtab_load(dir, mod, &s2, q3, v3, err, sizeof err) == QTAB_ESHAPE);
    T_CHECK(strstr(err, path) != NULL && strstr(err, ":3: dims") != NULL);
    T_CHECK(q3[0] == 0.0 && q3[16 * NA - 1] == 0.0);
    s2 = shape;
    s2.nactions = 6;
    sentinel();
    T_CHECK(qtab_load(dir, mod, &s2, sq, sv, err, sizeof err) == QTAB_ESHAPE);
    T_CHECK(strstr(err, ":4: actions") != NULL);
    T_CHECK(untouched());
    s2 = (struct qtab_shape){3, {3, 2, 2}, NA};
    sentinel();
    T_CHECK(qtab_load(dir, mod, &s2, sq, sv, err, sizeof err) == QTAB_ESHAPE);
    T_CHECK(untouched());

    /* another module's file under this module's name */
    qtab_path(dir, "other", other, sizeof other, err, sizeof err);
    size_t len;
    char *good = slurp(path, &len);
    T_CHECK(good && write_file(other, good, len) == 0);
    sentinel();
    T_CHECK(qtab_load(dir, "other", &shape, sq, sv, err, sizeof err) ==
            QTAB_EMODULE);
    T_CHECK(strstr(err, "the table of 'gpu-t4:serial123', not of 'other'"));
    T_CHECK(untouched());
    unlink(other);

    /* a corrupt file: refused, kept as it is, replaced by the next save */
    good[len - 3] = good[len - 3] == '0' ? '1' : '0';
    T_CHECK(write_file(path, good, len) == 0);
    sentinel();
    T_CHECK(qtab_load(dir, mod, &shape, sq, sv, err, sizeof err) ==
            QTAB_ECORRUPT);
    T_CHECK(strstr(err, "checksum") != NULL && strstr(err, path) != NULL);
    T_CHECK(untouched());
    size_t len2;
    char *now = slurp(path, &len2);
    T_CHECK(now && len2 == len && memcmp(now, good, len) == 0);
    free(now);
    /* truncated */
    T_CHECK(write_file(path, good, len / 3) == 0);
    T_CHECK(qtab_load(dir, mod, &shape, sq, sv, err, sizeof err) ==
            QTAB_ECORRUPT);
    T_CHECK(untouched());
    T_CHECK(qtab_save(dir, mod, &shape, q, v, err, sizeof err) == QTAB_OK);
    T_CHECK(qtab_load(dir, mod, &shape, q2, v2, err, sizeof err) == QTAB_OK);
    T_CHECK(memcmp(q, q2, sizeof q) == 0);
    free(good);

    /* bad ids never touch the file system */
    T_CHECK(qtab_save(dir, "../escape", &shape, q, v, err, sizeof err) ==
            QTAB_EPARAM);
    T_CHECK(qtab_save(dir, "a/b", &shape, q, v, err, sizeof err) ==
            QTAB_EPARAM);
    T_CHECK(qtab_load(dir, "../escape", &shape, q2, v2, err, sizeof err) ==
            QTAB_EPARAM);
    T_CHECK(t_dir_entries(dir) == 1);
    snprintf(other, sizeof other, "%s/state/wattson/escape.qtab", base);
    T_CHECK(access(other, F_OK) != 0);

    /* NaN or inf is not saved, the old file kept */
    good = slurp(path, &len);
    q[7] = NAN;
    T_CHECK(qtab_save(dir, mod, &shape, q, v, err, sizeof err) == QTAB_EPARAM);
    T_CHECK(strstr(err, "state 1, action 2 is NaN") != NULL);
    q[7] = -INFINITY;
    T_CHECK(qtab_save(dir, mod, &shape, q, v, err, sizeof err) == QTAB_EPARAM);
    q[7] = 1.0;
    now = slurp(path, &len2);
    T_CHECK(now && good && len2 == len && memcmp(now, good, len) == 0);
    free(now);

    /* a failing write (the file size limit): the old file intact, no
     * temporary file left */
    struct rlimit rl, small;
    signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &rl);
    small = rl;
    small.rlim_cur = 100;
    T_CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    q[0] = 12345.0;
    T_CHECK(qtab_save(dir, mod, &shape, q, v, err, sizeof err) == QTAB_EIO);
    setrlimit(RLIMIT_FSIZE, &rl);
    T_CHECK(strstr(err, "not saved (write)") != NULL);
    T_CHECK(t_dir_entries(dir) == 1);
    now = slurp(path, &len2);
    T_CHECK(now && len2 == len && memcmp(now, good, len) == 0);
    free(now);
    /* a failing create (something in the temporary file's place) */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    T_CHECK(mkdir(tmp, 0700) == 0);
    T_CHECK(qtab_save(dir, mod, &shape, q, v, err, sizeof err) == QTAB_EIO);
    T_CHECK(strstr(err, "not saved (create)") != NULL);
    rmdir(tmp);
    now = slurp(path, &len2);
    T_CHECK(now && len2 == len && memcmp(now, good, len) == 0);
    free(now);
    /* a read-only directory (root writes anyway) */
    if (geteuid() != 0) {
        chmod(dir, 0500);
        T_CHECK(qtab_save(dir, mod, &shape, q, v, err, sizeof err) == QTAB_EIO);
        chmod(dir, 0700);
        T_CHECK(t_dir_entries(dir) == 1);
        now = slurp(path, &len2);
        T_CHECK(now && len2 == len && memcmp(now, good, len) == 0);
        free(now);
    } else {
        t_skip("read-only directory: root writes it anyway");
    }

    /* links: to the table, or the directory itself */
    snprintf(other, sizeof other, "%s/elsewhere.qtab", base);
    T_CHECK(write_file(other, good, len) == 0);
    unlink(path);
    T_CHECK(symlink(other, path) == 0);
    sentinel();
    T_CHECK(qtab_load(dir, mod, &shape, sq, sv, err, sizeof err) ==
            QTAB_EUNTRUSTED);
    T_CHECK(strstr(err, "symbolic link") != NULL);
    T_CHECK(untouched());
    T_CHECK(qtab_save(dir, mod, &shape, q, v, err, sizeof err) ==
            QTAB_EUNTRUSTED);
    T_CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
    unlink(path);
    char ldir[512];
    snprintf(ldir, sizeof ldir, "%s/linkdir", base);
    T_CHECK(symlink(dir, ldir) == 0);
    T_CHECK(qtab_load(ldir, mod, &shape, sq, sv, err, sizeof err) ==
            QTAB_EUNTRUSTED);
    T_CHECK(qtab_save(ldir, mod, &shape, q, v, err, sizeof err) ==
            QTAB_EUNTRUSTED);
    T_CHECK(t_dir_entries(dir) == 0);

    /* a table or directory others could write */
    T_CHECK(write_file(path, good, len) == 0);
    chmod(path, 0666);
    T_CHECK(qtab_load(dir, mod, &shape, sq, sv, err, sizeof err) ==
            QTAB_EUNTRUSTED);
    T_CHECK(strstr(err, "writable by others") != NULL);
    chmod(path, 0600);
    T_CHECK(qtab_load(dir, mod, &shape, q2, v2, err, sizeof err) == QTAB_OK);
    chmod(dir, 0770);
    T_CHECK(qtab_load(dir, mod, &shape, sq, sv, err, sizeof err) ==
            QTAB_EUNTRUSTED);
    T_CHECK(strstr(err, "writable by its group") != NULL);
    T_CHECK(qtab_save(dir, mod, &shape, q, v, err, sizeof err) ==
            QTAB_EUNTRUSTED);
    T_CHECK(untouched());
    chmod(dir, 0700);
    free(good);

    unlink(path);
    unlink(other);
    unlink(ldir);
    char sub[512];
    rmdir(dir);
    snprintf(sub, sizeof sub, "%s/state/wattson", base);
    rmdir(sub);
    snprintf(sub, sizeof sub, "%s/state", base);
    rmdir(sub);
    T_CHECK(rmdir(base) == 0);
}

int main(void)
{
    test_crc_and_names();
    test_parse();
    test_files();
    return t_done("test_qtab");
}
