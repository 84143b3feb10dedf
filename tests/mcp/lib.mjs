/*
 * lib.mjs - helpers of the MCP tests: the real `maestro serve` in a fresh
 * temp directory on a free loopback port (optionally with the fake model),
 * REST calls, users and documents.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '..', '..');

export function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1];
  return process.env[`MAESTRO_${name.toUpperCase()}`] || dflt;
}

export const binary = resolve(arg('binary', join(root, 'build', 'maestro')));
if (!existsSync(binary)) {
  console.error(`no server binary at ${binary} (build it first, or pass --binary)`);
  process.exit(1);
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Starts a child that prints its port alone on the first line (the fakes). */
export async function startPortPrinter(cmd, args, opts = {}) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const port = await new Promise((res, rej) => {
    let out = '';
    const t = setTimeout(() => rej(new Error(`${cmd} printed no port: ${err}`)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^(\d+)\s*$/m);
      if (m) {
        clearTimeout(t);
        res(Number(m[1]));
      }
    });
    proc.on('exit', (c) => rej(new Error(`${cmd} exited with ${c}: ${err}`)));
  });
  return { proc, port };
}

/* The fake model with rules (an object), or null. */
export async function startFakeModel(work, rules) {
  const file = join(work, 'fake-rules.json');
  writeFileSync(file, JSON.stringify(rules));
  return startPortPrinter('python3', [join(root, 'tests', 'fakes', 'fake_llm.py'), '--rules', file, '--port', '0']);
}

export async function startServer({ extraEnv = {}, work } = {}) {
  work = work || mkdtempSync(join(tmpdir(), 'maestro-mcp-'));
  const port = await freePort();
  const env = {
    ...process.env,
    BACKEND_PORT: String(port),
    FRONTEND_PORT: '0',
    BIND_ADDRESS: '127.0.0.1',
    DATABASE_URL: `sqlite:///${join(work, 'maestro.db')}`,
    DATA_DIR: join(work, 'data'),
    WEB_DIST: join(work, 'no-ui'),
    JWT_SECRET_KEY: randomBytes(32).toString('hex'),
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: 'admin-pass-123',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', // nothing listens: no call leaves the machine
    OPENAI_API_KEY: '',
    SEARXNG_URL: '',
    ...extraEnv,
  };
  const proc = spawn(binary, ['serve'], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  proc.stdout.on('data', (d) => log.push(d));
  proc.stderr.on('data', (d) => log.push(d));
  const base = `http://127.0.0.1:${port}`;
  const end = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${Buffer.concat(log)}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error('server did not start');
    await sleep(100);
  }
  const srv = {
    proc,
    base,
    work,
    env,
    log: () => Buffer.concat(log).toString(),
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => {
            proc.kill('SIGKILL');
            r();
          }, 10000);
          proc.on('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      if (!process.env.MCP_TEST_KEEP) rmSync(work, { recursive: true, force: true });
      return proc.exitCode;
    },
    async api(method, path, token, body) {
      const headers = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      const r = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {
        /* not JSON */
      }
      return { status: r.status, json, text, headers: r.headers };
    },
    async login(user, password) {
      const r = await srv.api('POST', '/api/auth/login', null, { username: user, password });
      if (r.status !== 200) throw new Error(`login ${user}: ${r.status} ${r.text}`);
      return r.json.access_token || r.json.token;
    },
    async addUser(admin, username, role = 'researcher') {
      const password = `${username}-pass-123`;
      const r = await srv.api('POST', '/api/admin/users', admin, { username, password, role });
      if (r.status !== 201 && r.status !== 200) throw new Error(`add user ${username}: ${r.status} ${r.text}`);
      return srv.login(username, password);
    },
    async upload(token, filename, text) {
      const fd = new FormData();
      fd.append('files', new Blob([text], { type: 'text/markdown' }), filename);
      const r = await fetch(`${base}/api/documents`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: fd });
      const j = await r.json();
      if (r.status !== 202) throw new Error(`upload: ${r.status} ${JSON.stringify(j)}`);
      const id = j.documents[0].id;
      const end = Date.now() + 30000;
      for (;;) {
        const d = await srv.api('GET', `/api/documents/${id}`, token);
        if (d.json?.status === 'ready') return id;
        if (d.json?.status === 'failed' || Date.now() > end) throw new Error(`document ${id}: ${d.text}`);
        await sleep(100);
      }
    },
  };
  return srv;
}

/* Loads the SDK or fails the run: a missing SDK must not pass as a skip. */
export async function sdk() {
  try {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    return { Client, StreamableHTTPClientTransport, StdioClientTransport };
  } catch (e) {
    console.error(`@modelcontextprotocol/sdk is not installed: run 'npm ci' in ${here} (scripts/install-deps.sh --test does): ${e.message}`);
    process.exit(1);
  }
}
