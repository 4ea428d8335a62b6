/*
 * log - see log.h.
 */
#include "core/log.h"

#include <stdio.h>
#include <string.h>

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

const char *log_escape(char *dst, size_t n, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0;
    if (n == 0)
        return dst;
    for (; *s; s++) {
        char esc[8];
        size_t k = 0;
        unsigned c = *s;
        if (c == '\n' || c == '\r' || c == '\t') {
            esc[k++] = '\\';
            esc[k++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else if (c < 0x20 || c == 0x7f ||
                   (c == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)) {
            /* A C1 control is two bytes in UTF-8: both are escaped, as
             * some terminals act on U+009B like on ESC [. */
            for (int b = 0; b < (c == 0xc2 ? 2 : 1); b++) {
                esc[k++] = '\\';
                esc[k++] = 'x';
                esc[k++] = hex[s[b] >> 4];
                esc[k++] = hex[s[b] & 15];
            }
            if (c == 0xc2)
                s++;
        } else {
            esc[k++] = (char)c;
        }
        if (o + k >= n)
            break; /* truncated: never half an escape */
        memcpy(dst + o, esc, k);
        o += k;
    }
    dst[o] = '\0';
    return dst;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
    if (level > log_level)
        return;
    char raw[1024], buf[1024];
    vsnprintf(raw, sizeof raw, fmt, ap);
    log_escape(buf, sizeof buf, raw);
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
