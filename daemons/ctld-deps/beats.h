/*
 * beats.h — the workers' heartbeats (worker.<id>.stats on pfo3.events),
 * consumed by one thread of pfo3-ctld from an exclusive queue of its own.
 * It keeps the newest heartbeat of each worker until the event thread
 * takes them (beats_take), once per refresh.
 */
#ifndef PFO3_BEATS_H
#define PFO3_BEATS_H

#include <stdint.h>

#include <jansson.h>

struct pfo3_conf;
struct beats;

/* `stats` is borrowed for the call. */
typedef void (*beats_fn)(const char *id, const json_t *stats,
	    int64_t recv_ms, void *arg);

struct beats *beats_start(const struct pfo3_conf *conf, char **cause);
void	beats_stop(struct beats *b);
/* Hands every heartbeat received since the last call to `fn`. */
void	beats_take(struct beats *b, beats_fn fn, void *arg);
/* Heartbeats received, and refused (not JSON, too long, bad key). */
void	beats_counts(struct beats *b, uint64_t *received, uint64_t *refused,
	    int *connected);

#endif
