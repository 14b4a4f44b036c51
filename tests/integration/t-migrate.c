/*
 * t-migrate.c — migrations and the per-thread PostgreSQL connections of
 * pfo3-workerd, against the stack's PostgreSQL ($PFO3_PG_CONNINFO), in a
 * database made for this run and dropped at its end.
 *
 * The stack's role may create databases (CREATEDB).  A role that may not
 * gets the database from the cluster's superuser `postgres`, if that one
 * can connect with the same conninfo, and everything else still runs with
 * the rights a worker has.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "tap.h"
#include "xmalloc.h"

#define NMIGRATORS	4

static struct conf_postgres conf;
static const char *tables[] = {
	"users", "sessions", "auth_throttle", "files", "thumbnails", "jobs",
	"notifications", "schema_migrations", NULL
};

/* ------------------------------------------------------------ helpers */

/* Appends `s` to the growing string *buf. */
static void
append(char **buf, const char *s)
{
	size_t len = *buf != NULL ? strlen(*buf) : 0;

	*buf = xrealloc(*buf, len + strlen(s) + 1);
	memcpy(*buf + len, s, strlen(s) + 1);
}

/* `conninfo` with its dbname replaced by `db`, as key='value' pairs. */
static char *
conninfo_with_db(const char *conninfo, const char *db)
{
	PQconninfoOption *opts, *o;
	char *err = NULL, *out = NULL, one[2] = { 0, 0 };
	const char *p;

	if ((opts = PQconninfoParse(conninfo, &err)) == NULL) {
		tap_diag("PFO3_PG_CONNINFO does not parse: %s", err);
		PQfreemem(err);
		return NULL;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || strcmp(o->keyword, "dbname") == 0)
			continue;
		append(&out, o->keyword);
		append(&out, "='");
		for (p = o->val; *p != '\0'; p++) {
			if (*p == '\'' || *p == '\\')
				append(&out, "\\");
			one[0] = *p;
			append(&out, one);
		}
		append(&out, "' ");
	}
	PQconninfoFree(opts);
	append(&out, "dbname='");
	append(&out, db);
	append(&out, "'");
	return out;
}

