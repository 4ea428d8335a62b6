/*
 * test_ipcfmt - the IPC event text format (core/ipcfmt.c): good lines,
 * comments and blanks, every bad field with a message naming it, the
 * limits of each integer, times going backwards in a stream, the writer's
 * round trip, and no allocation.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "allocount.h"
#include "core/ipcfmt.h"
#include "t.h"

static int parse(const char *s, struct wattson_ipc_event *ev, char *err,
                 size_t errlen)
{
    err[0] = '\0';
    return ipcfmt_parse_line(s, strlen(s), ev, err, errlen);
}

/* The line is refused with a message containing `want`. */
static void bad(const char *line, const char *want)
{
    struct wattson_ipc_event ev = {1, 2, 3, 4, 1};
    char err[256];
    int rc = parse(line, &ev, err, sizeof err);
    T_CHECK(rc == -1);
    if (!strstr(err, want))
        fprintf(stderr, "line '%s': message '%s' lacks '%s'\n", line, err,
                want);
    T_CHECK(strstr(err, want) != NULL);
    T_CHECK(strchr(err, '\n') == NULL);
    /* The event is untouched on error. */
    T_CHECK(ev.t == 1 && ev.src_pid == 2 && ev.dst_pid == 3 && ev.bytes == 4 &&
            ev.type == 1);
}

static void test_good(void)
{
    struct wattson_ipc_event ev;
    char err[256];
    T_CHECK(parse("0.5 100 200 4096 data", &ev, err, sizeof err) == 1);
    T_NEAR(ev.t, 0.5, 0);
    T_CHECK(ev.src_pid == 100 && ev.dst_pid == 200 && ev.bytes == 4096 &&
            ev.type == WATTSON_IPC_DATA);
    T_CHECK(parse("  \t1.25e3\t7  8 0 request  \r\n", &ev, err, sizeof err) ==
            1);
    T_NEAR(ev.t, 1250, 0);
    T_CHECK(ev.src_pid == 7 && ev.dst_pid == 8 && ev.bytes == 0 &&
            ev.type == WATTSON_IPC_REQUEST);
    T_CHECK(parse("3 1 1 1 reply", &ev, err, sizeof err) == 1);
    T_CHECK(ev.type == WATTSON_IPC_REPLY);
    T_CHECK(parse("3 1 1 1 control # heartbeat", &ev, err, sizeof err) == 1);
    T_CHECK(ev.type == WATTSON_IPC_CONTROL);
    for (unsigned k = 0; k < 4; k++) {
        char line[64];
        snprintf(line, sizeof line, "0 1 2 3 %u", k);
        T_CHECK(parse(line, &ev, err, sizeof err) == 1);
        T_CHECK(ev.type == k);
    }
    /* Limits: the largest pid and byte count, leading zeros, t = 0. */
    T_CHECK(parse("0 4294967295 0004294967295 18446744073709551615 0", &ev, err,
                  sizeof err) == 1);
    T_CHECK(ev.src_pid == UINT32_MAX && ev.dst_pid == UINT32_MAX &&
            ev.bytes == UINT64_MAX);
    T_NEAR(ev.t, 0, 0);
    T_CHECK(parse(".5 1 2 3 0", &ev, err, sizeof err) == 1);
    T_NEAR(ev.t, 0.5, 0);
    /* Not NUL-terminated: only len bytes are read. */
    const char buf[] = "2 3 4 5 data 99";
    T_CHECK(ipcfmt_parse_line(buf, 12, &ev, err, sizeof err) == 1);
    T_CHECK(ev.bytes == 5 && ev.type == WATTSON_IPC_DATA);
}

static void test_skip(void)
{
    struct wattson_ipc_event ev = {9, 9, 9, 9, 9};
    char err[64];
    const char *skips[] = {"",
                           "   ",
                           "\t\r\n",
                           "# t_s src dst bytes type",
                           "   # indented comment",
                           "#"};
    for (size_t i = 0; i < sizeof skips / sizeof skips[0]; i++)
        T_CHECK(parse(skips[i], &ev, err, sizeof err) == 0);
    T_CHECK(ipcfmt_parse_line(NULL, 0, &ev, err, sizeof err) == 0);
    T_CHECK(ev.t == 9 && ev.type == 9);
}

