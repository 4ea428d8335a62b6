/*
 * sbuf - see sbuf.h.
 */
#include "core/sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for n more bytes and a NUL: 0, or -1 (failed set).  Doubling keeps
 * a text made in many small pieces to a few reallocations. */
static int sbuf_room(struct sbuf *b, size_t n)
{
    if (b->failed)
        return -1;
    if (b->p && b->len + n < b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 512;
    while (cap - b->len <= n)
        cap *= 2;
    char *q = realloc(b->p, cap);
    if (!q) {
        b->failed = 1;
        return -1;
    }
    b->p = q;
    b->cap = cap;
    return 0;
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    /* formatted in place when it fits (the usual case: once), else again
     * after growing */
    while (!b->failed) {
        const size_t room = b->p ? b->cap - b->len : 0;
        va_list ap;
        va_start(ap, fmt);
        const int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
        } else if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        } else {
            sbuf_room(b, (size_t)n);
        }
    }
}

void sbuf_put(struct sbuf *b, const char *s, size_t n)
{
    if (sbuf_room(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void sbuf_puts(struct sbuf *b, const char *s)
{
    sbuf_put(b, s, strlen(s));
}
