/*
 * vgproto - the wire protocol of the vGPU request API (run/vgserve.c,
 * plugins/vgclient): one ASCII line per request and per answer, as
 * wattson/vgpu.h describes.  Requests:
 *
 *   REQUEST TYPE AMOUNT [GPU]     RELEASE TYPE AMOUNT [GPU]
 *   AVAILABLE [GPU]               LIMIT TYPE LIMIT [GPU]
 *
 * words separated by spaces, at most WVG_LINE_MAX bytes with the '\n';
 * TYPE compute, memory or power; AMOUNT a number with an optional SI
 * prefix and the type's unit (core/sinum.h: 0.25, 4GB, 250W), finite and
 * > 0 (a LIMIT >= 0); GPU a device name of the lab (letters, digits,
 * '_', '-', '.'; none: the first GPU).  Answers are "OK key=value ..." or
 * "ERR CODE message".  Parsing and formatting write into the caller's
 * fixed buffers; nothing is allocated.
 */
#ifndef WATTSON_VGPROTO_H
#define WATTSON_VGPROTO_H

#include <stddef.h>

#include "wattson/vgpu.h"

/* A GPU name's room, its NUL included. */
#define VGPROTO_GPU_MAX 32

enum vgproto_verb {
    VGPROTO_REQUEST,
    VGPROTO_RELEASE,
    VGPROTO_AVAILABLE,
    VGPROTO_LIMIT
};

/* The ERR codes of answers (VGPROTO_OK: none). */
enum vgproto_code {
    VGPROTO_OK = 0,
    VGPROTO_EPROTO,  /* malformed line */
    VGPROTO_ETYPE,   /* unknown type */
    VGPROTO_EGPU,    /* unknown gpu */
    VGPROTO_EAMOUNT, /* bad amount: not a number, NaN, inf, <= 0 */
    VGPROTO_ELIMIT,  /* the client's limit */
    VGPROTO_EFULL,   /* nothing available; no connection slot left */
    VGPROTO_EPOLICY, /* refused by the policy */
    VGPROTO_ERATE,   /* rate limited */
    VGPROTO_EPERM,   /* a peer of another user */
    VGPROTO__N
};

struct vgproto_req {
    int verb; /* enum vgproto_verb */
    int type; /* enum wvg_type; -1 for AVAILABLE */
    double amount;
    char gpu[VGPROTO_GPU_MAX]; /* "" for the default */
};

/* Parses one line of len bytes (without its '\n'; a trailing '\r' is
 * taken away).  Returns VGPROTO_OK with *rq filled, or an ERR code with
 * one line in msg. */
int vgproto_parse(const char *line, size_t len, struct vgproto_req *rq,
                  char *msg, size_t mlen);
/* The request as a line with its '\n' (amounts exactly, %.17g): what
 * parses back into the same request.  Returns its length, or -1 when it
 * does not fit. */
int vgproto_format_req(const struct vgproto_req *rq, char *buf, size_t len);
/* "ERR CODE message\n" into buf (a message's non-printable bytes become
 * '?', and it is cut to fit); returns the length. */
int vgproto_format_err(char *buf, size_t len, int code, const char *msg);
/* "EPROTO" for VGPROTO_EPROTO, NULL for OK or out of range. */
const char *vgproto_code_name(int code);

#endif
