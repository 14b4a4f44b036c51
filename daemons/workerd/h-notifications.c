/*
 * h-notifications.c — GET /api/v1/notifications: the caller's
 * notifications (a report is ready, …), newest first.
 *
 * ?after=N keeps only those with an id above N, so a client that
 * remembers the highest id it saw asks for what is new; ?limit=1..100
 * (50 by default) bounds the answer.  ?wait=S (at most jobs.max_wait)
 * waits up to S seconds for one when there is none yet: the request
 * parks off the pool (response_park) and a new notification of the user,
 * written by any worker, wakes it (notify.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "jobs-int.h"
#include "log.h"
#include "request.h"
#include "respond.h"
#include "router.h"
#include "tres.h"
#include "workerd.h"

#define NOTIFICATIONS_LIMIT	50
#define NOTIFICATIONS_MAX	100

/* An instant as the API shows it: ISO 8601 in UTC, to the second. */
#define NOTIFICATIONS_ISO8601(e) \
	"to_char((" e ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* One row of the query below as an object. */
static json_t *
notifications_row(PGresult *res, int i)
{
	json_t	*body;

	if ((body = jobs_json_parse(PQgetvalue(res, i, 2))) == NULL)
		body = json_object();
	return json_pack("{s:I,s:s,s:o,s:s,s:o}",
	    "id", (json_int_t)strtoll(PQgetvalue(res, i, 0), NULL, 10),
	    "kind", PQgetvalue(res, i, 1),
	    "body", body,
	    "created_at", PQgetvalue(res, i, 3),
	    "read_at", PQgetisnull(res, i, 4) ? json_null() :
	    json_string(PQgetvalue(res, i, 4)));
}

void
h_notifications(struct workerd *w, const struct request *req,
    struct response *resp)
{
	PGresult	*res;
	json_t		*list;
	int64_t		 after, limit, wait, now, until;
	char		 user[32], a[32], l[32], *cause = NULL;
	const char	*params[3] = { user, a, l };
	int		 i;

	if (request_query_int(req, resp, "after", 0, 0, INT64_MAX,
	    &after) == -1)
		return;
	if (request_query_int(req, resp, "limit", NOTIFICATIONS_LIMIT, 1,
	    NOTIFICATIONS_MAX, &limit) == -1)
		return;
	if (request_query_int(req, resp, "wait", 0, 0,
	    w->conf.jobs.max_wait / 1000, &wait) == -1)
		return;
	snprintf(user, sizeof user, "%" PRId64, req->user_id);
	snprintf(a, sizeof a, "%" PRId64, after);
	snprintf(l, sizeof l, "%" PRId64, limit);
	res = tres_db_exec_retry(w,
	    "SELECT id, kind, body::text, "
	    NOTIFICATIONS_ISO8601("created_at") ", "
	    NOTIFICATIONS_ISO8601("read_at")
	    " FROM notifications WHERE user_id = $1::bigint AND "
	    "id > $2::bigint ORDER BY id DESC LIMIT $3::int", 3, params,
	    &cause);
	if (res == NULL) {
		log_warnx("notifications: %s", cause);
		free(cause);
		response_error(resp, 503, "database unavailable");
		response_header(resp, "Retry-After: %lld",
		    (long long)w->conf.worker.retry_after);
		return;
	}
	if (PQntuples(res) == 0 && wait > 0) {
		now = clock_mono_ms();
		until = req->wait_until_ms != 0 ? req->wait_until_ms :
		    now + wait * 1000;
		if (until > now) {
			PQclear(res);
			response_park(resp, req->user_id, until);
			return;
		}
	}
	list = json_array();
	for (i = 0; i < PQntuples(res); i++)
		json_array_append_new(list, notifications_row(res, i));
	PQclear(res);
	response_json(resp, 200, json_pack("{s:o}", "notifications", list));
}
