/* net.h — sockets: address parsing and listeners. */
#ifndef PFO3_NET_H
#define PFO3_NET_H

#include <sys/socket.h>
#include <sys/types.h>

/* Parses "ADDR:PORT" or "[V6]:PORT" (numeric addresses only) into `ss`.
 * Returns -1 and sets *cause on a malformed address. */
int	net_parse_addr(const char *text, struct sockaddr_storage *ss,
	    socklen_t *len, char **cause);
/* A non-blocking, close-on-exec TCP listener with SO_REUSEADDR. */
int	net_listen_tcp(const char *text, int backlog, char **cause);
/* A non-blocking, close-on-exec Unix stream listener at `path` with `mode`.
 * A stale socket file (nobody listening) is replaced; a live one is an error. */
int	net_listen_unix(const char *path, mode_t mode, int backlog, char **cause);
/* Connects to a Unix stream socket (blocking). */
int	net_connect_unix(const char *path, char **cause);
int	net_set_nonblock(int fd);

#endif
