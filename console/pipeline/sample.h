/*
 * sample - the first stage: every driver's batch read of all its signals,
 * straight into the model's arrays, after keeping the previous tick's
 * values for the features stage.  A failed read marks that driver's
 * signals invalid for the tick and counts a driver error; it is reported,
 * never hidden, and never stops the run.
 *
 * Device faults (model.faults): a failed read marks the driver's devices
 * (read error, or permission denied / vanished when the driver says so);
 * a device whose varying signals are all invalid for MODEL_GONE_TICKS
 * ticks in a row after having had a valid one is marked vanished (no
 * writes until it reads again).  Valid readings clear the read error and
 * the vanishing; the summary keeps the first mark.  One log line the
 * first time a device gets each kind of fault.
 */
#ifndef WATTSON_SAMPLE_H
#define WATTSON_SAMPLE_H

struct model;
struct stats;

/* Moves the model to time t_now (seconds since start; sets t, dt, tick)
 * and reads every driver. */
void sample_run(struct model *m, struct stats *st, double t_now);

#endif
