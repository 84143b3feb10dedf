import { describe, it, expect, vi, afterEach } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { I18nProvider } from '../lib/i18n';
import { api, ApiError } from '../lib/api';
import { AgentsSettings, agentBody, agentToForm, fieldError } from './AgentsSettings';

// what GET /api/agents returns (an admin sees disabled ones too)
import type * as C from '../lib/contract';
const listed: C.AgentList = {
  agents: [
    {
      name: 'checker',
      version: 2,
      disabled: false,
      origin: 'ui',
      created_at: 1,
      updated_at: 1,
      description: 'Checks the figures of each section',
      prompt: 'You check figures (role: checker).',
      position: 'after_research',
      sources: ['local_documents'],
      tools: ['data.describe'],
    },
    { name: 'editor', version: 1, disabled: true, origin: 'file', created_at: 1, updated_at: 1, description: '', prompt: 'Edit.', position: 'before_writing', sources: [], tools: [] },
  ],
};

afterEach(() => vi.restoreAllMocks());

function show(isAdmin: boolean, lang: 'en' | 'ko' = 'en') {
  return render(
    <I18nProvider lang={lang}>
      <AgentsSettings isAdmin={isAdmin} />
    </I18nProvider>,
  );
}

describe('Settings → Agents', () => {
  it('form and body round-trip: tools one per line, blank lines dropped', () => {
    const f = agentToForm(listed.agents[0]);
    expect(f.tools).toBe('data.describe');
    f.tools = 'data.describe\n\n  srv.lookup \n';
    expect(agentBody(f)).toEqual({
      name: 'checker',
      description: 'Checks the figures of each section',
      prompt: 'You check figures (role: checker).',
      position: 'after_research',
      sources: ['local_documents'],
      tools: ['data.describe', 'srv.lookup'],
    });
    expect(fieldError(new ApiError(422, 'invalid_field', 'prompt is empty', { error: { code: 'invalid_field', message: 'prompt is empty', field: 'prompt' } }))).toEqual({ field: 'prompt', message: 'prompt is empty' });
    expect(fieldError(new ApiError(500, 'internal', 'x'))).toBeNull();
  });

  it('a user sees the agents but no way to change them', async () => {
    vi.spyOn(api, 'get').mockResolvedValue({ agents: [listed.agents[0]] });
    show(false);
    expect(await screen.findByText('checker')).toBeTruthy();
    expect(screen.getByText('After research (each section)')).toBeTruthy();
    expect(screen.queryByTestId('agent-new')).toBeNull();
    expect(screen.queryByTestId('agent-edit-checker')).toBeNull();
  });

  it('in Korean', async () => {
    vi.spyOn(api, 'get').mockResolvedValue(listed);
    show(true, 'ko');
    expect(await screen.findByRole('heading', { name: '에이전트' })).toBeTruthy();
    // the heading is drawn before the list arrives: wait for the list
    expect(await screen.findByText('조사 후 (섹션마다)')).toBeTruthy();
    expect(screen.getByText('작성 전 (한 번)')).toBeTruthy();
    expect(screen.getByText('비활성')).toBeTruthy();
    expect(screen.getByTestId('agent-new').textContent).toBe('새 에이전트');
  });

  it('an admin creates an agent; a 422 is shown at the field it names and nothing is lost', async () => {
    vi.spyOn(api, 'get').mockResolvedValue(listed);
    const post = vi
      .spyOn(api, 'post')
      .mockRejectedValueOnce(new ApiError(422, 'invalid_field', 'position must be after_research or before_writing', { error: { code: 'invalid_field', field: 'tools', message: 'tools: nosuch.tool is not a known tool' } }))
      .mockResolvedValueOnce({ name: 'fact-checker', version: 1 });
    show(true);
    fireEvent.click(await screen.findByTestId('agent-new'));
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'fact-checker' } });
    fireEvent.change(screen.getByLabelText('Role prompt'), { target: { value: 'You check facts (role: fact-checker).' } });
    fireEvent.change(screen.getByLabelText('Runs'), { target: { value: 'before_writing' } });
    fireEvent.click(screen.getByLabelText('Web'));
    fireEvent.change(screen.getByLabelText('Tools'), { target: { value: 'nosuch.tool' } });
    fireEvent.click(screen.getByTestId('agent-save'));
    await waitFor(() => expect(post).toHaveBeenCalledTimes(1));
    expect(post.mock.calls[0]).toEqual([
      '/api/agents',
      { name: 'fact-checker', description: '', prompt: 'You check facts (role: fact-checker).', position: 'before_writing', sources: ['web_search'], tools: ['nosuch.tool'] },
    ]);
    // the message sits under the Tools field, and the form keeps what was typed
    const alert = await screen.findByRole('alert');
    expect(alert.id).toBe('agent-tools-error');
    expect((screen.getByLabelText('Role prompt') as HTMLTextAreaElement).value).toBe('You check facts (role: fact-checker).');
    fireEvent.change(screen.getByLabelText('Tools'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('agent-save'));
    expect(await screen.findByText('Saved fact-checker (version 1).')).toBeTruthy();
    expect((post.mock.calls[1][1] as any).tools).toEqual([]);
  });

  it('an admin edits (PUT, the name fixed), disables, enables and reads the versions', async () => {
    const get = vi.spyOn(api, 'get').mockImplementation(async (p: string) =>
      p === '/api/agents/checker'
        ? {
            ...listed.agents[0],
            versions: [
              { version: 2, author: 'admin-id', created_at: 1760000000000, definition: { position: 'after_research', prompt: 'You check figures (role: checker).' } },
              { version: 1, author: 'file:checker.json', created_at: 1750000000000, definition: { position: 'before_writing', prompt: 'First text' } },
            ],
          }
        : listed,
    );
    const put = vi.spyOn(api, 'put').mockResolvedValue({ name: 'checker', version: 3 });
    const del = vi.spyOn(api, 'del').mockResolvedValue({});
    show(true);
    fireEvent.click(await screen.findByTestId('agent-edit-checker'));
    expect((screen.getByLabelText('Name') as HTMLInputElement).disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Role prompt'), { target: { value: 'Stricter (role: checker).' } });
    fireEvent.click(screen.getByTestId('agent-save'));
    await waitFor(() => expect(put).toHaveBeenCalled());
    expect(put.mock.calls[0][0]).toBe('/api/agents/checker');
    expect((put.mock.calls[0][1] as any).prompt).toBe('Stricter (role: checker).');
    expect(await screen.findByText('Saved checker (version 3).')).toBeTruthy();

    fireEvent.click(screen.getByTestId('agent-toggle-checker'));
    await waitFor(() => expect(del).toHaveBeenCalledWith('/api/agents/checker'));
    fireEvent.click(screen.getByTestId('agent-toggle-editor'));
    await waitFor(() => expect(put).toHaveBeenCalledWith('/api/agents/editor', { disabled: false }));

    fireEvent.click(screen.getByTestId('agent-history-checker'));
    const versions = await screen.findByTestId('agent-versions');
    expect(get).toHaveBeenCalledWith('/api/agents/checker');
    expect(versions.textContent).toContain('Versions of checker');
    expect(versions.textContent).toContain('file:checker.json');
    expect(versions.textContent).toContain('First text');
    expect(versions.textContent).toContain('Before writing (once)');
  });
});
