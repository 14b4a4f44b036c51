#!/usr/bin/python3
"""
t-deps: availability by capability.  /readyz, /metrics and `stats` report
the worker's dependencies; a dependency that is down degrades only the
routes that need it, and a hung one is found out within its bound.

The stack's workers must report PostgreSQL, RabbitMQ, S3 and the SMTP relay
reachable, with a latency, and nothing degraded (pfo3-ctld's status says
the same per worker).  A private worker reaches S3, PostgreSQL and RabbitMQ
through TCP relays that this test owns; nothing of the shared stack is
stopped.

- S3 cut (relay closed): /readyz stays 200 with degraded ["s3"]; the
  worker stays UP in HAProxy (added to the backend as a dynamic server,
  checked through the runtime API); uploads get 503 at once with
  Retry-After and "s3 unavailable"; sync tasks, the seed protocol and
  logins answer 2xx.
- RabbitMQ cut: a report POST and an async task get 202 at once; the
  jobs wait in the outbox and are done once they are published.
- PostgreSQL frozen (the relay stops forwarding, closes nothing: a hung
  server): logins answer 503 within postgres.query_timeout, the pool
  threads are free again, /readyz reports postgres degraded within
  worker.probe_timeout (and stays 200), sync tasks still answer; thawed,
  logins work again.
"""
import json
import os
import re
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import TEST_PASSWORD, bearer, new_user, task
from ctlproto import ctl_call
from haproxy import haproxy_cmd, server_stat
from httpc import get, http
from metrics import metric, parse_metrics
from seedproto import seed_exchange
from stackenv import stack
from tap import cmp_ok, diag, is_, like, ok, run
from tcpservers import Relay
from wait import Background, poll
from workers import PrivateWorker, retire

DEPS = ("postgres", "amqp", "s3", "smtp")
PROBE_TIMEOUT = 1.0     # worker.probe_timeout of the private worker
QUERY_TIMEOUT = 2.0     # postgres.query_timeout of the private worker
LB_NAME = "deps1"


def readyz(w):
    r = get(w.addr, "/readyz", timeout=3)
    return r.status, r.json() or {}


def degraded(w):
    return readyz(w)[1].get("degraded")


def stack_workers_report_deps(st):
    for w in st.workers:
        status, body = readyz(w)
        deps = body.get("deps", {})
        ok(status == 200 and body.get("status") == "ready" and
           body.get("degraded") == [] and
           all(deps.get(d, {}).get("ok") is True and
               deps[d].get("latency_ms", 0) > 0 for d in DEPS),
           "%s /readyz: 200, degraded [], postgres, amqp, s3 and smtp ok "
           "with a latency" % w.id, lambda: repr(body))
        stats = w.stats()
        ok(all(stats.get("deps", {}).get(d, {}).get("ok") is True
               for d in DEPS) and stats.get("degraded") == [],
           "%s stats: every dependency ok, degraded []" % w.id,
           lambda: repr(stats))
        m = parse_metrics(get(w.addr, "/metrics").text)
        is_([metric(m, "pfo3_dependency_up", dep=d, worker=w.id)
             for d in DEPS], [1, 1, 1, 1],
            "%s /metrics: pfo3_dependency_up 1 for each" % w.id)
    status = ctl_call(os.environ["PFO3_SOCKET"], "status")
    workers = status.get("workers", [])
    ok(workers and all(w.get("degraded") == [] for w in workers),
       "pfo3-ctld status: every worker has degraded []",
       lambda: repr([(w.get("id"), w.get("degraded")) for w in workers]))


def endpoint_port(url):
    return int(re.search(r":(\d+)/?$", url).group(1))


def timed(fn, *args, **kw):
    t0 = time.monotonic()
    r = fn(*args, **kw)
    return r, time.monotonic() - t0


def lb_backend():
    return os.environ.get("PFO3_HAPROXY_BACKEND") or "workers"


