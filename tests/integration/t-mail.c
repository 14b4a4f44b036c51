/*
 * t-mail.c — mail_send() (mail.c) against the SMTP sink of the running
 * stack (./stack test sets PFO3_SMTP_HOST, _PORT and _MAILDIR): a UTF-8
 * subject and body arrive intact, as read back from the sink's Maildir by
 * Python's email package (an independent MIME decoder); several threads
 * send at once; CR/LF in the recipient or subject is refused with nothing
 * sent; a closed port, a silent server and a refusing server give clear
 * errors within the timeout.  With smtp.idle_timeout, mail after mail
 * shares one session; a session the relay dropped while idle, or drops as
 * it is reused, or one idle too long, gives way to a new one and no mail
 * is lost.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "conf.h"
#include "mail.h"
#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

#define FROM		"pfo3 test <pfo3-test@example.org>"
#define FROM_ADDR	"pfo3-test@example.org"
#define TO		"nandu.perez@example.org"
#define NTHREADS	4

extern char **environ;

static const char *maildir;
static char url[256];
static char tmpdir[256];

/*
 * Reads one stored message with Python's email package and prints, one a
 * line: From, To, X-RcptTo, X-MailFrom (the sink's envelope), the decoded
 * subject in hex, the content type, the charset, the transfer encoding
 * and the decoded body in hex.
 */
static const char decoder[] =
    "import sys, email, email.policy\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    m = email.message_from_binary_file(f, policy=email.policy.default)\n"
    "print(m['From'])\n"
    "print(m['To'])\n"
    "print(m['X-RcptTo'])\n"
    "print(m['X-MailFrom'])\n"
    "print(str(m['Subject']).encode().hex())\n"
    "print(m.get_content_type())\n"
    "print(m.get_content_charset())\n"
    "print(m['Content-Transfer-Encoding'])\n"
    "print(m.get_payload(decode=True).hex())\n";

/* ---------------------------------------------------------------- helpers */

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void
sleep_ms(int ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
token_new(char *buf, size_t len)
{
	unsigned char	 r[8];
	size_t		 i;

	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
		for (i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(rand() ^ getpid());
	}
	snprintf(buf, len, "tok");
	for (i = 0; i < sizeof r && 3 + i * 2 + 2 < len; i++)
		snprintf(buf + 3 + i * 2, 3, "%02x", r[i]);
}

static char *
hex(const char *s)
{
	size_t	 i, n = strlen(s);
	char	*out = xmalloc(n * 2 + 1);

	for (i = 0; i < n; i++)
		snprintf(out + i * 2, 3, "%02x", (unsigned char)s[i]);
	out[n * 2] = '\0';
	return out;
}

/* The path of the stored message holding `token`, or NULL. */
static char *
maildir_find(const char *token)
{
	char		 dir[512], *path, *text;
	DIR		*d;
	struct dirent	*e;

	snprintf(dir, sizeof dir, "%s/new", maildir);
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		text = testutil_read(path, NULL);
		if (text != NULL && strstr(text, token) != NULL) {
			free(text);
			closedir(d);
			return path;
		}
		free(text);
		free(path);
	}
	closedir(d);
	return NULL;
}

/* Polls the Maildir for up to `ms` milliseconds. */
static char *
maildir_wait(const char *token, int ms)
{
	double	 end = now_ms() + ms;
	char	*path;

	for (;;) {
		if ((path = maildir_find(token)) != NULL)
			return path;
		if (now_ms() >= end)
			return NULL;
		sleep_ms(50);
	}
}

