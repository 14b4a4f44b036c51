/*
 * migrate.c — see migrate.h.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "log.h"
#include "migrate.h"
#include "xmalloc.h"

/*
 * The advisory lock every pfo3 process takes to migrate: the bytes of
 * "pfo3migr", so it cannot collide with small keys another application
 * of the same database might use.
 */
#define MIGRATE_LOCK_KEY	"8099283246542055282"
/* A migration file larger than this is a mistake, not a schema change. */
#define MIGRATE_MAX_SIZE	(16 * 1024 * 1024)
#define MIGRATE_MAX_VERSION	999999999

struct migration {
	int	 version;
	char	*file;		/* "001_init.sql" */
	char	*name;		/* "init" */
};

struct migration_set {
	struct migration *list;
	size_t		 n;
};

const char *
migrate_folder(const struct conf_postgres *c)
{
	const char *env;

	if ((env = getenv("PFO3_MIGRATIONS")) != NULL && *env != '\0')
		return env;
	if (c->migrations != NULL && *c->migrations != '\0')
		return c->migrations;
	return PKGDATADIR "/migrations";
}

static void
migrate_set_free(struct migration_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free(set->list[i].file);
		free(set->list[i].name);
	}
	free(set->list);
	set->list = NULL;
	set->n = 0;
}

/*
 * Accepts a directory entry's name; returns 0 with the version and name
 * of a well-formed NNN_name.sql, -1 otherwise.
 */
static int
migrate_parse_name(const char *file, int *version, char **name)
{
	const char *p = file, *start;
	long v = 0;
	size_t digits = 0, len;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (++digits > 9)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (digits < 3 || v < 1 || *p++ != '_')
		return -1;
	start = p;
	for (; (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
	    *p == '_'; p++)
		;
	len = (size_t)(p - start);
	if (len == 0 || strcmp(p, ".sql") != 0)
		return -1;
	*version = (int)v;
	*name = xstrndup(start, len);
	return 0;
}

static int
migrate_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

/*
 * Accepts a folder path; fills `set` with its migrations sorted by
 * version.  -1 and *cause for a folder that cannot be read, is empty, or
 * holds a malformed name or a duplicate version.
 */
static int
migrate_list(const char *dir, struct migration_set *set, char **cause)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	struct migration *m;
	size_t alloc = 0, i;
	int version;
	char *name;

	set->list = NULL;
	set->n = 0;
	if ((d = opendir(dir)) == NULL) {
		*cause = xasprintf("migrations folder %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (migrate_parse_name(de->d_name, &version, &name) == -1) {
			*cause = xasprintf("migrations folder %s: '%s' is not "
			    "a migration name: expected NNN_name.sql (3 to 9 "
			    "digits, not all zero, '_', then lowercase "
			    "letters, digits or '_')", dir, de->d_name);
			goto fail;
		}
		if (fstatat(dirfd(d), de->d_name, &sb, 0) == -1 ||
		    !S_ISREG(sb.st_mode)) {
			*cause = xasprintf("migrations folder %s: '%s' is not "
			    "a regular file", dir, de->d_name);
			free(name);
			goto fail;
		}
		if (set->n == alloc) {
			alloc = alloc == 0 ? 16 : alloc * 2;
			set->list = xreallocarray(set->list, alloc,
			    sizeof *set->list);
		}
		m = &set->list[set->n++];
		m->version = version;
		m->name = name;
		m->file = xstrdup(de->d_name);
	}
	closedir(d);
	d = NULL;
	if (set->n == 0) {
		*cause = xasprintf("migrations folder %s holds no migration "
		    "(NNN_name.sql)", dir);
		return -1;
	}
	qsort(set->list, set->n, sizeof *set->list, migrate_cmp);
	for (i = 1; i < set->n; i++) {
		if (set->list[i].version == set->list[i - 1].version) {
			*cause = xasprintf("migrations folder %s: '%s' and "
			    "'%s' have the same version %d", dir,
			    set->list[i - 1].file, set->list[i].file,
			    set->list[i].version);
			goto fail;
		}
	}
	return 0;

fail:
	if (d != NULL)
		closedir(d);
	migrate_set_free(set);
	return -1;
}

