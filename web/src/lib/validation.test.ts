import { describe, it, expect } from 'vitest';
import { emptyMissionForm, missionPayload, validateMission, validateNewUser, validatePasswordChange } from './validation';

describe('mission form validation', () => {
  const valid = () => ({ ...emptyMissionForm(), title: 'LLM evaluation', questions: ['What works?'] });

  it('accepts a complete form', () => {
    expect(validateMission(valid())).toEqual({});
  });

  it('requires a title, a question and a source', () => {
    const e = validateMission({ ...emptyMissionForm(), questions: ['  ', ''], useDocuments: false, useWeb: false });
    expect(e.title).toBe('v.required');
    expect(e.questions).toBe('v.questionNeeded');
    expect(e.sources).toBe('v.sourceNeeded');
  });

  it('checks lengths and numeric ranges', () => {
    expect(validateMission({ ...valid(), title: 'ab' }).title).toBe('v.titleShort');
    expect(validateMission({ ...valid(), title: 'x'.repeat(201) }).title).toBe('v.titleLong');
    expect(validateMission({ ...valid(), maxRounds: '0' }).maxRounds).toBe('v.rounds');
    expect(validateMission({ ...valid(), maxRounds: '2.5' }).maxRounds).toBe('v.rounds');
    expect(validateMission({ ...valid(), maxRounds: '21' }).maxRounds).toBe('v.rounds');
    expect(validateMission({ ...valid(), maxPasses: '0' }).maxPasses).toBe('v.passes');
    expect(validateMission({ ...valid(), maxPasses: '1' }).maxPasses).toBeUndefined();
    expect(validateMission({ ...valid(), maxPasses: '11' }).maxPasses).toBe('v.passes');
    expect(validateMission({ ...valid(), budget: '-1' }).budget).toBe('v.budget');
    expect(validateMission({ ...valid(), budget: 'abc' }).budget).toBe('v.budget');
    expect(validateMission({ ...valid(), budget: '2.50' }).budget).toBeUndefined();
    expect(validateMission({ ...valid(), questions: ['ok', 'x'.repeat(1001)] })['questions.1']).toBe('v.questionLong');
  });

  it('builds the API body from the form', () => {
    const body = missionPayload({ ...valid(), questions: [' Q1 ', '', 'Q2'], useWeb: false, groupId: 'g1', budget: '3', schedule: 'weekly', maxRounds: '5', maxPasses: '2' });
    expect(body).toMatchObject({
      title: 'LLM evaluation',
      research_questions: ['Q1', 'Q2'],
      sources: ['local_documents'],
      group_id: 'g1',
      schedule: 'weekly',
      settings: { max_rounds: 5, max_passes: 2, max_cost: 3 },
    });
    // rounds and passes left empty are not sent: the depth's own apply (deep: 3 rounds)
    const plain = missionPayload({ ...valid(), depth: 'deep' }).settings as any;
    expect(plain.max_rounds).toBeUndefined();
    expect(plain.max_passes).toBeUndefined();
    expect(validateMission({ ...valid(), maxRounds: '', maxPasses: '' })).toEqual({});
    // depth travels in settings, standard unless chosen
    expect((body.settings as any).depth).toBe('standard');
    expect((missionPayload({ ...valid(), depth: 'deep' }).settings as any).depth).toBe('deep');
    // the group only applies when documents are used
    expect(missionPayload({ ...valid(), useDocuments: false, groupId: 'g1' }).group_id).toBeUndefined();
  });
});

describe('other forms', () => {
  it('password change', () => {
    expect(validatePasswordChange('old', 'short', 'short').next).toBe('v.passwordShort');
    expect(validatePasswordChange('samesame1', 'samesame1', 'samesame1').next).toBe('v.passwordSame');
    expect(validatePasswordChange('old', 'longenough', 'different').confirm).toBe('v.passwordMismatch');
    expect(validatePasswordChange('old', 'longenough', 'longenough')).toEqual({});
  });
  it('new user', () => {
    expect(validateNewUser('a', 'longenough').username).toBe('v.username');
    expect(validateNewUser('bad name', 'longenough').username).toBe('v.username');
    expect(validateNewUser('alice', 'x').password).toBe('v.passwordShort');
    expect(validateNewUser('alice', 'longenough')).toEqual({});
  });
});
