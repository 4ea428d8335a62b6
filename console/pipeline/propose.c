/*
 * propose - see propose.h.
 */
#include "pipeline/propose.h"

#include <string.h>

#include "core/model.h"
#include "engines/engines.h"

void propose_run(struct engines *e, struct model *m)
{
    memset(m->proposed, 0, m->n_controls);
    engines_propose(e, m);
}
