/*
 * test_cpufreq - the cpufreq driver (drivers/cpufreq) through the real
 * plugin loader, against temporary copies of the fixture trees in
 * tests/fixtures/sysfs/cpufreq (copied, so writes never touch git's tree):
 *
 *   twopolicy  acpi-cpufreq, two policies with available frequencies
 *   pstate     intel_pstate, four policies, no available frequencies
 *   broken     policy0's scaling_cur_freq says "<unknown>"; policy1 is
 *              inactive (no readable cpuinfo files)
 *   biglittle  cpufreq-dt, policy0 (related_cpus "0-3", governor
 *              userspace, scaling_setspeed) and policy4 ("4 5", schedutil)
 *
 * The host is drvtest.h's fake: log lines go into a buffer, configuration
 * comes from a small table set per test.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "drvtest.h"
#include "loader/loader.h"
#include "t.h"

#ifndef WATTSON_CPUFREQ_FIXTURES
#define WATTSON_CPUFREQ_FIXTURES "tests/fixtures/sysfs/cpufreq"
#endif

#define POLDIR "/sys/devices/system/cpu/cpufreq"

/* ---- helpers ---------------------------------------------------------- */

static char tc_tmp[1024]; /* this run's scratch directory */

static int tc_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int tc_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* A fresh copy of fixture `name` under the scratch directory; returns its
 * root (static buffer). */
static const char *tc_copy(const char *name)
{
    static char root[4096];
    static int serial;

    snprintf(root, sizeof root, "%s/%s.%d", tc_tmp, name, serial++);
    if (tc_sh("cp -R '%s/%s' '%s'", WATTSON_CPUFREQ_FIXTURES, name, root) != 0)
        fprintf(stderr, "cannot copy fixture %s\n", name);
    return root;
}

