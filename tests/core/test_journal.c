/*
 * test_journal - the saved-controls journal (core/journal.c): exact
 * %.17g round trip of awkward doubles through format/parse and through an
 * atomic write and read, every refusal of the strict parser with its
 * FILE:LINE message, what the adders refuse, removal only by the owner,
 * the run directory's resolution and the owner-alive test.
 */
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/journal.h"
#include "t.h"

static const double awkward[] = {
    0.1,
    1.0 / 3.0,
    3.5e9,
    42,
    -0.0,
    5e-324, /* the smallest subnormal */
    2.2250738585072014e-308,
    DBL_MAX,
    -DBL_MAX,
    1.0000000000000002, /* nextafter(1, 2) */
    123456789.123456789,
    -7.25e-5,
};
#define N_AWKWARD (sizeof awkward / sizeof awkward[0])

static void fill(struct journal *j)
{
    memset(j, 0, sizeof *j);
    j->pid = 4242;
    j->start = 1700000000;
    T_CHECK(journal_set_lab(j, "/labs/my lab.lua") == 0);
    T_CHECK(journal_add_dir(j, "/opt/wattson plugins") == 0);
    T_CHECK(journal_add_dir(j, "/usr/lib/wattson") == 0);
    T_CHECK(journal_add_dir(j, "/usr/lib/wattson") == 0); /* once only */
    T_CHECK(j->n_dirs == 2);
    T_CHECK(journal_add_env(j, "WATTSON_SYSFS_ROOT", "/srv/fake sys") == 0);
    for (size_t i = 0; i < N_AWKWARD; i++) {
        char ctl[32];
        snprintf(ctl, sizeof ctl, "ctl%zu", i);
        T_CHECK(journal_add_control(j, "cpufreq", "cpu0", ctl, awkward[i]) ==
                0);
    }
}

static int same(const struct journal *a, const struct journal *b)
{
    if (a->pid != b->pid || a->start != b->start || strcmp(a->lab, b->lab) ||
        a->n_dirs != b->n_dirs || a->n_env != b->n_env || a->n_ctl != b->n_ctl)
        return 0;
    for (size_t i = 0; i < a->n_dirs; i++)
        if (strcmp(a->dirs[i], b->dirs[i]))
            return 0;
    for (size_t i = 0; i < a->n_env; i++)
        if (strcmp(a->env[i].name, b->env[i].name) ||
            strcmp(a->env[i].value, b->env[i].value))
            return 0;
    for (size_t i = 0; i < a->n_ctl; i++) {
        const struct journal_control *x = &a->ctl[i], *y = &b->ctl[i];
        /* bit for bit: -0.0 must stay -0.0 */
        if (strcmp(x->plugin, y->plugin) || strcmp(x->device, y->device) ||
            strcmp(x->control, y->control) ||
            memcmp(&x->value, &y->value, sizeof x->value))
            return 0;
    }
    return 1;
}

static void test_roundtrip(void)
{
    struct journal j, back;
    char err[256];
    size_t len;
    fill(&j);
    char *text = journal_format(&j, &len);
    T_CHECK(text != NULL);
    if (!text)
        return;
    T_CHECK(strlen(text) == len);
    T_CHECK(strncmp(text,
                    "wattson-journal 1\npid 4242\nstart 1700000000\n"
                    "lab /labs/my lab.lua\n",
                    60) == 0);
    T_CHECK(strstr(text, "\ncontrol cpufreq cpu0 ctl2 3500000000\n") != NULL);
    T_CHECK(strstr(text, "\ncontrol cpufreq cpu0 ctl0 0.10000000000000001\n") !=
            NULL);
    T_CHECK(len > 4 && strcmp(text + len - 4, "end\n") == 0);
    T_CHECK(journal_parse("j", text, len, &back, err, sizeof err) == 0);
    T_CHECK(same(&j, &back));
    for (size_t i = 0; i < N_AWKWARD && i < back.n_ctl; i++)
        T_CHECK(memcmp(&back.ctl[i].value, &awkward[i], sizeof(double)) == 0);
    journal_free(&back);
    free(text);
    journal_free(&j);

    /* The embedded lab, no dirs, no env, no controls. */
    memset(&j, 0, sizeof j);
    j.pid = 1;
    T_CHECK(journal_set_lab(&j, "(embedded)") == 0);
    text = journal_format(&j, &len);
    T_CHECK(text && strcmp(text, "wattson-journal 1\npid 1\nstart 0\n"
                                 "lab (embedded)\nend\n") == 0);
    T_CHECK(journal_parse("j", text, len, &back, err, sizeof err) == 0);
    T_CHECK(same(&j, &back));
    journal_free(&back);
    free(text);
    journal_free(&j);
}

