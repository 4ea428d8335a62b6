/* lab: a valid lab and its defaults, every error class, the sandbox. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cfg.h"
#include "core/lab.h"
#include "t.h"
#include "wattson/plugin.h"

static char tmpdir[64];
static char last_path[512];

static const char *write_lab(const char *name, const char *text)
{
    snprintf(last_path, sizeof last_path, "%s/%s", tmpdir, name);
    FILE *f = fopen(last_path, "wb");
    if (!f) {
        perror(last_path);
        exit(2);
    }
    fputs(text, f);
    fclose(f);
    return last_path;
}

/* Loads `text` from a file `name`; checks the failure contract (one line,
 * starts with the path, *out NULL) and returns the message. */
static const char *load_fails(const char *name, const char *text)
{
    static char err[1024];
    struct lab *lab = (struct lab *)1;
    const char *path = write_lab(name, text);
    err[0] = '\0';
    int rc = lab_load_file(path, &lab, err, sizeof err);
    T_CHECK(rc == -1);
    T_CHECK(lab == NULL);
    if (rc == 0)
        lab_free(lab);
    T_CHECK(strncmp(err, path, strlen(path)) == 0);
    T_CHECK(strchr(err, '\n') == NULL);
    return err;
}

static void fails_with(const char *name, const char *text, const char *want)
{
    const char *err = load_fails(name, text);
    T_CHECK(strstr(err, want) != NULL);
    if (!strstr(err, want))
        fprintf(stderr, "  %s: got \"%s\"\n  want \"%s\"\n", name, err, want);
}

/* The message must be exactly "PATH" + rest. */
static void fails_exactly(const char *name, const char *text, const char *rest)
{
    char want[1024];
    const char *err = load_fails(name, text);
    snprintf(want, sizeof want, "%s%s", last_path, rest);
    T_STREQ(err, want);
}

static const char valid_lab[] =
    "-- a lab computes its devices\n"
    "local devices = {}\n"
    "for i = 1, 3 do\n"
    "  devices[#devices + 1] = { name = string.format('cpu%d', i - 1),\n"
    "                            kind = 'cpu', tdp = 40 + 5 * i,\n"
    "                            turbo = i % 2 == 1 }\n"
    "end\n"
    "table.insert(devices, { name = 'gpu0', kind = 'gpu',\n"
    "                        tdp = math.floor(250.7) })\n"
    "return {\n"
    "  name = 'rack',\n"
    "  description = 'three CPUs and a GPU',\n"
    "  tick = '250ms',\n"
    "  duration = 120,\n"
    "  seed = 42,\n"
    "  budget_w = 300.5,\n"
    "  policy = 'policies/greedy.lua',\n"
    "  limits = { energy_j = 1e6, deadline_misses = 0 },\n"
    "  drivers = {\n"
    "    { plugin = 'sim', devices = devices },\n"
    "    { plugin = 'rapl', [2] = 'x', [1] = 'w', zone = 'package' },\n"
    "  },\n"
    "}\n";

