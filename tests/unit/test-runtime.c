/*
 * test-runtime.c — the small runtime of common/: backoff with jitter,
 * helper threads with signals blocked, timed waits on the monotonic
 * clock.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "tap.h"
#include "thread.h"

static void
t_backoff(void)
{
	struct backoff	b, c;
	int64_t		d, want = 100;
	int		i, inside = 1, differ = 0;

	backoff_init(&b, 100, 1000);
	for (i = 0; i < 8; i++) {
		d = backoff_next(&b);
		if (d < want / 2 || d > want)
			inside = 0;
		want = want * 2 > 1000 ? 1000 : want * 2;
	}
	tap_ok(inside, "backoff: each delay within [delay/2, delay], "
	    "doubling up to the maximum");
	d = backoff_next(&b);
	tap_ok(d >= 500 && d <= 1000, "backoff: capped at the maximum (%lld)",
	    (long long)d);
	backoff_reset(&b);
	d = backoff_next(&b);
	tap_ok(d >= 50 && d <= 100, "backoff: reset starts again at the base "
	    "(%lld)", (long long)d);

	/* Two instances drawn side by side spread out. */
	backoff_init(&b, 1000, 100000);
	backoff_init(&c, 1000, 100000);
	for (i = 0; i < 10; i++)
		differ += backoff_next(&b) != backoff_next(&c);
	tap_ok(differ > 0, "backoff: two instances do not retry in step");

	backoff_init(&b, 0, 0);
	d = backoff_next(&b);
	tap_ok(d >= 0 && d <= 1, "backoff: a zero base still gives a delay");
}

static sigset_t	t_seen;

static void *
t_thread_main(void *arg)
{
	(void)arg;
	pthread_sigmask(SIG_SETMASK, NULL, &t_seen);
	return NULL;
}

static void
t_thread(void)
{
	pthread_t	 t;
	sigset_t	 now;
	char		*cause = NULL;

	sigemptyset(&t_seen);
	tap_ok(thread_start(&t, "a-name-longer-than-fifteen", 0,
	    t_thread_main, NULL, &cause) == 0, "thread: started");
	pthread_join(t, NULL);
	tap_ok(sigismember(&t_seen, SIGTERM) == 1 &&
	    sigismember(&t_seen, SIGCHLD) == 1 &&
	    sigismember(&t_seen, SIGINT) == 1,
	    "thread: starts with every signal blocked");
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	tap_ok(sigismember(&now, SIGTERM) == 0,
	    "thread: the caller's mask is restored");
	free(cause);
}

static void
t_wait(void)
{
	pthread_mutex_t	 m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t	 c;
	struct timespec	 until;
	struct timeval	 tv;
	int64_t		 t0, took;
	int		 rc;

	clock_cond_init(&c);
	t0 = clock_mono_ms();
	clock_deadline(&until, 150);
	pthread_mutex_lock(&m);
	do
		rc = pthread_cond_timedwait(&c, &m, &until);
	while (rc == 0);
	pthread_mutex_unlock(&m);
	took = clock_mono_ms() - t0;
	/* A deadline on the wrong clock would return at once (monotonic
	 * time is far behind the wall clock) or never. */
	tap_ok(took >= 140 && took < 2000, "clock: a 150 ms wait on the "
	    "monotonic clock lasts 150 ms (%lld)", (long long)took);
	pthread_cond_destroy(&c);

	clock_timeval(&tv, 2500);
	tap_ok(tv.tv_sec == 2 && tv.tv_usec == 500000, "clock: 2500 ms as "
	    "a timeval");
	clock_timeval(&tv, -5);
	tap_ok(tv.tv_sec == 0 && tv.tv_usec == 0, "clock: a negative time "
	    "is 0");
}

int
main(void)
{
	t_backoff();
	t_thread();
	t_wait();
	return tap_done();
}
