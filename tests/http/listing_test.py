#!/usr/bin/env python3
"""Key listings of cask serve (docs/protocol.md, "Listings").

  listing_test.py <serve_for_tests binary>

The plain listing (unstorage's JSON array, `key$` entries hidden) is the
same bytes as before, sent whole when it fits in one page and chunked when
it does not; `limit` / `after` page through every key, `meta=1` /
`values=1` list entries one JSON object per line, a page shorter than its
limit ends the listing; malformed parameters are 400. Each case runs on
the memory store with both transports (evhttp sends every body whole).
"""
import base64
import http.client
import json
import socket
import sys
import urllib.parse

from serve_process import ServeProcess, check, exit_with_failures

SERVE = sys.argv[1]


class Server(ServeProcess):
    """A server with one keep-alive connection to it."""

    def __init__(self, *flags):
        super().__init__(SERVE, *flags)
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                               timeout=60)

    def request(self, method, path, body=None, headers=None):
        self.conn.request(method, path, body=body, headers=headers or {})
        r = self.conn.getresponse()
        return r, r.read()

    def stop(self):
        self.conn.close()
        super().stop()


def put(s, key, value):
    r, _ = s.request("PUT", "/" + urllib.parse.quote(key.replace(":", "/")),
                     body=value,
                     headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200, (key, r.status)
    return r.getheader("ETag").strip('"')


def lines(body):
    return [json.loads(l) for l in body.decode().split("\n") if l]


def run(transport):
    tag = "[%s] " % transport
    s = Server("--transport", transport)
    try:
        # Small: one page, sent whole, the same bytes as ever.
        for k in ["a:1", "a:2", "a:3$", "a:b c", "b:1"]:
            put(s, k, "v")
        r, body = s.request("GET", "/a/")
        check(r.status == 200 and body == b'["a/1","a/2","a/b c"]',
              tag + "small plain listing: unstorage's array, key$ hidden")
        check(r.getheader("Content-Length") == str(len(body)) and
              r.getheader("Transfer-Encoding") is None,
              tag + "small plain listing has a Content-Length")
        check("scan" in r.getheader("X-Cask-Features").split(", "),
              tag + "X-Cask-Features lists scan")
        r, body = s.request("GET", "/nothing/")
        check(r.status == 200 and body == b"[]", tag + "empty listing is []")

        # Pages list every key, key$ too, and end with a short page.
        r, body = s.request("GET", "/a/?limit=2")
        check(json.loads(body) == ["a/1", "a/2"], tag + "limit=2: first page")
        r, body = s.request("GET", "/a/?limit=2&after=a/2")
        check(json.loads(body) == ["a/3$", "a/b c"],
              tag + "after=a/2: the next page, key$ listed")
        r, body = s.request("GET", "/a/?limit=2&after=a:b%20c")
        check(json.loads(body) == [], tag + "a full page is followed by []")
        r, body = s.request("GET", "/a/?after=a/1")
        check(json.loads(body) == ["a/2", "a/3$", "a/b c"],
              tag + "after without limit: the rest")
        r, body = s.request("GET", "/?limit=10&after=a")
        check(json.loads(body) == ["a/1", "a/2", "a/3$", "a/b c", "b/1"],
              tag + "after need not exist")

        # Entries: metadata, values, bytes that are not UTF-8.
        etag = put(s, "v:bin", b"\xff\x00x")
        put(s, "v:text", "hello")
        r, body = s.request("GET", "/v/?meta=1")
        got = lines(body)
        check(r.getheader("Content-Type") == "application/x-ndjson" and
              [e["key"] for e in got] == ["v:bin", "v:text"] and
              got[0]["etag"] == etag and got[0]["size"] == 3 and
              "value" not in got[0] and "value_base64" not in got[0] and
              got[0]["mtime_us"] > 0,
              tag + "meta=1: one object per line, without values")
        r, body = s.request("GET", "/v/?values=1&limit=1&after=v:bin")
        got = lines(body)
        check(len(got) == 1 and got[0]["value"] == "hello",
              tag + "values=1&limit=1&after: the value")
        r, body = s.request("GET", "/v/?values=true&limit=1")
        got = lines(body)
        check(base64.b64decode(got[0]["value_base64"]) == b"\xff\x00x",
              tag + "a value that is not UTF-8 travels as value_base64")

        # Malformed parameters.
        for q in ["limit=0", "limit=x", "limit=-1", "meta=2", "values=yes",
                  "after=a/../b", "after=%zz"]:
            r, body = s.request("GET", "/a/?" + q)
            check(r.status == 400 and
                  json.loads(body)["code"] == "INVALID_ARGUMENT",
                  tag + q + " is 400")
        # Unknown parameters leave the plain listing as it is (unstorage
        # ignores the query string).
        r, body = s.request("GET", "/a/?x=1")
        check(body == b'["a/1","a/2","a/b c"]',
              tag + "an unknown parameter changes nothing")

        # Large: more than one store page, streamed in chunks.
        keys = ["big:%05d" % i for i in range(2500)] + ["big:zz$"]
        body_json = {"ops": [{"op": "put", "key": k, "value": "v"}
                             for k in keys]}
        r, _ = s.request("POST", "/_cask/commit",
                         body=json.dumps(body_json),
                         headers={"Content-Type": "application/json"})
        check(r.status == 200, tag + "commit of 2501 keys")
        r, body = s.request("GET", "/big/")
        want = [k.replace(":", "/") for k in keys[:-1]]
        if transport == "beast":
            check(r.getheader("Transfer-Encoding") == "chunked" and
                  r.getheader("Content-Length") is None,
                  tag + "large plain listing is chunked")
        else:  # evhttp sends every body whole
            check(r.getheader("Content-Length") == str(len(body)),
                  tag + "large plain listing is sent whole")
        check(json.loads(body) == want,
              tag + "large plain listing: every key once, in order")
        r, body = s.request("GET", "/big/?limit=2400&after=big:00050")
        check(json.loads(body) == want[51:2451],
              tag + "large page with a limit")
        r, body = s.request("GET", "/big/?meta=1")
        check([e["key"] for e in lines(body)] == keys,
              tag + "large entries listing, key$ listed")
        # The connection stays usable after a chunked answer.
        r, body = s.request("GET", "/a/?limit=1")
        check(json.loads(body) == ["a/1"],
              tag + "keep-alive after a chunked answer")

        # HTTP/1.0 has no chunked encoding: the whole body at once.
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=60)
        sock.sendall(b"GET /big/ HTTP/1.0\r\n\r\n")
        raw = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
        sock.close()
        head, _, rest = raw.partition(b"\r\n\r\n")
        check(b"chunked" not in head.lower() and json.loads(rest) == want,
              tag + "HTTP/1.0: the large listing unchunked")
    finally:
        s.stop()


for transport in ["beast", "evhttp"]:
    run(transport)
exit_with_failures()
