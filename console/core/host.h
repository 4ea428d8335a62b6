/*
 * host - the table of host functions handed to each driver plugin: logging
 * (tagged with the driver's name), configuration lookup in the driver's
 * entry of the lab file, and the run's clock.  One host_ctx per driver.
 */
#ifndef WATTSON_HOST_H
#define WATTSON_HOST_H

#include "wattson/plugin.h"

struct cfg;
struct clock;

struct host_ctx {
    const struct cfg *cfg; /* the driver's lab entry */
    const struct clock *clock;
    const char *tag; /* "drivers.2 (sim)" for log lines */
};

/* Fills `h` for a driver; `ctx` must outlive the plugin. */
void host_fill(struct wattson_host *h, struct host_ctx *ctx, uint64_t seed,
               const char *lab_dir);

#endif
