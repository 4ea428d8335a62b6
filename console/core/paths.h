/*
 * paths - where wattson's own files are: the plugin directories searched
 * after --plugin-dir and $WATTSON_PLUGIN_PATH, the directory of the shipped
 * labs (the embedded labs' relative file names resolve against it, and
 * `bench broker` finds its scenarios there) and of the shipped policies.
 *
 * The build decides which of two answers a binary gives (see paths.c and
 * console/CMakeLists.txt): a build-tree binary and the tests use the build
 * tree's plugins and the source tree's lua-policies/; the installed binary
 * finds everything relative to its own file, so it carries no path of the
 * machine that built it and its prefix can be moved.
 *
 * What wattson keeps between runs for one user (the console's history,
 * the engines' Q-tables) is in the XDG state directory instead
 * (paths_state): $XDG_STATE_HOME/wattson, else ~/.local/state/wattson.
 */
#ifndef WATTSON_PATHS_H
#define WATTSON_PATHS_H

#include <stddef.h>

/* At most this many own plugin directories. */
#define PATHS_MAX_PLUGIN_DIRS 2

/* wattson's own plugin directories, in search order, into dirs (at most
 * max); returns how many there are.  None when the installed binary
 * cannot find its own file (no /proc). */
size_t paths_plugin_dirs(const char **dirs, size_t max);

/* The shipped labs' directory (never NULL). */
const char *paths_lab_dir(void);

/* The shipped policies' directory (never NULL). */
const char *paths_policy_dir(void);

/* The IPC interception library (libwattson-ipc.so, plugins/ipcwrap/)
 * that `wattson trace` and `bench ipc` preload: $WATTSON_IPC_LIB when set
 * (an absolute path), else the build tree's for a build-tree binary, else
 * LIBDIR/libwattson-ipc.so relative to the installed binary.  NULL when
 * none can be named (no /proc, a relative $WATTSON_IPC_LIB); the file is
 * not checked. */
const char *paths_ipc_lib(void);

/* wattson-ipcload (plugins/ipcwrap/ipcload.c), the workload `bench ipc`
 * runs under that library: $WATTSON_IPC_LOAD when set (an absolute
 * path), else the build tree's for a build-tree binary, else
 * LIBEXECDIR/wattson/wattson-ipcload relative to the installed binary.
 * NULL as for paths_ipc_lib; the file is not checked. */
const char *paths_ipc_load(void);

/* The offload protocol's network testbed (`bench offload`): the relay
 * wattson-ofrelay ($WATTSON_OFRELAY) and scripts/ofnet.sh
 * ($WATTSON_OFNET), found as paths_ipc_load finds its program (installed
 * in LIBEXECDIR/wattson both). */
const char *paths_ofrelay(void);
const char *paths_ofnet(void);

/* The path of `name` in wattson's state directory into buf:
 * $XDG_STATE_HOME/wattson/NAME, else $HOME/.local/state/wattson/NAME (a
 * relative value of either variable is ignored, as the XDG base directory
 * spec says).  Names in use: "history" (the console's command history),
 * "qtables" (the directory of the Q-learning agents' tables,
 * engines/qtab.h).  0, or -1 when neither variable is an absolute path or
 * the path does not fit.  Nothing is created. */
int paths_state(const char *name, char *buf, size_t n);

#endif
