/*
 * log - the console's messages.  Until the TUI takes over the screen they
 * go to stderr as "wattson: LEVEL: text"; a sink can be installed (the TUI
 * log pane, a test buffer) so nothing writes over a live screen.
 */
#ifndef WATTSON_LOG_H
#define WATTSON_LOG_H

#include <stdarg.h>

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

#endif
