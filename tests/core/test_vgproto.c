/*
 * test_vgproto - the vGPU API's line protocol (core/vgproto.h): each
 * request form, SI amounts, the refusals with their codes (malformed,
 * unknown type, bad GPU name, NaN/inf/negative/zero amounts, NUL and
 * control bytes, over-long lines), ERR lines, and format-and-reparse.
 */
#include <math.h>
#include <string.h>

#include "core/vgproto.h"
#include "t.h"

static int parse(const char *s, struct vgproto_req *rq, char *msg)
{
    return vgproto_parse(s, strlen(s), rq, msg, 256);
}

static void test_forms(void)
{
    struct vgproto_req rq;
    char msg[256];
    T_CHECK(parse("REQUEST compute 0.25", &rq, msg) == VGPROTO_OK);
    T_CHECK(rq.verb == VGPROTO_REQUEST && rq.type == WVG_COMPUTE &&
            rq.amount == 0.25 && rq.gpu[0] == '\0');
    T_CHECK(parse("RELEASE memory 4GB gpu1", &rq, msg) == VGPROTO_OK);
    T_CHECK(rq.verb == VGPROTO_RELEASE && rq.type == WVG_MEMORY &&
            rq.amount == 4e9);
    T_STREQ(rq.gpu, "gpu1");
    T_CHECK(parse("REQUEST power 250W\r", &rq, msg) == VGPROTO_OK);
    T_CHECK(rq.type == WVG_POWER && rq.amount == 250);
    T_CHECK(parse("AVAILABLE", &rq, msg) == VGPROTO_OK);
    T_CHECK(rq.verb == VGPROTO_AVAILABLE && rq.type == -1);
    T_CHECK(parse("  AVAILABLE   gpu-0.a  ", &rq, msg) == VGPROTO_OK);
    T_STREQ(rq.gpu, "gpu-0.a");
    T_CHECK(parse("LIMIT compute 0", &rq, msg) == VGPROTO_OK);
    T_CHECK(rq.verb == VGPROTO_LIMIT && rq.amount == 0);
}

static void test_refusals(void)
{
    struct vgproto_req rq;
    char msg[256];
    T_CHECK(parse("", &rq, msg) == VGPROTO_EPROTO);
    T_CHECK(parse("GIMME compute 1", &rq, msg) == VGPROTO_EPROTO);
    T_CHECK(strstr(msg, "unknown request 'GIMME'") != NULL);
    T_CHECK(parse("request compute 1", &rq, msg) == VGPROTO_EPROTO);
    T_CHECK(parse("REQUEST compute", &rq, msg) == VGPROTO_EPROTO);
    T_CHECK(parse("REQUEST compute 1 gpu0 extra", &rq, msg) == VGPROTO_EPROTO);
    T_CHECK(parse("AVAILABLE gpu0 gpu1", &rq, msg) == VGPROTO_EPROTO);
    T_CHECK(parse("REQUEST bandwidth 1", &rq, msg) == VGPROTO_ETYPE);
    T_CHECK(strstr(msg, "unknown type 'bandwidth'") != NULL);
    T_CHECK(parse("REQUEST compute 1 gpu/0", &rq, msg) == VGPROTO_EGPU);
    T_CHECK(parse("REQUEST compute 1 "
                  "a123456789012345678901234567890123456789",
                  &rq, msg) == VGPROTO_EGPU);
    {
        /* a bad byte early in a short GPU name that ends the longest
         * line: the name scan once ran on past the word's end (fuzz) */
        char line[WVG_LINE_MAX];
        size_t n = sizeof line - 1;
        memset(line, ' ', n);
        memcpy(line, "LIMIT power 5", 13);
        memcpy(line + n - 4, "p'z5", 4);
        T_CHECK(vgproto_parse(line, n, &rq, msg, sizeof msg) == VGPROTO_EGPU);
        T_CHECK(strstr(msg, "gpu 'p'z5' is not a device name") != NULL);
    }
    const char *bad[] = {"nan",   "NaN", "inf", "-inf", "-0.5", "0",
                         "1e999", "x",   "4GW", "",     "1..2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char line[64];
        snprintf(line, sizeof line, "REQUEST memory %s", bad[i]);
        int rc = parse(line, &rq, msg);
        /* "" leaves REQUEST memory: a missing operand */
        T_CHECK(rc == (*bad[i] ? VGPROTO_EAMOUNT : VGPROTO_EPROTO));
    }
    T_CHECK(parse("LIMIT power -1", &rq, msg) == VGPROTO_EAMOUNT);
    T_CHECK(strstr(msg, ">= 0") != NULL);
    /* NUL, control and non-ASCII bytes */
    T_CHECK(vgproto_parse("REQUEST\0compute 1", 17, &rq, msg, sizeof msg) ==
            VGPROTO_EPROTO);
    T_CHECK(strstr(msg, "byte 0x00 at column 8") != NULL);
    T_CHECK(parse("REQUEST\tcompute 1", &rq, msg) == VGPROTO_EPROTO);
    T_CHECK(parse("REQUEST compute 1\xc3\xa9", &rq, msg) == VGPROTO_EPROTO);
    char longl[400];
    memset(longl, 'A', sizeof longl);
    T_CHECK(vgproto_parse(longl, 300, &rq, msg, sizeof msg) == VGPROTO_EPROTO);
    T_CHECK(strstr(msg, "longer than 255") != NULL);
}

static void test_format(void)
{
    struct vgproto_req rq, back;
    char msg[256], line[WVG_LINE_MAX];
    const char *in[] = {"REQUEST compute 0.1 gpu0", "RELEASE memory 3.3GB",
                        "AVAILABLE", "AVAILABLE gpu7", "LIMIT power 0.001kW"};
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        T_CHECK(parse(in[i], &rq, msg) == VGPROTO_OK);
        int n = vgproto_format_req(&rq, line, sizeof line);
        T_CHECK(n > 0 && line[n - 1] == '\n');
        T_CHECK(vgproto_parse(line, (size_t)n - 1, &back, msg, sizeof msg) ==
                VGPROTO_OK);
        T_CHECK(back.verb == rq.verb && back.type == rq.type &&
                back.amount == rq.amount && strcmp(back.gpu, rq.gpu) == 0);
    }
    int n = vgproto_format_err(line, sizeof line, VGPROTO_EFULL,
                               "only 0 compute\navailable\x01");
    T_STREQ(line, "ERR EFULL only 0 compute?available?\n");
    T_CHECK(n == (int)strlen(line));
    T_CHECK(vgproto_format_err(line, 20, VGPROTO_ERATE,
                               "a message much longer than twenty") == 19);
    T_CHECK(line[18] == '\n');
    T_STREQ(vgproto_code_name(VGPROTO_EPERM), "EPERM");
    T_CHECK(vgproto_code_name(VGPROTO_OK) == NULL);
}

int main(void)
{
    test_forms();
    test_refusals();
    test_format();
    return t_done("test_vgproto");
}
