/*
 * lab - the lab file reader (see lab.h).
 *
 * A lab file is Lua so that it can compute values (loops over devices,
 * string.format for names), but it is data, not a program: it runs once, in
 * a sandbox (sandbox.c), and what it returns is copied into a cfg tree
 * (luacfg.c) before the Lua state is closed.  This file reads the file,
 * words the sandbox's resource errors for a lab, and validates the top
 * level into struct lab; each driver validates its own entry at init.
 */
#include "lab.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "cfg.h"
#include "dur.h"
#include "labclu.h"
#include "labvg.h"
#include "labipc.h"
#include "luacfg.h"
#include "paths.h"
#include "sandbox.h"
#include "summary.h"
#include "wattson/plugin.h"

#if defined(__GNUC__)
#define LAB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LAB_PRINTF(f, a)
#endif

/* Generated from lua-policies/labs/default.lua and host.lua by
 * console/embed.cmake. */
extern const char lab_default_text[];
extern const size_t lab_default_text_len;
extern const char lab_host_text[];
extern const size_t lab_host_text_len;

#define LAB_MEM_DEFAULT ((size_t)32 << 20)
#define LAB_INSN_DEFAULT 50000000u
/* CPU time for evaluating a lab.  Instructions alone do not bound it: one
 * instruction may run C over a string of megabytes (s:upper(), a compare).
 * The shipped labs take milliseconds, under ASan too. */
#define LAB_CPU_DEFAULT_NS 10000000000ull
#define LAB_MAX_FILE ((size_t)16 << 20)
#define LAB_DEFAULT_PATH "<default lab>"
#define LAB_DEFAULT_CHUNK "default.lua"
#define LAB_HOST_PATH "<host lab>"
#define LAB_HOST_CHUNK "host.lua"

/* The limits every later evaluation hands to the sandbox and the copy. */
static size_t lab_mem_limit = LAB_MEM_DEFAULT;
static uint64_t lab_insn_limit = LAB_INSN_DEFAULT;
static uint64_t lab_cpu_limit_ns = LAB_CPU_DEFAULT_NS;

void lab_set_limits(size_t mem_bytes, uint64_t instructions, uint64_t cpu_ns)
{
    lab_cpu_limit_ns = cpu_ns ? cpu_ns : LAB_CPU_DEFAULT_NS;
    lab_mem_limit = mem_bytes ? mem_bytes : LAB_MEM_DEFAULT;
    lab_insn_limit = instructions ? instructions : LAB_INSN_DEFAULT;
}

/* The allocation in lab_load() carries these past the public struct. */
struct lab_priv {
    struct lab pub;
    char *name_buf;
    char *fields;
    struct labclu *cluster;
    struct labvg *vgpu;
    struct labipc *ipc_procs;
};

/* ---- messages ---------------------------------------------------------- */

/* Messages are one line: a lab's error("a\nb") must not break log lines. */
void lab_one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
}

static int lab_err(char *err, size_t errlen, const char *display,
                   const char *fmt, ...) LAB_PRINTF(4, 5);
