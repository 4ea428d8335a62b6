/*
 * test_pmbus_host - the pmbus driver's vout control under the host's own
 * code (core/model.c, pipeline/actuate.c), on the emulated bus of
 * emupmbus.h: without --allow-writes (model_build's allow_writes 0) the
 * control is not writable and a target reaches no bus; with it, the
 * first write is preceded by a save (read_controls) and actuate_restore
 * puts the original VOUT_COMMAND back, the value found off the policy
 * range included; a target outside [VOUT_MARGIN_LOW, min(VOUT_MAX,
 * VOUT_MARGIN_HIGH)] is refused before the driver; a VOUT_MODE change
 * between save and restore restores the saved volts at the new exponent.
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

/* One emulated regulator's driver in the host's model, with an actuate
 * stage over it; c is its vout control. */
struct rig {
    struct emu e;
    struct plug *p;
    struct model m;
    struct actuate a;
    struct stats st;
    int c;
};

static int rig_up(struct rig *r, int allow_writes)
{
    char err[1024];
    int rc;

    memset(r, 0, sizeof *r);
    emu_add(&r->e, 1, 0x40);
    emu_devices(one_dev, 1, "/emu");
    rc = emu_load(&r->e, &r->p, err, sizeof err);
    T_CHECK(rc == PLUG_OK);
    if (rc != PLUG_OK) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    rc = model_build(&r->m, &r->p, 1, allow_writes, err, sizeof err);
    T_CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "  %s\n", err);
        plug_close(r->p);
        return -1;
    }
    r->c = model_find_control(&r->m, 0, "vout");
    T_CHECK(r->c >= 0);
    if (r->c < 0 || actuate_init(&r->a, &r->m) != 0) {
        T_CHECK(!"vout control and actuate_init");
        model_free(&r->m);
        plug_close(r->p);
        return -1;
    }
    return 0;
}

static void rig_down(struct rig *r)
{
    actuate_free(&r->a);
    model_free(&r->m);
    plug_close(r->p);
}

static void test_read_only(void)
{
    static struct rig r;

    if (rig_up(&r, 0) != 0)
        return;
    T_CHECK(r.m.plugins[0].writable == 0);
    r.m.target[r.c] = 1.0625;
    r.m.targeted[r.c] = 1;
    actuate_run(&r.a, &r.m, &r.st);
    T_CHECK(r.e.writes == 0);
    T_CHECK(r.e.dev[0].xfers[PMBUS_VOUT_COMMAND] == 0);
    T_CHECK(r.st.writes == 0);
    T_CHECK(actuate_restore(&r.a, &r.m, &r.st) == 0);
    T_CHECK(r.e.writes == 0);
    rig_down(&r);
}

static void test_write_restore(void)
{
    static struct rig r;
    int c;

    if (rig_up(&r, 1) != 0)
        return;
    c = r.c;
    /* Started margined low, below VOUT_MARGIN_LOW 0.875 V: 0.8125 V. */
    r.e.dev[0].reg[PMBUS_VOUT_COMMAND] = 416;
    T_CHECK(r.m.plugins[0].writable == 1);
    T_NEAR(r.m.controls[c].min, 0.875, 0);
    T_NEAR(r.m.controls[c].max, 1.125, 0);
    /* Above the policy range: refused by the host, never written. */
    r.m.target[c] = 1.2;
    r.m.targeted[c] = 1;
    actuate_run(&r.a, &r.m, &r.st);
    T_CHECK(r.st.rejected_decisions == 1);
    T_CHECK(r.e.writes == 0);
    /* The save ran before the (refused) first write. */
    T_CHECK(r.a.saved_done && r.a.saved_ok[c]);
    T_NEAR(r.a.saved[c], 0.8125, 0);
    r.m.target[c] = 1.0625;
    actuate_run(&r.a, &r.m, &r.st);
    T_CHECK(r.st.writes == 1);
    T_CHECK(r.e.dev[0].reg[PMBUS_VOUT_COMMAND] == 544);
    /* Exit: the original back, though it is below the policy range. */
    T_CHECK(actuate_restore(&r.a, &r.m, &r.st) == 0);
    T_CHECK(r.e.dev[0].reg[PMBUS_VOUT_COMMAND] == 416);
    T_STREQ(r.e.wlog, "i2c-1 0x40 21=0220\ni2c-1 0x40 21=01a0\n");
    /* Restoring twice writes nothing more. */
    T_CHECK(actuate_restore(&r.a, &r.m, &r.st) == 0);
    T_CHECK(r.e.writes == 2);
    rig_down(&r);
}

/* VOUT_MODE changes between the save and the restore: the saved volts
 * go back encoded at the exponent of the moment, not the one of the
 * save. */
static void test_restore_after_mode_change(void)
{
    static struct rig r;
    int c;

    if (rig_up(&r, 1) != 0)
        return;
    c = r.c;
    r.e.dev[0].reg[PMBUS_VOUT_COMMAND] = 416; /* 0.8125 V at 2^-9 */
    r.m.target[c] = 1.0625;
    r.m.targeted[c] = 1;
    actuate_run(&r.a, &r.m, &r.st);
    T_CHECK(r.st.writes == 1);
    T_NEAR(r.a.saved[c], 0.8125, 0);
    emu_vout_mode(&r.e.dev[0], 0x16); /* 2^-10 */
    T_CHECK(actuate_restore(&r.a, &r.m, &r.st) == 0);
    T_CHECK(r.e.dev[0].reg[PMBUS_VOUT_COMMAND] == 832);
    T_STREQ(r.e.wlog, "i2c-1 0x40 21=0220\ni2c-1 0x40 21=0340\n");
    rig_down(&r);
}

int main(void)
{
    log_set_level(LOG_ERROR);
    test_read_only();
    test_write_restore();
    test_restore_after_mode_change();
    return t_done("test_pmbus_host");
}
