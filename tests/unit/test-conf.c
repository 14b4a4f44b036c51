/*
 * test-conf.c — conf_options[], the value parsers, conf_load's error
 * reports, conf_set, and the agreement of etc/pfo3.conf and pfo3.conf(5)
 * with the table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"
#include "testutil.h"
#include "xmalloc.h"

#define KiB	(INT64_C(1) << 10)
#define MiB	(INT64_C(1) << 20)
#define GiB	(INT64_C(1) << 30)
#define TiB	(INT64_C(1) << 40)

static char tmp_path[64];

/* Writes `text` to a new temporary file; returns its path (static). */
static const char *
write_tmp(const char *text)
{
	FILE	*f;
	int	 fd;

	snprintf(tmp_path, sizeof tmp_path, "/tmp/pfo3-test-conf-XXXXXX");
	if ((fd = mkstemp(tmp_path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		perror("mkstemp");
		exit(2);
	}
	fputs(text, f);
	fclose(f);
	return tmp_path;
}

/*
 * Loads `text` over the defaults into `c`.  Returns conf_load's result;
 * *cause is the error text (or NULL), to be freed by the caller.
 */
static int
load_text(struct pfo3_conf *c, const char *text, char **cause)
{
	const char	*path = write_tmp(text);
	int		 rc;

	*cause = NULL;
	conf_defaults(c);
	rc = conf_load(c, path, cause);
	unlink(path);
	return rc;
}

/* Loads `text` and checks that it fails with exactly `want`, in which
 * "@" stands for the temporary file's path. */
static void
load_fails(const char *text, const char *want, const char *what)
{
	struct pfo3_conf	 c;
	char			*cause, *expect, *at;
	int			 rc;

	rc = load_text(&c, text, &cause);
	tap_is_int(rc, -1, "%s: conf_load fails", what);
	at = strchr(want, '@');
	if (at != NULL)
		expect = xasprintf("%.*s%s%s", (int)(at - want), want,
		    tmp_path, at + 1);
	else
		expect = xasprintf("%s", want);
	tap_is_str(cause, expect, "%s: message", what);
	free(expect);
	free(cause);
	conf_free(&c);
}

/* Returns 1 when field `opt` holds the same value in `a` and `b`. */
static int
field_equal(const struct conf_option *opt, const struct pfo3_conf *a,
    const struct pfo3_conf *b)
{
	const char	*fa = (const char *)a + opt->offset;
	const char	*fb = (const char *)b + opt->offset;
	const char	*sa, *sb;

	switch (opt->type) {
	case CONF_STR:
		sa = *(char *const *)fa;
		sb = *(char *const *)fb;
		return sa != NULL && sb != NULL && strcmp(sa, sb) == 0;
	default:
		return *(const int64_t *)fa == *(const int64_t *)fb;
	}
}

static void
test_table(void)
{
	const struct conf_option	*opt, *o2;
	struct pfo3_conf		 c;
	unsigned char			 used[sizeof c];
	size_t				 i, n = 0, bytes, covered = 0;
	char				*cause;
	int				 ok_rows = 1, dup = 0, overlap = 0;

	memset(used, 0, sizeof used);
	conf_defaults(&c);
	for (opt = conf_options; opt->name != NULL; opt++) {
		n++;
		for (o2 = opt + 1; o2->name != NULL; o2++)
			dup |= strcmp(opt->name, o2->name) == 0;
		bytes = opt->type == CONF_STR ? sizeof(char *) :
		    sizeof(int64_t);
		for (i = opt->offset; i < opt->offset + bytes; i++) {
			overlap |= used[i];
			used[i] = 1;
		}
		covered += bytes;
		if (opt->min > opt->max || opt->help == NULL ||
		    *opt->help == '\0' || opt->def == NULL ||
		    strchr(opt->help, '\n') != NULL) {
			tap_diag("bad row %s", opt->name);
			ok_rows = 0;
		}
		/* The default must pass its own bounds. */
		cause = NULL;
		if (conf_set(&c, opt->name, opt->def, &cause) != 0) {
			tap_diag("default of %s: %s", opt->name, cause);
			free(cause);
			ok_rows = 0;
		}
		if (conf_find(opt->name) != opt)
			ok_rows = 0;
	}
	tap_is_int(n, 124, "conf_options has 124 rows");
	tap_ok(ok_rows, "every row is sane and its default is valid");
	tap_ok(!dup, "no key appears twice");
	tap_ok(!overlap, "no two rows share a field");
	/* struct pfo3_conf has no padding, so this means every field. */
	tap_is_int(covered, sizeof c, "the rows cover all of struct pfo3_conf");
	tap_ok(conf_find("worker.nope") == NULL, "conf_find: unknown is NULL");
	tap_ok(conf_find("worker") == NULL, "conf_find: a group is not a key");
	conf_free(&c);
}

static void
test_defaults(void)
{
	const struct conf_option	*opt;
	struct pfo3_conf		 c, d;
	char				*cause;
	int				 all = 1;

	conf_defaults(&c);
	tap_is_str(c.worker.id, "w1", "default worker.id");
	tap_is_str(c.worker.listen, "127.0.0.1:8001", "default worker.listen");
	tap_is_str(c.worker.control, "/run/pfo3/workerd-%i.sock",
	    "default worker.control");
	tap_is_str(c.worker.agent_listen, "", "default worker.agent_listen");
	tap_is_int(c.worker.threads, 5, "default worker.threads");
	tap_is_int(c.worker.queue, 64, "default worker.queue");
	tap_is_int(c.worker.max_connections, 4096,
	    "default worker.max_connections");
	tap_is_int(c.worker.max_header_size, 8192,
	    "default worker.max_header_size");
	tap_is_int(c.worker.max_headers, 64, "default worker.max_headers");
	tap_is_int(c.worker.max_body_size, 1048576,
	    "default worker.max_body_size");
	tap_is_int(c.worker.stream_buffer, 1048576,
	    "default worker.stream_buffer");
	tap_is_int(c.worker.max_seed_size, 65536,
	    "default worker.max_seed_size");
	tap_is_int(c.worker.head_timeout, 10000, "default worker.head_timeout");
	tap_is_int(c.worker.body_timeout, 600000, "default worker.body_timeout");
	tap_is_int(c.worker.keepalive_timeout, 15000,
	    "default worker.keepalive_timeout");
	tap_is_int(c.worker.write_timeout, 30000,
	    "default worker.write_timeout");
	tap_is_int(c.worker.linger_timeout, 2000,
	    "default worker.linger_timeout");
	tap_is_int(c.worker.linger_max, 1048576, "default worker.linger_max");
	tap_is_int(c.worker.shutdown_timeout, 30000,
	    "default worker.shutdown_timeout");
	tap_is_int(c.worker.retry_after, 1, "default worker.retry_after");
	tap_is_int(c.tasks.max_sleep, 30000, "default tasks.max_sleep");
	tap_is_int(c.tasks.max_factorial, 1000, "default tasks.max_factorial");
	tap_is_int(c.tasks.max_fibonacci, 10000, "default tasks.max_fibonacci");
	tap_is_int(c.tasks.max_digits, 10000, "default tasks.max_digits");
	tap_is_int(c.tasks.max_text, 1048576, "default tasks.max_text");
	tap_is_int(c.control.max_line, 65536, "default control.max_line");
	tap_is_int(c.control.max_clients, 64, "default control.max_clients");
	tap_is_str(c.log.level, "info", "default log.level");
	tap_is_str(c.log.file, "", "default log.file");
	tap_is_int(c.worker.job_threads, 2, "default worker.job_threads");
	tap_is_int(c.worker.probe_interval, 1000,
	    "default worker.probe_interval");
	tap_is_str(c.postgres.conninfo, "dbname=pfo3", "default postgres.conninfo");
	tap_is_int(c.postgres.statement_timeout, 10000,
	    "default postgres.statement_timeout");
	tap_is_str(c.amqp.queue_type, "classic", "default amqp.queue_type");
	tap_is_int(c.amqp.prefetch, 4, "default amqp.prefetch");
	tap_is_int(c.amqp.max_retries, 5, "default amqp.max_retries");
	tap_is_str(c.s3.bucket, "pfo3", "default s3.bucket");
	tap_is_int(c.s3.path_style, 1, "default s3.path_style");
	tap_is_int(c.s3.part_size, 8 * 1048576, "default s3.part_size");
	tap_is_int(c.s3.single_put_max, 5 * 1073741824LL,
	    "default s3.single_put_max");
	tap_is_int(c.s3.retries, 2, "default s3.retries");
	tap_is_str(c.smtp.from, "pfo3@localhost", "default smtp.from");
	tap_is_int(c.auth.session_ttl, 24 * 3600 * 1000,
	    "default auth.session_ttl");
	tap_is_int(c.auth.max_failures, 5, "default auth.max_failures");
	tap_is_int(c.files.max_size, INT64_C(2) << 30, "default files.max_size");
	tap_is_int(c.files.max_pixels, 50000000, "default files.max_pixels");
	tap_is_int(c.files.thumbnail_max_size, 64 * 1048576,
	    "default files.thumbnail_max_size");
	tap_is_int(c.jobs.sweep_interval, 5000, "default jobs.sweep_interval");

	/* Each default, set through the parser by name, lands in the same
	 * field conf_defaults filled: offsets and defaults agree. */
	memset(&d, 0, sizeof d);
	for (opt = conf_options; opt->name != NULL; opt++) {
		cause = NULL;
		if (conf_set(&d, opt->name, opt->def, &cause) != 0) {
			free(cause);
			all = 0;
		} else if (!field_equal(opt, &c, &d)) {
			tap_diag("%s differs from the table", opt->name);
			all = 0;
		}
	}
	tap_ok(all, "defaults equal the table, row by row");
	conf_free(&d);
	conf_free(&c);
}

static void
test_parse_size(void)
{
	int64_t	 v;
	char	*cause;
	size_t	 i;
	static const struct {
		const char	*text;
		int64_t		 want;
	} good[] = {
		{ "0", 0 }, { "512", 512 }, { "64K", 64 * KiB },
		{ "64k", 64 * KiB }, { "64KB", 64 * KiB }, { "64kb", 64 * KiB },
		{ "100M", 100 * MiB }, { "1G", GiB }, { "2T", 2 * TiB },
		{ "512B", 512 }, { "8388607T", 8388607 * TiB },
		{ "9223372036854775807", INT64_MAX },
	};
	static const char *const bad[] = {
		"", "K", "-1", "-1K", "+1K", "1.5G", "64 K", " 64K", "64K ",
		"64KiB", "64KBB", "1P", "0x10", "99999999999T", "8388608T",
		"9223372036854775808", "99999999999999999999999",
	};

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		v = -1;
		cause = NULL;
		tap_is_int(conf_parse_size(good[i].text, &v, &cause), 0,
		    "size \"%s\" parses", good[i].text);
		tap_is_int(v, good[i].want, "size \"%s\" value", good[i].text);
		free(cause);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		tap_is_int(conf_parse_size(bad[i], &v, &cause), -1,
		    "size \"%s\" is rejected", bad[i]);
		tap_ok(cause != NULL, "size \"%s\" has a cause", bad[i]);
		free(cause);
	}
	conf_parse_size("99999999999T", &v, &cause);
	tap_is_str(cause, "size \"99999999999T\" is too large",
	    "size overflow message");
	free(cause);
	conf_parse_size("12X", &v, &cause);
	tap_is_str(cause, "invalid size \"12X\" (expected bytes, optionally "
	    "with a K, M, G or T suffix, as in \"64K\")", "bad size message");
	free(cause);
}

static void
test_parse_duration(void)
{
	int64_t	 v;
	char	*cause;
	size_t	 i;
	static const struct {
		const char	*text;
		int64_t		 want;
	} good[] = {
		{ "500ms", 500 }, { "10s", 10000 }, { "2m", 120000 },
		{ "1h", 3600000 }, { "7", 7000 }, { "0", 0 }, { "0ms", 0 },
		{ "9223372036854775807ms", INT64_MAX },
	};
	static const char *const bad[] = {
		"", "s", "ms", "10S", "10MS", "1d", "-1s", "1.5s", "10 s",
		"10sec", "9223372036854775807s", "9223372036854775807",
		"99999999999999999999ms",
	};

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		v = -1;
		cause = NULL;
		tap_is_int(conf_parse_duration(good[i].text, &v, &cause), 0,
		    "duration \"%s\" parses", good[i].text);
		tap_is_int(v, good[i].want, "duration \"%s\" value",
		    good[i].text);
		free(cause);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		tap_is_int(conf_parse_duration(bad[i], &v, &cause), -1,
		    "duration \"%s\" is rejected", bad[i]);
		tap_ok(cause != NULL, "duration \"%s\" has a cause", bad[i]);
		free(cause);
	}
	conf_parse_duration("9223372036854775807s", &v, &cause);
	tap_is_str(cause, "duration \"9223372036854775807s\" is too large",
	    "duration overflow message");
	free(cause);
}

