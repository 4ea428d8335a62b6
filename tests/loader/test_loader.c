/*
 * test_loader - the plugin loader against the test plugins in
 * tests/plugins (built into WATTSON_TEST_PLUGIN_DIR) and the template.
 *
 * The host is tests/th_host.h's fake: log lines go into a buffer,
 * configuration comes from a small table set per test, and the clock
 * advances 100 ms per call, so every run sees the same values.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader/loader.h"
#include "t.h"
#include "th_host.h"

/* wattson's own plugin directories as a build-tree binary's paths.c gives
 * them (the build passes the same values); the loader gets them from its
 * caller in struct plug_path.  The fallbacks let the file build by hand. */
#ifndef WATTSON_PLUGIN_BUILD_DIR
#define WATTSON_PLUGIN_BUILD_DIR "."
#endif
#ifndef WATTSON_PLUGIN_INSTALL_DIR
#define WATTSON_PLUGIN_INSTALL_DIR "/usr/local/lib/wattson"
#endif
#ifndef WATTSON_TEST_PLUGIN_DIR
#define WATTSON_TEST_PLUGIN_DIR "tests/plugins"
#endif

/* ---- helpers ---------------------------------------------------------- */

static const char *tl_plugin_dir(void)
{
    const char *d = getenv("WATTSON_TEST_PLUGIN_DIR");

    return d && *d ? d : WATTSON_TEST_PLUGIN_DIR;
}

static const char *tl_path(const char *name)
{
    static char buf[4096];

    snprintf(buf, sizeof buf, "%s/%s.so", tl_plugin_dir(), name);
    return buf;
}

static void tl_write(const char *dir, const char *file, const char *text)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, file);
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "cannot create %s: %s\n", path, strerror(errno));
        return;
    }
    fputs(text, f);
    fclose(f);
}

/* Whole file into a static buffer ("" if missing). */
static const char *tl_slurp(const char *dir, const char *file)
{
    static char buf[16384];
    char path[4096];
    size_t n = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, file);
    buf[0] = '\0';
    f = fopen(path, "r");
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

static void tl_rmtree(const char *dir)
{
    char cmd[4200];

    /* Test-only cleanup of a mkdtemp directory we created. */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", dir);
}

/* Opens and initialises a test plugin; NULL (with a report) on failure. */
static struct plug *tl_load(const char *name, const struct th_cfg *cfgs,
                            size_t n)
{
    struct wattson_host h;
    struct plug *p = NULL;
    char err[1024];
    int rc;

    rc = plug_open(tl_path(name), &p, err, sizeof err);
    T_CHECK(rc == PLUG_OK);
    if (rc != PLUG_OK) {
        fprintf(stderr, "  %s\n", err);
        return NULL;
    }
    th_host(&h, NULL, cfgs, n);
    rc = plug_init(&p, &h, err, sizeof err);
    T_CHECK(rc == PLUG_OK);
    if (rc != PLUG_OK) {
        fprintf(stderr, "  %s\n", err);
        return NULL;
    }
    /* The plugin got the loader's copy, not our stack variable. */
    T_CHECK(p->host.ctx == &th_ctx_marker);
    return p;
}

/* ---- refusals at load ------------------------------------------------- */

static void tl_refused(const char *name, const char *want1, const char *want2)
{
    struct plug *p = (struct plug *)&p; /* must be reset to NULL */
    char err[1024] = "";
    const char *path = tl_path(name);
    int rc = plug_open(path, &p, err, sizeof err);

    T_CHECK(rc == PLUG_ERR_LOAD);
    T_CHECK(p == NULL);
    T_CHECK(th_has(err, path));
    if (want1)
        T_CHECK(th_has(err, want1));
    if (want2)
        T_CHECK(th_has(err, want2));
    T_CHECK(strchr(err, '\n') == NULL);
}

