#!/usr/bin/env python3
"""Fake web site for the fetch tests (Python 3 stdlib, 127.0.0.1, port on line 1).

Pages:
  /article            news article buried in menus, sidebar, footer, cookie banner
  /latin1             HTML in ISO-8859-1 (charset in the Content-Type header)
  /latin1-meta        HTML in ISO-8859-1 (charset only in <meta>)
  /plain              text/plain UTF-8
  /doc.pdf            a small real PDF ("Quarterly PDF report ...")
  /image.png          image/png (not an allowed type)
  /big                ~3 MB of HTML paragraphs
  /bomb               gzip body that inflates to 64 MB of spaces
  /slow               answers after --delay seconds
  /redirect?to=URL    302 to URL (e.g. http://169.254.169.254/...)
  /redirect-ok        302 to /article
  /redirect-loop      302 to itself
  /_stats             {"requests": N, "paths": {path: N}} (not counted)
"""
import argparse
import io
import json
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler

from fakeserve import serve
from urllib.parse import parse_qs, urlparse

STATS = {"requests": 0, "paths": {}}
LOCK = threading.Lock()
ARGS = None

MENU = "".join('<li><a href="/section/%d">MENU-ITEM-%d</a></li>' % (i, i) for i in range(25))

ARTICLE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Tidal power plant opens in Brittany - Example News</title>
<meta property="og:title" content="Tidal power plant opens in Brittany">
<meta property="article:published_time" content="2024-05-17T08:30:00Z">
<style>.x { color: red }</style>
<script>var TRACKING_SCRIPT_TEXT = 1;</script>
</head><body>
<div id="cookie-banner">COOKIE-BANNER-TEXT We use cookies to improve your experience. Accept all?</div>
<header class="site-header"><a href="/">EXAMPLE-NEWS-LOGO</a><nav><ul>%(menu)s</ul></nav></header>
<div class="layout">
  <div class="breadcrumbs"><a href="/">Home</a> &gt; <a href="/science">Science</a></div>
  <article class="post">
    <h1>Tidal power plant opens in Brittany</h1>
    <div class="share-bar"><a href="/share/fb">SHARE-ON-FACEBOOK</a> <a href="/share/x">SHARE-ON-X</a></div>
    <div class="entry-content">
      <p>The new tidal power plant on the Rance estuary began delivering electricity on Friday, engineers said,
      after seven years of construction and testing in the strong currents of the Breton coast.</p>
      <p>ARTICLE-BODY-MARKER The turbines sit on the sea floor, where the tide turns them twice a day, and the operator
      expects them to supply about 40,000 homes, a figure that local officials called modest but reliable.</p>
      <h2>Why tides, and why here</h2>
      <p>Unlike wind and sun, tides can be predicted years ahead, which makes planning easier for the grid,
      although the sites where currents are strong enough remain rare, expensive, and hard to maintain.</p>
      <p>Fishermen had worried about the effect on fish stocks, and the operator agreed to monitor the estuary
      for ten years, publishing the data, with an independent panel reviewing it every year.</p>
    </div>
  </article>
  <aside class="sidebar"><h3>SIDEBAR-TRENDING</h3><ul><li><a href="/a">Celebrity news one</a></li>
  <li><a href="/b">Celebrity news two</a></li></ul></aside>
  <div class="related-articles"><h3>RELATED-HEADING</h3><a href="/r1">Related one</a> <a href="/r2">Related two</a></div>
</div>
<footer><p>FOOTER-COPYRIGHT Example News 2024. All rights reserved.</p><ul>%(menu)s</ul></footer>
</body></html>
""" % {"menu": MENU}

LATIN1 = ("<html><head><title>Caf\u00e9 cr\u00e8me</title></head><body><article>"
          "<p>Der Stra\u00dfenverkehr in Z\u00fcrich ist ruhig, sagte der Beamte, und das Caf\u00e9 am "
          "Ufer \u00f6ffnet um neun Uhr, wie jeden Tag, auch im Winter.</p>"
          "<p>Une fa\u00e7ade na\u00efve, cr\u00e8me br\u00fbl\u00e9e et \u00e9t\u00e9 \u00e0 "
          "l'\u00eele, voil\u00e0 ce que les visiteurs racontent, encore et encore.</p>"
          "</article></body></html>")


def make_pdf():
    """A minimal valid one-page PDF with a text line (offsets computed)."""
    text = b"BT /F1 18 Tf 72 720 Td (Quarterly PDF report about tidal energy) Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


PDF = make_pdf()


def make_big():
    return ("<html><body>" + "".join("<p>Paragraph %d of a very long page, with some words in it.</p>\n" % i
                                 for i in range(50000)) + "</body></html>").encode()


def make_bomb():
    co = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip container
    chunk = b" " * (1 << 20)
    parts = [co.compress(b"<html><body>")]
    for _ in range(64):
        parts.append(co.compress(chunk))
    parts.append(co.flush())
    return b"".join(parts)


LAZY = {}


def lazy(name, fn):
    """Big bodies are built on first use so the server starts fast."""
    with LOCK:
        if name not in LAZY:
            LAZY[name] = fn()
        return LAZY[name]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def send(self, status, body, ctype, extra=None):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        u = urlparse(self.path)
        if u.path == "/_stats":
            with LOCK:
                self.send(200, json.dumps(STATS).encode(), "application/json")
            return
        with LOCK:
            STATS["requests"] += 1
            STATS["paths"][u.path] = STATS["paths"].get(u.path, 0) + 1
        p = u.path
        if p == "/article":
            self.send(200, ARTICLE.encode(), "text/html; charset=utf-8")
        elif p == "/latin1":
            self.send(200, LATIN1.encode("latin-1"), "text/html; charset=ISO-8859-1")
        elif p == "/latin1-meta":
            html = LATIN1.replace("<head>", '<head><meta http-equiv="Content-Type" '
                                  'content="text/html; charset=iso-8859-1">')
            self.send(200, html.encode("latin-1"), "text/html")
        elif p == "/plain":
            self.send(200, "Plain text page. Gr\u00fc\u00dfe.\n".encode(), "text/plain; charset=utf-8")
        elif p == "/doc.pdf":
            self.send(200, PDF, "application/pdf")
        elif p == "/image.png":
            self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
        elif p == "/big":
            self.send(200, lazy("big", make_big), "text/html; charset=utf-8")
        elif p == "/bomb":
            self.send(200, lazy("bomb", make_bomb), "text/html", {"Content-Encoding": "gzip"})
        elif p == "/slow":
            time.sleep(ARGS.delay)
            self.send(200, b"<html><body><p>late</p></body></html>", "text/html")
        elif p == "/redirect":
            to = parse_qs(u.query).get("to", ["/article"])[0]
            self.send(302, b"", "text/html", {"Location": to})
        elif p == "/redirect-ok":
            self.send(302, b"", "text/html", {"Location": "/article"})
        elif p == "/redirect-loop":
            self.send(302, b"", "text/html", {"Location": "/redirect-loop"})
        else:
            self.send(404, b"<html><body>not found</body></html>", "text/html")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--delay", type=float, default=5.0)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--bind", default="127.0.0.1")
    ARGS = p.parse_args()
    serve(Handler, ARGS.port, ARGS.bind)


if __name__ == "__main__":
    sys.exit(main())
