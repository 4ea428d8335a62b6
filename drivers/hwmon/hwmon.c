/*
 * hwmon - Linux hardware monitoring devices (PMICs and power monitors such
 * as ina2xx and PMBus chips, and temperature sensors) as a wattson driver
 * plugin (issue #6).
 *
 * Reads ROOT/sys/class/hwmon/hwmonN/ as the kernel's
 * Documentation/hwmon/sysfs-interface.rst describes it.  Every hwmonN
 * directory that has at least one attribute below becomes one device,
 * in N order, named by its `name` file, '-' and N ("ina226-0"; the kernel
 * refuses '-' in hwmon names, so the pair is unambiguous), or "hwmonN"
 * when `name` is missing or empty.  Its kind is "rail" when it measures
 * power, energy or current or has a power cap (a power monitor), else
 * "sensor".  Old drivers keep their attributes in hwmonN/device/: that
 * directory is read when hwmonN has no `name` but device/ has.
 *
 * Signals, one per attribute file found, in the order of hw_attrs below
 * and then by channel number:
 *
 *   power<N>_input    W  gauge    uW / 1e6   "power<N>"
 *   power<N>_average  W  gauge    uW / 1e6   "power<N>_average"
 *   energy<N>_input   J  counter  uJ / 1e6   "energy<N>"
 *   curr<N>_input     A  gauge    mA / 1e3   "curr<N>"
 *   in<N>_input       V  gauge    mV / 1e3   "in<N>"
 *   temp<N>_input     C  gauge    m°C / 1e3  "temp<N>"
 *
 * When <type><N>_label exists and reads as text, the name is <type>, '_'
 * and the label lower-cased with every run of other characters than a-z
 * and 0-9 made one '_' (power1_label "vdd" -> "power_vdd";
 * in0_label "Shunt Voltage" -> "in_shunt_voltage"), plus the item's
 * suffix ("_average").  A label-derived name already taken on the device
 * falls back to the default.  A file that cannot be read or does not hold
 * one integer makes that value invalid for the tick, never zero.
 *
 * Control per power<N>_cap (the first on a device "power_cap", further ones
 * "power_cap<N>"), in W: range power<N>_cap_min .. power<N>_cap_max when
 * they read, else HW_CAP_MIN_W .. HW_CAP_MAX_W (see hw_ctls); written in uW
 * with one write(), read back by read_controls.
 *
 * Totals.  The summary sums only signals named exactly "power" and
 * "energy" per device, so each device also gets, after its own signals,
 * "power" (W, gauge) = the sum of its power<N>_input channels and
 * "energy" (J, counter, wrap 0 like the channels) = the sum of its
 * energy<N>_input channels, leaving out the output side: a channel whose
 * sanitised label has a word "out", "output(s)", or "out"/"pout"/"eout"
 * plus digits only (PMBus "pout1", "Output Power") - output power is part
 * of the input power, so summing both would count it twice.
 * power<N>_average is never in the default.  No channel: no such signal.
 * A total is valid only when every channel in it read valid that tick
 * (never a partial sum); it adds the values read earlier in the same
 * read call (hw_meta.sum_*), so reads still allocate nothing.
 *
 * Lab configuration: `root` (string) - a prefix put before /sys, relative
 * to the lab's directory when relative; default $WATTSON_SYSFS_ROOT, else
 * "" (the real /sys).  `total` - which channels make the totals: true or
 * absent, the rule above; false, none (another driver measures the same
 * power); a channel name ("power1", or a signal name "power_pin") or a
 * list of them, on every device that has them (each must match some
 * device); or a table by device name ({ ["ina3221-1"] = "power1" }) whose
 * values are any of those (devices not named: the rule).  A bad `total`
 * is WATTSON_ERR_CONFIG with a message naming the key.
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

#define HW_CLASS "/sys/class/hwmon"
#define HW_PREFIX "hwmon"
#define HW_MAX_DEVICES 1024
#define HW_MAX_ATTRS 1024   /* matching attribute files per device */
#define HW_MAX_CHANNEL 9999 /* highest <N> in <type><N>_<item> */
#define HW_NAME_MAX 64      /* longest signal or device name */
/* Cap range when power<N>_cap_min / _cap_max do not read. */
#define HW_CAP_MIN_W 1.0
#define HW_CAP_MAX_W 1000.0

/*
 * The sysfs attributes as data (GEOPM style, as plugins/template): which
 * files are signals, and how each converts to SI.  Adding an attribute is
 * adding a row.
 */
struct hw_attr {
    const char *type;     /* channel type: "power" in power1_input */
    const char *item;     /* "_input" */
    const char *name_sfx; /* appended to the signal's name */
    const char *unit;
    double scale; /* SI value = file value * scale */
    int behaviour;
    int is_signed; /* may the file hold a negative number */
    int rail;      /* makes the device a power monitor */
    const char *what;
};

