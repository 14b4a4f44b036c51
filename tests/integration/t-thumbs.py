#!/usr/bin/python3
"""
t-thumbs: the "thumbnail" job type, on the stack's workers, through the
path under the upload endpoint: an object in S3 at files/<owner>/<id>, its
files row, and a queued jobs row {"file_id": id}, which the sweeper of some
worker publishes (after its grace of 1 s, within jobs.sweep_interval) and
some worker runs.

A PNG made here (640x480) and a JPEG made from another PNG by `vips copy`
(360x600): both jobs are done within a bound; thumbnails/<id>/128.jpg and
512.jpg are in S3, are JPEGs (vipsheader) whose longer side is 128 and 512
with the aspect kept, and the thumbnails rows and the job's result say the
same.  A JPEG cut in half and a PNG whose header claims 50000x50000 pixels
(over files.max_pixels): the job fails with the reason, the file's row and
object stay, no thumbnail is stored, and the worker that ran the job still
answers /healthz.  A file row over files.thumbnail_max_size fails without
a download, a row whose object is missing fails with S3's 404; a job whose
file is gone is done and says so, and so is one whose file is deleted
while it runs (a transaction deletes the row and commits once the worker's
insert of the thumbnails rows waits for it): the thumbnails it had stored
are deleted again.

S3 is reached with curl's own SigV4 signing (s3direct.py), PostgreSQL
with psql: neither through the worker.
"""
import hashlib
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import bearer, new_user
from httpc import get, http
from media import (fitted, gradient, header, png, png_claiming, stripes,
                   vips_copy)
from psql import psql
from s3direct import s3_get, s3_put
from scratch import tmpdir
from stackenv import stack
from tap import cmp_ok, diag, is_, like, ok, run
from wait import poll

SWEEP = 5.0             # jobs.sweep_interval, the default (s)
# The sweeper's grace and interval, then the work itself, with room for
# sanitizer builds (many times slower).
DONE_TIMEOUT = SWEEP + 1.0 + 40.0
SIZES = (128, 512)
MAX_PIXELS = 50000000   # files.max_pixels, the default
MAX_SIZE = 64 << 20     # files.thumbnail_max_size, the default


def store_file(uid, data, content_type, name, size=None, put=True):
    """The upload's own steps: an id, the object (unless not `put`), then
    the row.  `size` overrides the row's size.  The file id."""
    fid = int(psql("SELECT nextval('files_id_seq')"))
    key = "files/%d/%d" % (uid, fid)
    if put:
        is_(s3_put(key, data, content_type=content_type), 200,
            "%s stored in S3 as %s" % (name, key))
    psql("INSERT INTO files (id, owner_id, s3_key, size, content_type, "
         "sha256, original_name) VALUES (%d, %d, '%s', %d, '%s', '%s', "
         "'%s')" % (fid, uid, key, len(data) if size is None else size,
                    content_type, hashlib.sha256(data).hexdigest(), name))
    return fid


def queue_job(uid, fid):
    """A queued thumbnail job, not published: the sweeper's to publish."""
    return int(psql("INSERT INTO jobs (type, user_id, payload) VALUES "
                    "('thumbnail', %d, '{\"file_id\": %d}') RETURNING id"
                    % (uid, fid)))


def job_of(addr, token, jid):
    r = http(addr, "GET", "/api/v1/jobs/%d" % jid, headers=bearer(token))
    return r.json() if r.status == 200 else None


def wait_finished(addr, token, jids):
    """{job id: the job as the API shows it} once every job is done or
    failed, or at the deadline (the last states)."""
    last = {}

    def finished():
        for jid in jids:
            if last.get(jid, {}).get("status") in ("done", "failed"):
                continue
            last[jid] = job_of(addr, token, jid) or {}
        return all(last[j].get("status") in ("done", "failed")
                   for j in jids)
    poll(finished, DONE_TIMEOUT, 0.25)
    return last


def thumbnail_rows(fid):
    out = psql("SELECT size, s3_key, width, height FROM thumbnails WHERE "
               "file_id = %d ORDER BY size" % fid)
    rows = []
    for line in out.splitlines():
        size, key, w, h = line.split("|")
        rows.append((int(size), key, int(w), int(h)))
    return rows


# ------------------------------------------------------------ checks