static int lab_err(char *err, size_t errlen, const char *display,
                   const char *fmt, ...)
{
    if (!err || errlen == 0)
        return -1;
    int n = snprintf(err, errlen, "%s: ", display);
    if (n >= 0 && (size_t)n < errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    lab_one_line(err);
    return -1;
}

/* ---- evaluating -------------------------------------------------------- */

/* The sandbox's and the copy's own wording is generic; a lab names its
 * memory limit. */
static int lab_nomem(char *err, size_t errlen, const char *display,
                     size_t limit)
{
    return lab_err(err, errlen, display,
                   "out of memory (a lab file may "
                   "use at most %zu MiB)",
                   limit >> 20);
}

/* Evaluates a lab chunk into a sorted cfg tree; the Lua state is gone
 * when this returns. */
static int lab_eval(const char *display, const char *chunk, const char *text,
                    size_t len, struct cfg **out, char *err, size_t errlen)
{
    size_t mem_limit = lab_mem_limit;
    char msg[768];
    *out = NULL;

    /* The sandbox refuses bytecode too (mode "t"); this says why, before
     * any state exists. */
    if (len >= 4 && memcmp(text, LUA_SIGNATURE, 4) == 0)
        return lab_err(err, errlen, display,
                       "precompiled Lua chunks are "
                       "not allowed (a lab file must be source text)");
    struct sandbox *sb;
    int st = sandbox_new(&sb, mem_limit, msg, sizeof msg);
    if (st == SANDBOX_MEMORY)
        return lab_nomem(err, errlen, display, mem_limit);
    if (st != SANDBOX_OK)
        return lab_err(err, errlen, display, "%s", msg);
    /* Armed until sandbox_free: lua_close may run Lua too. */
    sandbox_arm_limits(sb, lab_insn_limit, 0, lab_cpu_limit_ns);
    st = sandbox_load(sb, chunk, text, len, err, errlen);
    if (st == SANDBOX_MEMORY) {
        lab_nomem(err, errlen, display, mem_limit);
    } else if (st == SANDBOX_OK) {
        lua_State *L = sandbox_lua(sb);
        if (!lua_istable(L, -1)) {
            st = lab_err(err, errlen, display,
                         "the lab must return a table, got %s",
                         luaL_typename(L, -1));
        } else {
            st = luacfg_copy(L, mem_limit, out, msg, sizeof msg);
            if (st == LUACFG_MEMORY)
                lab_nomem(err, errlen, display, mem_limit);
            else if (st != LUACFG_OK)
                lab_err(err, errlen, display, "%s", msg);
        }
    }
    sandbox_free(sb);
    return st == 0 ? 0 : -1;
}

/* ---- validating the top level ------------------------------------------ */

static const char *const lab_fields[] = {"name",
                                         "description",
                                         "tick",
                                         "duration",
                                         "seed",
                                         "budget_w",
                                         "policy",
                                         "policy_limits",
                                         "limits",
                                         "drivers",
                                         "governor_period",
                                         "mesh",
                                         "cluster",
                                         "vgpu",
                                         "ipc_procs"};

/* The summary keys `limits` accepts: summary.h's list, names only. */
#define LAB_KEY_NAME(name, x) #name,
static const char *const lab_summary_keys[] = {
    SUMMARY_MEMBER_KEYS(LAB_KEY_NAME) SUMMARY_DERIVED_KEYS(LAB_KEY_NAME)};
#undef LAB_KEY_NAME

struct lab_check {
    const char *display;
    char *err;
    size_t errlen;
};

/* Levenshtein distance, for "did you mean"; long words are never close. */
static size_t lab_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[33];
    if (la > 32 || lb > 32)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static int lab_known(const char *key, const char *const *names, size_t n,
                     const char **closest)
{
    size_t best = 3; /* suggest only within two edits */
    *closest = NULL;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(key, names[i]) == 0)
            return 1;
        size_t d = lab_distance(key, names[i]);
        if (d < best) {
            best = d;
            *closest = names[i];
        }
    }
    return 0;
}

static int lab_want(struct lab_check *c, const struct cfg *root,
                    const char *field, int type, const struct cfg **node)
{
    *node = cfg_get(root, field);
    if (*node && cfg_type(*node) != type)
        return lab_err(c->err, c->errlen, c->display, "%s: expected %s, got %s",
                       field, cfg_type_name(type),
                       cfg_type_name(cfg_type(*node)));
    return 0;
}

static int lab_nonempty(struct lab_check *c, const char *field,
                        const struct cfg *node)
{
    if (node && cfg_string(node)[0] == '\0')
        return lab_err(c->err, c->errlen, c->display, "%s: must not be empty",
                       field);
    return 0;
}

