/*
 * test-pfo3ctl-render.c — pfo3ctl's human output from replies fixed
 * here: the status tables (with missing fields, a remote worker, a
 * failed dependency, a terminal escape in an error), the help table,
 * other replies as "key: value" lines, the number formats and the text
 * table itself.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctl-fmt.h"
#include "ctl-field.h"
#include "pfo3ctl-render.h"
#include "pfo3ctl-table.h"
#include "pfo3ctl-words.h"
#include "tap.h"

/* A status as pfo3-ctld sends it (control contract), at 2026-11-29
 * 05:00:00 UTC. */
static const char status_json[] =
"{\"ok\":true,\"v\":1,\"time\":1795928400.25,\"interval_ms\":1000,"
" \"ctld\":{\"pid\":123,\"uptime_s\":3725,\"version\":\"0.1.0\"},"
" \"workers\":["
"  {\"id\":\"w1\",\"addr\":\"127.0.0.1:8001\",\"pid\":1234,\"local\":true,"
"   \"state\":\"up\",\"lb\":{\"status\":\"UP\",\"check\":\"L7OK\","
"   \"sessions\":2,\"queue\":0,\"rate\":4,\"http_5xx\":0},"
"   \"threads\":{\"total\":5,\"busy\":3},\"queue\":{\"length\":2,"
"   \"capacity\":64},\"inflight\":3,\"jobs_running\":1,\"req_s\":12.345,"
"   \"errors_s\":0.0,\"latency_ms\":{\"p50\":0.4242,\"p99\":12.5},"
"   \"restarts\":0,\"uptime_s\":59,\"last_error\":null,"
"   \"degraded\":[\"s3\",\"amqp\\u001b[31m\"],"
"   \"history\":{\"busy\":[0,1,2,3]}},"
"  {\"id\":\"w2\",\"addr\":\"127.0.0.1:8002\",\"pid\":1235,\"local\":true,"
"   \"state\":\"draining\",\"lb\":{\"status\":\"DRAIN\"},"
"   \"threads\":{\"total\":5,\"busy\":1},\"queue\":{\"length\":0,"
"   \"capacity\":64},\"req_s\":150.0,\"errors_s\":0.25,"
"   \"latency_ms\":{\"p50\":1.0,\"p99\":250.0},\"restarts\":2,"
"   \"uptime_s\":3600,\"last_error\":\"exited \\u001b[31mon signal 9\"},"
"  {\"id\":\"r1\",\"addr\":\"10.0.0.5:8001\",\"pid\":null,\"local\":false,"
"   \"state\":\"up\",\"threads\":{\"total\":5,\"busy\":0},"
"   \"uptime_s\":90061}"
" ],"
" \"queues\":["
"  {\"name\":\"pfo3.jobs.report\",\"messages\":12,\"unacked\":2,"
"   \"consumers\":3,\"in_s\":1.5,\"out_s\":0.5,\"dead_letter\":false},"
"  {\"name\":\"pfo3.jobs.dead\",\"messages\":1,\"unacked\":0,"
"   \"consumers\":0,\"in_s\":0.0,\"out_s\":0.0,\"dead_letter\":true}"
" ],"
" \"deps\":{\"amqp\":{\"ok\":true,\"latency_ms\":1.0,\"error\":null},"
"  \"custom\":{\"ok\":true},"
"  \"postgres\":{\"ok\":true,\"latency_ms\":0.4,\"connections\":"
"   {\"used\":5,\"max\":100},\"error\":null},"
"  \"s3\":{\"ok\":false,\"latency_ms\":null,\"error\":"
"   \"connect: Connection refused\"},"
"  \"haproxy\":{\"ok\":true,\"latency_ms\":0.2,\"error\":null}},"
" \"totals\":{\"workers\":3,\"workers_up\":2,\"threads\":{\"total\":15,"
"  \"busy\":4},\"req_s\":162.345,\"errors_s\":0.25,\"jobs_queued\":12},"
" \"history\":{\"busy\":[1,2],\"req_s\":[3,4]},"
" \"events\":["
"  {\"time\":1795928390,\"text\":\"e1\"},"
"  {\"time\":1795928391,\"text\":\"e2\"},"
"  {\"time\":1795928392,\"text\":\"w2 restarted\"},"
"  {\"time\":1795928393,\"text\":\"e4\"},"
"  {\"time\":1795928394,\"text\":\"e5\"},"
"  {\"time\":1795928395,\"text\":\"e6\"},"
"  {\"time\":1795928399,\"text\":\"w2 draining (worker.drain by uid 0)\"}"
" ]}";

