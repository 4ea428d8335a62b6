/*
 * metrics - see metrics.h.
 *
 * The exposition formats: Prometheus's text format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/) and
 * OpenMetrics 1.0 (https://github.com/OpenObservability/OpenMetrics,
 * specification/OpenMetrics.md), told apart by the scraper's Accept
 * header as Prometheus itself asks.  Names and units follow
 * https://prometheus.io/docs/practices/naming/.
 */
#include "run/metrics.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/netaddr.h"
#include "core/sbuf.h"
#include "engines/emetric.h"
#include "run/run_int.h"

#define MX_PORT_EXAMPLE 9464 /* the port OpenTelemetry's exporter takes */
/* The text is remade for a newer tick at most this often: scrapes in
 * between get the last text, whose wattson_tick says which tick it is.
 * Prometheus scrapes every 15 s by default and rarely under 1 s; a
 * scraper polling 100 times a second would otherwise have the text
 * remade every 10 ms tick (bench metrics: +28 % tick cost at 256 PUs). */
#define MX_REMAKE_NS 100000000ull

struct metrics {
    struct evhttp *http;
    const struct run *r;
    char addr[128];
    unsigned long scrapes;
    /* The text of the last tick rendered, per format. */
    struct sbuf text[2];
    uint64_t tick[2], made_ns[2];
    int have[2];
    /* Signal and control indexes grouped by family (mx_signals). */
    uint32_t *sig_order, *ctl_order;
    /* Each device's label set: dl.p[dl_off[d] .. dl_off[d + 1]). */
    struct sbuf dl;
    size_t *dl_off;
};

/* s with backslash and newline escaped, and the double quote when
 * `quote` (label values always; HELP text only in OpenMetrics). */
static void mx_escaped(struct sbuf *o, const char *s, int quote)
{
    const char *stops = quote ? "\\\"\n" : "\\\n";
    for (const char *p = s ? s : ""; *p;) {
        size_t run = strcspn(p, stops);
        sbuf_put(o, p, run);
        p += run;
        if (*p) {
            sbuf_put(o, *p == '\n' ? "\\n" : *p == '"' ? "\\\"" : "\\\\", 2);
            p++;
        }
    }
}

static void mx_label(struct sbuf *o, const char *key, const char *val,
                     int first)
{
    if (!first)
        sbuf_put(o, ",", 1);
    sbuf_puts(o, key);
    sbuf_put(o, "=\"", 2);
    mx_escaped(o, val, 1);
    sbuf_put(o, "\"", 1);
}

static void mx_number(struct sbuf *o, double v)
{
    char b[40];
    int n = snprintf(b, sizeof b, " %.12g\n", v);
    sbuf_put(o, b, n > 0 && (size_t)n < sizeof b ? (size_t)n : 0);
}

/* A counter's sample that is not a number is left out (OpenMetrics: a
 * counter's total is a number, >= 0; a scrape with one else fails
 * whole); `from` is where its name began. */
static void mx_counter_value(struct sbuf *o, size_t from, double v)
{
    if (!isfinite(v) || v < 0) {
        if (!o->failed)
            o->len = from;
        return;
    }
    mx_number(o, v);
}

static void mx_value(struct sbuf *o, double v)
{
    if (isnan(v))
        sbuf_printf(o, " NaN\n");
    else if (isinf(v))
        sbuf_printf(o, " %sInf\n", v > 0 ? "+" : "-");
    else
        mx_number(o, v);
}

/* ---- names -------------------------------------------------------------- */

/* A name fragment: [a-zA-Z0-9_] only, other bytes as '_'. */
static void mx_sanitize(const char *in, char *out, size_t len)
{
    size_t k = 0;
    for (; in && *in && k + 1 < len; in++)
        out[k++] = ((*in >= 'a' && *in <= 'z') || (*in >= 'A' && *in <= 'Z') ||
                    (*in >= '0' && *in <= '9'))
                       ? *in
                       : '_';
    out[k] = '\0';
}

