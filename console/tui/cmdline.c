/*
 * cmdline - see cmdline.h.
 *
 * The REPL.  `lua TEXT` runs in a sandbox of its own (sandbox_new: the
 * harmless parts of base, table, string and math; no io, os, require or
 * load), never the policy's state.  Its globals persist from one
 * evaluation to the next; before each one `state` is set to a fresh
 * snapshot of the live run - plain tables copied from the model, so
 * writing to them changes the copy, never the run.  TEXT is compiled as
 * `return TEXT` first and, when that is not valid Lua, as a statement
 * (like the stand-alone lua REPL).  Each evaluation has an instruction
 * and a wall-time budget (CMD_LUA_*) and the state a memory cap, so a
 * loop or a huge allocation ends in an error line, not a hung console.
 */
#include "tui/cmdline.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>

#include "core/log.h"
#include "core/model.h"
#include "core/paths.h"
#include "core/safefile.h"
#include "core/sandbox.h"
#include "core/sinum.h"
#include "core/trust.h"
#include "run/run.h"
#include "engines/meshag.h"
#include "lua/plib.h"
#include "lua/pmesh.h"
#include "lua/policy.h"
#include "policies/governors.h"
#include "tui/term.h"

const char *const cmd_help_lines[] = {
    "budget W              set the power budget (W >= 0 watts)",
    "set DEV CTL VALUE     manual decision, sticks until `set DEV CTL auto`",
    "set DEV CTL auto      the policy decides it again; `set` lists them",
    "policy FILE           load FILE as the policy and watch it",
    "policy builtin[:NAME] back to the built-in policy or a baseline",
    "mesh fail|restore N   a mesh node's converter fails / comes back",
    "mesh detach N         its module is unplugged (hot swap)",
    "mesh attach N TYPE    a cpu, gpu or fpga module is plugged in",
    "record start FILE     JSONL trace of the ticks from now on",
    "record stop           complete the trace (renamed into place)",
    "lua EXPR              evaluate in the REPL (read-only `state`)",
    "help  /  q, quit      these commands in the log  /  quit",
    NULL,
};

const char *cmd_policy_dir(void)
{
    return paths_policy_dir();
}

/* ---- output ---- */

/* One line to the log (control characters made spaces) and into `last`. */
static void cmd_say(struct cmd_ctx *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void cmd_say(struct cmd_ctx *c, int level, const char *fmt, ...)
{
    char buf[1000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    size_t n = strlen(buf);
    if (n >= sizeof c->last)
        n = sizeof c->last - 1;
    memcpy(c->last, buf, n);
    c->last[n] = '\0';
    log_msg(level, "%s", buf);
}

/* ---- history ---- */

unsigned cmd_hist_len(const struct cmd_hist *h)
{
    return h->n < CMD_HIST_MAX ? h->n : CMD_HIST_MAX;
}

const char *cmd_hist_get(const struct cmd_hist *h, unsigned age)
{
    if (age >= cmd_hist_len(h))
        return NULL;
    return h->line[(h->n - 1 - age) % CMD_HIST_MAX];
}

void cmd_hist_push(struct cmd_hist *h, const char *line)
{
    const char *p = line;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p)
        return;
    const char *newest = cmd_hist_get(h, 0);
    if (newest && strncmp(newest, line, CMD_LINE_MAX - 1) == 0)
        return;
    snprintf(h->line[h->n % CMD_HIST_MAX], CMD_LINE_MAX, "%s", line);
    h->n++;
}

/* ---- the history file ---- */

/* Bytes read from the end of a history file: 32 lines of 255 bytes with
 * room to spare; older lines are not wanted anyway. */
#define CMD_HIST_FILE_MAX 65536

int cmd_hist_path(char *buf, size_t n)
{
    return paths_state("history", buf, n);
}

int cmd_hist_load(struct cmd_hist *h, const char *path, char *err,
                  size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0; /* no history yet */
        snprintf(err, errlen, "%s: %s", path,
                 errno == ELOOP ? "a symlink; not read" : strerror(errno));
        return -1;
    }
    /* Ours (or root's), a regular file nobody else may write. */
    struct stat sb;
    char why[512];
    int bad = fstat(fd, &sb) != 0;
    if (bad)
        snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
    else
        bad = trust_check_stat(&sb, path, TRUST_FILE | TRUST_MODES, why,
                               sizeof why) != 0;
    if (bad) {
        snprintf(err, errlen, "%s; not read", why);
        close(fd);
        return -1;
    }
    static char buf[CMD_HIST_FILE_MAX + 1];
    off_t from =
        sb.st_size > CMD_HIST_FILE_MAX ? sb.st_size - CMD_HIST_FILE_MAX : 0;
    size_t used = 0;
    ssize_t r = 0;
    if (lseek(fd, from, SEEK_SET) == from)
        while (used < CMD_HIST_FILE_MAX &&
               ((r = read(fd, buf + used, CMD_HIST_FILE_MAX - used)) > 0 ||
                (r < 0 && errno == EINTR)))
            used += r > 0 ? (size_t)r : 0;
    close(fd);
    buf[used] = '\0';
    char *line = buf;
    if (from > 0) { /* the first line is cut: skip it */
        char *nl = strchr(buf, '\n');
        line = nl ? nl + 1 : buf + used;
    }
    while (*line) {
        char *nl = strchr(line, '\n');
        if (!nl)
            break; /* an unterminated last line was cut mid-write */
        *nl = '\0';
        /* Only what the editor could have typed: printable ASCII. */
        int ok = nl - line < CMD_LINE_MAX;
        for (const char *q = line; ok && *q; q++)
            ok = *q >= 0x20 && *q < 0x7f;
        if (ok)
            cmd_hist_push(h, line);
        line = nl + 1;
    }
    return 0;
}

