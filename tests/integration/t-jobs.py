#!/usr/bin/python3
"""
t-jobs: asynchronous seed tasks as background jobs, through HAProxy.

POST /api/v1/tasks with "async": true answers 202 with the job's id and a
Location; GET /api/v1/jobs/N shows the job until it is done, with the
seed's reply as its result (a division by zero is a done job whose result
says "estado": "error").  The jobs are spread over the consumers of every
worker of the stack.  Async tasks and job reads need a token (the tasks
here are a user's of this test); missing and malformed job ids are 404; a
job is shown to its owner's token alone.

Delivery is at least once: a duplicate message for a finished job is
acknowledged and skipped, without running it again; a message that is not
a job, or names no job, is dead-lettered.  The messages are published by a
small AMQP 0-9-1 client of this test (the stack has no management API).

A broker outage on the accepting side: a private worker whose broker URL
is wrong accepts an async task (202: the row is committed) but cannot
publish it; a stack worker's sweeper publishes the row, and a stack worker
runs it.  Nothing of the shared broker is stopped.

A database outage during a job: with the stack's workers drained (a
drained worker stops consuming, and consumes again once resumed) a private
worker runs a sleep job; its database sessions are terminated while the
job sleeps, so the job cannot record its end.  The message goes back to
the queue instead of being lost or failed, comes again, and the job is
done on a second attempt.  Only the private worker's sessions are touched.

Held consumers (control socket `jobs.hold`): with every worker of the stack
held, none consumes, HTTP still accepts an async task, and its job stays
queued; once released, the workers consume again and run it.
"""
import os
import re
import secrets
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from amqppub import amqp_publish
from api import bearer, new_user
from haproxy import wait_settled
from httpc import get, http
from metrics import metric, parse_metrics
from psql import psql
from stackenv import drain_jobs, resume_jobs, stack
from tap import cmp_ok, diag, is_, ok, run
from wait import poll
from workers import PrivateWorker, retire

OK_KEYS = ["id", "operacion", "resultado", "estado", "worker"]
ERR_KEYS = ["id", "operacion", "estado", "error", "worker"]
JOB_KEYS = ["id", "type", "status", "attempts", "worker", "error", "result",
            "created_at", "updated_at"]
ISO_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
DONE_TIMEOUT = 30.0     # seconds for a job to finish
SWEEP_TIMEOUT = 40.0    # a sweep interval (5 s), its grace, and the run

# (operacion, datos, the expected resultado, or None for a refusal)
TASKS = [
    ("suma", {"a": 25, "b": 17}, 42),
    ("potencia", {"base": 10.0, "exponente": 300}, 1e300),
    ("multiplicacion", {"a": 6, "b": 7}, 42),
    ("factorial", {"n": 25}, "15511210043330985984000000"),
    ("division", {"a": 1, "b": 0}, None),
    ("sleep", {"segundos": 0.2}, 0.2),
    ("primo", {"n": 97}, True),
    ("fibonacci", {"n": 10}, 55),
    ("mayusculas", {"texto": "ñandú"}, "ÑANDÚ"),
]


# The Authorization header of this test's user (main sets it).
AUTH = []


# ------------------------------------------------------------ helpers

def submit(addr, operacion, datos):
    return http(addr, "POST", "/api/v1/tasks",
                {"operacion": operacion, "datos": datos, "async": True},
                AUTH)


def job_get(addr, jid, headers=None):
    """GET of a job, as this test's user unless `headers` says else."""
    return http(addr, "GET", "/api/v1/jobs/%d" % jid,
                headers=AUTH if headers is None else headers)


def finished(addr, jid):
    """The job once done or failed, else None."""
    r = job_get(addr, jid)
    body = r.json()
    if r.status == 200 and body and body.get("status") in ("done", "failed"):
        return body
    return None


def jobs_stats(st):
    """{worker id: the `jobs` object of its stats}."""
    return {w.id: w.stats().get("jobs", {}) for w in st.workers}


def task_count(st, field):
    """A task-type counter summed over the stack's workers."""
    return sum(j.get("types", {}).get("task", {}).get(field, 0)
               for j in jobs_stats(st).values())


# ------------------------------------------------------------ tests

def consumers(st):
    stats = jobs_stats(st)
    ok(all(stats[w].get("consuming") is True for w in st.ids),
       "every worker of the stack consumes jobs (stats: jobs.consuming)",
       lambda: repr(stats))


