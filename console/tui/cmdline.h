/*
 * cmdline - the console's `:` command line: a line editor with a history
 * ring, the command parser/executor, the `lua` REPL and the policy
 * picker's file list.  No curses here (keys are term.h's codes) and no
 * drawing: tui.c draws the line from struct cmd_edit.
 *
 * cmd_exec runs one command on the run and says what happened through
 * log_msg (results at info, errors at warning, one line each), so the
 * console shows it in the Log pane and a test reads it with log_set_sink.
 * It runs Lua (the REPL, a policy switch): call it between ticks, from the
 * main step, never from inside an event callback.
 *
 * Commands:
 *   budget W                 the shared power budget, W >= 0 watts
 *   set DEV CTL VALUE        a manual decision that sticks (run_override)
 *   set DEV CTL auto         the policy decides DEV CTL again
 *   set                      lists the overrides
 *   policy FILE              load FILE as the policy (run_policy_switch)
 *   record start FILE        a JSONL trace of the ticks from now on
 *   record stop              completes it
 *   lua EXPR | lua STMT      evaluated in the REPL sandbox (see cmd_lua)
 *   help                     the commands
 *   q | quit                 quit the console
 *
 * Fixed buffers throughout; the REPL's Lua state is made on first use
 * and freed by cmd_free.
 */
#ifndef WATTSON_CMDLINE_H
#define WATTSON_CMDLINE_H

#include <stddef.h>

struct run;
struct sandbox;

#define CMD_LINE_MAX 256 /* bytes of a command line, NUL included */
#define CMD_HIST_MAX 32  /* commands the history ring keeps */
#define CMD_PICK_MAX 64  /* entries the policy picker lists */
#define CMD_PICK_NAME 64 /* bytes of a listed file name */

/* The REPL's limits, per evaluation. */
#define CMD_LUA_MEM (16u << 20)
#define CMD_LUA_INSTRUCTIONS 5000000u
#define CMD_LUA_TIME_NS 250000000u

/* The last CMD_HIST_MAX lines, oldest overwritten first. */
struct cmd_hist {
    char line[CMD_HIST_MAX][CMD_LINE_MAX];
    unsigned n; /* lines ever pushed */
};

/* The line being edited.  `browse` is how far back in the history Up has
 * gone (0: the new line, kept in `saved` while browsing). */
struct cmd_edit {
    char buf[CMD_LINE_MAX];
    size_t len, cur;
    unsigned browse;
    char saved[CMD_LINE_MAX];
};

enum cmd_result {
    CMD_OK = 0,
    CMD_ERR = -1, /* the command failed; the log says why */
    CMD_QUIT = 1  /* q / quit */
};

struct cmd_ctx {
    struct run *r;
    struct cmd_hist hist;
    struct cmd_edit ed;
    struct sandbox *repl; /* made by the first `lua` */
    int repl_env;         /* registry ref of the REPL's globals */
    char last[160];       /* the last line logged by cmd_exec */
};

void cmd_init(struct cmd_ctx *c, struct run *r);
void cmd_free(struct cmd_ctx *c);

/* Runs one command line (leading ':' and blanks allowed; an empty line
 * does nothing).  Returns an enum cmd_result. */
int cmd_exec(struct cmd_ctx *c, const char *line);

/* History.  Blank lines and a repeat of the newest line are not pushed;
 * longer lines are truncated. */
void cmd_hist_push(struct cmd_hist *h, const char *line);
/* The line `age` commands back (0 the newest), or NULL beyond the ring. */
const char *cmd_hist_get(const struct cmd_hist *h, unsigned age);
unsigned cmd_hist_len(const struct cmd_hist *h);

/* The history kept between sessions: $XDG_STATE_HOME/wattson/history,
 * else ~/.local/state/wattson/history.  Returns 0 with the path in buf,
 * -1 when neither variable is an absolute path. */
int cmd_hist_path(char *buf, size_t n);
/* Pushes the file's lines (printable ASCII, shorter than CMD_LINE_MAX;
 * others skipped) onto `h`.  A missing file is 0.  A file that is not
 * ours (nor root's), is writable by others, is a symlink or not a regular
 * file is not read: -1 with one line in err. */
int cmd_hist_load(struct cmd_hist *h, const char *path, char *err,
                  size_t errlen);
/* Writes `h`, oldest first, to a temporary file renamed over `path`;
 * makes the directory (0700) if needed and refuses one that is not ours
 * or is writable by others.  Returns 0 or -1 with one line in err. */
int cmd_hist_save(const struct cmd_hist *h, const char *path, char *err,
                  size_t errlen);

/* The editor: clears the line. */
void cmd_edit_open(struct cmd_ctx *c);
enum cmd_edit_result {
    CMD_EDIT_MORE,   /* still editing */
    CMD_EDIT_SUBMIT, /* Enter: the line is in `out` (and the history) */
    CMD_EDIT_CANCEL  /* Esc (or Backspace on an empty line) */
};
/* Feeds one key (term.h codes): printable ASCII inserts, Backspace /
 * Delete, Left / Right / Home / End (also ^A ^E), Up / Down browse the
 * history, ^U clears, Tab completes the last word (commands, device and
 * control names, builtin:NAME, file names) when the cursor is at the end.
 * Returns an enum cmd_edit_result. */
int cmd_edit_key(struct cmd_ctx *c, int key, char *out, size_t outlen);

/* The policy picker: the names of the `*.lua` files directly in `dir`
 * (sub-directories such as labs/ are not entered), sorted.  Returns how
 * many (at most `max`), or -1 when `dir` cannot be read. */
int cmd_policy_list(const char *dir, char names[][CMD_PICK_NAME], int max);
/* Appends the built-in choices after the `n` names already in `names`:
 * "builtin" (the built-in C policy), then "builtin:NAME" for every
 * baseline (policies/governors.h).  Returns the new count (<= max). */
int cmd_builtin_list(char names[][CMD_PICK_NAME], int n, int max);
/* The source tree's lua-policies/ (compiled in). */
const char *cmd_policy_dir(void);

/* The help text, one command per line, NULL-terminated. */
extern const char *const cmd_help_lines[];

#endif
