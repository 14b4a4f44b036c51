/*
 * test-pfo3ctl-words.c — pfo3ctl's reading of typed words: the command
 * table taken from a help reply (fixed here, shaped as pfo3-ctld's),
 * unique prefixes per word, the refusals naming the next words, the
 * arity check, and `help WORDS` selection.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pfo3ctl-words.h"
#include "tap.h"

/* The commands of the control contract, as `help` lists them. */
static const char ctld_help[] = "["
    "{\"name\":\"status\",\"usage\":\"\",\"min_args\":0,\"max_args\":0,"
    "\"access\":\"read\",\"help\":\"The status.\"},"
    "{\"name\":\"watch\",\"usage\":\"[INTERVAL_MS]\",\"min_args\":0,"
    "\"max_args\":1,\"access\":\"read\",\"help\":\"Status lines.\"},"
    "{\"name\":\"worker.add\",\"usage\":\"[COUNT|ADDR]\",\"min_args\":0,"
    "\"max_args\":1,\"access\":\"admin\",\"help\":\"Adds.\"},"
    "{\"name\":\"worker.drain\",\"usage\":\"ID\",\"min_args\":1,"
    "\"max_args\":1,\"access\":\"admin\",\"help\":\"Drains.\"},"
    "{\"name\":\"worker.resume\",\"usage\":\"ID\",\"min_args\":1,"
    "\"max_args\":1,\"access\":\"admin\",\"help\":\"Resumes.\"},"
    "{\"name\":\"worker.remove\",\"usage\":\"ID\",\"min_args\":1,"
    "\"max_args\":1,\"access\":\"admin\",\"help\":\"Removes.\"},"
    "{\"name\":\"worker.restart\",\"usage\":\"ID|all\",\"min_args\":1,"
    "\"max_args\":1,\"access\":\"admin\",\"help\":\"Restarts.\"},"
    "{\"name\":\"log.level\",\"usage\":\"LEVEL\",\"min_args\":1,"
    "\"max_args\":1,\"access\":\"admin\",\"help\":\"Log level.\"},"
    "{\"name\":\"help\",\"usage\":\"\",\"min_args\":0,\"max_args\":0,"
    "\"access\":\"read\",\"help\":\"Commands.\"},"
    "{\"name\":\"ping\",\"usage\":\"\",\"min_args\":0,\"max_args\":0,"
    "\"access\":\"read\",\"help\":\"Pong.\"}]";

static struct pfo3ctl_cmds	ctld;

static void
load(struct pfo3ctl_cmds *t, const char *text)
{
	json_t		*arr;
	json_error_t	 err;
	char		*cause = NULL;

	if ((arr = json_loads(text, 0, &err)) == NULL) {
		fprintf(stderr, "fixture: %s\n", err.text);
		exit(1);
	}
	if (pfo3ctl_cmds_load(t, arr, &cause) != 0) {
		fprintf(stderr, "fixture: %s\n", cause);
		exit(1);
	}
	json_decref(arr);	/* the table keeps its own reference */
}

/*
 * Resolves `line` (words separated by single spaces, the first one
 * expanded at its dots as pfo3ctl does) and returns "name|arg,arg" or
 * "error: cause" (caller frees).
 */
static char *
resolve(const struct pfo3ctl_cmds *t, const char *line)
{
	const struct pfo3ctl_cmd *c;
	char	*copy, *p, *words[16], **exp, *cause = NULL, *out;
	size_t	 len = 0;
	FILE	*m;
	int	 n = 0, nexp, nused = -1, i;

	copy = strdup(line);
	for (p = strtok(copy, " "); p != NULL && n < 16; p = strtok(NULL, " "))
		words[n++] = p;
	exp = pfo3ctl_words_expand(words, n, &nexp);
	m = open_memstream(&out, &len);
	if ((c = pfo3ctl_words_resolve(t, exp, nexp, &nused, &cause)) == NULL)
		fprintf(m, "error: %s", cause);
	else {
		fprintf(m, "%s|", c->name);
		for (i = nused; i < nexp; i++)
			fprintf(m, "%s%s", i > nused ? "," : "", exp[i]);
	}
	fclose(m);
	free(cause);
	pfo3ctl_words_free(exp, nexp);
	free(copy);
	return out;
}

static void
is_resolved(const struct pfo3ctl_cmds *t, const char *line, const char *want)
{
	char	*got = resolve(t, line);

	tap_is_str(got, want, "'%s' -> %s", line, want);
	free(got);
}

