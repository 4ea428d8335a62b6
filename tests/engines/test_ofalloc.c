/*
 * test_ofalloc - the remote's allocator for offloaded requests
 * (console/engines/ofalloc.c) over wattson's vGPU book: a request lands
 * where it would finish first among the devices free for it, holds the
 * whole device's compute and its memory until released, waits when every
 * device that could hold it is held, and is refused, with the reason,
 * when no device could ever hold it.
 */
#include <math.h>
#include <string.h>

#include "engines/ofalloc.h"
#include "t.h"

static const struct ofalloc_dev devs[] = {
    {"fast", 2.0, 8e9},
    {"slow", 0.5, 32e9},
};

static void test_choice_and_wait(void)
{
    char why[200];
    struct ofalloc *a = ofalloc_new(devs, 2, 8, why, sizeof why);
    T_CHECK(a != NULL);
    T_NEAR(ofalloc_best_speed(a), 2.0, 1e-12);
    size_t d1, d2, d3;
    int g1, g2, g3;
    /* both free: the fast one finishes first */
    T_CHECK(ofalloc_admit(a, 1e9, 100, 0, &d1, &g1, why, sizeof why) ==
            OFALLOC_GRANTED);
    T_CHECK(d1 == 0);
    /* the fast one is held: the slow one */
    T_CHECK(ofalloc_admit(a, 1e9, 100, 0, &d2, &g2, why, sizeof why) ==
            OFALLOC_GRANTED);
    T_CHECK(d2 == 1);
    /* both held: wait */
    T_CHECK(ofalloc_admit(a, 1e9, 100, 0, &d3, &g3, why, sizeof why) ==
            OFALLOC_WAIT);
    /* the slow one released: it goes there */
    ofalloc_release(a, g2);
    T_CHECK(ofalloc_admit(a, 1e9, 100, 0, &d3, &g3, why, sizeof why) ==
            OFALLOC_GRANTED);
    T_CHECK(d3 == 1);
    ofalloc_release(a, g1);
    ofalloc_release(a, g3);
    /* a timeline that keeps the fast device busy past what the slow one
     * would take sends the request to the slow one: 400 ms of work is
     * 200 ms on fast (busy 10 s more) and 800 ms on slow */
    *ofalloc_timeline(a, 0) = 10.0;
    T_CHECK(ofalloc_admit(a, 1e9, 400, 0, &d1, &g1, why, sizeof why) ==
            OFALLOC_GRANTED);
    T_CHECK(d1 == 1);
    ofalloc_release(a, g1);
    ofalloc_free(a);
}

static void test_memory(void)
{
    char why[200] = "";
    struct ofalloc *a = ofalloc_new(devs, 2, 8, why, sizeof why);
    size_t d;
    int g1, g2;
    /* more than the fast one has: only the slow one can */
    T_CHECK(ofalloc_admit(a, 20e9, 1, 0, &d, &g1, why, sizeof why) ==
            OFALLOC_GRANTED);
    T_CHECK(d == 1);
    /* the slow one's memory is held (and its compute): a second such one
     * waits, though the fast device is free */
    T_CHECK(ofalloc_admit(a, 20e9, 1, 0, &d, &g2, why, sizeof why) ==
            OFALLOC_WAIT);
    ofalloc_release(a, g1);
    /* more than any device has: refused, naming both sizes */
    T_CHECK(ofalloc_admit(a, 40e9, 1, 0, &d, &g2, why, sizeof why) ==
            OFALLOC_REFUSED);
    T_CHECK(strstr(why, "40 GB") && strstr(why, "32 GB"));
    ofalloc_free(a);
}

static void test_bad_devices(void)
{
    char why[200];
    const struct ofalloc_dev bad[] = {{"x", 0, 1e9}};
    T_CHECK(ofalloc_new(bad, 1, 4, why, sizeof why) == NULL);
    T_CHECK(strstr(why, "'x'") != NULL);
    const struct ofalloc_dev inf[] = {{"y", 1, INFINITY}};
    T_CHECK(ofalloc_new(inf, 1, 4, why, sizeof why) == NULL);
    T_CHECK(ofalloc_new(devs, 0, 4, why, sizeof why) == NULL);
}

int main(void)
{
    test_choice_and_wait();
    test_memory();
    test_bad_devices();
    return t_done("test_ofalloc");
}