/* Whole file ("" if missing). */
static const char *tc_slurp(const char *root, const char *rel)
{
    static char buf[4096];
    char path[4096];
    size_t n = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s%s/%s", root, POLDIR, rel);
    buf[0] = '\0';
    f = fopen(path, "r");
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

static void tc_rm(const char *root, const char *rel)
{
    char path[4096];

    snprintf(path, sizeof path, "%s%s/%s", root, POLDIR, rel);
    if (unlink(path) != 0)
        fprintf(stderr, "cannot remove %s: %s\n", path, strerror(errno));
}

/* Loads cpufreq.so and inits it with `cfgs`; NULL (and *rc, err) on
 * failure. */
static struct plug *tc_load(const struct th_cfg *cfgs, size_t n, int *rc,
                            char *err, size_t errlen)
{
    const char *dirs[] = {WATTSON_PLUGIN_BUILD_DIR};
    struct plug_path sp = {dirs, 1, NULL, 0};
    struct wattson_host h;
    struct plug *p = NULL;
    char *path = NULL;

    err[0] = '\0';
    *rc = plug_find(&sp, "cpufreq", &path, err, errlen);
    if (*rc != 0) {
        fprintf(stderr, "plug_find: %s\n", err);
        return NULL;
    }
    *rc = plug_open(path, &p, err, errlen);
    free(path);
    if (*rc != PLUG_OK) {
        fprintf(stderr, "plug_open: %s\n", err);
        return NULL;
    }
    th_host(&h, NULL, cfgs, n);
    h.seed = 1;
    *rc = plug_init(&p, &h, err, errlen);
    return p;
}

static struct plug *tc_load_root(const char *root, char *err, size_t errlen)
{
    struct th_cfg cfg[] = {{"root", WATTSON_CFG_STRING, 0, root, 0}};
    int rc;
    struct plug *p = tc_load(cfg, 1, &rc, err, errlen);

    if (rc != PLUG_OK)
        fprintf(stderr, "init of %s: %s\n", root, err);
    return p;
}

/* Signal index of `name` on device `dev`. */
static size_t tc_sig(const struct plug *p, uint32_t dev, const char *name)
{
    for (size_t i = 0; i < p->inv.n_signals; i++)
        if (p->inv.signals[i].device == dev &&
            strcmp(p->inv.signals[i].name, name) == 0)
            return i;
    fprintf(stderr, "no signal %s on device %u\n", name, (unsigned)dev);
    return 0;
}

/* ---- tests ------------------------------------------------------------ */

static void test_twopolicy(void)
{
    char err[1024];
    const char *root = tc_copy("twopolicy");
    double v[64], c[8];
    uint8_t ok[64], cok[8];
    struct plug *p;

    /* A third policy with a two-digit number: devices follow the number,
     * not the directory's name order. */
    T_CHECK(tc_sh("cp -R '%s%s/policy2' '%s%s/policy10'", root, POLDIR, root,
                  POLDIR) == 0);
    p = tc_load_root(root, err, sizeof err);
    T_CHECK(p != NULL);
    if (!p)
        return;
    T_CHECK(!(p->desc->flags & WATTSON_PLUGIN_SIMULATED));
    T_CHECK(p->inv.n_devices == 3);
    T_STREQ(p->inv.devices[0].name, "cpufreq0");
    T_STREQ(p->inv.devices[1].name, "cpufreq2");
    T_STREQ(p->inv.devices[2].name, "cpufreq10");
    for (size_t d = 0; d < p->inv.n_devices; d++) {
        T_STREQ(p->inv.devices[d].kind, "cpu");
        T_CHECK(p->inv.devices[d].parent == -1);
    }
    /* Seven signals per device: five clocks in Hz, the governor flag and
     * the CPU count. */
    T_CHECK(p->inv.n_signals == 21);
    for (size_t i = 0; i < p->inv.n_signals; i++)
        T_STREQ(p->inv.signals[i].unit, i % 7 < 5 ? "Hz" : "1");
    T_STREQ(p->inv.signals[0].name, "freq");
    T_STREQ(p->inv.signals[1].name, "freq_min");
    T_STREQ(p->inv.signals[2].name, "freq_max");
    T_STREQ(p->inv.signals[3].name, "cpuinfo_min");
    T_STREQ(p->inv.signals[4].name, "cpuinfo_max");
    T_STREQ(p->inv.signals[5].name, "governor_userspace");
    T_STREQ(p->inv.signals[6].name, "ncpus");
    T_CHECK(p->inv.signals[0].behaviour == WATTSON_GAUGE);
    T_CHECK(p->inv.signals[2].behaviour == WATTSON_GAUGE);
    T_CHECK(p->inv.signals[3].behaviour == WATTSON_CONSTANT);
    T_CHECK(p->inv.signals[4].behaviour == WATTSON_CONSTANT);
    T_CHECK(p->inv.signals[5].behaviour == WATTSON_GAUGE);
    T_CHECK(p->inv.signals[6].behaviour == WATTSON_CONSTANT);
    T_CHECK(th_has(p->inv.signals[5].description, "at init: schedutil"));
    T_CHECK(th_has(p->inv.signals[6].description, "related_cpus: 0 1"));
    T_CHECK(p->inv.signals[7].device == 1);
    /* One freq control per device over the hardware's range. */
    T_CHECK(p->inv.n_controls == 3);
    T_STREQ(p->inv.controls[1].name, "freq");
    T_STREQ(p->inv.controls[1].unit, "Hz");
    T_CHECK(p->inv.controls[1].device == 1);
    T_NEAR(p->inv.controls[1].min, 1.2e9, 0);
    T_NEAR(p->inv.controls[1].max, 3.4e9, 0);
    T_NEAR(p->inv.controls[1].step, 0, 0);
    /* P-state tables from scaling_available_frequencies (listed
     * decreasing in the file), with the modelled powers. */
    T_CHECK(p->inv.n_pstates == 3);
    if (p->inv.n_pstates == 3) {
        const struct wattson_pstate_table *t = &p->inv.pstates[0];
        static const double f[] = {1.2e9, 1.8e9, 2.2e9, 2.8e9, 3.4e9};

        T_CHECK(t->device == 0 && p->inv.pstates[2].device == 2);
        T_CHECK(t->n == 5);
        for (size_t k = 0; k < 5 && k < t->n; k++) {
            T_NEAR(t->freq_hz[k], f[k], 0);
            T_NEAR(t->idle_w[k], 0.3 * 15, 1e-9);
            T_CHECK(t->busy_w[k] >= t->idle_w[k]);
            if (k)
                T_CHECK(t->busy_w[k] > t->busy_w[k - 1]);
        }
        T_NEAR(t->busy_w[4], 15, 1e-9);
        T_NEAR(t->busy_w[0], 4.5 + 10.5 * pow(1.2 / 3.4, 3), 1e-9);
    }
    T_CHECK(th_has(th_logbuf, "cpufreq: 3 policies under"));

    /* Values in Hz from the kHz files. */
    T_CHECK(p->desc->read(p->state, v, ok, 21) == WATTSON_OK);
    for (size_t i = 0; i < 21; i++)
        T_CHECK(ok[i] == 1);
    T_NEAR(v[0], 2.2e9, 0);
    T_NEAR(v[1], 1.2e9, 0);
    T_NEAR(v[2], 3.4e9, 0);
    T_NEAR(v[3], 1.2e9, 0);
    T_NEAR(v[4], 3.4e9, 0);
    T_NEAR(v[5], 0, 0); /* schedutil */
    T_NEAR(v[6], 2, 0); /* related_cpus "0 1" */
    T_NEAR(v[7], 1.4e9, 0);
    T_NEAR(v[9], 2.8e9, 0);
    T_CHECK(tc_sig(p, 1, "freq_max") == 9);
    T_CHECK(tc_sig(p, 2, "cpuinfo_max") == 18);

    /* read_controls is scaling_max_freq. */
    T_CHECK(p->desc->read_controls(p->state, c, cok, 3) == WATTSON_OK);
    T_CHECK(cok[0] && cok[1] && cok[2]);
    T_NEAR(c[0], 3.4e9, 0);
    T_NEAR(c[1], 2.8e9, 0);

    /* A write is scaling_max_freq in kHz, rounded, one line. */
    {
        uint32_t idx[] = {1};
        double val[] = {2.2e9 + 400};

        T_CHECK(p->desc->write(p->state, idx, val, 1) == WATTSON_OK);
        T_STREQ(tc_slurp(root, "policy2/scaling_max_freq"), "2200000\n");
        T_STREQ(tc_slurp(root, "policy0/scaling_max_freq"), "3400000\n");
        T_CHECK(p->desc->read_controls(p->state, c, cok, 3) == WATTSON_OK);
        T_NEAR(c[1], 2.2e9, 0);
        T_CHECK(p->desc->read(p->state, v, ok, 21) == WATTSON_OK);
        T_NEAR(v[9], 2.2e9, 0);
        /* Out of range never reaches the file. */
        val[0] = 5e9;
        T_CHECK(p->desc->write(p->state, idx, val, 1) != WATTSON_OK);
        T_STREQ(tc_slurp(root, "policy2/scaling_max_freq"), "2200000\n");
    }

    /* A vanished file: that value invalid, the others still read. */
    tc_rm(root, "policy0/scaling_cur_freq");
    T_CHECK(p->desc->read(p->state, v, ok, 21) == WATTSON_OK);
    T_CHECK(ok[0] == 0 && ok[1] == 1 && ok[5] == 1 && ok[7] == 1);
    /* A vanished control file: the write fails and names the file. */
    tc_rm(root, "policy0/scaling_max_freq");
    th_log_clear();
    {
        uint32_t idx[] = {0};
        double val[] = {2e9};

        T_CHECK(p->desc->write(p->state, idx, val, 1) != WATTSON_OK);
        T_CHECK(th_has(th_logbuf, "policy0/scaling_max_freq"));
        T_CHECK(p->desc->read_controls(p->state, c, cok, 3) == WATTSON_OK);
        T_CHECK(cok[0] == 0 && cok[1] == 1);
    }
    /* Nothing readable at all: the read itself fails, all invalid. */
    T_CHECK(tc_sh("rm -rf '%s%s'/policy*/scaling_*", root, POLDIR) == 0);
    T_CHECK(p->desc->read(p->state, v, ok, 21) == WATTSON_ERR);
    T_CHECK(ok[0] == 0 && ok[2] == 0 && ok[9] == 0);
    T_CHECK(ok[5] == 0 && ok[12] == 0); /* scaling_governor gone */
    /* The constants were read at init and stay. */
    T_CHECK(ok[3] == 1 && ok[4] == 1 && ok[6] == 1);
    T_NEAR(v[6], 2, 0);
    plug_close(p);
}

static void test_tdp(void)
{
    char err[1024];
    const char *root = tc_copy("twopolicy");
    struct th_cfg cfg[] = {{"root", WATTSON_CFG_STRING, 0, root, 0},
                           {"tdp_w", WATTSON_CFG_NUMBER, 40, NULL, 0}};
    int rc;
    struct plug *p = tc_load(cfg, 2, &rc, err, sizeof err);

    T_CHECK(rc == PLUG_OK && p);
    if (p && p->inv.n_pstates > 0) {
        const struct wattson_pstate_table *t = &p->inv.pstates[0];

        T_NEAR(t->busy_w[t->n - 1], 40, 1e-9);
        T_NEAR(t->idle_w[0], 12, 1e-9);
    }
    plug_close(p);

    cfg[1] = (struct th_cfg){"tdp_w", WATTSON_CFG_STRING, 0, "lots", 0};
    p = tc_load(cfg, 2, &rc, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG && !p);
    T_CHECK(th_has(err, "cpufreq: config key 'tdp_w'"));
    cfg[1] = (struct th_cfg){"tdp_w", WATTSON_CFG_NUMBER, -1, NULL, 0};
    p = tc_load(cfg, 2, &rc, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG && !p);
}

/* big.LITTLE: policy0 (CPUs "0-3", governor userspace, scaling_setspeed)
 * and policy4 (CPUs "4 5", schedutil). */
static void test_biglittle(void)
{
    char err[1024];
    const char *root = tc_copy("biglittle");
    double v[16], c[2];
    uint8_t ok[16], cok[2];
    uint32_t idx[2];
    double val[2];
    struct plug *p = tc_load_root(root, err, sizeof err);

    T_CHECK(p != NULL);
    if (!p)
        return;
    T_CHECK(p->inv.n_devices == 2 && p->inv.n_signals == 14);
    if (p->inv.n_devices != 2 || p->inv.n_signals != 14) {
        plug_close(p);
        return;
    }
    T_STREQ(p->inv.devices[0].name, "cpufreq0");
    T_STREQ(p->inv.devices[1].name, "cpufreq4");
    T_CHECK(tc_sig(p, 0, "governor_userspace") == 5);
    T_CHECK(tc_sig(p, 1, "ncpus") == 13);
    /* The texts the numbers stand for, in the descriptions and the log. */
    T_CHECK(th_has(p->inv.signals[5].description, "at init: userspace"));
    T_CHECK(th_has(p->inv.signals[5].description, "scaling_setspeed"));
    T_CHECK(th_has(p->inv.signals[12].description, "at init: schedutil"));
    T_CHECK(th_has(p->inv.signals[6].description, "related_cpus: 0-3)"));
    T_CHECK(th_has(p->inv.signals[13].description, "related_cpus: 4 5)"));
    T_CHECK(th_has(th_logbuf, "cpufreq0: governor userspace, CPUs 0-3 (4)"));
    T_CHECK(th_has(th_logbuf, "cpufreq4: governor schedutil, CPUs 4 5 (2)"));
    T_CHECK(th_has(p->inv.controls[0].description, "scaling_setspeed"));
    T_CHECK(p->inv.n_pstates == 2);

    T_CHECK(p->desc->read(p->state, v, ok, 14) == WATTSON_OK);
    for (size_t i = 0; i < 14; i++)
        T_CHECK(ok[i] == 1);
    T_NEAR(v[0], 1.008e9, 0);
    T_NEAR(v[5], 1, 0); /* userspace */
    T_NEAR(v[6], 4, 0); /* "0-3" */
    T_NEAR(v[7], 1.8e9, 0);
    T_NEAR(v[12], 0, 0); /* schedutil */
    T_NEAR(v[13], 2, 0); /* "4 5" */

    /* Under userspace the control is scaling_setspeed, read and written;
     * otherwise scaling_max_freq. */
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_CHECK(cok[0] && cok[1]);
    T_NEAR(c[0], 1.008e9, 0);
    T_NEAR(c[1], 1.8e9, 0);
    idx[0] = 0;
    idx[1] = 1;
    val[0] = 1.2e9;
    val[1] = 1.6e9;
    T_CHECK(p->desc->write(p->state, idx, val, 2) == WATTSON_OK);
    T_STREQ(tc_slurp(root, "policy0/scaling_setspeed"), "1200000\n");
    T_STREQ(tc_slurp(root, "policy0/scaling_max_freq"), "1416000\n");
    T_STREQ(tc_slurp(root, "policy4/scaling_max_freq"), "1600000\n");
    T_STREQ(tc_slurp(root, "policy4/scaling_setspeed"), "<unsupported>\n");
    T_CHECK(p->desc->read_controls(p->state, c, cok, 2) == WATTSON_OK);
    T_NEAR(c[0], 1.2e9, 0);
    T_NEAR(c[1], 1.6e9, 0);

    /* The governor is looked at on every call: swap them. */
    T_CHECK(tc_sh("echo schedutil > '%s%s/policy0/scaling_governor' && "
                  "echo userspace > '%s%s/policy4/scaling_governor' && "
                  "echo 1800000 > '%s%s/policy4/scaling_setspeed'",
                  root, POLDIR, root, POLDIR, root, POLDIR) == 0);
    T_CHECK(p->desc->read(p->state, v, ok, 14) == WATTSON_OK);
    T_CHECK(ok[5] && ok[12]);
    T_NEAR(v[5], 0, 0);
    T_NEAR(v[12], 1, 0);
    val[0] = 0.816e9;
    val[1] = 1.008e9;
    T_CHECK(p->desc->write(p->state, idx, val, 2) == WATTSON_OK);
    T_STREQ(tc_slurp(root, "policy0/scaling_max_freq"), "816000\n");
    T_STREQ(tc_slurp(root, "policy0/scaling_setspeed"), "1200000\n");
    T_STREQ(tc_slurp(root, "policy4/scaling_setspeed"), "1008000\n");
    T_STREQ(tc_slurp(root, "policy4/scaling_max_freq"), "1600000\n");

    /* An unreadable governor: the flag is invalid, not 0, and the control
     * falls back to scaling_max_freq. */
    tc_rm(root, "policy4/scaling_governor");
    T_CHECK(p->desc->read(p->state, v, ok, 14) == WATTSON_OK);
    T_CHECK(ok[12] == 0 && ok[11] == 1);
    val[0] = 1.2e9;
    T_CHECK(p->desc->write(p->state, idx + 1, val, 1) == WATTSON_OK);
    T_STREQ(tc_slurp(root, "policy4/scaling_max_freq"), "1200000\n");
    plug_close(p);

    /* userspace without a scaling_setspeed file: scaling_max_freq. */
    root = tc_copy("biglittle");
    tc_rm(root, "policy0/scaling_setspeed");
    p = tc_load_root(root, err, sizeof err);
    T_CHECK(p != NULL);
    if (!p)
        return;
    T_CHECK(th_has(p->inv.signals[5].description, "writes scaling_max_freq"));
    val[0] = 1.2e9;
    T_CHECK(p->desc->write(p->state, idx, val, 1) == WATTSON_OK);
    T_STREQ(tc_slurp(root, "policy0/scaling_max_freq"), "1200000\n");
    plug_close(p);
}

/* related_cpus in other forms: a cpulist with ranges and commas, single
 * CPUs, and text that is no CPU list (ncpus invalid, never 0). */
static void test_ncpus_forms(void)
{
    static const struct {
        const char *text;
        double n; /* 0: invalid */
    } cases[] = {
        {"0-3,8-11\n", 8}, {"0 2 4\n", 3}, {"7\n", 1},
        {"0-3 4 5\n", 6},  {"3-1\n", 0},   {"\n", 0},
        {"0-\n", 0},       {"cpu0\n", 0},  {"0-2:1/2\n", 0},
    };
    char err[1024];
    double v[16];
    uint8_t ok[16];

    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *root = tc_copy("biglittle");
        struct plug *p;
        char path[4300];
        FILE *f;

        snprintf(path, sizeof path, "%s%s/policy4/related_cpus", root, POLDIR);
        f = fopen(path, "w");
        T_CHECK(f != NULL);
        if (!f)
            continue;
        fputs(cases[k].text, f);
        fclose(f);
        p = tc_load_root(root, err, sizeof err);
        T_CHECK(p != NULL && p->inv.n_signals == 14);
        if (!p || p->inv.n_signals != 14) {
            plug_close(p);
            continue;
        }
        T_CHECK(p->desc->read(p->state, v, ok, 14) == WATTSON_OK);
        if (cases[k].n > 0) {
            T_CHECK(ok[13] == 1);
            T_NEAR(v[13], cases[k].n, 0);
        } else {
            T_CHECK(ok[13] == 0);
        }
        T_CHECK(ok[6] == 1);
        plug_close(p);
    }
}

