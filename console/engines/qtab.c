/*
 * qtab - see qtab.h.
 *
 * The parser reads a table in three passes over the buffer, so that it
 * allocates nothing and still never leaves a half-loaded table behind:
 *
 *   1. every line's framing (length, NUL, CR, the final newline), the
 *      version line, and the checksum line, which must be the last one:
 *      the contents are not looked at until they are known to be what was
 *      written, so a damaged file is reported as corrupt, not as a table
 *      of some other shape;
 *   2. the contents, checked field by field (module, shape, every row in
 *      order, every number) without storing anything;
 *   3. the same walk again, now storing into the caller's arrays.  It
 *      cannot fail: it sees the same bytes as pass 2.
 */
#include "engines/qtab.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/decnum.h"
#include "core/paths.h"
#include "core/safefile.h"
#include "core/trust.h"

/* A %.17g double is at most 24 bytes ("-2.2250738585072014e-308"); a
 * uint32 10 digits.  Longer fields are not something wattson wrote. */
#define QTAB_QFIELD_MAX 24
#define QTAB_NFIELD_MAX 10
/* Everything but the rows: the four header lines and the checksum. */
#define QTAB_HEAD_MAX (64 + QTAB_ID_MAX + QTAB_MAX_DIMS * 11)

/* ---- shapes and names ---- */

size_t qtab_cells(const struct qtab_shape *s)
{
    if (!s || s->ndims == 0 || s->ndims > QTAB_MAX_DIMS || s->nactions == 0 ||
        s->nactions > QTAB_MAX_ACTIONS)
        return 0;
    size_t cells = s->nactions;
    for (unsigned d = 0; d < s->ndims; d++) {
        if (s->dims[d] == 0 || s->dims[d] > QTAB_MAX_CELLS)
            return 0;
        cells *= s->dims[d]; /* both <= 2^20 after the check below */
        if (cells > QTAB_MAX_CELLS)
            return 0;
    }
    return cells;
}

/* The longest text a table of this shape can have (qtab_format's buffer,
 * qtab_load's bound on the file): a row is "row S q" + " Q" per action +
 * " visits" + " N" per action + '\n'. */
static size_t max_text(const struct qtab_shape *s)
{
    size_t nstates = qtab_cells(s) / s->nactions;
    size_t row = 4 + QTAB_NFIELD_MAX + 2 + 7 + 1 +
                 s->nactions * (2 + QTAB_QFIELD_MAX + QTAB_NFIELD_MAX);
    return QTAB_HEAD_MAX + nstates * row;
}

_Static_assert(QTAB_ID_MAX == 80, "id_problem's message says 80");

/* Why `id` cannot be a module identity, or NULL when it can. */
static const char *id_problem(const char *id, size_t len)
{
    if (len == 0)
        return "is empty";
    if (len > QTAB_ID_MAX)
        return "is longer than 80 bytes (QTAB_ID_MAX)";
    if (id[0] == '.')
        return "starts with '.'";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c <= ' ' || c >= 0x7f)
            return "has a space, control or non-ASCII byte";
        if (c == '/')
            return "has a '/' (it would name a path outside the directory)";
        if (c == '.' && i + 1 < len && id[i + 1] == '.')
            return "has '..' (it would name a path outside the directory)";
    }
    return NULL;
}

int qtab_default_dir(char *buf, size_t n)
{
    return paths_state(QTAB_DIR_NAME, buf, n);
}

