/*
 * migrate.h — brings the database schema up to date when a worker starts.
 *
 * A migration is a file NNN_name.sql of the migrations folder: three or
 * more digits (its version, at least 1), '_', a name of lowercase letters,
 * digits and '_', then ".sql".  Files whose name starts with '.' are
 * ignored; any other entry of the folder that is not such a file is an
 * error, as are two files with one version ("001_a.sql", "0001_b.sql"):
 * a misnamed migration must not be skipped silently.
 *
 * The folder, first match wins:
 *   1. $PFO3_MIGRATIONS when set and not empty: an override for tests and
 *      development (the source tree's db/migrations);
 *   2. postgres.migrations when not empty;
 *   3. PKGDATADIR "/migrations", where `make install` puts them.
 *
 * The versions applied are rows of schema_migrations.  Each missing
 * migration runs in its own transaction together with the insertion of its
 * row, in version order, so one either applied whole and is recorded or
 * left no trace.  A session advisory lock makes workers that start together
 * take turns: the first applies, the others then find nothing to do.
 * Versions recorded but absent from the folder (a newer release ran) are
 * logged and left alone.
 *
 * The migration session has no statement timeout: a migration may rewrite
 * a large table, and waiting for the lock lasts as long as another
 * worker's migration.
 */
#ifndef PFO3_MIGRATE_H
#define PFO3_MIGRATE_H

#include "conf.h"

/* The folder migrate_run reads for `c`, per the precedence above. */
const char *migrate_folder(const struct conf_postgres *c);

/*
 * Applies the missing migrations of migrate_folder(c) on a connection of
 * its own, logging each one applied.  Returns 0 when the schema is up to
 * date; -1 and *cause otherwise: a bad folder (missing, empty, malformed or
 * duplicate names), no connection, or a migration that failed, named with
 * the server's error (that migration was rolled back; earlier ones of the
 * same run stay applied).
 */
int	migrate_run(const struct conf_postgres *c, char **cause);

#endif