static void test_load_refusals(void)
{
    char dir[] = "/tmp/wattson-loader-XXXXXX";

    tl_refused("badabi", "built for ABI 99.3", "wattson has 1.3");
    tl_refused("newminor", "built for ABI 1.4", "wattson has 1.3");
    tl_refused("shortdesc", "descriptor is 8 bytes", NULL);
    /* dlerror() names the missing symbol. */
    tl_refused("noentry", "undefined symbol: wattson_plugin_entry", NULL);
    tl_refused("nullentry", "returned no descriptor", NULL);
    tl_refused("noread", "no read", NULL);
    tl_refused("nordctl", "write but no read_controls", NULL);
    tl_refused("no-such-plugin", "cannot load",
               "cannot open shared object file");

    /* Not an ELF file: dlopen's own complaint is passed on. */
    if (mkdtemp(dir)) {
        char path[4200], err[1024];
        struct plug *p = NULL;

        tl_write(dir, "junk.so", "this is not a shared object\n");
        snprintf(path, sizeof path, "%s/junk.so", dir);
        T_CHECK(plug_open(path, &p, err, sizeof err) == PLUG_ERR_LOAD);
        T_CHECK(p == NULL);
        T_CHECK(th_has(err, path));
        T_CHECK(th_has(err, "cannot load: "));
        tl_rmtree(dir);
    }
}

/* ---- search path ------------------------------------------------------ */

