/*
 * ctld.c — pfo3-ctld: options, configuration, the refresh tick, signals,
 * start and stop.  The design of the process is described in ctld.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "ctld.h"
#include "daemon-args.h"
#include "depslink.h"
#include "journal.h"
#include "lifecycle.h"
#include "log.h"
#include "xmalloc.h"

#include "config.h"

/* After the workers' own shutdown_timeout, this long more at most. */
#define CTLD_STOP_GRACE_MS	10000

static void
ctld_usage(FILE *f)
{
	fprintf(f,
"usage: pfo3-ctld [-fnv] [-c FILE] [-o KEY=VALUE ...]\n"
"\n"
"The pfo3 control daemon: starts and supervises the local workers, drives\n"
"HAProxy, and serves the cluster's status and the admin commands on its\n"
"control sockets (pfo3ctl, pfo3-console).\n"
"\n"
"  -c, --config FILE    read pfo3.conf(5) FILE; the workers get it too\n"
"  -o, --set KEY=VALUE  set any pfo3.conf key, e.g. -o workers.count=5;\n"
"                       repeat it for more keys (in order: the last wins)\n"
"  -f, --foreground     stay in the foreground, log to stderr\n"
"  -v, --verbose        log debug messages\n"
"  -n, --check          check the configuration and exit (0 OK, 2 errors)\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"Keys: ctld.* (sockets, HAProxy, refresh) and workers.* (count, ports).\n"
"See pfo3-ctld(8), pfo3.conf(5).\n");
}

/* A heartbeat: only remote workers are known by theirs. */
static void
ctld_beat(const char *id, const json_t *stats, int64_t recv_ms, void *arg)
{
	struct ctld	*c = arg;
	struct worker	*w;
	const char	*listen;

	listen = json_string_value(json_object_get(stats, "listen"));
	if (listen == NULL || (w = worker_find_addr(c, listen)) == NULL)
		w = worker_find(c, id);
	if (w == NULL || w->local)
		return;
	if (listen != NULL && strcmp(listen, w->addr) != 0 &&
	    strcmp(id, w->id) != 0)
		return;
	worker_remote_beat(w, stats, recv_ms);
	/* Heard from while starting or silent: ready. */
	if (lifecycle_allows(w->state, WE_READY))
		lifecycle_apply(w, WE_READY, "ready", NULL);
}

/* Every ctld.interval: refresh what we know, move actions on. */
static void
ctld_tick(struct ctld *c)
{
	struct worker *w;

	lb_refresh(c);
	TAILQ_FOREACH(w, &c->workers, entry)
		supervise_poll(w);
	depslink_beats(c->deps, ctld_beat, c);
	action_progress(c);
	status_sample(c);
}

static void
ctld_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctld	*c = arg;
	struct worker	*w;
	int		 running = 0;

	if (!c->stopping) {
		ctld_tick(c);
		return;
	}
	TAILQ_FOREACH(w, &c->workers, entry)
		if (w->local && w->pid != 0) {
			running++;
			if (clock_mono_ms() > c->stop_deadline_ms)
				kill(w->pid, SIGKILL);
		}
	if (running == 0) {
		log_info("every worker stopped");
		event_base_loopbreak(c->base);
	}
}

static void
ctld_stop(struct ctld *c, const char *why)
{
	if (c->stopping)
		return;
	log_info("%s: stopping the workers", why);
	c->stopping = 1;
	c->stop_deadline_ms = clock_mono_ms() +
	    c->conf.worker.shutdown_timeout + CTLD_STOP_GRACE_MS;
	supervise_stop_all(c);
	ctld_tick_cb(-1, 0, c);
}

static void
ctld_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ctld *c = arg;

	switch (sig) {
	case SIGCHLD:
		supervise_reap(c);
		if (c->stopping)
			ctld_tick_cb(-1, 0, c);
		break;
	case SIGHUP:
		log_info("SIGHUP: reopening logs");
		log_reopen();
		break;
	case SIGTERM:
		ctld_stop(c, "SIGTERM");
		break;
	case SIGINT:
		ctld_stop(c, "SIGINT");
		break;
	case SIGQUIT:
		/* A restart of pfo3-ctld alone (an upgrade): the next one
		 * adopts the workers, which keep serving meanwhile. */
		if (c->stopping)
			break;
		log_info("SIGQUIT: exiting; the workers keep running");
		c->leaving = 1;
		event_base_loopbreak(c->base);
		break;
	}
}

/* ctld.haproxy_backends, "a,b" → c->backends. */
static int
ctld_backends(struct ctld *c, char **cause)
{
	char *list, *p, *save;

	list = xstrdup(c->conf.ctld.haproxy_backends);
	for (p = strtok_r(list, ", ", &save); p != NULL;
	    p = strtok_r(NULL, ", ", &save)) {
		if (c->nbackends == CTLD_BACKENDS) {
			*cause = xasprintf("ctld.haproxy_backends: more than "
			    "%d backends", CTLD_BACKENDS);
			free(list);
			return -1;
		}
		c->backends[c->nbackends++] = xstrdup(p);
	}
	free(list);
	return 0;
}

