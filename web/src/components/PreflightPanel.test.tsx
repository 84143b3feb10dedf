/*
 * The preflight panel names the scholarly services a mission will ask, says
 * when none is enabled (with the way to Settings), and says nothing of them
 * when scholarly sources are not ticked.
 */
import { describe, it, expect } from 'vitest';
import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { I18nProvider } from '../lib/i18n';
import type { Preflight } from '../lib/api';
import { PreflightPanel } from './PreflightPanel';

const base: Preflight = {
  ok: true,
  empty: false,
  mode: 'offline',
  models: { mid: { configured: false, provider: 'openai', model: '', base_url: '', source: 'none', reachable: null } },
  documents: { requested: false, in_scope: 0, ready: 0 },
  web: { requested: false, provider: null, configured: false, reachable: null },
  problems: [],
  warnings: [],
};

function show(pf: Preflight) {
  return render(
    <MemoryRouter>
      <I18nProvider>
        <PreflightPanel pf={pf} allowEmpty={false} onAllowEmpty={() => {}} />
      </I18nProvider>
    </MemoryRouter>,
  );
}

describe('PreflightPanel: scholarly sources', () => {
  it('names the services that will be asked', () => {
    show({ ...base, scholarly: { requested: true, providers: ['arxiv', 'semantic_scholar', 'pubmed'], contact_email: true } });
    expect(screen.getByTestId('pf-scholarly').textContent).toBe('Scholarly: arXiv, Semantic Scholar, PubMed');
  });

  it('says when no service is enabled and links to Settings', () => {
    show({
      ...base,
      ok: false,
      empty: true,
      scholarly: { requested: true, providers: [], contact_email: false },
      problems: [{ code: 'no_scholarly_provider', message: 'Scholarly sources are ticked but no scholarly service is enabled.', fix: 'Enable one in Settings > Web search.' }],
    });
    expect(screen.getByTestId('pf-scholarly').textContent).toBe('Scholarly: no service enabled');
    expect(screen.getByRole('link', { name: /Open Settings/ })).toBeTruthy();
  });

  it('says nothing of them when they are not ticked', () => {
    show({ ...base, scholarly: { requested: false, providers: ['arxiv'], contact_email: false } });
    expect(screen.queryByTestId('pf-scholarly')).toBeNull();
  });
});

describe('PreflightPanel: an empty mission', () => {
  const noSources = { code: 'no_sources', message: 'server text', fix: 'Add documents or tick another source.' };
  it('says scholarly sources were not ticked rather than that no service exists', () => {
    show({
      ...base,
      ok: false,
      empty: true,
      documents: { requested: true, in_scope: 0, ready: 0 },
      web: { requested: true, provider: null, configured: false, reachable: null },
      scholarly: { requested: false, providers: ['arxiv'], contact_email: false },
      problems: [noSources],
    });
    const li = screen.getByTestId('pf-problems').querySelector('[data-code="no_sources"]')!;
    expect(li.textContent).toContain('no documents it can search, no web search is configured and scholarly sources are not ticked');
    expect(li.textContent).not.toMatch(/no scholarly service/);
  });

  it('names the scholarly service problem when scholarly sources were ticked', () => {
    show({
      ...base,
      ok: false,
      empty: true,
      scholarly: { requested: true, providers: [], contact_email: false },
      problems: [noSources],
    });
    const li = screen.getByTestId('pf-problems').querySelector('[data-code="no_sources"]')!;
    expect(li.textContent).toContain('documents are not among its sources, web search is not ticked and no scholarly service is enabled');
  });
});