static int lab_duration(struct lab_check *c, const struct cfg *root,
                        const char *field, double *v)
{
    const struct cfg *node = cfg_get(root, field);
    if (!node)
        return 0;
    if (cfg_type(node) == WATTSON_CFG_NUMBER) {
        *v = cfg_number(node);
    } else if (cfg_type(node) == WATTSON_CFG_STRING) {
        char why[256];
        if (dur_parse(cfg_string(node), v, why, sizeof why))
            return lab_err(c->err, c->errlen, c->display, "%s: %s", field, why);
    } else {
        return lab_err(c->err, c->errlen, c->display,
                       "%s: expected a duration (a string such as \"10ms\" "
                       "or a number of seconds), got %s",
                       field, cfg_type_name(cfg_type(node)));
    }
    if (!(*v > 0))
        return lab_err(c->err, c->errlen, c->display, "%s: must be > 0, got %g",
                       field, *v);
    return 0;
}

static int lab_check_limits(struct lab_check *c, const struct cfg *limits,
                            struct lab *lab)
{
    size_t n = cfg_len(limits);
    if (n == 0)
        return 0;
    lab->limits = calloc(n, sizeof *lab->limits);
    if (!lab->limits)
        return lab_err(c->err, c->errlen, c->display, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *key = cfg_key_at(limits, i);
        const struct cfg *v = cfg_at(limits, i);
        const char *closest;
        size_t nk = sizeof lab_summary_keys / sizeof lab_summary_keys[0];
        if (!lab_known(key, lab_summary_keys, nk, &closest)) {
            if (closest)
                return lab_err(c->err, c->errlen, c->display,
                               "limits: unknown key '%s' (did you mean "
                               "'%s'?)",
                               key, closest);
            {
                /* The list comes from the table, so it cannot go stale. */
                char names[512];
                size_t off = 0;
                names[0] = '\0';
                for (size_t k = 0; k < nk && off < sizeof names; k++) {
                    int w = snprintf(names + off, sizeof names - off, "%s%s",
                                     k ? ", " : "", lab_summary_keys[k]);
                    if (w < 0)
                        break;
                    off += (size_t)w;
                }
                return lab_err(c->err, c->errlen, c->display,
                               "limits: unknown key '%s' (summary keys: %s)",
                               key, names);
            }
        }
        if (cfg_type(v) != WATTSON_CFG_NUMBER)
            return lab_err(c->err, c->errlen, c->display,
                           "limits.%s: expected number, got %s", key,
                           cfg_type_name(cfg_type(v)));
        if (!(cfg_number(v) >= 0))
            return lab_err(c->err, c->errlen, c->display,
                           "limits.%s: must be >= 0, got %g", key,
                           cfg_number(v));
        lab->limits[i].key = key;
        lab->limits[i].max = cfg_number(v);
    }
    lab->n_limits = n;
    return 0;
}

#define LAB_FIELD_LEN 32

static int lab_check_drivers(struct lab_check *c, const struct cfg *drivers,
                             struct lab_priv *p)
{
    struct lab *lab = &p->pub;
    if (!drivers)
        return lab_err(c->err, c->errlen, c->display,
                       "drivers: missing (a lab needs at least one driver, "
                       "e.g. drivers = { { plugin = \"sim\" } })");
    size_t n = cfg_len(drivers);
    if (n == 0 || !cfg_is_array(drivers))
        return lab_err(c->err, c->errlen, c->display,
                       "drivers: expected a non-empty array of driver "
                       "entries");
    lab->drivers = calloc(n, sizeof *lab->drivers);
    p->fields = calloc(n, LAB_FIELD_LEN);
    if (!lab->drivers || !p->fields)
        return lab_err(c->err, c->errlen, c->display, "out of memory");
    for (size_t i = 0; i < n; i++) {
        char *field = p->fields + i * LAB_FIELD_LEN;
        snprintf(field, LAB_FIELD_LEN, "drivers.%zu", i + 1);
        const struct cfg *d = cfg_at(drivers, i);
        if (cfg_type(d) != WATTSON_CFG_TABLE)
            return lab_err(c->err, c->errlen, c->display,
                           "%s: expected table, got %s", field,
                           cfg_type_name(cfg_type(d)));
        const struct cfg *plugin = cfg_get(d, "plugin");
        if (!plugin)
            return lab_err(c->err, c->errlen, c->display,
                           "%s.plugin: missing (the driver's plugin name, "
                           "e.g. \"sim\")",
                           field);
        if (cfg_type(plugin) != WATTSON_CFG_STRING)
            return lab_err(c->err, c->errlen, c->display,
                           "%s.plugin: expected string, got %s", field,
                           cfg_type_name(cfg_type(plugin)));
        if (cfg_string(plugin)[0] == '\0')
            return lab_err(c->err, c->errlen, c->display,
                           "%s.plugin: must not be empty", field);
        const struct cfg *opt = cfg_get(d, "optional");
        if (opt && cfg_type(opt) != WATTSON_CFG_BOOL)
            return lab_err(c->err, c->errlen, c->display,
                           "%s.optional: expected boolean, got %s", field,
                           cfg_type_name(cfg_type(opt)));
        lab->drivers[i].optional = opt && cfg_bool(opt);
        lab->drivers[i].plugin = cfg_string(plugin);
        lab->drivers[i].cfg = d;
        lab->drivers[i].field = field;
    }
    lab->n_drivers = n;
    return 0;
}

