/*
 * console.c — pfo3-console: options, configuration and the interactive
 * loop.  The files of the console are listed in console.h.
 *
 * The loop sleeps in one poll() on the terminal and the sockets to ctld.
 * It wakes when a key, a status line or an action reply arrives, when a
 * reconnection is due, or on a signal (SIGWINCH included: curses then
 * hands out KEY_RESIZE from getch, which is why every wake-up reads keys
 * until there are none).  It has no refresh timer of its own: ctld's
 * watch stream sets the pace.
 */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>
#include <jansson.h>

#include "clock.h"
#include "conf.h"
#include "console-canvas.h"
#include "console-layout.h"
#include "status-model.h"
#include "console-render.h"
#include "console-term.h"
#include "console-ui.h"
#include "console-watch.h"
#include "console.h"
#include "ctl-field.h"
#include "ctl-socket.h"
#include "xmalloc.h"

#include "config.h"

static volatile sig_atomic_t console_stop;

static const struct option console_options[] = {
	{ "socket",	required_argument, NULL, 's' },
	{ "config",	required_argument, NULL, 'c' },
	{ "interval",	required_argument, NULL, 'i' },
	{ "read-only",	no_argument,	   NULL, 'r' },
	{ "batch",	no_argument,	   NULL, 'b' },
	{ "width",	required_argument, NULL, 'w' },
	{ "no-color",	no_argument,	   NULL, 'm' },
	{ "ascii",	no_argument,	   NULL, 'A' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
console_usage(FILE *f)
{
	fprintf(f,
"usage: pfo3-console [-s SOCKET] [-c FILE] [-i INTERVAL] [--read-only]\n"
"                    [--no-color] [--ascii]\n"
"       pfo3-console --batch [-s SOCKET] [-c FILE] [-w COLUMNS]\n"
"\n"
"The operator console of a pfo3 cluster: workers, pool load, queues and\n"
"dependencies, live from pfo3-ctld; add, drain, resume, remove and restart\n"
"workers.  Press ? inside for the keys.\n"
"\n"
"  -s, --socket PATH      ctld's control socket (default: $PFO3_SOCKET,\n"
"                         else %s)\n"
"  -c, --config FILE      read console.* keys of pfo3.conf(5) FILE\n"
"  -i, --interval TIME    refresh period asked of ctld, e.g. 500ms, 2s\n"
"                         (console.interval, default 1s)\n"
"      --read-only        never act on the cluster, only show it\n"
"      --no-color         attributes and symbols only (also: NO_COLOR set)\n"
"      --ascii            ASCII symbols even in a UTF-8 locale\n"
"  -b, --batch            print one frame as plain text and exit\n"
"  -w, --width COLUMNS    width of the --batch frame (default: $COLUMNS,\n"
"                         else 132)\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n"
"\n"
"Exit status: 0 done, 1 ctld answered an error, 2 usage or configuration\n"
"error, 3 cannot reach ctld (--batch).  See pfo3-console(8).\n",
	    ctl_socket_default());
}

static void
console_on_signal(int sig)
{
	(void)sig;
	console_stop = 1;
}

/* Signals that end the console restore the terminal first. */
static void
console_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = console_on_signal;
	/* No SA_RESTART: poll() must return to notice the flag. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* One command the UI asked for. */
static int
console_request(struct watch *w, struct ui *ui, const struct ui_request *req,
    int64_t now)
{
	char	*cause = NULL;

	switch (req->what) {
	case REQ_COMMAND:
		if (watch_action(w, req->cmd, req->arg, now, &cause) != 0) {
			ui_message(ui, now, ST_CRIT, "%s %s: cannot send: %s",
			    confirm_verb(req->action), req->arg, cause);
			free(cause);
		} else
			ui_command_sent(ui, req, now);
		break;
	case REQ_INTERVAL:
		watch_set_interval(w, ui->interval_ms, now);
		break;
	case REQ_REDRAW:
		term_invalidate();
		break;
	case REQ_QUIT:
		return 1;
	default:
		break;
	}
	return 0;
}

/* The answer to an action, from the action link. */
static void
console_reply(struct ui *ui, const struct model *m, json_t *reply,
    int64_t now)
{
	ui_command_result(ui, m, json_is_true(json_object_get(reply, "ok")),
	    ctl_field_str(reply, "worker", NULL),
	    ctl_field_str(reply, "error", NULL), now);
	json_decref(reply);
}

/* A status from the stream: shown now, or held while paused. */
static void
console_status(struct ui *ui, struct model *m, json_t **held, json_t *st,
    int64_t now)
{
	char	*cause = NULL;

	json_decref(*held);
	*held = st;
	if (ui->paused)
		return;
	if (model_apply(m, st, &cause) != 0) {
		ui_message(ui, now, ST_CRIT, "bad status from ctld: %s", cause);
		free(cause);
	}
	json_decref(*held);
	*held = NULL;
	ui_fix_selection(ui, m);
	ui_update(ui, m, now);
}

/* Lays out and draws one frame for the terminal's current size. */
static void
console_draw(struct canvas *cv, struct model *m, struct ui *ui,
    struct watch *w, const struct console_opts *o, int64_t now)
{
	struct layout		 l;
	struct layout_need	 need;
	struct render_ctx	 rc;
	int			 rows, cols;

	term_size(&rows, &cols);
	if (rows != cv->rows || cols != cv->cols)
		canvas_resize(cv, rows, cols);
	render_need(m, &need);
	layout_compute(&l, rows, cols, &need);
	if (layout_worker_rows(&l) != ui->page && layout_worker_rows(&l) > 0) {
		ui->page = layout_worker_rows(&l);
		ui_fix_selection(ui, m);
	}
	memset(&rc, 0, sizeof rc);
	rc.sym = o->sym;
	rc.th = &o->th;
	rc.now_ms = now;
	rc.conn.connected = watch_connected(w);
	rc.conn.error = watch_error(w);
	rc.conn.retry_in_ms = watch_retry_in(w, now);
	render_frame(cv, &l, m, ui, &rc);
	term_draw(cv);
}

int
console_run(const struct console_opts *o)
{
	struct pollfd		 fds[3];
	struct canvas		 cv = { 0, 0, NULL };
	struct model		 m;
	struct ui		 ui;
	struct ui_request	 req;
	struct watch		*w;
	json_t			*st, *reply, *held = NULL;
	char			*cause = NULL;
	int64_t			 now;
	int			 nfds, timeout, key, quit = 0, was_paused = 0;

	if (term_start(o->colour, &cause) != 0) {
		fprintf(stderr, "pfo3-console: %s\n", cause);
		free(cause);
		return 2;
	}
	console_signals();
	model_init(&m);
	ui_init(&ui, o->interval_ms);
	w = watch_new(o->socket, o->interval_ms);

	while (!quit && !console_stop) {
		now = clock_mono_ms();
		ui.read_only = o->read_only || watch_read_only(w);
		ui.read_only_why = o->read_only ? "--read-only" :
		    "the read-only socket";
		console_draw(&cv, &m, &ui, w, o, now);

		fds[0].fd = STDIN_FILENO;
		fds[0].events = POLLIN;
		fds[0].revents = 0;
		nfds = 1;
		timeout = watch_pollfds(w, fds, &nfds, now);
		if (ui.message[0] != '\0' && ui.message_until > now &&
		    (timeout == -1 || ui.message_until - now < timeout))
			timeout = (int)(ui.message_until - now);
		if (poll(fds, (nfds_t)nfds, timeout) == -1 && errno != EINTR)
			break;

		now = clock_mono_ms();
		while (!quit && (key = term_key()) != -1) {
			ui_key(&ui, &m, key, now, &req);
			quit = console_request(w, &ui, &req, now);
		}
		if (was_paused && !ui.paused && held != NULL)
			console_status(&ui, &m, &held, json_incref(held), now);
		was_paused = ui.paused;
		st = watch_service(w, now, &reply);
		if (reply != NULL)
			console_reply(&ui, &m, reply, now);
		if (st != NULL)
			console_status(&ui, &m, &held, st, now);
	}

	term_stop();
	json_decref(held);
	watch_free(w);
	model_clear(&m);
	canvas_free(&cv);
	return 0;
}

/* Reads pfo3.conf's console.* keys into the options. */
static void
console_configure(struct console_opts *o, const char *file,
    const char *interval)
{
	struct pfo3_conf	 conf;
	char			*cause = NULL;
	int64_t			 ms;

	conf_defaults(&conf);
	if (file != NULL && conf_load(&conf, file, &cause) == -1) {
		fprintf(stderr, "%s", cause);
		if (cause[0] != '\0' && cause[strlen(cause) - 1] != '\n')
			fputc('\n', stderr);
		exit(2);
	}
	if (interval != NULL &&
	    conf_set(&conf, "console.interval", interval, &cause) == -1) {
		fprintf(stderr, "pfo3-console: -i: %s\n", cause);
		exit(2);
	}
	ms = conf.console.interval;
	o->interval_ms = (int)ms;
	o->th.queue_warn = conf.console.queue_warn;
	o->th.queue_crit = conf.console.queue_crit;
	conf_free(&conf);
}

/* Columns of the --batch frame: -w, else $COLUMNS, else 132. */
static int
console_width(const char *given)
{
	const char	*s = given != NULL ? given : getenv("COLUMNS");
	char		*end;
	long		 n;

	if (s == NULL || *s == '\0')
		return 132;
	n = strtol(s, &end, 10);
	if (*end != '\0' || n < LAYOUT_MIN_COLS || n > 1000) {
		fprintf(stderr, "pfo3-console: width '%s': give %d to 1000 "
		    "columns\n", s, LAYOUT_MIN_COLS);
		exit(2);
	}
	return (int)n;
}

int
main(int argc, char **argv)
{
	struct console_opts	 o;
	const char		*config = NULL, *interval = NULL, *sock = NULL;
	const char		*width = NULL, *nc;
	int			 ch, batch = 0, ascii = 0;

	setlocale(LC_ALL, "");
	memset(&o, 0, sizeof o);
	o.colour = 1;
	while ((ch = getopt_long(argc, argv, "s:c:i:bw:hV", console_options,
	    NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'i':
			interval = optarg;
			break;
		case 'r':
			o.read_only = 1;
			break;
		case 'b':
			batch = 1;
			break;
		case 'w':
			width = optarg;
			break;
		case 'm':
			o.colour = 0;
			break;
		case 'A':
			ascii = 1;
			break;
		case 'h':
			console_usage(stdout);
			return 0;
		case 'V':
			printf("pfo3-console %s\n", PACKAGE_VERSION);
			return 0;
		default:
			console_usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "pfo3-console: unexpected argument '%s'\n",
		    argv[optind]);
		console_usage(stderr);
		return 2;
	}
	/* https://no-color.org: any non-empty value turns colour off. */
	if ((nc = getenv("NO_COLOR")) != NULL && *nc != '\0')
		o.colour = 0;
	o.sym = !ascii && strcmp(nl_langinfo(CODESET), "UTF-8") == 0 ?
	    &symbols_utf8 : &symbols_ascii;
	o.socket = ctl_socket_path(sock, &o.socket_origin);
	console_configure(&o, config, interval);
	json_object_seed(0);
	if (batch) {
		o.width = console_width(width);
		return console_batch(&o);
	}
	return console_run(&o);
}
