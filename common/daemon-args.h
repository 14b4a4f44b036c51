/*
 * daemon-args.h — the command line both daemons share, and the loading of
 * their configuration from it.
 *
 *   -c, --config FILE     pfo3.conf(5) file (default: built-in defaults)
 *   -o, --set KEY=VALUE   any key of the file; repeat as often as needed
 *   -f, --foreground      stay in the foreground, log to stderr
 *   -v, --verbose         log.level debug
 *   -n, --check           check the configuration and exit
 *   -h, --help, -V, --version
 *
 * A daemon adds its own long options (pfo3-workerd's --id, --migrate…)
 * through struct daemon_option.  The configuration is built in one order:
 * defaults, the file, each key option and -o in command-line order, then
 * -v; so the command line overrides the file.  Every message goes to
 * standard error before logging starts, prefixed by the daemon's name, and
 * a bad command line or configuration exits 2 (see daemon_configure).
 */
#ifndef PFO3_DAEMON_ARGS_H
#define PFO3_DAEMON_ARGS_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"

/* A daemon's own long option: "--listen ADDR" sets the key "worker.listen";
 * an option whose key is NULL takes no argument and is only counted
 * (daemon_args_flag). */
struct daemon_option {
	const char	*name;		/* "listen", without the dashes */
	const char	*key;		/* "worker.listen", or NULL: a flag */
};

struct daemon_cmd {
	const char			*name;	/* "pfo3-workerd": messages, -V */
	void				(*usage)(FILE *f);
	const struct daemon_option	*options; /* NULL-name ended, or NULL */
	/*
	 * Checks that span keys or look outside the configuration, run after
	 * it is loaded and before -n answers; NULL when there are none.  On
	 * error returns -1 with *cause, printed as "NAME: cause".
	 */
	int				(*validate)(struct pfo3_conf *conf,
					    void *arg, char **cause);
	void				*arg;	/* for validate */
};

/* One setting from the command line, in the order given. */
struct daemon_set {
	char	*key;
	char	*value;
};

struct daemon_args {
	const struct daemon_cmd	*cmd;
	const char		*config;	/* -c, inside argv; or NULL */
	struct daemon_set	*sets;		/* -o and key options, grown */
	size_t			 nsets;
	size_t			 capsets;
	int			*flags;		/* times each option was seen */
	int			 foreground;
	int			 verbose;
	int			 check;
};

/*
 * Reads argv into `a` (zeroed first).  Returns 0 to go on; 1 when it
 * printed the help or the version on `out` (exit 0); -1 when it printed an
 * error on `err` (exit 2): an unknown option or an argument (with the usage),
 * a malformed -o.  May be called again: getopt starts over.
 */
int	daemon_args_parse(struct daemon_args *a, const struct daemon_cmd *cmd,
	    int argc, char **argv, FILE *out, FILE *err);

/* How many times the daemon's option `name` was given (0 if unknown). */
int	daemon_args_flag(const struct daemon_args *a, const char *name);

/*
 * Builds `conf`: defaults, the -c file, the settings in order, -v, then the
 * daemon's validate.  Returns 0, or -1 after printing every error of the
 * file ("FILE:LINE: …") or the first bad setting ("NAME: command line: …")
 * on `err`.  `conf` is to be freed with conf_free in either case.
 */
int	daemon_args_load(const struct daemon_args *a, struct pfo3_conf *conf,
	    FILE *err);

void	daemon_args_free(struct daemon_args *a);

/*
 * A daemon's start: parse, load, and -n.  Exits 0 after --help, --version
 * or a good -n ("configuration OK"); exits 2 after a bad command line or
 * configuration.  Otherwise returns with `a` and `conf` filled; the caller
 * frees `a` when it has read the flags.
 */
void	daemon_configure(struct daemon_args *a, const struct daemon_cmd *cmd,
	    int argc, char **argv, struct pfo3_conf *conf);

/* The malloc arenas of a daemon, unless its environment says otherwise. */
#define DAEMON_MALLOC_ARENAS	2

/*
 * Starts a configured daemon: logging as log.* says (on the terminal too
 * with -f), into the background unless `foreground`, and the libraries'
 * set-up that is not thread-safe (jansson's hash seed, glibc's malloc
 * arenas).  Call it before any thread starts; exits with a message on
 * failure.
 */
void	daemon_start(const char *name, int foreground,
	    const struct pfo3_conf *conf);

#endif /* PFO3_DAEMON_ARGS_H */