/* `text` is refused with "j:LINE: ..." containing `want`. */
static void bad(const char *text, size_t line, const char *want)
{
    struct journal j;
    char err[512], prefix[32];
    err[0] = '\0';
    int rc = journal_parse("j", text, strlen(text), &j, err, sizeof err);
    snprintf(prefix, sizeof prefix, "j:%zu: ", line);
    T_CHECK(rc == -1);
    int ok = strncmp(err, prefix, strlen(prefix)) == 0 &&
             strstr(err, want) != NULL && !strchr(err, '\n');
    if (!ok)
        fprintf(stderr, "journal '%s': message '%s', wanted '%s...%s'\n", text,
                err, prefix, want);
    T_CHECK(ok);
    T_CHECK(j.lab == NULL && j.n_ctl == 0 && j.ctl == NULL);
}

#define HEAD "wattson-journal 1\npid 7\nstart 5\nlab /l.lua\n"

static void test_errors(void)
{
    bad("", 1, "empty file");
    bad("wattson-journal 2\n", 1, "version 2, this wattson reads version 1");
    bad("wattson-journal x\n", 1, "bad journal version");
    bad("hello\n", 1, "not a wattson journal");
    bad("wattson-journal 1", 1, "no newline");
    bad("wattson-journal 1\r\n", 1, "carriage return");
    bad("wattson-journal 1\n\n", 2, "empty line");
    bad("wattson-journal 1\nstart 5\n", 2, "expected 'pid N'");
    bad("wattson-journal 1\npid 0\n", 2, "positive process id");
    bad("wattson-journal 1\npid -3\n", 2, "positive process id");
    bad("wattson-journal 1\npid 99999999999\n", 2, "positive process id");
    bad("wattson-journal 1\npid 7\nlab /x\n", 3, "expected 'start N'");
    bad("wattson-journal 1\npid 7\nstart 1.5\n", 3, "seconds since 1970");
    bad("wattson-journal 1\npid 7\nstart 5\nlab rel/lab.lua\n", 4,
        "absolute path");
    bad("wattson-journal 1\npid 7\nstart 5\nlab \n", 4, "absolute path");
    bad(HEAD, 4, "truncated: no 'end' line");
    bad(HEAD "control p d c 1\n", 5, "truncated");
    bad(HEAD "end\nend\n", 6, "text after the 'end' line");
    bad(HEAD "end x\n", 5, "'end' takes nothing");
    bad(HEAD "pid 8\nend\n", 5, "unknown line 'pid'");
    bad(HEAD "plugin-dir rel\nend\n", 5, "absolute directory");
    bad(HEAD "plugin-dir /a\nplugin-dir /a\nend\n", 6, "listed twice");
    bad(HEAD "plugin-dir\nend\n", 5, "needs a value");
    bad(HEAD "env HOME /root\nend\n", 5, "not a driver variable");
    bad(HEAD "env WATTSON_SYSFS_ROOT\nend\n", 5, "expected NAME VALUE");
    bad(HEAD "env WATTSON_SYSFS_ROOT \nend\n", 5, "expected NAME VALUE");
    bad(HEAD "env WATTSON_SYSFS_ROOT /a\nenv WATTSON_SYSFS_ROOT /b\nend\n", 6,
        "listed twice");
    bad(HEAD "control p d c 1\nplugin-dir /a\nend\n", 6,
        "'plugin-dir' after 'control' lines");
    bad(HEAD "control p d c 1\nenv WATTSON_NVML_LIB x\nend\n", 6,
        "'env' after 'control' lines");
    bad(HEAD "env WATTSON_NVML_LIB x\nplugin-dir /a\nend\n", 6,
        "'plugin-dir' after 'env' lines");
    bad(HEAD "control p d c\nend\n", 5, "PLUGIN DEVICE CONTROL VALUE");
    bad(HEAD "control p d c 1 2\nend\n", 5, "PLUGIN DEVICE CONTROL VALUE");
    bad(HEAD "control p  d c 1\nend\n", 5, "PLUGIN DEVICE CONTROL VALUE");
    bad(HEAD "control p d c 1 \nend\n", 5, "PLUGIN DEVICE CONTROL VALUE");
    bad(HEAD "control p d\tx c 1\nend\n", 5, "PLUGIN DEVICE CONTROL VALUE");
    bad(HEAD "control p d c nan\nend\n", 5, "not a finite decimal");
    bad(HEAD "control p d c inf\nend\n", 5, "not a finite decimal");
    bad(HEAD "control p d c 1e999\nend\n", 5, "not a finite decimal");
    bad(HEAD "control p d c 0x10\nend\n", 5, "not a finite decimal");
    bad(HEAD "control p d c 1.5.2\nend\n", 5, "not a finite decimal");
    bad(HEAD "control p d c 1\ncontrol p d c 2\nend\n", 6, "d.c listed twice");
    bad(HEAD "frobnicate\nend\n", 5, "unknown line 'frobnicate'");
    {
        char nul[] = HEAD "control p d c 1\nend\n";
        struct journal j;
        char err[256];
        nul[sizeof HEAD + 3] = '\0'; /* inside line 5 */
        T_CHECK(journal_parse("j", nul, sizeof nul - 1, &j, err, sizeof err) ==
                -1);
        T_CHECK(strncmp(err, "j:5: NUL byte", 13) == 0);
    }
    {
        /* A line longer than the limit is refused before it is looked at. */
        size_t n = JOURNAL_MAX_LINE + 100;
        char *big = malloc(sizeof HEAD + n + 8);
        if (big) {
            memcpy(big, HEAD, sizeof HEAD - 1);
            memset(big + sizeof HEAD - 1, 'x', n);
            memcpy(big + sizeof HEAD - 1 + n, "\nend\n", 6);
            bad(big, 5, "line longer than");
            free(big);
        }
    }
    /* The good ones right next to those: both body orders' extremes. */
    struct journal j;
    char err[256];
    const char *good = HEAD "plugin-dir /a b\nenv WATTSON_NVML_LIB /x/libn.so\n"
                            "control p d c -1.5e-300\nend\n";
    T_CHECK(journal_parse("j", good, strlen(good), &j, err, sizeof err) == 0);
    T_CHECK(j.n_dirs == 1 && strcmp(j.dirs[0], "/a b") == 0);
    T_CHECK(j.n_env == 1 && strcmp(j.env[0].value, "/x/libn.so") == 0);
    T_CHECK(j.n_ctl == 1 && j.ctl[0].value == -1.5e-300);
    journal_free(&j);
}

