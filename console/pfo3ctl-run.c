/*
 * pfo3ctl-run.c — one pfo3ctl session: connect, learn the daemon's
 * commands from `help`, match the typed words, send the command, print
 * the reply (or, for `watch`, every reply until interrupted).
 *
 * Everything happens on one connection.  Asking `help` first costs one
 * round trip on a local socket and means pfo3ctl never goes out of date
 * with the daemon: a command added there is usable here at once.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "ctl.h"
#include "ctl-socket.h"
#include "pfo3ctl.h"
#include "pfo3ctl-render.h"
#include "pfo3ctl-table.h"
#include "pfo3ctl-words.h"
#include "xmalloc.h"

/* The refresh period assumed for `watch` until a reply tells it. */
#define PFO3CTL_WATCH_INTERVAL_MS	1000
/* Clears a terminal between two frames of `watch`. */
#define PFO3CTL_CLEAR			"\033[H\033[2J"

static volatile sig_atomic_t pfo3ctl_interrupted;

static void
pfo3ctl_on_signal(int sig)
{
	pfo3ctl_interrupted = sig;
}

/* Explains a failed connection, with a hint for the usual causes. */
static int
pfo3ctl_connect_error(const char *path, const char *origin, int err)
{
	const char	*hint = "";

	if (err == ENOENT || err == ECONNREFUSED)
		hint = "; is pfo3-ctld running?";
	else if (err == EACCES)
		hint = "; the admin socket is for its group only";
	fprintf(stderr, "pfo3ctl: cannot connect to %s (from %s): %s (%s)%s\n",
	    path, origin, strerror(err), strerrorname_np(err) != NULL ?
	    strerrorname_np(err) : "?", hint);
	return PFO3CTL_EXIT_CONNECT;
}

/* Prints a reply as JSON (one line) or in its human form. */
static void
pfo3ctl_print(const struct pfo3ctl_args *a, const char *cmd,
    const json_t *rep)
{
	char	*line;
	size_t	 len;

	if (a->json) {
		line = ctl_frame_encode(rep, &len);
		fwrite(line, 1, len, stdout);
		free(line);
	} else if (json_is_true(json_object_get(rep, "ok")))
		pfo3ctl_render(stdout, cmd, rep);
}

/* Reports ok:false; returns the exit status for it. */
static int
pfo3ctl_failed(const char *cmd, const json_t *rep)
{
	const char	*err;
	char		*s;

	err = json_string_value(json_object_get(rep, "error"));
	s = pfo3ctl_printable(err != NULL ? err : "failed (no error given)");
	/* Some errors name the command already: say it once. */
	if (strncmp(s, cmd, strlen(cmd)) == 0 && s[strlen(cmd)] == ':')
		fprintf(stderr, "pfo3ctl: %s\n", s);
	else
		fprintf(stderr, "pfo3ctl: %s: %s\n", cmd, s);
	free(s);
	return PFO3CTL_EXIT_FAILED;
}

/* `help [WORDS...]`: the table pfo3ctl already holds, filtered. */
static int
pfo3ctl_help(const struct pfo3ctl_args *a, const struct pfo3ctl_cmds *t,
    json_t *help, char *const *words, int nwords)
{
	unsigned char	*sel;
	char		*cause = NULL;

	sel = xmalloc((size_t)t->ncmds);
	if (pfo3ctl_words_select(t, words, nwords, sel, &cause) == -1) {
		fprintf(stderr, "pfo3ctl: help: %s\n", cause);
		free(cause);
		free(sel);
		return PFO3CTL_EXIT_USAGE;
	}
	if (a->json)
		pfo3ctl_print(a, "help", help);
	else
		pfo3ctl_render_help(stdout, t, sel,
		    json_string_value(json_object_get(help, "access")));
	free(sel);
	return PFO3CTL_EXIT_OK;
}

/*
 * Waits until a reply line is buffered or can be read, at most `ms`.
 * Returns 1 when there is one to read, 0 on a signal, -1 on timeout
 * (poll is used here rather than inside ctl_client_recv so that an
 * interrupt ends the wait at once).
 */
static int
pfo3ctl_wait(struct ctl_client *c, int ms)
{
	struct pollfd	pfd;
	int64_t		deadline = clock_mono_ms() + ms, left;
	int		n;

	while (!ctl_client_pending(c)) {
		if (pfo3ctl_interrupted)
			return 0;
		left = deadline - clock_mono_ms();
		if (left <= 0)
			return -1;
		pfd.fd = ctl_client_fd(c);
		pfd.events = POLLIN;
		pfd.revents = 0;
		n = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (n == -1 && errno != EINTR)
			return 1;	/* let recv report the error */
		if (n > 0)
			return 1;
	}
	return 1;
}

/*
 * `watch [INTERVAL_MS]`: one frame per reply until interrupted (0), the
 * daemon fails the command (1) or goes away or falls silent (3).  Each
 * reply may take the refresh period plus the timeout.
 */
