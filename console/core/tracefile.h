/*
 * tracefile - the run's outputs: a JSON Lines trace (a header object, one
 * object per tick, the summary as the last line) and, on request, a CSV
 * with one row per tick.
 *
 * Nothing half-written where that can be kept: a regular file (or a new
 * name) is written to "<path>.tmp.<pid>.XXXXXX" beside it and renamed over
 * it only when the run finished, keeping its mode; a run that fails
 * removes its temporary files.  A symlink is followed once at open to
 * what it names; a FIFO, a character device and stdout ("-") are written
 * directly (see tracefile.c); a directory, a socket or a block device is
 * refused.  Opening happens before the first tick, so an unwritable or
 * refused path fails the run before it starts.
 *
 * The JSONL header names its format, TRACEFILE_FORMAT, and the wattson
 * that wrote it ("format":2,"wattson":"0.1.0"), so a reader (`wattson
 * report`) can tell a trace it knows from one of another version.  Format
 * 1, the traces before, had neither; format 2 added the engines' metrics
 * ("eng" in the header and each tick, written by the caller's extra hooks
 * below: engines/emetric.h).
 *
 * Numbers are printed with %.9g: enough for the energy/power identities
 * the tests check, and identical text for identical runs.  Invalid values
 * are JSON null (CSV: empty).
 */
#ifndef WATTSON_TRACEFILE_H
#define WATTSON_TRACEFILE_H

#include <stdio.h>

struct model;
struct summary;
struct lab;

/* How the output reaches its path (chosen at open). */
enum tracefile_how {
    TRACEFILE_RENAME, /* temp file renamed over the path at commit */
    TRACEFILE_COPY,   /* temp file copied into a hard-linked file */
    TRACEFILE_DIRECT, /* a FIFO or character device, written in place */
    TRACEFILE_STDOUT  /* "-" or the process's own stdout */
};

#define TRACEFILE_FORMAT 2

/* What the caller adds to the JSONL lines, after the devices: the header
 * gets `,"eng":` and header(ctx, f)'s value, each tick `,"eng":` and
 * tick(ctx, f)'s (both JSON values).  A hook must not allocate. */
struct tracefile_extra {
    void (*header)(const void *ctx, FILE *f);
    void (*tick)(const void *ctx, FILE *f);
    const void *ctx;
};

struct tracefile {
    FILE *f;
    struct tracefile_extra extra; /* all NULL: none (set after open) */
    char *path;                   /* the final target ("-" for stdout) */
    char *tmp;                    /* RENAME/COPY: the temporary file */
    int csv;
    int text; /* TRACEFILE_TEXT */
    enum tracefile_how how;
};

/* tracefile_open flags. */
enum {
    TRACEFILE_CSV = 1,       /* CSV rather than JSON Lines */
    TRACEFILE_NO_STDOUT = 2, /* refuse "-" and stdout (the console owns it) */
    TRACEFILE_NO_WAIT = 4,   /* a FIFO without a reader is refused at once
                                rather than waited for (the console) */
    TRACEFILE_TEXT = 8       /* the caller writes its own lines to `f` (the
                                IPC events, core/ipcin.h): no summary */
};

/* Returns 0, or -1 with "PATH: reason" in err. */
int tracefile_open(struct tracefile *t, const char *path, int flags, char *err,
                   size_t errlen);
/* 1 when the output goes to stdout ("-", /dev/stdout, or the file stdout
 * was redirected to). */
int tracefile_on_stdout(const struct tracefile *t);
void tracefile_header(struct tracefile *t, const struct model *m,
                      const struct lab *lab, const char *policy);
void tracefile_tick(struct tracefile *t, const struct model *m,
                    double total_power);
/* A policy reload (JSONL only): {"type":"reload","tick":..,"t":..,
 * "ok":true|false,"error":".."}. */
void tracefile_reload(struct tracefile *t, const struct model *m, int ok,
                      const char *error);
/* Writes the summary (JSONL only), closes and renames.  Returns 0 or -1
 * with a message. */
int tracefile_commit(struct tracefile *t, const struct summary *s, char *err,
                     size_t errlen);
/* Closes and removes the temporary file. */
void tracefile_abort(struct tracefile *t);

#endif
