#!/usr/bin/env node
/*
 * Browser test of the UI against a scripted backend: the built UI is served
 * by a tiny static server, and the API and the WebSocket are answered inside
 * Chromium by playwright's page.route / page.routeWebSocket. This drives the
 * flows whose server side may not exist yet (missions live, documents,
 * chat streaming) and checks the WebSocket protocol exactly: subscribe with
 * `after`, catch-up after a dropped socket, no duplicates, the visible
 * "reconnecting" state. The real-server test is run.mjs.
 *
 *   node tests/e2e/mocked.mjs [--out tests/e2e/out/mocked] [--web-dist web/dist]
 *
 * Prints "N passed, M failed" last; exits non-zero on failure.
 */
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadContract, serverRoutes, routeOf } from './contract-lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
};
const outDir = resolve(arg('out', join(here, 'out', 'mocked')));
const webDist = resolve(arg('web-dist', join(root, 'web', 'dist')));
const chromiumPath = arg('chromium', process.env.CHROMIUM || '/usr/bin/chromium');

const { chromium } = await import('playwright-core').catch(() => {
  console.error(`playwright-core is not installed: run 'npm ci' in ${here}`);
  process.exit(2);
});
if (!existsSync(join(webDist, 'index.html'))) execFileSync('npm', ['run', 'build'], { cwd: join(root, 'web'), stdio: 'inherit' });
mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir)) if (f.startsWith('FAIL-')) rmSync(join(outDir, f));

