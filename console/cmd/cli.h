/*
 * cli - the command table of `wattson`, after tmux's `cmd_entry`: every
 * command (run, plugins, bench and its sub-benches, restore, help, and
 * the default command) is one `const struct cli_entry` in the file that
 * implements it, listed once in cli_table (cli.c).  main.c looks the
 * command word up here, parses the options into `struct cli_args`, lets
 * cli_refuse check them against the entry and calls the entry's handler;
 * `--help` and the "does not take" errors are generated from the same
 * entries and from cli_options, so a command and its documentation cannot
 * drift apart.
 *
 * (The prefix is cli_, not tmux's cmd_: tui/cmdline.c, the console's `:`
 * command line, owns cmd_.)
 */
#ifndef WATTSON_CLI_H
#define WATTSON_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cmd/bbench.h"
#include "run/run.h"

/* The long options, as indices into cli_options; an entry's `opts` holds
 * bit (1u << CLI_OPT_X) for each option it takes.  The order is the order
 * of --help and of the "it takes ..." lists (errors.sh checks some). */
enum cli_opt {
    CLI_OPT_HEADLESS,
    CLI_OPT_CONSOLE,
    CLI_OPT_LAB,
    CLI_OPT_POLICY,
    CLI_OPT_POLICY_TIME,
    CLI_OPT_POLICY_CPU,
    CLI_OPT_POLICY_INSNS,
    CLI_OPT_POLICY_MEM,
    CLI_OPT_DURATION,
    CLI_OPT_TICK,
    CLI_OPT_SEED,
    CLI_OPT_OUT,
    CLI_OPT_CSV,
    CLI_OPT_REALTIME,
    CLI_OPT_ALLOW_WRITES,
    CLI_OPT_PLUGIN_DIR,
    CLI_OPT_RUN_DIR,
    CLI_OPT_PROGRESS,
    CLI_OPT_VGPU_SOCKET,
    CLI_OPT_SCENARIO,
    CLI_OPT_WITH,
    CLI_OPT_LOAD_SCALE,
    CLI_OPT_ED2P,
    CLI_OPT_DRY_RUN,
    CLI_OPT_HOST,
    CLI_OPT_DEVICES,
    CLI_OPT_LINK,
    CLI_OPT_JSON,
    CLI_OPT_METHOD,
    CLI_OPT_INPUT,
    CLI_OPT_COMPLEXITY,
    CLI_OPT_SEARCH,
    CLI_OPT_SOCKET,
    CLI_OPT_HOLD,
    CLI_OPT_IPC_SOCKET,
    CLI_OPT_IPC_OUT,
    CLI_OPT_IPC_REPLAY,
    CLI_OPT_QUICK,
    CLI_OPT_LISTEN,
    CLI_OPT_CONNECT,
    CLI_OPT_MODEL,
    CLI_OPT_MODE,
    CLI_OPT_REQUESTS,
    CLI_OPT_DEVICE,
    CLI_OPT_ZSTD,
    CLI_OPT_TRANSPORT,
    CLI_OPT_TIMEOUT,
    CLI_OPT_METRICS,
    /* These go with every command (no entry lists them). */
    CLI_OPT_QUIET,
    CLI_OPT_VERBOSE,
    CLI_OPT_HELP,
    CLI_OPT_VERSION,
    CLI_OPT_COUNT
};

/* an entry's opts has a bit per option */
_Static_assert(CLI_OPT_COUNT <= 64, "struct cli_entry's opts is 64 bits");

/* getopt_long's value of option i: its short letter, else this plus i. */
#define CLI_OPT_VAL_BASE 256

struct cli_option {
    const char *name; /* long name, without "--" */
    const char *arg;  /* its value in help ("FILE"), NULL for a flag */
    char short_name;  /* 'q', or 0 */
    char repeat;      /* may be given more than once ("..." in help) */
    char every;       /* taken by every command */
    const char *help; /* lines of help, '\n' between them */
};
extern const struct cli_option cli_options[CLI_OPT_COUNT];