static void test_find(void)
{
    char root[] = "/tmp/wattson-find-XXXXXX";
    char d1[4200], d2[4200], e1[4200], e2[4200], env[9000], want[4300];
    char err[4096];
    char *path = NULL;
    const char *dirs[2];
    const char *own[2] = {WATTSON_PLUGIN_BUILD_DIR, WATTSON_PLUGIN_INSTALL_DIR};
    const char *list[16];
    struct plug_path sp = {0};
    size_t n;

    if (!mkdtemp(root)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    snprintf(d1, sizeof d1, "%s/d1", root);
    snprintf(d2, sizeof d2, "%s/d2", root);
    snprintf(e1, sizeof e1, "%s/e1", root);
    snprintf(e2, sizeof e2, "%s/e2", root);
    T_CHECK(mkdir(d1, 0755) == 0 && mkdir(d2, 0755) == 0 &&
            mkdir(e1, 0755) == 0 && mkdir(e2, 0755) == 0);
    /* plug_find only looks for the files; they need no contents. */
    tl_write(d2, "both.so", "");
    tl_write(e1, "both.so", "");
    tl_write(e1, "envonly.so", "");
    tl_write(e2, "late.so", "");
    tl_write(e2, "envonly.so", "");

    dirs[0] = d1;
    dirs[1] = d2;
    sp.dirs = dirs;
    sp.n_dirs = 2;
    sp.own_dirs = own;
    sp.n_own_dirs = 2;
    /* Empty entries (leading, doubled, trailing) are skipped. */
    snprintf(env, sizeof env, ":%s::%s:", e1, e2);
    setenv("WATTSON_PLUGIN_PATH", env, 1);

    /* --plugin-dir wins over the environment. */
    T_CHECK(plug_find(&sp, "both", &path, err, sizeof err) == 0);
    snprintf(want, sizeof want, "%s/both.so", d2);
    T_STREQ(path, want);
    free(path);
    /* The environment in its order: e1 before e2. */
    T_CHECK(plug_find(&sp, "envonly", &path, err, sizeof err) == 0);
    snprintf(want, sizeof want, "%s/envonly.so", e1);
    T_STREQ(path, want);
    free(path);
    T_CHECK(plug_find(&sp, "late", &path, err, sizeof err) == 0);
    snprintf(want, sizeof want, "%s/late.so", e2);
    T_STREQ(path, want);
    free(path);
    /* "N.so" names the same file as "N". */
    T_CHECK(plug_find(&sp, "late.so", &path, err, sizeof err) == 0);
    T_STREQ(path, want);
    free(path);

    /* Not found: every searched directory is reported, in order. */
    path = (char *)err;
    T_CHECK(plug_find(&sp, "nosuch", &path, err, sizeof err) == -1);
    T_CHECK(path == NULL);
    T_CHECK(th_has(err, "nosuch.so"));
    T_CHECK(th_has(err, d1));
    T_CHECK(th_has(err, e2));
    T_CHECK(th_has(err, WATTSON_PLUGIN_BUILD_DIR));
    T_CHECK(th_has(err, WATTSON_PLUGIN_INSTALL_DIR));
    T_CHECK(strstr(err, d1) < strstr(err, d2));
    T_CHECK(strstr(err, d2) < strstr(err, e1));
    T_CHECK(strstr(err, e2) < strstr(err, WATTSON_PLUGIN_INSTALL_DIR));

    /* A name with a slash is a path, used as is. */
    snprintf(want, sizeof want, "%s/late.so", e2);
    T_CHECK(plug_find(&sp, want, &path, err, sizeof err) == 0);
    T_STREQ(path, want);
    free(path);
    snprintf(want, sizeof want, "%s/missing.so", e2);
    T_CHECK(plug_find(&sp, want, &path, err, sizeof err) == -1);
    T_CHECK(th_has(err, want));
    T_CHECK(plug_find(&sp, "", &path, err, sizeof err) == -1);

    /* The listing matches the search order. */
    n = plug_search_dirs(&sp, list, 16);
    T_CHECK(n == 6);
    if (n == 6) {
        T_STREQ(list[0], d1);
        T_STREQ(list[1], d2);
        T_STREQ(list[2], e1);
        T_STREQ(list[3], e2);
        T_STREQ(list[4], WATTSON_PLUGIN_BUILD_DIR);
        T_STREQ(list[5], WATTSON_PLUGIN_INSTALL_DIR);
    }
    /* Too small an array: the count still says how many there are. */
    T_CHECK(plug_search_dirs(&sp, list, 1) == 6);
    T_STREQ(list[0], d1);

    /* Without --plugin-dir or environment: the own directories only, in
     * their order; the loader has none of its own (nothing for NULL). */
    unsetenv("WATTSON_PLUGIN_PATH");
    sp.n_dirs = 0;
    T_CHECK(plug_search_dirs(&sp, list, 16) == 2);
    T_STREQ(list[0], WATTSON_PLUGIN_BUILD_DIR);
    T_STREQ(list[1], WATTSON_PLUGIN_INSTALL_DIR);
    T_CHECK(plug_search_dirs(NULL, list, 16) == 0);
    T_CHECK(plug_find(NULL, "nosuch", &path, err, sizeof err) == -1);

    /* The real test plugin directory as a --plugin-dir. */
    dirs[0] = tl_plugin_dir();
    sp.n_dirs = 1;
    T_CHECK(plug_find(&sp, "recorder", &path, err, sizeof err) == 0);
    T_STREQ(path, tl_path("recorder"));
    free(path);
    tl_rmtree(root);
}

/* ---- init ------------------------------------------------------------- */

static void test_init_failures(void)
{
    struct wattson_host h;
    struct plug *p = NULL;
    char err[1024];
    const char *path;
    int rc;

    path = tl_path("failinit");
    T_CHECK(plug_open(path, &p, err, sizeof err) == PLUG_OK);
    th_host(&h, NULL, NULL, 0);
    rc = plug_init(&p, &h, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_INIT);
    T_CHECK(p == NULL); /* closed and freed: ASan checks the rest */
    T_CHECK(th_has(err, path));
    T_CHECK(th_has(err, "init failed: simulated failure"));

    path = tl_path("badconf");
    T_CHECK(plug_open(path, &p, err, sizeof err) == PLUG_OK);
    rc = plug_init(&p, &h, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG);
    T_CHECK(p == NULL);
    T_CHECK(th_has(err, path));
    T_CHECK(th_has(err, "init failed: config key 'rate'"));

    /* plug_init_why: the same status and err, and the plugin's reason
     * alone, which the runner reports in the lab's words. */
    {
        char why[256];
        T_CHECK(plug_open(path, &p, err, sizeof err) == PLUG_OK);
        rc = plug_init_why(&p, &h, err, sizeof err, why, sizeof why);
        T_CHECK(rc == PLUG_ERR_CONFIG && p == NULL);
        T_CHECK(th_has(err, "init failed: config key 'rate'"));
        T_CHECK(strncmp(why, "config key 'rate'", 17) == 0);
    }

    /* A NULL plug or host is refused without a crash. */
    p = NULL;
    T_CHECK(plug_init(&p, &h, err, sizeof err) == PLUG_ERR_INIT);
    plug_close(NULL);
}

static void test_bad_inventory(void)
{
    static const char *const why[] = {
        "",
        "array is NULL",
        "signal util names device 2",
        "control freq names device 7",
        "device 1 has no name",
        "range [3e+09, 2e+09]",
        "range [1e+09, inf]",
        "bi0 is used twice",
        "signal 0 has no name",
        "array is NULL",
        "P-state table names device 5 of 2",
        "device bi0 P-state 2 has frequency 1e+09 Hz",
        "device bi0 P-state 0 has idle 5 W, busy 4 W",
        "device bi0 P-state 1 has idle 2 W, busy nan W",
        "process 77 is listed twice",
        "process 78 names device 9 of 2",
        "device bi0 has two P-state tables",
    };
    struct th_cfg cfg[1] = {{"case", WATTSON_CFG_NUMBER, 0, NULL, 0}};
    struct wattson_host h;
    struct plug *p;
    char err[1024];
    size_t c;

    for (c = 1; c < sizeof why / sizeof why[0]; c++) {
        cfg[0].num = (double)c;
        p = NULL;
        T_CHECK(plug_open(tl_path("badinv"), &p, err, sizeof err) == 0);
        th_host(&h, NULL, cfg, 1);
        T_CHECK(plug_init(&p, &h, err, sizeof err) == PLUG_ERR_INIT);
        T_CHECK(p == NULL);
        T_CHECK(th_has(err, tl_path("badinv")));
        T_CHECK(th_has(err, "bad inventory"));
        T_CHECK(th_has(err, why[c]));
        /* init had succeeded, so fini must have run. */
        T_CHECK(th_has(th_logbuf, "badinv: fini"));
    }

    /* The sane case loads; close after open without init skips fini. */
    cfg[0].num = 0;
    p = tl_load("badinv", cfg, 1);
    T_CHECK(p && p->inv.n_devices == 2);
    /* ABI 1.1: the tables come through, and ipc_read answers. */
    T_CHECK(p && p->inv.n_pstates == 2 && p->inv.n_procs == 2);
    if (p) {
        struct wattson_ipc_event ev[4];
        T_CHECK(plug_ipc_read(p, ev, 4) == 1);
        T_CHECK(ev[0].src_pid == 77 && ev[0].dst_pid == 78 &&
                ev[0].bytes == 1000 && ev[0].t == 1.0);
        T_CHECK(plug_ipc_read(p, ev, 0) == 0);
    }
    plug_close(p);
    T_CHECK(th_has(th_logbuf, "badinv: fini"));
    T_CHECK(plug_open(tl_path("badinv"), &p, err, sizeof err) == 0);
    th_log_clear();
    plug_close(p);
    T_CHECK(strstr(th_logbuf, "fini") == NULL);
}

/* ---- plugins at work -------------------------------------------------- */

/* ABI 1.3 ipc_deliver: a 1.3 plugin gets the messages; a 1.2 plugin, and
 * a 1.3 one whose descriptor ends before the field, are never called,
 * even though the bytes where the field would be point at a function. */
static void test_ipc_deliver(void)
{
    static const char *const never[] = {"deliver12", "delivershort"};
    const struct wattson_ipc_delivery d[4] = {
        {{1.0, 10, 20, 1000, WATTSON_IPC_DATA}, 0},
        {{1.0, 10, 20, 300, WATTSON_IPC_REQUEST}, 0},
        {{1.0, 20, 10, 50, WATTSON_IPC_REPLY}, 0},
        {{1.0, 10, 30, 7000, WATTSON_IPC_DATA}, 9}, /* out of range */
    };
    double v[2];
    uint8_t ok[2];
    struct plug *p = tl_load("deliver", NULL, 0);

    T_CHECK(p != NULL);
    if (p) {
        T_CHECK(p->desc->abi_minor == 3);
        T_CHECK(plug_has_ipc_deliver(p));
        T_CHECK(plug_ipc_deliver(p, d, 4) == 0);
        /* n == 0 is answered by the loader: nothing to call for. */
        T_CHECK(plug_ipc_deliver(p, d, 0) == 0);
        T_CHECK(p->desc->read(p->state, v, ok, 2) == WATTSON_OK);
        T_NEAR(v[0], 1, 0);    /* one call */
        T_NEAR(v[1], 1300, 0); /* DATA + REQUEST to dv0 */
        plug_close(p);
    }
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++) {
        p = tl_load(never[i], NULL, 0);
        T_CHECK(p != NULL);
        if (!p)
            continue;
        /* The field is set in the object, but past what it declared. */
        T_CHECK(p->desc->ipc_deliver != NULL);
        T_CHECK(!plug_has_ipc_deliver(p));
        T_CHECK(plug_ipc_deliver(p, d, 4) == WATTSON_ERR_UNSUPPORTED);
        T_CHECK(p->desc->read(p->state, v, ok, 2) == WATTSON_OK);
        T_NEAR(v[0], 0, 0);
        T_NEAR(v[1], 0, 0);
        plug_close(p);
    }
    T_CHECK(!plug_has_ipc_deliver(NULL));
    T_CHECK(plug_ipc_deliver(NULL, d, 4) == WATTSON_ERR_UNSUPPORTED);
}