static const char *mx_unit_word(const char *u, size_t n)
{
    static const struct {
        const char *unit, *word;
    } words[] = {{"W", "watts"},   {"J", "joules"},  {"Hz", "hertz"},
                 {"C", "celsius"}, {"s", "seconds"}, {"B", "bytes"},
                 {"V", "volts"},   {"A", "amperes"}, {"op", "ops"},
                 {"%", "percent"}, {"1", ""}};
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (strlen(words[k].unit) == n && strncmp(words[k].unit, u, n) == 0)
            return words[k].word;
    return NULL;
}

static void mx_unit_suffix(const char *unit, char *out, size_t len)
{
    size_t k = 0;
    out[0] = '\0';
    for (const char *p = unit ? unit : ""; *p && k + 1 < len;) {
        size_t n = strcspn(p, "/*");
        const char *w = mx_unit_word(p, n);
        char frag[64];
        if (w)
            snprintf(frag, sizeof frag, "%s", w);
        else {
            char raw[64];
            snprintf(raw, sizeof raw, "%.*s", (int)(n < 63 ? n : 63), p);
            mx_sanitize(raw, frag, sizeof frag);
        }
        int wrote =
            snprintf(out + k, len - k, "%s%s", k && *frag ? "_" : "", frag);
        k += wrote > 0 ? (size_t)wrote : 0;
        if (k >= len)
            k = len - 1;
        p += n;
        if (*p == '/' || *p == '*') {
            if (*p == '/' && k + 1 < len) {
                wrote = snprintf(out + k, len - k, "_per");
                k += wrote > 0 ? (size_t)wrote : 0;
            }
            p++;
        }
        if (k >= len)
            k = len - 1;
    }
}

/* "wattson_<group>_<name>[_<unit>]" into out. */
static void mx_name(const char *group, const char *name, const char *unit,
                    char *out, size_t len)
{
    char n[96], u[96];
    mx_sanitize(name, n, sizeof n);
    mx_unit_suffix(unit, u, sizeof u);
    /* A name that already ends with its unit word keeps it once. */
    size_t nl = strlen(n), ul = strlen(u);
    int has =
        ul && nl > ul && strcmp(n + nl - ul, u) == 0 && n[nl - ul - 1] == '_';
    snprintf(out, len, "wattson_%s_%s%s%s", group, n, ul && !has ? "_" : "",
             has ? "" : u);
}

/* A family's TYPE and HELP lines.  `base` has no _total; a counter's
 * samples do. */
static void mx_family(struct sbuf *o, int om, const char *base, int counter,
                      const char *help)
{
    const char *sfx = counter && !om ? "_total" : "";
    sbuf_printf(o, "# TYPE %s%s %s\n", base, sfx,
                counter ? "counter" : "gauge");
    if (help && *help) {
        sbuf_printf(o, "# HELP %s%s ", base, sfx);
        mx_escaped(o, help, om);
        sbuf_put(o, "\n", 1);
    }
}

/* ---- the run's parts ---------------------------------------------------- */

/* "{device=..,kind=..,driver=..}" of each device, made once at start
 * (mx_make_labels): a sample's labels are then one copy. */
static void mx_label_set(struct sbuf *o, const struct model *m, uint32_t d)
{
    sbuf_put(o, "{", 1);
    mx_label(o, "device", m->devices[d].name, 1);
    mx_label(o, "kind", m->devices[d].kind, 0);
    mx_label(o, "driver", m->plugins[m->devices[d].plugin].name, 0);
    sbuf_put(o, "}", 1);
}

static int mx_make_labels(struct metrics *mx, const struct model *m)
{
    mx->dl_off = malloc((m->n_devices + 1) * sizeof *mx->dl_off);
    if (!mx->dl_off)
        return -1;
    for (size_t d = 0; d < m->n_devices; d++) {
        mx->dl_off[d] = mx->dl.len;
        mx_label_set(&mx->dl, m, (uint32_t)d);
    }
    mx->dl_off[m->n_devices] = mx->dl.len;
    return mx->dl.failed ? -1 : 0;
}

static void mx_device_labels(struct sbuf *o, const struct metrics *mx,
                             uint32_t d)
{
    sbuf_put(o, mx->dl.p + mx->dl_off[d], mx->dl_off[d + 1] - mx->dl_off[d]);
}

