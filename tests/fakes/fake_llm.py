#!/usr/bin/env python3
"""fake_llm.py - a scriptable fake model server for Maestro's tests.

Real HTTP on loopback speaking both wire formats Maestro uses, shaped
byte-for-byte like the samples in shared/fixtures/payloads:

  OpenAI-compatible   POST /v1/chat/completions (SSE when "stream": true)
                      POST /v1/embeddings, GET /v1/models
  Ollama native       POST /api/chat (NDJSON when "stream" is not false)
                      POST /api/embed, POST /api/embeddings (legacy), GET /api/tags
  Rerank              POST /v1/rerank (Jina/llama.cpp shape), POST /rerank (TEI shape)
  Test control        GET /_calls, POST /_reset, POST /_rules (replace the rules), GET /health

Usage: fake_llm.py [--rules FILE] [--port N] [--host 127.0.0.1]
The chosen port is printed alone on the first line of stdout (port 0 = any).

Answers are scripted by a JSON rules file; docs/models.md documents the
format. Embeddings are deterministic hashed bag-of-words vectors (L2
normalised), so texts that share words are similar.
"""
import argparse
import hashlib
import json
import math
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STOPWORDS = set("a an and are as at be by for from has have in is it its of on or that the this to was were will with".split())


class State:
    def __init__(self, rules):
        self.lock = threading.Lock()
        self.set_rules(rules)
        self.reset()

    def set_rules(self, rules):
        with_lock = getattr(self, "lock", None)
        if with_lock:
            with self.lock:
                self._set_rules(rules)
        else:
            self._set_rules(rules)

    def _set_rules(self, rules):
        if not isinstance(rules, dict):
            raise ValueError("rules must be a JSON object")
        self.rules = rules
        self.rule_hits = {}
        self.rngs = {}

    def reset(self):
        with self.lock:
            self.calls = []
            self.inflight = 0
            self.max_inflight = 0
            self.rule_hits = {}
            self.rngs = {}


STATE = None


def words(text):
    return [w for w in re.findall(r"\w+", (text or "").lower()) if w not in STOPWORDS]


def embed(text, dim):
    v = [0.0] * dim
    for w in words(text):
        h = hashlib.sha256(w.encode("utf-8")).digest()
        idx = int.from_bytes(h[:4], "little") % dim
        v[idx] += 1.0 if h[4] & 1 else -1.0
    norm = math.sqrt(sum(x * x for x in v))
    if norm == 0:
        v[0] = 1.0
        norm = 1.0
    return [round(x / norm, 8) for x in v]


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b))


def count_tokens(text):
    return max(1, len(re.findall(r"\w+|[^\w\s]", text or "")))


def instance_from_schema(s):
    """A minimal value that satisfies a JSON schema (used when no rule says more)."""
    if not isinstance(s, dict):
        return "fake"
    if "enum" in s and s["enum"]:
        return s["enum"][0]
    t = s.get("type")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    if t == "object" or (t is None and "properties" in s):
        props = s.get("properties", {})
        keys = s.get("required") or list(props.keys())
        return {k: instance_from_schema(props.get(k, {})) for k in keys}
    if t == "array":
        n = max(1, int(s.get("minItems", 1)))
        return [instance_from_schema(s.get("items", {})) for _ in range(n)]
    if t == "integer":
        return 1
    if t == "number":
        return 1.0
    if t == "boolean":
        return True
    if t == "null":
        return None
    return "fake"


def message_text(m):
    c = m.get("content")
    if isinstance(c, list):  # OpenAI content parts
        return "".join(p.get("text", "") for p in c if isinstance(p, dict))
    return c if isinstance(c, str) else ""


