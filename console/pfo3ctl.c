/*
 * pfo3ctl.c — the command line of the pfo3 control daemon.
 *
 * pfo3ctl [-j] [-s SOCKET] [-t TIMEOUT] COMMAND [ARGS...]
 * The parts: pfo3ctl-args.c (options), pfo3ctl-run.c (the session),
 * pfo3ctl-words.c (typed words to commands), pfo3ctl-status.c,
 * pfo3ctl-help.c and pfo3ctl-reply.c (human output).
 */
#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "pfo3ctl.h"

int
main(int argc, char **argv)
{
	struct pfo3ctl_args	 a;
	char			*cause = NULL;
	int			 status;

	switch (pfo3ctl_args_parse(argc, argv, &a, &cause)) {
	case PFO3CTL_PARSE_HELP:
		pfo3ctl_usage(stdout);
		return PFO3CTL_EXIT_OK;
	case PFO3CTL_PARSE_VERSION:
		printf("pfo3ctl %s\n", PACKAGE_VERSION);
		return PFO3CTL_EXIT_OK;
	case PFO3CTL_PARSE_ERROR:
		fprintf(stderr, "pfo3ctl: %s\n", cause);
		free(cause);
		pfo3ctl_usage(stderr);
		return PFO3CTL_EXIT_USAGE;
	case PFO3CTL_PARSE_RUN:
		break;
	}
	status = pfo3ctl_run(&a);
	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("pfo3ctl: stdout");
		if (status == PFO3CTL_EXIT_OK)
			status = PFO3CTL_EXIT_FAILED;
	}
	return status;
}
