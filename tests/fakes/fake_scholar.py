#!/usr/bin/env python3
"""Fake scholarly search services for the tests: arXiv, OpenAlex, Crossref,
Semantic Scholar and PubMed E-utilities, answering with the REAL captured
responses in tests/fixtures/payloads/academic/ (see its README), or variants
built from them, on each service's real path under a prefix:

  GET /arxiv/api/query?search_query=...        arXiv Atom  (ARXIV_URL=<base>/arxiv)
  GET /pdf/<arxiv id>                          a small PDF  (ARXIV_PDF_URL=<base>/pdf)
  GET /openalex/works?search=...               OpenAlex     (OPENALEX_URL=<base>/openalex)
  GET /crossref/works?query=...                Crossref     (CROSSREF_URL=<base>/crossref)
  GET /crossref/works?filter=doi:X             the captured items whose DOI is X (none: empty list)
  GET /s2/graph/v1/paper/search?query=...      Semantic Scholar (SEMANTIC_SCHOLAR_URL=<base>/s2)
  GET /pubmed/entrez/eutils/esearch.fcgi       PubMed ESearch JSON (PUBMED_URL=<base>/pubmed)
  GET /pubmed/entrez/eutils/efetch.fcgi?id=    PubMed EFetch XML
  GET /_stats                                  {"requests": N, "paths": {path: N}, "times": {path: [t...]}}
                                               (paths also count /_key<path>/<x-api-key> and
                                               /_mailto|_email|_api_key<path>/<value>)

Query-dependent variants: a query naming PaperQA gets OpenAlex's recorded
title search (the PaperQA paper) and a Semantic Scholar page whose first item
is its recorded /paper/search/match answer for the same paper (so a merge by
DOI / arXiv id is needed); "nothingmatches" gets arXiv's recorded empty feed.
PubMed's ESearch is the recorded 2018 answer with its idlist replaced by the
two PMIDs whose EFetch answers were recorded; EFetch returns those articles.

--mode:
  normal      as above
  s2_429      Semantic Scholar answers its recorded 429 to the first
              --fail-count requests (Retry-After: --retry-after)
  errors      arXiv, OpenAlex and Crossref answer their recorded error bodies
Python 3 standard library only.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler

from fakeserve import serve
from urllib.parse import parse_qs, urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "fixtures", "payloads", "academic")
STATS = {"requests": 0, "paths": {}, "times": {}, "queries": []}
LOCK = threading.Lock()
ARGS = None
S2_FAILS = [0]


def fixture(name):
    with open(os.path.join(FIX, name), "rb") as f:
        return f.read()


def pdf_bytes(title, lines):
    """A one-page PDF (Helvetica text) that poppler reads."""
    def esc(s):
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    ops = ["BT", "/F1 10 Tf", "14 TL", "50 760 Td"]
    for ln in lines:
        ops.append("(%s) Tj T*" % esc(ln))
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (" + esc(title).encode("latin-1") + b") >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


# Full text of the PaperQA preprint as the fake serves it: sentences from its
# recorded abstract (OpenAlex) plus lines only the "paper" has.
PAPERQA_LINES = [
    "PaperQA: Retrieval-Augmented Generative Agent for Scientific Research",
    "",
    "1 Introduction",
    "PaperQA is a retrieval-augmented generative agent that answers questions over the scientific literature.",
    "The agent searches for full-text scientific papers, gathers evidence from them and answers with citations.",
    "On the LitQA benchmark the retrieval-augmented agent performs on par with expert human researchers.",
]


def crossref_by_doi(doi):
    """Crossref's answer to /works?filter=doi:X: the captured list with only
    the items (of both captured lists) whose DOI is X, as the real API
    answers a filter (an empty items list when none)."""
    res = json.loads(fixture("crossref_works_query_author.json"))
    items = []
    for name in ("crossref_works_query_author.json", "crossref_works_query.json"):
        for it in json.loads(fixture(name))["message"]["items"]:
            if it.get("DOI", "").lower() == doi.lower() and not items:
                items.append(it)
    res["message"]["items"] = items
    res["message"]["total-results"] = len(items)
    res["message"]["query"] = {"start-index": 0, "search-terms": None}
    return json.dumps(res).encode()


def efetch_articles(ids):
    arts = []
    for name in ("pubmed_efetch.xml", "pubmed_efetch_unstructured_abstract.xml"):
        body = fixture(name).decode("utf-8")
        m = re.search(r"<PubmedArticle>.*</PubmedArticle>", body, re.S)
        pmid = re.search(r"<PMID[^>]*>(\d+)</PMID>", body).group(1)
        if m and pmid in ids:
            arts.append(m.group(0))
    head = fixture("pubmed_efetch.xml").decode("utf-8")
    head = head[: head.index("<PubmedArticleSet>")]
    return (head + "<PubmedArticleSet>\n" + "\n".join(arts) + "\n</PubmedArticleSet>\n").encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, ctype="application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        if u.path == "/_stats":
            with LOCK:
                self.reply(200, json.dumps(STATS).encode())
            return
        with LOCK:
            STATS["requests"] += 1
            STATS["paths"][u.path] = STATS["paths"].get(u.path, 0) + 1
            STATS["times"].setdefault(u.path, []).append(time.monotonic())
            STATS["queries"].append(self.path)
        # what identifies the caller, counted as pseudo paths for the tests:
        # /_key/<path>/<x-api-key>, /_mailto/<path>/<mailto or email>
        with LOCK:
            marks = []
            if self.headers.get("x-api-key"):
                marks.append("/_key%s/%s" % (u.path, self.headers["x-api-key"]))
            for k in ("mailto", "email", "api_key"):
                if k in q:
                    marks.append("/_%s%s/%s" % (k, u.path, q[k]))
            for m in marks:
                STATS["paths"][m] = STATS["paths"].get(m, 0) + 1
        text = " ".join(q.get(k, "") for k in ("search_query", "search", "query", "term")).lower()
        errors = ARGS.mode == "errors"
        if u.path == "/arxiv/api/query":
            if errors or q.get("id_list") == "abc":
                return self.reply(400, fixture("arxiv_error_invalid_id.atom.xml"), "application/atom+xml")
            name = "arxiv_empty_result.atom.xml" if "nothingmatches" in text else "arxiv_query.atom.xml"
            return self.reply(200, fixture(name), "application/atom+xml; charset=utf-8")
        if u.path.startswith("/pdf/"):
            if "2312.07559" in u.path:
                return self.reply(200, pdf_bytes(PAPERQA_LINES[0], PAPERQA_LINES), "application/pdf")
            return self.reply(404, b"not found", "text/plain")
        if u.path == "/openalex/works":
            if errors:
                return self.reply(400, fixture("openalex_error_invalid_filter.json"))
            name = "openalex_works_title_search.json" if "paperqa" in text else "openalex_works_search.json"
            return self.reply(200, fixture(name))
        if u.path == "/crossref/works":
            if errors:
                return self.reply(400, fixture("crossref_error_invalid_cursor.json"))
            flt = q.get("filter", "")
            if flt.startswith("doi:"):
                return self.reply(200, crossref_by_doi(flt[4:]))
            return self.reply(200, fixture("crossref_works_query_author.json"))
        if u.path == "/s2/graph/v1/paper/search":
            if ARGS.mode == "s2_429":
                with LOCK:
                    S2_FAILS[0] += 1
                    fail = S2_FAILS[0] <= ARGS.fail_count
                if fail:
                    return self.reply(429, fixture("semanticscholar_error_429.json"),
                                      extra={"Retry-After": str(ARGS.retry_after)})
            page = json.loads(fixture("semanticscholar_paper_search.json"))
            if "paperqa" in text:
                match = json.loads(fixture("semanticscholar_paper_search_match.json"))["data"][0]
                match.pop("matchScore", None)
                page["data"].insert(0, match)
            return self.reply(200, json.dumps(page).encode())
        if u.path == "/pubmed/entrez/eutils/esearch.fcgi":
            res = json.loads(fixture("pubmed_esearch.json"))
            res["esearchresult"]["idlist"] = ["22351513", "29915538"]
            res["esearchresult"]["count"] = "2"
            res["esearchresult"]["retmax"] = "2"
            return self.reply(200, json.dumps(res, indent=2).encode())
        if u.path == "/pubmed/entrez/eutils/efetch.fcgi":
            return self.reply(200, efetch_articles(q.get("id", "").split(",")), "text/xml; charset=UTF-8")
        self.reply(404, b'{"error": "not found"}')


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--mode", default="normal", choices=["normal", "s2_429", "errors"])
    p.add_argument("--fail-count", type=int, default=1)
    p.add_argument("--retry-after", type=int, default=1)
    p.add_argument("--port", type=int, default=0)
    ARGS = p.parse_args()
    serve(Handler, ARGS.port)


if __name__ == "__main__":
    sys.exit(main())