class Request:
    """What a rule can match on, independent of the wire format."""

    def __init__(self, provider, body):
        self.provider = provider
        self.body = body
        self.model = body.get("model", "")
        msgs = body.get("messages") or []
        self.messages = [m for m in msgs if isinstance(m, dict)]
        self.system = "\n".join(message_text(m) for m in self.messages if m.get("role") == "system")
        users = [message_text(m) for m in self.messages if m.get("role") == "user"]
        self.last_user = users[-1] if users else ""
        self.last_role = self.messages[-1].get("role", "") if self.messages else ""
        self.all_text = "\n".join(message_text(m) for m in self.messages)
        self.schema = None
        self.json_kind = None
        if provider == "openai":
            rf = body.get("response_format")
            if isinstance(rf, dict):
                self.json_kind = rf.get("type")
                if rf.get("type") == "json_schema":
                    self.schema = (rf.get("json_schema") or {}).get("schema")
            self.stream = bool(body.get("stream", False))
        else:
            fmt = body.get("format")
            if isinstance(fmt, dict):
                self.json_kind, self.schema = "json_schema", fmt
            elif fmt == "json":
                self.json_kind = "json_object"
            self.stream = body.get("stream", True) is not False


def matches(rule, req):
    m = rule.get("match", {})
    checks = [
        ("model", lambda v: req.model == v),
        ("provider", lambda v: req.provider == v),
        ("last_role", lambda v: req.last_role == v),
        ("system", lambda v: v in req.system),
        ("system_regex", lambda v: re.search(v, req.system, re.S) is not None),
        ("content", lambda v: v in req.last_user),
        ("content_regex", lambda v: re.search(v, req.last_user, re.S) is not None),
        ("any", lambda v: v in req.all_text),
        ("any_regex", lambda v: re.search(v, req.all_text, re.S) is not None),
        ("json", lambda v: bool(req.json_kind) == bool(v)),
        ("response_format", lambda v: req.json_kind == v),
        ("stream", lambda v: req.stream == bool(v)),
    ]
    for key, fn in checks:
        if key in m and not fn(m[key]):
            return False
    return True


def pick_rule(req):
    """Returns (rule, name, nth) where nth is the 1-based match count of the rule."""
    with STATE.lock:
        rules = STATE.rules.get("rules", [])
        for i, rule in enumerate(rules):
            if not matches(rule, req):
                continue
            name = rule.get("name", "rule%d" % i)
            n = STATE.rule_hits.get(name, 0)
            if "times" in rule and n >= rule["times"]:
                continue
            STATE.rule_hits[name] = n + 1
            return rule, name, n + 1
        default = STATE.rules.get("default", {})
        n = STATE.rule_hits.get("default", 0) + 1
        STATE.rule_hits["default"] = n
        return default, "default", n


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def sentences(text):
    return [s.strip() for s in SENTENCE_END.split(text or "") if s.strip()]


def derive_notes(req, rule):
    """Researcher: one note per passage of the prompt ([P1] title line, then its
    text), the quote a verbatim sentence of the passage, the summary the next."""
    m = re.search(r"At most (\d+) notes", req.system)
    cap = int(m.group(1)) if m else 8
    per = int(rule.get("per_passage", 1))
    notes = []
    blocks = re.split(r"\n\[(P\d+)\] [^\n]*\n", "\n" + req.last_user)
    for i in range(1, len(blocks) - 1, 2):
        label, body = blocks[i], blocks[i + 1]
        sents = [x.split("\n")[-1].strip() for x in sentences(body)]
        sents = [x for x in sents if len(x) >= 40 and not x.startswith(("#", "|"))]
        for k in range(min(per, len(sents))):
            if len(notes) >= cap:
                break
            quote = sents[k]
            summary = sents[k + 1] if k + 1 < len(sents) else quote
            notes.append({"passage": label, "quote": quote, "summary": summary.replace("\n", " "), "credibility": 7})
    return {"notes": notes}


def derive_text(req, rule):
    """Writer: every numbered note of the prompt as its quote and its summary,
    cited; "### heading" lines of the notes list are kept."""
    out, para = [], []
    part = req.last_user.split("Notes (cite them by number):", 1)[-1].split("\nPrevious draft:", 1)[0]
    for line in part.splitlines():
        if line.startswith("### "):
            if para:
                out.append(" ".join(para))
                para = []
            out.append(line.strip())
            continue
        m = re.match(r'^\[(\d+)\] "(.*)" \((.*?)\)(?: - (.*))?$', line)
        if not m:
            continue
        n, quote, summary = m.group(1), m.group(2).rstrip(". "), (m.group(4) or "").strip().rstrip(". ")
        para.append("%s [%s]." % (quote, n))
        if summary and summary != quote:
            para.append("%s [%s]." % (summary, n))
        if len(para) >= 4:
            out.append(" ".join(para))
            para = []
    if para:
        out.append(" ".join(para))
    return "\n\n".join(out) or "The sources did not cover this."


