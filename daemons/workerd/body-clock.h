/*
 * body-clock.h — the deadlines of one request body: a whole-body deadline
 * (worker.body_timeout) and a minimum rate (worker.body_min_rate bytes/s
 * averaged over each worker.body_rate_window).
 *
 * Bytes arriving never push the deadline back: a client that trickles a
 * byte now and then is cut at the first window it sends too little in, and
 * every body at the deadline, whatever its pace.  A window in which the
 * worker itself stopped reading (the pipe of a streamed upload full
 * because storage is slower than the client) is not held against the
 * client: the window starts again when reading does.
 *
 * The event thread owns it; it is plain data, no locks, no allocation.
 */
#ifndef PFO3_BODY_CLOCK_H
#define PFO3_BODY_CLOCK_H

#include <stdint.h>

struct conf_worker;

struct body_clock {
	int64_t	 deadline_ms;	/* monotonic: the whole body by then */
	int64_t	 window_ms;	/* length of a rate window; 0: no rate */
	int64_t	 min_rate;	/* bytes per second */
	int64_t	 window_start_ms;
	int64_t	 window_bytes;	/* arrived since window_start_ms */
	int	 paused;	/* the worker is not reading */
};

/* Starts the clocks of a body whose head ended at `now_ms`. */
void	body_clock_start(struct body_clock *bc, const struct conf_worker *cw,
	    int64_t now_ms);
/* `n` body bytes arrived (as sent: chunk framing counts). */
void	body_clock_add(struct body_clock *bc, int64_t n);
/* The worker stops reading (pause) or reads again (resume: a new window). */
void	body_clock_pause(struct body_clock *bc);
void	body_clock_resume(struct body_clock *bc, int64_t now_ms);
/*
 * Checks the body at `now_ms`: 0 while it may go on (a rate window that
 * ended well starts the next one), -1 when it must be cut, with *cause
 * (a constant string) saying why.
 */
int	body_clock_check(struct body_clock *bc, int64_t now_ms,
	    const char **cause);
/* Milliseconds from `now_ms` until the next check is due (at least 1). */
int64_t	body_clock_next(const struct body_clock *bc, int64_t now_ms);

#endif
