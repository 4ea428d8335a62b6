/*
 * tracefile - see tracefile.h.
 */
#include "core/tracefile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json.h"
#include "core/lab.h"
#include "core/model.h"
#include "core/summary.h"
#include "wattson/plugin.h"

int tracefile_open(struct tracefile *t, const char *path, int csv, char *err,
                   size_t errlen)
{
    memset(t, 0, sizeof *t);
    size_t n = strlen(path) + 32;
    t->path = strdup(path);
    t->tmp = malloc(n);
    if (!t->path || !t->tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        tracefile_abort(t);
        return -1;
    }
    snprintf(t->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    t->f = fopen(t->tmp, "w");
    if (!t->f) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        tracefile_abort(t);
        return -1;
    }
    /* A large buffer: a tick line is a few kB at most. */
    setvbuf(t->f, NULL, _IOFBF, 1 << 16);
    t->csv = csv;
    return 0;
}

static void put_num(FILE *f, double v, int valid)
{
    if (valid && v == v)
        fprintf(f, "%.9g", v);
    else
        fputs("null", f);
}

void tracefile_header(struct tracefile *t, const struct model *m,
                      const struct lab *lab, const char *policy)
{
    FILE *f = t->f;
    if (t->csv) {
        /* Names are the lab's text: a comma, quote or newline in one is
         * quoted, so the columns stay where the rows have them. */
        fputs("t_s", f);
        for (size_t i = 0; i < m->n_signals; i++)
            if (m->signals[i].behaviour != WATTSON_CONSTANT) {
                fputc(',', f);
                json_put_csv_field(f, m->devices[m->signals[i].device].name,
                                   ".", m->signals[i].name);
            }
        for (size_t c = 0; c < m->n_controls; c++) {
            fputc(',', f);
            json_put_csv_field(f, m->devices[m->controls[c].device].name,
                               ".set.", m->controls[c].name);
        }
        fputc('\n', f);
        return;
    }
    fputs("{\"type\":\"header\",\"lab\":", f);
    json_put_string(f, lab->name);
    fprintf(f,
            ",\"seed\":%llu,\"tick_s\":%.9g,\"duration_s\":%.9g,"
            "\"budget_w\":%.9g,\"policy\":",
            (unsigned long long)lab->seed, lab->tick_s, lab->duration_s,
            lab->budget_w);
    json_put_string(f, policy);
    fputs(",\"devices\":[", f);
    for (size_t d = 0; d < m->n_devices; d++) {
        const struct model_device *dev = &m->devices[d];
        fputs(d ? ",{\"name\":" : "{\"name\":", f);
        json_put_string(f, dev->name);
        fputs(",\"kind\":", f);
        json_put_string(f, dev->kind);
        fputs(",\"driver\":", f);
        json_put_string(f, m->plugins[dev->plugin].name);
        fputs(",\"signals\":{", f);
        int first = 1;
        for (size_t i = 0; i < m->n_signals; i++) {
            if (m->signals[i].device != d)
                continue;
            fputs(first ? "" : ",", f);
            first = 0;
            json_put_string(f, m->signals[i].name);
            fputs(":", f);
            json_put_string(f, m->signals[i].unit);
        }
        fputs("},\"controls\":{", f);
        first = 1;
        for (size_t c = 0; c < m->n_controls; c++) {
            const struct model_control *mc = &m->controls[c];
            if (mc->device != d)
                continue;
            fputs(first ? "" : ",", f);
            first = 0;
            json_put_string(f, mc->name);
            fprintf(f, ":{\"unit\":");
            json_put_string(f, mc->unit);
            fprintf(f, ",\"min\":%.9g,\"max\":%.9g}", mc->min, mc->max);
        }
        fputs("}}", f);
    }
    fputs("]}\n", f);
}

void tracefile_tick(struct tracefile *t, const struct model *m,
                    double total_power)
{
    FILE *f = t->f;
    if (t->csv) {
        fprintf(f, "%.9g", m->t);
        for (size_t i = 0; i < m->n_signals; i++) {
            if (m->signals[i].behaviour == WATTSON_CONSTANT)
                continue;
            if (m->valid[i])
                fprintf(f, ",%.9g", m->val[i]);
            else
                fputc(',', f);
        }
        for (size_t c = 0; c < m->n_controls; c++) {
            if (m->applied_known[c])
                fprintf(f, ",%.9g", m->applied[c]);
            else
                fputc(',', f);
        }
        fputc('\n', f);
        return;
    }
    fprintf(f, "{\"type\":\"tick\",\"tick\":%llu,\"t\":%.9g,\"power_w\":",
            (unsigned long long)m->tick, m->t);
    put_num(f, total_power, 1);
    fputs(",\"dev\":{", f);
    /* Names are the lab's and the drivers' text: escaped like the
     * header's (a plain name is written as is). */
    for (size_t d = 0; d < m->n_devices; d++) {
        fputs(d ? ",\"" : "\"", f);
        json_put_chars(f, m->devices[d].name);
        fputs("\":{", f);
        int first = 1;
        for (uint32_t k = m->dsig_off[d]; k < m->dsig_off[d + 1]; k++) {
            uint32_t i = m->dsig[k];
            if (m->signals[i].behaviour == WATTSON_CONSTANT)
                continue;
            fputs(first ? "\"" : ",\"", f);
            json_put_chars(f, m->signals[i].name);
            fputs("\":", f);
            first = 0;
            put_num(f, m->val[i], m->valid[i]);
        }
        for (uint32_t k = m->dctl_off[d]; k < m->dctl_off[d + 1]; k++) {
            uint32_t c = m->dctl[k];
            fputs(",\"set.", f);
            json_put_chars(f, m->controls[c].name);
            fputs("\":", f);
            put_num(f, m->applied[c], m->applied_known[c]);
        }
        if (m->devices[d].is_pu) {
            fputs(",\"fc.demand\":", f);
            put_num(f, m->fc_demand[d], m->fc_valid[d]);
        }
        fputc('}', f);
    }
    fputs("}}\n", f);
}

void tracefile_reload(struct tracefile *t, const struct model *m, int ok,
                      const char *error)
{
    if (t->csv)
        return;
    fprintf(t->f, "{\"type\":\"reload\",\"tick\":%llu,\"t\":%.9g,\"ok\":%s",
            (unsigned long long)m->tick, m->t, ok ? "true" : "false");
    if (error) {
        fputs(",\"error\":", t->f);
        json_put_string(t->f, error);
    }
    fputs("}\n", t->f);
}

int tracefile_commit(struct tracefile *t, const struct summary *s, char *err,
                     size_t errlen)
{
    if (!t->f)
        return 0;
    if (!t->csv) {
        summary_write_json(s, t->f, 1);
        fputc('\n', t->f);
    }
    int bad = ferror(t->f);
    if (fclose(t->f) != 0)
        bad = 1;
    t->f = NULL;
    if (bad || rename(t->tmp, t->path) != 0) {
        snprintf(err, errlen, "%s: write failed: %s", t->path, strerror(errno));
        tracefile_abort(t);
        return -1;
    }
    free(t->tmp);
    free(t->path);
    t->tmp = t->path = NULL;
    return 0;
}

void tracefile_abort(struct tracefile *t)
{
    if (t->f)
        fclose(t->f);
    t->f = NULL;
    if (t->tmp)
        unlink(t->tmp);
    free(t->tmp);
    free(t->path);
    t->tmp = t->path = NULL;
}