/* Runs the decoder on `path`; returns its output lines (9), or NULL. */
static char **
decode(const char *path)
{
	posix_spawn_file_actions_t	 fa;
	char				 out[512], *text, *p, *nl, **lines;
	char				*argv[] = { "python3", "-c",
					    (char *)decoder, (char *)path,
					    NULL };
	const char			*py = "/usr/bin/python3";
	pid_t				 pid;
	int				 status, i;

	snprintf(out, sizeof out, "%s/decoded", tmpdir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out,
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (access(py, X_OK) != 0)
		py = "python3";
	if (posix_spawnp(&pid, py, &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return NULL;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return NULL;
	if ((text = testutil_read(out, NULL)) == NULL)
		return NULL;
	unlink(out);
	lines = xcalloc(10, sizeof *lines);
	for (i = 0, p = text; i < 9 && (nl = strchr(p, '\n')) != NULL; i++) {
		lines[i] = xstrndup(p, nl - p);
		p = nl + 1;
	}
	free(text);
	if (i != 9) {
		for (i = 0; lines[i] != NULL; i++)
			free(lines[i]);
		free(lines);
		return NULL;
	}
	return lines;
}

static void
lines_free(char **lines)
{
	int	 i;

	if (lines == NULL)
		return;
	for (i = 0; lines[i] != NULL; i++)
		free(lines[i]);
	free(lines);
}

static struct conf_smtp
smtp_conf(const char *u, int64_t timeout)
{
	struct conf_smtp	 c;

	c.url = (char *)u;
	c.from = (char *)FROM;
	c.timeout = timeout;
	c.connect_timeout = 0;
	c.idle_timeout = 0;
	return c;
}

/* The longest line of the stored body (after the blank line), or -1. */
static long
longest_body_line(const char *raw)
{
	const char	*p, *nl;
	long		 max = 0;

	if ((p = strstr(raw, "\n\n")) == NULL)
		return -1;
	for (p += 2; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		/* The file ends lines with LF or CRLF: count neither. */
		if ((long)(nl - p - (nl > p && nl[-1] == '\r')) > max)
			max = nl - p - (nl > p && nl[-1] == '\r');
		if (*nl == '\0')
			break;
	}
	return max;
}

/* ---------------------------------------------------------------- tests */

static void
test_utf8(void)
{
	struct conf_smtp	 c = smtp_conf(url, 5000);
	char			 token[32], subject[512], *body, *want, *path;
	char			*raw, **got, *cause = NULL, line[256];
	const char		*expect_body;
	int			 i, rv;

	token_new(token, sizeof token);
	snprintf(subject, sizeof subject, "Su informe mensual de pfo3 está "
	    "listo — 2026-10 — Ñandú Pérez, 山田太郎 ✓ %s", token);
	memset(line, 0, sizeof line);
	for (i = 0; i < 60; i++)
		memcpy(line + i * 3, i % 2 ? "ñ=" : "x=y", 3);
	body = xasprintf("token: %s\n"
	    "Hola Ñandú Pérez,\n"
	    "\n"
	    "su informe de 2026-10 está listo: 山田太郎 ✓ a=b\n"
	    "trailing spaces   \n"
	    "trailing tab\t\n"
	    ".a line starting with a dot\n"
	    ".\n"
	    "From here on, mbox would quote this line\n"
	    "crlf line\r\n"
	    "long: %s\n"
	    "end\n", token, line);
	/* What a reader gets back: LF line ends, the rest byte for byte. */
	want = xasprintf("token: %s\n"
	    "Hola Ñandú Pérez,\n"
	    "\n"
	    "su informe de 2026-10 está listo: 山田太郎 ✓ a=b\n"
	    "trailing spaces   \n"
	    "trailing tab\t\n"
	    ".a line starting with a dot\n"
	    ".\n"
	    "From here on, mbox would quote this line\n"
	    "crlf line\n"
	    "long: %s\n"
	    "end\n", token, line);
	expect_body = want;

	rv = mail_send(&c, TO, subject, body, &cause);
	if (!tap_ok(rv == 0, "a UTF-8 mail is accepted by the sink%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "")) {
		free(cause);
		free(body);
		free(want);
		return;
	}
	path = maildir_wait(token, 5000);
	if (!tap_ok(path != NULL, "it is in the Maildir within 5 s")) {
		free(body);
		free(want);
		return;
	}
	raw = testutil_read(path, NULL);
	tap_ok(raw != NULL && strstr(raw, "Subject: =?UTF-8?B?") != NULL,
	    "the raw subject is an encoded-word");
	tap_ok(raw != NULL && strstr(raw, "Content-Transfer-Encoding: "
	    "quoted-printable") != NULL && strstr(raw, "MIME-Version: 1.0") !=
	    NULL && strstr(raw, "Message-ID: <") != NULL &&
	    strstr(raw, "@example.org>") != NULL && strstr(raw, "Date: ") !=
	    NULL, "Date, Message-ID, MIME-Version and the encoding are there");
	tap_ok(raw != NULL && longest_body_line(raw) > 0 &&
	    longest_body_line(raw) <= 76,
	    "no body line over 76 characters (longest %ld)",
	    raw != NULL ? longest_body_line(raw) : -1);
	free(raw);

	got = decode(path);
	if (tap_ok(got != NULL, "Python's email package reads it")) {
		char	*hs = hex(subject), *hb = hex(expect_body);

		tap_is_str(got[0], FROM, "From");
		tap_is_str(got[1], TO, "To");
		tap_is_str(got[2], TO, "envelope recipient");
		tap_is_str(got[3], FROM_ADDR, "envelope sender");
		tap_is_str(got[4], hs, "subject decodes to the UTF-8 sent");
		tap_is_str(got[5], "text/plain", "text/plain");
		tap_is_str(got[6], "utf-8", "charset utf-8");
		tap_is_str(got[7], "quoted-printable", "quoted-printable");
		tap_is_str(got[8], hb, "body decodes to the UTF-8 sent");
		free(hs);
		free(hb);
	}
	lines_free(got);
	unlink(path);
	free(path);
	free(body);
	free(want);
}

static void
test_ascii(void)
{
	struct conf_smtp	 c = smtp_conf(url, 5000);
	char			 token[32], subject[64], *cause = NULL;
	char			*path, *raw, *want;

	token_new(token, sizeof token);
	snprintf(subject, sizeof subject, "Report %s", token);
	if (!tap_ok(mail_send(&c, TO, subject, "plain ASCII\nno newline at end",
	    &cause) == 0, "an ASCII mail is accepted%s%s",
	    cause != NULL ? ": " : "", cause != NULL ? cause : "")) {
		free(cause);
		return;
	}
	path = maildir_wait(token, 5000);
	raw = path != NULL ? testutil_read(path, NULL) : NULL;
	want = xasprintf("Subject: %s\n", subject);
	tap_ok(raw != NULL && strstr(raw, want) != NULL,
	    "a short ASCII subject is sent as is");
	tap_ok(raw != NULL && strstr(raw, "no newline at end\n") != NULL,
	    "a body without a final newline gets one");
	free(want);
	free(raw);
	if (path != NULL)
		unlink(path);
	free(path);
}

struct job {
	pthread_t	 thread;
	int		 started;
	char		 token[32];
	int		 rv;
	char		*cause;
};

static void *
job_run(void *arg)
{
	struct job		*j = arg;
	struct conf_smtp	 c = smtp_conf(url, 5000);
	char			 subject[128];

	snprintf(subject, sizeof subject, "Parallel ✓ %s", j->token);
	j->rv = mail_send(&c, TO, subject, j->token, &j->cause);
	return NULL;
}

static void
test_threads(void)
{
	struct job	 jobs[NTHREADS];
	char		*path;
	int		 i, sent = 0, found = 0;

	memset(jobs, 0, sizeof jobs);
	for (i = 0; i < NTHREADS; i++) {
		token_new(jobs[i].token, sizeof jobs[i].token);
		jobs[i].rv = -1;
		jobs[i].started = pthread_create(&jobs[i].thread, NULL,
		    job_run, &jobs[i]) == 0;
	}
	for (i = 0; i < NTHREADS; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
		if (jobs[i].rv == 0)
			sent++;
		else
			tap_diag("thread %d: %s", i, jobs[i].cause != NULL ?
			    jobs[i].cause : "not started");
		free(jobs[i].cause);
	}
	tap_is_int(sent, NTHREADS, "%d threads send at once", NTHREADS);
	for (i = 0; i < NTHREADS; i++) {
		if ((path = maildir_wait(jobs[i].token, 5000)) != NULL) {
			found++;
			unlink(path);
			free(path);
		}
	}
	tap_is_int(found, NTHREADS, "every threaded mail arrived");
}

/* Sends what must be refused; returns the cause (to free) or NULL. */
static char *
refused(const char *to, const char *subject, const char *body,
    const char *what, const char *word)
{
	struct conf_smtp	 c = smtp_conf(url, 5000);
	char			*cause = NULL;
	double			 t0 = now_ms();
	int			 rv;

	rv = mail_send(&c, to, subject, body, &cause);
	tap_ok(rv == -1 && cause != NULL && strstr(cause, word) != NULL &&
	    now_ms() - t0 < 1000, "%s is refused: %s", what,
	    cause != NULL ? cause : "(sent!)");
	return cause;
}

static void
test_injection(void)
{
	char	 token[32], to[256], subject[256], *path;

	token_new(token, sizeof token);
	snprintf(to, sizeof to, TO "\r\nRCPT TO:<evil-%s@example.org>", token);
	free(refused(to, token, token, "CR LF in the recipient", "CR or LF"));
	snprintf(to, sizeof to, "evil-%s@example.org\n", token);
	free(refused(to, token, token, "a final LF in the recipient",
	    "CR or LF"));
	snprintf(subject, sizeof subject, "Hello\r\nBcc: evil@example.org %s",
	    token);
	free(refused(TO, subject, token, "CR LF in the subject", "CR or LF"));
	snprintf(subject, sizeof subject, "Hello\nX-Evil: %s", token);
	free(refused(TO, subject, token, "LF in the subject", "CR or LF"));
	free(refused("a, b@example.org", token, token, "two recipients",
	    "not allowed"));
	free(refused("nobody", token, token, "no domain", "local@domain"));
	free(refused(TO, "bad \xff", token, "invalid UTF-8 subject",
	    "UTF-8"));
	free(refused(TO, token, "bad \xc3\x28", "invalid UTF-8 body",
	    "UTF-8"));
	sleep_ms(500);
	path = maildir_find(token);
	tap_ok(path == NULL, "nothing refused reached the sink");
	free(path);
}

/* A port on 127.0.0.1 that nothing listens on. */
static int
closed_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &len) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* A listening socket on 127.0.0.1; *port set.  -1 on failure. */
static int
listener(int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof sin;
	int			 fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(sin.sin_port);
	return fd;
}

static void
test_closed_port(void)
{
	struct conf_smtp	 c;
	char			 u[64], *cause = NULL;
	double			 t0, ms;
	int			 port, rv;

	if ((port = closed_port()) == -1) {
		tap_ok(0, "a free port for the closed-port test");
		return;
	}
	snprintf(u, sizeof u, "smtp://127.0.0.1:%d", port);
	c = smtp_conf(u, 2000);
	t0 = now_ms();
	rv = mail_send(&c, TO, "closed", "closed", &cause);
	ms = now_ms() - t0;
	tap_ok(rv == -1 && cause != NULL &&
	    strstr(cause, "Couldn't connect") != NULL &&
	    strstr(cause, "mail to " TO) != NULL,
	    "a closed port fails clearly: %s", cause != NULL ? cause : "");
	tap_ok(ms < 2000, "within the 2 s timeout (%.0f ms)", ms);
	free(cause);
}

/* A server that accepts and never says a word. */
static void
test_silent(void)
{
	struct conf_smtp	 c;
	char			 u[64], *cause = NULL;
	double			 t0, ms;
	int			 fd, port, rv;

	if ((fd = listener(&port)) == -1) {
		tap_ok(0, "a listener for the silent-server test");
		return;
	}
	snprintf(u, sizeof u, "smtp://127.0.0.1:%d", port);
	c = smtp_conf(u, 1000);
	t0 = now_ms();
	rv = mail_send(&c, TO, "silent", "silent", &cause);
	ms = now_ms() - t0;
	close(fd);
	tap_ok(rv == -1 && cause != NULL && strstr(cause, "Timeout") != NULL,
	    "a silent server times out: %s", cause != NULL ? cause : "");
	tap_ok(ms >= 900 && ms < 2500, "after about the 1 s timeout (%.0f ms)",
	    ms);
	free(cause);
}

/* A relay that refuses every recipient with 550. */
static void *
refuser_run(void *arg)
{
	int		 lfd = *(int *)arg, fd;
	FILE		*f;
	char		 line[512];
	const char	*reply;

	if ((fd = accept(lfd, NULL, NULL)) == -1)
		return NULL;
	if ((f = fdopen(fd, "r+")) == NULL) {
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0);
	fputs("220 refuser ESMTP\r\n", f);
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "EHLO", 4) == 0)
			reply = "250 refuser\r\n";
		else if (strncmp(line, "RCPT", 4) == 0)
			reply = "550 5.1.1 no such user here\r\n";
		else if (strncmp(line, "QUIT", 4) == 0) {
			fputs("221 bye\r\n", f);
			break;
		} else
			reply = "250 ok\r\n";
		fputs(reply, f);
	}
	fclose(f);
	return NULL;
}

