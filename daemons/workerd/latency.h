/*
 * latency.h — request latency over a sliding window, for percentiles.
 *
 * The window is a ring of one-second slots; each slot is a histogram with
 * four buckets per power of two (about 19 % wide), so a percentile is
 * known to within a bucket without keeping every sample.  Slots older than
 * the window are cleared lazily when the ring comes round to them.
 * Single-threaded: the event thread records and reads.
 */
#ifndef PFO3_LATENCY_H
#define PFO3_LATENCY_H

#include <stdint.h>

#define LATENCY_WINDOW_S	60
#define LATENCY_BUCKETS		112	/* 4 per octave, 1 µs .. ~2^28 µs */

struct latency_slot {
	int64_t		 second;	/* which second this slot holds */
	uint32_t	 count[LATENCY_BUCKETS];
	uint64_t	 total;
	int64_t		 max_us;
};

struct latency {
	struct latency_slot slot[LATENCY_WINDOW_S];
};

void	latency_init(struct latency *l);
/* Records one duration of `us` microseconds observed at second `now_s`. */
void	latency_record(struct latency *l, int64_t now_s, int64_t us);
/* Fills out_us[i] with the q[i] quantile (0 < q ≤ 1) over the last
 * LATENCY_WINDOW_S seconds; returns the number of samples (0: all zero). */
uint64_t latency_quantiles(const struct latency *l, int64_t now_s,
	    const double *q, int nq, double *out_us, int64_t *max_us);

#endif
