/*
 * test-status-twins.c — pfo3ctl and pfo3-console render one status the
 * same way: each value that both show reads the same in pfo3ctl's tables
 * and in the console's --batch frame.  Before the clients shared the
 * status model and formatters, 12000 ms printed "12000" in one and
 * "12.0s" in the other; this status is made of such values.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "console-canvas.h"
#include "console-layout.h"
#include "console-render.h"
#include "console-theme.h"
#include "console-ui.h"
#include "pfo3ctl-render.h"
#include "status-model.h"
#include "tap.h"

/* Large and odd values, a missing ctld pid and an event without a time. */
static const char status_json[] =
"{\"ok\":true,\"v\":1,\"time\":1795928400,\"interval_ms\":1000,"
" \"ctld\":{\"uptime_s\":3725,\"version\":\"0.1.0\"},"
" \"workers\":["
"  {\"id\":\"w1\",\"addr\":\"127.0.0.1:8001\",\"pid\":11,\"state\":\"up\","
"   \"lb\":{\"status\":\"UP\"},\"threads\":{\"total\":5,\"busy\":2},"
"   \"queue\":{\"length\":12000,\"capacity\":20000},\"req_s\":12345,"
"   \"errors_s\":150,\"latency_ms\":{\"p50\":123.4,\"p99\":12000},"
"   \"restarts\":3,\"uptime_s\":59}],"
" \"queues\":[{\"name\":\"pfo3.jobs.report\",\"messages\":15000,"
"   \"unacked\":2,\"consumers\":3,\"in_s\":150,\"out_s\":2345.6}],"
" \"deps\":{\"postgres\":{\"ok\":true,\"latency_ms\":12000,"
"   \"connections\":{\"used\":5,\"max\":100}},"
"  \"s3\":{\"ok\":false,\"error\":\"connect: Connection refused\"}},"
" \"totals\":{\"workers\":1,\"workers_up\":1,\"threads\":{\"total\":5,"
"  \"busy\":2},\"req_s\":12345,\"errors_s\":150,\"jobs_queued\":15000},"
" \"events\":[\"a sentence without a time\"]}";

static const struct thresholds th = { 100000, 1000000 };

/* pfo3ctl's text for the status (caller frees). */
static char *
pfo3ctl_text(const json_t *st)
{
	char	*out = NULL;
	size_t	 len;
	FILE	*f = open_memstream(&out, &len);

	pfo3ctl_render(f, "status", st);
	fclose(f);
	return out;
}

/* The console's --batch frame for the status (caller frees). */
static char *
console_text(const json_t *st)
{
	struct layout_need	 need;
	struct render_ctx	 rc;
	struct canvas		 cv;
	struct layout		 l;
	struct model		 m;
	struct ui		 ui;
	char			*text = calloc(1, 1), *line, *cause = NULL;
	size_t			 len = 0;
	int			 r;

	model_init(&m);
	if (model_apply(&m, st, &cause) != 0)
		tap_diag("model_apply: %s", cause);
	ui_init(&ui, 1000);
	memset(&rc, 0, sizeof rc);
	rc.sym = &symbols_ascii;
	rc.th = &th;
	rc.conn.connected = 1;
	render_need(&m, &need);
	layout_compute(&l, 0, 200, &need);
	memset(&cv, 0, sizeof cv);
	canvas_resize(&cv, l.rows, 200);
	render_frame(&cv, &l, &m, &ui, &rc);
	for (r = 0; r < cv.rows; r++) {
		line = canvas_line(&cv, r);
		text = realloc(text, len + strlen(line) + 2);
		memcpy(text + len, line, strlen(line));
		len += strlen(line);
		text[len++] = '\n';
		text[len] = '\0';
		free(line);
	}
	canvas_free(&cv);
	model_clear(&m);
	return text;
}

/* The line of `text` that holds `a`, or "". */
static char *
line_of(const char *text, const char *a)
{
	static char	 buf[1024];
	const char	*p = strstr(text, a), *s, *e;

	if (p == NULL)
		return "";
	for (s = p; s > text && s[-1] != '\n'; s--)
		;
	e = strchr(p, '\n');
	snprintf(buf, sizeof buf, "%.*s", (int)(e - s), s);
	return buf;
}

/* Both texts show `want` on the line that holds `where`. */
static void
both(const char *ctl, const char *con, const char *where, const char *want,
    const char *what)
{
	tap_ok(strstr(line_of(ctl, where), want) != NULL &&
	    strstr(line_of(con, where), want) != NULL,
	    "%s: \"%s\" in both", what, want);
}

int
main(void)
{
	json_error_t	 err;
	json_t		*st;
	char		*ctl, *con;

	setenv("TZ", "UTC", 1);
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		tap_diag("no C.UTF-8 locale");
	if ((st = json_loads(status_json, 0, &err)) == NULL) {
		tap_diag("fixture: %s", err.text);
		return 1;
	}
	ctl = pfo3ctl_text(st);
	con = console_text(st);
	tap_diag("pfo3ctl:\n%s", ctl);
	tap_diag("pfo3-console --batch:\n%s", con);

	both(ctl, con, "127.0.0.1:8001", "12.0s",
	    "a p99 of 12000 ms (once \"12000\" in pfo3ctl)");
	both(ctl, con, "127.0.0.1:8001", "123.4",
	    "a p50 of 123.4 ms (once \"123\" in pfo3ctl)");
	both(ctl, con, "127.0.0.1:8001", "12.3k",
	    "12345 req/s (once \"12345\" in pfo3ctl)");
	both(ctl, con, "127.0.0.1:8001", "150.0",
	    "150 errors/s (once \"150\" in pfo3ctl)");
	both(ctl, con, "127.0.0.1:8001", "12.0k", "a pool queue of 12000");
	both(ctl, con, "pfo3.jobs.report", "15.0k",
	    "15000 messages ready (once \"15000\" in pfo3ctl)");
	both(ctl, con, "pfo3.jobs.report", "2346",
	    "2345.6 messages out per second");
	both(ctl, con, "postgres", "12.0s",
	    "a probe latency of 12000 ms (once \"12.0sms\" in the console)");
	both(ctl, con, "postgres", "connections 5/100",
	    "PostgreSQL's connections");
	both(ctl, con, "s3", "connect: Connection refused", "S3's error");
	both(ctl, con, "0.1.0", "pid -",
	    "a ctld pid not sent (once \"pid -1\" in the console)");
	both(ctl, con, "a sentence without a time", "-",
	    "an event without a time (once \"--:--:--\" in the console)");
	tap_ok(strstr(ctl, "12000") == NULL && strstr(ctl, "12345") == NULL &&
	    strstr(con, "12.0sms") == NULL && strstr(con, "--:--:--") == NULL,
	    "neither client prints the other's old forms");
	free(ctl);
	free(con);
	json_decref(st);
	return tap_done();
}
