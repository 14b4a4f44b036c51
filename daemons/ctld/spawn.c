/*
 * spawn.c — the last steps of a child of pfo3-ctld (a worker,
 * pfo3-ctld-deps) before its program runs, once its standard descriptors
 * are set: no other descriptor of ours, default signals, exec.  Nothing
 * here allocates: the child of a process may not.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctld.h"

void
spawn_exec(const char *path, char *const argv[])
{
	sigset_t	none;
	int		sig;

	closefrom(3);
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execv(path, argv);
	dprintf(2, "pfo3-ctld: %s: %s\n", path, strerror(errno));
	_exit(127);
}