/* A connection from `conninfo`, as `user` when not NULL. */
static PGconn *
connect_as(const char *conninfo, const char *user)
{
	const char *keys[] = { "dbname", user != NULL ? "user" : NULL, NULL };
	const char *vals[] = { conninfo, user, NULL };
	PGconn *conn;

	conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		tap_diag("cannot connect%s%s: %s", user ? " as " : "",
		    user ? user : "", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

/* Runs `sql` with up to one parameter on `conn`; the first value of the
 * first row (caller frees), or NULL on error or no row. */
static char *
query1(PGconn *conn, const char *sql, const char *param)
{
	PGresult *res;
	char *v = NULL;

	res = PQexecParams(conn, sql, param != NULL, NULL, &param, NULL, NULL,
	    0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK &&
	    PQresultStatus(res) != PGRES_COMMAND_OK)
		tap_diag("%s: %s", sql, PQresultErrorMessage(res));
	else if (PQntuples(res) > 0)
		v = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/* Like query1 on a connection of the test database's own. */
static char *
query_db(const char *sql, const char *param)
{
	PGconn *conn;
	char *cause = NULL, *v;

	if ((conn = db_connect(&conf, &cause)) == NULL) {
		tap_diag("%s", cause);
		free(cause);
		return NULL;
	}
	v = query1(conn, sql, param);
	PQfinish(conn);
	return v;
}

/* Runs `sql` on the calling thread's connection; the first value. */
static char *
exec1(const char *sql, int retry, char **cause)
{
	PGresult *res;
	char *v;

	res = (retry ? db_exec_retry : db_exec)(&conf, sql, 0, NULL, cause);
	if (res == NULL)
		return NULL;
	v = xstrdup(PQntuples(res) > 0 ? PQgetvalue(res, 0, 0) : "");
	PQclear(res);
	return v;
}

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f;

	if ((f = fopen(path, "w")) == NULL ||
	    fputs(text, f) == EOF || fclose(f) == EOF)
		tap_diag("cannot write %s: %s", path, strerror(errno));
	free(path);
}

static void
copy_file(const char *from, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", from, name), buf[8192];
	char *text = NULL;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		tap_diag("cannot read %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	while ((n = fread(buf, 1, sizeof buf - 1, f)) > 0) {
		buf[n] = '\0';
		append(&text, buf);
	}
	fclose(f);
	write_file(dir, name, text != NULL ? text : "");
	free(text);
	free(path);
}

/* Removes a flat folder of files. */
static void
remove_dir(const char *dir)
{
	DIR *d;
	struct dirent *de;
	char *path;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		unlink(path);
		free(path);
	}
	closedir(d);
	rmdir(dir);
}

static char *
make_dir(void)
{
	char tmpl[] = "/tmp/t-migrate.XXXXXX";

	if (mkdtemp(tmpl) == NULL) {
		tap_diag("mkdtemp: %s", strerror(errno));
		return xstrdup("/nonexistent");
	}
	return xstrdup(tmpl);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.sql files of `dir`, sorted; their number in *n. */
static char **
list_sql(const char *dir, int *n)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t len;

	*n = 0;
	if ((d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		names = xreallocarray(names, (size_t)*n + 1, sizeof *names);
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, (size_t)*n, sizeof *names, name_cmp);
	return names;
}

/* Runs migrate_run with PFO3_MIGRATIONS at `dir`; its cause or NULL. */
static int
migrate_in(const char *dir, char **cause)
{
	*cause = NULL;
	setenv("PFO3_MIGRATIONS", dir, 1);
	return migrate_run(&conf, cause);
}

static int
contains(const char *s, const char *what)
{
	return s != NULL && strstr(s, what) != NULL;
}

/* ------------------------------------------------------------ threads */

static pthread_barrier_t start_line;

struct migrator {
	pthread_t	 thread;
	int		 rc;
	char		*cause;
};

static void *
migrator_main(void *arg)
{
	struct migrator *m = arg;

	pthread_barrier_wait(&start_line);
	m->rc = migrate_run(&conf, &m->cause);
	return NULL;
}

struct pid_thread {
	pthread_t	 thread;
	char		*pid;
	char		*cause;
};

static pthread_barrier_t both_connected;

/* Gets its backend pid, then waits until the other thread has one too. */
static void *
pid_main(void *arg)
{
	struct pid_thread *p = arg;

	p->pid = exec1("SELECT pg_backend_pid()", 0, &p->cause);
	pthread_barrier_wait(&both_connected);
	return NULL;
}

struct unreachable {
	char		*cause1;
	char		*cause2;
	int64_t		 second_us;
	char		*ping_cause;
	int		 ping_rc;
	char		*parse_cause;
};

/* Uses a server that is not there, on a thread of its own so the main
 * thread's connection keeps its settings. */
static void *
unreachable_main(void *arg)
{
	struct unreachable *u = arg;
	struct conf_postgres bad = conf;
	PGresult *res;
	PGconn *conn;
	int64_t start;
	double ms;

	bad.conninfo = "host=127.0.0.1 port=1 dbname=x user=u password=s3cr3t";
	res = db_exec(&bad, "SELECT 1", 0, NULL, &u->cause1);
	PQclear(res);
	start = clock_mono_us();
	res = db_exec(&bad, "SELECT 1", 0, NULL, &u->cause2);
	u->second_us = clock_mono_us() - start;
	PQclear(res);
	u->ping_rc = db_ping(&bad, &ms, &u->ping_cause);

	bad.conninfo = "host=127.0.0.1 password=s3cr3t bogus";
	conn = db_connect(&bad, &u->parse_cause);
	if (conn != NULL)
		PQfinish(conn);
	return NULL;
}

/* ------------------------------------------------------------ tests */

static void
test_folder(const char *dir)
{
	struct conf_postgres c = conf;

	setenv("PFO3_MIGRATIONS", dir, 1);
	c.migrations = "/from/conf";
	tap_is_str(migrate_folder(&c), dir, "PFO3_MIGRATIONS comes first");
	unsetenv("PFO3_MIGRATIONS");
	tap_is_str(migrate_folder(&c), "/from/conf",
	    "then postgres.migrations");
	c.migrations = "";
	tap_is_str(migrate_folder(&c), PKGDATADIR "/migrations",
	    "then the installed folder");
	setenv("PFO3_MIGRATIONS", "", 1);
	tap_is_str(migrate_folder(&c), PKGDATADIR "/migrations",
	    "an empty PFO3_MIGRATIONS is no override");
}

static void
test_concurrent(const char *dir, char **files, int nfiles)
{
	struct migrator m[NMIGRATORS];
	char *got, *want = NULL, *before, *after, *cause = NULL;
	int i, ok;

	setenv("PFO3_MIGRATIONS", dir, 1);
	pthread_barrier_init(&start_line, NULL, NMIGRATORS);
	for (i = 0; i < NMIGRATORS; i++) {
		memset(&m[i], 0, sizeof m[i]);
		pthread_create(&m[i].thread, NULL, migrator_main, &m[i]);
	}
	for (i = 0; i < NMIGRATORS; i++)
		pthread_join(m[i].thread, NULL);
	pthread_barrier_destroy(&start_line);
	for (i = 0; i < NMIGRATORS; i++) {
		tap_is_int(m[i].rc, 0, "migrator %d of %d at once succeeds%s%s",
		    i + 1, NMIGRATORS, m[i].cause ? ": " : "",
		    m[i].cause ? m[i].cause : "");
		free(m[i].cause);
	}

	for (i = 0; i < nfiles; i++) {
		if (want != NULL)
			append(&want, " ");
		append(&want, files[i]);
	}
	got = query_db("SELECT string_agg(lpad(version::text, 3, '0') || '_' "
	    "|| name || '.sql', ' ' ORDER BY version) FROM schema_migrations",
	    NULL);
	tap_is_str(got, want, "schema_migrations: one row per file (%d)",
	    nfiles);
	free(got);
	free(want);

	for (i = 0; tables[i] != NULL; i++) {
		got = query_db("SELECT count(*) FROM information_schema.tables "
		    "WHERE table_schema = 'public' AND table_name = $1",
		    tables[i]);
		tap_is_str(got, "1", "table %s exists", tables[i]);
		free(got);
	}
	got = query_db("SELECT count(*) FROM pg_indexes WHERE indexname = "
	    "'users_email_lower' AND indexdef LIKE '%UNIQUE%lower(email)%'",
	    NULL);
	tap_is_str(got, "1", "unique index on lower(email)");
	free(got);

	before = query_db("SELECT string_agg(version || '@' || applied_at, ' ' "
	    "ORDER BY version) FROM schema_migrations", NULL);
	ok = migrate_in(dir, &cause);
	tap_is_int(ok, 0, "a second run succeeds%s%s", cause ? ": " : "",
	    cause ? cause : "");
	free(cause);
	after = query_db("SELECT string_agg(version || '@' || applied_at, ' ' "
	    "ORDER BY version) FROM schema_migrations", NULL);
	tap_ok(before != NULL && after != NULL && strcmp(before, after) == 0,
	    "a second run applies nothing (rows and times unchanged)");
	free(before);
	free(after);
}

static void
test_broken(const char *src, char **files, int nfiles)
{
	char *dir = make_dir(), *bad, *got, *want, *cause = NULL;
	int i, version = 0, rc;

	for (i = 0; i < nfiles; i++) {
		copy_file(src, dir, files[i]);
		version = atoi(files[i]);
	}
	/* Line 2 runs, line 3 fails: nothing of line 2 may remain. */
	bad = xasprintf("%03d_bad.sql", version + 1);
	write_file(dir, bad, "-- a migration that fails half-way\n"
	    "CREATE TABLE half_applied (id int);\n"
	    "INSERT INTO no_such_table VALUES (1);\n");
	rc = migrate_in(dir, &cause);
	tap_is_int(rc, -1, "a failing migration fails the run");
	tap_ok(contains(cause, bad), "the cause names %s: %s", bad,
	    cause ? cause : "(none)");
	tap_ok(contains(cause, "no_such_table") && contains(cause, "42P01"),
	    "the cause holds the server's error and SQLSTATE");
	tap_ok(contains(cause, "line 3"), "the cause names line 3");
	free(cause);
	want = xasprintf("%d %d", nfiles, version);
	got = query_db("SELECT count(*) || ' ' || max(version) "
	    "FROM schema_migrations", NULL);
	tap_is_str(got, want, "schema_migrations does not record it");
	free(got);
	free(want);
	got = query_db("SELECT to_regclass('half_applied') IS NULL", NULL);
	tap_is_str(got, "t", "its first statement was rolled back");
	free(got);
	got = xasprintf("%s/%s", dir, bad);
	unlink(got);
	free(got);
	free(bad);

	bad = xasprintf("%03d_syntax.sql", version + 1);
	write_file(dir, bad, "CREATE TABLE t (;\n");
	rc = migrate_in(dir, &cause);
	tap_ok(rc == -1 && contains(cause, bad) &&
	    contains(cause, "syntax error") && contains(cause, "42601"),
	    "a syntax error names the file: %s", cause ? cause : "(none)");
	free(cause);
	free(bad);

	/* A file that ends the transaction itself. */
	bad = xasprintf("%s/%03d_syntax.sql", dir, version + 1);
	unlink(bad);
	free(bad);
	bad = xasprintf("%03d_commits.sql", version + 1);
	write_file(dir, bad, "CREATE TABLE committed_early (id int);\n"
	    "COMMIT;\n");
	rc = migrate_in(dir, &cause);
	tap_ok(rc == -1 && contains(cause, bad) && contains(cause, "COMMIT"),
	    "a COMMIT in a migration is refused: %s", cause ? cause : "(none)");
	free(cause);
	want = xasprintf("%d", nfiles);
	got = query_db("SELECT count(*) FROM schema_migrations", NULL);
	tap_is_str(got, want, "and not recorded");
	free(got);
	free(want);
	query_db("DROP TABLE IF EXISTS committed_early", NULL);
	free(bad);
	remove_dir(dir);
	free(dir);
}

/* Checks that a folder holding only `name` is refused with `expect`. */
static void
test_refused(const char *name, const char *expect, const char *what)
{
	char *dir = make_dir(), *cause = NULL;
	int rc;

	if (name != NULL)
		write_file(dir, name, "SELECT 1;\n");
	rc = migrate_in(dir, &cause);
	tap_ok(rc == -1 && contains(cause, expect) &&
	    (name == NULL || contains(cause, name)),
	    "%s is refused: %s", what, cause ? cause : "(none)");
	free(cause);
	remove_dir(dir);
	free(dir);
}

static void
test_names(void)
{
	char *dir, *cause = NULL;
	int rc;

	test_refused("01_short.sql", "NNN_name.sql", "a two-digit version");
	test_refused("001-dash.sql", "NNN_name.sql", "a '-' after the version");
	test_refused("001_Upper.sql", "NNN_name.sql", "an uppercase name");
	test_refused("001_x.txt", "NNN_name.sql", "another extension");
	test_refused("000_zero.sql", "NNN_name.sql", "version 0");
	test_refused("README", "NNN_name.sql", "a stray file");
	test_refused(NULL, "no migration", "an empty folder");

	dir = make_dir();
	write_file(dir, "001_a.sql", "SELECT 1;\n");
	write_file(dir, "0001_b.sql", "SELECT 1;\n");
	rc = migrate_in(dir, &cause);
	tap_ok(rc == -1 && contains(cause, "same version") &&
	    contains(cause, "001_a.sql") && contains(cause, "0001_b.sql"),
	    "a duplicate version is refused: %s", cause ? cause : "(none)");
	free(cause);
	remove_dir(dir);
	free(dir);

	rc = migrate_in("/nonexistent/migrations", &cause);
	tap_ok(rc == -1 && contains(cause, "/nonexistent/migrations"),
	    "a missing folder is refused: %s", cause ? cause : "(none)");
	free(cause);
}

static void
test_params(void)
{
	const char *evil = "'; DROP TABLE users; --";
	const char *p[3] = { "Evil@Example.com", evil, "$argon2id$x" };
	char *id, *got, *cause = NULL;
	PGresult *res;

	res = db_exec(&conf, "INSERT INTO users (email, name, password_hash) "
	    "VALUES ($1, $2, $3) RETURNING id", 3, p, &cause);
	tap_ok(res != NULL, "insert with SQL in a parameter%s%s",
	    cause ? ": " : "", cause ? cause : "");
	free(cause);
	cause = NULL;
	id = xstrdup(res != NULL ? PQgetvalue(res, 0, 0) : "0");
	PQclear(res);

	res = db_exec(&conf, "SELECT name FROM users WHERE id = $1", 1,
	    (const char *const *)&id, &cause);
	tap_is_str(res != NULL && PQntuples(res) == 1 ?
	    PQgetvalue(res, 0, 0) : NULL, evil, "stored literally");
	PQclear(res);
	free(cause);
	cause = NULL;
	got = exec1("SELECT to_regclass('users') IS NOT NULL", 0, &cause);
	tap_is_str(got, "t", "and the table is still there");
	free(got);
	free(cause);
	cause = NULL;

	p[0] = "evil@EXAMPLE.COM";
	res = db_exec(&conf, "INSERT INTO users (email, name, password_hash) "
	    "VALUES ($1, $2, $3)", 3, p, &cause);
	tap_ok(res == NULL && contains(cause, "23505"),
	    "an e-mail differing only in case is a duplicate: %s",
	    cause ? cause : "(accepted)");
	tap_is_str(db_last_sqlstate(), "23505", "db_last_sqlstate tells it");
	PQclear(res);
	free(cause);
	cause = NULL;

	res = db_exec(&conf, "INSERT INTO jobs (type, user_id) VALUES "
	    "('bogus', $1)", 1, (const char *const *)&id, &cause);
	/* jobs.type references job_types (migration 007). */
	tap_ok(res == NULL && strcmp(db_last_sqlstate(), "23503") == 0,
	    "a job type outside job_types is refused: %s",
	    cause ? cause : "(accepted)");
	PQclear(res);
	free(cause);
	cause = NULL;

	got = exec1("SELECT 1", 0, &cause);
	tap_is_str(db_last_sqlstate(), "", "a success clears it");
	free(got);
	free(cause);
	cause = NULL;

	/* updated_at follows updates; a user's sessions go with the user. */
	res = db_exec(&conf, "INSERT INTO jobs (type, user_id, created_at, "
	    "updated_at) VALUES ('report', $1, now() - interval '1 hour', "
	    "now() - interval '1 hour') RETURNING id", 1,
	    (const char *const *)&id, &cause);
	PQclear(res);
	free(cause);
	cause = NULL;
	got = exec1("UPDATE jobs SET status = 'running' RETURNING "
	    "updated_at > created_at + interval '30 minutes'", 0, &cause);
	tap_is_str(got, "t", "updating a job moves its updated_at");
	free(got);
	free(cause);
	cause = NULL;
	res = db_exec(&conf, "INSERT INTO sessions (token_hash, user_id, "
	    "expires_at) VALUES (sha256('token'), $1, now() + interval "
	    "'1 day')", 1, (const char *const *)&id, &cause);
	tap_ok(res != NULL, "a session row%s%s", cause ? ": " : "",
	    cause ? cause : "");
	PQclear(res);
	free(cause);
	cause = NULL;
	res = db_exec(&conf, "DELETE FROM users WHERE id = $1", 1,
	    (const char *const *)&id, &cause);
	PQclear(res);
	free(cause);
	cause = NULL;
	got = exec1("SELECT (SELECT count(*) FROM sessions) || ' ' || "
	    "(SELECT count(*) FROM jobs WHERE user_id IS NULL)", 0, &cause);
	tap_is_str(got, "0 1", "deleting a user removes its sessions and "
	    "keeps its jobs, without user");
	free(got);
	free(cause);
	free(id);
}

/* Kills the backend of the calling thread's connection from `admin`. */
static int
kill_backend(PGconn *admin)
{
	char *pid, *cause = NULL, *got;
	int ok;

	if ((pid = exec1("SELECT pg_backend_pid()", 0, &cause)) == NULL) {
		tap_diag("%s", cause);
		free(cause);
		return 0;
	}
	got = query1(admin, "SELECT pg_terminate_backend($1::int, 5000)", pid);
	ok = got != NULL && strcmp(got, "t") == 0;
	free(got);
	free(pid);
	return ok;
}

static void
test_reconnect(PGconn *admin)
{
	char *got, *pid, *cause = NULL;
	PGconn *conn;

	tap_ok(kill_backend(admin), "the thread's backend is terminated");
	got = exec1("SELECT 1", 0, &cause);
	tap_ok(got == NULL && contains(cause, "lost"),
	    "db_exec does not run a statement twice: %s",
	    cause ? cause : "(it succeeded)");
	free(got);
	free(cause);
	cause = NULL;
	got = exec1("SELECT 2", 0, &cause);
	tap_is_str(got, "2", "the next db_exec reconnects%s%s",
	    cause ? ": " : "", cause ? cause : "");
	free(got);
	free(cause);
	cause = NULL;

	pid = exec1("SELECT pg_backend_pid()", 0, &cause);
	free(cause);
	cause = NULL;
	tap_ok(kill_backend(admin), "the thread's backend is terminated again");
	got = exec1("SELECT pg_backend_pid()", 1, &cause);
	tap_ok(got != NULL && pid != NULL && strcmp(got, pid) != 0,
	    "db_exec_retry reconnects and succeeds (backend %s, was %s)%s%s",
	    got ? got : "-", pid ? pid : "-", cause ? ": " : "",
	    cause ? cause : "");
	free(got);
	free(pid);
	free(cause);
	cause = NULL;

	/* Inside a transaction the work before is gone: no retry. */
	got = exec1("BEGIN", 0, &cause);
	free(got);
	free(cause);
	cause = NULL;
	tap_ok(kill_backend(admin), "a backend in a transaction is terminated");
	got = exec1("SELECT 3", 1, &cause);
	tap_ok(got == NULL && contains(cause, "lost"),
	    "db_exec_retry does not retry inside a transaction: %s",
	    cause ? cause : "(it succeeded)");
	free(got);
	free(cause);
	cause = NULL;
	got = exec1("SELECT 4", 1, &cause);
	tap_is_str(got, "4", "then the connection is reset");
	free(got);
	free(cause);
	cause = NULL;

	got = exec1("BEGIN", 0, &cause);
	free(got);
	free(cause);
	cause = NULL;
	db_release();
	conn = db_conn(&conf, &cause);
	tap_ok(conn != NULL && PQtransactionStatus(conn) == PQTRANS_IDLE,
	    "db_release rolls back a transaction left open");
	free(cause);
}

static void
test_threads(PGconn *admin)
{
	struct pid_thread t[2];
	char *both, *got = NULL;
	int i;

	memset(t, 0, sizeof t);
	pthread_barrier_init(&both_connected, NULL, 2);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i].thread, NULL, pid_main, &t[i]);
	for (i = 0; i < 2; i++)
		pthread_join(t[i].thread, NULL);
	pthread_barrier_destroy(&both_connected);
	tap_ok(t[0].pid != NULL && t[1].pid != NULL &&
	    strcmp(t[0].pid, t[1].pid) != 0,
	    "two threads have two connections (backends %s and %s)",
	    t[0].pid ? t[0].pid : "-", t[1].pid ? t[1].pid : "-");

	/* Backends exit asynchronously: poll up to 5 s. */
	both = xasprintf("{%s,%s}", t[0].pid ? t[0].pid : "0",
	    t[1].pid ? t[1].pid : "0");
	for (i = 0; i < 500; i++) {
		free(got);
		got = query1(admin, "SELECT count(*) FROM pg_stat_activity "
		    "WHERE pid = ANY($1::int[])", both);
		if (got == NULL || strcmp(got, "0") == 0)
			break;
		usleep(10000);
	}
	tap_is_str(got, "0", "a thread's exit closes its connection");
	free(got);
	free(both);
	for (i = 0; i < 2; i++) {
		free(t[i].pid);
		free(t[i].cause);
	}
}

