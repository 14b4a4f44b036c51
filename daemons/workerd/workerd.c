/*
 * workerd.c — pfo3-workerd: options, configuration, start and stop.
 * The design of the process is described in workerd.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "conn.h"
#include "daemon-args.h"
#include "auth.h"
#include "db.h"
#include "evloop.h"
#include "heartbeat.h"
#include "jobs.h"
#include "jobs-db.h"
#include "log.h"
#include "migrate.h"
#include "notify.h"
#include "pool.h"
#include "probe.h"
#include "report-pdf.h"
#include "router.h"
#include "s3.h"
#include "thumb.h"
#include "workerd.h"
#include "xmalloc.h"

#include "config.h"

/* pfo3-workerd's own options; the shared ones are in daemon-args.h. */
static const struct daemon_option workerd_options[] = {
	{ "id",			"worker.id" },
	{ "listen",		"worker.listen" },
	{ "threads",		"worker.threads" },
	{ "queue",		"worker.queue" },
	{ "control",		"worker.control" },
	{ "agent-listen",	"worker.agent_listen" },
	{ "migrate",		NULL },
	{ NULL,			NULL },
};

static void
workerd_usage(FILE *f)
{
	fprintf(f,
"usage: pfo3-workerd [-fnv] [-c FILE] [--id NAME] [--listen ADDR:PORT]\n"
"                    [--threads N] [--queue N] [--control PATH]\n"
"                    [--agent-listen ADDR:PORT] [-o KEY=VALUE ...]\n"
"       pfo3-workerd --migrate [-c FILE] [-o KEY=VALUE ...]\n"
"\n"
"A pfo3 worker: HTTP/1.1 API and the seed's JSON task protocol on one port,\n"
"served by a fixed pool of threads.\n"
"\n"
"  -c, --config FILE        read pfo3.conf(5) FILE (default: built-in defaults)\n"
"      --id NAME            worker name (worker.id, default w1)\n"
"      --listen ADDR:PORT   listening address (worker.listen, default 127.0.0.1:8001)\n"
"      --threads N          pool threads (worker.threads, default 5)\n"
"      --queue N            pool queue capacity (worker.queue, default 64)\n"
"      --control PATH       control socket; %%i is the id (worker.control)\n"
"      --agent-listen A:P   HAProxy agent-check listener (worker.agent_listen)\n"
"  -o, --set KEY=VALUE      set any pfo3.conf key, e.g. -o tasks.max_sleep=10s;\n"
"                           repeat it for more keys (in order: the last wins)\n"
"  -f, --foreground         stay in the foreground, log to stderr\n"
"  -v, --verbose            log debug messages\n"
"  -n, --check              check the configuration and exit (0 OK, 2 errors)\n"
"      --migrate            apply the missing database migrations and exit\n"
"                           (safe when several workers run it at once)\n"
"  -h, --help               show this help\n"
"  -V, --version            show the version\n"
"\n"
"Command-line options override the file.  See pfo3-workerd(8), pfo3.conf(5).\n");
}

/* --migrate: applies the missing migrations; exits 0, or 1 with the error. */
static void
workerd_migrate(struct workerd *w)
{
	char *cause = NULL;

	log_init("pfo3-workerd", 1, log_level_parse(w->conf.log.level));
	if (migrate_run(&w->conf.postgres, &cause) == -1) {
		log_errorx("migrations: %s", cause);
		exit(1);
	}
	if (jobs_db_check_types(w, &cause) == -1) {
		log_errorx("%s", cause);
		exit(1);
	}
	db_close();
	exit(0);
}

static void
workerd_cleanup(struct workerd *w)
{
	heartbeat_stop(w->heartbeat);
	control_stop(w);
	agent_stop(w);
	probe_stop(w->probe);
	jobs_stop(w);
	notify_stop(w);
	if (w->inflight > 0) {
		/* Pool threads still hold connections: do not pull them away. */
		log_warnx("exiting with %d requests unfinished", w->inflight);
		exit(0);
	}
	server_stop(w);
	pool_free(w->pool);
	evloop_free(w->loop);
	thumb_shutdown();
	s3_global_cleanup();
	event_base_free(w->base);
	pthread_mutex_destroy(&w->done_lock);
	free(w->control_path);
	conf_free(&w->conf);
	libevent_global_shutdown();
}

int
main(int argc, char **argv)
{
	static const struct daemon_cmd cmd = {
		.name = "pfo3-workerd",
		.usage = workerd_usage,
		.options = workerd_options,
	};
	struct workerd		w;
	struct daemon_args	args;
	char			*cause = NULL;
	int			 foreground, migrate;

	memset(&w, 0, sizeof w);
	w.listen_fd = w.agent_fd = -1;
	daemon_configure(&args, &cmd, argc, argv, &w.conf);
	w.control_path = conf_expand_id(w.conf.worker.control,
	    w.conf.worker.id);
	foreground = args.foreground;
	migrate = daemon_args_flag(&args, "migrate");
	daemon_args_free(&args);
	if (migrate)
		workerd_migrate(&w);

	daemon_start("pfo3-workerd", foreground, &w.conf);
	/* Library set-up that is not thread-safe, before any thread starts. */
	if (s3_global_init(&cause) == -1)
		fatalx("%s", cause);
	/* The renderers (module.h) are loaded by the first thumbnail or
	 * report: an idle worker maps neither libvips nor cairo. */
	thumb_env_init();
	if (evthread_use_pthreads() == -1)
		fatalx("libevent has no pthreads support");
	if ((w.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	TAILQ_INIT(&w.conns);
	TAILQ_INIT(&w.done);
	TAILQ_INIT(&w.parked);
	pthread_mutex_init(&w.done_lock, NULL);
	metrics_init(&w.metrics);
	router_register_metrics(&w);
	w.start_mono_ms = clock_mono_ms();
	w.start_time = time(NULL);
	atomic_init(&w.next_task_id, 1);

	w.pool = pool_new("pool", (int)w.conf.worker.threads,
	    (int)w.conf.worker.queue, &cause);
	if (w.pool == NULL)
		fatalx("%s", cause);
	if ((w.loop = evloop_new(w.base, w.conf.worker.loop_watch * 1000,
	    &cause)) == NULL)
		fatalx("%s", cause);
	if ((w.probe = probe_start(&w.conf, &cause)) == NULL)
		fatalx("%s", cause);
	auth_init(&w);
	if (server_start(&w, &cause) == -1 || control_start(&w, &cause) == -1 ||
	    agent_start(&w, &cause) == -1 || jobs_start(&w, &cause) == -1 ||
	    notify_start(&w, &cause) == -1)
		fatalx("%s", cause);
	w.heartbeat = heartbeat_start(&w, &cause);
	if (w.heartbeat == NULL && cause != NULL)
		fatalx("%s", cause);

	evloop_run(w.loop);
	workerd_cleanup(&w);
	log_info("stopped");
	return 0;
}