int cmd_hist_save(const struct cmd_hist *h, const char *path, char *err,
                  size_t errlen)
{
    char dir[4096], tmp[4096 + 16];
    const char *slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) >= sizeof dir) {
        snprintf(err, errlen, "%s: not a file path", path);
        return -1;
    }
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat sb;
    /* Each new level 0700, as XDG wants of the state directory. */
    if (safefile_mkdirs(dir, 0700) != 0 || lstat(dir, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    char why[512];
    if (trust_check_stat(&sb, dir, TRUST_DIR | TRUST_MODES, why, sizeof why)) {
        snprintf(err, errlen, "%s; history not saved", why);
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
    int fd = mkstemp(tmp); /* O_EXCL, mode 0600 */
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        unlink(tmp);
        snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    for (unsigned age = cmd_hist_len(h); age-- > 0;)
        fprintf(f, "%s\n", cmd_hist_get(h, age));
    int bad = ferror(f) != 0;
    if (fclose(f) != 0)
        bad = 1;
    if (bad || rename(tmp, path) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- the editor ---- */

void cmd_edit_open(struct cmd_ctx *c)
{
    memset(&c->ed, 0, sizeof c->ed);
}

static void edit_load(struct cmd_edit *e, const char *s)
{
    snprintf(e->buf, sizeof e->buf, "%s", s);
    e->len = e->cur = strlen(e->buf);
}

/* ---- completion ---- */

static const char *const cmd_names[] = {
    "budget", "set", "lua", "mesh", "policy", "record", "help", "quit", NULL};

/* What Tab found for the word being typed. */
struct cmd_comp {
    const char *prefix; /* the word so far */
    size_t plen;
    int n;                    /* candidates that match */
    char first[CMD_LINE_MAX]; /* the first one */
    size_t common;            /* bytes all matches share */
    char list[160];           /* the first few, for the Log */
};

static void comp_offer(struct cmd_comp *k, const char *cand)
{
    if (strncmp(cand, k->prefix, k->plen) != 0)
        return;
    if (k->n == 0) {
        snprintf(k->first, sizeof k->first, "%s", cand);
        k->common = strlen(k->first);
    } else {
        size_t i = 0;
        while (i < k->common && k->first[i] == cand[i])
            i++;
        k->common = i;
    }
    size_t used = strlen(k->list);
    if (used + strlen(cand) + 2 < sizeof k->list)
        snprintf(k->list + used, sizeof k->list - used, "%s%s", used ? " " : "",
                 cand);
    else if (used + 5 < sizeof k->list && !strstr(k->list, " ..."))
        snprintf(k->list + used, sizeof k->list - used, " ...");
    k->n++;
}

/* File names for `policy` and `record start`: the entries of the typed
 * directory that begin with the typed base name; directories end in '/'
 * (Tab again goes in), dotfiles only when asked for. */
static void comp_files(struct cmd_comp *k)
{
    char dir[CMD_LINE_MAX], cand[CMD_LINE_MAX * 2];
    const char *slash = strrchr(k->prefix, '/');
    size_t dlen = slash ? (size_t)(slash - k->prefix) + 1 : 0;
    snprintf(dir, sizeof dir, "%.*s", (int)dlen, k->prefix);
    const char *base = k->prefix + dlen;
    DIR *d = opendir(dlen ? dir : ".");
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
            (e->d_name[0] == '.' && base[0] != '.'))
            continue;
        if (strncmp(e->d_name, base, strlen(base)) != 0)
            continue;
        struct stat sb;
        snprintf(cand, sizeof cand, "%s%s", dir, e->d_name);
        int isdir = stat(cand, &sb) == 0 && S_ISDIR(sb.st_mode);
        if (isdir)
            snprintf(cand, sizeof cand, "%s%s/", dir, e->d_name);
        if (strlen(cand) < CMD_LINE_MAX)
            comp_offer(k, cand);
    }
    closedir(d);
}

/* The candidates for word `wi` of a line whose earlier words are `w`. */
static void comp_words(struct cmd_ctx *c, char w[][CMD_LINE_MAX], int wi,
                       struct cmd_comp *k)
{
    const struct model *m = run_model(c->r);
    if (wi == 0) {
        for (int i = 0; cmd_names[i]; i++)
            comp_offer(k, cmd_names[i]);
        return;
    }
    if (strcmp(w[0], "set") == 0) {
        int d = wi >= 2 ? model_find_device(m, w[1]) : -1;
        if (wi == 1) {
            for (size_t i = 0; i < m->n_devices; i++)
                comp_offer(k, m->devices[i].name);
        } else if (wi == 2 && d >= 0) {
            for (size_t i = 0; i < m->n_controls; i++)
                if (m->controls[i].device == (uint32_t)d)
                    comp_offer(k, m->controls[i].name);
        } else if (wi == 3) {
            comp_offer(k, "auto");
        }
    } else if (strcmp(w[0], "policy") == 0 && wi == 1) {
        comp_offer(k, "builtin");
        char b[CMD_PICK_NAME + 16];
        for (size_t i = 0; gov_name(i); i++) {
            snprintf(b, sizeof b, "builtin:%s", gov_name(i));
            comp_offer(k, b);
        }
        comp_files(k);
    } else if (strcmp(w[0], "record") == 0) {
        if (wi == 1) {
            comp_offer(k, "start");
            comp_offer(k, "stop");
        } else if (wi == 2 && strcmp(w[1], "start") == 0) {
            comp_files(k);
        }
    }
}

/* Tab at the end of the line: completes the last word when one candidate
 * matches (a blank follows, unless it is a directory), else as far as
 * all candidates agree; when that adds nothing, the Log lists them. */
static void edit_complete(struct cmd_ctx *c)
{
    struct cmd_edit *e = &c->ed;
    static char w[4][CMD_LINE_MAX];
    const char *p = e->buf;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == ':')
        p++;
    int wi = 0;
    const char *word = p;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        word = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        if (!*p)
            break; /* the word being typed (maybe empty) */
        if (wi < 4)
            snprintf(w[wi], sizeof w[wi], "%.*s", (int)(p - word), word);
        wi++;
    }
    if (wi > 3)
        return;
    struct cmd_comp k = {.prefix = word, .plen = strlen(word)};
    comp_words(c, w, wi, &k);
    if (k.n == 0)
        return;
    size_t start = (size_t)(word - e->buf);
    const char *add = k.n == 1 ? k.first : NULL;
    char grown[CMD_LINE_MAX];
    if (!add && k.common > k.plen) {
        snprintf(grown, sizeof grown, "%.*s", (int)k.common, k.first);
        add = grown;
    }
    if (!add) {
        cmd_say(c, LOG_INFO, "%d matches: %s", k.n, k.list);
        return;
    }
    int blank = k.n == 1 && add[strlen(add) - 1] != '/';
    char line[CMD_LINE_MAX];
    int len = snprintf(line, sizeof line, "%.*s%s%s", (int)start, e->buf, add,
                       blank ? " " : "");
    if (len < 0 || (size_t)len >= sizeof line)
        return;
    edit_load(e, line);
}