static const struct hw_attr hw_attrs[] = {
    {"power", "_input", "", "W", 1e-6, WATTSON_GAUGE, 1, 1, "power"},
    {"power", "_average", "_average", "W", 1e-6, WATTSON_GAUGE, 1, 1,
     "average power"},
    {"energy", "_input", "", "J", 1e-6, WATTSON_COUNTER, 0, 1, "energy"},
    {"curr", "_input", "", "A", 1e-3, WATTSON_GAUGE, 1, 1, "current"},
    {"in", "_input", "", "V", 1e-3, WATTSON_GAUGE, 1, 0, "voltage"},
    {"temp", "_input", "", "C", 1e-3, WATTSON_GAUGE, 1, 0, "temperature"},
};

#define HW_NATTR (sizeof hw_attrs / sizeof hw_attrs[0])

/* The writable attributes: a control per file <type><N><item>, its range
 * from <type><N><min_item> and <max_item> or the defaults. */
struct hw_ctl {
    const char *type, *item, *min_item, *max_item;
    const char *name; /* the control's name (first one on a device) */
    const char *unit;
    double scale; /* SI value = file value * scale */
    double dmin, dmax;
    const char *what;
};

static const struct hw_ctl hw_ctls[] = {
    {"power", "_cap", "_cap_min", "_cap_max", WATTSON_CTL_POWER_CAP, "W", 1e-6,
     HW_CAP_MIN_W, HW_CAP_MAX_W, "power cap"},
};

#define HW_NCTL (sizeof hw_ctls / sizeof hw_ctls[0])

/* How to read one signal or control: its file and scale. */
struct hw_src {
    const char *path;
    double scale;
    int is_signed;
};

/* More about each signal: the hw_attrs row and channel of its file,
 * whether its label says output side (hw_is_output); or, for a
 * "power"/"energy" total, the signals summed: sum_idx[sum_first ..
 * sum_first + sum_n). */
struct hw_meta {
    size_t row;
    long ch;
    int output;
    int is_sum;
    size_t sum_first, sum_n;
};

/* Rows of hw_attrs the totals use (keep in step with the table). */
#define HW_ROW_POWER 0     /* power<N>_input */
#define HW_ROW_POWER_AVG 1 /* power<N>_average */
#define HW_ROW_ENERGY 2    /* energy<N>_input */

/* What the lab's `total` says for a device: the default rule, no totals,
 * or the channels named. */
enum { HW_TOT_AUTO, HW_TOT_OFF, HW_TOT_LIST };
#define HW_MAX_TOTAL_NAMES 32

struct hw_tot {
    int mode;
    const char *path; /* the setting's config key, for messages */
    const char *names[HW_MAX_TOTAL_NAMES];
    unsigned char used[HW_MAX_TOTAL_NAMES]; /* matched a channel */
    size_t n;
};

/* One attribute file found: row `row` of hw_attrs (or of hw_ctls, after
 * HW_NATTR), channel `ch`. */
struct hw_found {
    size_t row;
    long ch;
};

struct hw_dir {
    char dir[32]; /* "hwmon3" */
    long n;
};

struct hw {
    const struct wattson_host *host;
    struct drv_strs strs; /* every string init made, freed by fini */
    struct wattson_device_desc *devices;
    struct wattson_signal_desc *signals;
    struct hw_src *sig_src;
    struct hw_meta *sig_meta; /* parallel to signals */
    struct wattson_control_desc *controls;
    struct hw_src *ctl_src;
    size_t n_dev, n_sig, n_ctl, cap_sig, cap_ctl;
    size_t *sum_idx; /* signals the totals sum (struct hw_meta) */
    size_t n_sum, cap_sum;
};

static void hw_free(struct hw *h)
{
    if (!h)
        return;
    drv_strs_free(&h->strs);
    free(h->devices);
    free(h->signals);
    free(h->sig_src);
    free(h->sig_meta);
    free(h->controls);
    free(h->ctl_src);
    free(h->sum_idx);
    free(h);
}

/* One integer in SI units; -1 when unreadable or not one integer (or
 * negative where the attribute cannot be). */
static int hw_read_src(const struct hw_src *s, double *out)
{
    double v;

    if (drv_read_int(s->path, s->is_signed, &v) != 0)
        return -1;
    *out = v * s->scale;
    return 0;
}

/* "<type><N><item>" exactly; 0 and N, or -1. */
static int hw_match(const char *file, const char *type, const char *item,
                    long *ch)
{
    size_t tl = strlen(type);
    const char *p = file + tl;
    char *end;
    long n;

    if (strncmp(file, type, tl) != 0 || *p < '0' || *p > '9')
        return -1;
    errno = 0;
    n = strtol(p, &end, 10);
    if (errno != 0 || n > HW_MAX_CHANNEL || strcmp(end, item) != 0)
        return -1;
    *ch = n;
    return 0;
}

