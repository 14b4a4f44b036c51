/*
 * backoff.h — how long to wait before trying a lost dependency again.
 *
 * Each failure doubles the delay, from `base` up to `max`; success resets
 * it.  The delay handed out is drawn from [delay/2, delay] ("equal
 * jitter"): workers that lost the same broker at the same moment then
 * come back spread out instead of all together, and none waits less
 * than half its share.
 */
#ifndef PFO3_BACKOFF_H
#define PFO3_BACKOFF_H

#include <stdint.h>

struct backoff {
	int64_t		base_ms;
	int64_t		max_ms;
	int64_t		cur_ms;		/* before jitter */
	uint64_t	seed;		/* of the jitter, per instance */
};

void	backoff_init(struct backoff *b, int64_t base_ms, int64_t max_ms);
/* The delay to wait now (ms), and the next one doubled. */
int64_t	backoff_next(struct backoff *b);
/* After a success: the next failure waits base_ms again. */
void	backoff_reset(struct backoff *b);

#endif
