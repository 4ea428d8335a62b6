/*
 * pci - accelerator discovery on the PCI bus through libpci, as a wattson
 * driver plugin.  Read-only: no controls.
 *
 * libpci scans ROOT/sys/bus/pci with its "linux-sysfs" access method (the
 * `sysfs.path` parameter), so a fixture tree stands in for the machine's.
 * Every function whose class is an accelerator becomes one device:
 *
 *   class 0x03xx (display: VGA, 3D, ...)                     kind "gpu"
 *   class 0x12xx (processing accelerator)                    kind "accel"
 *   class 0x0b40 (co-processor), and devices of Xilinx
 *   (0x10ee) or Intel FPGA / Altera (0x1172) with class
 *   0x11xx (signal processing) or 0xffxx (unassigned)       kind "fpga"
 *
 * With the lab option `all = true` every function is listed (the others of
 * kind "pci").  Devices are named by their address, "pci:0000:01:00.0",
 * and come in address order.
 *
 * Signals per device, in this order:
 *
 *   class               1     constant  the 24-bit class code; the
 *                                       description names the vendor and
 *                                       device (pci.ids, pci_lookup_name)
 *   link_speed          bit/s gauge     raw rate of one lane: GT/s * 1e9
 *   link_speed_max      bit/s constant  the same at the link's maximum
 *   link_width          1     gauge     negotiated lanes
 *   link_width_max      1     constant  lanes the link supports
 *   link_bandwidth      B/s   gauge     speed * width * encoding / 8
 *   link_bandwidth_max  B/s   constant  the same at maximum speed and width
 *
 * The encoding efficiency is 8b/10b (0.8) at 2.5 and 5 GT/s and 128b/130b
 * above (8, 16, 32 GT/s; also used for 64 GT/s, whose FLIT mode is left
 * for later).  The link signals exist only for a PCIe function whose link
 * can be read at init.  They come from the sysfs attributes
 * current_link_speed, max_link_speed, current_link_width and
 * max_link_width of the device when they exist (readable by anyone), else
 * from the PCIe capability in config space (pci_find_cap(PCI_CAP_ID_EXP):
 * PCI_EXP_LNKCAP and PCI_EXP_LNKSTA; beyond the first 64 bytes config
 * space is readable by root only).  A link that reads "Unknown", a width
 * of 0 (link down) or an unreadable register is invalid for that tick,
 * never zero.
 *
 * Lab configuration: `root` (string) - a prefix put before /sys, relative
 * to the lab's directory when relative; default $WATTSON_SYSFS_ROOT, else
 * "" (the real /sys).  `all` (bool, default false) - list every function.
 *
 * All allocation happens in init; read uses only the stack (libpci reads
 * config space with pread on a file it keeps open).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pci/pci.h>

#include "drvutil.h"
#include "wattson/plugin.h"

#define PCIW_BUS "/sys/bus/pci"
#define PCIW_MAX_DEVICES 4096

/* Which value a signal carries. */
enum {
    PW_CLASS,
    PW_SPEED,
    PW_SPEED_MAX,
    PW_WIDTH,
    PW_WIDTH_MAX,
    PW_BW,
    PW_BW_MAX,
    PW_NSIG
};

static const struct {
    const char *name, *unit, *what;
    int behaviour;
} pw_sigs[PW_NSIG] = {
    [PW_CLASS] = {"class", "1", "class code", WATTSON_CONSTANT},
    [PW_SPEED] = {"link_speed", "bit/s", "PCIe link speed per lane",
                  WATTSON_GAUGE},
    [PW_SPEED_MAX] = {"link_speed_max", "bit/s",
                      "maximum PCIe link speed per lane", WATTSON_CONSTANT},
    [PW_WIDTH] = {"link_width", "1", "PCIe link width (lanes)", WATTSON_GAUGE},
    [PW_WIDTH_MAX] = {"link_width_max", "1", "maximum PCIe link width (lanes)",
                      WATTSON_CONSTANT},
    [PW_BW] = {"link_bandwidth", "B/s", "PCIe link bandwidth", WATTSON_GAUGE},
    [PW_BW_MAX] = {"link_bandwidth_max", "B/s", "maximum PCIe link bandwidth",
                   WATTSON_CONSTANT},
};

