#!/usr/bin/python3
"""
t-endpoints: /healthz, /readyz, /metrics on every worker, and every
compute operation of the seed through HAProxy.
"""
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from httpc import Conn, get
from metrics import metric, parse_metrics
from stackenv import stack
from tap import cmp_ok, diag, is_, ok, run

# (operacion, datos, resultado) — exact results, as the seed defines them.
OPS = [
    ("suma", {"a": 25, "b": 17}, 42),
    ("suma", {"a": 0.5, "b": 0.25}, 0.75),
    ("resta", {"a": 10, "b": 52}, -42),
    ("multiplicacion", {"a": 6, "b": 7}, 42),
    ("division", {"a": 84, "b": 2}, 42),
    ("division", {"a": 1, "b": 4}, 0.25),
    ("potencia", {"base": 2, "exponente": 10}, 1024),
    ("potencia", {"base": 2, "exponente": 64}, "18446744073709551616"),
    ("raiz", {"numero": 144}, 12),
    ("raiz", {"numero": 2}, 2 ** 0.5),
    ("factorial", {"n": 5}, 120),
    ("factorial", {"n": 25}, "15511210043330985984000000"),
    ("primo", {"n": 97}, True),
    ("primo", {"n": 91}, False),
    ("fibonacci", {"n": 10}, 55),
    ("fibonacci", {"n": 90}, "2880067194370816120"),
    ("inverso_texto", {"texto": "hola mundo"}, "odnum aloh"),
    ("mayusculas", {"texto": "ñandú"}, "ÑANDÚ"),
    ("contar_palabras", {"texto": "uno dos  tres\tcuatro"}, 4),
    ("sleep", {"segundos": 0.1}, 0.1),
]


def probes(w):
    r = get(w.addr, "/healthz")
    is_((r.status, r.body, r.header("Content-Type")),
        (200, b"ok\n", "text/plain"), "%s /healthz: 200 \"ok\"" % w.id)
    is_(r.header("X-Pfo3-Worker"), w.id, "%s /healthz: X-Pfo3-Worker %s"
        % (w.id, w.id))
    r = get(w.addr, "/readyz")
    body = r.json() or {}
    ok(r.status == 200 and r.header("Content-Type") == "application/json"
       and body.get("status") == "ready" and body.get("worker") == w.id and
       body.get("draining") is False and
       (body.get("threads") or {}).get("total") == 5 and
       (body.get("queue") or {}).get("capacity") == 64,
       "%s /readyz: 200 JSON {status ready, worker, draining false, "
       "threads, queue}" % w.id, lambda: repr(r))

    # HEAD: the headers of GET, no body.  The GET after it on the same
    # connection parses only if no body bytes were sent.
    with Conn(w.addr) as c:
        c.request("HEAD", "/healthz")
        h = c.response(head_only=True)
        c.request("GET", "/healthz")
        g = c.response()
    is_((h.status, h.header("Content-Length"), h.header("Content-Type")),
        (200, "3", "text/plain"),
        "%s HEAD /healthz: 200 with the GET's Content-Length" % w.id)
    is_((g.status, g.body), (200, b"ok\n"),
        "%s HEAD sent no body: the next response on the connection is "
        "intact" % w.id)


