#!/usr/bin/python3
"""
t-files: uploads through HAProxy into S3 and PostgreSQL, thumbnails in the
background, and what happens when S3 or PostgreSQL fail.

A PNG made here is uploaded raw and a JPEG from a browser-like
multipart/form-data form: each object in S3, fetched by an independent
client (curl signing its own requests), is byte-identical, the row holds
the right owner, size, type and SHA-256, both thumbnails appear and decode
(vipsheader) to the right sizes.  Content comes back identical and
streamed; a 20 MiB upload with a length streams to S3 as one PUT, a
chunked one (parts read whole) goes through S3's multipart upload; a 1 GiB
upload adds at most 16 MiB to the RSS of the worker that took it.  Through
a relay that sees the requests to S3: a body with a Content-Length up to
s3.single_put_max is one PUT, a longer or chunked one a multipart upload,
and a client that stops half-way leaves no object, only its key's
reservation.
Another user sees none of it (404).  Listing pages, deleting removes the
objects and the rows, a photo replaces the previous one.  Bad input gets
clear 4xx answers and leaves no row.  A corrupt image is stored but its
thumbnail job fails with a reason.

With a private worker whose S3 and PostgreSQL go through relays this test
can close: S3 gone before or in the middle of an upload → 503 and no row,
and uploads work again once it is back; PostgreSQL gone after the object
is stored → 503 and the object is removed; a wrong S3 secret → 503 and a
log line that says why, the worker still serving.
"""
import hashlib
import os
import re
import sys
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api import bearer, new_user
from httpc import Conn, get, http
from media import fitted, gradient, header, png, stripes, vips_copy
from psql import psql
from s3direct import s3_get
from scratch import tmpdir
from stackenv import stack
from tap import diag, is_, like, ok, run
from tcpservers import Relay
from wait import poll
from workers import PrivateWorker, retire

THUMB_TIMEOUT = 30.0        # seconds for both thumbnails to appear
BIG = 1 << 30               # the large upload
RSS_BUDGET = 16 << 20       # what it may add to the worker's RSS


def upload(addr, token, data, ctype="application/octet-stream", name=None,
           path="/api/v1/files", method="POST", chunked=False, timeout=60):
    """A raw upload; the response."""
    q = "" if name is None else "?name=" + name
    headers = bearer(token)
    if chunked:
        body = b"".join(b"%x\r\n%s\r\n" % (len(data[i:i + 65536]),
                                           data[i:i + 65536])
                        for i in range(0, len(data), 65536)) + b"0\r\n\r\n"
        headers = headers + [("Transfer-Encoding", "chunked")]
    else:
        body = data
    return http(addr, method, path + q, body, headers, timeout=timeout,
                content_type=ctype)


def form_body(parts, boundary="----WebKitFormBoundaryq8PfO3xYz0Ab12Cd"):
    """A multipart/form-data body as browsers make it: parts are
    (name, filename or None, content type or None, bytes)."""
    out = b""
    for name, filename, ctype, data in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        disp = 'form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        out += b"Content-Disposition: " + disp.encode() + b"\r\n"
        if ctype:
            out += b"Content-Type: " + ctype.encode() + b"\r\n"
        out += b"\r\n" + data + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, "multipart/form-data; boundary=" + boundary


def file_rows(uid):
    return int(psql("SELECT count(*) FROM files WHERE owner_id = %d" % uid))


def wait_thumbs(addr, token, fid):
    """The file once both thumbnails are listed (or its last state)."""
    def ready():
        r = http(addr, "GET", "/api/v1/files/%d" % fid, headers=bearer(token))
        sizes = [t.get("size") for t in (r.json() or {}).get("thumbnails", [])]
        return r.json() if sorted(sizes) == [128, 512] else None
    return poll(ready, THUMB_TIMEOUT, 0.2)


def check_stored(addr, token, uid, name, data, ctype, reply):
    """The reply, the object in S3 and the row of one upload."""
    body = reply.json() or {}
    fid = body.get("id", 0)
    ok(reply.status == 201 and fid > 0 and
       body.get("size") == len(data) and
       body.get("sha256") == hashlib.sha256(data).hexdigest() and
       body.get("content_type") == ctype,
       "%s: 201 with id, size, SHA-256 and type" % name, lambda: repr(reply))
    is_(reply.header("Location"), "/api/v1/files/%d" % fid,
        "%s: Location names the file" % name)
    status, stored = s3_get("files/%d/%d" % (uid, fid))
    ok(status == 200 and stored == data,
       "%s: the object in S3 is byte-identical (independent client)" % name,
       lambda: "status %d, %d bytes" % (status, len(stored)))
    row = psql("SELECT owner_id, s3_key, size, content_type, sha256 FROM "
               "files WHERE id = %d" % fid)
    is_(row, "%d|files/%d/%d|%d|%s|%s" % (
        uid, uid, fid, len(data), ctype, hashlib.sha256(data).hexdigest()),
        "%s: the row has owner, key, size, type and SHA-256" % name)
    return fid


