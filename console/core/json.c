/*
 * json - see json.h.
 */
#include "core/json.h"

#include <string.h>

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

void json_put_csv_field(FILE *f, const char *a, const char *sep, const char *b)
{
    const char *parts[3] = {a, sep, b};
    int quote = 0;
    for (int i = 0; i < 3; i++)
        if (parts[i] && strpbrk(parts[i], ",\"\r\n"))
            quote = 1;
    if (!quote) {
        for (int i = 0; i < 3; i++)
            if (parts[i])
                fputs(parts[i], f);
        return;
    }
    /* RFC 4180: the field in double quotes, each quote doubled. */
    fputc('"', f);
    for (int i = 0; i < 3; i++)
        for (const char *s = parts[i]; s && *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
    fputc('"', f);
}