int qtab_path(const char *dir, const char *module_id, char *buf, size_t n,
              char *err, size_t errlen)
{
    static const char hex[] = "0123456789abcdef";
    const char *why =
        module_id ? id_problem(module_id, strlen(module_id)) : "is missing";
    if (why) {
        /* The id as far as it is printable: the message is one line. */
        char shown[QTAB_ID_MAX + 1];
        size_t k = 0;
        for (const char *p = module_id; p && *p && k < QTAB_ID_MAX; p++)
            shown[k++] = *p >= ' ' && *p < 0x7f ? *p : '?';
        shown[k] = '\0';
        snprintf(err, errlen, "qtab: module id '%s': %s", shown, why);
        return QTAB_EPARAM;
    }
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    if (dl == 0) {
        snprintf(err, errlen, "qtab: no directory given");
        return QTAB_EPARAM;
    }
    /* The id, %XX-escaped, is at most 3 bytes a byte. */
    if (dl + 1 + 3 * strlen(module_id) + sizeof QTAB_SUFFIX > n) {
        snprintf(err, errlen, "qtab: %s: path too long", dir);
        return QTAB_EPARAM;
    }
    size_t k = 0;
    memcpy(buf, dir, dl);
    k = dl;
    if (buf[k - 1] != '/') /* "/" stays "/" */
        buf[k++] = '/';
    for (const char *p = module_id; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("._:-", c)) {
            buf[k++] = (char)c;
        } else {
            buf[k++] = '%';
            buf[k++] = hex[c >> 4];
            buf[k++] = hex[c & 15];
        }
    }
    memcpy(buf + k, QTAB_SUFFIX, sizeof QTAB_SUFFIX);
    return QTAB_OK;
}

/* ---- the checksum ---- */

uint32_t qtab_crc32(const void *p, size_t n)
{
    /* Four bits at a time: a 16-entry table is enough for files of a few
     * MiB read once at attach. */
    static const uint32_t t[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c};
    const unsigned char *b = p;
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= b[i];
        crc = (crc >> 4) ^ t[crc & 15];
        crc = (crc >> 4) ^ t[crc & 15];
    }
    return crc ^ 0xffffffffu;
}

/* ---- formatting ---- */

char *qtab_format(const char *module_id, const struct qtab_shape *s,
                  const double *q, const uint32_t *visits, size_t *len)
{
    size_t cells = qtab_cells(s);
    if (!cells || !module_id || id_problem(module_id, strlen(module_id))) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < cells; i++)
        if (!isfinite(q[i])) {
            errno = EINVAL;
            return NULL;
        }
    size_t cap = max_text(s) + 1, k = 0;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    /* Every piece fits: cap is the longest text this shape can give. */
    k += (size_t)snprintf(b + k, cap - k, "wattson-qtable %d\nmodule %s\ndims",
                          QTAB_VERSION, module_id);
    for (unsigned d = 0; d < s->ndims; d++)
        k += (size_t)snprintf(b + k, cap - k, " %u", s->dims[d]);
    k += (size_t)snprintf(b + k, cap - k, "\nactions %u\n", s->nactions);
    size_t nstates = cells / s->nactions;
    for (size_t st = 0; st < nstates; st++) {
        const double *qr = q + st * s->nactions;
        const uint32_t *vr = visits + st * s->nactions;
        k += (size_t)snprintf(b + k, cap - k, "row %zu q", st);
        for (unsigned a = 0; a < s->nactions; a++)
            k += (size_t)snprintf(b + k, cap - k, " %.17g", qr[a]);
        k += (size_t)snprintf(b + k, cap - k, " visits");
        for (unsigned a = 0; a < s->nactions; a++)
            k += (size_t)snprintf(b + k, cap - k, " %lu", (unsigned long)vr[a]);
        b[k++] = '\n';
    }
    k += (size_t)snprintf(b + k, cap - k, "crc32 %08lx\n",
                          (unsigned long)qtab_crc32(b, k));
    *len = k;
    return b;
}

/* ---- parsing ---- */

struct pctx {
    const char *name;
    char *err;
    size_t errlen;
};

static int perr(const struct pctx *c, size_t line, int code, const char *fmt,
                ...) __attribute__((format(printf, 4, 5)));