static void
test_resolve(void)
{
	is_resolved(&ctld, "status", "status|");
	is_resolved(&ctld, "st", "status|");
	is_resolved(&ctld, "worker drain w2", "worker.drain|w2");
	is_resolved(&ctld, "w d w2", "worker.drain|w2");
	is_resolved(&ctld, "wo d w2", "worker.drain|w2");
	is_resolved(&ctld, "wor dra w2", "worker.drain|w2");
	is_resolved(&ctld, "worker.drain w2", "worker.drain|w2");
	is_resolved(&ctld, "wo.d w2", "worker.drain|w2");
	is_resolved(&ctld, "wa 250", "watch|250");
	is_resolved(&ctld, "watch", "watch|");
	is_resolved(&ctld, "wo a 10.0.0.5:8001", "worker.add|10.0.0.5:8001");
	is_resolved(&ctld, "worker restart all", "worker.restart|all");
	is_resolved(&ctld, "worker resu w1", "worker.resume|w1");
	is_resolved(&ctld, "worker rem w1", "worker.remove|w1");
	is_resolved(&ctld, "l l debug", "log.level|debug");
	is_resolved(&ctld, "p", "ping|");
	/* Arguments are taken as they are, even when they look like words. */
	is_resolved(&ctld, "worker drain status", "worker.drain|status");

	is_resolved(&ctld, "frob", "error: unknown command 'frob'; commands: "
	    "status, watch, worker, log, help, ping");
	is_resolved(&ctld, "worker", "error: incomplete command 'worker'; "
	    "next word: add, drain, resume, remove, restart");
	is_resolved(&ctld, "wo", "error: incomplete command 'worker'; "
	    "next word: add, drain, resume, remove, restart");
	is_resolved(&ctld, "worker re w2", "error: ambiguous word 're' after "
	    "'worker': could be resume, remove, restart");
	is_resolved(&ctld, "worker res w2", "error: ambiguous word 'res' "
	    "after 'worker': could be resume, restart");
	/* Only watch is named by one word: the rest is its argument, which
	 * the daemon judges. */
	is_resolved(&ctld, "w", "watch|");
	is_resolved(&ctld, "w frob", "watch|frob");
	is_resolved(&ctld, "w r w1", "error: ambiguous word 'r' after "
	    "'worker': could be resume, remove, restart");
	is_resolved(&ctld, "x d w2", "error: unknown command 'x'; commands: "
	    "status, watch, worker, log, help, ping");
	is_resolved(&ctld, "worker frob w2", "error: unknown word 'frob' "
	    "after 'worker'; next word: add, drain, resume, remove, restart");
	is_resolved(&ctld, "wo.frob", "error: unknown word 'frob' after "
	    "'worker'; next word: add, drain, resume, remove, restart");
	is_resolved(&ctld, "worker.", "error: empty word in place 2 of the "
	    "command");
	is_resolved(&ctld, "", "error: no command given; commands: status, "
	    "watch, worker, log, help, ping");
}

/* A whole word beats the longer words it begins; a sub-command beats an
 * argument; a command with no further words takes arguments. */
static void
test_exact_and_nesting(void)
{
	struct pfo3ctl_cmds	t;

	load(&t, "[{\"name\":\"stat\",\"max_args\":0},"
	    "{\"name\":\"status\",\"max_args\":0},"
	    "{\"name\":\"log\",\"usage\":\"[N]\",\"min_args\":0,"
	    "\"max_args\":1},"
	    "{\"name\":\"log.level\",\"usage\":\"LEVEL\",\"min_args\":1,"
	    "\"max_args\":1}]");
	is_resolved(&t, "stat", "stat|");
	is_resolved(&t, "stat x", "stat|x");
	is_resolved(&t, "sta", "error: ambiguous command 'sta': could be "
	    "stat, status");
	is_resolved(&t, "statu", "status|");
	is_resolved(&t, "log", "log|");
	is_resolved(&t, "log 5", "log|5");
	is_resolved(&t, "log lev debug", "log.level|debug");
	is_resolved(&t, "log.level debug", "log.level|debug");
	tap_is_int(t.cmds[0].max_args, 0, "max_args read from the row");
	tap_is_int(t.cmds[3].min_args, 1, "min_args read from the row");
	tap_is_str(t.cmds[0].usage, "", "a missing usage reads as \"\"");
	tap_is_int(t.cmds[2].nparts, 1, "\"log\" is one word");
	tap_is_int(t.cmds[3].nparts, 2, "\"log.level\" is two words");
	pfo3ctl_cmds_free(&t);
}

static void
test_load(void)
{
	struct pfo3ctl_cmds	 t;
	json_t			*arr;
	char			*cause = NULL;

	arr = json_loads("[{\"name\":\"a..b\"},{\"name\":\"\"},"
	    "{\"name\":\".x\"},{\"usage\":\"no name\"},{\"name\":7},"
	    "{\"name\":\"ok\"}]", 0, NULL);
	tap_is_int(pfo3ctl_cmds_load(&t, arr, &cause), 0,
	    "a table with odd rows loads");
	tap_is_int(t.ncmds, 1, "... keeping only the row with a usable name");
	tap_is_int(t.cmds[0].max_args, -1, "... whose missing max_args means "
	    "no bound");
	pfo3ctl_cmds_free(&t);
	json_decref(arr);

	arr = json_loads("[{\"name\":\"\"}]", 0, NULL);
	tap_is_int(pfo3ctl_cmds_load(&t, arr, &cause), -1,
	    "a table with no usable row is refused");
	tap_is_str(cause, "the help reply lists no command", "... and says so");
	free(cause);
	cause = NULL;
	json_decref(arr);

	arr = json_string("commands");
	tap_is_int(pfo3ctl_cmds_load(&t, arr, &cause), -1,
	    "a help reply without an array is refused");
	tap_is_str(cause, "the help reply has no \"commands\" array",
	    "... and says so");
	free(cause);
	json_decref(arr);
	cause = NULL;
	tap_is_int(pfo3ctl_cmds_load(&t, NULL, &cause), -1,
	    "a help reply without \"commands\" is refused");
	free(cause);
}