/* tdp_w as a list (one per policyN directory) and as a table keyed by
 * policy name, and every way of getting it wrong. */
static void test_tdp_forms(void)
{
    char err[1024];
    const char *root = tc_copy("biglittle");
    int rc;
    struct plug *p;

    /* A list in policy order. */
    {
        struct th_cfg cfg[] = {{"root", WATTSON_CFG_STRING, 0, root, 0},
                               {"tdp_w", WATTSON_CFG_TABLE, 0, NULL, 0},
                               {"tdp_w.1", WATTSON_CFG_NUMBER, 2, NULL, 0},
                               {"tdp_w.2", WATTSON_CFG_NUMBER, 8, NULL, 0}};

        p = tc_load(cfg, 4, &rc, err, sizeof err);
        T_CHECK(rc == PLUG_OK && p && p->inv.n_pstates == 2);
        if (p && p->inv.n_pstates == 2) {
            const struct wattson_pstate_table *a = &p->inv.pstates[0],
                                              *b = &p->inv.pstates[1];

            T_NEAR(a->busy_w[a->n - 1], 2, 1e-9);
            T_NEAR(a->idle_w[0], 0.6, 1e-9);
            T_NEAR(b->busy_w[b->n - 1], 8, 1e-9);
            T_NEAR(b->idle_w[0], 2.4, 1e-9);
            /* Not scaled by ncpus (4 and 2). */
            T_CHECK(th_has(th_logbuf, "cpufreq4: governor schedutil, CPUs 4 "
                                      "5 (2), tdp_w 8 W"));
        }
        plug_close(p);
    }
    /* A table by name: the unnamed policy keeps 15 W. */
    {
        struct th_cfg cfg[] = {
            {"root", WATTSON_CFG_STRING, 0, root, 0},
            {"tdp_w", WATTSON_CFG_TABLE, 0, NULL, 0},
            {"tdp_w.policy4", WATTSON_CFG_NUMBER, 6, NULL, 0}};

        p = tc_load(cfg, 3, &rc, err, sizeof err);
        T_CHECK(rc == PLUG_OK && p && p->inv.n_pstates == 2);
        if (p && p->inv.n_pstates == 2) {
            const struct wattson_pstate_table *a = &p->inv.pstates[0],
                                              *b = &p->inv.pstates[1];

            T_NEAR(a->busy_w[a->n - 1], 15, 1e-9);
            T_NEAR(b->busy_w[b->n - 1], 6, 1e-9);
        }
        plug_close(p);
    }
    /* Errors, each naming its key. */
    {
        static const struct {
            const char *key;
            int type;
            double num;
            const char *want;
        } bad[] = {
            {"tdp_w.policy7", WATTSON_CFG_NUMBER, 5,
             "cpufreq: config key 'tdp_w.policy7': no such policy"},
            {"tdp_w.policy0", WATTSON_CFG_NUMBER, -3,
             "config key 'tdp_w.policy0': -3 W must be in (0, 10000]"},
            {"tdp_w.policy4", WATTSON_CFG_STRING, 0,
             "config key 'tdp_w.policy4': expected a number"},
            {"tdp_w.big", WATTSON_CFG_NUMBER, 5,
             "config key 'tdp_w.big': not a policy name (policyN) or a list "
             "index"},
            {"tdp_w.3", WATTSON_CFG_NUMBER, 5,
             "config key 'tdp_w.3': no such policy (2 policies)"},
            {"tdp_w.1", WATTSON_CFG_NUMBER, 5,
             "config key 'tdp_w': a list of 1 for 2 policies"},
        };

        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
            struct th_cfg cfg[] = {
                {"root", WATTSON_CFG_STRING, 0, root, 0},
                {"tdp_w", WATTSON_CFG_TABLE, 0, NULL, 0},
                {bad[k].key, bad[k].type, bad[k].num, "x", 0}};

            p = tc_load(cfg, 3, &rc, err, sizeof err);
            T_CHECK(rc == PLUG_ERR_CONFIG && !p);
            T_CHECK(th_has(err, bad[k].want));
            T_CHECK(!strchr(err, '\n'));
        }
    }
    /* A bool is neither a number nor a table. */
    {
        struct th_cfg cfg[] = {{"root", WATTSON_CFG_STRING, 0, root, 0},
                               {"tdp_w", WATTSON_CFG_BOOL, 0, NULL, 1}};

        p = tc_load(cfg, 2, &rc, err, sizeof err);
        T_CHECK(rc == PLUG_ERR_CONFIG && !p);
        T_CHECK(th_has(err, "config key 'tdp_w': expected a number, a list"));
    }
    /* List positions follow the policyN directories, inactive ones
     * included: broken has policy0 and an inactive policy1. */
    {
        const char *broot = tc_copy("broken");
        struct th_cfg cfg[] = {{"root", WATTSON_CFG_STRING, 0, broot, 0},
                               {"tdp_w", WATTSON_CFG_TABLE, 0, NULL, 0},
                               {"tdp_w.1", WATTSON_CFG_NUMBER, 4, NULL, 0},
                               {"tdp_w.2", WATTSON_CFG_NUMBER, 9, NULL, 0}};

        p = tc_load(cfg, 4, &rc, err, sizeof err);
        T_CHECK(rc == PLUG_OK && p && p->inv.n_pstates == 1);
        if (p && p->inv.n_pstates == 1)
            T_NEAR(p->inv.pstates[0].busy_w[p->inv.pstates[0].n - 1], 4, 1e-9);
        plug_close(p);
    }
}

