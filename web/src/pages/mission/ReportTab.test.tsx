/*
 * The citation panel opens the note cited at the clicked spot: when one
 * source number covers several notes, the panel lists each, the cited one
 * first. Unverified sentences show the verifier's reason on hover.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { render, screen, fireEvent, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { I18nProvider } from '../../lib/i18n';
import { normMission, normNote, storeSession } from '../../lib/api';
import { ReportTab, citedNotes } from './ReportTab';
import { mission, note, reportJson, reportVersions, session } from '../../test/fixtures';

const notes = [
  normNote(note({ id: 'na', section_id: 's1', quote: 'Stable releases get three years of support.', document_id: 'd1', page: 4, credibility: 8 })),
  normNote(note({ id: 'nb', section_id: 's1', quote: 'Long Term Support extends it to five years.', document_id: 'd1', page: 4, credibility: 7 })),
];
const md = [
  '# Report',
  '',
  '## One',
  '',
  'Support lasts three years [1]. LTS adds two more [1]. The moon is cheese [1]. *(unverified)*[^v1] End.',
  '',
  'Half of them go in $t_{1/2} = \\frac{\\ln 2}{\\lambda}$[^own]; a licence costs between $5 and $10.',
  '',
  '[^own]: A note the user added in an edit.',
  '',
  '## Unverified statements',
  '',
  '[^v1]: Unverified: the source says nothing about the moon',
  '',
  '## References',
  '',
  '1. Debian handbook (handbook.pdf), Kim, 2021, p. 4',
].join('\n');
const references = [
  { n: 1, note_id: 'na', title: 'Debian handbook', url: null, kind: 'document', filename: 'handbook.pdf', authors: 'Kim', year: '2021', page: 4, notes: ['na', 'nb'], cites: [['na'], ['nb'], ['na', 'nb']] },
];

let puts: unknown[] = [];
beforeEach(() => {
  puts = [];
  storeSession('tok', { id: 'u1', username: 'ann', role: 'researcher' });
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      const ok = (b: unknown) => Promise.resolve(new Response(JSON.stringify(b), { status: 200 }));
      if (url.includes('/report/versions')) return ok(reportVersions([{ version: 1, author: 'agent' }]));
      if (url.endsWith('/api/missions/m1/report') && init?.method === 'PUT') {
        puts.push(JSON.parse(String(init.body)));
        return ok({ id: 'm1', version: 2, author: 'user' });
      }
      if (url.endsWith('/api/missions/m1/writing') && init?.method === 'POST') return Promise.resolve(new Response(JSON.stringify(session({ id: 'w9' })), { status: 201 }));
      if (url.includes('/report?format=json')) return ok(reportJson({ markdown: md, meta: { ...reportJson({ markdown: md }).meta, references } }));
      return Promise.resolve(new Response('{}', { status: 404 }));
    }),
  );
});
afterEach(() => vi.unstubAllGlobals());

const renderReport = () =>
  render(
    <I18nProvider lang="en">
      <MemoryRouter initialEntries={['/missions/m1']}>
        <Routes>
          <Route path="/missions/m1" element={<ReportTab missionId="m1" mission={normMission(mission({ id: 'm1', title: 'T', status: 'completed' }))} notes={notes} reportVersion={0} draftVersion={0} />} />
          <Route path="/writing/:id" element={<p>writing page</p>} />
        </Routes>
      </MemoryRouter>
    </I18nProvider>,
  );

/* The report body once it shows an element matching `selector`. */
const reportShowing = async (selector: string) => {
  renderReport();
  const body = await screen.findByTestId('report-body');
  await waitFor(() => expect(body.querySelector(selector)).toBeTruthy());
  return body;
};

