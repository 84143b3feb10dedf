/*
 * Plugin sources on the New-mission form and the plugins card of Settings,
 * against a fake GET /api/plugins shaped like the server's answer.
 */
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { I18nProvider } from '../lib/i18n';
import { emptyMissionForm, missionPayload, validateMission } from '../lib/validation';
import { PluginList, PluginSourceChoices } from './PluginSources';

const PLUGINS = {
  plugins: [
    {
      name: 'data',
      version: '1.0.0',
      description: 'Data-analysis agent',
      file: 'data.so',
      sources: [{ id: 'plugin:data/tables', name: 'tables', description: 'Computed figures of the CSV files' }],
      tools: [{ name: 'analyze', description: 'Statistics', input_schema: { type: 'object' } }],
      routes: [{ method: 'POST', path: 'analyze', role: 'researcher', min_role: 2 }],
    },
    { name: 'sql', version: '1.0.0', description: 'SQLite', file: 'sql.so', sources: [{ id: 'plugin:sql/sql', name: 'sql', description: 'Rows of the databases' }], tools: [], routes: [] },
  ],
  refused: [{ file: 'broken.so', reason: 'ABI version 2, this server speaks 1' }],
};

let answer: unknown = PLUGINS;
beforeEach(() => {
  answer = PLUGINS;
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string) =>
      Promise.resolve(new Response(JSON.stringify(url === '/api/plugins' ? answer : {}), { status: url === '/api/plugins' ? 200 : 404, headers: { 'Content-Type': 'application/json' } })),
    ),
  );
});
afterEach(() => vi.unstubAllGlobals());

function Choices({ onPick }: { onPick: (v: string[]) => void }) {
  const [sel, setSel] = useState<string[]>([]);
  return (
    <PluginSourceChoices
      selected={sel}
      onChange={(v) => {
        setSel(v);
        onPick(v);
      }}
    />
  );
}

describe('plugin sources', () => {
  it('offers each plugin source and sends the ticked ones with the mission', async () => {
    const onPick = vi.fn();
    render(
      <I18nProvider lang="en">
        <Choices onPick={onPick} />
      </I18nProvider>,
    );
    const box = await screen.findByLabelText(/Rows of the databases/);
    fireEvent.click(box);
    expect(onPick).toHaveBeenLastCalledWith(['plugin:sql/sql']);
    const f = { ...emptyMissionForm(), title: 'Revenue', questions: ['How did revenue change?'], useDocuments: false, useWeb: false, pluginSources: ['plugin:sql/sql'] };
    expect(validateMission(f).sources).toBeUndefined();
    expect(missionPayload(f).sources).toEqual(['plugin:sql/sql']);
    expect(validateMission({ ...f, pluginSources: [] }).sources).toBe('v.sourceNeeded');
  });

  it('shows nothing when no plugin has a source', async () => {
    answer = { plugins: [] };
    const { container } = render(
      <I18nProvider lang="ko">
        <PluginSourceChoices selected={[]} onChange={() => {}} />
      </I18nProvider>,
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(container.textContent).toBe('');
  });

  it('lists loaded plugins with what they provide, and refused files, in Korean too', async () => {
    render(
      <I18nProvider lang="ko">
        <PluginList />
      </I18nProvider>,
    );
    const card = await screen.findByTestId('plugins-card');
    expect(card.textContent).toContain('플러그인');
    expect(card.textContent).toContain('출처: plugin:data/tables');
    expect(card.textContent).toContain('POST /api/plugins/data/analyze (researcher)');
    expect(card.textContent).toContain('broken.so: ABI version 2, this server speaks 1');
  });
});
