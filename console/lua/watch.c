/*
 * watch - see watch.h.
 *
 * Why the directory and not the file: editors save in different ways.
 * Some rewrite the file in place; many write a temporary file and rename
 * it over the original (atomic replace); vim renames the original to a
 * backup, writes a new file under the old name and deletes the backup.
 * A watch on the file follows its inode, so after a rename it watches the
 * backup (or a deleted inode) and never sees the new version.  A watch on
 * the directory sees every name come and go; we keep the events whose name
 * is the file's base name and ignore the rest (swap files, backups,
 * unrelated files).
 *
 * Why no IN_MODIFY: it fires on every write(2), i.e. in the middle of a
 * save, when the file may be half written.  IN_CLOSE_WRITE (in-place
 * rewrite done), IN_MOVED_TO / IN_CREATE (a new file took the name),
 * IN_DELETE / IN_MOVED_FROM (the name went away) mark the ends of saves.
 *
 * Why debounce: one save is several events (vim: create, close-write,
 * moves, deletes), and tools may save many times in a row.  Every event
 * that counts restarts a 200 ms window of monotonic time; the request is
 * issued once the window passes quietly, so a burst gives one reload and
 * two requests are always at least one window apart.  A reload that still
 * lands mid-burst is harmless: the host hashes the content and a broken
 * half-written version is rejected and then replaced by the next request.
 *
 * Why a poll as well: inotify does not see changes made by other machines
 * on network file systems, nor changes to the target of a symlinked policy
 * file, and its queue can overflow.  A stat of the file every 2 s
 * (existence, device, inode, size, mtime) catches what it missed.  When
 * inotify cannot be used at all (init failed, queue overflow, the
 * directory was deleted or moved so the watch is gone) we poll every
 * 250 ms instead, say so once, and on each poll try to put the inotify
 * watch back on the directory by name (it may have been recreated).
 * Invariant: polling <=> no inotify watch is armed.
 *
 * Everything runs from the loop's callbacks (the inotify fd and one 50 ms
 * timer), which the loop runs between ticks; watch_take() is how the host
 * picks the result up.  The timer, not the fd callback, ends debounce
 * windows and runs polls, so all timing uses one clock (clock_mono_ns).
 */
#include "lua/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/loop.h"

const size_t watch_max_size = (size_t)1 << 20;

static const uint64_t WATCH_MS = 1000000u;
/* A burst of events ends after this much quiet. */
static const uint64_t WATCH_DEBOUNCE_MS = 200;
/* The timer's period bounds how late a debounce window is noticed. */
static const uint64_t WATCH_TIMER_MS = 50;
/* Safety-net poll while inotify works; a stat every 2 s is nothing. */
static const uint64_t WATCH_SLOW_POLL_MS = 2000;
/* Poll while inotify does not work: fast enough to feel live when
 * editing, slow enough to cost nothing. */
static const uint64_t WATCH_FAST_POLL_MS = 250;

/* Events on the directory that can mean "the file under our name changed"
 * (see the top), and the ones that mean the directory itself went away. */
static const uint32_t WATCH_MASK = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE |
                                   IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |
                                   IN_MOVE_SELF | IN_ONLYDIR;

/* What the poll compares: any difference is a change. */
struct watch_snap {
    int exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim;
};

struct watch {
    struct loop *loop;
    char *path; /* as given */
    char *dir;  /* its directory ("." when none was given) */
    char *base; /* its last component: the name events must carry */

    int fd;        /* inotify instance, -1 if none */
    int no_fd;     /* the loop refused the fd: do not try again */
    int fd_id;     /* the loop's registrations (loop_remove at free), */
    int timer_id;  /* -1 if none */
    int wd;        /* watch on dir, -1 if none */
    dev_t dir_dev; /* identity of the directory the watch is on, to */
    ino_t dir_ino; /* notice it was replaced behind our back */
    int polling;   /* == (wd < 0); kept to log transitions once */
    int forced;    /* watch_use_polling(): never re-arm */

