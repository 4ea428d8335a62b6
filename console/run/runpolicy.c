/*
 * runpolicy - the Lua policy host's glue: the file watch, reloads (edits, r,
 * SIGHUP), the first version and switches between policies.  See
 * run_int.h and run.h.
 */
#include "run/run_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lab.h"
#include "core/log.h"
#include "core/loop.h"
#include "engines/broker.h"
#include "lua/watch.h"
#include "policies/governors.h"

static void on_sighup(void *arg)
{
    struct run *r = arg;
    /* The console may have gone back to a built-in policy. */
    if (!r->watch) {
        log_msg(LOG_INFO, "SIGHUP: no Lua policy to reload");
        return;
    }
    log_msg(LOG_INFO, "SIGHUP: reloading %s", r->policy_path);
    r->reload_asked = 1;
    watch_request(r->watch);
}
int run_policy_start(struct run *r, char *err, size_t errlen)
{
    char msg[1024];
    r->watch = watch_new(r->loop, r->policy_path, msg, sizeof msg);
    if (!r->watch) {
        snprintf(err, errlen, "policy %s: %s", r->policy_path, msg);
        return RUN_LAB;
    }
    char *text;
    size_t len;
    if (watch_read(r->watch, &text, &len, err, errlen) != 0)
        return RUN_LAB;
    if (policy_new(&r->policy, &r->model, &r->rec.hist, &r->plim, msg,
                   sizeof msg) != 0) {
        free(text);
        snprintf(err, errlen, "%s", msg);
        return RUN_ERR;
    }
    policy_set_engines(r->policy, &r->eng);
    int rc = policy_load(r->policy, r->policy_path, text, len, &r->model, err,
                         errlen);
    free(text);
    if (rc != POLICY_SWAPPED)
        return RUN_LAB;
    if (loop_add_signal(r->loop, SIGHUP, on_sighup, r) < 0) {
        snprintf(err, errlen, "cannot watch SIGHUP");
        return RUN_ERR;
    }
    r->sighup_on = 1;
    return RUN_OK;
}
/* The last rejection's message, for the console's header (truncated). */
static void keep_reload_err(struct run *r, const char *err)
{
    size_t n = strlen(err);
    if (n >= sizeof r->last_reload_err)
        n = sizeof r->last_reload_err - 1;
    memcpy(r->last_reload_err, err, n);
    r->last_reload_err[n] = '\0';
}
/* run_policy_text with the version named `name` (a switch names the new
 * file). */
static int run_policy_text_named(struct run *r, const char *name,
                                 const char *text, size_t len, char *err,
                                 size_t errlen)
{
    if (!r->policy) {
        snprintf(err, errlen, "this run has no Lua policy");
        return POLICY_REJECTED;
    }
    int rc = policy_load(r->policy, name, text, len, &r->model, err, errlen);
    if (rc == POLICY_SAME)
        return rc;
    r->last_reload = rc;
    if (rc == POLICY_SWAPPED) {
        r->last_reload_err[0] = '\0';
        r->sum.reloads++;
        log_msg(LOG_INFO, "%s: version %llu loaded", name,
                (unsigned long long)policy_version(r->policy));
        decide_resume(&r->dec);
        run_trace_reload(r, 1, NULL);
        return rc;
    }
    keep_reload_err(r, err);
    r->sum.reload_errors++;
    log_msg(LOG_WARN,
            "reload rejected, the previous version keeps deciding: %s", err);
    policy_event(r->policy, "reload_rejected", err);
    run_trace_reload(r, 0, err);
    return rc;
}
int run_policy_text(struct run *r, const char *text, size_t len, char *err,
                    size_t errlen)
{
    return run_policy_text_named(r, r->policy_path, text, len, err, errlen);
}
uint64_t run_policy_allocs(const struct run *r)
{
    return r->policy ? policy_lua_allocs(r->policy) : 0;
}
size_t run_policy_mem(const struct run *r)
{
    return r->policy ? policy_lua_mem(r->policy) : 0;
}
int run_policy_in_fallback(const struct run *r)
{
    return r->dec.in_fallback;
}
/* Between ticks: a debounced change of the policy file (or SIGHUP) loads
 * the file as the next version, transactionally. */
