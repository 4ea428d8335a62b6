/*
 * qtab - the files of the tabular Q-learning agents (issue 14): one
 * Q-table per module identity, saved atomically under a state directory
 * and loaded again when the same module re-attaches, so that its agent
 * starts warm instead of learning from scratch.
 *
 * A table has a shape: ndims state dimensions (their sizes multiply to
 * nstates) and nactions actions.  It is two arrays of nstates * nactions
 * cells, row-major (cell = state * nactions + action): the Q-values
 * (doubles, finite) and the visit counts (uint32).
 *
 * Format (version 1): line-oriented text a person can read, every line
 * ending in '\n', fields separated by one space, in this order:
 *
 *   wattson-qtable 1
 *   module ID                    the module identity it was learned on
 *   dims D1 D2 ... Dn            1 to QTAB_MAX_DIMS state dimensions
 *   actions A
 *   row S q Q0 ... QA-1 visits N0 ... NA-1     S = 0 .. nstates-1, in order
 *   crc32 XXXXXXXX               over every byte before this line
 *
 * Q-values are printed with %.17g, so that strtod gives back the very same
 * double (-0 included); only what %.17g prints is read back (no hex, no
 * inf or nan).  The checksum (CRC-32, the zlib/PNG one, 8 lowercase hex
 * digits) makes a truncated or edited file an error, not another table.
 *
 * Loading is all or nothing: a file that is corrupt, of another shape or
 * of another module is refused with one line "qtab: FILE:LINE: reason",
 * the caller's arrays are left exactly as they were and the file is left
 * in place (the agent learns from scratch; its next good save replaces
 * the file).  Nothing here logs: the caller reports the message.
 *
 * Files are read and written through core/safefile.h: never through a
 * link, only files and directories of this user (or root) that nobody
 * else may write, replaced by rename after an fsync.
 */
#ifndef WATTSON_QTAB_H
#define WATTSON_QTAB_H

#include <stddef.h>
#include <stdint.h>

#define QTAB_VERSION 1
#define QTAB_MAX_DIMS 8
#define QTAB_MAX_ACTIONS 1024
/* nstates * nactions at most: 8 MiB of Q-values, a file of at most about
 * 38 MiB; a table a tabular agent could fill is far smaller. */
#define QTAB_MAX_CELLS (1u << 20)
/* A module identity: printable ASCII, no space, no '/', no "..", not
 * starting with '.'.  80 bytes, so that even escaped (%XX a byte) its
 * file name fits NAME_MAX. */
#define QTAB_ID_MAX 80
/* Longer lines are refused before anything else is looked at: more than
 * a row of QTAB_MAX_ACTIONS actions can take. */
#define QTAB_MAX_LINE 65536
#define QTAB_SUFFIX ".qtab"
/* The tables' directory inside the state directory (paths_state). */
#define QTAB_DIR_NAME "qtables"

struct qtab_shape {
    unsigned ndims;
    unsigned dims[QTAB_MAX_DIMS];
    unsigned nactions;
};

enum qtab_err {
    QTAB_OK = 0,
    QTAB_ENOENT = -1,     /* no saved table: cold start */
    QTAB_ECORRUPT = -2,   /* malformed, truncated, edited, non-finite */
    QTAB_ESHAPE = -3,     /* a good table of another shape */
    QTAB_EIO = -4,        /* a read, write, fsync or rename failed */
    QTAB_EUNTRUSTED = -5, /* a link, not a regular file, someone else's */
    QTAB_EPARAM = -6,     /* a bad argument: shape, module id, NaN to save */
    QTAB_EMODULE = -7     /* a good table of another module */
};

/* The cells of a valid shape (nstates * nactions), or 0 for a shape
 * outside the limits above (no dims, a zero size, too many cells). */
size_t qtab_cells(const struct qtab_shape *s);

/* The default directory of the tables: $XDG_STATE_HOME/wattson/qtables,
 * else $HOME/.local/state/wattson/qtables (core/paths.h).  0, or -1 when
 * neither variable is an absolute path. */
int qtab_default_dir(char *buf, size_t n);

/* DIR/NAME.qtab for `module_id`, NAME being the id with every byte other
 * than [A-Za-z0-9._:-] written %XX, so two ids never share a file.
 * QTAB_OK, or QTAB_EPARAM with the reason in err for an id that is not
 * valid (see QTAB_ID_MAX: nothing that could name a path outside dir) or a
 * path that does not fit. */
int qtab_path(const char *dir, const char *module_id, char *buf, size_t n,
              char *err, size_t errlen);

/* The file text of a table (malloc'd, *len bytes, NUL-terminated), or
 * NULL with errno: EINVAL for a bad id or shape or a non-finite Q-value,
 * ENOMEM. */
char *qtab_format(const char *module_id, const struct qtab_shape *s,
                  const double *q, const uint32_t *visits, size_t *len);

/* Saves the table of `module_id` in dir (created 0700 with its missing
 * parents), atomically: on any failure the old file is intact and no
 * temporary file is left.  Refuses (QTAB_EUNTRUSTED) a dir that is a link,
 * or that another user owns or could write, and a link or other non-file
 * in the table's place.  QTAB_OK or a negative enum qtab_err with one
 * line in err.  Allocates the file's text (not a per-tick path). */
int qtab_save(const char *dir, const char *module_id,
              const struct qtab_shape *s, const double *q,
              const uint32_t *visits, char *err, size_t errlen);

/* Loads the table of `module_id` from dir into q and visits (each of
 * qtab_cells(expect) elements).  QTAB_OK; QTAB_ENOENT when there is no
 * table (nor perhaps dir): a cold start; else a negative enum qtab_err
 * with one line in err.  q and visits are written only on QTAB_OK.
 * Allocates a buffer for the file (not a per-tick path). */
int qtab_load(const char *dir, const char *module_id,
              const struct qtab_shape *expect, double *q, uint32_t *visits,
              char *err, size_t errlen);

/* Parses `len` bytes of table text; what qtab_load does once the file is
 * read, and what the fuzz target drives.  `name` prefixes messages
 * ("qtab: NAME:LINE: reason"); `module_id` NULL accepts any valid id.
 * Validates all of it before writing q and visits, so they are untouched
 * unless QTAB_OK.  Allocates nothing. */
int qtab_parse(const char *buf, size_t len, const char *name,
               const char *module_id, const struct qtab_shape *expect,
               double *q, uint32_t *visits, char *err, size_t errlen);

/* CRC-32 (reflected 0xEDB88320, as zlib) of n bytes. */
uint32_t qtab_crc32(const void *p, size_t n);

#endif