static int hw_found_cmp(const void *a, const void *b)
{
    const struct hw_found *x = a, *y = b;

    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return x->ch < y->ch ? -1 : x->ch > y->ch;
}

static int hw_dir_cmp(const void *a, const void *b)
{
    const struct hw_dir *x = a, *y = b;

    return x->n < y->n ? -1 : x->n > y->n;
}

/* `text` made a name: a-z and 0-9 kept (A-Z lowered, or kept when
 * `keep_case`), every run of anything else one '_', none at either end.
 * "" when nothing is left. */
static void hw_sanitise(const char *text, char *out, size_t len, int keep_case)
{
    size_t n = 0;
    int gap = 0;

    for (; *text && n + 2 < len; text++) {
        char c = *text;

        if (c >= 'A' && c <= 'Z' && !keep_case)
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            (keep_case && c >= 'A' && c <= 'Z')) {
            if (gap && n > 0)
                out[n++] = '_';
            gap = 0;
            out[n++] = c;
        } else {
            gap = 1;
        }
    }
    out[n] = '\0';
}

static int hw_grow_sig(struct hw *h)
{
    size_t cap = h->cap_sig ? 2 * h->cap_sig : 32;
    struct wattson_signal_desc *s;
    struct hw_src *src;
    struct hw_meta *meta;

    if (h->n_sig < h->cap_sig)
        return 0;
    if (!(s = realloc(h->signals, cap * sizeof *s)))
        return -1;
    h->signals = s;
    if (!(src = realloc(h->sig_src, cap * sizeof *src)))
        return -1;
    h->sig_src = src;
    if (!(meta = realloc(h->sig_meta, cap * sizeof *meta)))
        return -1;
    h->sig_meta = meta;
    h->cap_sig = cap;
    return 0;
}

static int hw_grow_ctl(struct hw *h)
{
    size_t cap = h->cap_ctl ? 2 * h->cap_ctl : 8;
    struct wattson_control_desc *c;
    struct hw_src *src;

    if (h->n_ctl < h->cap_ctl)
        return 0;
    if (!(c = realloc(h->controls, cap * sizeof *c)))
        return -1;
    h->controls = c;
    if (!(src = realloc(h->ctl_src, cap * sizeof *src)))
        return -1;
    h->ctl_src = src;
    h->cap_ctl = cap;
    return 0;
}

/* Is `name` a signal of device `dev` already? */
static int hw_sig_taken(const struct hw *h, uint32_t dev, size_t first,
                        const char *name)
{
    size_t i;

    for (i = first; i < h->n_sig; i++)
        if (h->signals[i].device == dev &&
            strcmp(h->signals[i].name, name) == 0)
            return 1;
    return 0;
}

/* Does a sanitised label (lower case, words joined by '_') name the output
 * side of a converter?  When one of its words is "out", "output",
 * "outputs", or "pout"/"eout"/"out" followed by digits only: PMBus
 * "pout1", "Output Power", "P_OUT".  ("vout", "iout" are not power.) */
static int hw_is_output(const char *clean)
{
    while (*clean) {
        size_t len = strcspn(clean, "_");
        const char *w = clean, *d;

        if ((*w == 'p' || *w == 'e') && len > 3)
            w++;
        if (strncmp(w, "out", 3) == 0) {
            size_t rest = len - (size_t)(w - clean) - 3;

            d = w + 3;
            if ((rest == 3 && strncmp(d, "put", 3) == 0) ||
                (rest == 4 && strncmp(d, "puts", 4) == 0))
                return 1;
            while (rest > 0 && *d >= '0' && *d <= '9') {
                d++;
                rest--;
            }
            if (rest == 0)
                return 1;
        }
        clean += len;
        if (*clean == '_')
            clean++;
    }
    return 0;
}

