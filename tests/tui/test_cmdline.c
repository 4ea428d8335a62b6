/*
 * test_cmdline - the console's command line without a terminal: the
 * history ring and editor, and cmd_exec on real runs of the policy
 * fixture's lab (budget, set, policy, record, lua, help, unknown), the
 * results read from the log (log_set_sink), the effects from the model.
 */
#include <math.h>
#include <sys/stat.h>

#include "core/loop.h"
#include "policy_fx.h"
#include "tui/cmdline.h"
#include "tui/term.h"

/* The value of the newest "= ..." line the REPL logged, as text. */
static const char *last_result(void)
{
    static char out[1024];
    const char *p = logbuf, *hit = NULL;
    while ((p = strstr(p, "= ")) != NULL) {
        if (p == logbuf || p[-1] == '\n')
            hit = p;
        p++;
    }
    out[0] = '\0';
    if (!hit)
        return out;
    hit += 2;
    size_t n = strcspn(hit, "\n");
    snprintf(out, sizeof out, "%.*s", (int)n, hit);
    return out;
}

static int lua_is(struct cmd_ctx *c, const char *expr, const char *want)
{
    char line[512];
    snprintf(line, sizeof line, "lua %s", expr);
    log_reset();
    int rc = cmd_exec(c, line);
    T_CHECK(rc == CMD_OK);
    const char *got = last_result();
    if (strcmp(got, want) != 0)
        fprintf(stderr, "lua %s: got '%s', want '%s' (log: %s)\n", expr, got,
                want, logbuf);
    T_STREQ(got, want);
    return rc;
}

static void test_history(void)
{
    struct cmd_hist h;
    memset(&h, 0, sizeof h);
    char buf[32];
    T_CHECK(cmd_hist_get(&h, 0) == NULL);
    cmd_hist_push(&h, "   ");
    T_CHECK(cmd_hist_len(&h) == 0);
    for (int i = 0; i < 40; i++) {
        snprintf(buf, sizeof buf, "c%d", i);
        cmd_hist_push(&h, buf);
    }
    T_CHECK(cmd_hist_len(&h) == CMD_HIST_MAX);
    T_STREQ(cmd_hist_get(&h, 0), "c39");
    T_STREQ(cmd_hist_get(&h, 1), "c38");
    T_STREQ(cmd_hist_get(&h, CMD_HIST_MAX - 1), "c8"); /* c0..c7 wrapped */
    T_CHECK(cmd_hist_get(&h, CMD_HIST_MAX) == NULL);
    cmd_hist_push(&h, "c39"); /* a repeat of the newest */
    T_STREQ(cmd_hist_get(&h, 1), "c38");
    /* A line longer than the buffer is kept truncated. */
    char lng[CMD_LINE_MAX * 2];
    memset(lng, 'x', sizeof lng - 1);
    lng[sizeof lng - 1] = '\0';
    cmd_hist_push(&h, lng);
    T_CHECK(strlen(cmd_hist_get(&h, 0)) == CMD_LINE_MAX - 1);
}

static int type(struct cmd_ctx *c, const char *s, char *out, size_t n)
{
    int rc = CMD_EDIT_MORE;
    for (; *s; s++)
        rc = cmd_edit_key(c, (unsigned char)*s, out, n);
    return rc;
}

static void test_editor(void)
{
    static struct cmd_ctx c;
    char out[CMD_LINE_MAX];
    cmd_init(&c, NULL);
    cmd_edit_open(&c);
    T_CHECK(type(&c, "budgt 35", out, sizeof out) == CMD_EDIT_MORE);
    /* Left x4, insert 'e' after "budg": "budget 35" */
    for (int i = 0; i < 4; i++)
        cmd_edit_key(&c, TERM_KEY_LEFT, out, sizeof out);
    cmd_edit_key(&c, 'e', out, sizeof out);
    cmd_edit_key(&c, TERM_KEY_END, out, sizeof out);
    cmd_edit_key(&c, '1', out, sizeof out);
    cmd_edit_key(&c, TERM_KEY_BACKSPACE, out, sizeof out);
    cmd_edit_key(&c, '0', out, sizeof out);
    T_STREQ(c.ed.buf, "budget 350");
    T_CHECK(cmd_edit_key(&c, TERM_KEY_ENTER, out, sizeof out) ==
            CMD_EDIT_SUBMIT);
    T_STREQ(out, "budget 350");
    T_STREQ(cmd_hist_get(&c.hist, 0), "budget 350");

    cmd_edit_open(&c);
    type(&c, "help", out, sizeof out);
    cmd_edit_key(&c, TERM_KEY_ENTER, out, sizeof out);
    /* Up, Up: the older line; Down: the newer; Down: the draft back. */
    cmd_edit_open(&c);
    type(&c, "dra", out, sizeof out);
    cmd_edit_key(&c, TERM_KEY_UP, out, sizeof out);
    T_STREQ(c.ed.buf, "help");
    cmd_edit_key(&c, TERM_KEY_UP, out, sizeof out);
    T_STREQ(c.ed.buf, "budget 350");
    cmd_edit_key(&c, TERM_KEY_UP, out, sizeof out); /* no older: stays */
    T_STREQ(c.ed.buf, "budget 350");
    cmd_edit_key(&c, TERM_KEY_DOWN, out, sizeof out);
    T_STREQ(c.ed.buf, "help");
    cmd_edit_key(&c, TERM_KEY_DOWN, out, sizeof out);
    T_STREQ(c.ed.buf, "dra");
    T_CHECK(c.ed.cur == 3);
    T_CHECK(cmd_edit_key(&c, TERM_KEY_ESC, out, sizeof out) == CMD_EDIT_CANCEL);
    T_CHECK(cmd_hist_len(&c.hist) == 2); /* Esc pushes nothing */
    cmd_edit_open(&c);
    T_CHECK(cmd_edit_key(&c, TERM_KEY_BACKSPACE, out, sizeof out) ==
            CMD_EDIT_CANCEL);
    cmd_free(&c);
}

