#!/usr/bin/python3
"""
t-ctld-deps: pfo3-ctld's view of PostgreSQL, and its command line.

A private pfo3-ctld (no workers, no HAProxy, sockets in a private
directory) reaches the stack's PostgreSQL through a TCP relay that this
test owns.  Closing the relay is PostgreSQL going away: deps.postgres.ok
turns false within 2 s, with an error; reopening it turns it true again
within 2 s.  Nothing of the shared stack is stopped.

`-n` says "configuration OK" for the stack's configuration and names the
file and line of a bad key or value; --help shows the usage.
"""
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlproto import ctl_call
from procmaps import sanitizer_report
from scratch import terminate, tmpdir
from stackenv import stack
from tap import is_, like, ok, run
from tcpservers import Relay
from wait import poll



def ctld_bin():
    return os.environ["PFO3_CTLD"]


def check_cmdline():
    conf = os.environ["PFO3_CONF"]
    p = subprocess.run([ctld_bin(), "-c", conf, "-n"], capture_output=True,
                       text=True, timeout=10)
    is_((p.returncode, p.stdout.strip()), (0, "configuration OK"),
        "-n: the stack's configuration is OK")
    d = tmpdir()
    bad = os.path.join(d, "bad.conf")
    with open(bad, "w") as f:
        f.write("ctld = {\n  interval = \"5ms\";\n  nope = 1;\n};\n"
                "workers = { count = -1; };\n")
    p = subprocess.run([ctld_bin(), "-c", bad, "-n"], capture_output=True,
                       text=True, timeout=10)
    is_(p.returncode, 2, "-n: a bad configuration exits 2")
    like(p.stderr, r"bad\.conf:2: .*ctld\.interval",
         "the error names file:line and the key (interval)")
    like(p.stderr, r"bad\.conf:3: .*ctld\.nope",
         "an unknown key is named with its line")
    like(p.stderr, r"bad\.conf:5: .*workers\.count",
         "workers.count out of range is named with its line")
    p = subprocess.run([ctld_bin(), "--help"], capture_output=True,
                       text=True, timeout=10)
    ok(p.returncode == 0 and "usage: pfo3-ctld" in p.stdout, "--help")
    p = subprocess.run([ctld_bin(), "-o", "ctld.interval=1ms", "-n"],
                       capture_output=True, text=True, timeout=10)
    ok(p.returncode == 2 and "ctld.interval" in p.stderr,
       "-o with a value out of bounds is refused", p.stderr)


def pg_ok(sock):
    rep = ctl_call(sock, "status")
    return rep["deps"]["postgres"]


def check_postgres(st):
    pg_port = int(re.search(r"port=(\d+)",
                            os.environ["PFO3_PG_CONNINFO"]).group(1))
    relay = Relay(("127.0.0.1", pg_port))
    conninfo = re.sub(r"port=\d+", "port=%d" % relay.port,
                      os.environ["PFO3_PG_CONNINFO"])
    d = tmpdir()
    sock = os.path.join(d, "admin.sock")
    log = open(os.path.join(d, "ctld.log"), "wb")
    proc = subprocess.Popen(
        [ctld_bin(), "-f", "-c", os.environ["PFO3_CONF"],
         "-o", "workers.count=0", "-o", "ctld.haproxy_socket=",
         "-o", "ctld.admin_socket=" + sock, "-o", "ctld.read_socket=",
         "-o", "postgres.conninfo=" + conninfo,
         "-o", "postgres.connect_timeout=1s",
         "-o", "worker.probe_timeout=1s"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        ok(poll(lambda: os.path.exists(sock), 10, 0.05),
           "a private pfo3-ctld listens")
        ok(poll(lambda: pg_ok(sock)["ok"], 10, 0.1),
           "deps.postgres.ok through the relay", pg_ok(sock))
        t0 = time.monotonic()
        relay.close()
        ok(poll(lambda: not pg_ok(sock)["ok"], 2.0, 0.05),
           "PostgreSQL gone: deps.postgres.ok false within 2 s (%.2f s)"
           % (time.monotonic() - t0))
        ok(pg_ok(sock)["error"], "with an error: %s" % pg_ok(sock)["error"])
        ok(ctl_call(sock, "ping").get("ok"), "pfo3-ctld still answers")
        relay.open()
        t0 = time.monotonic()
        ok(poll(lambda: pg_ok(sock)["ok"], 2.0, 0.05),
           "PostgreSQL back: deps.postgres.ok true within 2 s (%.2f s)"
           % (time.monotonic() - t0))
        # A hung server (nothing closed, nothing answered) is down too,
        # within worker.probe_timeout plus one ctld.interval.
        relay.freeze()
        t0 = time.monotonic()
        ok(poll(lambda: not pg_ok(sock)["ok"], 3.0, 0.05),
           "PostgreSQL frozen: deps.postgres.ok false within 3 s (%.2f s)"
           % (time.monotonic() - t0), lambda: repr(pg_ok(sock)))
        like(pg_ok(sock)["error"] or "",
             r"(no|did not) answer within 1000 ms|timeout expired",
             "PostgreSQL frozen: the error says it did not answer")
        ok(ctl_call(sock, "ping").get("ok"), "pfo3-ctld still answers")
        relay.thaw()
        ok(poll(lambda: pg_ok(sock)["ok"], 10, 0.05),
           "PostgreSQL thawed: deps.postgres.ok true again")
    finally:
        status = terminate(proc)
        log.close()
        relay.close()
    is_(status, 0, "the private pfo3-ctld exits 0 on SIGTERM")
    report = sanitizer_report(os.path.join(d, "ctld.log"))
    ok(report is None, "no sanitizer report in its log", report)


def main():
    st = stack()
    check_cmdline()
    check_postgres(st)


run(main)
