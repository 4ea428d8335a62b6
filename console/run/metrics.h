/*
 * metrics - `--metrics ADDR:PORT`: the run's state as a Prometheus /
 * OpenMetrics text endpoint, served by libevent's evhttp from the run's
 * own event loop.
 *
 * What is served (GET /metrics; names follow Prometheus's conventions:
 * a `wattson_` prefix, base units as suffixes, `_total` on counters):
 *   every device signal and control, labelled device, kind and driver;
 *   the run's totals (the summary's keys, `wattson_run_*`);
 *   the engines' families (engines/emetric.h);
 *   the policy: which one decides, whether the built-in fallback has
 *   taken over, reloads and rejected reloads.
 * `wattson_tick` says which tick the values are from, so a scrape can be
 * matched with the trace's line of that tick.
 *
 * A scrape runs between ticks, on the loop, and never inside one: it
 * reads what the last tick left.  The text is made at most once per tick
 * (and format), and at most every 100 ms, and kept: a scrape in between
 * gets the kept text, whose `wattson_tick` names its tick.  It lives in a
 * buffer that grows to the largest text and is reused, so a scrape
 * allocates only libevent's reply.
 *
 * Loopback only unless the user names an address: `--metrics 9100` and
 * `--metrics :9100` are 127.0.0.1:9100; numbers only, no names (see
 * core/netaddr.h).
 */
#ifndef WATTSON_METRICS_H
#define WATTSON_METRICS_H

#include <stddef.h>

struct run;
struct event_base;
struct metrics;

/* Listens on `spec` and serves r's metrics.  RUN_OK, RUN_USAGE (a bad
 * address) or RUN_IO (the address cannot be listened on: in use, not
 * this machine's), with one line in err.  The caller frees it before the
 * run. */
int metrics_new(struct metrics **out, struct event_base *base, const char *spec,
                const struct run *r, char *err, size_t errlen);
void metrics_free(struct metrics *mx);
/* "ADDR:PORT" it listens on (the port chosen when 0 was asked). */
const char *metrics_address(const struct metrics *mx);
unsigned long metrics_scrapes(const struct metrics *mx);

#endif
