"""moto's S3 server answering one request at a time.

moto checks If-Match / If-None-Match and then writes, with no lock between
the two, and its stock server (moto_server) runs each request on its own
thread: two conditional PUTs racing on one key can both pass their check,
so a swap is lost. S3 itself makes the check and the write one step. Served
from a single thread, moto has no such race, so the conformance suite's
race tests judge the adapter, not the emulator.

Usage: python3 moto_serial.py HOST PORT
"""
import signal
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(host, port, app, threaded=False, use_reloader=False)


if __name__ == "__main__":
    main()