int cmd_edit_key(struct cmd_ctx *c, int key, char *out, size_t outlen)
{
    struct cmd_edit *e = &c->ed;
    switch (key) {
    case TERM_KEY_ENTER:
        snprintf(out, outlen, "%s", e->buf);
        cmd_hist_push(&c->hist, e->buf);
        return CMD_EDIT_SUBMIT;
    case TERM_KEY_ESC:
        return CMD_EDIT_CANCEL;
    case TERM_KEY_BACKSPACE:
        if (e->len == 0)
            return CMD_EDIT_CANCEL;
        if (e->cur > 0) {
            memmove(e->buf + e->cur - 1, e->buf + e->cur, e->len - e->cur + 1);
            e->cur--;
            e->len--;
        }
        return CMD_EDIT_MORE;
    case TERM_KEY_DELETE:
        if (e->cur < e->len) {
            memmove(e->buf + e->cur, e->buf + e->cur + 1, e->len - e->cur);
            e->len--;
        }
        return CMD_EDIT_MORE;
    case TERM_KEY_LEFT:
        if (e->cur > 0)
            e->cur--;
        return CMD_EDIT_MORE;
    case TERM_KEY_RIGHT:
        if (e->cur < e->len)
            e->cur++;
        return CMD_EDIT_MORE;
    case TERM_KEY_HOME:
    case 1: /* ^A */
        e->cur = 0;
        return CMD_EDIT_MORE;
    case TERM_KEY_END:
    case 5: /* ^E */
        e->cur = e->len;
        return CMD_EDIT_MORE;
    case 21: /* ^U */
        e->buf[0] = '\0';
        e->len = e->cur = 0;
        return CMD_EDIT_MORE;
    case TERM_KEY_TAB:
        if (e->cur == e->len)
            edit_complete(c);
        return CMD_EDIT_MORE;
    case TERM_KEY_UP:
        if (e->browse < cmd_hist_len(&c->hist)) {
            if (e->browse == 0)
                snprintf(e->saved, sizeof e->saved, "%s", e->buf);
            e->browse++;
            edit_load(e, cmd_hist_get(&c->hist, e->browse - 1));
        }
        return CMD_EDIT_MORE;
    case TERM_KEY_DOWN:
        if (e->browse > 0) {
            e->browse--;
            edit_load(e, e->browse == 0
                             ? e->saved
                             : cmd_hist_get(&c->hist, e->browse - 1));
        }
        return CMD_EDIT_MORE;
    default:
        if (key >= 0x20 && key < 0x7f && e->len + 1 < sizeof e->buf) {
            memmove(e->buf + e->cur + 1, e->buf + e->cur, e->len - e->cur + 1);
            e->buf[e->cur++] = (char)key;
            e->len++;
        }
        return CMD_EDIT_MORE;
    }
}

