/*
 * console-confirm.c — what an action will leave behind, said before it
 * is done: the operator confirms a number of workers and threads, not
 * just a worker name.
 */
#include <stdio.h>
#include <string.h>

#include "console-ui.h"

static const struct {
	enum action	 action;
	const char	*cmd;
	const char	*verb;
} confirm_commands[] = {
	{ ACT_ADD,	"worker.add",		"add" },
	{ ACT_DRAIN,	"worker.drain",		"drain" },
	{ ACT_RESUME,	"worker.resume",	"resume" },
	{ ACT_REMOVE,	"worker.remove",	"remove" },
	{ ACT_RESTART,	"worker.restart",	"restart" },
};
#define CONFIRM_NCOMMANDS \
	(sizeof confirm_commands / sizeof confirm_commands[0])

const char *
confirm_command(enum action a)
{
	size_t	 i;

	for (i = 0; i < CONFIRM_NCOMMANDS; i++)
		if (confirm_commands[i].action == a)
			return confirm_commands[i].cmd;
	return NULL;
}

const char *
confirm_verb(enum action a)
{
	size_t	 i;

	for (i = 0; i < CONFIRM_NCOMMANDS; i++)
		if (confirm_commands[i].action == a)
			return confirm_commands[i].verb;
	return "action";
}

/* Workers other than `id` that serve ("up"), and their threads. */
static int
confirm_serving_without(const struct model *m, const char *id,
    double *threads)
{
	size_t	 i;
	int	 n = 0;

	*threads = 0;
	for (i = 0; i < m->nworkers; i++) {
		if (strcmp(m->workers[i].id, id) == 0 ||
		    strcmp(m->workers[i].state, "up") != 0)
			continue;
		n++;
		if (m->workers[i].threads > 0)
			*threads += m->workers[i].threads;
	}
	return n;
}

/* Threads a new worker is likely to have: those of the last local one. */
static double
confirm_threads_per_worker(const struct model *m)
{
	size_t	 i;

	for (i = m->nworkers; i > 0; i--)
		if (m->workers[i - 1].threads > 0)
			return m->workers[i - 1].threads;
	return 0;
}

static const char *
confirm_plural(int n)
{
	return n == 1 ? "" : "s";
}

void
confirm_text(enum action a, const struct model *m, const char *id,
    char *buf, size_t size)
{
	double	 threads, per;
	int	 n;

	switch (a) {
	case ACT_ADD:
		n = model_workers_serving(m, &threads) + 1;
		per = confirm_threads_per_worker(m);
		if (per > 0)
			snprintf(buf, size, "add a worker: %d worker%s, "
			    "%.0f threads serving once it is up", n,
			    confirm_plural(n), threads + per);
		else
			snprintf(buf, size, "add a worker: %d worker%s "
			    "serving once it is up", n, confirm_plural(n));
		break;
	case ACT_DRAIN:
		n = confirm_serving_without(m, id, &threads);
		snprintf(buf, size, "drain %s: leaves %d worker%s, %.0f "
		    "threads serving%s", id, n, confirm_plural(n), threads,
		    n == 0 ? " - NOTHING WILL SERVE REQUESTS" : "");
		break;
	case ACT_REMOVE:
		n = confirm_serving_without(m, id, &threads);
		snprintf(buf, size, "remove %s: leaves %d worker%s, %.0f "
		    "threads%s", id, n, confirm_plural(n), threads,
		    n == 0 ? " - NOTHING WILL SERVE REQUESTS" : "");
		break;
	case ACT_RESTART:
		n = model_workers_serving(m, &threads);
		per = confirm_threads_per_worker(m);
		snprintf(buf, size, "restart all %zu workers one at a time: "
		    "%d worker%s, %.0f threads serve while each restarts",
		    m->nworkers, n > 0 ? n - 1 : 0, confirm_plural(n - 1),
		    threads > per ? threads - per : 0);
		break;
	case ACT_RESUME:
		snprintf(buf, size, "resume %s", id);
		break;
	default:
		buf[0] = '\0';
		break;
	}
}
