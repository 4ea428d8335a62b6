/*
 * ipcpeer.h - what an fd is and who is at its other end (ipcpeer.c), for
 * the IPC interception library (ipcwrap.c).  Async-signal-safe: no stdio,
 * no allocation, no lock.
 */
#ifndef WATTSON_IPCPEER_H
#define WATTSON_IPCPEER_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define IPCPEER_NOTYET 0u    /* not connected yet: ask again at the next send */
#define IPCPEER_NOTIPC 0xffu /* a file, a tty, another host: never IPC */
#define IPCPEER_TENTATIVE 1u /* destination the parent or none: ask again */
#define IPCPEER_PERCALL 2u   /* unconnected UDP: IPC per sendto address */
/* A pipe's/FIFO's/queue's answer looked up for a read: pid is its writer,
 * not its reader. */
#define IPCPEER_READSIDE 4u

struct ipcpeer {
    uint32_t pid;   /* the destination, 0 unknown */
    unsigned kind;  /* an enum ipcwire_transport, or IPCPEER_NOTYET/NOTIPC */
    unsigned flags; /* IPCPEER_TENTATIVE, IPCPEER_PERCALL, IPCPEER_READSIDE */
};

/* Looks fd up (mq: a message queue descriptor) for process self, whose
 * parent is parent, for a send (reading 0: the pipe's reader) or a
 * receive (reading 1: the pipe's writer; sockets: the same peer either
 * way); prev: the answer a tentative earlier look-up found (0: none, or
 * the first look-up).  System calls, /proc scans: see ipcpeer.c. */
struct ipcpeer ipcpeer_probe(int fd, int mq, int reading, pid_t self,
                             pid_t parent, uint32_t prev);

/* An AF_INET/AF_INET6 loopback address (v4-mapped included). */
int ipcpeer_is_loopback(const struct sockaddr *sa);

/* close(2) by the system call, past the library's own close wrapper. */
int ipcpeer_close(int fd);

#endif
