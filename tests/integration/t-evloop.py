#!/usr/bin/python3
"""
t-evloop: the worker's event loop, run by two threads in turn (evloop.c).

A task that finds a pool thread asleep runs, in that thread's slot, on the
thread that read it: many cheap tasks in a row wake no pool thread (their
context switches stay flat) and each is answered right.  A slow one run
that way still cannot hold the loop: after worker.loop_watch the loop's
second thread takes it over, so /healthz on other connections is answered
at once all along, and the slow task answers when it is done, counted as
one busy pool thread meanwhile.  With one pool thread whose slot is lent,
a second task waits in the queue and runs when the slot comes back, and a
third is refused with 503.
"""
import os
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import task
from httpc import Conn, get
from stackenv import stack
from tap import cmp_ok, is_, ok, run
from wait import Background, poll
from workers import PrivateWorker

ROUNDS = 300
SLOW = 1.5          # seconds of the slow task


def thread_switches(pid, name):
    """Context switches so far of the worker's threads called `name`, and
    how many such threads there are."""
    total, n = 0, 0
    base = "/proc/%d/task" % pid
    for tid in os.listdir(base):
        try:
            with open(os.path.join(base, tid, "comm")) as f:
                if f.read().strip() != name:
                    continue
            with open(os.path.join(base, tid, "status")) as f:
                for line in f:
                    if "ctxt_switches:" in line:
                        total += int(line.split()[-1])
        except OSError:
            continue        # a thread that just ended
        n += 1
    return total, n


def suma(a, b):
    return {"operacion": "suma", "datos": {"a": a, "b": b}}


def cheap_in_a_row(p):
    before, npool = thread_switches(p.pid, "pool")
    _, nloop = thread_switches(p.pid, "loop")
    is_((npool, nloop), (5, 1),
        "the worker has 5 pool threads and a second loop thread")
    bad = []
    with Conn(p.addr) as c:
        for i in range(ROUNDS):
            c.request("POST", "/api/v1/tasks", suma(i, 7))
            r = c.response()
            if r.status != 200 or (r.json() or {}).get("resultado") != i + 7:
                bad.append((i, r.status, r.body[:100]))
    ok(not bad, "%d tasks in a row: each 200 with its own result" % ROUNDS,
       lambda: repr(bad[:3]))
    after, _ = thread_switches(p.pid, "pool")
    cmp_ok(after - before, "<", ROUNDS // 10,
           "... and the pool threads were woken fewer than %d times for "
           "them (each ran on the thread that read it)" % (ROUNDS // 10))
    is_(p.stats()["threads"]["busy"], 0, "no thread is left busy")


def slow_task_lets_go(p):
    before, _ = thread_switches(p.pid, "pool")
    slow = Background(task, p.addr, "sleep", {"segundos": SLOW})
    slow.start()
    busy = poll(lambda: p.stats()["threads"]["busy"] == 1, 1.0, 0.02)
    ok(busy, "the slow task counts as one busy pool thread")
    waits = []
    while slow.is_alive() and len(waits) < 40:
        t0 = time.monotonic()
        r = get(p.addr, "/healthz", timeout=5.0)
        waits.append((time.monotonic() - t0, r.status))
        time.sleep(0.02)
    slow.join()
    ok(len(waits) >= 10 and all(s == 200 for _, s in waits),
       "/healthz answered 200 %d times while the slow task ran"
       % len(waits), lambda: repr(waits[:5]))
    cmp_ok(max(w for w, _ in waits), "<", 0.3,
           "... each within 0.3 s: the loop was taken over, not held")
    r = slow.result
    ok(slow.error is None and r is not None and r.status == 200 and
       slow.elapsed >= SLOW - 0.05,
       "the slow task answers 200 after its %.1f s" % SLOW,
       lambda: repr((slow.error, r)))
    after, _ = thread_switches(p.pid, "pool")
    cmp_ok(after - before, "<", 10,
           "no pool thread ran it: it stayed on the thread that read it")
    is_(p.stats()["threads"]["busy"], 0, "afterwards no thread is busy")


def lent_slot_comes_back(st):
    p = PrivateWorker(st, "lf1", args=("-o", "worker.threads=1",
                                       "-o", "worker.queue=1"))
    try:
        slow = Background(task, p.addr, "sleep", {"segundos": 1})
        slow.start()
        ok(poll(lambda: p.stats()["threads"]["busy"] == 1, 1.0, 0.02),
           "one thread: its slot is lent to the slow task")
        queued = Background(task, p.addr, "suma", {"a": 1, "b": 2})
        queued.start()
        ok(poll(lambda: p.stats()["queue"]["length"] == 1, 1.0, 0.02),
           "a second task waits in the queue")
        refused = task(p.addr, "suma", {"a": 2, "b": 2})
        is_(refused.status, 503, "a third is refused with 503")
        slow.join()
        queued.join()
        r = queued.result
        is_((r.status, (r.json() or {}).get("resultado")) if r else None,
            (200, 3), "the queued task runs once the slot is back: 3")
        cmp_ok(queued.elapsed, ">=", slow.elapsed - 0.3,
               "... after the slow one")
    finally:
        status = p.stop()
        is_(status, 0, "the private worker stops cleanly")
        report = p.sanitizer_report()
        ok(report is None, "no sanitizer report", lambda: report)


def main():
    st = stack()
    p = PrivateWorker(st, "lf0")
    try:
        cheap_in_a_row(p)
        slow_task_lets_go(p)
    finally:
        is_(p.stop(), 0, "the private worker stops cleanly")
        report = p.sanitizer_report()
        ok(report is None, "no sanitizer report", lambda: report)
    lent_slot_comes_back(st)


run(main)
