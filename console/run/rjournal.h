/*
 * rjournal - the runner's side of the saved-controls journal
 * (core/journal.h): where a run that writes real hardware keeps it, the
 * check at start for a journal a killed run left, the actuate hook that
 * writes it after the save and before the first write, and its removal
 * once every control is back.
 *
 * A journal that cannot be written blocks every write of the run (the
 * saved values only count if they outlive the process) and is counted in
 * the summary's journal_errors.
 */
#ifndef WATTSON_RJOURNAL_H
#define WATTSON_RJOURNAL_H

#include <stdint.h>

#include "run/run.h"

struct actuate;
struct model;

struct rjournal {
    char *path; /* RUNDIR/saved-controls; NULL when the run directory
                   was refused (err says why) */
    char err[512];
    char *lab;        /* the lab as the journal names it */
    int written;      /* this run wrote it: remove it once all is restored */
    int hook;         /* the run must set actuate's on_saved to
                         rjournal_on_saved (ctx: this struct) */
    uint64_t *errors; /* the summary's journal_errors */
};

/* For a run that will write real hardware, holding the writer lock:
 * resolves the run directory and refuses (RUN_PLUGIN, message in err) a
 * journal left by a run that is dead, by one still running under another
 * lock file, or one that cannot be read.  RUN_OK otherwise, with `hook`
 * set; RUN_ERR when out of memory. */
int rjournal_setup(struct rjournal *r, const struct run_opts *o,
                   uint64_t *errors, char *err, size_t errlen);
/* actuate's on_saved hook (ctx: struct rjournal *). */
int rjournal_on_saved(void *ctx, const struct actuate *a,
                      const struct model *m);
/* After an in-process restore (`restored`): removes the journal when no
 * control failed, else says it is kept.  Signal-safe when `quiet` (the
 * fatal path). */
void rjournal_done(struct rjournal *r, int restored, uint64_t restore_errors,
                   int quiet);
void rjournal_free(struct rjournal *r);

#endif
