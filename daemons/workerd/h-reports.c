/*
 * h-reports.c — the monthly PDF report: POST /api/v1/reports asks for one
 * (a "report" job, jobs-report.c), GET /api/v1/reports/{id}/pdf fetches
 * it from S3 once the job is done.
 *
 * A report is shown to its owner alone; to anyone else, and before its PDF
 * is stored, it does not exist (404), as for jobs (h-jobs.c).  The PDF is
 * served as soon as it is stored, even while the job still waits for its
 * mail to be sent (the job is done only once the mail is).
 *
 * POST takes an Idempotency-Key (idempotency.h): the same key sent again
 * answers the same job instead of making another.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "db.h"
#include "idempotency.h"
#include "job-types.h"
#include "jobs.h"
#include "jobs-db.h"
#include "log.h"
#include "report-pdf.h"
#include "request.h"
#include "respond.h"
#include "router.h"
#include "s3.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

/* A PDF read from S3 into memory, at most REPORT_MAX_PDF bytes. */
struct reports_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
};

/* Answers 503 for a dependency that failed, with Retry-After. */
static void
reports_unavailable(struct workerd *w, struct response *resp,
    const char *what)
{
	response_error(resp, 503, "%s unavailable", what);
	response_header(resp, "Retry-After: %lld",
	    (long long)w->conf.worker.retry_after);
}

/* Accepts "YYYY-MM" of a month that has begun (UTC); 1 if so, else 0. */
static int
reports_month_ok(const char *month)
{
	char		 now[16];
	struct tm	 tm;
	time_t		 t;

	if (report_month_days(month) == -1)
		return 0;
	t = time(NULL);
	if (gmtime_r(&t, &tm) == NULL)
		return 0;
	strftime(now, sizeof now, "%Y-%m", &tm);
	/* Both are "YYYY-MM": text order is time order. */
	return strcmp(month, now) <= 0;
}

/* Validates the request and accepts its job; answers in every case. */
static void
reports_accept(struct workerd *w, const struct request *req,
    const struct idem *idem, struct response *resp)
{
	json_t		*body, *month, *payload;
	const char	*m;
	int64_t		 id;
	char		*cause = NULL, *dedup;

	if ((body = request_json(req, resp)) == NULL)
		return;
	month = json_object_get(body, "month");
	m = json_string_value(month);
	if (m == NULL || !reports_month_ok(m)) {
		json_decref(body);
		response_error(resp, 422, "month must be \"YYYY-MM\", a month "
		    "that has begun");
		return;
	}
	payload = json_pack("{s:s}", "month", m);
	json_decref(body);
	dedup = idem_dedup_key(idem, job_types[JOB_REPORT]);
	id = jobs_submit(w, job_types[JOB_REPORT], req->user_id, payload,
	    dedup, &cause);
	free(dedup);
	json_decref(payload);
	if (id == -1) {
		log_warnx("report: %s", cause);
		free(cause);
		reports_unavailable(w, resp, "database");
		return;
	}
	response_json(resp, 202, json_pack("{s:I,s:s}", "job_id",
	    (json_int_t)id, "status", "queued"));
	response_header(resp, "Location: /api/v1/jobs/%" PRId64, id);
}

void
h_reports_create(struct workerd *w, const struct request *req,
    struct response *resp)
{
	struct idem	 idem;

	if (idem_begin(w, req, req->user_id, 0, &idem, resp) != 0)
		return;
	reports_accept(w, req, &idem, resp);
	idem_end(w, &idem, resp);
}

/* Appends a piece of the PDF (an s3_write_cb); -1 past REPORT_MAX_PDF. */
static int
reports_write(const void *data, size_t len, void *arg)
{
	struct reports_buf	*b = arg;

	if (len > REPORT_MAX_PDF - b->len)
		return -1;
	if (b->len + len > b->size) {
		b->size = b->size == 0 ? 65536 : b->size;
		while (b->size < b->len + len)
			b->size *= 2;
		b->data = xrealloc(b->data, b->size);
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

void
h_reports_pdf(struct workerd *w, const struct request *req,
    struct response *resp)
{
	struct reports_buf	 b = { NULL, 0, 0 };
	struct s3		*s3;
	PGresult		*res;
	char			 id[32], user[32], *key, *cause = NULL;
	int			 rc;

	snprintf(id, sizeof id, "%" PRId64, req->ids[0]);
	snprintf(user, sizeof user, "%" PRId64, req->user_id);
	if ((res = jobs_db_report_key(w, id, user, &cause)) == NULL) {
		log_warnx("report %s: %s", id, cause);
		free(cause);
		reports_unavailable(w, resp, "database");
		return;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		response_error(resp, 404, "no such report");
		return;
	}
	key = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);

	if ((s3 = tres_s3(w, &cause)) == NULL)
		rc = -1;
	else
		rc = s3_get(s3, key, reports_write, &b, NULL, &cause);
	if (rc == 0)
		response_body(resp, 200, "application/pdf", b.data, b.len);
	else {
		free(b.data);
		if (rc == S3_NOTFOUND)
			response_error(resp, 404, "no such report");
		else {
			log_warnx("report %s: %s", id, cause);
			reports_unavailable(w, resp, "storage");
		}
		free(cause);
	}
	free(key);
}