static void test_adders(void)
{
    struct journal j = {0};
    T_CHECK(journal_add_control(&j, "p", "dev 0", "c", 1) == -1 &&
            errno == EINVAL);
    T_CHECK(journal_add_control(&j, "p", "d", "", 1) == -1);
    T_CHECK(journal_add_control(&j, "p", "d", "c", NAN) == -1);
    T_CHECK(journal_add_control(&j, "p", "d", "c", INFINITY) == -1);
    T_CHECK(journal_add_dir(&j, "/a\nb") == -1);
    T_CHECK(journal_add_dir(&j, "relative") == -1);
    T_CHECK(journal_add_env(&j, "PATH", "/bin") == -1);
    T_CHECK(journal_add_env(&j, "WATTSON_NVML_LIB", "") == -1);
    T_CHECK(journal_set_lab(&j, "lab.lua") == -1);
    T_CHECK(journal_set_lab(&j, "/a\n/b") == -1);
    T_CHECK(j.n_ctl == 0 && j.n_dirs == 0 && j.n_env == 0 && !j.lab);
    /* No lab or pid: nothing to format. */
    size_t len;
    T_CHECK(journal_format(&j, &len) == NULL && errno == EINVAL);
    journal_free(&j);
}

static void test_files(void)
{
    char dir[] = "/tmp/wattson-journal-XXXXXX";
    char path[256], err[512];
    struct journal j, back;
    if (!mkdtemp(dir)) {
        T_CHECK(0);
        return;
    }
    journal_path(dir, path, sizeof path);
    T_CHECK(strstr(path, "/saved-controls") != NULL);
    T_CHECK(journal_read(path, &back, err, sizeof err) == 1);

    fill(&j);
    j.pid = (long)getpid();
    T_CHECK(journal_write(path, &j, err, sizeof err) == 0);
    struct stat st;
    T_CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    T_CHECK(t_dir_entries(dir) == 1); /* no temp file left */
    T_CHECK(journal_read(path, &back, err, sizeof err) == 0);
    T_CHECK(same(&j, &back));
    journal_free(&back);
    /* Overwritten atomically by the next write. */
    j.ctl[0].value = 7.5;
    T_CHECK(journal_write(path, &j, err, sizeof err) == 0);
    T_CHECK(journal_read(path, &back, err, sizeof err) == 0);
    T_CHECK(back.n_ctl > 0 && back.ctl[0].value == 7.5);
    journal_free(&back);
    T_CHECK(t_dir_entries(dir) == 1);

    /* Removed only by its owner. */
    T_CHECK(journal_remove_own(path, (long)getpid() + 1) == 0);
    T_CHECK(access(path, F_OK) == 0);
    T_CHECK(journal_remove_own(path, (long)getpid()) == 1);
    T_CHECK(access(path, F_OK) != 0);
    T_CHECK(journal_remove_own(path, (long)getpid()) == 0);
    T_CHECK(journal_remove(path) == 0); /* already gone: fine */

    /* A malformed file names itself and the line. */
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("wattson-journal 1\npid 12\nstart x\n", f);
        fclose(f);
    }
    T_CHECK(journal_read(path, &back, err, sizeof err) == -1);
    char want[300];
    snprintf(want, sizeof want, "%s:3: ", path);
    T_CHECK(strncmp(err, want, strlen(want)) == 0);
    T_CHECK(journal_remove(path) == 0);

    /* An unwritable place: -1, the path and the reason, nothing left. */
    char file[256], inside[300];
    snprintf(file, sizeof file, "%s/afile", dir);
    f = fopen(file, "w");
    if (f)
        fclose(f);
    journal_path(file, inside, sizeof inside);
    T_CHECK(journal_write(inside, &j, err, sizeof err) == -1);
    T_CHECK(strncmp(err, inside, strlen(inside)) == 0);
    T_CHECK(strstr(err, strerror(ENOTDIR)) != NULL);
    T_CHECK(journal_read(inside, &back, err, sizeof err) == 1);
    unlink(file);
    journal_free(&j);

    /* The run directory: --run-dir, then $WATTSON_RUN_DIR. */
    char buf[256], sub[256];
    int expl = -1;
    snprintf(sub, sizeof sub, "%s/run", dir);
    T_CHECK(journal_run_dir(sub, buf, sizeof buf, &expl, err, sizeof err) ==
            buf);
    T_CHECK(strcmp(buf, sub) == 0 && expl == 1);
    T_CHECK(stat(sub, &st) == 0 && S_ISDIR(st.st_mode) &&
            (st.st_mode & 0777) == 0700);
    setenv("WATTSON_RUN_DIR", sub, 1);
    T_CHECK(journal_run_dir(NULL, buf, sizeof buf, &expl, err, sizeof err) ==
            buf);
    T_CHECK(strcmp(buf, sub) == 0 && expl == 0);
    unsetenv("WATTSON_RUN_DIR");
    journal_path("/x/y/", buf, sizeof buf);
    T_STREQ(buf, "/x/y/saved-controls");
    rmdir(sub);
    rmdir(dir);
}