/* strdup is POSIX, not C11. */
static char *lab_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* "labs/dc.lua" -> "dc" */
static char *lab_base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    if (n > 4 && strcmp(b + n - 4, ".lua") == 0)
        n -= 4;
    if (n == 0) {
        b = "lab";
        n = 3;
    }
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, b, n);
        s[n] = '\0';
    }
    return s;
}

/* "labs/dc.lua" -> "labs", "dc.lua" -> ".", "/dc.lua" -> "/" */
static char *lab_dir_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return lab_strdup(".");
    size_t n = (size_t)(slash - path);
    while (n > 0 && path[n - 1] == '/')
        n--;
    if (n == 0)
        return lab_strdup("/");
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, path, n);
        s[n] = '\0';
    }
    return s;
}

/* policy_limits = { memory_mb = 16, instructions = 2e6, time = "20ms",
 *                   cpu_time = "1s" } */
static int lab_check_policy_limits(struct lab_check *c, const struct cfg *t,
                                   struct lab *lab)
{
    static const char *const keys[] = {"memory_mb", "instructions", "time",
                                       "cpu_time"};
    if (!t)
        return 0;
    for (size_t i = 0; i < cfg_len(t); i++) {
        const char *key = cfg_key_at(t, i), *closest;
        if (!lab_known(key, keys, 4, &closest))
            return lab_err(c->err, c->errlen, c->display,
                           "policy_limits.%s: unknown (memory_mb, "
                           "instructions, time, cpu_time)",
                           key);
    }
    const struct cfg *n = cfg_get(t, "memory_mb");
    if (n) {
        if (cfg_type(n) != WATTSON_CFG_NUMBER || !(cfg_number(n) >= 1) ||
            cfg_number(n) > 4096)
            return lab_err(c->err, c->errlen, c->display,
                           "policy_limits.memory_mb: a number of MiB in [1, "
                           "4096]");
        lab->policy_mem_bytes = (size_t)(cfg_number(n) * 1048576.0);
    }
    n = cfg_get(t, "instructions");
    if (n) {
        if (cfg_type(n) != WATTSON_CFG_NUMBER || !(cfg_number(n) >= 1000) ||
            cfg_number(n) > 1e12)
            return lab_err(c->err, c->errlen, c->display,
                           "policy_limits.instructions: a number in [1000, "
                           "1e12]");
        lab->policy_instructions = (uint64_t)cfg_number(n);
    }
    if (cfg_get(t, "time") && lab_duration(c, t, "time", &lab->policy_time_s))
        return -1;
    if (cfg_get(t, "cpu_time") &&
        lab_duration(c, t, "cpu_time", &lab->policy_cpu_time_s))
        return -1;
    return 0;
}