/* The signal of attribute `a`, channel `ch` in `adir`. */
static int hw_add_signal(struct hw *h, uint32_t dev, size_t first,
                         const char *adir, const char *dname,
                         const struct hw_attr *a, long ch)
{
    const char *path =
        drv_fmt(&h->strs, "%s/%s%ld%s", adir, a->type, ch, a->item);
    const char *lpath = drv_fmt(&h->strs, "%s/%s%ld_label", adir, a->type, ch);
    const char *name = NULL;
    char label[HW_NAME_MAX], clean[HW_NAME_MAX];

    if (!path || !lpath || hw_grow_sig(h) != 0)
        return -1;
    clean[0] = '\0';
    if (drv_read_text(lpath, label, sizeof label) == 0)
        hw_sanitise(label, clean, sizeof clean, 0);
    if (clean[0]) {
        if (!(name = drv_fmt(&h->strs, "%s_%s%s", a->type, clean, a->name_sfx)))
            return -1;
        if (hw_sig_taken(h, dev, first, name))
            name = NULL;
    }
    if (!name &&
        !(name = drv_fmt(&h->strs, "%s%ld%s", a->type, ch, a->name_sfx)))
        return -1;
    h->signals[h->n_sig] = (struct wattson_signal_desc){
        name,
        dev,
        a->unit,
        a->behaviour,
        0,
        clean[0] ? drv_fmt(&h->strs, "%s %s (%s), from %s", dname, a->what,
                           label, path)
                 : drv_fmt(&h->strs, "%s %s, from %s", dname, a->what, path)};
    if (!h->signals[h->n_sig].description)
        return -1;
    h->sig_src[h->n_sig] = (struct hw_src){path, a->scale, a->is_signed};
    memset(&h->sig_meta[h->n_sig], 0, sizeof h->sig_meta[0]);
    h->sig_meta[h->n_sig].row = (size_t)(a - hw_attrs);
    h->sig_meta[h->n_sig].ch = ch;
    h->sig_meta[h->n_sig].output = hw_is_output(clean);
    h->n_sig++;
    return 0;
}

/* The control of hw_ctls row `c`, channel `ch` in `adir`. */
static int hw_add_control(struct hw *h, uint32_t dev, size_t first,
                          const char *adir, const char *dname,
                          const struct hw_ctl *c, long ch)
{
    const char *path =
        drv_fmt(&h->strs, "%s/%s%ld%s", adir, c->type, ch, c->item);
    struct hw_src lo = {
        drv_fmt(&h->strs, "%s/%s%ld%s", adir, c->type, ch, c->min_item),
        c->scale, 0};
    struct hw_src hi = {
        drv_fmt(&h->strs, "%s/%s%ld%s", adir, c->type, ch, c->max_item),
        c->scale, 0};
    double min, max;
    const char *name = c->name;
    size_t i;

    if (!path || !lo.path || !hi.path || hw_grow_ctl(h) != 0)
        return -1;
    if (hw_read_src(&hi, &max) != 0 || max <= 0)
        max = c->dmax;
    if (hw_read_src(&lo, &min) != 0 || min > max)
        min = c->dmin < max ? c->dmin : 0;
    for (i = first; i < h->n_ctl; i++)
        if (strcmp(h->controls[i].name, c->name) == 0)
            name = drv_fmt(&h->strs, "%s%ld", c->name, ch);
    if (!name)
        return -1;
    h->controls[h->n_ctl] = (struct wattson_control_desc){
        name,
        dev,
        c->unit,
        min,
        max,
        0,
        drv_fmt(&h->strs, "%s %s, written to %s", dname, c->what, path)};
    if (!h->controls[h->n_ctl].description)
        return -1;
    h->ctl_src[h->n_ctl++] = (struct hw_src){path, c->scale, 0};
    return 0;
}

/* Lists the attribute files of `adir` that hw_attrs or hw_ctls know, in
 * table then channel order; how many. */
static size_t hw_list(const char *adir, struct hw_found *found, size_t max)
{
    DIR *d = opendir(adir);
    struct dirent *e;
    size_t n = 0, r;
    long ch;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL && n < max) {
        for (r = 0; r < HW_NATTR + HW_NCTL; r++) {
            const char *type =
                r < HW_NATTR ? hw_attrs[r].type : hw_ctls[r - HW_NATTR].type;
            const char *item =
                r < HW_NATTR ? hw_attrs[r].item : hw_ctls[r - HW_NATTR].item;

            if (hw_match(e->d_name, type, item, &ch) == 0) {
                found[n].row = r;
                found[n++].ch = ch;
                break;
            }
        }
    }
    closedir(d);
    qsort(found, n, sizeof *found, hw_found_cmp);
    return n;
}

/* One hwmonN directory: its device, signals and controls; 0 also when it
 * has nothing wattson reads (no device then), -1 when out of memory. */
