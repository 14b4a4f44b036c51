# shellcheck shell=bash
# postgres.sh: a private PostgreSQL 15 cluster in RUN_DIR/pg, database and
# role `pfo3`. Over TCP (127.0.0.1 only) every role needs a password
# (scram-sha-256): pfo3's is generated once into RUN_DIR/pg/pgpass (0600),
# which the conninfo names (passfile=), so the password is in no command
# line, environment or config file. The superuser has no password: it
# connects only through the Unix socket, in RUN_DIR/pg/sock (0700), which
# nobody but the cluster's owner (and root) can enter.

# pg_bindir: the server binaries (not on PATH in Debian).
pg_bindir()
{
	local d
	for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
		[[ -x $d/postgres ]] && { printf '%s' "$d"; return 0; }
	done
	die "PostgreSQL server binaries not found under /usr/lib/postgresql"
}

# pg_owner: sets PG_OWNER to the command prefix that runs a program as the
# cluster owner. initdb and postgres refuse root, so root runs them as
# `postgres`; setpriv execs, so a spawned server keeps the pid spawn saw.
pg_owner()
{
	PG_OWNER=()
	((EUID == 0)) && PG_OWNER=(setpriv --reuid=postgres --regid=postgres --init-groups)
	return 0
}

# pg_dir: the cluster's folder, RUN_DIR/pg.  The postgres user must reach
# it; under a parent it cannot search (a clone in root's 0700 home) the
# cluster lives in /var/lib/pfo3-stack/<hash of RUN_DIR>/pg instead, and
# RUN_DIR/pg is a link to it, so every path through RUN_DIR still works
# for root and people.
pg_dir()
{
	local link=$RUN_DIR/pg alt
	if [[ -L $link ]]; then
		readlink -f "$link"
		return 0
	fi
	mkdir -p "$RUN_DIR"
	if ((EUID != 0)) || setpriv --reuid=postgres --regid=postgres \
		--init-groups test -x "$RUN_DIR" 2>/dev/null; then
		printf '%s' "$link"
		return 0
	fi
	[[ -e $link/data/PG_VERSION ]] &&
		die "user postgres cannot enter $link: a parent folder is not searchable (chmod o+x it, or set PFO3_RUN_DIR)"
	rm -rf "$link"
	alt=/var/lib/pfo3-stack/$(printf '%s' "$RUN_DIR" | sha256sum | cut -c1-16)
	mkdir -p "$alt/pg"
	chmod 755 /var/lib/pfo3-stack "$alt"
	ln -s "$alt/pg" "$link"
	printf '%s' "$alt/pg"
}

# pg_conninfo: the libpq connection string of the application database.
pg_conninfo()
{
	printf 'host=127.0.0.1 port=%s dbname=pfo3 user=pfo3 passfile=%s' \
		"$PFO3_PG_PORT" "$(pg_conninfo_quote "$(pg_passfile)")"
}

