#!/usr/bin/env python3
"""cask serve under hostile or sloppy clients, over raw sockets.

  hardening_test.py <serve_for_tests binary> [case ...]

Cases (all by default): content_length, absolute_form, burst, slowloris,
body_budget. Each starts its own serve_for_tests (memory store). Deadlines
are generous and only catch hangs; nothing here asserts a speed.
Environment: CASK_SLOWLORIS_SOCKETS (500), CASK_BURST_CONNECTIONS (200).
"""
import concurrent.futures
import os
import re
import select
import socket
import subprocess
import sys
import threading
import time

SERVE = sys.argv[1]
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILS.append(what)


class Server:
    def __init__(self, *flags):
        self.proc = subprocess.Popen([SERVE, "mem:", *flags],
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"PORT (\d+)", line)
        if not m:
            raise SystemExit("server did not start: " + line +
                             self.proc.stderr.read())
        self.port = int(m.group(1))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def connect(port, timeout=30):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_response(s):
    """Reads one response; returns (status, headers dict, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a response: %r" % data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:n]


def request(port, raw, timeout=30):
    s = connect(port, timeout)
    try:
        s.sendall(raw)
        return read_response(s)
    finally:
        s.close()


def put(port, key, value, extra="", timeout=30):
    return request(port, ("PUT /%s HTTP/1.1\r\nHost: x\r\n%s"
                          "Content-Length: %d\r\nConnection: close\r\n\r\n" %
                          (key, extra, len(value))).encode() + value, timeout)


def get(port, key, extra=""):
    return request(port, ("GET /%s HTTP/1.1\r\nHost: x\r\n%s"
                          "Connection: close\r\n\r\n" % (key, extra)).encode())


def case_content_length():
    """RFC 9112 §6: every malformed framing is an immediate 400, and the
    stored value is untouched (it used to be overwritten, or read as 5)."""
    srv = Server()
    try:
        check(put(srv.port, "cl", b"seed")[0] == 200, "seed value stored")
        forms = {
            "abc": "Content-Length: abc\r\n",
            "0x10": "Content-Length: 0x10\r\n",
            "+5": "Content-Length: +5\r\n",
            "5abc": "Content-Length: 5abc\r\n",
            "-1": "Content-Length: -1\r\n",
            "1e20": "Content-Length: 1e20\r\n",
            "empty": "Content-Length: \r\n",
            "huge": "Content-Length: 99999999999999999999999\r\n",
            "two different": "Content-Length: 5\r\nContent-Length: 6\r\n",
            "two equal": "Content-Length: 5\r\nContent-Length: 5\r\n",
            "list": "Content-Length: 5, 5\r\n",
            "with chunked": "Content-Length: 5\r\n"
                            "Transfer-Encoding: chunked\r\n",
            "chunked then length": "Transfer-Encoding: chunked\r\n"
                                   "Content-Length: 5\r\n",
            "gzip coding": "Transfer-Encoding: gzip\r\n",
        }
        for name, header in forms.items():
            raw = ("PUT /cl HTTP/1.1\r\nHost: x\r\n" + header +
                   "\r\n").encode() + b"hello"
            t0 = time.monotonic()
            try:
                status = request(srv.port, raw, timeout=10)[0]
            except (OSError, ConnectionError) as e:
                status = "no answer (%s)" % e
            took = time.monotonic() - t0
            check(status == 400 and took < 10,
                  "Content-Length %s: 400 at once (got %s)" % (name, status))
            check(get(srv.port, "cl")[2] == b"seed",
                  "Content-Length %s: value unchanged" % name)
    finally:
        srv.stop()


def case_absolute_form():
    """RFC 9112 §3.2.2: `GET http://host/a/b` names the key a:b (it used to
    be read as the key http:host:a:b)."""
    srv = Server()
    try:
        put(srv.port, "a/b", b"value")
        s, _, body = request(srv.port, b"GET http://example.com/a/b HTTP/1.1\r\n"
                             b"Host: example.com\r\nConnection: close\r\n\r\n")
        check(s == 200 and body == b"value",
              "absolute-form GET reads key a:b (got %s %r)" % (s, body))
        raw = (b"PUT http://example.com:8787/a/c HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: 2\r\nConnection: close\r\n\r\nhi")
        check(request(srv.port, raw)[0] == 200, "absolute-form PUT")
        check(get(srv.port, "a/c")[2] == b"hi", "absolute-form PUT wrote a:c")
        check(get(srv.port, "http:/example.com/a/b")[0] == 404,
              "no key named after the URI scheme")
        s = request(srv.port, b"GET a/b HTTP/1.1\r\nHost: x\r\n"
                    b"Connection: close\r\n\r\n")[0]
        check(s == 400, "a target that is neither path nor URI: 400 (%s)" % s)
    finally:
        srv.stop()


def listen_overflows():
    out = subprocess.run(["nstat", "-az", "TcpExtListenOverflows"],
                         capture_output=True, text=True).stdout
    m = re.search(r"TcpExtListenOverflows\s+(\d+)", out)
    return int(m.group(1)) if m else None


def case_burst():
    """200 clients connect at the same instant (non-blocking connects from
    one thread, so the SYNs really arrive together), then each sends a
    keep-alive create-only PUT: all are answered, and the kernel counts no
    SYN dropped for a full accept queue (the backlog was 5)."""
    n = int(os.environ.get("CASK_BURST_CONNECTIONS", "200"))
    srv = Server()
    socks = []
    try:
        before = listen_overflows()
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", srv.port))
            socks.append(s)
        for s in socks:
            select.select([], [s], [], 60)
            s.setblocking(True)
            s.settimeout(60)
        for i, s in enumerate(socks):
            body = b"v"
            s.sendall(b"PUT /burst/%d HTTP/1.1\r\nHost: x\r\n"
                      b"If-None-Match: *\r\nContent-Length: 1\r\n\r\n" % i
                      + body)
        statuses = []
        for s in socks:
            try:
                statuses.append(read_response(s)[0])
            except (OSError, ConnectionError) as e:
                statuses.append(repr(e))
        after = listen_overflows()
        check(statuses.count(200) == n,
              "%d simultaneous creates all answered 200 (%d were)" %
              (n, statuses.count(200)))
        if before is None:
            print("note: nstat unavailable, ListenOverflows not checked")
        else:
            check(after == before,
                  "no ListenOverflows during the burst (%d -> %d)" %
                  (before, after))
    finally:
        for s in socks:
            s.close()
        srv.stop()


def case_slowloris():
    """Hundreds of clients trickle header lines; ordinary clients are still
    answered, and a trickling request is cut off at the header deadline."""
    n = int(os.environ.get("CASK_SLOWLORIS_SOCKETS", "500"))
    srv = Server()  # default header timeout (10 s)
    socks = []
    stop = threading.Event()
    try:
        for i in range(n):
            s = connect(srv.port)
            s.sendall(b"GET /slow/%d HTTP/1.1\r\nHost: x\r\n" % i)
            socks.append(s)

        def trickle():
            while not stop.is_set():
                for s in socks:
                    try:
                        s.sendall(b"X-Trickle: 1\r\n")
                    except OSError:
                        pass
                stop.wait(1)

        t = threading.Thread(target=trickle)
        t.start()
        ok = 0
        for i in range(20):
            try:
                if put(srv.port, "fast/%d" % i, b"v", timeout=15)[0] == 200 \
                        and get(srv.port, "fast/%d" % i)[2] == b"v":
                    ok += 1
            except OSError:
                break  # blocked behind the trickling sockets
        check(ok == 20, "ordinary requests answered beside %d trickling "
              "sockets (%d/20)" % (n, ok))
        # Every trickling socket is closed by the server within a generous
        # deadline (header timeout 10 s, checked once a second).
        deadline = time.monotonic() + 60
        closed = 0
        for s in socks:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                while True:
                    if not s.recv(4096):
                        closed += 1
                        break
            except ConnectionResetError:
                closed += 1
            except OSError:
                pass
        check(closed == n, "trickling requests cut off (%d/%d)" % (closed, n))
    finally:
        stop.set()
        for s in socks:
            s.close()
        srv.stop()


def case_body_budget():
    """Request bodies held at once are bounded: past the budget a PUT gets
    503 with Retry-After, before its body is read; the stored value is
    unchanged; once the budget frees, writes succeed again."""
    srv = Server("--max-body", "800000", "--max-inflight-body", "1000000")
    try:
        put(srv.port, "big", b"seed")
        held = connect(srv.port)
        held.sendall(b"PUT /held HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Length: 700000\r\n\r\n" + b"h" * 1000)
        time.sleep(0.5)  # let the server reserve the held body
        status, headers, _ = put(srv.port, "big", b"b" * 700000)
        check(status == 503, "PUT past the body budget: 503 (got %s)" % status)
        check(headers.get("retry-after") is not None, "503 has Retry-After")
        check(get(srv.port, "big")[2] == b"seed", "refused PUT wrote nothing")
        held.sendall(b"h" * 699000)
        check(read_response(held)[0] == 200, "the held PUT completes")
        held.close()
        # The server returns the held body's share of the budget when it is
        # done with that request, which may be just after the answer went
        # out: until then a PUT still gets 503, as promised. Retry, as a
        # client honouring Retry-After would, within a generous deadline.
        deadline = time.monotonic() + 10
        status = put(srv.port, "big", b"b" * 700000)[0]
        while status == 503 and time.monotonic() < deadline:
            time.sleep(0.1)
            status = put(srv.port, "big", b"b" * 700000)[0]
        check(status == 200,
              "after the budget frees, the PUT succeeds (got %s)" % status)
    finally:
        srv.stop()


CASES = {
    "content_length": case_content_length,
    "absolute_form": case_absolute_form,
    "burst": case_burst,
    "slowloris": case_slowloris,
    "body_budget": case_body_budget,
}

for name in (sys.argv[2:] or CASES):
    print("== " + name, flush=True)
    try:
        CASES[name]()
    except Exception as e:  # a crash or hang of the server is a failure
        check(False, "%s raised %r" % (name, e))
print("%d failure(s)" % len(FAILS))
sys.exit(1 if FAILS else 0)