static int hw_add_device(struct hw *h, const char *class,
                         const struct hw_dir *hd, struct hw_found *found)
{
    uint32_t dev = (uint32_t)h->n_dev;
    size_t first_sig = h->n_sig, first_ctl = h->n_ctl, n, i;
    const char *hdir = drv_fmt(&h->strs, "%s/%s", class, hd->dir);
    const char *adir = hdir, *npath, *dname;
    char buf[HW_NAME_MAX], clean[HW_NAME_MAX];
    int rail = 0;

    if (!hdir || !(npath = drv_fmt(&h->strs, "%s/name", hdir)))
        return -1;
    if (!drv_is_file(npath)) {
        const char *old = drv_fmt(&h->strs, "%s/device", hdir);
        const char *oname = old ? drv_fmt(&h->strs, "%s/name", old) : NULL;

        if (!oname)
            return -1;
        if (drv_is_file(oname)) {
            adir = old;
            npath = oname;
        }
    }
    clean[0] = '\0';
    if (drv_read_text(npath, buf, sizeof buf) == 0)
        hw_sanitise(buf, clean, sizeof clean, 1);
    dname = clean[0] ? drv_fmt(&h->strs, "%s-%ld", clean, hd->n)
                     : drv_fmt(&h->strs, "%s", hd->dir);
    if (!dname)
        return -1;
    n = hw_list(adir, found, HW_MAX_ATTRS);
    for (i = 0; i < n; i++) {
        size_t r = found[i].row;
        int rc;

        if (r < HW_NATTR) {
            rc = hw_add_signal(h, dev, first_sig, adir, dname, &hw_attrs[r],
                               found[i].ch);
            rail |= hw_attrs[r].rail;
        } else {
            rc = hw_add_control(h, dev, first_ctl, adir, dname,
                                &hw_ctls[r - HW_NATTR], found[i].ch);
            rail = 1;
        }
        if (rc != 0)
            return -1;
    }
    if (n == 0)
        return 0;
    h->devices[h->n_dev++] = (struct wattson_device_desc){
        dname, rail ? "rail" : "sensor", -1, NULL, 0};
    return 0;
}

/* Reads the `total` setting at `path` into *t: absent or true, the
 * default rule; false, none; a channel name or a list of them. */
static int hw_tot_read(const struct wattson_host *host, const char *path,
                       struct hw_tot *t, char *err, size_t errlen)
{
    int type = host->cfg_type(host->ctx, path), b = 1;
    const char *key;
    char sub[160];
    size_t i;

    memset(t, 0, sizeof *t);
    t->path = path;
    t->mode = HW_TOT_AUTO;
    switch (type) {
    case WATTSON_CFG_NONE:
        return WATTSON_OK;
    case WATTSON_CFG_BOOL:
        (void)host->cfg_bool(host->ctx, path, &b);
        t->mode = b ? HW_TOT_AUTO : HW_TOT_OFF;
        return WATTSON_OK;
    case WATTSON_CFG_STRING:
        t->names[t->n++] = host->cfg_string(host->ctx, path);
        break;
    case WATTSON_CFG_TABLE:
        for (i = 0; (key = host->cfg_key(host->ctx, path, i)) != NULL; i++) {
            snprintf(sub, sizeof sub, "%s.%.100s", path, key);
            if (i >= HW_MAX_TOTAL_NAMES) {
                snprintf(err, errlen,
                         "hwmon: config key '%s': more than %d channel names",
                         path, HW_MAX_TOTAL_NAMES);
                return WATTSON_ERR_CONFIG;
            }
            if (host->cfg_type(host->ctx, sub) != WATTSON_CFG_STRING) {
                snprintf(err, errlen,
                         "hwmon: config key '%s': expected a channel name",
                         sub);
                return WATTSON_ERR_CONFIG;
            }
            t->names[t->n++] = host->cfg_string(host->ctx, sub);
        }
        if (t->n == 0) {
            snprintf(err, errlen,
                     "hwmon: config key '%s': an empty list (false turns the "
                     "totals off)",
                     path);
            return WATTSON_ERR_CONFIG;
        }
        break;
    default:
        snprintf(err, errlen,
                 "hwmon: config key '%s': expected false, a channel name or a "
                 "list of channel names",
                 path);
        return WATTSON_ERR_CONFIG;
    }
    for (i = 0; i < t->n; i++)
        if (!t->names[i] || !*t->names[i]) {
            snprintf(err, errlen,
                     "hwmon: config key '%s': an empty channel "
                     "name",
                     path);
            return WATTSON_ERR_CONFIG;
        }
    t->mode = HW_TOT_LIST;
    return WATTSON_OK;
}

/* Is signal j one that total `k` (0 power, 1 energy) may sum? */
static int hw_tot_kind(const struct hw_meta *s, int k)
{
    if (s->is_sum)
        return 0;
    return k ? s->row == HW_ROW_ENERGY
             : s->row == HW_ROW_POWER || s->row == HW_ROW_POWER_AVG;
}

/* Does the list in *t name signal j (by its name or its file's default
 * name, "power1")?  Marks the names that do. */
static int hw_tot_match(const struct hw *h, size_t j, struct hw_tot *t)
{
    const struct hw_meta *s = &h->sig_meta[j];
    const struct hw_attr *a = &hw_attrs[s->row];
    char def[HW_NAME_MAX];
    int hit = 0;

    snprintf(def, sizeof def, "%s%ld%s", a->type, s->ch, a->name_sfx);
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->names[i], h->signals[j].name) == 0 ||
            strcmp(t->names[i], def) == 0) {
            t->used[i] = 1;
            hit = 1;
        }
    return hit;
}

