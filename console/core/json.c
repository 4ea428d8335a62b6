/*
 * json - see json.h.
 */
#include "core/json.h"

void json_put_string(FILE *f, const char *str)
{
    fputc('"', f);
    for (; str && *str; str++) {
        unsigned char c = (unsigned char)*str;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}
