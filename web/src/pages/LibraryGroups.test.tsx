/*
 * Groups on the library page against a fake API: the group selectors of the
 * page (search, upload, filter, bulk bar) list the user's groups, the group
 * filter goes to the server, a row names its groups, and "Add to group" on
 * the selection sends the group chosen in the bulk bar. The fake server is
 * test/library.tsx's.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { screen, fireEvent, waitFor, within } from '@testing-library/react';
import { doc, group } from '../test/fixtures';
import { fakeLibrary, renderLibrary, type LibraryRequests } from '../test/library';

let seen: LibraryRequests;
beforeEach(() => {
  seen = fakeLibrary({
    docs: [doc({ id: 'd1', filename: 'alpha.md', group_ids: ['g1'] }), doc({ id: 'd2', filename: 'beta.txt' })],
    groups: [group({ id: 'g1', name: 'Physics', document_count: 1 }), group({ id: 'g2', name: 'Biology' })],
  });
});
afterEach(() => vi.unstubAllGlobals());

const names = (sel: HTMLElement) => [...(sel as HTMLSelectElement).options].map((o) => o.textContent);

describe('library page: groups', () => {
  it('every group selector lists the groups, and the group filter asks the server for that group', async () => {
    renderLibrary();
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
    await waitFor(() => expect(seen.lists[seen.lists.length - 1].searchParams.get('group_id')).toBe('g2'));
  });

  it('adds the selected documents to the group chosen in the bulk bar, then reads the groups again', async () => {
    renderLibrary();
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
    const before = seen.groupReads;
    fireEvent.click(add);
    await waitFor(() => expect(seen.bulk).toHaveLength(1));
    expect(seen.bulk[0]).toEqual({ action: 'add_to_group', document_ids: ['d2'], group_id: 'g1' });
    expect((await screen.findByTestId('bulk-note')).textContent).toContain('1 of 1');
    await waitFor(() => expect(seen.groupReads).toBe(before + 1));
  });
});
