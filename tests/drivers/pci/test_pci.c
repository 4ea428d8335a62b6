/*
 * test_pci - the pci driver (drivers/pci) loaded through the real plugin
 * loader (plug_find, plug_open, plug_init) against copies of the fixture
 * trees in tests/fixtures/sysfs/pci (read by libpci's linux-sysfs method
 * with its sysfs.path parameter), and against this machine's /sys.
 *
 * The host is drvtest.h's fake: log lines go into a buffer and
 * the configuration is a small table (`root` and `all`).
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

#ifndef WATTSON_PCI_FIXTURES
#define WATTSON_PCI_FIXTURES "tests/fixtures/sysfs/pci"
#endif

#define DEVS "/sys/bus/pci/devices/"

/* ---- fake host configuration (the host is drvtest.h's) --------------- */

static const char *th_root;    /* `root`, or NULL: not configured */
static int th_root_is_number;  /* `root` = 7 (a config error) */
static int th_all = -1;        /* `all`: -1 not configured, 0/1 a bool */
static int th_all_is_string;   /* `all` = "yes" (a config error) */
static const char *th_lab_dir; /* lab_dir given to the plugin */

/* ---- helpers ---------------------------------------------------------- */

static void tp_write(const char *root, const char *file, const void *data,
                     size_t len)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s%s", root, file);
    f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        T_CHECK(!"write fixture file");
        return;
    }
    T_CHECK(fwrite(data, 1, len, f) == len);
    fclose(f);
}

static void tp_text(const char *root, const char *file, const char *text)
{
    tp_write(root, file, text, strlen(text));
}

/* Finds pci.so the way wattson does, opens and initialises it.  Returns
 * the plug_init class; *out is the plugin on PLUG_OK. */
static int tp_load(struct plug **out, char *err, size_t errlen)
{
    struct wattson_host h;
    struct th_cfg cfg[2];
    size_t n = 0;
    int rc = dt_open("pci", out, err, errlen);

    if (rc != PLUG_OK)
        return rc;
    T_CHECK((*out)->desc->write == NULL);
    if (th_root || th_root_is_number)
        cfg[n++] = (struct th_cfg){
            "root", th_root_is_number ? WATTSON_CFG_NUMBER : WATTSON_CFG_STRING,
            7, th_root, 0};
    if (th_all_is_string)
        cfg[n++] = (struct th_cfg){"all", WATTSON_CFG_STRING, 0, "yes", 0};
    else if (th_all >= 0)
        cfg[n++] = (struct th_cfg){"all", WATTSON_CFG_BOOL, 0, NULL, th_all};
    th_host(&h, th_lab_dir, cfg, n);
    return plug_init(out, &h, err, errlen);
}

static struct plug *tp_load_ok(void)
{
    return dt_load_ok(tp_load);
}