    int pending;            /* a reload is due (watch_take) */
    int debouncing;         /* a window is open */
    uint64_t last_event_ns; /* last event that counted */
    uint64_t next_poll_ns;
    struct watch_snap snap; /* the file as last seen */
};

static void snap_take(const char *path, struct watch_snap *s)
{
    struct stat sb;
    memset(s, 0, sizeof *s);
    if (stat(path, &sb) != 0)
        return;
    s->exists = 1;
    s->dev = sb.st_dev;
    s->ino = sb.st_ino;
    s->size = sb.st_size;
    s->mtim = sb.st_mtim;
}

static int snap_equal(const struct watch_snap *a, const struct watch_snap *b)
{
    if (a->exists != b->exists)
        return 0;
    if (!a->exists)
        return 1;
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtim.tv_sec == b->mtim.tv_sec &&
           a->mtim.tv_nsec == b->mtim.tv_nsec;
}

/* Opens (or extends) a debounce window. */
static void note_change(struct watch *w, uint64_t now)
{
    w->debouncing = 1;
    w->last_event_ns = now;
}

static void drop_watch(struct watch *w)
{
    /* After IN_IGNORED the kernel has already removed it; the call then
     * fails harmlessly. */
    if (w->wd >= 0 && w->fd >= 0)
        inotify_rm_watch(w->fd, w->wd);
    w->wd = -1;
}

/* inotify is gone or unreliable: poll fast from now on, and assume the
 * file may have changed while we were not looking. */
static void fall_back(struct watch *w, uint64_t now, const char *why)
{
    drop_watch(w);
    if (!w->polling) {
        w->polling = 1;
        log_msg(LOG_WARN, "policy watch: %s: %s; polling every %u ms", w->dir,
                why, (unsigned)WATCH_FAST_POLL_MS);
    }
    w->next_poll_ns = now + WATCH_FAST_POLL_MS * WATCH_MS;
    note_change(w, now);
}

static void on_inotify(void *arg);

/* Puts an inotify watch on the directory.  Returns 0, or -1 with errno
 * describing why not. */
