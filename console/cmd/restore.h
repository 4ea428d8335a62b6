/*
 * restore - `wattson restore`: puts back the controls a killed run left
 * changed, from its saved-controls journal (core/journal.h), by loading
 * the run's lab and drivers again (run_new, with no tick and no policy)
 * and writing each saved value, last saved first.
 */
#ifndef WATTSON_RESTORE_H
#define WATTSON_RESTORE_H

#include <stdio.h>

#include "run/run.h"

/* `wattson restore`: puts back the controls of a run that was killed
 * before it could, from the journal in the run directory (o->run_dir,
 * else as a run finds it).  Takes the writer lock (not for a dry run),
 * loads the journal's lab and drivers (run_new with allow_writes; no
 * policy, no tick), writes each saved value back in reverse order, one
 * control per write call, going on past failures, each reported on
 * stderr as "restore: DEVICE.CONTROL: could not write V (reason)"; a
 * control no longer there counts as a failure.  Prints one line on `out`:
 * "restored N controls from PATH" (the journal is then removed), or
 * "nothing to restore (no PATH)".  `dry_run`: says what it would write,
 * writes nothing, keeps the journal.  Returns RUN_OK, RUN_PLUGIN when a
 * control could not be restored (the journal is kept), RUN_LAB for a
 * malformed or unreadable journal (one line "PATH:LINE: reason"), run_new's
 * code (RUN_LAB, RUN_PLUGIN) when the recorded lab or its drivers no
 * longer load, RUN_ERR when the lock is held or the journal's run is
 * still alive.  Nothing is written in any of those cases. */
int restore_main(const struct run_opts *o, int dry_run, FILE *out);

#endif
