/*
 * run - one run of a lab: load the lab and its drivers, build the model,
 * tick the pipeline (sample, features, forecast, propose, decide, guard,
 * actuate, record) until the duration is over or a signal arrives, then
 * restore every control, write the outputs and report the summary.
 *
 * The same object serves the headless runner, `wattson bench`, the tests
 * and (later) the TUI: run_new sets everything up and allocates all that a
 * tick needs, run_tick does one pass and allocates nothing.
 */
#ifndef WATTSON_RUN_H
#define WATTSON_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of `wattson run` (documented in the README). */
enum run_exit {
    RUN_OK = 0,
    RUN_ERR = 1,          /* internal or runtime failure */
    RUN_USAGE = 2,        /* bad command line */
    RUN_LAB = 3,          /* bad lab file (or a file it names) */
    RUN_PLUGIN = 4,       /* a plugin could not be found, loaded or started;
                             controls could not be restored; a killed run's
                             journal is waiting for `wattson restore` */
    RUN_LIMITS = 5,       /* the run broke one of its declared limits */
    RUN_IO = 6,           /* an output file could not be written */
    RUN_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM; outputs complete */
};

/* Ticks of telemetry a run keeps (policies' history()): 2.56 s at the
 * default lab's 10 ms tick, five times the longest look-back of a shipped
 * policy (thermal.lua's 50-tick temperature trend). */
#define RUN_HISTORY_DEFAULT 256

/* The built-in a run on an all-simulated lab gets when neither --policy
 * nor the lab names a policy: the predictive broker, the lowest EDP of
 * the built-ins on `bench broker`'s scenarios (README "Which policy by
 * default").  Elsewhere that run gets the built-in C policy, which stays
 * `--policy builtin` and the Lua policies' fallback. */
#define RUN_DEFAULT_SIM_POLICY "broker"

struct run_opts {
    const char *lab_path; /* NULL: lab_text, else the embedded lab */
    const char *lab_text; /* an in-memory lab (bench, tests) */
    int host_lab;         /* neither: the embedded host lab instead of the
                             default (`plugins --host`, which never
                             writes: a journal would record the default) */
    const char *policy;   /* a Lua file, "builtin", "builtin:NAME" (a
                             baseline, policies/governors.h; an unknown
                             NAME: RUN_USAGE) or NULL: the lab's */
    double duration_s;    /* <= 0: the lab's */
    double tick_s;        /* <= 0: the lab's */
    int has_seed;
    uint64_t seed;
    /* > 0: the sim workloads' offered load times this (lab_scale_load;
     * a lab with another driver: RUN_LAB). */
    double load_scale;
    const char *out_path; /* JSONL trace, or NULL */
    const char *csv_path; /* CSV, or NULL */
    int realtime;         /* wall clock even with simulated drivers */
    int allow_writes;     /* write to non-simulated drivers */
    /* Where the saved-controls journal goes (core/journal.h): NULL for
     * $WATTSON_RUN_DIR, else /run/wattson, else /tmp/wattson-UID. */
    const char *run_dir;
    /* For `wattson restore` (restore_main): the caller holds the writer
     * lock; no journal is checked or written, nothing is ever actuated. */
    int restoring;
    int progress; /* progress line on stderr */
    /* The console: without a duration_s, run until stopped rather than
     * for the lab's duration (run_total_ticks is then UINT64_MAX). */
    int until_quit;
    const char **plugin_dirs;
    size_t n_plugin_dirs;
    unsigned history; /* telemetry ring length, 0: RUN_HISTORY_DEFAULT */
    /* Lua policy budgets (0: the lab's, else the defaults). */
    size_t policy_mem_bytes;
    uint64_t policy_instructions;
    double policy_time_s;
    double policy_cpu_time_s;
    /* --vgpu-socket: serve the vGPU request API at this Unix socket path
     * (run/vgserve.h), or NULL. */
    const char *vgpu_socket;
    /* Live IPC events (core/ipcin.h): listen for libwattson-ipc.so at
     * this path (implies the wall clock), replay an IPC text file, write
     * the events taken to a file; each NULL when not asked. */
    const char *ipc_socket, *ipc_replay, *ipc_out;
    /* --metrics: serve Prometheus/OpenMetrics text at this ADDR:PORT
     * (run/metrics.h; implies the wall clock), or NULL. */
    const char *metrics;
};

struct run;
struct loop;
struct model;
struct summary;
struct lab;
struct broker;
struct engines;
struct vgledger;
struct vgserve;

