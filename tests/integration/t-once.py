#!/usr/bin/python3
"""
t-once: a report's effects (its notification and its mail) happen once per
job, whatever becomes of the job's runs, and its mail outlives an SMTP
outage.

Redelivered: a done report job is set back to 'running' (as if its worker
had died after its effects and before recording the end) and its message
is published again: a worker takes it over and runs it again, and the
user still has one notification and one mail; the job is done.

Killed: with the stack's workers drained (they stop consuming), a private
worker whose SMTP relay accepts connections but never greets runs a report;
it is `kill -9`ed while the mail is being sent.  Once the stack's workers
consume again, the message comes back, the job runs again, and the mail,
claimed by the dead worker, is sent by a sweeper once that claim ends: one
notification, one mail, a done job.

SMTP down: the stack's SMTP sink is stopped for about a minute while a
report runs.  The job is not done while its mail waits (it stays
'running', the PDF already served); the mail is tried again with growing
pauses, not three times in a second; once the sink is back the mail
arrives exactly once and the job is done.  A mail whose smtp.retry_for
has passed (set so in its row) is given up on its next failure, and its
job fails with the reason.
"""
import os
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from amqppub import amqp_publish
from api import bearer, new_user
from haproxy import wait_settled
from httpc import http
from mailsink import mails_with
from psql import psql
from stackenv import drain_jobs, resume_jobs, stack
from tap import cmp_ok, diag, is_, ok, run
from tcpservers import Listener
from wait import poll
from workers import PrivateWorker

DONE_TIMEOUT = 30.0     # seconds for a report job to be done
OUTAGE = 60.0           # seconds the SMTP sink is down
# After the sink returns: smtp.retry_max_interval (1 min), a sweep
# interval (5 s), and the time to send.
BACK_TIMEOUT = 90.0


def job(addr, token, jid):
    r = http(addr, "GET", "/api/v1/jobs/%d" % jid, headers=bearer(token))
    return r.json() if r.status == 200 else {}


def wait_status(addr, token, jid, statuses, timeout):
    return poll(lambda: job(addr, token, jid).get("status") in statuses and
                job(addr, token, jid), timeout, 0.2) or {}


def notes(uid, jid):
    return int(psql("SELECT count(*) FROM notifications WHERE user_id = %d "
                    "AND kind = 'report_ready' AND body->>'job_id' = '%d'"
                    % (uid, jid)))


def submit(addr, token, month):
    r = http(addr, "POST", "/api/v1/reports", {"month": month},
             bearer(token))
    return r, (r.json() or {}).get("job_id") if r.status == 202 else None


def once_each(uid, jid, what):
    link = "/api/v1/reports/%d/pdf" % jid
    ok(poll(lambda: mails_with(link) >= 1, 15, 0.2), "%s: the mail "
       "arrived" % what)
    time.sleep(1)   # a second mail would come about now
    is_(notes(uid, jid), 1, "%s: one notification" % what)
    is_(mails_with(link), 1, "%s: one mail" % what)
    is_(psql("SELECT state || ' ' || attempts FROM mail_outbox WHERE "
             "job_id = %d" % jid).split(" ")[0], "sent",
        "%s: its outbox row says sent" % what)


def redelivered(st, month):
    addr = st.http
    # A test before may have drained the stack's workers: their consumers
    # come back some time after the resume, and the redelivery needs one.
    ok(poll(lambda: all(w.consuming() for w in st.workers), 30, 0.2),
       "the stack's workers consume jobs")
    uid, _, token = new_user(addr, "once-redeliver")
    r, jid = submit(addr, token, month)
    is_(r.status, 202, "a report: 202")
    j = wait_status(addr, token, jid, ("done", "failed"), DONE_TIMEOUT)
    is_(j.get("status"), "done", "its job is done")
    once_each(uid, jid, "first run")
    psql("UPDATE jobs SET status = 'running' WHERE id = %d" % jid)
    amqp_publish(b'{"job_id":%d}' % jid, "report")
    j = poll(lambda: job(addr, token, jid).get("attempts", 0) >= 2 and
             job(addr, token, jid).get("status") == "done" and
             job(addr, token, jid), DONE_TIMEOUT, 0.2) or {}
    ok(j.get("status") == "done" and j.get("attempts") == 2,
       "the redelivered job ran again (attempt 2) and is done", repr(j))
    once_each(uid, jid, "after the redelivery")


class Mute(Listener):
    """An SMTP server that accepts connections and never says a word."""


def killed(st, month):
    addr = st.http
    uid, _, token = new_user(addr, "once-kill")
    mute = Mute()
    p = PrivateWorker(st, "o1", args=(
        "-o", "smtp.url=smtp://127.0.0.1:%d" % mute.port))
    ok(poll(lambda: p.consuming() is True, 10),
       "a private worker consumes jobs")
    try:
        ok(drain_jobs(st.workers),
           "the stack's workers are drained: they stop consuming")
        r, jid = submit(p.addr, token, month)
        is_(r.status, 202, "a report on the private worker: 202")
        if jid is None:
            return
        sending = poll(lambda: psql("SELECT attempts FROM mail_outbox "
                                    "WHERE job_id = %d" % jid) == "1",
                       DONE_TIMEOUT, 0.1)
        ok(sending, "its worker is sending the mail (the relay is mute)")
        os.kill(p.pid, signal.SIGKILL)
        ok(p.wait_exit(10) is not None, "the worker is killed with -9 "
           "in the middle of the job")
        # Read in PostgreSQL: HAProxy may count the drained workers out.
        is_(psql("SELECT status FROM jobs WHERE id = %d" % jid), "running",
            "the job is left running")
    finally:
        ok(resume_jobs(st.workers),
           "the stack's workers consume again")
        if not wait_settled(st, timeout=15):
            diag("warning: HAProxy did not settle")
        p.kill()        # killed already; closes its log
        mute.close()
    # The claim of the dead worker lasts 2 × smtp.timeout + 1 s (21 s).
    j = wait_status(addr, token, jid, ("done", "failed"), 60)
    ok(j.get("status") == "done" and j.get("attempts", 0) >= 2 and
       j.get("worker") in st.ids,
       "a stack worker took the job over and it is done", repr(j))
    once_each(uid, jid, "after kill -9")
    cmp_ok(int(psql("SELECT attempts FROM mail_outbox WHERE job_id = %d"
                    % jid)), ">=", 2, "the mail was sent on a later try")


