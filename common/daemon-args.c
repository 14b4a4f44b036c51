/*
 * daemon-args.c — the daemons' shared command line and configuration
 * loading; see daemon-args.h.
 */
#include <getopt.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon-args.h"
#include "log.h"
#include "xmalloc.h"

#include "config.h"

/* getopt values of the daemon's own options: above every character. */
#define DAEMON_OPT_OWN	256

static const struct option daemon_common_options[] = {
	{ "config",	required_argument, NULL, 'c' },
	{ "set",	required_argument, NULL, 'o' },
	{ "foreground",	no_argument,	   NULL, 'f' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "check",	no_argument,	   NULL, 'n' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, 'V' },
};
#define DAEMON_NCOMMON \
	(sizeof daemon_common_options / sizeof daemon_common_options[0])

static size_t
daemon_count_options(const struct daemon_cmd *cmd)
{
	size_t n = 0;

	if (cmd->options != NULL)
		while (cmd->options[n].name != NULL)
			n++;
	return n;
}

/* The daemon's options, then the common ones, then the end mark. */
static struct option *
daemon_long_options(const struct daemon_cmd *cmd, size_t nown)
{
	struct option	*lo;
	size_t		 i;

	lo = xcalloc(nown + DAEMON_NCOMMON + 1, sizeof *lo);
	for (i = 0; i < nown; i++) {
		lo[i].name = cmd->options[i].name;
		lo[i].has_arg = cmd->options[i].key != NULL ?
		    required_argument : no_argument;
		lo[i].val = DAEMON_OPT_OWN + (int)i;
	}
	memcpy(lo + nown, daemon_common_options, sizeof daemon_common_options);
	return lo;
}

/* No fixed count: a long generated command line keeps every setting. */
static void
daemon_add_set(struct daemon_args *a, const char *key, size_t keylen,
    const char *value)
{
	if (a->nsets == a->capsets) {
		a->capsets = a->capsets == 0 ? 16 : a->capsets * 2;
		a->sets = xreallocarray(a->sets, a->capsets, sizeof *a->sets);
	}
	a->sets[a->nsets].key = xstrndup(key, keylen);
	a->sets[a->nsets].value = xstrdup(value);
	a->nsets++;
}

int
daemon_args_parse(struct daemon_args *a, const struct daemon_cmd *cmd,
    int argc, char **argv, FILE *out, FILE *err)
{
	struct option	*lo;
	const char	*eq;
	size_t		 nown;
	int		 ch, rc = 0;

	memset(a, 0, sizeof *a);
	a->cmd = cmd;
	nown = daemon_count_options(cmd);
	a->flags = xcalloc(nown + 1, sizeof *a->flags);
	lo = daemon_long_options(cmd, nown);
	optind = 0;	/* GNU getopt: start over, even after another parse */
	while (rc == 0 &&
	    (ch = getopt_long(argc, argv, "c:o:fvnhV", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->config = optarg;
			break;
		case 'o':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg) {
				fprintf(err, "%s: -o needs KEY=VALUE, got '%s'\n",
				    cmd->name, optarg);
				rc = -1;
				break;
			}
			daemon_add_set(a, optarg, (size_t)(eq - optarg), eq + 1);
			break;
		case 'f':
			a->foreground = 1;
			break;
		case 'v':
			a->verbose = 1;
			break;
		case 'n':
			a->check = 1;
			break;
		case 'h':
			cmd->usage(out);
			rc = 1;
			break;
		case 'V':
			fprintf(out, "%s %s\n", cmd->name, PACKAGE_VERSION);
			rc = 1;
			break;
		default:
			if (ch >= DAEMON_OPT_OWN &&
			    (size_t)(ch - DAEMON_OPT_OWN) < nown) {
				ch -= DAEMON_OPT_OWN;
				a->flags[ch]++;
				if (cmd->options[ch].key != NULL)
					daemon_add_set(a, cmd->options[ch].key,
					    strlen(cmd->options[ch].key),
					    optarg);
				break;
			}
			/* getopt has said what was wrong. */
			cmd->usage(err);
			rc = -1;
			break;
		}
	}
	free(lo);
	if (rc == 0 && optind != argc) {
		fprintf(err, "%s: unexpected argument '%s'\n", cmd->name,
		    argv[optind]);
		cmd->usage(err);
		rc = -1;
	}
	return rc;
}