/* Signals: one family per (name, unit, counter or not), its devices in
 * model order: mx_order_signals sorts the signals' indexes so once, at
 * start, and a family begins where the key changes.  (A search for each
 * signal's first of its family every scrape was quadratic: 4,000
 * signals of the 256-PU bench lab took milliseconds a tick.) */
static int mx_sig_key(const struct model_signal *a,
                      const struct model_signal *b)
{
    int c = strcmp(a->name, b->name);
    if (!c)
        c = strcmp(a->unit, b->unit);
    if (!c)
        c = (a->behaviour == WATTSON_COUNTER) -
            (b->behaviour == WATTSON_COUNTER);
    return c;
}

static int mx_ctl_key(const struct model_control *a,
                      const struct model_control *b)
{
    int c = strcmp(a->name, b->name);
    return c ? c : strcmp(a->unit, b->unit);
}

static const struct model *mx_sorting; /* qsort's comparators' model */

static int mx_cmp_sig(const void *x, const void *y)
{
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    int c = mx_sig_key(&mx_sorting->signals[i], &mx_sorting->signals[j]);
    return c ? c : (i > j) - (i < j);
}

static int mx_cmp_ctl(const void *x, const void *y)
{
    uint32_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
    int c = mx_ctl_key(&mx_sorting->controls[i], &mx_sorting->controls[j]);
    return c ? c : (i > j) - (i < j);
}

static void mx_signals(struct sbuf *o, int om, const struct metrics *mx,
                       const struct model *m, const uint32_t *order)
{
    char base[224];
    for (size_t k = 0; k < m->n_signals; k++) {
        const uint32_t j = order[k];
        const struct model_signal *s = &m->signals[j];
        const int counter = s->behaviour == WATTSON_COUNTER;
        if (k == 0 || mx_sig_key(&m->signals[order[k - 1]], s) != 0) {
            mx_name("device", s->name, s->unit, base, sizeof base);
            mx_family(o, om, base, counter, s->description);
        }
        const size_t from = o->len;
        sbuf_puts(o, base);
        if (counter)
            sbuf_put(o, "_total", 6);
        mx_device_labels(o, mx, s->device);
        if (counter)
            mx_counter_value(o, from, m->valid[j] ? m->val[j] : NAN);
        else
            mx_value(o, m->valid[j] ? m->val[j] : NAN);
    }
}

/* Controls: what wattson applied, and the range the driver declared. */
static void mx_controls(struct sbuf *o, int om, const struct metrics *mx,
                        const struct model *m, const uint32_t *order)
{
    static const char *const part[3] = {"", "min", "max"};
    static const char *const help[3] = {
        "the value wattson applied to the control (NaN: none yet)",
        "the control's lowest value, as its driver declares",
        "the control's highest value, as its driver declares"};
    char base[224];
    for (size_t k = 0; k < m->n_controls; k++) {
        const uint32_t c = order[k];
        const struct model_control *x = &m->controls[c];
        const int first =
            k == 0 || mx_ctl_key(&m->controls[order[k - 1]], x) != 0;
        if (!first)
            continue;
        /* The family's members: k .. end. */
        size_t end = k + 1;
        while (end < m->n_controls &&
               mx_ctl_key(&m->controls[order[end]], x) == 0)
            end++;
        for (int p = 0; p < 3; p++) {
            char nm[128];
            snprintf(nm, sizeof nm, "%s%s%s", x->name, *part[p] ? "_" : "",
                     part[p]);
            mx_name("control", nm, x->unit, base, sizeof base);
            mx_family(o, om, base, 0, help[p]);
            for (size_t q = k; q < end; q++) {
                const uint32_t i = order[q];
                const struct model_control *y = &m->controls[i];
                sbuf_puts(o, base);
                mx_device_labels(o, mx, y->device);
                mx_value(o, p == 1                ? y->min
                            : p == 2              ? y->max
                            : m->applied_known[i] ? m->applied[i]
                                                  : NAN);
            }
        }
    }
}

