/*
 * test_trread - the trace reader of `wattson report` (core/trread.c) on
 * hand-made traces of both formats and on damaged ones; the charts'
 * per-pixel columns (cmd/rplot.c); sinum_format (core/sinum.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/rplot.h"
#include "core/sinum.h"
#include "core/trread.h"
#include "t.h"

/* A format-1 header: two devices, one PU and one rail. */
#define HDR1                                                                   \
    "{\"type\":\"header\",\"lab\":\"x<&>\",\"seed\":7,\"tick_s\":0.5,"         \
    "\"duration_s\":2,\"budget_w\":100,\"policy\":\"p\",\"devices\":["         \
    "{\"name\":\"c0\",\"kind\":\"cpu\",\"driver\":\"sim\",\"signals\":"        \
    "{\"freq\":\"Hz\",\"work_arrived\":\"op\"},\"controls\":{\"freq\":"        \
    "{\"unit\":\"Hz\",\"min\":1,\"max\":2}}},"                                 \
    "{\"name\":\"r0\",\"kind\":\"rail\",\"driver\":\"sim\",\"signals\":"       \
    "{\"power\":\"W\"}}]}\n"
#define TICK(n, t, f)                                                          \
    "{\"type\":\"tick\",\"tick\":" #n ",\"t\":" #t ",\"power_w\":50,\"dev\":"  \
    "{\"c0\":{\"freq\":" #f ",\"work_arrived\":" #n "0,\"set.freq\":2,"        \
    "\"fc.demand\":null},\"r0\":{\"power\":3}}}\n"
#define SUMMARY                                                                \
    "{\"type\":\"summary\",\"ticks\":2,\"energy_j\":0.123456789012}\n"

struct seen {
    int ticks, reloads, rejected;
    double last_freq, last_t, sum_fam;
    const struct trread *r;
};

static void on_tick(void *arg, uint64_t tick, double t, double power_w)
{
    struct seen *s = arg;
    (void)tick;
    s->ticks++;
    s->last_t = t;
    if (s->r->n_dev) { /* the format-1 traces' */
        T_NEAR(power_w, 50, 0);
        s->last_freq = s->r->dev[0].val[0];
    }
    for (size_t i = 0; i < s->r->n_fam; i++)
        for (size_t k = 0; k < TRREAD_MAX_LABELS; k++)
            if (isfinite(s->r->fam[i].val[k]))
                s->sum_fam += s->r->fam[i].val[k];
}

static void on_reload(void *arg, double t, int ok, const char *error)
{
    struct seen *s = arg;
    (void)t;
    s->reloads++;
    if (!ok) {
        s->rejected++;
        T_STREQ(error, "boom");
    }
}

/* Opens text as a trace named "T". */
static int open_text(struct trread *r, FILE **f, const char *text, char *err,
                     size_t errlen)
{
    *f = fmemopen((void *)text, strlen(text), "r");
    if (!*f)
        return -99;
    int rc = trread_open_stream(r, *f, "T", err, errlen);
    if (rc != 0) {
        fclose(*f);
        *f = NULL;
    }
    return rc;
}

static void test_format1(void)
{
    static const char text[] =
        HDR1 TICK(1, 0.5, 1.5e9) "{\"type\":\"reload\",\"tick\":1,\"t\":0.5,"
                                 "\"ok\":false,\"error\":\"boom\"}\n"
                                 "\n" TICK(2, 1, 2e9) SUMMARY;
    struct trread r;
    FILE *f;
    char err[256];
    T_CHECK(open_text(&r, &f, text, err, sizeof err) == 0);
    if (!f)
        return;
    T_CHECK(r.format == 1);
    T_STREQ(r.lab, "x<&>");
    T_NEAR(r.budget_w, 100, 0);
    T_CHECK(r.n_dev == 2 && r.n_fam == 0);
    /* signals, then set.CTL, then fc.demand */
    T_CHECK(r.dev[0].n_key == 4);
    T_STREQ(r.dev[0].key[2], "set.freq");
    T_STREQ(r.dev[0].unit[2], "Hz");
    T_STREQ(r.dev[0].key[3], "fc.demand");
    T_STREQ(r.dev[1].kind, "rail");
    struct seen s = {.r = &r};
    struct trread_visit v = {on_tick, on_reload, &s};
    for (int pass = 0; pass < 2; pass++) {
        s.ticks = s.reloads = s.rejected = 0;
        T_CHECK(trread_pass(&r, &v, err, sizeof err) == 0);
        T_CHECK(s.ticks == 2 && r.n_ticks == 2);
        T_CHECK(s.reloads == 1 && s.rejected == 1 && r.n_rejected == 1);
        T_NEAR(s.last_freq, 2e9, 0);
        T_NEAR(r.t_first, 0.5, 0);
        T_NEAR(r.t_last, 1, 0);
        T_CHECK(r.bad_line == 0);
        T_CHECK(r.n_sum == 2);
    }
    /* null reads NAN */
    T_CHECK(isnan(r.dev[0].val[3]));
    T_CHECK(trread_sum_find(&r, "ticks") != NULL);
    T_NEAR(trread_sum_find(&r, "ticks")->num, 2, 0);
    T_STREQ(r.sum[1].text, "0.123456789");
    T_CHECK(trread_sum_find(&r, "nope") == NULL);
    trread_close(&r);
    fclose(f);
}

