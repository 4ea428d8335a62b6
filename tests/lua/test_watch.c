/*
 * test_watch - the policy file watcher against a real loop and real files
 * in a temporary directory, saved the ways editors save.
 *
 * Timing: checks never assert on durations, only "within a generous
 * timeout" (3 s for an expected request) and "nothing within 400 ms" for
 * an expected silence (twice the debounce window).
 */
#include "lua/watch.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/loop.h"
#include "t.h"

static const int EXPECT_MS = 3000;
static const int QUIET_MS = 400;

static int n_warn;

static void count_sink(void *arg, int level, const char *msg)
{
    (void)arg;
    (void)msg;
    if (level == LOG_WARN)
        n_warn++;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

struct fx {
    char dir[64];
    char path[256];
    struct loop *l;
    struct watch *w;
};

static void fx_file(const struct fx *f, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", f->dir, name);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    int rc = write(fd, text, len) == (ssize_t)len ? 0 : -1;
    return close(fd) == 0 ? rc : -1;
}

/* Creates the directory (and the policy file if `text`), then the loop
 * and the watch. */
static int fx_open(struct fx *f, const char *text)
{
    char err[512];
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wattson-watch-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    fx_file(f, "policy.lua", f->path, sizeof f->path);
    if (text && write_file(f->path, text) != 0)
        return -1;
    f->l = loop_new(err, sizeof err);
    if (!f->l)
        return -1;
    f->w = watch_new(f->l, f->path, err, sizeof err);
    if (!f->w)
        fprintf(stderr, "watch_new: %s\n", err);
    return f->w ? 0 : -1;
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            rm_tree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

/* The documented order: the watch first (it ends its registrations). */
static void fx_close(struct fx *f)
{
    watch_free(f->w);
    loop_free(f->l);
    rm_tree(f->dir);
}

/* Runs the loop for `ms`, polling every 5 ms; returns the requests seen. */
static int pump(struct fx *f, int ms)
{
    int n = 0;
    uint64_t end = clock_mono_ns() + (uint64_t)ms * 1000000u;
    while (clock_mono_ns() < end) {
        loop_poll(f->l);
        n += watch_take(f->w);
        sleep_ms(5);
    }
    return n;
}

/* Runs the loop until a request arrives (1) or `ms` pass (0). */
static int wait_request(struct fx *f, int ms)
{
    uint64_t end = clock_mono_ns() + (uint64_t)ms * 1000000u;
    while (clock_mono_ns() < end) {
        loop_poll(f->l);
        if (watch_take(f->w))
            return 1;
        sleep_ms(5);
    }
    return 0;
}

static int read_is(const struct fx *f, const char *want)
{
    char *text = NULL, err[512];
    size_t len = 0;
    if (watch_read(f->w, &text, &len, err, sizeof err) != 0)
        return 0;
    int ok = len == strlen(want) && memcmp(text, want, len) == 0;
    free(text);
    return ok;
}

static void test_new_errors(void)
{
    struct fx f;
    T_CHECK(fx_open(&f, "return {}\n") == 0);
    char err[512], p[300];
    snprintf(p, sizeof p, "%s/no/such/policy.lua", f.dir);
    T_CHECK(watch_new(f.l, p, err, sizeof err) == NULL);
    T_CHECK(strstr(err, "directory missing") != NULL);
    T_CHECK(strstr(err, "no/such") != NULL);
    snprintf(p, sizeof p, "%s/", f.dir);
    T_CHECK(watch_new(f.l, p, err, sizeof err) == NULL);
    T_CHECK(watch_new(f.l, "", err, sizeof err) == NULL);
    /* A file where the directory should be. */
    snprintf(p, sizeof p, "%s/policy.lua/x.lua", f.dir);
    T_CHECK(watch_new(f.l, p, err, sizeof err) == NULL);

    T_STREQ(watch_path(f.w), f.path);
    T_CHECK(watch_exists(f.w) == 1);
    T_CHECK(watch_polling(f.w) == 0);
    T_CHECK(watch_take(f.w) == 0); /* nothing pending at start */
    T_CHECK(pump(&f, QUIET_MS) == 0);
    fx_close(&f);
}

static void test_in_place(void)
{
    struct fx f;
    T_CHECK(fx_open(&f, "return 1\n") == 0);
    T_CHECK(write_file(f.path, "return 2\n") == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(pump(&f, QUIET_MS) == 0); /* exactly one */
    T_CHECK(read_is(&f, "return 2\n"));
    fx_close(&f);
}

static void test_rename_over(void)
{
    struct fx f;
    char tmp[300];
    T_CHECK(fx_open(&f, "return 1\n") == 0);
    fx_file(&f, ".policy.lua.tmp.123", tmp, sizeof tmp);
    T_CHECK(write_file(tmp, "return 'renamed'\n") == 0);
    T_CHECK(rename(tmp, f.path) == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(pump(&f, QUIET_MS) == 0);
    T_CHECK(read_is(&f, "return 'renamed'\n"));
    fx_close(&f);
}

static void test_vim_save(void)
{
    struct fx f;
    char swp[300], bak[300], swx[300];
    T_CHECK(fx_open(&f, "return 1\n") == 0);
    fx_file(&f, ".policy.lua.swp", swp, sizeof swp);
    fx_file(&f, ".policy.lua.swx", swx, sizeof swx);
    fx_file(&f, "policy.lua~", bak, sizeof bak);

    /* Noise alone: swap files come and go, a backup appears. */
    T_CHECK(write_file(swp, "swap") == 0);
    T_CHECK(write_file(swx, "swap") == 0);
    T_CHECK(unlink(swx) == 0);
    T_CHECK(write_file(bak, "old") == 0);
    T_CHECK(unlink(bak) == 0);
    T_CHECK(pump(&f, QUIET_MS) == 0);

    /* The save: original to backup, new file, backup deleted. */
    T_CHECK(write_file(swp, "swap 2") == 0);
    T_CHECK(rename(f.path, bak) == 0);
    T_CHECK(write_file(f.path, "return 'vim'\n") == 0);
    T_CHECK(unlink(bak) == 0);
    T_CHECK(unlink(swp) == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(pump(&f, QUIET_MS) == 0);
    T_CHECK(read_is(&f, "return 'vim'\n"));
    fx_close(&f);
}

static void test_delete_recreate(void)
{
    struct fx f;
    T_CHECK(fx_open(&f, "return 1\n") == 0);
    T_CHECK(unlink(f.path) == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(watch_exists(f.w) == 0);
    char *text = (char *)"untouched", err[512];
    size_t len = 7;
    T_CHECK(watch_read(f.w, &text, &len, err, sizeof err) == -1);
    T_CHECK(text == NULL);
    char want[400];
    snprintf(want, sizeof want, "%s: source missing", f.path);
    T_STREQ(err, want);
    T_CHECK(pump(&f, QUIET_MS) == 0);

    T_CHECK(write_file(f.path, "return 'back'\n") == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(watch_exists(f.w) == 1);
    T_CHECK(read_is(&f, "return 'back'\n"));
    T_CHECK(pump(&f, QUIET_MS) == 0);
    fx_close(&f);
}

static void test_missing_at_start(void)
{
    struct fx f;
    T_CHECK(fx_open(&f, NULL) == 0);
    T_CHECK(watch_exists(f.w) == 0);
    T_CHECK(pump(&f, QUIET_MS) == 0);
    T_CHECK(write_file(f.path, "return 'new'\n") == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(watch_exists(f.w) == 1);
    fx_close(&f);
}

static void test_burst(void)
{
    struct fx f;
    T_CHECK(fx_open(&f, "return 0\n") == 0);
    char text[64];
    int during = 0;
    uint64_t t0 = clock_mono_ns();
    for (int i = 1; i <= 100; i++) {
        snprintf(text, sizeof text, "return %d\n", i);
        T_CHECK(write_file(f.path, text) == 0);
        during += pump(&f, 8);
    }
    uint64_t elapsed_ms = (clock_mono_ns() - t0) / 1000000u;
    int after = pump(&f, 1000);
    fprintf(stderr,
            "test_watch: burst of 100 saves in %llu ms: %d requests "
            "during, %d after\n",
            (unsigned long long)elapsed_ms, during, after);
    T_CHECK((uint64_t)during <= elapsed_ms / 200 + 1);
    T_CHECK(after <= 1);
    T_CHECK(during + after >= 1);
    T_CHECK(read_is(&f, "return 100\n"));
    fx_close(&f);
}

static void test_unrelated(void)
{
    struct fx f;
    char other[300], near[300], sub[300];
    T_CHECK(fx_open(&f, "return 1\n") == 0);
    fx_file(&f, "other.lua", other, sizeof other);
    fx_file(&f, "policy.lua.bak", near, sizeof near);
    fx_file(&f, "sub", sub, sizeof sub);
    T_CHECK(write_file(other, "x") == 0);
    T_CHECK(write_file(near, "x") == 0);
    T_CHECK(rename(other, sub) == 0);
    T_CHECK(unlink(sub) == 0);
    T_CHECK(mkdir(sub, 0755) == 0);
    T_CHECK(pump(&f, QUIET_MS) == 0);
    /* Reading the file is not a change either. */
    T_CHECK(read_is(&f, "return 1\n"));
    T_CHECK(pump(&f, QUIET_MS) == 0);
    fx_close(&f);
}

static void test_request(void)
{
    struct fx f;
    T_CHECK(fx_open(&f, "return 1\n") == 0);
    watch_request(f.w);
    T_CHECK(watch_take(f.w) == 1); /* no loop pass, no debounce */
    T_CHECK(watch_take(f.w) == 0);
    watch_request(f.w);
    watch_request(f.w);
    T_CHECK(watch_take(f.w) == 1);
    T_CHECK(watch_take(f.w) == 0);
    fx_close(&f);
}

/* The directory goes away (IN_DELETE_SELF, IN_IGNORED): polling, one
 * warning; when it comes back the file is found and inotify resumes. */
static void test_dir_lost(void)
{
    struct fx f;
    char err[512];
    T_CHECK(fx_open(&f, NULL) == 0);
    /* Watch a file in a subdirectory we can remove. */
    char sub[300], path[400];
    fx_file(&f, "d", sub, sizeof sub);
    snprintf(path, sizeof path, "%s/policy.lua", sub);
    T_CHECK(mkdir(sub, 0755) == 0);
    T_CHECK(write_file(path, "return 1\n") == 0);
    struct watch *w0 = f.w;
    f.w = watch_new(f.l, path, err, sizeof err);
    T_CHECK(f.w != NULL);
    if (!f.w) {
        f.w = w0;
        fx_close(&f);
        return;
    }

    int warn0 = n_warn;
    T_CHECK(unlink(path) == 0);
    T_CHECK(rmdir(sub) == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1); /* the file went away */
    T_CHECK(watch_polling(f.w) == 1);
    T_CHECK(watch_exists(f.w) == 0);
    T_CHECK(n_warn == warn0 + 1);
    T_CHECK(pump(&f, QUIET_MS) == 0);
    T_CHECK(n_warn == warn0 + 1); /* said once, not per poll */

    T_CHECK(mkdir(sub, 0755) == 0);
    T_CHECK(write_file(path, "return 'again'\n") == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(watch_exists(f.w) == 1);
    T_CHECK(read_is(&(struct fx){.w = f.w}, "return 'again'\n"));
    /* Re-armed on the recreated directory. */
    for (int i = 0; i < EXPECT_MS / 50 && watch_polling(f.w); i++)
        pump(&f, 50);
    T_CHECK(watch_polling(f.w) == 0);
    pump(&f, QUIET_MS);
    T_CHECK(write_file(path, "return 3\n") == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(pump(&f, QUIET_MS) == 0);

    /* Free order: both watches, then the loop. */
    watch_free(f.w);
    watch_free(w0);
    loop_free(f.l);
    rm_tree(f.dir);
}

/* No inotify at all: the poll alone sees every kind of change. */
static void test_forced_polling(void)
{
    struct fx f;
    char tmp[300];
    T_CHECK(fx_open(&f, "return 1\n") == 0);
    int warn0 = n_warn;
    watch_use_polling(f.w);
    T_CHECK(watch_polling(f.w) == 1);
    T_CHECK(n_warn == warn0); /* chosen, not a failure */
    T_CHECK(pump(&f, QUIET_MS) == 0);

    T_CHECK(write_file(f.path, "return 22\n") == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(pump(&f, QUIET_MS) == 0);
    T_CHECK(read_is(&f, "return 22\n"));

    fx_file(&f, "tmp", tmp, sizeof tmp);
    T_CHECK(write_file(tmp, "return 33\n") == 0); /* same size: new inode */
    T_CHECK(rename(tmp, f.path) == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);

    T_CHECK(unlink(f.path) == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(watch_exists(f.w) == 0);
    T_CHECK(watch_polling(f.w) == 1); /* never re-armed */
    fx_close(&f);
}

/* More events than the kernel queues (IN_Q_OVERFLOW) while the loop is not
 * polled: polling with one warning and a request (a change may have been
 * lost), then inotify again.  Skipped if the queue limit is large. */
static void test_overflow(void)
{
    long limit = 0;
    FILE *q = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    if (q) {
        if (fscanf(q, "%ld", &limit) != 1)
            limit = 0;
        fclose(q);
    }
    if (limit <= 0 || limit > 100000) {
        t_skip("test_watch: inotify queue limit %ld: overflow not tested",
               limit);
        return;
    }
    struct fx f;
    char noise[300];
    T_CHECK(fx_open(&f, "return 1\n") == 0);
    fx_file(&f, "noise", noise, sizeof noise);
    int warn0 = n_warn;
    /* create + close-write + delete: three events each. */
    for (long i = 0; i < limit / 3 + 100; i++) {
        int fd = open(noise, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            close(fd);
        unlink(noise);
    }
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    T_CHECK(n_warn == warn0 + 1);
    for (int i = 0; i < EXPECT_MS / 50 && watch_polling(f.w); i++)
        pump(&f, 50);
    T_CHECK(watch_polling(f.w) == 0); /* re-armed */
    T_CHECK(pump(&f, QUIET_MS) == 0);
    T_CHECK(write_file(f.path, "return 2\n") == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    fx_close(&f);
}

static void test_size_cap(void)
{
    struct fx f;
    T_CHECK(fx_open(&f, "") == 0);
    char *text = NULL, err[512];
    size_t len = 99;
    T_CHECK(watch_read(f.w, &text, &len, err, sizeof err) == 0);
    T_CHECK(text && len == 0 && text[0] == '\0');
    free(text);

    size_t max = watch_max_size;
    T_CHECK(max == 1048576);
    char *big = malloc(max + 2);
    T_CHECK(big != NULL);
    if (!big) {
        fx_close(&f);
        return;
    }
    memset(big, '-', max + 1);
    big[max] = '\0';
    T_CHECK(write_file(f.path, big) == 0); /* exactly the cap: fine */
    T_CHECK(watch_read(f.w, &text, &len, err, sizeof err) == 0);
    T_CHECK(len == max);
    T_CHECK(text && text[max] == '\0' && text[max - 1] == '-');
    free(text);

    big[max] = '-';
    big[max + 1] = '\0';
    T_CHECK(write_file(f.path, big) == 0); /* one byte over */
    text = NULL;
    T_CHECK(watch_read(f.w, &text, &len, err, sizeof err) == -1);
    T_CHECK(text == NULL);
    T_CHECK(strstr(err, f.path) == err);
    T_CHECK(strstr(err, "1048576") != NULL);
    T_CHECK(strstr(err, "1 MiB") != NULL);
    free(big);

    /* Not a regular file. */
    T_CHECK(unlink(f.path) == 0);
    T_CHECK(mkdir(f.path, 0755) == 0);
    T_CHECK(watch_read(f.w, &text, &len, err, sizeof err) == -1);
    T_CHECK(strstr(err, "not a regular file") != NULL);
    fx_close(&f);
}

static void test_hash(void)
{
    const char a[] = "return { decide = function() end }\n";
    const char b[] = "return { decide = function() end }\n";
    const char c[] = "return { decide = function() end } \n";
    T_CHECK(watch_hash(a, strlen(a)) == watch_hash(b, strlen(b)));
    T_CHECK(watch_hash(a, strlen(a)) != watch_hash(c, strlen(c)));
    T_CHECK(watch_hash(a, strlen(a)) != watch_hash(a, strlen(a) - 1));
    T_CHECK(watch_hash("", 0) == 14695981039346656037u); /* FNV offset */
    T_CHECK(watch_hash("a", 1) == 0xaf63dc4c8601ec8cu);  /* FNV-1a vector */
}

/* Open descriptors of this process. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* Watches come and go on one loop (a console switching policies): each
 * freed watch hands back its loop slots and its inotify descriptor, so
 * 200 of them, more than the loop's 16 slots, all register, and the
 * survivor still sees changes. */
static void test_many_watches(void)
{
    struct fx f;
    T_CHECK(fx_open(&f, "return 1\n") == 0);
    size_t base = loop_n_registered(f.l);
    int fds = open_fds();
    T_CHECK(base == 2); /* the fixture's watch: timer and inotify fd */
    for (int i = 0; i < 200; i++) {
        char err[256];
        struct watch *w = watch_new(f.l, f.path, err, sizeof err);
        T_CHECK(w != NULL);
        if (!w)
            break;
        T_CHECK(loop_n_registered(f.l) == base + 2);
        T_CHECK(loop_poll(f.l) == 0);
        watch_free(w);
        T_CHECK(loop_n_registered(f.l) == base);
    }
    T_CHECK(open_fds() == fds);
    pump(&f, QUIET_MS);
    T_CHECK(write_file(f.path, "return 2\n") == 0);
    T_CHECK(wait_request(&f, EXPECT_MS) == 1);
    fx_close(&f);
}

int main(void)
{
    log_set_sink(count_sink, NULL);
    test_many_watches();
    test_new_errors();
    test_request();
    test_hash();
    test_size_cap();
    test_in_place();
    test_rename_over();
    test_vim_save();
    test_delete_recreate();
    test_missing_at_start();
    test_unrelated();
    test_burst();
    test_dir_lost();
    test_forced_polling();
    test_overflow();
    log_set_sink(NULL, NULL);
    return t_done("test_watch");
}
