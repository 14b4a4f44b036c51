#!/usr/bin/python3
"""
t-cmdline: the command line pfo3-workerd and pfo3-ctld share.

Both take any number of -o KEY=VALUE, applied in order: with 100 of them
`-n` checks the 100th too (a bad one is refused with "command line:" and
the key, exit 2; a good set says "configuration OK"), and a private worker
started with 100 runs with the value the 100th gave.  A malformed -o (no
'=') is refused with what -o needs, exit 2, and an argument that is not an
option is named, exit 2.
"""
import os
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httpc import get
from stackenv import stack
from tap import is_, like, ok, run
from workers import PrivateWorker

MANY = 100


def fillers(n):
    """n harmless -o options (worker.queue=1..n), the last one winning."""
    args = []
    for i in range(n):
        args += ["-o", "worker.queue=%d" % (i + 1)]
    return args


def run_bin(path, args):
    p = subprocess.run([path] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def check_binary(name, path):
    rc, out, err = run_bin(path, ["-n"] + fillers(MANY))
    is_((rc, out), (0, "configuration OK\n"),
        "%s -n with %d -o: \"configuration OK\", exit 0" % (name, MANY))

    rc, out, err = run_bin(path, ["-n"] + fillers(MANY - 1) +
                           ["-o", "worker.threads=0"])
    is_(rc, 2, "%s -n: a bad %dth -o is read and refused, exit 2"
        % (name, MANY))
    like(err, r"^%s: command line: worker\.threads: " % name,
         "%s: ... \"command line:\" naming the key" % name)

    rc, out, err = run_bin(path, ["-n"] + fillers(MANY - 1) +
                           ["-o", "worker.threads"])
    is_((rc, err), (2, "%s: -o needs KEY=VALUE, got 'worker.threads'\n"
                    % name),
        "%s: a malformed -o after %d good ones: exit 2, what -o needs"
        % (name, MANY - 1))

    rc, out, err = run_bin(path, ["-n", "stray"])
    ok(rc == 2 and err.startswith("%s: unexpected argument 'stray'\n"
                                  % name) and "usage:" in err,
       "%s: an argument that is no option: exit 2, named, usage" % name,
       lambda: "exit %r, %r" % (rc, err[:300]))


def main():
    st = stack()
    check_binary("pfo3-workerd", st.workerd)
    ctld = os.environ["PFO3_CTLD"]
    check_binary("pfo3-ctld", ctld)

    # ctld's own checks see the 100th value: workers.binary must exist.
    rc, out, err = run_bin(ctld, ["-n"] + fillers(MANY - 1) +
                           ["-o", "workers.binary=/nonexistent/pfo3-workerd"])
    ok(rc == 2 and "pfo3-ctld: workers.binary: /nonexistent/pfo3-workerd: "
       in err, "pfo3-ctld -n: its check of workers.binary sees the %dth -o"
       % MANY, lambda: "exit %r, %r" % (rc, err[:300]))

    # A worker that runs with 100 -o: the 100th names it.
    p = PrivateWorker(st, "p-cmdline",
                      fillers(MANY - 1) + ["-o", "worker.id=p-hundredth"])
    try:
        r = get(p.addr, "/healthz")
        is_(r.header("X-Pfo3-Worker"), "p-hundredth",
            "a worker started with %d -o runs with the %dth (its id)"
            % (MANY, MANY))
        s = p.stats()
        is_((s["id"], s["queue"]["capacity"]), ("p-hundredth", MANY - 1),
            "... its stats: the id of the %dth, the queue of the %dth"
            % (MANY, MANY - 1))
    finally:
        p.kill()


if __name__ == "__main__":
    run(main)
