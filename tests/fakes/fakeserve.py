"""fakeserve.py - the one way the fake servers of tests/fakes listen.

Binds a threading HTTP server on a loopback address (port 0: the system
picks), prints the port on its own line for the test that started it, and
serves until interrupted.
"""
from http.server import ThreadingHTTPServer


def serve(handler, port=0, bind="127.0.0.1"):
    srv = ThreadingHTTPServer((bind, port), handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
