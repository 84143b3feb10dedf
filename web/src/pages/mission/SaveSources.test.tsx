import { describe, it, expect, vi, afterEach } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { I18nProvider } from '../../lib/i18n';
import { normNote } from '../../lib/api';
import { note } from '../../test/fixtures';
import { SaveSourcesButton } from './SaveSources';

afterEach(() => vi.unstubAllGlobals());

describe('Save sources to library', () => {
  it('posts to save-sources and says how many were saved where', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', (url: string, init?: RequestInit) => {
      calls.push(`${init?.method ?? 'GET'} ${url}`);
      return Promise.resolve(
        new Response(JSON.stringify({ group_id: 'g1', group_name: 'Sources: PaperQA', documents: [{ id: 'd1' }, { id: 'd2' }], failed: [] }), {
          status: 200,
          headers: { 'Content-Type': 'application/json' },
        }),
      );
    });
    const notes = [normNote(note({ id: 'n1', quote: 'q', url: 'https://doi.org/10.48550/arxiv.2312.07559', source_type: 'web' }))];
    render(
      <I18nProvider>
        <SaveSourcesButton missionId="m1" notes={notes} />
      </I18nProvider>,
    );
    fireEvent.click(screen.getByTestId('save-sources'));
    await waitFor(() => expect(screen.getByRole('status').textContent).toContain('Saved 2 sources to the group “Sources: PaperQA”'));
    expect(calls).toEqual(['POST /api/missions/m1/save-sources']);
  });

  it('is not shown when no note has a URL', () => {
    render(
      <I18nProvider>
        <SaveSourcesButton missionId="m1" notes={[normNote(note({ id: 'n1', quote: 'q', document_id: 'd1', source_type: 'document' }))]} />
      </I18nProvider>,
    );
    expect(screen.queryByTestId('save-sources')).toBeNull();
  });
});