static void test_recorder(void)
{
    char dir[] = "/tmp/wattson-rec-XXXXXX";
    char logpath[4200];
    struct th_cfg cfg[2] = {
        {"n", WATTSON_CFG_NUMBER, 3, NULL, 0},
        {"log", WATTSON_CFG_STRING, 0, logpath, 0},
    };
    double v[9], c[6];
    uint8_t ok[9], cok[6];
    uint32_t idx[2];
    double w[2];
    struct plug *p;
    size_t i;

    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    snprintf(logpath, sizeof logpath, "%s/rec.log", dir);
    p = tl_load("recorder", cfg, 2);
    if (!p)
        goto out;
    T_CHECK(p->desc->flags & WATTSON_PLUGIN_SIMULATED);
    T_STREQ(p->desc->name, "recorder");
    T_CHECK(p->inv.n_devices == 3);
    T_CHECK(p->inv.n_signals == 9);
    T_CHECK(p->inv.n_controls == 6);
    T_STREQ(p->inv.devices[2].name, "rec2");
    T_STREQ(p->inv.signals[5].name, "energy");
    T_CHECK(p->inv.signals[5].device == 1);
    T_CHECK(p->inv.signals[5].behaviour == WATTSON_COUNTER);
    T_STREQ(p->inv.controls[3].name, "power_cap");
    T_NEAR(p->inv.controls[2].step, 1e8, 0);

    memset(ok, 0, sizeof ok);
    T_CHECK(p->desc->read(p->state, v, ok, 9) == WATTSON_OK);
    T_CHECK(p->desc->read(p->state, v, ok, 9) == WATTSON_OK);
    for (i = 0; i < 9; i++)
        T_CHECK(ok[i] == 1);
    T_CHECK(v[0] >= 0 && v[0] < 1);
    T_CHECK(v[2] > 0); /* energy grew over the 100 ms tick */

    T_CHECK(p->desc->read_controls(p->state, c, cok, 6) == WATTSON_OK);
    T_NEAR(c[0], 3e9, 0);
    T_NEAR(c[1], 100, 0);
    idx[0] = 2; /* rec1 freq */
    w[0] = 2e9;
    idx[1] = 5; /* rec2 power_cap */
    w[1] = 40;
    T_CHECK(p->desc->write(p->state, idx, w, 2) == WATTSON_OK);
    T_CHECK(p->desc->read_controls(p->state, c, cok, 6) == WATTSON_OK);
    T_NEAR(c[2], 2e9, 0);
    T_NEAR(c[5], 40, 0);
    T_CHECK(cok[5] == 1);
    /* What the recorder is for: it notices a host breaking its promise. */
    w[0] = NAN;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    plug_close(p);
    T_CHECK(th_has(th_logbuf, "recorder: 3 writes, 1 violations"));
    T_CHECK(th_has(tl_slurp(dir, "rec.log"), "rec1 freq 2000000000\n"));
    T_CHECK(th_has(tl_slurp(dir, "rec.log"), "rec2 power_cap 40\n"));
    T_CHECK(th_has(tl_slurp(dir, "rec.log"), "VIOLATION rec1 freq nan"));

    /* Bad `n` is the lab's fault. */
    {
        struct th_cfg bad[1] = {{"n", WATTSON_CFG_NUMBER, 0.5, NULL, 0}};
        struct wattson_host h;
        char err[1024];

        p = NULL;
        T_CHECK(plug_open(tl_path("recorder"), &p, err, sizeof err) == 0);
        th_host(&h, NULL, bad, 1);
        T_CHECK(plug_init(&p, &h, err, sizeof err) == PLUG_ERR_CONFIG);
        T_CHECK(p == NULL);
        T_CHECK(th_has(err, "config key 'n'"));
    }
out:
    tl_rmtree(dir);
}