static void test_valid(void)
{
    char err[512] = "";
    struct lab *lab = NULL;
    const char *path = write_lab("valid.lua", valid_lab);
    T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
    if (!lab) {
        fprintf(stderr, "  valid lab: %s\n", err);
        return;
    }
    T_STREQ(lab->path, path);
    T_STREQ(lab->dir, tmpdir);
    T_STREQ(lab->name, "rack");
    T_NEAR(lab->tick_s, 0.25, 1e-15);
    T_NEAR(lab->duration_s, 120, 0);
    T_CHECK(lab->seed == 42);
    T_NEAR(lab->budget_w, 300.5, 0);
    T_STREQ(lab->policy, "policies/greedy.lua");
    T_CHECK(lab->n_limits == 2);
    if (lab->n_limits == 2) {
        /* sorted by key */
        T_STREQ(lab->limits[0].key, "deadline_misses");
        T_NEAR(lab->limits[0].max, 0, 0);
        T_STREQ(lab->limits[1].key, "energy_j");
        T_NEAR(lab->limits[1].max, 1e6, 0);
    }
    T_CHECK(lab->n_drivers == 2);
    if (lab->n_drivers == 2) {
        T_STREQ(lab->drivers[0].plugin, "sim");
        T_STREQ(lab->drivers[0].field, "drivers.1");
        T_STREQ(lab->drivers[1].plugin, "rapl");
        T_STREQ(lab->drivers[1].field, "drivers.2");
        const struct cfg *d = lab->drivers[0].cfg;
        T_CHECK(cfg_len(cfg_get(d, "devices")) == 4);
        T_CHECK(cfg_is_array(cfg_get(d, "devices")));
        T_STREQ(cfg_string(cfg_get(d, "devices.1.name")), "cpu0");
        T_STREQ(cfg_string(cfg_get(d, "devices.3.name")), "cpu2");
        T_NEAR(cfg_number(cfg_get(d, "devices.2.tdp")), 50, 0);
        T_CHECK(cfg_bool(cfg_get(d, "devices.1.turbo")) == 1);
        T_CHECK(cfg_type(cfg_get(d, "devices.2.turbo")) == WATTSON_CFG_BOOL);
        T_CHECK(cfg_bool(cfg_get(d, "devices.2.turbo")) == 0);
        T_STREQ(cfg_string(cfg_get(d, "devices.4.kind")), "gpu");
        T_NEAR(cfg_number(cfg_get(d, "devices.4.tdp")), 250, 0);
        /* Sorted keys: within a device, by name. */
        const struct cfg *dev = cfg_get(d, "devices.1");
        T_STREQ(cfg_key_at(dev, 0), "kind");
        T_STREQ(cfg_key_at(dev, 1), "name");
        T_STREQ(cfg_key_at(dev, 2), "tdp");
        T_STREQ(cfg_key_at(dev, 3), "turbo");
        /* Array part first, then names. */
        const struct cfg *r = lab->drivers[1].cfg;
        T_STREQ(cfg_key_at(r, 0), "1");
        T_STREQ(cfg_key_at(r, 1), "2");
        T_STREQ(cfg_key_at(r, 2), "plugin");
        T_STREQ(cfg_key_at(r, 3), "zone");
    }
    T_STREQ(cfg_string(cfg_get(lab->root, "description")),
            "three CPUs and a GPU");
    T_STREQ(cfg_key_at(lab->root, 0), "budget_w");
    lab_free(lab);
}

static void test_defaults(void)
{
    char err[512] = "";
    struct lab *lab = NULL;
    const char *path =
        write_lab("minimal.lua", "return { drivers = { { plugin = 'sim' } } }");
    T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
    if (!lab) {
        fprintf(stderr, "  minimal lab: %s\n", err);
        return;
    }
    T_STREQ(lab->name, "minimal"); /* base name without .lua */
    T_NEAR(lab->tick_s, 0.01, 0);
    T_NEAR(lab->duration_s, 60, 0);
    T_CHECK(lab->seed == 1);
    T_NEAR(lab->budget_w, 0, 0);
    T_CHECK(lab->policy == NULL);
    T_CHECK(lab->n_limits == 0);
    T_CHECK(lab->limits == NULL);
    T_CHECK(lab->n_drivers == 1);
    lab_free(lab);

    /* Numbers for durations, strings for ticks, the biggest seed. */
    path = write_lab("numbers.lua",
                     "return { tick = 0.5, duration = '2m', seed = 2^53 - 1,"
                     " budget_w = 0, limits = {},"
                     " drivers = { { plugin = 'sim' } } }");
    T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
    if (lab) {
        T_NEAR(lab->tick_s, 0.5, 0);
        T_NEAR(lab->duration_s, 120, 0);
        T_CHECK(lab->seed == (UINT64_C(1) << 53) - 1);
        lab_free(lab);
    }

    /* A file in the current directory: dir ".". */
    path =
        write_lab("nodir.lua", "return { drivers = { { plugin = 'sim' } } }");
    char cwd[512];
    T_CHECK(getcwd(cwd, sizeof cwd) != NULL);
    T_CHECK(chdir(tmpdir) == 0);
    T_CHECK(lab_load_file("nodir.lua", &lab, err, sizeof err) == 0);
    if (lab) {
        T_STREQ(lab->dir, ".");
        T_STREQ(lab->path, "nodir.lua");
        T_STREQ(lab->name, "nodir");
        lab_free(lab);
    }
    T_CHECK(chdir(cwd) == 0);
}

