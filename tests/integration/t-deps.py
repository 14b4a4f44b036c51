#!/usr/bin/python3
"""
t-deps: /readyz, /metrics and `stats` report the worker's dependencies,
and a dependency outage takes the worker out of rotation until it recovers.

The stack's workers must report PostgreSQL, RabbitMQ and S3 reachable, with
a latency.  A private worker reaches S3 and PostgreSQL through TCP relays
that this test owns.  Closing a relay is an outage the worker cannot tell
from a dead server: /readyz turns 503 and names the dependency, /metrics
says `pfo3_dependency_up 0`, and /healthz stays 200 (the process is alive).
Reopening the relay brings /readyz back to 200.  Nothing of the shared
stack is stopped.
"""
import os
import re
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfo3test import (PrivateWorker, Relay, get, is_, metric, ok,
                      parse_metrics, poll, retire, run, stack)

DEPS = ("postgres", "amqp", "s3")


def readyz(w):
    r = get(w.addr, "/readyz", timeout=3)
    return r.status, r.json() or {}


def stack_workers_report_deps(st):
    for w in st.workers:
        status, body = readyz(w)
        deps = body.get("deps", {})
        ok(status == 200 and body.get("status") == "ready" and
           all(deps.get(d, {}).get("ok") is True and
               deps[d].get("latency_ms", 0) > 0 for d in DEPS),
           "%s /readyz: 200, postgres, amqp and s3 ok with a latency" % w.id,
           lambda: repr(body))
        stats = w.stats()
        ok(all(stats.get("deps", {}).get(d, {}).get("ok") is True
               for d in DEPS),
           "%s stats: deps postgres, amqp, s3 ok" % w.id, lambda: repr(stats))
        m = parse_metrics(get(w.addr, "/metrics").text)
        is_([metric(m, "pfo3_dependency_up", dep=d, worker=w.id)
             for d in DEPS], [1, 1, 1],
            "%s /metrics: pfo3_dependency_up 1 for each" % w.id)


def endpoint_port(url):
    return int(re.search(r":(\d+)/?$", url).group(1))


def outage(p, relay, dep):
    relay.close()
    went_down = poll(lambda: readyz(p)[0] == 503, 10)
    status, body = readyz(p)
    ok(went_down and body.get("status") == "unavailable" and
       dep in body.get("error", "") and
       body.get("deps", {}).get(dep, {}).get("ok") is False,
       "%s relay closed: /readyz 503 naming %s" % (dep, dep),
       lambda: repr((status, body)))
    is_(get(p.addr, "/healthz").status, 200,
        "%s down: /healthz still 200 (alive)" % dep)
    m = parse_metrics(get(p.addr, "/metrics").text)
    is_(metric(m, "pfo3_dependency_up", dep=dep, worker=p.id), 0,
        "%s down: pfo3_dependency_up{dep=%s} 0" % (dep, dep))
    ok(metric(m, "pfo3_dependency_failures_total", dep=dep,
              worker=p.id) >= 1,
       "%s down: pfo3_dependency_failures_total counts it" % dep)
    relay.open()
    ok(poll(lambda: readyz(p)[0] == 200, 15),
       "%s relay reopened: /readyz 200 again" % dep,
       lambda: repr(readyz(p)))


def main():
    st = stack()
    stack_workers_report_deps(st)

    s3_relay = Relay(("127.0.0.1",
                      endpoint_port(os.environ["PFO3_S3_ENDPOINT"])))
    pg_port = int(re.search(r"port=(\d+)",
                            os.environ["PFO3_PG_CONNINFO"]).group(1))
    pg_relay = Relay(("127.0.0.1", pg_port))
    conninfo = re.sub(r"port=\d+", "port=%d" % pg_relay.port,
                      os.environ["PFO3_PG_CONNINFO"])
    p = PrivateWorker(st, "d1", args=(
        "-o", "worker.probe_interval=200ms",
        "-o", "s3.endpoint=http://127.0.0.1:%d" % s3_relay.port,
        "-o", "s3.timeout=1s",
        "-o", "postgres.conninfo=" + conninfo,
        "-o", "postgres.connect_timeout=1s"))
    ok(poll(lambda: readyz(p)[0] == 200, 15),
       "a private worker through the relays becomes ready",
       lambda: repr(readyz(p)))
    outage(p, s3_relay, "s3")
    outage(p, pg_relay, "postgres")
    retire(p)


if __name__ == "__main__":
    run(main)
