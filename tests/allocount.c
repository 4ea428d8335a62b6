/*
 * allocount.c - see allocount.h.
 */
#include "allocount.h"

#include <stddef.h>
#include <stdlib.h>

static volatile int counting;
static volatile unsigned long n_allocs, n_frees;

#if defined(__SANITIZE_ADDRESS__)
/* From the sanitizer runtime's public interface (declared here because
 * gcc does not install <sanitizer/allocator_interface.h>). */
int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void *, size_t),
    void (*free_hook)(const volatile void *));

static void on_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    if (counting)
        n_allocs++;
}

static void on_free(const volatile void *p)
{
    (void)p;
    if (counting)
        n_frees++;
}

void allocount_install(void)
{
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n)
{
    if (counting)
        n_allocs++;
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    if (counting)
        n_allocs++;
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    if (counting)
        n_allocs++;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    if (counting && p)
        n_frees++;
    __libc_free(p);
}

void allocount_install(void)
{
}
#endif

void allocount_start(void)
{
    n_allocs = n_frees = 0;
    counting = 1;
}

void allocount_stop(unsigned long *allocs, unsigned long *frees)
{
    counting = 0;
    if (allocs)
        *allocs = n_allocs;
    if (frees)
        *frees = n_frees;
}