static void
test_parse_int_bool(void)
{
	int64_t	 v;
	char	*cause;
	int	 b;
	size_t	 i;
	static const char *const bad_int[] = {
		"", "-", "+", " 1", "1 ", "1x", "0x10", "1.0", "--1",
		"9223372036854775808", "-9223372036854775809",
	};
	static const char *const yes[] = { "true", "TRUE", "yes", "On", "1" };
	static const char *const no[] = { "false", "No", "off", "OFF", "0" };
	static const char *const bad_bool[] = { "", "maybe", "2", "y", "t" };

	tap_ok(conf_parse_int("42", &v, &cause) == 0 && v == 42, "int 42");
	tap_ok(conf_parse_int("-7", &v, &cause) == 0 && v == -7, "int -7");
	tap_ok(conf_parse_int("+3", &v, &cause) == 0 && v == 3, "int +3");
	tap_ok(conf_parse_int("-9223372036854775808", &v, &cause) == 0 &&
	    v == INT64_MIN, "int INT64_MIN");
	for (i = 0; i < sizeof bad_int / sizeof bad_int[0]; i++) {
		cause = NULL;
		tap_is_int(conf_parse_int(bad_int[i], &v, &cause), -1,
		    "int \"%s\" is rejected", bad_int[i]);
		free(cause);
	}
	conf_parse_int("1x", &v, &cause);
	tap_is_str(cause, "invalid integer \"1x\"", "bad int message");
	free(cause);

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		b = -1;
		tap_ok(conf_parse_bool(yes[i], &b, &cause) == 0 && b == 1,
		    "bool \"%s\" is true", yes[i]);
		b = -1;
		tap_ok(conf_parse_bool(no[i], &b, &cause) == 0 && b == 0,
		    "bool \"%s\" is false", no[i]);
	}
	for (i = 0; i < sizeof bad_bool / sizeof bad_bool[0]; i++) {
		cause = NULL;
		tap_is_int(conf_parse_bool(bad_bool[i], &b, &cause), -1,
		    "bool \"%s\" is rejected", bad_bool[i]);
		free(cause);
	}
}