/* ---- parsing ---- */

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* The next blank-delimited word into w (truncated to n); *s moves past
 * it.  Returns its length (0 at the end of the line). */
static size_t next_word(const char **s, char *w, size_t n)
{
    const char *p = skip_ws(*s), *q = p;
    while (*q && *q != ' ' && *q != '\t')
        q++;
    size_t len = (size_t)(q - p);
    snprintf(w, n, "%.*s", (int)len, p);
    *s = q;
    return len;
}

/* The rest of the line, without surrounding blanks, into w. */
static size_t rest_of(const char *s, char *w, size_t n)
{
    s = skip_ws(s);
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    snprintf(w, n, "%.*s", (int)len, s);
    return len;
}

/* ---- commands ---- */

static int cmd_budget(struct cmd_ctx *c, const char *args)
{
    char w[CMD_LINE_MAX], extra[CMD_LINE_MAX];
    double v;
    if (!next_word(&args, w, sizeof w)) {
        cmd_say(c, LOG_INFO, "budget %g W (budget W changes it)",
                run_model(c->r)->budget_w);
        return CMD_OK;
    }
    if (next_word(&args, extra, sizeof extra)) {
        cmd_say(c, LOG_WARN, "budget: unexpected '%s' (usage: budget W)",
                extra);
        return CMD_ERR;
    }
    if (sinum_parse(w, "W", &v) != 0 || !isfinite(v) || v < 0) {
        cmd_say(c, LOG_WARN, "budget: '%s' is not a number of watts >= 0", w);
        return CMD_ERR;
    }
    run_set_budget(c->r, v);
    cmd_say(c, LOG_INFO, "budget %g W", run_model(c->r)->budget_w);
    return CMD_OK;
}

static int cmd_set_list(struct cmd_ctx *c)
{
    const struct model *m = run_model(c->r);
    int any = 0;
    for (size_t i = 0; i < m->n_controls; i++) {
        double v;
        if (!run_override_get(c->r, i, &v))
            continue;
        any = 1;
        cmd_say(c, LOG_INFO, "set %s %s %g (%s)",
                m->devices[m->controls[i].device].name, m->controls[i].name, v,
                m->controls[i].unit);
    }
    if (!any)
        cmd_say(c, LOG_INFO,
                "set: no overrides; the policy decides every "
                "control");
    return CMD_OK;
}