#define CLI_MAX_PLUGIN_DIRS 16

/* What main.c parsed, for the handler. */
struct cli_args {
    /* The options of a run; also what plugins (lab, plugin_dirs), bench
     * (plugin_dirs), bench broker (duration_s, plugin_dirs) and restore
     * (run_dir, plugin_dirs) take.  run.plugin_dirs points at
     * plugin_dirs. */
    struct run_opts run;
    const char *plugin_dirs[CLI_MAX_PLUGIN_DIRS];
    int headless, console;
    int progress;  /* --progress: 1; not given: -1 */
    int verbosity; /* LOG_* from -q / -v */
    int dry_run, host;
    const char *scenario;
    const char *with[BBENCH_MAX_WITH];
    size_t n_with;
    const char *load_scale; /* bench broker's list, parsed by bbench */
    int ed2p;               /* bench broker: --ed2p */
    const char *devices;    /* partition: --devices SPEC */
    const char *link;       /* partition: --link BW[/LAT] */
    int json;               /* partition: --json */
    const char *method;     /* partition: --method NAME */
    const char *input;      /* partition: --input FILE (split) */
    const char *complexity; /* partition: --complexity N|LEN/MAX (split) */
    const char *search;     /* partition: --search all|order */
    const char *socket;     /* vgpu: --socket PATH */
    double hold_s;          /* vgpu: --hold D (0: not given) */
    int quick;              /* bench ipc: --quick */
    const char *listen;     /* offload serve: --listen ADDR */
    const char *connect;    /* offload run: --connect ADDR */
    const char *model;      /* offload run: --model FILE */
    const char *mode;       /* offload run: --mode NAME */
    const char *requests;   /* offload run: --requests N */
    const char *device;     /* offload: --device NAME[:SPEED] */
    const char *zstd;       /* offload: --zstd LEVEL */
    const char *transport;  /* offload run: --transport tcp|udp */
    double timeout_s;       /* offload run: --timeout D (0: not given) */
    /* The operands after the command's words (after "bench broker",
     * not after "bench"). */
    int argc;
    char **argv;
};

struct cli_entry {
    const char *name;  /* the command word; NULL for the default command */
    const char *sub;   /* the second word ("broker" of bench broker) */
    const char *usage; /* its operands in help ("TRACE.csv"), or "" */
    const char *help;  /* what it does, lines of at most 66 columns */
    uint64_t opts;     /* (uint64_t)1 << CLI_OPT_X for each option it
                          takes (1u << X will do while X < 32) */
    /* Returns the exit code (enum run_exit). */
    int (*exec)(const struct cli_entry *self, struct cli_args *a);
};

/* The command for word (argv[1]), or NULL when there is none of that name;
 * word NULL: the default command. */
const struct cli_entry *cli_find(const char *word);
/* The sub-command of e named by operand (bench broker), else e itself. */
const struct cli_entry *cli_sub(const struct cli_entry *e, const char *operand);
/* "bench broker", "run", "the default command (a run or the console)". */
void cli_title(const struct cli_entry *e, char *buf, size_t len);
/* The option whose getopt_long value is val, or -1. */
int cli_option_of(int val);
/* Checks the options given (indices, in command-line order) against e:
 * 0, or RUN_USAGE after one line "wattson: CMD does not take --OPT (it
 * takes ...; see wattson --help)" on stderr. */
int cli_refuse(const struct cli_entry *e, const int *given, size_t n);
/* "wattson: " fmt (with arg) " (see wattson --help)" on stderr; returns
 * RUN_USAGE. */
int cli_usage_error(const char *fmt, const char *arg);
struct lab;
/* --lab PATH for a command that needs its `cluster` table: 0 with *lab
 * loaded (lab_free it) and a cluster in it, or RUN_LAB after one line on
 * stderr (the load's error, or "PATH: no cluster table (why)"). */
int cli_lab_cluster(const char *path, const char *why, struct lab **lab);
/* The whole --help text, from the table. */
void cli_help(FILE *out);

#endif