static void
test_load_good(void)
{
	struct pfo3_conf	 c, d;
	const char		*path;
	char			*cause = NULL;

	tap_is_int(load_text(&c,
	    "# a comment\n"
	    "worker = {\n"
	    "\tid = \"w9\";\n"
	    "\tthreads = 8;\n"
	    "\tmax_body_size = \"2M\";\n"
	    "\tmax_seed_size = 4096;\n"
	    "\thead_timeout = \"500ms\";\n"
	    "\tkeepalive_timeout = 7;\n"
	    "\tshutdown_timeout = \"2m\";\n"
	    "\tmax_header_size = \"16k\";\n"
	    "};\n"
	    "tasks: { max_text = 0x100000; max_digits = 30L; };\n"
	    "control = {\n"
	    "\tmax_line =\n"
	    "\t    131072;\n"
	    "};\n"
	    "log = { level = \"debug\"; file = \"/tmp/x.log\"; };\n",
	    &cause), 0, "override file loads");
	tap_is_str(cause, NULL, "override file: no cause");
	free(cause);
	tap_is_str(c.worker.id, "w9", "file worker.id");
	tap_is_int(c.worker.threads, 8, "file worker.threads");
	tap_is_int(c.worker.max_body_size, 2 * MiB,
	    "file max_body_size \"2M\"");
	tap_is_int(c.worker.max_seed_size, 4096, "file max_seed_size 4096");
	tap_is_int(c.worker.head_timeout, 500, "file head_timeout \"500ms\"");
	tap_is_int(c.worker.keepalive_timeout, 7000,
	    "file keepalive_timeout 7 is seconds");
	tap_is_int(c.worker.shutdown_timeout, 120000,
	    "file shutdown_timeout \"2m\"");
	tap_is_int(c.worker.max_header_size, 16 * KiB,
	    "file max_header_size \"16k\"");
	tap_is_int(c.tasks.max_text, MiB, "file hex tasks.max_text");
	tap_is_int(c.tasks.max_digits, 30, "file 30L tasks.max_digits");
	tap_is_int(c.control.max_line, 131072,
	    "file value on the line after its name");
	tap_is_str(c.log.level, "debug", "file log.level");
	tap_is_str(c.log.file, "/tmp/x.log", "file log.file");
	/* Untouched keys keep their defaults. */
	tap_is_int(c.worker.queue, 64, "worker.queue keeps its default");
	tap_is_str(c.worker.listen, "127.0.0.1:8001",
	    "worker.listen keeps its default");

	/* Loading again over allocated strings must not leak (ASan). */
	path = write_tmp("worker = { id = \"w10\"; };\n"
	    "log = { file = \"\"; };\n");
	tap_is_int(conf_load(&c, path, &cause), 0,
	    "second load over the first");
	unlink(path);
	tap_is_str(c.worker.id, "w10", "second load replaces worker.id");
	tap_is_str(c.log.file, "", "second load replaces log.file");
	tap_is_int(c.worker.threads, 8, "second load keeps earlier values");
	conf_free(&c);
	tap_ok(c.worker.id == NULL && c.log.level == NULL,
	    "conf_free clears the strings");
	conf_free(&c);

	tap_is_int(load_text(&d, "", &cause), 0, "an empty file loads");
	conf_free(&d);
	tap_is_int(load_text(&d, "worker = { };\n", &cause), 0,
	    "an empty known group loads");
	conf_free(&d);
}

