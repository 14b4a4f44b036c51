/*
 * storage-tick.h — the workers' periodic storage reconciler (the ledger
 * and the scan itself are in common/services/storage.h).
 */
#ifndef PFO3_STORAGE_TICK_H
#define PFO3_STORAGE_TICK_H

struct workerd;

/*
 * Called from a thread of its own between other work: every
 * storage.reconcile_interval, the one worker holding the advisory lock
 * repairs stale reservations and uploads (not deep: the bucket is listed
 * only by `pfo3ctl storage`).
 */
void	storage_tick(struct workerd *w);

#endif
