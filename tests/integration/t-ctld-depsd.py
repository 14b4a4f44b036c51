#!/usr/bin/python3
"""
t-ctld-depsd: pfo3-ctld's dependency clients live in its child,
pfo3-ctld-deps.

A private pfo3-ctld (no workers, no HAProxy, sockets in a private
directory) maps none of libpq, libcurl, librabbitmq and the TLS libraries
they bring; its child pfo3-ctld-deps does, and through it `status` shows
PostgreSQL, S3 and RabbitMQ reachable.  The child killed: the dependencies
read as not checked, naming pfo3-ctld-deps, and the events say it died;
pfo3-ctld starts another, the dependencies are reachable again and
storage.check runs through it.  SIGTERM to pfo3-ctld ends both.
"""
import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctlproto import ctl_call
from procmaps import libraries, sanitizer_report
from scratch import terminate, tmpdir
from stackenv import stack
from tap import is_, like, ok, run
from wait import poll

# What pfo3-ctld must not map: the services' clients and what they bring.
CLIENT_LIBS = ("libpq.", "libcurl.", "librabbitmq.", "libssl.",
               "libcrypto.", "libgnutls.", "libkrb5.", "libldap")
DEPS = ("postgres", "s3", "amqp")


def children(pid):
    """The pids whose parent is `pid`."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(d))
    return out


def deps_child(pid):
    for c in children(pid):
        try:
            with open("/proc/%d/cmdline" % c, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
        except OSError:
            continue
        if argv0.endswith(b"pfo3-ctld-deps"):
            return c
    return None


def all_ok(sock):
    deps = ctl_call(sock, "status")["deps"]
    return all(deps[d]["checked"] and deps[d]["ok"] for d in DEPS)


def none_checked(sock):
    deps = ctl_call(sock, "status")["deps"]
    return all(not deps[d]["checked"] and deps[d]["ok"] is None
               for d in DEPS)


def check_help():
    exe = os.path.join(os.path.dirname(os.environ["PFO3_CTLD"]),
                       "pfo3-ctld-deps")
    p = subprocess.run([exe, "--help"], capture_output=True, text=True,
                       timeout=10)
    ok(p.returncode == 0 and "usage: pfo3-ctld-deps" in p.stdout,
       "pfo3-ctld-deps --help")


def check_child(st):
    d = tmpdir()
    sock = os.path.join(d, "admin.sock")
    log = open(os.path.join(d, "ctld.log"), "wb")
    proc = subprocess.Popen(
        [os.environ["PFO3_CTLD"], "-f", "-c", os.environ["PFO3_CONF"],
         "-o", "workers.count=0", "-o", "ctld.haproxy_socket=",
         "-o", "ctld.admin_socket=" + sock, "-o", "ctld.read_socket=",
         "-o", "workers.restart_min=200ms"],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    child = None
    try:
        ok(poll(lambda: os.path.exists(sock), 10, 0.05),
           "a private pfo3-ctld listens")
        ok(poll(lambda: all_ok(sock), 15, 0.1),
           "postgres, s3 and amqp reachable through pfo3-ctld-deps",
           lambda: repr(ctl_call(sock, "status")["deps"]))
        libs = libraries(proc.pid)
        is_(sorted(n for n in libs if n.startswith(CLIENT_LIBS)), [],
            "pfo3-ctld maps no client of a service (%d libraries)"
            % len(libs))
        child = deps_child(proc.pid)
        ok(child is not None, "pfo3-ctld-deps runs as its child")
        if child is None:
            return
        ok(any(n.startswith("libpq.") for n in libraries(child)),
           "pfo3-ctld-deps maps libpq")

        t0 = time.monotonic()
        os.kill(child, signal.SIGKILL)
        ok(poll(lambda: none_checked(sock), 2.0, 0.02),
           "child killed: the dependencies read as not checked, ok unknown "
           "(%.2f s)"
           % (time.monotonic() - t0))
        deps = ctl_call(sock, "status")["deps"]
        like(deps["postgres"]["error"] or "", r"pfo3-ctld-deps",
             "their error names pfo3-ctld-deps")
        ok(poll(lambda: any("pfo3-ctld-deps killed by signal 9" in
                            e.get("text", str(e)) for e in
                            ctl_call(sock, "status")["events"]), 5, 0.05),
           "the events say it died")
        ok(poll(lambda: deps_child(proc.pid) not in (None, child), 10,
                0.05), "pfo3-ctld starts another")
        ok(poll(lambda: all_ok(sock), 15, 0.1),
           "the dependencies are reachable again")
        rep = ctl_call(sock, "storage.check", timeout=60)
        ok(rep.get("ok") and "objects_without_row" in rep,
           "storage.check runs through the new child", repr(rep)[:500])
        child = deps_child(proc.pid)
    finally:
        status = terminate(proc)
        log.close()
    is_(status, 0, "the private pfo3-ctld exits 0 on SIGTERM")
    if child is not None:
        ok(poll(lambda: not os.path.exists("/proc/%d" % child) or
                open("/proc/%d/stat" % child).read().rsplit(")", 1)[1]
                .split()[0] == "Z", 10, 0.05),
           "its pfo3-ctld-deps ends with it")
    report = sanitizer_report(os.path.join(d, "ctld.log"))
    ok(report is None, "no sanitizer report in its log", report)


def main():
    st = stack()
    check_help()
    check_child(st)


run(main)
