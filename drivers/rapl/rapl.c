/*
 * rapl - Linux powercap (Intel RAPL, and AMD through the same interface)
 * as a wattson driver plugin.
 *
 * Every zone ROOT/sys/class/powercap/intel-rapl:N (a package, or psys) and
 * every sub-zone intel-rapl:N:M (core, uncore, dram) becomes one device of
 * kind "rail".  A top-level zone is named by its `name` file ("package-0",
 * "psys"); a sub-zone by its package's name, '/', its own name
 * ("package-0/core").  A name that is missing or already taken is replaced
 * by, or suffixed with, '@' and the zone's directory ("package-0@intel-rapl:1")
 * so names stay unique.  Sub-zones have their package as parent.
 *
 * Signals per zone, in this order, each only when its file exists:
 *
 *   energy          J  counter   energy_uj / 1e6, wraps at
 *                                max_energy_range_uj / 1e6
 *   enabled         1  gauge     enabled (0 or 1)
 *   power_limit_K   W  gauge     constraint_K_power_limit_uw / 1e6
 *   time_window_K   s  gauge     constraint_K_time_window_us / 1e6
 *   max_power_K     W  constant  constraint_K_max_power_uw / 1e6 (left out
 *                                when it does not read at init, or reads 0,
 *                                which means "not given"; a 0 later reads
 *                                as invalid)
 *
 * for K = 0, 1, ... while constraint_K_power_limit_uw exists (the name of
 * constraint K, e.g. long_term, is in the signal's description).  A file
 * that cannot be read is invalid for that tick, never zero; since Linux
 * 5.10 energy_uj is readable by root only, which is logged once at init.
 *
 * Control per zone that has constraint 0 (long term):
 *
 *   power_cap  W  [RAPL_CAP_MIN_W, constraint_0_max_power_uw / 1e6 when
 *                 present and > 0, else RAPL_CAP_MAX_W]; written to
 *                 constraint_0_power_limit_uw in uW with one write().
 *                 write takes any value from 0 to RAPL_CAP_WRITE_MAX_W,
 *                 so a restore puts back a limit found outside the range.
 *
 * Lab configuration: `root` (string) - a prefix put before /sys, relative
 * to the lab's directory when relative; default $WATTSON_SYSFS_ROOT, else
 * "" (the real /sys).  Only intel-rapl zones are read: intel-rapl-mmio
 * duplicates the package zone's limits through another register.
 *
 * All allocation happens in init; read, write and read_controls use
 * only the stack.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drvutil.h"
#include "wattson/plugin.h"

#define RAPL_CLASS "/sys/class/powercap"
#define RAPL_PREFIX "intel-rapl:"
#define RAPL_MAX_ZONES 256
#define RAPL_MAX_CONSTRAINTS 16
/* Lowest cap the host may set: below it a package barely runs. */
#define RAPL_CAP_MIN_W 1.0
/* Highest cap when the zone does not give constraint_0_max_power_uw. */
#define RAPL_CAP_MAX_W 1000.0
/* Highest value write accepts: far above any limit, well within the
 * microwatts an unsigned long long holds. */
#define RAPL_CAP_WRITE_MAX_W 1e12

/* The sysfs attributes as data (GEOPM style, as in plugins/template):
 * file name pattern (%d = constraint index), scale to SI, unit, signal
 * name pattern, behaviour, and whether a 0 in the file means "none". */
struct rapl_attr {
    const char *file;
    double div; /* SI value = file value / div */
    const char *unit;
    const char *signal;
    int behaviour;
    int zero_invalid;
    const char *what;
};

enum { RAPL_A_ENERGY, RAPL_A_ENABLED, RAPL_NZONE_ATTR };
enum { RAPL_C_LIMIT, RAPL_C_WINDOW, RAPL_C_MAXP, RAPL_NCON_ATTR };

static const struct rapl_attr rapl_zone_attrs[RAPL_NZONE_ATTR] = {
    [RAPL_A_ENERGY] = {"energy_uj", 1e6, "J", WATTSON_SIG_ENERGY,
                       WATTSON_COUNTER, 0, "energy"},
    [RAPL_A_ENABLED] = {"enabled", 1, "1", "enabled", WATTSON_GAUGE, 0,
                        "limits enabled"},
};