static void
test_ping_and_outage(void)
{
	struct unreachable u;
	pthread_t th;
	double ms = -1;
	char *cause = NULL;
	int rc;

	rc = db_ping(&conf, &ms, &cause);
	tap_ok(rc == 0 && ms > 0 && ms < 5000, "db_ping: %.3f ms%s%s", ms,
	    cause ? ": " : "", cause ? cause : "");
	free(cause);

	memset(&u, 0, sizeof u);
	pthread_create(&th, NULL, unreachable_main, &u);
	pthread_join(th, NULL);
	tap_ok(contains(u.cause1, "cannot connect"),
	    "an unreachable server fails: %s", u.cause1 ? u.cause1 : "(none)");
	tap_ok(contains(u.cause2, "next attempt") && u.second_us < 100000,
	    "then fails fast for a while (%lld us): %s",
	    (long long)u.second_us, u.cause2 ? u.cause2 : "(none)");
	tap_ok(u.ping_rc == -1 && u.ping_cause != NULL,
	    "db_ping fails: %s", u.ping_cause ? u.ping_cause : "(none)");
	tap_ok(u.parse_cause != NULL, "a malformed conninfo is refused: %s",
	    u.parse_cause ? u.parse_cause : "(none)");
	tap_ok(!contains(u.cause1, "s3cr3t") && !contains(u.cause2, "s3cr3t") &&
	    !contains(u.ping_cause, "s3cr3t") &&
	    !contains(u.parse_cause, "s3cr3t"),
	    "no cause shows the password");
	free(u.cause1);
	free(u.cause2);
	free(u.ping_cause);
	free(u.parse_cause);
}

