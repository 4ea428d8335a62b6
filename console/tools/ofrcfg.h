/*
 * ofrcfg - the settings of wattson-ofrelay (tools/ofrelay.c, the
 * impairment relay of the offload protocol's network testbed, issue 18)
 * and their two text forms: the command line and the control file the
 * relay rereads on SIGHUP.
 *
 * Impairments are kept per direction: "ab" is what the relay receives on
 * its first interface (the A side) and sends on its second, "ba" the
 * reverse.  A value applies to both directions unless prefixed "ab:" or
 * "ba:" ("--loss ab:0.3").
 *
 *   delay DUR       one-way delay added to every frame (core/dur.h: 20ms)
 *   jitter DUR      a uniform random extra in [-J, +J] on top of the delay
 *                   (the sum clamped at 0); frames still leave in arrival
 *                   order unless --reorder was given, as from a real queue
 *   loss P          independent loss per frame, 0..1
 *   loss-burst S    Gilbert-Elliott two-state loss, S = "P_GB,P_BG[,LOSS_B
 *                   [,LOSS_G]]" or "off": P_GB the chance per frame of
 *                   going from the good state to the bad one, P_BG back,
 *                   LOSS_B the loss in the bad state (default 1: Gilbert
 *                   1960, "Capacity of a burst-noise channel", whose bad
 *                   state loses with 1-h, here h = 0 by default) and LOSS_G
 *                   in the good one (default 0; Elliott 1963, "Estimates of
 *                   error rates for codes on burst-noise channels", adds
 *                   losses in the good state, 1-k).  Applied in addition
 *                   to `loss`.
 *   rate BPS        the relay's own serialisation rate in bit/s
 *                   (core/sinum.h: 10M, 10Mbit), 1k to 10T; 0 is none.  tc tbf
 * on the veth ends is the testbed's main limiter.
 *
 * Command line only: --check (parse the rest and exit 0 or 2, for
 * scripts that want a bad value refused before they build anything),
 * --seed N (the loss and jitter draws; the same seed
 * and the same frames give the same decisions), --reorder (jitter may
 * reorder frames), --limit N (frames queued per direction, default 1000,
 * the tail dropped beyond), --stats FILE, --control FILE, --pidfile FILE
 * and the two interface names.
 *
 * The control file holds live settings, one "NAME VALUE" a line, '#'
 * comments and blank lines ignored; it is applied on top of the current
 * settings, all or nothing.
 */
#ifndef WATTSON_OFRCFG_H
#define WATTSON_OFRCFG_H

#include <stddef.h>

enum { OFR_AB, OFR_BA, OFR_NDIR };

/* The Gilbert-Elliott channel's parameters (see above); on = 0: off. */
struct ofr_ge {
    int on;
    double p_gb, p_bg, loss_bad, loss_good;
};

struct ofr_dir {
    double delay_s, jitter_s, loss, rate_bps;
    struct ofr_ge ge;
};

struct ofr_cfg {
    struct ofr_dir dir[OFR_NDIR];
    int reorder;
    int check; /* --check: the command line checked, nothing started */
    unsigned long long seed;
    unsigned limit;
    /* Pointers into argv. */
    const char *if_a, *if_b, *stats, *control, *pidfile;
};

#define OFR_LIMIT_DEFAULT 1000u
#define OFR_LIMIT_MAX 100000u
#define OFR_DELAY_MAX 60.0 /* seconds: a longer one is surely a typo */
/* bit/s: 10 Tbit/s is past any link a relay on a host can serve (800G
 * Ethernet is the fastest standard), so a larger rate is a typo too. */
#define OFR_RATE_MAX 1e13

/* Defaults: no impairment, seed 1, the default limit, no files. */
void ofrcfg_init(struct ofr_cfg *c);
/* One live setting by name ("delay", "jitter", "loss", "loss-burst",
 * "rate") from "[ab:|ba:]VALUE".  0, or -1 with a one-line reason (c
 * unchanged). */
int ofrcfg_set(struct ofr_cfg *c, const char *name, const char *value,
               char *err, size_t errlen);
/* The command line (argv[0] skipped).  0; 1 when --help was asked for; -1
 * with a one-line reason. */
int ofrcfg_args(struct ofr_cfg *c, int argc, char **argv, char *err,
                size_t errlen);
/* A control file's text (NUL-terminated), named fname in messages.  0, or
 * -1 with "fname:LINE: reason" and c unchanged. */
int ofrcfg_text(struct ofr_cfg *c, const char *text, const char *fname,
                char *err, size_t errlen);

#endif