static void test_default_lab(void)
{
    char err[512] = "";
    struct lab *lab = NULL;
    T_CHECK(lab_load_default(&lab, err, sizeof err) == 0);
    if (!lab) {
        fprintf(stderr, "  default lab: %s\n", err);
        return;
    }
    T_STREQ(lab->path, "<default lab>");
    T_STREQ(lab->dir, WATTSON_LAB_DIR);
    T_CHECK(lab->name != NULL && lab->name[0] != '\0');
    T_CHECK(lab->n_drivers >= 1);
    lab_free(lab);
}

/* The host lab: every real-hardware driver, each optional, nothing else
 * (no budget, no sim). */
static void test_host_lab(void)
{
    static const char *const want[] = {"cpufreq", "rapl", "hwmon", "nvml",
                                       "pci"};
    char err[512] = "";
    struct lab *lab = NULL;
    T_CHECK(lab_load_host(&lab, err, sizeof err) == 0);
    if (!lab) {
        fprintf(stderr, "  host lab: %s\n", err);
        return;
    }
    T_STREQ(lab->path, "<host lab>");
    T_STREQ(lab->name, "host");
    T_CHECK(lab->budget_w == 0);
    T_CHECK(lab->n_drivers == 5);
    for (size_t i = 0; i < lab->n_drivers && i < 5; i++) {
        T_STREQ(lab->drivers[i].plugin, want[i]);
        T_CHECK(lab->drivers[i].optional);
    }
    lab_free(lab);
}

