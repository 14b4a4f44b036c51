/*
 * jobs-report.c — the "report" job type: a user's monthly activity as a
 * PDF.
 *
 * The payload is {"month":"YYYY-MM"}.  The handler reads the user and the
 * month's activity (UTC days) from PostgreSQL, renders the PDF
 * (report-pdf.h), stores it in S3 under reports/<user>/<job>.pdf (the key
 * reserved first, storage.h; the job's result links it), records a
 * "report_ready" notification and the mail with a link to the PDF (both
 * in one statement: the mail is a row of the outbox, mail-outbox.h),
 * announces the notification on pfo3.events and tries to send the mail.
 * The result is {"s3_key","size","month"}.
 *
 * Effects once: a rerun (a crash, a redelivery) writes the same S3 key
 * again and finds the notification and the mail rows already there (a
 * unique index each), so it neither notifies, announces nor mails again.
 * A mail the relay does not take now stays in the outbox, retried by the
 * sweepers for smtp.retry_for; the job stays 'running' until it is sent
 * (jobs-run.c, mail-outbox.c).  The event alone is best effort: a worker
 * that dies between the commit and the publish loses it, and clients
 * that were not listening read the notification row anyway.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "broker.h"
#include "clock.h"
#include "db.h"
#include "job-types.h"
#include "jobs-int.h"
#include "log.h"
#include "mail-outbox.h"
#include "report-pdf.h"
#include "s3.h"
#include "storage.h"
#include "tres.h"
#include "users-db.h"
#include "workerd.h"
#include "xmalloc.h"

/* created_at within month $2 (UTC), as bounds the planner can read
 * (custom plans of PQexecParams): an index range, not a filter. */
#define REPORT_IN_MONTH \
	"created_at >= ($2 || '-01')::date::timestamp AT TIME ZONE 'UTC' " \
	"AND created_at < (($2 || '-01')::date + interval '1 month') " \
	"AT TIME ZONE 'UTC'"

/*
 * The month's days, one row each (UTC): day, logins, uploads, upload
 * bytes, tasks; and on every row the report jobs of the user created in
 * the month, this one included ($3: the task type, $4: the report type).
 * Each table is read once for the month and grouped by day, then joined
 * to the days: a subquery per day and table was planned at a cost that
 * made PostgreSQL compile it (JIT) on every report once the tables held
 * a few hundred rows, tens of milliseconds more each time.  The month's
 * bounds are on created_at itself (REPORT_IN_MONTH), so each table is
 * an index range of 008_report_indexes.sql: a report reads its month's
 * rows, not the user's whole history.
 */
#define REPORT_DAYS_SQL \
	"WITH r AS (SELECT ($2 || '-01')::date AS first, ($2 || '-01')::date " \
	"+ interval '1 month' AS next), " \
	"days AS (SELECT generate_series(first, (next - interval '1 day')::date, " \
	"interval '1 day')::date AS d FROM r), " \
	"s AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS d, count(*) AS n " \
	"FROM sessions WHERE user_id = $1::bigint AND " REPORT_IN_MONTH \
	" GROUP BY 1), " \
	"f AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS d, count(*) AS n, " \
	"sum(size) AS bytes FROM files WHERE owner_id = $1::bigint AND " \
	REPORT_IN_MONTH " GROUP BY 1), " \
	"j AS (SELECT (created_at AT TIME ZONE 'UTC')::date AS d, " \
	"count(*) FILTER (WHERE type = $3) AS tasks, " \
	"count(*) FILTER (WHERE type = $4) AS reports FROM jobs WHERE " \
	"user_id = $1::bigint AND type IN ($3, $4) AND " REPORT_IN_MONTH \
	" GROUP BY 1) " \
	"SELECT extract(day FROM days.d)::int, coalesce(s.n, 0), " \
	"coalesce(f.n, 0), coalesce(f.bytes, 0), coalesce(j.tasks, 0), " \
	"(SELECT coalesce(sum(reports), 0) FROM j) FROM days " \
	"LEFT JOIN s ON s.d = days.d LEFT JOIN f ON f.d = days.d " \
	"LEFT JOIN j ON j.d = days.d ORDER BY days.d"

