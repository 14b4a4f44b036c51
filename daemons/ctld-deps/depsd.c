/*
 * depsd.c — pfo3-ctld-deps: pfo3-ctld's view of the dependencies, in a
 * process of its own (depsd.h tells why and the protocol).
 *
 * It runs what needs the clients of PostgreSQL, S3 and RabbitMQ: the
 * probes with the queue depths (deps.c), the heartbeats (beats.c) and
 * the storage runs (depsd-storage.c), and reports to pfo3-ctld on its
 * standard input, a socket pfo3-ctld made: four times per ctld.interval,
 * one line with the dependencies, the queues and the heartbeats received
 * since the last line.  It ends when that socket closes (pfo3-ctld is
 * gone), or on SIGTERM/SIGINT.
 */
#include <sys/prctl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <jansson.h>

#include "beats.h"
#include "clock.h"
#include "conf.h"
#include "ctl.h"
#include "daemon-args.h"
#include "deps.h"
#include "depsd.h"
#include "log.h"
#include "s3.h"
#include "xmalloc.h"

#include "config.h"

/*
 * Reports per ctld.interval: pfo3-ctld reads the dependencies from the
 * last one, and a probe's overrun is judged when a report is made, so a
 * change reaches pfo3-ctld within a quarter interval, not a whole one.
 */
#define DEPSD_REPORTS	4

struct depsd {
	struct pfo3_conf	 conf;
	struct event_base	*base;
	struct bufferevent	*link;		/* to pfo3-ctld, on fd 0 */
	struct event		*tick;
	struct event		*sig[2];
	struct deps		*deps;
	struct beats		*beats;
	struct depsd_storage	*storage;	/* a run under way, or NULL */
};

static void
depsd_usage(FILE *f)
{
	fprintf(f,
"usage: pfo3-ctld-deps [-fv] [-c FILE] [-o KEY=VALUE ...]\n"
"\n"
"pfo3-ctld's view of the dependencies, started by pfo3-ctld on a socket as\n"
"its standard input: probes PostgreSQL, S3 and RabbitMQ (with the job\n"
"queues' depths), consumes the workers' heartbeats and runs storage.check\n"
"and storage.repair, and reports to pfo3-ctld every ctld.interval.  It\n"
"ends when pfo3-ctld closes the socket.  Not meant to be run by hand.\n"
"\n"
"  -c, --config FILE    read pfo3.conf(5) FILE (pfo3-ctld's)\n"
"  -o, --set KEY=VALUE  set any pfo3.conf key\n"
"  -f, --foreground     log to stderr (pfo3-ctld's log) too\n"
"  -v, --verbose        log debug messages\n"
"  -n, --check          check the configuration and exit (0 OK, 2 errors)\n"
"  -h, --help           show this help\n"
"  -V, --version        show the version\n"
"\n"
"See pfo3-ctld-deps(8), pfo3-ctld(8).\n");
}

/* A heartbeat, as a member of the report's "beats". */
static void
depsd_beat(const char *id, const json_t *stats, int64_t recv_ms, void *arg)
{
	json_t *beats = arg;

	json_array_append_new(beats, json_pack("{s:s,s:O,s:I}", "id", id,
	    "stats", stats, "age_ms", (json_int_t)(clock_mono_ms() - recv_ms)));
}

static void
depsd_tick(evutil_socket_t fd, short what, void *arg)
{
	struct depsd	*d = arg;
	json_t		*beats = json_array(), *queues;
	int64_t		 queued;

	(void)fd;
	(void)what;
	beats_take(d->beats, depsd_beat, beats);
	queues = deps_queues(d->deps, &queued);
	ctl_frame_send(d->link, json_pack("{s:o,s:o,s:I,s:o}",
	    "deps", deps_json(d->deps), "queues", queues,
	    "jobs_queued", (json_int_t)queued, "beats", beats));
}

/* A request of pfo3-ctld: {"storage":{"repair":…,…}} or
 * {"log_level":"debug"}. */
