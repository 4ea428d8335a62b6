/*
 * badinv - test plugin: init succeeds but returns an inventory with one
 * defect, chosen by the config key `case` (a number; 0 or absent = sane).
 * The loader must refuse it and, since init succeeded, call fini: the
 * state is heap-allocated so that a missing fini shows up as an ASan leak,
 * and fini logs "badinv: fini" so a test can see it directly.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wattson/plugin.h"

enum {
    BADINV_SANE = 0,
    BADINV_NULL_DEVICES = 1,  /* n_devices > 0, devices NULL */
    BADINV_SIGNAL_DEVICE = 2, /* signal names device 2 of 2 */
    BADINV_CONTROL_DEVICE = 3,
    BADINV_DEVICE_NAME = 4,  /* device name NULL */
    BADINV_RANGE = 5,        /* control min > max */
    BADINV_INF = 6,          /* control max infinite */
    BADINV_DUP_NAME = 7,     /* two devices called bi0 */
    BADINV_SIGNAL_NAME = 8,  /* signal name NULL */
    BADINV_NULL_SIGNALS = 9, /* n_signals > 0, signals NULL */
    BADINV_PS_DEVICE = 10,   /* P-state table names device 5 */
    BADINV_PS_ORDER = 11,    /* frequencies not increasing */
    BADINV_PS_IDLE = 12,     /* idle power above busy power */
    BADINV_PS_NAN = 13,      /* a NaN busy power */
    BADINV_PROC_DUP = 14,    /* pid 77 listed twice */
    BADINV_PROC_DEVICE = 15, /* process on device 9 */
    BADINV_PS_TWICE = 16,    /* two tables for bi0 */
    BADINV_NCASES
};

struct badinv {
    const struct wattson_host *host;
    struct wattson_device_desc devices[2];
    struct wattson_signal_desc signals[1];
    struct wattson_control_desc controls[1];
    /* ABI 1.1: a three-state table for each device, two processes, and
     * one IPC event per read. */
    double freq[3], busy[3], idle[3];
    struct wattson_pstate_table pstates[2];
    struct wattson_proc_desc procs[2];
    uint32_t reads;
};

static int badinv_init(const struct wattson_host *host, void **state,
                       struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct badinv *b;
    double c = 0;

    (void)err;
    (void)errlen;
    /* Checking the type first makes the answer independent of the
     * cfg_number return convention. */
    if (host->cfg_type(host->ctx, "case") == WATTSON_CFG_NUMBER)
        (void)host->cfg_number(host->ctx, "case", &c);
    b = calloc(1, sizeof *b);
    if (!b)
        return WATTSON_ERR;
    b->host = host;
    b->devices[0] = (struct wattson_device_desc){"bi0", "cpu", -1, NULL, 0};
    b->devices[1] = (struct wattson_device_desc){"bi1", "cpu", -1, NULL, 0};
    b->signals[0] = (struct wattson_signal_desc){
        "util", 1, "1", WATTSON_GAUGE, 0, "busy fraction"};
    b->controls[0] =
        (struct wattson_control_desc){"freq", 0, "Hz", 1e9, 2e9, 0, "clock"};
    inv->devices = b->devices;
    inv->n_devices = 2;
    inv->signals = b->signals;
    inv->n_signals = 1;
    inv->controls = b->controls;
    inv->n_controls = 1;
    for (int k = 0; k < 3; k++) {
        b->freq[k] = 1e9 * (k + 1);
        b->busy[k] = 4.0 * (k + 1) * (k + 1);
        b->idle[k] = 1.0 + k;
    }
    for (uint32_t d = 0; d < 2; d++)
        b->pstates[d] = (struct wattson_pstate_table){d,       3,       b->freq,
                                                      b->busy, b->idle, 60.0};
    b->procs[0] = (struct wattson_proc_desc){77, 0, "p77"};
    b->procs[1] = (struct wattson_proc_desc){78, 1, "p78"};
    inv->pstates = b->pstates;
    inv->n_pstates = 2;
    inv->procs = b->procs;
    inv->n_procs = 2;
    switch ((int)c) {
    case BADINV_PS_DEVICE:
        b->pstates[1].device = 5;
        break;
    case BADINV_PS_ORDER:
        b->freq[2] = 1e9;
        break;
    case BADINV_PS_IDLE:
        b->idle[0] = 5.0;
        break;
    case BADINV_PS_NAN:
        b->busy[1] = NAN;
        break;
    case BADINV_PROC_DUP:
        b->procs[1].pid = 77;
        break;
    case BADINV_PROC_DEVICE:
        b->procs[1].device = 9;
        break;
    case BADINV_PS_TWICE:
        b->pstates[1].device = 0;
        break;
    case BADINV_NULL_DEVICES:
        inv->devices = NULL;
        break;
    case BADINV_SIGNAL_DEVICE:
        b->signals[0].device = 2;
        break;
    case BADINV_CONTROL_DEVICE:
        b->controls[0].device = 7;
        break;
    case BADINV_DEVICE_NAME:
        b->devices[1].name = NULL;
        break;
    case BADINV_RANGE:
        b->controls[0].min = 3e9;
        break;
    case BADINV_INF:
        b->controls[0].max = INFINITY;
        break;
    case BADINV_DUP_NAME:
        b->devices[1].name = "bi0";
        break;
    case BADINV_SIGNAL_NAME:
        b->signals[0].name = NULL;
        break;
    case BADINV_NULL_SIGNALS:
        inv->signals = NULL;
        break;
    default:
        break;
    }
    *state = b;
    return WATTSON_OK;
}

static void badinv_fini(void *state)
{
    struct badinv *b = state;

    b->host->log(b->host->ctx, WATTSON_LOG_DEBUG, "badinv: fini");
    free(b);
}

static int badinv_read(void *state, double *values, uint8_t *valid, size_t n)
{
    (void)state;
    if (n >= 1) {
        values[0] = 0.5;
        valid[0] = 1;
    }
    return WATTSON_OK;
}

/* One DATA event per call from p77 to p78, t = the call's number. */
static int badinv_ipc_read(void *state, struct wattson_ipc_event *ev,
                           size_t max)
{
    struct badinv *b = state;
    if (max == 0)
        return 0;
    b->reads++;
    ev[0] = (struct wattson_ipc_event){(double)b->reads, 77, 78, 1000,
                                       WATTSON_IPC_DATA};
    return 1;
}

static const struct wattson_plugin badinv_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "badinv",
    .version = "1",
    .description = "test plugin: inventory with a chosen defect",
    .init = badinv_init,
    .fini = badinv_fini,
    .read = badinv_read,
    .ipc_read = badinv_ipc_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &badinv_desc;
}