static const char status_text[] =
"pfo3-ctld 0.1.0  pid 123  up 1h02m  at 2026-11-29 05:00:00  refresh 1000 ms\n"
"\n"
"Workers\n"
"ID  ADDR            STATE     LB     BUSY/THR  QUEUE/CAP  REQ/S  P50MS  P99MS  ERR/S  RESTARTS  UPTIME\n"
"w1  127.0.0.1:8001  up        UP          3/5       2/64   12.3   0.42   12.5    0.0         0     59s\n"
"w2  127.0.0.1:8002  draining  DRAIN       1/5       0/64  150.0   1.00  250.0    0.2         2   1h00m\n"
"r1  10.0.0.5:8001   up        -           0/5        -/-      -      -      -      -         -   1d01h\n"
"  w1: degraded: s3, amqp?[31m (routes that need it answer 503)\n"
"  w2: last error: exited ?[31mon signal 9\n"
"\n"
"Queues\n"
"QUEUE             MESSAGES  UNACKED  CONSUMERS  IN/S  OUT/S  NOTE\n"
"pfo3.jobs.report        12        2          3   1.5    0.5\n"
"pfo3.jobs.dead           1        0          0   0.0    0.0  dead letter\n"
"\n"
"Dependencies\n"
"DEPENDENCY  STATUS  LATENCYMS  DETAIL\n"
"postgres    ok           0.40  connections 5/100\n"
"s3          FAIL            -  connect: Connection refused\n"
"amqp        ok           1.00\n"
"haproxy     ok           0.20\n"
"custom      ok              -\n"
"\n"
"Totals: workers 2/3 up, threads 4/15 busy, 162.3 req/s, 0.2 errors/s, 12 jobs queued\n"
"\n"
"Events\n"
"  04:59:52  w2 restarted\n"
"  04:59:53  e4\n"
"  04:59:54  e5\n"
"  04:59:55  e6\n"
"  04:59:59  w2 draining (worker.drain by uid 0)\n";

/* Runs a renderer into a string (caller frees). */
#define CAPTURE(out, call) do {						\
	size_t	 len_;							\
	FILE	*f = open_memstream(&(out), &len_);			\
	call;								\
	fclose(f);							\
} while (0)

static json_t *
parse(const char *text)
{
	json_error_t	 err;
	json_t		*v;

	if ((v = json_loads(text, 0, &err)) == NULL) {
		fprintf(stderr, "fixture, line %d: %s\n", err.line, err.text);
		exit(1);
	}
	return v;
}

/* Prints the first differing line, so a failure is readable. */
static void
diff_lines(const char *got, const char *want)
{
	int	line = 1;

	while (*got != '\0' && *got == *want) {
		line += *got == '\n';
		got++;
		want++;
	}
	tap_diag("first difference on line %d", line);
}

static void
test_status(void)
{
	json_t	*st = parse(status_json), *bare;
	char	*out;

	CAPTURE(out, pfo3ctl_render(f, "status", st));
	if (!tap_is_str(out, status_text, "status: workers, queues, deps, "
	    "totals and the last 5 events as tables"))
		diff_lines(out, status_text);
	tap_ok(strchr(out, '\033') == NULL, "status: the escapes in w2's "
	    "last_error and w1's degraded are not passed to the terminal");
	free(out);

	CAPTURE(out, pfo3ctl_render(f, "watch", st));
	tap_is_str(out, status_text, "watch: each frame is the status");
	free(out);

	bare = parse("{\"ok\":true,\"v\":1,\"workers\":[]}");
	CAPTURE(out, pfo3ctl_render(f, "status", bare));
	tap_is_str(out, "pfo3-ctld -  pid -  up -  at -  refresh - ms\n"
	    "\nWorkers\n  (none)\n\nQueues\n  (none)\n\nDependencies\n"
	    "  (none)\n", "a status with nothing in it: every field '-', "
	    "empty sections say (none)");
	free(out);
	json_decref(bare);

	/* `status` on a server whose reply is no status (a worker's). */
	bare = parse("{\"ok\":true,\"v\":1,\"id\":\"w1\"}");
	CAPTURE(out, pfo3ctl_render(f, "status", bare));
	tap_is_str(out, "id: w1\n", "a status reply without workers[] is "
	    "shown as fields");
	free(out);
	json_decref(bare);
	json_decref(st);
}

