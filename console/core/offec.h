/*
 * offec - a systematic Reed-Solomon erasure code over GF(2^8) for the
 * offload protocol (issue 18): k data shards and m parity shards of
 * equal length, any k of the k+m enough to rebuild the data.  It is what
 * lets a tensor cross a lossy link (core/ofblk.c cuts it into datagrams)
 * without waiting a round trip for each lost one.
 *
 * The arithmetic is Intel's ISA-L (Debian libisal): the coding matrix is
 * an identity over a Cauchy matrix (gf_gen_cauchy1_matrix), every square
 * submatrix of which is invertible, so every choice of k surviving shards
 * decodes (Blomer et al., "An XOR-based erasure-resilient coding scheme",
 * ICSI TR-95-048, 1995, for Cauchy Reed-Solomon codes); ISA-L's own
 * gf_gen_rs_matrix (Vandermonde) does not guarantee it beyond the small
 * (k, m) its header lists.  Encoding multiplies the data by the m parity
 * rows (ec_init_tables, ec_encode_data: SIMD table lookups); decoding
 * takes the rows of k present shards, inverts that k x k matrix
 * (gf_invert_matrix) and multiplies the present shards by the rows of the
 * inverse that belong to the lost data shards.  Lost parity is not
 * rebuilt: the data is what the receiver wants.
 *
 * k + m <= 255 (the Cauchy construction needs k + m distinct field
 * elements besides those of the identity).  Every matrix, table and
 * index list a decode needs is allocated by offec_init for the worst
 * case (m lost data shards; the pointer arrays are on the stack), so
 * encode and decode allocate nothing.
 */
#ifndef WATTSON_OFFEC_H
#define WATTSON_OFFEC_H

#include <stddef.h>
#include <stdint.h>

#define OFFEC_MAX_SHARDS 255

struct offec {
    int k, m;
    unsigned char *mat;      /* (k + m) x k coding matrix, identity on top */
    unsigned char *enc_tbls; /* 32 * k * m: the parity rows' tables */
    unsigned char *sub;      /* k x k: rows of the shards decoded from */
    unsigned char *inv;      /* k x k: its inverse */
    unsigned char *rows;     /* m x k: the inverse's rows for lost data */
    unsigned char *dec_tbls; /* 32 * k * m */
    int *lost;               /* m: the lost data shards' indices */
};

/* Makes the code for k >= 1 data and m >= 0 parity shards, k + m <= 255.
 * 0, or -1 with a reason in err. */
int offec_init(struct offec *f, int k, int m, char *err, size_t errlen);
void offec_free(struct offec *f);

/* Writes the m parity shards of the k data shards, len bytes each. */
void offec_encode(struct offec *f, const uint8_t *const *data, uint8_t **parity,
                  size_t len);

/* shards: k + m pointers, data first, NULL where a shard was lost.  Each
 * lost data shard i (i < k) is rebuilt into spare[i], a caller buffer of
 * len bytes (spare has k entries; only those of lost data shards are
 * used, the others may be NULL), and shards[i] is set to it; lost parity
 * shards stay NULL.  0, or -1 with a one-line reason when fewer than k
 * shards are present (nothing is written then) or a spare is missing. */
int offec_decode(struct offec *f, uint8_t **shards, uint8_t *const *spare,
                 size_t len, char *why, size_t whylen);

#endif
