"""
control.py -- how the fault suite hurts and heals the stack it runs on:
`./stack start|stop|restart SERVICE` on the stack's state folder, SIGKILL,
SIGSTOP/SIGCONT of a service's process group, pids from the pid files.
Only processes of this stack are touched: pids come from its pid files and
are checked to name its state folder.
"""
import os
import signal
import subprocess
import time


class Control:
    def __init__(self, srcdir, run_dir):
        self.srcdir = srcdir
        self.run_dir = run_dir
        self.frozen = set()

    def pid(self, name):
        """The pid in RUN_DIR/pids/NAME.pid when it is a live process of
        this stack, else None."""
        try:
            with open(os.path.join(self.run_dir, "pids", name + ".pid")) as f:
                pid = int(f.readline().strip())
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read()
            with open("/proc/%d/environ" % pid, "rb") as f:
                env = f.read()
        except (OSError, ValueError):
            return None
        if self.run_dir.encode() in cmd or self.run_dir.encode() in env:
            return pid
        return None

    def stack(self, *args, timeout=120):
        """./stack ARGS on this stack; (exit status, output)."""
        env = dict(os.environ, PFO3_RUN_DIR=self.run_dir)
        p = subprocess.run([os.path.join(self.srcdir, "stack")] + list(args),
                           env=env, capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        return p.returncode, (p.stdout + p.stderr).strip()

    def stack_ok(self, *args):
        """./stack ARGS, raising with its output when it fails."""
        rc, out = self.stack(*args)
        if rc != 0:
            raise RuntimeError("./stack %s: %s" % (" ".join(args), out))

    def kill(self, name, sig=signal.SIGKILL):
        pid = self.pid(name)
        if pid is None:
            raise RuntimeError("%s is not running: nothing to kill" % name)
        os.kill(pid, sig)
        return pid

    def wait_gone(self, pid, bound=10.0):
        deadline = time.monotonic() + bound
        while time.monotonic() < deadline:
            try:
                with open("/proc/%d/stat" % pid) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        return True
            except OSError:
                return True
            time.sleep(0.05)
        return False

    def tree(self, pid):
        """PID and every process below it."""
        children = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open("/proc/%s/stat" % d) as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(d))
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(children.get(p, []))
        return out

    def freeze(self, name):
        """SIGSTOP to service NAME and every process below it: each
        backend of PostgreSQL (a stopped postmaster alone would leave the
        open connections served), the VM and its helpers, the node."""
        pid = self.pid(name)
        if pid is None:
            raise RuntimeError("%s is not running: nothing to freeze" % name)
        pids = self.tree(pid)
        for p in pids:
            try:
                os.kill(p, signal.SIGSTOP)
                self.frozen.add(p)
            except OSError:
                pass
        return pids

    def thaw(self, pids):
        for p in pids:
            try:
                os.kill(p, signal.SIGCONT)
            except OSError:
                pass
            self.frozen.discard(p)

    def thaw_all(self):
        """Never leave a frozen service behind, whatever failed."""
        self.thaw(list(self.frozen))
