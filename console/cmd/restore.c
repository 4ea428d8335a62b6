/*
 * restore - `wattson restore`: see restore.h.
 */
#include "cmd/restore.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "core/isolate.h"
#include "core/journal.h"
#include "core/log.h"
#include "core/model.h"
#include "core/safety.h"
#include "loader/loader.h"
#include "wattson/plugin.h"

/* Why journal control `jc` cannot be written in the reloaded model, or
 * NULL; *c gets its global index. */
static const char *restore_target(const struct model *m,
                                  const struct journal_control *jc, int *c,
                                  char *buf, size_t len)
{
    int d = model_find_device(m, jc->device);
    if (d < 0)
        return "no such device in the lab any more";
    *c = model_find_control(m, (uint32_t)d, jc->control);
    if (*c < 0)
        return "the device has no such control any more";
    const struct model_plugin *mp = &m->plugins[m->controls[*c].plugin];
    if (strcmp(mp->name, jc->plugin) != 0) {
        snprintf(buf, len, "now driven by plugin %s, not %s", mp->name,
                 jc->plugin);
        return buf;
    }
    if (!mp->writable)
        return "the driver cannot write it";
    return NULL;
}

/* After a partial restore: the journal keeps only the controls that did
 * not go back, so the next `wattson restore` (once the cause is fixed)
 * writes only those.  If it cannot be rewritten the whole journal stays,
 * which is safe: writing a restored value again changes nothing. */
static void keep_failed(const char *path, const struct journal *j,
                        const uint8_t *bad_k)
{
    struct journal k = {0};
    char err[1024];
    int e = 0;
    k.pid = j->pid;
    k.start = j->start;
    e |= journal_set_lab(&k, j->lab);
    for (size_t i = 0; i < j->n_dirs; i++)
        e |= journal_add_dir(&k, j->dirs[i]);
    for (size_t i = 0; i < j->n_env; i++)
        e |= journal_add_env(&k, j->env[i].name, j->env[i].value);
    for (size_t i = 0; i < j->n_ctl; i++)
        if (bad_k[i])
            e |= journal_add_control(&k, j->ctl[i].plugin, j->ctl[i].device,
                                     j->ctl[i].control, j->ctl[i].value);
    if (e != 0 || journal_write(path, &k, err, sizeof err) != 0)
        log_msg(LOG_WARN, "%s: kept whole (%s)", path,
                e ? "out of memory" : err);
    journal_free(&k);
}