static int arm(struct watch *w)
{
    if (w->fd < 0) {
        if (w->no_fd) {
            errno = EBUSY;
            return -1;
        }
        w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (w->fd < 0)
            return -1;
        /* Registered once for the watch's life: the fd stays open until
         * watch_free, which ends the registration. */
        w->fd_id = loop_add_fd(w->loop, w->fd, on_inotify, w);
        if (w->fd_id < 0) {
            close(w->fd);
            w->fd = -1;
            w->no_fd = 1;
            errno = EBUSY;
            return -1;
        }
    }
    /* Identity first, then the watch: if the directory is swapped in
     * between, the recorded identity is the old one and the next poll
     * re-arms, rather than trusting a watch on a stale directory. */
    struct stat sb;
    if (stat(w->dir, &sb) != 0)
        return -1;
    if (!S_ISDIR(sb.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    int wd = inotify_add_watch(w->fd, w->dir, WATCH_MASK);
    if (wd < 0)
        return -1;
    w->wd = wd;
    w->dir_dev = sb.st_dev;
    w->dir_ino = sb.st_ino;
    return 0;
}

/* 1 if the directory under our name is still the one being watched. */
static int dir_same(const struct watch *w)
{
    struct stat sb;
    return stat(w->dir, &sb) == 0 && sb.st_dev == w->dir_dev &&
           sb.st_ino == w->dir_ino;
}

static void poll_now(struct watch *w, uint64_t now)
{
    if (!w->forced) {
        if (w->wd < 0) {
            /* Re-arm before the stat, so a change after the stat is seen
             * by inotify and one before it by the comparison below. */
            if (arm(w) == 0) {
                w->polling = 0;
                log_msg(LOG_INFO, "policy watch: %s: inotify watch restored",
                        w->dir);
            }
        } else if (!dir_same(w)) {
            /* A parent was renamed, or the directory replaced without an
             * event on the watched inode: the watch is on the wrong one. */
            fall_back(w, now, "directory moved or replaced");
        }
    }
    struct watch_snap s;
    snap_take(w->path, &s);
    if (!snap_equal(&s, &w->snap)) {
        w->snap = s;
        note_change(w, now);
    }
    w->next_poll_ns =
        now + (w->polling ? WATCH_FAST_POLL_MS : WATCH_SLOW_POLL_MS) * WATCH_MS;
}

static void on_timer(void *arg)
{
    struct watch *w = arg;
    uint64_t now = clock_mono_ns();
    if (now >= w->next_poll_ns)
        poll_now(w, now);
    if (w->debouncing &&
        now - w->last_event_ns >= WATCH_DEBOUNCE_MS * WATCH_MS) {
        w->debouncing = 0;
        w->pending = 1;
        /* The host is about to read this version; the poll must not
         * report it again as a change. */
        snap_take(w->path, &w->snap);
    }
}

static void on_event(struct watch *w, const struct inotify_event *ev,
                     uint64_t now)
{
    if (ev->mask & IN_Q_OVERFLOW) {
        fall_back(w, now, "inotify queue overflowed");
        return;
    }
    /* Events of a watch we already dropped are still queued; ignore. */
    if (w->wd < 0 || ev->wd != w->wd)
        return;
    if (ev->mask & IN_IGNORED) {
        w->wd = -1; /* the kernel removed it */
        fall_back(w, now,
                  "inotify watch lost (directory deleted or unmounted)");
        return;
    }
    if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        /* After a move the watch would follow the directory to its new
         * name; we want the name, so drop it and re-arm by path. */
        fall_back(w, now, "directory deleted or moved");
        return;
    }
    if (ev->len > 0 && strcmp(ev->name, w->base) == 0)
        note_change(w, now);
}

static void on_inotify(void *arg)
{
    struct watch *w = arg;
    _Alignas(struct inotify_event) char buf[4096];
    uint64_t now = clock_mono_ns();
    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EAGAIN: drained */
        for (size_t off = 0; off + sizeof(struct inotify_event) <= (size_t)n;) {
            const struct inotify_event *ev =
                (const struct inotify_event *)(buf + off);
            on_event(w, ev, now);
            off += sizeof(struct inotify_event) + ev->len;
        }
    }
}

struct watch *watch_new(struct loop *l, const char *path, char *err,
                        size_t errlen)
{
    size_t n = path ? strlen(path) : 0;
    if (n == 0 || path[n - 1] == '/') {
        snprintf(err, errlen, "%s: not a file name", path ? path : "(null)");
        return NULL;
    }
    if (n >= PATH_MAX) {
        snprintf(err, errlen, "%.64s...: path too long", path);
        return NULL;
    }
    struct watch *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    w->loop = l;
    w->fd = -1;
    w->wd = -1;
    w->fd_id = -1;
    w->timer_id = -1;
    const char *slash = strrchr(path, '/');
    w->path = strdup(path);
    if (!slash) {
        w->dir = strdup(".");
        w->base = strdup(path);
    } else {
        size_t dn = slash == path ? 1 : (size_t)(slash - path);
        w->dir = strndup(path, dn);
        w->base = strdup(slash + 1);
    }
    if (!w->path || !w->dir || !w->base) {
        snprintf(err, errlen, "%s: out of memory", path);
        watch_free(w);
        return NULL;
    }

    struct stat sb;
    int bad = 0;
    if (stat(w->dir, &sb) != 0) {
        bad = 1;
        if (errno == ENOENT || errno == ENOTDIR)
            snprintf(err, errlen, "%s: directory missing", w->dir);
        else
            snprintf(err, errlen, "%s: %s", w->dir, strerror(errno));
    } else if (!S_ISDIR(sb.st_mode)) {
        bad = 1;
        snprintf(err, errlen, "%s: not a directory", w->dir);
    }
    if (bad) {
        watch_free(w);
        return NULL;
    }

    /* The timer first: if the loop refuses it the watch is useless.
     * After it, failures only degrade (to polling). */
    w->timer_id = loop_add_timer(l, WATCH_TIMER_MS * WATCH_MS, on_timer, w);
    if (w->timer_id < 0) {
        snprintf(err, errlen, "%s: cannot register the watch timer", path);
        watch_free(w);
        return NULL;
    }
    snap_take(w->path, &w->snap);
    uint64_t now = clock_mono_ns();
    if (arm(w) != 0) {
        w->polling = 1;
        log_msg(LOG_WARN,
                "policy watch: %s: inotify unavailable (%s); polling every "
                "%u ms",
                w->dir, strerror(errno), (unsigned)WATCH_FAST_POLL_MS);
    }
    w->next_poll_ns =
        now + (w->polling ? WATCH_FAST_POLL_MS : WATCH_SLOW_POLL_MS) * WATCH_MS;
    return w;
}

