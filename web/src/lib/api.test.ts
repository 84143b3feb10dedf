import { describe, it, expect, vi, afterEach } from 'vitest';
import { api, ApiError, getToken, login, normDoc, normMission, normPlan, pickList, setUnauthorizedHandler, storeSession } from './api';

function mockFetch(status: number, body: unknown) {
  const fn = vi.fn(async (_url: string, _init?: RequestInit) => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
  vi.stubGlobal('fetch', fn);
  return fn;
}

afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthorizedHandler(null);
});

describe('adapters', () => {
  it('finds lists under any key', () => {
    expect(pickList([1, 2])).toEqual([1, 2]);
    expect(pickList({ missions: [1] }, 'missions')).toEqual([1]);
    expect(pickList({ items: [2], next_cursor: 'x' })).toEqual([2]);
    expect(pickList({ whatever: [3] })).toEqual([3]);
    expect(pickList(null)).toEqual([]);
  });
  it('normalises missions with counters and percent progress', () => {
    const m = normMission({ id: 5, title: 'X', status: 'running', progress: 40, counters: { tokens: 10, calls: 2 }, total_cost: '0.5' });
    expect(m).toMatchObject({ id: '5', progress: 0.4, tokens: 10, calls: 2, cost: 0.5 });
    expect(normMission({ mission: { id: 6, progress: 0.25 } }).progress).toBe(0.25);
  });
  it('normalises plans and documents', () => {
    expect(normPlan({ plan: { sections: [{ title: 'A', children: [{ title: 'B' }] }] } })!.sections[0].subsections[0].title).toBe('B');
    expect(normPlan([{ title: 'A' }])!.sections).toHaveLength(1);
    expect(normPlan({})).toBeNull();
    const d = normDoc({ id: 1, filename: 'paper.PDF', status: 'ready', metadata: { authors: ['A', 'B'], year: 2024 } });
    expect(d).toMatchObject({ id: '1', type: 'pdf', authors: 'A, B', year: '2024' });
  });
});

describe('requests', () => {
  it('sends the bearer token and parses errors', async () => {
    storeSession('tok', { id: '1', username: 'u', role: 'admin' });
    const f = mockFetch(404, { error: { code: 'not_found', message: 'mission 42 not found' } });
    const err = await api.get('/api/missions/42').catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: 'not_found', message: 'mission 42 not found' });
    expect((f.mock.calls[0][1]!.headers as any).Authorization).toBe('Bearer tok');
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
    mockFetch(200, { access_token: 'abc', token_type: 'bearer', expires_in: 3600, user: { id: 1, username: 'admin', role: 'admin' } });
    const r = await login('admin', 'pw');
    expect(r.user).toMatchObject({ id: '1', username: 'admin', role: 'admin' });
    expect(getToken()).toBe('abc');
    storeSession(null, null);
    mockFetch(401, { error: { code: 'unauthorized', message: 'bad credentials' } });
    await expect(login('admin', 'nope')).rejects.toMatchObject({ status: 401 });
    expect(seen).toEqual([]);
  });
});
