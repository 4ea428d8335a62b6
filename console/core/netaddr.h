/*
 * netaddr - the numeric "HOST:PORT" addresses wattson listens on and
 * connects to (`offload --listen/--connect`, `--metrics`): an IPv4
 * address, or an IPv6 one in brackets, then a port.  Names are never
 * looked up: a listener's address is what the user typed, not what a
 * resolver made of it.
 */
#ifndef WATTSON_NETADDR_H
#define WATTSON_NETADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Parses addr into *ss (*sslen its length).  0, or -1 with one line
 * naming addr and an example that uses `example_port`. */
int netaddr_parse(const char *addr, unsigned example_port,
                  struct sockaddr_storage *ss, int *sslen, char *err,
                  size_t errlen);

/* "HOST:PORT" (IPv6 in brackets) of sa into buf. */
void netaddr_format(const struct sockaddr *sa, char *buf, size_t len);

/* The port of an AF_INET or AF_INET6 address (host order). */
unsigned netaddr_port(const struct sockaddr_storage *ss);

#endif