static int cmd_set(struct cmd_ctx *c, const char *args)
{
    char dev[CMD_LINE_MAX], ctl[CMD_LINE_MAX], val[CMD_LINE_MAX];
    char extra[CMD_LINE_MAX], err[512];
    size_t n = next_word(&args, dev, sizeof dev);
    if (n == 0)
        return cmd_set_list(c);
    if (!next_word(&args, ctl, sizeof ctl) ||
        !next_word(&args, val, sizeof val)) {
        cmd_say(c, LOG_WARN, "set: usage: set DEVICE CONTROL VALUE|auto");
        return CMD_ERR;
    }
    if (next_word(&args, extra, sizeof extra)) {
        cmd_say(c, LOG_WARN,
                "set: unexpected '%s' (usage: set DEVICE CONTROL VALUE|auto)",
                extra);
        return CMD_ERR;
    }
    if (strcmp(val, "auto") == 0) {
        if (run_override_clear(c->r, dev, ctl, err, sizeof err) != 0) {
            cmd_say(c, LOG_WARN, "set: %s", err);
            return CMD_ERR;
        }
        cmd_say(c, LOG_INFO, "set %s %s auto: the policy decides it", dev, ctl);
        return CMD_OK;
    }
    /* The control's unit may follow the number (2.5GHz); unknown names
     * are run_override's to report. */
    const struct model *m = run_model(c->r);
    const char *unit = NULL;
    int d = model_find_device(m, dev);
    int ci = d >= 0 ? model_find_control(m, (uint32_t)d, ctl) : -1;
    if (ci >= 0)
        unit = m->controls[ci].unit;
    double v;
    if (sinum_parse(val, unit, &v) != 0) {
        cmd_say(c, LOG_WARN,
                "set: '%s' is not a number (2.5G, 300m, 45%s ... or auto)", val,
                unit ? unit : "");
        return CMD_ERR;
    }
    if (run_override(c->r, dev, ctl, v, err, sizeof err) != 0) {
        cmd_say(c, LOG_WARN, "set: %s", err);
        return CMD_ERR;
    }
    cmd_say(c, LOG_INFO, "set %s %s %g: holds until `set %s %s auto`", dev, ctl,
            v, dev, ctl);
    return CMD_OK;
}

/* mesh fail|restore|detach NODE, mesh attach NODE TYPE: the simulated
 * mesh's fault injection and hot swap (drivers/mesh/meshdrv.c's `fail`
 * and `module` controls), held like `set` and written even when the lab's
 * own events changed them last. */
static int cmd_mesh(struct cmd_ctx *c, const char *args)
{
    static const char *const types[] = {"cpu", "gpu", "fpga"};
    static const char usage[] =
        "usage: mesh fail|restore|detach NODE, mesh attach NODE cpu|gpu|fpga";
    char verb[CMD_LINE_MAX], node[CMD_LINE_MAX], type[CMD_LINE_MAX];
    char extra[CMD_LINE_MAX], err[512];
    if (!next_word(&args, verb, sizeof verb) ||
        !next_word(&args, node, sizeof node)) {
        cmd_say(c, LOG_WARN, "mesh: %s", usage);
        return CMD_ERR;
    }
    const int attach = strcmp(verb, "attach") == 0;
    const int has_type = next_word(&args, type, sizeof type) != 0;
    if ((attach && !has_type) || (!attach && has_type) ||
        next_word(&args, extra, sizeof extra)) {
        cmd_say(c, LOG_WARN, "mesh: %s", usage);
        return CMD_ERR;
    }
    const struct model *m = run_model(c->r);
    const int d = model_find_device(m, node);
    if (d < 0 || !m->devices[d].kind ||
        strcmp(m->devices[d].kind, "converter") != 0 ||
        model_find_control(m, (uint32_t)d, "module") < 0) {
        cmd_say(c, LOG_WARN,
                "mesh: '%s' is not a mesh node (the Mesh pane, 7, "
                "lists them)",
                node);
        return CMD_ERR;
    }
    const char *ctl;
    double v;
    const char *what;
    if (strcmp(verb, "fail") == 0 || strcmp(verb, "restore") == 0) {
        ctl = "fail";
        v = verb[0] == 'f';
        what = v ? "its converter fails" : "its converter is restored";
    } else if (strcmp(verb, "detach") == 0) {
        ctl = "module";
        v = 0;
        what = "its module is detached";
    } else if (attach) {
        int k = 0;
        while (k < 3 && strcmp(type, types[k]) != 0)
            k++;
        if (k == 3) {
            cmd_say(c, LOG_WARN,
                    "mesh: '%s' is not a module type (cpu, gpu, "
                    "fpga)",
                    type);
            return CMD_ERR;
        }
        ctl = "module";
        v = k + 1;
        what = "a module is attached";
    } else {
        cmd_say(c, LOG_WARN, "mesh: unknown '%s' (%s)", verb, usage);
        return CMD_ERR;
    }
    if (run_override_now(c->r, node, ctl, v, err, sizeof err) != 0) {
        cmd_say(c, LOG_WARN, "mesh: %s", err);
        return CMD_ERR;
    }
    cmd_say(c, LOG_INFO, "mesh %s %s%s%s: %s (held like `set %s %s %g`)", verb,
            node, attach ? " " : "", attach ? type : "", what, node, ctl, v);
    return CMD_OK;
}