static const struct rapl_attr rapl_con_attrs[RAPL_NCON_ATTR] = {
    [RAPL_C_LIMIT] = {"constraint_%d_power_limit_uw", 1e6, "W",
                      "power_limit_%d", WATTSON_GAUGE, 0, "power limit"},
    [RAPL_C_WINDOW] = {"constraint_%d_time_window_us", 1e6, "s",
                       "time_window_%d", WATTSON_GAUGE, 0, "time window"},
    [RAPL_C_MAXP] = {"constraint_%d_max_power_uw", 1e6, "W", "max_power_%d",
                     WATTSON_CONSTANT, 1, "max power"},
};

/* How to read one signal or control: its file and scale. */
struct rapl_src {
    const char *path;
    double div;
    int zero_invalid;
};

struct rapl_zone {
    char dir[64]; /* "intel-rapl:0:1" */
    int pkg, sub; /* sub = -1 for a top-level zone */
};

struct rapl {
    const struct wattson_host *host;
    struct drv_strs strs; /* every string init made, freed by fini */
    struct wattson_device_desc *devices;
    struct wattson_signal_desc *signals;
    struct rapl_src *sig_src;
    struct wattson_control_desc *controls;
    struct rapl_src *ctl_src;
    size_t n_dev, n_sig, n_ctl, cap_sig;
};

static void rapl_free(struct rapl *r)
{
    if (!r)
        return;
    drv_strs_free(&r->strs);
    free(r->devices);
    free(r->signals);
    free(r->sig_src);
    free(r->controls);
    free(r->ctl_src);
    free(r);
}

/* One unsigned integer in SI units; -1 when unreadable or not a number
 * (or 0 where 0 means "none"). */
static int rapl_read_src(const struct rapl_src *s, double *out)
{
    double v;

    if (drv_read_int(s->path, 0, &v) != 0 || (v == 0 && s->zero_invalid))
        return -1;
    *out = v / s->div;
    return 0;
}

/* "intel-rapl:N" or "intel-rapl:N:M"; 0 and the numbers, or -1. */
static int rapl_parse_zone(const char *name, int *pkg, int *sub)
{
    const char *p;
    char *end;
    long a, b = -1;

    if (strncmp(name, RAPL_PREFIX, strlen(RAPL_PREFIX)) != 0)
        return -1;
    p = name + strlen(RAPL_PREFIX);
    if (*p < '0' || *p > '9')
        return -1;
    a = strtol(p, &end, 10);
    if (*end == ':') {
        p = end + 1;
        if (*p < '0' || *p > '9')
            return -1;
        b = strtol(p, &end, 10);
    }
    if (*end != '\0' || a > 1000000 || b > 1000000)
        return -1;
    *pkg = (int)a;
    *sub = (int)b;
    return 0;
}

static int rapl_zone_cmp(const void *a, const void *b)
{
    const struct rapl_zone *x = a, *y = b;

    if (x->pkg != y->pkg)
        return x->pkg < y->pkg ? -1 : 1;
    return x->sub < y->sub ? -1 : x->sub > y->sub;
}

/* Adds a signal reading `path`; -1 when out of memory (a NULL name or
 * description is a failed drv_fmt). */
static int rapl_add_signal(struct rapl *r, uint32_t dev, const char *name,
                           const struct rapl_attr *a, const char *path,
                           const char *desc)
{
    if (!name || !path || !desc)
        return -1;
    if (r->n_sig == r->cap_sig) {
        size_t cap = r->cap_sig ? 2 * r->cap_sig : 32;
        struct wattson_signal_desc *s =
            realloc(r->signals, cap * sizeof *r->signals);
        struct rapl_src *src;

        if (!s)
            return -1;
        r->signals = s;
        src = realloc(r->sig_src, cap * sizeof *r->sig_src);
        if (!src)
            return -1;
        r->sig_src = src;
        r->cap_sig = cap;
    }
    r->signals[r->n_sig] =
        (struct wattson_signal_desc){name, dev, a->unit, a->behaviour, 0, desc};
    r->sig_src[r->n_sig] = (struct rapl_src){path, a->div, a->zero_invalid};
    r->n_sig++;
    return 0;
}

