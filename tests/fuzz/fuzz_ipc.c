/*
 * fuzz_ipc - libFuzzer target for the IPC event text format
 * (console/core/ipcfmt.c): the input is split into lines and fed to a
 * reader.  Every line must be an event, a skip or a refusal with a
 * one-line message, never a crash; every accepted event must satisfy what
 * the format promises (t finite, >= 0, not decreasing; a known type) and
 * must survive ipcfmt_format_line -> ipcfmt_parse_line unchanged.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ipcfmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct ipcfmt_reader r;
    size_t pos = 0;
    double prev = -1;

    ipcfmt_reader_init(&r, "fuzz");
    while (pos < size) {
        const char *nl = memchr(buf + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (buf + pos)) : size - pos;
        struct wattson_ipc_event ev, back;
        char err[256], line[IPCFMT_LINE_MAX], err2[256];

        err[0] = '\0';
        int rc = ipcfmt_reader_next(&r, buf + pos, len, &ev, err, sizeof err);
        pos += len + (nl ? 1 : 0);
        if (rc < 0) {
            if (err[0] == '\0' || memchr(err, '\n', strlen(err)))
                abort(); /* one non-empty line */
            continue;
        }
        if (rc == 0)
            continue;
        if (rc != 1 || !isfinite(ev.t) || !(ev.t >= 0) || ev.t < prev ||
            ev.type >= WATTSON_IPC__N)
            abort();
        prev = ev.t;
        int n = ipcfmt_format_line(&ev, line, sizeof line);
        if (n <= 0 || line[n - 1] != '\n')
            abort();
        if (ipcfmt_parse_line(line, (size_t)n, &back, err2, sizeof err2) != 1 ||
            back.t != ev.t || back.src_pid != ev.src_pid ||
            back.dst_pid != ev.dst_pid || back.bytes != ev.bytes ||
            back.type != ev.type)
            abort();
    }
    return 0;
}
