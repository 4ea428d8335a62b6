/*
 * galloc - the dynamic resource allocator's rule (issue 16, the seed's
 * "Dynamic Resource Allocator"): one resource of one GPU (its SM time, or
 * its memory) shared among its tenants.
 *
 * In order, each step only with what the ones before left:
 *   1. every tenant its guarantee (`min`, at most its `max`); guarantees
 *      that exceed the capacity are scaled down alike (the lab reader
 *      refuses such a lab; the API's reservations can still crowd them);
 *   2. the tenants' wants (`want`, clamped to [min, max]), highest
 *      priority first; within one priority max-min fair (water-filling:
 *      every short tenant gets the same increment until it is satisfied
 *      or the capacity is gone), so one heavy tenant cannot starve its
 *      peers;
 *   3. with `spare`, what is still free, max-min fair up to each `max`:
 *      work-conserving, so a tenant that outgrows its prediction finds
 *      room at once and its use shows its need (a tenant held at its share
 *      hides how much more it wanted).
 * Max-min fairness: Bertsekas and Gallager, Data Networks, 2nd ed.,
 * section 6.5.2.
 */
#ifndef WATTSON_GALLOC_H
#define WATTSON_GALLOC_H

#include <stddef.h>

#define GALLOC_MAX 32

struct galloc_in {
    double want;
    double min, max;
    int prio;
};

/* Shares into out[0..n), summing to at most cap (n <= GALLOC_MAX). */
void galloc_share(const struct galloc_in *in, size_t n, double cap, int spare,
                  double *out);
/* Jain's fairness index of x[0..n): (sum x)^2 / (n sum x^2), 1 when all
 * are equal, 1/n when one has everything (Jain, Chiu and Hawe, DEC-TR-301,
 * 1984); 1 for n = 0 or all zero. */
double galloc_jain(const double *x, size_t n);

#endif
