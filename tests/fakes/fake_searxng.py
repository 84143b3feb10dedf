#!/usr/bin/env python3
"""Fake search server for the web tests: SearXNG, Tavily and Brave wire formats.

One process answers three APIs on 127.0.0.1 (port 0 -> the chosen port is
printed on the first line of stdout):

  GET  /search?q=...&format=json     SearXNG JSON (searx/webutils.py shape)
  POST /search  (JSON body)          Tavily  (Authorization: Bearer tvly-test)
  GET  /res/v1/web/search?q=...      Brave   (X-Subscription-Token: brave-test)
  GET  /_stats                       {"requests": N, "paths": {path: N}}

--mode decides how it behaves:
  normal     results derived from the query (3 per query, one shared URL)
  forbidden  SearXNG answers 403 (JSON format disabled in settings.yml)
  empty      SearXNG answers 200 with no results and unresponsive_engines
  slow       every answer waits --delay seconds first
  error      every answer is HTTP 500
  ratelimit  every answer is HTTP 429 with Retry-After: 60
--site URL: the results point to pages of that site (a running fake_site.py):
  URL/article (a page to read), URL/image.png (not readable: its snippet
  counts) and URL/plain, instead of example.org addresses.
Python 3 standard library only.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

from fakeserve import serve
from urllib.parse import parse_qs, urlparse

STATS = {"requests": 0, "paths": {}}
LOCK = threading.Lock()
ARGS = None


def results_for(query):
    slug = "-".join(query.lower().split())[:60] or "empty"
    if ARGS is not None and ARGS.site:
        site = ARGS.site.rstrip("/")
        return [
            {"url": site + "/article", "title": "Article about %s" % query, "content": "News about %s." % query,
             "engine": "duckduckgo", "score": 3.0, "publishedDate": "2021-03-04T00:00:00"},
            {"url": site + "/image.png", "title": "Picture of %s" % query,
             "content": "Snippet only: a picture about %s." % query, "engine": "bing", "score": 2.0,
             "publishedDate": None},
            {"url": site + "/plain", "title": "Plain page", "content": "A plain page.", "engine": "wikipedia",
             "score": 1.0, "publishedDate": None},
        ]
    return [
        {"url": "https://example.org/%s/1" % slug, "title": "First result for %s" % query,
         "content": "About %s, first." % query, "engine": "duckduckgo", "score": 3.0,
         "publishedDate": "2021-03-04T00:00:00"},
        {"url": "https://en.wikipedia.org/wiki/Shared_Page", "title": "Shared page",
         "content": "A page every query finds.", "engine": "wikipedia", "score": 2.0, "publishedDate": None},
        {"url": "https://example.org/%s/3?utm_source=feed#top" % slug, "title": "Third result for %s" % query,
         "content": "About %s, third." % query, "engine": "bing", "score": 1.0, "publishedDate": None},
    ]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def count(self, path):
        with LOCK:
            STATS["requests"] += 1
            STATS["paths"][path] = STATS["paths"].get(path, 0) + 1

    def reply(self, status, obj=None, ctype="application/json", extra=None, raw=None):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def common_failures(self):
        mode = ARGS.mode
        if mode == "slow":
            time.sleep(ARGS.delay)
        if mode == "error":
            self.reply(500, {"error": "internal error"})
            return True
        if mode == "ratelimit":
            self.reply(429, {"detail": {"error": "rate limit exceeded"}}, extra={"Retry-After": "60"})
            return True
        return False

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path == "/_stats":
            with LOCK:
                self.reply(200, STATS)
            return
        self.count(u.path)
        if u.path == "/search":
            return self.searxng(q)
        if u.path == "/res/v1/web/search":
            return self.brave(q)
        self.reply(404, {"error": "not found"})

    def searxng(self, q):
        if q.get("format", [""])[0] != "json" or ARGS.mode == "forbidden":
            self.reply(403, raw=b"<html><body>403 Forbidden</body></html>", ctype="text/html")
            return
        if self.common_failures():
            return
        query = q.get("q", [""])[0]
        if ARGS.mode == "empty":
            self.reply(200, {"query": query, "number_of_results": 0, "results": [], "answers": [],
                             "corrections": [], "infoboxes": [], "suggestions": [],
                             "unresponsive_engines": [["google", "timeout"], ["bing", "CAPTCHA"]]})
            return
        res = results_for(query)
        for r in res:
            r.update({"parsed_url": ["https", "example.org", "/", "", "", ""], "template": "default.html",
                      "engines": [r["engine"]], "positions": [1], "category": "general"})
        self.reply(200, {"query": query, "number_of_results": 0, "results": res, "answers": [],
                         "corrections": [], "infoboxes": [], "suggestions": [],
                         "unresponsive_engines": [["google", "timeout"]]})

    def brave(self, q):
        if self.headers.get("X-Subscription-Token") != "brave-test":
            self.reply(401, {"type": "ErrorResponse", "error": {"code": "SUBSCRIPTION_TOKEN_INVALID",
                                                                 "detail": "The provided subscription token is invalid.",
                                                                 "status": 401}})
            return
        if self.common_failures():
            return
        query = q.get("q", [""])[0]
        # Brave marks the matched words with <strong> in descriptions
        res = [{"title": r["title"], "url": r["url"], "type": "search_result",
                "description": r["content"].replace(query, "<strong>%s</strong>" % query),
                "page_age": r["publishedDate"], "profile": {"name": "Example"}} for r in results_for(query)]
        self.reply(200, {"type": "search", "query": {"original": query}, "web": {"type": "search", "results": res}})

    def do_POST(self):
        u = urlparse(self.path)
        self.count(u.path)
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        if u.path != "/search":
            self.reply(404, {"error": "not found"})
            return
        if self.headers.get("Authorization") != "Bearer tvly-test":
            self.reply(401, {"detail": {"error": "Unauthorized: missing or invalid API key."}})
            return
        try:
            req = json.loads(body)
            query = req["query"]
        except (ValueError, KeyError):
            self.reply(400, {"detail": {"error": "query is required"}})
            return
        if self.common_failures():
            return
        res = [{"title": r["title"], "url": r["url"], "content": r["content"], "score": r["score"] / 3,
                "raw_content": None} for r in results_for(query)][: int(req.get("max_results", 5))]
        self.reply(200, {"query": query, "answer": None, "images": [], "results": res, "response_time": 0.01})


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="normal",
                   choices=["normal", "forbidden", "empty", "slow", "error", "ratelimit"])
    p.add_argument("--delay", type=float, default=5.0)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--site", default="")
    ARGS = p.parse_args()
    serve(Handler, ARGS.port)


if __name__ == "__main__":
    sys.exit(main())