static void test_format2(void)
{
    static const char text[] =
        "{\"type\":\"header\",\"format\":2,\"wattson\":\"0.1.0\",\"lab\":\"m\","
        "\"devices\":[],\"eng\":{\"mesh_reward\":{\"type\":\"gauge\",\"unit\":"
        "\"1\",\"label\":\"agent\",\"help\":\"reward\"},\"bottleneck_s\":{"
        "\"type\":\"gauge\",\"unit\":\"s\",\"label\":null,\"help\":\"b\"}}}\n"
        "{\"type\":\"tick\",\"tick\":1,\"t\":1,\"dev\":{},\"eng\":{"
        "\"mesh_reward\":{\"n0\":1,\"n1\":2},\"bottleneck_s\":0.5}}\n"
        "{\"type\":\"tick\",\"tick\":2,\"t\":2,\"dev\":{},\"eng\":{"
        "\"mesh_reward\":{\"n2\":4,\"n0\":null},\"bottleneck_s\":null}}\n";
    struct trread r;
    FILE *f;
    char err[256];
    T_CHECK(open_text(&r, &f, text, err, sizeof err) == 0);
    if (!f)
        return;
    T_CHECK(r.format == 2);
    T_STREQ(r.wattson, "0.1.0");
    T_CHECK(r.n_fam == 2);
    T_STREQ(r.fam[0].name, "mesh_reward");
    T_STREQ(r.fam[0].label, "agent");
    T_CHECK(r.fam[1].label == NULL);
    struct seen s = {.r = &r};
    struct trread_visit v = {on_tick, NULL, &s};
    T_CHECK(trread_pass(&r, &v, err, sizeof err) == 0);
    T_CHECK(s.ticks == 2);
    /* label values as they appeared; values per tick */
    T_CHECK(r.fam[0].n_lv == 3);
    T_STREQ(r.fam[0].lv[2], "n2");
    T_NEAR(s.sum_fam, 1 + 2 + 0.5 + 4, 0);
    /* no summary: the run did not finish, the trace is not damaged */
    T_CHECK(r.n_sum == 0 && r.bad_line == 0);
    trread_close(&r);
    fclose(f);
}

static void test_damage(void)
{
    /* cut mid-line */
    static const char cut[] = HDR1 TICK(1, 0.5, 1e9)
        TICK(2, 1, 1e9) "{\"type\":\"tick\",\"tick\":3,\"t\":1.5,\"dev\":{\"c0";
    /* a bad line in the middle: what follows it is not read */
    static const char mid[] =
        HDR1 TICK(1, 0.5, 1e9) "garbage\n" TICK(2, 1, 1e9) SUMMARY;
    /* a tick without its time */
    static const char not [] =
        HDR1 "{\"type\":\"tick\",\"tick\":1,\"dev\":{}}\n" SUMMARY;
    const char *texts[] = {cut, mid, not };
    const size_t lines[] = {4, 3, 2};
    const uint64_t ticks[] = {2, 1, 0};
    for (size_t i = 0; i < 3; i++) {
        struct trread r;
        FILE *f;
        char err[256];
        T_CHECK(open_text(&r, &f, texts[i], err, sizeof err) == 0);
        if (!f)
            continue;
        T_CHECK(trread_pass(&r, NULL, err, sizeof err) == 0);
        T_CHECK(r.bad_line == lines[i]);
        T_CHECK(r.n_ticks == ticks[i]);
        T_CHECK(r.n_sum == 0);
        T_CHECK(*r.bad_why != '\0');
        trread_close(&r);
        fclose(f);
    }
}