int
daemon_args_flag(const struct daemon_args *a, const char *name)
{
	size_t i;

	for (i = 0; a->cmd->options != NULL && a->cmd->options[i].name != NULL;
	    i++)
		if (strcmp(a->cmd->options[i].name, name) == 0)
			return a->flags[i];
	return 0;
}

int
daemon_args_load(const struct daemon_args *a, struct pfo3_conf *conf,
    FILE *err)
{
	const struct daemon_cmd	*cmd = a->cmd;
	char			*cause = NULL;
	size_t			 i;

	conf_defaults(conf);
	if (a->config != NULL && conf_load(conf, a->config, &cause) == -1) {
		/* One "file:line: …" per line already. */
		fprintf(err, "%s", cause);
		if (cause[0] != '\0' && cause[strlen(cause) - 1] != '\n')
			fputc('\n', err);
		free(cause);
		return -1;
	}
	for (i = 0; i < a->nsets; i++)
		if (conf_set(conf, a->sets[i].key, a->sets[i].value,
		    &cause) == -1)
			goto command_line;
	if (a->verbose && conf_set(conf, "log.level", "debug", &cause) == -1)
		goto command_line;
	if (cmd->validate != NULL &&
	    cmd->validate(conf, cmd->arg, &cause) == -1) {
		fprintf(err, "%s: %s\n", cmd->name, cause);
		free(cause);
		return -1;
	}
	return 0;

command_line:
	fprintf(err, "%s: command line: %s\n", cmd->name, cause);
	free(cause);
	return -1;
}

void
daemon_args_free(struct daemon_args *a)
{
	size_t i;

	for (i = 0; i < a->nsets; i++) {
		free(a->sets[i].key);
		free(a->sets[i].value);
	}
	free(a->sets);
	free(a->flags);
	a->sets = NULL;
	a->flags = NULL;
	a->nsets = a->capsets = 0;
}

void
daemon_configure(struct daemon_args *a, const struct daemon_cmd *cmd,
    int argc, char **argv, struct pfo3_conf *conf)
{
	int rc;

	if ((rc = daemon_args_parse(a, cmd, argc, argv, stdout, stderr)) == 0) {
		rc = daemon_args_load(a, conf, stderr);
		if (rc == 0 && a->check) {
			printf("configuration OK\n");
			rc = 1;
		}
		if (rc != 0)
			conf_free(conf);
	}
	if (rc == 0)
		return;
	daemon_args_free(a);
	exit(rc == 1 ? 0 : 2);
}

void
daemon_start(const char *name, int foreground, const struct pfo3_conf *conf)
{
	char	*cause;

	log_init(name, foreground, log_level_parse(conf->log.level));
	if (log_open_file(conf->log.file, &cause) == -1)
		fatalx("log.file: %s", cause);
	if (!foreground && daemon(1, 0) == -1)
		fatal("daemon");
	/* Not thread-safe: before any thread starts. */
	json_object_seed(0);
	/*
	 * glibc gives each thread that allocates an arena of its own, up to
	 * 8 per core: a daemon of 20 threads kept a dozen, each holding
	 * freed memory of its own (1.2 MiB of a worker at rest).  Two are
	 * enough for the cores of the machines we run on: allocations are
	 * small and served from glibc's per-thread caches first.
	 * MALLOC_ARENA_MAX or GLIBC_TUNABLES in the environment prevail.
	 */
	if (getenv("MALLOC_ARENA_MAX") == NULL &&
	    getenv("GLIBC_TUNABLES") == NULL)
		mallopt(M_ARENA_MAX, DAEMON_MALLOC_ARENAS);
}
