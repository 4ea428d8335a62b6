/*
 * registry - the engines a run creates, in proposing order (a later
 * engine may overwrite an earlier one's proposal).  Adding an engine: its
 * folder's module and one line here.  See engines.h.
 */
#include "engines/engines.h"

#include "engines/broker.h"
#include "engines/meshag.h"
#include "engines/partrun.h"
#include "engines/vgpu.h"

const struct engine_ops *const engines_registry[] = {
    &broker_engine_ops,
    &meshag_engine_ops,
    &partrun_engine_ops,
    &vgpu_engine_ops,
    NULL,
};
