/*
 * controls - the console's controls of a running run: manual overrides (the
 * override stage's store) and the shared budget.  See run.h.
 */
#include "run/run_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/lab.h"
#include "core/log.h"
#include "core/model.h"

/* A budget below the power caps' minimums cannot be met: it is not
 * refused (the broker's degraded mode runs every PU at its lowest state),
 * but the caps are held at their minimums (a Lua policy's caps above them
 * are rejected, policy.c) and the user is told, at start and at every
 * change. */
void run_warn_budget_below_caps(const struct model *m)
{
    double mins = 0;
    for (size_t k = 0; k < m->n_devices; k++) {
        int32_t c = m->devices[k].ctl[CTL_POWER_CAP];
        if (c >= 0)
            mins += m->controls[c].min;
    }
    if (m->budget_w > 0 && mins > m->budget_w)
        log_msg(LOG_WARN,
                "budget %g W is below the sum of the power caps' minimums "
                "(%g W): every cap is held at its minimum and the power may "
                "exceed the budget",
                m->budget_w, mins);
}
void run_set_budget(struct run *r, double watts)
{
    if (!(watts >= 0))
        watts = 0;
    r->model.budget_w = watts;
    r->lab->budget_w = watts;
    r->sum.budget_w = watts;
    run_warn_budget_below_caps(&r->model);
}
/* The control `ctl` of device `dev`, or -1 with a message. */
static int find_ctl(const struct run *r, const char *dev, const char *ctl,
                    char *err, size_t errlen)
{
    const struct model *m = &r->model;
    int d = dev ? model_find_device(m, dev) : -1;
    if (d < 0) {
        snprintf(err, errlen, "no such device '%s'", dev ? dev : "");
        return -1;
    }
    int c = ctl ? model_find_control(m, (uint32_t)d, ctl) : -1;
    if (c < 0) {
        size_t n = (size_t)snprintf(err, errlen, "%s has no control '%s' (",
                                    dev, ctl ? ctl : "");
        for (uint32_t i = m->dctl_off[d]; i < m->dctl_off[d + 1] && n < errlen;
             i++)
            n += (size_t)snprintf(err + n, errlen - n, "%s%s",
                                  i > m->dctl_off[d] ? ", " : "",
                                  m->controls[m->dctl[i]].name);
        if (n < errlen)
            snprintf(err + n, errlen - n, "%s)",
                     m->dctl_off[d] == m->dctl_off[d + 1] ? "none" : "");
        return -1;
    }
    return c;
}
int run_override(struct run *r, const char *dev, const char *ctl, double value,
                 char *err, size_t errlen)
{
    int c = find_ctl(r, dev, ctl, err, errlen);
    if (c < 0)
        return -1;
    const struct model_control *mc = &r->model.controls[c];
    if (!isfinite(value)) {
        snprintf(err, errlen, "%s.%s: not a finite number", dev, ctl);
        return -1;
    }
    if (value < mc->min || value > mc->max) {
        snprintf(err, errlen, "%s.%s: %g outside [%g, %g] %s", dev, ctl, value,
                 mc->min, mc->max, mc->unit);
        return -1;
    }
    if (!r->model.plugins[mc->plugin].writable) {
        snprintf(err, errlen,
                 "%s.%s: read-only (real hardware without --allow-writes)", dev,
                 ctl);
        return -1;
    }
    override_set(&r->ovr, (size_t)c, value);
    return 0;
}
int run_override_now(struct run *r, const char *dev, const char *ctl,
                     double value, char *err, size_t errlen)
{
    if (run_override(r, dev, ctl, value, err, errlen) != 0)
        return -1;
    r->model.applied_known[find_ctl(r, dev, ctl, err, errlen)] = 0;
    return 0;
}
int run_override_clear(struct run *r, const char *dev, const char *ctl,
                       char *err, size_t errlen)
{
    int c = find_ctl(r, dev, ctl, err, errlen);
    if (c < 0)
        return -1;
    override_clear(&r->ovr, (size_t)c);
    return 0;
}
int run_override_get(const struct run *r, size_t c, double *value)
{
    return override_get(&r->ovr, c, value);
}
