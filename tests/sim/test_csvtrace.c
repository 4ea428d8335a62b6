/*
 * test_csvtrace - the trace reader: the real trace, accepted variants and
 * every rejection with its file:line message.
 */
#include "t.h"

#include <stdlib.h>

#include "csvtrace.h"

static int parse(const char *text, struct csvtrace *tr, char *err,
                 size_t errlen)
{
    return csvtrace_parse(text, strlen(text), "x.csv", tr, err, errlen);
}

static void reject(const char *text, const char *want)
{
    struct csvtrace tr;
    char err[256] = "";
    T_CHECK(parse(text, &tr, err, sizeof err) == -1);
    T_STREQ(err, want);
    T_CHECK(tr.n == 0 && tr.t == NULL && tr.v == NULL);
}

static void test_real_trace(void)
{
    char path[1024], err[256] = "";
    const char *src = getenv("WATTSON_SOURCE_DIR");
    struct csvtrace tr;
    snprintf(path, sizeof path, "%s/lua-policies/labs/traces/kenj-pc-1.csv",
             src ? src : WATTSON_SOURCE_DIR);
    T_CHECK(csvtrace_load(path, &tr, err, sizeof err) == 0);
    T_STREQ(err, "");
    T_CHECK(tr.n == 744);
    if (tr.n == 744) {
        T_NEAR(tr.t[0], 0.0, 0);
        T_NEAR(tr.v[0], 0.08467, 0);
        T_NEAR(tr.t[1], 15.0, 0);
        T_NEAR(tr.v[1], 0.16445, 0);
        T_NEAR(tr.t[743], 11145.0, 0);
        T_NEAR(tr.v[743], 0.09933, 0);
    }
    csvtrace_free(&tr);
    T_CHECK(csvtrace_load("/nonexistent/t.csv", &tr, err, sizeof err) == -1);
    T_CHECK(strncmp(err, "/nonexistent/t.csv: cannot open", 31) == 0);
}

static void test_accepts(void)
{
    struct csvtrace tr;
    char err[256];
    T_CHECK(parse("t_s,util\n0,0.5\n1.5,1", &tr, err, sizeof err) == 0);
    T_CHECK(tr.n == 2);
    T_NEAR(tr.t[1], 1.5, 0);
    T_NEAR(tr.v[1], 1.0, 0);
    csvtrace_free(&tr);
    T_CHECK(parse("t_s,util\r\n0,0.5\r\n2, 0.25 \r\n", &tr, err, sizeof err) ==
            0);
    T_CHECK(tr.n == 2);
    T_NEAR(tr.v[1], 0.25, 0);
    csvtrace_free(&tr);
    T_CHECK(parse("\xEF\xBB\xBFt_s,util\n3,0\n\n", &tr, err, sizeof err) == 0);
    T_CHECK(tr.n == 1);
    csvtrace_free(&tr);
    /* Exactly the minimum spacing is accepted. */
    T_CHECK(parse("t_s,util\n0,0.5\n0.000001,1\n", &tr, err, sizeof err) == 0);
    T_CHECK(tr.n == 2);
    csvtrace_free(&tr);
}

static void test_rejects(void)
{
    static const char nul[] = "t_s,util\n0,0.\0005\n";
    struct csvtrace tr;
    char err[256];

    reject("", "x.csv:1: expected the header 't_s,util'");
    reject("time,util\n0,1\n", "x.csv:1: expected the header 't_s,util'");
    reject("t_s,util,x\n0,1\n", "x.csv:1: expected the header 't_s,util'");
    reject("t_s,util\n", "x.csv: no data rows after the header");
    reject("t_s,util\n0,0.5\nabc,0.5\n",
           "x.csv:3: expected two numbers 't_s,util'");
    reject("t_s,util\n0,0.5x\n", "x.csv:2: expected two numbers 't_s,util'");
    reject("t_s,util\n0\n", "x.csv:2: expected two numbers 't_s,util'");
    reject("t_s,util\n0,0.1,0.2\n", "x.csv:2: expected two numbers 't_s,util'");
    reject("t_s,util\n0,\n", "x.csv:2: expected two numbers 't_s,util'");
    reject("t_s,util\nnan,0.1\n", "x.csv:2: expected two numbers 't_s,util'");
    reject("t_s,util\n0,inf\n", "x.csv:2: expected two numbers 't_s,util'");
    reject("t_s,util\n5,0.1\n4,0.1\n",
           "x.csv:3: t_s must increase strictly (4 after 5)");
    reject("t_s,util\n5,0.1\n5,0.1\n",
           "x.csv:3: t_s must increase strictly (5 after 5)");
    reject("t_s,util\n-1,0.1\n", "x.csv:2: t_s must be >= 0, got -1");
    reject("t_s,util\n0,1.5\n", "x.csv:2: util must be in [0, 1], got 1.5");
    reject("t_s,util\n0,-0.1\n", "x.csv:2: util must be in [0, 1], got -0.1");
    reject("t_s,util\n0,0.1\n\n1,0.2\n", "x.csv:3: empty line");
    /* Rows 1e-300 s apart made a looped replay spin forever in a tick. */
    reject("t_s,util\n0,0.1\n1e-300,0.2\n",
           "x.csv:3: rows closer than 1e-06 s (t_s 1e-300 after 0); the "
           "minimum spacing is 1e-06 s");
    reject("t_s,util\n0,0.1\n5,0.1\n5.0000001,0.2\n",
           "x.csv:4: rows closer than 1e-06 s (t_s 5.0000001 after 5); the "
           "minimum spacing is 1e-06 s");
    T_CHECK(csvtrace_parse(nul, sizeof nul - 1, "x.csv", &tr, err,
                           sizeof err) == -1);
    T_STREQ(err, "x.csv:2: expected two numbers 't_s,util'");
    T_CHECK(csvtrace_parse(NULL, 0, "x.csv", &tr, err, sizeof err) == -1);
}

int main(void)
{
    test_real_trace();
    test_accepts();
    test_rejects();
    return t_done("test_sim_csvtrace");
}
