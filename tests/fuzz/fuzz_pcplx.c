/*
 * fuzz_pcplx - libFuzzer target for the input complexity score's image
 * path (console/part/pcplx.c): whatever bytes a user's --input names go
 * through libjpeg or libpng there, with pcplx's error manager.  Every
 * input must be scored or refused with one line "fuzz.img: ...", never
 * a crash, an exit or a message of libjpeg's on stderr; a score has an
 * image of at least one pixel, entropy within 0..8 bits, an edge density
 * within 0..1 and a score within 0..100.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "part/pcplx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pcplx_feat f;
    char err[512];
    err[0] = '\0';
    if (pcplx_image_buf(data, size, "fuzz.img", &f, err, sizeof err)) {
        if (strncmp(err, "fuzz.img: ", 10) != 0 || strchr(err, '\n'))
            abort(); /* one line naming the file */
        return 0;
    }
    const double s = pcplx_score(&f);
    if (f.width < 1 || f.height < 1 ||
        (size_t)f.width * f.height > PCPLX_MAX_PIXELS || !(f.entropy >= 0) ||
        f.entropy > 8 + 1e-9 || !(f.edge_density >= 0) || f.edge_density > 1 ||
        !(s >= 0) || s > 100)
        abort();
    return 0;
}
