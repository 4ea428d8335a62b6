/*
 * noread - test plugin: its descriptor has no read operation.
 * Everything else is a complete, working descriptor, so that the one
 * defect is the only thing the loader can refuse it for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

static int noread_init(const struct wattson_host *host, void **state,
                       struct wattson_inventory *inv, char *err, size_t errlen)
{
    (void)host;
    (void)err;
    (void)errlen;
    *state = NULL;
    inv->n_devices = 0;
    inv->n_signals = 0;
    inv->n_controls = 0;
    return WATTSON_OK;
}

static void noread_fini(void *state)
{
    (void)state;
}

static const struct wattson_plugin noread_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "noread",
    .version = "1",
    .description = "test plugin: read is NULL",
    .init = noread_init,
    .fini = noread_fini,
    .read = NULL,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &noread_desc;
}
