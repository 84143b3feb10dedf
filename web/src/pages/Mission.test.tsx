/*
 * The mission page against a fake API (fetch) and a fake WebSocket: live
 * updates, the visible reconnecting state, catch-up from the last seq after a
 * drop, and the pause button reflecting the real state.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { act, render, screen, fireEvent, waitFor } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { I18nProvider } from '../lib/i18n';
import { AuthProvider } from '../lib/auth';
import { storeSession } from '../lib/api';
import { live } from '../lib/live';
import { MissionPage } from './Mission';
import type * as C from '../lib/contract';
import { expectEvent, mission, section } from '../test/fixtures';

class FakeWS {
  static all: FakeWS[] = [];
  readyState = 0;
  sent: any[] = [];
  onopen: ((e: any) => void) | null = null;
  onclose: ((e: any) => void) | null = null;
  onerror: ((e: any) => void) | null = null;
  onmessage: ((e: { data: any }) => void) | null = null;
  constructor(public url: string) {
    FakeWS.all.push(this);
  }
  send(d: string) {
    this.sent.push(JSON.parse(d));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    act(() => this.onopen?.({}));
  }
  drop() {
    this.readyState = 3;
    act(() => this.onclose?.({ code: 1006 }));
  }
  event(seq: number, event: string, data: unknown) {
    expectEvent('mission', event, data);
    act(() => this.onmessage?.({ data: JSON.stringify({ type: 'event', channel: 'mission:m1', seq, event, data, ts: new Date().toISOString() }) }));
  }
}
const sock = () => FakeWS.all[FakeWS.all.length - 1];

const calls: string[] = [];
let status: C.Mission['status'] = 'running';
let extra: Partial<C.Mission> = {};
function fakeFetch(url: string, init?: RequestInit) {
  const method = init?.method ?? 'GET';
  calls.push(`${method} ${url}`);
  const ok = (b: unknown) => Promise.resolve(new Response(JSON.stringify(b), { status: 200 }));
  if (url === '/api/auth/me') return ok({ id: 'u1', username: 'ann', role: 'researcher' });
  if (url === '/api/missions/m1') return ok(mission({ id: 'm1', title: 'Solar storage', status, phase: 'research', progress: 0.2, tokens: 100, cost: 0.001, calls: 2, last_seq: 7, ...extra }));
  if (url === '/api/missions/m1/plan') return ok({ sections: [section({ id: 's1', title: 'Intro', questions: ['Why?'] })] });
  if (url.startsWith('/api/missions/m1/notes')) return ok({ notes: [] });
  if (url.startsWith('/api/missions/m1/logs')) return ok({ logs: [] });
  if (url === '/api/missions/m1/resume' && method === 'POST') {
    status = 'queued';
    extra = {};
    return ok(mission({ id: 'm1', title: 'Solar storage', status: 'queued' }));
  }
  if (url === '/api/missions/m1/pause' && method === 'POST') {
    status = 'paused';
    return ok(mission({ id: 'm1', title: 'Solar storage', status: 'paused' }));
  }
  return Promise.resolve(new Response(JSON.stringify({ error: { code: 'not_found', message: url } }), { status: 404 }));
}

beforeEach(() => {
  FakeWS.all = [];
  calls.length = 0;
  status = 'running';
  extra = {};
  vi.stubGlobal('WebSocket', FakeWS);
  vi.stubGlobal('fetch', vi.fn(fakeFetch));
  storeSession('tok', { id: 'u1', username: 'ann', role: 'researcher' });
});
afterEach(() => {
  live.close();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function renderPage(url = '/missions/m1') {
  return render(
    <I18nProvider lang="en">
      <AuthProvider>
        <MemoryRouter initialEntries={[url]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <Routes>
            <Route path="/missions/:id" element={<MissionPage />} />
          </Routes>
        </MemoryRouter>
      </AuthProvider>
    </I18nProvider>,
  );
}

describe('MissionPage live', () => {
  it('subscribes after the snapshot seq, applies events, shows reconnecting and catches up', async () => {
    renderPage();
    await screen.findByText('Solar storage');
    await screen.findByText('Intro');
    act(() => live.connect());
    expect(sock().url).toContain('/api/ws?token=tok');
    sock().open();
    expect(sock().sent).toContainEqual({ type: 'subscribe', channel: 'mission:m1', after: 7 });

    sock().event(8, 'plan_updated', { plan: { sections: [section({ id: 's1', title: 'Intro' }), section({ id: 's2', title: 'Costs' })] } });
    sock().event(9, 'stats', { tokens: 4321, cost: 0.05, calls: 9 });
    expect(screen.getByText('Costs')).toBeTruthy();
    expect(screen.getByTestId('metric-tokens').textContent).toBe('4,321');
    expect(screen.queryByTestId('mission-reconnecting')).toBeNull();

    vi.useFakeTimers();
    sock().drop();
    expect(screen.getByTestId('mission-reconnecting').textContent).toContain('Reconnecting');
    act(() => {
      vi.advanceTimersByTime(2000);
    });
    expect(FakeWS.all).toHaveLength(2);
    sock().open();
    expect(sock().sent).toContainEqual({ type: 'subscribe', channel: 'mission:m1', after: 9 });
    expect(screen.queryByTestId('mission-reconnecting')).toBeNull();
    // replayed seq 9 is ignored, seq 10 applies
    sock().event(9, 'stats', { tokens: 1, cost: 0, calls: 1 });
    sock().event(10, 'stats', { tokens: 5000, cost: 0.06, calls: 10 });
    expect(screen.getByTestId('metric-tokens').textContent).toBe('5,000');
    expect(screen.getByTestId('metric-calls').textContent).toBe('10');
  });

  it('pause reflects the real state: the button calls the API and the status event enables resume', async () => {
    renderPage();
    await screen.findByText('Solar storage');
    act(() => live.connect());
    sock().open();
    const pause = screen.getByTestId('btn-pause') as HTMLButtonElement;
    const resume = screen.getByTestId('btn-resume') as HTMLButtonElement;
    expect(pause.disabled).toBe(false);
    expect(resume.disabled).toBe(true);
    fireEvent.click(pause);
    await waitFor(() => expect(calls).toContain('POST /api/missions/m1/pause'));
    await waitFor(() => expect((screen.getByTestId('btn-resume') as HTMLButtonElement).disabled).toBe(false));
    expect((screen.getByTestId('btn-pause') as HTMLButtonElement).disabled).toBe(true);
    // the plan becomes editable only when paused
    expect(screen.getByTestId('plan-edit')).toBeTruthy();
    // a later status event from the server wins
    sock().event(8, 'status', { status: 'running' });
    expect((screen.getByTestId('btn-pause') as HTMLButtonElement).disabled).toBe(false);
    expect(screen.queryByTestId('plan-edit')).toBeNull();
  });

  it('a failed mission can be resumed, and its old error goes away', async () => {
    status = 'failed';
    extra = { error: 'research: the model gave no structured answer' };
    renderPage();
    await screen.findByText('research: the model gave no structured answer');
    const resume = screen.getByTestId('btn-resume') as HTMLButtonElement;
    expect(resume.disabled).toBe(false);
    fireEvent.click(resume);
    await waitFor(() => expect(calls).toContain('POST /api/missions/m1/resume'));
    await waitFor(() => expect(screen.queryByText('research: the model gave no structured answer')).toBeNull());
  });

  it('shows the outcome and the warnings', async () => {
    status = 'completed';
    extra = {
      outcome: 'no_evidence',
      warnings: [
        { code: 'web_search_unavailable', message: 'Web search was requested but no provider is configured', ts: 1 },
        { code: 'no_passages', message: 'No passage matched the section', section_id: 's1', round: 1, ts: 2 },
      ],
    };
    renderPage();
    const badge = await screen.findByTestId('outcome-badge');
    expect(badge.textContent).toBe('No evidence');
    expect(badge.className).not.toContain('completed');
    const list = screen.getByTestId('mission-warnings');
    expect(list.textContent).toContain('Warnings (2)');
    expect(list.textContent).toContain('Web search was requested but no provider is configured');
    await screen.findByText('Intro');
    expect(list.textContent).toContain('(Intro, Round 1)');
    // a warning that arrives live is added once
    act(() => live.connect());
    sock().open();
    sock().event(8, 'warning', { code: 'budget', message: 'Budget reached', ts: 3 });
    sock().event(9, 'warning', { code: 'budget', message: 'Budget reached', ts: 4 });
    expect(screen.getByTestId('mission-warnings').textContent).toContain('Warnings (3)');
  });

  it('an ok outcome shows no extra badge', async () => {
    status = 'completed';
    extra = { outcome: 'ok', warnings: [] };
    renderPage();
    await screen.findByText('Solar storage');
    expect(screen.queryByTestId('outcome-badge')).toBeNull();
    expect(screen.queryByTestId('mission-warnings')).toBeNull();
  });

  it('lists a call in flight in Activity until its answer arrives', async () => {
    extra = {};
    renderPage('/missions/m1?tab=activity');
    await screen.findByText('Solar storage');
    act(() => live.connect());
    sock().open();
    sock().event(8, 'call_started', { id: 'k1', started_at: 1, call_key: 'k1', agent: 'researcher', action: 'notes for "Intro"', section_title: 'Intro', round: 1, passages: 4 });
    const item = await screen.findByTestId('log-in-flight');
    expect(item.closest('li')!.textContent).toContain('passages: 4');
    sock().event(9, 'agent_log', { id: 'c1', call_key: 'k1', agent: 'researcher', action: 'notes for "Intro"', model: 'm', tokens: 2, prompt_tokens: 1, completion_tokens: 1, cost: 0, duration_ms: 5, response: '{}' });
    await waitFor(() => expect(screen.queryByTestId('log-in-flight')).toBeNull());
  });
});
