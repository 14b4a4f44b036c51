/* clock.h — monotonic time in the units the daemons reason in. */
#ifndef PFO3_CLOCK_H
#define PFO3_CLOCK_H

#include <sys/time.h>

#include <pthread.h>
#include <stdint.h>
#include <time.h>

static inline int64_t
clock_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int64_t
clock_mono_ms(void)
{
	return clock_mono_us() / 1000;
}

/* The wall-clock time in seconds, for timestamps others read. */
static inline double
clock_real_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Timed waits count on CLOCK_MONOTONIC: a step of the wall clock (NTP,
 * an operator's `date -s`) must neither stretch nor cut them.  A
 * condition variable waited on with clock_deadline() must be made by
 * clock_cond_init(), which tells pthread_cond_timedwait that clock.
 */
static inline void
clock_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t	attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
}

/* The monotonic time `ms` from now, as pthread_cond_timedwait wants it
 * for a condition variable made by clock_cond_init(). */
static inline void
clock_deadline(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* `ms` milliseconds (0 when negative) as a timeval; returns `tv`. */
static inline struct timeval *
clock_timeval(struct timeval *tv, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	tv->tv_sec = (time_t)(ms / 1000);
	tv->tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

#endif
