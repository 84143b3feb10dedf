import { describe, it, expect, vi, afterEach } from 'vitest';
import { api, ApiError, getToken, login, normDoc, normMission, setUnauthorizedHandler, storeSession } from './api';
import { mission } from '../test/fixtures';

function mockFetch(status: number, body: unknown) {
  const fn = vi.fn(async (_url: string, _init?: RequestInit) => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
  vi.stubGlobal('fetch', fn);
  return fn;
}

afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthorizedHandler(null);
});

describe('views of the server replies', () => {
  it('a mission shows the server members: progress 0..1, counters, warnings once', () => {
    const w = { code: 'budget', message: 'Budget reached', ts: 1 };
    const m = normMission(mission({ id: '5', title: 'X', progress: 0.4, tokens: 10, calls: 2, cost: 0.5, finished_at: null, error: null, warnings: [w, { ...w, ts: 2 }] }));
    expect(m).toMatchObject({ id: '5', title: 'X', progress: 0.4, tokens: 10, calls: 2, cost: 0.5, finished_at: '', error: '' });
    expect(m.warnings).toHaveLength(1);
  });
  it('a document shows its record; a PDF is a pdf whatever the case of its name', () => {
    const d = normDoc({ id: '1', filename: 'paper.PDF', status: 'ready', author_list: ['A', 'B'], year: '2024', mime: 'application/pdf', size_bytes: 10, chunk_count: 3 });
    expect(d).toMatchObject({ id: '1', type: 'pdf', authors: 'A; B', year: '2024', size: 10, chunks: 3 });
  });
});

describe('requests', () => {
  it('sends the bearer token and parses errors', async () => {
    storeSession('tok', { id: '1', username: 'u', role: 'admin' });
    const f = mockFetch(404, { error: { code: 'not_found', message: 'mission 42 not found' } });
    const err = await api.get('/api/missions/42').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: 'not_found', message: 'mission 42 not found' });
    expect((f.mock.calls[0][1]!.headers as Record<string, string>).Authorization).toBe('Bearer tok');
    expect(getToken()).toBe('tok');
  });

  it('forgets the token and reports an expired session on 401', async () => {
    storeSession('old', { id: '1', username: 'u', role: 'admin' });
    const seen: string[] = [];
    setUnauthorizedHandler((m) => seen.push(m));
    mockFetch(401, { error: { code: 'unauthorized', message: 'token expired' } });
    await expect(api.get('/api/missions')).rejects.toThrow('token expired');
    expect(getToken()).toBeNull();
    expect(seen).toEqual(['token expired']);
  });

  it('logs in and stores the session; a wrong password is not a session expiry', async () => {
    const seen: string[] = [];
    setUnauthorizedHandler((m) => seen.push(m));
    mockFetch(200, { access_token: 'abc', token_type: 'bearer', expires_in: 3600, user: { id: '1', username: 'admin', role: 'admin' } });
    const r = await login('admin', 'pw');
    expect(r.user).toMatchObject({ id: '1', username: 'admin', role: 'admin' });
    expect(getToken()).toBe('abc');
    storeSession(null, null);
    mockFetch(401, { error: { code: 'unauthorized', message: 'bad credentials' } });
    await expect(login('admin', 'nope')).rejects.toMatchObject({ status: 401 });
    expect(seen).toEqual([]);
  });
});