static void
test_refused_rcpt(void)
{
	struct conf_smtp	 c;
	pthread_t		 t;
	char			 u[64], *cause = NULL;
	int			 fd, port, rv;

	if ((fd = listener(&port)) == -1 ||
	    pthread_create(&t, NULL, refuser_run, &fd) != 0) {
		tap_ok(0, "a refusing relay");
		return;
	}
	snprintf(u, sizeof u, "smtp://127.0.0.1:%d", port);
	c = smtp_conf(u, 3000);
	rv = mail_send(&c, TO, "refused", "refused", &cause);
	pthread_join(t, NULL);
	close(fd);
	tap_ok(rv == -1 && cause != NULL && strstr(cause, "550") != NULL,
	    "a refused recipient names the SMTP reply: %s",
	    cause != NULL ? cause : "");
	free(cause);
}


/*
 * A relay that counts its sessions and the mail it accepts.  Between
 * commands it obeys the test: drop the idle session (as a restarted
 * relay does), or drop it at the next MAIL FROM (as one timing it out
 * just as it is reused does).  QUITs are counted.
 */
struct relay {
	int		 lfd;
	pthread_mutex_t	 lock;
	int		 sessions, mails, quits;
	int		 drop_idle, drop_at_mail, stop;
};

static int
relay_get(struct relay *r, int *field)
{
	int	v;

	pthread_mutex_lock(&r->lock);
	v = *field;
	pthread_mutex_unlock(&r->lock);
	return v;
}

