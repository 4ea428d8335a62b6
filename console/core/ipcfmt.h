/*
 * ipcfmt - the text format of inter-process message events
 * (struct wattson_ipc_event, plugin.h), one event per line:
 *
 *   t_s src_pid dst_pid bytes type
 *
 *   t_s      seconds on the run's clock: a finite decimal number >= 0
 *            (digits, '.', an exponent: 12, 0.5, 1.25e3; no sign, no
 *            inf/nan, no hex), at most 63 characters
 *   src_pid  sender, decimal 0..4294967295 (uint32)
 *   dst_pid  receiver, decimal 0..4294967295 (uint32)
 *   bytes    payload size, decimal 0..18446744073709551615 (uint64)
 *   type     0..3 or data, request, reply, control (lower case; enum
 *            wattson_ipc_type)
 *
 * Fields are separated by spaces or tabs; leading and trailing blanks and a
 * final "\n" or "\r\n" are ignored.  A line that is blank, or whose first
 * non-blank character is '#', is skipped; a field starting with '#' after
 * the five ends the line as a comment ("0.5 1 2 64 data # note").  Anything
 * else after the type is an error.  Integers are plain decimal digits (no
 * sign, no "0x"; leading zeros are allowed).  Within a stream, t_s must not
 * decrease (equal times are fine: two messages in the same microsecond).
 *
 * Example:
 *   # t_s    src  dst  bytes  type
 *   0.000125 4242 4243 65536  data
 *   0.000310 4243 4242 64     reply
 *   1.5      1    4242 0      3
 *
 * Nothing here allocates: lines are parsed in place (numbers are copied
 * into a bounded stack buffer for strtod, which assumes LC_NUMERIC "C", as
 * wattson never changes it).  The parser takes arbitrary bytes (it is
 * fuzzed: tests/fuzz/fuzz_ipc.c); an embedded NUL is an ordinary bad
 * character.
 */
#ifndef WATTSON_CORE_IPCFMT_H
#define WATTSON_CORE_IPCFMT_H

#include <stddef.h>
#include <stdint.h>

#include "wattson/plugin.h"

/* Longest line ipcfmt_format_line writes, with "\n" and the NUL. */
#define IPCFMT_LINE_MAX 96

/* Parses one line of `len` bytes (need not be NUL-terminated).  Returns 1
 * and fills *ev for an event, 0 for a blank or comment line (*ev
 * untouched), -1 for an error with a one-line message in err naming the
 * field ("bytes: overflows uint64 (18446744073709551616)").  Stateless:
 * the order of times is the reader's business. */
int ipcfmt_parse_line(const char *line, size_t len,
                      struct wattson_ipc_event *ev, char *err, size_t errlen);

/* Writes ev as one line ending in "\n" (type as a word, t with the fewest
 * digits that parse back to the same double) into buf.  Returns the length
 * without the NUL, or -1 if ev is not writable (t negative or not finite,
 * unknown type) or buf too short (IPCFMT_LINE_MAX always suffices); buf is
 * then "" if len > 0. */
int ipcfmt_format_line(const struct wattson_ipc_event *ev, char *buf,
                       size_t len);

/* A stream of lines: counts them and refuses a time going backwards.
 * Errors read "NAME:N: field: reason", or "line N: field: reason" without a
 * name. */
struct ipcfmt_reader {
    const char *name; /* for messages; may be NULL */
    uint64_t line;    /* lines seen, so the number of the last one */
    uint64_t events;  /* events returned */
    double last_t;    /* t of the last event */
};

void ipcfmt_reader_init(struct ipcfmt_reader *r, const char *name);
/* As ipcfmt_parse_line for the next line of the stream; also -1 when t is
 * below the previous event's. */
int ipcfmt_reader_next(struct ipcfmt_reader *r, const char *line, size_t len,
                       struct wattson_ipc_event *ev, char *err, size_t errlen);

#endif
