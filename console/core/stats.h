/*
 * stats - counters every stage may bump, reported in the run summary.
 */
#ifndef WATTSON_STATS_H
#define WATTSON_STATS_H

#include <stdint.h>

struct stats {
    uint64_t driver_errors;      /* failed read/write/read_controls calls */
    uint64_t invalid_samples;    /* signal values a driver marked invalid */
    uint64_t rejected_decisions; /* decisions the guard refused (NaN...) */
    uint64_t clamped_decisions;  /* decisions the guard pulled into range */
    uint64_t policy_errors;      /* policy calls that failed */
    uint64_t fallback_ticks;     /* ticks the built-in policy decided for a
                                    failing Lua policy */
    uint64_t writes;             /* control values written to drivers */
    uint64_t restore_errors;     /* controls that could not be restored */
};

#endif
