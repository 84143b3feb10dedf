import { describe, it, expect, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { I18nProvider } from '../lib/i18n';
import { ScholarlyEditor, scholarlyFields, validContactEmail, withScholarly } from './ScholarlySettings';
import { formToSettings, settingsToForm, MASK } from './Settings';
import { emptyMissionForm, missionPayload, validateMission } from '../lib/validation';

// what GET /api/settings returns for a user who saved scholarly settings
const server = {
  models: {},
  search: {
    providers: ['searxng'],
    searxng_url: 'http://127.0.0.1:8888',
    scholarly_providers: ['arxiv', 'pubmed'],
    contact_email: 'me@example.org',
    semantic_scholar_api_key: MASK,
    semantic_scholar_api_key_set: true,
  },
  research: {},
};

describe('scholarly settings', () => {
  it('reads providers, contact e-mail and masked keys from the search section', () => {
    const f = settingsToForm(server);
    const v = scholarlyFields(f.searchExtra);
    expect(v.providers).toEqual(['arxiv', 'pubmed']);
    expect(v.contact_email).toBe('me@example.org');
    expect(v.semantic_scholar_api_key).toBe(MASK);
    expect(v.pubmed_api_key).toBe('');
  });

  it('saves them in the search section; a masked key is sent back as the mask, a cleared one as ""', () => {
    const orig = settingsToForm(server);
    const f = structuredClone(orig);
    f.searchExtra = withScholarly(f.searchExtra, { ...scholarlyFields(f.searchExtra), providers: ['openalex'], pubmed_api_key: 'ncbi-key' });
    let body = formToSettings(f, orig);
    expect(body.search).toMatchObject({ providers: ['searxng'], scholarly_providers: ['openalex'], contact_email: 'me@example.org', semantic_scholar_api_key: MASK, pubmed_api_key: 'ncbi-key' });
    expect(body.search.semantic_scholar_api_key_set).toBeUndefined();
    expect(body.search.openalex_api_key).toBeUndefined();
    f.searchExtra = withScholarly(f.searchExtra, { ...scholarlyFields(f.searchExtra), semantic_scholar_api_key: '', providers: [] });
    body = formToSettings(f, orig);
    expect(body.search.semantic_scholar_api_key).toBe('');
    expect(body.search.scholarly_providers).toBeUndefined();
  });

  it('checks the contact e-mail', () => {
    expect(validContactEmail('')).toBe(true);
    expect(validContactEmail('me@example.org')).toBe(true);
    expect(validContactEmail('me@example.org&x=1')).toBe(false);
    expect(validContactEmail('not an address')).toBe(false);
  });

  it('the editor ticks a provider and masks keys', () => {
    const onChange = vi.fn();
    render(
      <I18nProvider>
        <ScholarlyEditor doc={{ semantic_scholar_api_key: MASK }} onChange={onChange} />
      </I18nProvider>,
    );
    const key = screen.getByLabelText(/Semantic Scholar API key/) as HTMLInputElement;
    expect(key.type).toBe('password');
    fireEvent.click(screen.getByLabelText('OpenAlex'));
    expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ scholarly_providers: ['openalex'], semantic_scholar_api_key: MASK }));
  });
});

describe('scholarly mission sources', () => {
  const valid = () => ({ ...emptyMissionForm(), title: 'Retrieval agents', questions: ['What works?'] });
  it('is off by default and sent as "scholarly" when ticked', () => {
    expect(missionPayload(valid()).sources).toEqual(['local_documents', 'web_search']);
    expect(missionPayload({ ...valid(), useDocuments: false, useWeb: false, useScholarly: true }).sources).toEqual(['scholarly']);
  });
  it('counts as a source on its own', () => {
    expect(validateMission({ ...valid(), useDocuments: false, useWeb: false, useScholarly: true }).sources).toBeUndefined();
  });
});