/* Where a device's current link comes from. */
enum { PW_LINK_NONE, PW_LINK_SYSFS, PW_LINK_CONFIG };

struct pw_dev {
    struct pci_dev *d;
    int link;               /* PW_LINK_* */
    const char *speed_path; /* sysfs: current_link_speed */
    const char *width_path; /* sysfs: current_link_width */
    unsigned cap;           /* config: address of the PCIe capability */
    double cls;             /* class code */
    double speed_max;       /* bit/s per lane */
    double width_max;       /* lanes */
};

struct pw_src {
    uint32_t dev; /* index into devs */
    int what;     /* PW_* */
};

struct pw {
    const struct wattson_host *host;
    struct pci_access *acc;
    struct drv_strs strs; /* every string init made, freed by fini */
    struct pw_dev *devs;
    struct wattson_device_desc *devices;
    struct wattson_signal_desc *signals;
    struct pw_src *src;
    size_t n_dev, n_sig;
};

/* libpci reports fatal errors through acc->error, which must not return:
 * it jumps back to the innermost pw_guard. */
static jmp_buf *pw_jmp;
static char pw_errmsg[256];

static void pw_error(char *msg, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

static void pw_error(char *msg, ...)
{
    va_list ap;

    va_start(ap, msg);
    vsnprintf(pw_errmsg, sizeof pw_errmsg, msg, ap);
    va_end(ap);
    if (pw_jmp)
        longjmp(*pw_jmp, 1);
    abort(); /* not reached: every libpci call is guarded */
}

static void pw_quiet(char *msg, ...) __attribute__((format(printf, 1, 2)));

static void pw_quiet(char *msg, ...)
{
    (void)msg;
}

static void pw_free(struct pw *p)
{
    if (!p)
        return;
    if (p->acc) {
        jmp_buf jb;

        pw_jmp = &jb;
        if (setjmp(jb) == 0)
            pci_cleanup(p->acc);
        pw_jmp = NULL;
    }
    drv_strs_free(&p->strs);
    free(p->devs);
    free(p->devices);
    free(p->signals);
    free(p->src);
    free(p);
}

/* "8.0 GT/s PCIe", "2.5 GT/s", "16 GT/s" -> bit/s per lane; -1 for
 * "Unknown" and anything else. */
static int pw_sysfs_speed(const char *path, double *out)
{
    char buf[64], *end;
    double g;

    if (!path || drv_read_text(path, buf, sizeof buf) != 0)
        return -1;
    errno = 0;
    g = strtod(buf, &end);
    if (errno != 0 || end == buf || !(g > 0) || g > 1000)
        return -1;
    while (*end == ' ')
        end++;
    if (strncmp(end, "GT/s", 4) != 0)
        return -1;
    *out = g * 1e9;
    return 0;
}

/* A lane count 1..32 (0 = link down: -1). */
static int pw_sysfs_width(const char *path, double *out)
{
    char buf[32], *end;
    long w;

    if (!path || drv_read_text(path, buf, sizeof buf) != 0)
        return -1;
    errno = 0;
    w = strtol(buf, &end, 10);
    if (errno != 0 || end == buf || *end != '\0' || w <= 0 || w > 64)
        return -1;
    *out = (double)w;
    return 0;
}

/* A PCIe speed code (LNKCAP/LNKSTA bits 3:0) in bit/s per lane. */
static int pw_code_speed(unsigned code, double *out)
{
    static const double gts[] = {0, 2.5, 5, 8, 16, 32, 64};

    if (code == 0 || code >= sizeof gts / sizeof gts[0])
        return -1;
    *out = gts[code] * 1e9;
    return 0;
}

/* Bytes per second over `width` lanes at `speed` bit/s each. */
static double pw_bandwidth(double speed, double width)
{
    double eff = speed <= 5.0e9 + 1 ? 8.0 / 10.0 : 128.0 / 130.0;

    return speed * width * eff / 8.0;
}

/* The current link of `v` (no allocation; libpci calls guarded by the
 * caller). */
static int pw_link_now(const struct pw_dev *v, double *speed, double *width)
{
    if (v->link == PW_LINK_SYSFS) {
        int a = pw_sysfs_speed(v->speed_path, speed);
        int b = pw_sysfs_width(v->width_path, width);

        return a == 0 && b == 0 ? 0 : a == 0 ? 1 : b == 0 ? 2 : -1;
    }
    if (v->link == PW_LINK_CONFIG) {
        unsigned sta = pci_read_word(v->d, (int)v->cap + PCI_EXP_LNKSTA);
        unsigned w = (sta & PCI_EXP_LNKSTA_WIDTH) >> 4;
        int a, b;

        if (sta == 0xffff) /* the read failed */
            return -1;
        a = pw_code_speed(sta & PCI_EXP_LNKSTA_SPEED, speed);
        b = w ? 0 : -1;
        *width = w;
        return a == 0 && b == 0 ? 0 : a == 0 ? 1 : b == 0 ? 2 : -1;
    }
    return -1;
}

/* One value for signal source `s` into *out; 0 or -1 (invalid). */
static int pw_value(const struct pw *p, const struct pw_src *s, double *out)
{
    const struct pw_dev *v = &p->devs[s->dev];
    double speed = 0, width = 0;
    int rc;

    switch (s->what) {
    case PW_CLASS:
        *out = v->cls;
        return 0;
    case PW_SPEED_MAX:
        *out = v->speed_max;
        return 0;
    case PW_WIDTH_MAX:
        *out = v->width_max;
        return 0;
    case PW_BW_MAX:
        *out = pw_bandwidth(v->speed_max, v->width_max);
        return 0;
    default:
        break;
    }
    rc = pw_link_now(v, &speed, &width);
    if (s->what == PW_SPEED && (rc == 0 || rc == 1)) {
        *out = speed;
        return 0;
    }
    if (s->what == PW_WIDTH && (rc == 0 || rc == 2)) {
        *out = width;
        return 0;
    }
    if (s->what == PW_BW && rc == 0) {
        *out = pw_bandwidth(speed, width);
        return 0;
    }
    return -1;
}

/* The device kind of an accelerator, or NULL when it is none. */
static const char *pw_accel_kind(const struct pci_dev *d)
{
    unsigned base = d->device_class >> 8;

    if (base == 0x03)
        return "gpu";
    if (base == 0x12)
        return "accel";
    if (d->device_class == 0x0b40)
        return "fpga";
    if ((d->vendor_id == 0x10ee || d->vendor_id == 0x1172) &&
        (base == 0x11 || base == 0xff))
        return "fpga";
    return NULL;
}

static int pw_dev_cmp(const void *a, const void *b)
{
    const struct pci_dev *x = *(struct pci_dev *const *)a;
    const struct pci_dev *y = *(struct pci_dev *const *)b;

    if (x->domain != y->domain)
        return x->domain < y->domain ? -1 : 1;
    if (x->bus != y->bus)
        return x->bus < y->bus ? -1 : 1;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return x->func < y->func ? -1 : x->func > y->func;
}

/* Finds the link of `v` (sysfs attributes, else the PCIe capability) and
 * its maxima; leaves v->link NONE when either is unreadable. */
static int pw_probe_link(struct pw *p, struct pw_dev *v, const char *ddir)
{
    struct pci_dev *d = v->d;
    const char *mspeed, *mwidth;
    double s, w;
    struct pci_cap *cap;

    v->speed_path = drv_fmt(&p->strs, "%s/current_link_speed", ddir);
    v->width_path = drv_fmt(&p->strs, "%s/current_link_width", ddir);
    mspeed = drv_fmt(&p->strs, "%s/max_link_speed", ddir);
    mwidth = drv_fmt(&p->strs, "%s/max_link_width", ddir);
    if (!v->speed_path || !v->width_path || !mspeed || !mwidth)
        return -1;
    if (pw_sysfs_speed(mspeed, &s) == 0 && pw_sysfs_width(mwidth, &w) == 0 &&
        access(v->speed_path, R_OK) == 0 && access(v->width_path, R_OK) == 0) {
        v->link = PW_LINK_SYSFS;
        v->speed_max = s;
        v->width_max = w;
        return 0;
    }
    pci_fill_info(d, PCI_FILL_CAPS);
    cap = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
    if (cap) {
        unsigned lc = pci_read_long(d, (int)cap->addr + PCI_EXP_LNKCAP);
        unsigned lw = (lc & PCI_EXP_LNKCAP_WIDTH) >> 4;

        if (lc != 0xffffffffu && lw &&
            pw_code_speed(lc & PCI_EXP_LNKCAP_SPEED, &s) == 0) {
            v->link = PW_LINK_CONFIG;
            v->cap = cap->addr;
            v->speed_max = s;
            v->width_max = lw;
        }
    }
    return 0;
}

static int pw_add_signal(struct pw *p, uint32_t dev, int what, const char *desc)
{
    if (!desc)
        return -1;
    p->signals[p->n_sig] = (struct wattson_signal_desc){
        pw_sigs[what].name,      dev, pw_sigs[what].unit,
        pw_sigs[what].behaviour, 0,   desc};
    p->src[p->n_sig] = (struct pw_src){dev, what};
    p->n_sig++;
    return 0;
}

/* One function: device, description, signals. */
static int pw_add_dev(struct pw *p, struct pci_dev *d, const char *bus,
                      const char *kind)
{
    uint32_t i = (uint32_t)p->n_dev;
    struct pw_dev *v = &p->devs[i];
    char names[256], cname[128];
    const char *name, *ddir, *label, *src;
    int w;

    name = drv_fmt(&p->strs, "pci:%04x:%02x:%02x.%d", (unsigned)d->domain,
                   (unsigned)d->bus, (unsigned)d->dev, (int)d->func);
    ddir = drv_fmt(&p->strs, "%s/devices/%04x:%02x:%02x.%d", bus,
                   (unsigned)d->domain, (unsigned)d->bus, (unsigned)d->dev,
                   (int)d->func);
    if (!name || !ddir)
        return -1;
    v->d = d;
    v->cls = (double)((unsigned)d->device_class << 8 | d->prog_if);
    if (pw_probe_link(p, v, ddir) != 0)
        return -1;
    pci_lookup_name(p->acc, names, sizeof names,
                    PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_HWDB,
                    (int)d->vendor_id, (int)d->device_id);
    pci_lookup_name(p->acc, cname, sizeof cname,
                    PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_HWDB,
                    (int)d->device_class);
    p->devices[i] = (struct wattson_device_desc){name, kind, -1, NULL, 0};
    p->n_dev++;
    label = drv_fmt(&p->strs, "%s %s [%04x:%04x], %s", name + 4, names,
                    (unsigned)d->vendor_id, (unsigned)d->device_id, cname);
    if (!label)
        return -1;
    if (pw_add_signal(
            p, i, PW_CLASS,
            drv_fmt(&p->strs, "%s (class %06x)", label, (unsigned)v->cls)) != 0)
        return -1;
    if (v->link == PW_LINK_NONE)
        return 0;
    src = v->link == PW_LINK_SYSFS ? "sysfs" : "config space";
    for (w = PW_SPEED; w < PW_NSIG; w++)
        if (pw_add_signal(p, i, w,
                          drv_fmt(&p->strs, "%s %s, from %s", name,
                                  pw_sigs[w].what, src)) != 0)
            return -1;
    return 0;
}

static int pw_all(const struct wattson_host *h, int *all, char *err,
                  size_t errlen)
{
    int type = h->cfg_type(h->ctx, "all");

    *all = 0;
    if (type == WATTSON_CFG_NONE)
        return WATTSON_OK;
    if (type != WATTSON_CFG_BOOL || h->cfg_bool(h->ctx, "all", all) != 0) {
        snprintf(err, errlen,
                 "config key 'all': expected true or false (list every "
                 "PCI function, not only accelerators)");
        return WATTSON_ERR_CONFIG;
    }
    *all = *all != 0;
    return WATTSON_OK;
}

/* The libpci part of init; runs under pw_guard. */
static int pw_scan(struct pw *p, char *bus, int all, char *err, size_t errlen)
{
    struct pci_dev **list, *d;
    size_t n = 0, i, n_acc = 0;
    int rc = WATTSON_OK;

    p->acc = pci_alloc();
    p->acc->error = pw_error;
    p->acc->warning = pw_quiet;
    p->acc->debug = pw_quiet;
    p->acc->method = PCI_ACCESS_SYS_BUS_PCI;
    if (pci_set_param(p->acc, "sysfs.path", bus) != 0) {
        snprintf(err, errlen, "pci: libpci has no sysfs.path parameter");
        return WATTSON_ERR_UNSUPPORTED;
    }
    pci_init(p->acc);
    pci_scan_bus(p->acc);
    for (d = p->acc->devices; d; d = d->next)
        n++;
    if (n > PCIW_MAX_DEVICES)
        n = PCIW_MAX_DEVICES;
    if (!(list = calloc(n ? n : 1, sizeof *list))) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    for (i = 0, d = p->acc->devices; d && i < n; d = d->next) {
        pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT);
        if (pw_accel_kind(d))
            n_acc++;
        if (all || pw_accel_kind(d))
            list[i++] = d;
    }
    n = i;
    qsort(list, n, sizeof *list, pw_dev_cmp);
    if (n == 0) {
        snprintf(err, errlen,
                 "pci: no accelerators (display, processing accelerator or "
                 "FPGA functions) among the PCI devices under %s",
                 bus);
        free(list);
        return WATTSON_ERR_UNSUPPORTED;
    }
    p->devs = calloc(n, sizeof *p->devs);
    p->devices = calloc(n, sizeof *p->devices);
    p->signals = calloc(n * PW_NSIG, sizeof *p->signals);
    p->src = calloc(n * PW_NSIG, sizeof *p->src);
    if (!p->devs || !p->devices || !p->signals || !p->src)
        rc = WATTSON_ERR;
    for (i = 0; i < n && rc == WATTSON_OK; i++) {
        const char *kind = pw_accel_kind(list[i]);

        if (pw_add_dev(p, list[i], bus, kind ? kind : "pci") != 0)
            rc = WATTSON_ERR;
    }
    free(list);
    if (rc != WATTSON_OK) {
        snprintf(err, errlen, "out of memory");
        return rc;
    }
    p->host->log(p->host->ctx, WATTSON_LOG_INFO,
                 "pci: %zu devices (%zu accelerators), %zu signals under %s",
                 p->n_dev, n_acc, p->n_sig, bus);
    return WATTSON_OK;
}