static void test_bad(void)
{
    /* Time. */
    bad("nan 1 2 3 data", "t: expected a decimal number");
    bad("NaN 1 2 3 data", "t: expected a decimal number");
    bad("inf 1 2 3 data", "t: expected a decimal number");
    bad("-inf 1 2 3 data", "t: must be >= 0");
    bad("1e999 1 2 3 data", "t: not finite");
    bad("-0.5 1 2 3 data", "t: must be >= 0, got '-0.5'");
    bad("-0 1 2 3 data", "t: must be >= 0");
    bad("0x10 1 2 3 data", "t: expected a decimal number");
    bad("+1 1 2 3 data", "t: expected a decimal number");
    bad("1.5s 1 2 3 data", "t: expected a decimal number");
    bad("1e 1 2 3 data", "t: expected a decimal number");
    bad(". 1 2 3 data", "t: expected a decimal number");
    bad("1..2 1 2 3 data", "t: expected a decimal number");
    bad("1,5 1 2 3 data", "t: expected a decimal number");
    bad("0.0000000000000000000000000000000000000000000000000000000000000001 "
        "1 2 3 data",
        "t: too long");
    /* Pids. */
    bad("1 4294967296 2 3 data", "src_pid: overflows uint32");
    bad("1 1 99999999999999999999999 3 data", "dst_pid: overflows uint32");
    bad("1 -1 2 3 data", "src_pid: must not be negative");
    bad("1 1 -2 3 data", "dst_pid: must not be negative");
    bad("1 +1 2 3 data", "src_pid: expected decimal digits");
    bad("1 1.0 2 3 data", "src_pid: expected decimal digits");
    bad("1 0x1f 2 3 data", "src_pid: expected decimal digits");
    /* Bytes. */
    bad("1 1 2 18446744073709551616 data", "bytes: overflows uint64");
    bad("1 1 2 184467440737095516150 data", "bytes: overflows uint64");
    bad("1 1 2 -3 data", "bytes: must not be negative");
    bad("1 1 2 1e3 data", "bytes: expected decimal digits");
    /* Type. */
    bad("1 1 2 3 4", "type: expected 0..3, data, request, reply or control");
    bad("1 1 2 3 DATA", "type: expected 0..3");
    bad("1 1 2 3 datagram", "type: expected 0..3");
    bad("1 1 2 3 03", "type: expected 0..3");
    bad("1 1 2 3 -1", "type: expected 0..3");
    bad("1 1 2 3 data#x", "type: expected 0..3");
    /* Shape. */
    bad("1 1 2 3 data extra", "trailing text after the five fields");
    bad("1 1 2 3 data 7", "trailing text");
    bad("1 1 2 3", "type: missing");
    bad("1", "src_pid: missing");
    bad("1 2 # three", "dst_pid: missing");
    /* Bytes that are not text at all. */
    const char nul[] = "1 1\0 2 3 data";
    struct wattson_ipc_event ev;
    char err[256];
    T_CHECK(ipcfmt_parse_line(nul, sizeof nul - 1, &ev, err, sizeof err) == -1);
    T_CHECK(strstr(err, "src_pid: expected decimal digits, got '1?'") != NULL);
    /* A long bad field is cut in the message; a tiny err buffer is safe. */
    char longf[300];
    memset(longf, 'x', sizeof longf);
    memcpy(longf, "1 2 3 4 ", 8);
    T_CHECK(ipcfmt_parse_line(longf, sizeof longf, &ev, err, sizeof err) == -1);
    T_CHECK(strstr(err, "...'") != NULL && strlen(err) < 120);
    T_CHECK(ipcfmt_parse_line(longf, sizeof longf, &ev, err, 4) == -1);
    T_CHECK(strlen(err) == 3);
}

static void test_reader(void)
{
    struct ipcfmt_reader r;
    struct wattson_ipc_event ev;
    char err[256];
    const char *lines[] = {
        "# header",        "0.1 1 2 3 data", "",
        "0.1 2 1 3 reply", "0.2 1 2 3 data", "0.15 1 2 3 data"};
    ipcfmt_reader_init(&r, NULL);
    int want[] = {0, 1, 0, 1, 1, -1};
    for (size_t i = 0; i < 6; i++)
        T_CHECK(ipcfmt_reader_next(&r, lines[i], strlen(lines[i]), &ev, err,
                                   sizeof err) == want[i]);
    T_CHECK(strcmp(err, "line 6: t: goes backwards (0.14999999999999999 "
                        "after 0.20000000000000001)") == 0);
    T_CHECK(r.events == 3 && r.line == 6);
    T_NEAR(r.last_t, 0.2, 0); /* the refused line does not count */
    /* With a name: NAME:LINE, as the other readers say. */
    ipcfmt_reader_init(&r, "ipc.txt");
    T_CHECK(ipcfmt_reader_next(&r, "1 2 3 4 data", 12, &ev, err, sizeof err) ==
            1);
    T_CHECK(ipcfmt_reader_next(&r, "1 2 3 4 bogus", 13, &ev, err, sizeof err) ==
            -1);
    T_CHECK(strcmp(err, "ipc.txt:2: type: expected 0..3, data, request, "
                        "reply or control, got 'bogus'") == 0);
    /* A backwards time right after a bad line still compares with the
     * last good event. */
    T_CHECK(ipcfmt_reader_next(&r, "0.5 2 3 4 data", 14, &ev, err,
                               sizeof err) == -1);
    T_CHECK(strncmp(err, "ipc.txt:3: t: goes backwards", 28) == 0);
}

