/*
 * t.h - the unit tests' tiny harness.  Each test program is one file with
 * static test functions called from main(); a failed check prints the file,
 * line and expression and the program exits 1 at the end.
 *
 * Test-only: these are the only function-like macros in the project,
 * because a check must capture __FILE__/__LINE__ at its call site.
 */
#ifndef WATTSON_T_H
#define WATTSON_T_H

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int t_failed;
static int t_checks;

#define T_CHECK(cond)                                                          \
    do {                                                                       \
        t_checks++;                                                            \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,   \
                    #cond);                                                    \
            t_failed++;                                                        \
        }                                                                      \
    } while (0)

#define T_NEAR(a, b, tol)                                                      \
    do {                                                                       \
        double t_a_ = (a), t_b_ = (b);                                         \
        t_checks++;                                                            \
        if (!(fabs(t_a_ - t_b_) <= (tol))) {                                   \
            fprintf(stderr,                                                    \
                    "%s:%d: %s = %.17g, expected %s = %.17g "                  \
                    "(tol %g)\n",                                              \
                    __FILE__, __LINE__, #a, t_a_, #b, t_b_, (double)(tol));    \
            t_failed++;                                                        \
        }                                                                      \
    } while (0)

#define T_STREQ(a, b)                                                          \
    do {                                                                       \
        const char *t_a_ = (a), *t_b_ = (b);                                   \
        t_checks++;                                                            \
        if (!t_a_ || !t_b_ || strcmp(t_a_, t_b_) != 0) {                       \
            fprintf(stderr, "%s:%d: %s = \"%s\", expected \"%s\"\n", __FILE__, \
                    __LINE__, #a, t_a_ ? t_a_ : "(null)",                      \
                    t_b_ ? t_b_ : "(null)");                                   \
            t_failed++;                                                        \
        }                                                                      \
    } while (0)

static inline int t_done(const char *name)
{
    if (t_checks == 0) {
        fprintf(stderr, "%s: no checks ran\n", name);
        return 1;
    }
    fprintf(stderr, "%s: %d checks, %d failed\n", name, t_checks, t_failed);
    return t_failed ? 1 : 0;
}

/* Entries in dir but "." and "..", dotfiles included (a leftover temporary
 * file counts), or -1 if it cannot be opened. */
static inline int t_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

#endif
