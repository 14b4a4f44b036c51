#!/usr/bin/env python3
"""t-stack-private-parent.py — `./stack up` from a clone whose parent
folder is private (root's 0700 home, any `mktemp -d`): the stack's own
PostgreSQL module must start its cluster there all the same.

Run as root, PostgreSQL runs as the user `postgres`, which cannot search a
0700 folder of root's; the cluster then lives under
/var/lib/pfo3-stack/<hash>/pg and RUN_DIR/pg links to it (postgres.sh,
pg_dir).  This test makes such a clone's state folder inside a fresh 0700
folder and drives the real module (state_init, pg_start, pg_dir, pg_stop)
against the real postgres user and the kernel's folder permissions; it
needs nothing of the test stack.  Run by another user, the cluster runs as
that user, who can search its own folder: the cluster stays in RUN_DIR/pg.
"""

import os
import re
import shutil
import subprocess

from scratch import free_port, tmpdir
from stackenv import srcdir
from tap import diag, is_, ok, run

# The stack's modules, loaded as ./stack loads them, then one step.
DRIVER = r'''
set -euo pipefail
SRCDIR=$1 RUN_DIR=$2 PFO3_PG_PORT=$3
for m in lib ports components postgres; do
	. "$SRCDIR/build-aux/stack/$m.sh"
done
ports_defaults
case $4 in
start)	state_init; pg_start; pg_dir ;;
dir)	pg_dir ;;
stop)	pg_stop ;;
esac
'''

AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres",
               "--init-groups"]
# Where pg_dir keeps a cluster its owner could not reach in RUN_DIR.
OUTSIDE_RE = re.compile(r"^/var/lib/pfo3-stack/[0-9a-f]{16}/pg$")


def stack_step(run_dir, port, step):
    return subprocess.run(["bash", "-c", DRIVER, "driver", srcdir(),
                           run_dir, str(port), step],
                          capture_output=True, text=True, timeout=120)


def postgres_can_enter(path):
    return subprocess.run(AS_POSTGRES + ["test", "-x", path]).returncode == 0


def main():
    root = os.geteuid() == 0
    # A scratch folder is 0700, as `mktemp -d` and root's home are.
    parent = tmpdir()
    run_dir = os.path.join(parent, "pfo3", "run")
    port = free_port()
    where = None
    try:
        is_(oct(os.stat(parent).st_mode & 0o777), "0o700",
            "the clone's parent folder is private (0700)")
        if root:
            ok(not postgres_can_enter(parent),
               "user postgres cannot search it (the case that failed)")
        else:
            ok(os.access(parent, os.X_OK),
               "its owner, who runs the cluster here, can search it")

        r = stack_step(run_dir, port, "start")
        ok(r.returncode == 0, "the stack's PostgreSQL starts in the clone",
           lambda: r.stderr[-3000:])
        where = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        diag("cluster folder: %s" % where)
        link = os.path.join(run_dir, "pg")
        if root:
            ok(OUTSIDE_RE.match(where) is not None,
               "the cluster lives in /var/lib/pfo3-stack/<hash>/pg, "
               "outside the private folder", where)
            ok(os.path.islink(link) and os.path.realpath(link) == where,
               "RUN_DIR/pg links to it")
            ok(postgres_can_enter(os.path.join(where, "data")),
               "user postgres can enter the cluster's data folder")
        else:
            is_(where, link, "the cluster stays in RUN_DIR/pg")
            ok(not os.path.islink(link), "RUN_DIR/pg is a folder")
            ok(os.path.isdir(os.path.join(where, "data")),
               "its data folder exists")

        # Through RUN_DIR's path, as every other module reaches it.
        q = subprocess.run(["psql", "-X", "-At", "-h",
                            os.path.join(link, "sock"), "-p", str(port),
                            "-U", "postgres", "-d", "pfo3", "-c",
                            "SELECT current_database()"],
                           capture_output=True, text=True, timeout=30)
        is_(q.stdout.strip(), "pfo3",
            "the server answers on the socket under RUN_DIR/pg, "
            "database pfo3 made")

        again = stack_step(run_dir, port, "dir")
        is_(again.stdout.strip(), where,
            "a second start finds the same cluster")

        s = stack_step(run_dir, port, "stop")
        ok(s.returncode == 0 and
           not os.path.exists(os.path.join(where, "data", "postmaster.pid")),
           "the stack stops it", lambda: s.stderr[-2000:])
    finally:
        stack_step(run_dir, port, "stop")
        # The cluster kept outside the clone goes with it (only a folder
        # of pg_dir's own shape is ever removed here).
        if where and OUTSIDE_RE.match(where):
            shutil.rmtree(os.path.dirname(where), ignore_errors=True)


run(main)
