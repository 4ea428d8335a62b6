/*
 * tracefile - the run's outputs: a JSON Lines trace (a header object, one
 * object per tick, the summary as the last line) and, on request, a CSV
 * with one row per tick.
 *
 * Nothing half-written: each file is written to "<path>.tmp.<pid>" beside
 * the target and renamed over it only when the run finished; a run that
 * fails removes its temporary files.  Opening happens before the first
 * tick, so an unwritable path fails the run before it starts.
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

struct tracefile {
    FILE *f;
    char *path;
    char *tmp;
    int csv;
};

/* Returns 0, or -1 with "PATH: reason" in err. */
int tracefile_open(struct tracefile *t, const char *path, int csv, char *err,
                   size_t errlen);
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