def check_result(name, job, op, want):
    res = job.get("result")
    if want is None:
        ok(isinstance(res, dict) and list(res) == ERR_KEYS and
           res.get("estado") == "error" and res.get("operacion") == op and
           res.get("error") == "División por cero",
           "%s: done, the seed's error reply in its key order" % name,
           lambda: repr(res))
    else:
        ok(isinstance(res, dict) and list(res) == OK_KEYS and
           res.get("estado") == "completado" and res.get("operacion") == op
           and res.get("resultado") == want and
           type(res.get("resultado")) is type(want),
           "%s: the seed's reply, resultado %r" % (name, want),
           lambda: repr(res))


def async_tasks(st):
    """Nine async tasks through HAProxy; returns the finished jobs."""
    submitted = []
    for op, datos, want in TASKS:
        r = submit(st.http, op, datos)
        body = r.json() or {}
        jid = body.get("job_id")
        ok(r.status == 202 and isinstance(jid, int) and jid > 0 and
           body == {"job_id": jid, "status": "queued"},
           "async %s: 202 {job_id, status queued}" % op, lambda: repr(r))
        is_(r.header("Location"), "/api/v1/jobs/%s" % jid,
            "async %s: Location names the job" % op)
        submitted.append((op, want, jid))

    jobs = []
    for op, want, jid in submitted:
        if not isinstance(jid, int):
            ok(False, "async %s: finished" % op)
            continue
        job = poll(lambda: finished(st.http, jid), DONE_TIMEOUT, 0.1)
        ok(job is not None, "job %d (%s) finished within %.0f s"
           % (jid, op, DONE_TIMEOUT),
           lambda: repr(job_get(st.http, jid)))
        if job is None:
            continue
        jobs.append(job)
        name = "job %d (%s)" % (jid, op)
        res = job.get("result") or {}
        ok(list(job) == JOB_KEYS and job["id"] == jid and
           job["type"] == "task" and job["status"] == "done" and
           job["attempts"] == 1 and job["error"] is None,
           "%s: done on the first attempt, the API's keys" % name,
           lambda: repr(job))
        ok(job["worker"] in st.ids and res.get("worker") == job["worker"],
           "%s: run by a stack worker, named in the row and the result"
           % name, lambda: repr(job))
        ok(re.match(ISO_RE, job.get("created_at") or "") and
           re.match(ISO_RE, job.get("updated_at") or "") and
           job["created_at"] <= job["updated_at"],
           "%s: created_at <= updated_at, ISO 8601 UTC" % name,
           lambda: repr(job))
        check_result(name, job, op, want)
    workers = sorted({j["worker"] for j in jobs})
    diag("workers that ran the %d jobs: %s" % (len(jobs), workers))
    cmp_ok(len(workers), ">", 1, "the jobs ran on more than one worker")
    return jobs


def synchronous(st):
    r = http(st.http, "POST", "/api/v1/tasks",
             {"operacion": "suma", "datos": {"a": 1, "b": 2}})
    body = r.json() or {}
    ok(r.status == 200 and list(body) == OK_KEYS and body["resultado"] == 3,
       "without async a task is answered at once (200, the seed's reply)",
       lambda: repr(r))
    r = http(st.http, "POST", "/api/v1/tasks",
             {"operacion": "suma", "datos": {"a": 1, "b": 2},
              "async": False})
    ok(r.status == 200 and (r.json() or {}).get("resultado") == 3,
       "\"async\": false is synchronous too", lambda: repr(r))


def not_found(st):
    r = job_get(st.http, 987654321012345)
    ok(r.status == 404 and r.json() == {"error": "no such job"},
       "GET of a missing job: 404 {\"error\": \"no such job\"}",
       lambda: repr(r))
    for path in ("/api/v1/jobs/abc", "/api/v1/jobs/0", "/api/v1/jobs/-1",
                 "/api/v1/jobs/007", "/api/v1/jobs/"):
        r = http(st.http, "GET", path, headers=AUTH)
        is_(r.status, 404, "GET %s: 404" % path)


