/*
 * plugins - `wattson plugins [--lab FILE] [--plugin-dir DIR]... [--host]`:
 * every loaded plugin, its devices, signals and controls; with --host,
 * this machine through the embedded host lab, with each signal's value.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "cmd/cli.h"
#include "core/log.h"
#include "core/model.h"
#include "loader/loader.h"
#include "wattson/plugin.h"

/* A signal's current value for `plugins --host`: the reading (or
 * "invalid"), and a counter's rate over the sampling interval. */
static void format_value(const struct model *m, size_t s, char *buf, size_t len)
{
    if (!m->valid[s]) {
        snprintf(buf, len, "invalid");
        return;
    }
    int n = snprintf(buf, len, "%.6g", m->val[s]);
    if (n > 0 && (size_t)n < len &&
        m->signals[s].behaviour == WATTSON_COUNTER && m->rate_valid[s]) {
        /* An energy counter's rate is the power it measures. */
        int joules = strcmp(m->signals[s].unit, "J") == 0;
        snprintf(buf + n, len - (size_t)n, " (%+.4g%s)", m->rate[s],
                 joules ? " W" : "/s");
    }
}

/* values: a column with each signal's current value (plugins --host). */
static void print_plugins(const struct model *m, int values, FILE *out)
{
    static const char *const beh[] = {"constant", "counter", "gauge"};
    for (size_t p = 0; p < m->n_plugins; p++) {
        const struct model_plugin *mp = &m->plugins[p];
        const struct wattson_plugin *d = mp->plug->desc;
        fprintf(out, "plugin %s %s (ABI %u.%u, %s%s)\n  file %s\n  %s\n",
                d->name, d->version ? d->version : "", d->abi_major,
                d->abi_minor, mp->simulated ? "simulated" : "hardware",
                mp->writable ? ", writable" : ", read-only", mp->plug->path,
                d->description ? d->description : "");
        for (uint32_t i = 0; i < mp->n_dev; i++) {
            uint32_t dv = mp->dev_base + i;
            const struct model_device *dev = &m->devices[dv];
            fprintf(out, "  device %s (%s)\n", dev->name, dev->kind);
            for (size_t s = 0; s < m->n_signals; s++) {
                const struct model_signal *sg = &m->signals[s];
                if (sg->device != dv)
                    continue;
                const char *b =
                    (unsigned)sg->behaviour < 3 ? beh[sg->behaviour] : "?";
                char val[64];
                if (values) {
                    format_value(m, s, val, sizeof val);
                    fprintf(out, "    signal  %-16s %-6s %-8s %-22s %s\n",
                            sg->name, sg->unit, b, val, sg->description);
                } else {
                    fprintf(out, "    signal  %-16s %-6s %-8s %s\n", sg->name,
                            sg->unit, b, sg->description);
                }
            }
            for (size_t c = 0; c < m->n_controls; c++) {
                const struct model_control *ct = &m->controls[c];
                if (ct->device != dv)
                    continue;
                fprintf(out,
                        "    control %-16s %-6s min %-10g max %-10g "
                        "step %g\n",
                        ct->name, ct->unit, ct->min, ct->max, ct->step);
            }
        }
    }
}

/* host: this machine through the embedded host lab, with each signal's
 * value after one tick of HOST_SAMPLE_NS, so that a counter (RAPL's
 * energy) also shows its rate, the power it measures. */
#define HOST_SAMPLE_NS 250000000L
static int plugins_exec(const struct cli_entry *self, struct cli_args *a)
{
    (void)self;
    if (a->argc > 0)
        return cli_usage_error("unexpected argument '%s'", a->argv[0]);
    if (a->host && a->run.lab_path)
        return cli_usage_error("%s", "plugins: --host and --lab conflict "
                                     "(--host is the embedded host lab)");
    char err[1024];
    struct run *r;
    a->run.host_lab = a->host;
    int rc = run_new(&a->run, &r, err, sizeof err);
    if (rc != RUN_OK) {
        char buf[1024];
        fprintf(stderr, "wattson: %s\n", log_escape(buf, sizeof buf, err));
        return rc;
    }
    if (a->host) {
        /* Read-only: the host lab's drivers are real and --allow-writes
         * is not a plugins option, so the tick writes nothing. */
        struct timespec ts = {0, HOST_SAMPLE_NS};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        run_tick(r);
    }
    print_plugins(run_model(r), a->host, stdout);
    run_free(r);
    return 0;
}

const struct cli_entry plugins_entry = {
    .name = "plugins",
    .usage = "",
    .help = "list every loaded plugin, its devices, signals and controls",
    .opts = 1u << CLI_OPT_LAB | 1u << CLI_OPT_PLUGIN_DIR | 1u << CLI_OPT_HOST,
    .exec = plugins_exec,
};