/* Appends `s` to buf (", " between), "..." once full. */
static void hw_cat(char *buf, size_t len, const char *s)
{
    size_t n = strlen(buf);

    if (n + 3 >= len)
        return;
    snprintf(buf + n, len - n, "%s%s", n ? ", " : "", s);
    if (strlen(buf) + 1 >= len)
        memcpy(buf + len - 4, "...", 4);
}

/*
 * The device's standard "power" (W, gauge) and "energy" (J, counter)
 * signals, the sums the summary counts, after its own signals [first,
 * n_sig).  Default rule: every power<N>_input, resp. energy<N>_input,
 * whose label does not name the output side (hw_is_output), since output
 * power is part of the input power.  With a list, the channels it names
 * (power<N>_average too).  None found: no such signal.  `strict`: every
 * name must match here.
 */
static int hw_add_totals(struct hw *h, uint32_t dev, size_t first,
                         struct hw_tot *t, int strict, char *err, size_t errlen)
{
    static const struct {
        const char *name, *unit, *what;
        int behaviour;
    } kinds[2] = {{WATTSON_SIG_POWER, "W", "power", WATTSON_GAUGE},
                  {WATTSON_SIG_ENERGY, "J", "energy", WATTSON_COUNTER}};
    size_t last = h->n_sig, j;
    const char *dname = h->devices[dev].name;

    if (t->mode == HW_TOT_OFF)
        return WATTSON_OK;
    for (int k = 0; k < 2; k++) {
        char in[256] = "", out[256] = "";
        size_t sum_first = h->n_sum, n_in = 0;
        const char *desc;

        for (j = first; j < last; j++) {
            const struct hw_meta *s = &h->sig_meta[j];
            int take;

            if (!hw_tot_kind(s, k))
                continue;
            if (t->mode == HW_TOT_LIST)
                take = hw_tot_match(h, j, t);
            else
                take = s->row != HW_ROW_POWER_AVG && !s->output;
            if (!take) {
                if (t->mode == HW_TOT_AUTO && s->row != HW_ROW_POWER_AVG)
                    hw_cat(out, sizeof out, h->signals[j].name);
                continue;
            }
            if (h->n_sum == h->cap_sum) {
                size_t cap = h->cap_sum ? 2 * h->cap_sum : 16;
                size_t *p = realloc(h->sum_idx, cap * sizeof *p);

                if (!p)
                    goto oom;
                h->sum_idx = p;
                h->cap_sum = cap;
            }
            h->sum_idx[h->n_sum++] = j;
            n_in++;
            hw_cat(in, sizeof in, h->signals[j].name);
        }
        if (n_in == 0)
            continue;
        if (hw_grow_sig(h) != 0)
            goto oom;
        desc = out[0] ? drv_fmt(&h->strs,
                                "%s total %s: sum of %s (output side left "
                                "out: %s); invalid when one is",
                                dname, kinds[k].what, in, out)
                      : drv_fmt(&h->strs,
                                "%s total %s: sum of %s; invalid when one is",
                                dname, kinds[k].what, in);
        if (!desc)
            goto oom;
        h->signals[h->n_sig] = (struct wattson_signal_desc){
            kinds[k].name, dev, kinds[k].unit, kinds[k].behaviour, 0, desc};
        h->sig_src[h->n_sig] = (struct hw_src){NULL, 1, 1};
        memset(&h->sig_meta[h->n_sig], 0, sizeof h->sig_meta[0]);
        h->sig_meta[h->n_sig].is_sum = 1;
        h->sig_meta[h->n_sig].sum_first = sum_first;
        h->sig_meta[h->n_sig].sum_n = n_in;
        h->n_sig++;
        h->host->log(h->host->ctx, WATTSON_LOG_INFO, "hwmon: %s: %s = %s%s%s",
                     dname, kinds[k].name, in, out[0] ? "; left out: " : "",
                     out);
    }
    if (strict)
        for (j = 0; j < t->n; j++)
            if (!t->used[j]) {
                snprintf(err, errlen,
                         "hwmon: config key '%s': no power or energy channel "
                         "'%s' on %s",
                         t->path, t->names[j], dname);
                return WATTSON_ERR_CONFIG;
            }
    return WATTSON_OK;
oom:
    snprintf(err, errlen, "out of memory");
    return WATTSON_ERR;
}

/* Finds the hwmonN directories under `class`, in N order; -1 with `why`
 * when the directory cannot be read. */
