/*
 * pfo3ctl.h — what the parts of pfo3ctl share: its exit statuses and its
 * parsed command line.
 */
#ifndef PFO3CTL_H
#define PFO3CTL_H

#include <stdio.h>

/* Exit statuses, documented in pfo3ctl(8). */
#define PFO3CTL_EXIT_OK		0	/* the command succeeded */
#define PFO3CTL_EXIT_FAILED	1	/* the daemon answered ok:false */
#define PFO3CTL_EXIT_USAGE	2	/* bad options or command words */
#define PFO3CTL_EXIT_CONNECT	3	/* no daemon reached, no answer */

/* How long a reply may take unless -t says otherwise. */
#define PFO3CTL_DEFAULT_TIMEOUT_MS	10000
/* -t is bounded so that a typo cannot mean "wait for days". */
#define PFO3CTL_MAX_TIMEOUT_MS		3600000

struct pfo3ctl_args {
	const char	 *socket;	/* -s, or NULL */
	int		  json;		/* --json */
	int		  timeout_ms;	/* -t */
	char		**words;	/* command words and arguments */
	int		  nwords;
};

enum pfo3ctl_parse {
	PFO3CTL_PARSE_RUN,		/* args filled in: run the command */
	PFO3CTL_PARSE_HELP,		/* --help */
	PFO3CTL_PARSE_VERSION,		/* --version */
	PFO3CTL_PARSE_ERROR,		/* usage error, with *cause */
};

/* pfo3ctl-args.c */
enum pfo3ctl_parse pfo3ctl_args_parse(int argc, char **argv,
		    struct pfo3ctl_args *a, char **cause);
/* Parses a timeout: "5", "2.5", "2.5s", "500ms".  -1 with *cause. */
int		 pfo3ctl_timeout_parse(const char *text, int *ms,
		    char **cause);
void		 pfo3ctl_usage(FILE *f);

/* pfo3ctl-run.c: connects, runs the command, prints; returns the exit
 * status. */
int		 pfo3ctl_run(const struct pfo3ctl_args *a);

#endif