static void
test_load_errors(void)
{
	struct pfo3_conf	 c;
	char			*cause, *want;

	load_fails("worker = {\n\tthreads = 5;\n\tthread = 6;\n};\n",
	    "@:3: unknown key 'worker.thread' (did you mean 'worker.threads'?)",
	    "unknown key");
	load_fails("\n\nthreads = 4;\n",
	    "@:3: unknown key 'threads' (did you mean 'worker.threads'?)",
	    "unknown top-level key");
	load_fails("worker = { max_line = 2048; };\n",
	    "@:1: unknown key 'worker.max_line' (did you mean "
	    "'control.max_line'?)", "key in the wrong group");
	load_fails("zzz = 1;\n", "@:1: unknown key 'zzz'",
	    "unknown key without a suggestion");
	load_fails("\nwrker = {\n\tthreads = 5;\n};\n",
	    "@:2: unknown group 'wrker' (did you mean 'worker'?)",
	    "unknown group");
	load_fails("worker = 5;\n",
	    "@:1: worker: expected a group (worker = { ... };), got an integer",
	    "a value where a group belongs");
	load_fails("worker = {\n\tthreads = 0;\n};\n",
	    "@:2: worker.threads: 0 is out of range (1..256)", "out of range");
	load_fails("worker = {\n\n\tmax_header_size = \"2M\";\n};\n",
	    "@:3: worker.max_header_size: 2M is out of range (1K..1M)",
	    "size out of range");
	load_fails("worker = { max_body_size = -5; };\n",
	    "@:1: worker.max_body_size: -5 is out of range (0..1G)",
	    "negative size");
	load_fails("worker = { head_timeout = \"50ms\"; };\n",
	    "@:1: worker.head_timeout: 50ms is out of range (100ms..1h)",
	    "duration out of range");
	load_fails("worker = { head_timeout = 5000000; };\n",
	    "@:1: worker.head_timeout: 5000000s is out of range (100ms..1h)",
	    "duration in seconds out of range");
	load_fails("worker = { max_body_size = \"1Q\"; };\n",
	    "@:1: worker.max_body_size: invalid size \"1Q\" (expected bytes, "
	    "optionally with a K, M, G or T suffix, as in \"64K\")",
	    "bad size string");
	load_fails("tasks = { max_sleep = \"1d\"; };\n",
	    "@:1: tasks.max_sleep: invalid duration \"1d\" (expected seconds, "
	    "or a number with a ms, s, m or h suffix, as in \"500ms\")",
	    "bad duration string");
	load_fails("worker = {\n\tthreads = \"5\";\n};\n",
	    "@:2: worker.threads: expected an integer, got a string",
	    "wrong type: string for integer");
	load_fails("worker = { threads = 1.5; };\n",
	    "@:1: worker.threads: expected an integer, got a float",
	    "wrong type: float");
	load_fails("worker = { id = 5; };\n",
	    "@:1: worker.id: expected a string, got an integer",
	    "wrong type: integer for string");
	load_fails("worker = { max_body_size = true; };\n",
	    "@:1: worker.max_body_size: expected a size (an integer of bytes "
	    "or a string such as \"64K\"), got a boolean",
	    "wrong type: boolean for size");
	load_fails("log = { level = [\"info\"]; };\n",
	    "@:1: log.level: expected a string, got an array",
	    "wrong type: array");
	load_fails("worker = { threads = { n = 1; }; };\n",
	    "@:1: worker.threads: expected an integer, got a group",
	    "wrong type: group for a key");
	load_fails("log = { level = \"verbose\"; };\n",
	    "@:1: log.level: \"verbose\" is not one of error|warn|info|debug",
	    "string not among the choices");
	load_fails("worker = { id = \"\"; };\n",
	    "@:1: worker.id: length 0 is out of range (1..32 characters)",
	    "string too short");
	load_fails("worker = {\n\tthreads = 5;\n\tqueue = ;\n};\n",
	    "@:3: syntax error", "syntax error");
	load_fails("worker = { threads = 5; };\nworker = { queue = 5; };\n",
	    "@:2: duplicate setting name", "duplicate group");
	load_fails("@include \"/nonexistent/pfo3-inc.conf\"\n",
	    "@:1: cannot open include file", "missing include file");

	/* Several errors at once, in file order; good keys still apply. */
	tap_is_int(load_text(&c,
	    "worker = {\n"
	    "\tthreads = 300;\n"
	    "\tqueue = 10;\n"
	    "\tthred = 1;\n"
	    "\tid = 7;\n"
	    "};\n"
	    "log = { level = \"loud\"; };\n", &cause), -1,
	    "several errors: conf_load fails");
	want = xasprintf(
	    "%s:2: worker.threads: 300 is out of range (1..256)\n"
	    "%s:4: unknown key 'worker.thred' (did you mean "
	    "'worker.threads'?)\n"
	    "%s:5: worker.id: expected a string, got an integer\n"
	    "%s:7: log.level: \"loud\" is not one of error|warn|info|debug",
	    tmp_path, tmp_path, tmp_path, tmp_path);
	tap_is_str(cause, want, "several errors: all four, in order");
	free(want);
	tap_is_int(c.worker.queue, 10, "several errors: valid key applied");
	tap_is_int(c.worker.threads, 5, "several errors: bad key kept old");
	tap_is_str(c.worker.id, "w1", "several errors: bad string kept old");
	tap_is_str(c.log.level, "info", "several errors: bad level kept old");
	free(cause);
	conf_free(&c);

	/* Missing file, directory. */
	conf_defaults(&c);
	cause = NULL;
	tap_is_int(conf_load(&c, "/nonexistent/pfo3.conf", &cause), -1,
	    "missing file fails");
	tap_is_str(cause, "/nonexistent/pfo3.conf: cannot open: No such file "
	    "or directory", "missing file message");
	free(cause);
	cause = NULL;
	tap_is_int(conf_load(&c, "/tmp", &cause), -1, "a directory fails");
	tap_is_str(cause, "/tmp: cannot open: Is a directory",
	    "directory message");
	free(cause);
	conf_free(&c);
}

