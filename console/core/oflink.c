/*
 * oflink - see oflink.h.
 */
#include "core/oflink.h"

#include <math.h>

/* RFC 6298's clock granularity G: ours is the monotonic clock's, far
 * below a millisecond; 1 ms keeps RTO from collapsing onto SRTT on a
 * path whose RTT never varies (loopback). */
#define OFLINK_G 0.001

void oflink_init(struct oflink *l, double prior_bw, double prior_rtt)
{
    *l = (struct oflink){.prior_bw = prior_bw, .prior_rtt = prior_rtt};
}

void oflink_rtt(struct oflink *l, double r)
{
    if (!(r > 0) || !isfinite(r))
        return;
    if (l->n_rtt++ == 0) {
        l->srtt = r;
        l->rttvar = r / 2;
        return;
    }
    /* RFC 6298 2.3: RTTVAR first, with the old SRTT */
    l->rttvar = 0.75 * l->rttvar + 0.25 * fabs(l->srtt - r);
    l->srtt = 0.875 * l->srtt + 0.125 * r;
}

static void push(struct oflink *l, double s)
{
    l->win[l->head] = s;
    l->head = (l->head + 1) % OFLINK_WIN;
    if (l->n_win < OFLINK_WIN)
        l->n_win++;
    l->bw = 0;
    for (unsigned i = 0; i < l->n_win; i++)
        if (l->win[i] > l->bw)
            l->bw = l->win[i];
}

void oflink_train(struct oflink *l, double bytes, double disp)
{
    if (!(bytes >= OFLINK_MIN_TRAIN_BYTES) || !isfinite(bytes) ||
        !(disp >= 0) || !isfinite(disp))
        return;
    /* too quick to time: the path is at least this fast */
    const double s =
        bytes / (disp < OFLINK_MIN_DISP_S ? OFLINK_MIN_DISP_S : disp);
    l->n_bw++;
    if (l->bw > 0 && s < 0.5 * l->bw) {
        if (l->low > 0) {
            /* the second in a row: the path is slower now */
            const double first = l->low;
            l->n_win = 0;
            l->head = 0;
            l->low = 0;
            push(l, first);
            push(l, s);
            return;
        }
        l->low = s;
    } else
        l->low = 0;
    push(l, s);
}

double oflink_bw(const struct oflink *l)
{
    return l->bw > 0 ? l->bw : l->prior_bw;
}

double oflink_lat(const struct oflink *l)
{
    return (l->n_rtt ? l->srtt : l->prior_rtt) / 2;
}

double oflink_timeout(const struct oflink *l, double work_s, double bytes)
{
    const double srtt = l->n_rtt ? l->srtt : l->prior_rtt;
    const double var = l->n_rtt ? l->rttvar : l->prior_rtt / 2;
    double rto = srtt + fmax(OFLINK_G, 4 * var);
    if (rto < 1)
        rto = 1;
    return work_s + rto + 2 * bytes / oflink_bw(l);
}