static void mx_forecasts(struct sbuf *o, int om, const struct metrics *mx,
                         const struct model *m)
{
    mx_family(o, om, "wattson_device_demand_forecast_ops_per_second", 0,
              "each processing unit's demand as forecast for the horizon");
    for (size_t d = 0; d < m->n_devices; d++) {
        if (!m->devices[d].is_pu)
            continue;
        sbuf_puts(o, "wattson_device_demand_forecast_ops_per_second");
        mx_device_labels(o, mx, (uint32_t)d);
        mx_value(o, m->fc_valid[d] ? m->fc_demand[d] : NAN);
    }
    mx_family(o, om, "wattson_device_fault", 0,
              "1 while a device is marked faulty (permission, vanished, "
              "rejected, read error)");
    for (size_t d = 0; d < m->n_devices; d++) {
        sbuf_puts(o, "wattson_device_fault");
        mx_device_labels(o, mx, (uint32_t)d);
        mx_value(o,
                 m->faults && m->faults[d].current != FAULT_NONE ? 1.0 : 0.0);
    }
}

/* The summary's keys: "_j" "_w" "_s" "_ms" as unit words (ms scaled to
 * seconds), the integer ones counters. */
static void mx_summary_key(struct sbuf *o, int om, const char *key, double v,
                           int counter)
{
    static const struct {
        const char *sfx, *word;
        double scale;
    } units[] = {{"_ms", "_seconds", 1e-3},
                 {"_j", "_joules", 1},
                 {"_w", "_watts", 1},
                 {"_s", "_seconds", 1}};
    char name[160];
    snprintf(name, sizeof name, "wattson_run_%s", key);
    size_t n = strlen(name);
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
        size_t sl = strlen(units[k].sfx);
        if (n > sl && strcmp(name + n - sl, units[k].sfx) == 0) {
            snprintf(name + n - sl, sizeof name - (n - sl), "%s",
                     units[k].word);
            v *= units[k].scale;
            break;
        }
    }
    mx_family(o, om, name, counter, "the run's summary key of this name");
    const size_t from = o->len;
    sbuf_printf(o, "%s%s", name, counter ? "_total" : "");
    if (counter)
        mx_counter_value(o, from, v);
    else
        mx_value(o, v);
}

static void mx_summary(struct sbuf *o, int om, const struct summary *s)
{
#define MX_KEY(k, type) mx_summary_key(o, om, #k, (double)s->k, (type)0.5 == 0);
    SUMMARY_MEMBER_KEYS(MX_KEY)
#undef MX_KEY
#define MX_DERIVED(k, fn) mx_summary_key(o, om, #k, fn(s), 0);
    SUMMARY_DERIVED_KEYS(MX_DERIVED)
#undef MX_DERIVED
}

struct mx_eng {
    struct sbuf *o;
    const char *base;
    int counter;
};

static void mx_eng_one(void *ctx, size_t fam, const char *label, double v)
{
    struct mx_eng *e = ctx;
    const char *key = emetric_families[fam].label;
    const size_t from = e->o->len;
    sbuf_printf(e->o, "%s%s", e->base, e->counter ? "_total" : "");
    if (key && label) {
        sbuf_printf(e->o, "{");
        mx_label(e->o, key, label, 1);
        sbuf_printf(e->o, "}");
    }
    if (e->counter)
        mx_counter_value(e->o, from, v);
    else
        mx_value(e->o, v);
}

static void mx_engines(struct sbuf *o, int om, const struct engines *e)
{
    for (size_t k = 0; k < emetric_n_families; k++) {
        const struct emetric_family *f = &emetric_families[k];
        char base[160];
        snprintf(base, sizeof base, "wattson_%s", f->name);
        struct mx_eng ctx = {o, base, strcmp(f->type, "counter") == 0};
        mx_family(o, om, base, ctx.counter, f->help);
        emetric_each(e, k, mx_eng_one, &ctx);
    }
}