# pg_conninfo_quote VALUE: VALUE as a conninfo value, quoted only when it
# needs to be (so the string stays readable in `./stack up`).
pg_conninfo_quote()
{
	local v=$1
	if [[ $v =~ ^[A-Za-z0-9_./-]+$ ]]; then
		printf '%s' "$v"
		return 0
	fi
	v=${v//\\/\\\\}
	printf "'%s'" "${v//\'/\\\'}"
}

# pg_passfile: the password file of role pfo3 (libpq's .pgpass format).
pg_passfile()
{
	printf '%s/pgpass' "$(pg_dir)"
}

# pg_password: prints pfo3's password, generating it (and the password
# file, 0600) the first time.
pg_password()
{
	local f pw
	f=$(pg_passfile)
	if [[ ! -s $f ]]; then
		mkdir -p "${f%/*}"
		pw=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
		if ! (umask 077 && printf '*:*:*:pfo3:%s\n' "$pw" >"$f.tmp" &&
			mv "$f.tmp" "$f"); then
			die "postgres: cannot write $f"
		fi
	fi
	cut -d: -f5 "$f"
}

# pg_hba_write: who may connect how, written at every start so a cluster
# made by an older stack (trust for everyone) gets it too.
pg_hba_write()
{
	local f
	f=$(pg_dir)/data/pg_hba.conf
	cat >"$f.tmp" <<-'EOF'
	# Written by ./stack (build-aux/stack/postgres.sh) at every start.
	# The socket's directory is 0700: only the cluster's owner (and root)
	# reach it, so it needs no password.
	local	all	all			trust
	# TCP: passwords (SCRAM) for every role; the superuser has none.
	host	all	all	127.0.0.1/32	scram-sha-256
	host	all	all	::1/128		scram-sha-256
	EOF
	chmod 600 "$f.tmp"
	((EUID == 0)) && chown postgres: "$f.tmp"
	mv "$f.tmp" "$f"
}

# pg_init: creates the cluster once.
pg_init()
{
	local dir bin
	dir=$(pg_dir)
	bin=$(pg_bindir)
	mkdir -p "$dir/data" "$dir/sock"
	[[ -f $dir/data/PG_VERSION ]] && return 0
	if ((EUID == 0)); then
		chown postgres: "$dir" "$dir/data" "$dir/sock"
		setpriv --reuid=postgres --regid=postgres --init-groups test -x "$dir" ||
			die "user postgres cannot enter $dir: a parent folder is not searchable (chmod o+x it, or set PFO3_RUN_DIR)"
	fi
	chmod 700 "$dir/data" "$dir/sock"
	say "postgres: initdb in $dir/data"
	pg_owner
	("${PG_OWNER[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
		--auth-host=scram-sha-256 --no-sync \
		-E UTF8 --locale=C.UTF-8) >>"$(log_file postgres)" 2>&1 ||
		{ log_tail postgres; die "initdb failed"; }
}

# pg_start: starts the server and makes sure the role and database exist.
pg_start()
{
	local pid bin dir
	dir=$(pg_dir)
	if pid=$(pid_get postgres); then
		say "postgres already running (pid $pid, port $PFO3_PG_PORT)"
		return 0
	fi
	ports_check_free postgres "$PFO3_PG_PORT"
	mkdir -p "$RUN_DIR/log"
	pg_init
	bin=$(pg_bindir)
	# A test cluster is thrown away: skip the disk flushes.
	local extra=()
	[[ ${STACK_EPHEMERAL:-0} == 1 ]] &&
		extra=(-c fsync=off -c synchronous_commit=off -c full_page_writes=off)
	pg_adopt_or_clear && return 0
	pg_hba_write
	chmod 700 "$dir/sock"
	pg_owner
	spawn postgres "${PG_OWNER[@]}" "$bin/postgres" -D "$dir/data" -p "$PFO3_PG_PORT" \
		-k "$dir/sock" -c unix_socket_permissions=0700 \
		-c listen_addresses=127.0.0.1 "${extra[@]}"
	pid=$SPAWNED_PID
	wait_for postgres "$pid" 30 "readiness on port $PFO3_PG_PORT" \
		"$bin/pg_isready" -q -h 127.0.0.1 -p "$PFO3_PG_PORT" -U postgres
	pg_ensure_db
	say "postgres ready (pid $pid, port $PFO3_PG_PORT)"
}

# pg_adopt_or_clear: a postmaster.pid left behind names either a server of
# this cluster still running without our pid file (take it back) or a dead
# one (remove the file: its pid may have been reused and block the start).
pg_adopt_or_clear()
{
	local f pid
	f=$(pg_dir)/data/postmaster.pid
	[[ -f $f ]] || return 1
	pid=$(read_pid "$f")
	if pid_is postgres "$pid"; then
		pid_save postgres "$pid"
		say "postgres already running (pid $pid, found from postmaster.pid)"
		return 0
	fi
	rm -f "$f"
	return 1
}

# pg_psql SQL: one statement as the superuser, through the private socket;
# prints the result unaligned. SQL "-" reads it from stdin (for secrets,
# which a command line would show to every local user).
pg_psql()
{
	local sql=(-c "$1")
	[[ $1 == - ]] && sql=(-f -)
	psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$(pg_dir)/sock" -p "$PFO3_PG_PORT" \
		-U postgres -d postgres "${sql[@]}"
}

# pg_ensure_db: the role pfo3 with its password and its database pfo3
# (CREATE DATABASE must be a statement of its own). CREATEDB lets the tests
# make scratch databases without the superuser, which has no TCP access.
pg_ensure_db()
{
	local pw
	pw=$(pg_password)
	if [[ -z $(pg_psql "SELECT 1 FROM pg_roles WHERE rolname = 'pfo3'") ]]; then
		pg_psql "CREATE ROLE pfo3 LOGIN" >/dev/null || die "postgres: cannot create role pfo3"
	fi
	# The server stores only the SCRAM verifier (password_encryption).
	printf "ALTER ROLE pfo3 LOGIN CREATEDB PASSWORD '%s';\n" "$pw" |
		pg_psql - >/dev/null || die "postgres: cannot set the password of role pfo3"
	if [[ -z $(pg_psql "SELECT 1 FROM pg_database WHERE datname = 'pfo3'") ]]; then
		pg_psql "CREATE DATABASE pfo3 OWNER pfo3" >/dev/null ||
			die "postgres: cannot create database pfo3"
	fi
}

# pg_stop: fast shutdown (SIGINT): rolls back open transactions and exits.
pg_stop()
{
	pid_stop postgres INT 30
}

# pg_status: one status line.
pg_status()
{
	status_line postgres "$PFO3_PG_PORT"
}
