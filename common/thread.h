/*
 * thread.h — starting the daemons' helper threads.
 *
 * Signals belong to the event loop of the main thread (libevent's signal
 * events): a helper thread that received SIGTERM or SIGCHLD would take it
 * from the loop.  So every helper starts with all signals blocked; the
 * mask is blocked around pthread_create, which the new thread inherits,
 * so there is no window in which it could take one.
 */
#ifndef PFO3_THREAD_H
#define PFO3_THREAD_H

#include <pthread.h>

/*
 * Starts fn(arg) on a new thread with every signal blocked, named `name`
 * (at most 15 characters are kept: what top -H and gdb show).  `detached`:
 * nobody joins it.  0, or -1 with *cause.
 */
int	thread_start(pthread_t *t, const char *name, int detached,
	    void *(*fn)(void *), void *arg, char **cause);

#endif