# ------------------------------------------------------- the SMTP sink

def _sink_pidfile():
    return os.path.join(os.environ["PFO3_RUN_DIR"], "pids", "smtp.pid")


def sink_stop():
    with open(_sink_pidfile()) as f:
        pid = int(f.read().strip())
    os.kill(pid, signal.SIGTERM)
    gone = poll(lambda: not os.path.exists("/proc/%d" % pid), 10, 0.1)
    if not gone:
        os.kill(pid, signal.SIGKILL)
    return gone


def sink_start():
    """Starts the sink again as ./stack did (same port, Maildir, log and
    pid file), and waits for its banner."""
    port = int(os.environ["PFO3_SMTP_PORT"])
    run_dir = os.environ["PFO3_RUN_DIR"]
    log = open(os.path.join(run_dir, "log", "smtp.log"), "ab")
    p = subprocess.Popen(
        ["/usr/bin/python3", "-u", "-m", "aiosmtpd", "-n", "-l",
         "127.0.0.1:%d" % port, "-c", "aiosmtpd.handlers.Mailbox",
         os.environ["PFO3_SMTP_MAILDIR"]],
        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    log.close()
    with open(_sink_pidfile(), "w") as f:
        f.write("%d\n" % p.pid)

    def banner():
        try:
            with socket.create_connection(("127.0.0.1", port), 1) as s:
                return s.recv(64).startswith(b"220")
        except OSError:
            return False
    return poll(banner, 15, 0.1)


def gave_up(addr, token, month):
    """A mail past its smtp.retry_for is given up, and its job fails."""
    r, jid = submit(addr, token, month)
    if not ok(jid is not None and poll(
            lambda: (job(addr, token, jid).get("result") or {})
            .get("s3_key"), DONE_TIMEOUT, 0.2),
            "another report while SMTP is down: its PDF is made"):
        return None
    # As if smtp.retry_for (at least 10 min) had passed.
    psql("UPDATE mail_outbox SET give_up_at = now(), next_at = now() "
         "WHERE job_id = %d" % jid)
    j = wait_status(addr, token, jid, ("done", "failed"), 20)
    ok(j.get("status") == "failed" and
       (j.get("error") or "").startswith("mail not delivered: "),
       "its mail past smtp.retry_for is given up: the job fails, saying "
       "why", repr(j))
    is_(psql("SELECT state FROM mail_outbox WHERE job_id = %d" % jid),
        "failed", "its outbox row says failed")
    r = http(addr, "GET", "/api/v1/reports/%d/pdf" % jid,
             headers=bearer(token))
    is_(r.status, 200, "its PDF is still served")
    return jid


def smtp_down(st, month):
    addr = st.http
    uid, _, token = new_user(addr, "once-smtp")
    ok(sink_stop(), "the SMTP sink is stopped")
    t0 = time.monotonic()
    jid = lost = None
    try:
        r, jid = submit(addr, token, month)
        is_(r.status, 202, "a report while SMTP is down: 202")
        if jid is None:
            return
        ok(poll(lambda: (job(addr, token, jid).get("result") or {})
                .get("s3_key"), DONE_TIMEOUT, 0.2),
           "its PDF is made and recorded")
        is_(job(addr, token, jid).get("status"), "running",
            "the job is not done while its mail waits")
        r = http(addr, "GET", "/api/v1/reports/%d/pdf" % jid,
                 headers=bearer(token))
        is_(r.status, 200, "the PDF is served meanwhile")
        lost = gave_up(addr, token, month)
        time.sleep(max(0.0, OUTAGE - (time.monotonic() - t0)))
        row = psql("SELECT state, attempts, last_error IS NOT NULL FROM "
                   "mail_outbox WHERE job_id = %d" % jid).split("|")
        is_(row[0], "pending", "after a minute down the mail still waits")
        attempts = int(row[1])
        ok(2 <= attempts <= 12, "tried again with growing pauses, not "
           "three times in a second (%d tries in %.0f s)"
           % (attempts, time.monotonic() - t0))
        is_(row[2], "t", "the last error is kept")
        is_(job(addr, token, jid).get("status"), "running",
            "the job is still running")
    finally:
        ok(sink_start(), "the SMTP sink is back after %.0f s"
           % (time.monotonic() - t0))
    if jid is None:
        return
    j = wait_status(addr, token, jid, ("done", "failed"), BACK_TIMEOUT)
    is_(j.get("status"), "done", "the job is done once the mail is sent")
    once_each(uid, jid, "after the outage")
    if lost is not None:
        is_(mails_with("/api/v1/reports/%d/pdf" % lost), 0,
            "the mail given up is not sent once SMTP is back")


def main():
    st = stack()
    month = psql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM')")
    redelivered(st, month)
    killed(st, month)
    smtp_down(st, month)


if __name__ == "__main__":
    run(main)