static void mx_policy(struct sbuf *o, int om, const struct run *r)
{
    char builtin[96];
    const char *name = r->policy_path;
    if (!name) {
        snprintf(builtin, sizeof builtin, "builtin%s%s", r->gov ? ":" : "",
                 r->gov ? r->gov->name : "");
        name = builtin;
    }
    mx_family(o, om, "wattson_policy_active", 0,
              "1 for the policy that decides (a Lua file or builtin:NAME)");
    sbuf_printf(o, "wattson_policy_active{");
    mx_label(o, "policy", name, 1);
    mx_label(o, "kind", r->policy_path ? "lua" : "builtin", 0);
    sbuf_printf(o, "} 1\n");
    mx_family(o, om, "wattson_policy_fallback", 0,
              "1 while the built-in policy decides for a failing one");
    sbuf_printf(o, "wattson_policy_fallback");
    mx_value(o, r->dec.in_fallback ? 1 : 0);
    mx_family(o, om, "wattson_policy_last_reload_ok", 0,
              "1 when the last reload was taken, 0 when it was rejected "
              "(NaN: none yet)");
    sbuf_printf(o, "wattson_policy_last_reload_ok");
    mx_value(o, r->sum.reloads + r->sum.reload_errors == 0
                    ? NAN
                    : (r->last_reload_err[0] ? 0 : 1));
}

static int mx_render(struct metrics *mx, int om)
{
    const struct run *r = mx->r;
    struct sbuf *o = &mx->text[om];
    o->len = 0; /* the memory is kept from the last text */
    o->failed = 0;
    const struct model *m = &r->model;
    mx_family(o, om, "wattson_tick", 0,
              "the tick the values are from (the trace's \"tick\")");
    sbuf_printf(o, "wattson_tick");
    mx_value(o, (double)m->tick);
    mx_family(o, om, "wattson_time_seconds", 0,
              "the run's clock at that tick (the trace's \"t\")");
    sbuf_printf(o, "wattson_time_seconds");
    mx_value(o, m->t);
    mx_family(o, om, "wattson_power_watts", 0,
              "the lab's total power at that tick");
    sbuf_printf(o, "wattson_power_watts");
    mx_value(o, r->rec.last_power_valid ? r->rec.last_power_w : NAN);
    mx_family(o, om, "wattson_power_budget_watts", 0,
              "the power budget (0: none)");
    sbuf_printf(o, "wattson_power_budget_watts");
    mx_value(o, m->budget_w);
    mx_signals(o, om, mx, m, mx->sig_order);
    mx_controls(o, om, mx, m, mx->ctl_order);
    mx_forecasts(o, om, mx, m);
    mx_summary(o, om, &r->sum);
    mx_engines(o, om, &r->eng);
    mx_policy(o, om, r);
    if (om)
        sbuf_printf(o, "# EOF\n");
    return o->failed ? -1 : 0;
}

/* ---- the server -----------------------------------------------------------
 */

static int mx_wants_openmetrics(struct evhttp_request *req)
{
    const char *acc =
        evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
    return acc && strstr(acc, "application/openmetrics-text") != NULL;
}

static void mx_reply_text(struct evhttp_request *req, int code,
                          const char *reason, const char *text)
{
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    evbuffer_add(b, text, strlen(text));
    evhttp_send_reply(req, code, reason, b);
    evbuffer_free(b);
}

static void mx_on_request(struct evhttp_request *req, void *arg)
{
    struct metrics *mx = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    if (!path || strcmp(path, "/metrics") != 0) {
        if (path && strcmp(path, "/") == 0)
            mx_reply_text(req, HTTP_OK, "OK",
                          "wattson: the metrics are at /metrics\n");
        else
            mx_reply_text(req, HTTP_NOTFOUND, "Not Found",
                          "not found: the metrics are at /metrics\n");
        return;
    }
    const int om = mx_wants_openmetrics(req);
    const uint64_t tick = mx->r->model.tick, now = clock_mono_ns();
    if (!mx->have[om] ||
        (mx->tick[om] != tick && now - mx->made_ns[om] >= MX_REMAKE_NS)) {
        if (mx_render(mx, om) != 0) {
            mx->have[om] = 0;
            evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
            return;
        }
        mx->have[om] = 1;
        mx->tick[om] = tick;
        mx->made_ns[om] = now;
    }
    struct evbuffer *b = evbuffer_new();
    if (!b || evbuffer_add(b, mx->text[om].p, mx->text[om].len) != 0) {
        if (b)
            evbuffer_free(b);
        evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      om ? "application/openmetrics-text; version=1.0.0; "
                           "charset=utf-8"
                         : "text/plain; version=0.0.4; charset=utf-8");
    mx->scrapes++;
    evhttp_send_reply(req, HTTP_OK, "OK", b);
    evbuffer_free(b);
}

