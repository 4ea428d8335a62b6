/*
 * recording - the console's `record start/stop` (a trace of the ticks from now
 * on, written by the record stage) and the reload records of every open trace.
 * See run.h.
 */
#include "run/run_int.h"

#include <stdio.h>
#include <string.h>

void run_trace_reload(struct run *r, int ok, const char *error)
{
    if (r->have_jsonl)
        tracefile_reload(&r->jsonl, &r->model, ok, error);
    if (r->have_rtrace)
        tracefile_reload(&r->rtrace, &r->model, ok, error);
}
int run_record_start(struct run *r, const char *path, char *err, size_t errlen)
{
    if (r->have_rtrace) {
        snprintf(err, errlen, "already recording to %s (record stop first)",
                 r->rtrace.path);
        return -1;
    }
    if (!path || !*path) {
        snprintf(err, errlen, "no file given");
        return -1;
    }
    if ((r->have_jsonl && strcmp(path, r->jsonl.path) == 0) ||
        (r->have_csv && strcmp(path, r->csv.path) == 0)) {
        snprintf(err, errlen, "%s: the run's own output", path);
        return -1;
    }
    if (tracefile_open(&r->rtrace, path,
                       TRACEFILE_NO_STDOUT | TRACEFILE_NO_WAIT, err,
                       errlen) != 0)
        return -1;
    r->rtrace.extra = run_trace_extra(r);
    tracefile_header(&r->rtrace, &r->model, r->lab,
                     r->policy_path ? r->policy_path : "builtin");
    r->have_rtrace = 1;
    r->rec.rtrace = &r->rtrace;
    return 0;
}
int run_record_stop(struct run *r, char *err, size_t errlen)
{
    if (!r->have_rtrace) {
        snprintf(err, errlen, "not recording");
        return -1;
    }
    r->have_rtrace = 0;
    r->rec.rtrace = NULL;
    return tracefile_commit(&r->rtrace, &r->sum, err, errlen);
}
const char *run_record_path(const struct run *r)
{
    return r->have_rtrace ? r->rtrace.path : NULL;
}
