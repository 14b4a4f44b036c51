/*
 * test-ctld-adopt.c — what pfo3-ctld decides before it adopts a running
 * worker: the pid in a pid file, whether a `stats` reply is the worker it
 * expects (id, listen address, a pid) and what it is doing, and whether a
 * command line is that of a worker with a given control socket.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "adopt.h"
#include "tap.h"

/* `s` with its newlines shown as \\n, for a one-line test name. */
static const char *
shown(const char *s)
{
	static char	 buf[64];
	size_t		 n = 0;

	for (; *s != '\0' && n + 3 < sizeof buf; s++) {
		if (*s == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else
			buf[n++] = *s;
	}
	buf[n] = '\0';
	return buf;
}

static void
test_parse_pid(void)
{
	static const struct {
		const char	*text;
		int		 rc;
		long		 pid;
	} cases[] = {
		{ "1234\n", 0, 1234 },
		{ "1234", 0, 1234 },
		{ "  77 \n\n", 0, 77 },
		{ "", -1, 0 },
		{ "\n", -1, 0 },
		{ "0\n", -1, 0 },
		{ "-5\n", -1, 0 },
		{ "12a\n", -1, 0 },
		{ "12 13\n", -1, 0 },
		{ "99999999999999999999\n", -1, 0 },
		{ "2147483647\n", 0, 2147483647 },
		{ "2147483648\n", -1, 0 },
	};
	size_t	 i;
	pid_t	 pid;
	int	 rc;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pid = 0;
		rc = adopt_parse_pid(cases[i].text, strlen(cases[i].text),
		    &pid);
		tap_ok(rc == cases[i].rc && (rc != 0 || pid == cases[i].pid),
		    "pid file '%s' -> %s %ld", shown(cases[i].text),
		    cases[i].rc == 0 ? "pid" : "refused", cases[i].pid);
	}
	/* A NUL inside is not a blank: the length is what counts. */
	tap_ok(adopt_parse_pid("12\0" "3", 4, &pid) == -1,
	    "a NUL inside a pid file is refused");
}

/* Checks one reply; returns the cause (or "" on success) to compare. */
static char *
check(const char *reply, pid_t *pid, enum adopt_mode *mode)
{
	json_t	*rep = json_loads(reply, 0, NULL);
	char	*cause = NULL;

	if (adopt_check_stats(rep, "w2", "127.0.0.1:8002", pid, mode,
	    &cause) == 0)
		cause = strdup("");
	json_decref(rep);
	return cause;
}

/* The start of a reply from w2 on 127.0.0.1:8002. */
#define W2	"{\"ok\":true,\"id\":\"w2\",\"listen\":\"127.0.0.1:8002\","

static void
test_check_stats(void)
{
	static const struct {
		const char	*reply, *cause, *what;
	} refused[] = {
		{ "{\"ok\":true,\"id\":\"w3\",\"listen\":\"127.0.0.1:8002\","
		  "\"pid\":4321}", "the socket answers as worker 'w3'",
		  "another id" },
		{ "{\"ok\":true,\"listen\":\"127.0.0.1:8002\",\"pid\":4321}",
		  "the socket answers as worker '(none)'", "no id" },
		{ "{\"ok\":true,\"id\":\"w2\",\"listen\":\"127.0.0.1:9999\","
		  "\"pid\":4321}",
		  "it listens on 127.0.0.1:9999, not 127.0.0.1:8002",
		  "another listen address" },
		{ W2 "\"pid\":0}", "no valid pid in its stats", "pid 0" },
		{ W2 "\"pid\":\"4321\"}", "no valid pid in its stats",
		  "a pid that is not a number" },
		{ W2 "\"pid\":99999999999}", "no valid pid in its stats",
		  "a pid out of range" },
		{ "{\"ok\":false,\"error\":\"busy\"}", "stats failed: busy",
		  "a failed reply" },
		{ "[1]", "stats failed: no ok in the reply",
		  "a reply that is not an object" },
	};
	enum adopt_mode	 mode = ADOPT_STOPPING;
	pid_t		 pid = 0;
	size_t		 i;
	char		*cause;

	cause = check(W2 "\"pid\":4321,\"draining\":false,\"stopping\":false}",
	    &pid, &mode);
	tap_is_str(cause, "", "the expected worker is adopted");
	tap_ok(pid == 4321 && mode == ADOPT_SERVING,
	    "with the pid it gives, serving");
	free(cause);

	cause = check(W2 "\"pid\":4321,\"draining\":true,\"stopping\":false}",
	    &pid, &mode);
	tap_ok(*cause == '\0' && mode == ADOPT_DRAINING,
	    "a draining worker is adopted draining");
	free(cause);

	cause = check(W2 "\"pid\":4321,\"draining\":true,\"stopping\":true}",
	    &pid, &mode);
	tap_ok(*cause == '\0' && mode == ADOPT_STOPPING,
	    "a stopping worker is adopted stopping");
	free(cause);

	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		cause = check(refused[i].reply, &pid, &mode);
		tap_is_str(cause, refused[i].cause, "%s is refused",
		    refused[i].what);
		free(cause);
	}
}

static void
test_cmdline(void)
{
	static const char good[] = "/b/pfo3-workerd\0-f\0--id\0w1\0--control\0"
	    "/run/w1.sock\0--agent-listen\0127.0.0.1:9001";
	static const char other[] = "/b/pfo3-workerd\0--control\0/run/w2.sock";
	static const char last[] = "/usr/bin/sleep\0--control";
	static const char cut[] = "x\0--control\0/run/w1.so";

	tap_ok(adopt_cmdline_is_worker(good, sizeof good, "/run/w1.sock"),
	    "a worker with this control socket is recognised");
	tap_ok(!adopt_cmdline_is_worker(other, sizeof other, "/run/w1.sock"),
	    "a worker with another control socket is not");
	tap_ok(!adopt_cmdline_is_worker(last, sizeof last, "/run/w1.sock"),
	    "--control as the last argument is not");
	tap_ok(!adopt_cmdline_is_worker(cut, sizeof cut - 1, "/run/w1.so"),
	    "an argument without its NUL (cut short) is not");
	tap_ok(!adopt_cmdline_is_worker("", 0, "/run/w1.sock"),
	    "an empty command line (a zombie's) is not");
}

int
main(void)
{
	test_parse_pid();
	test_check_stats();
	test_cmdline();
	return tap_done();
}