/*
 * libconfig 1.5 wraps integers without an L suffix to 32 bits, silently.
 * They must be rejected, never stored wrapped.
 */
static void
test_load_wrap(void)
{
	struct pfo3_conf	 c;
	char			*cause;

	load_fails("worker = { max_body_size = 5000000000; };\n",
	    "@:1: worker.max_body_size: 5000000000 is too large for a plain "
	    "integer (32 bits); write a string with a unit or append L",
	    "5000000000 for a size");
	/* 4294967301 wraps to 5, a valid thread count. */
	load_fails("worker = {\n\tthreads = 4294967301;\n};\n",
	    "@:2: worker.threads: 4294967301 is too large for a plain integer "
	    "(32 bits); append L", "4294967301 for an integer");
	load_fails("worker = { max_seed_size =\n  /* big */ 4294967552; };\n",
	    "@:1: worker.max_seed_size: 4294967552 is too large for a plain "
	    "integer (32 bits); write a string with a unit or append L",
	    "wrapped value on the next line");
	load_fails("tasks = { max_text = 0x100000100; };\n",
	    "@:1: tasks.max_text: 0x100000100 is too large for a plain "
	    "integer (32 bits); write a string with a unit or append L",
	    "wrapped hexadecimal value");
	load_fails("worker = { max_body_size = 5000000000L; };\n",
	    "@:1: worker.max_body_size: 5000000000 is out of range (0..1G)",
	    "5000000000L is read whole, then out of range");
	load_fails("worker = { max_body_size = 2147483648; };\n",
	    "@:1: worker.max_body_size: 2147483648 is too large for a plain "
	    "integer (32 bits); write a string with a unit or append L",
	    "2^31 for a size");

	tap_is_int(load_text(&c,
	    "worker = { max_body_size = 1073741824L; max_seed_size = 16777216; "
	    "id = \"max_seed_size = 99999999999\"; };\n", &cause), 0,
	    "int64 and large int32 sizes load");
	tap_is_str(cause, NULL, "int64 and large int32 sizes: no cause");
	tap_is_int(c.worker.max_body_size, GiB, "1073741824L is 1G");
	tap_is_int(c.worker.max_seed_size, 16 * MiB, "16777216 is 16M");
	free(cause);
	conf_free(&c);

	tap_is_int(load_text(&c, "worker = { max_body_size = \"5G\"; };\n",
	    &cause), -1, "\"5G\" is read whole, then out of range");
	tap_is_str(cause ? strchr(cause, ' ') + 1 : NULL,
	    "worker.max_body_size: 5G is out of range (0..1G)",
	    "\"5G\" message");
	free(cause);
	conf_free(&c);
}

