/*
 * cpufreq - Linux cpufreq policies as wattson devices (issue #6).
 *
 * Reads /sys/devices/system/cpu/cpufreq/policyN/ (see the kernel's
 * Documentation/admin-guide/pm/cpufreq.rst); every value there is in kHz.
 * One device per policy directory, named "cpufreqN", kind "cpu", in
 * policy-number order, with:
 *
 *   signal  freq         gauge     Hz  scaling_cur_freq
 *   signal  freq_min     gauge     Hz  scaling_min_freq
 *   signal  freq_max     gauge     Hz  scaling_max_freq
 *   signal  cpuinfo_min  constant  Hz  cpuinfo_min_freq (read at init)
 *   signal  cpuinfo_max  constant  Hz  cpuinfo_max_freq (read at init)
 *   signal  governor_userspace gauge 1  scaling_governor: 1 while it is
 *                                      "userspace", else 0 (read each tick)
 *   signal  ncpus        constant  1   number of CPUs in related_cpus
 *                                      (read at init)
 *   control freq                   Hz  the frequency target: written to
 *                                      scaling_setspeed while the governor
 *                                      is userspace and the policy has that
 *                                      file, else to scaling_max_freq (the
 *                                      highest clock the governor may
 *                                      pick); read back from the same file;
 *                                      range cpuinfo_min..cpuinfo_max
 *
 * Signals are numbers, so the governor's name and the CPU list are text
 * only in the descriptions of governor_userspace and ncpus (the governor
 * as it was at init) and in one info log line per policy; the ABI's device
 * descriptor has no free-text field.  related_cpus is parsed in both forms
 * the kernel uses, "0 1 2 3" (cpufreq) and "0-3,8" (cpulist); anything
 * else leaves ncpus invalid.
 *
 * and, when scaling_available_frequencies exists (acpi-cpufreq; not
 * intel_pstate or amd-pstate), an ABI 1.1 P-state table whose powers are a
 * model, not a measurement (see pstate_model below and README.md).
 *
 * Lab configuration (the plugin's entry in the lab file):
 *
 *   root   string  $WATTSON_SYSFS_ROOT or ""  prefix put before /sys (a
 *                  fixture tree); relative: against the lab's directory
 *   tdp_w  number  15   power of one policy fully busy at its top clock, W,
 *                       for the P-state model: one number for every
 *                       policy; or a list, one entry per policyN directory
 *                       in policy-number order (inactive policies count);
 *                       or a table keyed by policy name, { policy0 = 5,
 *                       policy4 = 2 } (unnamed policies keep 15 W).  It is
 *                       the policy's power, whatever its number of CPUs:
 *                       the model does not scale it by ncpus.  A negative
 *                       or non-number value, a list of the wrong length,
 *                       a key naming no policyN directory: init fails with
 *                       WATTSON_ERR_CONFIG naming the key
 *                       ("'tdp_w.policy7': no such policy").
 *
 * The plugin is not flagged simulated: the host holds its writes back
 * unless wattson runs with --allow-writes.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drvutil.h" /* root, reads, writes, string pool: drivers/common */
#include "wattson/plugin.h"

#define CF_SYSDIR "/sys/devices/system/cpu/cpufreq"
#define CF_KHZ 1e3         /* Hz per kHz: every cpufreq file is in kHz */
#define CF_TDP_W 15.0      /* default tdp_w, W per policy */
#define CF_STATIC_FRAC 0.3 /* share of tdp_w the model calls static */
#define CF_TEMP_REF_C 60.0 /* die temperature the model's powers hold at */
#define CF_MAX_STATES 64   /* the loader's PLUG_MAX_PSTATES */
#define CF_MAX_POLICIES 4096

/*
 * The hardware interface as data (GEOPM style, as plugins/template): the
 * file in each policy directory and whether it is read every tick.
 */
enum {
    CF_A_CUR,
    CF_A_SMIN,
    CF_A_SMAX,
    CF_A_CMIN,
    CF_A_CMAX,
    CF_A_GOV,      /* scaling_governor: text */
    CF_A_SETSPEED, /* scaling_setspeed: kHz under the userspace governor */
    CF_A_RELATED,  /* related_cpus: a CPU list */
    CF_NATTR
};