static void test_format(void)
{
    const struct wattson_ipc_event evs[] = {
        {0, 0, 0, 0, WATTSON_IPC_DATA},
        {0.1, 1, 2, 3, WATTSON_IPC_REQUEST},
        {1e-300, UINT32_MAX, UINT32_MAX, UINT64_MAX, WATTSON_IPC_CONTROL},
        {1.7976931348623157e308, 5, 6, 7, WATTSON_IPC_REPLY},
        {2.0 / 3.0, 42, 43, 65536, WATTSON_IPC_DATA},
        {-0.0, 1, 1, 1, WATTSON_IPC_DATA},
    };
    char buf[IPCFMT_LINE_MAX];
    int n = ipcfmt_format_line(&evs[1], buf, sizeof buf);
    T_CHECK(n > 0 && strcmp(buf, "0.1 1 2 3 request\n") == 0);
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        struct wattson_ipc_event back;
        char err[128];
        n = ipcfmt_format_line(&evs[i], buf, sizeof buf);
        T_CHECK(n > 0 && (size_t)n == strlen(buf) && buf[n - 1] == '\n');
        T_CHECK(ipcfmt_parse_line(buf, (size_t)n, &back, err, sizeof err) == 1);
        T_CHECK(back.t == evs[i].t && back.src_pid == evs[i].src_pid &&
                back.dst_pid == evs[i].dst_pid && back.bytes == evs[i].bytes &&
                back.type == evs[i].type);
    }
    /* Not writable: the reader would refuse it. */
    struct wattson_ipc_event e = {-1, 1, 2, 3, 0};
    T_CHECK(ipcfmt_format_line(&e, buf, sizeof buf) == -1 && buf[0] == '\0');
    e.t = NAN;
    T_CHECK(ipcfmt_format_line(&e, buf, sizeof buf) == -1);
    e.t = INFINITY;
    T_CHECK(ipcfmt_format_line(&e, buf, sizeof buf) == -1);
    e.t = 1;
    e.type = WATTSON_IPC__N;
    T_CHECK(ipcfmt_format_line(&e, buf, sizeof buf) == -1);
    /* Too short a buffer: -1 and an empty string, never a cut line. */
    e.type = 0;
    T_CHECK(ipcfmt_format_line(&e, buf, 8) == -1 && buf[0] == '\0');
    T_CHECK(ipcfmt_format_line(&e, buf, 0) == -1);
}

static void test_no_alloc(void)
{
    struct ipcfmt_reader r;
    struct wattson_ipc_event ev;
    char err[256], buf[IPCFMT_LINE_MAX];
    unsigned long allocs = 1;
    int sum = 0;
    allocount_start();
    ipcfmt_reader_init(&r, "x");
    for (int i = 0; i < 200; i++) {
        struct wattson_ipc_event e = {i * 0.01, (uint32_t)i, 7,
                                      (uint64_t)i * 1000, (uint32_t)i % 4};
        int n = ipcfmt_format_line(&e, buf, sizeof buf);
        sum += ipcfmt_reader_next(&r, buf, (size_t)n, &ev, err, sizeof err);
        sum += ipcfmt_reader_next(&r, "1 x 2 3 data", 12, &ev, err,
                                  sizeof err) == -1;
    }
    allocount_stop(&allocs, NULL);
    T_CHECK(allocs == 0);
    T_CHECK(sum == 400);
}

int main(void)
{
    allocount_install();
    test_good();
    test_skip();
    test_bad();
    test_reader();
    test_format();
    test_no_alloc();
    return t_done("test_ipcfmt");
}