static int cmd_policy(struct cmd_ctx *c, const char *args)
{
    char path[CMD_LINE_MAX], err[1024];
    if (!rest_of(args, path, sizeof path)) {
        cmd_say(c, LOG_WARN,
                "policy: usage: policy FILE | builtin | builtin:NAME");
        return CMD_ERR;
    }
    int rc = run_policy_switch(c->r, path, err, sizeof err);
    if (rc == POLICY_SWAPPED && !run_policy_path(c->r)) {
        cmd_say(c, LOG_INFO, "policy %s: running", path);
        return CMD_OK;
    }
    if (rc == POLICY_SWAPPED) {
        cmd_say(c, LOG_INFO, "policy %s: running (v%llu), watched", path,
                (unsigned long long)run_policy_version(c->r));
        return CMD_OK;
    }
    cmd_say(c, LOG_WARN, "policy: %s", err);
    return CMD_ERR;
}

static int cmd_record(struct cmd_ctx *c, const char *args)
{
    char sub[CMD_LINE_MAX], path[CMD_LINE_MAX], err[1024];
    next_word(&args, sub, sizeof sub);
    if (strcmp(sub, "start") == 0) {
        if (!rest_of(args, path, sizeof path)) {
            cmd_say(c, LOG_WARN, "record: usage: record start FILE");
            return CMD_ERR;
        }
        if (run_record_start(c->r, path, err, sizeof err) != 0) {
            cmd_say(c, LOG_WARN, "record: %s", err);
            return CMD_ERR;
        }
        cmd_say(c, LOG_INFO, "recording to %s (record stop ends it)", path);
        return CMD_OK;
    }
    if (strcmp(sub, "stop") == 0) {
        const char *p = run_record_path(c->r);
        snprintf(path, sizeof path, "%s", p ? p : "");
        if (run_record_stop(c->r, err, sizeof err) != 0) {
            cmd_say(c, LOG_WARN, "record: %s", err);
            return CMD_ERR;
        }
        cmd_say(c, LOG_INFO, "recorded %s", path);
        return CMD_OK;
    }
    cmd_say(c, LOG_WARN, "record: usage: record start FILE | record stop");
    return CMD_ERR;
}

/* ---- the REPL ---- */

/* print(...) in the REPL: one line to the log. */
static int repl_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addstring(&b, "  ");
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    log_msg(LOG_INFO, "lua: %s", lua_tostring(L, -1));
    return 0;
}

static void repl_env_fn(lua_State *L, int env, void *arg)
{
    (void)arg;
    lua_pushcfunction(L, repl_print);
    lua_setfield(L, env, "print");
}

static void set_num(lua_State *L, int t, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, t, k);
}

/* Pushes a snapshot of the run: the policy's `state` layout (t, dt, tick,
 * budget_w, power_w, devices[i] and dev[name] with sig, ok, ctl, forecast,
 * proposal), plus policy.  Invalid readings are NaN (ok[name] false). */