/* The device name of zone `z` (see the top of the file). */
static const char *rapl_dev_name(struct rapl *r, const char *zdir,
                                 const struct rapl_zone *z, int parent)
{
    const char *npath = drv_fmt(&r->strs, "%s/name", zdir);
    char buf[128];
    const char *name;
    size_t i;

    if (!npath)
        return NULL;
    if (drv_read_text(npath, buf, sizeof buf) != 0 || !buf[0] ||
        strchr(buf, '/') || strchr(buf, '@'))
        buf[0] = '\0';
    if (!buf[0])
        name = drv_fmt(&r->strs, "%s", z->dir);
    else if (parent >= 0)
        name = drv_fmt(&r->strs, "%s/%s", r->devices[parent].name, buf);
    else
        name = drv_fmt(&r->strs, "%s", buf);
    if (!name)
        return NULL;
    for (i = 0; i < r->n_dev; i++)
        if (strcmp(r->devices[i].name, name) == 0)
            return drv_fmt(&r->strs, "%s@%s", name, z->dir);
    return name;
}

/* One zone: its device, signals and control. */
static int rapl_add_zone(struct rapl *r, const char *class,
                         const struct rapl_zone *z, int parent, int *unreadable,
                         const char **first_unreadable)
{
    uint32_t dev = (uint32_t)r->n_dev;
    const char *zdir = drv_fmt(&r->strs, "%s/%s", class, z->dir);
    const char *dname, *path, *sname;
    char cname[64], probe[64];
    double maxw;
    int a, k;

    if (!zdir || !(dname = rapl_dev_name(r, zdir, z, parent)))
        return -1;
    r->devices[r->n_dev++] =
        (struct wattson_device_desc){dname, "rail", parent, NULL, 0};
    for (a = 0; a < RAPL_NZONE_ATTR; a++) {
        const struct rapl_attr *at = &rapl_zone_attrs[a];

        if (!(path = drv_fmt(&r->strs, "%s/%s", zdir, at->file)))
            return -1;
        if (!drv_is_file(path))
            continue;
        if (rapl_add_signal(r, dev, at->signal, at, path,
                            drv_fmt(&r->strs, "%s %s, from %s", dname, at->what,
                                    path)) != 0)
            return -1;
        if (a == RAPL_A_ENERGY) {
            struct wattson_signal_desc *s = &r->signals[r->n_sig - 1];
            struct rapl_src range = {
                drv_fmt(&r->strs, "%s/max_energy_range_uj", zdir), at->div, 1};
            double w;

            if (!range.path)
                return -1;
            /* The host needs the wrap point to see through a rollover;
             * 0 ("never") only when the kernel does not say. */
            if (rapl_read_src(&range, &w) == 0)
                s->wrap = w;
            if (drv_read_text(path, probe, sizeof probe) != 0 &&
                (errno == EACCES || errno == EPERM)) {
                if (!(*unreadable)++)
                    *first_unreadable = path;
            }
        }
    }
    for (k = 0; k < RAPL_MAX_CONSTRAINTS; k++) {
        char file[64];

        snprintf(file, sizeof file, rapl_con_attrs[RAPL_C_LIMIT].file, k);
        if (!(path = drv_fmt(&r->strs, "%s/%s", zdir, file)))
            return -1;
        if (!drv_is_file(path))
            break;
        if (!(sname = drv_fmt(&r->strs, "%s/constraint_%d_name", zdir, k)))
            return -1;
        if (drv_read_text(sname, cname, sizeof cname) != 0 || !cname[0])
            snprintf(cname, sizeof cname, "constraint %d", k);
        for (a = 0; a < RAPL_NCON_ATTR; a++) {
            const struct rapl_attr *at = &rapl_con_attrs[a];
            char sig[32];

            snprintf(file, sizeof file, at->file, k);
            snprintf(sig, sizeof sig, at->signal, k);
            if (!(path = drv_fmt(&r->strs, "%s/%s", zdir, file)))
                return -1;
            if (!drv_is_file(path))
                continue;
            /* A constant the kernel does not give (a 0, or ENODATA) would
             * be invalid on every tick: leave it out. */
            if (at->behaviour == WATTSON_CONSTANT) {
                struct rapl_src cst = {path, at->div, at->zero_invalid};
                double x;

                if (rapl_read_src(&cst, &x) != 0)
                    continue;
            }
            if (rapl_add_signal(r, dev, drv_fmt(&r->strs, "%s", sig), at, path,
                                drv_fmt(&r->strs, "%s %s %s, from %s", dname,
                                        cname, at->what, path)) != 0)
                return -1;
        }
        if (k != 0)
            continue;
        /* Constraint 0 (long term) is the cap wattson sets. */
        {
            struct rapl_src maxs = {
                drv_fmt(&r->strs, "%s/constraint_0_max_power_uw", zdir), 1e6,
                1};
            struct wattson_control_desc *c = &r->controls[r->n_ctl];

            if (!maxs.path || !(path = drv_fmt(&r->strs, "%s/%s", zdir,
                                               "constraint_0_power_limit_uw")))
                return -1;
            if (rapl_read_src(&maxs, &maxw) != 0 || maxw <= RAPL_CAP_MIN_W)
                maxw = RAPL_CAP_MAX_W;
            *c = (struct wattson_control_desc){
                WATTSON_CTL_POWER_CAP,
                dev,
                "W",
                RAPL_CAP_MIN_W,
                maxw,
                0,
                drv_fmt(&r->strs, "%s %s power limit, written to %s", dname,
                        cname, path)};
            if (!c->description)
                return -1;
            r->ctl_src[r->n_ctl++] = (struct rapl_src){path, 1e6, 0};
        }
    }
    return 0;
}

