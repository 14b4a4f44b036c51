/* backoff.c — see backoff.h. */
#include <unistd.h>

#include "backoff.h"
#include "clock.h"

void
backoff_init(struct backoff *b, int64_t base_ms, int64_t max_ms)
{
	b->base_ms = base_ms > 0 ? base_ms : 1;
	b->max_ms = max_ms > b->base_ms ? max_ms : b->base_ms;
	b->cur_ms = b->base_ms;
	/* Different in each process and each instance: that is the point. */
	b->seed = (uint64_t)clock_mono_us() ^ ((uint64_t)getpid() << 32) ^
	    (uint64_t)(uintptr_t)b;
	if (b->seed == 0)
		b->seed = 0x9e3779b97f4a7c15ULL;
}

/* xorshift64: enough to spread retries, no secrecy needed. */
static uint64_t
backoff_rand(struct backoff *b)
{
	b->seed ^= b->seed << 13;
	b->seed ^= b->seed >> 7;
	b->seed ^= b->seed << 17;
	return b->seed;
}

int64_t
backoff_next(struct backoff *b)
{
	int64_t	delay = b->cur_ms, half = delay / 2;

	delay = half + (int64_t)(backoff_rand(b) % (uint64_t)(delay - half + 1));
	b->cur_ms = b->cur_ms > b->max_ms / 2 ? b->max_ms : b->cur_ms * 2;
	return delay;
}

void
backoff_reset(struct backoff *b)
{
	b->cur_ms = b->base_ms;
}