def owned(st):
    """A job with a user is shown to that user's token only."""
    tag = secrets.token_hex(4)
    tokens, ids = [], []
    for who in ("owner", "other"):
        email = "jobs.%s.%s@example.org" % (who, tag)
        r = http(st.http, "POST", "/api/v1/users",
                 {"email": email, "password": "correct horse battery",
                  "name": who})
        ok(r.status in (200, 201), "registered the %s" % who,
           lambda: repr(r))
        r = http(st.http, "POST", "/api/v1/login",
                 {"email": email, "password": "correct horse battery"})
        body = r.json() or {}
        tokens.append(body.get("token", ""))
        ids.append((body.get("user") or {}).get("id", 0))
    jid = int(psql("INSERT INTO jobs (type, user_id, status, payload, "
                   "result, attempts, worker, published_at) VALUES "
                   "('task', %d, 'done', '{}', '{\"worker\": \"w1\", "
                   "\"id\": 7, \"estado\": \"completado\", \"resultado\": "
                   "3, \"operacion\": \"suma\"}', 1, 'w1', now()) "
                   "RETURNING id" % int(ids[0])))
    r = job_get(st.http, jid, [])
    is_(r.status, 401, "a user's job without a token: 401")
    r = job_get(st.http, jid, [("Authorization", "Bearer " + tokens[1])])
    ok(r.status == 404 and r.json() == {"error": "no such job"},
       "a user's job with another user's token: 404, as if missing",
       lambda: repr(r))
    r = job_get(st.http, jid, [("Authorization", "Bearer " + tokens[0])])
    body = r.json() or {}
    ok(r.status == 200 and body.get("id") == jid and
       list(body.get("result") or {}) == OK_KEYS,
       "a user's job with the owner's token: 200, the result in the "
       "seed's key order", lambda: repr(r))


def duplicates(st, job):
    """At least once: duplicates and strays do not run anything."""
    jid = job["id"]
    before = job_get(st.http, jid).json()
    skipped = task_count(st, "skipped")
    amqp_publish(b'{"job_id":%d}' % jid)
    ok(poll(lambda: task_count(st, "skipped") > skipped, 15, 0.1),
       "a duplicate message of finished job %d is skipped" % jid,
       lambda: repr(jobs_stats(st)))
    is_(job_get(st.http, jid).json(), before,
        "the job's row is untouched by the duplicate")

    dead = task_count(st, "dead")
    amqp_publish(b"not a job")
    amqp_publish(b'{"job_id":987654321012345}')
    ok(poll(lambda: task_count(st, "dead") >= dead + 2, 15, 0.1),
       "a message that is not a job, and one for no job, are dead-lettered",
       lambda: repr(jobs_stats(st)))


def broker_outage(st):
    """A worker that cannot publish still accepts; a sweeper publishes."""
    swept = sum(j.get("swept", 0) for j in jobs_stats(st).values())
    # Inherited, $PFO3_AMQP_URL would override the wrong amqp.url.
    saved = os.environ.pop("PFO3_AMQP_URL", None)
    try:
        p = PrivateWorker(st, "j1", args=(
            "-o", "amqp.url=amqp://pfo3:wrong@127.0.0.1:1/pfo3"))
    finally:
        if saved is not None:
            os.environ["PFO3_AMQP_URL"] = saved
    r = submit(p.addr, "suma", {"a": 40, "b": 2})
    jid = (r.json() or {}).get("job_id")
    ok(r.status == 202 and isinstance(jid, int),
       "a worker whose broker is unreachable still accepts an async task "
       "(202)", lambda: repr(r))
    ok(poll(lambda: "left to the sweeper" in p.logtext(), 10),
       "its publish failed: the job is left to the sweeper",
       lambda: p.logtext()[-2000:])
    stats = p.stats().get("jobs", {})
    # Once the broker failed its probe the publish is not even tried
    # (jobs_publish): "published" may be 0; nothing is confirmed.
    ok(stats.get("confirmed") == 0 and stats.get("consuming") is False,
       "its stats: none confirmed, not consuming",
       lambda: repr(stats))
    if isinstance(jid, int):
        job = poll(lambda: finished(st.http, jid), SWEEP_TIMEOUT, 0.2)
        ok(job is not None and job["status"] == "done" and
           job["worker"] in st.ids and
           (job.get("result") or {}).get("resultado") == 42,
           "a stack worker's sweeper published it and a stack worker ran it",
           lambda: repr(job_get(st.http, jid)))
        now = sum(j.get("swept", 0) for j in jobs_stats(st).values())
        cmp_ok(now, ">", swept, "the stack's sweepers count the publish")
    retire(p)