def check_made(d, name, fid, job, w, h):
    """A done job's thumbnails: result, objects and rows."""
    is_(job.get("status"), "done", "%s: the job is done" % name)
    want = [{"size": s, "width": fitted(w, h, s)[0],
             "height": fitted(w, h, s)[1]} for s in SIZES]
    result = job.get("result") or {}
    is_(result.get("file_id"), fid, "%s: the result names the file" % name)
    got = result.get("thumbnails") or []
    ok(len(got) == 2 and all(
        g.get("size") == x["size"] and
        abs(g.get("width", 0) - x["width"]) <= 1 and
        abs(g.get("height", 0) - x["height"]) <= 1
        for g, x in zip(got, want)),
       "%s: the result gives both sizes, longer side 128 and 512, aspect "
       "kept (%dx%d)" % (name, w, h),
       lambda: "got %r\nwant %r (each side within 1)" % (got, want))
    rows = thumbnail_rows(fid)
    is_([(r[0], r[1]) for r in rows],
        [(s, "thumbnails/%d/%d.jpg" % (fid, s)) for s in SIZES],
        "%s: a thumbnails row per size, with the key from ids" % name)
    is_([(r[2], r[3]) for r in rows],
        [(g.get("width"), g.get("height")) for g in got],
        "%s: the rows have the result's sizes" % name)
    for s in SIZES:
        status, data = s3_get("thumbnails/%d/%d.jpg" % (fid, s))
        is_(status, 200, "%s: thumbnail %d is in S3" % (name, s))
        ok(data[:3] == b"\xff\xd8\xff" and
           header(d, data, "vips-loader") == "jpegload",
           "%s: thumbnail %d is a JPEG libvips reads" % (name, s),
           lambda: repr(data[:40]))
        size = (header(d, data, "width"), header(d, data, "height"))
        want_wh = fitted(w, h, s)
        ok(size[0] is not None and size[1] is not None and
           max(int(size[0]), int(size[1])) == s and
           abs(int(size[0]) - want_wh[0]) <= 1 and
           abs(int(size[1]) - want_wh[1]) <= 1,
           "%s: thumbnail %d decodes to %dx%d" % ((name, s) + want_wh),
           lambda: "vipsheader: %r" % (size,))