/* Creates database `db` owned by the stack's role; the connection that
 * may drop it, or NULL. */
static PGconn *
create_db(const char *conninfo, const char *db)
{
	PGconn *conn, *admin;
	PGresult *res;
	char *user, *sql, *ident;

	if ((conn = connect_as(conninfo, NULL)) == NULL)
		return NULL;
	user = query1(conn, "SELECT current_user", NULL);
	sql = xasprintf("CREATE DATABASE %s", db);
	res = PQexec(conn, sql);
	free(sql);
	if (PQresultStatus(res) == PGRES_COMMAND_OK) {
		PQclear(res);
		free(user);
		return conn;
	}
	if (strcmp(db_sqlstate(res), "42501") != 0) {
		tap_diag("CREATE DATABASE: %s", PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(conn);
		free(user);
		return NULL;
	}
	PQclear(res);
	PQfinish(conn);
	if ((admin = connect_as(conninfo, "postgres")) == NULL) {
		free(user);
		return NULL;
	}
	ident = PQescapeIdentifier(admin, user, strlen(user));
	sql = xasprintf("CREATE DATABASE %s OWNER %s", db, ident);
	PQfreemem(ident);
	free(user);
	res = PQexec(admin, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		tap_diag("CREATE DATABASE as postgres: %s",
		    PQresultErrorMessage(res));
		PQclear(res);
		PQfinish(admin);
		return NULL;
	}
	PQclear(res);
	return admin;
}

int
main(void)
{
	const char *conninfo, *srcdir;
	char *db, *dir, **files, *sql;
	PGconn *admin;
	PGresult *res;
	int nfiles, i;

	conninfo = getenv("PFO3_PG_CONNINFO");
	if (conninfo == NULL || *conninfo == '\0') {
		printf("1..0 # SKIP no running stack (run ./stack test)\n");
		return 0;
	}
	if ((srcdir = getenv("PFO3_SRCDIR")) == NULL)
		srcdir = ".";
	log_init("t-migrate", 1, LOG_LVL_WARN);

	db = xasprintf("pfo3_mig_%ld", (long)getpid());
	if ((admin = create_db(conninfo, db)) == NULL) {
		printf("Bail out! cannot create database %s\n", db);
		return 1;
	}
	conf.conninfo = conninfo_with_db(conninfo, db);
	conf.connect_timeout = 5000;
	conf.statement_timeout = 10000;
	conf.migrations = "";
	if (conf.conninfo == NULL) {
		printf("Bail out! bad PFO3_PG_CONNINFO\n");
		return 1;
	}

	dir = xasprintf("%s/db/migrations", srcdir);
	files = list_sql(dir, &nfiles);
	tap_ok(nfiles > 0, "%d migrations in %s", nfiles, dir);

	test_folder(dir);
	test_concurrent(dir, files, nfiles);
	test_broken(dir, files, nfiles);
	test_names();
	test_params();
	test_reconnect(admin);
	test_threads(admin);
	test_ping_and_outage();

	db_close();
	sql = xasprintf("DROP DATABASE %s WITH (FORCE)", db);
	res = PQexec(admin, sql);
	tap_ok(PQresultStatus(res) == PGRES_COMMAND_OK, "dropped %s", db);
	PQclear(res);
	free(sql);
	PQfinish(admin);

	for (i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	free(dir);
	free(conf.conninfo);
	free(db);
	return tap_done();
}