describe('citations', () => {
  it('orders the notes of a source with the ones cited at the spot first', () => {
    const ref = { n: 1, text: '', url: '', quote: '', document_id: 'd1', page: '4', title: 'Debian handbook', notes: ['na', 'nb'], cites: [['na'], ['nb'], ['na', 'nb']] };
    expect(citedNotes(ref, 0, notes).map((n) => [n.id, n.cited])).toEqual([['na', true], ['nb', false]]);
    expect(citedNotes(ref, 1, notes).map((n) => [n.id, n.cited])).toEqual([['nb', true], ['na', false]]);
    expect(citedNotes(ref, 2, notes).map((n) => [n.id, n.cited])).toEqual([['na', true], ['nb', true]]);
    // an older report without per-spot data: its representative note
    expect(citedNotes({ ...ref, cites: undefined, notes: undefined, note_id: 'nb' }, 0, notes).map((n) => n.id)).toEqual(['nb']);
  });

  it('the second [1] opens the second note first; the panel lists both', async () => {
    renderReport();
    const body = await screen.findByTestId('report-body');
    await waitFor(() => expect(body.querySelectorAll('a[data-cite="1"]').length).toBe(3));
    fireEvent.click(body.querySelectorAll('a[data-cite="1"]')[1]);
    const panel = screen.getByTestId('citation-panel');
    const items = within(panel).getAllByRole('listitem');
    expect(items.map((li) => li.getAttribute('data-note'))).toEqual(['nb', 'na']);
    expect(items[0].textContent).toContain('Cited here');
    expect(items[0].textContent).toContain('five years');
    expect(items[1].textContent).toContain('Other notes from this source');
    expect(panel.textContent).toContain('handbook.pdf, Kim, 2021');
    fireEvent.click(body.querySelectorAll('a[data-cite="1"]')[0]);
    expect(within(screen.getByTestId('citation-panel')).getAllByRole('listitem')[0].getAttribute('data-note')).toBe('na');
  });

  it('an unverified sentence says why on hover', async () => {
    const body = await reportShowing('a.fn-ref');
    const ref = body.querySelector('a.fn-ref')!;
    expect(ref.getAttribute('title')).toBe('Unverified: the source says nothing about the moon');
    expect(ref.previousElementSibling?.getAttribute('title')).toBe('Unverified: the source says nothing about the moon');
    expect(body.querySelector('#fn-v1')).toBeTruthy();
  });
});

describe('math', () => {
  it('a formula is typeset like in Writing and its exports; dollar amounts stay text', async () => {
    const body = await reportShowing('.katex');
    expect(body.textContent).not.toContain('\\frac');
    expect(body.textContent).toContain('between $5 and $10');
    expect(body.querySelectorAll('a[data-cite="1"]').length).toBe(3);
  });
});

describe('footnotes', () => {
  it('a note added in an edit is numbered and listed as in the exports', async () => {
    const body = await reportShowing('a.fn-ref');
    expect(body.textContent).not.toContain('[^own]');
    expect(body.textContent).toContain('¹; a licence costs');
    expect([...body.querySelectorAll('ol li')].map((li) => li.textContent)).toContain('A note the user added in an edit.');
    // the verifier's note keeps its own mark and anchor
    expect(body.querySelector('#fn-v1')).toBeTruthy();
  });
});

describe('editing', () => {
  it('saves an edit of the report as a new version', async () => {
    renderReport();
    fireEvent.click(await screen.findByTestId('report-edit'));
    const ed = screen.getByTestId('report-editor') as HTMLTextAreaElement;
    expect(ed.value).toContain('Support lasts three years [1].');
    fireEvent.change(ed, { target: { value: '# Report\n\nMy own words [1].' } });
    fireEvent.click(screen.getByTestId('report-save'));
    await waitFor(() => expect(puts).toEqual([{ content: '# Report\n\nMy own words [1].' }]));
    await waitFor(() => expect(screen.queryByTestId('report-editor')).toBeNull());
  });
  it('continues the report in the Writing workspace', async () => {
    renderReport();
    fireEvent.click(await screen.findByTestId('report-continue'));
    expect(await screen.findByText('writing page')).toBeTruthy();
  });
});
