/*
 * ptext - what the model-graph readers of part/ share: reading a whole
 * file, walking its lines, one-line "FILE:LINE: message" errors that
 * quote the input safely, and the DAG check that names a line.
 *
 * The readers take a buffer that need not end in a NUL (a fuzzer's
 * bytes), so everything here works on (pointer, length) and never reads
 * past the end.
 */
#ifndef WATTSON_PTEXT_H
#define WATTSON_PTEXT_H

#include <stddef.h>

struct mgraph;

/* A cursor over a buffer's lines: "\n" or "\r\n" end a line; a last line
 * without one still counts; the empty text has no lines. */
struct ptext_lines {
    const char *p, *end;
    unsigned line; /* of the line last returned, 1-based */
};

void ptext_lines_init(struct ptext_lines *it, const char *text, size_t len);
/* The next line (without its end) into *s, *len: 1, or 0 at the end. */
int ptext_next(struct ptext_lines *it, const char **s, size_t *len);

/* Formats "FILE:LINE: message" (no LINE when it is 0) into err, always
 * one line: a newline or other control byte in it (from quoted input)
 * becomes '?'.  Returns -1, what the readers return. */
int ptext_err(char *err, size_t errlen, const char *fname, unsigned line,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A short, printable copy of `len` bytes at s for an error message: at
 * most 40 of them, "..." after a cut.  `out` needs 48 bytes. */
enum { PTEXT_QUOTE = 48 };
const char *ptext_quote(char out[PTEXT_QUOTE], const char *s, size_t len);

/* The `len` bytes at s: a finite, non-negative decimal number (as
 * core/decnum.h reads it) into *out: 0, or -1. */
int ptext_nonneg(const char *s, size_t len, double *out);

/* Reads all of `path` (at most `max` bytes) into a malloc'd buffer with a
 * NUL after its *len bytes.  0, or -1 with "PATH: why" in err. */
int ptext_slurp(const char *path, size_t max, char **buf, size_t *len,
                char *err, size_t errlen);

/* g->name from a file name: its base name without the last extension
 * ("../x/resnet18.txt" -> "resnet18"), truncated to fit. */
void ptext_model_name(struct mgraph *g, const char *fname);

/* mgraph_topo's cycle check with the error as "FILE:LINE: ..." (the line
 * that defines a node on the cycle).  0, or -1. */
int ptext_dag(const struct mgraph *g, const char *fname, char *err,
              size_t errlen);

#endif