static void push_snapshot(lua_State *L, struct run *r)
{
    const struct model *m = run_model(r);
    const char *pp = run_policy_path(r);
    lua_createtable(L, 0, 10);
    int st = lua_gettop(L);
    set_num(L, st, "t", m->t);
    set_num(L, st, "dt", m->dt);
    lua_pushinteger(L, (lua_Integer)m->tick);
    lua_setfield(L, st, "tick");
    set_num(L, st, "budget_w", m->budget_w);
    lua_pushstring(L, pp ? pp : "builtin");
    lua_setfield(L, st, "policy");
    lua_createtable(L, (int)m->n_devices, 0);
    int devices = lua_gettop(L);
    lua_createtable(L, 0, (int)m->n_devices);
    int byname = lua_gettop(L);
    for (size_t d = 0; d < m->n_devices; d++) {
        const struct model_device *md = &m->devices[d];
        plib_push_device(L, m, d);
        int dev = lua_gettop(L);
        lua_createtable(L, 0, 16);
        int sig = lua_gettop(L);
        lua_createtable(L, 0, 16);
        int ok = lua_gettop(L);
        for (uint32_t i = m->dsig_off[d]; i < m->dsig_off[d + 1]; i++) {
            uint32_t s = m->dsig[i];
            set_num(L, sig, m->signals[s].name, m->valid[s] ? m->val[s] : NAN);
            lua_pushboolean(L, m->valid[s]);
            lua_setfield(L, ok, m->signals[s].name);
        }
        lua_setfield(L, dev, "ok");
        lua_setfield(L, dev, "sig");
        /* d.proposal as a policy sees it: the engines' proposals, nil
         * where there is none. */
        lua_createtable(L, 0, 2);
        for (uint32_t i = m->dctl_off[d]; i < m->dctl_off[d + 1]; i++) {
            uint32_t k = m->dctl[i];
            if (m->proposed[k])
                set_num(L, lua_gettop(L), m->controls[k].name, m->proposal[k]);
        }
        lua_setfield(L, dev, "proposal");
        lua_createtable(L, 0, 4);
        int ctl = lua_gettop(L);
        for (uint32_t i = m->dctl_off[d]; i < m->dctl_off[d + 1]; i++) {
            uint32_t k = m->dctl[i];
            const struct model_control *mc = &m->controls[k];
            double ov;
            lua_createtable(L, 0, 8);
            int t = lua_gettop(L);
            set_num(L, t, "value", m->applied_known[k] ? m->applied[k] : NAN);
            set_num(L, t, "target", m->targeted[k] ? m->target[k] : NAN);
            set_num(L, t, "min", mc->min);
            set_num(L, t, "max", mc->max);
            set_num(L, t, "step", mc->step);
            lua_pushstring(L, mc->unit);
            lua_setfield(L, t, "unit");
            if (run_override_get(r, k, &ov))
                set_num(L, t, "override", ov);
            lua_setfield(L, ctl, mc->name);
        }
        lua_setfield(L, dev, "ctl");
        lua_createtable(L, 0, 1);
        set_num(L, lua_gettop(L), "demand",
                md->is_pu && m->fc_valid[d] ? m->fc_demand[d] : NAN);
        lua_setfield(L, dev, "forecast");
        lua_pushvalue(L, dev);
        lua_setfield(L, byname, md->name);
        lua_rawseti(L, devices, (lua_Integer)d + 1); /* pops dev */
    }
    lua_setfield(L, st, "dev");
    lua_setfield(L, st, "devices");
    set_num(L, st, "power_w", model_total_power(m, NULL));
    /* state.mesh as a policy sees it (lua/pmesh.c), a copy like the rest */
    const struct qmesh *q = meshag_agents(meshag_of(run_engines(r)));
    const int ref = pmesh_build(L, st, q);
    if (ref > 0) {
        pmesh_update(L, ref, q);
        luaL_unref(L, LUA_REGISTRYINDEX, ref);
    }
}

