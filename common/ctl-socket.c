/*
 * ctl-socket.c — the control socket a client uses.
 *
 * One rule shared by pfo3ctl and the console, so both reach the same
 * daemon from the same shell: the command line wins, then the
 * environment (`./stack env` exports PFO3_SOCKET), then the default
 * socket of pfo3-ctld (ctld.admin_socket), /run/pfo3/ctld.sock.
 */
#include <stdlib.h>

#include "config.h"
#include "ctl-socket.h"

const char *
ctl_socket_default(void)
{
	return PFO3_DEFAULT_SOCKET;
}

/* An empty $PFO3_SOCKET counts as unset, as an empty -s cannot mean a
 * socket either: it falls through to the default. */
const char *
ctl_socket_path(const char *given, const char **origin)
{
	const char	*env;
	const char	*dummy;

	if (origin == NULL)
		origin = &dummy;
	if (given != NULL && *given != '\0') {
		*origin = "-s";
		return given;
	}
	if ((env = getenv(CTL_SOCKET_ENV)) != NULL && *env != '\0') {
		*origin = "$" CTL_SOCKET_ENV;
		return env;
	}
	*origin = "the default";
	return PFO3_DEFAULT_SOCKET;
}
