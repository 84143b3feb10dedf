/*
 * The API contract (issue 12): every route the server registers
 * (`http_route(...)` in src/api/*.c) is called against the real server with
 * data made through the API (a document, a mission run to completion with
 * the fake model, a chat, a research-chat draft, a writing session,
 * settings), and every reply body is checked against the schemas the UI is
 * typed from (web/src/lib/contract.ts): success bodies against the route's
 * schema, error bodies (400/404/409/422...) against the error shape, and the
 * WebSocket events the UI consumes (mission events, chat and draft tokens)
 * against the event schemas.
 *
 * A route of the server without a contract, a contract without a route, or a
 * route this flow did not call fails, naming it; a body that does not match
 * fails naming the route and the member (`GET /api/missions/{id}: status:
 * missing`). CONTRACT_DUMP=file writes every reply seen (for writing schemas).
 */
import { writeFileSync } from 'node:fs';
import { loadContract, serverRoutes, routeOf } from '../contract-lib.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const ALPHA =
  '# Contract alpha\n\nAlpha particles are helium nuclei. Each alpha particle consists of two protons and two neutrons bound together. ' +
  'A sheet of paper is enough to stop alpha particles.\n';
const Q1 = 'Alpha particles are helium nuclei.';
const RULES = {
  models: ['fake-model'],
  default: { text: 'Alpha particles are helium nuclei [1].' },
  rules: [
    {
      name: 'planner',
      match: { system: 'role: planner' },
      json: { analysis: { type: 'report', language: 'en' }, sections: [{ title: 'What alpha particles are', questions: ['What are alpha particles made of?'], priority: 1 }] },
    },
    // slow enough for the research-chat mission to be paused, resumed and stopped while it runs
    { name: 'researcher', match: { system: 'role: researcher' }, delay: 1.5, json: { notes: [{ passage: 'P1', quote: Q1, summary: 'Alpha particles are helium nuclei.', credibility: 8 }] } },
    { name: 'reflector', match: { system: 'role: reflector' }, json: { sections: [{ id: 's1', quality: 0.9 }] } },
    { name: 'writer', match: { system: 'role: writer' }, text: 'Alpha particles are helium nuclei [1].' },
    { name: 'reviewer', match: { system: 'role: reviewer' }, json: { introduction: 'About alpha particles.', conclusion: 'They are helium nuclei.', sections: [{ id: 's1', needs_revision: false, suggestions: [] }] } },
    { name: 'verifier', match: { system: 'role: verifier' }, json: { verdicts: [{ id: 1, supported: true }] } },
    {
      name: 'draft',
      match: { system: 'role: mission_draft' },
      json: {
        reply: 'A mission on alpha particles.',
        title: 'Alpha particles',
        questions: ['What are alpha particles?'],
        sources: { documents: true, web: false, scholarly: false },
        depth: 'quick',
        language: 'en',
        tone: 'formal',
        audience: 'students',
      },
    },
    { name: 'connection-test', match: { content: 'Reply with the single word OK' }, text: 'OK' },
  ],
};

