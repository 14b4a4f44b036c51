/*
 * db-connect.c — making a PostgreSQL connection from postgres.* (db.h's
 * db_connect): the settings as libpq keywords, an error that names the
 * server without the password, notices into our log.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>

#include "db.h"
#include "db-int.h"
#include "log.h"
#include "xmalloc.h"

/* `msg` (libpq's, possibly several lines) on one line, newly allocated. */
char *
db_oneline(const char *msg)
{
	char *s, *p;
	size_t len;

	if (msg == NULL)
		msg = "";
	/* Runs of blanks and newlines become one space. */
	s = p = xmalloc(strlen(msg) + 1);
	for (; *msg != '\0'; msg++) {
		if (*msg != ' ' && *msg != '\n' && *msg != '\t')
			*p++ = *msg;
		else if (p != s && p[-1] != ' ')
			*p++ = ' ';
	}
	len = (size_t)(p - s);
	if (len > 0 && s[len - 1] == ' ')
		len--;
	s[len] = '\0';
	if (*s == '\0') {
		free(s);
		s = xstrdup("unknown error");
	}
	return s;
}

/*
 * Logs what the server sends besides results (NOTICE, WARNING): libpq
 * would print it on stderr, which a daemon does not have.
 */
static void
db_notice(void *arg, const PGresult *res)
{
	const char *sev, *msg;

	sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	if (msg == NULL)
		return;
	if (sev != NULL && strcmp(sev, "WARNING") == 0)
		log_warnx("PostgreSQL: %s", msg);
	else
		log_debug("PostgreSQL %s: %s", sev != NULL ? sev : "NOTICE", msg);
}

/* The value of `key` in parsed conninfo options, NULL when not given. */
static const char *
db_opt(const PQconninfoOption *opts, const char *key)
{
	const PQconninfoOption *o;

	if (opts == NULL)
		return NULL;
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, key) == 0)
			return o->val;
	}
	return NULL;
}

/*
 * libpq's message about a malformed conninfo may quote a piece of it; it
 * is passed on only when the string cannot hold a password (no password
 * key, no URI user info).
 */
static char *
db_parse_cause(const char *conninfo, const char *errmsg)
{
	char *line, *cause;

	if (errmsg == NULL || strcasestr(conninfo, "password") != NULL ||
	    strchr(conninfo, '@') != NULL)
		return xstrdup("postgres.conninfo is not a valid libpq "
		    "connection string (key=value pairs or a URI)");
	line = db_oneline(errmsg);
	cause = xasprintf("postgres.conninfo: %s", line);
	free(line);
	return cause;
}

/* True when libpq would read `s` as a connection string, not a db name. */
static int
db_is_conninfo(const char *s)
{
	return strchr(s, '=') != NULL || strncmp(s, "postgres://", 11) == 0 ||
	    strncmp(s, "postgresql://", 13) == 0;
}

/*
 * Accepts the settings of `c`; returns a new connection or NULL and
 * *cause.  The user's conninfo goes to libpq as the expanded `dbname`,
 * first, so the keys that follow (ours) override it.
 */
PGconn *
db_connect(const struct conf_postgres *c, char **cause)
{
	PQconninfoOption *opts = NULL;
	const char *keys[12], *vals[12], *user_options;
	char *errmsg = NULL, *options, *line;
	char timeout[32], user_timeout[32], idle[32], interval[32], count[32];
	PGconn *conn;
	int n = 0;

	if (db_is_conninfo(c->conninfo)) {
		if ((opts = PQconninfoParse(c->conninfo, &errmsg)) == NULL) {
			*cause = db_parse_cause(c->conninfo, errmsg);
			PQfreemem(errmsg);
			return NULL;
		}
	}
	keys[n] = "dbname";
	vals[n++] = c->conninfo;

	/* Our timeout comes after the user's options, so it wins. */
	if ((user_options = db_opt(opts, "options")) == NULL)
		user_options = getenv("PGOPTIONS");
	if (user_options != NULL && *user_options != '\0')
		options = xasprintf("%s -c statement_timeout=%lld",
		    user_options, (long long)c->statement_timeout);
	else
		options = xasprintf("-c statement_timeout=%lld",
		    (long long)c->statement_timeout);
	keys[n] = "options";
	vals[n++] = options;

	/* libpq counts whole seconds; round up so 1500ms is not 1s. */
	snprintf(timeout, sizeof timeout, "%lld",
	    (long long)((c->connect_timeout + 999) / 1000));
	keys[n] = "connect_timeout";
	vals[n++] = timeout;

	/*
	 * A server that vanishes without closing the connection would hold a
	 * thread until the kernel gives up (hours): keepalives notice it
	 * while waiting for a reply, tcp_user_timeout while sending.  A
	 * server that is alive but frozen (its kernel still answers both) is
	 * caught by postgres.query_timeout instead (db_wait).  The user's
	 * own values, if any, are kept; 0 leaves the system's.
	 */
	if (c->keepalive_idle > 0 &&
	    db_opt(opts, "keepalives_idle") == NULL) {
		snprintf(idle, sizeof idle, "%lld",
		    (long long)((c->keepalive_idle + 999) / 1000));
		keys[n] = "keepalives_idle";
		vals[n++] = idle;
	}
	if (c->keepalive_interval > 0 &&
	    db_opt(opts, "keepalives_interval") == NULL) {
		snprintf(interval, sizeof interval, "%lld",
		    (long long)((c->keepalive_interval + 999) / 1000));
		keys[n] = "keepalives_interval";
		vals[n++] = interval;
	}
	if (c->keepalive_count > 0 &&
	    db_opt(opts, "keepalives_count") == NULL) {
		snprintf(count, sizeof count, "%lld",
		    (long long)c->keepalive_count);
		keys[n] = "keepalives_count";
		vals[n++] = count;
	}
	if (c->tcp_user_timeout > 0 &&
	    db_opt(opts, "tcp_user_timeout") == NULL) {
		snprintf(user_timeout, sizeof user_timeout, "%lld",
		    (long long)c->tcp_user_timeout);
		keys[n] = "tcp_user_timeout";
		vals[n++] = user_timeout;
	}
	keys[n] = "fallback_application_name";
	vals[n++] = "pfo3-workerd";
	keys[n] = NULL;
	vals[n] = NULL;

	conn = PQconnectdbParams(keys, vals, 1);
	free(options);
	PQconninfoFree(opts);
	if (conn == NULL) {
		*cause = xstrdup("cannot connect to PostgreSQL: out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		line = db_oneline(PQerrorMessage(conn));
		*cause = xasprintf("cannot connect to PostgreSQL: %s", line);
		free(line);
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, db_notice, NULL);
	log_debug("connected to PostgreSQL database %s as %s (backend %d)",
	    PQdb(conn), PQuser(conn), PQbackendPID(conn));
	return conn;
}
