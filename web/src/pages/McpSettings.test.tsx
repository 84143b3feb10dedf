import { describe, it, expect, vi, afterEach } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { I18nProvider } from '../lib/i18n';
import { api } from '../lib/api';
import { McpServersEditor, mcpRows, mcpSection } from './McpSettings';
import type * as C from '../lib/contract';
import { emptyMissionForm, missionPayload } from '../lib/validation';

// what GET /api/admin/settings returns for server-wide MCP servers
const stored: C.McpSection = {
  servers: {
    facts: { command: 'node', args: ['server.mjs', '--log', 'x'], timeout_s: 20 },
    wiki: { url: 'https://mcp.example.org/mcp', headers: { Authorization: { api_key: '********', api_key_set: true } } },
  },
};

afterEach(() => vi.restoreAllMocks());

describe('MCP servers settings', () => {
  it('reads stdio and HTTP servers; a masked header goes back as the mask so the server keeps the secret', () => {
    const rows = mcpRows(stored);
    expect(rows.map((r) => [r.name, r.kind])).toEqual([['facts', 'stdio'], ['wiki', 'http']]);
    expect(rows[0].args).toBe('server.mjs\n--log\nx');
    expect(rows[1].headers).toEqual([{ name: 'Authorization', value: '********' }]);
    const body = mcpSection(rows);
    expect(body.servers?.facts).toEqual({ command: 'node', args: ['server.mjs', '--log', 'x'], timeout_s: 20 });
    expect(body.servers?.wiki).toEqual({ url: 'https://mcp.example.org/mcp', headers: { Authorization: { api_key: '********' } } });
    rows[1].headers[0].value = 'Bearer new';
    expect(mcpSection(rows).servers?.wiki.headers?.Authorization).toBe('Bearer new');
  });

  it('a user sees no command transport; saving sends only the mcp section of the user scope', async () => {
    const get = vi.spyOn(api, 'get').mockResolvedValue({ mcp: {} });
    const put = vi.spyOn(api, 'put').mockResolvedValue({ mcp: {} });
    render(
      <I18nProvider>
        <McpServersEditor scope="user" canWrite />
      </I18nProvider>,
    );
    await waitFor(() => expect(get).toHaveBeenCalledWith('/api/settings'));
    fireEvent.click(screen.getByTestId('mcp-add'));
    expect(screen.queryByRole('option', { name: /stdio/ })).toBeNull();
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'wiki' } });
    fireEvent.change(screen.getByLabelText('URL'), { target: { value: 'https://mcp.example.org/mcp' } });
    fireEvent.click(screen.getByTestId('mcp-save'));
    await waitFor(() => expect(put).toHaveBeenCalled());
    expect(put.mock.calls[0]).toEqual(['/api/settings', { mcp: { servers: { wiki: { url: 'https://mcp.example.org/mcp' } } } }]);
    expect(await screen.findByText('Settings saved.')).toBeTruthy();
  });

  it('check lists tools, shows why a server cannot be used, and imports a resource', async () => {
    vi.spyOn(api, 'get').mockImplementation(async (p: string) =>
      p === '/api/mcp/servers'
        ? {
            servers: [
              { name: 'facts', scope: 'server', transport: 'stdio', tools: [{ name: 'lookup_fact' }], resources: [{ uri: 'facts://m', name: 'Maestrium note' }] },
              { name: 'mine', scope: 'user', transport: 'http', error: 'refused: 127.0.0.1 is a loopback address' },
            ],
          }
        : { mcp: stored },
    );
    const post = vi.spyOn(api, 'post').mockResolvedValue({ document: { id: 'd1', filename: 'Maestrium note.md' } });
    render(
      <I18nProvider>
        <McpServersEditor scope="server" canWrite />
      </I18nProvider>,
    );
    fireEvent.click(await screen.findByTestId('mcp-check'));
    expect(await screen.findByText('Tools: lookup_fact')).toBeTruthy();
    expect(screen.getByText(/refused: 127\.0\.0\.1 is a loopback address/)).toBeTruthy();
    fireEvent.click(screen.getByText('Import into library'));
    await waitFor(() => expect(post).toHaveBeenCalledWith('/api/mcp/servers/facts/import', { uri: 'facts://m' }));
    expect(await screen.findByText('Maestrium note.md was added to your library.')).toBeTruthy();
  });

  it('a mission with tools lists "tools" among its sources', () => {
    const p = missionPayload({ ...emptyMissionForm(), title: 't', useDocuments: true, useWeb: false, useScholarly: false, useTools: true });
    expect(p.sources).toEqual(['local_documents', 'tools']);
  });
});
