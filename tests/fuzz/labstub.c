/*
 * labstub - the embedded labs core/lab.c refers to, for the fuzz targets
 * that compile the lab reader's sources directly, without the generated
 * default_lab.c and host_lab.c that wattson_core embeds.
 */
#include <stddef.h>

extern const char lab_default_text[];
extern const size_t lab_default_text_len;
const char lab_default_text[] = "return { drivers = { { plugin = 'sim' } } }";
const size_t lab_default_text_len = sizeof lab_default_text - 1;
extern const char lab_host_text[];
extern const size_t lab_host_text_len;
const char lab_host_text[] = "return { drivers = { { plugin = 'sim' } } }";
const size_t lab_host_text_len = sizeof lab_host_text - 1;
