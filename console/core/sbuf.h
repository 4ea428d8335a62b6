/*
 * sbuf - a growing text buffer for text made in pieces (the saved-controls
 * journal, the --metrics exposition).  A failed allocation or format
 * sets `failed` and later writes do nothing, so a writer checks once at
 * the end; a caller may set `failed` itself to refuse what it is making.
 * The bytes are p[0 .. len), NUL-terminated after a successful write.
 * A buffer may be reused: len = 0 keeps its memory.
 */
#ifndef WATTSON_SBUF_H
#define WATTSON_SBUF_H

#include <stddef.h>

struct sbuf {
    char *p;
    size_t len, cap;
    int failed;
};

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* n bytes of s, as they are. */
void sbuf_put(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);

#endif