export default async function contract(ctx) {
  const { check, assert, base, root, work, page, fakeModelPort, adminPassword } = ctx;
  const C = await loadContract(root, work);
  const routes = serverRoutes(root);
  const seen = new Map(); // route -> number of replies checked
  const bad = []; // "route: problem"
  const dump = [];
  let token = '';

  /** One request; the reply is checked against the route's contract. */
  async function call(method, path, body, want) {
    const route = routeOf(routes, method, path);
    assert(route, `${method} ${path}: no such route in src/api/*.c`);
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const r = await fetch(`${base}${path}`, { method, headers, body: payload });
    const type = r.headers.get('content-type') || '';
    const text = await r.text();
    let json;
    if (/json/.test(type) && text) {
      try {
        json = JSON.parse(text);
      } catch {
        bad.push(`${route} -> ${r.status}: body is not JSON: ${text.slice(0, 80)}`);
      }
    }
    if (want !== undefined && r.status !== want) bad.push(`${route} (${method} ${path}) -> ${r.status}, expected ${want}: ${text.slice(0, 160)}`);
    const spec = C.CONTRACT[route];
    const problems = [];
    if (!spec) problems.push('no contract in web/src/lib/contract.ts');
    else if (r.status >= 400) {
      if (!/json/.test(type)) problems.push(`error reply is ${type || 'untyped'}, not JSON`);
      else problems.push(...C.problems(spec.error ?? C.ErrorBody, json));
    } else if (r.status === 204) {
      if (text) problems.push('204 with a body');
    } else if (/json/.test(type) && spec.body) problems.push(...C.problems(spec.body, json));
    else if (spec.type) {
      if (!spec.type.test(type)) problems.push(`content-type ${type || 'none'}, expected ${spec.type}`);
    } else problems.push(`content-type ${type || 'none'}, expected JSON`);
    for (const p of problems) bad.push(`${route} -> ${r.status}: ${p}`);
    seen.set(route, (seen.get(route) || 0) + 1);
    if (process.env.CONTRACT_DUMP) dump.push({ route, path, status: r.status, body: json ?? text.slice(0, 200) });
    return { status: r.status, body: json, text };
  }
  const get = (p, want = 200) => call('GET', p, undefined, want);

  /** WebSocket events of a channel from seq 0 (replay), collected in the browser. */
  async function channelEvents(channel, until, ms = 30000) {
    return page.evaluate(
      async ({ channel, token, until, ms }) => {
        const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/ws?token=${encodeURIComponent(token)}`;
        const ws = new WebSocket(url);
        const frames = [];
        await new Promise((res) => {
          const t = setTimeout(res, ms);
          ws.onopen = () => ws.send(JSON.stringify({ type: 'subscribe', channel, after: 0 }));
          ws.onmessage = (e) => {
            const f = JSON.parse(e.data);
            frames.push(f);
            if (f.type === 'event' && until.includes(f.event)) {
              clearTimeout(t);
              res();
            }
          };
          ws.onerror = () => res();
        });
        ws.send(JSON.stringify({ type: 'ping' }));
        await new Promise((r) => setTimeout(r, 300));
        ws.send(JSON.stringify({ type: 'subscribe', channel: 'mission:nope', after: 0 }));
        await new Promise((r) => setTimeout(r, 300));
        ws.close();
        return frames;
      },
      { channel, token, until, ms },
    );
  }
  const wsBad = [];
  const wsSeen = new Set();
  function checkFrames(channel, frames) {
    for (const f of frames) {
      const where = f.type === 'event' ? `${channel} event "${f.event}"` : `${channel} frame "${f.type}"`;
      for (const p of C.problems(C.WsFrame, f)) wsBad.push(`${where}: ${p}`);
      if (f.type !== 'event') continue;
      wsSeen.add(`${channel.split(':')[0]}:${f.event}`);
      const s = C.EVENTS[channel.split(':')[0]]?.[f.event];
      if (!s) wsBad.push(`${where}: no schema in contract.ts EVENTS`);
      else for (const p of C.problems(s, f.data)) wsBad.push(`${where}: data.${p}`);
      if (process.env.CONTRACT_DUMP) dump.push({ route: where, body: f.data });
    }
  }

  let missionId = '';
  let docId = '';
  let groupId = '';
  let chatId = '';
  let draftId = '';
  let sessionId = '';
  let fromMission = '';
  let draftMission = '';
  let uid = '';
  let regOpen = false;

  await check('contract: every route is called and its replies match web/src/lib/contract.ts', async () => {
    // auth (a login of its own: the page's token stays the page's)
    const login = await call('POST', '/api/auth/login', { username: 'admin', password: adminPassword }, 200);
    token = login.body?.access_token;
    assert(token, 'no access_token');
    await call('POST', '/api/auth/login', { username: 'admin', password: 'wrong' }, 401);
    await get('/api/auth/me');
    await get('/health');
    await get('/metrics');
    // registration as an earlier flow left it, restored at the end
    regOpen = (await get('/api/admin/settings')).body?.registration_open ?? false;
    await call('PUT', '/api/admin/settings', { registration_open: false }, 200);
    await call('POST', '/api/auth/register', { username: 'contract-user', password: 'Contract-pass-1' }, 403);
    const created = await call('POST', '/api/admin/users', { username: `contract-${Date.now()}`, password: 'Contract-pass-1', role: 'researcher' }, 201);
    uid = created.body?.id;
    await call('POST', '/api/admin/users', { username: '' }, 422);
    await get('/api/admin/users');
    await call('PATCH', `/api/admin/users/${uid}`, { role: 'viewer' }, 200);

    // settings: the fake model as the default endpoint
    const fr = await fetch(`http://127.0.0.1:${fakeModelPort}/_rules`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(RULES) });
    assert(fr.ok, `fake model /_rules -> ${fr.status}`);
    await call('PUT', '/api/settings', { models: { default: { provider: 'openai', base_url: `http://127.0.0.1:${fakeModelPort}/v1`, model: 'fake-model' } } }, 200);
    await call('PUT', '/api/settings', { models: { nope: {} } }, 422);
    await get('/api/settings');
    await call('POST', '/api/settings/test-connection', { kind: 'llm' }, 200);
    await get('/api/settings/models?endpoint=fast');

    // documents and groups
    const fd = new FormData();
    fd.append('files', new Blob([ALPHA], { type: 'text/markdown' }), 'contract-alpha.md');
    const up = await call('POST', '/api/documents', fd);
    assert(up.status === 201 || up.status === 202 || up.status === 200, `upload -> ${up.status}`);
    docId = (up.body?.documents ?? [])[0]?.id;
    assert(docId, 'upload named no document');
    for (let i = 0; i < 100; i++) {
      const d = await get(`/api/documents/${docId}`);
      if (d.body?.status === 'ready' || d.body?.status === 'failed') break;
      await sleep(200);
    }
    await get('/api/documents');
    await get('/api/documents?limit=1&sort=title');
    await get(`/api/documents/${docId}/text`);
    await call('PATCH', `/api/documents/${docId}`, { year: 2024, venue: 'Contract Journal' }, 200);
    await call('PATCH', `/api/documents/${docId}`, { year: 'soon' }, 422);
    await get('/api/documents/nope', 404);
    const g = await call('POST', '/api/groups', { name: `Contract ${Date.now()}` }, 201);
    groupId = g.body?.id;
    await get('/api/groups');
    await call('POST', `/api/groups/${groupId}/documents`, { document_ids: [docId] }, 200);
    await get(`/api/groups/${groupId}`);
    await call('PATCH', `/api/groups/${groupId}`, { description: 'for the contract test' }, 200);
    await call('POST', '/api/search', { query: 'alpha particles helium', k: 3 }, 200);
    await call('POST', '/api/search', {}, 422);

    // a mission run to completion with the fake model
    const body = { title: 'Contract mission', research_questions: ['What are alpha particles?'], sources: ['local_documents'] };
    await call('POST', '/api/missions/preflight', body, 200);
    await call('POST', '/api/missions', { title: 'No sources', research_questions: ['x?'], sources: [] }, 422);
    const m = await call('POST', '/api/missions', body, 201);
    missionId = m.body?.id;
    let st = '';
    for (let i = 0; i < 300 && !['completed', 'failed', 'stopped'].includes(st); i++) {
      await sleep(200);
      st = (await get(`/api/missions/${missionId}`)).body?.status;
    }
    assert(st === 'completed', `mission ended ${st}`);
    await get('/api/missions');
    await get('/api/stats');
    await get(`/api/missions/${missionId}/plan`);
    await get(`/api/missions/${missionId}/notes`);
    const logs = await get(`/api/missions/${missionId}/logs`);
    const logId = (logs.body?.logs ?? [])[0]?.id;
    await get(`/api/missions/${missionId}/logs/${logId}`);
    await get(`/api/missions/${missionId}/draft`);
    await get(`/api/missions/${missionId}/events`);
    await get(`/api/missions/${missionId}/report`);
    await get(`/api/missions/${missionId}/report?format=json`);
    await get(`/api/missions/${missionId}/report/versions`);
    await call('PUT', `/api/missions/${missionId}/report`, { content: '# Edited\n\nAlpha particles are helium nuclei [1].\n' }, 200);
    await call('POST', `/api/missions/${missionId}/pause`, {}, 409);
    await call('POST', `/api/missions/${missionId}/resume`, {}, 409);
    await call('POST', `/api/missions/${missionId}/stop`, {}, 409);
    await call('POST', `/api/missions/${missionId}/resume-round/1`, {});
    await call('PUT', `/api/missions/${missionId}/plan`, { sections: [{ title: 'Only', questions: ['q?'] }] });
    await call('POST', `/api/missions/${missionId}/save-sources`, {});
    fromMission = (await call('POST', `/api/missions/${missionId}/writing`, {}, 201)).body?.id;
    await get('/api/missions/nope', 404);

    // chat
    const c = await call('POST', '/api/chats', { group_id: groupId }, 201);
    chatId = c.body?.id;
    await call('POST', `/api/chats/${chatId}/messages`, { content: 'What are alpha particles?' }, 202);
    await call('POST', `/api/chats/${chatId}/messages`, { content: '' }, 422);
    for (let i = 0; i < 100; i++) {
      const ch = await get(`/api/chats/${chatId}`);
      if (!ch.body?.answering && (ch.body?.messages ?? []).length >= 2) break;
      await sleep(200);
    }
    await get('/api/chats');
    await call('PATCH', `/api/chats/${chatId}`, { title: 'Contract chat' }, 200);

    // research chat (a draft)
    const d = await call('POST', '/api/missions/drafts', { content: 'I need a report on alpha particles' }, 201);
    draftId = d.body?.id;
    await get('/api/missions/drafts');
    await get(`/api/missions/drafts/${draftId}`);
    await call('PUT', `/api/missions/drafts/${draftId}`, { depth: 'never' }, 422);
    await call('PUT', `/api/missions/drafts/${draftId}`, { audience: 'physics students' }, 200);
    await call('POST', `/api/missions/drafts/${draftId}/messages`, { content: 'Make it shorter' }, 202);
    for (let i = 0; i < 100; i++) {
      if (!(await get(`/api/missions/drafts/${draftId}`)).body?.answering) break;
      await sleep(200);
    }
    const started = await call('POST', `/api/missions/drafts/${draftId}/start`, {}, 201);
    draftMission = started.body?.mission_id;
    // the controls of a running mission answer the mission
    await call('POST', `/api/missions/${draftMission}/pause`, {}, 200);
    await call('POST', `/api/missions/${draftMission}/resume`, {}, 200);
    await call('POST', `/api/missions/${draftMission}/stop`, {}, 200);

    // writing
    const s = await call('POST', '/api/writing/sessions', { title: 'Contract draft', content: 'Alpha.', group_id: groupId }, 201);
    sessionId = s.body?.id;
    await get('/api/writing/sessions');
    await get(`/api/writing/sessions/${sessionId}`);
    await call('PATCH', `/api/writing/sessions/${sessionId}`, { style: 'apa' }, 200);
    await call('PATCH', `/api/writing/sessions/${sessionId}`, { style: 'nope' }, 422);
    await call('PUT', `/api/writing/sessions/${sessionId}/draft`, { content: 'Alpha particles are helium nuclei [1].' }, 200);
    await call('PUT', `/api/writing/sessions/${sessionId}/draft`, { content: 'x', base_version: 1 }, 409);
    await get(`/api/writing/sessions/${sessionId}/versions`);
    await get(`/api/writing/sessions/${sessionId}/versions/1`);
    await call('POST', `/api/writing/sessions/${sessionId}/references`, { document_id: docId }, 201);
    await get(`/api/writing/sessions/${sessionId}/references`);
    await call('PUT', `/api/writing/sessions/${sessionId}/references/1`, { title: 'Alpha, revised', year: 2024 }, 200);
    await get(`/api/writing/sessions/${sessionId}/references/export?format=bibtex`);
    await get(`/api/writing/sessions/${sessionId}/export?format=md`);
    await call('POST', `/api/writing/sessions/${sessionId}/render`, { content: 'Helium [1].' }, 200);
    await call('POST', `/api/writing/sessions/${sessionId}/assistant`, { content: 'Shorten it', mode: 'ask' }, 202);
    for (let i = 0; i < 100; i++) {
      const a = await get(`/api/writing/sessions/${sessionId}/assistant`);
      if ((a.body?.messages ?? []).some((x) => x.role === 'assistant')) break;
      await sleep(200);
    }
    await call('DELETE', `/api/writing/sessions/${sessionId}/references/1`, undefined, 200);

    // MCP, plugins, agents
    await get('/api/mcp/servers');
    await call('POST', '/api/mcp/servers/nope/import', { uri: 'file:///x' }, 404);
    await call('POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'contract', version: '1' } } }, 200);
    await call('GET', '/mcp', undefined, 405);
    await call('DELETE', '/mcp', undefined, 400);
    await get('/api/plugins');
    await get('/api/plugins/nope/run', 404);
    await call('POST', '/api/plugins/nope/run', {}, 404);
    await call('POST', '/api/agents', { name: 'contract-critic', prompt: 'Criticise the notes.', position: 'after_research' }, 201);
    await call('POST', '/api/agents', { name: 'Bad Name', prompt: 'x', position: 'after_research' }, 422);
    await get('/api/agents');
    await get('/api/agents/contract-critic');
    await call('PUT', '/api/agents/contract-critic', { description: 'Finds gaps.' }, 200);
    await call('DELETE', '/api/agents/contract-critic', undefined, 200);

    assert(bad.length === 0, `${bad.length} contract problems:\n  ${bad.join('\n  ')}`);
  });

  await check('contract: WebSocket events the UI consumes match web/src/lib/contract.ts', async () => {
    assert(missionId && chatId && draftId, 'the route check made no mission, chat or draft');
    checkFrames(`mission:${missionId}`, await channelEvents(`mission:${missionId}`, ['report_ready'], 10000));
    checkFrames(`chat:${chatId}`, await channelEvents(`chat:${chatId}`, [], 1500));
    checkFrames(`draft:${draftId}`, await channelEvents(`draft:${draftId}`, ['started'], 5000));
    checkFrames('documents', await channelEvents('documents', [], 1500));
    const want = ['mission:status', 'mission:phase', 'mission:note_added', 'mission:agent_log', 'mission:report_ready', 'chat:token', 'chat:message', 'chat:passages', 'draft:message', 'draft:started', 'documents:document'];
    const missing = want.filter((e) => !wsSeen.has(e));
    const all = [...missing.map((e) => `${e}: never seen`), ...wsBad];
    assert(all.length === 0, `${all.length} event problems:\n  ${all.join('\n  ')}`);
  });

  await check('contract: deletes answer their contract, and every route of the server was checked', async () => {
    assert(token && docId && groupId, 'the route check made no document or group');
    bad.length = 0;
    // the deletes last
    await call('DELETE', `/api/groups/${groupId}/documents`, { document_ids: [docId] }, 200);
    await call('POST', `/api/documents/${docId}/reprocess`, {});
    await call('POST', '/api/documents/bulk', { action: 'reembed', document_ids: [docId] }, 422);
    await call('POST', '/api/documents/bulk', { action: 'add_to_group', group_id: groupId, document_ids: [docId] }, 200);
    await call('DELETE', `/api/documents/${docId}`, undefined, 200);
    await call('DELETE', `/api/chats/${chatId}`, undefined, 200);
    if (fromMission) await call('DELETE', `/api/writing/sessions/${fromMission}`, undefined, 200);
    await call('DELETE', `/api/writing/sessions/${sessionId}`, undefined, 200);
    if (draftMission) await call('DELETE', `/api/missions/${draftMission}`, undefined);
    await call('DELETE', `/api/groups/${groupId}`, undefined, 200);
    await call('DELETE', `/api/admin/users/${uid}`, undefined, 200);
    await call('POST', '/api/auth/change-password', { current_password: 'wrong', new_password: 'Another-pass-2' }, 403);
    // a user of its own: registration, a password change, a logout
    await call('PUT', '/api/admin/settings', { registration_open: true }, 200);
    const uname = `reader-${Date.now()}`;
    await call('POST', '/api/auth/register', { username: uname, password: 'Reader-pass-1' }, 201);
    await call('PUT', '/api/admin/settings', { registration_open: regOpen }, 200);
    token = (await call('POST', '/api/auth/login', { username: uname, password: 'Reader-pass-1' }, 200)).body?.access_token;
    token = (await call('POST', '/api/auth/change-password', { current_password: 'Reader-pass-1', new_password: 'Reader-pass-2!' }, 200)).body?.access_token;
    await call('POST', '/api/auth/logout', {}, 200);
    await get('/api/auth/me', 401);

    const unknownRoutes = [...routes].filter((r) => !C.CONTRACT[r]);
    const stale = Object.keys(C.CONTRACT).filter((r) => !routes.has(r));
    const uncalled = [...routes].filter((r) => !seen.has(r));
    const all = [
      ...unknownRoutes.map((r) => `${r}: a route without a contract in web/src/lib/contract.ts`),
      ...stale.map((r) => `${r}: a contract for a route the server does not have`),
      ...uncalled.map((r) => `${r}: never called by this test`),
      ...bad,
    ];
    assert(all.length === 0, `${all.length} contract problems:\n  ${all.join('\n  ')}`);
  });

  if (process.env.CONTRACT_DUMP) writeFileSync(process.env.CONTRACT_DUMP, JSON.stringify(dump, null, 1));
  // the page's own token was not touched; back to no model for later flows
  await ctx.api('PUT', '/api/settings', { models: {} });
}
