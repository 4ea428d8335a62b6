/*
 * mbench - `wattson bench mesh` (issue 14): the converter mesh's
 * controllers on the shipped mesh labs, against the grid optimum.
 */
#ifndef WATTSON_MBENCH_H
#define WATTSON_MBENCH_H

#include <stdio.h>

/* The tables of the lab at lab_path, or of the shipped mesh labs (NULL),
 * on out; 0, LAB_EXIT_BAD (3) for a bad lab, or 1 if a run failed
 * (message on stderr). */
int mbench_main(const char *lab_path, FILE *out);

#endif