static void
test_set(void)
{
	struct pfo3_conf	 c;
	char			*cause;

	conf_defaults(&c);
	cause = NULL;
	tap_is_int(conf_set(&c, "worker.threads", "8", &cause), 0,
	    "set worker.threads 8");
	tap_is_int(c.worker.threads, 8, "set worker.threads value");
	tap_is_int(conf_set(&c, "worker.max_body_size", "512K", &cause), 0,
	    "set a size");
	tap_is_int(c.worker.max_body_size, 512 * KiB, "set a size value");
	tap_is_int(conf_set(&c, "worker.write_timeout", "250ms", &cause), 0,
	    "set a duration");
	tap_is_int(c.worker.write_timeout, 250, "set a duration value");
	tap_is_int(conf_set(&c, "worker.id", "w2", &cause), 0, "set a string");
	tap_is_int(conf_set(&c, "worker.id", "w3", &cause), 0,
	    "set a string again");
	tap_is_str(c.worker.id, "w3", "set a string value");
	tap_is_int(conf_set(&c, "worker.threads", "256", &cause), 0,
	    "set the upper bound");
	tap_is_int(conf_set(&c, "worker.threads", "1", &cause), 0,
	    "set the lower bound");

	tap_is_int(conf_set(&c, "worker.threads", "0", &cause), -1,
	    "set below the bounds fails");
	tap_is_str(cause, "worker.threads: 0 is out of range (1..256)",
	    "set below the bounds message");
	free(cause);
	tap_is_int(conf_set(&c, "worker.threads", "257", &cause), -1,
	    "set above the bounds fails");
	free(cause);
	tap_is_int(c.worker.threads, 1, "failed sets keep the value");
	tap_is_int(conf_set(&c, "worker.threads", "eight", &cause), -1,
	    "set a non-integer fails");
	tap_is_str(cause, "worker.threads: invalid integer \"eight\"",
	    "set a non-integer message");
	free(cause);
	tap_is_int(conf_set(&c, "worker.max_body_size", "2G", &cause), -1,
	    "set a size above the bounds fails");
	tap_is_str(cause, "worker.max_body_size: 2G is out of range (0..1G)",
	    "set a size above the bounds message");
	free(cause);
	tap_is_int(conf_set(&c, "log.level", "verbose", &cause), -1,
	    "set a bad choice fails");
	free(cause);
	tap_is_int(conf_set(&c, "log.level", "warn", &cause), 0,
	    "set a good choice");
	tap_is_str(c.log.level, "warn", "set a good choice value");
	tap_is_int(conf_set(&c, "worker.id", "", &cause), -1,
	    "set an empty worker.id fails");
	free(cause);

	tap_is_int(conf_set(&c, "worker.thread", "8", &cause), -1,
	    "set an unknown key fails");
	tap_is_str(cause, "unknown key 'worker.thread' (did you mean "
	    "'worker.threads'?)", "set an unknown key message");
	free(cause);
	tap_is_int(conf_set(&c, "nothing.like.this", "1", &cause), -1,
	    "set an unrelated unknown key fails");
	tap_is_str(cause, "unknown key 'nothing.like.this'",
	    "set an unrelated unknown key message");
	free(cause);
	tap_is_int(conf_set(&c, "worker", "1", &cause), -1,
	    "set a group name fails");
	free(cause);
	conf_free(&c);
}

