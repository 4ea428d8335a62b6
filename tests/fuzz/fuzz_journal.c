/*
 * fuzz_journal - libFuzzer target for the saved-controls journal parser
 * (console/core/journal.c), which `wattson restore` and every writing run
 * feed a file that may be corrupt.  Every input must be accepted or
 * refused with one non-empty line "fuzz:LINE: reason", never a crash; an
 * accepted journal must satisfy what the format promises (a positive pid,
 * finite values, known env names) and survive journal_format ->
 * journal_parse unchanged, bit for bit.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const struct journal *a, const struct journal *b)
{
    if (a->pid != b->pid || a->start != b->start || strcmp(a->lab, b->lab) ||
        a->n_dirs != b->n_dirs || a->n_env != b->n_env || a->n_ctl != b->n_ctl)
        abort();
    for (size_t i = 0; i < a->n_dirs; i++)
        if (strcmp(a->dirs[i], b->dirs[i]))
            abort();
    for (size_t i = 0; i < a->n_env; i++)
        if (strcmp(a->env[i].name, b->env[i].name) ||
            strcmp(a->env[i].value, b->env[i].value))
            abort();
    for (size_t i = 0; i < a->n_ctl; i++)
        if (strcmp(a->ctl[i].plugin, b->ctl[i].plugin) ||
            strcmp(a->ctl[i].device, b->ctl[i].device) ||
            strcmp(a->ctl[i].control, b->ctl[i].control) ||
            memcmp(&a->ctl[i].value, &b->ctl[i].value, sizeof(double)))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct journal j, back;
    char err[512], err2[512];
    err[0] = '\0';
    if (journal_parse("fuzz", (const char *)data, size, &j, err, sizeof err) !=
        0) {
        if (strncmp(err, "fuzz:", 5) != 0 || memchr(err, '\n', strlen(err)))
            abort(); /* one line naming the file and line */
        if (j.lab || j.ctl || j.dirs || j.env)
            abort(); /* freed on error */
        return 0;
    }
    if (j.pid <= 0 || j.start < 0 || !j.lab)
        abort();
    for (size_t i = 0; i < j.n_ctl; i++)
        if (!isfinite(j.ctl[i].value))
            abort();
    size_t len;
    char *text = journal_format(&j, &len);
    if (!text)
        abort();
    if (journal_parse("again", text, len, &back, err2, sizeof err2) != 0)
        abort();
    check_same(&j, &back);
    /* Formatting is canonical: the text of the copy is the same text. */
    size_t len2;
    char *text2 = journal_format(&back, &len2);
    if (!text2 || len2 != len || memcmp(text, text2, len))
        abort();
    free(text2);
    free(text);
    journal_free(&back);
    journal_free(&j);
    return 0;
}