def lb_add(st, p):
    """Adds the private worker to the stack's backend, checked like the
    others (GET /readyz), at the smallest weight."""
    be, sock = lb_backend(), st.haproxy_socket
    port = int(p.addr[1])
    for cmd in ("add server %s/%s 127.0.0.1:%d check inter 300 fall 2 "
                "rise 1 weight 1" % (be, LB_NAME, port),
                "enable health %s/%s" % (be, LB_NAME),
                "set server %s/%s state ready" % (be, LB_NAME)):
        reply = haproxy_cmd(sock, cmd).strip()
        if reply and "New server registered" not in reply:
            diag("haproxy: %s: %s" % (cmd, reply))


def lb_remove(st):
    be, sock = lb_backend(), st.haproxy_socket
    haproxy_cmd(sock, "set server %s/%s state maint" % (be, LB_NAME))
    poll(lambda: (server_stat(st, be, LB_NAME) or {}).get("scur") in
         ("0", None), 5, 0.1)
    haproxy_cmd(sock, "del server %s/%s" % (be, LB_NAME))


def lb_status(st):
    row = server_stat(st, lb_backend(), LB_NAME) or {}
    return row.get("status"), row.get("check_status")


def upload(p, token, data=b"hello"):
    return http(p.addr, "POST", "/api/v1/files", data,
                bearer(token) + [("Content-Type", "text/plain")], timeout=10)


def login(p, email):
    return http(p.addr, "POST", "/api/v1/login",
                {"email": email, "password": TEST_PASSWORD},
                timeout=15)


def s3_cut(st, p, relay, email, token):
    lb_add(st, p)
    ok(poll(lambda: lb_status(st)[0] == "UP", 10, 0.1),
       "the private worker is UP in HAProxy", lambda: repr(lb_status(st)))

    relay.close()
    t0 = time.monotonic()
    ok(poll(lambda: degraded(p) == ["s3"], 5, 0.05),
       "S3 cut: /readyz lists degraded [\"s3\"] (%.2f s)"
       % (time.monotonic() - t0), lambda: repr(readyz(p)))
    status, body = readyz(p)
    ok(status == 200 and body.get("status") == "ready" and
       body.get("deps", {}).get("s3", {}).get("ok") is False,
       "S3 cut: /readyz still 200 ready, deps.s3.ok false",
       lambda: repr((status, body)))
    time.sleep(1.5)     # several HAProxy checks (inter 300ms, fall 2)
    ok(lb_status(st) == ("UP", "L7OK"),
       "S3 cut: HAProxy keeps the worker UP (L7OK)",
       lambda: repr(lb_status(st)))

    r, took = timed(upload, p, token)
    ok(r.status == 503 and took < 1.0, "S3 cut: an upload gets 503 at once "
       "(%.3f s)" % took, lambda: repr((r.status, r.body)))
    like((r.json() or {}).get("error", ""), r"^s3 unavailable: ",
         "S3 cut: the error says \"s3 unavailable: ...\"")
    ok(r.header("Retry-After") not in (None, ""),
       "S3 cut: the 503 has Retry-After", lambda: repr(r.headers))

    r = task(p.addr, "suma", {"a": 2, "b": 3})
    ok(r.status == 200 and (r.json() or {}).get("resultado") == 5,
       "S3 cut: a sync task answers 200", lambda: repr((r.status, r.body)))
    raw = seed_exchange(p.addr, json.dumps(
        {"operacion": "suma", "datos": {"a": 1, "b": 1}}).encode())
    try:
        rep = json.loads(raw.decode())
    except ValueError:
        rep = None
    ok(isinstance(rep, dict) and rep.get("resultado") == 2,
       "S3 cut: the seed protocol answers", lambda: repr(raw))
    r = login(p, email)
    is_(r.status, 200, "S3 cut: a login answers 200")
    r = http(p.addr, "GET", "/api/v1/files", headers=bearer(token))
    is_(r.status, 200, "S3 cut: the file list (PostgreSQL only) answers 200")

    m = parse_metrics(get(p.addr, "/metrics").text)
    is_(metric(m, "pfo3_dependency_up", dep="s3", worker=p.id), 0,
        "S3 cut: pfo3_dependency_up{dep=\"s3\"} 0")
    is_(p.stats().get("degraded"), ["s3"], "S3 cut: stats degraded [\"s3\"]")
    is_(get(p.addr, "/healthz").status, 200, "S3 cut: /healthz 200")

    relay.open()
    ok(poll(lambda: degraded(p) == [], 10, 0.1),
       "S3 back: degraded [] again", lambda: repr(readyz(p)))
    r = upload(p, token)
    is_(r.status, 201, "S3 back: uploads work again")
    lb_remove(st)
    ok(lb_status(st) == (None, None), "the private worker left HAProxy",
       lambda: repr(lb_status(st)))


