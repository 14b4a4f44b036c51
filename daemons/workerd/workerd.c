/*
 * workerd.c — pfo3-workerd: options, configuration, start and stop.
 * The design of the process is described in workerd.h.
 */
#include <errno.h>
#include <getopt.h>
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
#include "auth.h"
#include "db.h"
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

/* Long options that are config keys: the option's name → the key. */
static const struct {
	const char	*option;
	const char	*key;
} workerd_option_keys[] = {
	{ "id",			"worker.id" },
	{ "listen",		"worker.listen" },
	{ "threads",		"worker.threads" },
	{ "queue",		"worker.queue" },
	{ "control",		"worker.control" },
	{ "agent-listen",	"worker.agent_listen" },
};
#define WORKERD_NKEYS (sizeof workerd_option_keys / sizeof workerd_option_keys[0])

static const struct option workerd_options[] = {
	{ "id",		  required_argument, NULL, 0 },
	{ "listen",	  required_argument, NULL, 0 },
	{ "threads",	  required_argument, NULL, 0 },
	{ "queue",	  required_argument, NULL, 0 },
	{ "control",	  required_argument, NULL, 0 },
	{ "agent-listen", required_argument, NULL, 0 },
	{ "config",	  required_argument, NULL, 'c' },
	{ "set",	  required_argument, NULL, 'o' },
	{ "foreground",	  no_argument,	     NULL, 'f' },
	{ "verbose",	  no_argument,	     NULL, 'v' },
	{ "check",	  no_argument,	     NULL, 'n' },
	{ "migrate",	  no_argument,	     NULL, 'M' },
	{ "help",	  no_argument,	     NULL, 'h' },
	{ "version",	  no_argument,	     NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
workerd_usage(FILE *f)
{
	fprintf(f,
"usage: pfo3-workerd [-fnv] [-c FILE] [--id NAME] [--listen ADDR:PORT]\n"
"                    [--threads N] [--queue N] [--control PATH]\n"
"                    [--agent-listen ADDR:PORT] [-o KEY=VALUE]\n"
"       pfo3-workerd --migrate [-c FILE] [-o KEY=VALUE]\n"
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
"  -o, --set KEY=VALUE      set any pfo3.conf key, e.g. -o tasks.max_sleep=10s\n"
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

/* Applies one command-line override; on error prints it and exits 2. */
static void
workerd_override(struct pfo3_conf *conf, const char *key, const char *value)
{
	char *cause = NULL;

	if (conf_set(conf, key, value, &cause) == -1) {
		fprintf(stderr, "pfo3-workerd: command line: %s\n", cause);
		exit(2);
	}
}

struct workerd_args {
	const char	*config;
	char		*keys[64];	/* "key=value" from options, in order */
	int		 nkeys;
	int		 foreground;
	int		 verbose;
	int		 check;
	int		 migrate;
};

static void
workerd_parse_args(int argc, char **argv, struct workerd_args *a)
{
	int ch, idx;

	memset(a, 0, sizeof *a);
	while ((ch = getopt_long(argc, argv, "c:o:fvnhV", workerd_options,
	    &idx)) != -1) {
		switch (ch) {
		case 0:
			if (a->nkeys == 64)
				break;
			a->keys[a->nkeys++] = xasprintf("%s=%s",
			    workerd_option_keys[idx].key, optarg);
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'o':
			if (strchr(optarg, '=') == NULL) {
				fprintf(stderr, "pfo3-workerd: -o needs "
				    "KEY=VALUE, got '%s'\n", optarg);
				exit(2);
			}
			if (a->nkeys < 64)
				a->keys[a->nkeys++] = xstrdup(optarg);
			break;
		case 'f':
			a->foreground = 1;
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'n':
			a->check = 1;
			break;
		case 'M':
			a->migrate = 1;
			break;
		case 'h':
			workerd_usage(stdout);
			exit(0);
		case 'V':
			printf("pfo3-workerd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			workerd_usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "pfo3-workerd: unexpected argument '%s'\n",
		    argv[optind]);
		workerd_usage(stderr);
		exit(2);
	}
}

static void
workerd_configure(struct workerd *w, struct workerd_args *a)
{
	char *cause = NULL, *eq;
	int i;

	conf_defaults(&w->conf);
	if (a->config != NULL && conf_load(&w->conf, a->config, &cause) == -1) {
		fprintf(stderr, "%s", cause);
		if (cause[0] != '\0' && cause[strlen(cause) - 1] != '\n')
			fputc('\n', stderr);
		exit(2);
	}
	for (i = 0; i < a->nkeys; i++) {
		eq = strchr(a->keys[i], '=');
		*eq = '\0';
		workerd_override(&w->conf, a->keys[i], eq + 1);
		free(a->keys[i]);
	}
	if (a->verbose)
		workerd_override(&w->conf, "log.level", "debug");
	if (a->check) {
		printf("configuration OK\n");
		exit(0);
	}
	w->control_path = conf_expand_id(w->conf.worker.control,
	    w->conf.worker.id);
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
	struct workerd w;
	struct workerd_args args;
	char *cause = NULL;

	memset(&w, 0, sizeof w);
	w.listen_fd = w.agent_fd = -1;
	workerd_parse_args(argc, argv, &args);
	workerd_configure(&w, &args);
	if (args.migrate)
		workerd_migrate(&w);

	log_init("pfo3-workerd", args.foreground,
	    log_level_parse(w.conf.log.level));
	if (log_open_file(w.conf.log.file, &cause) == -1)
		fatalx("log.file: %s", cause);
	if (!args.foreground && daemon(1, 0) == -1)
		fatal("daemon");

	/* Library set-up that is not thread-safe, before any thread starts. */
	json_object_seed(0);
	if (s3_global_init(&cause) == -1)
		fatalx("%s", cause);
	if (report_pdf_init(&cause) == -1)
		fatalx("%s", cause);
	if (thumb_init(&cause) == -1)
		fatalx("%s", cause);
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

	w.pool = pool_new((int)w.conf.worker.threads, (int)w.conf.worker.queue,
	    &cause);
	if (w.pool == NULL)
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

	event_base_dispatch(w.base);
	workerd_cleanup(&w);
	log_info("stopped");
	return 0;
}