/* Accepts a file path; its whole text, or NULL and *cause. */
static char *
migrate_read(const char *path, char **cause)
{
	struct stat sb;
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) == -1) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (sb.st_size > MIGRATE_MAX_SIZE) {
		*cause = xasprintf("%s: larger than %d bytes", path,
		    MIGRATE_MAX_SIZE);
		close(fd);
		return NULL;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (got < (size_t)sb.st_size) {
		n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			*cause = xasprintf("%s: %s", path, n == 0 ?
			    "file shrank while read" : strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	/* libpq takes C strings: a NUL would silently cut the file. */
	if (memchr(buf, '\0', got) != NULL) {
		*cause = xasprintf("%s: holds a NUL byte", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * Accepts a migration's text and a 1-based character position in it, as
 * the server reports errors; returns the line of that character.
 */
static int
migrate_line_of(const char *sql, long position)
{
	const unsigned char *p = (const unsigned char *)sql;
	long chars = 0;
	int line = 1;

	for (; *p != '\0'; p++) {
		if ((*p & 0xc0) == 0x80)
			continue;	/* UTF-8 continuation: same character */
		if (++chars >= position)
			break;
		if (*p == '\n')
			line++;
	}
	return line;
}

/* The cause of a failed statement: server message, SQLSTATE, line. */
static char *
migrate_error(PGconn *conn, const PGresult *res, const char *sql)
{
	const char *msg, *state, *pos;
	char *line, *cause, *where = NULL;
	size_t len;

	msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	state = db_sqlstate(res);
	pos = res != NULL ?
	    PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	if (sql != NULL && pos != NULL)
		where = xasprintf("line %d: ",
		    migrate_line_of(sql, strtol(pos, NULL, 10)));
	if (msg != NULL && *state != '\0') {
		cause = xasprintf("%s%s (SQLSTATE %s)", where ? where : "",
		    msg, state);
		free(where);
		return cause;
	}
	free(where);
	line = xstrdup(res != NULL && *PQresultErrorMessage(res) != '\0' ?
	    PQresultErrorMessage(res) : PQerrorMessage(conn));
	len = strlen(line);
	while (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (*line == '\0' && res != NULL) {
		free(line);
		line = xasprintf("unexpected result %s",
		    PQresStatus(PQresultStatus(res)));
	}
	return line;
}

/* Runs `sql` (no parameters); 0 when it succeeded, -1 and *cause. */
static int
migrate_exec(PGconn *conn, const char *sql, char **cause)
{
	PGresult *res;
	ExecStatusType st;
	char *err;

	res = PQexec(conn, sql);
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(res);
		return 0;
	}
	err = migrate_error(conn, res, NULL);
	*cause = xasprintf("%s: %s", sql, err);
	free(err);
	PQclear(res);
	return -1;
}

/* Leaves the transaction a failed migration opened; logs a failure. */
static void
migrate_rollback(PGconn *conn)
{
	PGresult *res;

	if (PQtransactionStatus(conn) == PQTRANS_IDLE ||
	    PQstatus(conn) != CONNECTION_OK)
		return;
	res = PQexec(conn, "ROLLBACK");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_warnx("ROLLBACK of a failed migration failed: %s",
		    PQerrorMessage(conn));
	PQclear(res);
}

/*
 * Applies migration `m` of `dir` in one transaction with its row in
 * schema_migrations.  -1 and *cause naming the file on failure, after
 * rolling it back.
 */
static int
migrate_apply(PGconn *conn, const char *dir, const struct migration *m,
    char **cause)
{
	PGresult *res;
	ExecStatusType st;
	const char *params[2];
	char *path, *sql, *err = NULL, version[16];
	int64_t start = clock_mono_ms();

	path = xasprintf("%s/%s", dir, m->file);
	if ((sql = migrate_read(path, &err)) == NULL) {
		*cause = xasprintf("migration %s", err);
		goto fail;
	}
	if (migrate_exec(conn, "BEGIN", &err) == -1) {
		*cause = xasprintf("migration %s: %s", path, err);
		goto fail;
	}
	/* PQexec, not PQexecParams: a file holds several statements. */
	res = PQexec(conn, sql);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
	    st != PGRES_EMPTY_QUERY) {
		err = migrate_error(conn, res, sql);
		*cause = xasprintf("migration %s failed, rolled back: %s",
		    path, err);
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	/* A COMMIT in the file would make the rest of it unrecorded. */
	if (PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		*cause = xasprintf("migration %s ended the transaction itself "
		    "(COMMIT or ROLLBACK in the file): a migration must not "
		    "control transactions; check the schema by hand", path);
		goto fail;
	}
	snprintf(version, sizeof version, "%d", m->version);
	params[0] = version;
	params[1] = m->name;
	res = PQexecParams(conn, "INSERT INTO schema_migrations "
	    "(version, name, applied_at) VALUES ($1, $2, now())", 2, NULL,
	    params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		err = migrate_error(conn, res, NULL);
		*cause = xasprintf("migration %s: recording it failed, rolled "
		    "back: %s", path, err);
		PQclear(res);
		goto fail;
	}
	PQclear(res);
	if (migrate_exec(conn, "COMMIT", &err) == -1) {
		*cause = xasprintf("migration %s failed at COMMIT: %s", path,
		    err);
		goto fail;
	}
	log_info("applied migration %s (%lld ms)", m->file,
	    (long long)(clock_mono_ms() - start));
	free(sql);
	free(path);
	return 0;

fail:
	migrate_rollback(conn);
	free(err);
	free(sql);
	free(path);
	return -1;
}

/*
 * Accepts the rows of schema_migrations; true when `m` is among them.
 * A recorded name that differs (a renamed file) is logged, not fatal:
 * the version is what identifies a migration.
 */
static int
migrate_is_applied(const PGresult *rows, const struct migration *m)
{
	int i;

	for (i = 0; i < PQntuples(rows); i++) {
		if (atoi(PQgetvalue(rows, i, 0)) != m->version)
			continue;
		if (strcmp(PQgetvalue(rows, i, 1), m->name) != 0)
			log_warnx("migration %s was applied as '%s'", m->file,
			    PQgetvalue(rows, i, 1));
		return 1;
	}
	return 0;
}

/* Logs the recorded versions that the folder does not have. */
static void
migrate_warn_unknown(const PGresult *rows, const struct migration_set *set,
    const char *dir)
{
	size_t j;
	int i, v;

	for (i = 0; i < PQntuples(rows); i++) {
		v = atoi(PQgetvalue(rows, i, 0));
		for (j = 0; j < set->n; j++) {
			if (set->list[j].version == v)
				break;
		}
		if (j == set->n)
			log_warnx("migration %d (%s) is applied but not in %s: "
			    "a newer release ran on this database", v,
			    PQgetvalue(rows, i, 1), dir);
	}
}

/* Takes the migration lock, saying so when another process holds it. */
static int
migrate_lock(PGconn *conn, char **cause)
{
	PGresult *res;
	int got;

	res = PQexec(conn, "SELECT pg_try_advisory_lock(" MIGRATE_LOCK_KEY ")");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		*cause = migrate_error(conn, res, NULL);
		PQclear(res);
		return -1;
	}
	got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (got)
		return 0;
	log_info("another process is migrating the database: waiting");
	return migrate_exec(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY
	    ")", cause);
}

int
migrate_run(const struct conf_postgres *c, char **cause)
{
	struct conf_postgres mc = *c;
	struct migration_set set;
	const char *dir = migrate_folder(c);
	PGconn *conn;
	PGresult *rows = NULL;
	char *err = NULL;
	size_t i;
	int applied = 0, locked = 0;

	if (migrate_list(dir, &set, cause) == -1)
		return -1;
	mc.statement_timeout = 0;	/* see migrate.h */
	if ((conn = db_connect(&mc, &err)) == NULL) {
		*cause = xasprintf("migrations: %s", err);
		free(err);
		migrate_set_free(&set);
		return -1;
	}
	if (migrate_lock(conn, &err) == -1)
		goto fail;
	locked = 1;
	if (migrate_exec(conn, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version int PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())", &err) == -1)
		goto fail;
	rows = PQexec(conn, "SELECT version, name FROM schema_migrations "
	    "ORDER BY version");
	if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
		err = migrate_error(conn, rows, NULL);
		goto fail;
	}
	migrate_warn_unknown(rows, &set, dir);
	for (i = 0; i < set.n; i++) {
		if (migrate_is_applied(rows, &set.list[i]))
			continue;
		if (migrate_apply(conn, dir, &set.list[i], cause) == -1)
			goto fail_cause;
		applied++;
	}
	if (applied == 0)
		log_debug("database schema up to date (%zu migrations in %s)",
		    set.n, dir);
	if (migrate_exec(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY
	    ")", &err) == -1)
		goto fail;
	PQclear(rows);
	PQfinish(conn);
	migrate_set_free(&set);
	return 0;

fail:
	*cause = xasprintf("migrations: %s", err);
	free(err);
fail_cause:
	/* Closing the session also releases the lock; unlock anyway, so a
	 * pooled or proxied session cannot keep it. */
	if (locked && PQstatus(conn) == CONNECTION_OK) {
		migrate_rollback(conn);
		PQclear(PQexec(conn, "SELECT pg_advisory_unlock("
		    MIGRATE_LOCK_KEY ")"));
	}
	PQclear(rows);
	PQfinish(conn);
	migrate_set_free(&set);
	return -1;
}
