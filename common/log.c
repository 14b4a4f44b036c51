/*
 * log.c — see log.h.
 *
 * The destination (stderr, a file, syslog) is chosen at start and changed
 * only by log_open_file/log_reopen.  A reopen dup2()s the new file onto the
 * same descriptor, so pool threads writing at that moment never see a closed
 * descriptor: each write lands in the old or the new file, whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX	4096

static const char *log_ident = "pfo3";
static int log_foreground = 1;
static _Atomic int log_level = LOG_LVL_INFO;
static int log_fd = -1;			/* file destination, or -1 */
static char log_path[1024];

static const char *const log_names[] = { "error", "warn", "info", "debug" };
static const int log_syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

void
log_init(const char *ident, int foreground, enum log_level level)
{
	log_ident = ident;
	log_foreground = foreground;
	log_level = level;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

int
log_open_file(const char *path, char **cause)
{
	int fd;

	if (path == NULL || *path == '\0') {
		if (log_fd != -1)
			close(log_fd);
		log_fd = -1;
		log_path[0] = '\0';
		return 0;
	}
	if (strlen(path) >= sizeof log_path) {
		*cause = strdup("log file path too long");
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		if (asprintf(cause, "%s: %s", path, strerror(errno)) == -1)
			*cause = NULL;
		return -1;
	}
	if (log_fd == -1)
		log_fd = fd;
	else {
		dup2(fd, log_fd);
		close(fd);
	}
	snprintf(log_path, sizeof log_path, "%s", path);
	return 0;
}

void
log_reopen(void)
{
	char *cause = NULL;
	char path[sizeof log_path];

	if (log_fd == -1)
		return;
	snprintf(path, sizeof path, "%s", log_path);
	if (log_open_file(path, &cause) == -1) {
		log_warnx("cannot reopen log file: %s", cause ? cause : "?");
		free(cause);
	}
}

void
log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof log_names / sizeof log_names[0]; i++)
		if (strcmp(name, log_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	if ((unsigned)level >= sizeof log_names / sizeof log_names[0])
		return "?";
	return log_names[level];
}

void
log_vwrite(enum log_level level, const char *func, int with_errno,
    const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	int saved_errno = errno, n = 0, m;
	struct timespec ts;
	struct tm tm;

	if ((int)level > log_level)
		return;
	if (log_fd != -1 || log_foreground) {
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = (int)strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
		m = snprintf(line + n, sizeof line - n, ".%03ld %s[%ld] ",
		    ts.tv_nsec / 1000000, log_ident, (long)getpid());
		n += m > 0 ? m : 0;
	}
	m = snprintf(line + n, sizeof line - n, "%s: %s: ", log_names[level],
	    func);
	n += m > 0 ? m : 0;
	if (n < (int)sizeof line) {
		m = vsnprintf(line + n, sizeof line - n, fmt, ap);
		n += m > 0 ? m : 0;
	}
	if (with_errno && n < (int)sizeof line) {
		m = snprintf(line + n, sizeof line - n, ": %s",
		    strerror(saved_errno));
		n += m > 0 ? m : 0;
	}
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;	/* truncated: keep the newline */

	if (log_fd == -1 && !log_foreground) {
		line[n] = '\0';
		syslog(log_syslog_prio[level], "%s", line);
	} else {
		line[n++] = '\n';
		if (write(log_fd != -1 ? log_fd : STDERR_FILENO, line, n) < 0) {
			/* Nowhere left to report a failing log. */
		}
	}
	errno = saved_errno;
}

void
log_write(enum log_level level, const char *func, int with_errno,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(level, func, with_errno, fmt, ap);
	va_end(ap);
}

void
log_fatal(const char *func, int with_errno, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, func, with_errno, fmt, ap);
	va_end(ap);
	exit(1);
}
