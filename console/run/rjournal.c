/*
 * rjournal - see rjournal.h.
 */
#include "run/rjournal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/journal.h"
#include "core/log.h"
#include "core/model.h"
#include "loader/loader.h"
#include "pipeline/actuate.h"

/* The lab as a journal records it: an absolute path, so `wattson
 * restore` finds it from any directory. */
static char *rjournal_lab_name(const struct run_opts *o)
{
    if (!o->lab_path)
        return strdup(o->lab_text ? "(generated)" : "(embedded)");
    char *abs = realpath(o->lab_path, NULL);
    if (abs)
        return abs;
    char cwd[PATH_MAX];
    if (o->lab_path[0] == '/' || !getcwd(cwd, sizeof cwd))
        return strdup(o->lab_path);
    size_t n = strlen(cwd) + strlen(o->lab_path) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", cwd, o->lab_path);
    return p;
}

/* The directory of a plugin's file, absolute, into buf. */
static int plugin_dir_of(const char *file, char *buf, size_t len)
{
    char *abs = realpath(file, NULL);
    if (!abs)
        return -1;
    char *slash = strrchr(abs, '/');
    if (slash == abs)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    int n = snprintf(buf, len, "%s", abs);
    free(abs);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

/* The first failure's errno, for the message. */
static void note(int rc, int *bad, int *e)
{
    if (rc != 0 && !*bad) {
        *bad = 1;
        *e = errno ? errno : EINVAL;
    }
}

int rjournal_on_saved(void *ctx, const struct actuate *a, const struct model *m)
{
    struct rjournal *r = ctx;
    struct journal j = {0};
    char err[1024], dir[PATH_MAX];
    size_t n = 0;
    int bad = 0, e = 0;

    if (!r->path) {
        snprintf(err, sizeof err, "%s", r->err);
        goto fail;
    }
    j.pid = (long)getpid();
    j.start = (long long)time(NULL);
    note(journal_set_lab(&j, r->lab), &bad, &e);
    for (size_t p = 0; p < m->n_plugins; p++) {
        const struct model_plugin *mp = &m->plugins[p];
        /* Simulated controls die with the process: nothing to undo. */
        if (!mp->writable || mp->simulated || !a->plugin_ok[p])
            continue;
        if (plugin_dir_of(mp->plug->path, dir, sizeof dir) == 0)
            note(journal_add_dir(&j, dir), &bad, &e);
        for (uint32_t i = 0; i < mp->n_ctl; i++) {
            size_t c = mp->ctl_base + i;
            if (!a->saved_ok[c])
                continue;
            note(journal_add_control(&j, mp->name,
                                     m->devices[m->controls[c].device].name,
                                     m->controls[c].name, a->saved[c]),
                 &bad, &e);
            n++;
        }
    }
    for (size_t i = 0; journal_env_names[i]; i++) {
        const char *v = getenv(journal_env_names[i]);
        if (v && *v)
            note(journal_add_env(&j, journal_env_names[i], v), &bad, &e);
    }
    if (bad) {
        snprintf(err, sizeof err, "%s: cannot write the journal: %s", r->path,
                 e == EINVAL ? "a name or path it cannot hold" : strerror(e));
        journal_free(&j);
        goto fail;
    }
    if (n == 0) {
        /* No real control could be saved, so none will be written. */
        journal_free(&j);
        return 0;
    }
    if (journal_write(r->path, &j, err, sizeof err) != 0) {
        journal_free(&j);
        goto fail;
    }
    journal_free(&j);
    r->written = 1;
    log_msg(LOG_INFO, "%s: %zu controls saved", r->path, n);
    return 0;
fail:
    (*r->errors)++;
    log_msg(LOG_ERROR,
            "%s; no control will be written in this run (it goes on "
            "read-only)",
            err);
    return -1;
}

void rjournal_done(struct rjournal *r, int restored, uint64_t restore_errors,
                   int quiet)
{
    if (!r->written || !restored)
        return;
    if (restore_errors > 0) {
        if (!quiet)
            log_msg(LOG_ERROR,
                    "%s is kept: run `wattson restore` to retry the "
                    "controls that could not be restored",
                    r->path);
        r->written = 0; /* said once */
        return;
    }
    r->written = 0;
    if (journal_remove_own(r->path, (long)getpid()) < 0 && !quiet)
        log_msg(LOG_WARN, "%s: could not remove the journal: %s", r->path,
                strerror(errno));
}

/* At the start of a writing run: a journal left by a run that is gone
 * means hardware still holds what that run wrote. */
static int rjournal_check(struct rjournal *r, int explicit_dir, const char *dir,
                          char *err, size_t errlen)
{
    struct journal j;
    char jerr[1024];
    int rc = journal_read(r->path, &j, jerr, sizeof jerr);
    if (rc == 1)
        return RUN_OK;
    if (rc < 0) {
        snprintf(err, errlen,
                 "%s (a saved-controls journal that cannot be read: check "
                 "the hardware, then remove it)",
                 jerr);
        return RUN_PLUGIN;
    }
    long pid = j.pid;
    journal_free(&j);
    int alive = pid != (long)getpid() && journal_owner_alive(pid);
    if (!alive) {
        /* A run that ended cleanly removed its journal before it exited:
         * read again now that it is known dead, or one that ended between
         * the read and the check would pass for a killed one. */
        rc = journal_read(r->path, &j, jerr, sizeof jerr);
        if (rc == 1)
            return RUN_OK;
        if (rc == 0) {
            long again = j.pid;
            journal_free(&j);
            if (again != pid) /* another writer's, since: look again */
                return rjournal_check(r, explicit_dir, dir, err, errlen);
        }
    }
    if (alive) {
        /* Only possible with another writer lock ($WATTSON_LOCK_FILE):
         * the same lock would have refused this run already.  Replacing
         * its journal would lose what that run saved (and save its
         * settings as this run's "before"), so refuse. */
        snprintf(err, errlen,
                 "%s: belongs to a wattson run still running (pid %ld) "
                 "under another writer lock; stop it, or give this run "
                 "its own --run-dir",
                 r->path, pid);
        return RUN_PLUGIN;
    }
    if (explicit_dir)
        snprintf(err, errlen,
                 "%s: a wattson run (pid %ld) was killed before it could "
                 "restore its controls; run `wattson restore --run-dir %s` "
                 "first",
                 r->path, pid, dir);
    else
        snprintf(err, errlen,
                 "%s: a wattson run (pid %ld) was killed before it could "
                 "restore its controls; run `wattson restore` first",
                 r->path, pid);
    return RUN_PLUGIN;
}

int rjournal_setup(struct rjournal *r, const struct run_opts *o,
                   uint64_t *errors, char *err, size_t errlen)
{
    r->errors = errors;
    char dir[PATH_MAX], path[PATH_MAX + 32];
    int explicit_dir = 0;
    r->lab = rjournal_lab_name(o);
    if (!r->lab) {
        snprintf(err, errlen, "out of memory");
        return RUN_ERR;
    }
    /* From here on the run's first write waits for the journal. */
    r->hook = 1;
    if (!journal_run_dir(o->run_dir, dir, sizeof dir, &explicit_dir, r->err,
                         sizeof r->err))
        return RUN_OK; /* journal_on_saved reports it and blocks writes */
    journal_path(dir, path, sizeof path);
    r->path = strdup(path);
    if (!r->path) {
        snprintf(err, errlen, "out of memory");
        return RUN_ERR;
    }
    /* A writer killed between creating its temporary file and renaming it
     * left the file; nothing else ever removes it. */
    int stale = journal_clean_tmp(dir);
    if (stale > 0)
        log_msg(LOG_INFO,
                "%s: removed %d temporary journal file%s of dead runs", dir,
                stale, stale == 1 ? "" : "s");
    return rjournal_check(r, explicit_dir, dir, err, errlen);
}

void rjournal_free(struct rjournal *r)
{
    free(r->path);
    free(r->lab);
    r->path = r->lab = NULL;
}