/* The worker binary: workers.binary, else pfo3-workerd beside us. */
static int
ctld_workerd(struct ctld *c, char **cause)
{
	if (*c->conf.workers.binary != '\0')
		c->workerd = xstrdup(c->conf.workers.binary);
	else if ((c->workerd = spawn_beside_self("pfo3-workerd", cause)) ==
	    NULL)
		return -1;
	if (c->conf.workers.count > 0 && access(c->workerd, X_OK) != 0) {
		*cause = xasprintf("workers.binary: %s: %s", c->workerd,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* The checks of the configuration beyond each key's own bounds. */
static int
ctld_validate(struct pfo3_conf *conf, void *arg, char **cause)
{
	struct ctld *c = arg;

	if (conf->workers.restart_min > conf->workers.restart_max) {
		*cause = xstrdup("workers.restart_min is more than "
		    "workers.restart_max");
		return -1;
	}
	if (ctld_backends(c, cause) == -1 || ctld_workerd(c, cause) == -1)
		return -1;
	return 0;
}

/* The command line and configuration are shared with pfo3-workerd. */
static void
ctld_configure(struct ctld *c, int argc, char **argv, int *foreground)
{
	const struct daemon_cmd cmd = {
		.name = "pfo3-ctld",
		.usage = ctld_usage,
		.validate = ctld_validate,
		.arg = c,
	};
	struct daemon_args args;

	size_t i;

	daemon_configure(&args, &cmd, argc, argv, &c->conf);
	c->conf_path = args.config;
	/* pfo3-ctld-deps gets the same settings, -v as the level it sets. */
	c->sets = xcalloc(args.nsets + 2, sizeof *c->sets);
	for (i = 0; i < args.nsets; i++)
		c->sets[c->nsets++] = xasprintf("%s=%s", args.sets[i].key,
		    args.sets[i].value);
	if (args.verbose)
		c->sets[c->nsets++] = xstrdup("log.level=debug");
	*foreground = args.foreground;
	daemon_args_free(&args);
}

static void
ctld_cleanup(struct ctld *c)
{
	struct worker	*w;
	int		 i;

	command_stop(c);
	depslink_stop(c->deps);
	while ((w = TAILQ_FIRST(&c->workers)) != NULL)
		worker_free(w);
	for (i = 0; i < CTLD_SIGNALS; i++)
		if (c->sig_ev[i] != NULL)
			event_free(c->sig_ev[i]);
	event_free(c->tick_ev);
	event_base_free(c->base);
	for (i = 0; i < c->nbackends; i++)
		free(c->backends[i]);
	ring_free(&c->hist_busy);
	ring_free(&c->hist_req);
	journal_free(&c->journal);
	for (i = 0; i < c->nsets; i++)
		free(c->sets[i]);
	free(c->sets);
	free(c->restart_all);
	free(c->workerd);
	conf_free(&c->conf);
	libevent_global_shutdown();
}

int
main(int argc, char **argv)
{
	static const int sigs[CTLD_SIGNALS] = { SIGCHLD, SIGHUP, SIGTERM,
	    SIGINT, SIGQUIT };
	struct ctld	 c;
	struct worker	*w;
	struct timeval	 tv;
	char		*cause = NULL;
	int		 foreground = 0, i, adopted = 0;

	memset(&c, 0, sizeof c);
	TAILQ_INIT(&c.workers);
	TAILQ_INIT(&c.watchers);
	ctld_configure(&c, argc, argv, &foreground);

	daemon_start("pfo3-ctld", foreground, &c.conf);
	signal(SIGPIPE, SIG_IGN);
	if ((c.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	c.pid = getpid();
	c.start_ms = clock_mono_ms();
	journal_init(&c.journal, c.conf.ctld.events);
	ring_init(&c.hist_busy, (int)c.conf.ctld.history, 1);
	ring_init(&c.hist_req, (int)c.conf.ctld.history, 0);
	for (i = 0; i < CTLD_SIGNALS; i++) {
		c.sig_ev[i] = evsignal_new(c.base, sigs[i], ctld_signal_cb, &c);
		if (c.sig_ev[i] == NULL || evsignal_add(c.sig_ev[i], NULL) == -1)
			fatalx("signal %d: cannot watch it", sigs[i]);
	}

	if (command_start(&c, &cause) == -1)
		fatalx("%s", cause);
	if ((c.deps = depslink_start(&c, &cause)) == NULL)
		fatalx("%s", cause);
	action_start(&c);
	/* Reconciles HAProxy too, once the workers exist. */
	if (supervise_start(&c, &cause) == -1)
		fatalx("%s", cause);
	TAILQ_FOREACH(w, &c.workers, entry)
		adopted += w->adopted;
	journal_add(&c.journal, "pfo3-ctld %s started: %d local workers, "
	    "%d adopted", PACKAGE_VERSION, c.nworkers, adopted);

	clock_timeval(&tv, c.conf.ctld.interval);
	if ((c.tick_ev = event_new(c.base, -1, EV_PERSIST, ctld_tick_cb,
	    &c)) == NULL || event_add(c.tick_ev, &tv) == -1)
		fatalx("the refresh tick: event_new failed");

	event_base_dispatch(c.base);
	ctld_cleanup(&c);
	log_info("stopped");
	return 0;
}