def check_thumbs(addr, token, d, name, fid, w, h):
    f = wait_thumbs(addr, token, fid)
    ok(f is not None, "%s: both thumbnails listed within %ds" %
       (name, THUMB_TIMEOUT))
    for box in (128, 512):
        r = http(addr, "GET", "/api/v1/files/%d/thumbnail?size=%d" %
                 (fid, box), headers=bearer(token))
        got = (header(d, r.body, "width"), header(d, r.body, "height"),
               header(d, r.body, "vips-loader"))
        want = tuple(str(v) for v in fitted(w, h, box)) + ("jpegload",)
        ok(r.status == 200 and r.header("Content-Type") == "image/jpeg" and
           got == want, "%s: the %d px thumbnail is a %sx%s JPEG" %
           (name, box, want[0], want[1]),
           lambda: "%d %r %r" % (r.status, r.header("Content-Type"), got))


def images(st, d, a_uid, a_tok):
    """PNG raw, JPEG from a form; returns their ids."""
    addr = st.http
    pic = png(640, 480, gradient)
    r = upload(addr, a_tok, pic, "image/png", name="photo%20one.png")
    pid = check_stored(addr, a_tok, a_uid, "PNG", pic, "image/png", r)
    is_((r.json() or {}).get("name"), "photo one.png",
        "PNG: the name from ?name=, percent-decoded")

    jpeg = vips_copy(png(360, 500, stripes), d, "stripes", ".jpg")
    body, ctype = form_body([
        ("title", None, None, b"holidays"),
        ("file", "C:\\Users\\me\\stripes.jpg", "image/jpeg", jpeg),
        ("note", None, "text/plain", b"after the file")])
    r = http(addr, "POST", "/api/v1/files", body, bearer(a_tok),
             content_type=ctype)
    jid = check_stored(addr, a_tok, a_uid, "JPEG form", jpeg, "image/jpeg", r)
    is_((r.json() or {}).get("name"), "stripes.jpg",
        "JPEG form: the file name without its directory")

    check_thumbs(addr, a_tok, d, "PNG", pid, 640, 480)
    check_thumbs(addr, a_tok, d, "JPEG", jid, 360, 500)

    r = http(addr, "GET", "/api/v1/files/%d/content" % pid,
             headers=bearer(a_tok))
    ok(r.status == 200 and r.body == pic and
       r.header("Content-Type") == "image/png" and
       r.header("ETag") == '"%s"' % hashlib.sha256(pic).hexdigest(),
       "content: the PNG's bytes, its type and its SHA-256 as ETag")
    return pid, jid


def large(st, a_uid, a_tok, chunked):
    """20 MiB: with a length, one PUT streams to S3 as it arrives; chunked,
    a multipart upload of parts read whole and signed."""
    what = "chunked 20 MiB (a multipart upload to S3)" if chunked else \
        "20 MiB with a length (one PUT to S3)"
    data = os.urandom(20 << 20)
    r = upload(st.http, a_tok, data, "application/x-test", chunked=chunked)
    body = r.json() or {}
    fid = body.get("id", 0)
    ok(r.status == 201 and body.get("size") == len(data) and
       body.get("sha256") == hashlib.sha256(data).hexdigest(),
       "%s: 201, size and SHA-256" % what,
       lambda: repr(r))
    status, stored = s3_get("files/%d/%d" % (a_uid, fid))
    ok(status == 200 and stored == data,
       "%s: the object in S3 is byte-identical" % what)
    r = http(st.http, "GET", "/api/v1/files/%d/content" % fid,
             headers=bearer(a_tok), timeout=60)
    ok(r.status == 200 and r.body == data,
       "%s: streamed back identical" % what)
    return fid


