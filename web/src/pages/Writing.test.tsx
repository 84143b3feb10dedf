/*
 * The Writing page against a stubbed server: the draft and its preview
 * (citations rendered in the session's style by the server), the reference
 * list, autosave as a version based on the one shown, a stale save kept in
 * the editor with a conflict message, and the style switch.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { I18nProvider } from '../lib/i18n';
import { AuthProvider } from '../lib/auth';
import { storeSession } from '../lib/api';
import { WritingPage } from './Writing';
import type * as C from '../lib/contract';
import { chatMessage, session as sessionOf } from '../test/fixtures';

let calls: { method: string; url: string; body: any }[] = [];
let conflict = false;
let history: C.ChatMessage[] = [];
const session = sessionOf({
  id: 's1',
  title: 'Etna essay',
  style: 'apa',
  version: 3,
  content: 'Etna is on Sicily [@1].',
  chat_id: 'c1',
  channel: 'chat:c1',
  references: [{ n: 1, title: 'Volcanoes of Italy', authors: ['Anna Rossi'], year: '2021', formatted: 'Rossi, A. (2021). *Volcanoes of Italy*.', label: '(Rossi, 2021)' } as C.Reference],
  stats: { model_calls: 2, tokens: 120, cost_usd: 0, searches: 2, web_searches: 0 },
});

beforeEach(() => {
  calls = [];
  conflict = false;
  history = [];
  storeSession('tok', { id: 'u1', username: 'ann', role: 'researcher' });
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      const body = init?.body ? JSON.parse(String(init.body)) : null;
      calls.push({ method, url, body });
      const ok = (b: any, status = 200) => Promise.resolve(new Response(JSON.stringify(b), { status }));
      if (url.includes('/render')) return ok({ markdown: body.content.replace('[@1]', body.style === 'mla' ? '(Rossi)' : '(Rossi, 2021)') + '\n\n## References\n\nRossi, A. (2021). *Volcanoes of Italy*.' });
      if (url.endsWith('/draft') && method === 'PUT')
        return conflict ? ok({ error: { code: 'conflict', message: 'changed' } }, 409) : ok({ id: 's1', version: body.base_version + 1 });
      if (url.endsWith('/api/writing/sessions/s1') && method === 'PATCH') return ok({ ...session, ...body });
      if (url.endsWith('/api/writing/sessions/s1')) return ok(session);
      if (url.endsWith('/api/writing/sessions')) return ok({ sessions: [session] });
      if (url.endsWith('/assistant')) return ok({ messages: history });
      if (url.endsWith('/references') && method === 'POST') return ok({ n: 2, ...body }, 201);
      if (url.includes('/references')) return ok({ style: 'apa', references: session.references, list: '' });
      if (url.includes('/api/groups')) return ok({ groups: [] });
      if (url.includes('/api/auth/me')) return ok({ id: 'u1', username: 'ann', role: 'researcher' });
      return ok({}, 404);
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

const renderPage = () =>
  render(
    <I18nProvider lang="en">
      <AuthProvider>
        <MemoryRouter initialEntries={['/writing/s1']}>
          <Routes>
            <Route path="/writing/:id" element={<WritingPage />} />
          </Routes>
        </MemoryRouter>
      </AuthProvider>
    </I18nProvider>,
  );

describe('Writing page', () => {
  it('shows the draft, its preview with formatted citations and the reference list', async () => {
    renderPage();
    const ed = (await screen.findByTestId('draft-editor')) as HTMLTextAreaElement;
    expect(ed.value).toBe('Etna is on Sicily [@1].');
    await waitFor(() => expect(screen.getByTestId('draft-preview').textContent).toContain('Etna is on Sicily (Rossi, 2021).'));
    expect(screen.getByTestId('references-panel').textContent).toContain('Rossi, A. (2021). Volcanoes of Italy.');
    expect(screen.getByTestId('writing-stats').textContent).toContain('2');
  });

  it('autosaves an edit as a version based on the one shown', async () => {
    renderPage();
    const ed = (await screen.findByTestId('draft-editor')) as HTMLTextAreaElement;
    fireEvent.change(ed, { target: { value: 'Etna is on Sicily [@1]. More.' } });
    expect(screen.getByTestId('save-state').textContent).toContain('Not saved yet');
    await waitFor(() => expect(calls.some((c) => c.method === 'PUT' && c.url.endsWith('/draft'))).toBe(true), { timeout: 4000 });
    const put = calls.find((c) => c.method === 'PUT')!;
    expect(put.body).toEqual({ content: 'Etna is on Sicily [@1]. More.', base_version: 3 });
    await waitFor(() => expect(screen.getByTestId('save-state').textContent).toContain('Saved · v4'));
  });

  it('keeps the text and says so when the draft changed elsewhere', async () => {
    conflict = true;
    renderPage();
    const ed = (await screen.findByTestId('draft-editor')) as HTMLTextAreaElement;
    fireEvent.change(ed, { target: { value: 'My unsaved words.' } });
    expect(await screen.findByText(/changed elsewhere/, {}, { timeout: 4000 })).toBeTruthy();
    expect((screen.getByTestId('draft-editor') as HTMLTextAreaElement).value).toBe('My unsaved words.');
  });

  it('switches the citation style', async () => {
    renderPage();
    const sel = (await screen.findByTestId('writing-style')) as HTMLSelectElement;
    fireEvent.change(sel, { target: { value: 'mla' } });
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH' && c.body?.style === 'mla')).toBe(true));
    await waitFor(() => expect(screen.getByTestId('draft-preview').textContent).toContain('Etna is on Sicily (Rossi).'));
  });

  it('turns web search on, shows web sources and says when the web could not be searched', async () => {
    history = [
      chatMessage({ id: 'm1', role: 'user', content: 'What is new in tidal power?' }),
      chatMessage({
        id: 'm2',
        role: 'assistant',
        content: 'A tidal plant opened [1].',
        citations: [{ n: 1, type: 'web', url: 'https://news.example/tidal', title: 'Tidal plant opens', text: 'The plant...' }],
        web: { status: 'ok', message: '1 web page read for this answer.', sources: 1 },
      }),
      chatMessage({ id: 'm3', role: 'user', content: 'And Etna?' }),
      chatMessage({
        id: 'm4',
        role: 'assistant',
        content: 'On Sicily [1].',
        citations: [{ n: 1, document_id: 'd1', title: 'Volcanoes of Italy', page: 2, text: 'Etna is on Sicily.' }],
        web: { status: 'no_provider', message: 'no search endpoint is configured', sources: 0 },
      }),
    ];
    renderPage();
    const box = (await screen.findByTestId('writing-web')) as HTMLInputElement;
    expect(box.checked).toBe(false);
    fireEvent.click(box);
    await waitFor(() => expect(calls.some((c) => c.method === 'PATCH' && c.body?.web === true)).toBe(true));
    const link = (await screen.findByRole('link', { name: 'Tidal plant opens' })) as HTMLAnchorElement;
    expect(link.href).toBe('https://news.example/tidal');
    const status = screen.getAllByTestId('assistant-web-status');
    expect(status[0].textContent).toContain('Web pages read for this answer: 1.');
    expect(status[1].textContent).toContain('no search endpoint is configured');
    // inserting the web answer adds the page to the references, as a web source
    fireEvent.click(screen.getAllByTestId('assistant-insert')[0]);
    await waitFor(() => expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/references'))).toBe(true));
    const post = calls.find((c) => c.method === 'POST' && c.url.endsWith('/references'))!;
    expect(post.body).toMatchObject({ type: 'web', url: 'https://news.example/tidal', title: 'Tidal plant opens' });
    expect(post.body.accessed).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await waitFor(() => expect((screen.getByTestId('draft-editor') as HTMLTextAreaElement).value).toContain('A tidal plant opened [@2].'));
  });
});