/* The device map, read by its own module (labclu.h). */
static int lab_check_cluster(struct lab_check *c, struct lab_priv *p)
{
    const struct cfg *t = cfg_get(p->pub.root, "cluster");
    if (!t)
        return 0;
    p->cluster = calloc(1, sizeof *p->cluster);
    if (!p->cluster)
        return lab_err(c->err, c->errlen, c->display, "out of memory");
    char msg[256];
    if (labclu_read(t, p->cluster, msg, sizeof msg) != 0)
        return lab_err(c->err, c->errlen, c->display, "%s", msg);
    p->pub.cluster = p->cluster;
    return 0;
}

/* The vGPU engine's table, read by its own module (labvg.h); always
 * set, to the defaults when the lab has none. */
static int lab_check_vgpu(struct lab_check *c, struct lab_priv *p)
{
    p->vgpu = calloc(1, sizeof *p->vgpu);
    if (!p->vgpu)
        return lab_err(c->err, c->errlen, c->display, "out of memory");
    char msg[256];
    if (labvg_read(cfg_get(p->pub.root, "vgpu"), p->vgpu, msg, sizeof msg))
        return lab_err(c->err, c->errlen, c->display, "%s", msg);
    p->pub.vgpu = p->vgpu;
    return 0;
}

/* The live IPC events' process map, read by its own module (ipcmap.h);
 * always set (no rules when the lab has none). */
static int lab_check_ipc_procs(struct lab_check *c, struct lab_priv *p)
{
    p->ipc_procs = calloc(1, sizeof *p->ipc_procs);
    if (!p->ipc_procs)
        return lab_err(c->err, c->errlen, c->display, "out of memory");
    char msg[256];
    if (labipc_read(cfg_get(p->pub.root, "ipc_procs"), p->ipc_procs, msg,
                    sizeof msg))
        return lab_err(c->err, c->errlen, c->display, "%s", msg);
    p->pub.ipc_procs = p->ipc_procs;
    return 0;
}

static int lab_check_top(struct lab_check *c, struct lab_priv *p)
{
    struct lab *lab = &p->pub;
    const struct cfg *root = lab->root;
    for (size_t i = 0; i < cfg_len(root); i++) {
        const char *key = cfg_key_at(root, i);
        const char *closest;
        if (lab_known(key, lab_fields, sizeof lab_fields / sizeof lab_fields[0],
                      &closest))
            continue;
        if (closest)
            return lab_err(c->err, c->errlen, c->display,
                           "unknown field '%s' (did you mean '%s'?)", key,
                           closest);
        return lab_err(c->err, c->errlen, c->display,
                       "unknown field '%s' (fields: name, description, "
                       "tick, duration, seed, budget_w, policy, "
                       "policy_limits, limits, drivers, governor_period, mesh, "
                       "cluster, vgpu, ipc_procs)",
                       key);
    }

    const struct cfg *n;
    if (lab_want(c, root, "name", WATTSON_CFG_STRING, &n) ||
        lab_nonempty(c, "name", n))
        return -1;
    if (n)
        lab->name = cfg_string(n);
    if (lab_want(c, root, "description", WATTSON_CFG_STRING, &n))
        return -1;
    if (lab_want(c, root, "policy", WATTSON_CFG_STRING, &n) ||
        lab_nonempty(c, "policy", n))
        return -1;
    lab->policy = n ? cfg_string(n) : NULL;

    lab->tick_s = 0.01;
    lab->duration_s = 60;
    if (lab_duration(c, root, "tick", &lab->tick_s) ||
        lab_duration(c, root, "duration", &lab->duration_s))
        return -1;
    /* The governors' own sampling period, independent of the tick (a
     * tick longer than it makes them act every tick).  A finite period:
     * one of hours is odd but harmless, an infinite one is an error. */
    lab->governor_period_s = 0;
    if (lab_duration(c, root, "governor_period", &lab->governor_period_s))
        return -1;
    if (!isfinite(lab->governor_period_s))
        return lab_err(c->err, c->errlen, c->display,
                       "governor_period: must be a finite duration, got %g",
                       lab->governor_period_s);

    if (lab_want(c, root, "seed", WATTSON_CFG_NUMBER, &n))
        return -1;
    lab->seed = 1;
    if (n) {
        double v = cfg_number(n);
        /* Above 2^53 doubles skip integers: two seeds would collide. */
        if (!(v >= 0 && v < 9007199254740992.0 && v == floor(v)))
            return lab_err(c->err, c->errlen, c->display,
                           "seed: must be an integer in [0, 2^53), got %.17g",
                           v);
        lab->seed = (uint64_t)v;
    }

    if (lab_want(c, root, "budget_w", WATTSON_CFG_NUMBER, &n))
        return -1;
    lab->budget_w = n ? cfg_number(n) : 0;
    if (!(lab->budget_w >= 0))
        return lab_err(c->err, c->errlen, c->display,
                       "budget_w: must be >= 0, got %g", lab->budget_w);

    if (lab_want(c, root, "limits", WATTSON_CFG_TABLE, &n) ||
        lab_check_limits(c, n, lab))
        return -1;

    if (lab_want(c, root, "policy_limits", WATTSON_CFG_TABLE, &n) ||
        lab_check_policy_limits(c, n, lab))
        return -1;

    /* The mesh section is checked by its reader (cmd/meshlab.c), which
     * knows the parts; here only that it is a table. */
    if (lab_want(c, root, "mesh", WATTSON_CFG_TABLE, &n))
        return -1;

    if (lab_check_cluster(c, p) || lab_check_vgpu(c, p) ||
        lab_check_ipc_procs(c, p))
        return -1;

    if (lab_want(c, root, "drivers", WATTSON_CFG_TABLE, &n))
        return -1;
    /* a mesh-only lab needs no drivers (`bench mesh --lab`; `run`
     * refuses it with its own message) */
    if (!(n == NULL && cfg_get(root, "mesh")) && lab_check_drivers(c, n, p))
        return -1;
    return 0;
}

