#!/usr/bin/python3
"""
t-storage: no leaks in S3.  Every key is reserved in PostgreSQL before its
PUT and linked when its row commits; `pfo3ctl storage check|repair` (ctld's
storage.check and storage.repair) and the workers' periodic reconciler find
and remove what a crash or a fault left behind.

- Normal uploads (one PUT, and multipart: chunked), thumbnails and a
  report leave every key linked and nothing to report about them.
- (The private workers below take s3.single_put_max=5M, so that a 20 MiB
  upload with a length is a multipart upload.)
- A private worker kill -9'ed in the middle of a multipart upload leaves a
  reservation with its UploadId and the parts in S3 (s3rver answers 405 to
  AbortMultipartUpload): check lists a stale multipart upload once older
  than AGE; repair frees the parts (complete, then delete) and the
  reservation; a second check no longer lists it.
- A client that leaves in the middle of a multipart upload: the worker's
  abort is refused, so the UploadId stays recorded for the reconciler.
- A PUT that landed after our side gave up (a reserved key whose row never
  came): check lists it as an object without row; repair deletes it (a
  signed GET then answers 404).  The same for a multipart upload that S3
  completed after our side gave up: its recorded UploadId is dropped
  without sending anything to the finished upload.
- An object deleted behind our back: check lists its row as a row without
  object; repair deletes a file's row, and for a thumbnail deletes the row
  and queues the job again, which makes the thumbnail again.
- An object a stranger PUT under our prefix: listed as not reserved, never
  deleted by repair; deleted only by `repair … strangers`.
- A private worker with a 1 s reconcile interval deletes an orphan of ours
  by itself.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import bearer, new_user
from httpc import http
from media import gradient, png
from psql import psql
from s3direct import s3_delete, s3_get, s3_put, s3_request
from stackenv import stack
from tap import diag, is_, ok, run
from wait import poll
from workers import PrivateWorker, retire

AGE = "2s"              # the bound passed to check and repair
AGE_WAIT = 2.5          # seconds to wait for a reservation to be that old
MIB = 1 << 20
PFO3CTL = None


def pfo3ctl(*args, timeout=60):
    """pfo3ctl on the stack's ctld: (exit status, stdout, stderr)."""
    p = subprocess.run([PFO3CTL] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def storage(cmd, *args):
    """The JSON reply of `pfo3ctl --json storage CMD ARGS`."""
    rc, out, err = pfo3ctl("--json", "storage", cmd, *args)
    try:
        rep = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        rep = {}
    if rc != 0 or not rep.get("ok"):
        diag("pfo3ctl storage %s: %d %s %s" % (cmd, rc, out, err))
    return rep


def keys(rep, field):
    return [e.get("key") for e in rep.get(field, [])]


def entry(rep, field, key):
    for e in rep.get(field, []):
        if e.get("key") == key:
            return e
    return None


def uploads_dir(upload_id):
    """Where s3rver keeps the parts of an unfinished upload."""
    return os.path.join(os.environ["PFO3_RUN_DIR"], "s3", "data",
                        os.environ["PFO3_S3_BUCKET"], "._S3rver_uploads",
                        upload_id)


def reservation(uid):
    """(key, state, upload_id) of the user's one reserved file key."""
    out = psql("SELECT key, state, coalesce(upload_id, '') FROM s3_objects "
               "WHERE key LIKE 'files/%d/%%' AND state = 'reserved'" % uid)
    return tuple(out.split("|")) if out and "\n" not in out else None


def start_partial_upload(addr, token, total, sent):
    """Opens an upload of `total` bytes and sends `sent` of them; the
    socket, left open."""
    s = socket.create_connection(addr, timeout=30)
    s.sendall(("POST /api/v1/files?name=partial HTTP/1.1\r\nHost: t\r\n"
               "Authorization: Bearer %s\r\nContent-Type: "
               "application/octet-stream\r\nContent-Length: %d\r\n\r\n"
               % (token, total)).encode())
    chunk = b"\x5a" * MIB
    for _ in range(sent // MIB):
        s.sendall(chunk)
    return s


def wait_reservation_upload(uid):
    """The reservation once its UploadId is recorded."""
    return poll(lambda: (lambda r: r if r and r[2] else None)(
        reservation(uid)), 20, 0.1)


def normal_flows(st, uid, token):
    """Uploads, thumbnails and a report: every key linked, none listed."""
    addr = st.http
    small = http(addr, "POST", "/api/v1/files?name=a.bin", b"abc" * 1000,
                 bearer(token), content_type="application/octet-stream")
    # Chunked: its length unknown, it goes as a multipart upload (one
    # with a length would be one PUT).
    data = os.urandom(20 * MIB)
    big = http(addr, "POST", "/api/v1/files?name=big.bin",
               b"".join(b"%x\r\n%s\r\n" % (MIB, data[i:i + MIB])
                        for i in range(0, len(data), MIB)) + b"0\r\n\r\n",
               bearer(token) + [("Transfer-Encoding", "chunked")],
               timeout=120, content_type="application/octet-stream")
    img = http(addr, "POST", "/api/v1/files?name=i.png", png(64, 48,
               gradient), bearer(token), content_type="image/png")
    rep = http(addr, "POST", "/api/v1/reports", {"month": "2026-01"},
               bearer(token))
    is_([small.status, big.status, img.status, rep.status],
        [201, 201, 201, 202], "normal: two uploads, an image and a report "
        "accepted")
    fid = (img.json() or {}).get("id", 0)
    jid = (rep.json() or {}).get("job_id") or (rep.json() or {}).get("id", 0)

    def settled():
        n = psql("SELECT count(*) FROM thumbnails WHERE file_id = %d" % fid)
        d = psql("SELECT count(*) FROM jobs WHERE id = %d AND status = "
                 "'done'" % int(jid))
        return n == "2" and d == "1"
    ok(poll(settled, 60, 0.2), "normal: thumbnails made, report done")
    mine = psql("SELECT key || ' ' || state FROM s3_objects WHERE key LIKE "
                "'files/%d/%%' OR key LIKE 'thumbnails/%d/%%' OR key = "
                "'reports/%d/%d.pdf' ORDER BY key" % (uid, fid, uid,
                                                      int(jid))).split("\n")
    ok(len(mine) == 6, "normal: 3 files, 2 thumbnails and a PDF recorded",
       "\n".join(mine) + "\njob %r: %s" % (jid, psql(
           "SELECT result FROM jobs WHERE id = %d" % int(jid))))
    ok(all(m.endswith(" linked") for m in mine),
       "normal: every key is linked to its row", "\n".join(mine))
    return [m.split(" ")[0] for m in mine], fid


def killed_upload(st, uid, token):
    """kill -9 in the middle of a multipart upload."""
    p = PrivateWorker(st, "st-kill", args=(
        "-o", "storage.reconcile_interval=0",
        "-o", "s3.single_put_max=5M"))
    s = start_partial_upload(p.addr, token, 20 * MIB, 10 * MIB)
    r = wait_reservation_upload(uid)
    ok(r is not None, "kill: the key is reserved and its UploadId recorded "
       "before the first part is done", repr(reservation(uid)))
    p.kill()
    s.close()
    key, upload_id = (r[0], r[2]) if r else ("", "")
    ok(upload_id != "" and os.path.isdir(uploads_dir(upload_id)),
       "kill: the worker is dead and the upload's parts are in S3")
    time.sleep(AGE_WAIT)

    rep = storage("check", AGE)
    e = entry(rep, "stale_multipart", key)
    ok(e is not None and e.get("upload_id") == upload_id and
       e.get("recorded") is True, "check: the killed upload is a stale "
       "multipart upload", json.dumps(rep)[:800])
    ok("freed" not in (e or {}) and os.path.isdir(uploads_dir(upload_id)),
       "check changes nothing")
    rep = storage("repair", AGE)
    e = entry(rep, "stale_multipart", key) or {}
    is_(e.get("freed"), "complete+delete", "repair: s3rver refuses to "
        "abort, the parts are freed by completing and deleting")
    ok(not os.path.isdir(uploads_dir(upload_id)),
       "repair: the upload's parts are gone from S3")
    is_(s3_get(key)[0], 404, "repair: no object under the key (signed GET)")
    is_(psql("SELECT count(*) FROM s3_objects WHERE key = '%s'" % key), "0",
        "repair: the reservation is gone")
    rep = storage("check", AGE)
    ok(key not in keys(rep, "stale_multipart") + keys(
        rep, "objects_without_row"), "second check: the key is not listed")


def client_left(st, uid, token):
    """The client leaves mid-upload: the refused abort keeps the record."""
    p = PrivateWorker(st, "st-left", args=(
        "-o", "storage.reconcile_interval=0",
        "-o", "s3.single_put_max=5M"))
    s = start_partial_upload(p.addr, token, 20 * MIB, 10 * MIB)
    r = wait_reservation_upload(uid)
    s.close()
    key = r[0] if r else ""

    def failed():
        return "stays in S3 until" in p.logtext() or \
            "reconciler frees them" in p.logtext()
    ok(poll(failed, 20, 0.1), "left: the worker's abort is refused (405) "
       "and it says so")
    r2 = reservation(uid)
    ok(r is not None and r2 is not None and r2[2] == r[2],
       "left: the UploadId stays recorded for the reconciler")
    time.sleep(AGE_WAIT)
    rep = storage("repair", AGE)
    ok((entry(rep, "stale_multipart", key) or {}).get("freed") is not None,
       "left: repair frees it")
    is_(reservation(uid), None, "left: nothing of it is left recorded")
    retire(p)


def landed_late(uid):
    """A reserved key whose row never came (a PUT that timed out on our
    side and landed)."""
    fid = int(psql("SELECT nextval(pg_get_serial_sequence('files', 'id'))"))
    key = "files/%d/%d" % (uid, fid)
    psql("INSERT INTO s3_objects (key, kind, reserved_at) VALUES ('%s', "
         "'file', now() - interval '1 minute')" % key)
    is_(s3_put(key, b"late"), 200, "late: the object landed")
    rep = storage("check", AGE)
    e = entry(rep, "objects_without_row", key)
    ok(e is not None and e.get("reserved") is True,
       "check: an object without row, reserved by us", json.dumps(rep)[:800])
    is_(s3_get(key)[0], 200, "check deletes nothing")
    rep = storage("repair", AGE)
    ok((entry(rep, "objects_without_row", key) or {}).get("deleted"),
       "repair: deleted")
    is_(s3_get(key)[0], 404, "repair: the object is gone (signed GET)")
    rep = storage("check", AGE)
    ok(key not in keys(rep, "objects_without_row"),
       "second check: not listed any more")


def completed_late(uid):
    """A multipart upload our side gave up on that S3 completed after all
    (s3rver took longer than s3.timeout to assemble it): the key holds an
    object, and its UploadId is still recorded."""
    fid = int(psql("SELECT nextval(pg_get_serial_sequence('files', 'id'))"))
    key = "files/%d/%d" % (uid, fid)
    status, body = s3_request("POST", key + "?uploads=")
    m = re.search(rb"<UploadId>([^<]+)</UploadId>", body)
    upload_id = m.group(1).decode() if m else ""
    status2, _ = s3_request("PUT", "%s?partNumber=1&uploadId=%s"
                            % (key, upload_id), data=b"p" * 1000)
    status3, _ = s3_request("POST", "%s?uploadId=%s" % (key, upload_id),
                            data=b"<CompleteMultipartUpload><Part>"
                            b"<PartNumber>1</PartNumber><ETag>x</ETag>"
                            b"</Part></CompleteMultipartUpload>")
    is_([status, status2, status3, s3_get(key)[0]], [200, 200, 200, 200],
        "completed late: an upload begun, a part, completed: the object "
        "is there")
    psql("INSERT INTO s3_objects (key, kind, upload_id, reserved_at) VALUES "
         "('%s', 'file', '%s', now() - interval '1 minute')"
         % (key, upload_id))
    rep = storage("repair", AGE)
    is_((entry(rep, "stale_multipart", key) or {}).get("freed"),
        "completed", "repair: an upload whose object exists counts as "
        "completed (no completion sent to a finished upload)")
    ok((entry(rep, "objects_without_row", key) or {}).get("deleted"),
       "repair: its object without row is deleted")
    ok(not os.path.isdir(uploads_dir(upload_id)),
       "repair: nothing of the upload is left in S3")
    is_([s3_get(key)[0], psql("SELECT count(*) FROM s3_objects WHERE key = "
                             "'%s'" % key)], [404, "0"],
        "repair: the object and its record are gone")


def deleted_behind(st, uid, token, fid_img):
    """Objects deleted behind our back: rows without object."""
    r = http(st.http, "POST", "/api/v1/files?name=gone.bin", b"x" * 100,
             bearer(token), content_type="application/octet-stream")
    fid = (r.json() or {}).get("id", 0)
    key = "files/%d/%d" % (uid, fid)
    thumb = "thumbnails/%d/128.jpg" % fid_img
    is_([s3_delete(key), s3_delete(thumb)], [204, 204],
        "behind: a file's and a thumbnail's objects deleted directly")
    rep = storage("check", AGE)
    e = entry(rep, "rows_without_object", key)
    ok(e is not None and e.get("kind") == "file" and e.get("file_id") == fid,
       "check: the file's row is a row without object",
       json.dumps(rep)[:800])
    ok((entry(rep, "rows_without_object", thumb) or {}).get("kind") ==
       "thumbnail", "check: so is the thumbnail's")
    rep = storage("repair", AGE)
    is_(http(st.http, "GET", "/api/v1/files/%d" % fid,
             headers=bearer(token)).status, 404,
        "repair: the file whose content is lost is gone")
    ok(poll(lambda: s3_get(thumb)[0] == 200, 60, 0.3),
       "repair: the thumbnail job ran again and made the thumbnail again")
    rep = storage("check", AGE)
    ok(key not in keys(rep, "rows_without_object") and thumb not in
       keys(rep, "rows_without_object"), "second check: neither is listed")


def stranger():
    """An object someone else PUT under our prefix."""
    key = "files/0/stranger-%d" % os.getpid()
    is_(s3_put(key, b"not ours"), 200, "stranger: PUT directly into S3")
    time.sleep(AGE_WAIT)
    rep = storage("check", AGE)
    e = entry(rep, "objects_without_row", key)
    ok(e is not None and e.get("reserved") is False,
       "check: listed as an object nobody reserved", json.dumps(rep)[:800])
    rep = storage("repair", AGE)
    ok(not (entry(rep, "objects_without_row", key) or {}).get("deleted"),
       "repair: a stranger is reported, not deleted")
    is_(s3_get(key)[0], 200, "repair: the stranger's object is still there")
    rep = storage("repair", AGE, "strangers")
    ok((entry(rep, "objects_without_row", key) or {}).get("deleted"),
       "repair strangers: deleted when asked")
    is_(s3_get(key)[0], 404, "repair strangers: gone")


def stack_logs():
    """The text of the stack's worker logs (their reconcilers run too)."""
    d = os.path.join(os.environ["PFO3_RUN_DIR"], "log")
    out = ""
    for name in sorted(os.listdir(d)):
        if name.startswith("w") and name.endswith(".log"):
            with open(os.path.join(d, name), errors="replace") as f:
                out += f.read()
    return out


def periodic(st, uid):
    """A worker's own reconciler removes an orphan of ours.  The object is
    stored before its key is reserved as stale: the other way round, a
    reconciler running in between would find the key empty and drop it.
    The stack's workers reconcile too (the test stack's short interval),
    so the orphan's removal may be logged by any of them."""
    fid = int(psql("SELECT nextval(pg_get_serial_sequence('files', 'id'))"))
    key = "files/%d/%d" % (uid, fid)
    is_(s3_put(key, b"orphan"), 200, "periodic: an orphan of ours")
    psql("INSERT INTO s3_objects (key, kind, reserved_at) VALUES ('%s', "
         "'file', now() - interval '1 hour')" % key)
    p = PrivateWorker(st, "st-tick", args=(
        "-o", "storage.reconcile_interval=1s", "-o",
        "storage.stale_after=30m", "-o", "jobs.sweep_interval=200ms"))
    ok(poll(lambda: s3_get(key)[0] == 404, 20, 0.3),
       "periodic: a worker's reconciler deleted it")
    ok(poll(lambda: key in p.logtext() + stack_logs(), 5, 0.1),
       "periodic: and logged what it did")
    retire(p)


def human():
    rc, out, err = pfo3ctl("storage", "check", "1h")
    ok(rc == 0 and "objects without row:" in out and
       "stale multipart uploads:" in out and "repaired: 0" in out,
       "pfo3ctl storage check prints tables", out + err)
    rc, out, err = pfo3ctl("-s", os.environ["PFO3_SOCKET_RO"], "storage",
                           "repair")
    ok(rc != 0, "storage.repair is refused on the read-only socket",
       out + err)
    rc, out, err = pfo3ctl("storage", "check", "soon")
    ok(rc != 0 and "not a duration" in out + err,
       "a bad AGE is refused", out + err)


def main():
    global PFO3CTL
    st = stack()
    PFO3CTL = os.path.join(os.environ.get("PFO3_BUILDDIR") or
                           os.path.dirname(st.workerd), "pfo3ctl")
    uid, _, token = new_user(st.http, "storage")
    linked, fid_img = normal_flows(st, uid, token)
    rep = storage("check", "0s")
    listed = keys(rep, "objects_without_row") + keys(
        rep, "rows_without_object") + keys(rep, "stale_multipart")
    ok(rep.get("ok") and not set(linked) & set(listed),
       "check: nothing of the normal flows is listed", json.dumps(rep)[:800])
    is_(rep.get("errors"), [], "check: no errors")
    is_(rep.get("listing"), "ListObjectsV2", "check: s3rver lists objects")
    ok(str(rep.get("upload_listing", "")).startswith("not supported"),
       "check: s3rver cannot list multipart uploads (501), and says so",
       rep.get("upload_listing"))
    killed_upload(st, uid, token)
    client_left(st, uid, token)
    landed_late(uid)
    completed_late(uid)
    deleted_behind(st, uid, token, fid_img)
    stranger()
    periodic(st, uid)
    human()


if __name__ == "__main__":
    run(main)
