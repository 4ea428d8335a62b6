/*
 * wattson/vgpu.h - the client side of wattson's virtual-GPU interface
 * (issue 16; the seed's "Virtual GPU Interface Extension":
 * requestResourceAllocation, releaseResources, getAvailableResources,
 * setResourceLimits).
 *
 * A running wattson started with `--vgpu-socket PATH` serves these calls
 * on a Unix stream socket at PATH (owner-only, 0600; a peer of another
 * user is refused).  The holder of a grant is the connection: what a
 * client holds is released when it closes the connection or exits, so a
 * tenant keeps its connection open for as long as it uses what it was
 * granted.  The link is libwattson-vgpu.so (-lwattson-vgpu); it depends on
 * the C library only.  Calls block, each for at most the connection's
 * timeout (default 2 s).
 *
 * The wire protocol is one ASCII line per request and per answer
 * (README "vGPU request API"):
 *
 *   REQUEST TYPE AMOUNT [GPU]   ->  OK granted=X held=X available=X
 *                                      limit=X gpu=NAME [partial=1]
 *   RELEASE TYPE AMOUNT [GPU]   ->  OK released=X held=X available=X gpu=NAME
 *   AVAILABLE GPU               ->  OK gpu=NAME compute=X memory=X power=X
 *   AVAILABLE                   ->  OK gpu0.compute=X gpu0.memory=X ...
 *   LIMIT TYPE LIMIT [GPU]      ->  OK limit=X held=X gpu=NAME
 *   anything refused            ->  ERR CODE message
 *
 * TYPE is compute (a fraction of the GPU's SMs, 0..1), memory (bytes; SI
 * prefixes and a B are accepted: 4GB) or power (W: 250W).  GPU is a
 * device name of the lab (default: its first GPU).  A request line is at
 * most WVG_LINE_MAX bytes with its newline.
 */
#ifndef WATTSON_VGPU_H
#define WATTSON_VGPU_H

#ifdef __cplusplus
extern "C" {
#endif

/* The three resource types, in the order of the wire's AVAILABLE
 * answers and of wvg_available's out[]. */
enum wvg_type { WVG_COMPUTE = 0, WVG_MEMORY = 1, WVG_POWER = 2, WVG_NTYPES };

/* Their names on the wire, indexed by enum wvg_type. */
#define WVG_TYPE_NAMES                                                         \
    {                                                                          \
        "compute", "memory", "power"                                           \
    }
/* Their units as core/sinum.h (the console) reads them: "" for compute. */
#define WVG_TYPE_UNITS                                                         \
    {                                                                          \
        "", "B", "W"                                                           \
    }

/* A request line's maximum length, its '\n' included. */
#define WVG_LINE_MAX 256

/* The results of the calls below. */
enum wvg_result {
    WVG_OK = 0,       /* done (a request may be granted partly: *granted) */
    WVG_REFUSED = -1, /* an ERR answer: wvg_error says which and why */
    WVG_IO = -2,      /* connection lost, timeout or a garbled answer */
    WVG_BADARG = -3   /* a bad argument, refused before sending */
};

struct wvg_conn;

/* The name of type t ("compute"), or NULL. */
const char *wvg_type_name(int t);
/* The type named `name`, or -1. */
int wvg_type_find(const char *name);

/* Connects to the server at `path`; NULL with errno set on failure
 * (ENAMETOOLONG for a path longer than a Unix socket's). */
struct wvg_conn *wvg_connect(const char *path);
/* Each call's answer waits at most `ms` milliseconds (default 2000). */
void wvg_set_timeout(struct wvg_conn *c, int ms);
/* Asks for `amount` of type `t` on `gpu` (NULL: the first GPU).  On
 * WVG_OK, *granted (if given) is what was granted, possibly less than
 * asked (a partial grant; the rest was not available or above a limit). */
int wvg_request(struct wvg_conn *c, enum wvg_type t, double amount,
                const char *gpu, double *granted);
/* Gives back `amount` (more than held gives back what is held);
 * *released (if given) says how much. */
int wvg_release(struct wvg_conn *c, enum wvg_type t, double amount,
                const char *gpu, double *released);
/* What is available on `gpu` (NULL: the first GPU), per type into out[]. */
int wvg_available(struct wvg_conn *c, const char *gpu, double out[WVG_NTYPES]);
/* Caps what this connection may hold of type t on gpu (>= what it holds
 * now, or refused). */
int wvg_set_limit(struct wvg_conn *c, enum wvg_type t, double limit,
                  const char *gpu);
/* Sends one raw request line (without its newline) and copies the answer
 * line (without its newline) into ans: WVG_OK for an OK answer,
 * WVG_REFUSED for ERR.  For tools; the calls above are built on it. */
int wvg_raw(struct wvg_conn *c, const char *line, char *ans, unsigned anslen);
/* The last ERR answer ("ERR EFULL only 0 compute available on gpu0") or
 * the last I/O failure; "" when there was none. */
const char *wvg_error(const struct wvg_conn *c);
/* Closes the connection: the server releases what it held. */
void wvg_close(struct wvg_conn *c);

#ifdef __cplusplus
}
#endif

#endif
