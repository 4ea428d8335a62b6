/*
 * pcplx - see pcplx.h.
 */
#include "part/pcplx.h"

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#include "part/ptext.h"

/* The largest image file read. */
#define PCPLX_MAX_FILE (256u << 20)

void pcplx_gray(const uint8_t *px, unsigned w, unsigned h, struct pcplx_feat *f)
{
    f->width = w;
    f->height = h;
    size_t hist[256] = {0};
    const size_t n = (size_t)w * h;
    for (size_t k = 0; k < n; k++)
        hist[px[k]]++;
    double H = 0;
    for (int v = 0; v < 256; v++)
        if (hist[v]) {
            const double p = (double)hist[v] / (double)n;
            H -= p * log2(p);
        }
    f->entropy = H;
    f->edge_density = 0;
    if (w < 3 || h < 3)
        return;
    size_t edges = 0;
    const double thr2 = PCPLX_EDGE * PCPLX_EDGE;
    for (unsigned y = 1; y + 1 < h; y++) {
        const uint8_t *a = px + (size_t)(y - 1) * w, *b = a + w, *c = b + w;
        for (unsigned x = 1; x + 1 < w; x++) {
            const int gx = (a[x + 1] + 2 * b[x + 1] + c[x + 1]) -
                           (a[x - 1] + 2 * b[x - 1] + c[x - 1]);
            const int gy = (c[x - 1] + 2 * c[x] + c[x + 1]) -
                           (a[x - 1] + 2 * a[x] + a[x + 1]);
            edges += (double)gx * gx + (double)gy * gy >= thr2;
        }
    }
    f->edge_density = (double)edges / ((double)(w - 2) * (h - 2));
}

/* libjpeg's error manager: an error or a warning (corrupt data libjpeg
 * would go on with) returns to pcplx_jpeg through its jmp_buf with the
 * message; nothing is printed, nothing exits. */
struct pcplx_jerr {
    struct jpeg_error_mgr pub;
    jmp_buf back;
    char msg[JMSG_LENGTH_MAX];
};

static void pcplx_jexit(j_common_ptr ci)
{
    struct pcplx_jerr *e = (struct pcplx_jerr *)ci->err;
    (*ci->err->format_message)(ci, e->msg);
    longjmp(e->back, 1);
}

static void pcplx_jemit(j_common_ptr ci, int level)
{
    if (level < 0) /* a warning; trace messages (level >= 0) are ignored */
        pcplx_jexit(ci);
}

/* What a longjmp must find intact: in memory, not in locals. */
struct pcplx_jctx {
    struct jpeg_decompress_struct ci;
    struct pcplx_jerr jerr;
    uint8_t *px;
};

static int pcplx_jpeg(const void *buf, size_t len, const char *fname,
                      struct pcplx_feat *f, char *err, size_t errlen)
{
    struct pcplx_jctx *j = calloc(1, sizeof *j);
    if (!j)
        return ptext_err(err, errlen, fname, 0, "out of memory");
    j->ci.err = jpeg_std_error(&j->jerr.pub);
    j->jerr.pub.error_exit = pcplx_jexit;
    j->jerr.pub.emit_message = pcplx_jemit;
    if (setjmp(j->jerr.back)) {
        jpeg_destroy_decompress(&j->ci);
        free(j->px);
        ptext_err(err, errlen, fname, 0, "JPEG: %s", j->jerr.msg);
        free(j);
        return -1;
    }
    jpeg_create_decompress(&j->ci);
    jpeg_mem_src(&j->ci, buf, (unsigned long)len);
    jpeg_read_header(&j->ci, TRUE);
    /* Huffman data takes at least a bit for each 8x8 block's DC, so a
     * file bounds the work of decoding it; arithmetic coding does not (a
     * few hundred bytes can claim 64 Mpixel, fuzz_pcplx found), and no
     * camera or browser writes it. */
    if (j->ci.arith_code) {
        ptext_err(err, errlen, fname, 0,
                  "JPEG: arithmetic-coded (SOF9-11): not read, only "
                  "Huffman-coded JPEG");
        jpeg_destroy_decompress(&j->ci);
        free(j);
        return -1;
    }
    const size_t npx = (size_t)j->ci.image_width * j->ci.image_height;
    if (npx > PCPLX_MAX_PIXELS) {
        ptext_err(err, errlen, fname, 0, "%ux%u pixels: more than %u",
                  j->ci.image_width, j->ci.image_height, PCPLX_MAX_PIXELS);
        jpeg_destroy_decompress(&j->ci);
        free(j);
        return -1;
    }
    j->ci.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&j->ci);
    const unsigned w = j->ci.output_width, h = j->ci.output_height;
    j->px = malloc(npx ? npx : 1);
    if (!j->px) {
        jpeg_destroy_decompress(&j->ci);
        free(j);
        return ptext_err(err, errlen, fname, 0, "out of memory");
    }
    while (j->ci.output_scanline < h) {
        JSAMPROW row = j->px + (size_t)j->ci.output_scanline * w;
        jpeg_read_scanlines(&j->ci, &row, 1);
    }
    jpeg_finish_decompress(&j->ci);
    jpeg_destroy_decompress(&j->ci);
    pcplx_gray(j->px, w, h, f);
    free(j->px);
    free(j);
    return 0;
}