int restore_main(const struct run_opts *o, int dry_run, FILE *out)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], err[1024];
    int explicit_dir, lock = -1, code = RUN_OK;
    struct journal j = {0};
    struct run *r = NULL;
    const char **dirs = NULL;
    uint32_t *bidx = NULL;
    double *bval = NULL;
    int32_t *brc = NULL;
    size_t *bk = NULL;
    uint8_t *bad_k = NULL;

    if (!journal_run_dir(o->run_dir, dir, sizeof dir, &explicit_dir, err,
                         sizeof err)) {
        fprintf(stderr, "wattson: %s\n", err);
        return RUN_ERR;
    }
    journal_path(dir, path, sizeof path);
    /* The lock first: no run may start writing while the journal's
     * values go back (a dry run writes nothing and needs none). */
    if (!dry_run && (lock = safety_lock(err, sizeof err)) < 0) {
        fprintf(stderr, "wattson: %s\n", err);
        return RUN_ERR;
    }
    if (!dry_run) {
        /* Temporary files of writers killed mid-write (see rjournal.c). */
        int stale = journal_clean_tmp(dir);
        if (stale > 0)
            log_msg(LOG_INFO,
                    "%s: removed %d temporary journal file%s of dead runs", dir,
                    stale, stale == 1 ? "" : "s");
    }
    int jr = journal_read(path, &j, err, sizeof err);
    if (jr == 1) {
        fprintf(out, "nothing to restore (no %s)\n", path);
        goto done;
    }
    if (jr < 0) {
        fprintf(stderr, "wattson: %s\n", err);
        code = RUN_LAB;
        goto done;
    }
    if (j.pid != (long)getpid() && journal_owner_alive(j.pid)) {
        fprintf(stderr,
                "wattson: %s: its wattson run (pid %ld) is still running "
                "and restores its own controls when it ends\n",
                path, j.pid);
        code = RUN_ERR;
        goto done;
    }
    if (strcmp(j.lab, "(generated)") == 0) {
        fprintf(stderr,
                "wattson: %s: the run's lab was generated in memory; its "
                "drivers cannot be loaded again\n",
                path);
        code = RUN_LAB;
        goto done;
    }
    /* The drivers must find the same hardware: the run's environment,
     * its plugin directories after any given now. */
    for (size_t i = 0; i < j.n_env; i++) {
        const char *cur = getenv(j.env[i].name);
        if (cur && strcmp(cur, j.env[i].value) != 0)
            log_msg(LOG_WARN, "%s: using %s=%s as the run did (not %s)", path,
                    j.env[i].name, j.env[i].value, cur);
        setenv(j.env[i].name, j.env[i].value, 1);
    }
    dirs = calloc(o->n_plugin_dirs + j.n_dirs + 1, sizeof *dirs);
    if (!dirs) {
        fprintf(stderr, "wattson: out of memory\n");
        code = RUN_ERR;
        goto done;
    }
    size_t nd = 0;
    for (size_t i = 0; i < o->n_plugin_dirs; i++)
        dirs[nd++] = o->plugin_dirs[i];
    for (size_t i = 0; i < j.n_dirs; i++)
        dirs[nd++] = j.dirs[i];
    struct run_opts ro = {0};
    ro.lab_path = strcmp(j.lab, "(embedded)") == 0 ? NULL : j.lab;
    ro.policy = "builtin"; /* no policy runs, and there is no tick */
    ro.allow_writes = 1;
    ro.restoring = 1;
    ro.plugin_dirs = dirs;
    ro.n_plugin_dirs = nd;
    code = run_new(&ro, &r, err, sizeof err);
    if (code != RUN_OK) {
        fprintf(stderr, "wattson: %s: cannot load the run's drivers: %s\n",
                path, err);
        goto done;
    }
    const struct model *m = run_model(r);
    size_t ok = 0, failed = 0;
    size_t n = j.n_ctl ? j.n_ctl : 1;
    bidx = calloc(n, sizeof *bidx);
    bval = calloc(n, sizeof *bval);
    brc = calloc(n, sizeof *brc);
    bk = calloc(n, sizeof *bk);
    bad_k = calloc(n, 1);
    if (!bidx || !bval || !brc || !bk || !bad_k) {
        fprintf(stderr, "wattson: out of memory\n");
        code = RUN_ERR;
        goto done;
    }
    /* Reverse order, as the in-process restore: the last control saved
     * goes back first.  Consecutive controls of one driver are a batch,
     * written in a child process (core/isolate.h): a driver that crashes,
     * hangs or calls exit() in write fails its own controls only. */
    for (size_t k = j.n_ctl; k > 0;) {
        size_t first = k, nb = 0;
        int bp = -1;
        char why[256];
        for (; k > 0; k--) {
            int c = -1;
            if (restore_target(m, &j.ctl[k - 1], &c, why, sizeof why))
                continue;
            int p = (int)m->controls[c].plugin;
            if (bp >= 0 && p != bp)
                break;
            bp = p;
            bidx[nb] = m->controls[c].local;
            bval[nb] = j.ctl[k - 1].value;
            bk[nb] = k - 1;
            nb++;
        }
        if (nb > 0 && !dry_run) {
            const struct model_plugin *mp = &m->plugins[bp];
            int ir =
                isolate_write(mp->plug->desc, mp->plug->state, bidx, bval, nb,
                              brc, ISOLATE_TIMEOUT_MS, why, sizeof why);
            if (ir != 0)
                fprintf(stderr,
                        "wattson: restore: %s: the driver %s while restoring "
                        "its controls\n",
                        mp->name, why);
        }
        size_t b = 0;
        for (size_t kk = first; kk-- > k;) {
            const struct journal_control *jc = &j.ctl[kk];
            int c = -1;
            const char *bad = restore_target(m, jc, &c, why, sizeof why);
            if (!bad && !dry_run) {
                int32_t rc = b < nb && bk[b] == kk ? brc[b] : ISOLATE_NOT_RUN;
                b++;
                const char *name = m->plugins[m->controls[c].plugin].name;
                if (rc == ISOLATE_NOT_RUN) {
                    snprintf(why, sizeof why,
                             "%s: not written: the driver "
                             "died first",
                             name);
                    bad = why;
                } else if (rc != WATTSON_OK) {
                    snprintf(why, sizeof why, "%s: write failed (%d)", name,
                             (int)rc);
                    bad = why;
                }
            }
            if (bad) {
                fprintf(stderr,
                        "wattson: restore: %s.%s: could not write %.17g (%s)\n",
                        jc->device, jc->control, jc->value, bad);
                bad_k[kk] = 1;
                failed++;
                continue;
            }
            if (dry_run)
                fprintf(out, "restore: would write %s.%s = %.17g\n", jc->device,
                        jc->control, jc->value);
            ok++;
        }
    }
    if (dry_run) {
        fprintf(out, "would restore %zu controls from %s", ok, path);
        if (failed)
            fprintf(out, "; %zu could not be", failed);
        fputc('\n', out);
        code = failed ? RUN_PLUGIN : RUN_OK;
    } else if (failed) {
        keep_failed(path, &j, bad_k);
        fprintf(out,
                "restored %zu of %zu controls from %s; %zu failed (the "
                "journal is kept, with those only)\n",
                ok, ok + failed, path, failed);
        code = RUN_PLUGIN;
    } else {
        if (journal_remove(path) != 0)
            log_msg(LOG_WARN, "%s: could not remove the journal: %s", path,
                    strerror(errno));
        fprintf(out, "restored %zu controls from %s\n", ok, path);
    }
done:
    run_free(r);
    free(bidx);
    free(bval);
    free(brc);
    free(bk);
    free(bad_k);
    free(dirs);
    journal_free(&j);
    safety_unlock(lock);
    fflush(out);
    return code;
}

static int restore_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 0)
        return cli_usage_error("unexpected argument '%s'", a->argv[0]);
    return restore_main(&a->run, a->dry_run, stdout);
}

const struct cli_entry restore_entry = {
    .name = "restore",
    .usage = "",
    .help = "put back the controls a run killed before it could restore\n"
            "them had saved (RUNDIR/saved-controls): takes the writer lock,\n"
            "loads the run's lab and drivers, writes each saved value back\n"
            "in reverse order, reports each failure and removes the journal\n"
            "when all went back; no policy, no tick.  \"nothing to restore\"\n"
            "(exit 0) without a journal; exit 4 if a control could not be\n"
            "restored, 3 for a malformed journal",
    .opts = 1u << CLI_OPT_RUN_DIR | 1u << CLI_OPT_PLUGIN_DIR |
            1u << CLI_OPT_DRY_RUN,
    .exec = restore_exec,
};