/* Index of signal `name` on device `dev`, or -1. */
static int tp_sig(const struct plug *p, uint32_t dev, const char *name)
{
    size_t i;

    for (i = 0; i < p->inv.n_signals; i++)
        if (p->inv.signals[i].device == dev &&
            strcmp(p->inv.signals[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* 256 bytes of config space with a PCIe capability at 0x40: LNKCAP says
 * 16 GT/s x16, LNKSTA `sta`. */
static void tp_config(const char *root, const char *addr, unsigned sta)
{
    unsigned char c[256];
    unsigned cap = (16u << 4) | 4u;
    char file[256];

    memset(c, 0, sizeof c);
    c[0] = 0xa3; /* 1da3:1020 */
    c[1] = 0x1d;
    c[2] = 0x20;
    c[3] = 0x10;
    c[0x06] = 0x10; /* status: capability list */
    c[0x0b] = 0x12; /* class */
    c[0x34] = 0x40; /* first capability */
    c[0x40] = 0x10; /* PCI_CAP_ID_EXP, last in the list */
    c[0x42] = 0x02; /* version 2, endpoint */
    c[0x4c] = (unsigned char)(cap & 0xff);
    c[0x4d] = (unsigned char)(cap >> 8);
    c[0x52] = (unsigned char)(sta & 0xff);
    c[0x53] = (unsigned char)(sta >> 8);
    snprintf(file, sizeof file, "%s%s/config", DEVS, addr);
    tp_write(root, file, c, sizeof c);
}

static double tp_bw(double gts, double lanes)
{
    return gts * 1e9 * lanes * (gts <= 5 ? 0.8 : 128.0 / 130.0) / 8;
}

/* ---- tests ------------------------------------------------------------ */

struct tp_want {
    const char *sig;
    int valid;
    double value;
};

static void tp_expect(const struct plug *p, uint32_t dev, const double *v,
                      const uint8_t *ok, const struct tp_want *w, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int s = tp_sig(p, dev, w[i].sig);

        T_CHECK(s >= 0);
        if (s < 0) {
            fprintf(stderr, "  no signal %s on device %u\n", w[i].sig,
                    (unsigned)dev);
            continue;
        }
        if (ok[s] != w[i].valid)
            fprintf(stderr, "  device %u %s: valid %d\n", (unsigned)dev,
                    w[i].sig, ok[s]);
        T_CHECK(ok[s] == w[i].valid);
        if (w[i].valid)
            T_NEAR(v[s], w[i].value, 1e-6 * fabs(w[i].value) + 1e-9);
    }
}

static void test_accel(void)
{
    char dir[] = "/tmp/wattson-pci-XXXXXX";
    static const char *const names[] = {"pci:0000:00:02.0", "pci:0000:01:00.0",
                                        "pci:0000:02:00.0", "pci:0000:03:00.0",
                                        "pci:0000:04:00.0"};
    static const char *const kinds[] = {"gpu", "gpu", "accel", "fpga", "fpga"};
    static const size_t nsig[] = {1, 7, 7, 7, 7};
    const struct tp_want nv[] = {
        {"class", 1, 0x030000},
        {"link_speed", 1, 2.5e9},
        {"link_speed_max", 1, 16e9},
        {"link_width", 1, 16},
        {"link_width_max", 1, 16},
        {"link_bandwidth", 1, 4e9},
        {"link_bandwidth_max", 1, tp_bw(16, 16)},
    };
    const struct tp_want habana[] = {
        {"class", 1, 0x120000},
        {"link_speed", 1, 8e9},
        {"link_speed_max", 1, 16e9},
        {"link_width", 1, 8},
        {"link_width_max", 1, 16},
        {"link_bandwidth", 1, tp_bw(8, 8)},
        {"link_bandwidth_max", 1, tp_bw(16, 16)},
    };
    const struct tp_want xilinx[] = {
        {"class", 1, 0x118000},
        {"link_speed", 1, 8e9},
        {"link_width", 1, 8},
        {"link_bandwidth", 1, tp_bw(8, 8)},
    };
    const struct tp_want altera[] = {
        {"class", 1, 0x0b4000},         {"link_speed", 0, 0}, /* "Unknown" */
        {"link_speed_max", 1, 5e9},     {"link_width", 0, 0}, /* 0: link down */
        {"link_width_max", 1, 4},       {"link_bandwidth", 0, 0},
        {"link_bandwidth_max", 1, 2e9},
    };
    const struct tp_want nv2[] = {
        {"link_speed", 1, 16e9},
        {"link_width", 0, 0},
        {"link_bandwidth", 0, 0},
        {"link_bandwidth_max", 1, tp_bw(16, 16)},
    };
    const struct tp_want habana2[] = {
        {"link_speed", 1, 2.5e9},
        {"link_width", 1, 4},
        {"link_bandwidth", 1, 1e9},
    };
    const struct tp_want xilinx2[] = {
        {"link_speed", 0, 0},
        {"link_width", 1, 8},
        {"link_bandwidth", 0, 0},
        {"link_width_max", 1, 8},
    };
    double v[64];
    uint8_t ok[64];
    struct plug *p;
    size_t i, k = 0;
    char path[4200];

    if (dt_copy(WATTSON_PCI_FIXTURES, "accel", dir) != 0)
        return;
    /* The Gaudi's link is only in config space: LNKSTA 8 GT/s x8. */
    tp_config(dir, "0000:02:00.0", (8u << 4) | 3u);
    th_root = dir;
    p = tp_load_ok();
    if (!p)
        goto out;
    T_CHECK(th_has(th_logbuf, "pci: 5 devices (5 accelerators), 29 signals"));

    /* Accelerators only, in address order: the bridge and the two audio
     * functions are left out. */
    T_CHECK(p->inv.n_devices == 5);
    if (p->inv.n_devices != 5)
        goto close;
    for (i = 0; i < 5; i++) {
        T_STREQ(p->inv.devices[i].name, names[i]);
        T_STREQ(p->inv.devices[i].kind, kinds[i]);
        T_CHECK(p->inv.devices[i].parent == -1);
    }
    T_CHECK(p->inv.n_controls == 0);
    T_CHECK(p->inv.n_signals == 29);
    if (p->inv.n_signals != 29)
        goto close;
    /* Signals grouped by device, class first, units and behaviours. */
    for (i = 0; i < 5; i++) {
        size_t j;

        for (j = 0; j < nsig[i]; j++, k++) {
            const struct wattson_signal_desc *s = &p->inv.signals[k];

            T_CHECK(s->device == i);
            T_CHECK(s->description && *s->description);
            T_NEAR(s->wrap, 0, 0);
            if (j == 0) {
                T_STREQ(s->name, "class");
                T_CHECK(s->behaviour == WATTSON_CONSTANT);
            }
        }
    }
    {
        const struct wattson_signal_desc *s =
            &p->inv.signals[tp_sig(p, 1, "link_speed")];

        T_STREQ(s->unit, "bit/s");
        T_CHECK(s->behaviour == WATTSON_GAUGE);
        s = &p->inv.signals[tp_sig(p, 1, "link_bandwidth")];
        T_STREQ(s->unit, "B/s");
        T_CHECK(s->behaviour == WATTSON_GAUGE);
        s = &p->inv.signals[tp_sig(p, 1, "link_bandwidth_max")];
        T_CHECK(s->behaviour == WATTSON_CONSTANT);
        s = &p->inv.signals[tp_sig(p, 1, "link_width_max")];
        T_STREQ(s->unit, "1");
        T_CHECK(s->behaviour == WATTSON_CONSTANT);
        T_CHECK(th_has(s->description, "from sysfs"));
        s = &p->inv.signals[tp_sig(p, 2, "link_width")];
        T_CHECK(th_has(s->description, "from config space"));
    }
    /* Vendor and device names from pci.ids. */
    T_CHECK(th_has(p->inv.signals[0].description, "Intel Corporation"));
    T_CHECK(th_has(p->inv.signals[0].description, "[8086:3e92]"));
    T_CHECK(th_has(p->inv.signals[tp_sig(p, 1, "class")].description,
                   "NVIDIA Corporation GA102 [GeForce RTX 3090]"));
    T_CHECK(th_has(p->inv.signals[tp_sig(p, 2, "class")].description,
                   "Habana Labs Ltd. Gaudi2"));
    T_CHECK(
        th_has(p->inv.signals[tp_sig(p, 3, "class")].description, "Xilinx"));

    memset(ok, 7, sizeof ok);
    T_CHECK(p->desc->read(p->state, v, ok, p->inv.n_signals) == WATTSON_OK);
    T_CHECK(ok[0] == 1);
    T_NEAR(v[0], 0x030000, 0);
    tp_expect(p, 1, v, ok, nv, sizeof nv / sizeof nv[0]);
    tp_expect(p, 2, v, ok, habana, sizeof habana / sizeof habana[0]);
    tp_expect(p, 3, v, ok, xilinx, sizeof xilinx / sizeof xilinx[0]);
    tp_expect(p, 4, v, ok, altera, sizeof altera / sizeof altera[0]);

    /* Gauges are read at each read; a file that goes away or holds junk
     * is invalid, not zero, and the others still read. */
    tp_text(dir, DEVS "0000:01:00.0/current_link_speed", "16.0 GT/s PCIe\n");
    snprintf(path, sizeof path, "%s%s0000:01:00.0/current_link_width", dir,
             DEVS);
    T_CHECK(unlink(path) == 0);
    tp_config(dir, "0000:02:00.0", (4u << 4) | 1u);
    tp_text(dir, DEVS "0000:03:00.0/current_link_speed", "garbage\n");
    memset(ok, 7, sizeof ok);
    T_CHECK(p->desc->read(p->state, v, ok, p->inv.n_signals) == WATTSON_OK);
    tp_expect(p, 1, v, ok, nv2, sizeof nv2 / sizeof nv2[0]);
    tp_expect(p, 2, v, ok, habana2, sizeof habana2 / sizeof habana2[0]);
    tp_expect(p, 3, v, ok, xilinx2, sizeof xilinx2 / sizeof xilinx2[0]);

    /* Config space that no longer reads: invalid. */
    snprintf(path, sizeof path, "%s%s0000:02:00.0/config", dir, DEVS);
    T_CHECK(truncate(path, 16) == 0);
    T_CHECK(p->desc->read(p->state, v, ok, p->inv.n_signals) == WATTSON_OK);
    T_CHECK(ok[tp_sig(p, 2, "link_speed")] == 0);
    T_CHECK(ok[tp_sig(p, 2, "link_width")] == 0);
    T_CHECK(ok[tp_sig(p, 2, "link_speed_max")] == 1);
close:
    plug_close(p);
out:
    th_root = NULL;
    dt_rmtree(dir);
}

/* `all = true`: every function, the others of kind "pci"; without a
 * config file the Gaudi has no link signals. */
static void test_all(void)
{
    char dir[] = "/tmp/wattson-pci-XXXXXX";
    static const char *const names[] = {"pci:0000:00:00.0", "pci:0000:00:02.0",
                                        "pci:0000:00:1f.3", "pci:0000:01:00.0",
                                        "pci:0000:01:00.1", "pci:0000:02:00.0",
                                        "pci:0000:03:00.0", "pci:0000:04:00.0"};
    static const char *const kinds[] = {"pci", "gpu",   "pci",  "gpu",
                                        "pci", "accel", "fpga", "fpga"};
    struct plug *p;
    size_t i;

    if (dt_copy(WATTSON_PCI_FIXTURES, "accel", dir) != 0)
        return;
    th_root = dir;
    th_all = 1;
    p = tp_load_ok();
    if (!p)
        goto out;
    T_CHECK(th_has(th_logbuf, "pci: 8 devices (5 accelerators)"));
    T_CHECK(p->inv.n_devices == 8);
    for (i = 0; i < 8 && i < p->inv.n_devices; i++) {
        T_STREQ(p->inv.devices[i].name, names[i]);
        T_STREQ(p->inv.devices[i].kind, kinds[i]);
    }
    T_CHECK(tp_sig(p, 5, "class") >= 0);
    T_CHECK(tp_sig(p, 5, "link_speed") < 0);
    T_CHECK(tp_sig(p, 4, "link_bandwidth") >= 0);
    T_CHECK(th_has(p->inv.signals[tp_sig(p, 2, "class")].description,
                   "Cannon Lake PCH cAVS"));
    plug_close(p);

    /* `all = false` is the default. */
    th_all = 0;
    p = tp_load_ok();
    if (p) {
        T_CHECK(p->inv.n_devices == 5);
        plug_close(p);
    }
out:
    th_all = -1;
    th_root = NULL;
    dt_rmtree(dir);
}

static void test_unsupported(void)
{
    char dir[] = "/tmp/wattson-pci-XXXXXX";
    char want[4200], err[2048];
    struct plug *p;
    int rc;

    /* Devices, but no accelerator among them (a Xilinx memory controller
     * is not an FPGA by its class). */
    if (dt_copy(WATTSON_PCI_FIXTURES, "none", dir) != 0)
        return;
    th_root = dir;
    rc = tp_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    T_CHECK(p == NULL);
    snprintf(want, sizeof want, "among the PCI devices under %s/sys/bus/pci",
             dir);
    T_CHECK(th_has(err, "pci: no accelerators"));
    T_CHECK(th_has(err, want));
    T_CHECK(strchr(err, '\n') == NULL);

    /* The same tree with `all`: three devices. */
    th_all = 1;
    p = tp_load_ok();
    if (p) {
        T_CHECK(p->inv.n_devices == 3);
        plug_close(p);
    }
    th_all = -1;
    dt_rmtree(dir);

    /* No sys/bus/pci at all. */
    snprintf(dir, sizeof dir, "/tmp/wattson-pci-XXXXXX");
    if (!mkdtemp(dir)) {
        T_CHECK(!"mkdtemp");
        return;
    }
    th_root = dir;
    rc = tp_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_ABSENT);
    snprintf(want, sizeof want,
             "pci: no PCI devices under %s/sys/bus/pci/devices (", dir);
    T_CHECK(th_has(err, want));
    T_CHECK(strchr(err, '\n') == NULL);

    /* Entries libpci would fail on (fatally, in libpci) are one line. */
    snprintf(want, sizeof want, "mkdir -p '%s/sys/bus/pci/devices/junk'", dir);
    T_CHECK(system(want) == 0);
    rc = tp_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_INIT);
    T_CHECK(th_has(err, "/junk is not a PCI address"));
    snprintf(want, sizeof want,
             "cd '%s/sys/bus/pci/devices' && mv junk 0000:00:01.0 && "
             "echo 0x8086 >0000:00:01.0/vendor",
             dir);
    T_CHECK(system(want) == 0);
    rc = tp_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_INIT);
    T_CHECK(th_has(err, "0000:00:01.0/device is not readable"));
    T_CHECK(strchr(err, '\n') == NULL);

    /* Configuration errors are the lab's fault. */
    th_root_is_number = 1;
    rc = tp_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG);
    T_CHECK(th_has(err, "config key 'root'"));
    th_root_is_number = 0;
    th_all_is_string = 1;
    rc = tp_load(&p, err, sizeof err);
    T_CHECK(rc == PLUG_ERR_CONFIG);
    T_CHECK(th_has(err, "config key 'all'"));
    th_all_is_string = 0;
    th_root = NULL;
    dt_rmtree(dir);
}

