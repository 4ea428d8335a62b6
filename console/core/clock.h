/*
 * clock - the run's notion of time.  Two kinds:
 *  - virtual: time moves only when the runner advances it, by exactly one
 *    tick, so a simulated run goes as fast as the CPU allows and the same
 *    seed gives the same trace;
 *  - wall: CLOCK_MONOTONIC since the run started.
 * Drivers see this clock through the host's now_ns().
 */
#ifndef WATTSON_CLOCK_H
#define WATTSON_CLOCK_H

#include <stdint.h>

struct clock {
    int is_virtual;
    uint64_t virt_ns;  /* virtual: current time */
    uint64_t start_ns; /* wall: CLOCK_MONOTONIC at start */
};

void clock_init_virtual(struct clock *c);
void clock_init_wall(struct clock *c);
uint64_t clock_now(const struct clock *c);
/* Virtual clocks only: moves time forward to `t_ns` (never backwards). */
void clock_set(struct clock *c, uint64_t t_ns);
/* CLOCK_MONOTONIC in ns, for wall_seconds and progress. */
uint64_t clock_mono_ns(void);

#endif