static void test_refused(void)
{
    static const struct {
        const char *text;
        int rc;
        const char *msg;
    } cases[] = {
        {"", TRREAD_ETRACE, "T:1: not a wattson trace (empty file)"},
        {"hello\n", TRREAD_ETRACE, "T:1: not a wattson trace (not JSON)"},
        {"[1]\n", TRREAD_ETRACE, "T:1: not a wattson trace (not a JSON "},
        {"{\"type\":\"tick\"}\n", TRREAD_ETRACE, "T:1: not a wattson trace"},
        {"{\"type\":\"header\",\"format\":3,\"wattson\":\"0.2.0\","
         "\"devices\":[]}\n",
         TRREAD_EFORMAT,
         "T:1: a trace of format 3 (wattson 0.2.0); this "
         "wattson " WATTSON_TEST_VERSION " reads formats 1 and 2"},
        {"{\"type\":\"header\",\"format\":\"2\",\"devices\":[]}\n",
         TRREAD_EFORMAT, "T:1: a trace of format unknown"},
        {"{\"type\":\"header\",\"devices\":[{\"kind\":\"cpu\"}]}\n",
         TRREAD_ETRACE, "T:1: devices[0]: a device without a name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct trread r;
        FILE *f;
        char err[256] = "";
        int rc = open_text(&r, &f, cases[i].text, err, sizeof err);
        T_CHECK(rc == cases[i].rc);
        T_CHECK(strncmp(err, cases[i].msg, strlen(cases[i].msg)) == 0);
        if (rc != cases[i].rc ||
            strncmp(err, cases[i].msg, strlen(cases[i].msg)) != 0)
            fprintf(stderr, "case %zu: rc %d, '%s'\n", i, rc, err);
        if (f) {
            trread_close(&r);
            fclose(f);
        }
    }
    /* files: missing, a directory */
    struct trread r;
    char err[256];
    T_CHECK(trread_open(&r, "/nonexistent/t.jsonl", err, sizeof err) ==
            TRREAD_EOPEN);
    T_CHECK(strstr(err, "No such file") != NULL);
    T_CHECK(trread_open(&r, "/tmp", err, sizeof err) == TRREAD_EOPEN);
    T_STREQ(err, "/tmp: not a regular file (a directory)");
}

/* More label values than kept: counted, never stored. */
static void test_label_cap(void)
{
    size_t cap = 4096 + 64 * 64;
    char *text = malloc(cap);
    if (!text)
        return;
    size_t at = (size_t)snprintf(
        text, cap,
        "{\"type\":\"header\",\"format\":2,\"devices\":[],\"eng\":{\"f\":{"
        "\"type\":\"gauge\",\"unit\":\"1\",\"label\":\"k\",\"help\":\"h\"}}}"
        "\n{\"type\":\"tick\",\"tick\":1,\"t\":1,\"dev\":{},\"eng\":{\"f\":{");
    for (int i = 0; i < TRREAD_MAX_LABELS + 5; i++)
        at += (size_t)snprintf(text + at, cap - at, "%s\"l%d\":%d",
                               i ? "," : "", i, i);
    snprintf(text + at, cap - at, "}}}\n");
    struct trread r;
    FILE *f;
    char err[256];
    T_CHECK(open_text(&r, &f, text, err, sizeof err) == 0);
    if (f) {
        T_CHECK(trread_pass(&r, NULL, err, sizeof err) == 0);
        T_CHECK(r.fam[0].n_lv == TRREAD_MAX_LABELS);
        T_CHECK(r.fam[0].lv_dropped == 5);
        trread_close(&r);
        fclose(f);
    }
    free(text);
}

static void test_rplot(void)
{
    static struct rplot_ser s;
    rplot_ser_init(&s);
    T_CHECK(rplot_col(0, 10) == 0);
    T_CHECK(rplot_col(10, 10) == RPLOT_W - 1);
    T_CHECK(rplot_col(5, 10) == RPLOT_W / 2);
    /* a column keeps a one-value spike as its maximum */
    for (int i = 0; i < 1000; i++)
        rplot_ser_add(&s, 3, i == 500 ? 1e6 : 1);
    rplot_ser_add(&s, 3, NAN);
    T_CHECK(s.n[3] == 1000);
    T_NEAR(s.mx[3], 1e6, 0);
    T_NEAR(s.mn[3], 1, 0);
    T_NEAR(s.sum[3], 999 + 1e6, 0);
    T_CHECK(s.n[4] == 0);
    /* names are escaped */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        rplot_escape(f, "<a href=\"x\">&'\x01");
        fclose(f);
        T_STREQ(buf, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        free(buf);
    }
}

static void test_sinum_format(void)
{
    static const struct {
        double v;
        const char *s;
    } cases[] = {{0, "0"},         {1.5e9, "1.5G"},   {250e-3, "250m"},
                 {42, "42"},       {-2e3, "-2k"},     {999999, "1M"},
                 {3.7e-6, "3.7u"}, {1e-12, "0.001n"}, {2e15, "2e+03T"},
                 {0.5, "500m"},    {1234.5, "1.23k"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char b[32];
        sinum_format(b, sizeof b, cases[i].v, 3);
        T_STREQ(b, cases[i].s);
        double back;
        T_CHECK(sinum_parse(b, NULL, &back) == 0);
        T_NEAR(back, cases[i].v, fabs(cases[i].v) * 5e-3);
    }
}

int main(void)
{
    test_format1();
    test_format2();
    test_damage();
    test_refused();
    test_label_cap();
    test_rplot();
    test_sinum_format();
    return t_done("test_trread");
}