static void test_filectl(void)
{
    char dir[] = "/tmp/wattson-filectl-XXXXXX";
    char dev[4200];
    struct th_cfg cfg[1] = {{"dir", WATTSON_CFG_STRING, 0, dir, 0}};
    double v[2], c[2], w[2];
    uint8_t ok[2], cok[2];
    uint32_t idx[2];
    struct plug *p;
    const char *log;

    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    snprintf(dev, sizeof dev, "%s/fc0", dir);

    /* No fc0 directory yet: a configuration error naming the key. */
    {
        struct wattson_host h;
        char err[1024];

        p = NULL;
        T_CHECK(plug_open(tl_path("filectl"), &p, err, sizeof err) == 0);
        th_host(&h, NULL, cfg, 1);
        T_CHECK(plug_init(&p, &h, err, sizeof err) == PLUG_ERR_CONFIG);
        T_CHECK(th_has(err, "config key 'dir'"));
        T_CHECK(plug_open(tl_path("filectl"), &p, err, sizeof err) == 0);
        th_host(&h, NULL, NULL, 0);
        T_CHECK(plug_init(&p, &h, err, sizeof err) == PLUG_ERR_CONFIG);
    }

    T_CHECK(mkdir(dev, 0755) == 0);
    tl_write(dev, "util", "0.75\n");
    tl_write(dev, "freq", "2000000000\n");
    tl_write(dev, "power_cap", "25\n");
    p = tl_load("filectl", cfg, 1);
    if (!p)
        goto out;
    T_CHECK(p->desc->flags == 0);
    T_CHECK(p->inv.n_signals == 2 && p->inv.n_controls == 2);
    T_CHECK(p->desc->read(p->state, v, ok, 2) == WATTSON_OK);
    T_CHECK(ok[0] && ok[1]);
    T_NEAR(v[0], 0.75, 0);
    T_NEAR(v[1], 2e9, 0);
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_CHECK(cok[0] && cok[1]);
    T_NEAR(c[0], 2e9, 0);
    T_NEAR(c[1], 25, 0);

    idx[0] = 0;
    w[0] = 1.5e9;
    idx[1] = 1;
    w[1] = 30.25;
    T_CHECK(p->desc->write(p->state, idx, w, 2) == WATTSON_OK);
    T_STREQ(tl_slurp(dev, "freq"), "1500000000\n");
    T_STREQ(tl_slurp(dev, "power_cap"), "30.25\n");
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_NEAR(c[0], 1.5e9, 0);
    T_NEAR(c[1], 30.25, 0);
    log = tl_slurp(dir, "writes.log");
    T_STREQ(log, "freq 1500000000\npower_cap 30.25\n");

    /* Out of range: logged as a violation, the device file untouched. */
    w[0] = 4e9;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);
    T_STREQ(tl_slurp(dev, "freq"), "1500000000\n");
    T_CHECK(th_has(tl_slurp(dir, "writes.log"), "VIOLATION freq 4000000000"));

    /* A missing or garbled file reads as invalid, not as zero. */
    {
        char util[4300];

        snprintf(util, sizeof util, "%s/util", dev);
        T_CHECK(unlink(util) == 0);
        tl_write(dev, "freq", "garbage\n");
        T_CHECK(p->desc->read(p->state, v, ok, 2) == WATTSON_OK);
        T_CHECK(ok[0] == 0 && ok[1] == 0);
    }
    plug_close(p);
