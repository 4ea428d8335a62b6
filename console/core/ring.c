/*
 * ring - see ring.h.
 */
#include "core/ring.h"

#include <math.h>
#include <stdlib.h>

int ring_init(struct ring *r, size_t n, uint32_t cap)
{
    uint32_t c = 1;
    while (c < cap)
        c <<= 1;
    r->n = n;
    r->cap = c;
    r->head = 0;
    r->len = 0;
    r->buf = calloc((n ? n : 1) * c, sizeof *r->buf);
    return r->buf ? 0 : -1;
}

void ring_free(struct ring *r)
{
    free(r->buf);
    r->buf = NULL;
}

void ring_push(struct ring *r, const double *vals, const uint8_t *valid)
{
    /* Row-major (one row per push): a tick writes one contiguous row
     * instead of touching a cache line per series. */
    double *row = r->buf + (size_t)r->head * r->n;
    for (size_t i = 0; i < r->n; i++)
        row[i] = valid[i] ? vals[i] : NAN;
    r->head = (r->head + 1) & (r->cap - 1);
    if (r->len < r->cap)
        r->len++;
}

double ring_get(const struct ring *r, size_t i, uint32_t age)
{
    if (i >= r->n || age >= r->len)
        return NAN;
    uint32_t slot = (r->head - 1 - age) & (r->cap - 1);
    return r->buf[(size_t)slot * r->n + i];
}