def metrics(w):
    r = get(w.addr, "/metrics")
    is_(r.header("Content-Type"),
        "text/plain; version=0.0.4; charset=utf-8",
        "%s /metrics: Prometheus text format 0.0.4" % w.id)
    try:
        m = parse_metrics(r.text)
    except ValueError as e:
        ok(False, "%s /metrics parses" % w.id, str(e))
        return
    ok(True, "%s /metrics parses (%d samples)" % (w.id, len(m)))
    lab = {"worker": w.id}
    is_(metric(m, "pfo3_pool_threads", **lab), 5.0,
        "pfo3_pool_threads{worker=\"%s\"} 5" % w.id)
    is_(metric(m, "pfo3_pool_queue_capacity", **lab), 64.0,
        "pfo3_pool_queue_capacity{worker=\"%s\"} 64" % w.id)
    for name in ("pfo3_pool_threads_busy", "pfo3_pool_queue_length",
                 "pfo3_pool_rejected_total", "pfo3_connections_open",
                 "pfo3_draining", "pfo3_uptime_seconds"):
        ok(metric(m, name, **lab) is not None, "%s has %s" % (w.id, name))
    reqs = [(l, v) for n, l, v in m if n == "pfo3_http_requests_total"]
    ok(reqs and all(l.get("worker") == w.id and l.get("route") and
                    l.get("status", "").isdigit() for l, v in reqs),
       "pfo3_http_requests_total has worker, route and status labels",
       lambda: repr(reqs[:5]))
    ok(any(l["route"] == "/healthz" and l["status"] == "200"
           for l, v in reqs),
       "pfo3_http_requests_total{route=\"/healthz\",status=\"200\"} exists")

    buckets = [(l["le"], v) for n, l, v in m
               if n == "pfo3_http_request_duration_seconds_bucket"]
    values = [v for _, v in buckets]
    is_(buckets[-1][0] if buckets else None, "+Inf",
        "the duration histogram ends with le=\"+Inf\"")
    ok(values == sorted(values), "bucket counts never decrease",
       lambda: repr(buckets))
    inf = buckets[-1][1] if buckets else None
    is_(metric(m, "pfo3_http_request_duration_seconds_count", **lab), inf,
        "_count equals the +Inf bucket")
    ok(metric(m, "pfo3_http_request_duration_seconds_sum", **lab)
       is not None, "the histogram has a _sum")
    return m


def counts_grow(w, before):
    def tasks200(m):
        return metric(m, "pfo3_http_requests_total", worker=w.id,
                      route="/api/v1/tasks", status="200") or 0.0

    def count(m):
        return metric(m, "pfo3_http_request_duration_seconds_count",
                      worker=w.id)

    r = task(w.addr, "suma", {"a": 1, "b": 1})
    is_(r.status, 200, "one task on %s" % w.id)
    after = parse_metrics(get(w.addr, "/metrics").text)
    is_(tasks200(after) - tasks200(before), 1.0,
        "pfo3_http_requests_total{route=\"/api/v1/tasks\",status=\"200\"} "
        "grew by exactly 1")
    # The task and the previous /metrics at least (HAProxy's checks also
    # count).
    cmp_ok(count(after) - count(before), ">=", 2,
           "the duration histogram _count grew by at least 2")
    ok(metric(after, "pfo3_tasks_completed_total", worker=w.id) >
       metric(before, "pfo3_tasks_completed_total", worker=w.id),
       "pfo3_tasks_completed_total grew")


def operations(st):
    seen = set()
    for op, datos, want in OPS:
        r = task(st.http, op, datos)
        body = r.json() or {}
        got = body.get("resultado")
        same = (got == want and type(got) is type(want)) or (
            isinstance(want, float) and isinstance(got, float) and
            abs(got - want) < 1e-12)
        ok(r.status == 200 and body.get("estado") == "completado" and
           body.get("operacion") == op and same and
           body.get("worker") in st.ids,
           "HAProxy: %s %s = %r" % (op, datos, want), lambda: repr(r))
        seen.add(body.get("worker"))
        if op == "sleep":
            cmp_ok(r.elapsed, ">=", 0.1, "sleep 0.1 took at least 0.1 s")
    diag("operations answered by %s" % sorted(map(str, seen)))
    is_(seen, set(st.ids), "the operations were spread over every worker")


def main():
    st = stack()
    for w in st.workers:
        probes(w)
    before = None
    for w in st.workers:
        m = metrics(w)
        if w.id == "w1":
            before = m
    if before is not None:
        counts_grow(st.worker("w1"), before)
    operations(st)


run(main)