static void test_pstate(void)
{
    char err[1024];
    const char *root = tc_copy("pstate");
    double v[32], c[4];
    uint8_t ok[32], cok[4];
    struct plug *p = tc_load_root(root, err, sizeof err);

    T_CHECK(p != NULL);
    if (!p)
        return;
    T_CHECK(p->inv.n_devices == 4);
    T_STREQ(p->inv.devices[3].name, "cpufreq3");
    T_CHECK(p->inv.n_signals == 28);
    T_CHECK(p->inv.n_controls == 4);
    T_NEAR(p->inv.controls[0].min, 0.8e9, 0);
    T_NEAR(p->inv.controls[0].max, 4.7e9, 0);
    /* intel_pstate lists no frequencies: no P-state table. */
    T_CHECK(p->inv.n_pstates == 0 && p->inv.pstates == NULL);
    T_CHECK(p->desc->read(p->state, v, ok, 28) == WATTSON_OK);
    for (size_t d = 0; d < 4; d++) {
        T_CHECK(ok[d * 7]);
        T_NEAR(v[d * 7], 1e9 + 0.5e9 * (double)d, 0);
        T_NEAR(v[d * 7 + 2], 4.7e9, 0);
        /* powersave is not userspace; one CPU per policy. */
        T_CHECK(ok[d * 7 + 5] && ok[d * 7 + 6]);
        T_NEAR(v[d * 7 + 5], 0, 0);
        T_NEAR(v[d * 7 + 6], 1, 0);
    }
    T_CHECK(p->desc->read_controls(p->state, c, cok, 4) == WATTSON_OK);
    T_NEAR(c[3], 4.7e9, 0);
    {
        uint32_t idx[] = {3, 0};
        double val[] = {3e9, 0.8e9};

        T_CHECK(p->desc->write(p->state, idx, val, 2) == WATTSON_OK);
        T_STREQ(tc_slurp(root, "policy3/scaling_max_freq"), "3000000\n");
        T_STREQ(tc_slurp(root, "policy0/scaling_max_freq"), "800000\n");
    }
    plug_close(p);
}

