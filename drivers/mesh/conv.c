/*
 * conv - see conv.h.
 */
#include "conv.h"

#include <math.h>

static const struct conv_part conv_node = {
    .name = "node-12v-40a",
    .vin = 12.0,
    .fsw = 500e3,
    .r_cond = 1.5e-3,
    .t_sw = 10e-9,
    .c_oss = 1.5e-9,
    .p_fixed = 0.40,
    .l = 0.47e-6,
    .i_max = 40.0,
    .d_min = 0.02,
    .d_max = 0.70,
    .rdroop = 1.5e-3, /* a VRM-like load line */
};

const struct conv_part *conv_node_part(void)
{
    return &conv_node;
}

int conv_check(const struct conv_part *p, const char **field)
{
#define CONV_NEED(cond, name)                                                  \
    do {                                                                       \
        if (!(cond)) {                                                         \
            *field = name;                                                     \
            return -1;                                                         \
        }                                                                      \
    } while (0)
    CONV_NEED(p->vin > 0 && isfinite(p->vin), "vin");
    CONV_NEED(p->fsw > 0 && isfinite(p->fsw), "fsw");
    CONV_NEED(p->r_cond >= 0 && isfinite(p->r_cond), "r_cond");
    CONV_NEED(p->t_sw >= 0 && isfinite(p->t_sw), "t_sw");
    CONV_NEED(p->c_oss >= 0 && isfinite(p->c_oss), "c_oss");
    CONV_NEED(p->p_fixed >= 0 && isfinite(p->p_fixed), "p_fixed");
    CONV_NEED(p->l > 0 && isfinite(p->l), "l");
    CONV_NEED(p->i_max > 0 && isfinite(p->i_max), "i_max");
    CONV_NEED(p->d_min > 0 && p->d_min < p->d_max && p->d_max < 1, "duty");
    CONV_NEED(p->rdroop > 0 && isfinite(p->rdroop), "rdroop");
#undef CONV_NEED
    return 0;
}

static double conv_clampd(const struct conv_part *p, double d)
{
    /* NaN goes to d_min: the lowest voltage, never an undefined one */
    if (!(d >= p->d_min))
        return p->d_min;
    return d > p->d_max ? p->d_max : d;
}

double conv_vset(const struct conv_part *p, double d)
{
    d = conv_clampd(p, d);
    return p->vin * d / (1 - d);
}

double conv_dvdd(const struct conv_part *p, double d)
{
    d = conv_clampd(p, d);
    return p->vin / ((1 - d) * (1 - d));
}

double conv_duty(const struct conv_part *p, double v)
{
    if (!(v > 0))
        return p->d_min;
    return conv_clampd(p, v / (p->vin + v));
}

double conv_loss(const struct conv_part *p, double vout, double iout)
{
    const double vo = vout > 0 ? vout : 0, io = fabs(iout);
    double il, ripple;
    if (vo <= p->vin) {
        /* stepping down: buck leg switching, ripple vo (1 - D) / (L f) */
        il = io;
        ripple = vo * (1 - vo / p->vin) / (p->l * p->fsw);
    } else {
        /* stepping up: boost leg, ripple vin D / (L f), D = 1 - vin/vo */
        il = io * vo / p->vin;
        ripple = p->vin * (1 - p->vin / vo) / (p->l * p->fsw);
    }
    const double cond = (il * il + ripple * ripple / 12) * p->r_cond;
    const double sw = 0.5 * p->vin * il * p->t_sw * p->fsw +
                      p->c_oss * p->vin * p->vin * p->fsw;
    return cond + sw + p->p_fixed;
}