/* Finds the zones under `class`; returns how many (0 with `why` set). */
static int rapl_scan(const char *class, struct rapl_zone *zones, size_t max,
                     size_t *n, char *why, size_t whylen)
{
    DIR *d = opendir(class);
    struct dirent *e;

    *n = 0;
    if (!d) {
        snprintf(why, whylen, "%s", strerror(errno));
        return -1;
    }
    while ((e = readdir(d)) != NULL && *n < max) {
        struct rapl_zone *z = &zones[*n];

        if (strlen(e->d_name) >= sizeof z->dir ||
            rapl_parse_zone(e->d_name, &z->pkg, &z->sub) != 0)
            continue;
        memcpy(z->dir, e->d_name, strlen(e->d_name) + 1);
        (*n)++;
    }
    closedir(d);
    if (*n == 0)
        snprintf(why, whylen,
                 "no intel-rapl:N zones; is the intel_rapl_msr module "
                 "loaded?");
    qsort(zones, *n, sizeof *zones, rapl_zone_cmp);
    return 0;
}

static int rapl_build(struct rapl *r, const struct wattson_host *h, char *err,
                      size_t errlen)
{
    struct rapl_zone *zones;
    const char *root, *class, *first_unreadable = NULL;
    char why[160];
    size_t n, i, j;
    int rc, unreadable = 0;

    if ((rc = drv_root(&r->strs, h, &root, err, errlen)) != WATTSON_OK)
        return rc;
    if (!(class = drv_fmt(&r->strs, "%s%s", root, RAPL_CLASS)) ||
        !(zones = calloc(RAPL_MAX_ZONES, sizeof *zones))) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    if (rapl_scan(class, zones, RAPL_MAX_ZONES, &n, why, sizeof why) != 0 ||
        n == 0) {
        snprintf(err, errlen, "rapl: no powercap zones under %s (%s)", class,
                 why);
        free(zones);
        return WATTSON_ERR_UNSUPPORTED;
    }
    r->devices = calloc(n, sizeof *r->devices);
    r->controls = calloc(n, sizeof *r->controls);
    r->ctl_src = calloc(n, sizeof *r->ctl_src);
    rc = r->devices && r->controls && r->ctl_src ? WATTSON_OK : WATTSON_ERR;
    for (i = 0; i < n && rc == WATTSON_OK; i++) {
        int parent = -1;

        if (zones[i].sub >= 0)
            for (j = 0; j < i; j++)
                if (zones[j].pkg == zones[i].pkg && zones[j].sub < 0)
                    parent = (int)j;
        if (rapl_add_zone(r, class, &zones[i], parent, &unreadable,
                          &first_unreadable) != 0)
            rc = WATTSON_ERR;
    }
    free(zones);
    if (rc != WATTSON_OK) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    if (unreadable)
        h->log(h->ctx, WATTSON_LOG_WARN,
               "rapl: %s is not readable (root only since Linux 5.10)%s: "
               "energy is invalid there",
               first_unreadable,
               unreadable > 1 ? ", nor are the other zones'" : "");
    h->log(h->ctx, WATTSON_LOG_INFO,
           "rapl: %zu zones, %zu signals, %zu power caps under %s", r->n_dev,
           r->n_sig, r->n_ctl, class);
    return WATTSON_OK;
}

