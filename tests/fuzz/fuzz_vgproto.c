/*
 * fuzz_vgproto - libFuzzer target for the vGPU API's request lines
 * (console/core/vgproto.c): the input is split into lines, each parsed.
 * Every line must parse or give an ERR code with a one-line message;
 * what parses must hold what the protocol promises (a known verb and
 * type, an amount finite and > 0, a limit >= 0) and survive
 * vgproto_format_req -> vgproto_parse unchanged; every ERR line must be
 * one printable line.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/vgproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    size_t pos = 0;
    while (pos < size) {
        const char *nl = memchr(buf + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (buf + pos)) : size - pos;
        struct vgproto_req rq, back;
        char msg[256], line[WVG_LINE_MAX], errl[300];
        msg[0] = '\0';
        int rc = vgproto_parse(buf + pos, len, &rq, msg, sizeof msg);
        pos += len + (nl ? 1 : 0);
        if (rc != VGPROTO_OK) {
            if (!vgproto_code_name(rc) || !msg[0] || strchr(msg, '\n'))
                abort();
            int n = vgproto_format_err(errl, sizeof errl, rc, msg);
            if (n <= 0 || errl[n - 1] != '\n' ||
                memchr(errl, '\n', (size_t)n - 1))
                abort();
            continue;
        }
        if (rq.verb < VGPROTO_REQUEST || rq.verb > VGPROTO_LIMIT)
            abort();
        if (rq.verb != VGPROTO_AVAILABLE &&
            (rq.type < 0 || rq.type >= WVG_NTYPES || !isfinite(rq.amount) ||
             rq.amount < 0 || (rq.amount == 0 && rq.verb != VGPROTO_LIMIT)))
            abort();
        int n = vgproto_format_req(&rq, line, sizeof line);
        if (n <= 0 || line[n - 1] != '\n')
            abort();
        if (vgproto_parse(line, (size_t)n - 1, &back, msg, sizeof msg) !=
                VGPROTO_OK ||
            back.verb != rq.verb || back.type != rq.type ||
            back.amount != rq.amount || strcmp(back.gpu, rq.gpu) != 0)
            abort();
    }
    return 0;
}
