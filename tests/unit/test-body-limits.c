/*
 * test-body-limits.c — a request body's deadlines (body-clock.c) and the
 * per-user cap on uploads (upload-limit.c): bytes never extend the whole
 * body deadline, a window under the minimum rate cuts the body, a window
 * spent paused is not held against it; a user at the cap is refused while
 * another is not, and a slot is given back when an upload ends.
 */
#include <string.h>

#include "body-clock.h"
#include "conf.h"
#include "tap.h"
#include "upload-limit.h"

int
main(void)
{
	struct conf_worker cw;
	struct body_clock bc;
	struct upload_limit *ul;
	const char *cause = NULL;
	int i, rc;

	memset(&cw, 0, sizeof cw);
	cw.body_timeout = 5000;
	cw.body_min_rate = 1024;
	cw.body_rate_window = 1000;

	body_clock_start(&bc, &cw, 0);
	tap_is_int(body_clock_next(&bc, 0), 1000, "first check at the end of "
	    "the first window");
	body_clock_add(&bc, 1024);
	tap_is_int(body_clock_check(&bc, 1000, &cause), 0,
	    "1 KiB in a 1 s window at 1 KiB/s: goes on");
	tap_is_int(body_clock_next(&bc, 1000), 1000, "the next window starts");
	body_clock_add(&bc, 1000);
	rc = body_clock_check(&bc, 2000, &cause);
	tap_ok(rc == -1 && strstr(cause, "minimum rate") != NULL,
	    "1000 bytes in the next window: cut (%s)", rc == -1 ? cause : "");

	/* A late timer asks for the rate over what elapsed. */
	body_clock_start(&bc, &cw, 0);
	body_clock_add(&bc, 1100);
	tap_is_int(body_clock_check(&bc, 1500, &cause), -1,
	    "1100 bytes over 1.5 s at 1 KiB/s: cut");

	/* Paused: no rate check, only the deadline. */
	body_clock_start(&bc, &cw, 0);
	body_clock_pause(&bc);
	tap_is_int(body_clock_next(&bc, 100), 4900, "paused: next check at "
	    "the deadline");
	tap_is_int(body_clock_check(&bc, 3000, &cause), 0,
	    "paused 3 s without a byte: goes on");
	body_clock_resume(&bc, 3000);
	tap_is_int(body_clock_next(&bc, 3000), 1000, "resumed: a new window");

	/* Bytes never push the whole-body deadline back. */
	body_clock_start(&bc, &cw, 0);
	for (i = 1; i <= 4; i++) {
		body_clock_add(&bc, 1 << 20);
		body_clock_check(&bc, i * 1000, &cause);
	}
	body_clock_add(&bc, 1 << 20);
	tap_is_int(body_clock_next(&bc, 4500), 500, "fast body: next check "
	    "at the deadline");
	rc = body_clock_check(&bc, 5000, &cause);
	tap_ok(rc == -1 && strstr(cause, "timed out") != NULL,
	    "fast body still cut at the whole-body deadline (%s)",
	    rc == -1 ? cause : "");

	/* No rate: the deadline alone. */
	cw.body_min_rate = 0;
	body_clock_start(&bc, &cw, 0);
	tap_is_int(body_clock_next(&bc, 0), 5000, "min rate 0: deadline only");
	tap_is_int(body_clock_check(&bc, 4999, &cause), 0,
	    "min rate 0: a silent body lives until the deadline");

	ul = upload_limit_new(3, 2);
	tap_is_int(upload_limit_enter(ul, 7), 0, "user 7: first upload");
	tap_is_int(upload_limit_enter(ul, 7), 0, "user 7: second upload");
	tap_is_int(upload_limit_enter(ul, 7), -1, "user 7: third refused");
	tap_is_int(upload_limit_enter(ul, 8), 0, "user 8: still admitted");
	upload_limit_leave(ul, 7);
	tap_is_int(upload_limit_enter(ul, 7), 0, "user 7: a slot back after "
	    "one ended");
	upload_limit_leave(ul, 7);
	upload_limit_leave(ul, 7);
	upload_limit_leave(ul, 8);
	tap_is_int(upload_limit_enter(ul, 9), 0, "all ended: user 9 admitted");
	tap_is_int(upload_limit_enter(ul, 10), 0, "and user 10");
	tap_is_int(upload_limit_enter(ul, 11), 0, "and user 11");
	upload_limit_free(ul);
	return tap_done();
}
