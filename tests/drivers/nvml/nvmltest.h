/*
 * nvmltest.h - what the nvml driver's test programs (test_nvml.c,
 * test_nvml_procs.c) share: the fake libraries' paths, the fake host's
 * configuration (just `library`), the fake library's event log, and
 * loading nvml.so through the real loader.  Include after drvtest.h.
 */
#ifndef WATTSON_NVMLTEST_H
#define WATTSON_NVMLTEST_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "drvtest.h"
#include "loader/loader.h"
#include "t.h"

#ifndef FAKENVML_LIB
#define FAKENVML_LIB "build/tests/drivers/nvml/fakenvml/libnvidia-ml.so.1"
#endif
#ifndef FAKENVML_NOV2_LIB
#define FAKENVML_NOV2_LIB                                                      \
    "build/tests/drivers/nvml/fakenvml_nov2/libnvidia-ml.so.1"
#endif
#ifndef FAKENVML_NOV3_LIB
#define FAKENVML_NOV3_LIB                                                      \
    "build/tests/drivers/nvml/fakenvml_nov3/libnvidia-ml.so.1"
#endif
#ifndef FAKENVML_R535_LIB
#define FAKENVML_R535_LIB                                                      \
    "build/tests/drivers/nvml/fakenvml_r535/libnvidia-ml.so.1"
#endif

/* ---- fake host configuration (the host is drvtest.h's) --------------- */

static const char *th_library;   /* `library`, or NULL: not configured */
static int th_library_is_number; /* `library` = 7 (a config error) */
static const char *th_lab_dir;   /* lab_dir given to the plugin */

/* ---- helpers ---------------------------------------------------------- */

static char tn_fakelog[64]; /* FAKENVML_LOG of this run */

/* The fake library's event log so far. */
static inline const char *tn_fake_events(void)
{
    static char buf[4096];
    size_t n = 0;
    FILE *f = fopen(tn_fakelog, "r");

    buf[0] = '\0';
    if (f) {
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
    return buf;
}

static inline void tn_fake_reset(void)
{
    FILE *f = fopen(tn_fakelog, "w");

    if (f)
        fclose(f);
    unsetenv("FAKENVML_GPUS");
    unsetenv("FAKENVML_INIT_FAIL");
    unsetenv("FAKENVML_NOT_SUPPORTED");
    unsetenv("FAKENVML_LOST_AFTER");
    unsetenv("FAKENVML_LOST_GPU");
    unsetenv("FAKENVML_SET_RC");
    unsetenv("FAKENVML_PROCS");
    unsetenv("FAKENVML_UTIL_TICKS");
    unsetenv("FAKENVML_PROC_DUP");
    unsetenv("FAKENVML_PROC_RC");
    unsetenv("WATTSON_NVML_LIB");
    th_library = FAKENVML_LIB;
    th_library_is_number = 0;
}

/* Finds nvml.so the way wattson does, opens and initialises it.  Returns
 * the plug_init class; *out is the plugin on PLUG_OK. */
static inline int tn_load(struct plug **out, char *err, size_t errlen)
{
    struct wattson_host h;
    struct th_cfg cfg = {"library",
                         th_library_is_number ? WATTSON_CFG_NUMBER
                                              : WATTSON_CFG_STRING,
                         7, th_library, 0};
    int rc = dt_open("nvml", out, err, errlen);

    if (rc != PLUG_OK)
        return rc;
    T_CHECK((*out)->desc->write != NULL);
    th_host(&h, th_lab_dir, &cfg, th_library || th_library_is_number ? 1 : 0);
    return plug_init(out, &h, err, errlen);
}

static inline struct plug *tn_load_ok(void)
{
    return dt_load_ok(tn_load);
}

/* A FAKENVML_LOG file for this run; 0, or -1 after a message. */
static inline int tn_setup(void)
{
    int fd;

    unsetenv("WATTSON_PLUGIN_PATH");
    snprintf(tn_fakelog, sizeof tn_fakelog, "/tmp/wattson-nvml-XXXXXX");
    fd = mkstemp(tn_fakelog);
    if (fd < 0) {
        perror("mkstemp");
        return -1;
    }
    close(fd);
    setenv("FAKENVML_LOG", tn_fakelog, 1);
    return 0;
}

#endif
