/*
 * fuzz_ipcsrv - libFuzzer target for the IPC listener's datagram path
 * (core/ipcsrv.c, ipcsrv_feed: what a malicious local client can send
 * to wattson's socket).  The input's first byte says whether the
 * "connection" is the pid the datagram's header names or another; the
 * rest is one datagram.  Never a crash; a refusal counts one malformed
 * datagram and takes no event; an accepted datagram counts its events,
 * the ring never holds more than it can, and what is taken is what was
 * counted less the overflow and the receive events dropped as duplicates
 * (none here: the fuzzer's listener has no connection).  A taken event
 * is the reporter's: its src (a send) or its dst (a receive, counted in
 * ipcsrv_recv_events) is the connection's pid.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ipcsrv.h"
#include "core/summary.h"
#include "wattson/ipcwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ipcsrv *s;
    static struct summary sum;
    static struct wattson_ipc_event ev[64];
    char err[256], why[160];
    if (!s && ipcsrv_start(&s, NULL, NULL, 0, &sum, err, sizeof err) != 0)
        abort();
    if (size < 1)
        return 0;
    uint32_t pid = size >= 13 ? ipcwire_get32(data + 1 + 8) : 0;
    if (data[0] & 1)
        pid++; /* a sender naming another process */
    struct summary before = sum;
    why[0] = '\0';
    int rc = ipcsrv_feed(s, pid, data + 1, size - 1, why, sizeof why);
    if (rc != 0) {
        if (!why[0] || strchr(why, '\n') ||
            sum.ipcsrv_malformed != before.ipcsrv_malformed + 1 ||
            sum.ipcsrv_events != before.ipcsrv_events)
            abort();
        return 0;
    }
    uint64_t n = sum.ipcsrv_events - before.ipcsrv_events;
    if (n > IPCWIRE_MAX_EVENTS ||
        sum.ipcsrv_malformed != before.ipcsrv_malformed)
        abort();
    uint64_t kept = n - (sum.ipcsrv_overflow - before.ipcsrv_overflow) -
                    (sum.ipcsrv_recv_dup - before.ipcsrv_recv_dup),
             got = 0, recv = 0;
    size_t k;
    while ((k = ipcsrv_take(s, ev, 64)) > 0) {
        for (size_t i = 0; i < k; i++) {
            if ((ev[i].src_pid != pid && ev[i].dst_pid != pid) ||
                ev[i].type >= WATTSON_IPC__N || !(ev[i].t >= 0))
                abort();
            recv += ev[i].src_pid != pid;
        }
        got += k;
    }
    if (got != kept || sum.ipcsrv_recv_dup != before.ipcsrv_recv_dup ||
        recv > sum.ipcsrv_recv_events - before.ipcsrv_recv_events)
        abort();
    return 0;
}