out:
    tl_rmtree(dir);
}

/* filectl's emulated device faults (plugin.h's status codes): deny,
 * reject, a vanished device directory; and its optional second device. */
static void test_filectl_faults(void)
{
    char dir[] = "/tmp/wattson-filectl-XXXXXX";
    char dev0[4200], dev1[4200], gone[4300];
    struct th_cfg cfg[1] = {{"dir", WATTSON_CFG_STRING, 0, dir, 0}};
    double v[4], c[4], w[4];
    uint8_t ok[4], cok[4];
    uint32_t idx[4];
    struct plug *p;
    int i;

    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    snprintf(dev0, sizeof dev0, "%s/fc0", dir);
    snprintf(dev1, sizeof dev1, "%s/fc1", dir);
    snprintf(gone, sizeof gone, "%s/fc0.away", dir);
    T_CHECK(mkdir(dev0, 0755) == 0);
    T_CHECK(mkdir(dev1, 0755) == 0);
    for (i = 0; i < 2; i++) {
        const char *d = i ? dev1 : dev0;

        tl_write(d, "util", i ? "0.5\n" : "0.25\n");
        tl_write(d, "freq", "2000000000\n");
        tl_write(d, "power_cap", "25\n");
    }
    /* dir/fc1 exists: two devices, the second's entries after the first's. */
    p = tl_load("filectl", cfg, 1);
    if (!p)
        goto out;
    T_CHECK(p->inv.n_devices == 2 && p->inv.n_signals == 4 &&
            p->inv.n_controls == 4);
    if (p->inv.n_devices != 2 || p->inv.n_controls != 4) {
        plug_close(p);
        goto out;
    }
    T_STREQ(p->inv.devices[1].name, "fc1");
    T_CHECK(p->inv.signals[2].device == 1 && p->inv.controls[3].device == 1);
    T_CHECK(p->desc->read(p->state, v, ok, 4) == WATTSON_OK);
    T_CHECK(ok[0] && ok[1] && ok[2] && ok[3]);
    T_NEAR(v[2], 0.5, 0);
    T_CHECK(p->desc->read_controls(p->state, c, cok, 4) == WATTSON_OK);
    T_NEAR(c[3], 25, 0);

    /* deny: permission denied, the file untouched; fc1 still written, and
     * the batch's status is the first failure's. */
    tl_write(dev0, "deny", "");
    for (i = 0; i < 4; i++)
        idx[i] = (uint32_t)i;
    w[0] = 1.5e9;
    w[1] = 30;
    w[2] = 1.25e9;
    w[3] = 20;
    T_CHECK(p->desc->write(p->state, idx, w, 4) == WATTSON_ERR_PERM);
    T_STREQ(tl_slurp(dev0, "freq"), "2000000000\n");
    T_STREQ(tl_slurp(dev1, "freq"), "1250000000\n");
    T_STREQ(tl_slurp(dev1, "power_cap"), "20\n");
    T_CHECK(th_has(tl_slurp(dir, "writes.log"), "DENIED freq 1500000000\n"));
    T_CHECK(th_has(tl_slurp(dir, "writes.log"), "fc1.freq 1250000000\n"));
    {
        char path[4300];

        snprintf(path, sizeof path, "%s/deny", dev0);
        T_CHECK(unlink(path) == 0);
    }

    /* reject: values above the number are refused, others written. */
    tl_write(dev0, "reject", "1.8e9\n");
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
    T_STREQ(tl_slurp(dev0, "freq"), "1500000000\n");
    w[0] = 1.9e9;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR_REJECTED);
    T_STREQ(tl_slurp(dev0, "freq"), "1500000000\n");
    T_CHECK(th_has(tl_slurp(dir, "writes.log"), "REJECTED freq 1900000000\n"));
    /* ...and an out-of-range value stays a plain error (a host bug). */
    w[0] = 4e9;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR);

    /* The device directory vanishes: its reads invalid, its writes GONE
     * (the real ENOENT), fc1 unaffected; back, it reads again. */
    T_CHECK(rename(dev0, gone) == 0);
    T_CHECK(p->desc->read(p->state, v, ok, 4) == WATTSON_OK);
    T_CHECK(!ok[0] && !ok[1] && ok[2] && ok[3]);
    w[0] = 1.2e9;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_ERR_GONE);
    T_CHECK(th_has(tl_slurp(dir, "writes.log"), "GONE freq 1200000000\n"));
    idx[0] = 2;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
    T_STREQ(tl_slurp(dev1, "freq"), "1200000000\n");
    T_CHECK(p->desc->read_controls(p->state, c, cok, 4) == WATTSON_OK);
    T_CHECK(!cok[0] && !cok[1] && cok[2] && cok[3]);
    T_CHECK(rename(gone, dev0) == 0);
    T_CHECK(p->desc->read(p->state, v, ok, 4) == WATTSON_OK);
    T_CHECK(ok[0] && ok[1]);
    plug_close(p);
