/*
 * test-daemon-args.c — the daemons' shared command line (daemon-args.h):
 * each option, a daemon's own options, "--", the errors, any number of -o,
 * and the loading of the configuration from it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon-args.h"
#include "tap.h"
#include "xmalloc.h"

#include "config.h"

#define MANY	100	/* -o options in one command line: over any old limit */

static void
test_usage(FILE *f)
{
	fprintf(f, "usage: pfo3-test [-fnv]\n");
}

static int	 validate_calls;
static char	*validate_saw;	/* worker.id when validate ran */

static int
test_validate(struct pfo3_conf *conf, void *arg, char **cause)
{
	validate_calls++;
	free(validate_saw);
	validate_saw = xstrdup(conf->worker.id);
	if (strcmp(conf->worker.id, "refused") == 0) {
		*cause = xasprintf("%s refuses it", (const char *)arg);
		return -1;
	}
	return 0;
}

static const struct daemon_option test_options[] = {
	{ "listen",	"worker.listen" },
	{ "threads",	"worker.threads" },
	{ "migrate",	NULL },
	{ NULL,		NULL },
};

static const struct daemon_cmd test_cmd = {
	.name = "pfo3-test",
	.usage = test_usage,
	.options = test_options,
	.validate = test_validate,
	.arg = "the check",
};

/* One run of the parser; argv is built from the words, output captured. */
struct run {
	struct daemon_args	 a;
	int			 rc;
	char			*out, *err;
	size_t			 outlen, errlen;
	char			**argv;
	int			 argc;
};

static void
run_words(struct run *r, int n, char **words)
{
	FILE	*out, *err;
	int	 i;

	memset(r, 0, sizeof *r);
	r->argc = n + 1;
	r->argv = xcalloc((size_t)r->argc + 1, sizeof *r->argv);
	r->argv[0] = xstrdup("pfo3-test");
	for (i = 0; i < n; i++)
		r->argv[i + 1] = xstrdup(words[i]);
	out = open_memstream(&r->out, &r->outlen);
	err = open_memstream(&r->err, &r->errlen);
	r->rc = daemon_args_parse(&r->a, &test_cmd, r->argc, r->argv, out, err);
	fclose(out);
	fclose(err);
}