static void run_policy_reload(struct run *r)
{
    char *text, err[1024];
    size_t len;
    if (watch_read(r->watch, &text, &len, err, sizeof err) != 0) {
        if (!r->source_missing) {
            r->last_reload = POLICY_REJECTED;
            keep_reload_err(r, err);
            log_msg(LOG_WARN, "%s; the loaded policy keeps deciding", err);
            r->sum.reload_errors++;
            run_trace_reload(r, 0, err);
        }
        r->source_missing = 1;
        return;
    }
    r->source_missing = 0;
    int asked = r->reload_asked;
    r->reload_asked = 0;
    int rc = run_policy_text(r, text, len, err, sizeof err);
    int running =
        rc == POLICY_SAME && policy_is_active_text(r->policy, text, len);
    free(text);
    if (running && r->last_reload == POLICY_REJECTED) {
        /* The file is back to the running version: the rejection no
         * longer describes it. */
        r->last_reload = POLICY_SWAPPED;
        r->last_reload_err[0] = '\0';
        log_msg(LOG_INFO, "%s: back to the running version %llu",
                r->policy_path, (unsigned long long)policy_version(r->policy));
    }
    if (rc != POLICY_SAME || !asked)
        return;
    /* An explicit reload (r, SIGHUP) of unchanged text: say so, and in
     * safe fallback give the running version the lead again (what made
     * its ticks fail may have passed; ten more failing ticks hand it
     * back to the built-in policy). */
    if (running && r->dec.in_fallback) {
        log_msg(LOG_INFO,
                "%s: unchanged; version %llu decides again (it had failed "
                "%u ticks in a row)",
                r->policy_path, (unsigned long long)policy_version(r->policy),
                r->dec.max_failures);
        decide_resume(&r->dec);
    } else if (running) {
        log_msg(LOG_INFO, "%s: unchanged; version %llu keeps deciding",
                r->policy_path, (unsigned long long)policy_version(r->policy));
    } else {
        log_msg(LOG_WARN,
                "%s: unchanged since it was rejected; version %llu keeps "
                "deciding",
                r->policy_path, (unsigned long long)policy_version(r->policy));
    }
}
enum run_policy_state run_policy_state(const struct run *r, const char **detail)
{
    if (detail)
        *detail = "";
    if (!r->policy)
        return RUN_POLICY_BUILTIN;
    if (r->dec.in_fallback)
        return RUN_POLICY_FALLBACK;
    if (r->last_reload == POLICY_REJECTED) {
        if (detail)
            *detail = r->last_reload_err;
        return RUN_POLICY_REJECTED;
    }
    return r->sum.reloads > 0 ? RUN_POLICY_RELOADED : RUN_POLICY_RUNNING;
}
const char *run_policy_path(const struct run *r)
{
    return r->policy ? r->policy_path : NULL;
}
uint64_t run_policy_version(const struct run *r)
{
    return r->policy ? policy_version(r->policy) : 0;
}
int run_policy_request_reload(struct run *r)
{
    if (!r->watch)
        return -1;
    r->reload_asked = 1;
    watch_request(r->watch);
    return 0;
}
int run_policy_service(struct run *r)
{
    if (r->watch && watch_take(r->watch)) {
        run_policy_reload(r);
        return 1;
    }
    return 0;
}
/* From the built-in policy to a Lua one: a host, its first version, the
 * decide stage re-made with the Lua ops.  Nothing changes on failure. */
static int run_policy_first(struct run *r, const char *name, const char *text,
                            size_t len, char *err, size_t errlen)
{
    struct policy *p = NULL;
    struct decide nd;
    if (policy_new(&p, &r->model, &r->rec.hist, &r->plim, err, errlen) != 0)
        return POLICY_REJECTED;
    policy_set_engines(p, &r->eng);
    int rc = policy_load(p, name, text, len, &r->model, err, errlen);
    if (rc != POLICY_SWAPPED) {
        policy_free(p);
        log_msg(LOG_WARN,
                "policy rejected, the built-in policy keeps "
                "deciding: %s",
                err);
        run_trace_reload(r, 0, err);
        return POLICY_REJECTED;
    }
    if (decide_init(&nd, &policy_lua_ops, p, &r->model) != 0) {
        policy_free(p);
        snprintf(err, errlen, "out of memory");
        return POLICY_REJECTED;
    }
    if (!r->sighup_on) {
        if (loop_add_signal(r->loop, SIGHUP, on_sighup, r) < 0) {
            decide_free(&nd);
            policy_free(p);
            snprintf(err, errlen, "cannot watch SIGHUP");
            return POLICY_REJECTED;
        }
        r->sighup_on = 1;
    }
    decide_free(&r->dec);
    r->dec = nd;
    r->policy = p;
    r->last_reload = POLICY_SWAPPED;
    r->last_reload_err[0] = '\0';
    log_msg(LOG_INFO,
            "%s: version %llu loaded (the built-in policy no "
            "longer decides)",
            name, (unsigned long long)policy_version(p));
    run_trace_reload(r, 1, NULL);
    return POLICY_SWAPPED;
}
/* To "builtin" (the built-in C policy) or "builtin:NAME" (a baseline):
 * the decide stage re-made with its ops; the Lua policy, its watch and
 * its file are let go.  Nothing changes on failure. */