/* ---- entry points ------------------------------------------------------ */

static int lab_load(const char *display, const char *chunk, const char *text,
                    size_t len, const char *dir, const char *labpath,
                    struct lab **out, char *err, size_t errlen)
{
    struct lab_check c = {display, err, errlen};
    struct cfg *root;
    if (lab_eval(display, chunk, text, len, &root, err, errlen))
        return -1;
    struct lab_priv *p = calloc(1, sizeof *p);
    if (!p) {
        cfg_free(root);
        return lab_err(err, errlen, display, "out of memory");
    }
    struct lab *lab = &p->pub;
    lab->root = root;
    lab->path = lab_strdup(labpath);
    lab->dir = lab_strdup(dir ? dir : ".");
    if (!lab->path || !lab->dir) {
        lab_free(lab);
        return lab_err(err, errlen, display, "out of memory");
    }
    if (lab_check_top(&c, p)) {
        lab_free(lab);
        return -1;
    }
    if (!lab->name) {
        p->name_buf = lab_base_name(display);
        if (!p->name_buf) {
            lab_free(lab);
            return lab_err(err, errlen, display, "out of memory");
        }
        lab->name = p->name_buf;
    }
    *out = lab;
    return 0;
}

int lab_load_string(const char *chunkname, const char *text, size_t len,
                    const char *dir, struct lab **out, char *err, size_t errlen)
{
    if (!out)
        return -1;
    *out = NULL;
    if (!chunkname || !*chunkname)
        chunkname = "lab";
    if (!text)
        return lab_err(err, errlen, chunkname, "no text");
    size_t n = strlen(chunkname);
    char *chunk = malloc(n + 2);
    if (!chunk)
        return lab_err(err, errlen, chunkname, "out of memory");
    chunk[0] = '=';
    memcpy(chunk + 1, chunkname, n + 1);
    int rc =
        lab_load(chunkname, chunk, text, len, dir, chunkname, out, err, errlen);
    free(chunk);
    return rc;
}

