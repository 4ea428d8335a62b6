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
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int t_failed;
static int t_checks;
static int t_skipped;

/* The exit status of a program all of whose checks were skipped; the
 * build gives every test ctest's SKIP_RETURN_CODE with this value
 * (tests/CMakeLists.txt), as tests/integration/lib.sh's finish does. */
enum { T_SKIP_STATUS = 77 };

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

/* A check, or a group of them, that cannot run here (not root, no such
 * hardware): "SKIP: reason" on stderr, counted apart, never as passed. */
static inline void t_skip(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static inline void t_skip(const char *fmt, ...)
{
    va_list ap;

    t_skipped++;
    fputs("SKIP: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* A seeded number uniform in [0, 1) (Marsaglia's xorshift64, 2003): the
 * random cases' generator, the same sequence on every machine. */
static inline double t_unif(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return (double)(*state >> 11) / 9007199254740992.0;
}

/* The summary line and main's status: 1 on a failure or when nothing ran,
 * T_SKIP_STATUS when every check was skipped, else 0. */
static inline int t_done(const char *name)
{
    fprintf(stderr, "%s: %d checks, %d failed, %d skipped\n", name, t_checks,
            t_failed, t_skipped);
    if (t_failed)
        return 1;
    if (t_checks == 0) {
        if (t_skipped)
            return T_SKIP_STATUS;
        fprintf(stderr, "%s: no checks ran\n", name);
        return 1;
    }
    return 0;
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
