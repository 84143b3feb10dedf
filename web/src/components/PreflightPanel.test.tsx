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
