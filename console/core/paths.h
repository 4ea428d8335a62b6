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

#endif