static int
pfo3ctl_watch(const struct pfo3ctl_args *a, struct ctl_client *c,
    const char *cmd, char *const *args, int nargs)
{
	struct sigaction	 sa;
	json_t			*rep;
	json_int_t		 every;
	char			*cause = NULL, *end;
	long			 interval = PFO3CTL_WATCH_INTERVAL_MS;
	int			 tty, r, frames = 0;

	/* Only for the wait: the daemon judges the argument itself. */
	if (nargs > 0) {
		errno = 0;
		interval = strtol(args[0], &end, 10);
		if (errno != 0 || *end != '\0' || interval <= 0 ||
		    interval > PFO3CTL_MAX_TIMEOUT_MS)
			interval = PFO3CTL_WATCH_INTERVAL_MS;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = pfo3ctl_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	tty = isatty(STDOUT_FILENO);

	if (ctl_client_send(c, cmd, (const char *const *)args, nargs,
	    &cause) != 0)
		goto lost;
	for (;;) {
		r = pfo3ctl_wait(c, a->timeout_ms + (int)interval);
		if (r == 0)
			return PFO3CTL_EXIT_OK;
		if (r == -1) {
			fprintf(stderr, "pfo3ctl: %s: no reply within %ld ms\n",
			    cmd, a->timeout_ms + interval);
			return PFO3CTL_EXIT_CONNECT;
		}
		if ((rep = ctl_client_recv(c, a->timeout_ms, &cause)) == NULL) {
			if (pfo3ctl_interrupted)
				return PFO3CTL_EXIT_OK;
			goto lost;
		}
		if (!json_is_true(json_object_get(rep, "ok"))) {
			if (a->json)
				pfo3ctl_print(a, cmd, rep);
			fflush(stdout);
			r = pfo3ctl_failed(cmd, rep);
			json_decref(rep);
			return r;
		}
		every = json_integer_value(json_object_get(rep, "interval_ms"));
		if (every > 0)
			interval = every > PFO3CTL_MAX_TIMEOUT_MS ?
			    PFO3CTL_MAX_TIMEOUT_MS : (long)every;
		if (!a->json && tty)
			fputs(PFO3CTL_CLEAR, stdout);
		else if (!a->json && frames > 0)
			fputc('\n', stdout);
		pfo3ctl_print(a, cmd, rep);
		fflush(stdout);
		frames++;
		json_decref(rep);
	}
lost:
	fprintf(stderr, "pfo3ctl: %s: %s\n", cmd, cause);
	free(cause);
	return PFO3CTL_EXIT_CONNECT;
}

/* Sends the resolved command and prints its one reply. */
static int
pfo3ctl_call(const struct pfo3ctl_args *a, struct ctl_client *c,
    const char *cmd, char *const *args, int nargs)
{
	json_t	*rep;
	char	*cause = NULL;
	int	 status = PFO3CTL_EXIT_OK;

	rep = ctl_client_call(c, cmd, (const char *const *)args, nargs,
	    a->timeout_ms, &cause);
	if (rep == NULL) {
		fprintf(stderr, "pfo3ctl: %s: %s\n", cmd, cause);
		free(cause);
		return PFO3CTL_EXIT_CONNECT;
	}
	pfo3ctl_print(a, cmd, rep);
	if (!json_is_true(json_object_get(rep, "ok"))) {
		fflush(stdout);
		status = pfo3ctl_failed(cmd, rep);
	}
	json_decref(rep);
	return status;
}

/* Finds the command in the typed words and runs it on `c`. */
static int
pfo3ctl_dispatch(const struct pfo3ctl_args *a, struct ctl_client *c,
    json_t *help)
{
	const struct pfo3ctl_cmd *cmd;
	struct pfo3ctl_cmds	 t;
	char			**words, *cause = NULL;
	int			  nwords, nused, status;

	if (pfo3ctl_cmds_load(&t, json_object_get(help, "commands"),
	    &cause) != 0) {
		fprintf(stderr, "pfo3ctl: help: %s\n", cause);
		free(cause);
		return PFO3CTL_EXIT_CONNECT;
	}
	words = pfo3ctl_words_expand(a->words, a->nwords, &nwords);
	if ((cmd = pfo3ctl_words_resolve(&t, words, nwords, &nused,
	    &cause)) == NULL) {
		fprintf(stderr, "pfo3ctl: %s\n", cause);
		status = PFO3CTL_EXIT_USAGE;
	} else if (strcmp(cmd->name, "help") == 0) {
		status = pfo3ctl_help(a, &t, help, words + nused,
		    nwords - nused);
	} else if (pfo3ctl_words_check_args(cmd, nwords - nused,
	    &cause) != 0) {
		fprintf(stderr, "pfo3ctl: %s\n", cause);
		status = PFO3CTL_EXIT_USAGE;
	} else if (strcmp(cmd->name, "watch") == 0) {
		status = pfo3ctl_watch(a, c, cmd->name, words + nused,
		    nwords - nused);
	} else {
		status = pfo3ctl_call(a, c, cmd->name, words + nused,
		    nwords - nused);
	}
	free(cause);
	pfo3ctl_words_free(words, nwords);
	pfo3ctl_cmds_free(&t);
	return status;
}

int
pfo3ctl_run(const struct pfo3ctl_args *a)
{
	struct ctl_client	*c;
	json_t			*help;
	const char		*path, *origin;
	char			*cause = NULL;
	int			 status;

	path = ctl_socket_path(a->socket, &origin);
	if ((c = ctl_client_connect(path, &cause)) == NULL) {
		status = pfo3ctl_connect_error(path, origin, errno);
		free(cause);
		return status;
	}
	help = ctl_client_call(c, "help", NULL, 0, a->timeout_ms, &cause);
	if (help == NULL) {
		fprintf(stderr, "pfo3ctl: %s: %s\n", path, cause);
		free(cause);
		ctl_client_close(c);
		return PFO3CTL_EXIT_CONNECT;
	}
	if (!json_is_true(json_object_get(help, "ok")))
		status = pfo3ctl_failed("help", help);
	else
		status = pfo3ctl_dispatch(a, c, help);
	json_decref(help);
	ctl_client_close(c);
	return status;
}