/* etc/pfo3.conf and doc/pfo3.conf.5 must follow conf_options[]. */
static void
test_sample_and_man(void)
{
	const struct conf_option	*opt;
	struct pfo3_conf		 c, d;
	const char			*srcdir;
	char				*path, *text, *cause = NULL, *p, *item;
	int				 all, rc;

	if ((srcdir = getenv("PFO3_SRCDIR")) == NULL || *srcdir == '\0')
		srcdir = ".";

	/* Load over all-zero values: a key missing from the sample stays
	 * zero or NULL, which no default is, and fails below. */
	path = xasprintf("%s/etc/pfo3.conf", srcdir);
	memset(&c, 0, sizeof c);
	rc = conf_load(&c, path, &cause);
	tap_is_int(rc, 0, "etc/pfo3.conf loads");
	if (rc != 0)
		tap_diag("%s", cause);
	free(cause);
	conf_defaults(&d);
	all = 1;
	for (opt = conf_options; opt->name != NULL; opt++) {
		if (!field_equal(opt, &c, &d)) {
			tap_diag("etc/pfo3.conf: %s missing or not its default",
			    opt->name);
			all = 0;
		}
	}
	tap_ok(all, "etc/pfo3.conf sets every key to its default");
	text = testutil_read(path, NULL);
	all = text != NULL;
	for (opt = conf_options; text != NULL && opt->name != NULL; opt++) {
		if (strstr(text, opt->help) == NULL) {
			tap_diag("etc/pfo3.conf: no comment for %s", opt->name);
			all = 0;
		}
	}
	tap_ok(all, "etc/pfo3.conf carries every help line as a comment");
	free(text);
	free(path);
	conf_free(&c);
	conf_free(&d);

	path = xasprintf("%s/doc/pfo3.conf.5", srcdir);
	text = testutil_read(path, NULL);
	all = text != NULL;
	for (opt = conf_options; text != NULL && opt->name != NULL; opt++) {
		/* Each key is a list item of its own: ".It Ic key ...". */
		item = xasprintf(".It Ic %s", opt->name);
		for (p = text; (p = strstr(p, item)) != NULL; p++) {
			if ((p == text || p[-1] == '\n') &&
			    (p[strlen(item)] == ' ' || p[strlen(item)] == '\n'))
				break;
		}
		if (p == NULL) {
			tap_diag("doc/pfo3.conf.5: no item for %s", opt->name);
			all = 0;
		}
		free(item);
	}
	tap_ok(all, "doc/pfo3.conf.5 documents every key");
	free(text);
	free(path);
}

int
main(void)
{
	test_table();
	test_defaults();
	test_parse_size();
	test_parse_duration();
	test_parse_int_bool();
	test_load_good();
	test_load_errors();
	test_load_wrap();
	test_set();
	test_sample_and_man();
	return tap_done();
}