def job_status(p, token, jid):
    r = http(p.addr, "GET", "/api/v1/jobs/%d" % jid, headers=bearer(token))
    return (r.json() or {}).get("status") if r.status == 200 else None


def amqp_cut(p, relay, token):
    relay.close()
    ok(poll(lambda: degraded(p) == ["amqp"], 5, 0.05),
       "RabbitMQ cut: degraded [\"amqp\"], /readyz %d" % readyz(p)[0],
       lambda: repr(readyz(p)))
    month = time.strftime("%Y-%m", time.gmtime())
    r, took = timed(http, p.addr, "POST", "/api/v1/reports",
                    {"month": month}, bearer(token))
    ok(r.status == 202 and took < 1.0,
       "RabbitMQ cut: a report POST gets 202 at once (%.3f s)" % took,
       lambda: repr((r.status, r.body)))
    report = (r.json() or {}).get("job_id")
    r, took = timed(http, p.addr, "POST", "/api/v1/tasks",
                    {"operacion": "suma", "datos": {"a": 4, "b": 5},
                     "async": True},
                    bearer(token))
    ok(r.status == 202 and took < 1.0,
       "RabbitMQ cut: an async task gets 202 at once (%.3f s)" % took,
       lambda: repr((r.status, r.body)))
    atask = (r.json() or {}).get("job_id")
    like(p.logtext(), r"left to the sweeper",
         "RabbitMQ cut: the worker leaves the jobs to the outbox sweeper")
    r = task(p.addr, "suma", {"a": 2, "b": 3})
    is_(r.status, 200, "RabbitMQ cut: a sync task answers 200")

    relay.open()
    ok(poll(lambda: degraded(p) == [], 10, 0.1),
       "RabbitMQ back: degraded [] again", lambda: repr(readyz(p)))
    for what, jid in (("the report", report), ("the async task", atask)):
        ok(jid is not None and
           poll(lambda: job_status(p, token, jid) == "done", 40, 0.3),
           "%s accepted during the cut is done once published" % what,
           lambda: repr(job_status(p, token, jid)))