out:
    tl_rmtree(dir);
}

static void test_readerr(void)
{
    struct plug *p = tl_load("readerr", NULL, 0);
    double v[1];
    uint8_t ok[1];
    int i;

    if (!p)
        return;
    T_CHECK(p->inv.n_devices == 1 && p->inv.n_signals == 1);
    T_STREQ(p->inv.devices[0].name, "rd0");
    T_STREQ(p->inv.signals[0].name, "util");
    for (i = 1; i <= 9; i++) {
        int rc = p->desc->read(p->state, v, ok, 1);

        T_CHECK(rc == (i % 3 == 0 ? WATTSON_ERR : WATTSON_OK));
    }
    plug_close(p);
}

static void test_flaky(void)
{
    struct th_cfg cfg[1] = {{"energy_start", WATTSON_CFG_NUMBER, 995, NULL, 0}};
    struct plug *p = tl_load("flaky", NULL, 0);
    double v[3], prev = 0;
    uint8_t ok[3];
    int i, wraps = 0;

    if (!p)
        return;
    T_CHECK(p->inv.n_signals == 3);
    T_STREQ(p->inv.signals[1].name, "power");
    T_CHECK(p->inv.signals[2].behaviour == WATTSON_COUNTER);
    T_NEAR(p->inv.signals[2].wrap, 1000, 0);
    for (i = 1; i <= 200; i++) {
        T_CHECK(p->desc->read(p->state, v, ok, 3) == WATTSON_OK);
        T_CHECK(ok[1] == (i % 2 == 0));
        T_CHECK(ok[0] && ok[2]);
        if (i == 1)
            T_NEAR(v[2], 7.5, 0);
        if (i == 2)
            T_NEAR(v[1], 20, 0);
        T_CHECK(v[2] >= 0 && v[2] < 1000);
        if (v[2] < prev) {
            wraps++;
            /* 134 * 7.5 = 1005: the 134th read wraps to 5. */
            T_CHECK(i == 134);
            T_NEAR(v[2], 5, 1e-9);
        }
        prev = v[2];
    }
    T_CHECK(wraps == 1);
    plug_close(p);

    p = tl_load("flaky", cfg, 1);
    if (!p)
        return;
    T_CHECK(p->desc->read(p->state, v, ok, 3) == WATTSON_OK);
    T_NEAR(v[2], 2.5, 1e-9);
    T_CHECK(ok[1] == 0);
    plug_close(p);
}