int watch_take(struct watch *w)
{
    int p = w->pending;
    w->pending = 0;
    return p;
}

void watch_request(struct watch *w)
{
    w->pending = 1;
}

int watch_exists(const struct watch *w)
{
    struct stat sb;
    return stat(w->path, &sb) == 0;
}

int watch_polling(const struct watch *w)
{
    return w->polling;
}

void watch_use_polling(struct watch *w)
{
    w->forced = 1;
    drop_watch(w);
    if (!w->polling) {
        w->polling = 1;
        log_msg(LOG_INFO, "policy watch: %s: polling every %u ms", w->dir,
                (unsigned)WATCH_FAST_POLL_MS);
    }
    uint64_t due = clock_mono_ns() + WATCH_FAST_POLL_MS * WATCH_MS;
    if (w->next_poll_ns > due)
        w->next_poll_ns = due;
}

const char *watch_path(const struct watch *w)
{
    return w->path;
}

int watch_read(const struct watch *w, char **text, size_t *len, char *err,
               size_t errlen)
{
    *text = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO put under the policy's name must not hang the
     * console; regular files ignore it. */
    int fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            snprintf(err, errlen, "%s: source missing", w->path);
        else
            snprintf(err, errlen, "%s: %s", w->path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", w->path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", w->path);
        close(fd);
        return -1;
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > watch_max_size) {
        snprintf(err, errlen, "%s: larger than the %zu-byte (1 MiB) limit",
                 w->path, watch_max_size);
        close(fd);
        return -1;
    }
    /* The size is a hint: the file may grow while we read (a save in
     * progress), so read to EOF and keep enforcing the cap. */
    size_t cap = (size_t)sb.st_size + 1, used = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", w->path);
        close(fd);
        return -1;
    }
    for (;;) {
        if (used == cap) {
            if (used > watch_max_size)
                break;
            size_t ncap =
                cap * 2 > watch_max_size + 1 ? watch_max_size + 1 : cap * 2;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                snprintf(err, errlen, "%s: out of memory", w->path);
                free(buf);
                close(fd);
                return -1;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, buf + used, cap - used);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            snprintf(err, errlen, "%s: %s", w->path, strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (r == 0)
            break;
        used += (size_t)r;
    }
    close(fd);
    if (used > watch_max_size) {
        snprintf(err, errlen, "%s: larger than the %zu-byte (1 MiB) limit",
                 w->path, watch_max_size);
        free(buf);
        return -1;
    }
    buf[used] = '\0';
    *text = buf;
    *len = used;
    return 0;
}

uint64_t watch_hash(const char *text, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 1099511628211u;
    }
    return h;
}

void watch_free(struct watch *w)
{
    if (!w)
        return;
    /* The registrations first, so the loop never calls back into freed
     * memory nor polls a closed (maybe reused) descriptor. */
    loop_remove(w->loop, w->timer_id);
    loop_remove(w->loop, w->fd_id);
    if (w->fd >= 0)
        close(w->fd); /* drops the watch with it */
    free(w->path);
    free(w->dir);
    free(w->base);
    free(w);
}
