#!/usr/bin/env python3
"""p99 latency under a burst of simultaneous new connections.

    bench/http/burst.py NAME=PORT [NAME=PORT ...] [--clients 200] [--rounds 5]

Each round opens CLIENTS connections at once (asyncio, one thread), and on
each sends one create (`PUT /burst/<round>/<i>` with `If-None-Match: *`);
a request's latency runs from the start of its connect to the last byte of
its answer. Rounds alternate between the servers so both see the same
machine load. Prints, per server, the median over rounds of the p50, p99 and
max latency, and any request that failed or was not answered 200.
"""
import argparse
import asyncio
import statistics
import time


async def one(port, path):
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    body = b"burst"
    writer.write(b"PUT " + path.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                 b"If-None-Match: *\r\nContent-Length: 5\r\n"
                 b"Connection: close\r\n\r\n" + body)
    await writer.drain()
    data = await reader.read()  # until the server closes
    elapsed = time.perf_counter() - start
    writer.close()
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return elapsed, status


async def burst(port, clients, tag):
    results = await asyncio.gather(
        *(one(port, f"/burst/{tag}/{i}") for i in range(clients)),
        return_exceptions=True)
    lat, bad = [], 0
    for r in results:
        if isinstance(r, BaseException) or r[1] != 200:
            bad += 1
        else:
            lat.append(r[0])
    return lat, bad


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("servers", nargs="+")
    ap.add_argument("--clients", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    servers = [s.split("=") for s in args.servers]
    stats = {name: [] for name, _ in servers}
    failures = {name: 0 for name, _ in servers}
    run_id = int(time.time())
    for r in range(args.rounds):
        for name, port in servers:
            lat, bad = asyncio.run(
                burst(int(port), args.clients, f"{run_id}-{r}"))
            failures[name] += bad
            if lat:
                stats[name].append(
                    (pct(lat, 0.5), pct(lat, 0.99), max(lat)))
            time.sleep(0.5)
    print(f"{args.clients} simultaneous connects, one create each, "
          f"{args.rounds} rounds, medians (ms)")
    print(f"{'server':<12}{'p50':>10}{'p99':>10}{'max':>10}{'failed':>8}")
    for name, _ in servers:
        s = stats[name]
        med = [statistics.median(x[i] for x in s) * 1000 for i in range(3)]
        print(f"{name:<12}{med[0]:>10.1f}{med[1]:>10.1f}{med[2]:>10.1f}"
              f"{failures[name]:>8}")


if __name__ == "__main__":
    main()
