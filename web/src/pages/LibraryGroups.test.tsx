/*
 * Groups on the library page against a fake API: the group selectors of the
 * page (search, upload, filter, bulk bar) list the user's groups, the group
 * filter goes to the server, a row names its groups, and "Add to group" on
 * the selection sends the group chosen in the bulk bar.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { I18nProvider } from '../lib/i18n';
import { AuthProvider } from '../lib/auth';
import { storeSession } from '../lib/api';
import { DocumentsPage } from './Documents';

const gets: URL[] = [];
const posts: { url: string; body: any }[] = [];
let groupReads = 0;

function ok(body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } }));
}

beforeEach(() => {
  gets.length = 0;
  posts.length = 0;
  groupReads = 0;
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
      if (url === '/api/groups') {
        groupReads++;
        return ok({ groups: [{ id: 'g1', name: 'Physics', document_count: 1 }, { id: 'g2', name: 'Biology', document_count: 0 }] });
      }
      if (method === 'POST' && url === '/api/documents/bulk') {
        posts.push({ url, body: JSON.parse(String(init?.body)) });
        return ok({ action: 'add_to_group', matched: 1, done: 1, skipped: [], failed: [] });
      }
      if (url.startsWith('/api/documents?')) {
        gets.push(new URL(url, 'http://x'));
        return ok({
          documents: [
            { id: 'd1', filename: 'alpha.md', status: 'ready', group_ids: ['g1'] },
            { id: 'd2', filename: 'beta.txt', status: 'ready', group_ids: [] },
          ],
          total: 2,
        });
      }
      return ok({});
    }),
  );
  storeSession('tok', { id: 'u1', username: 'ann', role: 'researcher' });
});
afterEach(() => vi.unstubAllGlobals());

function renderPage() {
  return render(
    <I18nProvider lang="en">
      <AuthProvider>
        <MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
          <DocumentsPage />
        </MemoryRouter>
      </AuthProvider>
    </I18nProvider>,
  );
}

const names = (sel: HTMLElement) => [...(sel as HTMLSelectElement).options].map((o) => o.textContent);

describe('library page: groups', () => {
  it('every group selector lists the groups, and the group filter asks the server for that group', async () => {
    renderPage();
    const rows = await screen.findAllByTestId('doc-row');
    await screen.findByText('Groups (2)');
    /* the Groups column (after the checkbox, name, status and type) names the row's groups */
    const groupsCell = (row: HTMLElement) => row.querySelectorAll('td')[4].textContent;
    expect(groupsCell(rows[0])).toBe('Physics');
    expect(groupsCell(rows[1])).toBe('—');
    expect(names(screen.getByLabelText('Into group'))).toEqual(['No group', 'Physics', 'Biology']);
    const searchGroup = within(screen.getByRole('search')).getByLabelText('Group');
    const filterGroup = within(screen.getByTestId('docs-sort').closest('.toolbar') as HTMLElement).getByLabelText('Group');
    expect(names(searchGroup)).toEqual(['All documents', 'Physics', 'Biology']);
    expect(names(filterGroup)).toEqual(['All', 'Physics', 'Biology']);
    fireEvent.change(filterGroup, { target: { value: 'g2' } });
    await waitFor(() => expect(gets[gets.length - 1].searchParams.get('group_id')).toBe('g2'));
  });

  it('adds the selected documents to the group chosen in the bulk bar, then reads the groups again', async () => {
    renderPage();
    await screen.findAllByTestId('doc-row');
    await screen.findByText('Groups (2)');
    fireEvent.click(screen.getByLabelText('Select beta.txt'));
    const bar = screen.getByTestId('bulk-bar');
    const add = within(bar).getByRole('button', { name: 'Add to group' }) as HTMLButtonElement;
    expect(add.disabled).toBe(true);
    const pick = within(bar).getByLabelText('Group');
    expect(names(pick)).toEqual(['Choose a group…', 'Physics', 'Biology']);
    fireEvent.change(pick, { target: { value: 'g1' } });
    expect(add.disabled).toBe(false);
    const before = groupReads;
    fireEvent.click(add);
    await waitFor(() => expect(posts).toHaveLength(1));
    expect(posts[0].body).toEqual({ action: 'add_to_group', document_ids: ['d2'], group_id: 'g1' });
    expect((await screen.findByTestId('bulk-note')).textContent).toContain('1 of 1');
    await waitFor(() => expect(groupReads).toBe(before + 1));
  });
});