/* A count column as an int64 (0 when not a number). */
static int64_t
report_int(PGresult *res, int row, int col)
{
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

/*
 * Fills `d` (strings pointing into *user, which the caller PQclear-s) for
 * user `uid` and month `month`.  Returns JOBS_DONE, JOBS_FATAL when the
 * user is gone, or JOBS_FAIL with *cause.
 */
static enum jobs_result
report_load(struct workerd *w, const char *uid, const char *month,
    struct report_data *d, PGresult **user, char **cause)
{
	const char			*params[4] = { uid, month,
		job_types[JOB_TASK], job_types[JOB_REPORT] };
	PGresult			*res;
	int				 i, day;

	/* Columns id, email, name, … (users-db.h). */
	if ((*user = users_db_by_id(w, uid, cause)) == NULL)
		return JOBS_FAIL;
	if (PQntuples(*user) != 1) {
		*cause = xasprintf("user %s does not exist", uid);
		return JOBS_FATAL;
	}
	d->email = PQgetvalue(*user, 0, 1);
	/* The name may be empty; the report needs one. */
	d->name = *PQgetvalue(*user, 0, 2) != '\0' ? PQgetvalue(*user, 0, 2) :
	    d->email;
	d->month = month;
	d->days = report_month_days(month);

	if ((res = tres_db_exec_retry(w, REPORT_DAYS_SQL, 4, params,
	    cause)) == NULL)
		return JOBS_FAIL;
	if (PQntuples(res) != d->days) {
		*cause = xasprintf("month %s: %d days read, not %d", month,
		    PQntuples(res), d->days);
		PQclear(res);
		return JOBS_FAIL;
	}
	for (i = 0; i < d->days; i++) {
		day = (int)report_int(res, i, 0) - 1;
		if (day < 0 || day >= d->days)
			continue;
		d->logins[day] = report_int(res, i, 1);
		d->uploads[day] = report_int(res, i, 2);
		d->upload_bytes[day] = report_int(res, i, 3);
		d->tasks[day] = report_int(res, i, 4);
		d->totals.logins += d->logins[day];
		d->totals.uploads += d->uploads[day];
		d->totals.upload_bytes += d->upload_bytes[day];
		d->totals.tasks += d->tasks[day];
	}
	d->totals.reports = report_int(res, 0, 5);
	PQclear(res);
	return JOBS_DONE;
}

/* Announces notification `nid` of job `jid` on pfo3.events. */
static void
report_announce(struct workerd *w, const char *uid, const char *jid,
    int64_t nid, json_t *body)
{
	json_t	*event;
	char	 key[64], *event_text, *why = NULL;

	/*
	 * pfo3.events is published without `mandatory` (broker-publish.c):
	 * an event nobody listens to is dropped by the broker, not returned,
	 * so a failure here is a real one.  It is still only logged: the
	 * notification row is what clients read.
	 */
	event = json_pack("{s:I,s:s,s:O}", "id", (json_int_t)nid, "kind",
	    "report_ready", "body", body);
	event_text = json_dumps(event, JSON_COMPACT);
	json_decref(event);
	snprintf(key, sizeof key, "user.%s.notification", uid);
	if (tres_publish(w, BROKER_EVENTS, key, event_text,
	    strlen(event_text), &why) != 0) {
		log_warnx("report job %s: event %s: %s", jid, key, why);
		free(why);
	}
	free(event_text);
}

/*
 * Records the notification and the mail of job `ctx` (once, whatever the
 * runs), announces a new notification, and tries the mail.  0, or -1
 * with *cause when the database failed before they were recorded.
 */
static int
report_effects(struct workerd *w, const struct jobs_ctx *ctx,
    const char *uid, const char *to, const char *month, char **cause)
{
	struct mail_outbox_new	 m;
	json_t			*body;
	char			 jid[32], url[64], *text, *subject, *mail;
	char			*why = NULL;
	int64_t			 nid = 0, mid = 0, claimed_ms;
	int			 rc, claimed = 0;

	snprintf(jid, sizeof jid, "%" PRId64, ctx->id);
	snprintf(url, sizeof url, "/api/v1/reports/%s/pdf", jid);
	body = json_pack("{s:I,s:s,s:s}", "job_id", (json_int_t)ctx->id,
	    "month", month, "url", url);
	text = json_dumps(body, JSON_COMPACT);
	subject = xasprintf("Your pfo3 report for %s is ready", month);
	mail = xasprintf("Hello,\n\nyour pfo3 activity report for %s is "
	    "ready:\n\n%s%s\n\nSign in to download it.\n", month,
	    w->conf.jobs.link_base, url);
	memset(&m, 0, sizeof m);
	m.job = jid;
	m.kind = "report_ready";
	m.user = uid;
	m.notification = text;
	m.recipient = to;
	m.subject = subject;
	m.body = mail;
	claimed_ms = clock_mono_ms();	/* no later than the claim */
	rc = mail_outbox_add_notified(w, &m, &nid, &mid, &claimed, cause);
	jobs_stage(ctx->stages, "record");
	free(text);
	if (rc == -1)
		goto out;
	if (nid > 0)
		report_announce(w, uid, jid, nid, body);
	jobs_stage(ctx->stages, "announce");

	/* Now if the relay takes it; else the sweepers retry it.  A row of
	 * an earlier run goes only if it is due (not being sent by another
	 * worker, not waiting after a failure). */
	if ((claimed ? mail_outbox_send_new(w, &m, mid, claimed_ms, &why) :
	    mail_outbox_send(w, mid, &why)) == MAIL_OUTBOX_ERROR) {
		log_warnx("report job %s: mail %" PRId64 " left to the "
		    "sweepers: %s", jid, mid, why);
		free(why);
	}
	jobs_stage(ctx->stages, "mail");
out:
	json_decref(body);
	free(subject);
	free(mail);
	return rc;
}

enum jobs_result
jobs_report(struct workerd *w, const struct jobs_ctx *ctx, json_t **result,
    char **cause)
{
	struct report_data	 d;
	enum jobs_result	 r;
	struct s3		*s3;
	PGresult		*user = NULL;
	const char		*month;
	char			 uid[32], *key = NULL, *pdf = NULL;
	size_t			 len;

	month = json_string_value(json_object_get(ctx->payload, "month"));
	if (month == NULL || report_month_days(month) == -1) {
		*cause = xstrdup("payload has no valid \"month\"");
		return JOBS_FATAL;
	}
	if (ctx->user_id <= 0) {
		*cause = xstrdup("a report needs a user");
		return JOBS_FATAL;
	}
	snprintf(uid, sizeof uid, "%" PRId64, ctx->user_id);

	memset(&d, 0, sizeof d);
	if ((r = report_load(w, uid, month, &d, &user, cause)) != JOBS_DONE)
		goto out;
	jobs_stage(ctx->stages, "load");
	if (report_pdf_render(&d, &pdf, &len, cause) != 0) {
		r = JOBS_FATAL;		/* the same data renders the same */
		goto out;
	}
	jobs_stage(ctx->stages, "render");

	key = xasprintf("reports/%s/%" PRId64 ".pdf", uid, ctx->id);
	if (storage_reserve(tres_pg(w), key, STORAGE_REPORT,
	    cause) != 0) {
		r = JOBS_FAIL;
		goto out;
	}
	jobs_stage(ctx->stages, "reserve");
	if ((s3 = tres_s3(w, cause)) == NULL ||
	    s3_put_buf(s3, key, "application/pdf", pdf, len, cause) != 0) {
		r = JOBS_FAIL;
		goto out;
	}
	jobs_stage(ctx->stages, "put");

	if (report_effects(w, ctx, uid, d.email, month, cause) == -1) {
		r = JOBS_FAIL;
		goto out;
	}

	*result = json_pack("{s:s,s:I,s:s}", "s3_key", key, "size",
	    (json_int_t)len, "month", month);
	r = JOBS_DONE;
out:
	free(key);
	free(pdf);
	if (user != NULL)
		PQclear(user);
	return r;
}
