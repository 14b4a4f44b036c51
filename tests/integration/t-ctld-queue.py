#!/usr/bin/python3
"""
t-ctld-queue: the job queues as pfo3-ctld's status shows them.

With every worker drained through pfo3-ctld (a drained worker stops
consuming jobs), report jobs submitted to a worker directly (a drained
worker still answers what reaches it) pile up: the depth of
pfo3.jobs.report in status rises to at least their number, with no
consumer.  Once the workers are resumed the consumers come back and the
depth falls to zero; the jobs are done.
"""
import os
import secrets
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctldtest import admin, restore, sockets, status, wait_state
from httpc import http
from stackenv import stack
from tap import diag, is_, ok, run
from wait import poll

QUEUE = "pfo3.jobs.report"
JOBS = 6
PASSWORD = "correct horse battery"


def report_queue():
    for q in status()["queues"]:
        if q["name"] == QUEUE:
            return q
    return None


def new_token(addr):
    email = "ctld.%s@example.org" % secrets.token_hex(4)
    r = http(addr, "POST", "/api/v1/users",
             {"email": email, "password": PASSWORD, "name": "Queue"})
    if r.status != 201:
        diag("register: %d %r" % (r.status, r.body))
    r = http(addr, "POST", "/api/v1/login",
             {"email": email, "password": PASSWORD})
    return r.json().get("token", "") if r.status == 200 else ""


def main():
    st = stack()
    sockets()
    addr = st.workers[0].addr
    token = new_token(addr)
    ok(token, "a user to ask for reports")
    try:
        base = report_queue()["messages"]
        for wid in st.ids:
            ok(admin("worker.drain", wid).get("ok"), "worker.drain %s" % wid)
        for wid in st.ids:
            ok(wait_state(wid, "drained", 20) is not None,
               "%s drained" % wid)
        ok(poll(lambda: report_queue()["consumers"] == 0, 10, 0.2),
           "%s has no consumer left" % QUEUE, report_queue())
        jobs = []
        for month in range(1, JOBS + 1):
            r = http(addr, "POST", "/api/v1/reports",
                     {"month": "2025-%02d" % month},
                     [("Authorization", "Bearer " + token)])
            if r.status == 202:
                jobs.append(r.json().get("job_id"))
        is_(len(jobs), JOBS, "%d report jobs accepted" % JOBS)
        q = poll(lambda: (lambda q: q if q["messages"] >= base + JOBS
                          else None)(report_queue()), 5, 0.2)
        ok(q is not None, "status: %s depth rose to %d or more"
           % (QUEUE, base + JOBS), report_queue())
        for wid in st.ids:
            ok(admin("worker.resume", wid).get("ok"),
               "worker.resume %s" % wid)
        ok(poll(lambda: report_queue()["consumers"] >= len(st.ids), 15,
                0.2), "the consumers are back")
        q = poll(lambda: (lambda q: q if q["messages"] == 0 and
                          q["unacked"] == 0 else None)(report_queue()),
                 60, 0.2)
        ok(q is not None, "status: %s depth fell to 0" % QUEUE,
           report_queue())

        def all_done():
            for j in jobs:
                r = http(addr, "GET", "/api/v1/jobs/%s" % j,
                         headers=[("Authorization", "Bearer " + token)])
                if r.status != 200 or r.json().get("status") != "done":
                    return False
            return True
        ok(poll(all_done, 60, 0.5), "the %d jobs are done" % JOBS)
    finally:
        ok(restore(st), "the cluster is back to %s" % " ".join(st.ids))


run(main)
