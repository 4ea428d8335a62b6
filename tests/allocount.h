/*
 * allocount.h - a process-wide allocation counter for the unit tests that
 * prove a path allocates nothing (test_noalloc, test_policy_runtime).
 *
 * Every malloc/calloc/realloc and every free of a non-NULL pointer in the
 * process - the plugins' and libc's included - is counted between
 * allocount_start() and allocount_stop().  Under AddressSanitizer this uses
 * the sanitizer's malloc hooks; without it, allocount.c defines malloc,
 * calloc, realloc and free itself over glibc's __libc_* functions, so it
 * must be linked into the executable (listed as one of its sources).
 */
#ifndef WATTSON_ALLOCOUNT_H
#define WATTSON_ALLOCOUNT_H

/* Installs the hooks; call once at the start of main(). */
void allocount_install(void);

/* Zeroes both counts and starts counting. */
void allocount_start(void);

/* Stops counting; stores the counts since allocount_start() in *allocs and
 * *frees (either may be NULL). */
void allocount_stop(unsigned long *allocs, unsigned long *frees);

#endif