static void test_broken(void)
{
    char err[1024];
    const char *root = tc_copy("broken");
    double v[8];
    uint8_t ok[8];
    struct plug *p = tc_load_root(root, err, sizeof err);

    T_CHECK(p != NULL);
    if (!p)
        return;
    /* The inactive policy1 is left out, with a warning. */
    T_CHECK(p->inv.n_devices == 1);
    T_STREQ(p->inv.devices[0].name, "cpufreq0");
    T_CHECK(th_has(th_logbuf, "policy1 left out"));
    T_CHECK(p->inv.n_pstates == 1);
    /* "<unknown>" is invalid, not zero; the rest reads. */
    v[0] = 123;
    T_CHECK(p->desc->read(p->state, v, ok, 7) == WATTSON_OK);
    T_CHECK(ok[0] == 0);
    T_CHECK(ok[1] == 1 && ok[2] == 1 && ok[3] == 1 && ok[4] == 1);
    T_CHECK(ok[5] == 1 && ok[6] == 1);
    T_NEAR(v[5], 0, 0); /* ondemand */
    T_NEAR(v[6], 1, 0);
    T_NEAR(v[1], 1e9, 0);
    T_NEAR(v[2], 2e9, 0);
    /* Permission denied (only meaningful when not root). */
    if (geteuid() != 0) {
        char path[4096];

        snprintf(path, sizeof path, "%s%s/policy0/scaling_min_freq", root,
                 POLDIR);
        T_CHECK(chmod(path, 0) == 0);
        T_CHECK(p->desc->read(p->state, v, ok, 7) == WATTSON_OK);
        T_CHECK(ok[1] == 0 && ok[2] == 1);
        snprintf(path, sizeof path, "%s%s/policy0/scaling_max_freq", root,
                 POLDIR);
        T_CHECK(chmod(path, 0444) == 0);
        {
            uint32_t idx[] = {0};
            double val[] = {1.5e9};

            th_log_clear();
            T_CHECK(p->desc->write(p->state, idx, val, 1) != WATTSON_OK);
            T_CHECK(th_has(th_logbuf, "Permission denied"));
        }
    } else {
        t_skip("test_cpufreq: root reads and writes mode-000 files: "
               "permission denied is tested only as another user");
    }
    /* A directory where the file should be reads as invalid too. */
    tc_rm(root, "policy0/scaling_min_freq");
    T_CHECK(tc_sh("mkdir '%s%s/policy0/scaling_min_freq'", root, POLDIR) == 0);
    T_CHECK(p->desc->read(p->state, v, ok, 7) == WATTSON_OK);
    T_CHECK(ok[1] == 0 && ok[2] == 1);
    plug_close(p);
}