def listing(st, a_tok, b_tok, ids):
    r = http(st.http, "GET", "/api/v1/files?limit=2", headers=bearer(a_tok))
    page = r.json() or {}
    got = [f.get("id") for f in page.get("files", [])]
    ok(r.status == 200 and got == sorted(ids, reverse=True)[:2] and
       page.get("next"), "list: the 2 newest and a next page", lambda: repr(r))
    r = http(st.http, "GET", page.get("next") or "/", headers=bearer(a_tok))
    rest = [f.get("id") for f in (r.json() or {}).get("files", [])]
    is_(got + rest[:len(ids) - 2], sorted(ids, reverse=True),
        "list: the next page goes on where the first stopped")
    r = http(st.http, "GET", "/api/v1/files", headers=bearer(b_tok))
    is_((r.json() or {}).get("files"), [], "list: another user sees none")
    is_(http(st.http, "GET", "/api/v1/files?limit=0",
             headers=bearer(a_tok)).status, 400, "list: limit=0 is 400")


def others(st, b_tok, fid):
    for method, path in (("GET", ""), ("GET", "/content"),
                         ("GET", "/thumbnail?size=128"), ("DELETE", "")):
        r = http(st.http, method, "/api/v1/files/%d%s" % (fid, path),
                 headers=bearer(b_tok))
        is_(r.status, 404, "another user: %s /api/v1/files/ID%s is 404" %
            (method, path))


def bad_input(st, a_uid, a_tok):
    addr = st.http
    before = file_rows(a_uid)
    is_(http(addr, "POST", "/api/v1/files", b"x", content_type="text/plain")
        .status, 401, "no token: 401")
    is_(upload(addr, a_tok, b"x", "nonsense").status, 415,
        "a Content-Type that is not a media type: 415")
    body, ctype = form_body([("title", None, None, b"no file here")])
    r = http(addr, "POST", "/api/v1/files", body, bearer(a_tok),
             content_type=ctype)
    is_(r.status, 422, "a form without a file: 422")
    body, ctype = form_body([("f", "a.bin", None, b"x" * 5000)])
    r = http(addr, "POST", "/api/v1/files", body[:-40], bearer(a_tok),
             content_type=ctype)
    ok(r.status == 400 and "form" in (r.json() or {}).get("error", ""),
       "a form cut before its closing delimiter: 400", lambda: repr(r))
    r = http(addr, "POST", "/api/v1/files", b"--x\r\n", bearer(a_tok),
             content_type="multipart/form-data")
    is_(r.status, 400, "multipart without a boundary: 400")
    r = http(addr, "POST", "/api/v1/files", None, bearer(a_tok) +
             [("Content-Length", str(5 << 30))],
             content_type="application/octet-stream")
    is_(r.status, 413, "a Content-Length over files.max_size: 413")
    r = upload(addr, a_tok, b"plain", "text/plain", path="/api/v1/me/photo",
               method="PUT")
    is_(r.status, 415, "a photo that is not an image: 415")
    is_(http(addr, "GET", "/api/v1/files/1/thumbnail?size=77",
             headers=bearer(a_tok)).status, 400, "thumbnail size 77: 400")
    is_(file_rows(a_uid), before, "bad input left no row")


