/*
 * spawn.c — the programs pfo3-ctld starts (a worker, pfo3-ctld-deps):
 * where they are by default, and the last steps of a child before its
 * program runs, once its standard descriptors are set: no other
 * descriptor of ours, default signals, exec.  Nothing in the child
 * allocates: the child of a threaded process may not.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctld.h"
#include "xmalloc.h"

char *
spawn_beside_self(const char *name, char **cause)
{
	char	 self[PATH_MAX], *slash;
	ssize_t	 n;

	if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) == -1) {
		*cause = xasprintf("/proc/self/exe: %s", strerror(errno));
		return NULL;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	return xasprintf("%s/%s", self, name);
}

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