static void test_owner(void)
{
    T_CHECK(journal_owner_alive((long)getpid()) == 1);
    T_CHECK(journal_owner_alive(0) == 0);
    T_CHECK(journal_owner_alive(-5) == 0);
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    int status;
    waitpid(child, &status, 0);
    T_CHECK(journal_owner_alive((long)child) == 0);
}

/* What is not a journal of ours is refused at once, never waited on. */
static void test_untrusted(void)
{
    char dir[] = "/tmp/wattson-journal-XXXXXX";
    char path[256], err[1024], buf[512], sub[512];
    struct journal j;
    int expl;
    if (!mkdtemp(dir)) {
        T_CHECK(0);
        return;
    }
    journal_path(dir, path, sizeof path);
    /* A FIFO: before the fix open() blocked forever (no writer). */
    T_CHECK(mkfifo(path, 0600) == 0);
    T_CHECK(journal_read(path, &j, err, sizeof err) == -1);
    T_CHECK(strstr(err, "not a regular file (a FIFO)") != NULL);
    T_CHECK(journal_remove_own(path, (long)getpid()) == 0);
    T_CHECK(unlink(path) == 0);
    /* A symbolic link, even to a good journal. */
    char target[300];
    snprintf(target, sizeof target, "%s/real", dir);
    struct journal good = {0};
    fill(&good);
    good.pid = (long)getpid();
    T_CHECK(journal_write(target, &good, err, sizeof err) == 0);
    T_CHECK(symlink(target, path) == 0);
    T_CHECK(journal_read(path, &j, err, sizeof err) == -1);
    T_CHECK(strstr(err, "symbolic link") != NULL);
    T_CHECK(journal_remove_own(path, (long)getpid()) == 0);
    T_CHECK(access(target, F_OK) == 0);
    T_CHECK(unlink(path) == 0);
    /* Writable by others: anyone could have put values in it. */
    T_CHECK(rename(target, path) == 0);
    T_CHECK(chmod(path, 0622) == 0);
    T_CHECK(journal_read(path, &j, err, sizeof err) == -1);
    T_CHECK(strstr(err, "writable by others") != NULL);
    T_CHECK(chmod(path, 0620) == 0);
    T_CHECK(journal_read(path, &j, err, sizeof err) == -1);
    T_CHECK(strstr(err, "writable by its group") != NULL);
    T_CHECK(chmod(path, 0600) == 0);
    T_CHECK(journal_read(path, &j, err, sizeof err) == 0);
    journal_free(&j);
    if (geteuid() == 0) {
        /* Another user's journal, read by root. */
        T_CHECK(chown(path, 65534, 65534) == 0);
        T_CHECK(journal_read(path, &j, err, sizeof err) == -1);
        T_CHECK(strstr(err, "owned by uid 65534") != NULL);
    } else {
        t_skip("test_journal: not root: another user's journal is tested "
               "only as root");
    }
    T_CHECK(unlink(path) == 0);
    journal_free(&good);

    /* A run directory others can write is refused, whoever names it. */
    snprintf(sub, sizeof sub, "%s/open", dir);
    T_CHECK(mkdir(sub, 0700) == 0 && chmod(sub, 0777) == 0);
    T_CHECK(journal_run_dir(sub, buf, sizeof buf, &expl, err, sizeof err) ==
            NULL);
    T_CHECK(strstr(err, "writable by others") != NULL);
    T_CHECK(strstr(err, "refusing it as the run directory") != NULL);
    setenv("WATTSON_RUN_DIR", sub, 1);
    T_CHECK(journal_run_dir(NULL, buf, sizeof buf, &expl, err, sizeof err) ==
            NULL);
    unsetenv("WATTSON_RUN_DIR");
    /* ...and one below a directory others can write (not sticky). */
    char inner[600];
    snprintf(inner, sizeof inner, "%s/inner", sub);
    T_CHECK(mkdir(inner, 0700) == 0);
    T_CHECK(journal_run_dir(inner, buf, sizeof buf, &expl, err, sizeof err) ==
            NULL);
    T_CHECK(strstr(err, "writable by others") != NULL);
    T_CHECK(strstr(err, "above") != NULL);
    rmdir(inner);
    rmdir(sub);
    /* /tmp itself: root's, but everyone's to write. */
    T_CHECK(journal_run_dir("/tmp", buf, sizeof buf, &expl, err, sizeof err) ==
            NULL);
    if (geteuid() == 0) {
        snprintf(sub, sizeof sub, "%s/theirs", dir);
        T_CHECK(mkdir(sub, 0700) == 0 && chown(sub, 65534, 65534) == 0);
        T_CHECK(journal_run_dir(sub, buf, sizeof buf, &expl, err, sizeof err) ==
                NULL);
        T_CHECK(strstr(err, "owned by uid 65534") != NULL);
        rmdir(sub);
    } else {
        t_skip("test_journal: not root: another user's run directory is "
               "tested only as root");
    }
    rmdir(dir);
}