static int perr(const struct pctx *c, size_t line, int code, const char *fmt,
                ...)
{
    int n = snprintf(c->err, c->errlen, "qtab: %s:%zu: ", c->name, line);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* The next field of line s[0..l) from *pos: 1 with it in *f, *fl; 0 when
 * the line is used up; -1 for an empty field (two spaces, a space at the
 * end).  *pos is (size_t)-1 once the last field was taken. */
static int field(const char *s, size_t l, size_t *pos, const char **f,
                 size_t *fl)
{
    if (*pos == (size_t)-1)
        return 0;
    size_t a = *pos, b = a;
    while (b < l && s[b] != ' ')
        b++;
    *f = s + a;
    *fl = b - a;
    *pos = b < l ? b + 1 : (size_t)-1;
    return b > a ? 1 : -1;
}

static int is(const char *f, size_t fl, const char *word)
{
    return fl == strlen(word) && memcmp(f, word, fl) == 0;
}

/* A decimal uint32: digits only, at most 10. */
static int parse_u32(const char *f, size_t fl, uint32_t *out)
{
    unsigned long long v;
    if (fl > QTAB_NFIELD_MAX || decnum_uint(f, fl, UINT32_MAX, &v) != 0)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

/* A line of the buffer: s[0..l), its '\n' at s[l]. */
struct line {
    const char *s;
    size_t l, ln;
};

/* Pass 1: the framing of every line, the version line, the checksum line
 * last.  On success *end is where the checksum line starts (the contents
 * are buf[0..*end)) and *crc_ln its line number. */
static int check_frame(const struct pctx *c, const char *buf, size_t len,
                       size_t *end, size_t *crc_ln)
{
    size_t pos = 0, ln = 0, last = 0;
    if (len == 0)
        return perr(c, 1, QTAB_ECORRUPT, "empty file");
    while (pos < len) {
        const char *s = buf + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t l = nl ? (size_t)(nl - s) : len - pos;
        ln++;
        if (l > QTAB_MAX_LINE)
            return perr(c, ln, QTAB_ECORRUPT, "line longer than %d bytes",
                        QTAB_MAX_LINE);
        if (memchr(s, '\0', l))
            return perr(c, ln, QTAB_ECORRUPT, "NUL byte");
        if (!nl)
            /* Written files end in a newline: a missing one means the
             * file was cut short. */
            return perr(c, ln, QTAB_ECORRUPT,
                        "no newline at the end of the line (truncated file?)");
        if (l > 0 && s[l - 1] == '\r')
            return perr(c, ln, QTAB_ECORRUPT, "carriage return (CRLF line)");
        if (l == 0)
            return perr(c, ln, QTAB_ECORRUPT, "empty line");
        if (ln == 1) {
            static const char magic[] = "wattson-qtable ";
            if (l < sizeof magic - 1 || memcmp(s, magic, sizeof magic - 1))
                return perr(c, ln, QTAB_ECORRUPT,
                            "not a wattson Q-table (expected "
                            "'wattson-qtable %d' first)",
                            QTAB_VERSION);
            uint32_t v;
            if (parse_u32(s + sizeof magic - 1, l - (sizeof magic - 1), &v))
                return perr(c, ln, QTAB_ECORRUPT, "bad version");
            if (v != QTAB_VERSION)
                return perr(c, ln, QTAB_ECORRUPT,
                            "Q-table version %lu, this wattson reads "
                            "version %d",
                            (unsigned long)v, QTAB_VERSION);
        }
        last = pos;
        pos += l + 1;
    }
    /* The last line, "crc32 XXXXXXXX\n", 15 bytes. */
    const char *s = buf + last;
    size_t l = len - last - 1;
    static const char key[] = "crc32 ";
    if (ln == 1 || l != sizeof key - 1 + 8 || memcmp(s, key, sizeof key - 1))
        return perr(c, ln, QTAB_ECORRUPT,
                    "expected the checksum line 'crc32 XXXXXXXX' last "
                    "(truncated file, or text after it?)");
    uint32_t want = 0;
    for (size_t i = sizeof key - 1; i < l; i++) {
        int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                                             : -1;
        if (d < 0)
            return perr(c, ln, QTAB_ECORRUPT,
                        "checksum: expected 8 lowercase hex digits");
        want = want << 4 | (uint32_t)d;
    }
    uint32_t got = qtab_crc32(buf, last);
    if (got != want)
        return perr(c, ln, QTAB_ECORRUPT,
                    "checksum: the file says %08lx, its contents give "
                    "%08lx (edited or corrupt)",
                    (unsigned long)want, (unsigned long)got);
    *end = last;
    *crc_ln = ln;
    return QTAB_OK;
}

/* The next line of buf[*pos..end) into *ln (framing already checked):
 * 1, or 0 at end. */
static int next_line(const char *buf, size_t end, size_t *pos, struct line *L)
{
    if (*pos >= end)
        return 0;
    const char *s = buf + *pos;
    const char *nl = memchr(s, '\n', end - *pos);
    L->s = s;
    L->l = (size_t)(nl - s);
    L->ln++;
    *pos += L->l + 1;
    return 1;
}

/* "dims 4x5x6" for messages. */
static void dims_text(char *b, size_t n, const uint32_t *dims, unsigned nd)
{
    size_t k = 0;
    b[0] = '\0';
    for (unsigned d = 0; d < nd && k < n; d++)
        k += (size_t)snprintf(b + k, n - k, "%s%lu", d ? "x" : "",
                              (unsigned long)dims[d]);
}

/* The Q-values of a row, up to the word "visits" (q_list), or its visit
 * counts, up to the end of the line: checked, and stored (pass 3) into
 * q or visits, whichever is not NULL. */
static int row_list(const struct pctx *c, const struct line *L, size_t st,
                    size_t *pos, unsigned na, int q_list, double *q,
                    uint32_t *visits)
{
    const char *what = q_list ? "Q-value" : "visit count";
    const char *f;
    size_t fl, n = 0;
    int r;
    while ((r = field(L->s, L->l, pos, &f, &fl)) != 0) {
        double v = 0;
        uint32_t u = 0;
        if (r < 0)
            return perr(c, L->ln, QTAB_ECORRUPT,
                        "row %zu: empty field (two spaces, or one at the "
                        "end of the line)",
                        st);
        if (q_list && is(f, fl, "visits"))
            break;
        if (q_list ? decnum_double(f, fl, QTAB_QFIELD_MAX, &v) != 0
                   : parse_u32(f, fl, &u) != 0)
            return perr(c, L->ln, QTAB_ECORRUPT,
                        "row %zu: %s %zu '%.*s' is not %s", st, what, n,
                        (int)(fl > 32 ? 32 : fl), f,
                        q_list ? "a finite number as wattson writes them"
                               : "a number 0..4294967295");
        if (q && n < na)
            q[st * na + n] = v;
        else if (visits && n < na)
            visits[st * na + n] = u;
        n++;
    }
    if (q_list && r == 0)
        return perr(c, L->ln, QTAB_ECORRUPT,
                    "row %zu: no 'visits' after the Q-values", st);
    if (n != na)
        return perr(c, L->ln, QTAB_ECORRUPT,
                    "row %zu: expected %u %ss, found %zu", st, na, what, n);
    return QTAB_OK;
}

/* One row, "row S q Q... visits N...": checked, and stored when q and
 * visits are not NULL (pass 3). */
static int parse_row(const struct pctx *c, const struct line *L, size_t st,
                     unsigned na, double *q, uint32_t *visits)
{
    size_t pos = 0, fl;
    const char *f;
    uint32_t idx;
    if (field(L->s, L->l, &pos, &f, &fl) != 1 || !is(f, fl, "row"))
        return perr(c, L->ln, QTAB_ECORRUPT,
                    "row %zu missing: expected 'row %zu q ...', found "
                    "'%.*s'",
                    st, st, (int)(L->l > 20 ? 20 : L->l), L->s);
    if (field(L->s, L->l, &pos, &f, &fl) != 1 || parse_u32(f, fl, &idx))
        return perr(c, L->ln, QTAB_ECORRUPT, "row: bad state number");
    if (idx < st)
        return perr(c, L->ln, QTAB_ECORRUPT,
                    "row %lu listed twice (expected row %zu)",
                    (unsigned long)idx, st);
    if (idx > st)
        return perr(c, L->ln, QTAB_ECORRUPT, "row %zu missing (found row %lu)",
                    st, (unsigned long)idx);
    if (field(L->s, L->l, &pos, &f, &fl) != 1 || !is(f, fl, "q"))
        return perr(c, L->ln, QTAB_ECORRUPT,
                    "row %zu: expected 'q' after the state number", st);
    int rc = row_list(c, L, st, &pos, na, 1, q, NULL);
    return rc != QTAB_OK ? rc : row_list(c, L, st, &pos, na, 0, NULL, visits);
}

/* Passes 2 (q NULL: check only) and 3 (store): everything before the
 * checksum line at buf[end]. */
static int walk(const struct pctx *c, const char *buf, size_t end,
                size_t crc_ln, const char *module_id,
                const struct qtab_shape *expect, double *q, uint32_t *visits)
{
    struct line L = {0};
    size_t pos = 0, fp, fl;
    const char *f;
    char got[QTAB_MAX_DIMS * 11 + 16], want[QTAB_MAX_DIMS * 11 + 16];

    next_line(buf, end, &pos, &L); /* the version line, checked */
    /* module ID */
    if (!next_line(buf, end, &pos, &L))
        return perr(c, crc_ln, QTAB_ECORRUPT, "no 'module' line");
    fp = 0;
    if (field(L.s, L.l, &fp, &f, &fl) != 1 || !is(f, fl, "module") ||
        fp == (size_t)-1)
        return perr(c, L.ln, QTAB_ECORRUPT, "expected 'module ID'");
    const char *id = L.s + fp;
    size_t idl = L.l - fp;
    const char *why = id_problem(id, idl);
    if (why)
        return perr(c, L.ln, QTAB_ECORRUPT, "module: the id %s", why);
    if (module_id && (strlen(module_id) != idl || memcmp(module_id, id, idl)))
        return perr(c, L.ln, QTAB_EMODULE,
                    "module: the table of '%.*s', not of '%s' (not loaded)",
                    (int)idl, id, module_id);
    /* dims D1 ... Dn */
    uint32_t dims[QTAB_MAX_DIMS], edims[QTAB_MAX_DIMS], na;
    unsigned nd = 0;
    int r;
    if (!next_line(buf, end, &pos, &L))
        return perr(c, crc_ln, QTAB_ECORRUPT, "no 'dims' line");
    fp = 0;
    if (field(L.s, L.l, &fp, &f, &fl) != 1 || !is(f, fl, "dims"))
        return perr(c, L.ln, QTAB_ECORRUPT, "expected 'dims D1 ... Dn'");
    while ((r = field(L.s, L.l, &fp, &f, &fl)) != 0) {
        if (r < 0 || nd == QTAB_MAX_DIMS || parse_u32(f, fl, &dims[nd]) ||
            dims[nd] == 0)
            return perr(c, L.ln, QTAB_ECORRUPT,
                        "dims: expected 1 to %d sizes, each a positive "
                        "number, one space apart",
                        QTAB_MAX_DIMS);
        nd++;
    }
    if (nd == 0)
        return perr(c, L.ln, QTAB_ECORRUPT, "dims: no sizes");
    for (unsigned d = 0; d < expect->ndims; d++)
        edims[d] = expect->dims[d];
    int same = nd == expect->ndims;
    for (unsigned d = 0; same && d < nd; d++)
        same = dims[d] == edims[d];
    if (!same) {
        dims_text(got, sizeof got, dims, nd);
        dims_text(want, sizeof want, edims, expect->ndims);
        return perr(c, L.ln, QTAB_ESHAPE,
                    "dims: the table's states are %s, the agent's %s "
                    "(another table shape: not loaded)",
                    got, want);
    }
    /* actions A */
    if (!next_line(buf, end, &pos, &L))
        return perr(c, crc_ln, QTAB_ECORRUPT, "no 'actions' line");
    fp = 0;
    if (field(L.s, L.l, &fp, &f, &fl) != 1 || !is(f, fl, "actions") ||
        field(L.s, L.l, &fp, &f, &fl) != 1 || parse_u32(f, fl, &na) ||
        fp != (size_t)-1)
        return perr(c, L.ln, QTAB_ECORRUPT, "expected 'actions A'");
    if (na != expect->nactions)
        return perr(c, L.ln, QTAB_ESHAPE,
                    "actions: the table has %lu, the agent %u (another "
                    "table shape: not loaded)",
                    (unsigned long)na, expect->nactions);
    /* The rows, in order. */
    size_t nstates = qtab_cells(expect) / expect->nactions;
    for (size_t st = 0; st < nstates; st++) {
        if (!next_line(buf, end, &pos, &L))
            return perr(c, crc_ln, QTAB_ECORRUPT,
                        "row %zu missing: found the checksum line (%zu "
                        "states expected)",
                        st, nstates);
        r = parse_row(c, &L, st, expect->nactions, q, visits);
        if (r != QTAB_OK)
            return r;
    }
    if (next_line(buf, end, &pos, &L))
        return perr(c, L.ln, QTAB_ECORRUPT,
                    "expected the checksum line after row %zu (the "
                    "table has %zu states), found '%.*s'",
                    nstates - 1, nstates, (int)(L.l > 20 ? 20 : L.l), L.s);
    return QTAB_OK;
}

int qtab_parse(const char *buf, size_t len, const char *name,
               const char *module_id, const struct qtab_shape *expect,
               double *q, uint32_t *visits, char *err, size_t errlen)
{
    struct pctx c = {name ? name : "(buffer)", err, errlen};
    size_t end, crc_ln;
    if (!qtab_cells(expect) || !q || !visits)
        return perr(&c, 0, QTAB_EPARAM, "bad shape or arrays to load into");
    int rc = check_frame(&c, buf, len, &end, &crc_ln);
    if (rc == QTAB_OK)
        rc = walk(&c, buf, end, crc_ln, module_id, expect, NULL, NULL);
    if (rc == QTAB_OK)
        walk(&c, buf, end, crc_ln, module_id, expect, q, visits);
    return rc;
}

/* ---- files ---- */

/* The directory: not a link, a directory, and of this user or root and
 * writable by nobody else, nor any directory above it (else someone could
 * swap the tables).  QTAB_OK, QTAB_ENOENT when it does not exist. */
static int check_dir(const char *dir, char *err, size_t errlen)
{
    struct stat st;
    char why[1024];
    if (lstat(dir, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            snprintf(err, errlen, "qtab: %s: no such directory", dir);
            return QTAB_ENOENT;
        }
        snprintf(err, errlen, "qtab: %s: %s", dir, strerror(errno));
        return QTAB_EIO;
    }
    if (S_ISLNK(st.st_mode)) {
        snprintf(err, errlen,
                 "qtab: %s: a symbolic link, not a directory of tables", dir);
        return QTAB_EUNTRUSTED;
    }
    if (trust_check_path(dir, TRUST_DIR | TRUST_MODES | TRUST_PARENTS, why,
                         sizeof why) != 0) {
        snprintf(err, errlen, "qtab: %s; refusing it for Q-tables", why);
        return QTAB_EUNTRUSTED;
    }
    return QTAB_OK;
}

int qtab_save(const char *dir, const char *module_id,
              const struct qtab_shape *s, const double *q,
              const uint32_t *visits, char *err, size_t errlen)
{
    char path[4096];
    size_t cells = qtab_cells(s), len;
    if (!dir || !cells || !q || !visits) {
        snprintf(err, errlen, "qtab: bad shape or table to save");
        return QTAB_EPARAM;
    }
    int rc = qtab_path(dir, module_id, path, sizeof path, err, errlen);
    if (rc != QTAB_OK)
        return rc;
    for (size_t i = 0; i < cells; i++)
        if (!isfinite(q[i])) {
            snprintf(err, errlen,
                     "qtab: %s: Q-value of state %zu, action %zu is %s: "
                     "not saved",
                     path, i / s->nactions, i % s->nactions,
                     isnan(q[i]) ? "NaN" : "infinite");
            return QTAB_EPARAM;
        }
    if (safefile_mkdirs(dir, 0700) != 0) {
        snprintf(err, errlen, "qtab: %s: cannot create it: %s", dir,
                 strerror(errno));
        return QTAB_EIO;
    }
    rc = check_dir(dir, err, errlen);
    if (rc != QTAB_OK)
        return rc == QTAB_ENOENT ? QTAB_EIO : rc;
    /* rename would replace a link rather than follow it, but a link or
     * FIFO in a table's place is not ours: leave it and say so. */
    struct stat st;
    if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        char why[1024];
        trust_check_stat(&st, path, TRUST_FILE, why, sizeof why);
        snprintf(err, errlen, "qtab: %s; not replaced", why);
        return QTAB_EUNTRUSTED;
    }
    char *text = qtab_format(module_id, s, q, visits, &len);
    if (!text) {
        snprintf(err, errlen, "qtab: %s: %s", path, strerror(errno));
        return QTAB_EIO;
    }
    const char *step;
    rc = safefile_write(path, text, len, &step);
    int e = errno;
    free(text);
    if (rc != 0) {
        snprintf(err, errlen, "qtab: %s: not saved (%s): %s", path, step,
                 strerror(e));
        return QTAB_EIO;
    }
    return QTAB_OK;
}

int qtab_load(const char *dir, const char *module_id,
              const struct qtab_shape *expect, double *q, uint32_t *visits,
              char *err, size_t errlen)
{
    char path[4096];
    if (!dir || !qtab_cells(expect) || !q || !visits) {
        snprintf(err, errlen, "qtab: bad shape or arrays to load into");
        return QTAB_EPARAM;
    }
    int rc = qtab_path(dir, module_id, path, sizeof path, err, errlen);
    if (rc != QTAB_OK)
        return rc;
    rc = check_dir(dir, err, errlen);
    if (rc != QTAB_OK)
        return rc;
    /* One malloc'd buffer for the file, bounded by what this shape can
     * take: loading happens when a module attaches, not per tick. */
    char *buf;
    size_t len;
    char why[1024];
    rc = safefile_read(path, max_text(expect) + QTAB_ID_MAX, "Q-table", &buf,
                       &len, why, sizeof why);
    switch (rc) {
    case SAFEFILE_OK:
        break;
    case SAFEFILE_ABSENT:
        snprintf(err, errlen, "qtab: %s: no saved table", path);
        return QTAB_ENOENT;
    case SAFEFILE_EUNTRUSTED:
        snprintf(err, errlen, "qtab: %s; not loaded", why);
        return QTAB_EUNTRUSTED;
    case SAFEFILE_ETOOBIG:
        snprintf(err, errlen,
                 "qtab: %s (more than a table of this shape can be); "
                 "not loaded",
                 why);
        return QTAB_ECORRUPT;
    default:
        snprintf(err, errlen, "qtab: %s", why);
        return QTAB_EIO;
    }
    rc = qtab_parse(buf, len, path, module_id, expect, q, visits, err, errlen);
    free(buf);
    return rc;
}
