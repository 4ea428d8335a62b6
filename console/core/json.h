/*
 * json - the one piece of JSON writing that needs care: strings.  Lab,
 * device, signal and policy names are the user's text, so a quote, a
 * backslash or a control byte in them must not break the trace or the
 * summary line that scripts parse.  And numbers: JSON has no NaN or
 * infinity.
 */
#ifndef WATTSON_JSON_H
#define WATTSON_JSON_H

#include <stdio.h>

/* Writes str (NULL: empty) as a JSON string, quotes included. */
void json_put_string(FILE *f, const char *str);
/* The same without the quotes, for a string written in pieces ("set." and
 * a control's name).  A plain string is written as is, in one call. */
void json_put_chars(FILE *f, const char *str);
/* v with %.9g (enough for the traces' identities, and the same text for
 * the same run), or null when it is NaN or infinite. */
void json_put_number(FILE *f, double v);

#endif