static char *lab_read_file(const char *path, size_t *len, char *err,
                           size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        lab_err(err, errlen, path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            lab_err(err, errlen, path, "out of memory");
            break;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (ferror(f)) {
            lab_err(err, errlen, path, "cannot read: %s", strerror(errno));
            break;
        }
        if (feof(f)) {
            fclose(f);
            *len = n;
            return buf;
        }
        if (n == cap) {
            if (cap >= LAB_MAX_FILE) {
                lab_err(err, errlen, path, "too large (over %zu MiB)",
                        LAB_MAX_FILE >> 20);
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    free(buf);
    fclose(f);
    return NULL;
}

int lab_load_file(const char *path, struct lab **out, char *err, size_t errlen)
{
    if (!out)
        return -1;
    *out = NULL;
    if (!path || !*path)
        return lab_err(err, errlen, "lab", "no file name");
    size_t len = 0;
    char *text = lab_read_file(path, &len, err, errlen);
    if (!text)
        return -1;
    size_t n = strlen(path);
    char *chunk = malloc(n + 2);
    char *dir = lab_dir_name(path);
    int rc;
    if (!chunk || !dir) {
        rc = lab_err(err, errlen, path, "out of memory");
    } else {
        /* "@" makes Lua report "path:LINE:" without [string "..."]. */
        chunk[0] = '@';
        memcpy(chunk + 1, path, n + 1);
        rc = lab_load(path, chunk, text, len, dir, path, out, err, errlen);
    }
    free(chunk);
    free(dir);
    free(text);
    return rc;
}

int lab_load_default(struct lab **out, char *err, size_t errlen)
{
    if (!out)
        return -1;
    *out = NULL;
    return lab_load(LAB_DEFAULT_CHUNK, "=" LAB_DEFAULT_CHUNK, lab_default_text,
                    lab_default_text_len, paths_lab_dir(), LAB_DEFAULT_PATH,
                    out, err, errlen);
}

int lab_load_host(struct lab **out, char *err, size_t errlen)
{
    if (!out)
        return -1;
    *out = NULL;
    return lab_load(LAB_HOST_CHUNK, "=" LAB_HOST_CHUNK, lab_host_text,
                    lab_host_text_len, paths_lab_dir(), LAB_HOST_PATH, out, err,
                    errlen);
}

int lab_scale_load(struct lab *lab, double k, char *err, size_t errlen)
{
    for (size_t i = 0; i < lab->n_drivers; i++) {
        const struct lab_driver *d = &lab->drivers[i];
        if (strcmp(d->plugin, "sim") != 0) {
            snprintf(err, errlen,
                     "%s: %s: driver '%s' is not simulated: only the sim's "
                     "workloads can be scaled",
                     lab->path, d->field, d->plugin);
            return -1;
        }
    }
    for (size_t i = 0; i < lab->n_drivers; i++) {
        /* The lab owns its tree; the const is for the plugins that read
         * it.  A key added again wins once re-sorted (cfg.c). */
        struct cfg *t = (struct cfg *)lab->drivers[i].cfg;
        const struct cfg *old = cfg_get(t, "load_scale");
        /* A non-number is left alone: the sim names it at init. */
        if (old && cfg_type(old) != WATTSON_CFG_NUMBER)
            continue;
        double base = old ? cfg_number(old) : 1.0;
        if (!cfg_add_number(t, "load_scale", base * k)) {
            snprintf(err, errlen, "%s: out of memory", lab->path);
            return -1;
        }
        cfg_sort(t);
    }
    return 0;
}

void lab_free(struct lab *lab)
{
    if (!lab)
        return;
    struct lab_priv *p = (struct lab_priv *)lab;
    cfg_free(lab->root);
    free(lab->path);
    free(lab->dir);
    free(lab->drivers);
    free(lab->limits);
    free(p->name_buf);
    free(p->fields);
    free(p->cluster);
    free(p->vgpu);
    free(p->ipc_procs);
    free(p);
}