static void test_string(void)
{
    char err[512] = "";
    struct lab *lab = NULL;
    static const char ok[] = "return { drivers = { { plugin = 'sim' } } }";
    T_CHECK(lab_load_string("inline.lua", ok, sizeof ok - 1, "/some/dir", &lab,
                            err, sizeof err) == 0);
    if (lab) {
        T_STREQ(lab->path, "inline.lua");
        T_STREQ(lab->dir, "/some/dir");
        T_STREQ(lab->name, "inline");
        lab_free(lab);
    }
    /* Errors use the chunk name, with Lua's line. */
    static const char bad[] = "return {\n  drivers = ,\n}";
    lab = (struct lab *)1;
    T_CHECK(lab_load_string("inline", bad, sizeof bad - 1, ".", &lab, err,
                            sizeof err) == -1);
    T_CHECK(lab == NULL);
    T_CHECK(strncmp(err, "inline:2:", 9) == 0);
    T_CHECK(strstr(err, "[string") == NULL);

    /* A name longer than Lua's LUA_IDSIZE is still given whole. */
    char longname[200];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    T_CHECK(lab_load_string(longname, bad, sizeof bad - 1, ".", &lab, err,
                            sizeof err) == -1);
    T_CHECK(strncmp(err, longname, strlen(longname)) == 0);
    T_CHECK(strncmp(err + strlen(longname), ":2:", 3) == 0);

    /* Bytecode is refused, however it arrives. */
    static const char bc[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n";
    T_CHECK(lab_load_string("bc", bc, sizeof bc - 1, ".", &lab, err,
                            sizeof err) == -1);
    T_CHECK(strstr(err, "precompiled") != NULL);
    T_CHECK(strncmp(err, "bc: ", 4) == 0);
}

static void test_errors(void)
{
    /* Syntax and runtime errors carry Lua's file:line. */
    fails_with("syntax.lua", "return {\n  drivers = {\n  name = = 1\n}\n",
               ":3:");
    fails_with("runtime.lua", "local x\n\nreturn x.y\n",
               ":3: attempt to index");
    fails_with("error.lua", "error('boom')\n", ":1: boom");
    fails_exactly("nolevel.lua", "error('plain', 0)\n", ": plain");
    fails_with("multiline.lua", "error('a\\nb', 0)\n", ": a b");
    fails_with("errobj.lua", "error({})\n", "error object is a table value");

    /* The returned value. */
    fails_exactly("number.lua", "return 5\n",
                  ": the lab must return a table, got number");
    fails_exactly("nothing.lua", "local x = 1\n",
                  ": the lab must return a table, got nil");

    /* Field types and ranges. */
    fails_exactly("type.lua",
                  "return { budget_w = 'lots', drivers = {{plugin='sim'}} }",
                  ": budget_w: expected number, got string");
    fails_exactly("negative.lua",
                  "return { budget_w = -5, drivers = {{plugin='sim'}} }",
                  ": budget_w: must be >= 0, got -5");
    fails_exactly("name.lua", "return { name = 3, drivers = {{plugin='sim'}} }",
                  ": name: expected string, got number");
    fails_exactly("policy.lua",
                  "return { policy = true, drivers = {{plugin='sim'}} }",
                  ": policy: expected string, got boolean");
    fails_with("tick.lua", "return { tick = '5x', drivers = {{plugin='sim'}} }",
               ": tick: invalid duration '5x': unknown unit 'x'");
    fails_exactly("tick0.lua",
                  "return { tick = 0, drivers = {{plugin='sim'}} }",
                  ": tick: must be > 0, got 0");
    fails_with("tickb.lua",
               "return { tick = false, drivers = {{plugin='sim'}} }",
               ": tick: expected a duration");
    fails_with("dur.lua",
               "return { duration = '-1s', drivers = {{plugin='sim'}} }",
               ": duration: invalid duration '-1s'");
    fails_with("seed.lua", "return { seed = -1, drivers = {{plugin='sim'}} }",
               ": seed: must be an integer in [0, 2^53)");
    fails_with("seedf.lua", "return { seed = 1.5, drivers = {{plugin='sim'}} }",
               ": seed: must be an integer");
    fails_with("seedbig.lua",
               "return { seed = 2^53, drivers = {{plugin='sim'}} }",
               ": seed: must be an integer");
    fails_with("nan.lua",
               "return { budget_w = 0/0, drivers = {{plugin='sim'}} }",
               ": budget_w: numbers must be finite, got nan");
    fails_with("inf.lua",
               "return { budget_w = math.huge, drivers = {{plugin='sim'}} }",
               ": budget_w: numbers must be finite, got inf");

    /* Unknown fields and limits. */
    fails_with("typo.lua", "return { budgetw = 5, drivers = {{plugin='sim'}} }",
               ": unknown field 'budgetw'");
    fails_with("typo2.lua",
               "return { budgetw = 5, drivers = {{plugin='sim'}} }",
               "did you mean 'budget_w'?");
    fails_with("other.lua", "return { zzz = 5, drivers = {{plugin='sim'}} }",
               ": unknown field 'zzz'");
    fails_with("limit.lua",
               "return { limits = { energy = 5 }, drivers = {{plugin='sim'}} }",
               ": limits: unknown key 'energy'");
    /* Wall time is not a limit: it would make the outcome depend on the
     * machine. */
    fails_with("limitw.lua",
               "return { limits = { wall_seconds = 5 }, "
               "drivers = {{plugin='sim'}} }",
               ": limits: unknown key 'wall_seconds'");
    fails_exactly(
        "limitv.lua",
        "return { limits = { edp = -1 }, drivers = {{plugin='sim'}} }",
        ": limits.edp: must be >= 0, got -1");
    fails_exactly(
        "limitt.lua",
        "return { limits = { edp = 'x' }, drivers = {{plugin='sim'}} }",
        ": limits.edp: expected number, got string");
    fails_exactly("limits.lua",
                  "return { limits = 5, drivers = {{plugin='sim'}} }",
                  ": limits: expected table, got number");

    /* Drivers. */
    fails_with("nodrivers.lua", "return { name = 'x' }", ": drivers: missing");
    fails_with("emptydrivers.lua", "return { drivers = {} }",
               ": drivers: expected a non-empty array");
    fails_with("mapdrivers.lua", "return { drivers = { a = {plugin='sim'} } }",
               ": drivers: expected a non-empty array");
    fails_exactly("noplugin.lua",
                  "return { drivers = { {plugin='sim'}, {devices={}} } }",
                  ": drivers.2.plugin: missing (the driver's plugin name, "
                  "e.g. \"sim\")");
    fails_exactly("pluginnum.lua", "return { drivers = { {plugin=1} } }",
                  ": drivers.1.plugin: expected string, got number");
    fails_exactly("driverstr.lua", "return { drivers = { 'sim' } }",
                  ": drivers.1: expected table, got string");

    /* Values and keys the tree cannot hold. */
    fails_exactly("function.lua",
                  "return { drivers = { { plugin = 'sim', devices = {\n"
                  "  { kind = 'cpu' }, { kind = 'gpu', workload = print or\n"
                  "    function() end } } } } }\n",
                  ": drivers.1.devices.2.workload: unsupported value of "
                  "type function");
    fails_with("boolkey.lua",
               "return { drivers = { { plugin = 'sim', [true] = 1 } } }",
               ": drivers.1: key of type boolean is not allowed");
    fails_with("floatkey.lua",
               "return { drivers = { { plugin = 'sim', [1.5] = 1 } } }",
               ": drivers.1: key 1.5 is not allowed");
    fails_with("zerokey.lua",
               "return { drivers = { { plugin = 'sim', [0] = 1 } } }",
               ": drivers.1: key 0 is not allowed");
    fails_with("dotkey.lua",
               "return { drivers = { { plugin = 'sim', ['a.b'] = 1 } } }",
               "key 'a.b' contains '.'");
    fails_with(
        "clash.lua",
        "return { drivers = { { plugin = 'sim', [1] = 1, ['1'] = 2 } } }",
        "key 1 is given both as a string and as a number");
    fails_with("cycle.lua",
               "local t = {}\nt.t = t\n"
               "return { drivers = { { plugin = 'sim', loop = t } } }",
               ": drivers.1.loop.t.t.t");
    fails_with("cycle2.lua",
               "local t = {}\nt.t = t\n"
               "return { drivers = { { plugin = 'sim', loop = t } } }",
               "tables nested deeper than 32 levels");
    fails_with("nul.lua",
               "return { name = 'a\\0b', drivers = { { plugin = 'sim' } } }",
               "name: string contains a NUL byte");
    /* Shared subtables are copied per use: 2^40 copies must stop. */
    fails_with("dag.lua",
               "local t = { x = 1 }\nfor i = 1, 20 do t = { t, t, t, t } end\n"
               "return { drivers = { { plugin = 'sim', t = t } } }",
               "the lab's data are too large");

    /* Missing or unreadable files. */
    char err[512];
    char path[600];
    struct lab *lab = (struct lab *)1;
    snprintf(path, sizeof path, "%s/does-not-exist.lua", tmpdir);
    T_CHECK(lab_load_file(path, &lab, err, sizeof err) == -1);
    T_CHECK(lab == NULL);
    char want[700];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory",
             path);
    T_STREQ(err, want);
    T_CHECK(lab_load_file(tmpdir, &lab, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: cannot read: Is a directory", tmpdir);
    T_STREQ(err, want);

    /* A long path (Lua would print "...tail") is given whole. */
    snprintf(path, sizeof path,
             "%s/a-directory-name-long-enough-to-push-the-"
             "path-past-lua-idsize",
             tmpdir);
    T_CHECK(mkdir(path, 0700) == 0);
    snprintf(want, sizeof want,
             "a-directory-name-long-enough-to-push-the-"
             "path-past-lua-idsize/syntax-error-in-a-long-path.lua");
    const char *e = load_fails(want, "return {\n\n  = 1 }\n");
    T_CHECK(strstr(e, ".lua:3:") != NULL);
    T_CHECK(strstr(e, "...") == NULL);
    rmdir(path); /* fails while the file is there; cleaned up at the end */
}

static void test_sandbox(void)
{
    char err[512] = "";
    struct lab *lab = NULL;
    const char *path = write_lab(
        "sandbox.lua",
        "local names = { 'io', 'os', 'require', 'load', 'loadfile', 'dofile',\n"
        "  'print', 'collectgarbage', 'debug', 'package', 'coroutine',\n"
        "  'utf8', 'loadstring', 'module', 'warn' }\n"
        "local found = {}\n"
        "for _, n in ipairs(names) do\n"
        "  if _ENV[n] ~= nil or _G[n] ~= nil then found[#found+1] = n end\n"
        "end\n"
        "if string.dump ~= nil then found[#found+1] = 'string.dump' end\n"
        "if ('').dump ~= nil then found[#found+1] = ('').dump end\n"
        "if getmetatable('') then found[#found+1] = 'mt' end\n"
        "if string.match or string.gsub or string.gmatch then\n"
        "  found[#found+1] = 'patterns' end\n"
        "if string.find('a.c', '.', 1) ~= 2 then found[#found+1] = 'find' end\n"
        "local ok = pcall(math.randomseed)\n"
        "if ok then found[#found+1] = 'randomseed()' end\n"
        "math.randomseed(7)\n"
        "return { description = table.concat(found, ','),\n"
        "  seed = math.random(1, 1000000),\n"
        "  name = type(string.format) .. type(math.floor) .. type(pairs),\n"
        "  drivers = { { plugin = 'sim' } } }\n");
    T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
    if (!lab) {
        fprintf(stderr, "  sandbox lab: %s\n", err);
        return;
    }
    T_STREQ(cfg_string(cfg_get(lab->root, "description")), "");
    T_STREQ(lab->name, "functionfunctionfunction");
    uint64_t seed1 = lab->seed;
    lab_free(lab);
    /* math.random is deterministic from a given seed. */
    T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
    if (lab) {
        T_CHECK(lab->seed == seed1);
        lab_free(lab);
    }
    /* And without one, from the fixed initial seed. */
    path = write_lab("random.lua", "return { seed = math.random(1, 1e9),"
                                   " drivers = { { plugin = 'sim' } } }");
    T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
    uint64_t r1 = lab ? lab->seed : 0;
    lab_free(lab);
    T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
    T_CHECK(lab && lab->seed == r1);
    lab_free(lab);

    fails_with("io.lua", "io.write('x')\n", ":1: attempt to index a nil value");
    fails_with("os.lua", "return os.exit(1)\n", ":1: attempt to index");
    fails_with("require.lua", "require('os')\n", ":1: attempt to call a nil");
    fails_with("load.lua", "load('return 1')()\n", ":1: attempt to call");
    fails_with("dofile.lua", "dofile('/etc/passwd')\n", ":1: attempt to call");
    fails_with("dump.lua", "return string.dump(function() end)\n",
               ":1: attempt to call a nil value (field 'dump')");
    fails_with("seedless.lua", "math.randomseed()\n", "needs a seed");
    /* Bytecode in a file. */
    fails_with("bytecode.lua", "\x1bLua\x54garbage", "precompiled Lua chunks");
}

static void test_limits(void)
{
    /* An endless loop ends with the budget error at its line. */
    fails_with("loop.lua", "local x = 0\nwhile true do x = x + 1 end\n",
               ":2: instruction budget");
    /* pcall cannot swallow it. */
    fails_with("pcall.lua",
               "for i = 1, 1e12 do\n"
               "  pcall(function() while true do end end)\n"
               "end\n"
               "return { drivers = { { plugin = 'sim' } } }\n",
               "instruction budget");
    fails_with("pcall2.lua",
               "local ok = pcall(function() while true do end end)\n"
               "return { drivers = { { plugin = 'sim' } } }\n",
               "instruction budget");
    /* Finalizers run without hooks, so __gc is refused. */
    fails_with("gc.lua",
               "setmetatable({}, { __gc = function() while true do end end })\n"
               "return 1\n",
               ":1: __gc metamethods are not allowed");
    fails_with("gc2.lua", "setmetatable({}, { __gc = false })\nreturn 1\n",
               "__gc metamethods are not allowed");
    {
        char err[512];
        struct lab *lab = NULL;
        const char *path = write_lab(
            "meta.lua",
            "local mt = { __index = function(t, k) return k end }\n"
            "local t = setmetatable({}, mt)\n"
            "return { name = t.rack, drivers = { { plugin = 'sim' } } }\n");
        T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
        T_CHECK(lab && strcmp(lab->name, "rack") == 0);
        lab_free(lab);
    }
    /* Library calls that loop in C are charged to the budget up front:
     * each of these ran for hours before (the fuzzer found the first). */
    fails_with("rep.lua", "local s = string.rep('', 1e12)\nreturn {}\n",
               "rep.lua:1: instruction budget of");
    fails_with("rep2.lua",
               "local ok = pcall(string.rep, '', 1e12, '')\nreturn {}\n",
               "instruction budget");
    fails_with("move.lua", "table.move({}, 1, 1e15, 1)\nreturn {}\n",
               "move.lua:1: instruction budget");
    /* The whole integer range, 2^64 elements, once wrapped to a span of 0;
     * an __index of a wrapped function kept it in C, out of the hook's
     * sight, for ever. */
    fails_with("span.lua",
               "local t = setmetatable({}, { __index = table.concat })\n"
               "table.concat(t, '', math.mininteger, math.maxinteger)\n"
               "return {}\n",
               "span.lua:2: instruction budget");
    fails_with(
        "insert.lua",
        "local t = setmetatable({}, { __len = function() return 1e15 end })\n"
        "table.insert(t, 1, 0)\nreturn {}\n",
        "insert.lua:2: instruction budget");
    fails_with(
        "remove.lua",
        "local t = setmetatable({}, { __len = function() return 1e15 end })\n"
        "table.remove(t, 1)\nreturn {}\n",
        "remove.lua:2: instruction budget");
    fails_with("find.lua",
               "local a = string.rep('a', 1e6)\n"
               "local b = string.rep('a', 5e5) .. 'b'\n"
               "for i = 1, 1e3 do a:find(b) end\nreturn {}\n",
               "find.lua:3: instruction budget");
    /* Ordinary use stays well inside it. */
    {
        char err[512];
        struct lab *lab = NULL;
        const char *path = write_lab(
            "lib.lua",
            "local t = {}\nfor i = 1, 1000 do table.insert(t, 1000 - i) end\n"
            "table.sort(t)\nassert(t[1] == 0 and t[1000] == 999)\n"
            "local u = table.move(t, 1, 10, 1, {})\n"
            "assert(table.concat(u, ',') == '0,1,2,3,4,5,6,7,8,9')\n"
            "assert(select('#', table.unpack(t)) == 1000)\n"
            "assert(table.remove(t, 1) == 0 and #t == 999)\n"
            "assert(('ab'):rep(3, '-') == 'ab-ab-ab')\n"
            "assert(('xaby'):find('ab') == 2)\n"
            "return { name = string.rep('r', 3), drivers = { { plugin = 'sim' "
            "} } }\n");
        T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
        T_CHECK(lab && strcmp(lab->name, "rrr") == 0);
        lab_free(lab);
    }
    /* Memory. */
    fails_with("memory.lua", "local s = string.rep('x', 1e9)\nreturn {}\n",
               ": out of memory");
    fails_with("memory2.lua",
               "local t = {}\nfor i = 1, 1e9 do t[i] = i end\nreturn t\n",
               ": out of memory");
    /* Deep recursion is an ordinary error. */
    fails_with("recurse.lua",
               "local function f(n) return f(n + 1) + 1 end\nreturn f(1)\n",
               "recurse.lua");

    /* Smaller limits, as the fuzzer uses them. */
    lab_set_limits((size_t)1 << 20, 100000, 0);
    fails_with("small.lua", "local s = string.rep('x', 2e6)\nreturn {}\n",
               "out of memory (a lab file may use at most 1 MiB)");
    fails_with("small2.lua", "for i = 1, 1e6 do end\nreturn {}\n",
               "instruction budget of 100000 exceeded");
    /* Few instructions, each working over 900 kB in C: the CPU budget ends
     * it (fuzz_lab's limits give this about 57,000 calls, minutes under
     * ASan, inside the instruction budget). */
    lab_set_limits((size_t)4 << 20, 200000, 20000000ull);
    fails_with("slow.lua",
               "local s = ('x'):rep(9e5)\n"
               "for i = 1, 1e9 do local t = s:upper() end\nreturn {}\n",
               "slow.lua:2: CPU time budget of 20 ms exceeded");
    lab_set_limits(0, 0, 0);
    char err[512];
    struct lab *lab = NULL;
    const char *path =
        write_lab("big.lua", "for i = 1, 1e6 do end\n"
                             "local s = string.rep('x', 2e6)\n"
                             "return { drivers = { { plugin = 'sim' } } }\n");
    T_CHECK(lab_load_file(path, &lab, err, sizeof err) == 0);
    lab_free(lab);
}

static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/wattson-labtest-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    test_valid();
    test_defaults();
    test_default_lab();
    test_host_lab();
    test_string();
    test_errors();
    test_sandbox();
    test_limits();
    cleanup();
    return t_done("test_lab");
}
