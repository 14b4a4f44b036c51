/*
 * net.c — see net.h.
 *
 * Addresses are numeric only: a daemon that resolves names at start binds
 * to whatever DNS said that day, and a typo becomes a wrong bind instead of
 * an error.  Every descriptor is created close-on-exec so spawned children
 * (workers, helpers) never inherit a listener.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "xmalloc.h"

/*
 * Reads a decimal port (0..65535, digits only) from `text`.  Returns -1
 * when it is empty, not a number or out of range.
 */
static int
net_parse_port(const char *text, in_port_t *port)
{
	unsigned long	 n = 0;
	const char	*p;

	if (*text == '\0')
		return -1;
	for (p = text; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > 65535)
			return -1;
	}
	*port = htons((in_port_t)n);
	return 0;
}

/*
 * Accepts "A.B.C.D:PORT" or "[V6]:PORT" (port 0..65535; 0 asks the kernel
 * for one).  Names, unbracketed IPv6 and missing ports are errors.
 */
int
net_parse_addr(const char *text, struct sockaddr_storage *ss, socklen_t *len,
    char **cause)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	const char		*colon, *close, *port;
	char			*host;
	in_port_t		 p;

	memset(ss, 0, sizeof *ss);
	if (text == NULL || *text == '\0') {
		*cause = xstrdup("empty address (expected ADDR:PORT)");
		return -1;
	}

	if (*text == '[') {
		if ((close = strchr(text, ']')) == NULL) {
			*cause = xasprintf("bad address '%s': missing ']'", text);
			return -1;
		}
		if (close[1] != ':') {
			*cause = xasprintf("bad address '%s': missing port "
			    "(expected [ADDR]:PORT)", text);
			return -1;
		}
		port = close + 2;
		host = xstrndup(text + 1, (size_t)(close - text - 1));
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1) {
			*cause = xasprintf("bad address '%s': '%s' is not a "
			    "numeric IPv6 address", text, host);
			free(host);
			return -1;
		}
		free(host);
		if (net_parse_port(port, &p) != 0) {
			*cause = xasprintf("bad address '%s': bad port '%s'",
			    text, port);
			return -1;
		}
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = p;
		*len = sizeof *sin6;
		return 0;
	}

	if ((colon = strrchr(text, ':')) == NULL) {
		*cause = xasprintf("bad address '%s': missing port "
		    "(expected ADDR:PORT)", text);
		return -1;
	}
	if (strchr(text, ':') != colon) {
		*cause = xasprintf("bad address '%s': write IPv6 addresses "
		    "in brackets, as [ADDR]:PORT", text);
		return -1;
	}
	port = colon + 1;
	host = xstrndup(text, (size_t)(colon - text));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		*cause = xasprintf("bad address '%s': '%s' is not a numeric "
		    "IPv4 address", text, host);
		free(host);
		return -1;
	}
	free(host);
	if (net_parse_port(port, &p) != 0) {
		*cause = xasprintf("bad address '%s': bad port '%s'", text,
		    port);
		return -1;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = p;
	*len = sizeof *sin;
	return 0;
}

/* Accepts an address as net_parse_addr does and a listen(2) backlog. */
int
net_listen_tcp(const char *text, int backlog, char **cause)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, one = 1, saved;

	if (net_parse_addr(text, &ss, &len, cause) != 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		saved = errno;
		*cause = xasprintf("socket for %s: %s", text, strerror(saved));
		errno = saved;
		return -1;
	}
	/* A restarted daemon must rebind while old connections sit in
	 * TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
		saved = errno;
		*cause = xasprintf("SO_REUSEADDR on %s: %s", text,
		    strerror(saved));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
		saved = errno;
		*cause = xasprintf("bind %s: %s", text, strerror(saved));
		goto fail;
	}
	if (listen(fd, backlog) != 0) {
		saved = errno;
		*cause = xasprintf("listen %s: %s", text, strerror(saved));
		goto fail;
	}
	return fd;

fail:
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Fills `sun` for `path`; -1 with *cause when the path does not fit
 * (sun_path also needs room for the terminating NUL).
 */
static int
net_unix_addr(const char *path, struct sockaddr_un *sun, char **cause)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (*path == '\0') {
		*cause = xstrdup("empty socket path");
		errno = EINVAL;
		return -1;
	}
	if (strlen(path) >= sizeof sun->sun_path) {
		*cause = xasprintf("socket path too long (%zu bytes, max %zu): "
		    "%s", strlen(path), sizeof sun->sun_path - 1, path);
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/*
 * Looks at what already sits at `path`.  Returns 0 when the path is free
 * (nothing there, or a stale socket that was removed), -1 with *cause when
 * it is a live socket or not a socket at all: never unlink a file we did
 * not make, nor steal the socket of a running daemon.
 */
static int
net_unix_clear(const char *path, const struct sockaddr_un *sun, char **cause)
{
	struct stat	st;
	int		fd, saved;

	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		saved = errno;
		*cause = xasprintf("%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		*cause = xasprintf("%s exists and is not a socket", path);
		errno = EEXIST;
		return -1;
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		saved = errno;
		*cause = xasprintf("socket: %s", strerror(saved));
		errno = saved;
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0) {
		close(fd);
		*cause = xasprintf("%s is already in use by a running process",
		    path);
		errno = EADDRINUSE;
		return -1;
	}
	saved = errno;
	close(fd);
	if (saved != ECONNREFUSED) {
		*cause = xasprintf("%s: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		saved = errno;
		*cause = xasprintf("removing stale socket %s: %s", path,
		    strerror(saved));
		errno = saved;
		return -1;
	}
	return 0;
}

/*
 * Accepts a filesystem path, the permission bits the socket file gets
 * (e.g. 0660 for an admin socket) and a listen(2) backlog.
 */
int
net_listen_unix(const char *path, mode_t mode, int backlog, char **cause)
{
	struct sockaddr_un	sun;
	int			fd, saved;

	if (net_unix_addr(path, &sun, cause) != 0)
		return -1;
	if (net_unix_clear(path, &sun, cause) != 0)
		return -1;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		saved = errno;
		*cause = xasprintf("socket: %s", strerror(saved));
		errno = saved;
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		saved = errno;
		*cause = xasprintf("bind %s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	/*
	 * Between bind and listen nobody can connect (connect gets
	 * ECONNREFUSED), so setting the mode here leaves no window in which
	 * the socket is reachable with the umask's looser permissions.
	 */
	if (chmod(path, mode) != 0) {
		saved = errno;
		*cause = xasprintf("chmod %s: %s", path, strerror(saved));
		goto fail;
	}
	if (listen(fd, backlog) != 0) {
		saved = errno;
		*cause = xasprintf("listen %s: %s", path, strerror(saved));
		goto fail;
	}
	return fd;

fail:
	close(fd);
	unlink(path);
	errno = saved;
	return -1;
}

/* Accepts a socket path; returns a blocking, close-on-exec descriptor. */
int
net_connect_unix(const char *path, char **cause)
{
	struct sockaddr_un	sun;
	int			fd, saved;

	if (net_unix_addr(path, &sun, cause) != 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		saved = errno;
		*cause = xasprintf("socket: %s", strerror(saved));
		errno = saved;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		saved = errno;
		*cause = xasprintf("connect %s: %s", path, strerror(saved));
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Accepts any descriptor; returns -1 (errno set) when fcntl fails. */
int
net_set_nonblock(int fd)
{
	int	flags;

	if ((flags = fcntl(fd, F_GETFL)) == -1)
		return -1;
	if (flags & O_NONBLOCK)
		return 0;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}
