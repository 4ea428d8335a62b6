/*
 * netaddr - see netaddr.h.
 */
#include "core/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int netaddr_parse(const char *addr, unsigned example_port,
                  struct sockaddr_storage *ss, int *sslen, char *err,
                  size_t errlen)
{
    char host[64];
    const char *orig = addr ? addr : "";
    const char *colon = addr ? strrchr(addr, ':') : NULL;
    char *end = NULL;
    const unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    size_t hl = colon ? (size_t)(colon - addr) : 0;
    memset(ss, 0, sizeof *ss);
    if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
        addr++; /* [v6]:port */
        hl -= 2;
    }
    /* strtoul takes a sign and leading blanks: only digits are a port. */
    int ok = colon && hl > 0 && hl < sizeof host && colon[1] >= '0' &&
             colon[1] <= '9' && end && !*end && port <= 65535;
    if (ok) {
        memcpy(host, addr, hl);
        host[hl] = '\0';
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET, host, &in->sin_addr) == 1) {
            in->sin_family = AF_INET;
            in->sin_port = htons((uint16_t)port);
            *sslen = (int)sizeof *in;
        } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons((uint16_t)port);
            *sslen = (int)sizeof *in6;
        } else
            ok = 0;
    }
    if (!ok) {
        snprintf(err, errlen,
                 "'%s': not an address with a port, such as 127.0.0.1:%u "
                 "or [::1]:%u (numbers only, no names)",
                 orig, example_port, example_port);
        return -1;
    }
    return 0;
}

void netaddr_format(const struct sockaddr *sa, char *buf, size_t len)
{
    char host[64] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
        snprintf(buf, len, "%s:%u", host, (unsigned)ntohs(in->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
        snprintf(buf, len, "[%s]:%u", host, (unsigned)ntohs(in6->sin6_port));
    } else
        snprintf(buf, len, "?");
}

unsigned netaddr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    return 0;
}