/* Types `keys` (printable ASCII, \t for Tab) into a fresh line. */
static void type_keys(struct cmd_ctx *c, const char *keys)
{
    char out[CMD_LINE_MAX];
    cmd_edit_open(c);
    for (const char *k = keys; *k; k++)
        cmd_edit_key(c, *k == '\t' ? TERM_KEY_TAB : *k, out, sizeof out);
}

static void test_complete(void)
{
    struct fx f;
    static struct cmd_ctx c;
    if (!fx_open(&f, "builtin"))
        return;
    cmd_init(&c, f.r);
    type_keys(&c, "bu\t");
    T_STREQ(c.ed.buf, "budget ");
    type_keys(&c, ":se\t");
    T_STREQ(c.ed.buf, ":set ");
    type_keys(&c, "set cpu\t"); /* cpu0, cpu1...: no common growth */
    T_STREQ(c.ed.buf, "set cpu");
    log_reset();
    type_keys(&c, "set cpu\t\t");
    T_CHECK(line_has(logbuf, "matches:", "cpu0", "cpu1", NULL));
    type_keys(&c, "set gp\t");
    T_STREQ(c.ed.buf, "set gpu0 "); /* the only gpu */
    type_keys(&c, "set gpu0 p\t");
    T_STREQ(c.ed.buf, "set gpu0 power_cap ");
    type_keys(&c, "set cpu0 fr\t");
    T_STREQ(c.ed.buf, "set cpu0 freq ");
    type_keys(&c, "set cpu0 freq a\t");
    T_STREQ(c.ed.buf, "set cpu0 freq auto ");
    type_keys(&c, "set nodev fr\t"); /* no such device: nothing */
    T_STREQ(c.ed.buf, "set nodev fr");
    type_keys(&c, "policy builtin:sch\t");
    T_STREQ(c.ed.buf, "policy builtin:schedutil ");
    type_keys(&c, "record st\t");
    T_STREQ(c.ed.buf, "record st"); /* start, stop */
    type_keys(&c, "record sto\t");
    T_STREQ(c.ed.buf, "record stop ");

    /* File names: a directory ends in '/', a file in a blank. */
    char dir[64] = "/tmp/wattson-cmp-XXXXXX", line[256], want[256];
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(line, sizeof line, "%s/sub", dir);
    T_CHECK(mkdir(line, 0700) == 0);
    snprintf(line, sizeof line, "%s/sub/only.lua", dir);
    T_CHECK(write_file(line, "return {}\n") == 0);
    snprintf(line, sizeof line, "policy %s/su\t", dir);
    type_keys(&c, line);
    snprintf(want, sizeof want, "policy %s/sub/", dir);
    T_STREQ(c.ed.buf, want);
    cmd_edit_key(&c, TERM_KEY_TAB, line, sizeof line);
    snprintf(want, sizeof want, "policy %s/sub/only.lua ", dir);
    T_STREQ(c.ed.buf, want);
    snprintf(line, sizeof line, "%s/sub/only.lua", dir);
    unlink(line);
    snprintf(line, sizeof line, "%s/sub", dir);
    rmdir(line);
    rmdir(dir);

    /* Only at the end of the line. */
    type_keys(&c, "bu");
    cmd_edit_key(&c, TERM_KEY_LEFT, line, sizeof line);
    cmd_edit_key(&c, TERM_KEY_TAB, line, sizeof line);
    T_STREQ(c.ed.buf, "bu");
    cmd_free(&c);
    fx_close(&f);
}