static const char *const cf_files[CF_NATTR] = {
    [CF_A_CUR] = "scaling_cur_freq",      [CF_A_SMIN] = "scaling_min_freq",
    [CF_A_SMAX] = "scaling_max_freq",     [CF_A_CMIN] = "cpuinfo_min_freq",
    [CF_A_CMAX] = "cpuinfo_max_freq",     [CF_A_GOV] = "scaling_governor",
    [CF_A_SETSPEED] = "scaling_setspeed", [CF_A_RELATED] = "related_cpus",
};

/* How a signal's file is read. */
enum { CF_P_KHZ, CF_P_GOV };

/* A device's signals, in inventory order; each reads one attribute.  A
 * NULL description is the policy's own text (struct cf_policy). */
struct cf_sig {
    const char *name;
    int attr;
    int behaviour;
    const char *unit;
    int parse; /* CF_P_*; constants come from konst[] */
    const char *description;
};

enum { CF_NSIG = 7, CF_S_GOV = 5, CF_S_NCPUS = 6 };

static const struct cf_sig cf_sigs[CF_NSIG] = {
    {WATTSON_SIG_FREQ, CF_A_CUR, WATTSON_GAUGE, "Hz", CF_P_KHZ,
     "current clock (scaling_cur_freq)"},
    {"freq_min", CF_A_SMIN, WATTSON_GAUGE, "Hz", CF_P_KHZ,
     "lowest clock the governor may pick (scaling_min_freq)"},
    {"freq_max", CF_A_SMAX, WATTSON_GAUGE, "Hz", CF_P_KHZ,
     "highest clock the governor may pick (scaling_max_freq)"},
    {"cpuinfo_min", CF_A_CMIN, WATTSON_CONSTANT, "Hz", CF_P_KHZ,
     "lowest clock of the hardware (cpuinfo_min_freq)"},
    {"cpuinfo_max", CF_A_CMAX, WATTSON_CONSTANT, "Hz", CF_P_KHZ,
     "highest clock of the hardware (cpuinfo_max_freq)"},
    [CF_S_GOV] = {"governor_userspace", CF_A_GOV, WATTSON_GAUGE, "1", CF_P_GOV,
                  NULL},
    [CF_S_NCPUS] = {"ncpus", CF_A_RELATED, WATTSON_CONSTANT, "1", CF_P_KHZ,
                    NULL},
};

/* The one control of each device and the attribute it writes. */
#define CF_CTL_ATTR CF_A_SMAX

struct cf_policy {
    unsigned num;                  /* N of policyN */
    char name[24];                 /* "cpufreqN" */
    const char *path[CF_NATTR];    /* precomputed at init, in cf.strs */
    double konst[CF_NATTR];        /* constants, Hz (cpuinfo_*) */
    int have_konst[CF_NATTR];      /* the constant could be read */
    double freq_hz[CF_MAX_STATES]; /* P-state table, when any */
    double busy_w[CF_MAX_STATES];
    double idle_w[CF_MAX_STATES];
    size_t n_states;
    double tdp_w;        /* the P-state model's power, W */
    int has_setspeed;    /* scaling_setspeed exists */
    char gov_desc[160];  /* governor_userspace's description */
    char cpus_desc[160]; /* ncpus's description */
};

/* Everything the plugin owns; freed by fini (or by init on failure). */
struct cf {
    const struct wattson_host *host; /* valid until fini */
    struct drv_strs strs;            /* every path, freed together */
    const char *dir;                 /* ROOT/sys/devices/system/cpu/cpufreq */
    struct cf_policy *pol;
    size_t n_pol;
    struct wattson_device_desc *devices;
    struct wattson_signal_desc *signals;
    struct wattson_control_desc *controls;
    struct wattson_pstate_table *pstates;
    size_t n_pstates;
};

/* Reads one kHz file (one decimal integer, drv_read_int's rule) as Hz.
 * 0, or -1 when unreadable or not a number ("<unknown>", empty). */
static int cf_read_hz(const char *path, double *hz)
{
    double khz;

    if (drv_read_int(path, 0, &khz) != 0)
        return -1;
    *hz = khz * CF_KHZ;
    return 0;
}

