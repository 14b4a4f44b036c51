#!/usr/bin/python3
"""
t-job-types: the job types are declared once (common/job-types.c) and the
rest follows them.

On the stack: the database's job_types rows, the types each worker reports
in its stats, and the job queues pfo3-ctld reports (those pfo3-console
shows) name the same types.  The database refuses a job of an unknown
type.

On a database of its own: `pfo3-workerd --migrate` makes job_types with
every type of the program.  With one type's row deleted, --migrate fails
with a message naming that type and job_types; with a row the program does
not know (a newer release ran), it succeeds and logs it.
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from psql import psql  # noqa: E402
from stackenv import stack  # noqa: E402
from tap import diag, is_, like, ok, run  # noqa: E402
from wait import poll  # noqa: E402
from workers import run_workerd  # noqa: E402

QUEUE_PREFIX = "pfo3.jobs."
DEAD_QUEUE = "pfo3.jobs.dead"


def psql_on(conninfo, sql):
    p = subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1",
                        "-d", conninfo, "-c", sql],
                       stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("psql: %s" % p.stderr.strip())
    return p.stdout.strip()


def migrate(st, conninfo):
    return run_workerd(st, ["-c", os.environ["PFO3_CONF"], "-o",
                            "postgres.conninfo=" + conninfo, "--migrate"],
                       timeout=60)


def ctld_queues():
    """The job queue names pfo3-ctld reports, or None without a ctld."""
    path = os.environ.get("PFO3_SOCKET_RO")
    if not path:
        return None
    from ctldtest import status

    def names():
        qs = status().get("queues") or []
        return [q["name"] for q in qs] or None
    return poll(names, 30, 0.5)


def on_stack(st):
    rows = sorted(psql("SELECT name FROM job_types").split("\n"))
    diag("job_types rows: %r" % rows)
    ok(len(rows) >= 3 and all(rows), "job_types has the types")
    for w in st.workers:
        is_(sorted(w.stats()["jobs"]["types"].keys()), rows,
            "worker %s reports exactly the types of job_types" % w.id)
    queues = ctld_queues()
    if queues is not None:
        is_(sorted(q for q in queues if q != DEAD_QUEUE),
            sorted(QUEUE_PREFIX + r for r in rows),
            "ctld reports one queue per type (the console's queue list)")
    else:
        ok(False, "ctld reports the queues (no PFO3_SOCKET_RO)")
    try:
        psql("INSERT INTO jobs (type) VALUES ('no_such_type')")
        ok(False, "the database refuses a job of an unknown type")
    except RuntimeError as e:
        like(str(e), r"job_types|foreign key",
             "the database refuses a job of an unknown type")


def on_own_database(st):
    db = "pfo3_job_types_%d" % os.getpid()
    base = os.environ["PFO3_PG_CONNINFO"]
    conninfo = "%s dbname=%s" % (base, db)
    psql("CREATE DATABASE %s" % db)
    try:
        rc, out, err = migrate(st, conninfo)
        is_(rc, 0, "--migrate on an empty database succeeds")
        if rc != 0:
            diag(err[-2000:])
        types = sorted(psql_on(conninfo, "SELECT name FROM job_types")
                       .split("\n"))
        is_(types, sorted(st.workers[0].stats()["jobs"]["types"].keys()),
            "it makes job_types with the program's types")

        psql_on(conninfo, "DELETE FROM job_types WHERE name = 'task'")
        rc, out, err = migrate(st, conninfo)
        is_(rc, 1, "--migrate with a type's row missing fails")
        like(out + err, r"job type 'task'.*job_types",
             "its error names the type and job_types")

        psql_on(conninfo, "INSERT INTO job_types VALUES ('task'), "
                "('from_the_future')")
        rc, out, err = migrate(st, conninfo)
        is_(rc, 0, "--migrate with a type the program does not know "
            "succeeds")
        like(out + err, r"job type 'from_the_future' is in the database",
             "and logs that type")
    finally:
        psql("DROP DATABASE IF EXISTS %s" % db)


def main():
    st = stack()
    on_stack(st)
    on_own_database(st)


run(main)
