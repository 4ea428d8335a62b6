/*
 * fuzz_meshlab - libFuzzer target for the lab file's mesh section: any
 * bytes as a lab chunk go through the lab reader and, if that accepts
 * them, the mesh section's reader (cmd/meshlab.c) and the plant's
 * builder; each must give a result or a one-line error naming the chunk,
 * never a crash, a leak or a hang.  The seeds are mesh labs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cmd/meshlab.h"
#include "core/lab.h"

/* The embedded labs lab.c refers to: labstub.c. */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    static struct meshlab ml;
    static struct mesh m;
    if (!ready) {
        /* 100 ms of CPU: a lab takes about 1 ms under ASan, and a slow
         * input must not eat the short runs of make test */
        lab_set_limits((size_t)4 << 20, 200000, 100000000ull);
        ready = 1;
    }
    char err[512];
    struct lab *lab = NULL;
    if (lab_load_string("fuzz", (const char *)data, size, ".", &lab, err,
                        sizeof err) != 0)
        return 0;
    /* the lab's path is the chunk's name, so errors start "fuzz: " */
    if (meshlab_read(lab, &ml, err, sizeof err) == 0) {
        if (meshlab_build(&ml, &ml.agents, &m, NULL, err, sizeof err) == 0)
            meshlab_events(&ml, -1, ml.duration_s, &m, NULL);
    } else if (strchr(err, '\n') || strncmp(err, "fuzz", 4) != 0) {
        __builtin_trap();
    }
    lab_free(lab);
    return 0;
}
