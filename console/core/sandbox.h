/*
 * sandbox - a Lua state that may run untrusted text chunks: a memory cap,
 * an instruction budget, only the harmless parts of base, table, string and
 * math, and a fresh _ENV for every chunk loaded.
 *
 * String patterns are not available (match, gmatch and gsub are removed,
 * find is always plain): they run in C, beyond the instruction hook, and
 * can take exponential time.  The strings' shared metatable is hidden.
 *
 * The lab reader uses it once per lab file (new, arm, load, free); a host
 * that keeps a state alive and calls into it repeatedly arms a budget
 * around each call and disarms it after.  Errors are one line: "name:LINE:
 * msg" for Lua errors, "name: msg" otherwise, where name is the chunk name
 * without Lua's '@' or '=' prefix.
 */
#ifndef WATTSON_SANDBOX_H
#define WATTSON_SANDBOX_H

#include <stddef.h>
#include <stdint.h>

struct lua_State;
struct sandbox;

/* What a sandbox call returns: 0 on success, otherwise why it failed, so
 * that a caller can word the two resource limits its own way. */
enum sandbox_status {
    SANDBOX_OK = 0,
    SANDBOX_ERROR,  /* a Lua error: syntax, runtime, error() */
    SANDBOX_MEMORY, /* the memory cap was reached */
    SANDBOX_BUDGET, /* an armed budget (instructions, wall or CPU time) ran
                       out, or a stop signal arrived */
    SANDBOX_NOMEM,  /* no state: malloc failed, or the cap cannot hold an
                       empty state */
};

/* Creates a state whose Lua allocations may total at most `mem_cap` bytes
 * and opens the sandboxed libraries in it.  On failure *out is NULL and
 * `err` holds a message without a name ("out of memory"). */
int sandbox_new(struct sandbox **out, size_t mem_cap, char *err, size_t errlen);

/* Starts a budget of `instructions` (> 0) Lua VM instructions for what runs
 * next; once it is spent every further instruction raises the error again,
 * so a pcall inside the sandbox cannot swallow it.  The budget stays armed,
 * also through sandbox_free, until sandbox_disarm. */
void sandbox_arm(struct sandbox *sb, uint64_t instructions);
/* The same with a wall-time limit too (CLOCK_MONOTONIC), checked by the
 * hook; time_ns 0 = none.  Arming also clears the allocation-denied flag. */
void sandbox_arm_timed(struct sandbox *sb, uint64_t instructions,
                       uint64_t time_ns);
/* The same with a CPU-time limit too (the thread's CPU time, so a loaded
 * host does not shorten it), cpu_ns 0 = none.  The hook checks the clocks
 * every 1000 instructions, and every 8 once a call has run 1 ms, so a call
 * of slow instructions (compares of long strings, which run in C) overruns
 * a time budget by at most 8 of them, each bounded by the memory cap.
 *
 * Whatever is armed, a stop signal (stopsig_pending) ends the call at the
 * next hook with "interrupted by signal N", as a spent budget does. */
void sandbox_arm_limits(struct sandbox *sb, uint64_t instructions,
                        uint64_t time_ns, uint64_t cpu_ns);
void sandbox_disarm(struct sandbox *sb);

/* Calls the function below `nargs` arguments on the stack in protected
 * mode, with a traceback handler.  Host-side flags fail the call even when
 * Lua reports success (a pcall inside swallowed the error): the budget
 * expired, or an allocation was refused since arming.  On success
 * `nresults` results are on the stack; on failure nothing is and `err`
 * holds one line.  Arm before, disarm after. */
int sandbox_call(struct sandbox *sb, const char *chunkname, int nargs,
                 int nresults, char *err, size_t errlen);

/* Allocations (new blocks and growths) made by the state so far, and bytes
 * in use: for the "no Lua allocation per tick" figures. */
uint64_t sandbox_allocs(const struct sandbox *sb);
size_t sandbox_mem_used(const struct sandbox *sb);

/* Loads `text` as a text chunk (bytecode is refused) named `chunkname`
 * ("@path" or "=name", as for luaL_loadbuffer), gives it a fresh _ENV and
 * runs it.  On success two values are pushed on the stack of
 * sandbox_lua(sb): the chunk's _ENV (holding the globals it defined) and,
 * on top, its first result.  On failure the stack is as before and `err`
 * holds the message. */
int sandbox_load(struct sandbox *sb, const char *chunkname, const char *text,
                 size_t len, char *err, size_t errlen);

/* Called with each fresh _ENV (at stack index `env`) before a chunk runs,
 * so a host can add its own functions (the policy library) and a chunk may
 * use them at its top level. */
typedef void (*sandbox_env_fn)(struct lua_State *L, int env, void *arg);
void sandbox_set_env_fn(struct sandbox *sb, sandbox_env_fn fn, void *arg);

/* The state, for reading results and calling into it. */
struct lua_State *sandbox_lua(struct sandbox *sb);

/* Closes the state (finalizers run under the armed budget, if any). */
void sandbox_free(struct sandbox *sb);

#endif