static int hw_scan(const char *class, struct hw_dir *dirs, size_t max,
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
        struct hw_dir *hd = &dirs[*n];
        const char *p = e->d_name + strlen(HW_PREFIX);
        char *end;

        if (strncmp(e->d_name, HW_PREFIX, strlen(HW_PREFIX)) != 0 || *p < '0' ||
            *p > '9' || strlen(e->d_name) >= sizeof hd->dir)
            continue;
        errno = 0;
        hd->n = strtol(p, &end, 10);
        if (errno != 0 || *end != '\0')
            continue;
        memcpy(hd->dir, e->d_name, strlen(e->d_name) + 1);
        (*n)++;
    }
    closedir(d);
    if (*n == 0)
        snprintf(why, whylen, "no hwmonN directories");
    qsort(dirs, *n, sizeof *dirs, hw_dir_cmp);
    return 0;
}

/* The totals of device `dev` (its signals from `first`) as `total` says:
 * the global setting *tot, or with per_dev its entry total.<device>. */
static int hw_device_totals(struct hw *h, const struct wattson_host *host,
                            struct hw_tot *tot, int per_dev, uint32_t dev,
                            size_t first, char *err, size_t errlen)
{
    struct hw_tot one;
    char path[2 * HW_NAME_MAX];
    int rc;

    if (!per_dev)
        return hw_add_totals(h, dev, first, tot, 0, err, errlen);
    snprintf(path, sizeof path, "total.%s", h->devices[dev].name);
    if ((rc = hw_tot_read(host, path, &one, err, errlen)) != WATTSON_OK)
        return rc;
    return hw_add_totals(h, dev, first, &one, 1, err, errlen);
}

/* After every device: each name of a global list matched somewhere; each
 * key of a per-device table is a device. */
static int hw_tot_check(const struct hw *h, const struct wattson_host *host,
                        const struct hw_tot *tot, int per_dev, char *err,
                        size_t errlen)
{
    const char *key;
    size_t i, d;

    if (!per_dev) {
        for (i = 0; tot->mode == HW_TOT_LIST && i < tot->n; i++)
            if (!tot->used[i]) {
                snprintf(err, errlen,
                         "hwmon: config key 'total': no power or energy "
                         "channel '%s' on any hwmon device",
                         tot->names[i]);
                return WATTSON_ERR_CONFIG;
            }
        return WATTSON_OK;
    }
    for (i = 0; (key = host->cfg_key(host->ctx, "total", i)) != NULL; i++) {
        for (d = 0; d < h->n_dev; d++)
            if (strcmp(h->devices[d].name, key) == 0)
                break;
        if (d == h->n_dev) {
            snprintf(err, errlen,
                     "hwmon: config key 'total.%s': no such hwmon device", key);
            return WATTSON_ERR_CONFIG;
        }
    }
    return WATTSON_OK;
}

static int hw_build(struct hw *h, const struct wattson_host *host, char *err,
                    size_t errlen)
{
    struct hw_dir *dirs;
    struct hw_found *found;
    const char *root, *class;
    char why[160];
    size_t n, i;
    int rc, per_dev = 0;
    struct hw_tot tot;

    if ((rc = drv_root(&h->strs, host, &root, err, errlen)) != WATTSON_OK)
        return rc;
    /* `total`: one setting for every device, or a table by device name. */
    if (host->cfg_type(host->ctx, "total") == WATTSON_CFG_TABLE) {
        const char *k0 = host->cfg_key(host->ctx, "total", 0);

        per_dev = k0 && !(k0[0] >= '0' && k0[0] <= '9');
    }
    if (!per_dev &&
        (rc = hw_tot_read(host, "total", &tot, err, errlen)) != WATTSON_OK)
        return rc;
    if (!(class = drv_fmt(&h->strs, "%s%s", root, HW_CLASS)) ||
        !(dirs = calloc(HW_MAX_DEVICES, sizeof *dirs))) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    if (hw_scan(class, dirs, HW_MAX_DEVICES, &n, why, sizeof why) != 0 ||
        n == 0) {
        snprintf(err, errlen, "hwmon: no hwmon devices under %s (%s)", class,
                 why);
        free(dirs);
        return WATTSON_ERR_UNSUPPORTED;
    }
    h->devices = calloc(n, sizeof *h->devices);
    found = calloc(HW_MAX_ATTRS, sizeof *found);
    rc = h->devices && found ? WATTSON_OK : WATTSON_ERR;
    if (rc != WATTSON_OK)
        snprintf(err, errlen, "out of memory");
    for (i = 0; i < n && rc == WATTSON_OK; i++) {
        size_t first = h->n_sig, ndev = h->n_dev;

        if (hw_add_device(h, class, &dirs[i], found) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = WATTSON_ERR;
        } else if (h->n_dev > ndev) {
            rc = hw_device_totals(h, host, &tot, per_dev, (uint32_t)ndev, first,
                                  err, errlen);
        }
    }
    free(found);
    free(dirs);
    if (rc == WATTSON_OK)
        rc = hw_tot_check(h, host, &tot, per_dev, err, errlen);
    if (rc != WATTSON_OK)
        return rc;
    if (h->n_dev == 0) {
        snprintf(err, errlen,
                 "hwmon: no hwmon devices under %s (no power, energy, "
                 "current, voltage or temperature inputs)",
                 class);
        return WATTSON_ERR_UNSUPPORTED;
    }
    host->log(host->ctx, WATTSON_LOG_INFO,
              "hwmon: %zu devices, %zu signals, %zu power caps under %s",
              h->n_dev, h->n_sig, h->n_ctl, class);
    return WATTSON_OK;
}

