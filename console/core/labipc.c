/*
 * labipc - see labipc.h.
 */
#include "core/labipc.h"

#include <stdio.h>
#include <string.h>

#include "core/cfg.h"
#include "wattson/plugin.h"

int labipc_read(const struct cfg *t, struct labipc *out, char *err,
                size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!t)
        return 0;
    if (cfg_type(t) != WATTSON_CFG_TABLE) {
        snprintf(err, errlen,
                 "ipc_procs: must be a table of process name = "
                 "device name, got a %s",
                 cfg_type_name(cfg_type(t)));
        return -1;
    }
    for (size_t i = 0; i < cfg_len(t); i++) {
        const char *k = cfg_key_at(t, i);
        const char *v = cfg_string(cfg_at(t, i));
        if (!k || !*k || strlen(k) >= LABIPC_COMM_LEN) {
            snprintf(err, errlen,
                     "ipc_procs: key '%s': a process name is 1 "
                     "to %d characters (its comm)",
                     k ? k : "", LABIPC_COMM_LEN - 1);
            return -1;
        }
        if (!v || !*v || strlen(v) >= sizeof out->r[0].device) {
            snprintf(err, errlen,
                     "ipc_procs.%s: must be a device name (a "
                     "string of 1 to %zu characters)",
                     k, sizeof out->r[0].device - 1);
            return -1;
        }
        if (out->n == LABIPC_MAX_RULES) {
            snprintf(err, errlen, "ipc_procs: more than %d processes",
                     LABIPC_MAX_RULES);
            return -1;
        }
        snprintf(out->r[out->n].comm, LABIPC_COMM_LEN, "%s", k);
        snprintf(out->r[out->n].device, sizeof out->r[0].device, "%s", v);
        out->n++;
    }
    return 0;
}