/* Reads a one-word text file ("userspace\n") without its trailing
 * blanks.  0, or -1 (errno set; EINVAL when empty). */
static int cf_read_word(const char *path, char *buf, size_t size)
{
    size_t n;

    if (drv_read_text(path, buf, size) != 0)
        return -1;
    n = strlen(buf);
    /* drv_read_text cut newlines and spaces; a tab may be left. */
    while (n > 0 && (buf[n - 1] == '\t' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    if (n == 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/* The number of CPUs in a CPU list: cpufreq's "0 1 2 3" or the cpulist
 * form "0-3,8-11" (blanks, commas and newlines separate; N-M is a range).
 * -1 for anything else, or an empty list. */
static long cf_count_cpus(const char *s)
{
    long n = 0;

    for (;;) {
        unsigned long a, b;
        char *end;

        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == ',')
            s++;
        if (*s == '\0')
            break;
        if (*s < '0' || *s > '9')
            return -1;
        errno = 0;
        a = b = strtoul(s, &end, 10);
        if (errno != 0)
            return -1;
        s = end;
        if (*s == '-') {
            s++;
            if (*s < '0' || *s > '9')
                return -1;
            b = strtoul(s, &end, 10);
            if (errno != 0 || b < a)
                return -1;
            s = end;
        }
        if (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n' && *s != ',')
            return -1;
        if (b - a >= 1048576 || (n += (long)(b - a + 1)) > 1048576)
            return -1;
    }
    return n > 0 ? n : -1;
}

/* Is the policy's governor "userspace" now?  1, 0, or -1 unreadable. */
static int cf_gov_userspace(const struct cf_policy *p)
{
    char gov[64];

    if (cf_read_word(p->path[CF_A_GOV], gov, sizeof gov) != 0)
        return -1;
    return strcmp(gov, "userspace") == 0;
}

/* The file the freq control reads and writes: scaling_setspeed while the
 * governor is userspace and the policy has that file, else
 * scaling_max_freq.  Decided at every call (the governor may change under
 * wattson); uses only the stack. */
static const char *cf_ctl_path(const struct cf_policy *p)
{
    if (p->has_setspeed && cf_gov_userspace(p) == 1)
        return p->path[CF_A_SETSPEED];
    return p->path[CF_CTL_ATTR];
}

static int cf_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/*
 * The P-state power model.  cpufreq says nothing about power, so this is
 * an estimate a broker can work with, deliberately on the high side:
 *
 *   busy(f) = static + dynamic * (f / f_top)^3,  idle(f) = static
 *   static  = CF_STATIC_FRAC * tdp_w,  dynamic = tdp_w - static
 *
 * (dynamic power ~ C V^2 f with V roughly proportional to f), so the top
 * state draws tdp_w fully busy.  f_top is the table's highest state.
 */
static void cf_pstate_model(struct cf_policy *p, double tdp_w)
{
    double f_top = p->freq_hz[p->n_states - 1];
    double stat = CF_STATIC_FRAC * tdp_w, dyn = tdp_w - stat;

    for (size_t k = 0; k < p->n_states; k++) {
        double r = p->freq_hz[k] / f_top;

        p->busy_w[k] = stat + dyn * r * r * r;
        p->idle_w[k] = stat;
    }
}

/* scaling_available_frequencies: kHz values separated by blanks, in the
 * driver's order (acpi-cpufreq lists them decreasing).  Sorted increasing,
 * duplicates dropped; above CF_MAX_STATES states an even subset is kept,
 * lowest and highest included.  No file or no number: no table. */
static void cf_read_states(struct cf *t, struct cf_policy *p, const char *dir,
                           double tdp_w)
{
    const char *path =
        drv_fmt(&t->strs, "%s/scaling_available_frequencies", dir);
    char buf[4096], *s, *end;
    double all[512];
    size_t n = 0, m = 0;

    p->n_states = 0;
    if (!path || drv_read_text(path, buf, sizeof buf) != 0)
        return;
    for (s = buf; n < sizeof all / sizeof all[0];) {
        unsigned long long v;

        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (*s < '0' || *s > '9')
            break;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s)
            break;
        s = end;
        if (v > 0)
            all[n++] = (double)v * CF_KHZ;
    }
    if (n == 0)
        return;
    qsort(all, n, sizeof all[0], cf_cmp_double);
    for (size_t i = 0; i < n; i++)
        if (m == 0 || all[i] > all[m - 1])
            all[m++] = all[i];
    if (m <= CF_MAX_STATES) {
        memcpy(p->freq_hz, all, m * sizeof all[0]);
        p->n_states = m;
    } else {
        for (size_t k = 0; k < CF_MAX_STATES; k++)
            p->freq_hz[k] = all[k * (m - 1) / (CF_MAX_STATES - 1)];
        p->n_states = CF_MAX_STATES;
    }
    cf_pstate_model(p, tdp_w);
}

static int cf_policy_cmp(const void *a, const void *b)
{
    const struct cf_policy *x = a, *y = b;

    return (x->num > y->num) - (x->num < y->num);
}

/* "policyN" with N decimal: N, else -1. */
static long cf_policy_num(const char *name)
{
    char *end;
    unsigned long v;

    if (strncmp(name, "policy", 6) != 0 || name[6] < '0' || name[6] > '9')
        return -1;
    errno = 0;
    v = strtoul(name + 6, &end, 10);
    if (errno != 0 || *end != '\0' || v > 0xffffffu)
        return -1;
    return (long)v;
}

static void cf_free(struct cf *t)
{
    if (!t)
        return;
    drv_strs_free(&t->strs);
    free(t->pol);
    free(t->devices);
    free(t->signals);
    free(t->controls);
    free(t->pstates);
    free(t);
}

/* Optional number at `key`: keeps *out when absent, refuses other types. */
static int cf_cfg_number(const struct wattson_host *h, const char *key,
                         double *out, char *err, size_t errlen)
{
    int type = h->cfg_type(h->ctx, key);

    if (type == WATTSON_CFG_NONE)
        return WATTSON_OK;
    if (type != WATTSON_CFG_NUMBER) {
        snprintf(err, errlen, "cpufreq: config key '%s': expected a number",
                 key);
        return WATTSON_ERR_CONFIG;
    }
    (void)h->cfg_number(h->ctx, key, out);
    if (!isfinite(*out)) {
        snprintf(err, errlen, "cpufreq: config key '%s': not a finite number",
                 key);
        return WATTSON_ERR_CONFIG;
    }
    return WATTSON_OK;
}

/* A tdp_w value at `key`: a finite number in (0, 10000] W. */
static int cf_cfg_tdp(const struct wattson_host *h, const char *key,
                      double *out, char *err, size_t errlen)
{
    int rc = cf_cfg_number(h, key, out, err, errlen);

    if (rc != WATTSON_OK)
        return rc;
    if (!(*out > 0 && *out <= 10000)) {
        snprintf(err, errlen,
                 "cpufreq: config key '%s': %g W must be in (0, 10000]", key,
                 *out);
        return WATTSON_ERR_CONFIG;
    }
    return WATTSON_OK;
}

/* root: the lab's, else $WATTSON_SYSFS_ROOT, else "" (the real /sys),
 * resolved by drv_root like every sysfs driver's. */
static int cf_configure(struct cf *t, const struct wattson_host *h,
                        double *tdp_w, char *err, size_t errlen)
{
    const char *root = NULL;
    int rc = drv_root(&t->strs, h, &root, err, errlen);

    if (rc != WATTSON_OK)
        return rc;
    if (!(t->dir = drv_fmt(&t->strs, "%s%s", root, CF_SYSDIR))) {
        snprintf(err, errlen, "cpufreq: out of memory");
        return WATTSON_ERR;
    }
    /* One number is checked now; a list or table once the policies are
     * known (cf_tdp_assign). */
    *tdp_w = CF_TDP_W;
    if (h->cfg_type(h->ctx, "tdp_w") == WATTSON_CFG_TABLE)
        return WATTSON_OK;
    if (h->cfg_type(h->ctx, "tdp_w") == WATTSON_CFG_NUMBER)
        return cf_cfg_tdp(h, "tdp_w", tdp_w, err, errlen);
    if (h->cfg_type(h->ctx, "tdp_w") != WATTSON_CFG_NONE) {
        snprintf(err, errlen,
                 "cpufreq: config key 'tdp_w': expected a number, a list or "
                 "a table keyed by policy name");
        return WATTSON_ERR_CONFIG;
    }
    return WATTSON_OK;
}

/* A key of the tdp_w table: "policyN" (that policy) or "K" (the K-th
 * policyN directory, 1-based): the index into t->pol, or -1 with a
 * message.  *is_index says which form it was. */
static long cf_tdp_key(const struct cf *t, const char *key, int *is_index,
                       char *err, size_t errlen)
{
    long num = cf_policy_num(key);
    char *end;
    unsigned long k;

    *is_index = 0;
    if (num >= 0) {
        for (size_t i = 0; i < t->n_pol; i++)
            if (t->pol[i].num == (unsigned)num)
                return (long)i;
        snprintf(err, errlen, "cpufreq: config key 'tdp_w.%s': no such policy",
                 key);
        return -1;
    }
    if (key[0] >= '1' && key[0] <= '9') {
        errno = 0;
        k = strtoul(key, &end, 10);
        if (errno == 0 && *end == '\0') {
            *is_index = 1;
            if (k <= t->n_pol)
                return (long)k - 1;
            snprintf(err, errlen,
                     "cpufreq: config key 'tdp_w.%s': no such policy (%zu "
                     "policies)",
                     key, t->n_pol);
            return -1;
        }
    }
    snprintf(err, errlen,
             "cpufreq: config key 'tdp_w.%s': not a policy name (policyN) or "
             "a list index",
             key);
    return -1;
}

/* Every policy's tdp_w (before any is left out, so that list positions
 * follow the policyN directories): `all` for each, then the list's or the
 * table's entries. */
static int cf_tdp_assign(struct cf *t, const struct wattson_host *h, double all,
                         char *err, size_t errlen)
{
    size_t n_list = 0, i;
    const char *key;
    char path[96];

    for (i = 0; i < t->n_pol; i++)
        t->pol[i].tdp_w = all;
    if (h->cfg_type(h->ctx, "tdp_w") != WATTSON_CFG_TABLE)
        return WATTSON_OK;
    for (i = 0; (key = h->cfg_key(h->ctx, "tdp_w", i)) != NULL; i++) {
        double v = CF_TDP_W;
        int is_index, rc;
        long k;

        snprintf(path, sizeof path, "tdp_w.%.80s", key);
        if ((rc = cf_cfg_tdp(h, path, &v, err, errlen)) != WATTSON_OK)
            return rc;
        if (h->cfg_type(h->ctx, path) == WATTSON_CFG_NONE) {
            snprintf(err, errlen, "cpufreq: config key '%s': expected a number",
                     path);
            return WATTSON_ERR_CONFIG;
        }
        if ((k = cf_tdp_key(t, key, &is_index, err, errlen)) < 0)
            return WATTSON_ERR_CONFIG;
        t->pol[k].tdp_w = v;
        n_list += (size_t)is_index;
    }
    if (n_list > 0 && n_list != t->n_pol) {
        snprintf(err, errlen,
                 "cpufreq: config key 'tdp_w': a list of %zu for %zu policies "
                 "(one entry per policyN directory, in policy order)",
                 n_list, t->n_pol);
        return WATTSON_ERR_CONFIG;
    }
    return WATTSON_OK;
}

/* Finds the policyN directories, sorted by N. */
static int cf_scan(struct cf *t, char *err, size_t errlen)
{
    DIR *d = opendir(t->dir);
    struct dirent *e;
    size_t cap = 0;

    if (!d) {
        snprintf(err, errlen, "cpufreq: no cpufreq policies under %s (%s)",
                 t->dir, strerror(errno));
        return WATTSON_ERR_UNSUPPORTED;
    }
    while ((e = readdir(d)) != NULL) {
        long num = cf_policy_num(e->d_name);
        char pdir[4096];
        struct stat st;

        if (num < 0)
            continue;
        /* On the stack: a pool string per directory entry would keep
         * every non-directory's name until fini. */
        if ((size_t)snprintf(pdir, sizeof pdir, "%s/%s", t->dir, e->d_name) >=
                sizeof pdir ||
            stat(pdir, &st) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (t->n_pol == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            struct cf_policy *np;

            if (ncap > CF_MAX_POLICIES ||
                !(np = realloc(t->pol, ncap * sizeof *np))) {
                closedir(d);
                snprintf(err, errlen, "cpufreq: too many policies under %s",
                         t->dir);
                return WATTSON_ERR;
            }
            t->pol = np;
            cap = ncap;
        }
        memset(&t->pol[t->n_pol], 0, sizeof t->pol[0]);
        t->pol[t->n_pol++].num = (unsigned)num;
    }
    closedir(d);
    if (t->n_pol == 0) {
        snprintf(err, errlen,
                 "cpufreq: no cpufreq policies under %s (no policyN "
                 "directories)",
                 t->dir);
        return WATTSON_ERR_UNSUPPORTED;
    }
    qsort(t->pol, t->n_pol, sizeof t->pol[0], cf_policy_cmp);
    return WATTSON_OK;
}

/* Paths, constants and the P-state table of policy i.  Returns
 * WATTSON_OK, WATTSON_ERR (out of memory) or 1: the policy is unusable (an
 * inactive policy - all its CPUs offline - answers EBUSY) and is left out
 * with a warning. */
static int cf_policy_setup(struct cf *t, size_t i, char *err, size_t errlen)
{
    struct cf_policy *p = &t->pol[i];
    char gov[64], cpus[256];
    const char *pdir;
    long ncpus;

    snprintf(p->name, sizeof p->name, "cpufreq%u", p->num);
    pdir = drv_fmt(&t->strs, "%s/policy%u", t->dir, p->num);
    if (!pdir)
        goto oom;
    for (int a = 0; a < CF_NATTR; a++)
        if (!(p->path[a] = drv_fmt(&t->strs, "%s/%s", pdir, cf_files[a])))
            goto oom;
    for (int a = CF_A_CMIN; a <= CF_A_CMAX; a++)
        p->have_konst[a] = cf_read_hz(p->path[a], &p->konst[a]) == 0;
    if (!p->have_konst[CF_A_CMIN] || !p->have_konst[CF_A_CMAX] ||
        !(p->konst[CF_A_CMIN] > 0 &&
          p->konst[CF_A_CMIN] <= p->konst[CF_A_CMAX])) {
        t->host->log(t->host->ctx, WATTSON_LOG_WARN,
                     "cpufreq: %s left out: cpuinfo_min_freq/"
                     "cpuinfo_max_freq unreadable or inconsistent",
                     pdir);
        return 1;
    }
    cf_read_states(t, p, pdir, p->tdp_w);
    p->has_setspeed = drv_is_file(p->path[CF_A_SETSPEED]);
    /* The CPU list and the governor are text: into the descriptions. */
    if (cf_read_word(p->path[CF_A_RELATED], cpus, sizeof cpus) != 0)
        snprintf(cpus, sizeof cpus, "unreadable");
    ncpus = cf_count_cpus(cpus);
    p->have_konst[CF_A_RELATED] = ncpus > 0;
    p->konst[CF_A_RELATED] = ncpus > 0 ? (double)ncpus : NAN;
    snprintf(p->cpus_desc, sizeof p->cpus_desc,
             "number of CPUs in the policy (related_cpus: %.64s%s)", cpus,
             strlen(cpus) > 64 ? "..." : "");
    if (cf_read_word(p->path[CF_A_GOV], gov, sizeof gov) != 0)
        snprintf(gov, sizeof gov, "unreadable");
    snprintf(p->gov_desc, sizeof p->gov_desc,
             "1 while scaling_governor is userspace (freq then writes %s), "
             "else 0; at init: %.40s",
             p->has_setspeed ? "scaling_setspeed" : "scaling_max_freq", gov);
    t->host->log(t->host->ctx, WATTSON_LOG_INFO,
                 "cpufreq: %s: governor %.40s, CPUs %.64s (%ld), tdp_w %g W",
                 p->name, gov, cpus, ncpus > 0 ? ncpus : 0, p->tdp_w);
    return WATTSON_OK;
oom:
    snprintf(err, errlen, "cpufreq: out of memory");
    return WATTSON_ERR;
}

static int cf_build(struct cf *t, char *err, size_t errlen)
{
    size_t n = 0, k = 0;
    int rc;

    /* Set every policy up, keeping the usable ones in order. */
    for (size_t i = 0; i < t->n_pol; i++) {
        rc = cf_policy_setup(t, i, err, errlen);
        if (rc == WATTSON_OK) {
            if (n != i)
                t->pol[n] = t->pol[i]; /* paths stay in t->strs */
            n++;
            continue;
        }
        if (rc != 1)
            return rc;
    }
    t->n_pol = n;
    if (n == 0) {
        snprintf(err, errlen,
                 "cpufreq: no cpufreq policies under %s (none has readable "
                 "cpuinfo_min_freq/cpuinfo_max_freq)",
                 t->dir);
        return WATTSON_ERR_UNSUPPORTED;
    }
    t->devices = calloc(n, sizeof *t->devices);
    t->signals = calloc(n * CF_NSIG, sizeof *t->signals);
    t->controls = calloc(n, sizeof *t->controls);
    t->pstates = calloc(n, sizeof *t->pstates);
    if (!t->devices || !t->signals || !t->controls || !t->pstates) {
        snprintf(err, errlen, "cpufreq: out of memory");
        return WATTSON_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        struct cf_policy *p = &t->pol[i];

        t->devices[i] =
            (struct wattson_device_desc){p->name, "cpu", -1, NULL, 0};
        for (size_t s = 0; s < CF_NSIG; s++)
            t->signals[i * CF_NSIG + s] = (struct wattson_signal_desc){
                cf_sigs[s].name,
                (uint32_t)i,
                cf_sigs[s].unit,
                cf_sigs[s].behaviour,
                0,
                s == CF_S_GOV     ? p->gov_desc
                : s == CF_S_NCPUS ? p->cpus_desc
                                  : cf_sigs[s].description};
        t->controls[i] = (struct wattson_control_desc){
            WATTSON_CTL_FREQ,
            (uint32_t)i,
            "Hz",
            p->konst[CF_A_CMIN],
            p->konst[CF_A_CMAX],
            0,
            "frequency target: scaling_setspeed under the userspace "
            "governor, else the highest clock the governor may pick "
            "(scaling_max_freq)"};
        if (p->n_states > 0)
            t->pstates[k++] = (struct wattson_pstate_table){
                (uint32_t)i, p->n_states, p->freq_hz,
                p->busy_w,   p->idle_w,   CF_TEMP_REF_C};
    }
    t->n_pstates = k;
    return WATTSON_OK;
}

static int cf_init(const struct wattson_host *host, void **state,
                   struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct cf *t;
    double tdp_w = CF_TDP_W;
    int rc;

    if ((rc = drv_host_ok(host, err, errlen)) != WATTSON_OK)
        return rc;
    t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "cpufreq: out of memory");
        return WATTSON_ERR;
    }
    t->host = host;
    if ((rc = cf_configure(t, host, &tdp_w, err, errlen)) != WATTSON_OK ||
        (rc = cf_scan(t, err, errlen)) != WATTSON_OK ||
        (rc = cf_tdp_assign(t, host, tdp_w, err, errlen)) != WATTSON_OK ||
        (rc = cf_build(t, err, errlen)) != WATTSON_OK) {
        cf_free(t);
        return rc;
    }
    inv->devices = t->devices;
    inv->n_devices = t->n_pol;
    inv->signals = t->signals;
    inv->n_signals = t->n_pol * CF_NSIG;
    inv->controls = t->controls;
    inv->n_controls = t->n_pol;
    inv->pstates = t->n_pstates ? t->pstates : NULL;
    inv->n_pstates = t->n_pstates;
    host->log(host->ctx, WATTSON_LOG_INFO,
              "cpufreq: %zu policies under %s, %zu with P-state tables "
              "(powers modelled from tdp_w)",
              t->n_pol, t->dir, t->n_pstates);
    *state = t;
    return WATTSON_OK;
}

static void cf_fini(void *state)
{
    cf_free(state);
}

/* Every signal in inventory order.  A file that cannot be read this tick
 * (permission, a policy gone offline, "<unknown>") is invalid, never 0;
 * the read fails only when no file at all could be read. */
static int cf_read(void *state, double *values, uint8_t *valid, size_t n)
{
    const struct cf *t = state;
    size_t tried = 0, ok = 0;

    for (size_t i = 0; i < n; i++) {
        const struct cf_policy *p;
        int a;

        valid[i] = 0;
        values[i] = NAN; /* never a plausible 0 */
        if (i / CF_NSIG >= t->n_pol)
            continue;
        p = &t->pol[i / CF_NSIG];
        a = cf_sigs[i % CF_NSIG].attr;
        if (cf_sigs[i % CF_NSIG].behaviour == WATTSON_CONSTANT) {
            valid[i] = (uint8_t)p->have_konst[a];
            values[i] = p->konst[a];
            continue;
        }
        tried++;
        if (cf_sigs[i % CF_NSIG].parse == CF_P_GOV) {
            int u = cf_gov_userspace(p);

            if (u >= 0) {
                values[i] = u;
                valid[i] = 1;
                ok++;
            }
        } else if (cf_read_hz(p->path[a], &values[i]) == 0) {
            valid[i] = 1;
            ok++;
        }
    }
    return tried > 0 && ok == 0 ? WATTSON_ERR : WATTSON_OK;
}

/* The freq control of every policy (scaling_max_freq, or scaling_setspeed
 * under the userspace governor: cf_ctl_path), for save/restore. */
static int cf_read_controls(void *state, double *values, uint8_t *valid,
                            size_t n)
{
    const struct cf *t = state;
    size_t ok = 0;

    for (size_t i = 0; i < n; i++) {
        valid[i] = 0;
        values[i] = NAN;
        if (i < t->n_pol &&
            cf_read_hz(cf_ctl_path(&t->pol[i]), &values[i]) == 0) {
            valid[i] = 1;
            ok++;
        }
    }
    return n > 0 && ok == 0 ? WATTSON_ERR : WATTSON_OK;
}

/* Hz as the kHz text sysfs wants, in one write (drv_write_text).
 * WATTSON_OK, or the status of the failing call's errno, errno kept. */
static int cf_write_khz(const char *path, double hz)
{
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%.0f\n", round(hz / CF_KHZ));

    return drv_write_text(path, buf, (size_t)len);
}

static int cf_write(void *state, const uint32_t *idx, const double *values,
                    size_t n)
{
    const struct cf *t = state;
    int rc = WATTSON_OK;

    for (size_t i = 0; i < n; i++) {
        const struct wattson_control_desc *c;
        const char *path;

        if (idx[i] >= t->n_pol)
            return WATTSON_ERR;
        c = &t->controls[idx[i]];
        path = cf_ctl_path(&t->pol[idx[i]]);
        /* The host promises finite values in [min, max]; a host bug must
         * still not reach the hardware. */
        if (!isfinite(values[i]) || values[i] < c->min || values[i] > c->max) {
            t->host->log(t->host->ctx, WATTSON_LOG_ERROR,
                         "cpufreq: refusing %g Hz for %s (range %g..%g)",
                         values[i], path, c->min, c->max);
            rc = WATTSON_ERR;
            continue;
        }
        int wrc = cf_write_khz(path, values[i]);
        if (wrc != WATTSON_OK) {
            t->host->log(t->host->ctx, WATTSON_LOG_ERROR,
                         "cpufreq: writing %s: %s", path, strerror(errno));
            /* The first failure's reason: EACCES, ENOENT, EINVAL... */
            if (rc == WATTSON_OK)
                rc = wrc;
        }
    }
    return rc;
}

static const struct wattson_plugin cf_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = 0, /* real hardware: writes need --allow-writes */
    .name = "cpufreq",
    .version = "1.0",
    .description = "cpufreq: Linux cpufreq policies from sysfs",
    .init = cf_init,
    .fini = cf_fini,
    .read = cf_read,
    .write = cf_write,
    .read_controls = cf_read_controls,
};

/* The only exported symbol: plugins build with hidden visibility. */
__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &cf_desc;
}