static int hw_init(const struct wattson_host *host, void **state,
                   struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct hw *h;
    int rc;

    if ((rc = drv_host_ok(host, err, errlen)) != WATTSON_OK)
        return rc;
    if (!(h = calloc(1, sizeof *h))) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    h->host = host;
    rc = hw_build(h, host, err, errlen);
    if (rc != WATTSON_OK) {
        hw_free(h);
        return rc;
    }
    inv->devices = h->devices;
    inv->n_devices = h->n_dev;
    inv->signals = h->n_sig ? h->signals : NULL;
    inv->n_signals = h->n_sig;
    inv->controls = h->n_ctl ? h->controls : NULL;
    inv->n_controls = h->n_ctl;
    *state = h;
    return WATTSON_OK;
}

static void hw_fini(void *state)
{
    hw_free(state);
}

static int hw_read(void *state, double *values, uint8_t *valid, size_t n)
{
    const struct hw *h = state;
    size_t i;

    for (i = 0; i < n && i < h->n_sig; i++) {
        const struct hw_meta *s = &h->sig_meta[i];
        double sum = 0;
        int ok = 1;

        if (!s->is_sum) {
            valid[i] = hw_read_src(&h->sig_src[i], &values[i]) == 0;
            continue;
        }
        /* A total: its channels come before it and were read above. */
        for (size_t k = 0; k < s->sum_n && ok; k++) {
            size_t j = h->sum_idx[s->sum_first + k];

            ok = j < i && valid[j];
            if (ok)
                sum += values[j];
        }
        valid[i] = (uint8_t)ok;
        values[i] = ok ? sum : NAN;
    }
    return WATTSON_OK;
}

static int hw_read_controls(void *state, double *values, uint8_t *valid,
                            size_t n)
{
    const struct hw *h = state;
    size_t i;

    for (i = 0; i < n && i < h->n_ctl; i++)
        valid[i] = hw_read_src(&h->ctl_src[i], &values[i]) == 0;
    return WATTSON_OK;
}

/* One write() of the whole text, as sysfs wants: value / scale, rounded. */
static int hw_write_src(const struct hw_src *s, double value)
{
    char buf[32];
    int len;

    len = snprintf(buf, sizeof buf, "%lld\n", llround(value / s->scale));
    return drv_write_text(s->path, buf, (size_t)len);
}

static int hw_write(void *state, const uint32_t *idx, const double *values,
                    size_t n)
{
    const struct hw *h = state;
    int rc = WATTSON_OK;
    size_t i;

    for (i = 0; i < n; i++) {
        if (idx[i] >= h->n_ctl)
            return WATTSON_ERR;
        /* What the file can hold, not [min, max]: a restore writes back
         * exactly what read_controls found, which may lie outside the
         * declared range (plugin.h); the kernel driver refuses the rest. */
        if (!isfinite(values[i]) || values[i] < 0 ||
            fabs(values[i] / h->ctl_src[idx[i]].scale) > 9e18)
            return WATTSON_ERR;
        int wrc = hw_write_src(&h->ctl_src[idx[i]], values[i]);
        if (wrc != WATTSON_OK) {
            h->host->log(h->host->ctx, WATTSON_LOG_WARN,
                         "hwmon: writing %s: %s", h->ctl_src[idx[i]].path,
                         strerror(errno));
            /* The first failure's reason (drv_errno_status). */
            if (rc == WATTSON_OK)
                rc = wrc;
        }
    }
    return rc;
}

static const struct wattson_plugin hw_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = 0, /* real hardware: writes need --allow-writes */
    .name = "hwmon",
    .version = "1.0",
    .description = "hwmon: Linux hardware monitors (ina2xx, PMBus, PMICs, "
                   "sensors) - power, energy, current, voltage, temperature "
                   "and power caps",
    .init = hw_init,
    .fini = hw_fini,
    .read = hw_read,
    .write = hw_write,
    .read_controls = hw_read_controls,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &hw_desc;
}