static void
test_reply(void)
{
	json_t	*r;
	char	*out;

	r = parse("{\"ok\":true,\"v\":1,\"worker\":\"w4\",\"addr\":"
	    "\"127.0.0.1:8004\",\"threads\":{\"total\":5,\"busy\":0},"
	    "\"latency_ms\":{\"p50\":0.049536102286088388,\"p99\":2.0},"
	    "\"neg\":-0.0001,\"draining\":false,\"last\":null,"
	    "\"ids\":[\"w1\",\"w2\"],\"hist\":[1,2,3,4,5,6,7,8,9,10,11],"
	    "\"empty\":{},\"rows\":[{\"a\":1}],\"text\":\"a\\nb\"}");
	CAPTURE(out, pfo3ctl_render(f, "worker.add", r));
	tap_is_str(out, "worker: w4\naddr: 127.0.0.1:8004\n"
	    "threads.total: 5\nthreads.busy: 0\nlatency_ms.p50: 0.05\n"
	    "latency_ms.p99: 2\nneg: 0\ndraining: false\nlast: null\n"
	    "ids: w1, w2\nhist: [11 values]\nempty: {}\nrows: {\"a\":1}\n"
	    "text: a?b\n",
	    "other replies: dotted keys, short reals, lists, long arrays "
	    "counted, control characters shown as '?'");
	free(out);
	json_decref(r);

	r = parse("{\"ok\":true,\"v\":1}");
	CAPTURE(out, pfo3ctl_render(f, "worker.drain", r));
	tap_is_str(out, "ok\n", "a reply with no fields of its own: \"ok\"");
	free(out);
	json_decref(r);

	r = parse("{\"ok\":true,\"v\":1,\"pong\":true}");
	CAPTURE(out, pfo3ctl_render(f, "ping", r));
	tap_is_str(out, "pong: true\n", "ping: \"pong: true\"");
	free(out);
	json_decref(r);
}

static void
test_storage(void)
{
	json_t	*r;
	char	*out;

	r = parse("{\"ok\":true,\"v\":1,\"objects_without_row\":["
	    "{\"key\":\"files/3/17\",\"kind\":\"file\",\"age_s\":3700,"
	    "\"reserved\":true,\"deleted\":true},"
	    "{\"key\":\"files/0/x\\u001b\",\"kind\":\"file\",\"age_s\":"
	    "-1,\"reserved\":false}],"
	    "\"rows_without_object\":[{\"key\":\"reports/3/9.pdf\","
	    "\"kind\":\"report\",\"job_id\":9}],"
	    "\"stale_multipart\":[{\"key\":\"files/3/18\",\"kind\":"
	    "\"file\",\"upload_id\":\"u1\",\"age_s\":5,\"recorded\":"
	    "true,\"freed\":\"complete+delete\"}],\"repaired\":2,"
	    "\"listing\":\"ListObjectsV2\",\"upload_listing\":"
	    "\"not supported: 501\",\"errors\":[\"files/1/1: 503\"]}");
	CAPTURE(out, pfo3ctl_render(f, "storage.repair", r));
	tap_is_str(out,
	    "objects without row: 2\n"
	    "KIND    AGE  STATE     KEY\n"
	    "file  1h01m  deleted   files/3/17\n"
	    "file      -  stranger  files/0/x?\n"
	    "rows without object: 1\n"
	    "KIND    ID  STATE  KEY\n"
	    "report   9  ours   reports/3/9.pdf\n"
	    "stale multipart uploads: 1\n"
	    "AGE  STATE            KEY         UPLOAD_ID\n"
	    " 5s  complete+delete  files/3/18  u1\n"
	    "repaired: 2\nobject listing: ListObjectsV2\n"
	    "upload listing: not supported: 501\nerror: files/1/1: 503\n",
	    "storage: a table per finding, what repair did, the totals");
	free(out);
	json_decref(r);
}

static void
test_help(void)
{
	struct pfo3ctl_cmds	 t;
	unsigned char		 sel[3] = { 0, 1, 1 };
	json_t			*cmds;
	char			*out, *cause = NULL;

	cmds = parse("[{\"name\":\"status\",\"usage\":\"\",\"min_args\":0,"
	    "\"max_args\":0,\"access\":\"read\",\"help\":\"Everything.\"},"
	    "{\"name\":\"worker.drain\",\"usage\":\"ID\",\"min_args\":1,"
	    "\"max_args\":1,\"access\":\"admin\",\"help\":\"Drains a "
	    "worker.\"},"
	    "{\"name\":\"worker.restart\",\"usage\":\"ID|all\",\"min_args\":1,"
	    "\"max_args\":1,\"access\":\"admin\",\"help\":\"Restarts.\"}]");
	if (pfo3ctl_cmds_load(&t, cmds, &cause) != 0)
		exit(1);
	CAPTURE(out, pfo3ctl_render_help(f, &t, NULL, "admin"));
	tap_is_str(out,
	    "COMMAND         ARGS    ACCESS  DESCRIPTION\n"
	    "status                  read    Everything.\n"
	    "worker drain    ID      admin   Drains a worker.\n"
	    "worker restart  ID|all  admin   Restarts.\n"
	    "\nEach word may be shortened to a unique prefix (pfo3ctl w d w2)."
	    "  Admin commands need the admin socket.\n",
	    "help: the commands as typed words, with arguments and access");
	free(out);
	CAPTURE(out, pfo3ctl_render_help(f, &t, sel, NULL));
	tap_ok(strstr(out, "status") == NULL &&
	    strstr(out, "worker drain") != NULL, "help with a selection "
	    "shows only the selected rows");
	tap_ok(strstr(out, "read-only") == NULL, "... and, when the server "
	    "does not say its access, no note about it");
	free(out);
	CAPTURE(out, pfo3ctl_render_help(f, &t, NULL, "read"));
	tap_ok(strstr(out, "\nThis socket is read-only: admin commands will "
	    "be refused.\n") != NULL, "help on a read-only socket says so");
	free(out);
	pfo3ctl_cmds_free(&t);
	json_decref(cmds);
}