static void
is_args(const char *name, int nargs, const char *want)
{
	const struct pfo3ctl_cmd *c = NULL;
	char			 *cause = NULL;
	int			  k;

	for (k = 0; k < ctld.ncmds; k++)
		if (strcmp(ctld.cmds[k].name, name) == 0)
			c = &ctld.cmds[k];
	if (pfo3ctl_words_check_args(c, nargs, &cause) == 0)
		tap_is_str("accepted", want, "%s with %d argument(s)", name,
		    nargs);
	else
		tap_is_str(cause, want, "%s with %d argument(s)", name, nargs);
	free(cause);
}

static void
test_args(void)
{
	struct pfo3ctl_cmds	t;

	is_args("worker.drain", 1, "accepted");
	is_args("worker.drain", 0, "usage: pfo3ctl worker drain ID");
	is_args("worker.drain", 2, "usage: pfo3ctl worker drain ID");
	is_args("status", 0, "accepted");
	is_args("status", 1, "usage: pfo3ctl status (takes no arguments)");
	is_args("watch", 0, "accepted");
	is_args("watch", 1, "accepted");
	is_args("watch", 2, "usage: pfo3ctl watch [INTERVAL_MS]");
	is_args("worker.add", 0, "accepted");

	load(&t, "[{\"name\":\"x.y\",\"min_args\":2},"
	    "{\"name\":\"z\",\"min_args\":1,\"max_args\":3}]");
	tap_is_int(pfo3ctl_words_check_args(&t.cmds[0], 5, &(char *){NULL}),
	    0, "no max_args: any number above min_args");
	{
		char *cause = NULL;

		pfo3ctl_words_check_args(&t.cmds[0], 1, &cause);
		tap_is_str(cause, "usage: pfo3ctl x y: at least 2 argument(s)",
		    "too few, no usage text: the bound is named");
		free(cause);
		cause = NULL;
		pfo3ctl_words_check_args(&t.cmds[1], 4, &cause);
		tap_is_str(cause, "usage: pfo3ctl z: 1 to 3 argument(s)",
		    "too many, no usage text: both bounds are named");
		free(cause);
	}
	pfo3ctl_cmds_free(&t);
}

/* `help WORDS`: which rows are shown. */
static void
is_selected(const char *line, const char *want)
{
	unsigned char	 sel[32];
	char		*copy, *p, *words[8], *cause = NULL, *out;
	size_t		 len;
	FILE		*m;
	int		 n = 0, k, r;

	copy = strdup(line);
	for (p = strtok(copy, " "); p != NULL && n < 8; p = strtok(NULL, " "))
		words[n++] = p;
	m = open_memstream(&out, &len);
	r = pfo3ctl_words_select(&ctld, words, n, sel, &cause);
	if (r == -1)
		fprintf(m, "error: %s", cause);
	else
		for (k = 0; k < ctld.ncmds; k++)
			if (sel[k])
				fprintf(m, "%s ", ctld.cmds[k].name);
	fclose(m);
	tap_is_str(out, want, "help %s", line);
	free(out);
	free(cause);
	free(copy);
}

static void
test_select(void)
{
	is_selected("", "status watch worker.add worker.drain worker.resume "
	    "worker.remove worker.restart log.level help ping ");
	is_selected("worker", "worker.add worker.drain worker.resume "
	    "worker.remove worker.restart ");
	is_selected("wo r", "worker.resume worker.remove worker.restart ");
	is_selected("w", "watch worker.add worker.drain worker.resume "
	    "worker.remove worker.restart ");
	is_selected("wo rem", "worker.remove ");
	is_selected("st", "status ");
	is_selected("status now", "error: unknown word 'now': 'status' has "
	    "no further words");
	is_selected("nope", "error: unknown command 'nope'; commands: status, "
	    "watch, worker, log, help, ping");
}

static void
test_spaced(void)
{
	char	*s;

	s = pfo3ctl_words_spaced("worker.drain");
	tap_is_str(s, "worker drain", "worker.drain is typed 'worker drain'");
	free(s);
	s = pfo3ctl_words_spaced("ping");
	tap_is_str(s, "ping", "ping is typed 'ping'");
	free(s);
}

int
main(void)
{
	load(&ctld, ctld_help);
	test_resolve();
	test_exact_and_nesting();
	test_load();
	test_args();
	test_select();
	test_spaced();
	pfo3ctl_cmds_free(&ctld);
	return tap_done();
}