/* Under sandbox_call: (ctx, text) -> one string, the results. */
static int repl_run(lua_State *L)
{
    struct cmd_ctx *c = lua_touserdata(L, 1);
    size_t n;
    const char *text = lua_tolstring(L, 2, &n);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->repl_env);
    int env = lua_gettop(L);
    push_snapshot(L, c->r);
    lua_setfield(L, env, "state");
    lua_pushliteral(L, "return ");
    lua_pushvalue(L, 2);
    lua_concat(L, 2);
    size_t rn;
    const char *ret = lua_tolstring(L, -1, &rn);
    int st = luaL_loadbufferx(L, ret, rn, "=lua", "t");
    if (st == LUA_ERRSYNTAX) {
        lua_pop(L, 1);
        st = luaL_loadbufferx(L, text, n, "=lua", "t");
    }
    if (st != LUA_OK)
        return lua_error(L);
    lua_pushvalue(L, env);
    lua_setupvalue(L, -2, 1);
    int f = lua_gettop(L);
    lua_call(L, 0, LUA_MULTRET);
    int nres = lua_gettop(L) - f + 1;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (nres == 0)
        luaL_addstring(&b, "(no value)");
    for (int i = 0; i < nres; i++) {
        if (i > 0)
            luaL_addstring(&b, "  ");
        luaL_tolstring(L, f + i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return 1;
}

static int repl_open(struct cmd_ctx *c)
{
    char err[512];
    if (c->repl)
        return 0;
    if (sandbox_new(&c->repl, CMD_LUA_MEM, err, sizeof err) != 0) {
        cmd_say(c, LOG_WARN, "lua: %s", err);
        return -1;
    }
    sandbox_set_env_fn(c->repl, repl_env_fn, c);
    sandbox_arm_timed(c->repl, CMD_LUA_INSTRUCTIONS, CMD_LUA_TIME_NS);
    int rc = sandbox_load(c->repl, "=lua", "", 0, err, sizeof err);
    sandbox_disarm(c->repl);
    if (rc != SANDBOX_OK) {
        cmd_say(c, LOG_WARN, "lua: %s", err);
        sandbox_free(c->repl);
        c->repl = NULL;
        return -1;
    }
    lua_State *L = sandbox_lua(c->repl);
    lua_pop(L, 1); /* the chunk's result */
    c->repl_env = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

static int cmd_lua(struct cmd_ctx *c, const char *args)
{
    char err[1024];
    args = skip_ws(args);
    if (!*args) {
        cmd_say(c, LOG_WARN,
                "lua: usage: lua EXPR (`state` is the live "
                "state, read-only)");
        return CMD_ERR;
    }
    if (repl_open(c) != 0)
        return CMD_ERR;
    lua_State *L = sandbox_lua(c->repl);
    if (!lua_checkstack(L, 4)) {
        cmd_say(c, LOG_WARN, "lua: out of memory");
        return CMD_ERR;
    }
    lua_pushcfunction(L, repl_run);
    lua_pushlightuserdata(L, c);
    lua_pushstring(L, args);
    sandbox_arm_timed(c->repl, CMD_LUA_INSTRUCTIONS, CMD_LUA_TIME_NS);
    int rc = sandbox_call(c->repl, "=lua", 2, 1, err, sizeof err);
    sandbox_disarm(c->repl);
    if (rc != SANDBOX_OK) {
        cmd_say(c, LOG_WARN, "lua: %s", err);
        return CMD_ERR;
    }
    cmd_say(c, LOG_INFO, "= %.900s", lua_tostring(L, -1));
    lua_pop(L, 1);
    return CMD_OK;
}

/* ---- the executor ---- */

void cmd_init(struct cmd_ctx *c, struct run *r)
{
    memset(c, 0, sizeof *c);
    c->r = r;
}

void cmd_free(struct cmd_ctx *c)
{
    sandbox_free(c->repl);
    c->repl = NULL;
}

int cmd_exec(struct cmd_ctx *c, const char *line)
{
    char word[CMD_LINE_MAX];
    const char *p = skip_ws(line);
    if (*p == ':')
        p++;
    if (!next_word(&p, word, sizeof word))
        return CMD_OK;
    if (strcmp(word, "budget") == 0)
        return cmd_budget(c, p);
    if (strcmp(word, "set") == 0)
        return cmd_set(c, p);
    if (strcmp(word, "policy") == 0)
        return cmd_policy(c, p);
    if (strcmp(word, "mesh") == 0)
        return cmd_mesh(c, p);
    if (strcmp(word, "record") == 0)
        return cmd_record(c, p);
    if (strcmp(word, "lua") == 0)
        return cmd_lua(c, p);
    if (strcmp(word, "help") == 0) {
        for (int i = 0; cmd_help_lines[i]; i++)
            cmd_say(c, LOG_INFO, "%s", cmd_help_lines[i]);
        return CMD_OK;
    }
    if (strcmp(word, "q") == 0 || strcmp(word, "quit") == 0)
        return CMD_QUIT;
    cmd_say(c, LOG_WARN, "unknown command '%.64s' (help lists them)", word);
    return CMD_ERR;
}

/* ---- the policy picker ---- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

int cmd_policy_list(const char *dir, char names[][CMD_PICK_NAME], int max)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while (n < max && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || len >= CMD_PICK_NAME || e->d_name[0] == '.' ||
            strcmp(e->d_name + len - 4, ".lua") != 0)
            continue;
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
            continue;
        memcpy(names[n++], e->d_name, len + 1);
    }
    closedir(d);
    qsort(names, (size_t)n, CMD_PICK_NAME, cmp_names);
    return n;
}

int cmd_builtin_list(char names[][CMD_PICK_NAME], int n, int max)
{
    if (n < 0)
        n = 0;
    if (n < max)
        snprintf(names[n++], CMD_PICK_NAME, "builtin");
    for (size_t i = 0; n < max && gov_name(i); i++)
        snprintf(names[n++], CMD_PICK_NAME, "builtin:%s", gov_name(i));
    return n;
}