static void
test_table(void)
{
	static const char *const head[] = { "A", "B", "C", NULL };
	struct pfo3ctl_table	*t;
	char			*out;

	t = pfo3ctl_table_new(head, "lrl");
	pfo3ctl_table_cell(t, "%s", "d\xc3\xa9j\xc3\xa0");	/* déjà */
	pfo3ctl_table_cell(t, "%d", 1);
	pfo3ctl_table_cell(t, "%s", "");
	pfo3ctl_table_cell(t, "%s", "abcdef");
	pfo3ctl_table_cell(t, "%d", 100);
	pfo3ctl_table_cell(t, "x\ty");
	tap_is_int(pfo3ctl_table_rows(t), 2, "two rows");
	CAPTURE(out, pfo3ctl_table_print(t, f));
	tap_is_str(out, "A         B  C\n"
	    "d\xc3\xa9j\xc3\xa0      1\n"
	    "abcdef  100  x?y\n",
	    "columns aligned by characters, not bytes; numbers right; no "
	    "trailing blanks; a tab shown as '?'");
	free(out);
	pfo3ctl_table_free(t);

	t = pfo3ctl_table_new(head, "ll");
	pfo3ctl_table_cell(t, "%060d", 7);
	pfo3ctl_table_cell(t, "%s", "b");
	pfo3ctl_table_cell(t, "%060d", 8);
	CAPTURE(out, pfo3ctl_table_print(t, f));
	tap_ok(strstr(out, "000000000000000000000000000000000000000000000..."
	    "  b  ") != NULL, "a long cell is cut to %d characters with '...'",
	    PFO3CTL_TABLE_MAX_CELL);
	tap_ok(strstr(out, "0000000000000000000000000008\n") != NULL,
	    "... but not in the last column");
	free(out);
	pfo3ctl_table_free(t);

	t = pfo3ctl_table_new(head, NULL);
	pfo3ctl_table_cell(t, "only one");
	CAPTURE(out, pfo3ctl_table_print(t, f));
	tap_is_str(out, "A         B  C\nonly one\n", "a short last row is "
	    "printed as far as it goes");
	free(out);
	pfo3ctl_table_free(t);
}

static void
test_field(void)
{
	json_t	*st = parse(status_json);
	json_t	*w = json_array_get(json_object_get(st, "workers"), 0);

	tap_is_str(ctl_field_str(w, "lb.status", "-"), "UP",
	    "ctl_field_str: a nested string");
	tap_is_str(ctl_field_str(w, "lb.sessions", "-"), "-",
	    "ctl_field_str: a number is not a string");
	tap_ok(ctl_field_num(w, "latency_ms.p99", -1) == 12.5,
	    "ctl_field_num: a nested real");
	tap_ok(ctl_field_num(w, "threads.total", -1) == 5,
	    "ctl_field_num: an integer");
	tap_ok(ctl_field_num(w, "local", -1) == -1,
	    "ctl_field_num: a boolean is not a number");
	tap_ok(ctl_field_num(w, "threads.total.x", -1) == -1,
	    "ctl_field_num: a path through a number is missing");
	tap_ok(ctl_field_bool(w, "local", 0) == 1, "ctl_field_bool");
	tap_ok(ctl_field(w, "") == NULL && ctl_field(w, "lb.") == NULL &&
	    ctl_field(w, ".lb") == NULL && ctl_field(NULL, "id") == NULL,
	    "ctl_field: empty words and a NULL object give NULL");
	tap_ok(ctl_field_has_num(st, "totals.threads.busy") &&
	    !ctl_field_has_num(st, "totals.nothing"), "ctl_field_has_num");
	json_decref(st);
}

int
main(void)
{
	/* The fixture's times read the same on any machine. */
	setenv("TZ", "UTC", 1);
	tzset();
	test_status();
	test_reply();
	test_storage();
	test_help();
	test_table();
	test_field();
	return tap_done();
}