/* Returns RUN_OK, or an exit code with one line in err. */
int run_new(const struct run_opts *o, struct run **out, char *err,
            size_t errlen);
/* One full pipeline pass at the next tick's time.  Allocates nothing. */
void run_tick(struct run *r);
/* The bench baseline: advance the clock and read every driver (so the
 * simulation steps), nothing else. */
void run_tick_sample_only(struct run *r);
/* Ends the run after the ticks that cover `grace_s` more seconds (at
 * least one), if its duration does not end it sooner: `wattson trace`
 * when its command has exited, so the command's last events are taken. */
void run_end_soon(struct run *r, double grace_s);
/* Ticks until the duration is over or SIGINT/SIGTERM (event loop). */
int run_loop(struct run *r, char *err, size_t errlen);
/* Restores controls, writes the summary into the trace, checks limits.
 * Returns the run's exit code. */
int run_finish(struct run *r, char *err, size_t errlen);
void run_free(struct run *r);

const struct model *run_model(const struct run *r);
/* The NAME of a `builtin:NAME` baseline the run decides with, or NULL
 * (a Lua policy or the built-in policy). */
const char *run_builtin_name(const struct run *r);
/* The run's broker (engines/broker.h), or NULL. */
struct broker *run_broker(struct run *r);
/* The run's engines, for what every engine offers (engines/engines.h:
 * summary counters, panes). */
const struct engines *run_engines(const struct run *r);
/* The vGPU API's ledger (engines/vgledger.h) and server (run/vgserve.h)
 * of a run with --vgpu-socket, else NULL. */
struct vgledger *run_vgledger(struct run *r);
struct vgserve *run_vgserve(struct run *r);
/* The run's event loop, for modules that add event sources. */
struct loop *run_event_loop(struct run *r);
/* The run's --metrics endpoint (run/metrics.h), or NULL. */
struct metrics *run_metrics(struct run *r);
const struct summary *run_summary(const struct run *r);
const struct lab *run_lab(const struct run *r);
/* The ticks the run lasts; UINT64_MAX: until stopped (the console). */
uint64_t run_total_ticks(const struct run *r);
/* 1 when --out or --csv goes to stdout (the summary is then not printed
 * there again). */
int run_output_on_stdout(const struct run *r);

/* Loads `text` as the next version of the run's Lua policy, exactly as a
 * reload of the file would (transaction, log, trace record, counters).
 * Returns an enum policy_load_result (lua/policy.h). */
int run_policy_text(struct run *r, const char *text, size_t len, char *err,
                    size_t errlen);
/* 1 while the built-in policy has taken over from a failing Lua policy. */
int run_policy_in_fallback(const struct run *r);
/* Allocations made by the active policy's Lua state so far (0 without). */
uint64_t run_policy_allocs(const struct run *r);
/* Bytes the running Lua policy version's state holds (0 without one). */
size_t run_policy_mem(const struct run *r);

/* For the console (console/tui/). */
enum run_policy_state {
    RUN_POLICY_BUILTIN,  /* no Lua policy: the built-in one decides */
    RUN_POLICY_RUNNING,  /* the first version decides */
    RUN_POLICY_RELOADED, /* the last reload swapped a new version in */
    RUN_POLICY_REJECTED, /* the last reload was rejected; the running
                            version keeps deciding */
    RUN_POLICY_FALLBACK  /* failing ticks: the built-in policy decides */
};
/* The policy's state; *detail (if given) gets the last rejection's
 * message, or "". */
enum run_policy_state run_policy_state(const struct run *r,
                                       const char **detail);
/* The Lua policy's file, or NULL when the built-in policy decides. */
const char *run_policy_path(const struct run *r);
/* The active Lua version (1 for the first), 0 without a Lua policy. */
uint64_t run_policy_version(const struct run *r);
/* Asks for a reload of the policy file, as SIGHUP does; it happens at the
 * next run_policy_service().  Returns -1 when the run has no Lua policy. */
int run_policy_request_reload(struct run *r);
/* Between ticks: loads the policy file again when the watcher (or a
 * request) says so.  run_loop does this before every tick; callers that
 * drive run_tick themselves call it.  Returns 1 if a reload was tried. */
int run_policy_service(struct run *r);
/* 1 on the virtual clock (simulated drivers only, no --realtime). */
int run_clock_is_virtual(const struct run *r);
/* Changes the shared power budget (model, lab and summary), W >= 0. */
void run_set_budget(struct run *r, double watts);
/* For callers that drive ticks themselves: what run_loop records in the
 * summary (wall_seconds, interrupted). */
