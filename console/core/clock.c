/*
 * clock - see clock.h.
 */
#include "core/clock.h"

#include <time.h>

uint64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void clock_init_virtual(struct clock *c)
{
    c->is_virtual = 1;
    c->virt_ns = 0;
    c->start_ns = 0;
}

void clock_init_wall(struct clock *c)
{
    c->is_virtual = 0;
    c->virt_ns = 0;
    c->start_ns = clock_mono_ns();
}

uint64_t clock_now(const struct clock *c)
{
    if (c->is_virtual)
        return c->virt_ns;
    return clock_mono_ns() - c->start_ns;
}

void clock_set(struct clock *c, uint64_t t_ns)
{
    if (c->is_virtual && t_ns > c->virt_ns)
        c->virt_ns = t_ns;
}
