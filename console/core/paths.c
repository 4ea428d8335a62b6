/*
 * paths - where wattson's own files are (see paths.h).
 *
 * This file is compiled twice (console/CMakeLists.txt):
 *
 * - into wattson_core, which build/wattson and the tests link, with
 *   WATTSON_PLUGIN_BUILD_DIR, WATTSON_PLUGIN_INSTALL_DIR, WATTSON_LAB_DIR
 *   and WATTSON_POLICY_DIR defined: absolute paths into the build tree,
 *   the configured prefix and the source tree, so a build-tree binary runs
 *   what was just built and the policies being edited;
 * - into wattson_core_installed, which the installed binary links, with
 *   none of them: each directory is then the install layout's path
 *   relative to the binary's own directory (WATTSON_REL_PLUGIN_DIR,
 *   WATTSON_REL_DATA_DIR, computed by CMake from GNUInstallDirs) applied
 *   to /proc/self/exe.  Relative and not compiled in, so that a prefix can
 *   be moved (`cmake --install --prefix`, DESTDIR staging, a tarball) and
 *   the binary holds no path of the machine that built it (tests/install
 *   checks that).
 *
 * Each directory follows its own define, so a test that compiles a module
 * on its own (tests/lab: lab.c) defines only the one it needs.
 */
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef WATTSON_REL_PLUGIN_DIR
#define WATTSON_REL_PLUGIN_DIR "../lib/wattson"
#endif
#ifndef WATTSON_REL_DATA_DIR
#define WATTSON_REL_DATA_DIR "../share/wattson"
#endif

#ifndef WATTSON_REL_LIB_DIR
#define WATTSON_REL_LIB_DIR "../lib"
#endif

#ifndef WATTSON_REL_LIBEXEC_DIR
#define WATTSON_REL_LIBEXEC_DIR "../libexec/wattson"
#endif

#define PATHS_LEN 4096

/* dir + "/" + rel into out, each leading "../" of rel taken off dir's end,
 * so that messages name /opt/w/lib/wattson, not /opt/w/bin/../lib/wattson.
 * 0, or -1 when it does not fit. */
static int paths_join(char *out, size_t len, const char *dir, const char *rel)
{
    size_t n = strlen(dir);

    while (strncmp(rel, "../", 3) == 0) {
        while (n > 0 && dir[n - 1] != '/')
            n--;
        if (n > 0)
            n--; /* the slash: "/bin" becomes "", the root */
        rel += 3;
    }
    if (n + 1 + strlen(rel) + 1 > len)
        return -1;
    memcpy(out, dir, n);
    out[n] = '/';
    strcpy(out + n + 1, rel);
    return 0;
}

/* rel against the directory of the running binary into out; NULL when
 * the binary's file cannot be found (no /proc) or the path is too long. */
static const char *paths_from_exe(char *out, size_t len, const char *rel)
{
    char exe[PATHS_LEN];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash;

    if (n <= 0 || (size_t)n >= sizeof exe - 1)
        return NULL;
    exe[n] = '\0';
    /* The kernel's path is absolute with links resolved: a binary reached
     * through /usr/local/bin/wattson -> /opt/w/bin/wattson finds /opt/w. */
    if (exe[0] != '/' || !(slash = strrchr(exe, '/')))
        return NULL;
    *slash = '\0';
    return paths_join(out, len, exe, rel) == 0 ? out : NULL;
}

size_t paths_plugin_dirs(const char **dirs, size_t max)
{
    const char *own[PATHS_MAX_PLUGIN_DIRS];
    size_t n = 0;

#ifdef WATTSON_PLUGIN_BUILD_DIR
    own[n++] = WATTSON_PLUGIN_BUILD_DIR;
#ifdef WATTSON_PLUGIN_INSTALL_DIR
    own[n++] = WATTSON_PLUGIN_INSTALL_DIR;
#endif
#else
    static char buf[PATHS_LEN];
    static const char *dir;
    static int done;

    if (!done) {
        dir = paths_from_exe(buf, sizeof buf, WATTSON_REL_PLUGIN_DIR);
        done = 1;
    }
    if (dir)
        own[n++] = dir;
#endif
    for (size_t i = 0; i < n && i < max; i++)
        dirs[i] = own[i];
    return n;
}