/* "9100" and ":9100" are loopback; anything else is netaddr's. */
static void mx_spec(const char *spec, char *out, size_t len)
{
    const char *p = spec[0] == ':' ? spec + 1 : spec;
    if (*p && strspn(p, "0123456789") == strlen(p) && strlen(p) <= 5)
        snprintf(out, len, "127.0.0.1:%s", p);
    else
        snprintf(out, len, "%s", spec);
}

int metrics_new(struct metrics **out, struct event_base *base, const char *spec,
                const struct run *r, char *err, size_t errlen)
{
    char addr[128], why[256];
    struct sockaddr_storage ss;
    int sslen;
    *out = NULL;
    mx_spec(spec, addr, sizeof addr);
    if (netaddr_parse(addr, MX_PORT_EXAMPLE, &ss, &sslen, why, sizeof why) !=
        0) {
        snprintf(err, errlen, "--metrics: %s", why);
        return RUN_USAGE;
    }
    struct metrics *mx = calloc(1, sizeof *mx);
    if (!mx) {
        snprintf(err, errlen, "out of memory");
        return RUN_ERR;
    }
    mx->r = r;
    const struct model *m = &r->model;
    mx->sig_order = malloc((m->n_signals + 1) * sizeof *mx->sig_order);
    mx->ctl_order = malloc((m->n_controls + 1) * sizeof *mx->ctl_order);
    if (!mx->sig_order || !mx->ctl_order) {
        metrics_free(mx);
        snprintf(err, errlen, "out of memory");
        return RUN_ERR;
    }
    for (uint32_t i = 0; i < m->n_signals; i++)
        mx->sig_order[i] = i;
    for (uint32_t i = 0; i < m->n_controls; i++)
        mx->ctl_order[i] = i;
    mx_sorting = m;
    qsort(mx->sig_order, m->n_signals, sizeof *mx->sig_order, mx_cmp_sig);
    qsort(mx->ctl_order, m->n_controls, sizeof *mx->ctl_order, mx_cmp_ctl);
    mx_sorting = NULL;
    if (mx_make_labels(mx, m) != 0) {
        metrics_free(mx);
        snprintf(err, errlen, "out of memory");
        return RUN_ERR;
    }
    int fd =
        socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, (socklen_t)sslen) != 0 ||
        listen(fd, 64) != 0) {
        snprintf(err, errlen, "--metrics %s: cannot listen: %s", addr,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        metrics_free(mx);
        return RUN_IO;
    }
    socklen_t bl = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &bl) == 0)
        netaddr_format((struct sockaddr *)&ss, mx->addr, sizeof mx->addr);
    else
        snprintf(mx->addr, sizeof mx->addr, "%s", addr);
    mx->http = evhttp_new(base);
    if (!mx->http || evhttp_accept_socket(mx->http, fd) != 0) {
        snprintf(err, errlen, "--metrics %s: cannot serve", addr);
        close(fd);
        metrics_free(mx);
        return RUN_ERR;
    }
    /* A scraper that stalls is dropped, never waited for; requests are
     * small (a GET with headers). */
    evhttp_set_timeout(mx->http, 10);
    evhttp_set_max_headers_size(mx->http, 16384);
    evhttp_set_max_body_size(mx->http, 0);
    evhttp_set_allowed_methods(mx->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_gencb(mx->http, mx_on_request, mx);
    log_msg(LOG_INFO, "metrics: serving http://%s/metrics", mx->addr);
    *out = mx;
    return RUN_OK;
}

void metrics_free(struct metrics *mx)
{
    if (!mx)
        return;
    if (mx->http)
        evhttp_free(mx->http); /* closes the listener and connections */
    free(mx->text[0].p);
    free(mx->text[1].p);
    free(mx->sig_order);
    free(mx->ctl_order);
    free(mx->dl.p);
    free(mx->dl_off);
    free(mx);
}

const char *metrics_address(const struct metrics *mx)
{
    return mx->addr;
}

unsigned long metrics_scrapes(const struct metrics *mx)
{
    return mx->scrapes;
}
