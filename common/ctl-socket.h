/*
 * ctl-socket.h — which control socket a client (pfo3ctl, the console)
 * talks to: `-s PATH`, else $PFO3_SOCKET, else the installed default.
 */
#ifndef PFO3_CTL_SOCKET_H
#define PFO3_CTL_SOCKET_H

/* The environment variable that names the control socket. */
#define CTL_SOCKET_ENV	"PFO3_SOCKET"

/*
 * Accepts the path given on the command line (NULL when none).  Returns
 * the socket to use: `given`, else a non-empty $PFO3_SOCKET, else the
 * compiled-in default.  When `origin` is not NULL it is set to a phrase
 * saying where the path came from ("-s", "$PFO3_SOCKET", "the default"),
 * for error messages.  Never NULL; the strings are not to be freed.
 */
const char	*ctl_socket_path(const char *given, const char **origin);
/* The compiled-in default (PFO3_DEFAULT_SOCKET). */
const char	*ctl_socket_default(void);

#endif