static void test_template(void)
{
    char dir[] = "/tmp/wattson-tmpl-XXXXXX";
    struct th_cfg cfg[2] = {
        {"root", WATTSON_CFG_STRING, 0, dir, 0},
        {"device", WATTSON_CFG_STRING, 0, "pkg7", 0},
    };
    double v[2], c[1], w[1];
    uint8_t ok[2], cok[1];
    uint32_t idx[1] = {0};
    struct plug *p;

    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    tl_write(dir, "temp1_input", "45500\n");
    tl_write(dir, "energy_uj", "123456789\n");
    tl_write(dir, "max_energy_range_uj", "262143328850\n");
    tl_write(dir, "constraint_0_power_limit_uw", "95000000\n");
    tl_write(dir, "constraint_0_max_power_uw", "150000000\n");
    p = tl_load("template", cfg, 2);
    if (!p)
        goto out;
    T_STREQ(p->inv.devices[0].name, "pkg7");
    T_NEAR(p->inv.signals[1].wrap, 262143.32885, 1e-6);
    T_NEAR(p->inv.controls[0].max, 150, 1e-9);
    T_CHECK(p->desc->read(p->state, v, ok, 2) == WATTSON_OK);
    T_CHECK(ok[0] && ok[1]);
    T_NEAR(v[0], 45.5, 1e-9);
    T_NEAR(v[1], 123.456789, 1e-9);
    T_CHECK(p->desc->read_controls(p->state, c, cok, 1) == WATTSON_OK);
    T_NEAR(c[0], 95, 1e-9);
    w[0] = 80;
    T_CHECK(p->desc->write(p->state, idx, w, 1) == WATTSON_OK);
    T_STREQ(tl_slurp(dir, "constraint_0_power_limit_uw"), "80000000\n");
    plug_close(p);
out:
    tl_rmtree(dir);
}

int main(void)
{
    /* The caller's environment must not change the search order tested. */
    unsetenv("WATTSON_PLUGIN_PATH");
    test_load_refusals();
    test_find();
    test_init_failures();
    test_bad_inventory();
    test_ipc_deliver();
    test_recorder();
    test_filectl();
    test_filectl_faults();
    test_readerr();
    test_flaky();
    test_template();
    return t_done("test_loader");
}
