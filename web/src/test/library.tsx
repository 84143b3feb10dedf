/*
 * The library page against a fake API, for the page's tests: a signed-in
 * researcher, her groups and one page of documents (fixtures.ts shapes), a
 * bulk action done on every document it names (or on every match of a
 * filter), a search and the reader's text. What the page asked is kept for
 * the test to check; each test states only the documents, groups, search
 * hits and texts it cares about.
 */
import { vi } from 'vitest';
import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import type * as C from '../lib/contract';
import { I18nProvider } from '../lib/i18n';
import { AuthProvider } from '../lib/auth';
import { storeSession } from '../lib/api';
import { DocumentsPage } from '../pages/Documents';
import { apiError, bulkReply, documentList, searchReply, user } from './fixtures';

export interface LibraryServer {
  docs: C.Document[];
  /** every match of the filters (the page has `docs`); their count by default */
  total?: number;
  groups?: C.Group[];
  /** the passages POST /api/search answers */
  hits?: C.Passage[];
  /** GET /api/documents/{id}/text by document id */
  texts?: Record<string, C.DocumentText>;
}

export interface LibraryRequests {
  /** every GET /api/documents?... */
  lists: URL[];
  /** the bodies of POST /api/documents/bulk */
  bulk: unknown[];
  /** the bodies of POST /api/search */
  searches: unknown[];
  /** how many times the page read GET /api/groups */
  groupReads: number;
}

const json = (body: unknown, status = 200) => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));

/** stubs fetch and WebSocket (undo with vi.unstubAllGlobals) and signs in; returns what the page asks, as it asks it */
export function fakeLibrary(server: LibraryServer): LibraryRequests {
  const seen: LibraryRequests = { lists: [], bulk: [], searches: [], groupReads: 0 };
  const me = user();
  vi.stubGlobal(
    'WebSocket',
    class {
      readyState = 0;
      send() {}
      close() {}
    },
  );
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      const body: unknown = init?.body ? JSON.parse(String(init.body)) : undefined;
      if (url === '/api/auth/me') return json(me);
      if (url === '/api/groups') {
        seen.groupReads++;
        return json({ groups: server.groups ?? [] });
      }
      if (method === 'POST' && url === '/api/documents/bulk') {
        seen.bulk.push(body);
        const { action, document_ids: ids } = body as { action: string; document_ids?: string[] };
        return json(bulkReply({ action, matched: ids ? ids.length : server.total ?? server.docs.length }));
      }
      if (method === 'POST' && url === '/api/search') {
        seen.searches.push(body);
        return json(searchReply(server.hits ?? []));
      }
      if (url.startsWith('/api/documents?')) {
        seen.lists.push(new URL(url, 'http://x'));
        return json(documentList(server.docs, server.total));
      }
      const text = /^\/api\/documents\/([^/]+)\/text$/.exec(url);
      if (text && server.texts?.[text[1]]) return json(server.texts[text[1]]);
      return json(apiError('not_found', `${method} ${url} not found`), 404);
    }),
  );
  storeSession('tok', me);
  return seen;
}

export function renderLibrary(lang: 'en' | 'ko' = 'en') {
  return render(
    <I18nProvider lang={lang}>
      <AuthProvider>
        <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <DocumentsPage />
        </MemoryRouter>
      </AuthProvider>
    </I18nProvider>,
  );
}
