/*
 * test_graphchk - METIS's own tools on what gpmetis_write produces: for
 * every shared PipeDream profile, Debian's graphchk (package metis) says
 * the file's format is correct, and gpmetis splits it into 4 parts, one
 * part number per vertex.  Skipped (77) when graphchk or gpmetis is not
 * installed or the shared profiles are absent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "part/gpmetis.h"
#include "part/mgraph.h"
#include "part/pdprof.h"
#include "t.h"

static const char *const profiles[] = {
    "alexnet",  "densenet121", "gnmt",          "inception_v3",
    "resnet18", "resnet50",    "squeezenet1_0", "vgg16"};

/* Whether `prog` is an executable in $PATH. */
static int on_path(const char *prog)
{
    const char *path = getenv("PATH");
    char buf[1024];
    while (path && *path) {
        const char *colon = strchr(path, ':');
        const size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
        if (n && access(buf, X_OK) == 0)
            return 1;
        path = colon ? colon + 1 : NULL;
    }
    return 0;
}

/* Runs `cmd`, its output (stdout and stderr) into out: its status. */
static int run(const char *cmd, char *out, size_t outlen)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (!p)
        return -1;
    while (n + 1 < outlen) {
        const size_t got = fread(out + n, 1, outlen - 1 - n, p);
        if (got == 0)
            break;
        n += got;
    }
    out[n] = '\0';
    char sink[256];
    while (fread(sink, 1, sizeof sink, p) > 0) {
    }
    return pclose(p);
}

static void check_profile(const char *dir, const char *data, const char *name)
{
    char path[700], out_path[600], cmd[1400], err[256], out[8192];
    struct mgraph g;
    snprintf(path, sizeof path, "%s/pipedream-profiles/%s.txt", data, name);
    if (pdprof_read_file(path, &g, err, sizeof err) != 0) {
        T_CHECK(0);
        fprintf(stderr, "  %s\n", err);
        return;
    }
    snprintf(out_path, sizeof out_path, "%s/%s.graph", dir, name);
    T_CHECK(gpmetis_write_file(out_path, &g, NULL, err, sizeof err) == 0);
    snprintf(cmd, sizeof cmd, "graphchk '%s' 2>&1", out_path);
    run(cmd, out, sizeof out);
    /* graphchk exits 0 also on a bad graph: its verdict is its text */
    const int ok = strstr(out, "The format of the graph is correct!") != NULL;
    T_CHECK(ok);
    if (!ok)
        fprintf(stderr, "%s\n", out);

    snprintf(cmd, sizeof cmd, "cd '%s' && gpmetis '%s.graph' 4 2>&1", dir,
             name);
    const int st = run(cmd, out, sizeof out);
    T_CHECK(st == 0);
    snprintf(path, sizeof path, "%s.part.4", out_path);
    FILE *f = fopen(path, "r");
    size_t lines = 0;
    int part, parts_ok = 1;
    while (f && fscanf(f, "%d", &part) == 1) {
        lines++;
        parts_ok &= part >= 0 && part < 4;
    }
    T_CHECK(f && lines == g.n && parts_ok);
    const char *cut = strstr(out, "Edgecut:");
    fprintf(stderr, "  %-14s graphchk %s, gpmetis 4 parts: %.40s\n", name,
            ok ? "correct" : "REFUSED", cut ? cut : "(no edgecut line)");
    if (f)
        fclose(f);
    unlink(path);
    unlink(out_path);
    mgraph_free(&g);
}

int main(void)
{
    const char *data = getenv("WATTSON_SHARED_DATA");
    char probe[512];
    data = data && *data ? data : "../shared/data";
    snprintf(probe, sizeof probe, "%s/pipedream-profiles/resnet18.txt", data);
    if (!on_path("graphchk") || !on_path("gpmetis")) {
        t_skip("graphchk: METIS's programs not installed (Debian: metis)");
    } else if (access(probe, R_OK) != 0) {
        t_skip("graphchk: no shared profiles at %s", probe);
    } else {
        char dir[] = "/tmp/wattson-graphchk-XXXXXX";
        T_CHECK(mkdtemp(dir) != NULL);
        for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++)
            check_profile(dir, data, profiles[i]);
        T_CHECK(t_dir_entries(dir) == 0);
        rmdir(dir);
    }
    return t_done("test_graphchk");
}
