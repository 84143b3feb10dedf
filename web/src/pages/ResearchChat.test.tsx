/*
 * The research chat against a fake API: the first message makes a draft and
 * opens its card; the card labels an offline proposal; an edit sends the
 * card and shows the 422's message next to the field it names; "Start
 * research" opens the created mission; the Advanced link keeps the form.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { act, render, screen, fireEvent, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useParams } from 'react-router-dom';
import { I18nProvider } from '../lib/i18n';
import { AuthProvider } from '../lib/auth';
import { storeSession } from '../lib/api';
import { live } from '../lib/live';
import { ResearchChatPage } from './ResearchChat';

const CARD = {
  title: 'Heat pumps in Europe',
  questions: ['What do heat pumps cost?', 'Which policies support them?', 'What limits their use?'],
  sources: { documents: true, web: false, scholarly: false, group_id: null },
  depth: 'standard',
  language: 'en',
  tone: 'formal',
  audience: '',
  origin: 'offline',
  matched_documents: [{ id: 'd1', title: 'Heat pump study' }],
};
const DRAFT = {
  id: 'dr1',
  title: CARD.title,
  proposal: CARD,
  mission_id: null,
  chat_id: null,
  answering: false,
  last_seq: 2,
  messages: [
    { id: 1, role: 'user', content: 'I need a report on heat pumps', proposal: null, meta: {} },
    { id: 2, role: 'assistant', content: 'Offline proposal (no model configured): ...', proposal: CARD, meta: { mode: 'offline' } },
  ],
};
const calls: { method: string; url: string; body: any }[] = [];

function reply(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

function fakeFetch(url: string, init?: RequestInit) {
  const method = init?.method ?? 'GET';
  const body = init?.body ? JSON.parse(String(init.body)) : undefined;
  calls.push({ method, url, body });
  if (url === '/api/groups') return reply(200, { groups: [] });
  if (url === '/api/auth/me') return reply(200, { id: 'u1', username: 'ann', role: 'researcher' });
  if (url.startsWith('/api/missions/drafts?')) return reply(200, { drafts: [], total: 0 });
  if (url === '/api/missions/drafts' && method === 'POST') return reply(201, DRAFT);
  if (url === '/api/missions/drafts/dr1' && method === 'GET') return reply(200, DRAFT);
  if (url === '/api/missions/drafts/dr1' && method === 'PUT') {
    if (body.questions.length < 3)
      return reply(422, { error: { code: 'invalid_field', field: 'questions', message: 'questions must hold 3 to 8 research questions (it has 2)' } });
    return reply(200, { ...DRAFT, title: body.title, proposal: { ...CARD, ...body, origin: 'edit' } });
  }
  if (url === '/api/missions/drafts/dr1/messages' && method === 'POST')
    return reply(202, { status: 'answering', channel: 'draft:dr1', seq: 3, message: { id: 3, role: 'user', content: body.content } });
  if (url === '/api/missions/drafts/dr1/start' && method === 'POST') return reply(201, { id: 'm7', mission_id: 'm7', status: 'queued' });
  return reply(404, { error: { code: 'not_found', message: url } });
}

function MissionStub() {
  const { id } = useParams();
  return <p>mission page {id}</p>;
}

function renderAt(path: string) {
  return render(
    <I18nProvider>
      <AuthProvider>
        <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes>
            <Route path="/missions/new" element={<ResearchChatPage />} />
            <Route path="/missions/new/advanced" element={<p>the advanced form</p>} />
            <Route path="/missions/drafts/:id" element={<ResearchChatPage />} />
            <Route path="/missions/:id" element={<MissionStub />} />
          </Routes>
        </MemoryRouter>
      </AuthProvider>
    </I18nProvider>,
  );
}

beforeEach(() => {
  calls.length = 0;
  vi.stubGlobal('fetch', vi.fn(fakeFetch));
  storeSession('tok', { id: 'u1', username: 'ann', role: 'researcher' });
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe('research chat', () => {
  it('turns the first message into a draft with a labelled offline card', async () => {
    renderAt('/missions/new');
    fireEvent.change(screen.getByTestId('rc-input'), { target: { value: 'I need a report on heat pumps' } });
    fireEvent.click(screen.getByTestId('rc-send'));
    await screen.findByTestId('proposal-card');
    expect(calls.find((c) => c.method === 'POST' && c.url === '/api/missions/drafts')?.body).toEqual({ content: 'I need a report on heat pumps' });
    expect(screen.getByTestId('card-origin').textContent).toMatch(/Offline proposal/);
    expect((screen.getByTestId('card-title') as HTMLInputElement).value).toBe('Heat pumps in Europe');
    expect(screen.getByLabelText('Research question 3')).toBeTruthy();
    expect(screen.getByText('Heat pump study')).toBeTruthy();
    expect(document.title).toBe('Research chat: Heat pumps in Europe · Maestro');
  });

  it('keeps the form as Advanced', async () => {
    renderAt('/missions/new');
    fireEvent.click(screen.getByTestId('advanced-form'));
    await screen.findByText('the advanced form');
  });

  it('sends an edited card and shows a refusal next to its field', async () => {
    renderAt('/missions/drafts/dr1');
    await screen.findByTestId('proposal-card');
    fireEvent.click(screen.getByLabelText('Remove question 3'));
    fireEvent.click(screen.getByTestId('card-save'));
    const err = await screen.findByTestId('card-error-questions');
    expect(err.textContent).toMatch(/3 to 8 research questions/);
    // the user's edit is not lost: two questions still shown, fix and save again
    fireEvent.click(screen.getByText(/Add question/));
    fireEvent.change(screen.getByLabelText('Research question 3'), { target: { value: 'Who installs them?' } });
    fireEvent.change(screen.getByTestId('card-audience'), { target: { value: 'executives' } });
    fireEvent.click(screen.getByTestId('card-save'));
    await waitFor(() => expect(screen.getByTestId('card-origin').textContent).toMatch(/Edited by you/));
    const put = calls.filter((c) => c.method === 'PUT').pop()!;
    expect(put.body.questions).toEqual(['What do heat pumps cost?', 'Which policies support them?', 'Who installs them?']);
    expect(put.body.audience).toBe('executives');
    expect(put.body.origin).toBeUndefined();
  });

  it('starts the research and opens the mission', async () => {
    renderAt('/missions/drafts/dr1');
    await screen.findByTestId('proposal-card');
    fireEvent.click(screen.getByTestId('rc-start'));
    await screen.findByText('mission page m7');
  });

  it("shows the planner's reply as it streams, then the answer with its card", async () => {
    const subs = new Map<string, (e: any) => void>();
    vi.spyOn(live, 'subscribe').mockImplementation((channel: string, _after: number, fn: (e: any) => void) => {
      subs.set(channel, fn);
      return () => subs.delete(channel);
    });
    renderAt('/missions/drafts/dr1');
    await screen.findByTestId('proposal-card');
    await waitFor(() => expect(subs.has('draft:dr1')).toBe(true));
    fireEvent.change(screen.getByTestId('rc-turn'), { target: { value: 'shorter, for executives' } });
    fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    await waitFor(() => expect(calls.some((c) => c.url.endsWith('/messages'))).toBe(true));
    const emit = (event: string, data: any) => act(() => subs.get('draft:dr1')!({ channel: 'draft:dr1', seq: 0, event, data }));
    emit('token', { text: 'I made it ' });
    emit('token', { text: 'shorter' });
    expect(screen.getByTestId('rc-streaming').textContent).toContain('I made it shorter');
    emit('reset', {});
    expect(screen.queryByTestId('rc-streaming')).toBeNull();
    emit('token', { text: 'Shorter, for executives.' });
    expect(screen.getByTestId('rc-streaming').textContent).toContain('Shorter, for executives.');
    emit('message', { id: 4, role: 'assistant', content: 'Shorter, for executives.', proposal: { ...CARD, audience: 'executives', depth: 'quick' }, meta: { mode: 'model' } });
    expect(screen.queryByTestId('rc-streaming')).toBeNull();
    expect(screen.getByTestId('rc-messages').textContent).toContain('Shorter, for executives.');
    expect((screen.getByTestId('card-audience') as HTMLInputElement).value).toBe('executives');
  });
});
