/*
 * mbench - `wattson bench mesh` (issue 14): the converter mesh's
 * controllers on the shipped mesh labs, against the grid optimum.
 */
#ifndef WATTSON_MBENCH_H
#define WATTSON_MBENCH_H

#include <stdio.h>

/* The tables on out; 0, or 1 if a run failed (message on stderr). */
int mbench_main(FILE *out);

#endif