def derive_reflection(req, rule):
    """Reflector: every "## [id] title" section at rule quality (default 0.6)
    with two follow-up questions made from its title."""
    q = float(rule.get("quality", 0.6))
    secs = []
    for sid, title in re.findall(r"^## \[([^\]]+)\] (.*)$", req.last_user, re.M):
        secs.append({"id": sid, "quality": q, "gaps": ["more evidence on " + title],
                     "new_questions": ["What figures and trends describe " + title + "?",
                                       "What risks and limitations affect " + title + "?"]})
    return {"sections": secs, "outline_changes": []}


DERIVE = {"notes": derive_notes, "text": derive_text, "reflection": derive_reflection}


def answer_text(rule, req, nth):
    """The answer as text, after content faults (think, fences, prose, malformed)."""
    seq = None
    if rule.get("derive") in DERIVE:
        d = DERIVE[rule["derive"]](req, rule)
        rule = dict(rule, text=d if isinstance(d, str) else json.dumps(d, ensure_ascii=False))
        rule.pop("json", None)
    for key in ("texts", "jsons"):
        if key in rule:
            seq = rule[key]
            item = seq[min(nth, len(seq)) - 1] if seq else ""
            text = item if key == "texts" else json.dumps(item, ensure_ascii=False)
            break
    else:
        if "json" in rule:
            text = json.dumps(rule["json"], ensure_ascii=False)
        elif "text" in rule:
            text = rule["text"]
        elif req.schema is not None:
            text = json.dumps(instance_from_schema(req.schema), ensure_ascii=False)
        elif req.json_kind:
            text = json.dumps({"answer": "fake answer"})
        else:
            text = "This is a fake answer to: " + req.last_user[:100]
    text = text.replace("{{last_user}}", req.last_user).replace("{{model}}", req.model)
    if rule.get("repeat"):
        text = text * int(rule["repeat"])
    faulty = nth <= rule.get("fail_times", 10**9)
    if faulty and rule.get("malformed"):
        # Cut the JSON in half: no parser can fix it, a re-ask must.
        text = text[: max(1, len(text) // 2)]
    if rule.get("trailing_comma") and text.rstrip().endswith("}"):
        t = text.rstrip()
        text = t[:-1].rstrip() + ",}"
    if rule.get("fence"):
        text = "Here is the JSON you asked for:\n```json\n" + text + "\n```\nLet me know if you need more."
    if rule.get("prose"):
        text = "Sure! The answer is below.\n" + text + "\nI hope this helps."
    if rule.get("think"):
        think = rule["think"] if isinstance(rule["think"], str) else "Let me think about this carefully {\"not\": \"this\"}."
        text = "<think>" + think + "</think>\n" + text
    return text


MISBEHAVIOURS = ["json_prose", "json_only", "echo", "foreign_citations", "think", "truncate", "empty",
                 "other_language", "bad_ids"]
KOREAN = "이 절은 수집된 자료를 바탕으로 작성되었습니다 [1]. 데비안 안정판은 보안 팀이 약 삼 년 동안 지원합니다 [2]."


def rule_rng(name, rule):
    """The rule's random generator: seeded, so a run is reproducible."""
    import random
    with STATE.lock:
        rng = STATE.rngs.get(name)
        if rng is None:
            seed = rule.get("seed", STATE.rules.get("seed", 1))
            rng = STATE.rngs[name] = random.Random("%s:%s" % (seed, name))
        return rng


def map_strings(v, fn, key=None):
    if isinstance(v, dict):
        return {k: map_strings(x, fn, k) for k, x in v.items()}
    if isinstance(v, list):
        return [map_strings(x, fn, key) for x in v]
    if isinstance(v, str):
        return fn(key, v)
    return v


def foreign_cites(text, rng):
    forms = ["[note %s]", "(%s)", "[P%s]", "\u3010%s\u3011", "^%s", "[^%s]"]
    out = re.sub(r"\[(\d+)\]", lambda m: rng.choice(forms) % m.group(1), text)
    return out + " This is also shown elsewhere [99]."


def misbehave(rule, name, req, text, nth):
    """Bends a good answer into one of the bad shapes a real model produces.
    Returns (text, finish_reason). Applied when the rule lists "misbehave"
    (modes, or "random" for any), to the calls counted by fail_times, with
    probability misbehave_rate (seeded by "seed")."""
    modes = rule.get("misbehave")
    if not modes or nth > rule.get("fail_times", 10**9):
        return text, "stop"
    rng = rule_rng(name, rule)
    if rng.random() >= float(rule.get("misbehave_rate", 1.0)):
        return text, "stop"
    if isinstance(modes, str):
        modes = [modes]
    if "random" in modes:
        modes = MISBEHAVIOURS
    mode = rng.choice(modes)
    prose = not req.json_kind
    try:
        value = json.loads(text) if not prose else None
    except ValueError:
        value = None
    if mode == "json_prose":
        if prose:
            return json.dumps({"answer": text}, ensure_ascii=False), "stop"
        return "Here is my analysis. The sources look reliable and the outline is fine.", "stop"
    if mode == "json_only":
        if prose:
            return json.dumps({"quality": 0.7, "done": True}), "stop"
        return "Here is my analysis. The sources look reliable and the outline is fine.", "stop"
    if mode == "echo":
        if prose or value is None:
            return "Introduction\n\n" + req.system, "stop"
        return json.dumps(map_strings(value, lambda k, v: req.system if len(v) > 12 else v), ensure_ascii=False), "stop"
    if mode == "foreign_citations":
        return (foreign_cites(text, rng) if prose else text), "stop"
    if mode == "think":
        return "<think>The user wants {\"json\": true}. Let me plan [1] carefully.</think>\n" + text, "stop"
    if mode == "loop":
        # a small model stuck in a loop: the same sentences over and over
        return ((" ".join([text.strip()] * 3)) if prose else text), "stop"
    if mode == "truncate":
        return text[: max(1, len(text) // 2)], "length"
    if mode == "empty":
        return "", "stop"
    if mode == "other_language":
        if prose:
            return KOREAN, "stop"
        if value is None:
            return text, "stop"
        langs = ("introduction", "conclusion", "summary")
        return json.dumps(map_strings(value, lambda k, v: KOREAN if k in langs else v), ensure_ascii=False), "stop"
    if mode == "bad_ids":
        if value is None:
            return text, "stop"

        def bend(k, v):
            if k in ("id", "into"):
                return "x" + v + "9"
            if k == "questions" or k == "new_questions":
                return "Notes about " + v.rstrip("?").lower() + "."
            return v
        value = map_strings(value, bend)
        if isinstance(value, dict) and isinstance(value.get("verdicts"), list):
            for v in value["verdicts"]:
                if isinstance(v, dict) and isinstance(v.get("id"), int):
                    v["id"] += 900
        return json.dumps(value, ensure_ascii=False), "stop"
    return text, "stop"


def chunks_of(text, size):
    if not text:
        return []
    return [text[i : i + size] for i in range(0, len(text), size)]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-llm/1.0"

    def log_message(self, fmt, *args):  # quiet
        pass

    # ---- plumbing ----
    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw.decode("utf-8")) if raw else {}
        except (ValueError, UnicodeDecodeError):
            return None

    def send_json(self, status, obj, extra=None, raw=None):
        data = raw if raw is not None else json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.leave()
        self.wfile.write(data)
        self.wfile.flush()

    def leave(self):
        """Counts a chat call as finished just before its last bytes go out:
        the client may start its next call as soon as it has them, before
        this thread runs again (max_inflight would then count one too many)."""
        if getattr(self, "in_chat", False):
            self.in_chat = False
            with STATE.lock:
                STATE.inflight -= 1

    def start_chunked(self, ctype):
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        self.wfile.flush()

    def chunk(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self):
        self.leave()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def drop(self):
        """Closes the connection abruptly (no terminating chunk)."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(2)
        except OSError:
            pass

    def record(self, **kw):
        kw["path"] = self.path
        kw["auth"] = bool(self.headers.get("Authorization"))
        kw["ts"] = time.time()
        with STATE.lock:
            STATE.calls.append(kw)

    def check_key(self):
        want = STATE.rules.get("require_api_key")
        if want and self.headers.get("Authorization") != "Bearer " + want:
            self.send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
            return False
        return True

    # ---- dispatch ----
    def do_GET(self):
        try:
            if self.path == "/_calls":
                with STATE.lock:
                    calls = list(STATE.calls)
                    out = {"total": len(calls), "max_inflight": STATE.max_inflight, "inflight": STATE.inflight}
                by_path, by_rule = {}, {}
                for c in calls:
                    by_path[c["path"]] = by_path.get(c["path"], 0) + 1
                    if "rule" in c:
                        by_rule[c["rule"]] = by_rule.get(c["rule"], 0) + 1
                out.update(by_path=by_path, by_rule=by_rule, calls=calls)
                return self.send_json(200, out)
            if self.path == "/health":
                return self.send_json(200, {"status": "ok"})
            if not self.check_key():
                return
            models = STATE.rules.get("models", ["fake-model"])
            if self.path == "/v1/models":
                self.record(kind="models")
                return self.send_json(200, {"object": "list", "data": [
                    {"id": m, "object": "model", "created": 1686935002, "owned_by": "fake"} for m in models]})
            if self.path == "/api/tags":
                self.record(kind="models")
                return self.send_json(200, {"models": [
                    {"name": m, "model": m, "modified_at": "2024-01-01T00:00:00Z", "size": 1000,
                     "digest": hashlib.sha256(m.encode()).hexdigest(),
                     "details": {"format": "gguf", "family": "fake", "parameter_size": "1B", "quantization_level": "Q4_0"}}
                    for m in models]})
            self.send_json(404, {"error": "not found"})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_POST(self):
        try:
            body = self.read_body()
            if self.path == "/_reset":
                STATE.reset()
                return self.send_json(200, {"ok": True})
            if self.path == "/_rules":
                try:
                    STATE.set_rules(body)
                except ValueError as e:
                    return self.send_json(400, {"error": str(e)})
                return self.send_json(200, {"ok": True})
            if body is None:
                self.record(kind="bad_request")
                return self.send_json(400, {"error": {"message": "We could not parse the JSON body of your request."}})
            if not self.check_key():
                return
            if self.path == "/v1/chat/completions":
                return self.chat("openai", body)
            if self.path == "/api/chat":
                return self.chat("ollama", body)
            if self.path in ("/v1/embeddings", "/api/embed", "/api/embeddings"):
                return self.embeddings(body)
            if self.path in ("/v1/rerank", "/rerank"):
                return self.rerank(body)
            self.send_json(404, {"error": "not found"})
        except (BrokenPipeError, ConnectionResetError):
            pass

    # ---- chat ----
    def chat(self, provider, body):
        req = Request(provider, body)
        rule, name, nth = pick_rule(req)
        with STATE.lock:
            STATE.inflight += 1
            STATE.max_inflight = max(STATE.max_inflight, STATE.inflight)
        self.in_chat = True
        try:
            self.record(kind="chat", provider=provider, model=req.model, stream=req.stream, rule=name,
                        json_kind=req.json_kind, last_user=req.last_user[:200], system=req.system[:200],
                        chars=len(req.all_text), prompt_tokens=count_tokens(req.all_text),
                        messages=len(req.messages), options=body.get("options"))
            self.chat_answer(provider, req, rule, nth, name)
        finally:
            self.leave()

    def chat_answer(self, provider, req, rule, nth, name="default"):
        faulty = nth <= rule.get("fail_times", 10**9)
        if rule.get("delay"):
            time.sleep(float(rule["delay"]))
        rejected = rule.get("reject_response_format", STATE.rules.get("reject_response_format", []))
        if req.json_kind and req.json_kind in rejected:
            msg = "response_format type '%s' is not supported by this server" % req.json_kind
            return self.send_json(400, {"error": {"message": msg, "type": "invalid_request_error"}}
                                  if provider == "openai" else {"error": msg})
        if faulty and rule.get("status"):
            status = int(rule["status"])
            extra = {"Retry-After": str(rule["retry_after"])} if "retry_after" in rule else None
            msg = rule.get("error", "fake error %d" % status)
            obj = {"error": {"message": msg, "type": "server_error", "code": status}} if provider == "openai" else {"error": msg}
            return self.send_json(status, obj, extra)
        text = answer_text(rule, req, nth)
        text, finish = misbehave(rule, name, req, text, nth)
        garbage = faulty and rule.get("garbage")
        drop = rule.get("drop") if faulty else None
        if req.stream:
            return self.stream_answer(provider, req, rule, text, garbage, drop, finish)
        if drop is not None:
            return self.drop()
        ptok, ctok = count_tokens(req.all_text), count_tokens(text)
        if garbage:
            return self.send_json(200, None, raw=b'{"id":"chatcmpl-123","object":"chat.completion","choices":[{"index":0,"mess')
        if provider == "openai":
            obj = {"id": "chatcmpl-123", "object": "chat.completion", "created": 1694268190, "model": req.model,
                   "system_fingerprint": "fp_44709d6fcb",
                   "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                                "logprobs": None, "finish_reason": finish}]}
            if rule.get("usage", True):
                obj["usage"] = {"prompt_tokens": ptok, "completion_tokens": ctok, "total_tokens": ptok + ctok}
        else:
            obj = {"model": req.model, "created_at": "2023-12-12T14:13:43.416799Z",
                   "message": {"role": "assistant", "content": text}, "done": True,
                   "total_duration": 5191566416, "load_duration": 2154458}
            if finish != "stop":
                obj["done_reason"] = finish
            if rule.get("usage", True):
                obj.update(prompt_eval_count=ptok, prompt_eval_duration=383809000, eval_count=ctok,
                           eval_duration=4799921000)
        self.send_json(200, obj)

    def huge_line(self, provider, n):
        """One line of n bytes that never ends (a broken or hostile server)."""
        self.start_chunked("text/event-stream" if provider == "openai" else "application/x-ndjson")
        head = 'data: {"choices":[{"index":0,"delta":{"content":"' if provider == "openai" else \
            '{"message":{"role":"assistant","content":"'
        self.chunk(head)
        block = b"x" * 65536
        sent = 0
        while sent < n:
            self.chunk(block)
            sent += len(block)
        self.chunk('"}}]}\n\n' if provider == "openai" else '"},"done":true}\n')
        self.end_chunked()

    def stream_answer(self, provider, req, rule, text, garbage, drop, finish="stop"):
        if rule.get("huge_line"):
            return self.huge_line(provider, int(rule["huge_line"]))
        pieces = chunks_of(text, int(rule.get("chunk", 4)))
        slow = float(rule.get("slow", 0))
        stall = float(rule.get("stall", 0))
        ptok, ctok = count_tokens(req.all_text), count_tokens(text)
        if provider == "openai":
            self.start_chunked("text/event-stream")
            head = '{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":%s, "system_fingerprint": "fp_44709d6fcb", ' % json.dumps(req.model)

            def frame(choices_json):
                return "data: " + head + '"choices":' + choices_json + "}\n\n"

            def delta(d, finish):
                return '[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]' % (
                    json.dumps(d, ensure_ascii=False, separators=(",", ":")), json.dumps(finish))

            if rule.get("keepalive", True):
                self.chunk(": keep-alive\n\n")
            self.chunk(frame(delta({"role": "assistant", "content": ""}, None)))
            for i, p in enumerate(pieces):
                if drop is not None and i >= int(drop):
                    return self.drop()
                if stall and i == 1:
                    time.sleep(stall)
                if garbage and i == 1:
                    self.chunk('data: {"id":"chatcmpl-123","choices":[{"delta":{"content":"x"\n\n')
                self.chunk(frame(delta({"content": p}, None)))
                if slow:
                    time.sleep(slow)
            if drop is not None:
                return self.drop()
            self.chunk(frame(delta({}, finish)))
            include_usage = (req.body.get("stream_options") or {}).get("include_usage")
            if include_usage and rule.get("usage", True):
                self.chunk(frame("[]" + ',"usage":' + json.dumps(
                    {"prompt_tokens": ptok, "completion_tokens": ctok, "total_tokens": ptok + ctok},
                    separators=(",", ":"))))
            self.chunk("data: [DONE]\n\n")
            self.end_chunked()
        else:
            self.start_chunked("application/x-ndjson")
            for i, p in enumerate(pieces):
                if drop is not None and i >= int(drop):
                    return self.drop()
                if stall and i == 1:
                    time.sleep(stall)
                if garbage and i == 1:
                    self.chunk('{"model":"x","message":{"role":"assist\n')
                line = {"model": req.model, "created_at": "2023-08-04T08:52:19.385406455-07:00",
                        "message": {"role": "assistant", "content": p, "images": None}, "done": False}
                self.chunk(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
                if slow:
                    time.sleep(slow)
            if drop is not None:
                return self.drop()
            final = {"model": req.model, "created_at": "2023-08-04T19:22:45.499127Z",
                     "message": {"role": "assistant", "content": ""}, "done_reason": finish, "done": True,
                     "total_duration": 4883583458, "load_duration": 1334875}
            if rule.get("usage", True):
                final.update(prompt_eval_count=ptok, prompt_eval_duration=342546000, eval_count=ctok,
                             eval_duration=4535599000)
            self.chunk(json.dumps(final, separators=(",", ":")) + "\n")
            self.end_chunked()

    # ---- embeddings and rerank ----
    def embeddings(self, body):
        dim = int(STATE.rules.get("embedding_dim", 64))
        rule = STATE.rules.get("embedding", {})
        with STATE.lock:
            n = STATE.rule_hits.get("embedding", 0) + 1
            STATE.rule_hits["embedding"] = n
        inp = body.get("input", body.get("prompt", ""))
        texts = inp if isinstance(inp, list) else [inp]
        self.record(kind="embed", model=body.get("model", ""), n=len(texts))
        if rule.get("delay"):
            time.sleep(float(rule["delay"]))
        if rule.get("status") and n <= rule.get("fail_times", 10**9):
            extra = {"Retry-After": str(rule["retry_after"])} if "retry_after" in rule else None
            return self.send_json(int(rule["status"]), {"error": rule.get("error", "fake embedding error")}, extra)
        vecs = [embed(t if isinstance(t, str) else "", dim) for t in texts]
        ntok = sum(count_tokens(t) for t in texts if isinstance(t, str))
        if self.path == "/v1/embeddings":
            return self.send_json(200, {"object": "list", "data": [
                {"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vecs)],
                "model": body.get("model", ""), "usage": {"prompt_tokens": ntok, "total_tokens": ntok}})
        if self.path == "/api/embeddings":
            return self.send_json(200, {"embedding": vecs[0]})
        self.send_json(200, {"model": body.get("model", ""), "embeddings": vecs, "total_duration": 14143917,
                             "load_duration": 1019500, "prompt_eval_count": ntok})

    def rerank(self, body):
        dim = int(STATE.rules.get("embedding_dim", 64))
        docs = body.get("documents", body.get("texts", []))
        docs = [d.get("text", "") if isinstance(d, dict) else str(d) for d in docs]
        self.record(kind="rerank", model=body.get("model", ""), n=len(docs))
        q = embed(body.get("query", ""), dim)
        scores = [(i, round(cosine(q, embed(d, dim)), 6)) for i, d in enumerate(docs)]
        scores.sort(key=lambda x: -x[1])
        top = body.get("top_n") or len(scores)
        if self.path == "/rerank":
            return self.send_json(200, [{"index": i, "score": s} for i, s in scores[:top]])
        self.send_json(200, {"model": body.get("model", ""), "object": "list",
                             "results": [{"index": i, "relevance_score": s} for i, s in scores[:top]],
                             "usage": {"total_tokens": sum(count_tokens(d) for d in docs)}})


def main():
    global STATE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", help="JSON rules file")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    a = ap.parse_args()
    rules = {}
    if a.rules:
        with open(a.rules, encoding="utf-8") as f:
            rules = json.load(f)
    STATE = State(rules)
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
