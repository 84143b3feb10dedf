/*
 * server.test.mjs - Maestro's MCP server driven by the official MCP SDK
 * client (@modelcontextprotocol/sdk), over Streamable HTTP (POST /mcp with a
 * user's bearer token) and over stdio (`maestro mcp --token`, `--user`).
 *
 *   node tests/mcp/server.test.mjs --binary build/maestro
 *
 * Two researchers, alice and bob: alice's document and mission are found,
 * searched, reported and cited through MCP; bob gets "not found" for each of
 * alice's ids; bad arguments give tool errors that say what is wrong.
 * Runs without a model: the mission is offline and ask_library answers
 * extractively (both are what a user without a model gets).
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { binary, startServer, sdk, sleep } from './lib.mjs';

const { Client, StreamableHTTPClientTransport, StdioClientTransport } = await sdk();

const DOC =
  '# Alpha particles\n\nAlpha particles are helium nuclei. Each alpha particle consists of two protons and two ' +
  'neutrons bound together.\n\n## Stopping them\n\nA sheet of paper is enough to stop alpha particles.\n';

let srv, adminTok, aliceTok, bobTok, docId;

test.before(async () => {
  srv = await startServer();
  adminTok = await srv.login('admin', 'admin-pass-123');
  aliceTok = await srv.addUser(adminTok, 'alice');
  bobTok = await srv.addUser(adminTok, 'bob');
  docId = await srv.upload(aliceTok, 'alpha.md', DOC);
});

test.after(async () => {
  if (process.exitCode && srv) console.error(srv.log().slice(-4000));
  const code = await srv?.stop();
  if (srv) assert.equal(code, 0, 'the server stops cleanly (no sanitizer report)');
});

async function httpClient(token) {
  const client = new Client({ name: 'maestro-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${srv.base}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return { client, transport };
}

async function stdioClient(args) {
  const client = new Client({ name: 'maestro-test-stdio', version: '1.0.0' });
  const transport = new StdioClientTransport({ command: binary, args: ['mcp', ...args], env: srv.env, cwd: srv.work, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  await client.connect(transport);
  // closing ends the process (stdin closed): it must exit cleanly, without
  // a sanitizer report (the ASan build runs this test too)
  client.closeChecked = async () => {
    await client.close();
    await sleep(100);
    assert.doesNotMatch(stderr, /Sanitizer|runtime error/, stderr.slice(-3000));
    assert.match(stderr, /stdin closed: stopping/);
  };
  return client;
}

const text = (r) => r.content.map((c) => c.text).join('\n');

async function call(client, name, args) {
  return client.callTool({ name, arguments: args });
}

function assertToolError(r, re) {
  assert.equal(r.isError, true, `expected a tool error, got ${text(r)}`);
  assert.match(text(r), re);
}

const TOOLS = ['ask_library', 'get_report', 'list_documents', 'mission_status', 'search_library', 'start_research'];

let missionId;

test('HTTP: initialize negotiates a version and lists the six tools with input schemas', async () => {
  const { client, transport } = await httpClient(aliceTok);
  assert.equal(client.getServerVersion().name, 'maestro');
  assert.ok(transport.sessionId, 'a session id came back in Mcp-Session-Id');
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
  for (const t of tools) {
    assert.equal(t.inputSchema.type, 'object', t.name);
    assert.ok(t.description.length > 20, t.name);
  }
  assert.deepEqual(tools.find((t) => t.name === 'search_library').inputSchema.required, ['query']);
  await client.close();
});

test('HTTP: every tool works for the owner; the mission report cites the document', async () => {
  const { client } = await httpClient(aliceTok);
  let r = await call(client, 'list_documents', {});
  assert.equal(r.isError, false);
  assert.equal(r.structuredContent.total, 1);
  assert.equal(r.structuredContent.documents[0].id, docId);

  r = await call(client, 'search_library', { query: 'helium nuclei', k: 3 });
  assert.equal(r.isError, false, text(r));
  assert.ok(r.structuredContent.results.length >= 1);
  assert.equal(r.structuredContent.results[0].document_id, docId);
  assert.match(text(r), /\[1\] .*alpha\.md/);
  assert.match(text(r), /helium nuclei/);

  r = await call(client, 'ask_library', { question: 'What stops alpha particles?' });
  assert.equal(r.isError, false, text(r));
  assert.match(r.structuredContent.answer, /\[1\]/, 'the answer cites a passage');
  assert.equal(r.structuredContent.citations[0].document_id, docId);
  assert.match(text(r), /Sources:\n\[1\] /);
  // the conversation is kept in alice's chats, like the chat page's
  const chats = await srv.api('GET', '/api/chats', aliceTok);
  assert.ok(chats.json.chats.some((c) => c.id === r.structuredContent.chat_id));

  r = await call(client, 'start_research', { question: 'What are alpha particles and what stops them?', offline: true, depth: 'quick' });
  assert.equal(r.isError, false, text(r));
  missionId = r.structuredContent.id;
  assert.match(missionId, /^[0-9a-f]+$/);

  r = await call(client, 'get_report', { mission_id: missionId });
  // most likely not finished yet; either way the answer is honest
  if (r.isError) assert.match(text(r), /no report yet \(status: /);

  const end = Date.now() + 120000;
  let st;
  for (;;) {
    r = await call(client, 'mission_status', { mission_id: missionId });
    assert.equal(r.isError, false, text(r));
    st = r.structuredContent;
    if (['completed', 'failed', 'cancelled'].includes(st.status) || Date.now() > end) break;
    await sleep(300);
  }
  assert.equal(st.status, 'completed', JSON.stringify(st));
  assert.equal(st.id, missionId);

  r = await call(client, 'get_report', { mission_id: missionId });
  assert.equal(r.isError, false, text(r));
  const md = text(r);
  assert.match(md, /## References/);
  assert.match(md, /alpha\.md/);
  assert.match(md, /\[1\]/);
  assert.equal(r.structuredContent.version, 1);

  const res = await client.listResources();
  const uris = res.resources.map((x) => x.uri);
  assert.ok(uris.includes(`maestro://documents/${docId}`));
  assert.ok(uris.includes(`maestro://reports/${missionId}`));
  const doc = await client.readResource({ uri: `maestro://documents/${docId}` });
  assert.match(doc.contents[0].text, /sheet of paper/);
  const rep = await client.readResource({ uri: `maestro://reports/${missionId}` });
  assert.equal(rep.contents[0].mimeType, 'text/markdown');
  assert.equal(rep.contents[0].text, md);
  const tpl = await client.listResourceTemplates();
  assert.equal(tpl.resourceTemplates.length, 2);
  await client.close();
});

test('HTTP: bad arguments give tool errors that say what is wrong', async () => {
  const { client } = await httpClient(aliceTok);
  assertToolError(await call(client, 'search_library', {}), /arguments\.query is required/);
  assertToolError(await call(client, 'search_library', { query: 'x', k: 500 }), /arguments\.k must be between 1 and 50/);
  assertToolError(await call(client, 'search_library', { query: 42 }), /arguments\.query must be a string/);
  assertToolError(await call(client, 'search_library', { query: 'x', mode: 'psychic' }), /arguments\.mode must be one of/);
  assertToolError(await call(client, 'list_documents', { colour: 'red' }), /arguments\.colour is not a known argument/);
  assertToolError(await call(client, 'start_research', { question: '' }), /arguments\.question must not be empty/);
  assertToolError(await call(client, 'start_research', { question: 'q', sources: ['tea_leaves'] }), /sources\[0\] must be one of/);
  assertToolError(await call(client, 'ask_library', { question: '   ' }), /must not be blank/);
  assertToolError(await call(client, 'get_report', { mission_id: missionId, version: 99 }), /report version 99 of mission .* not found/);
  // an unknown tool is a protocol error
  await assert.rejects(call(client, 'no_such_tool', {}), /unknown tool: no_such_tool/);
  await assert.rejects(client.readResource({ uri: 'maestro://nothing/1' }), /resource not found/);
  await client.close();
});

test("HTTP: another user's ids answer not found, and their library is not searched", async () => {
  const { client } = await httpClient(bobTok);
  assertToolError(await call(client, 'mission_status', { mission_id: missionId }), new RegExp(`mission ${missionId} not found`));
  assertToolError(await call(client, 'get_report', { mission_id: missionId }), new RegExp(`mission ${missionId} not found`));
  const r = await call(client, 'search_library', { query: 'helium nuclei' });
  assert.equal(r.isError, false);
  assert.equal(r.structuredContent.results.length, 0);
  assert.equal((await call(client, 'list_documents', {})).structuredContent.total, 0);
  await assert.rejects(client.readResource({ uri: `maestro://documents/${docId}` }), /resource not found/);
  await assert.rejects(client.readResource({ uri: `maestro://reports/${missionId}` }), /resource not found/);
  assert.equal((await client.listResources()).resources.length, 0);
  // an admin sees any mission, as in the REST API
  const { client: admin } = await httpClient(adminTok);
  assert.equal((await call(admin, 'mission_status', { mission_id: missionId })).isError, false);
  await admin.close();
  await client.close();
});

test('HTTP: the transport refuses what it must (token, session, version, JSON)', async () => {
  const post = (headers, body) =>
    fetch(`${srv.base}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers },
      body,
    });
  const auth = { Authorization: `Bearer ${aliceTok}` };
  const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
  assert.equal((await post({}, ping)).status, 401);
  let r = await post(auth, ping);
  assert.equal(r.status, 400);
  assert.match((await r.json()).error.message, /Mcp-Session-Id/);
  r = await post({ ...auth, 'Mcp-Session-Id': 'deadbeef' }, ping);
  assert.equal(r.status, 404);
  r = await post(auth, '{"jsonrpc": "2.0", "id": 1, "method": ');
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.code, -32700);
  // a session is its user's: bob cannot use alice's
  const init = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  r = await post(auth, init);
  assert.equal(r.status, 200);
  const sid = r.headers.get('mcp-session-id');
  assert.match(sid, /^[0-9a-f]{32}$/);
  assert.equal((await r.json()).result.protocolVersion, '2025-11-25', 'an unknown version gets the latest');
  assert.equal((await post({ Authorization: `Bearer ${bobTok}`, 'Mcp-Session-Id': sid }, ping)).status, 404);
  r = await post({ ...auth, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '1999-01-01' }, ping);
  assert.equal(r.status, 400);
  r = await post({ ...auth, 'Mcp-Session-Id': sid }, ping);
  assert.equal(r.status, 200);
  assert.deepEqual((await r.json()).result, {});
  r = await post({ ...auth, 'Mcp-Session-Id': sid }, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'nope/nope' }));
  assert.equal((await r.json()).error.code, -32601);
  r = await post({ ...auth, 'Mcp-Session-Id': sid }, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  assert.equal(r.status, 202);
  r = await post({ ...auth, 'Mcp-Session-Id': sid }, JSON.stringify({ id: 3, method: 'ping' }));
  assert.equal(r.status, 200);
  assert.equal((await r.json()).error.code, -32600);
  r = await fetch(`${srv.base}/mcp`, { method: 'GET', headers: { ...auth, 'Mcp-Session-Id': sid } });
  assert.equal(r.status, 405);
  r = await fetch(`${srv.base}/mcp`, { method: 'DELETE', headers: { ...auth, 'Mcp-Session-Id': sid } });
  assert.equal(r.status, 200);
  assert.equal((await post({ ...auth, 'Mcp-Session-Id': sid }, ping)).status, 404, 'an ended session is gone');
});

test('stdio: `maestro mcp --token` serves the token user, with the same tools and checks', async () => {
  const client = await stdioClient(['--token', bobTok]);
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
  assertToolError(await call(client, 'mission_status', { mission_id: missionId }), /not found/);
  assertToolError(await call(client, 'search_library', { query: 'x', k: 0 }), /arguments\.k must be between 1 and 50/);
  const r = await call(client, 'list_documents', {});
  assert.equal(r.structuredContent.total, 0);
  await client.closeChecked();
});

test('stdio: `maestro mcp --user alice` acts as alice: her documents, her mission, her report', async () => {
  const client = await stdioClient(['--user', 'alice']);
  let r = await call(client, 'search_library', { query: 'sheet of paper' });
  assert.equal(r.isError, false, text(r));
  assert.equal(r.structuredContent.results[0].document_id, docId);
  r = await call(client, 'get_report', { mission_id: missionId });
  assert.equal(r.isError, false, text(r));
  assert.match(text(r), /## References/);
  r = await call(client, 'ask_library', { question: 'What are alpha particles?' });
  assert.equal(r.isError, false, text(r));
  assert.match(r.structuredContent.answer, /helium nuclei/);
  assert.ok(r.structuredContent.citations.length >= 1);
  // a mission queued from stdio runs on the server's workers
  r = await call(client, 'start_research', { question: 'How are alpha particles stopped?', offline: true, depth: 'quick' });
  assert.equal(r.isError, false, text(r));
  const id = r.structuredContent.id;
  const end = Date.now() + 120000;
  let st;
  do {
    await sleep(300);
    st = (await call(client, 'mission_status', { mission_id: id })).structuredContent;
  } while (st.status !== 'completed' && st.status !== 'failed' && Date.now() < end);
  assert.equal(st.status, 'completed');
  await client.closeChecked();
});

test('stdio: a bad token is refused before any message', async () => {
  const client = new Client({ name: 't', version: '1' });
  const transport = new StdioClientTransport({ command: binary, args: ['mcp', '--token', 'not-a-token'], env: srv.env, cwd: srv.work, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => (stderr += d));
  await assert.rejects(client.connect(transport));
  await sleep(200);
  assert.match(stderr, /the token is not accepted/);
});