/* No `root`: $WATTSON_SYSFS_ROOT; a relative root: the lab's directory. */
static void test_root_sources(void)
{
    char dir[] = "/tmp/wattson-pci-XXXXXX";
    struct plug *p;

    if (dt_copy(WATTSON_PCI_FIXTURES, "accel", dir) != 0)
        return;
    th_root = NULL;
    setenv("WATTSON_SYSFS_ROOT", dir, 1);
    p = tp_load_ok();
    if (p) {
        T_CHECK(p->inv.n_devices == 5);
        plug_close(p);
    }
    unsetenv("WATTSON_SYSFS_ROOT");

    th_lab_dir = "/tmp";
    th_root = dir + strlen("/tmp/");
    p = tp_load_ok();
    if (p) {
        T_CHECK(p->inv.n_devices == 5);
        plug_close(p);
    }
    th_lab_dir = NULL;
    th_root = NULL;
    dt_rmtree(dir);
}

/* This machine's /sys with `all = true`: every function libpci finds. */
static void test_machine(void)
{
    struct stat st;
    struct plug *p;
    double v[512];
    uint8_t ok[512];
    size_t i;

    if (stat("/sys/bus/pci/devices", &st) != 0) {
        t_skip("test_pci: no /sys/bus/pci here: this machine's functions "
               "not tested");
        return;
    }
    th_all = 1;
    p = tp_load_ok();
    th_all = -1;
    if (!p)
        return;
    fprintf(stderr, "test_pci: this machine: %s", th_logbuf);
    T_CHECK(p->inv.n_devices >= 1);
    for (i = 0; i < p->inv.n_devices; i++)
        T_CHECK(strncmp(p->inv.devices[i].name, "pci:", 4) == 0);
    if (p->inv.n_signals <= 512) {
        T_CHECK(p->desc->read(p->state, v, ok, p->inv.n_signals) == WATTSON_OK);
        T_CHECK(ok[0] == 1);
    }
    plug_close(p);
}

int main(void)
{
    unsetenv("WATTSON_PLUGIN_PATH");
    unsetenv("WATTSON_SYSFS_ROOT");
    test_accel();
    test_all();
    test_unsupported();
    test_root_sources();
    test_machine();
    return t_done("test_pci");
}
