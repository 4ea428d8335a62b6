/*
 * nvproc - the per-process part of the nvml driver: which processes use
 * each GPU and how much of it (ABI 1.2 gpu_procs_read), from NVML's
 * running-process lists and per-process utilisation samples.  See
 * nvproc.c for the model and the NVML calls; nvml.c owns the library
 * handle, the GPUs and the lost-GPU handling.
 *
 * Also the few NVML declarations both files use (from NVML's documented
 * API; there is no NVML header here).
 */
#ifndef WATTSON_NVPROC_H
#define WATTSON_NVPROC_H

#include <stddef.h>
#include <stdint.h>

#include "wattson/plugin.h"

typedef int nvml_ret;              /* nvmlReturn_t */
typedef struct nvml_dev *nvml_dev; /* nvmlDevice_t: an opaque pointer */

enum {
    NVML_OK = 0,              /* NVML_SUCCESS */
    NVML_E_INVALID_ARG = 2,   /* NVML_ERROR_INVALID_ARGUMENT */
    NVML_E_NOT_SUPPORTED = 3, /* NVML_ERROR_NOT_SUPPORTED */
    NVML_E_NO_PERMISSION = 4, /* NVML_ERROR_NO_PERMISSION */
    NVML_E_NOT_FOUND = 6,     /* NVML_ERROR_NOT_FOUND */
    NVML_E_INSUFFICIENT = 7,  /* NVML_ERROR_INSUFFICIENT_SIZE */
    NVML_E_GPU_IS_LOST = 15,  /* NVML_ERROR_GPU_IS_LOST */
};

/* Function pointers come back from dlsym as void *; POSIX guarantees the
 * conversion, ISO C does not, hence the memcpy (nvml.c). */
void nvml_bind(void *dst, void *sym);
/* The first of `names` (NULL-terminated) the library `dl` has, or NULL;
 * *which (when not NULL) is the index of the name found. */
void *nvml_sym(void *dl, const char *const *names, size_t *which);

struct nvproc;

/* Looks up the per-process entry points in `dl` (each optional) and
 * allocates every buffer the reads use, for `n_gpu` GPUs.  NULL when out
 * of memory. */
struct nvproc *nvproc_new(void *dl, size_t n_gpu);
void nvproc_free(struct nvproc *p);

/* One line naming the entry points found ("compute ..._v3 (24-byte
 * records), graphics ..., utilisation ..."), for nvml.c's init log. */
void nvproc_describe(const struct nvproc *p, char *buf, size_t len);

/* The processes on GPU `g` (NVML handle `h`, the plugin's device index
 * `device`) over the last interval, into p[0 .. max): how many were
 * written (at most `max`).  *lost is set when a call answered
 * GPU_IS_LOST (the caller marks the GPU; no records then). */
size_t nvproc_read(struct nvproc *p, size_t g, nvml_dev h, uint32_t device,
                   struct wattson_gpu_proc *out, size_t max, int *lost);

#endif
