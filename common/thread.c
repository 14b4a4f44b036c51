/* thread.c — see thread.h. */
#include <signal.h>
#include <string.h>

#include "thread.h"
#include "xmalloc.h"

int
thread_start(pthread_t *t, const char *name, int detached,
    void *(*fn)(void *), void *arg, char **cause)
{
	pthread_attr_t	 attr;
	sigset_t	 all, old;
	char		 shortname[16];
	int		 error;

	pthread_attr_init(&attr);
	if (detached)
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	error = pthread_create(t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (error != 0) {
		*cause = xasprintf("%s: pthread_create: %s", name,
		    strerror(error));
		return -1;
	}
	/* Only a name for people reading ps; failing to set it is no harm. */
	strncpy(shortname, name, sizeof shortname - 1);
	shortname[sizeof shortname - 1] = '\0';
	(void)pthread_setname_np(*t, shortname);
	return 0;
}
