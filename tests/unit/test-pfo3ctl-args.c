/*
 * test-pfo3ctl-args.c — pfo3ctl's command line (options before or after
 * the command words, the timeout forms, every usage error) and the
 * socket it picks: -s, else $PFO3_SOCKET, else the installed default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl-socket.h"
#include "pfo3ctl.h"
#include "tap.h"

/*
 * Parses `line` as pfo3ctl's arguments (split at spaces; "''" is an
 * empty argument) and returns a summary: "run socket=… json=… t=…
 * words=a,b", "help", "version" or "error: cause".  Caller frees.
 */
static char *
parse(const char *line)
{
	struct pfo3ctl_args	 a;
	char			*argv[16], *copy, *p, *cause = NULL, *out;
	size_t			 len;
	FILE			*m;
	int			 argc = 0, i;

	copy = strdup(line);
	argv[argc++] = "pfo3ctl";
	for (p = strtok(copy, " "); p != NULL && argc < 15;
	    p = strtok(NULL, " "))
		argv[argc++] = strcmp(p, "''") == 0 ? "" : p;
	argv[argc] = NULL;
	m = open_memstream(&out, &len);
	switch (pfo3ctl_args_parse(argc, argv, &a, &cause)) {
	case PFO3CTL_PARSE_RUN:
		fprintf(m, "run socket=%s json=%d t=%d words=",
		    a.socket != NULL ? a.socket : "-", a.json, a.timeout_ms);
		for (i = 0; i < a.nwords; i++)
			fprintf(m, "%s%s", i > 0 ? "," : "", a.words[i]);
		break;
	case PFO3CTL_PARSE_HELP:
		fprintf(m, "help");
		break;
	case PFO3CTL_PARSE_VERSION:
		fprintf(m, "version");
		break;
	case PFO3CTL_PARSE_ERROR:
		fprintf(m, "error: %s", cause);
		break;
	}
	fclose(m);
	free(cause);
	free(copy);
	return out;
}

static void
is_parsed(const char *line, const char *want)
{
	char	*got = parse(line);

	tap_is_str(got, want, "pfo3ctl %s", line);
	free(got);
}

static void
test_args(void)
{
	is_parsed("status", "run socket=- json=0 t=10000 words=status");
	is_parsed("-s /tmp/x.sock --json worker drain w2",
	    "run socket=/tmp/x.sock json=1 t=10000 words=worker,drain,w2");
	is_parsed("status --json -s /a", "run socket=/a json=1 t=10000 "
	    "words=status");
	is_parsed("--socket=/b -j st", "run socket=/b json=1 t=10000 "
	    "words=st");
	is_parsed("-t 2.5 status", "run socket=- json=0 t=2500 words=status");
	is_parsed("-t 2.5s status", "run socket=- json=0 t=2500 words=status");
	is_parsed("--timeout 250ms status", "run socket=- json=0 t=250 "
	    "words=status");
	is_parsed("-- worker drain -x", "run socket=- json=0 t=10000 "
	    "words=worker,drain,-x");
	is_parsed("--help", "help");
	is_parsed("status -h", "help");
	is_parsed("--version", "version");
	is_parsed("-V", "version");

	is_parsed("", "error: no command given (try: pfo3ctl help)");
	is_parsed("--json", "error: no command given (try: pfo3ctl help)");
	is_parsed("--bogus status", "error: unknown option '--bogus'");
	is_parsed("-x status", "error: unknown option '-x'");
	is_parsed("status -s", "error: option '-s' needs an argument");
	is_parsed("status --timeout", "error: option '--timeout' needs an "
	    "argument");
	is_parsed("-s '' status", "error: -s needs a socket path, got an "
	    "empty one");
	is_parsed("-t 0 status", "error: timeout '0' out of range (1ms to "
	    "3600s)");
	is_parsed("-t 3601 status", "error: timeout '3601' out of range "
	    "(1ms to 3600s)");
	is_parsed("-t -1 status", "error: timeout '-1' out of range (1ms to "
	    "3600s)");
	is_parsed("-t 5m status", "error: bad timeout '5m' (seconds, or with "
	    "an s or ms suffix: 5, 2.5s, 500ms)");
	is_parsed("-t nan status", "error: bad timeout 'nan' (seconds, or "
	    "with an s or ms suffix: 5, 2.5s, 500ms)");
	is_parsed("-t '' status", "error: bad timeout '' (seconds, or with "
	    "an s or ms suffix: 5, 2.5s, 500ms)");
}

static void
test_socket(void)
{
	const char	*origin = NULL;

	unsetenv(CTL_SOCKET_ENV);
	tap_is_str(ctl_socket_path("/x.sock", &origin), "/x.sock",
	    "-s wins");
	tap_is_str(origin, "-s", "... and says it came from -s");
	tap_is_str(ctl_socket_path(NULL, &origin), PFO3_DEFAULT_SOCKET,
	    "without -s nor $PFO3_SOCKET: the installed default");
	tap_is_str(origin, "the default", "... and says so");
	tap_is_str(ctl_socket_default(), "/run/pfo3/ctld.sock",
	    "the default is pfo3-ctld's default ctld.admin_socket");
	setenv(CTL_SOCKET_ENV, "/env.sock", 1);
	tap_is_str(ctl_socket_path(NULL, &origin), "/env.sock",
	    "$PFO3_SOCKET when there is no -s");
	tap_is_str(origin, "$PFO3_SOCKET", "... and says so");
	tap_is_str(ctl_socket_path("/x.sock", NULL), "/x.sock",
	    "-s wins over $PFO3_SOCKET (origin may be NULL)");
	setenv(CTL_SOCKET_ENV, "", 1);
	tap_is_str(ctl_socket_path(NULL, NULL), PFO3_DEFAULT_SOCKET,
	    "an empty $PFO3_SOCKET counts as unset");
	unsetenv(CTL_SOCKET_ENV);
}

int
main(void)
{
	test_args();
	test_socket();
	return tap_done();
}
