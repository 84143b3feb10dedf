#!/usr/bin/env node
/*
 * fixture-server.mjs - a tiny MCP server written with the official SDK, for
 * Maestro's MCP client tests: one tool, lookup_fact {topic}, and one
 * resource, facts://maestrium (a Markdown note).
 *
 *   node fixture-server.mjs [--log FILE] [--hang]        stdio
 *   node fixture-server.mjs --http --token T [--log FILE] Streamable HTTP on a
 *        free loopback port, printed alone on the first line; requests
 *        without "Authorization: Bearer T" get 401.
 *
 * Every tool call is appended to --log as a JSON line {tool, arguments}, so
 * the test can see what Maestro asked. --hang: the tool never answers (the
 * caller's time limit must end it).
 */
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

const opt = (n) => {
  const i = process.argv.indexOf(`--${n}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const log = opt('log');
const hang = process.argv.includes('--hang');

export const FACT = 'The maestrium reactor produces 42 kilowatts of power at full load, according to the facts service.';

function makeServer() {
  const server = new McpServer({ name: 'facts', version: '1.0.0' });
  server.registerTool(
    'lookup_fact',
    {
      title: 'Look up a fact',
      description: 'Looks up facts about a topic in the facts service (topics: maestrium).',
      inputSchema: { topic: z.string().min(1).describe('the topic') },
    },
    async ({ topic }) => {
      if (log) appendFileSync(log, JSON.stringify({ tool: 'lookup_fact', arguments: { topic } }) + '\n');
      if (hang) await new Promise(() => {});
      if (topic.toLowerCase() !== 'maestrium')
        return { isError: true, content: [{ type: 'text', text: `no facts about ${topic}` }] };
      return { content: [{ type: 'text', text: `Facts about maestrium.\n\n${FACT} Its casing is made of lead and steel.` }] };
    },
  );
  server.registerResource(
    'maestrium-note',
    'facts://maestrium',
    { title: 'Maestrium note', description: 'What the facts service knows about maestrium', mimeType: 'text/markdown' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/markdown', text: `# Maestrium\n\n${FACT}\n` }] }),
  );
  return server;
}

if (process.argv.includes('--http')) {
  const token = opt('token');
  const sessions = new Map();
  const http = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const sid = req.headers['mcp-session-id'];
    let transport = sid ? sessions.get(sid) : undefined;
    if (!transport) {
      if (sid || body?.method !== 'initialize') {
        res.writeHead(sid ? 404 : 400).end();
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, transport),
      });
      await makeServer().connect(transport);
    }
    await transport.handleRequest(req, res, body);
  });
  http.listen(0, '127.0.0.1', () => console.log(String(http.address().port)));
} else {
  await makeServer().connect(new StdioServerTransport());
}
