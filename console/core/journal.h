/*
 * journal - the saved-controls journal: what every writable control of
 * real hardware held before wattson's first write, kept in a file so that
 * a run killed before it could restore them (SIGKILL, power loss, an OOM
 * kill) can still be undone by `wattson restore`.
 *
 * The in-process save/restore (pipeline/actuate.c) covers every exit path
 * the process survives; the journal covers the ones it does not.  It lives
 * in the run directory (journal_run_dir), machine-wide like the writer
 * lock, so there is one journal per machine: RUNDIR/saved-controls.
 *
 * Format (version 1): a line-oriented text file, every line ending in
 * '\n', fields separated by one space, in this order:
 *
 *   wattson-journal 1
 *   pid PID                       the run that wrote it
 *   start UNIX_SECONDS            when it was written
 *   lab ABSOLUTE_PATH | (embedded) | (generated)
 *   plugin-dir ABSOLUTE_DIR       0 or more: where the drivers were found
 *   env NAME VALUE                0 or more: the driver environment
 *                                 (WATTSON_SYSFS_ROOT, WATTSON_NVML_LIB)
 *   control PLUGIN DEVICE CONTROL VALUE   0 or more, in control order
 *   end
 *
 * Paths and env values are the rest of the line (spaces allowed, no
 * newline); names are non-empty runs of printable non-space bytes.  VALUE
 * is printed with %.17g, so strtod gives back the very same double.  The
 * `end` line makes a truncated file an error rather than a shorter list.
 * The parser is strict: anything else is refused as "NAME:LINE: reason".
 *
 * Writes are atomic (temp file in the same directory, fsync, rename, fsync
 * of the directory): a reader sees the old journal or the new one, never
 * half of one.  Nothing here logs; callers report the errors they get.
 */
#ifndef WATTSON_JOURNAL_H
#define WATTSON_JOURNAL_H

#include <stddef.h>

#define JOURNAL_VERSION 1
#define JOURNAL_FILE "saved-controls"
/* Refuse absurd inputs before allocating for them (fuzzing, corruption). */
#define JOURNAL_MAX_LINE 8192
#define JOURNAL_MAX_CONTROLS 65536
#define JOURNAL_MAX_DIRS 64

struct journal_control {
    char *plugin, *device, *control;
    double value;
};

struct journal_env {
    char *name, *value;
};

struct journal {
    long pid;
    long long start;
    char *lab; /* absolute path, "(embedded)" or "(generated)" */
    char **dirs;
    size_t n_dirs;
    struct journal_env *env;
    size_t n_env;
    struct journal_control *ctl;
    size_t n_ctl, cap_ctl;
};

/* The environment variables a journal may carry (NULL-terminated): the
 * ones that change which hardware a driver finds. */
extern const char *const journal_env_names[];

/* Adders copy their strings.  0, or -1 (errno ENOMEM, or EINVAL for a
 * string the format cannot hold: a name with a space or control byte, a
 * path with a newline, an env name not in journal_env_names, a non-finite
 * value, too many entries). */
int journal_set_lab(struct journal *j, const char *lab);
int journal_add_dir(struct journal *j, const char *dir);
int journal_add_env(struct journal *j, const char *name, const char *value);
int journal_add_control(struct journal *j, const char *plugin,
                        const char *device, const char *control, double value);
void journal_free(struct journal *j);

/* The journal's text (malloc'd, *len bytes, NUL-terminated), or NULL with
 * errno set (EINVAL: a field the format cannot hold). */
char *journal_format(const struct journal *j, size_t *len);
/* Parses `len` bytes of journal text into *j (zeroed first; freed on
 * error).  `name` prefixes messages: "NAME:LINE: reason".  0 or -1. */
int journal_parse(const char *name, const char *text, size_t len,
                  struct journal *j, char *err, size_t errlen);

/* Reads and parses the file: 0 (and *j), 1 when there is no journal
 * (the file or its directory does not exist), -1 with one line in err
 * ("PATH:LINE: reason" for a malformed one, "PATH: why" otherwise: a
 * FIFO, link or other non-regular file, never waited on; a file owned by
 * another user than root or us, or writable by group or others). */
int journal_read(const char *path, struct journal *j, char *err, size_t errlen);
/* Writes the journal atomically to `path`.  0, or -1 with
 * "PATH: what failed: strerror" in err and nothing left behind. */
int journal_write(const char *path, const struct journal *j, char *err,
                  size_t errlen);
/* Removes `path` if the journal there was written by `pid` (so a run never
 * deletes another's journal).  Only open/read/close/unlink: callable from
 * a fatal-signal handler.  1 removed, 0 not there or not ours, -1 error. */
int journal_remove_own(const char *path, long pid);
/* Removes `path` whoever wrote it (`wattson restore`, after success), and
 * syncs the directory.  0 (also when already gone) or -1 with errno. */
int journal_remove(const char *path);

/* The run directory: `opt` (--run-dir) if given, else $WATTSON_RUN_DIR,
 * else /run/wattson when it exists or can be created and is writable,
 * else /tmp/wattson-UID (created with mode 0700).  Writes it into buf and
 * returns buf; *explicit_dir is 1 when it came from `opt`.  A directory
 * that turns out unusable (a regular file, no permission) is not refused
 * here: the journal's write fails, naming the path.  NULL (and err) for
 * the /tmp fallback when it is not a directory of ours alone, and for any
 * directory that trust_check_path refuses (owned by another user than
 * root or us, writable by group or others, or below such a directory). */
const char *journal_run_dir(const char *opt, char *buf, size_t len,
                            int *explicit_dir, char *err, size_t errlen);
/* Removes the temporary files (saved-controls.tmp.PID) that writers
 * killed between creating and renaming one left in `dir`, skipping those
 * whose PID is a wattson still running.  Returns how many it removed. */
int journal_clean_tmp(const char *dir);
/* buf = DIR/saved-controls. */
const char *journal_path(const char *dir, char *buf, size_t len);

/* 1 when process `pid` is alive and runs the same program as this one
 * (so a pid reused by an unrelated process after a crash does not pass
 * for the journal's owner), else 0. */
int journal_owner_alive(long pid);

#endif
