/*
 * mail-outbox.c — see mail-outbox.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "jobs-db.h"
#include "log.h"
#include "mail.h"
#include "mail-outbox.h"
#include "tres.h"
#include "workerd.h"
#include "xmalloc.h"

#define OUTBOX_FIRST_PAUSE_MS	1000	/* after the first failure */
#define OUTBOX_BATCH		"20"	/* rows a sweep looks at */

/*
 * $1 user, $2 notification body, $3 job, $4 recipient, $5 subject,
 * $6 text, $7 smtp.retry_for in ms, $8 kind, $9 the claim's lease in ms.
 * A new mail row is made claimed by this statement (attempts 1, next_at
 * past the lease) for the send that follows it at once: one statement
 * less than claiming it apart.  The third column says whether it was.
 */
#define OUTBOX_ADD_SQL \
	"WITH n AS (INSERT INTO notifications (user_id, kind, body) " \
	"VALUES ($1::bigint, $8, $2::jsonb) ON CONFLICT DO NOTHING " \
	"RETURNING id), m AS (INSERT INTO mail_outbox (job_id, kind, " \
	"recipient, subject, body, give_up_at, attempts, next_at) VALUES " \
	"($3::bigint, $8, $4, $5, $6, now() + $7::bigint * interval " \
	"'1 millisecond', 1, now() + $9::bigint * interval '1 millisecond') " \
	"ON CONFLICT (job_id, kind) DO NOTHING RETURNING id) SELECT (SELECT " \
	"id FROM n), coalesce((SELECT id FROM m), (SELECT id FROM " \
	"mail_outbox WHERE job_id = $3::bigint AND kind = $8)), EXISTS " \
	"(SELECT 1 FROM m)"

/* How long a claimed row is left to its sender: twice the longest send,
 * and a second of margin, in ms. */
#define OUTBOX_LEASE_MARGIN_MS	1000

static int64_t
outbox_lease_ms(struct workerd *w)
{
	return 2 * w->conf.smtp.timeout + OUTBOX_LEASE_MARGIN_MS;
}

static void
outbox_lease(struct workerd *w, char *buf, size_t len)
{
	snprintf(buf, len, "%lld", (long long)outbox_lease_ms(w));
}

int
mail_outbox_add_notified(struct workerd *w, const struct mail_outbox_new *m,
    int64_t *notification, int64_t *mail, int *claimed, char **cause)
{
	const char	*params[9];
	PGresult	*res;
	char		 retry[32], lease[32];

	snprintf(retry, sizeof retry, "%lld",
	    (long long)w->conf.smtp.retry_for);
	outbox_lease(w, lease, sizeof lease);
	params[0] = m->user;
	params[1] = m->notification;
	params[2] = m->job;
	params[3] = m->recipient;
	params[4] = m->subject;
	params[5] = m->body;
	params[6] = retry;
	params[7] = m->kind;
	params[8] = lease;
	if ((res = tres_db_exec(w, OUTBOX_ADD_SQL, 9, params, cause)) == NULL)
		return -1;
	*notification = PQgetisnull(res, 0, 0) ? 0 :
	    strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	*mail = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	*claimed = strcmp(PQgetvalue(res, 0, 2), "t") == 0;
	PQclear(res);
	return 0;
}

/* The pause after the `attempts`-th failed try: doubling, bounded. */
static int64_t
outbox_pause(struct workerd *w, int attempts)
{
	int64_t	 ms = OUTBOX_FIRST_PAUSE_MS;
	int64_t	 max = w->conf.smtp.retry_max_interval;

	while (--attempts > 0 && ms < max)
		ms *= 2;
	return ms < max ? ms : max;
}

/*
 * Makes the jobs of the settled rows 'done', or 'failed' when a mail was
 * given up (jobs_db_finish_mailed).  `job` limits it to one job (NULL:
 * all; the sweeper repairs a job whose end raced with its last send).
 * Logs a failure.
 */
static void
outbox_finish(struct workerd *w, const char *job)
{
	PGresult	*res;
	char		*cause = NULL;

	if ((res = jobs_db_finish_mailed(w, job, &cause)) == NULL) {
		log_warnx("mail outbox: finishing jobs: %s", cause);
		free(cause);
		return;
	}
	if (strtol(PQcmdTuples(res), NULL, 10) > 0)
		log_info("mail outbox: %s job(s) finished with their mail",
		    PQcmdTuples(res));
	PQclear(res);
}

/* Between two tries to record a sent mail while PostgreSQL is away. */
#define OUTBOX_RECORD_PAUSE_MS	500

/*
 * Records that row `sid` was sent.  While PostgreSQL is away (restarting,
 * failing over) it tries again until the claim made at `claimed_ms` is
 * about to end (outbox_lease): once the claim ends, a sweeper takes the row
 * as unsent and mails it a second time.  A result, or NULL and *cause.
 */
static PGresult *
outbox_record_sent(struct workerd *w, const char *sid, const char *job,
    int64_t claimed_ms, char **cause)
{
	const char	*params[1] = { sid };
	PGresult	*res;
	int64_t		 until = claimed_ms + outbox_lease_ms(w) -
	    OUTBOX_LEASE_MARGIN_MS;
	struct timespec	 ts = { 0, OUTBOX_RECORD_PAUSE_MS * 1000000L };

	for (;;) {
		res = tres_db_exec_retry(w, "UPDATE mail_outbox SET state = "
		    "'sent', sent_at = now(), last_error = NULL WHERE id = "
		    "$1::bigint RETURNING state", 1, params, cause);
		if (res != NULL ||
		    clock_mono_ms() + OUTBOX_RECORD_PAUSE_MS >= until)
			return res;
		log_warnx("mail %s of job %s sent, not recorded yet: %s", sid,
		    job, *cause);
		free(*cause);
		*cause = NULL;
		nanosleep(&ts, NULL);
	}
}

