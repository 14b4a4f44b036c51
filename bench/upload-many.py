#!/usr/bin/env python3
"""upload-many.py: the uploads of the thumbnail benchmark.

usage: upload-many.py BASE_URL TOKEN CONCURRENCY FILE...

Uploads every FILE with POST /api/v1/files?name=NAME (raw body,
Content-Type from the file's extension), CONCURRENCY at a time, each
uploader on its own keep-alive connection.  Prints the id of each file
created, one a line.  Exits 1, saying why, when an upload does not
answer 201.
"""
import http.client
import json
import os
import queue
import sys
import threading
import urllib.parse

TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}


def uploader(url, token, todo, ids, errors):
    conn = None
    while True:
        try:
            path = todo.get_nowait()
        except queue.Empty:
            break
        try:
            if conn is None:
                conn = http.client.HTTPConnection(url.hostname, url.port,
                                                  timeout=120)
            with open(path, "rb") as f:
                body = f.read()
            name = os.path.basename(path)
            ext = os.path.splitext(name)[1].lower()
            conn.request("POST", "/api/v1/files?name=" +
                         urllib.parse.quote(name), body=body, headers={
                             "Authorization": "Bearer " + token,
                             "Content-Type": TYPES.get(
                                 ext, "application/octet-stream")})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 201:
                errors.append("%s: %d %s" % (name, resp.status, data[:200]))
                return
            ids.append(json.loads(data)["id"])
        except (OSError, ValueError, KeyError,
                http.client.HTTPException) as e:
            errors.append("%s: %r" % (path, e))
            return
    if conn is not None:
        conn.close()


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__.strip())
    url = urllib.parse.urlsplit(sys.argv[1])
    token, n = sys.argv[2], int(sys.argv[3])
    todo = queue.Queue()
    for path in sys.argv[4:]:
        todo.put(path)
    ids, errors = [], []
    threads = [threading.Thread(target=uploader,
                                args=(url, token, todo, ids, errors))
               for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("upload-many: %d uploads failed; first: %s" % (
            len(errors), errors[0]))
    for i in ids:
        print(i)


main()
