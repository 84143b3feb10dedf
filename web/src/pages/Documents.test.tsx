/*
 * The document metadata form against a fake API: every bibliographic field
 * is shown and editable, where an extracted value came from is said, the
 * lists go out as arrays, and a 422 that names a field shows its message
 * under that field.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { render, screen, fireEvent, waitFor } from '@testing-library/react';
import type * as C from '../lib/contract';
import { I18nProvider } from '../lib/i18n';
import { normDoc, storeSession } from '../lib/api';
import { apiError, doc, user } from '../test/fixtures';
import { DocEditModal, splitList } from './Documents';

/* the document as the server has it */
const SERVER_DOC = doc({
  id: 'd1',
  filename: 'draft_v3.pdf',
  title: 'Turbulent Mixing in Stratified Shear Flows',
  author_list: ['Alice Martin', 'Bob Chen'],
  year: '2019',
  doi: '10.1234/jfm.2019.567',
  abstract: 'We study how stratification suppresses mixing.',
  keywords: ['turbulence', 'mixing'],
  language: 'en',
  meta_sources: { title: 'first-page', doi: 'first-page', year: 'user' },
});
const DOC = normDoc(SERVER_DOC);

/* the members a PATCH sends: the lists as arrays */
type Patch = Partial<Omit<C.Document, 'authors'>> & { authors?: string[] };
const patches: Patch[] = [];
/* what the server answers a PATCH: the document with the changes, each changed field marked the user's; or a refusal */
let refusal: { status: number; body: C.ErrorBody } | null = null;

function reply(status: number, body: unknown) {
  return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
}

beforeEach(() => {
  patches.length = 0;
  refusal = null;
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      if (url === '/api/documents/d1' && init?.method === 'PATCH') {
        const patch: Patch = JSON.parse(String(init.body));
        patches.push(patch);
        if (refusal) return reply(refusal.status, refusal.body);
        const { authors = SERVER_DOC.author_list, ...rest } = patch;
        const marked = Object.fromEntries(Object.keys(patch).map((k) => [k, 'user']));
        return reply(200, doc({ ...SERVER_DOC, ...rest, authors: authors.join('; '), author_list: authors, meta_sources: { ...SERVER_DOC.meta_sources, ...marked } }));
      }
      return reply(404, apiError('not_found', `${url} not found`));
    }),
  );
  storeSession('tok', user());
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
    refusal = { status: 422, body: apiError('invalid_field', 'doi must look like 10.1234/abc (a DOI, optionally as a doi.org URL)', 'doi') };
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
