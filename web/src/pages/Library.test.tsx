/*
 * The library page against a fake API: filters and the sort go to the server
 * (GET /api/documents?author=...&year_from=...), a bulk action on "all
 * matching" sends the filter and not the ids of the page, and the reader
 * marks the words of a search.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { I18nProvider } from '../lib/i18n';
import { AuthProvider } from '../lib/auth';
import { storeSession } from '../lib/api';
import { DocumentsPage, highlight } from './Documents';

const gets: string[] = [];
const posts: { url: string; body: any }[] = [];

function ok(body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } }));
}

function doc(i: number) {
  return { id: `d${i}`.padEnd(16, '0'), filename: `paper${i}.pdf`, status: 'ready', title: `Paper ${i}`, authors: 'Marie Curie', year: '1995', mime: 'application/pdf', group_ids: [] };
}

beforeEach(() => {
  gets.length = 0;
  posts.length = 0;
  vi.stubGlobal('WebSocket', class {
    readyState = 0;
    send() {}
    close() {}
  });
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      if (url === '/api/auth/me') return ok({ id: 'u1', username: 'ann', role: 'researcher' });
      if (url === '/api/groups') return ok({ groups: [] });
      if (method === 'POST' && url === '/api/documents/bulk') {
        posts.push({ url, body: JSON.parse(String(init?.body)) });
        return ok({ action: 'reprocess', matched: 120, done: 120, skipped: [], failed: [] });
      }
      if (url.startsWith('/api/documents?')) {
        gets.push(url);
        return ok({ documents: [doc(1), doc(2), doc(3)], total: 120 });
      }
      return ok({});
    }),
  );
  storeSession('tok', { id: 'u1', username: 'ann', role: 'researcher' });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function renderPage() {
  return render(
    <I18nProvider>
      <AuthProvider>
        <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <DocumentsPage />
        </MemoryRouter>
      </AuthProvider>
    </I18nProvider>,
  );
}

describe('library page', () => {
  it('asks the server for the filtered, sorted page', async () => {
    renderPage();
    await screen.findAllByTestId('doc-row');
    fireEvent.change(screen.getByTestId('docs-author-filter'), { target: { value: 'curie' } });
    fireEvent.change(screen.getByTestId('docs-year-from'), { target: { value: '1990' } });
    fireEvent.change(screen.getByTestId('docs-year-to'), { target: { value: '1999' } });
    fireEvent.change(screen.getByTestId('docs-sort'), { target: { value: 'year' } });
    fireEvent.change(screen.getByTestId('docs-type-filter'), { target: { value: 'pdf' } });
    await waitFor(() => {
      const last = new URL(gets[gets.length - 1], 'http://x');
      expect(last.searchParams.get('author')).toBe('curie');
      expect(last.searchParams.get('year_from')).toBe('1990');
      expect(last.searchParams.get('year_to')).toBe('1999');
      expect(last.searchParams.get('sort')).toBe('year');
      expect(last.searchParams.get('type')).toBe('pdf');
    });
  });

  it('a bulk action on all matching documents sends the filter, not the ids of the page', async () => {
    renderPage();
    await screen.findAllByTestId('doc-row');
    fireEvent.change(screen.getByTestId('docs-author-filter'), { target: { value: 'curie' } });
    await waitFor(() => expect(gets.some((u) => u.includes('author=curie'))).toBe(true));
    await screen.findAllByTestId('doc-row');
    fireEvent.click(screen.getByLabelText('Select all'));
    fireEvent.click(await screen.findByTestId('bulk-all'));
    expect(screen.getByTestId('bulk-bar').textContent).toContain('120');
    fireEvent.click(screen.getByTestId('bulk-reprocess'));
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0].body).toEqual({ action: 'reprocess', filter: { author: 'curie' } });
    expect((await screen.findByTestId('bulk-note')).textContent).toContain('120 of 120');
  });
});

describe('highlight', () => {
  it('marks every word of the query, whatever its case, and nothing else', () => {
    const parts = highlight('Turbine blades: the BLADE cools; blades again.', 'blades cooling');
    expect(parts.filter((p) => p.hit).map((p) => p.text)).toEqual(['blades', 'blades']);
    expect(parts.map((p) => p.text).join('')).toBe('Turbine blades: the BLADE cools; blades again.');
    expect(highlight('x', '').map((p) => p.hit)).toEqual([false]);
    expect(highlight('a (b) c', '(b)').filter((p) => p.hit).map((p) => p.text)).toEqual([]);
  });
});