/*
 * Sends claimed row `sid` (try `attempts`, claimed at `claimed_ms`) of job
 * `job` and records what came of it; then, when `finish`, finishes the
 * job if that was its last mail.
 */
static enum mail_outbox_sent
outbox_deliver(struct workerd *w, const char *sid, const char *job,
    const char *to, const char *subject, const char *body, int attempts,
    int64_t claimed_ms, int finish, char **cause)
{
	const char	*params[3];
	PGresult	*res;
	char		 pause[32], *why = NULL;
	int		 sent;

	sent = mail_send(&w->conf.smtp, to, subject, body, &why) == 0;
	if (!sent)
		log_warnx("mail %s of job %s to %s, try %d: %s", sid, job, to,
		    attempts, why);
	params[0] = sid;
	if (sent)
		res = outbox_record_sent(w, sid, job, claimed_ms, cause);
	else {
		snprintf(pause, sizeof pause, "%lld",
		    (long long)outbox_pause(w, attempts));
		params[1] = pause;
		params[2] = why != NULL ? why : "unknown error";
		/* Given up on the first failure past give_up_at. */
		res = tres_db_exec_retry(w, "UPDATE mail_outbox SET last_error = "
		    "$3, next_at = now() + $2::bigint * interval "
		    "'1 millisecond', state = CASE WHEN now() >= give_up_at "
		    "THEN 'failed' ELSE 'pending' END WHERE id = $1::bigint "
		    "RETURNING state", 3, params, cause);
	}
	free(why);
	if (res == NULL) {
		/* Sent but not recorded while the claim lasted: it goes
		 * again once the claim ends. */
		return MAIL_OUTBOX_ERROR;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "failed") == 0)
		log_warnx("mail %s of job %s given up after %d tries over "
		    "smtp.retry_for", sid, job, attempts);
	else if (sent)
		log_info("mail %s of job %s sent (try %d)", sid, job, attempts);
	if (finish && strcmp(PQgetvalue(res, 0, 0), "pending") != 0)
		outbox_finish(w, job);
	PQclear(res);
	return sent ? MAIL_OUTBOX_SENT : MAIL_OUTBOX_FAILED;
}

enum mail_outbox_sent
mail_outbox_send(struct workerd *w, int64_t id, char **cause)
{
	const char			*params[2];
	PGresult			*res;
	enum mail_outbox_sent		 rv;
	char				 sid[32], lease[32];
	int64_t				 claimed_ms = clock_mono_ms();

	snprintf(sid, sizeof sid, "%" PRId64, id);
	outbox_lease(w, lease, sizeof lease);
	params[0] = sid;
	params[1] = lease;
	/* The claim: only one worker's UPDATE finds the row due. */
	res = tres_db_exec(w, "UPDATE mail_outbox SET attempts = attempts + 1, "
	    "next_at = now() + $2::bigint * interval '1 millisecond' WHERE "
	    "id = $1::bigint AND state = 'pending' AND next_at <= now() "
	    "RETURNING recipient, subject, body, attempts, job_id", 2, params,
	    cause);
	if (res == NULL)
		return MAIL_OUTBOX_ERROR;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return MAIL_OUTBOX_NOT_DUE;
	}
	rv = outbox_deliver(w, sid, PQgetvalue(res, 0, 4),
	    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1),
	    PQgetvalue(res, 0, 2), atoi(PQgetvalue(res, 0, 3)), claimed_ms, 1,
	    cause);
	PQclear(res);
	return rv;
}

enum mail_outbox_sent
mail_outbox_send_new(struct workerd *w, const struct mail_outbox_new *m,
    int64_t id, int64_t claimed_ms, char **cause)
{
	char	sid[32];

	/* No run of the job got as far as recording its end before this row
	 * was new, so there is no job to finish yet: its end, which comes
	 * next, sees the mail settled. */
	snprintf(sid, sizeof sid, "%" PRId64, id);
	return outbox_deliver(w, sid, m->job, m->recipient, m->subject,
	    m->body, 1, claimed_ms, 0, cause);
}

void
mail_outbox_drain(struct workerd *w)
{
	PGresult	*res;
	char		*cause = NULL;
	int		 i, n;
	int64_t		*ids;

	res = tres_db_exec_retry(w, "SELECT id FROM mail_outbox "
	    "WHERE state = 'pending' AND next_at <= now() ORDER BY next_at "
	    "LIMIT " OUTBOX_BATCH, 0, NULL, &cause);
	if (res == NULL) {
		log_warnx("mail outbox: %s", cause);
		free(cause);
		return;
	}
	n = PQntuples(res);
	ids = xcalloc((size_t)n + 1, sizeof *ids);
	for (i = 0; i < n; i++)
		ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
	PQclear(res);
	for (i = 0; i < n; i++) {
		switch (mail_outbox_send(w, ids[i], &cause)) {
		case MAIL_OUTBOX_ERROR:
			log_warnx("mail outbox: mail %" PRId64 ": %s", ids[i],
			    cause);
			free(cause);
			cause = NULL;
			i = n;
			break;
		case MAIL_OUTBOX_FAILED:
			i = n;		/* the relay is down: next sweep */
			break;
		default:
			break;
		}
	}
	free(ids);
	outbox_finish(w, NULL);
}