static int rapl_init(const struct wattson_host *host, void **state,
                     struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct rapl *r;
    int rc;

    if ((rc = drv_host_ok(host, err, errlen)) != WATTSON_OK)
        return rc;
    if (!(r = calloc(1, sizeof *r))) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    r->host = host;
    rc = rapl_build(r, host, err, errlen);
    if (rc != WATTSON_OK) {
        rapl_free(r);
        return rc;
    }
    inv->devices = r->devices;
    inv->n_devices = r->n_dev;
    inv->signals = r->signals;
    inv->n_signals = r->n_sig;
    inv->controls = r->n_ctl ? r->controls : NULL;
    inv->n_controls = r->n_ctl;
    *state = r;
    return WATTSON_OK;
}

static void rapl_fini(void *state)
{
    rapl_free(state);
}

static int rapl_read(void *state, double *values, uint8_t *valid, size_t n)
{
    const struct rapl *r = state;
    size_t i;

    for (i = 0; i < n && i < r->n_sig; i++)
        valid[i] = rapl_read_src(&r->sig_src[i], &values[i]) == 0;
    return WATTSON_OK;
}

static int rapl_read_controls(void *state, double *values, uint8_t *valid,
                              size_t n)
{
    const struct rapl *r = state;
    size_t i;

    for (i = 0; i < n && i < r->n_ctl; i++)
        valid[i] = rapl_read_src(&r->ctl_src[i], &values[i]) == 0;
    return WATTSON_OK;
}

/* One write() of the whole text, as sysfs wants. */
static int rapl_write_uw(const char *path, double watts)
{
    char buf[32];
    int len;

    len = snprintf(buf, sizeof buf, "%llu\n",
                   (unsigned long long)llround(watts * 1e6));
    return drv_write_text(path, buf, (size_t)len);
}

static int rapl_write(void *state, const uint32_t *idx, const double *values,
                      size_t n)
{
    const struct rapl *r = state;
    int rc = WATTSON_OK;
    size_t i;

    for (i = 0; i < n; i++) {
        if (idx[i] >= r->n_ctl)
            return WATTSON_ERR;
        /* What the file can hold, not [min, max]: a restore writes back
         * exactly what read_controls found, which may be below min (a
         * zone limit of 0) or above max (plugin.h).  The host keeps
         * decisions within [min, max]; the kernel refuses the rest. */
        if (!isfinite(values[i]) || values[i] < 0 ||
            values[i] > RAPL_CAP_WRITE_MAX_W)
            return WATTSON_ERR;
        int wrc = rapl_write_uw(r->ctl_src[idx[i]].path, values[i]);
        if (wrc != WATTSON_OK) {
            r->host->log(r->host->ctx, WATTSON_LOG_WARN, "rapl: writing %s: %s",
                         r->ctl_src[idx[i]].path, strerror(errno));
            /* The first failure's reason (drv_errno_status). */
            if (rc == WATTSON_OK)
                rc = wrc;
        }
    }
    return rc;
}

static const struct wattson_plugin rapl_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = 0, /* real hardware: writes need --allow-writes */
    .name = "rapl",
    .version = "1.0",
    .description = "rapl: Linux powercap zones (Intel/AMD RAPL) - energy, "
                   "limits and power caps",
    .init = rapl_init,
    .fini = rapl_fini,
    .read = rapl_read,
    .write = rapl_write,
    .read_controls = rapl_read_controls,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &rapl_desc;
}
