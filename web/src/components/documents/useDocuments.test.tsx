/*
 * The library list against a fake API and a scripted live channel: the
 * filters go out as the server reads them, further pages come on demand,
 * and ingestion progress from the channel updates the rows, never going
 * back to an older status when a slower list answer arrives after it.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { act, renderHook, waitFor } from '@testing-library/react';
import { storeSession } from '../../lib/api';
import type * as C from '../../lib/contract';
import type { LiveEvent } from '../../lib/ws';
import { NO_FILTERS, PAGE, serverFilter, useDocuments } from './useDocuments';
import { doc, documentList, expectEvent, user } from '../../test/fixtures';

let push: (e: LiveEvent) => void = () => {};
vi.mock('../../lib/live', () => ({
  useChannel: (_channel: string, _after: number, onEvent: (e: LiveEvent) => void) => {
    push = onEvent;
  },
}));

const gets: URL[] = [];
/* the documents the fake server has, and their status as it reports them */
let serverDocs: C.Document[] = [];

beforeEach(() => {
  gets.length = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string) => {
      const u = new URL(url, 'http://x');
      gets.push(u);
      const off = Number(u.searchParams.get('offset') ?? 0);
      const lim = Number(u.searchParams.get('limit') ?? PAGE);
      const body = documentList(serverDocs.slice(off, off + lim), serverDocs.length);
      return Promise.resolve(new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } }));
    }),
  );
  storeSession('tok', user());
});
afterEach(() => vi.unstubAllGlobals());

/* the page passes the same filter object until the user changes one (it is memoised) */
const BY_CURIE = { author: 'curie' };
const NONE = {};

const ev = (data: Record<string, unknown>): LiveEvent => (expectEvent('documents', 'document', data), { type: 'event', channel: 'documents', seq: 1, event: 'document', data, ts: new Date().toISOString() });

describe('serverFilter', () => {
  it('sends only the filled fields, trimmed, and a year only once it has four digits', () => {
    expect(serverFilter({ ...NO_FILTERS, author: '  curie ', group: 'g1', yearFrom: '19', yearTo: '1999' })).toEqual({ author: 'curie', group_id: 'g1', year_to: '1999' });
    expect(serverFilter(NO_FILTERS)).toEqual({});
  });
});

describe('useDocuments', () => {
  it('lists the filtered page, and loads the next one on demand without repeating a document', async () => {
    serverDocs = Array.from({ length: 250 }, (_, i) => doc({ id: `d${i}`, filename: `f${i}.pdf` }));
    const { result } = renderHook(() => useDocuments(BY_CURIE, 'year', false));
    await waitFor(() => expect(result.current.docs).toHaveLength(PAGE));
    expect(gets[0].searchParams.get('author')).toBe('curie');
    expect(gets[0].searchParams.get('sort')).toBe('year');
    expect(result.current.total).toBe(250);
    expect(result.current.hasMore).toBe(true);
    await act(() => result.current.loadMore());
    expect(gets).toHaveLength(2);
    expect(gets[1].searchParams.get('offset')).toBe(String(PAGE));
    expect(result.current.docs).toHaveLength(250);
    expect(new Set(result.current.docs!.map((d) => d.id)).size).toBe(250);
    expect(result.current.hasMore).toBe(false);
  });

  it('follows ingestion on the live channel, and a slower list answer does not undo it', async () => {
    serverDocs = [doc({ id: 'd1', filename: 'a.pdf', status: 'queued' }), doc({ id: 'd2', filename: 'b.pdf' })];
    const { result } = renderHook(() => useDocuments(NONE, 'added', false));
    await waitFor(() => expect(result.current.docs).toHaveLength(2));
    expect(result.current.hasMore).toBe(false);
    act(() => push(ev({ id: 'd1', status: 'processing', progress: 0.5, stage: 'embedding' })));
    expect(result.current.docs![0].status).toBe('processing');
    expect(result.current.docs![0].progress).toBe(0.5);
    act(() => push(ev({ id: 'd1', status: 'ready' })));
    /* the server's list still says "queued" (it was read before the event) */
    await act(() => result.current.reload());
    expect(result.current.docs!.find((d) => d.id === 'd1')!.status).toBe('ready');
    act(() => push(ev({ id: 'd2', status: 'deleted' })));
    expect(result.current.docs!.map((d) => d.id)).toEqual(['d1']);
  });
});
