/*
 * The document metadata form against a fake API: every bibliographic field
 * is shown and editable, where an extracted value came from is said, the
 * lists go out as arrays, and a 422 that names a field shows its message
 * under that field.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/react';
import { I18nProvider } from '../lib/i18n';
import { normDoc, storeSession } from '../lib/api';
import { DocEditModal, splitList } from './Documents';

const DOC = normDoc({
  id: 'd1',
  filename: 'draft_v3.pdf',
  status: 'ready',
  title: 'Turbulent Mixing in Stratified Shear Flows',
  authors: 'Alice Martin; Bob Chen',
  author_list: ['Alice Martin', 'Bob Chen'],
  year: '2019',
  venue: null,
  doi: '10.1234/jfm.2019.567',
  arxiv_id: null,
  abstract: 'We study how stratification suppresses mixing.',
  keywords: ['turbulence', 'mixing'],
  language: 'en',
  meta_sources: { title: 'first-page', doi: 'first-page', year: 'user' },
});

const patches: any[] = [];
let patchReply: { status: number; body: unknown } = { status: 200, body: {} };

function reply(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

beforeEach(() => {
  patches.length = 0;
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      if (url === '/api/documents/d1' && init?.method === 'PATCH') {
        const body = JSON.parse(String(init.body));
        patches.push(body);
        return reply(patchReply.status, patchReply.status === 200 ? { ...DOC.raw, ...body, author_list: body.authors, authors: body.authors.join('; '), meta_sources: { authors: 'user' } } : patchReply.body);
      }
      return reply(404, { error: { code: 'not_found', message: url } });
    }),
  );
  storeSession('tok', { id: 'u1', username: 'ann', role: 'researcher' });
});
afterEach(() => vi.unstubAllGlobals());

function renderForm(onSaved = vi.fn()) {
  render(
    <I18nProvider lang="en">
      <DocEditModal doc={DOC} onClose={() => {}} onSaved={onSaved} />
    </I18nProvider>,
  );
  return onSaved;
}

describe('document metadata form', () => {
  it('shows every field with where it came from, and sends the changed ones, lists as arrays', async () => {
    patchReply = { status: 200, body: {} };
    const onSaved = renderForm();
    expect((screen.getByLabelText('Title') as HTMLInputElement).value).toBe('Turbulent Mixing in Stratified Shear Flows');
    expect((screen.getByLabelText('Authors') as HTMLInputElement).value).toBe('Alice Martin; Bob Chen');
    expect((screen.getByLabelText('DOI') as HTMLInputElement).value).toBe('10.1234/jfm.2019.567');
    expect((screen.getByLabelText('Keywords') as HTMLInputElement).value).toBe('turbulence; mixing');
    expect((screen.getByLabelText('Abstract') as HTMLTextAreaElement).value).toMatch(/stratification/);
    expect(screen.getAllByText(/found in the first page/).length).toBe(2); /* title and DOI; the year is the user's */
    fireEvent.change(screen.getByLabelText('Authors'), { target: { value: 'Alice Martin; Bob Chen; Carol Díaz' } });
    fireEvent.change(screen.getByLabelText('Venue (journal, conference, publisher)'), { target: { value: 'J. Fluid Mech.' } });
    fireEvent.change(screen.getByLabelText('arXiv id'), { target: { value: '1901.01234' } });
    fireEvent.change(screen.getByLabelText('Keywords'), { target: { value: 'turbulence, mixing; ocean' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    /* only the changed fields: the others stay extracted (and are refreshed when the document is processed again) */
    expect(patches[0]).toEqual({
      authors: ['Alice Martin', 'Bob Chen', 'Carol Díaz'],
      venue: 'J. Fluid Mech.',
      arxiv_id: '1901.01234',
      keywords: ['turbulence', 'mixing', 'ocean'],
    });
    expect(onSaved.mock.calls[0][0].authors).toBe('Alice Martin; Bob Chen; Carol Díaz');
  });

  it('shows the server refusal under the field it names', async () => {
    patchReply = { status: 422, body: { error: { code: 'invalid_field', field: 'doi', message: 'doi must look like 10.1234/abc (a DOI, optionally as a doi.org URL)' } } };
    const onSaved = renderForm();
    fireEvent.change(screen.getByLabelText('DOI'), { target: { value: 'not a doi' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    const alert = await screen.findByText(/doi must look like 10.1234/);
    expect(alert.id).toBe('d-doi-error');
    expect(screen.getByLabelText('DOI').getAttribute('aria-invalid')).toBe('true');
    expect(onSaved).not.toHaveBeenCalled();
  });

  it('checks the year and the title before asking the server', () => {
    renderForm();
    fireEvent.change(screen.getByLabelText('Year'), { target: { value: '19' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    expect(screen.getByText('Enter a year such as 2024.')).toBeTruthy();
    expect(patches.length).toBe(0);
    expect(splitList('a, b; c\nd', true)).toEqual(['a', 'b', 'c', 'd']);
    expect(splitList('Lee, Ann; Park, Bo', false)).toEqual(['Lee, Ann', 'Park, Bo']);
  });
});