/* Temporary files of writers killed mid-write are removed; a live
 * writer's (and our own) are not. */
static void test_clean_tmp(void)
{
    char dir[] = "/tmp/wattson-journal-XXXXXX";
    char path[300];
    if (!mkdtemp(dir)) {
        T_CHECK(0);
        return;
    }
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    int p[2];
    T_CHECK(pipe(p) == 0);
    pid_t live = fork(); /* the same program: a live "wattson" */
    if (live == 0) {
        char c;
        close(p[1]);
        while (read(p[0], &c, 1) < 0)
            ;
        _exit(0);
    }
    close(p[0]);
    long pids[] = {(long)dead, (long)live, (long)getpid()};
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/saved-controls.tmp.%ld", dir, pids[i]);
        FILE *f = fopen(path, "w");
        if (f)
            fclose(f);
    }
    snprintf(path, sizeof path, "%s/saved-controls.tmp.x", dir);
    FILE *f = fopen(path, "w");
    if (f)
        fclose(f);
    T_CHECK(t_dir_entries(dir) == 4);
    T_CHECK(journal_clean_tmp(dir) == 1);
    T_CHECK(t_dir_entries(dir) == 3);
    snprintf(path, sizeof path, "%s/saved-controls.tmp.%ld", dir, (long)dead);
    T_CHECK(access(path, F_OK) != 0);
    close(p[1]);
    waitpid(live, NULL, 0);
    T_CHECK(journal_clean_tmp(dir) == 1); /* now it is dead too */
    T_CHECK(journal_clean_tmp("/nonexistent-dir") == 0);
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

int main(void)
{
    test_roundtrip();
    test_errors();
    test_adders();
    test_files();
    test_owner();
    test_untrusted();
    test_clean_tmp();
    return t_done("test_journal");
}
