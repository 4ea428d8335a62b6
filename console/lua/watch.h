/*
 * watch - notices that a Lua policy file changed on disk, so the policy
 * host can reload it while wattson runs.
 *
 * The watcher only says "read the file again"; it never reads or
 * compiles on its own.  The host calls watch_take() between ticks; when it
 * returns 1 the host calls watch_read(), hashes the text with watch_hash()
 * and skips content equal to the active or last rejected version (so a
 * spurious request, e.g. after a touch or an inotify overflow, costs one
 * read and one hash).
 *
 * Changes are seen through inotify on the file's directory and, as a
 * safety net, a slow stat poll; bursts of events are debounced into one
 * request.  See watch.c for the reasons.
 *
 * Lifetime: the watch registers a file descriptor and a timer with the
 * loop, and watch_free() ends both registrations, so a watch can be freed
 * at any time between ticks (a console that switches policies frees the
 * old watch, and a rejected try its new one, at once).  Call watch_free()
 * BEFORE loop_free(): it needs the loop.
 */
#ifndef WATTSON_WATCH_H
#define WATTSON_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct watch;

/* The largest policy file watch_read() accepts, in bytes (1 MiB). */
extern const size_t watch_max_size;

/* Starts watching `path` (through its directory) on loop `l`.  The file
 * itself need not exist yet (its creation is a change); its directory
 * must.  No request is pending at start: the host loads the first version
 * itself.  Returns NULL with a message in `err` on failure.  If inotify is
 * unavailable the watch still works, by polling (watch_polling() says so
 * and a warning is logged). */
struct watch *watch_new(struct loop *l, const char *path, char *err,
                        size_t errlen);

/* 1 when a reload is due (a debounced change or a watch_request()), and
 * clears it; 0 otherwise. */
int watch_take(struct watch *w);

/* Asks for a reload now (SIGHUP, a console key): pending at once, no
 * debounce. */
void watch_request(struct watch *w);

/* 1 if the file exists now (a stat, not a cached answer). */
int watch_exists(const struct watch *w);

/* 1 while inotify is not in use (never started, watch lost, queue
 * overflow, watch_use_polling()) and changes are found by the fast poll. */
int watch_polling(const struct watch *w);

/* Gives up inotify for good and polls instead: for file systems where
 * inotify is known to miss changes (some network mounts), and for tests. */
void watch_use_polling(struct watch *w);

/* The path given to watch_new(). */
const char *watch_path(const struct watch *w);

/* Reads the whole file: returns 0 with a malloc'd, NUL-terminated buffer
 * in *text (the caller frees it) and its length (without the NUL) in *len;
 * or -1 with "FILE: reason" in `err` ("FILE: source missing" when the file
 * does not exist; files over watch_max_size are refused). */
int watch_read(const struct watch *w, char **text, size_t *len, char *err,
               size_t errlen);

/* Content hash (FNV-1a, 64 bits) to compare versions of a policy. */
uint64_t watch_hash(const char *text, size_t len);

/* Ends the watch's loop registrations, closes its inotify descriptor and
 * frees it.  Call it before loop_free() (see above).  NULL is fine. */
void watch_free(struct watch *w);

#endif