void run_set_outcome(struct run *r, double wall_seconds, int interrupted);

/* ---- for the console's command line (console/tui/cmdline.h) ---- */

/* Makes the Lua policy file at `path` the run's policy: its text is loaded
 * as the next version (as a reload would: transaction, log, trace record)
 * and, if it is swapped in, `path` becomes the watched file (edits to it
 * reload, `r`/SIGHUP read it).  A run on the built-in policy gets a Lua
 * policy host with the run's limits, and the file becomes its first
 * version; SIGHUP starts reloading it.  On rejection nothing changes (the
 * running policy keeps deciding).  Returns an enum policy_load_result:
 * POLICY_SWAPPED, POLICY_SAME (equal to the running or last rejected text:
 * nothing loaded, nothing switched; `err` says so) or POLICY_REJECTED with
 * one line in `err`.  `path` "builtin" or "builtin:NAME" (a baseline,
 * policies/governors.h) goes back to that built-in policy: the Lua
 * policy, its watch and file are let go (POLICY_SAME if it already
 * decides).  Any number of switches and refused tries: each frees what
 * it made. */
int run_policy_switch(struct run *r, const char *path, char *err,
                      size_t errlen);

/* A manual decision: from the next tick on, control `ctl` of device `dev`
 * is decided `value` after the policy decided, every tick, until
 * run_override_clear; it passes the guard like any decision (snapped to
 * the control's step).  Validated as the Lua out proxies do: a known
 * device and control, finite, within [min, max], and the control must be
 * writable.  Returns 0, or -1 with one line in `err` naming what is
 * wrong.  Allocates nothing. */
int run_override(struct run *r, const char *dev, const char *ctl, double value,
                 char *err, size_t errlen);
/* As run_override, and written on the next tick even where wattson
 * believes the control holds that value already: a simulated lab's
 * scheduled events (a mesh node failing, a module swapped) change
 * controls behind the actuator's back, so `mesh restore` after a
 * scheduled failure must write fail = 0 although 0 is what was last
 * written. */
int run_override_now(struct run *r, const char *dev, const char *ctl,
                     double value, char *err, size_t errlen);
/* The policy decides `ctl` of `dev` again.  -1 (and `err`) for an unknown
 * device or control; 0 otherwise, overridden or not. */
int run_override_clear(struct run *r, const char *dev, const char *ctl,
                       char *err, size_t errlen);
/* 1 (and *value) when global control `c` is overridden, else 0. */
int run_override_get(const struct run *r, size_t c, double *value);

/* Starts a JSONL trace of the ticks from now on at `path` (the run's
 * trace format: a header, one line per tick, reload lines, the summary so
 * far as the last line), written to a temporary file and renamed at
 * run_record_stop (or run_finish; run_free discards it).  Returns 0, or
 * -1 with "PATH: reason" (unwritable, already recording, the run's own
 * --out/--csv).  Nothing is created on failure. */
int run_record_start(struct run *r, const char *path, char *err, size_t errlen);
/* Completes and renames the recording.  -1 with a message when not
 * recording or the write failed (then nothing is left behind). */
int run_record_stop(struct run *r, char *err, size_t errlen);
/* The file being recorded, or NULL. */
const char *run_record_path(const struct run *r);

/* Stage timing for `wattson bench`: when set, run_tick adds each stage's
 * nanoseconds into ns[i], i indexing pipeline/tick.h's tick_stages[]
 * (TICK_N_STAGES slots). */
void run_set_stage_timer(struct run *r, uint64_t *ns);

/* Drives a run from run_new to run_free: `drive` ticks it (run_loop, or
 * the console's tui_run) and returns RUN_OK, RUN_INTERRUPTED or RUN_ERR;
 * errors go to stderr as one line, the summary JSON to `summary` when
 * not NULL.  Returns the exit code. */
typedef int (*run_drive_fn)(struct run *r, char *err, size_t errlen);
int run_main(const struct run_opts *o, run_drive_fn drive, FILE *summary);

/* The whole headless run: prints the summary JSON on `out`, errors on
 * stderr, and returns the exit code. */
int run_headless(const struct run_opts *o, FILE *out);

/* Best-effort restore from a fatal-signal handler (and removal of the
 * run's journal when every control went back). */
void run_emergency_restore(void);
/* 1 while a run object exists (from run_new to run_free): an exit() then
 * is a driver's, not wattson's (main.c's exit guard). */
int run_active(void);

#endif