static void
depsd_request(struct depsd *d, const char *line, size_t len)
{
	json_t	*req, *st;
	int	 level;

	req = json_loadb(line, len, 0, NULL);
	if (json_is_string(json_object_get(req, "log_level")) &&
	    (level = log_level_parse(json_string_value(json_object_get(req,
	    "log_level")))) != -1)
		log_set_level(level);
	else if ((st = json_object_get(req, "storage")) != NULL) {
		if (d->storage != NULL)
			ctl_frame_send(d->link, json_pack("{s:{s:s}}", "storage",
			    "error", "a storage run is under way"));
		else
			depsd_storage_start(&d->storage, &d->conf, st,
			    d->base, d->link);
	} else
		log_warnx("a request of pfo3-ctld not understood: %.*s",
		    (int)(len > 200 ? 200 : len), line);
	json_decref(req);
}

static void
depsd_read(struct bufferevent *bev, void *arg)
{
	struct depsd	*d = arg;
	char		*line;
	size_t		 len;

	while ((line = evbuffer_readln(bufferevent_get_input(bev), &len,
	    EVBUFFER_EOL_LF)) != NULL) {
		depsd_request(d, line, len);
		free(line);
	}
}

static void
depsd_event(struct bufferevent *bev, short what, void *arg)
{
	struct depsd *d = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		log_info("pfo3-ctld closed the link: stopping");
		event_base_loopbreak(d->base);
	}
}

static void
depsd_signal(evutil_socket_t sig, short what, void *arg)
{
	struct depsd *d = arg;

	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(d->base);
}

int
main(int argc, char **argv)
{
	const struct daemon_cmd cmd = { .name = "pfo3-ctld-deps",
	    .usage = depsd_usage };
	static const int sigs[2] = { SIGTERM, SIGINT };
	struct daemon_args	 args;
	struct depsd		 d;
	struct timeval		 tv;
	char			*cause = NULL;
	int			 i;

	memset(&d, 0, sizeof d);
	daemon_configure(&args, &cmd, argc, argv, &d.conf);
	daemon_args_free(&args);
	/* pfo3-ctld's child: foreground always, its log and socket kept. */
	daemon_start("pfo3-ctld-deps", 1, &d.conf);
	/* pfo3-ctld killed outright closes the socket too; this is sooner. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (s3_global_init(&cause) == -1)
		fatalx("%s", cause);
	signal(SIGPIPE, SIG_IGN);
	if ((d.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	if ((d.link = bufferevent_socket_new(d.base, 0, 0)) == NULL)
		fatalx("the link to pfo3-ctld: bufferevent_socket_new failed");
	bufferevent_setcb(d.link, depsd_read, NULL, depsd_event, &d);
	bufferevent_enable(d.link, EV_READ | EV_WRITE);
	for (i = 0; i < 2; i++) {
		d.sig[i] = evsignal_new(d.base, sigs[i], depsd_signal, &d);
		if (d.sig[i] == NULL || evsignal_add(d.sig[i], NULL) == -1)
			fatalx("signal %d: cannot watch it", sigs[i]);
	}
	if ((d.deps = deps_start(&d.conf, &cause)) == NULL ||
	    (d.beats = beats_start(&d.conf, &cause)) == NULL)
		fatalx("%s", cause);
	clock_timeval(&tv, d.conf.ctld.interval / DEPSD_REPORTS);
	if ((d.tick = event_new(d.base, -1, EV_PERSIST, depsd_tick, &d)) ==
	    NULL || event_add(d.tick, &tv) == -1)
		fatalx("the report tick: event_new failed");

	event_base_dispatch(d.base);

	/* A storage run under way ends by its clients' deadlines. */
	depsd_storage_end(&d.storage);
	beats_stop(d.beats);
	deps_stop(d.deps);
	event_free(d.tick);
	for (i = 0; i < 2; i++)
		event_free(d.sig[i]);
	bufferevent_free(d.link);
	event_base_free(d.base);
	conf_free(&d.conf);
	s3_global_cleanup();
	libevent_global_shutdown();
	return 0;
}
