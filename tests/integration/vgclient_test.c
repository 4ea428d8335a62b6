/*
 * vgclient_test SOCKET - the client library (libwattson-vgpu.so, linked
 * against it alone: no console code) against a running wattson with
 * --vgpu-socket SOCKET (tests/integration/vgpu.sh starts it): each call,
 * a partial grant, refusals with wvg_error, bad arguments refused before
 * sending.  One line per failed check; exit 1 if any failed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wattson/vgpu.h"

static int fails, checks;
#define CHECK(c)                                                               \
    do {                                                                       \
        checks++;                                                              \
        if (!(c)) {                                                            \
            fails++;                                                           \
            fprintf(stderr, "vgclient_test:%d: check failed: %s\n", __LINE__,  \
                    #c);                                                       \
        }                                                                      \
    } while (0)

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    struct wvg_conn *c = wvg_connect(argv[1]);
    CHECK(c != NULL);
    if (!c)
        return 1;
    double av[WVG_NTYPES], g = -1, r = -1;
    CHECK(wvg_type_find("memory") == WVG_MEMORY && wvg_type_find("x") == -1);
    CHECK(strcmp(wvg_type_name(WVG_POWER), "power") == 0);
    CHECK(wvg_available(c, NULL, av) == WVG_OK);
    CHECK(av[WVG_COMPUTE] == 1.0 && av[WVG_POWER] > 0);
    double power0 = av[WVG_POWER];
    CHECK(wvg_available(c, "gpu1", av) == WVG_OK && av[WVG_COMPUTE] == 1.0);
    CHECK(wvg_request(c, WVG_COMPUTE, 0.25, NULL, &g) == WVG_OK && g == 0.25);
    CHECK(wvg_request(c, WVG_COMPUTE, 5, "gpu0", &g) == WVG_OK &&
          fabs(g - 0.75) < 1e-9); /* partial */
    CHECK(wvg_available(c, "gpu0", av) == WVG_OK && av[WVG_COMPUTE] == 0);
    CHECK(wvg_request(c, WVG_COMPUTE, 0.1, NULL, &g) == WVG_REFUSED);
    CHECK(strncmp(wvg_error(c), "ERR EFULL", 9) == 0);
    CHECK(wvg_release(c, WVG_COMPUTE, 2, NULL, &r) == WVG_OK && r == 1.0);
    CHECK(wvg_set_limit(c, WVG_POWER, 10, NULL) == WVG_OK);
    CHECK(wvg_request(c, WVG_POWER, 50, NULL, &g) == WVG_OK && g == 10);
    CHECK(wvg_set_limit(c, WVG_POWER, 5, NULL) == WVG_REFUSED);
    CHECK(strncmp(wvg_error(c), "ERR ELIMIT", 10) == 0);
    CHECK(wvg_available(c, NULL, av) == WVG_OK && av[WVG_POWER] == power0 - 10);
    CHECK(wvg_request(c, WVG_COMPUTE, 0.1, "nosuch", &g) == WVG_REFUSED);
    CHECK(strncmp(wvg_error(c), "ERR EGPU", 8) == 0);
    /* refused before sending */
    CHECK(wvg_request(c, WVG_COMPUTE, NAN, NULL, &g) == WVG_BADARG);
    CHECK(wvg_request(c, WVG_COMPUTE, -1, NULL, &g) == WVG_BADARG);
    CHECK(wvg_request(c, (enum wvg_type)7, 1, NULL, &g) == WVG_BADARG);
    CHECK(wvg_request(c, WVG_COMPUTE, 0.1, "bad name", &g) == WVG_BADARG);
    /* a raw line: the server's answer to a malformed one */
    char ans[256];
    CHECK(wvg_raw(c, "HELLO", ans, sizeof ans) == WVG_REFUSED &&
          strncmp(ans, "ERR EPROTO", 10) == 0);
    wvg_close(c);
    CHECK(wvg_connect("/nonexistent/vgpu.sock") == NULL);
    fprintf(stderr, "vgclient_test: %d checks, %d failed\n", checks, fails);
    return fails ? 1 : 0;
}