/* Every entry of DIR is a function libpci can scan: its name parses and
 * the attributes the scan reads are there. */
static int pw_check_tree(DIR *dir, const char *devdir, char *err, size_t errlen)
{
    static const char *const need[] = {"vendor", "device", "class", "irq",
                                       "resource"};
    struct dirent *e;

    while ((e = readdir(dir)) != NULL) {
        unsigned dom, bus, dev;
        int func, used = 0;
        char path[4096];
        size_t k;

        if (e->d_name[0] == '.')
            continue;
        if (sscanf(e->d_name, "%x:%x:%x.%d%n", &dom, &bus, &dev, &func,
                   &used) != 4 ||
            e->d_name[used] != '\0') {
            snprintf(err, errlen, "pci: %s/%s is not a PCI address", devdir,
                     e->d_name);
            return WATTSON_ERR;
        }
        for (k = 0; k < sizeof need / sizeof need[0]; k++) {
            snprintf(path, sizeof path, "%s/%s/%s", devdir, e->d_name, need[k]);
            if (access(path, R_OK) != 0) {
                snprintf(err, errlen, "pci: %s is not readable (%s)", path,
                         strerror(errno));
                return WATTSON_ERR;
            }
        }
    }
    return WATTSON_OK;
}

/* pw_scan with libpci's fatal errors turned into WATTSON_ERR. */
static int pw_guarded_scan(struct pw *p, char *bus, int all, char *err,
                           size_t errlen)
{
    jmp_buf jb;
    int rc;

    pw_jmp = &jb;
    if (setjmp(jb) != 0) {
        pw_jmp = NULL;
        snprintf(err, errlen, "pci: libpci: %s", pw_errmsg);
        return WATTSON_ERR;
    }
    rc = pw_scan(p, bus, all, err, errlen);
    pw_jmp = NULL;
    return rc;
}