static void test_unsupported(void)
{
    char err[1024], root[4096], want[4600];
    int rc;
    struct th_cfg cfg[] = {{"root", WATTSON_CFG_STRING, 0, root, 0}};
    struct plug *p;

    /* An empty root: no cpufreq directory at all. */
    snprintf(root, sizeof root, "%s/empty", tc_tmp);
    T_CHECK(mkdir(root, 0755) == 0);
    p = tc_load(cfg, 1, &rc, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT && !p);
    snprintf(want, sizeof want,
             "init failed: cpufreq: no cpufreq policies under %s" POLDIR
             " (No such file or directory)",
             root);
    T_CHECK(th_has(err, want));
    T_CHECK(!strchr(err, '\n'));

    /* The directory without policies. */
    T_CHECK(tc_sh("mkdir -p '%s%s'", root, POLDIR) == 0);
    p = tc_load(cfg, 1, &rc, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT && !p);
    T_CHECK(th_has(err, "cpufreq: no cpufreq policies under"));
    T_CHECK(th_has(err, "(no policyN directories)"));

    /* Only unusable policies. */
    T_CHECK(tc_sh("mkdir -p '%s%s/policy0'", root, POLDIR) == 0);
    p = tc_load(cfg, 1, &rc, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT && !p);
    T_CHECK(th_has(err, "cpufreq: no cpufreq policies under"));

    /* root of the wrong type is a lab error. */
    cfg[0] = (struct th_cfg){"root", WATTSON_CFG_NUMBER, 1, NULL, 0};
    p = tc_load(cfg, 1, &rc, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG && !p);
    T_CHECK(th_has(err, "config key 'root'"));
}