static int pcplx_png(const void *buf, size_t len, const char *fname,
                     struct pcplx_feat *f, char *err, size_t errlen)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&im, buf, len))
        return ptext_err(err, errlen, fname, 0, "PNG: %s", im.message);
    const size_t npx = (size_t)im.width * im.height;
    if (npx > PCPLX_MAX_PIXELS) {
        png_image_free(&im);
        return ptext_err(err, errlen, fname, 0, "%ux%u pixels: more than %u",
                         im.width, im.height, PCPLX_MAX_PIXELS);
    }
    im.format = PNG_FORMAT_GRAY;
    uint8_t *px = malloc(npx ? npx : 1);
    if (!px) {
        png_image_free(&im);
        return ptext_err(err, errlen, fname, 0, "out of memory");
    }
    /* transparent pixels over white, as a viewer shows them */
    const png_color white = {255, 255, 255};
    if (!png_image_finish_read(&im, &white, px, 0, NULL)) {
        free(px);
        ptext_err(err, errlen, fname, 0, "PNG: %s", im.message);
        png_image_free(&im);
        return -1;
    }
    pcplx_gray(px, im.width, im.height, f);
    free(px);
    return 0;
}

int pcplx_image_buf(const void *buf, size_t len, const char *fname,
                    struct pcplx_feat *f, char *err, size_t errlen)
{
    static const unsigned char jpg[3] = {0xff, 0xd8, 0xff},
                               png[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};
    memset(f, 0, sizeof *f);
    if (len >= sizeof jpg && memcmp(buf, jpg, sizeof jpg) == 0)
        return pcplx_jpeg(buf, len, fname, f, err, errlen);
    if (len >= sizeof png && memcmp(buf, png, sizeof png) == 0)
        return pcplx_png(buf, len, fname, f, err, errlen);
    return ptext_err(err, errlen, fname, 0, "not a JPEG or PNG image");
}

int pcplx_image_file(const char *path, struct pcplx_feat *f, char *err,
                     size_t errlen)
{
    char *buf;
    size_t len;
    memset(f, 0, sizeof *f);
    if (ptext_slurp(path, PCPLX_MAX_FILE, &buf, &len, err, errlen) != 0)
        return -1;
    const int rc = pcplx_image_buf(buf, len, path, f, err, errlen);
    free(buf);
    return rc;
}

double pcplx_score(const struct pcplx_feat *f)
{
    const double e = f->edge_density / PCPLX_EDGE_SAT;
    const double s = 50 * f->entropy / 8 + 50 * (e < 1 ? e : 1);
    return s < 0 ? 0 : s > 100 ? 100 : s;
}

double pcplx_seq_score(double len, double max_len)
{
    if (!(max_len > 0) || !(len > 0))
        return 0;
    return len >= max_len ? 100 : 100 * len / max_len;
}

double pcplx_scale(double score)
{
    return 0.5 + score / 100;
}