static int run_policy_to_builtin(struct run *r, const char *spec, char *err,
                                 size_t errlen)
{
    const struct policy_ops *gov = NULL;
    char gerr[256];
    if (gov_parse(spec, &gov, gerr, sizeof gerr) < 0) {
        snprintf(err, errlen, "%s", gerr);
        return POLICY_REJECTED;
    }
    if (!r->policy && r->gov == gov) {
        snprintf(err, errlen, "%s already decides; nothing changed", spec);
        return POLICY_SAME;
    }
    struct decide nd;
    if (decide_init(&nd, gov, NULL, &r->model) != 0) {
        snprintf(err, errlen, "out of memory");
        return POLICY_REJECTED;
    }
    gov_set_period(gov, nd.state, r->lab->governor_period_s);
    decide_free(&r->dec);
    r->dec = nd;
    policy_free(r->policy);
    r->policy = NULL;
    watch_free(r->watch);
    r->watch = NULL;
    free(r->policy_path);
    r->policy_path = NULL;
    r->source_missing = 0;
    r->gov = gov;
    /* The broker baselines choose what the broker reads; every other
     * policy sees the broker as run_new sets it up. */
    if (run_broker(r))
        broker_set_source(run_broker(r),
                          gov_broker_source(gov) >= 0
                              ? (enum broker_source)gov_broker_source(gov)
                              : BROKER_IPC);
    r->last_reload = POLICY_SWAPPED;
    r->last_reload_err[0] = '\0';
    log_msg(LOG_INFO, "%s now decides", spec);
    run_trace_reload(r, 1, NULL);
    return POLICY_SWAPPED;
}
int run_policy_switch(struct run *r, const char *path, char *err, size_t errlen)
{
    char msg[1024];
    if (!path || !*path) {
        snprintf(err, errlen, "no policy file given");
        return POLICY_REJECTED;
    }
    if (strcmp(path, "builtin") == 0 || strncmp(path, "builtin:", 8) == 0)
        return run_policy_to_builtin(r, path, err, errlen);
    /* Every path below frees what it made: a session may switch and be
     * refused any number of times. */
    struct watch *w = watch_new(r->loop, path, msg, sizeof msg);
    if (!w) {
        snprintf(err, errlen, "%s: %s", path, msg);
        return POLICY_REJECTED;
    }
    char *npath = strdup(path), *text = NULL;
    size_t len = 0;
    if (!npath) {
        snprintf(err, errlen, "out of memory");
        watch_free(w);
        return POLICY_REJECTED;
    }
    if (watch_read(w, &text, &len, err, errlen) != 0) {
        watch_free(w);
        free(npath);
        return POLICY_REJECTED;
    }
    int rc = r->policy ? run_policy_text_named(r, npath, text, len, err, errlen)
                       : run_policy_first(r, npath, text, len, err, errlen);
    free(text);
    if (rc == POLICY_SAME)
        snprintf(err, errlen,
                 "%s: same text as the running (or last rejected) version; "
                 "nothing loaded",
                 path);
    if (rc != POLICY_SWAPPED) {
        watch_free(w);
        free(npath);
        return rc;
    }
    watch_free(r->watch);
    r->watch = w;
    free(r->policy_path);
    r->policy_path = npath;
    r->source_missing = 0;
    if (r->gov && run_broker(r))
        broker_set_source(run_broker(r), BROKER_IPC);
    r->gov = NULL;
    return rc;
}
