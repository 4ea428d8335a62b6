/*
 * runvgpu - the book of the lab's GPUs (engines/vgledger.h), which the
 * vGPU engine (engines/vgpu.c) and a Lua policy's out.gpu.reserve use in
 * every run with GPUs, and the request API's server on the run's loop
 * (`--vgpu-socket PATH`, run/vgserve.h).
 *
 * The runner makes the book from the lab: each device of kind "gpu" (at most
 * VGLEDGER_MAX_GPUS, in inventory order) with compute 1.0 (the whole
 * GPU's SMs), memory from its `mem_total` signal (bytes, as NVML's
 * nvmlDeviceGetMemoryInfo reports total; 0 when the device has none) and
 * power from its `power_cap` control's maximum, else its `power_limit`
 * signal (W; 0 when neither).  The values are the priming sample's.
 */
#include <math.h>
#include <string.h>

#include "core/lab.h"
#include "core/log.h"
#include "engines/vgledger.h"
#include "engines/vgpu.h"
#include "run/run_int.h"
#include "run/vgserve.h"

/* Signal `name` of device d as sampled at t = 0, or 0. */
static double sampled(const struct model *m, uint32_t d, const char *name)
{
    int s = model_find_signal(m, d, name);
    if (s < 0 || !m->valid[s] || !isfinite(m->val[s]) || m->val[s] < 0)
        return 0;
    return m->val[s];
}

int run_vgpu_book(struct run *r, char *err, size_t errlen)
{
    const struct model *m = &r->model;
    size_t n = 0;
    for (size_t d = 0; d < m->n_devices; d++)
        n += strcmp(m->devices[d].kind, "gpu") == 0;
    if (n == 0)
        return RUN_OK; /* no GPU, no book */
    if (n > VGLEDGER_MAX_GPUS) {
        log_msg(LOG_WARN, "vgpu: the API serves the first %d of %zu gpus",
                VGLEDGER_MAX_GPUS, n);
        n = VGLEDGER_MAX_GPUS;
    }
    r->vgl = vgledger_new(n, VGSERVE_MAX_CONNS);
    if (!r->vgl) {
        snprintf(err, errlen, "out of memory");
        return RUN_ERR;
    }
    size_t i = 0;
    for (uint32_t d = 0; d < m->n_devices && i < n; d++) {
        if (strcmp(m->devices[d].kind, "gpu") != 0)
            continue;
        double cap[WVG_NTYPES] = {1.0, sampled(m, d, "mem_total"), 0};
        int c = model_find_control(m, d, "power_cap");
        cap[WVG_POWER] = c >= 0 && isfinite(m->controls[c].max)
                             ? m->controls[c].max
                             : sampled(m, d, "power_limit");
        if (vgledger_set_gpu(r->vgl, i, m->devices[d].name, cap) != 0) {
            snprintf(err, errlen,
                     "--vgpu-socket: gpu '%s': a name over %d "
                     "bytes or a bad capacity",
                     m->devices[d].name, VGLEDGER_NAME_MAX - 1);
            return RUN_LAB;
        }
        log_msg(LOG_INFO, "vgpu: %s: compute 1, memory %g B, power %g W",
                m->devices[d].name, cap[WVG_MEMORY], cap[WVG_POWER]);
        i++;
    }
    /* the engine reserves what clients hold, and its tenants' guarantees
     * in the book */
    vgpu_set_ledger(vgpu_of(&r->eng), r->vgl);
    return RUN_OK;
}

int run_vgpu_start(struct run *r, const char *path, char *err, size_t errlen)
{
    if (!r->vgl) {
        snprintf(err, errlen,
                 "--vgpu-socket: the lab %s has no device of kind gpu",
                 r->lab->path);
        return RUN_USAGE;
    }
    if (vgserve_start(&r->vgs, r->loop, r->vgl, path, &r->sum, err, errlen) !=
        0)
        return RUN_IO;
    return RUN_OK;
}

void run_vgpu_stop(struct run *r)
{
    vgserve_stop(r->vgs);
    r->vgs = NULL;
}

struct vgledger *run_vgledger(struct run *r)
{
    return r->vgl;
}

struct vgserve *run_vgserve(struct run *r)
{
    return r->vgs;
}
