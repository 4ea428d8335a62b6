/*
 * nordctl - test plugin: has write but no read_controls, so the host could
 * never restore what it changes.
 * Everything else is a complete, working descriptor, so that the one
 * defect is the only thing the loader can refuse it for.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "wattson/plugin.h"

static int nordctl_init(const struct wattson_host *host, void **state,
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

static void nordctl_fini(void *state)
{
    (void)state;
}

static int nordctl_read(void *state, double *values, uint8_t *valid, size_t n)
{
    (void)state;
    (void)values;
    (void)valid;
    (void)n;
    return WATTSON_OK;
}

static int nordctl_write(void *state, const uint32_t *idx, const double *values,
                         size_t n)
{
    (void)state;
    (void)idx;
    (void)values;
    (void)n;
    return WATTSON_OK;
}

static const struct wattson_plugin nordctl_desc = {
    .abi_major = WATTSON_ABI_MAJOR,
    .abi_minor = WATTSON_ABI_MINOR,
    .size = sizeof(struct wattson_plugin),
    .flags = WATTSON_PLUGIN_SIMULATED,
    .name = "nordctl",
    .version = "1",
    .description = "test plugin: write without read_controls",
    .init = nordctl_init,
    .fini = nordctl_fini,
    .read = nordctl_read,
    .write = nordctl_write,
};

__attribute__((visibility("default"))) const struct wattson_plugin *
wattson_plugin_entry(void);

const struct wattson_plugin *wattson_plugin_entry(void)
{
    return &nordctl_desc;
}