/* The history kept between sessions. */
static void test_hist_file(void)
{
    char dir[64] = "/tmp/wattson-hist-XXXXXX", path[256], err[512];
    T_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/state/wattson/history", dir);
    static struct cmd_hist a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    T_CHECK(cmd_hist_load(&a, path, err, sizeof err) == 0); /* none yet */
    T_CHECK(cmd_hist_len(&a) == 0);
    for (int i = 0; i < 40; i++) {
        char line[32];
        snprintf(line, sizeof line, "budget %d", i);
        cmd_hist_push(&a, line);
    }
    T_CHECK(cmd_hist_save(&a, path, err, sizeof err) == 0);
    struct stat sb;
    snprintf(err, sizeof err, "%s/state/wattson", dir);
    T_CHECK(stat(err, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    T_CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    T_CHECK(cmd_hist_load(&b, path, err, sizeof err) == 0);
    T_CHECK(cmd_hist_len(&b) == CMD_HIST_MAX);
    T_STREQ(cmd_hist_get(&b, 0), "budget 39");
    T_STREQ(cmd_hist_get(&b, CMD_HIST_MAX - 1), "budget 8");

    /* Junk lines (control characters, too long) are skipped. */
    FILE *f = fopen(path, "w");
    T_CHECK(f != NULL);
    if (f) {
        fputs("set cpu0 freq 2G\n\x1b[2Jevil\n", f);
        for (int i = 0; i < 300; i++)
            fputc('x', f);
        fputs("\nbudget 7\nunterminated", f);
        fclose(f);
    }
    memset(&b, 0, sizeof b);
    T_CHECK(cmd_hist_load(&b, path, err, sizeof err) == 0);
    T_CHECK(cmd_hist_len(&b) == 2);
    T_STREQ(cmd_hist_get(&b, 0), "budget 7");
    T_STREQ(cmd_hist_get(&b, 1), "set cpu0 freq 2G");

    /* Not trusted: writable by others, a symlink. */
    T_CHECK(chmod(path, 0622) == 0);
    T_CHECK(cmd_hist_load(&b, path, err, sizeof err) == -1);
    T_CHECK(strstr(err, "writable by others") != NULL);
    T_CHECK(chmod(path, 0600) == 0);
    char link[300];
    snprintf(link, sizeof link, "%s/link", dir);
    T_CHECK(symlink(path, link) == 0);
    T_CHECK(cmd_hist_load(&b, link, err, sizeof err) == -1);
    T_CHECK(strstr(err, "symlink") != NULL);
    /* A state directory others may write: not saved into. */
    snprintf(err, sizeof err, "%s/state/wattson", dir);
    T_CHECK(chmod(err, 0777) == 0);
    T_CHECK(cmd_hist_save(&a, path, err, sizeof err) == -1);
    T_CHECK(strstr(err, "writable by others") != NULL);

    /* The path: XDG_STATE_HOME, else HOME; relative values ignored. */
    char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
    char saved_x[512] = "", saved_h[512] = "";
    if (xdg)
        snprintf(saved_x, sizeof saved_x, "%s", xdg);
    if (home)
        snprintf(saved_h, sizeof saved_h, "%s", home);
    setenv("XDG_STATE_HOME", "/x/state", 1);
    T_CHECK(cmd_hist_path(err, sizeof err) == 0);
    T_STREQ(err, "/x/state/wattson/history");
    setenv("XDG_STATE_HOME", "rel", 1);
    setenv("HOME", "/home/u", 1);
    T_CHECK(cmd_hist_path(err, sizeof err) == 0);
    T_STREQ(err, "/home/u/.local/state/wattson/history");
    unsetenv("XDG_STATE_HOME");
    unsetenv("HOME");
    T_CHECK(cmd_hist_path(err, sizeof err) == -1);
    if (xdg)
        setenv("XDG_STATE_HOME", saved_x, 1);
    if (home)
        setenv("HOME", saved_h, 1);

    unlink(link);
    unlink(path);
    snprintf(err, sizeof err, "%s/state/wattson", dir);
    rmdir(err);
    snprintf(err, sizeof err, "%s/state", dir);
    rmdir(err);
    rmdir(dir);
}

static void test_budget(void)
{
    struct fx f;
    static struct cmd_ctx c;
    if (!fx_open(&f, "builtin"))
        return;
    cmd_init(&c, f.r);
    log_reset();
    T_CHECK(cmd_exec(&c, "budget 350") == CMD_OK);
    T_CHECK(f.m->budget_w == 350);
    T_CHECK(f.s->budget_w == 350);
    T_CHECK(line_has(logbuf, "budget 350 W", NULL));
    T_CHECK(cmd_exec(&c, ":  budget   0.5 ") == CMD_OK);
    T_CHECK(f.m->budget_w == 0.5);
    static const char *const bad[] = {"abc",  "-5",    "nan",   "inf", "12X",
                                      "12Wh", "12kWh", "1e999", "G",   "12mV"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[64], quoted[64];
        snprintf(line, sizeof line, "budget %s", bad[i]);
        snprintf(quoted, sizeof quoted, "'%s'", bad[i]);
        log_reset();
        T_CHECK(cmd_exec(&c, line) == CMD_ERR);
        T_CHECK(line_has(logbuf, "budget:", quoted, NULL));
        T_CHECK(f.m->budget_w == 0.5);
    }
    /* A bare budget shows it. */
    log_reset();
    T_CHECK(cmd_exec(&c, "budget") == CMD_OK);
    T_CHECK(line_has(logbuf, "budget 0.5 W", NULL));
    T_CHECK(f.m->budget_w == 0.5);
    T_CHECK(cmd_exec(&c, "budget 1 2") == CMD_ERR);
    T_CHECK(f.m->budget_w == 0.5);
    /* The units and SI prefixes the screen shows. */
    T_CHECK(cmd_exec(&c, "budget 12W") == CMD_OK);
    T_CHECK(f.m->budget_w == 12);
    T_CHECK(cmd_exec(&c, "budget 0.3kW") == CMD_OK);
    T_CHECK(f.m->budget_w == 300);
    T_CHECK(cmd_exec(&c, "budget 1.5k") == CMD_OK);
    T_CHECK(f.m->budget_w == 1500);
    T_CHECK(cmd_exec(&c, "budget 500mW") == CMD_OK);
    T_CHECK(f.m->budget_w == 0.5);
    cmd_free(&c);
    fx_close(&f);
}

static void test_set(void)
{
    struct fx f;
    static struct cmd_ctx c;
    char line[128];
    if (!fx_open(&f, "builtin"))
        return;
    cmd_init(&c, f.r);
    fx_ticks(&f, 5);
    T_CHECK(target0(&f) > f.fmin); /* the built-in policy's choice */
    snprintf(line, sizeof line, "set cpu0 freq %.17g", f.fmin);
    T_CHECK(cmd_exec(&c, line) == CMD_OK);
    double ov = 0;
    T_CHECK(run_override_get(f.r, (size_t)f.f0, &ov) && ov == f.fmin);
    fx_ticks(&f, 1);
    T_CHECK(target0(&f) == f.fmin);
    fx_ticks(&f, 20); /* it sticks */
    T_CHECK(target0(&f) == f.fmin);
    T_CHECK(f.m->applied[f.f0] == f.fmin);
    log_reset();
    T_CHECK(cmd_exec(&c, "set") == CMD_OK);
    T_CHECK(line_has(logbuf, "set cpu0 freq", NULL));

    /* Rejected: nothing changes. */
    struct {
        const char *line, *names;
    } bad[] = {
        {"set cpu0 freq nan", "not a finite number"},
        {"set cpu0 freq inf", "not a finite number"},
        {"set cpu0 freq 1e30", "outside"},
        {"set cpu0 freq -1", "outside"},
        {"set cpu0 freq abc", "'abc'"},
        {"set nodev freq 1e9", "'nodev'"},
        {"set cpu0 nope 1e9", "'nope'"},
        {"set cpu0 freq", "usage"},
        {"set cpu0 freq 1 2", "'2'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        log_reset();
        T_CHECK(cmd_exec(&c, bad[i].line) == CMD_ERR);
        if (!line_has(logbuf, "set", bad[i].names, NULL))
            fprintf(stderr, "%s: log '%s'\n", bad[i].line, logbuf);
        T_CHECK(line_has(logbuf, "set", bad[i].names, NULL));
        T_CHECK(run_override_get(f.r, (size_t)f.f0, &ov) && ov == f.fmin);
    }
    fx_ticks(&f, 1);
    T_CHECK(target0(&f) == f.fmin);

    /* The SI prefixes and unit the Devices table shows (2.20G). */
    double mid = (f.fmin + f.fmax) / 2;
    snprintf(line, sizeof line, "set cpu0 freq %.12gG", mid / 1e9);
    T_CHECK(cmd_exec(&c, line) == CMD_OK);
    T_CHECK(run_override_get(f.r, (size_t)f.f0, &ov) && fabs(ov - mid) < 1);
    snprintf(line, sizeof line, "set cpu0 freq %.12gMHz", mid / 1e6);
    T_CHECK(cmd_exec(&c, line) == CMD_OK);
    T_CHECK(run_override_get(f.r, (size_t)f.f0, &ov) && fabs(ov - mid) < 1);
    log_reset();
    T_CHECK(cmd_exec(&c, "set cpu0 freq 2.5GW") == CMD_ERR);
    T_CHECK(line_has(logbuf, "'2.5GW'", NULL));
    snprintf(line, sizeof line, "set cpu0 freq %.17g", f.fmin);
    T_CHECK(cmd_exec(&c, line) == CMD_OK);

    /* auto: the policy decides again. */
    T_CHECK(cmd_exec(&c, "set cpu0 freq auto") == CMD_OK);
    T_CHECK(!run_override_get(f.r, (size_t)f.f0, NULL));
    fx_ticks(&f, 3);
    T_CHECK(target0(&f) > f.fmin);
    T_CHECK(cmd_exec(&c, "set nodev freq auto") == CMD_ERR);

    /* The guard still stands: a value between steps is snapped. */
    int g0 = model_find_device(f.m, "gpu0");
    int pc = g0 >= 0 ? model_find_control(f.m, (uint32_t)g0, "power_cap") : -1;
    T_CHECK(pc >= 0);
    if (pc >= 0) {
        const struct model_control *mc = &f.m->controls[pc];
        snprintf(line, sizeof line, "set gpu0 power_cap %.17g", mc->max);
        T_CHECK(cmd_exec(&c, line) == CMD_OK);
        fx_ticks(&f, 1);
        T_CHECK(f.m->target[pc] == mc->max);
    }
    cmd_free(&c);
    fx_close(&f);
}

static void test_lua(void)
{
    struct fx f;
    static struct cmd_ctx c;
    char want[128];
    if (!fx_open(&f, "builtin"))
        return;
    cmd_init(&c, f.r);
    fx_ticks(&f, 7);
    T_CHECK(cmd_exec(&c, "budget 350") == CMD_OK);
    lua_is(&c, "state.budget_w", "350.0");
    lua_is(&c, "state.budget_w + 1", "351.0");
    snprintf(want, sizeof want, "%llu", (unsigned long long)f.m->tick);
    lua_is(&c, "state.tick", want);
    lua_is(&c, "state.dev.cpu0.kind, #state.devices", "cpu  3");
    lua_is(&c, "state.devices[3].name", "gpu0");
    /* A signal, compared as a number with the model's. */
    int u0 = f.m->devices[0].sig[SIG_UTIL];
    T_CHECK(u0 >= 0 && f.m->valid[u0]);
    log_reset();
    T_CHECK(cmd_exec(&c, "lua string.format('%.17g', "
                         "state.dev.cpu0.sig.util)") == CMD_OK);
    T_CHECK(u0 >= 0 && strtod(last_result(), NULL) == f.m->val[u0]);
    lua_is(&c,
           "state.dev.cpu0.ctl.freq.target == state.dev.cpu0.ctl.freq.target",
           "true");
    /* state.power_w, and d.proposal as a policy sees it: the broker's
     * proposal for cpu0's freq, exactly. */
    double pw = 0;
    for (size_t d = 0; d < f.m->n_devices; d++) {
        int32_t ps = f.m->devices[d].sig[SIG_POWER];
        if (ps >= 0 && f.m->valid[ps])
            pw += f.m->val[ps];
    }
    log_reset();
    T_CHECK(cmd_exec(&c, "lua string.format('%.17g', state.power_w)") ==
            CMD_OK);
    T_CHECK(pw > 0 && strtod(last_result(), NULL) == pw);
    T_CHECK(f.m->proposed[f.f0]);
    log_reset();
    T_CHECK(cmd_exec(&c, "lua string.format('%.17g', "
                         "state.dev.cpu0.proposal.freq)") == CMD_OK);
    T_CHECK(strtod(last_result(), NULL) == f.m->proposal[f.f0]);
    lua_is(&c, "type(state.dev.cpu0.proposal.nosuch)", "nil");
    /* Refreshed before each evaluation. */
    fx_ticks(&f, 3);
    snprintf(want, sizeof want, "%llu", (unsigned long long)f.m->tick);
    lua_is(&c, "state.tick", want);

    /* Writes change the copy, never the run. */
    double tgt = target0(&f);
    T_CHECK(cmd_exec(&c, "lua state.budget_w = 0; "
                         "state.dev.cpu0.ctl.freq.target = 1; "
                         "state.dev.cpu0.ctl.freq.value = 1") == CMD_OK);
    T_CHECK(f.m->budget_w == 350);
    T_CHECK(target0(&f) == tgt);
    lua_is(&c, "state.budget_w", "350.0");
    log_reset();
    T_CHECK(cmd_exec(&c, "lua string.format('%.17g', "
                         "state.dev.cpu0.ctl.freq.target)") == CMD_OK);
    T_CHECK(strtod(last_result(), NULL) == tgt);

    /* No io, os, require, load; globals persist between evaluations. */
    lua_is(&c,
           "io == nil and os == nil and require == nil and load == nil "
           "and dofile == nil",
           "true");
    lua_is(&c, "type(io), type(os)", "nil  nil");
    T_CHECK(cmd_exec(&c, "lua x = 41") == CMD_OK);
    lua_is(&c, "x + 1", "42");
    log_reset();
    T_CHECK(cmd_exec(&c, "lua") == CMD_ERR);
    T_CHECK(line_has(logbuf, "lua:", "usage", NULL));
    log_reset();
    T_CHECK(cmd_exec(&c, "lua print('hi', 2)") == CMD_OK);
    T_CHECK(line_has(logbuf, "lua: hi  2", NULL));

    /* Errors go to the log; the REPL survives them. */
    log_reset();
    T_CHECK(cmd_exec(&c, "lua nil + 1") == CMD_ERR);
    T_CHECK(line_has(logbuf, "lua:", "arithmetic", NULL));
    log_reset();
    T_CHECK(cmd_exec(&c, "lua )(") == CMD_ERR);
    T_CHECK(line_has(logbuf, "lua:", NULL));
    double t0 = now_s();
    log_reset();
    T_CHECK(cmd_exec(&c, "lua while true do end") == CMD_ERR);
    T_CHECK(line_has(logbuf, "lua:", "budget", NULL));
    log_reset();
    T_CHECK(cmd_exec(&c, "lua (function() while true do pcall(error) end "
                         "end)()") == CMD_ERR);
    T_CHECK(line_has(logbuf, "lua:", "budget", NULL));
    T_CHECK(now_s() - t0 < 5);
    log_reset();
    T_CHECK(cmd_exec(&c, "lua #string.rep('x', 64 * 1024 * 1024)") == CMD_ERR);
    T_CHECK(line_has(logbuf, "lua:", "memory", NULL));
    lua_is(&c, "1 + 1", "2");
    T_CHECK(f.m->budget_w == 350);
    cmd_free(&c);
    fx_close(&f);
}

static int count_lines(const char *path, char *first, char *last, size_t n,
                       uint64_t *ticks, int max_ticks, int *bad)
{
    FILE *fp = fopen(path, "r");
    char line[1 << 16];
    int lines = 0, nt = 0;
    *bad = 0;
    if (!fp)
        return -1;
    while (fgets(line, sizeof line, fp)) {
        size_t len = strlen(line);
        if (len < 3 || line[0] != '{' || line[len - 1] != '\n' ||
            line[len - 2] != '}')
            (*bad)++;
        if (lines == 0)
            snprintf(first, n, "%.*s", 40, line);
        snprintf(last, n, "%.*s", 40, line);
        const char *tk = "{\"type\":\"tick\",\"tick\":";
        if (strncmp(line, tk, strlen(tk)) == 0 && nt < max_ticks)
            ticks[nt++] = strtoull(line + strlen(tk), NULL, 10);
        lines++;
    }
    fclose(fp);
    return lines * 1000 + nt;
}

static void test_record(void)
{
    struct fx f;
    static struct cmd_ctx c;
    char dir[64] = "/tmp/wattson-rec-XXXXXX", path[128], line[192];
    char first[64], last[64];
    uint64_t ticks[16];
    int bad;
    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    if (!fx_open(&f, "builtin"))
        return;
    cmd_init(&c, f.r);
    fx_ticks(&f, 3);
    snprintf(path, sizeof path, "%s/rec.jsonl", dir);
    snprintf(line, sizeof line, "record start %s", path);
    T_CHECK(cmd_exec(&c, line) == CMD_OK);
    T_STREQ(run_record_path(f.r), path);
    T_CHECK(access(path, F_OK) != 0); /* not in place until stopped */
    log_reset();
    T_CHECK(cmd_exec(&c, line) == CMD_ERR); /* already recording */
    T_CHECK(line_has(logbuf, "already recording", NULL));
    uint64_t k0 = f.m->tick;
    fx_ticks(&f, 5);
    T_CHECK(cmd_exec(&c, "record stop") == CMD_OK);
    T_CHECK(run_record_path(f.r) == NULL);
    fx_ticks(&f, 2); /* not recorded */
    int got = count_lines(path, first, last, sizeof first, ticks, 16, &bad);
    T_CHECK(got == 7 * 1000 + 5); /* header, 5 ticks, summary */
    T_CHECK(bad == 0);
    T_CHECK(strncmp(first, "{\"type\":\"header\"", 16) == 0);
    T_CHECK(strncmp(last, "{\"type\":\"summary\"", 17) == 0);
    for (int i = 0; i < 5 && got % 1000 == 5; i++)
        T_CHECK(ticks[i] == k0 + 1 + (uint64_t)i);
    T_CHECK(t_dir_entries(dir) == 1); /* no temporary file left */
    log_reset();
    T_CHECK(cmd_exec(&c, "record stop") == CMD_ERR);
    T_CHECK(line_has(logbuf, "not recording", NULL));

    /* A bad path: an error, nothing written, not recording. */
    log_reset();
    snprintf(line, sizeof line, "record start %s/no/such/dir/x.jsonl", dir);
    T_CHECK(cmd_exec(&c, line) == CMD_ERR);
    T_CHECK(line_has(logbuf, "record:", "x.jsonl", NULL));
    T_CHECK(run_record_path(f.r) == NULL);
    T_CHECK(t_dir_entries(dir) == 1);
    T_CHECK(cmd_exec(&c, "record start") == CMD_ERR);
    T_CHECK(cmd_exec(&c, "record pause") == CMD_ERR);
    /* stdout belongs to the console; a FIFO nobody reads is refused at
     * once instead of freezing the console in open(). */
    log_reset();
    T_CHECK(cmd_exec(&c, "record start -") == CMD_ERR);
    T_CHECK(line_has(logbuf, "record:", "stdout", NULL));
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    T_CHECK(mkfifo(fifo, 0600) == 0);
    log_reset();
    snprintf(line, sizeof line, "record start %s", fifo);
    T_CHECK(cmd_exec(&c, line) == CMD_ERR);
    T_CHECK(line_has(logbuf, "record:", "no reader", NULL));
    T_CHECK(run_record_path(f.r) == NULL);
    unlink(fifo);

    /* A recording still open when the run is freed leaves nothing. */
    char path2[160];
    snprintf(path2, sizeof path2, "%s/open.jsonl", dir);
    snprintf(line, sizeof line, "record start %s", path2);
    T_CHECK(cmd_exec(&c, line) == CMD_OK);
    fx_ticks(&f, 2);
    T_CHECK(t_dir_entries(dir) == 2); /* rec.jsonl and the temporary */
    run_free(f.r);
    f.r = NULL;
    T_CHECK(t_dir_entries(dir) == 1);
    T_CHECK(access(path2, F_OK) != 0);
    cmd_free(&c);
    unlink(path);
    rmdir(dir);
}

static const char MAXPOL[] = "return { api = 1, on_tick = function(state, "
                             "out)\n"
                             "  out.cpu0.freq = state.dev.cpu0.ctl.freq.max\n"
                             "end }\n";

static void test_policy_cmd(void)
{
    struct fx f;
    static struct cmd_ctx c;
    char dir[64] = "/tmp/wattson-pol-XXXXXX", good[128], maxp[128], bad[128];
    char line[256];
    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    snprintf(good, sizeof good, "%s/good.lua", dir);
    snprintf(maxp, sizeof maxp, "%s/max.lua", dir);
    snprintf(bad, sizeof bad, "%s/bad.lua", dir);
    T_CHECK(write_file(good, GOOD) == 0);
    T_CHECK(write_file(maxp, MAXPOL) == 0);
    T_CHECK(write_file(bad, "return { api = 1, on_tick = 42 }\n") == 0);

    /* From the built-in policy. */
    if (!fx_open(&f, "builtin"))
        return;
    cmd_init(&c, f.r);
    fx_ticks(&f, 2);
    T_CHECK(run_policy_path(f.r) == NULL);
    log_reset();
    snprintf(line, sizeof line, "policy %s", bad);
    T_CHECK(cmd_exec(&c, line) == CMD_ERR);
    T_CHECK(run_policy_path(f.r) == NULL);
    T_CHECK(run_policy_state(f.r, NULL) == RUN_POLICY_BUILTIN);
    fx_ticks(&f, 2);
    T_CHECK(target0(&f) > f.fmin);
    snprintf(line, sizeof line, "policy %s", good);
    T_CHECK(cmd_exec(&c, line) == CMD_OK);
    T_STREQ(run_policy_path(f.r), good);
    T_CHECK(run_policy_version(f.r) == 1);
    fx_ticks_good(&f, 3);
    /* The new file is the watched one: `r` reloads it. */
    T_CHECK(write_file(good, MAXPOL) == 0);
    T_CHECK(run_policy_request_reload(f.r) == 0);
    T_CHECK(run_policy_service(f.r) == 1);
    T_CHECK(run_policy_version(f.r) == 2);
    fx_ticks(&f, 1);
    T_CHECK(target0(&f) == f.fmax);
    T_CHECK(write_file(good, GOOD) == 0);
    run_policy_request_reload(f.r);
    run_policy_service(f.r);
    fx_ticks_good(&f, 1);

    /* From one Lua file to another. */
    snprintf(line, sizeof line, "policy %s", maxp);
    T_CHECK(cmd_exec(&c, line) == CMD_OK);
    T_STREQ(run_policy_path(f.r), maxp);
    fx_ticks(&f, 1);
    T_CHECK(target0(&f) == f.fmax);
    /* Rejected and missing files change nothing. */
    snprintf(line, sizeof line, "policy %s", bad);
    log_reset();
    T_CHECK(cmd_exec(&c, line) == CMD_ERR);
    T_CHECK(line_has(logbuf, "policy:", "bad.lua", NULL));
    T_STREQ(run_policy_path(f.r), maxp);
    snprintf(line, sizeof line, "policy %s/missing.lua", dir);
    log_reset();
    T_CHECK(cmd_exec(&c, line) == CMD_ERR);
    T_CHECK(line_has(logbuf, "policy:", "missing.lua", NULL));
    snprintf(line, sizeof line, "policy /no/such/dir/x.lua");
    T_CHECK(cmd_exec(&c, line) == CMD_ERR);
    T_CHECK(cmd_exec(&c, "policy") == CMD_ERR);
    T_STREQ(run_policy_path(f.r), maxp);
    fx_ticks(&f, 1);
    T_CHECK(target0(&f) == f.fmax);

    /* Back to the built-in policies, and a long session of switches and
     * refusals: every try frees what it made (the loop once ran out of
     * slots after 7 switches). */
    T_CHECK(cmd_exec(&c, "policy builtin:schedutil") == CMD_OK);
    T_CHECK(run_policy_path(f.r) == NULL);
    T_STREQ(run_builtin_name(f.r), "schedutil");
    T_CHECK(run_policy_state(f.r, NULL) == RUN_POLICY_BUILTIN);
    T_CHECK(run_policy_request_reload(f.r) == -1);
    fx_ticks(&f, 2);
    T_CHECK(cmd_exec(&c, "policy builtin:schedutil") == CMD_ERR);
    T_CHECK(cmd_exec(&c, "policy builtin:nosuch") == CMD_ERR);
    T_STREQ(run_builtin_name(f.r), "schedutil");
    T_CHECK(cmd_exec(&c, "policy builtin") == CMD_OK);
    T_CHECK(run_builtin_name(f.r) == NULL);
    fx_ticks(&f, 2);
    T_CHECK(target0(&f) > f.fmin);
    struct loop *lp = run_event_loop(f.r);
    size_t regs = loop_n_registered(lp);
    int swapped = 0, refused = 0;
    for (int i = 0; i < 200; i++) {
        const char *to = i % 4 == 0   ? good
                         : i % 4 == 1 ? maxp
                         : i % 4 == 2 ? bad
                                      : "builtin:race";
        snprintf(line, sizeof line, "policy %s", to);
        int rc = cmd_exec(&c, line);
        swapped += rc == CMD_OK;
        refused += rc == CMD_ERR;
        fx_ticks(&f, 1);
        /* A Lua policy's watch holds 2 registrations (timer, inotify)
         * and SIGHUP one, once; nothing else accumulates. */
        T_CHECK(loop_n_registered(lp) <= regs + 3);
    }
    T_CHECK(swapped == 150 && refused == 50);
    T_STREQ(run_builtin_name(f.r), "race");
    snprintf(line, sizeof line, "policy %s", maxp);
    T_CHECK(cmd_exec(&c, line) == CMD_OK);
    fx_ticks(&f, 1);
    T_CHECK(target0(&f) == f.fmax);
    cmd_free(&c);
    fx_close(&f);
    unlink(good);
    unlink(maxp);
    unlink(bad);
    rmdir(dir);
}

static void test_misc(void)
{
    struct fx f;
    static struct cmd_ctx c;
    if (!fx_open(&f, "builtin"))
        return;
    cmd_init(&c, f.r);
    log_reset();
    T_CHECK(cmd_exec(&c, "frobnicate 1 2") == CMD_ERR);
    T_CHECK(line_has(logbuf, "unknown command", "'frobnicate'", NULL));
    T_CHECK(log_count("\n") == 1);
    T_CHECK(cmd_exec(&c, "") == CMD_OK);
    T_CHECK(cmd_exec(&c, "   ") == CMD_OK);
    log_reset();
    T_CHECK(cmd_exec(&c, "help") == CMD_OK);
    T_CHECK(line_has(logbuf, "budget W", NULL));
    T_CHECK(line_has(logbuf, "record start FILE", NULL));
    T_CHECK(line_has(logbuf, "lua EXPR", NULL));
    T_CHECK(line_has(logbuf, "mesh attach N TYPE", NULL));
    /* `mesh` on a lab without a mesh, and its usage: one line each, no
     * override made (the mesh itself: tests/integration/mesh.sh) */
    static const struct {
        const char *line, *names;
    } mbad[] = {
        {"mesh", "usage"},
        {"mesh fail", "usage"},
        {"mesh fail cpu0", "'cpu0' is not a mesh node"},
        {"mesh fail node1 extra", "usage"},
        {"mesh attach node1", "usage"},
        {"mesh explode cpu0", "not a mesh node"},
    };
    for (size_t i = 0; i < sizeof mbad / sizeof mbad[0]; i++) {
        log_reset();
        T_CHECK(cmd_exec(&c, mbad[i].line) == CMD_ERR);
        T_CHECK(line_has(logbuf, "mesh:", mbad[i].names, NULL));
        T_CHECK(log_count("\n") == 1);
    }
    for (size_t k = 0; k < f.m->n_controls; k++)
        T_CHECK(!run_override_get(f.r, k, NULL));
    T_CHECK(cmd_exec(&c, "q") == CMD_QUIT);
    T_CHECK(cmd_exec(&c, ":quit") == CMD_QUIT);
    T_CHECK(cmd_exec(&c, "quitx") == CMD_ERR);
    cmd_free(&c);
    fx_close(&f);
}

static void test_picker_list(void)
{
    static char names[CMD_PICK_MAX][CMD_PICK_NAME];
    int n = cmd_policy_list(cmd_policy_dir(), names, CMD_PICK_MAX);
    T_CHECK(n >= 2);
    int has_default = 0;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        T_CHECK(len > 4 && strcmp(names[i] + len - 4, ".lua") == 0);
        T_CHECK(strstr(names[i], "labs") == NULL);
        if (strcmp(names[i], "default.lua") == 0)
            has_default = 1;
        if (i > 0)
            T_CHECK(strcmp(names[i - 1], names[i]) < 0);
    }
    T_CHECK(has_default);

    char dir[64] = "/tmp/wattson-pick-XXXXXX", p[128];
    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    snprintf(p, sizeof p, "%s/b.lua", dir);
    T_CHECK(write_file(p, "x") == 0);
    snprintf(p, sizeof p, "%s/a.lua", dir);
    T_CHECK(write_file(p, "x") == 0);
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    T_CHECK(write_file(p, "x") == 0);
    snprintf(p, sizeof p, "%s/sub.lua", dir);
    T_CHECK(mkdir(p, 0700) == 0);
    n = cmd_policy_list(dir, names, CMD_PICK_MAX);
    T_CHECK(n == 2);
    if (n == 2) {
        T_STREQ(names[0], "a.lua");
        T_STREQ(names[1], "b.lua");
    }
    T_CHECK(cmd_policy_list(dir, names, 1) == 1);
    rmdir(p);
    snprintf(p, sizeof p, "%s/a.lua", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/b.lua", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    unlink(p);
    rmdir(dir);
    T_CHECK(cmd_policy_list("/no/such/dir", names, CMD_PICK_MAX) == -1);
    /* The built-ins follow the files: the picker's way back. */
    n = cmd_builtin_list(names, 2, CMD_PICK_MAX);
    T_CHECK(n > 4);
    T_STREQ(names[2], "builtin");
    T_STREQ(names[3], "builtin:performance");
    int has_sched = 0;
    for (int i = 3; i < n; i++)
        has_sched |= strcmp(names[i], "builtin:schedutil") == 0;
    T_CHECK(has_sched);
    T_CHECK(cmd_builtin_list(names, -1, 3) == 3);
    T_STREQ(names[0], "builtin");
}

int main(void)
{
    alarm(600);
    log_set_sink(sink, NULL);
    log_set_level(LOG_INFO);
    test_hist_file();
    test_complete();
    test_history();
    test_editor();
    test_budget();
    test_set();
    test_lua();
    test_record();
    test_policy_cmd();
    test_misc();
    test_picker_list();
    return t_done("test_cmdline");
}
