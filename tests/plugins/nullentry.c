/*
 * nullentry - test plugin: its entry function returns NULL.
 * Everything else is a complete, working descriptor, so that the one
 * defect is the only thing the loader can refuse it for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

static int nullentry_init(const struct wattson_host *host, void **state,
                          struct wattson_inventory *inv, char *err,
                          size_t errlen)
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

static void nullentry_fini(void *state)
{
    (void)state;
}

static int nullentry_read(void *state, double *values, uint8_t *valid, size_t n)
{
    (void)state;
    (void)values;
    (void)valid;
    (void)n;
    return WATTSON_OK;
}

static const struct wattson_plugin nullentry_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "nullentry",
    .version = "1",
    .description = "test plugin: NULL descriptor",
    .init = nullentry_init,
    .fini = nullentry_fini,
    .read = nullentry_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    /* The descriptor exists but is not handed out. */
    (void)&nullentry_desc;
    return NULL;
}