def pg_freeze(p, relay, email):
    threads = p.stats()["threads"]["total"]
    relay.freeze()
    t0 = time.monotonic()
    # One login per pool thread, at once: each waits on the frozen
    # server, and must come back by itself within the bound.
    logins = [Background(login, p, email) for _ in range(threads)]
    for b in logins:
        b.start()
    ok(poll(lambda: "postgres" in (degraded(p) or []), 5, 0.05),
       "PostgreSQL frozen: /readyz lists postgres degraded", lambda:
       repr(readyz(p)))
    found = time.monotonic() - t0
    cmp_ok(found, "<", PROBE_TIMEOUT + 1.0,
           "PostgreSQL frozen: found within probe_timeout (%.1f s) and a "
           "probe interval (%.2f s)" % (PROBE_TIMEOUT, found))
    status, body = readyz(p)
    ok(status == 200 and body.get("deps", {}).get("postgres", {})
       .get("ok") is False, "PostgreSQL frozen: /readyz still 200",
       lambda: repr((status, body)))
    for b in logins:
        b.join(QUERY_TIMEOUT + 10)
    answers = [(b.result.status if b.result is not None else repr(b.error),
                round(b.t_end - b.t_start, 2) if b.t_end else None)
               for b in logins]
    ok(all(b.result is not None and b.result.status == 503 and
           b.t_end - b.t_start < QUERY_TIMEOUT + 1.5 for b in logins),
       "PostgreSQL frozen: %d logins in flight answer 503 within "
       "query_timeout (%.0f s): %r" % (threads, QUERY_TIMEOUT, answers))
    ok(poll(lambda: p.stats()["threads"]["busy"] == 0, 2, 0.05),
       "PostgreSQL frozen: no pool thread stays held",
       lambda: repr(p.stats()["threads"]))
    r, took = timed(login, p, email)
    ok(r.status == 503 and took < 0.5,
       "PostgreSQL frozen: a new login gets 503 at once (%.3f s)" % took,
       lambda: repr((r.status, r.body)))
    like((r.json() or {}).get("error", ""), r"^postgres unavailable: ",
         "PostgreSQL frozen: the error says \"postgres unavailable: ...\"")
    r, took = timed(task, p.addr, "suma", {"a": 2, "b": 3})
    ok(r.status == 200 and took < 1.0,
       "PostgreSQL frozen: a sync task answers 200 (%.3f s)" % took,
       lambda: repr((r.status, r.body)))

    relay.thaw()
    ok(poll(lambda: degraded(p) == [], 15, 0.1),
       "PostgreSQL thawed: degraded [] again", lambda: repr(readyz(p)))
    ok(poll(lambda: login(p, email).status == 200, 10, 0.2),
       "PostgreSQL thawed: logins work again")


def main():
    st = stack()
    stack_workers_report_deps(st)
    _, email, token = new_user(st.http, "deps")

    s3_relay = Relay(("127.0.0.1",
                      endpoint_port(os.environ["PFO3_S3_ENDPOINT"])))
    pg_port = int(re.search(r"port=(\d+)",
                            os.environ["PFO3_PG_CONNINFO"]).group(1))
    pg_relay = Relay(("127.0.0.1", pg_port))
    conninfo = re.sub(r"port=\d+", "port=%d" % pg_relay.port,
                      os.environ["PFO3_PG_CONNINFO"])
    amqp_url = os.environ["PFO3_AMQP_URL"]
    mq_relay = Relay(("127.0.0.1", int(re.search(r":(\d+)/",
                                                 amqp_url).group(1))))
    # The worker reads $PFO3_AMQP_URL before amqp.url.
    os.environ["PFO3_AMQP_URL"] = re.sub(r":\d+/", ":%d/" % mq_relay.port,
                                         amqp_url, count=1)
    try:
        p = PrivateWorker(st, "d1", args=(
            "--threads", "3",
            "-o", "worker.probe_interval=200ms",
            "-o", "worker.probe_timeout=%dms" % (PROBE_TIMEOUT * 1000),
            "-o", "s3.endpoint=http://127.0.0.1:%d" % s3_relay.port,
            "-o", "s3.timeout=1s", "-o", "s3.connect_timeout=500ms",
            "-o", "postgres.conninfo=" + conninfo,
            "-o", "postgres.connect_timeout=1s",
            "-o", "postgres.query_timeout=%dms" % (QUERY_TIMEOUT * 1000),
            "-o", "amqp.connect_timeout=1s"))
    finally:
        os.environ["PFO3_AMQP_URL"] = amqp_url
    ok(poll(lambda: readyz(p)[0] == 200 and degraded(p) == [], 15),
       "a private worker through the relays is ready, nothing degraded",
       lambda: repr(readyz(p)))
    s3_cut(st, p, s3_relay, email, token)
    amqp_cut(p, mq_relay, token)
    pg_freeze(p, pg_relay, email)
    retire(p)


if __name__ == "__main__":
    run(main)
