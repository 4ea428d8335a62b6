/*
 * test_ofrcfg - the settings of wattson-ofrelay (tools/ofrcfg.c): both
 * directions or one, every setting's refusals, the command line's
 * positional interfaces and options, and a control file applied all or
 * nothing with its line named.
 */
#include "t.h"
#include "tools/ofrcfg.h"

#include <string.h>

static int args(struct ofr_cfg *c, const char *line, char *err, size_t n)
{
    static char buf[512];
    char *argv[32];
    int argc = 0;
    argv[argc++] = "wattson-ofrelay";
    strcpy(buf, line);
    for (char *t = strtok(buf, " "); t && argc < 31; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    ofrcfg_init(c);
    return ofrcfg_args(c, argc, argv, err, n);
}

static void test_set(void)
{
    struct ofr_cfg c;
    char err[320];
    ofrcfg_init(&c);
    T_CHECK(ofrcfg_set(&c, "delay", "20ms", err, sizeof err) == 0);
    T_NEAR(c.dir[OFR_AB].delay_s, 0.020, 1e-12);
    T_NEAR(c.dir[OFR_BA].delay_s, 0.020, 1e-12);
    T_CHECK(ofrcfg_set(&c, "loss", "ab:0.3", err, sizeof err) == 0);
    T_NEAR(c.dir[OFR_AB].loss, 0.3, 1e-12);
    T_NEAR(c.dir[OFR_BA].loss, 0.0, 0);
    T_CHECK(ofrcfg_set(&c, "jitter", "ba:5ms", err, sizeof err) == 0);
    T_NEAR(c.dir[OFR_AB].jitter_s, 0.0, 0);
    T_NEAR(c.dir[OFR_BA].jitter_s, 0.005, 1e-12);
    /* one field changes: the delay of ba stays */
    T_NEAR(c.dir[OFR_BA].delay_s, 0.020, 1e-12);
    T_CHECK(ofrcfg_set(&c, "rate", "10Mbit", err, sizeof err) == 0);
    T_NEAR(c.dir[OFR_AB].rate_bps, 10e6, 1e-3);
    T_CHECK(ofrcfg_set(&c, "rate", "0", err, sizeof err) == 0);
    T_NEAR(c.dir[OFR_BA].rate_bps, 0, 0);
    T_CHECK(ofrcfg_set(&c, "rate", "10T", err, sizeof err) == 0);
    T_NEAR(c.dir[OFR_AB].rate_bps, OFR_RATE_MAX, 0);
    T_CHECK(ofrcfg_set(&c, "loss-burst", "0.01,0.3", err, sizeof err) == 0);
    T_CHECK(c.dir[OFR_AB].ge.on && c.dir[OFR_BA].ge.on);
    T_NEAR(c.dir[OFR_AB].ge.p_gb, 0.01, 1e-12);
    T_NEAR(c.dir[OFR_AB].ge.p_bg, 0.3, 1e-12);
    T_NEAR(c.dir[OFR_AB].ge.loss_bad, 1.0, 0);
    T_NEAR(c.dir[OFR_AB].ge.loss_good, 0.0, 0);
    T_CHECK(ofrcfg_set(&c, "loss-burst", "ab:0.1,0.2,0.5,0.01", err,
                       sizeof err) == 0);
    T_NEAR(c.dir[OFR_AB].ge.loss_bad, 0.5, 1e-12);
    T_NEAR(c.dir[OFR_AB].ge.loss_good, 0.01, 1e-12);
    T_CHECK(ofrcfg_set(&c, "loss-burst", "off", err, sizeof err) == 0);
    T_CHECK(!c.dir[OFR_AB].ge.on && !c.dir[OFR_BA].ge.on);

    /* refusals leave the settings as they were */
    struct ofr_cfg before = c;
    static const char *bad[][2] = {
        {"loss", "1.5"},
        {"loss", "-0.1"},
        {"loss", "0.3x"},
        {"loss", ""},
        {"loss", "nan"},
        {"delay", "-5ms"},
        {"delay", "5parsecs"},
        {"delay", "61s"},
        {"jitter", "ab:"},
        {"rate", "500"},
        {"rate", "-1M"},
        {"rate", "10Mbyte"},
        {"rate", "inf"},
        {"rate", "2e300"}, /* the fuzz find: finite, yet no link's rate */
        {"rate", "11T"},
        {"loss-burst", "0.1"},
        {"loss-burst", "0.1,,0.2"},
        {"loss-burst", "0.1,0.2,0.3,0.4,0.5"},
        {"loss-burst", "0.1,2"},
        {"speed", "1"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        T_CHECK(ofrcfg_set(&c, bad[i][0], bad[i][1], err, sizeof err) != 0);
        T_CHECK(err[0] != '\0' && !strchr(err, '\n'));
        T_CHECK(memcmp(&c, &before, sizeof c) == 0);
    }
    T_CHECK(ofrcfg_set(&c, "speed", "1", err, sizeof err) != 0);
    T_CHECK(strstr(err, "unknown setting 'speed'") != NULL);
}

static void test_args(void)
{
    struct ofr_cfg c;
    char err[320];
    T_CHECK(args(&c,
                 "--delay 20ms --loss ba:0.1 --seed 42 --reorder "
                 "--limit 64 --stats s --control k --pidfile p a1 b1",
                 err, sizeof err) == 0);
    T_STREQ(c.if_a, "a1");
    T_STREQ(c.if_b, "b1");
    T_STREQ(c.stats, "s");
    T_STREQ(c.control, "k");
    T_STREQ(c.pidfile, "p");
    T_CHECK(c.seed == 42 && c.reorder && c.limit == 64 && !c.check);
    T_NEAR(c.dir[OFR_BA].loss, 0.1, 1e-12);
    T_NEAR(c.dir[OFR_AB].delay_s, 0.02, 1e-12);
    T_CHECK(args(&c, "--check x y", err, sizeof err) == 0 && c.check);
    T_CHECK(args(&c, "--help", err, sizeof err) == 1);
    T_CHECK(args(&c, "a1", err, sizeof err) < 0);
    T_CHECK(strstr(err, "two interfaces") != NULL);
    T_CHECK(args(&c, "a1 b1 c1", err, sizeof err) < 0);
    T_CHECK(args(&c, "--loss", err, sizeof err) < 0);
    T_CHECK(strstr(err, "--loss needs a value") != NULL);
    T_CHECK(args(&c, "--speed 3 a b", err, sizeof err) < 0);
    T_CHECK(strstr(err, "unknown option '--speed'") != NULL);
    T_CHECK(args(&c, "--limit 0 a b", err, sizeof err) < 0);
    T_CHECK(args(&c, "--limit 100001 a b", err, sizeof err) < 0);
    T_CHECK(args(&c, "--seed -1 a b", err, sizeof err) < 0);
    T_CHECK(args(&c, "--loss 2 a b", err, sizeof err) < 0);
    T_CHECK(strstr(err, "loss: '2'") != NULL);
}

static void test_text(void)
{
    struct ofr_cfg c;
    char err[320];
    ofrcfg_init(&c);
    T_CHECK(ofrcfg_text(&c,
                        "# a bandwidth drop\n\ndelay 30ms\n"
                        "  rate ab:1M  # the uplink\nloss\t0.05\r\n",
                        "ctl", err, sizeof err) == 0);
    T_NEAR(c.dir[OFR_AB].delay_s, 0.03, 1e-12);
    T_NEAR(c.dir[OFR_AB].rate_bps, 1e6, 1e-6);
    T_NEAR(c.dir[OFR_BA].rate_bps, 0, 0);
    T_NEAR(c.dir[OFR_BA].loss, 0.05, 1e-12);
    /* all or nothing: line 2 is bad, line 1 is not applied */
    struct ofr_cfg before = c;
    T_CHECK(ofrcfg_text(&c, "delay 1ms\nloss 7\n", "ctl", err, sizeof err) !=
            0);
    T_CHECK(strncmp(err, "ctl:2: loss", 11) == 0);
    T_CHECK(memcmp(&c, &before, sizeof c) == 0);
    T_CHECK(ofrcfg_text(&c, "delay\n", "ctl", err, sizeof err) != 0);
    T_CHECK(strstr(err, "ctl:1: expected 'NAME VALUE'") != NULL);
    T_CHECK(ofrcfg_text(&c, "delay 1ms 2ms\n", "ctl", err, sizeof err) != 0);
    T_CHECK(ofrcfg_text(&c, "seed 3\n", "ctl", err, sizeof err) != 0);
    T_CHECK(strstr(err, "unknown setting 'seed'") != NULL);
    char longline[400];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    T_CHECK(ofrcfg_text(&c, longline, "ctl", err, sizeof err) != 0);
    T_CHECK(strstr(err, "longer than") != NULL);
    T_CHECK(ofrcfg_text(&c, "", "ctl", err, sizeof err) == 0);
    T_CHECK(memcmp(&c, &before, sizeof c) == 0);
}

int main(void)
{
    test_set();
    test_args();
    test_text();
    return t_done("test_ofrcfg");
}
