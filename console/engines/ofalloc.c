/*
 * ofalloc - see ofalloc.h.
 */
#include "engines/ofalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engines/vgledger.h"

struct ofalloc {
    struct vgledger *book;
    size_t n;
    struct ofalloc_dev dev[OFALLOC_MAX_DEV];
    double free_at[OFALLOC_MAX_DEV];
};

struct ofalloc *ofalloc_new(const struct ofalloc_dev *dev, size_t n,
                            size_t max_reqs, char *err, size_t errlen)
{
    if (n == 0 || n > OFALLOC_MAX_DEV || n > VGLEDGER_MAX_GPUS) {
        snprintf(err, errlen, "%zu devices: 1 to %d", n, OFALLOC_MAX_DEV);
        return NULL;
    }
    struct ofalloc *a = calloc(1, sizeof *a);
    if (!a || !(a->book = vgledger_new(n, max_reqs))) {
        free(a);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->n = n;
    for (size_t d = 0; d < n; d++) {
        a->dev[d] = dev[d];
        /* compute: the whole device is 1.0; memory in bytes; power is
         * not what a request asks for here */
        const double cap[WVG_NTYPES] = {1.0, dev[d].mem_bytes, 0};
        if (!(dev[d].speed > 0) || !isfinite(dev[d].speed) ||
            !(dev[d].mem_bytes > 0) || !isfinite(dev[d].mem_bytes) ||
            vgledger_set_gpu(a->book, d, dev[d].name, cap) != 0) {
            snprintf(err, errlen,
                     "device '%s': a speed and a memory > 0 and finite "
                     "(a name under %d bytes)",
                     dev[d].name, VGLEDGER_NAME_MAX);
            ofalloc_free(a);
            return NULL;
        }
    }
    return a;
}

void ofalloc_free(struct ofalloc *a)
{
    if (!a)
        return;
    vgledger_free(a->book);
    free(a);
}

double ofalloc_best_speed(const struct ofalloc *a)
{
    double s = 0;
    for (size_t d = 0; d < a->n; d++)
        s = fmax(s, a->dev[d].speed);
    return s;
}

int ofalloc_admit(struct ofalloc *a, double mem, double work_ms, double now,
                  size_t *dev, int *grant, char *why, size_t whylen)
{
    double biggest = 0;
    for (size_t d = 0; d < a->n; d++)
        biggest = fmax(biggest, a->dev[d].mem_bytes);
    if (!(mem <= biggest)) {
        snprintf(why, whylen,
                 "it needs %.3g GB of device memory; the largest device "
                 "here has %.3g GB",
                 mem / 1e9, biggest / 1e9);
        return OFALLOC_REFUSED;
    }
    /* where it would finish first, among the devices free for it now */
    int best = -1;
    double best_end = INFINITY;
    for (size_t d = 0; d < a->n; d++) {
        if (vgledger_available(a->book, d, WVG_COMPUTE) < 1.0 ||
            vgledger_available(a->book, d, WVG_MEMORY) < mem)
            continue;
        const double end =
            fmax(now, a->free_at[d]) + work_ms * 1e-3 / a->dev[d].speed;
        if (end < best_end) {
            best_end = end;
            best = (int)d;
        }
    }
    if (best < 0)
        return OFALLOC_WAIT;
    const int id = vgledger_client_open(a->book, 0, 0);
    if (id < 0)
        return OFALLOC_WAIT; /* every slot held: one ends first */
    double got;
    char w[128];
    if (vgledger_request(a->book, id, (size_t)best, WVG_COMPUTE, 1.0, &got, w,
                         sizeof w) != VGLEDGER_OK ||
        got < 1.0 ||
        (mem > 0 && (vgledger_request(a->book, id, (size_t)best, WVG_MEMORY,
                                      mem, &got, w, sizeof w) != VGLEDGER_OK ||
                     got < mem))) {
        vgledger_client_close(a->book, id, NULL);
        return OFALLOC_WAIT;
    }
    *dev = (size_t)best;
    *grant = id;
    return OFALLOC_GRANTED;
}

void ofalloc_release(struct ofalloc *a, int grant)
{
    if (grant >= 0)
        vgledger_client_close(a->book, grant, NULL);
}

double ofalloc_speed(const struct ofalloc *a, size_t d)
{
    return a->dev[d].speed;
}

double *ofalloc_timeline(struct ofalloc *a, size_t d)
{
    return &a->free_at[d];
}

const char *ofalloc_name(const struct ofalloc *a, size_t d)
{
    return a->dev[d].name;
}

size_t ofalloc_n(const struct ofalloc *a)
{
    return a->n;
}