static void
relay_set(struct relay *r, int *field, int v)
{
	pthread_mutex_lock(&r->lock);
	*field = v;
	pthread_mutex_unlock(&r->lock);
}

/* One session, until QUIT, a drop or the end of the test. */
static void
relay_session(struct relay *r, int fd)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	FILE		*f;
	char		 line[1024];
	int		 in_data = 0;

	if ((f = fdopen(fd, "r+")) == NULL) {
		close(fd);
		return;
	}
	setvbuf(f, NULL, _IONBF, 0);
	fputs("220 relay ESMTP\r\n", f);
	for (;;) {
		/* Between commands the client waits for our reply: nothing
		 * is buffered, so poll() tells whether a command came. */
		if (!in_data) {
			if (relay_get(r, &r->stop) ||
			    relay_get(r, &r->drop_idle))
				break;
			if (poll(&pfd, 1, 20) == 0)
				continue;
		}
		if (fgets(line, sizeof line, f) == NULL)
			break;
		if (in_data) {
			if (strcmp(line, ".\r\n") == 0) {
				in_data = 0;
				relay_set(r, &r->mails,
				    relay_get(r, &r->mails) + 1);
				fputs("250 queued\r\n", f);
			}
			continue;
		}
		if (strncmp(line, "MAIL", 4) == 0 &&
		    relay_get(r, &r->drop_at_mail)) {
			relay_set(r, &r->drop_at_mail, 0);
			break;
		}
		if (strncmp(line, "EHLO", 4) == 0)
			fputs("250 relay\r\n", f);
		else if (strncmp(line, "DATA", 4) == 0) {
			in_data = 1;
			fputs("354 go on\r\n", f);
		} else if (strncmp(line, "QUIT", 4) == 0) {
			relay_set(r, &r->quits, relay_get(r, &r->quits) + 1);
			fputs("221 bye\r\n", f);
			break;
		} else
			fputs("250 ok\r\n", f);
	}
	fclose(f);
}

