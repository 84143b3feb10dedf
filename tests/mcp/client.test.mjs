/*
 * client.test.mjs - Maestro as an MCP client, against fixture-server.mjs (a
 * tiny MCP server written with the official SDK: one tool, one resource),
 * over stdio (a command in the admin's server settings) and Streamable HTTP
 * (a URL with a secret header), with the fake model (tests/fakes/
 * fake_llm.py) playing the research team.
 *
 *   node tests/mcp/client.test.mjs --binary build/maestro
 *
 * Checks what a user would see: settings refused with a reason, header
 * secrets masked and not stored in clear, the servers' tools and
 * resources listed, a resource imported into the library and found by
 * search, a mission whose report quotes and cites the tool's result with the
 * tool and its arguments as locator, the address policy refusing a user's
 * loopback URL, and a tool that hangs being stopped at its time limit.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { root, here, startServer, startFakeModel, startPortPrinter, sleep, sdk } from './lib.mjs';

await sdk(); // the fixture server needs the SDK: fail clearly without it

const FACT = 'The maestrium reactor produces 42 kilowatts of power at full load, according to the facts service.';
const fixture = join(here, 'fixture-server.mjs');
const TOKEN = 'fixture-secret-token-7781';

const planner = {
  name: 'planner',
  match: { system: 'role: planner' },
  json: {
    analysis: { type: 'report' },
    sections: [{ title: 'Maestrium power', questions: ['How much power does the maestrium reactor produce?'], queries: ['maestrium reactor power'], priority: 1 }],
  },
};
const toolUser = (tool) => ({
  name: 'tool_user',
  match: { system: 'role: tool_user' },
  json: { tool, arguments: { topic: 'maestrium' }, reason: 'the facts service knows maestrium' },
});
function rules(tool) {
  const team = JSON.parse(readFileSync(join(root, 'tests', 'fakes', 'research_team.json'), 'utf8'));
  team.rules.unshift(planner, toolUser(tool));
  return team;
}

let work, fake, fixtureHttp, srv, adminTok, userTok, callLog;

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), 'maestro-mcp-client-'));
  callLog = join(work, 'calls.jsonl');
  fake = await startFakeModel(work, rules('facts.lookup_fact'));
  fixtureHttp = await startPortPrinter('node', [fixture, '--http', '--token', TOKEN, '--log', callLog]);
  srv = await startServer({
    extraEnv: {
      OPENAI_BASE_URL: `http://127.0.0.1:${fake.port}/v1`,
      OPENAI_API_KEY: 'test',
      MODEL_NAME: 'fake-model',
      LLM_MAX_RETRIES: '1',
      LLM_RETRY_BASE_MS: '20',
    },
  });
  adminTok = await srv.login('admin', 'admin-pass-123');
  userTok = await srv.addUser(adminTok, 'carol');
  await srv.upload(
    userTok,
    'reactors.md',
    '# Reactors\n\nResearch reactors are small nuclear reactors used for science and training rather than power.\n',
  );
});

test.after(async () => {
  if (process.exitCode && srv) console.error(srv.log().slice(-5000));
  const code = await srv?.stop();
  fake?.proc.kill('SIGTERM');
  fixtureHttp?.proc.kill('SIGTERM');
  if (srv) assert.equal(code, 0, 'the server stops cleanly');
});

const fixtureUrl = () => `http://127.0.0.1:${fixtureHttp.port}/mcp`;

test('settings: a user cannot name a command; bad entries are refused with the reason', async () => {
  let r = await srv.api('PUT', '/api/settings', userTok, { mcp: { servers: { mine: { command: 'node', args: [fixture] } } } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /only an admin can name a command/);
  r = await srv.api('PUT', '/api/settings', userTok, { mcp: { servers: { mine: { url: 'ftp://x' } } } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /mcp\.servers\.mine\.url must be an http/);
  r = await srv.api('PUT', '/api/settings', userTok, { mcp: { servers: { 'bad name!': { url: 'https://x' } } } });
  assert.equal(r.status, 422);
  r = await srv.api('PUT', '/api/admin/settings', adminTok, { mcp: { servers: { x: { command: 'node', timeout_s: 0 } } } });
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /timeout_s must be a whole number of seconds, 1 to 300/);
});

test('settings: the admin names a stdio server and an HTTP one server-wide; header secrets are sealed and masked', async () => {
  let r = await srv.api('PUT', '/api/admin/settings', adminTok, {
    mcp: {
      servers: {
        facts: { command: 'node', args: [fixture, '--log', callLog], timeout_s: 20 },
        hfacts: { url: fixtureUrl(), headers: { Authorization: `Bearer ${TOKEN}` } },
      },
    },
  });
  assert.equal(r.status, 200, r.text);
  r = await srv.api('GET', '/api/admin/settings', adminTok);
  assert.equal(r.json.mcp.servers.hfacts.headers.Authorization.api_key, '********');
  assert.equal(r.json.mcp.servers.facts.command, 'node');
  assert.ok(!r.text.includes(TOKEN), 'the secret never comes back');
  // not in the database in clear either
  const db = readFileSync(join(srv.work, 'maestro.db'));
  assert.ok(!db.includes(Buffer.from(TOKEN)), 'the header is stored sealed');
  // sending the masked document back keeps the secret (round trip)
  r = await srv.api('PUT', '/api/admin/settings', adminTok, { mcp: (await srv.api('GET', '/api/admin/settings', adminTok)).json.mcp });
  assert.equal(r.status, 200, r.text);
});

test("the user's own HTTP server on a loopback address is refused by the address policy", async () => {
  let r = await srv.api('PUT', '/api/settings', userTok, {
    mcp: { servers: { myfacts: { url: fixtureUrl(), headers: { Authorization: `Bearer ${TOKEN}` } } } },
  });
  assert.equal(r.status, 200, r.text);
  r = await srv.api('GET', '/api/settings', userTok);
  assert.equal(r.json.mcp.servers.myfacts.headers.Authorization.api_key, '********');
  r = await srv.api('GET', '/api/mcp/servers', userTok);
  assert.equal(r.status, 200);
  const byName = Object.fromEntries(r.json.servers.map((s) => [s.name, s]));
  assert.equal(byName.myfacts.scope, 'user');
  assert.match(byName.myfacts.error, /refused.*loopback.*OUTBOUND_ALLOW_HOSTS/);
  assert.equal(byName.myfacts.tools, undefined);
  // the admin's servers work for the user, over stdio and HTTP (header sent)
  assert.deepEqual(byName.facts.tools.map((t) => t.name), ['lookup_fact']);
  assert.equal(byName.facts.transport, 'stdio');
  assert.deepEqual(byName.hfacts.tools.map((t) => t.name), ['lookup_fact']);
  assert.equal(byName.hfacts.transport, 'http');
  assert.deepEqual(byName.facts.resources.map((x) => x.uri), ['facts://maestrium']);
  assert.equal(byName.facts.tools[0].input_schema.required[0], 'topic');
  // ?connect=0: the names only (the New mission form asks whether there is any), nothing connected
  r = await srv.api('GET', '/api/mcp/servers?connect=0', userTok);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.servers.map((s) => s.name).sort(), ['facts', 'hfacts', 'myfacts']);
  assert.ok(r.json.servers.every((s) => s.tools === undefined && s.error === undefined), r.text);
  // remove the user's server again (the mission below uses the admin's)
  r = await srv.api('PUT', '/api/settings', userTok, { mcp: { servers: {} } });
  assert.equal(r.status, 200);
});

test("a server's resource is imported into the library and found by search", async () => {
  let r = await srv.api('POST', '/api/mcp/servers/facts/import', userTok, { uri: 'facts://maestrium' });
  assert.equal(r.status, 202, r.text);
  const id = r.json.document.id;
  assert.equal(r.json.document.filename, 'maestrium-note.md');
  const end = Date.now() + 30000;
  let d;
  do {
    await sleep(100);
    d = await srv.api('GET', `/api/documents/${id}`, userTok);
  } while (d.json.status !== 'ready' && d.json.status !== 'failed' && Date.now() < end);
  assert.equal(d.json.status, 'ready');
  r = await srv.api('POST', '/api/search', userTok, { query: 'maestrium kilowatts', mode: 'lexical' });
  assert.equal(r.json.results[0].document_id, id);
  r = await srv.api('POST', '/api/mcp/servers/nosuch/import', userTok, { uri: 'facts://maestrium' });
  assert.equal(r.status, 404);
  r = await srv.api('POST', '/api/mcp/servers/facts/import', userTok, { uri: 'facts://unknown' });
  assert.equal(r.status, 502);
  assert.match(r.json.error.message, /MCP server facts refused/);
  // remove it so the mission below can only learn the fact from the tool
  assert.equal((await srv.api('DELETE', `/api/documents/${id}`, userTok)).status, 200);
});

async function runMission(title) {
  const r = await srv.api('POST', '/api/missions', userTok, {
    title,
    research_questions: ['How much power does the maestrium reactor produce?'],
    sources: ['local_documents', 'tools'],
    settings: { depth: 'quick' },
  });
  assert.equal(r.status, 201, r.text);
  const id = r.json.id;
  const end = Date.now() + 180000;
  let m;
  do {
    await sleep(300);
    m = (await srv.api('GET', `/api/missions/${id}`, userTok)).json;
  } while (!['completed', 'failed', 'cancelled'].includes(m.status) && Date.now() < end);
  assert.equal(m.status, 'completed', JSON.stringify(m));
  return { id, m };
}

test("a mission calls the tool the model chose and cites its result, with the tool and its arguments as locator", async () => {
  const before = existsSync(callLog) ? readFileSync(callLog, 'utf8').split('\n').filter(Boolean).length : 0;
  const { id } = await runMission('Maestrium power with tools');
  const calls = readFileSync(callLog, 'utf8').split('\n').filter(Boolean).slice(before).map((l) => JSON.parse(l));
  assert.ok(calls.some((c) => c.tool === 'lookup_fact' && c.arguments.topic === 'maestrium'), JSON.stringify(calls));
  const notes = (await srv.api('GET', `/api/missions/${id}/notes`, userTok)).json.notes;
  const toolNotes = notes.filter((n) => (n.url || n.source?.url || '').startsWith('mcp://facts/lookup_fact'));
  if (!toolNotes.length) {
    const calls = await (await fetch(`http://127.0.0.1:${fake.port}/_calls`)).json();
    console.error(JSON.stringify(calls).slice(-6000));
  }
  assert.ok(toolNotes.length >= 1, JSON.stringify(notes).slice(0, 2000));
  assert.ok(toolNotes.some((n) => FACT.includes(n.quote) || n.quote.includes('42 kilowatts')), 'quoted verbatim from the tool result');
  const md = (await srv.api('GET', `/api/missions/${id}/report?format=md`, userTok)).text;
  assert.match(md, /42 kilowatts/);
  const refs = md.split('## References')[1] || '';
  assert.match(refs, /mcp:\/\/facts\/lookup_fact\?\{"topic":"maestrium"\}/, refs);
  // the citation number of the tool's reference appears in the text
  const num = refs.split('\n').find((l) => l.includes('mcp://facts/lookup_fact'))?.match(/^(\d+)\./)?.[1];
  assert.ok(num && md.split('## References')[0].includes(`[${num}]`), `reference ${num} is cited`);
  // the choice is in the activity log like any agent's call
  const logs = (await srv.api('GET', `/api/missions/${id}/logs`, userTok)).json;
  assert.ok(JSON.stringify(logs).includes('tool_user'));
});

test('a tool that does not answer is stopped at its time limit; the mission goes on and says why', async () => {
  let r = await srv.api('GET', '/api/admin/settings', adminTok);
  const mcp = r.json.mcp;
  mcp.servers.slow = { command: 'node', args: [fixture, '--hang'], timeout_s: 2 };
  r = await srv.api('PUT', '/api/admin/settings', adminTok, { mcp });
  assert.equal(r.status, 200, r.text);
  await fetch(`http://127.0.0.1:${fake.port}/_rules`, { method: 'POST', body: JSON.stringify(rules('slow.lookup_fact')) });
  const t0 = Date.now();
  const { m } = await runMission('Maestrium power, slow tool');
  const w = (m.warnings || []).find((x) => x.code === 'tool_failed');
  assert.ok(w, JSON.stringify(m.warnings));
  assert.match(w.message, /slow\.lookup_fact: MCP server slow did not answer within 2 s: stopped/);
  assert.ok(Date.now() - t0 < 120000);
  // no fixture process left hanging
  await sleep(500);
  let ps = '';
  try {
    ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  } catch {
    /* no ps */
  }
  assert.ok(!ps.split('\n').some((l) => l.includes('fixture-server.mjs --hang')), 'the hung server was killed');
});
