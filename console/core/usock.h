/*
 * usock - a listening Unix socket that wattson creates for a server (the
 * vGPU request API's, run/vgserve.h; the IPC listener's, core/ipcsrv.h)
 * without harming what is at its path:
 *  - it is created owner-only (umask 0177 around bind: mode 0600 from the
 *    first moment, so another user never sees it connectable);
 *  - a PATH that exists and is not a socket is never removed (refused),
 *    nor a socket owned by another user, nor one a live server answers; a
 *    stale socket of ours (connection refused) is replaced, logged;
 *  - at close only the socket it made is removed: one put at PATH since
 *    (another inode) is someone else's.
 */
#ifndef WATTSON_USOCK_H
#define WATTSON_USOCK_H

#include <stddef.h>
#include <sys/types.h>

struct usock {
    int fd; /* listening, non-blocking, close-on-exec; -1 when closed */
    char path[108];
    dev_t dev;
    ino_t ino;
};

/* Listens at `path` with socket type `type` (SOCK_STREAM, SOCK_SEQPACKET)
 * and a backlog of `backlog`.  `opt` names the option in messages
 * ("--vgpu-socket").  0, or -1 with "OPT PATH: why" in err and u->fd -1. */
int usock_listen(struct usock *u, const char *path, int type, int backlog,
                 const char *opt, char *err, size_t errlen);
/* Closes the socket and removes its path if it is still the one it made. */
void usock_close(struct usock *u);

#endif