def corrupt(st, d, a_uid, a_tok):
    jpeg = vips_copy(png(300, 200, gradient), d, "cut", ".jpg")
    cut = jpeg[:len(jpeg) // 2]
    r = upload(st.http, a_tok, cut, "image/jpeg", name="cut.jpg")
    fid = (r.json() or {}).get("id", 0)
    is_(r.status, 201, "a truncated JPEG is stored")

    def job():
        row = psql("SELECT status || '|' || coalesce(error, '') FROM jobs "
                   "WHERE type = 'thumbnail' AND (payload->>'file_id')::bigint"
                   " = %d" % fid)
        return row if row.startswith(("failed", "done")) else None
    row = poll(job, THUMB_TIMEOUT, 0.2) or ""
    like(row, r"^failed\|.+", "its thumbnail job failed with a reason")
    diag("reason: %s" % row)
    is_(http(st.http, "GET", "/api/v1/files/%d/thumbnail?size=128" % fid,
             headers=bearer(a_tok)).status, 404, "its thumbnail is 404")
    is_(http(st.http, "GET", "/api/v1/files/%d" % fid,
             headers=bearer(a_tok)).status, 200, "the file stays")
    ok(all(get(w.addr, "/healthz").status == 200 for w in st.workers),
       "every worker still serves")


def photo(st, a_tok):
    addr = st.http
    first = png(64, 48, gradient)
    r = upload(addr, a_tok, first, "image/png", path="/api/v1/me/photo",
               method="PUT")
    p1 = (r.json() or {}).get("id", 0)
    ok(r.status == 200 and p1 > 0, "PUT /api/v1/me/photo: 200 with the file",
       lambda: repr(r))
    me = http(addr, "GET", "/api/v1/me", headers=bearer(a_tok)).json() or {}
    is_(me.get("photo_file_id"), p1, "GET /api/v1/me names the photo")
    second = png(48, 64, stripes)
    r = upload(addr, a_tok, second, "image/png", path="/api/v1/me/photo",
               method="PUT")
    p2 = (r.json() or {}).get("id", 0)
    me = http(addr, "GET", "/api/v1/me", headers=bearer(a_tok)).json() or {}
    ok(r.status == 200 and me.get("photo_file_id") == p2 and p2 != p1,
       "a second photo replaces the first")
    is_(http(addr, "GET", "/api/v1/files/%d" % p1,
             headers=bearer(a_tok)).status, 404, "the first photo is gone")


def delete(st, a_uid, a_tok, fid):
    r = http(st.http, "DELETE", "/api/v1/files/%d" % fid,
             headers=bearer(a_tok))
    is_(r.status, 204, "DELETE: 204")
    is_(http(st.http, "GET", "/api/v1/files/%d" % fid,
             headers=bearer(a_tok)).status, 404, "DELETE: then 404")
    keys = ["files/%d/%d" % (a_uid, fid)] + \
        ["thumbnails/%d/%d.jpg" % (fid, s) for s in (128, 512)]
    is_([s3_get(k)[0] for k in keys], [404, 404, 404],
        "DELETE: the object and both thumbnails are gone from S3")
    is_(psql("SELECT count(*) FROM thumbnails WHERE file_id = %d" % fid), "0",
        "DELETE: the thumbnail rows are gone")


def rss(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) * 1024
    except (OSError, AttributeError):
        return 0


def big(st, a_tok):
    """1 GiB through HAProxy, the RSS of every worker sampled meanwhile."""
    pids = {w: int(os.environ["PFO3_WORKER_%s_PID" % w]) for w in st.ids}
    before = {w: rss(p) for w, p in pids.items()}
    peak = dict(before)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for w, p in pids.items():
                peak[w] = max(peak[w], rss(p))
            time.sleep(0.02)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    block = os.urandom(1 << 20)
    sha = hashlib.sha256()
    t0 = time.monotonic()
    with Conn(st.http, timeout=120) as c:
        c.send(("POST /api/v1/files?name=big HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nContent-Type: "
                "application/octet-stream\r\nContent-Length: %d\r\n\r\n"
                % (a_tok, BIG)).encode())
        for _ in range(BIG // len(block)):
            c.send(block)
            sha.update(block)
        r = c.final_response()
    secs = time.monotonic() - t0
    stop.set()
    t.join()
    body = r.json() or {}
    ok(r.status == 201 and body.get("size") == BIG and
       body.get("sha256") == sha.hexdigest(),
       "1 GiB: 201, size and SHA-256", lambda: repr(r))
    w = r.header("X-Pfo3-Worker", "")
    grew = peak.get(w, 0) - before.get(w, 0)
    diag("1 GiB in %.1f s (%.0f MB/s); %s RSS %.1f -> peak %.1f MiB" % (
        secs, BIG / secs / 1e6, w, before.get(w, 0) / 2**20,
        peak.get(w, 0) / 2**20))
    if os.environ.get("PFO3_SANITIZER"):
        # ASan's quarantine and TSan's allocator keep freed memory by
        # design: RSS says nothing of ours there.  The plain run checks it.
        diag("RSS bound not checked under %s" % os.environ["PFO3_SANITIZER"])
    else:
        ok(w in pids and grew <= RSS_BUDGET,
           "1 GiB: the worker's RSS grew by at most 16 MiB",
           lambda: "%d" % grew)
    http(st.http, "DELETE", "/api/v1/files/%d" % body.get("id", 0),
         headers=bearer(a_tok))


def split_upload(addr, token, data, middle, ctype="application/x-test"):
    """Sends half the body, calls middle(), sends the rest; the response
    (the worker may answer before the end and stop reading)."""
    with Conn(addr, timeout=30) as c:
        c.send(("POST /api/v1/files HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nContent-Type: %s\r\n"
                "Content-Length: %d\r\n\r\n" % (token, ctype, len(data)))
               .encode() + data[:len(data) // 2])
        time.sleep(0.3)
        middle()
        try:
            c.send(data[len(data) // 2:])
        except OSError:
            pass
        return c.final_response()


def last_file_id():
    return int(psql("SELECT last_value FROM files_id_seq"))


def no_object_between(uid, lo, hi, what):
    """No object under files/uid/ for the ids reserved in (lo, hi)."""
    found = [k for k in range(lo + 1, hi)
             if s3_get("files/%d/%d" % (uid, k))[0] != 404]
    is_(found, [], "%s: no object left in S3" % what)


def s3_probed_up(p):
    """Whether the worker's S3 probe passes again within 10 s: routes that
    need S3 answer 503 until it does."""
    return poll(lambda: "s3" not in (get(p.addr, "/readyz").json() or {})
                .get("degraded", ["s3"]), 10, 0.1)


def outages(st, uid, tok):
    s3_port = int(re.search(r":(\d+)/?$",
                            os.environ["PFO3_S3_ENDPOINT"]).group(1))
    pg_port = int(re.search(r"port=(\d+)",
                            os.environ["PFO3_PG_CONNINFO"]).group(1))
    s3_relay = Relay(("127.0.0.1", s3_port))
    pg_relay = Relay(("127.0.0.1", pg_port))
    conninfo = re.sub(r"port=\d+", "port=%d" % pg_relay.port,
                      os.environ["PFO3_PG_CONNINFO"])
    p = PrivateWorker(st, "f1", args=(
        "-o", "s3.endpoint=http://127.0.0.1:%d" % s3_relay.port,
        "-o", "s3.timeout=2s", "-o", "postgres.conninfo=" + conninfo,
        "-o", "postgres.connect_timeout=1s"))
    data = os.urandom(12 << 20)
    rows = file_rows(uid)

    s3_relay.close()
    r = upload(p.addr, tok, b"while S3 is down", "text/plain")
    is_(r.status, 503, "S3 down: upload 503")
    is_(file_rows(uid), rows, "S3 down: no row")
    s3_relay.open()
    ok(s3_probed_up(p), "S3 back: the worker's probe sees it")
    lo = last_file_id()
    r = split_upload(p.addr, tok, data, s3_relay.close)
    is_(r.status, 503, "S3 gone in the middle of an upload: 503")
    is_(file_rows(uid), rows, "S3 gone in the middle: no row")
    s3_relay.open()
    ok(s3_probed_up(p), "S3 back again: the worker's probe sees it")
    r = upload(p.addr, tok, data, "application/x-test")
    ok(r.status == 201 and (r.json() or {}).get("sha256") ==
       hashlib.sha256(data).hexdigest(), "S3 back: uploads work again",
       lambda: repr(r))
    rows += 1
    no_object_between(uid, lo, (r.json() or {}).get("id", lo + 1),
                      "S3 gone in the middle")

    lo = last_file_id()
    r = split_upload(p.addr, tok, data, pg_relay.close)
    is_(r.status, 503, "PostgreSQL gone after the object was stored: 503")
    pg_relay.open()
    ok(poll(lambda: upload(p.addr, tok, b"again", "text/plain").status == 201,
            10), "PostgreSQL back: uploads work again")
    rows += 1
    is_(file_rows(uid), rows, "PostgreSQL gone: no row for the failed upload")
    no_object_between(uid, lo, last_file_id(), "PostgreSQL gone")
    retire(p)
    s3_relay.close()
    pg_relay.close()

    p = PrivateWorker(st, "f2", args=("-o", "s3.secret_key=not-the-secret",))
    r = upload(p.addr, tok, b"signed wrong", "text/plain")
    is_(r.status, 503, "a wrong S3 secret: 503")
    log = p.logtext()
    # The probe's HEAD (no body: a bare 403) or the upload's PUT (an
    # error document) tells it, whichever came first.
    ok(re.search(r"SignatureDoesNotMatch|\b403\b", log) and
       "not-the-secret" not in log,
       "a wrong S3 secret: the log says 403 / SignatureDoesNotMatch, never "
       "the secret", lambda: log[-1500:])
    is_(get(p.addr, "/healthz").status, 200, "a wrong S3 secret: still serving")
    retire(p)


def s3_requests(relay, key):
    """The requests to S3 for `key`, as "METHOD ?query" ("PUT ",
    "POST ?uploads=", "PUT ?partNumber=1&uploadId=…")."""
    out = []
    for line in relay.requests:
        method, target = line.split(" ")[:2]
        path, _, query = target.partition("?")
        if path.endswith("/" + key):
            out.append("%s ?%s" % (method, query) if query else method + " ")
    return out


def one_put_or_multipart(st, uid, tok):
    """Which S3 requests an upload makes, seen by a relay in front of S3:
    a body with a Content-Length up to s3.single_put_max is one PUT and
    nothing else; a longer one, or one of unknown length (chunked), is a
    multipart upload; a PUT the client cuts short leaves no object."""
    s3_port = int(re.search(r":(\d+)/?$",
                            os.environ["PFO3_S3_ENDPOINT"]).group(1))
    relay = Relay(("127.0.0.1", s3_port))
    p = PrivateWorker(st, "f3", args=(
        "-o", "s3.endpoint=http://127.0.0.1:%d" % relay.port,
        "-o", "s3.single_put_max=12M", "-o", "s3.part_size=5M"))
    cases = [("12 MiB with a length (the limit)", 12 << 20, False,
              lambda reqs: reqs == ["PUT "]),
             ("12 MiB + 1 byte with a length", (12 << 20) + 1, False,
              lambda reqs: reqs[0] == "POST ?uploads=" and
              [r.split("&")[0] for r in reqs[1:4]] ==
              ["PUT ?partNumber=%d" % n for n in (1, 2, 3)] and
              len(reqs) == 5 and reqs[4].startswith("POST ?uploadId=")),
             ("chunked 6 MiB", 6 << 20, True,
              lambda reqs: len(reqs) == 4 and reqs[0] == "POST ?uploads="
              and reqs[3].startswith("POST ?uploadId=")),
             ("1 byte with a length", 1, False,
              lambda reqs: reqs == ["PUT "])]
    for what, size, chunked, shape in cases:
        data = os.urandom(size)
        r = upload(p.addr, tok, data, "application/x-test", chunked=chunked)
        body = r.json() or {}
        key = "files/%d/%d" % (uid, body.get("id", 0))
        reqs = s3_requests(relay, key)
        ok(r.status == 201 and body.get("size") == size and
           body.get("sha256") == hashlib.sha256(data).hexdigest() and
           shape(reqs), "%s: 201, size and SHA-256, S3 requests %s" %
           (what, [re.sub(r"[?&]uploadId=\w+", "", x) for x in reqs]),
           lambda: repr(r))
        status, stored = s3_get(key)
        ok(status == 200 and stored == data,
           "%s: the object in S3 is byte-identical" % what)
        is_(psql("SELECT sha256 FROM files WHERE id = %d" %
                 body.get("id", 0)), hashlib.sha256(data).hexdigest(),
            "%s: the row holds the SHA-256" % what)

    # The client sends half and goes away: the PUT under way is cut
    # before its length, and S3 keeps nothing.
    seen = len(relay.requests)
    with Conn(p.addr, timeout=10) as c:
        c.send(("POST /api/v1/files HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/"
                "x-test\r\nContent-Length: %d\r\n\r\n" % (tok, 8 << 20))
               .encode() + os.urandom(4 << 20))
        time.sleep(0.5)

    def cut_put():
        for line in relay.requests[seen:]:
            m = re.match(r"PUT /\S+/(files/%d/(\d+)) " % uid, line)
            if m:
                return m.groups()
        return None
    ok(poll(cut_put, 5), "a client that stops half-way: its PUT had begun",
       lambda: repr(relay.requests[seen:]))
    key, fid = cut_put() or ("none", "0")
    ok(poll(lambda: s3_get(key)[0] == 404, 5),
       "a client that stops half-way: no object in S3")
    is_(psql("SELECT state FROM s3_objects WHERE key = '%s'" % key),
        "reserved", "a client that stops half-way: the key stays reserved "
        "(the reconciler's, should a server keep a piece)")
    is_(psql("SELECT count(*) FROM files WHERE id = %s" % fid), "0",
        "a client that stops half-way: no row")
    retire(p)
    relay.close()


def main():
    st = stack()
    d = tmpdir()
    a_uid, _, a_tok = new_user(st.http, "files-a")
    _, _, b_tok = new_user(st.http, "files-b")
    pid, jid = images(st, d, a_uid, a_tok)
    lid = large(st, a_uid, a_tok, chunked=False)
    cid = large(st, a_uid, a_tok, chunked=True)
    listing(st, a_tok, b_tok, [pid, jid, lid, cid])
    others(st, b_tok, pid)
    bad_input(st, a_uid, a_tok)
    corrupt(st, d, a_uid, a_tok)
    photo(st, a_tok)
    delete(st, a_uid, a_tok, pid)
    big(st, a_tok)
    one_put_or_multipart(st, a_uid, a_tok)
    outages(st, a_uid, a_tok)


if __name__ == "__main__":
    run(main)
