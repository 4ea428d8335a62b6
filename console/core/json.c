/*
 * json - see json.h.
 */
#include "core/json.h"

#include <math.h>

/* 1 if `c` must be escaped inside a JSON string. */
static int json_special(unsigned char c)
{
    return c == '"' || c == '\\' || c < 0x20;
}

void json_put_chars(FILE *f, const char *str)
{
    const char *p = str;
    if (!str)
        return;
    /* Names are plain almost always, and this runs for every name of
     * every trace line: look first, write in one piece. */
    while (*p && !json_special((unsigned char)*p))
        p++;
    if (!*p) {
        fputs(str, f);
        return;
    }
    for (; *str; str++) {
        unsigned char c = (unsigned char)*str;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

void json_put_string(FILE *f, const char *str)
{
    fputc('"', f);
    json_put_chars(f, str);
    fputc('"', f);
}

void json_put_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}
