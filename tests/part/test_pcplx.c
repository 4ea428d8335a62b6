/*
 * test_pcplx - the input complexity score (console/part/pcplx.c): the
 * features of hand-made grey images; a uniform JPEG and a PNG made here
 * decode and score as they must; every photo Debian's darknet ships
 * scores within 0..100 and above the uniform image, the giraffe in grass
 * above the kite in the sky; a truncated JPEG, a truncated PNG, a text
 * file and a missing file are each one line naming the file; the
 * sequence score and the compute scale.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <png.h>

#include "part/pcplx.h"
#include "t.h"

#define DARKNET_DATA "/usr/share/darknet/data"

static void test_gray(void)
{
    /* 4x4, left half black, right half white: 1 bit; the 4 interior
     * pixels each see |gx| = 4 x 255 */
    uint8_t px[16];
    for (int k = 0; k < 16; k++)
        px[k] = k % 4 >= 2 ? 255 : 0;
    struct pcplx_feat f;
    pcplx_gray(px, 4, 4, &f);
    T_NEAR(f.entropy, 1, 1e-12);
    T_NEAR(f.edge_density, 1, 0);
    T_NEAR(pcplx_score(&f), 50.0 / 8 + 50, 1e-9);
    /* a step of 31 levels is under the threshold (|g| = 124), 32 on it */
    for (int step = 31; step <= 32; step++) {
        for (int k = 0; k < 16; k++)
            px[k] = (uint8_t)(k % 4 >= 2 ? 100 + step : 100);
        pcplx_gray(px, 4, 4, &f);
        T_NEAR(f.edge_density, step == 32 ? 1 : 0, 0);
    }
    /* uniform: nothing */
    memset(px, 77, sizeof px);
    pcplx_gray(px, 4, 4, &f);
    T_NEAR(f.entropy, 0, 0);
    T_NEAR(pcplx_score(&f), 0, 0);
    /* 2x2: no interior */
    pcplx_gray(px, 2, 2, &f);
    T_NEAR(f.edge_density, 0, 0);
}

/* A w x h grey JPEG of one level, in memory (malloc'd). */
static unsigned char *uniform_jpeg(unsigned w, unsigned h, int level, int arith,
                                   unsigned long *len)
{
    struct jpeg_compress_struct ci;
    struct jpeg_error_mgr jerr;
    ci.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&ci);
    unsigned char *out = NULL;
    *len = 0;
    jpeg_mem_dest(&ci, &out, len);
    ci.image_width = w;
    ci.image_height = h;
    ci.input_components = 1;
    ci.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&ci);
    jpeg_set_quality(&ci, 90, TRUE);
    ci.arith_code = arith ? TRUE : FALSE;
    jpeg_start_compress(&ci, TRUE);
    unsigned char *row = malloc(w);
    memset(row, level, w);
    while (ci.next_scanline < h)
        jpeg_write_scanlines(&ci, &row, 1);
    jpeg_finish_compress(&ci);
    jpeg_destroy_compress(&ci);
    free(row);
    return out;
}

static void write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    T_CHECK(f != NULL);
    if (f) {
        T_CHECK(fwrite(buf, 1, len, f) == len);
        fclose(f);
    }
}

