/* dur: every unit, and every refused form with its reason. */
#include <locale.h>

#include "core/dur.h"
#include "t.h"

static void accepts(const char *text, double want)
{
    double v = -1;
    char err[256] = "";
    int rc = dur_parse(text, &v, err, sizeof err);
    T_CHECK(rc == 0);
    if (rc)
        fprintf(stderr, "  '%s' refused: %s\n", text, err);
    T_NEAR(v, want, want * 1e-12);
}

static void refuses(const char *text, const char *why)
{
    double v = 123;
    char err[256] = "";
    char head[128];
    T_CHECK(dur_parse(text, &v, err, sizeof err) == -1);
    T_NEAR(v, 123, 0); /* untouched on error */
    snprintf(head, sizeof head, "invalid duration '%s': ", text);
    T_CHECK(strncmp(err, head, strlen(head)) == 0);
    T_CHECK(strstr(err, why) != NULL);
    T_CHECK(strchr(err, '\n') == NULL);
    if (!strstr(err, why))
        fprintf(stderr, "  '%s': got \"%s\", want \"%s\"\n", text, err, why);
}

int main(void)
{
    accepts("250ms", 0.25);
    accepts("1.5s", 1.5);
    accepts("2m", 120);
    accepts("1h", 3600);
    accepts("10us", 10e-6);
    accepts("100ns", 100e-9);
    accepts("3", 3);
    accepts("0.5", 0.5);
    accepts(".5s", 0.5);
    accepts("5.s", 5);
    accepts("0s", 0);
    accepts("1e3ms", 1);
    accepts("2.5e-1h", 900);
    accepts("1E2", 100);

    refuses("", "empty");
    refuses("-1s", "must not be negative");
    refuses("+1s", "no sign");
    refuses("nan", "no number");
    refuses("NaN", "no number");
    refuses("inf", "no number");
    refuses("infinity", "no number");
    refuses("s", "no number");
    refuses(".s", "no number");
    refuses("0x10s", "unknown unit 'x'");
    refuses("5x", "unknown unit 'x' (use ns, us, ms, s, m, h)");
    refuses("5sec", "unknown unit 'sec'");
    refuses("5S", "unknown unit 'S'");
    refuses("5e", "unknown unit 'e'");
    refuses("5 s", "no space allowed between number and unit");
    refuses("5 s s", "no space allowed");
    refuses("5s s", "trailing text ' s'");
    refuses("5s ", "trailing text");
    refuses(" 5s", "leading space");
    refuses("5ms3", "trailing text '3'");
    refuses("1.5.5s", "trailing text '.5s'");
    refuses("1e999", "too large");
    refuses("1e307h", "too large");

    double v;
    T_CHECK(dur_parse(NULL, &v, NULL, 0) == -1);
    T_CHECK(dur_parse("5x", &v, NULL, 0) == -1); /* err is optional */

    /* A locale with a decimal comma must not change the meaning. */
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") ||
        setlocale(LC_NUMERIC, "fr_FR.UTF-8"))
        accepts("1.5s", 1.5);
    setlocale(LC_NUMERIC, "C");
    return t_done("test_dur");
}