static int pw_build(struct pw *p, const struct wattson_host *h, char *err,
                    size_t errlen)
{
    const char *root;
    char *bus, *devdir;
    DIR *dir;
    int rc, all;

    if ((rc = drv_root(&p->strs, h, &root, err, errlen)) != WATTSON_OK ||
        (rc = pw_all(h, &all, err, errlen)) != WATTSON_OK)
        return rc;
    if (!(bus = drv_fmt(&p->strs, "%s%s", root, PCIW_BUS)) ||
        !(devdir = drv_fmt(&p->strs, "%s/devices", bus))) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    /* libpci treats a missing tree or a malformed entry as fatal (and
     * leaks when its error handler jumps out): look first. */
    if (!(dir = opendir(devdir))) {
        snprintf(err, errlen, "pci: no PCI devices under %s (%s)", devdir,
                 strerror(errno));
        return WATTSON_ERR_UNSUPPORTED;
    }
    rc = pw_check_tree(dir, devdir, err, errlen);
    closedir(dir);
    if (rc != WATTSON_OK)
        return rc;
    return pw_guarded_scan(p, bus, all, err, errlen);
}

static int pw_init(const struct wattson_host *host, void **state,
                   struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct pw *p;
    int rc;

    if ((rc = drv_host_ok(host, err, errlen)) != WATTSON_OK)
        return rc;
    if (!(p = calloc(1, sizeof *p))) {
        snprintf(err, errlen, "out of memory");
        return WATTSON_ERR;
    }
    p->host = host;
    rc = pw_build(p, host, err, errlen);
    if (rc != WATTSON_OK) {
        pw_free(p);
        return rc;
    }
    inv->devices = p->devices;
    inv->n_devices = p->n_dev;
    inv->signals = p->signals;
    inv->n_signals = p->n_sig;
    inv->controls = NULL;
    inv->n_controls = 0;
    *state = p;
    return WATTSON_OK;
}

static void pw_fini(void *state)
{
    pw_free(state);
}

static void pw_read_all(const struct pw *p, double *values, uint8_t *valid,
                        size_t n)
{
    size_t i;

    for (i = 0; i < n && i < p->n_sig; i++)
        valid[i] = pw_value(p, &p->src[i], &values[i]) == 0;
}

static int pw_read(void *state, double *values, uint8_t *valid, size_t n)
{
    const struct pw *p = state;
    jmp_buf jb;

    pw_jmp = &jb;
    if (setjmp(jb) != 0) {
        pw_jmp = NULL;
        p->host->log(p->host->ctx, WATTSON_LOG_WARN, "pci: libpci: %s",
                     pw_errmsg);
        return WATTSON_ERR;
    }
    pw_read_all(p, values, valid, n);
    pw_jmp = NULL;
    return WATTSON_OK;
}

static const struct wattson_plugin pw_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = 0, /* real hardware */
    .name = "pci",
    .version = "1.0",
    .description = "pci: accelerators on the PCI bus (libpci) - GPUs, "
                   "processing accelerators, FPGAs and their PCIe links",
    .init = pw_init,
    .fini = pw_fini,
    .read = pw_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &pw_desc;
}
