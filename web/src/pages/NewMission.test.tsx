/*
 * The New mission page against a fake API: the preflight panel says what the
 * mission will have and what is missing (with the fix), asks again when the
 * sources change, offers "start anyway" only when the sources can give
 * nothing, and sends allow_empty and the depth with the mission.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { I18nProvider } from '../lib/i18n';
import { AuthProvider } from '../lib/auth';
import { storeSession, type Preflight } from '../lib/api';
import { NewMissionPage } from './NewMission';

const EMPTY: Preflight = {
  ok: false,
  empty: true,
  mode: 'offline',
  models: { mid: { configured: false, provider: 'openai', model: '', base_url: '', source: 'none', reachable: null } },
  documents: { requested: true, in_scope: 0, ready: 0 },
  web: { requested: true, provider: null, configured: false, reachable: null },
  problems: [
    { code: 'no_model', message: 'No model is configured for you, so the mission would run offline.', fix: 'Ask an admin to set a server default model, or set your own in Settings > Models.' },
    { code: 'no_documents', message: 'Your library is empty, so there is nothing of yours to research.', fix: 'Upload documents on the Documents page, or tick Web search.' },
    { code: 'no_web_provider', message: 'Web search is ticked but no search provider is configured.', fix: 'Ask an admin to set a search provider.' },
    { code: 'no_sources', message: 'This mission has nothing to research.', fix: 'Add documents or set up web search.' },
  ],
  warnings: [],
};
const READY: Preflight = {
  ok: true,
  empty: false,
  mode: 'model',
  models: { mid: { configured: true, provider: 'openai', model: 'qwen3', base_url: 'http://llm/v1', source: 'server', reachable: true } },
  documents: { requested: true, in_scope: 3, ready: 3 },
  web: { requested: false, provider: 'searxng', configured: true, reachable: null },
  problems: [],
  warnings: [],
};

let answer: Preflight = EMPTY;
const preflights: any[] = [];
const creates: any[] = [];
let mcp: { name: string }[] = [];

function reply(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

function fakeFetch(url: string, init?: RequestInit) {
  const method = init?.method ?? 'GET';
  const body = init?.body ? JSON.parse(String(init.body)) : undefined;
  if (url === '/api/groups') return reply(200, { groups: [] });
  if (url === '/api/settings') return reply(200, {});
  if (url === '/api/mcp/servers?connect=0') return reply(200, { servers: mcp });
  if (url === '/api/auth/me') return reply(200, { id: 'u1', username: 'ann', role: 'researcher' });
  if (url === '/api/missions/preflight' && method === 'POST') {
    preflights.push(body);
    return reply(200, answer);
  }
  if (url === '/api/missions' && method === 'POST') {
    creates.push(body);
    if (answer.empty && !body.allow_empty)
      return reply(422, { error: { code: 'empty_sources', message: 'this mission has nothing to research', problems: answer.problems }, preflight: answer });
    return reply(201, { id: 'm9', status: 'queued' });
  }
  return reply(404, { error: { code: 'not_found', message: url } });
}

beforeEach(() => {
  answer = EMPTY;
  mcp = [];
  preflights.length = 0;
  creates.length = 0;
  vi.stubGlobal('fetch', vi.fn(fakeFetch));
  storeSession('tok', { id: 'u1', username: 'ann', role: 'researcher' });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

function renderPage() {
  return render(
    <I18nProvider lang="en">
      <AuthProvider>
        <MemoryRouter initialEntries={['/missions/new']} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes>
            <Route path="/missions/new" element={<NewMissionPage />} />
            <Route path="/missions/:id" element={<div>mission page</div>} />
          </Routes>
        </MemoryRouter>
      </AuthProvider>
    </I18nProvider>,
  );
}

function fillForm() {
  fireEvent.change(screen.getByLabelText('Title'), { target: { value: 'Solar storage' } });
  fireEvent.change(screen.getByLabelText('Research question 1'), { target: { value: 'What is new?' } });
}

describe('New mission preflight', () => {
  it('shows what is missing in plain words with the fix, and a link to Settings', async () => {
    renderPage();
    const panel = await screen.findByTestId('preflight');
    expect(panel.textContent).toContain('No model is configured for you');
    expect(panel.textContent).toContain('Ask an admin to set a server default model');
    expect(screen.getByTestId('pf-docs').textContent).toBe('Documents: 0 in scope, 0 ready');
    expect(screen.getByTestId('pf-web').textContent).toBe('Web search: no provider configured');
    expect(screen.getByTestId('pf-model').textContent).toContain('runs offline');
    expect(screen.getByRole('link', { name: 'Open Settings' }).getAttribute('href')).toBe('/settings');
    expect(screen.getByTestId('pf-allow-empty')).toBeTruthy();
    // the preflight got the form's sources
    expect(preflights[0].sources).toEqual(['local_documents', 'web_search']);
  });

  it('asks again when the sources change, and shows a ready mission without the "start anyway" box', async () => {
    renderPage();
    await screen.findByTestId('pf-allow-empty');
    answer = READY;
    fireEvent.click(screen.getByLabelText('Web search'));
    await waitFor(() => expect(screen.getByTestId('pf-model').textContent).toBe('Model: qwen3 (server default)'));
    expect(preflights[preflights.length - 1].sources).toEqual(['local_documents']);
    expect(screen.getByTestId('preflight').textContent).toContain('Ready to start.');
    expect(screen.queryByTestId('pf-allow-empty')).toBeNull();
  });

  it('an empty mission is refused until "start anyway" is ticked; the depth travels in settings', async () => {
    renderPage();
    await screen.findByTestId('pf-allow-empty');
    fillForm();
    fireEvent.change(screen.getByLabelText('Depth'), { target: { value: 'deep' } });
    fireEvent.click(screen.getByRole('button', { name: 'Start mission' }));
    await screen.findByText('this mission has nothing to research');
    expect(creates[0].allow_empty).toBeUndefined();
    expect(creates[0].settings.depth).toBe('deep');
    fireEvent.click(screen.getByTestId('pf-allow-empty'));
    fireEvent.click(screen.getByRole('button', { name: 'Start mission' }));
    await screen.findByText('mission page');
    expect(creates[1].allow_empty).toBe(true);
  });

  it('offers Tools only when an MCP server is configured, and says why not', async () => {
    renderPage();
    await waitFor(() => expect(screen.getByTestId('src-tools-why').textContent).toContain('No MCP server is configured'));
    const box = screen.getByTestId('src-tools') as HTMLInputElement;
    expect(box.disabled).toBe(true);
    expect(box.checked).toBe(false);
  });

  it('offers Tools when a server is configured', async () => {
    mcp = [{ name: 'facts' }];
    renderPage();
    await screen.findByTestId('preflight');
    const box = screen.getByTestId('src-tools') as HTMLInputElement;
    await waitFor(() => expect(box.disabled).toBe(false));
    expect(screen.queryByTestId('src-tools-why')).toBeNull();
    fireEvent.click(box);
    expect(box.checked).toBe(true);
  });
});