def db_outage(st):
    """A job whose database session dies is requeued, then done."""
    app = "pfo3t-j2-%s" % secrets.token_hex(3)
    p = PrivateWorker(st, "j2", args=(
        "-o", "postgres.conninfo=%s application_name=%s"
        % (os.environ["PFO3_PG_CONNINFO"], app)))
    ok(poll(lambda: p.consuming() is True, 10),
       "a private worker consumes jobs")
    try:
        ok(drain_jobs(st.workers), "drained workers stop consuming jobs",
           lambda: repr(jobs_stats(st)))
        requeued = p.stats()["jobs"]["types"]["task"]["requeued"]
        r = submit(p.addr, "sleep", {"segundos": 2})
        jid = (r.json() or {}).get("job_id")
        ok(r.status == 202 and isinstance(jid, int), "async sleep 2: 202",
           lambda: repr(r))
        if not isinstance(jid, int):
            return
        running = poll(lambda: (job_get(p.addr, jid).json() or {})
                       .get("status") == "running", 10, 0.05)
        ok(running, "the private worker runs it",
           lambda: repr(job_get(p.addr, jid)))
        n = psql("SELECT count(pg_terminate_backend(pid)) FROM "
                 "pg_stat_activity WHERE application_name = '%s'" % app)
        cmp_ok(int(n), ">=", 1, "its database sessions are terminated "
               "while the job sleeps")
        job = poll(lambda: finished(p.addr, jid), DONE_TIMEOUT, 0.1)
        ok(job is not None and job["status"] == "done" and
           job["attempts"] == 2 and job["worker"] == "j2" and
           (job.get("result") or {}).get("resultado") == 2,
           "the job went back to the queue and was done on attempt 2",
           lambda: repr(job_get(p.addr, jid)))
        cmp_ok(p.stats()["jobs"]["types"]["task"]["requeued"], ">",
               requeued, "the private worker counts the requeue")
    finally:
        ok(resume_jobs(st.workers),
           "resumed workers consume jobs again",
           lambda: repr(jobs_stats(st)))
        if not wait_settled(st, timeout=15):
            diag("warning: HAProxy did not settle after the test")
        retire(p)


def held(st):
    jid = None
    for w in st.workers:
        w.ctl("jobs.hold")
    try:
        ok(poll(lambda: not any(w.consuming() for w in st.workers), 10,
                0.05),
           "held workers stop consuming jobs", lambda: repr(jobs_stats(st)))
        ok(all(j.get("held") is True for j in jobs_stats(st).values()),
           "stats: jobs.held is true", lambda: repr(jobs_stats(st)))
        r = submit(st.http, "suma", {"a": 2, "b": 3})
        jid = (r.json() or {}).get("job_id")
        ok(r.status == 202 and isinstance(jid, int),
           "held, the workers still accept an async task: 202",
           lambda: repr(r))
        if not isinstance(jid, int):
            return
        time.sleep(1.5)
        is_((job_get(st.http, jid).json() or {}).get("status"), "queued",
            "held, its job stays queued")
    finally:
        for w in st.workers:
            w.ctl("jobs.release")
    ok(poll(lambda: all(w.consuming() for w in st.workers), 15, 0.05),
       "released workers consume jobs again", lambda: repr(jobs_stats(st)))
    ok(all(j.get("held") is False for j in jobs_stats(st).values()),
       "stats: jobs.held is false", lambda: repr(jobs_stats(st)))
    if isinstance(jid, int):
        job = poll(lambda: finished(st.http, jid), DONE_TIMEOUT, 0.05)
        ok(job is not None and job.get("status") == "done" and
           (job.get("result") or {}).get("resultado") == 5,
           "released, the held job runs", lambda: repr(job))


def metrics(st):
    w = st.workers[0]
    samples = parse_metrics(get(w.addr, "/metrics").text)
    for name in ("pfo3_jobs_processed_total", "pfo3_jobs_failed_total",
                 "pfo3_jobs_retried_total", "pfo3_jobs_dead_total",
                 "pfo3_jobs_skipped_total", "pfo3_jobs_requeued_total"):
        v = metric(samples, name, worker=w.id, type="task")
        ok(v is not None and v >= 0, "/metrics has %s{type=\"task\"}" % name,
           lambda: repr(v))
    for name in ("pfo3_jobs_running", "pfo3_jobs_consuming",
                 "pfo3_jobs_published_total", "pfo3_jobs_confirmed_total",
                 "pfo3_jobs_swept_total"):
        ok(metric(samples, name, worker=w.id) is not None,
           "/metrics has %s" % name)
    is_(metric(samples, "pfo3_jobs_consuming", worker=w.id), 1.0,
        "%s: pfo3_jobs_consuming 1" % w.id)
    total = sum(metric(parse_metrics(get(x.addr, "/metrics").text),
                       "pfo3_jobs_processed_total", worker=x.id,
                       type="task") or 0 for x in st.workers)
    cmp_ok(total, ">=", len(TASKS), "the workers count the jobs they ran")


def main():
    st = stack()
    AUTH.extend(bearer(new_user(st.http, "jobs")[2]))
    consumers(st)
    jobs = async_tasks(st)
    synchronous(st)
    not_found(st)
    owned(st)
    if jobs:
        duplicates(st, jobs[0])
    broker_outage(st)
    db_outage(st)
    held(st)
    metrics(st)


if __name__ == "__main__":
    run(main)