/* ---------------- static server with SPA fallback ---------------- */
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json' };
const http = createServer((req, res) => {
  const p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let file = join(webDist, p);
  if (!file.startsWith(webDist) || !existsSync(file) || statSync(file).isDirectory()) file = join(webDist, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((r) => http.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${http.address().port}`;

/* ---------------- scripted backend ---------------- */
// it answers in the shapes of web/src/lib/contract.ts, checked on every
// reply and event (a check below fails on any mismatch), like the server
const C = await loadContract(root);
const routes = serverRoutes(root);
const shapeProblems = [];
const now = Date.now();
const iso = (ms) => new Date(ms).toISOString();
const counters = (o = {}) => ({ round: 1, pass: 0, notes: 0, sections: 0, calls: 0, cached_calls: 0, checked: 0, supported: 0, cost: 0, ...o });
const mission = (o) => ({
  user_id: 'u1', description: '', questions: ['Why?'], research_questions: ['Why?'], sources: ['local_documents'], group_id: null, settings: {}, analysis: null, schedule: null,
  phase: null, round: 1, pass: 0, offline: false, error: null, started_at: null, finished_at: null, updated_at: o.created_at, outcome: null, warnings: [],
  notes_count: 0, sections_count: 0, last_seq: 0, tokens: 0, cost: 0, calls: 0, progress: 0, counters: counters(), ...o,
});
const doc = (o) => ({
  error: null, title: null, authors: null, author_list: [], year: null, venue: null, doi: null, arxiv_id: null, abstract: null, keywords: [], language: null,
  meta_sources: {}, mime: 'text/plain', size_bytes: 10, pages: 0, chunk_count: 0, metadata: {}, group_ids: [], updated_at: o.created_at, ...o,
});
const note = (o) => ({
  round: 1, content: o.quote, source_type: o.url ? 'web' : 'document', source_key: o.url ?? `doc:${o.id}`, document_id: null, page: null, url: null, authors: null,
  credibility: null, created_at: iso(now), year: null, venue: null, doi: null, ...o,
  source: { type: o.url ? 'web' : 'document', title: o.source_title, document_id: o.document_id ?? null, url: o.url ?? null, page: o.page ?? null, credibility: o.credibility ?? null },
});
const group = (o) => ({ description: '', document_count: 0, created_at: iso(now), updated_at: iso(now), ...o });
const TOKEN = 'tok-123';
const state = {
  missions: [
    mission({ id: 'm1', title: 'Few-shot learning in 2024 NLP papers', status: 'running', phase: 'planning', progress: 0.1, tokens: 1200, cost: 0.012, calls: 3, created_at: iso(now - 600_000), started_at: iso(now - 590_000), last_seq: 3 }),
    mission({ id: 'm2', title: 'Battery recycling market 2025', status: 'completed', phase: 'done', progress: 1, tokens: 84200, cost: 0.61, calls: 57, created_at: iso(now - 86_400_000), started_at: iso(now - 86_300_000), finished_at: iso(now - 84_000_000), outcome: 'ok', counters: counters({ calls: 57, checked: 24, supported: 22, cost: 0.61 }) }),
  ],
  plan: {
    sections: [
      { id: 's1', title: 'Background', questions: ['What is few-shot learning?'], subsections: [] },
      { id: 's2', title: 'Methods in 2024', questions: ['Which prompting methods dominate?'], subsections: [{ id: 's2a', title: 'In-context learning', questions: [], subsections: [] }] },
    ],
  },
  docs: [],
  groups: [group({ id: 'g1', name: 'ACL 2024' })],
  chats: [],
  users: [
    { id: 'u1', username: 'admin', role: 'admin', active: true, created_at: iso(now - 1e9) },
    { id: 'u2', username: 'carol', role: 'researcher', active: true, created_at: iso(now - 5e8) },
  ],
  putPlan: null,
  controls: [],
  settingsPut: null,
  testBody: null,
};
const REPORT = `# Battery recycling market 2025

## Summary

The market grew by **18%** in 2025 [1], driven by EU regulation [2]. Asian capacity still dominates [1, 3].

| Region | Capacity (kt) | Share |
|---|---|---|
| Asia | 850 | 72% |
| Europe | 210 | 18% |

## References

[1] IEA, "Global battery recycling capacity grew 18 percent in 2025", 2025. https://iea.example/report
[2] EU Battery Regulation 2023/1542 (local document, p. 12)
[3] Kim et al. — Korean battery supply chain survey
`;

// event log per channel, as the server keeps it
const log = new Map();
const conns = [];
function logEvent(channel, event, data) {
  const list = log.get(channel) ?? [];
  const schema = C.EVENTS[channel.split(':')[0]]?.[event];
  const bad = schema ? C.problems(schema, data) : ['no schema in contract.ts EVENTS'];
  for (const b of bad) shapeProblems.push(`${channel} event "${event}": ${b}`);
  const ev = { type: 'event', channel, seq: list.length + 1, event, data, ts: iso(Date.now()) };
  list.push(ev);
  log.set(channel, list);
  return ev;
}
function push(channel, event, data) {
  const ev = logEvent(channel, event, data);
  for (const c of conns) if (c.open && c.subs.has(channel)) c.ws.send(JSON.stringify(ev));
  return ev;
}
logEvent('mission:m1', 'status', { status: 'running' });
logEvent('mission:m1', 'phase', { phase: 'planning' });
logEvent('mission:m1', 'plan_updated', { plan: state.plan });

const subscribeLog = [];
async function setupRoutes(page) {
  await page.routeWebSocket(/\/api\/ws/, (ws) => {
    const c = { ws, subs: new Map(), open: true, url: ws.url() };
    conns.push(c);
    ws.onMessage((raw) => {
      const m = JSON.parse(String(raw));
      if (m.type === 'subscribe') {
        subscribeLog.push({ conn: conns.indexOf(c), channel: m.channel, after: m.after });
        for (const ev of log.get(m.channel) ?? []) if (ev.seq > (m.after ?? 0)) ws.send(JSON.stringify(ev));
        c.subs.set(m.channel, true);
      } else if (m.type === 'unsubscribe') c.subs.delete(m.channel);
      else if (m.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
    });
    ws.onClose(() => {
      c.open = false;
    });
  });

  await page.route(/\/api\//, async (route) => {
    const req = route.request();
    const url = new URL(req.url());
    const p = url.pathname;
    const m = req.method();
    const json = (status, body) => {
      const r = routeOf(routes, m, p);
      const spec = r && C.CONTRACT[r];
      const bad = !spec ? ['no such route in the server'] : C.problems(status >= 400 ? (spec.error ?? C.ErrorBody) : spec.body, body);
      for (const b of bad) shapeProblems.push(`${m} ${p} -> ${status}: ${b}`);
      return route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
    };
    const body = () => {
      try {
        return JSON.parse(req.postData() || '{}');
      } catch {
        return {};
      }
    };
    if (p === '/api/auth/login') {
      const b = body();
      return b.password === 'secret-pass' ? json(200, { access_token: TOKEN, token_type: 'bearer', expires_in: 3600, user: { id: 'u1', username: 'admin', role: 'admin' } }) : json(401, { error: { code: 'unauthorized', message: 'bad credentials' } });
    }
    if (req.headers()['authorization'] !== `Bearer ${TOKEN}`) return json(401, { error: { code: 'unauthorized', message: 'token expired' } });
    if (p === '/api/auth/me') return json(200, { id: 'u1', username: 'admin', role: 'admin' });
    if (p === '/api/auth/logout') return json(200, { status: 'logged_out' });
    if (p === '/api/stats') return json(200, { total_missions: 2, active_missions: 1, completed_missions: 1, avg_completion_time: 2300 });
    if (p === '/api/missions' && m === 'GET') return json(200, { missions: state.missions });
    if (p === '/api/missions' && m === 'POST') {
      const b = body();
      const id = `m${state.missions.length + 1}`;
      state.missions.unshift(mission({ id, title: b.title, status: 'queued', created_at: iso(Date.now()) }));
      return json(201, { id, status: 'queued' });
    }
    let mm = p.match(/^\/api\/missions\/([^/]+)(\/.*)?$/);
    if (mm) {
      const mis = state.missions.find((x) => x.id === mm[1]);
      if (!mis) return json(404, { error: { code: 'not_found', message: `mission ${mm[1]} not found` } });
      const sub = mm[2] || '';
      if (sub === '') return json(200, mis);
      if (sub === '/plan' && m === 'GET') return mis.id === 'm1' ? json(200, state.plan) : json(200, { sections: [{ id: 'x', title: 'Summary', questions: [], subsections: [] }] });
      if (sub === '/plan' && m === 'PUT') {
        state.putPlan = body();
        const withIds = (l, pre) => l.map((x, i) => ({ id: x.id ?? `${pre}${i + 1}`, title: x.title, questions: x.questions ?? [], subsections: withIds(x.subsections ?? [], `${pre}${i + 1}.`) }));
        return json(200, { sections: withIds(state.putPlan.sections, 'n') });
      }
      if (sub === '/notes') return json(200, { notes: mis.id === 'm2' ? [{ id: 'n9', section_id: 'x', round: 1, quote: 'Global battery recycling capacity grew 18 percent in 2025', content: 'Capacity grew 18% in 2025.', source_type: 'web', source_key: 'url:iea', document_id: null, page: null, url: 'https://iea.example/report', source_title: 'IEA', authors: null, credibility: 9, created_at: iso(now - 85_000_000), year: null, venue: null, doi: null, source: { type: 'web', title: 'IEA', url: 'https://iea.example/report', credibility: 9 } }] : [] });
      if (sub === '/logs') return json(200, { logs: [] });
      const lm = sub.match(/^\/logs\/(.+)$/);
      if (lm) return json(200, { id: lm[1], agent: 'planner', action: 'outline', model: 'qwen2.5:7b', tokens: 900, prompt_tokens: 700, completion_tokens: 200, cost: 0.002, duration_ms: 2100, status: 'ok', error: null, created_at: now - 500_000, prompt: [{ role: 'system', content: 'You plan research.' }, { role: 'user', content: 'Plan: few-shot learning' }], response: '{"sections":[...]}' });
      if (sub === '/report/versions') return json(200, mis.status === 'completed' ? { versions: [{ version: 2, created_at: iso(now - 84_000_000), chars: 400, author: 'agent', edited_by: null }, { version: 1, created_at: iso(now - 85_000_000), chars: 380, author: 'agent', edited_by: null }], formats: ['md', 'html', 'pdf', 'docx'] } : { versions: [] });
      if (sub === '/report') {
        if (mis.status !== 'completed') return json(404, { error: { code: 'not_found', message: 'no report yet' } });
        const fmt = url.searchParams.get('format');
        if (fmt === 'json')
          return json(200, {
            version: 2,
            markdown: REPORT,
            created_at: iso(now - 84_000_000),
            meta: {
              references: [
                { n: 1, note_id: 'n9', title: 'IEA', url: 'https://iea.example/report', kind: 'web', notes: ['n9'] },
                { n: 2, title: 'EU Battery Regulation 2023/1542', url: null, document_id: 'd7', page: 12, kind: 'document' },
              ],
              citations: 4,
              sections: ['Summary'],
              unverified: [],
              record: { calls: 57, tokens: 84200, cost: 0.61, checked: 24, supported: 22, offline: false, outcome: 'ok' },
            },
            formats: ['md', 'html', 'pdf', 'docx'],
          });
        if (fmt === 'md') return route.fulfill({ status: 200, contentType: 'text/markdown', body: REPORT });
        return route.fulfill({ status: 200, contentType: 'application/octet-stream', body: `report as ${fmt}` });
      }
      if (sub === '/draft') return json(404, { error: { code: 'not_found', message: 'no draft' } });
      const cm = sub.match(/^\/(pause|resume|stop)$/);
      if (cm) {
        state.controls.push(cm[1]);
        const st = { pause: 'paused', resume: 'running', stop: 'stopped' }[cm[1]];
        mis.status = st;
        setTimeout(() => push(`mission:${mis.id}`, 'status', { status: st }), 50);
        return json(200, mis);
      }
      return json(404, { error: { code: 'not_found', message: p } });
    }
    if (p === '/api/groups' && m === 'GET') return json(200, { groups: state.groups });
    if (p === '/api/groups' && m === 'POST') {
      const g = group({ id: `g${state.groups.length + 1}`, name: body().name });
      state.groups.push(g);
      return json(201, g);
    }
    if (p === '/api/documents' && m === 'GET') {
      const st = url.searchParams.get('status');
      const list = state.docs.filter((d) => !st || d.status === st);
      return json(200, { documents: list, total: list.length });
    }
    if (p === '/api/documents' && m === 'POST') {
      const raw = req.postDataBuffer()?.toString('latin1') ?? '';
      const names = [...raw.matchAll(/filename="([^"]+)"/g)].map((x) => x[1]);
      const added = names.map((n) => doc({ id: `d${state.docs.length + 1 + names.indexOf(n)}`, filename: n, status: 'queued', created_at: iso(Date.now()) }));
      state.docs.push(...added);
      for (const d of added) {
        setTimeout(() => {
          d.status = 'processing';
          push('documents', 'document', { id: d.id, status: 'processing', stage: 'parse', progress: 0.3 });
        }, 150);
        setTimeout(() => {
          d.status = 'ready';
          d.chunk_count = 2;
          push('documents', 'document', { id: d.id, status: 'ready', progress: 1 });
        }, 400);
      }
      return json(202, { documents: added.map((d) => ({ id: d.id, filename: d.filename, status: d.status })) });
    }
    if (p === '/api/search') return json(200, { results: [{ document_id: 'd1', title: 'alpha.md', filename: 'alpha.md', page: 1, chunk_id: 'c1', score: 0.873, text: 'Alpha particles are helium nuclei.', heading: null }], mode: 'lexical', reranked: false, group_by: 'passage' });
    const chatView = ({ messages: _m, ...c }) => ({ ...c, message_count: _m.length });
    if (p === '/api/chats' && m === 'GET') return json(200, { chats: state.chats.map(chatView), total: state.chats.length });
    if (p === '/api/chats' && m === 'POST') {
      const c = { id: `c${state.chats.length + 1}`, title: 'New conversation', group_id: null, created_at: iso(Date.now()), updated_at: iso(Date.now()), answering: false, messages: [] };
      state.chats.push(c);
      return json(201, chatView(c));
    }
    mm = p.match(/^\/api\/chats\/([^/]+)(\/messages)?$/);
    if (mm) {
      const c = state.chats.find((x) => x.id === mm[1]);
      if (!c) return json(404, { error: { code: 'not_found', message: 'chat' } });
      if (!mm[2]) return json(200, { ...chatView(c), messages: c.messages, last_seq: (log.get(`chat:${c.id}`) ?? []).length });
      // 202 at once; the answer streams on chat:ID, its message ends it
      const q = { id: `q${c.messages.length + 1}`, chat_id: c.id, role: 'user', content: body().content, citations: [], created_at: iso(Date.now()) };
      c.messages.push(q);
      const seq = push(`chat:${c.id}`, 'message', q).seq;
      const answer = 'Alpha particles are helium nuclei [1].';
      const pieces = ['Alpha ', 'particles ', 'are ', 'helium ', 'nuclei ', '[1].'];
      pieces.forEach((t, i) => setTimeout(() => push(`chat:${c.id}`, 'token', { text: t }), 100 + i * 120));
      setTimeout(() => {
        const msg = { id: `a${c.messages.length + 1}`, chat_id: c.id, role: 'assistant', content: answer, citations: [{ n: 1, document_id: 'd1', title: 'alpha.md', page: 1, chunk_id: 'c1', text: 'Alpha particles are helium nuclei.' }], created_at: iso(Date.now()) };
        c.messages.push(msg);
        push(`chat:${c.id}`, 'message', msg);
      }, 100 + pieces.length * 120 + 300);
      return json(202, { status: 'answering', channel: `chat:${c.id}`, seq, message: q });
    }
    const ep = (o) => ({ configured: true, provider: 'ollama', base_url: 'http://127.0.0.1:11434', model: '', source: 'user', ...o });
    const settings = (over = {}) => ({
      models: { fast: { provider: 'ollama', base_url: 'http://127.0.0.1:11434', model: 'qwen2.5:3b', api_key: '********', api_key_set: true } },
      search: { providers: ['searxng'], searxng_url: 'http://127.0.0.1:8888' },
      research: { max_rounds: 3, max_passes: 1, language: 'en' },
      mcp: {},
      ...over,
      effective: {
        fast: ep({ model: 'qwen2.5:3b' }),
        mid: ep({ model: 'qwen2.5:7b' }),
        intelligent: ep({ model: 'qwen2.5:7b' }),
        verifier: ep({ model: 'qwen2.5:7b' }),
        embedding: ep({ configured: false, provider: 'openai', base_url: '', reason: 'no embedding model' }),
        rerank: ep({ configured: false, provider: 'openai', base_url: '', source: 'none', reason: 'no rerank endpoint' }),
        search: { provider: 'searxng', configured: true, source: 'user' },
        research: { max_rounds: 3, max_passes: 1, language: 'en' },
      },
    });
    if (p === '/api/settings' && m === 'GET') return json(200, settings());
    if (p === '/api/settings' && m === 'PUT') {
      state.settingsPut = body();
      return json(200, settings(state.settingsPut));
    }
    if (p === '/api/settings/test-connection') {
      state.testBody = body();
      return json(200, { ok: true, models_ok: true, model_found: true, chat_ok: true, latency_ms: 42, kind: 'llm', tier: 'fast' });
    }
    if (p === '/api/settings/models') return json(200, { endpoint: url.searchParams.get('endpoint') ?? 'mid', models: ['qwen2.5:3b', 'qwen2.5:7b', 'llama3.1:8b'] });
    if (p === '/api/admin/users') return json(200, { users: state.users, registration_open: false });
    if (p === '/api/admin/settings') return json(200, { registration_open: false, models: {}, search: {}, research: {}, mcp: {} });
    return json(404, { error: { code: 'not_found', message: `no such endpoint: ${p}` } });
  });
}

/* ---------------- checks ---------------- */
const results = [];
let page;
async function check(name, fn) {
  try {
    await fn();
    results.push('pass');
    console.log(`PASS  ${name}`);
  } catch (e) {
    results.push('fail');
    console.log(`FAIL  ${name}: ${e.message}`);
    await page?.screenshot({ path: join(outDir, `FAIL-${name.replace(/[^a-z0-9]+/gi, '-')}.png`) }).catch(() => {});
  }
}
const assert = (c, msg) => {
  if (!c) throw new Error(msg);
};
const shot = async (name, full = true) => {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: full });
};
const waitFor = async (fn, what, ms = 5000) => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
};

const profile = mkdtempSync(join(tmpdir(), 'maestro-mocked-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: chromiumPath,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1280, height: 800 },
  acceptDownloads: true,
});
const errors = [];
try {
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(8000);
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of (401|404)/.test(m.text())) errors.push(m.text());
  });
  await setupRoutes(page);

  await check('login and dashboard with missions and statistics', async () => {
    await page.goto(`${base}/`);
    await page.fill('#username', 'admin');
    await page.fill('#password', 'secret-pass');
    await page.click('button[type=submit]');
    await page.waitForSelector('.missions-table');
    const rows = await page.locator('.missions-table tbody tr').count();
    assert(rows === 2, `${rows} rows`);
    assert((await page.textContent('.stats-grid')).includes('38m'), 'average completion time not shown');
    await shot('01-dashboard');
  });

  await check('dashboard rows of active missions update live', async () => {
    await waitFor(() => subscribeLog.some((s) => s.channel === 'mission:m1'), 'dashboard subscribe');
    assert(!subscribeLog.some((s) => s.channel === 'mission:m2'), 'subscribed to a finished mission');
    push('mission:m1', 'stats', { tokens: 1500, cost: 0.013, calls: 4 });
    await page.waitForSelector('.missions-table td:has-text("1,500")');
    subscribeLog.length = 0;
  });

  await check('mission view subscribes after the last seq and updates live', async () => {
    await page.click('text=Few-shot learning in 2024 NLP papers');
    await page.waitForSelector('.plan-tree');
    await waitFor(() => subscribeLog.some((s) => s.channel === 'mission:m1'), 'subscribe');
    const s = subscribeLog.find((x) => x.channel === 'mission:m1');
    assert(s.after === 3, `subscribed with after=${s.after}`);
    push('mission:m1', 'phase', { phase: 'research', progress: 0.35 });
    push('mission:m1', 'plan_updated', { plan: { sections: [...state.plan.sections, { id: 's3', title: 'Open problems', questions: ['What remains unsolved?'], subsections: [] }] } });
    push('mission:m1', 'note_added', { note: note({ id: 'n1', section_id: 's1', quote: 'Few-shot learning adapts a model from a handful of examples.', source_title: 'survey.pdf', document_id: 'd1', page: 2, credibility: 8 }) });
    push('mission:m1', 'note_added', { note: note({ id: 'n2', section_id: 's2', quote: 'Chain-of-thought prompting improved accuracy on 9 of 12 tasks.', source_title: 'ACL 2024 paper', url: 'https://aclanthology.example/2024.acl-long.1', credibility: 7 }) });
    push('mission:m1', 'agent_log', { id: 'l1', agent: 'planner', action: 'outline created', model: 'qwen2.5:7b', tokens: 900, prompt_tokens: 700, completion_tokens: 200, cost: 0.002, duration_ms: 2100 });
    push('mission:m1', 'agent_log', { id: 'l2', agent: 'researcher', action: 'searched documents: few-shot', model: 'qwen2.5:3b', tokens: 400, prompt_tokens: 300, completion_tokens: 100, cost: 0.0004, duration_ms: 800 });
    push('mission:m1', 'stats', { tokens: 2500, cost: 0.0144, calls: 5 });
    await page.waitForSelector('.plan-title:has-text("Open problems")');
    await page.waitForSelector('[data-testid=metric-tokens]:has-text("2,500")');
    await page.waitForSelector('[data-testid=mission-phase]:has-text("Research")');
    await shot('02-mission-plan');
  });

  await check('a dropped socket shows "reconnecting", then catches up without duplicates', async () => {
    const first = conns.filter((c) => c.open);
    assert(first.length === 1, `${first.length} open sockets`);
    // the server goes away for a moment; events happen meanwhile
    await first[0].ws.close({ code: 1012, reason: 'restart' });
    first[0].open = false;
    await page.waitForSelector('[data-testid=mission-reconnecting]', { timeout: 3000 });
    await shot('03-mission-reconnecting', false);
    logEvent('mission:m1', 'note_added', { note: note({ id: 'n3', section_id: 's3', quote: 'Evaluation on low-resource languages remains sparse.', source_title: 'workshop.pdf', credibility: 5 }) });
    await waitFor(() => conns.filter((c) => c.open).length === 1, 'the reconnect', 8000);
    await waitFor(() => subscribeLog.filter((x) => x.channel === 'mission:m1').length === 2, 'the second subscribe');
    const again = subscribeLog.filter((x) => x.channel === 'mission:m1')[1];
    assert(again.after === 11, `resubscribed with after=${again.after}, expected 11`);
    await page.waitForSelector('[data-testid=conn-state].conn-open');
    assert(!(await page.isVisible('[data-testid=mission-reconnecting]')), 'still shows reconnecting');
    // a replayed old event must not be shown twice
    const c = conns.find((x) => x.open);
    c.ws.send(JSON.stringify(log.get('mission:m1')[4]));
    await page.click('[role=tab]:has-text("Notes")');
    await page.waitForSelector('.note');
    await page.waitForTimeout(200);
    const notes = await page.locator('.note').count();
    assert(notes === 3, `${notes} notes shown`);
  });

  await check('notes are grouped by section and filterable', async () => {
    const groups = await page.$$eval('.note-group h3', (hs) => hs.map((h) => h.textContent));
    assert(groups.length === 3 && groups[0].startsWith('1 Background'), `groups: ${groups}`);
    await shot('04-mission-notes');
    await page.selectOption('[data-testid=notes-source-filter]', '__web');
    assert((await page.locator('.note').count()) === 1, 'web filter');
    await page.selectOption('[data-testid=notes-source-filter]', '');
    await page.selectOption('[data-testid=notes-section-filter]', 's3');
    assert((await page.locator('.note').count()) === 1, 'section filter');
    await page.selectOption('[data-testid=notes-section-filter]', '');
  });

  await check('activity entries expand to prompt, response, model, tokens, cost, duration', async () => {
    await page.click('[role=tab]:has-text("Activity")');
    await page.click('.log-head:has-text("outline created")');
    await page.waitForSelector('.log-body pre:has-text("You plan research.")');
    const body = await page.textContent('.log-body');
    assert(body.includes('qwen2.5:7b') && body.includes('2.10s') && body.includes('900'), body.slice(0, 200));
    await shot('05-mission-activity');
  });

  await check('pause, edit the outline, resume', async () => {
    await page.click('[role=tab]:has-text("Plan")');
    await page.click('[data-testid=btn-pause]');
    await page.waitForSelector('[data-testid=btn-resume]:not([disabled])');
    assert(await page.isDisabled('[data-testid=btn-pause]'), 'pause still enabled');
    await page.click('[data-testid=plan-edit]');
    await page.fill('.plan-edit-item >> nth=0 >> input', 'Background and definitions');
    await shot('06-mission-plan-edit');
    await page.click('[data-testid=plan-save]');
    await page.waitForSelector('.plan-title:has-text("Background and definitions")');
    assert(state.putPlan?.sections?.[0]?.title === 'Background and definitions', `PUT body ${JSON.stringify(state.putPlan)}`);
    assert(state.putPlan.sections[0].id === 's1', 'section id not kept');
    await page.click('[data-testid=btn-resume]');
    await page.waitForSelector('[data-testid=btn-pause]:not([disabled])');
    assert(state.controls.join() === 'pause,resume', state.controls.join());
  });

  await check('report: rendered markdown, citations open their source, versions, download', async () => {
    await page.goto(`${base}/missions/m2?tab=report`);
    await page.waitForSelector('[data-testid=report-body] table');
    const cites = await page.locator('[data-testid=report-body] a.cite').count();
    assert(cites === 4, `${cites} citation links`);
    await page.click('[data-testid=report-body] a.cite >> nth=0');
    const panel = await page.waitForSelector('[data-testid=citation-panel]');
    const text = await panel.textContent();
    assert(text.includes('Global battery recycling capacity grew 18 percent in 2025'), text);
    const opts = await page.$$eval('[data-testid=report-version] option', (o) => o.map((x) => x.textContent));
    assert(opts.length === 2 && opts[0].startsWith('v2'), `versions ${opts}`);
    assert((await page.textContent('.verification')).includes('22'), 'verification figures');
    await shot('07-mission-report');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-md]')]);
    assert(dl.suggestedFilename().endsWith('.md'), dl.suggestedFilename());
  });

  await check('documents: multi-file upload with progress, ready over the live channel, search', async () => {
    await page.click('nav >> text=Documents');
    await page.waitForSelector('[data-testid=dropzone]');
    await page.setInputFiles('[data-testid=file-input]', [
      { name: 'alpha.md', mimeType: 'text/markdown', buffer: Buffer.from('# Alpha\nAlpha particles are helium nuclei.') },
      { name: 'beta.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(50_000, 65) },
      { name: 'gamma.txt', mimeType: 'text/plain', buffer: Buffer.from('gamma') },
    ]);
    await waitFor(async () => (await page.locator('.upload-done').count()) === 3, 'three uploads');
    await waitFor(async () => (await page.locator('[data-testid=doc-row] .badge-ready').count()) === 3, 'three ready documents');
    await page.fill('[data-testid=search-input]', 'helium');
    await page.press('[data-testid=search-input]', 'Enter');
    await page.waitForSelector('.passage:has-text("helium nuclei")');
    await shot('08-documents');
  });

  await check('chat: answer streams token by token, citation opens its passage', async () => {
    await page.click('nav >> text=Chat');
    await page.click('[data-testid=chat-new]');
    // the chat is created with its first question (an empty one is not kept)
    await page.waitForURL(/\/chat\/new$/);
    await page.fill('[data-testid=chat-input]', 'What are alpha particles?');
    await page.press('[data-testid=chat-input]', 'Enter');
    await page.waitForURL(/\/chat\/c1$/);
    await page.waitForSelector('.msg-assistant .cursor');
    await waitFor(async () => ((await page.textContent('.msg-assistant')) || '').includes('particles are'), 'streamed tokens');
    await shot('09-chat-streaming', false);
    await page.waitForSelector('.msg-cites button');
    await page.click('.msg-assistant a.cite');
    const t = await (await page.waitForSelector('[data-testid=citation-panel]')).textContent();
    assert(t.includes('Alpha particles are helium nuclei.'), t);
    const text = await page.textContent('.msg-assistant .msg-content');
    assert((text.match(/Alpha particles/g) || []).length === 1, `duplicated text: ${text}`);
    await shot('10-chat');
  });

  await check('settings: masked keys are not sent back, test connection and model list work', async () => {
    await page.click('nav >> text=Settings');
    await page.waitForSelector('#m-fast-model');
    assert((await page.inputValue('#m-fast-model')) === 'qwen2.5:3b', 'model not loaded');
    await page.click('[data-testid=endpoint-m-fast] button:has-text("Test connection")');
    await page.waitForSelector('[data-testid=endpoint-m-fast] [data-testid=test-result]:has-text("Connection works")');
    assert(state.testBody.kind === 'llm' && state.testBody.tier === 'fast', JSON.stringify(state.testBody));
    assert(state.testBody.endpoint.model === 'qwen2.5:3b' && !('api_key' in state.testBody.endpoint), `test sent ${JSON.stringify(state.testBody)}`);
    await page.click('[data-testid=endpoint-m-fast] button:has-text("List models")');
    await page.waitForSelector('[data-testid=endpoint-m-fast] :text("3 models available")');
    assert(!(await page.isVisible('#m-mid-model')), 'an unset tier should start folded');
    await page.click('[data-testid=endpoint-m-mid] > summary');
    await page.fill('#m-mid-model', 'qwen2.5:7b');
    await shot('11-settings');
    await page.click('[data-testid=settings-save]');
    await page.waitForSelector('.alert-success');
    assert(state.settingsPut.models.mid.model === 'qwen2.5:7b', 'mid model not saved');
    assert(state.settingsPut.models.fast.api_key === '********', 'the masked key must be echoed so the server keeps it');
    assert(Object.keys(state.settingsPut).sort().join() === 'models,research,search', `sections ${Object.keys(state.settingsPut)}`);
  });

  await check('Korean mission view', async () => {
    await page.selectOption('[data-testid=lang-select]', 'ko');
    await page.goto(`${base}/missions/m1?tab=plan`);
    await page.waitForSelector('[role=tab]:has-text("계획")');
    await shot('12-mission-ko');
    await page.selectOption('[data-testid=lang-select]', 'en');
  });

  await check('phone width mission and report views fit the screen', async () => {
    await page.setViewportSize({ width: 390, height: 800 });
    for (const [u, name] of [
      ['/missions/m1?tab=notes', '13-phone-mission'],
      ['/missions/m2?tab=report', '14-phone-report'],
      ['/chat/c1', '15-phone-chat'],
    ]) {
      await page.goto(`${base}${u}`);
      await page.waitForSelector('.page');
      await page.waitForTimeout(400);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 1, `${u} is ${overflow}px too wide`);
      await shot(name);
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await check('the scripted backend answered in the shapes of web/src/lib/contract.ts', async () => {
    const seen = [...new Set(shapeProblems)];
    assert(seen.length === 0, `${seen.length} replies or events the server would not send:\n  ${seen.join('\n  ')}`);
  });

  await check('no JavaScript errors', async () => {
    assert(errors.length === 0, errors.join('\n'));
  });
} finally {
  await context.close().catch(() => {});
  http.close();
  rmSync(profile, { recursive: true, force: true });
}
const passed = results.filter((r) => r === 'pass').length;
const failed = results.length - passed;
console.log(`screenshots: ${outDir}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
