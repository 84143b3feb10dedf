/*
 * The library page against a fake API: filters and the sort go to the server
 * (GET /api/documents?author=...&year_from=...), a bulk action on "all
 * matching" sends the filter and not the ids of the page, and a search hit
 * opens the reader with the words of the search marked. The fake server is
 * test/library.tsx's.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { screen, fireEvent, waitFor, within } from '@testing-library/react';
import { doc, documentText, passage } from '../test/fixtures';
import { fakeLibrary, renderLibrary, type LibraryRequests } from '../test/library';
import { highlight } from './Documents';

const paper = (i: number) => doc({ id: `d${i}`.padEnd(16, '0'), filename: `paper${i}.pdf`, title: `Paper ${i}`, authors: 'Marie Curie', year: '1995' });
const TEXT = 'Turbine blades crack under heat.\nCooling the BLADES helps.';

let seen: LibraryRequests;
beforeEach(() => {
  seen = fakeLibrary({
    docs: [paper(1), paper(2), paper(3)],
    total: 120,
    hits: [passage({ document_id: paper(2).id, title: 'Paper 2', filename: 'paper2.pdf', page: 3, text: 'Cooling the blades helps.', score: 0.812 })],
    texts: { [paper(2).id]: documentText({ id: paper(2).id, text: TEXT, sections: [{ page: 1, heading: '', char_start: 0 }, { page: 3, heading: 'Cooling', char_start: 33 }] }) },
  });
});
afterEach(() => vi.unstubAllGlobals());

describe('library page', () => {
  it('asks the server for the filtered, sorted page', async () => {
    renderLibrary();
    await screen.findAllByTestId('doc-row');
    fireEvent.change(screen.getByTestId('docs-author-filter'), { target: { value: 'curie' } });
    fireEvent.change(screen.getByTestId('docs-year-from'), { target: { value: '1990' } });
    fireEvent.change(screen.getByTestId('docs-year-to'), { target: { value: '1999' } });
    fireEvent.change(screen.getByTestId('docs-sort'), { target: { value: 'year' } });
    fireEvent.change(screen.getByTestId('docs-type-filter'), { target: { value: 'pdf' } });
    await waitFor(() => {
      const last = seen.lists[seen.lists.length - 1];
      expect(last.searchParams.get('author')).toBe('curie');
      expect(last.searchParams.get('year_from')).toBe('1990');
      expect(last.searchParams.get('year_to')).toBe('1999');
      expect(last.searchParams.get('sort')).toBe('year');
      expect(last.searchParams.get('type')).toBe('pdf');
    });
  });

  it('a bulk action on all matching documents sends the filter, not the ids of the page', async () => {
    renderLibrary();
    await screen.findAllByTestId('doc-row');
    fireEvent.change(screen.getByTestId('docs-author-filter'), { target: { value: 'curie' } });
    await waitFor(() => expect(seen.lists.some((u) => u.searchParams.get('author') === 'curie')).toBe(true));
    await screen.findAllByTestId('doc-row');
    fireEvent.click(screen.getByLabelText('Select all'));
    fireEvent.click(await screen.findByTestId('bulk-all'));
    expect(screen.getByTestId('bulk-bar').textContent).toContain('120');
    fireEvent.click(screen.getByTestId('bulk-reprocess'));
    await waitFor(() => expect(seen.bulk).toHaveLength(1));
    expect(seen.bulk[0]).toEqual({ action: 'reprocess', filter: { author: 'curie' } });
    expect((await screen.findByTestId('bulk-note')).textContent).toContain('120 of 120');
  });
});

describe('library page: search and the reader', () => {
  it('searches the library, and opening a hit shows its text by page with the words of the search marked', async () => {
    renderLibrary();
    await screen.findAllByTestId('doc-row');
    fireEvent.change(screen.getByTestId('search-input'), { target: { value: ' blades cooling ' } });
    fireEvent.click(within(screen.getByRole('search')).getByRole('button', { name: 'Search' }));
    const results = await screen.findByTestId('search-results');
    expect(seen.searches).toEqual([{ query: 'blades cooling', k: 5, mode: 'hybrid' }]);
    expect(results.textContent).toContain('p. 3');
    expect(results.textContent).toContain('0.812');
    expect(within(results).getByText('Cooling the blades helps.')).toBeTruthy();
    fireEvent.click(within(results).getByRole('button', { name: 'Paper 2' }));
    const reader = await screen.findByTestId('reader');
    await waitFor(() => expect(reader.querySelectorAll('mark')).toHaveLength(3));
    expect([...reader.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['blades', 'Cooling', 'BLADES']);
    expect([...reader.querySelectorAll('h3')].map((h) => h.textContent)).toEqual(['Page 1', 'Page 3 · Cooling']);
    expect(screen.getByTestId('reader-hits').textContent).toBe('3 matches');
    /* the reader's own search box starts from the library search and marks what it says */
    fireEvent.change(screen.getByTestId('reader-find'), { target: { value: 'heat' } });
    expect([...reader.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['heat']);
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
