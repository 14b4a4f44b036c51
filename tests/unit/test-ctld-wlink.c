/*
 * test-ctld-wlink.c — pfo3-ctld's client of a worker's control socket
 * when things fail: libevent cannot allocate its event (wlink_new says so
 * instead of handing out a link that crashes on first use), the socket is
 * not there (every request hears why), and a reset drops what waits
 * without calling anyone (a worker that died).
 *
 * libevent's own allocation hook (event_set_mem_functions) makes its
 * allocations fail on demand; nothing of wlink is replaced.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "tap.h"
#include "wlink.h"

static int	fail_allocs;	/* libevent's allocations fail while set */

static void *
test_malloc(size_t size)
{
	return fail_allocs ? NULL : malloc(size);
}

static void *
test_realloc(void *p, size_t size)
{
	return fail_allocs ? NULL : realloc(p, size);
}

struct heard {
	int	 calls;
	int	 null_reply;
	char	 error[256];
};

static void
heard_cb(const json_t *reply, const char *error, void *arg)
{
	struct heard *h = arg;

	h->calls++;
	h->null_reply = reply == NULL;
	if (error != NULL) {
		strncpy(h->error, error, sizeof h->error - 1);
		h->error[sizeof h->error - 1] = '\0';
	}
}

/* Runs the loop until `h` heard something, or a second has passed. */
static void
run(struct event_base *base, const struct heard *h)
{
	int i;

	for (i = 0; i < 100 && h->calls == 0; i++) {
		struct timeval tv = { 0, 10000 };

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

int
main(void)
{
	struct event_base	*base;
	struct wlink		*l;
	struct heard		 h;
	const char		*path = "/nonexistent/pfo3-test/w1.sock";

	/* Before libevent allocates anything. */
	event_set_mem_functions(test_malloc, test_realloc, free);
	if ((base = event_base_new()) == NULL) {
		tap_ok(0, "event_base_new");
		return tap_done();
	}

	fail_allocs = 1;
	l = wlink_new(base, path, 4096, 1000);
	fail_allocs = 0;
	tap_ok(l == NULL, "wlink_new is NULL when libevent cannot make its "
	    "event");
	if (l != NULL)
		wlink_free(l);

	l = wlink_new(base, path, 4096, 1000);
	tap_ok(l != NULL, "wlink_new makes a link once libevent can");
	if (l == NULL)
		return tap_done();

	memset(&h, 0, sizeof h);
	wlink_call(l, "stats", heard_cb, &h);
	tap_is_int(h.calls, 0, "a call's callback never runs inside "
	    "wlink_call");
	tap_is_int(wlink_pending(l), 1, "the call waits");
	run(base, &h);
	tap_is_int(h.calls, 1, "a socket that is not there fails the call "
	    "once");
	tap_ok(h.null_reply && strstr(h.error, path) != NULL,
	    "with no reply, and the reason naming the socket (%s)", h.error);
	tap_is_int(wlink_pending(l), 0, "nothing waits after the failure");

	memset(&h, 0, sizeof h);
	wlink_call(l, "stats", heard_cb, &h);
	wlink_call(l, "stats", heard_cb, &h);
	wlink_reset(l);
	tap_is_int(wlink_pending(l), 0, "a reset drops the waiting calls");
	run(base, &h);
	tap_is_int(h.calls, 0, "and calls none of their callbacks");

	wlink_call(l, "stats", heard_cb, &h);
	run(base, &h);
	tap_is_int(h.calls, 1, "the link serves again after a reset");

	wlink_free(l);
	event_base_free(base);
	return tap_done();
}
