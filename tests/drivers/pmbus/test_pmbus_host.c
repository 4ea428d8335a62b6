/*
 * test_pmbus_host - the pmbus driver's vout control under the host's own
 * code (core/model.c, pipeline/actuate.c), on the emulated bus of
 * emupmbus.h: without --allow-writes (model_build's allow_writes 0) the
 * control is not writable and a target reaches no bus; with it, the
 * first write is preceded by a save (read_controls) and actuate_restore
 * puts the original VOUT_COMMAND back, the value found off the policy
 * range included; a target outside [VOUT_MARGIN_LOW, min(VOUT_MAX,
 * VOUT_MARGIN_HIGH)] is refused before the driver.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/model.h"
#include "core/stats.h"
#include "drvtest.h"
#include "emupmbus.h"
#include "loader/loader.h"
#include "pipeline/actuate.h"
#include "t.h"

static const char *const one_dev[] = {"1:0x40"};

/* The model of one emulated regulator's driver; *pp the plugin. */
static int build(struct emu *e, struct plug **pp, struct model *m,
                 int allow_writes)
{
    char err[1024];
    int rc;

    memset(e, 0, sizeof *e);
    emu_add(e, 1, 0x40);
    emu_devices(one_dev, 1, "/emu");
    rc = emu_load(e, pp, err, sizeof err);
    T_CHECK(rc == PLUG_OK);
    if (rc != PLUG_OK) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    rc = model_build(m, pp, 1, allow_writes, err, sizeof err);
    T_CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        plug_close(*pp);
        return -1;
    }
    return 0;
}

static int vout_ctl(const struct model *m)
{
    int c = model_find_control(m, 0, "vout");

    T_CHECK(c >= 0);
    return c;
}

static void test_read_only(void)
{
    struct stats st;
    struct actuate a;
    struct model m;
    struct plug *p;
    struct emu e;
    int c;

    if (build(&e, &p, &m, 0) != 0)
        return;
    T_CHECK(m.plugins[0].writable == 0);
    c = vout_ctl(&m);
    if (c >= 0 && actuate_init(&a, &m) == 0) {
        memset(&st, 0, sizeof st);
        m.target[c] = 1.0625;
        m.targeted[c] = 1;
        actuate_run(&a, &m, &st);
        T_CHECK(e.writes == 0);
        T_CHECK(e.dev[0].xfers[PMBUS_VOUT_COMMAND] == 0);
        T_CHECK(st.writes == 0);
        T_CHECK(actuate_restore(&a, &m, &st) == 0);
        T_CHECK(e.writes == 0);
        actuate_free(&a);
    }
    model_free(&m);
    plug_close(p);
}

static void test_write_restore(void)
{
    struct stats st;
    struct actuate a;
    struct model m;
    struct plug *p;
    struct emu e;
    int c;

    if (build(&e, &p, &m, 1) != 0)
        return;
    /* Started margined low, below VOUT_MARGIN_LOW 0.875 V: 0.8125 V. */
    e.dev[0].reg[PMBUS_VOUT_COMMAND] = 416;
    T_CHECK(m.plugins[0].writable == 1);
    c = vout_ctl(&m);
    if (c < 0 || actuate_init(&a, &m) != 0)
        goto out;
    memset(&st, 0, sizeof st);
    T_NEAR(m.controls[c].min, 0.875, 0);
    T_NEAR(m.controls[c].max, 1.125, 0);
    /* Above the policy range: refused by the host, never written. */
    m.target[c] = 1.2;
    m.targeted[c] = 1;
    actuate_run(&a, &m, &st);
    T_CHECK(st.rejected_decisions == 1);
    T_CHECK(e.writes == 0);
    /* The save ran before the (refused) first write. */
    T_CHECK(a.saved_done && a.saved_ok[c]);
    T_NEAR(a.saved[c], 0.8125, 0);
    m.target[c] = 1.0625;
    actuate_run(&a, &m, &st);
    T_CHECK(st.writes == 1);
    T_CHECK(e.dev[0].reg[PMBUS_VOUT_COMMAND] == 544);
    /* Exit: the original back, though it is below the policy range. */
    T_CHECK(actuate_restore(&a, &m, &st) == 0);
    T_CHECK(e.dev[0].reg[PMBUS_VOUT_COMMAND] == 416);
    T_STREQ(e.wlog, "i2c-1 0x40 21=0220\ni2c-1 0x40 21=01a0\n");
    /* Restoring twice writes nothing more. */
    T_CHECK(actuate_restore(&a, &m, &st) == 0);
    T_CHECK(e.writes == 2);
    actuate_free(&a);
out:
    model_free(&m);
    plug_close(p);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    test_read_only();
    test_write_restore();
    return t_done("test_pmbus_host");
}
