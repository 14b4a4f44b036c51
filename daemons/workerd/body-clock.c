/* body-clock.c — see body-clock.h. */
#include "body-clock.h"
#include "conf.h"

void
body_clock_start(struct body_clock *bc, const struct conf_worker *cw,
    int64_t now_ms)
{
	bc->deadline_ms = now_ms + cw->body_timeout;
	bc->min_rate = cw->body_min_rate;
	bc->window_ms = cw->body_min_rate > 0 ? cw->body_rate_window : 0;
	bc->window_start_ms = now_ms;
	bc->window_bytes = 0;
	bc->paused = 0;
}

void
body_clock_add(struct body_clock *bc, int64_t n)
{
	bc->window_bytes += n;
}

void
body_clock_pause(struct body_clock *bc)
{
	bc->paused = 1;
}

void
body_clock_resume(struct body_clock *bc, int64_t now_ms)
{
	bc->paused = 0;
	bc->window_start_ms = now_ms;
	bc->window_bytes = 0;
}

int
body_clock_check(struct body_clock *bc, int64_t now_ms, const char **cause)
{
	int64_t elapsed = now_ms - bc->window_start_ms;

	if (now_ms >= bc->deadline_ms) {
		*cause = "timed out reading the request body";
		return -1;
	}
	if (bc->paused || bc->window_ms == 0 || elapsed < bc->window_ms)
		return 0;
	/* A timer that fires late asks for the rate over what elapsed. */
	if (bc->window_bytes < bc->min_rate * elapsed / 1000) {
		*cause = "the request body came slower than the minimum rate";
		return -1;
	}
	bc->window_start_ms = now_ms;
	bc->window_bytes = 0;
	return 0;
}

int64_t
body_clock_next(const struct body_clock *bc, int64_t now_ms)
{
	int64_t due = bc->deadline_ms;

	if (!bc->paused && bc->window_ms > 0 &&
	    bc->window_start_ms + bc->window_ms < due)
		due = bc->window_start_ms + bc->window_ms;
	return due > now_ms ? due - now_ms : 1;
}
