/*
 * lab - the lab file: a Lua file of data, evaluated in a sandbox, that names
 * the drivers, their devices and parameters, workloads, the budget, the tick
 * period, the baseline governors' sampling period, the seed, the duration
 * and the run's declared limits.
 *
 * The reader validates every top-level field and the shape of each driver
 * entry; a driver's own parameters are validated by the driver at init.
 * Errors name the file and the line (syntax/runtime errors) or the field
 * path ("default.lua: budget_w: must be >= 0, got -5").
 */
#ifndef WATTSON_LAB_H
#define WATTSON_LAB_H

#include <stddef.h>
#include <stdint.h>

struct cfg;
struct labclu;
struct labvg;
struct labipc;

/* A declared limit: the run fails (exit 5) if the summary key exceeds it. */
struct lab_limit {
    const char *key; /* a summary key, e.g. "deadline_misses" */
    double max;
};

struct lab_driver {
    const char *plugin;    /* plugin name, e.g. "sim" */
    const struct cfg *cfg; /* the driver's entry, handed to the plugin */
    const char *field;     /* "drivers.2": for error messages */
    int optional;          /* `optional = true`: a driver that finds no
                              hardware here is skipped, not an error */
};

struct lab {
    char *path;         /* file name as given, or "<default lab>" */
    char *dir;          /* directory for relative paths in the lab */
    const char *name;   /* lab's `name`, or the file's base name */
    double tick_s;      /* `tick`, default 0.01 */
    double duration_s;  /* `duration`, default 60 */
    double budget_w;    /* `budget_w`, default 0 = no budget */
    uint64_t seed;      /* `seed`, default 1 */
    const char *policy; /* `policy` file, or NULL */
    /* `policy_limits`: 0 where not given (the defaults apply). */
    size_t policy_mem_bytes;
    uint64_t policy_instructions;
    double policy_time_s;
    double policy_cpu_time_s;
    /* `governor_period`: the sampling period of the builtin:ondemand and
     * builtin:conservative baselines (policies/governors.h), s; 0 where
     * not given (their default, 10 ms, applies). */
    double governor_period_s;
    struct lab_driver *drivers;
    size_t n_drivers;
    struct lab_limit *limits;
    size_t n_limits;
    /* `cluster`: the device map for the partitioner (core/labclu.h), NULL
     * when the lab has none. */
    const struct labclu *cluster;
    /* `vgpu`: the vGPU engine's settings (core/labvg.h), the defaults
     * when the lab has none; never NULL after a load. */
    const struct labvg *vgpu;
    /* `ipc_procs`: which device a traced process runs on, by its name
     * (core/labipc.h); never NULL after a load. */
    const struct labipc *ipc_procs;
    struct cfg *root;
};

/* Exit code the CLI uses for any lab error. */
#define LAB_EXIT_BAD 3

int lab_load_file(const char *path, struct lab **out, char *err, size_t errlen);
/* `chunkname` is used in messages; `dir` resolves relative paths. */
int lab_load_string(const char *chunkname, const char *text, size_t len,
                    const char *dir, struct lab **out, char *err,
                    size_t errlen);
/* The embedded default lab (lua-policies/labs/default.lua, compiled in). */
int lab_load_default(struct lab **out, char *err, size_t errlen);
/* The embedded host lab (lua-policies/labs/host.lua): every real-hardware
 * driver, each optional; for `wattson plugins --host`. */
int lab_load_host(struct lab **out, char *err, size_t errlen);
void lab_free(struct lab *lab);
/* Makes s one line, control bytes blanked: a message about a lab quotes
 * the lab's keys and strings, which may hold a newline and must not break a
 * log line.  The lab's own messages come out this way. */
void lab_one_line(char *s);

/* Multiplies the offered load of the lab by k (> 0, `bench broker
 * --load-scale`): each driver entry's `load_scale` (the sim's,
 * drivers/sim/README.md) becomes k times the lab's own (1 when absent).
 * Only the sim has workloads to scale, so every driver must be "sim";
 * else -1 with one line in err naming the first that is not.  The sim
 * checks the product's range at init. */
int lab_scale_load(struct lab *lab, double k, char *err, size_t errlen);

/* Sandbox limits for later loads: Lua memory in bytes (also the cap on the
 * copied data), the number of Lua instructions a lab may execute and the
 * CPU time its evaluation may take.  0 restores a default (32 MiB, 50 M
 * instructions, 10 s).  Process-wide, for tests and the fuzzer; call it
 * before any load, not concurrently with one. */
void lab_set_limits(size_t mem_bytes, uint64_t instructions, uint64_t cpu_ns);

#endif
