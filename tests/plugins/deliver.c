/*
 * deliver - test plugin for ABI 1.3 ipc_deliver: one device "dv0" (cpu)
 * with two gauges, `calls` (ipc_deliver calls so far) and `bytes` (bytes
 * of the DATA and REQUEST messages delivered to device 0 so far), so a
 * test sees through read whether and what the loader delivered.
 *
 * Built three ways (tests/plugins/CMakeLists.txt):
 *   deliver       DELIVER_ABI_1_3: ABI 1.3, the full descriptor;
 *   deliver12     DELIVER_ABI_1_2: says ABI 1.2 with the 1.2 descriptor's
 *                 size, as a plugin built against the 1.2 header would,
 *                 yet its (unused) ipc_deliver field is set: the loader
 *                 must go by minor and size and never call it;
 *   delivershort  DELIVER_SHORT: says 1.3 but its size ends before
 *                 ipc_deliver: never called either.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "wattson/plugin.h"

#if defined(DELIVER_ABI_1_2)
#define DELIVER_MINOR 2
#define DELIVER_SIZE offsetof(struct wattson_plugin, ipc_deliver)
#define DELIVER_NAME "deliver12"
#elif defined(DELIVER_SHORT)
#define DELIVER_MINOR WATTSON_ABI_MINOR
#define DELIVER_SIZE offsetof(struct wattson_plugin, ipc_deliver)
#define DELIVER_NAME "delivershort"
#else
#define DELIVER_MINOR WATTSON_ABI_MINOR
#define DELIVER_SIZE sizeof(struct wattson_plugin)
#define DELIVER_NAME "deliver"
#endif

struct deliver {
    double calls, bytes;
};

static const struct wattson_device_desc deliver_devices[] = {
    {"dv0", "cpu", -1, NULL, 0},
};

static const struct wattson_signal_desc deliver_signals[] = {
    {"calls", 0, "1", WATTSON_GAUGE, 0, "ipc_deliver calls"},
    {"bytes", 0, "B", WATTSON_GAUGE, 0, "message bytes delivered to dv0"},
};

static int deliver_init(const struct wattson_host *host, void **state,
                        struct wattson_inventory *inv, char *err, size_t errlen)
{
    struct deliver *d = calloc(1, sizeof *d);

    (void)host;
    (void)err;
    (void)errlen;
    if (!d)
        return WATTSON_ERR;
    inv->devices = deliver_devices;
    inv->n_devices = 1;
    inv->signals = deliver_signals;
    inv->n_signals = 2;
    *state = d;
    return WATTSON_OK;
}

static void deliver_fini(void *state)
{
    free(state);
}

static int deliver_read(void *state, double *values, uint8_t *valid, size_t n)
{
    const struct deliver *d = state;

    if (n != 2)
        return WATTSON_ERR;
    values[0] = d->calls;
    values[1] = d->bytes;
    valid[0] = valid[1] = 1;
    return WATTSON_OK;
}

/* Skips what the ABI says to skip: another device, REPLY and CONTROL. */
static int deliver_ipc_deliver(void *state,
                               const struct wattson_ipc_delivery *dl, size_t n)
{
    struct deliver *d = state;

    d->calls += 1;
    for (size_t i = 0; i < n; i++)
        if (dl[i].device == 0 && (dl[i].ev.type == WATTSON_IPC_DATA ||
                                  dl[i].ev.type == WATTSON_IPC_REQUEST))
            d->bytes += (double)dl[i].ev.bytes;
    return WATTSON_OK;
}

static const struct wattson_plugin deliver_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = DELIVER_MINOR,
    .size = DELIVER_SIZE,
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = DELIVER_NAME,
    .version = "1",
    .description = "test plugin: counts what ipc_deliver is given",
    .init = deliver_init,
    .fini = deliver_fini,
    .read = deliver_read,
    .ipc_deliver = deliver_ipc_deliver,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &deliver_desc;
}
