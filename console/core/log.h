/*
 * log - the console's messages.  Until the TUI takes over the screen they
 * go to stderr as "wattson: LEVEL: text"; a sink can be installed (the TUI
 * log pane, a test buffer) so nothing writes over a live screen.
 *
 * A message is one line whatever it quotes: control characters (from a
 * policy's log(), a rejected name or value, a lab's device names) are
 * written as escapes before the message reaches stderr or the sink, so
 * no text can forge a "wattson: error:" line or send terminal escapes.
 */
#ifndef WATTSON_LOG_H
#define WATTSON_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

typedef void (*log_sink_fn)(void *arg, int level, const char *msg);

void log_set_level(int level); /* messages above it are dropped */
int log_get_level(void);
void log_set_sink(log_sink_fn fn, void *arg); /* NULL: stderr */
void log_msg(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *fmt, va_list ap);
/* What a message looks like without a sink, for a sink that also wants
 * it on stderr. */
void log_write_stderr(int level, const char *msg);

/* Copies `src` into `dst` (`n` bytes, always terminated, truncated if
 * needed) with \n, \r and \t written as those two characters, other C0
 * controls, DEL and the C1 controls (U+0080-U+009F in UTF-8) as \xNN, and
 * everything else unchanged.  Returns dst. */
const char *log_escape(char *dst, size_t n, const char *src);

#endif