static void *
relay_run(void *arg)
{
	struct relay	*r = arg;
	struct pollfd	 pfd = { .fd = r->lfd, .events = POLLIN };
	int		 fd;

	while (!relay_get(r, &r->stop)) {
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		if ((fd = accept(r->lfd, NULL, NULL)) == -1)
			continue;
		relay_set(r, &r->drop_idle, 0);
		relay_set(r, &r->sessions, relay_get(r, &r->sessions) + 1);
		relay_session(r, fd);
	}
	return NULL;
}

/* Sends one mail through the relay; 0 when it was accepted. */
static int
relay_mail(const struct conf_smtp *c, const char *what)
{
	char	*cause = NULL;
	int	 rv;

	rv = mail_send(c, TO, what, what, &cause);
	if (rv != 0)
		tap_diag("%s: %s", what, cause);
	free(cause);
	return rv;
}

static void
test_reuse(void)
{
	struct relay		 r = { .lfd = -1 };
	struct conf_smtp	 c;
	pthread_t		 t;
	char			 u[64];
	int			 port, ok;

	pthread_mutex_init(&r.lock, NULL);
	if ((r.lfd = listener(&port)) == -1 ||
	    pthread_create(&t, NULL, relay_run, &r) != 0) {
		tap_ok(0, "a counting relay");
		return;
	}
	snprintf(u, sizeof u, "smtp://127.0.0.1:%d", port);
	c = smtp_conf(u, 3000);
	c.idle_timeout = 5000;

	ok = relay_mail(&c, "first") == 0 && relay_mail(&c, "second") == 0 &&
	    relay_mail(&c, "third") == 0;
	tap_ok(ok && relay_get(&r, &r.mails) == 3 &&
	    relay_get(&r, &r.sessions) == 1,
	    "three mails in a row share one session (%d mails, %d sessions)",
	    relay_get(&r, &r.mails), relay_get(&r, &r.sessions));

	/* The relay restarts: the idle session is closed under us. */
	relay_set(&r, &r.drop_idle, 1);
	sleep_ms(100);
	ok = relay_mail(&c, "after a drop") == 0;
	tap_ok(ok && relay_get(&r, &r.mails) == 4 &&
	    relay_get(&r, &r.sessions) == 2,
	    "a session the relay dropped while idle gives way to a new one "
	    "(%d mails, %d sessions)", relay_get(&r, &r.mails),
	    relay_get(&r, &r.sessions));

	/* The relay drops the session just as it is reused. */
	relay_set(&r, &r.drop_at_mail, 1);
	ok = relay_mail(&c, "dropped at reuse") == 0;
	tap_ok(ok && relay_get(&r, &r.mails) == 5 &&
	    relay_get(&r, &r.sessions) == 3,
	    "a session dropped as it is reused: the mail goes on a new one "
	    "(%d mails, %d sessions)", relay_get(&r, &r.mails),
	    relay_get(&r, &r.sessions));

	/* Idle longer than smtp.idle_timeout: closed with QUIT, not used. */
	c.idle_timeout = 200;
	sleep_ms(400);
	ok = relay_mail(&c, "after the idle time") == 0;
	tap_ok(ok && relay_get(&r, &r.mails) == 6 &&
	    relay_get(&r, &r.sessions) == 4 && relay_get(&r, &r.quits) == 1,
	    "a session idle over smtp.idle_timeout is closed with QUIT and a "
	    "new one opened (%d mails, %d sessions, %d QUIT)",
	    relay_get(&r, &r.mails), relay_get(&r, &r.sessions),
	    relay_get(&r, &r.quits));

	/* 0: a session per mail, closed after it. */
	c.idle_timeout = 0;
	ok = relay_mail(&c, "no reuse 1") == 0 &&
	    relay_mail(&c, "no reuse 2") == 0;
	sleep_ms(100);
	tap_ok(ok && relay_get(&r, &r.mails) == 8 &&
	    relay_get(&r, &r.sessions) == 6,
	    "smtp.idle_timeout 0: a session per mail (%d mails, %d sessions)",
	    relay_get(&r, &r.mails), relay_get(&r, &r.sessions));

	relay_set(&r, &r.stop, 1);
	pthread_join(t, NULL);
	close(r.lfd);
	pthread_mutex_destroy(&r.lock);
}

int
main(void)
{
	const char	*host, *port, *t;

	host = getenv("PFO3_SMTP_HOST");
	port = getenv("PFO3_SMTP_PORT");
	maildir = getenv("PFO3_SMTP_MAILDIR");
	if (host == NULL || *host == '\0' || port == NULL || *port == '\0' ||
	    maildir == NULL || *maildir == '\0') {
		printf("1..0 # SKIP no running stack (run ./stack test)\n");
		return 0;
	}
	snprintf(url, sizeof url, "smtp://%s:%s", host, port);
	t = getenv("TMPDIR");
	snprintf(tmpdir, sizeof tmpdir, "%s/t-mail.XXXXXX",
	    t != NULL && *t != '\0' ? t : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		printf("Bail out! curl_global_init failed\n");
		return 1;
	}

	test_utf8();
	test_ascii();
	test_threads();
	test_injection();
	test_closed_port();
	test_silent();
	test_refused_rcpt();
	test_reuse();

	curl_global_cleanup();
	rmdir(tmpdir);
	return tap_done();
}
