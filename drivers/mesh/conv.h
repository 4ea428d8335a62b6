/*
 * conv - a mesh node's bidirectional buck-boost DC-DC converter (issue
 * 14): duty cycle to output set point, and the power it loses.
 *
 * Set point.  The ideal buck-boost conversion ratio M = D / (1 - D)
 * (Erickson and Maksimovic, Fundamentals of Power Electronics, 3rd ed.,
 * ch. 2): vset = vin D / (1 - D), steps down below D = 1/2 and up above
 * it.  The duty is limited to [d_min, d_max] (minimum on and off times).
 *
 * Losses, the three terms of any switching converter's loss budget:
 *   conduction  (I_L^2 + dI^2 / 12) r_cond      switches + inductor DCR,
 *               I_L the inductor current: |I_out| when stepping down,
 *               |I_out| vout / vin stepping up; dI the ripple
 *   switching   0.5 vin I_L t_sw f_sw + c_oss vin^2 f_sw
 *               (V-I overlap at each edge, output capacitance charge)
 *   fixed       p_fixed                      controller, gate drive
 * so efficiency falls at light load (fixed and c_oss terms) and at large
 * step-down ratios (switching loss goes with vin, output power with vout)
 * and large step-up ratios (I_L grows with vout / vin).
 *
 * The shipped part, conv_node_part(), is a 12 V to 0.5-1.5 V, 40 A node
 * converter (sized so a node can carry its own module and half of a
 * failed neighbour's).  Its parameters are ordinary for a 500 kHz point-of-load
 * power stage (a few milliohm of switches and DCR, nanoseconds of edge
 * time) and are chosen so that at 12 V in and 1 V out its efficiency
 * curve has the shape of the efficiency-versus-output-current figures of
 * a PMBus point-of-load converter of this class, such as TI's TPS546D24A
 * (datasheet SLUSD58): about 90 % peak between a third and two thirds of
 * rated current, falling under 75 % below 1 A (TPS546D24A is a 40 A
 * part).  The shape is what
 * test_mesh checks; the curve is not fitted to digitised points.
 */
#ifndef WATTSON_CONV_H
#define WATTSON_CONV_H

struct conv_part {
    const char *name;
    double vin;          /* V: the input bus */
    double fsw;          /* Hz */
    double r_cond;       /* ohm: switches in the path + inductor DCR */
    double t_sw;         /* s: rise + fall time */
    double c_oss;        /* F: switch-node capacitance */
    double p_fixed;      /* W: controller, gate drive */
    double l;            /* H: inductor */
    double i_max;        /* A: output current limit (either direction) */
    double d_min, d_max; /* duty limits */
    double rdroop;       /* ohm: droop (virtual output) resistance */
};

/* The shipped node converter (see above). */
const struct conv_part *conv_node_part(void);
/* 0 if every field is finite and in range (vin, fsw, l, i_max, rdroop
 * > 0; r_cond, t_sw, c_oss, p_fixed >= 0; 0 < d_min < d_max < 1), else
 * -1 with the field's name in *field. */
int conv_check(const struct conv_part *p, const char **field);
/* The set point at duty d (clamped to the part's duty limits). */
double conv_vset(const struct conv_part *p, double d);
/* dvset / dD at duty d: vin / (1 - d)^2, the ideal ratio's slope (what
 * one duty step does to the set point; positive for every d < 1, at the
 * limits too, so a controller may divide by it). */
double conv_dvdd(const struct conv_part *p, double d);
/* The duty whose set point is v (clamped to the limits). */
double conv_duty(const struct conv_part *p, double v);
/* Power lost (W, >= p_fixed) carrying iout (A, either sign) at vout. */
double conv_loss(const struct conv_part *p, double vout, double iout);

#endif
