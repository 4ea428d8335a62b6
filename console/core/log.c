/*
 * log - see log.h.
 */
#include "core/log.h"

#include <stdio.h>

static int log_level = LOG_WARN;
static log_sink_fn log_sink;
static void *log_sink_arg;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_set_level(int level)
{
    log_level = level;
}

int log_get_level(void)
{
    return log_level;
}

void log_set_sink(log_sink_fn fn, void *arg)
{
    log_sink = fn;
    log_sink_arg = arg;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
    if (level > log_level)
        return;
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    if (log_sink) {
        log_sink(log_sink_arg, level, buf);
        return;
    }
    log_write_stderr(level, buf);
}

void log_write_stderr(int level, const char *msg)
{
    if (level < 0)
        level = 0;
    if (level > LOG_DEBUG)
        level = LOG_DEBUG;
    fprintf(stderr, "wattson: %s: %s\n", level_names[level], msg);
}

void log_msg(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, fmt, ap);
    va_end(ap);
}
