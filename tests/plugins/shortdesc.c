/*
 * shortdesc - test plugin: claims an 8-byte descriptor, as if built against an
 * older, shorter header.
 * Everything else is a complete, working descriptor, so that the one
 * defect is the only thing the loader can refuse it for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

static int shortdesc_init(const struct wattson_host *host, void **state,
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

static void shortdesc_fini(void *state)
{
    (void)state;
}

static int shortdesc_read(void *state, double *values, uint8_t *valid, size_t n)
{
    (void)state;
    (void)values;
    (void)valid;
    (void)n;
    return WATTSON_OK;
}

static const struct wattson_plugin shortdesc_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = 8,
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "shortdesc",
    .version = "1",
    .description = "test plugin: short descriptor",
    .init = shortdesc_init,
    .fini = shortdesc_fini,
    .read = shortdesc_read,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &shortdesc_desc;
}