/* run_words with the words as arguments, NULL-ended. */
static void
run_args(struct run *r, ...)
{
	char	*words[32];
	va_list	 ap;
	int	 n = 0;

	va_start(ap, r);
	while ((words[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	run_words(r, n, words);
}

/* Loads the configuration of a parsed run; *errtext gets what it printed. */
static int
run_load(struct run *r, struct pfo3_conf *conf, char **errtext)
{
	FILE	*err;
	size_t	 len;
	int	 rc;

	err = open_memstream(errtext, &len);
	rc = daemon_args_load(&r->a, conf, err);
	fclose(err);
	return rc;
}

static void
run_free(struct run *r)
{
	int i;

	daemon_args_free(&r->a);
	for (i = 0; i < r->argc; i++)
		free(r->argv[i]);
	free(r->argv);
	free(r->out);
	free(r->err);
}

static int
contains(const char *text, const char *part)
{
	return text != NULL && strstr(text, part) != NULL;
}

static void
test_common_options(void)
{
	struct run r;

	run_args(&r, "-c", "x.conf", "-f", "-v", "-n", NULL);
	tap_is_int(r.rc, 0, "-c -f -v -n: parsed");
	tap_is_str(r.a.config, "x.conf", "-c FILE: the file");
	tap_ok(r.a.foreground && r.a.verbose && r.a.check,
	    "-f -v -n: foreground, verbose, check");
	tap_is_int((long long)r.a.nsets, 0, "... and no setting");
	run_free(&r);

	run_args(&r, "--config=y.conf", "--foreground", "--verbose", "--check",
	    NULL);
	tap_ok(r.rc == 0 && r.a.config != NULL &&
	    strcmp(r.a.config, "y.conf") == 0 && r.a.foreground &&
	    r.a.verbose && r.a.check, "the long forms of -c -f -v -n");
	run_free(&r);

	run_args(&r, "-fvn", NULL);
	tap_ok(r.rc == 0 && r.a.foreground && r.a.verbose && r.a.check,
	    "-fvn: short flags together");
	run_free(&r);

	run_args(&r, NULL);
	tap_ok(r.rc == 0 && r.a.config == NULL && !r.a.foreground &&
	    !r.a.verbose && !r.a.check, "no option: nothing set");
	run_free(&r);

	run_args(&r, "-o", "worker.id=a=b", "--set", "log.level=warning", NULL);
	tap_ok(r.rc == 0 && r.a.nsets == 2 &&
	    strcmp(r.a.sets[0].key, "worker.id") == 0 &&
	    strcmp(r.a.sets[0].value, "a=b") == 0 &&
	    strcmp(r.a.sets[1].key, "log.level") == 0,
	    "-o and --set: KEY and VALUE split at the first '='");
	run_free(&r);

	run_args(&r, "-o", "worker.id=", NULL);
	tap_ok(r.rc == 0 && r.a.nsets == 1 &&
	    strcmp(r.a.sets[0].value, "") == 0, "-o KEY=: an empty value");
	run_free(&r);
}

static void
test_help_version(void)
{
	struct run	 r;
	char		*want;

	run_args(&r, "-f", "--help", "--nope", NULL);
	tap_is_int(r.rc, 1, "--help: exit 0, before a later bad option");
	tap_is_str(r.out, "usage: pfo3-test [-fnv]\n", "--help: usage on out");
	tap_is_str(r.err, "", "--help: nothing on err");
	run_free(&r);

	run_args(&r, "-V", NULL);
	want = xasprintf("pfo3-test %s\n", PACKAGE_VERSION);
	tap_is_int(r.rc, 1, "-V: exit 0");
	tap_is_str(r.out, want, "-V: \"NAME VERSION\"");
	free(want);
	run_free(&r);

	run_args(&r, "--version", NULL);
	tap_ok(r.rc == 1 && contains(r.out, "pfo3-test "), "--version");
	run_free(&r);
}

static void
test_own_options(void)
{
	struct run r;

	run_args(&r, "--listen", "127.0.0.1:9", "--migrate", "--migrate", NULL);
	tap_is_int(r.rc, 0, "a daemon's own options: parsed");
	tap_ok(r.a.nsets == 1 && strcmp(r.a.sets[0].key, "worker.listen") == 0 &&
	    strcmp(r.a.sets[0].value, "127.0.0.1:9") == 0,
	    "--listen ADDR: a setting of worker.listen");
	tap_is_int(daemon_args_flag(&r.a, "migrate"), 2,
	    "--migrate twice: counted twice");
	tap_is_int(daemon_args_flag(&r.a, "listen"), 1, "--listen: counted");
	tap_is_int(daemon_args_flag(&r.a, "threads"), 0, "--threads: absent");
	tap_is_int(daemon_args_flag(&r.a, "no-such"), 0,
	    "an option the daemon does not have: 0");
	run_free(&r);

	run_args(&r, "--migrate=1", NULL);
	tap_is_int(r.rc, -1, "--migrate=1: a flag takes no argument");
	run_free(&r);
}

static void
test_errors(void)
{
	struct run r;

	run_args(&r, "--no-such-option", NULL);
	tap_is_int(r.rc, -1, "an unknown option: exit 2");
	tap_ok(contains(r.err, "usage: pfo3-test"), "... with the usage on err");
	run_free(&r);

	run_args(&r, "-x", NULL);
	tap_ok(r.rc == -1 && contains(r.err, "usage:"), "an unknown -x: exit 2");
	run_free(&r);

	run_args(&r, "-c", NULL);
	tap_is_int(r.rc, -1, "-c without its FILE: exit 2");
	run_free(&r);

	run_args(&r, "-f", "extra", NULL);
	tap_is_int(r.rc, -1, "an argument that is no option: exit 2");
	tap_ok(contains(r.err, "pfo3-test: unexpected argument 'extra'\n") &&
	    contains(r.err, "usage:"), "... naming it, then the usage");
	run_free(&r);

	run_args(&r, "-f", "--", NULL);
	tap_ok(r.rc == 0 && r.a.foreground, "\"--\" at the end: accepted");
	run_free(&r);

	run_args(&r, "--", "-v", NULL);
	tap_ok(r.rc == -1 && !r.a.verbose &&
	    contains(r.err, "unexpected argument '-v'"),
	    "after \"--\" an option is an argument: exit 2");
	run_free(&r);

	run_args(&r, "-o", "worker.threads", NULL);
	tap_is_int(r.rc, -1, "-o without '=': exit 2");
	tap_is_str(r.err, "pfo3-test: -o needs KEY=VALUE, got 'worker.threads'\n",
	    "... saying what -o needs and what it got");
	run_free(&r);

	run_args(&r, "-o", "=5", NULL);
	tap_ok(r.rc == -1 && contains(r.err, "-o needs KEY=VALUE, got '=5'"),
	    "-o =VALUE (no key): exit 2");
	run_free(&r);
}

/* MANY -o: every one kept, in order; the file, then them, then -v. */
static void
test_many(void)
{
	struct pfo3_conf	 conf;
	struct run		 r;
	char			*words[2 * MANY + 2], *err = NULL;
	int			 i, n = 0, rc;

	for (i = 0; i < MANY - 1; i++) {
		words[n++] = "-o";
		words[n++] = xasprintf("worker.queue=%d", i + 1);
	}
	words[n++] = "-o";
	words[n++] = xstrdup("worker.id=the-last");
	words[n++] = "-v";
	run_words(&r, n, words);
	for (i = 1; i < n; i += 2)
		free(words[i]);
	tap_is_int(r.rc, 0, "%d -o options: parsed", MANY);
	tap_is_int((long long)r.a.nsets, MANY, "... all %d kept", MANY);
	rc = run_load(&r, &conf, &err);
	tap_is_int(rc, 0, "... and loaded");
	tap_is_int(conf.worker.queue, MANY - 1,
	    "... in order: worker.queue is the last given");
	tap_is_str(conf.worker.id, "the-last", "... the %dth applied too",
	    MANY);
	tap_is_str(conf.log.level, "debug", "-v: log.level debug");
	tap_is_str(validate_saw, "the-last",
	    "the daemon's check ran on the loaded configuration");
	conf_free(&conf);
	free(err);
	run_free(&r);

	/* The MANYth is bad: it is read and refused, not dropped. */
	n = 0;
	for (i = 0; i < MANY - 1; i++) {
		words[n++] = "-o";
		words[n++] = xstrdup("worker.threads=2");
	}
	words[n++] = "-o";
	words[n++] = xstrdup("worker.threads=0");
	run_words(&r, n, words);
	for (i = 1; i < n; i += 2)
		free(words[i]);
	rc = run_load(&r, &conf, &err);
	tap_is_int(rc, -1, "a bad %dth -o: the configuration is refused", MANY);
	tap_ok(contains(err, "pfo3-test: command line: ") &&
	    contains(err, "worker.threads"),
	    "... \"NAME: command line:\" naming the key");
	conf_free(&conf);
	free(err);
	run_free(&r);
}

static void
test_load(void)
{
	struct pfo3_conf	 conf;
	struct run		 r;
	char			 path[] = "/tmp/pfo3-test-daemon-args-XXXXXX";
	char			*err = NULL, *want;
	FILE			*f;
	int			 fd, rc;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		perror("mkstemp");
		exit(2);
	}
	fputs("worker = {\n\tthreads = 3;\n\tid = \"from-file\";\n};\n", f);
	fclose(f);

	run_args(&r, "-c", path, "--threads", "4", NULL);
	rc = run_load(&r, &conf, &err);
	tap_ok(rc == 0 && conf.worker.threads == 4 &&
	    strcmp(conf.worker.id, "from-file") == 0,
	    "the command line overrides the file, the rest of the file stays");
	conf_free(&conf);
	free(err);
	run_free(&r);

	run_args(&r, "-o", "worker.threads=6", "--threads", "5", "-c", path,
	    NULL);
	rc = run_load(&r, &conf, &err);
	tap_ok(rc == 0 && conf.worker.threads == 5,
	    "-o and key options apply in command-line order, after the file");
	conf_free(&conf);
	free(err);
	run_free(&r);

	run_args(&r, NULL);
	rc = run_load(&r, &conf, &err);
	tap_ok(rc == 0 && conf.worker.threads == 5,
	    "no -c: the built-in defaults");
	conf_free(&conf);
	free(err);
	run_free(&r);

	run_args(&r, "-o", "worker.id=refused", NULL);
	validate_calls = 0;
	rc = run_load(&r, &conf, &err);
	tap_ok(rc == -1 && validate_calls == 1, "the daemon's check refuses");
	tap_is_str(err, "pfo3-test: the check refuses it\n",
	    "... printed as \"NAME: cause\"");
	conf_free(&conf);
	free(err);
	run_free(&r);

	run_args(&r, "-o", "no.such=1", NULL);
	rc = run_load(&r, &conf, &err);
	tap_ok(rc == -1 && contains(err, "pfo3-test: command line: ") &&
	    contains(err, "no.such"), "an unknown -o key: refused, named");
	conf_free(&conf);
	free(err);
	run_free(&r);

	f = fopen(path, "w");
	fputs("# a bad file\nworker = {\n\tbogus = 1;\n};\n", f);
	fclose(f);
	run_args(&r, "-c", path, "-o", "worker.id=refused", NULL);
	validate_calls = 0;
	rc = run_load(&r, &conf, &err);
	want = xasprintf("%s:3: ", path);
	tap_ok(rc == -1 && strncmp(err, want, strlen(want)) == 0 &&
	    contains(err, "worker.bogus") && err[strlen(err) - 1] == '\n',
	    "a bad file: \"FILE:LINE: \" naming the key, one line each");
	tap_is_int(validate_calls, 0, "... and nothing more is checked");
	free(want);
	conf_free(&conf);
	free(err);
	run_free(&r);
	unlink(path);

	run_args(&r, "-c", path, NULL);
	rc = run_load(&r, &conf, &err);
	tap_ok(rc == -1 && contains(err, path) && contains(err, "cannot open"),
	    "a missing file: refused, named");
	conf_free(&conf);
	free(err);
	run_free(&r);
}

int
main(void)
{
	test_common_options();
	test_help_version();
	test_own_options();
	test_errors();
	test_many();
	test_load();
	free(validate_saw);
	return tap_done();
}