class HeldDelete:
    """A deletion of file `fid` in a transaction of its own, left open:
    the worker still reads the row, but its insert of the thumbnails rows
    waits on the row's lock.  commit() ends the transaction once that
    insert waits (or after `timeout`), so the insert meets a file deleted
    meanwhile, as with a DELETE request at the wrong moment."""

    def __init__(self, fid):
        self.fid = fid
        self.p = subprocess.Popen(
            ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1",
             "-d", os.environ["PFO3_PG_CONNINFO"]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.p.stdin.write("BEGIN;\nDELETE FROM files WHERE id = %d;\n"
                           "SELECT pg_backend_pid();\n" % fid)
        self.p.stdin.flush()
        line = self.p.stdout.readline().strip()
        self.ready = line.isdigit()
        self.backend = int(line) if self.ready else 0

    def insert_waits(self):
        """True while an insert into thumbnails waits for this
        transaction."""
        return psql("SELECT count(*) FROM pg_stat_activity WHERE %d = "
                    "ANY (pg_blocking_pids(pid)) AND query LIKE "
                    "'INSERT INTO thumbnails%%'" % self.backend) != "0"

    def commit(self, timeout):
        waited = bool(poll(self.insert_waits, timeout, 0.1))
        out, _ = self.p.communicate("COMMIT;\n", timeout=30)
        return waited, self.p.returncode, out


def check_refused(st, name, uid, fid, data, job, reason):
    """A failed job: its reason, and the file untouched (`data` None: it
    has no object)."""
    is_(job.get("status"), "failed", "%s: the job failed" % name)
    like(job.get("error") or "", reason, "%s: the job says why" % name)
    is_(psql("SELECT owner_id FROM files WHERE id = %d" % fid), str(uid),
        "%s: the file's row stays" % name)
    if data is not None:
        status, body = s3_get("files/%d/%d" % (uid, fid))
        ok(status == 200 and body == data, "%s: the file's object stays, "
           "byte for byte" % name, lambda: "status %d, %d bytes" %
           (status, len(body)))
    is_(thumbnail_rows(fid), [], "%s: no thumbnails rows" % name)
    is_([s3_get("thumbnails/%d/%d.jpg" % (fid, s))[0] for s in SIZES],
        [404, 404], "%s: no thumbnail objects" % name)
    wid = job.get("worker")
    try:
        worker = st.worker(wid)
        r = get(worker.addr, "/healthz")
        status = r.status
    except (KeyError, OSError) as e:
        status = repr(e)
    is_(status, 200, "%s: the worker that ran it (%s) still serves "
        "/healthz" % (name, wid))


def main():
    st = stack()
    d = tmpdir()
    uid, _, token = new_user(st.http, "thumbs")

    landscape = png(640, 480, gradient)
    portrait = vips_copy(png(360, 600, stripes), d, "portrait", ".jpg")
    ok(portrait[:3] == b"\xff\xd8\xff", "vips made a JPEG of the portrait")
    cut = portrait[:len(portrait) // 2]
    huge = png_claiming(50000, 50000)
    cmp_ok(len(huge), "<", 4096, "the 50000x50000 PNG is a small file")

    files = {
        "PNG": store_file(uid, landscape, "image/png", "landscape.png"),
        "JPEG": store_file(uid, portrait, "image/jpeg", "portrait.jpg"),
        "cut JPEG": store_file(uid, cut, "image/jpeg", "cut.jpg"),
        "huge PNG": store_file(uid, huge, "image/png", "huge.png"),
        # The row says more bytes than the limit: refused from the row,
        # before any download (the object is small).
        "big file": store_file(uid, landscape, "image/png", "big.png",
                               size=MAX_SIZE + 1),
        "no object": store_file(uid, landscape, "image/png", "lost.png",
                                put=False),
        "deleted": store_file(uid, landscape, "image/png", "deleted.png"),
    }
    gone = int(psql("SELECT nextval('files_id_seq')"))   # never a row
    held = HeldDelete(files["deleted"])
    ok(held.ready, "a transaction deletes a file and holds its lock")
    jobs = {name: queue_job(uid, fid) for name, fid in files.items()}
    jobs["gone"] = queue_job(uid, gone)
    diag("files %r, jobs %r" % (files, jobs))
    waited, status, out = held.commit(DONE_TIMEOUT)
    ok(waited, "the worker's insert of thumbnails rows waits for the "
       "deleting transaction")
    is_((status, out.strip()), (0, ""), "the deleting transaction commits")
    seen = wait_finished(st.http, token, list(jobs.values()))
    for name, jid in jobs.items():
        ok(seen.get(jid, {}).get("status") in ("done", "failed"),
           "%s: job %d finished within %.0f s" % (name, jid, DONE_TIMEOUT),
           lambda: repr(seen.get(jid)))

    check_made(d, "PNG", files["PNG"], seen[jobs["PNG"]], 640, 480)
    check_made(d, "JPEG", files["JPEG"], seen[jobs["JPEG"]], 360, 600)
    check_refused(st, "cut JPEG", uid, files["cut JPEG"], cut,
                  seen[jobs["cut JPEG"]],
                  r"^file %d: cannot (thumbnail|make thumbnail)"
                  % files["cut JPEG"])
    check_refused(st, "huge PNG", uid, files["huge PNG"], huge,
                  seen[jobs["huge PNG"]],
                  r"^file %d: .*50000x50000 is 2500000000 pixels, over the "
                  r"limit of %d pixels" % (files["huge PNG"], MAX_PIXELS))
    check_refused(st, "big file", uid, files["big file"], landscape,
                  seen[jobs["big file"]],
                  r"^file %d is %d bytes, over files\.thumbnail_max_size"
                  % (files["big file"], MAX_SIZE + 1))
    is_(seen[jobs["big file"]].get("attempts"), 1,
        "big file: failed at once, not retried")
    check_refused(st, "no object", uid, files["no object"], None,
                  seen[jobs["no object"]],
                  r"S3 GET files/%d/%d: 404" % (uid, files["no object"]))

    job = seen[jobs["gone"]]
    is_(job.get("status"), "done", "a job whose file is gone is done")
    is_(job.get("result"), {"file_id": gone, "deleted": True,
                            "thumbnails": []},
        "its result says the file is gone")
    fid = files["deleted"]
    job = seen[jobs["deleted"]]
    is_([job.get("status"), job.get("result")],
        ["done", {"file_id": fid, "deleted": True, "thumbnails": []}],
        "a file deleted while its job runs: the job is done and says so")
    is_(thumbnail_rows(fid), [], "no thumbnails rows are left")
    is_([s3_get("thumbnails/%d/%d.jpg" % (fid, s))[0] for s in SIZES],
        [404, 404], "the thumbnails it stored are deleted again")

    # The damaged images failed at the first attempt: nothing to retry.
    is_([seen[jobs[n]].get("attempts") for n in ("cut JPEG", "huge PNG")],
        [1, 1], "damaged images fail at once, not retried")
    for w in st.workers:
        is_(get(w.addr, "/healthz").status, 200,
            "worker %s serves /healthz after the jobs" % w.id)
    diag("job results: %s" % json.dumps(
        {n: seen[j].get("result") or seen[j].get("error")
         for n, j in jobs.items()}))
    # The row made without its object is this test's own damage: gone,
    # so that the storage checks of later tests (the fault suite's last)
    # find only what the system did.
    psql("DELETE FROM files WHERE id = %d" % files["no object"])


run(main)
