/*
 * pfo3ctl-args.c — the command line of pfo3ctl: options, then the
 * command words and their arguments, which are matched later against the
 * daemon's own command table.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-socket.h"
#include "pfo3ctl.h"
#include "xmalloc.h"

static const struct option pfo3ctl_options[] = {
	{ "socket",	required_argument, NULL, 's' },
	{ "json",	no_argument,	   NULL, 'j' },
	{ "timeout",	required_argument, NULL, 't' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void
pfo3ctl_usage(FILE *f)
{
	fprintf(f,
"usage: pfo3ctl [-j] [-s SOCKET] [-t TIMEOUT] COMMAND [ARGS...]\n"
"       pfo3ctl --help | --version\n"
"\n"
"Talks to the pfo3 control daemon (pfo3-ctld) over its control socket.\n"
"\n"
"  -s, --socket PATH    control socket (default: $PFO3_SOCKET, else\n"
"                       %s)\n"
"  -j, --json           print the daemon's replies as JSON lines\n"
"  -t, --timeout TIME   wait at most TIME for a reply: seconds, or with\n"
"                       an s or ms suffix (default 10s)\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Commands are words, each shortened to any unique prefix:\n"
"  status               workers, queues, dependencies and totals\n"
"  watch [INTERVAL_MS]  the status again at each refresh, until interrupted\n"
"  worker add [COUNT|ADDR], worker drain ID, worker resume ID,\n"
"  worker remove ID, worker restart ID|all, log level LEVEL, ping\n"
"  help [WORDS...]      every command the daemon knows, with its arguments\n"
"\n"
"Exit status: 0 success, 1 the command failed, 2 usage error, 3 cannot\n"
"reach the daemon.  See pfo3ctl(8).\n", ctl_socket_default());
}

/*
 * Accepts "5", "2.5", "2.5s" or "500ms"; stores milliseconds in *ms.
 * Zero, negative, non-finite and over-long values are refused.
 */
int
pfo3ctl_timeout_parse(const char *text, int *ms, char **cause)
{
	char	*end;
	double	 v, scale = 1000.0;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno != 0 || !isfinite(v))
		goto bad;
	if (strcmp(end, "ms") == 0)
		scale = 1.0;
	else if (strcmp(end, "s") != 0 && *end != '\0')
		goto bad;
	v *= scale;
	if (v < 1.0 || v > PFO3CTL_MAX_TIMEOUT_MS) {
		*cause = xasprintf("timeout '%s' out of range (1ms to %ds)",
		    text, PFO3CTL_MAX_TIMEOUT_MS / 1000);
		return -1;
	}
	*ms = (int)v;
	return 0;
bad:
	*cause = xasprintf("bad timeout '%s' (seconds, or with an s or ms "
	    "suffix: 5, 2.5s, 500ms)", text);
	return -1;
}

/*
 * Accepts main's arguments.  Options may come before or after the
 * command words (`pfo3ctl status --json`); `--` ends them.  getopt's own
 * messages are silenced so that every usage error reads the same way.
 */
enum pfo3ctl_parse
pfo3ctl_args_parse(int argc, char **argv, struct pfo3ctl_args *a,
    char **cause)
{
	int	ch;

	memset(a, 0, sizeof *a);
	a->timeout_ms = PFO3CTL_DEFAULT_TIMEOUT_MS;
	opterr = 0;
	optind = 0;	/* glibc: start afresh (unit tests parse often) */
	while ((ch = getopt_long(argc, argv, ":s:jt:hV", pfo3ctl_options,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			if (*optarg == '\0') {
				*cause = xstrdup("-s needs a socket path, "
				    "got an empty one");
				return PFO3CTL_PARSE_ERROR;
			}
			a->socket = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 't':
			if (pfo3ctl_timeout_parse(optarg, &a->timeout_ms,
			    cause) != 0)
				return PFO3CTL_PARSE_ERROR;
			break;
		case 'h':
			return PFO3CTL_PARSE_HELP;
		case 'V':
			return PFO3CTL_PARSE_VERSION;
		case ':':
			*cause = xasprintf("option '%s' needs an argument",
			    argv[optind - 1]);
			return PFO3CTL_PARSE_ERROR;
		default:
			if (optopt != 0)
				*cause = xasprintf("unknown option '-%c'",
				    optopt);
			else
				*cause = xasprintf("unknown option '%s'",
				    argv[optind - 1]);
			return PFO3CTL_PARSE_ERROR;
		}
	}
	a->words = argv + optind;
	a->nwords = argc - optind;
	if (a->nwords == 0) {
		*cause = xstrdup("no command given (try: pfo3ctl help)");
		return PFO3CTL_PARSE_ERROR;
	}
	return PFO3CTL_PARSE_RUN;
}