static void test_made(const char *dir, double *uniform_score)
{
    char path[256], err[512];
    struct pcplx_feat f;
    unsigned long jlen;
    unsigned char *jpg = uniform_jpeg(320, 240, 128, 0, &jlen);
    T_CHECK(pcplx_image_buf(jpg, jlen, "u.jpg", &f, err, sizeof err) == 0);
    T_CHECK(f.width == 320 && f.height == 240);
    *uniform_score = pcplx_score(&f);
    T_CHECK(*uniform_score < 1);
    /* cut short: libjpeg would fill the rest with grey and warn; refused */
    snprintf(path, sizeof path, "%s/short.jpg", dir);
    write_file(path, jpg, jlen / 2);
    T_CHECK(pcplx_image_file(path, &f, err, sizeof err) == -1);
    char want[300];
    snprintf(want, sizeof want, "%s: JPEG: Premature end of JPEG file", path);
    T_STREQ(err, want);
    /* the header alone is not enough either */
    T_CHECK(pcplx_image_buf(jpg, 4, "h.jpg", &f, err, sizeof err) == -1 &&
            strncmp(err, "h.jpg: JPEG: ", 13) == 0 && !strchr(err, '\n'));
    free(jpg);
    /* arithmetic coding (SOF9): refused before any decoding */
    jpg = uniform_jpeg(4096, 4096, 128, 1, &jlen);
    T_CHECK(jlen < 4096); /* 16 Mpixel in a few hundred bytes */
    T_CHECK(pcplx_image_buf(jpg, jlen, "a.jpg", &f, err, sizeof err) == -1);
    T_CHECK(strncmp(err, "a.jpg: JPEG: arithmetic-coded", 29) == 0);
    free(jpg);

    /* a PNG checkerboard of 8-pixel squares, 0 and 255: 1 bit */
    uint8_t px[64 * 64];
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++)
            px[y * 64 + x] = ((x / 8) + (y / 8)) % 2 ? 255 : 0;
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = im.height = 64;
    im.format = PNG_FORMAT_GRAY;
    png_alloc_size_t plen = 0;
    T_CHECK(png_image_write_get_memory_size(im, plen, 0, px, 0, NULL));
    unsigned char *png = malloc(plen);
    T_CHECK(png_image_write_to_memory(&im, png, &plen, 0, px, 0, NULL));
    struct pcplx_feat g;
    pcplx_gray(px, 64, 64, &g);
    T_CHECK(pcplx_image_buf(png, plen, "c.png", &f, err, sizeof err) == 0);
    T_NEAR(f.entropy, 1, 1e-12);
    T_NEAR(f.edge_density, g.edge_density, 0);
    fprintf(stderr, "checkerboard edges %.4f\n", f.edge_density);
    /* about the pixels next to a side: 1 - (6/8)^2 */
    T_CHECK(f.edge_density > 0.35 && f.edge_density < 0.5);
    snprintf(path, sizeof path, "%s/short.png", dir);
    write_file(path, png, plen - 20);
    T_CHECK(pcplx_image_file(path, &f, err, sizeof err) == -1);
    snprintf(want, sizeof want, "%s: PNG: ", path);
    T_CHECK(strncmp(err, want, strlen(want)) == 0 && !strchr(err, '\n'));
    free(png);
    unlink(path);
    snprintf(path, sizeof path, "%s/short.jpg", dir);
    unlink(path);

    /* not an image; not there */
    T_CHECK(pcplx_image_buf("hello", 5, "x.txt", &f, err, sizeof err) == -1);
    T_STREQ(err, "x.txt: not a JPEG or PNG image");
    snprintf(path, sizeof path, "%s/nosuch.jpg", dir);
    T_CHECK(pcplx_image_file(path, &f, err, sizeof err) == -1);
    T_CHECK(strncmp(err, path, strlen(path)) == 0);
}

static void test_photos(double uniform_score)
{
    static const char *names[] = {"dog",  "eagle",  "giraffe", "horses",
                                  "kite", "person", "scream"};
    double score[7];
    for (int k = 0; k < 7; k++) {
        char path[128], err[512];
        snprintf(path, sizeof path, DARKNET_DATA "/%s.jpg", names[k]);
        if (access(path, R_OK) != 0) {
            t_skip("%s: not there (Debian's darknet package)", path);
            return;
        }
        struct pcplx_feat f;
        T_CHECK(pcplx_image_file(path, &f, err, sizeof err) == 0);
        score[k] = pcplx_score(&f);
        fprintf(stderr, "%-8s %ux%u entropy %.3f edges %.4f score %.1f\n",
                names[k], f.width, f.height, f.entropy, f.edge_density,
                score[k]);
        T_CHECK(score[k] >= 0 && score[k] <= 100);
        T_CHECK(score[k] > uniform_score + 20);
        T_CHECK(f.entropy > 6 && f.entropy <= 8);
    }
    T_CHECK(score[2] > score[4] + 20); /* giraffe in grass, kite in sky */
}

static void test_seq(void)
{
    T_NEAR(pcplx_seq_score(25, 50), 50, 1e-12);
    T_NEAR(pcplx_seq_score(80, 50), 100, 0);
    T_NEAR(pcplx_seq_score(0, 50), 0, 0);
    T_NEAR(pcplx_seq_score(10, 0), 0, 0);
    T_NEAR(pcplx_scale(0), 0.5, 0);
    T_NEAR(pcplx_scale(50), 1, 0);
    T_NEAR(pcplx_scale(100), 1.5, 0);
}

int main(void)
{
    char dir[] = "/tmp/wattson-pcplx-XXXXXX";
    T_CHECK(mkdtemp(dir) != NULL);
    double uniform = 0;
    test_gray();
    test_made(dir, &uniform);
    test_photos(uniform);
    test_seq();
    rmdir(dir);
    return t_done("test_pcplx");
}