const char *paths_lab_dir(void)
{
#ifdef WATTSON_LAB_DIR
    return WATTSON_LAB_DIR;
#else
    static char buf[PATHS_LEN];
    static const char *dir;

    if (!dir)
        dir = paths_from_exe(buf, sizeof buf, WATTSON_REL_DATA_DIR "/labs");
    /* Without /proc there is nothing to go by; the current directory at
     * least makes the failing path in a message a readable one. */
    return dir ? dir : ".";
#endif
}

const char *paths_policy_dir(void)
{
#ifdef WATTSON_POLICY_DIR
    return WATTSON_POLICY_DIR;
#else
    static char buf[PATHS_LEN];
    static const char *dir;

    if (!dir)
        dir = paths_from_exe(buf, sizeof buf, WATTSON_REL_DATA_DIR "/policies");
    return dir ? dir : ".";
#endif
}

const char *paths_ipc_lib(void)
{
    /* The variable first: a user who built the library elsewhere (or a
     * test) names it; only an absolute path, as LD_PRELOAD resolves a
     * relative one against whatever directory the traced program is in. */
    const char *env = getenv("WATTSON_IPC_LIB");
    if (env && *env)
        return env[0] == '/' ? env : NULL;
#ifdef WATTSON_IPC_LIB_BUILD
    return WATTSON_IPC_LIB_BUILD;
#else
    static char buf[PATHS_LEN];
    static const char *lib;

    if (!lib)
        lib = paths_from_exe(buf, sizeof buf,
                             WATTSON_REL_LIB_DIR "/libwattson-ipc.so");
    return lib;
#endif
}

/* A helper program: an absolute $env only (never one found by the current
 * directory), else the build tree's `build` for a build-tree binary, else
 * `rel` (under LIBEXECDIR/wattson) relative to the installed binary. */
static const char *helper_prog(const char *env, const char *build,
                               const char *rel, char *buf, size_t n,
                               const char **cache)
{
    const char *v = getenv(env);
    if (v && *v)
        return v[0] == '/' ? v : NULL;
    if (build)
        return build;
    if (!*cache)
        *cache = paths_from_exe(buf, n, rel);
    return *cache;
}

#ifndef WATTSON_IPC_LOAD_BUILD
#define WATTSON_IPC_LOAD_BUILD NULL
#endif
#ifndef WATTSON_OFRELAY_BUILD
#define WATTSON_OFRELAY_BUILD NULL
#endif
#ifndef WATTSON_OFNET_BUILD
#define WATTSON_OFNET_BUILD NULL
#endif
const char *paths_ipc_load(void)
{
    static char buf[PATHS_LEN];
    static const char *prog;
    return helper_prog("WATTSON_IPC_LOAD", WATTSON_IPC_LOAD_BUILD,
                       WATTSON_REL_LIBEXEC_DIR "/wattson-ipcload", buf,
                       sizeof buf, &prog);
}

const char *paths_ofrelay(void)
{
    static char buf[PATHS_LEN];
    static const char *prog;
    return helper_prog("WATTSON_OFRELAY", WATTSON_OFRELAY_BUILD,
                       WATTSON_REL_LIBEXEC_DIR "/wattson-ofrelay", buf,
                       sizeof buf, &prog);
}

const char *paths_ofnet(void)
{
    static char buf[PATHS_LEN];
    static const char *prog;
    return helper_prog("WATTSON_OFNET", WATTSON_OFNET_BUILD,
                       WATTSON_REL_LIBEXEC_DIR "/ofnet.sh", buf, sizeof buf,
                       &prog);
}

int paths_state(const char *name, char *buf, size_t n)
{
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int len;
    if (state && state[0] == '/')
        len = snprintf(buf, n, "%s/wattson/%s", state, name);
    else if (home && home[0] == '/')
        len = snprintf(buf, n, "%s/.local/state/wattson/%s", home, name);
    else
        return -1;
    return len > 0 && (size_t)len < n ? 0 : -1;
}