/* Without `root` the prefix comes from $WATTSON_SYSFS_ROOT. */
static void test_env_root(void)
{
    char err[1024];
    const char *root = tc_copy("twopolicy");
    int rc;
    struct plug *p;

    T_CHECK(setenv("WATTSON_SYSFS_ROOT", root, 1) == 0);
    p = tc_load(NULL, 0, &rc, err, sizeof err);
    T_CHECK(rc == PLUG_OK && p && p->inv.n_devices == 2);
    plug_close(p);
    /* A trailing slash does not matter. */
    {
        char slashed[4200];

        snprintf(slashed, sizeof slashed, "%s/", root);
        T_CHECK(setenv("WATTSON_SYSFS_ROOT", slashed, 1) == 0);
        p = tc_load(NULL, 0, &rc, err, sizeof err);
        T_CHECK(rc == PLUG_OK && p && p->inv.n_devices == 2);
        T_CHECK(strstr(th_logbuf, "//sys") == NULL);
        plug_close(p);
    }
    unsetenv("WATTSON_SYSFS_ROOT");
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(tc_tmp, sizeof tc_tmp, "%s/wattson-cpufreq.XXXXXX",
             tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tc_tmp)) {
        perror("mkdtemp");
        return 1;
    }
    unsetenv("WATTSON_SYSFS_ROOT");
    test_twopolicy();
    test_tdp();
    test_pstate();
    test_broken();
    test_biglittle();
    test_ncpus_forms();
    test_tdp_forms();
    test_unsupported();
    test_env_root();
    tc_sh("chmod -R u+rwX '%s'; rm -rf '%s'", tc_tmp, tc_tmp);
    return t_done("test_cpufreq");
}
