/* The Plan tab shows the reasoning behind the plan: the analysis and the reflector's assessment per round. */
import { describe, it, expect } from 'vitest';
import { render, screen, within } from '@testing-library/react';
import { I18nProvider } from '../../lib/i18n';
import { PlanTab, normReflections } from './PlanTab';

const analysis = {
  type: 'comparison',
  audience: 'system administrators',
  tone: 'neutral',
  length: 'medium',
  reflections: [
    {
      round: 2,
      sections: [{ id: 's1', title: 'Security support', quality: 0.9, gaps: [], contradictions: [], new_questions: [] }],
      outline_changes: [],
    },
    {
      round: 1,
      sections: [
        { id: 's1', title: 'Security support', quality: 0.55, gaps: ['No source on LTS costs'], contradictions: ['Three vs five years'], new_questions: ['Who funds LTS?'] },
      ],
      outline_changes: [{ action: 'add', title: 'Funding' }],
    },
  ],
};

describe('plan reasoning', () => {
  it('lists the analysis and each round of reflection, oldest first', () => {
    render(
      <I18nProvider lang="en">
        <PlanTab missionId="m1" plan={{ sections: [{ id: 's1', title: 'Security support', questions: ['How long?'], subsections: [] }] }} analysis={analysis} editable={false} onSaved={() => {}} />
      </I18nProvider>,
    );
    const an = screen.getByTestId('plan-analysis');
    expect(an.textContent).toContain('Type');
    expect(an.textContent).toContain('comparison');
    expect(an.textContent).toContain('system administrators');
    const r1 = screen.getByTestId('reflection-1');
    expect(r1.textContent).toContain("Round 1: the reflector's assessment");
    expect(r1.textContent).toContain('Quality 55%');
    expect(within(r1).getByText('No source on LTS costs')).toBeTruthy();
    expect(within(r1).getByText('Three vs five years')).toBeTruthy();
    expect(within(r1).getByText('Who funds LTS?')).toBeTruthy();
    expect(within(r1).getByText('add: Funding')).toBeTruthy();
    expect(screen.getByTestId('reflection-2').textContent).toContain('No gaps or contradictions found.');
    const order = screen.getAllByText(/^Round \d/).map((h) => h.textContent);
    expect(order).toEqual(["Round 1: the reflector's assessment", "Round 2: the reflector's assessment"]);
  });

  it('a section without a title shows its id; a round without changes lists none', () => {
    expect(normReflections({ reflections: [{ round: 1, sections: [{ id: 's1', quality: null, gaps: ['gap', ' '] }] }] })).toEqual([
      { round: 1, sections: [{ id: 's1', title: 's1', quality: null, gaps: ['gap'], contradictions: [], new_questions: [] }], outline_changes: [] },
    ]);
    expect(normReflections(undefined)).toEqual([]);
  });
});
