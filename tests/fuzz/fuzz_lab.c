/*
 * fuzz_lab - libFuzzer target for the lab reader: any bytes, as a lab
 * chunk, must give a lab or a one-line error, never a crash, a leak or a
 * hang.  Limits are lowered so that an endless loop costs milliseconds.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/lab.h"

/* The fuzz build compiles cfg.c, dur.c, luacfg.c, sandbox.c and lab.c directly,
 * without the generated default_lab.c that wattson_core embeds. */
extern const char lab_default_text[];
extern const size_t lab_default_text_len;
const char lab_default_text[] = "return { drivers = { { plugin = 'sim' } } }";
const size_t lab_default_text_len = sizeof lab_default_text - 1;
/* And the host lab (plugins --host), which lab.c also embeds. */
extern const char lab_host_text[];
extern const size_t lab_host_text_len;
const char lab_host_text[] = "return { drivers = { { plugin = 'sim' } } }";
const size_t lab_host_text_len = sizeof lab_host_text - 1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        lab_set_limits((size_t)4 << 20, 200000);
        ready = 1;
    }
    char err[512];
    struct lab *lab = NULL;
    if (lab_load_string("fuzz", (const char *)data, size, ".", &lab, err,
                        sizeof err) == 0) {
        lab_free(lab);
    } else if (strchr(err, '\n') || strncmp(err, "fuzz", 4) != 0) {
        __builtin_trap(); /* errors are one line naming the chunk */
    }
    return 0;
}
