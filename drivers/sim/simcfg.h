/*
 * simcfg - reading the sim plugin's lab entry (see simcfg.c).  Every
 * error is one line naming the field by its path, relative to the
 * driver's entry: "devices.2.workload.kind: ...".
 */
#ifndef WATTSON_SIM_SIMCFG_H
#define WATTSON_SIM_SIMCFG_H

#include <stddef.h>

struct wattson_host;
struct wl;

/* Config paths are built from indices and known keys, so they are short. */
#define SIM_PATH_MAX 128
/* Names (of devices, chains and their stages) are 1 to SIM_NAME_MAX - 1
 * characters. */
#define SIM_NAME_MAX 64

/* The name of a WATTSON_CFG_* type, for messages. */
const char *simcfg_type_name(int type);

/* snprintf for config paths: they are short by construction (device
 * index + known keys), and a truncated one only fails its lookup. */
void simcfg_fmt(char *buf, size_t len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* An error message into err (one line: newlines become spaces). */
void simcfg_err(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Optional number at `path`: 0 and *out = def when absent, -1 (with err)
 * when it has another type, is not finite, or is outside [lo, hi]
 * (lo exclusive when lo_open). */
int simcfg_num(const struct wattson_host *h, const char *path, double def,
               double lo, int lo_open, double hi, double *out, char *err,
               size_t errlen);

/* String at `path`: NULL (err set) when absent and required or when of
 * another type; *absent is set when it is missing and not required. */
const char *simcfg_str(const struct wattson_host *h, const char *path,
                       int required, int *absent, char *err, size_t errlen);

/* 1 when `s` is one of the NULL-terminated `list`. */
int simcfg_in_list(const char *s, const char *const *list);

/* Refuses any key of the table at `path` not in `allowed`. */
int simcfg_check_keys(const struct wattson_host *h, const char *path,
                      const char *const *allowed, char *err, size_t errlen);

/* The optional array at top-level `key` (of `what`, for messages): *n
 * its length, 0 when absent; -1 with err when it is not a table or has
 * more than max entries. */
int simcfg_array(const struct wattson_host *h, const char *key,
                 const char *what, size_t max, size_t *n, char *err,
                 size_t errlen);

/* 0 when `path` is a table, else -1 with err. */
int simcfg_expect_table(const struct wattson_host *h, const char *path,
                        char *err, size_t errlen);

/* One numeric parameter of a table: key, default, lower bound (open?),
 * upper bound, destination. */
struct simcfg_wparam {
    const char *key;
    double def, lo;
    int lo_open;
    double hi;
    double *dst;
};

/* Reads params[0..n) under the table `base` with simcfg_num, each into
 * its dst (its default when absent); only the keys in `only` when it is
 * not NULL. */
int simcfg_params(const struct wattson_host *h, const char *base,
                  const struct simcfg_wparam *params, size_t n,
                  const char *const *only, char *err, size_t errlen);

/* The workload table at `wpath` (a device's `workload`, a chain's
 * `source`) into w, whose random stream the caller has seeded.  Absent:
 * an idle unit, or an error when `required`. */
int simcfg_read_workload(const struct wattson_host *h, const char *wpath,
                         int required, struct wl *w, char *err, size_t errlen);

#endif
