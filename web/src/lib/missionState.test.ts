import { describe, it, expect } from 'vitest';
import { applyEvent, initialMissionState, mergeLogs } from './missionState';
import { normLog, normMission } from './api';
import type { LiveEvent } from './ws';
import { expectEvent, mission, note, section } from '../test/fixtures';

const ev = (seq: number, event: string, data: Record<string, unknown>): LiveEvent => {
  expectEvent('mission', event, data);
  return { type: 'event', channel: 'mission:1', seq, event, data, ts: '2026-01-01T00:00:00Z' };
};
const start = () => initialMissionState(normMission(mission({ id: '1', title: 'T', status: 'queued' })));

describe('mission state reducer', () => {
  it('applies status, phase, stats, plan, notes, logs and report events', () => {
    let s = start();
    s = applyEvent(s, ev(1, 'status', { status: 'running' }));
    s = applyEvent(s, ev(2, 'phase', { phase: 'planning', progress: 0.1 }));
    s = applyEvent(s, ev(3, 'plan_updated', { plan: { sections: [section({ id: 's1', title: 'Intro', questions: ['Why?'], subsections: [section({ id: 's1a', title: 'Sub' })] })] } }));
    s = applyEvent(s, ev(4, 'note_added', { note: note({ id: 'n1', section_id: 's1', quote: 'q', source_title: 'doc.pdf', credibility: 8 }) }));
    s = applyEvent(s, ev(5, 'agent_log', { id: 'l1', agent: 'planner', action: 'outline', model: 'm', tokens: 120, prompt_tokens: 100, completion_tokens: 20, cost: 0.01, duration_ms: 900 }));
    s = applyEvent(s, ev(6, 'stats', { tokens: 120, cost: 0.01, calls: 1 }));
    s = applyEvent(s, ev(7, 'draft_updated', { section_id: 's1', version: 1, kind: 'write' }));
    s = applyEvent(s, ev(8, 'report_ready', { version: 1 }));
    s = applyEvent(s, ev(9, 'status', { status: 'completed' }));
    expect(s.mission).toMatchObject({ status: 'completed', phase: 'planning', progress: 1, tokens: 120, calls: 1, cost: 0.01 });
    expect(s.mission.started_at).toBeTruthy();
    expect(s.mission.finished_at).toBeTruthy();
    expect(s.plan!.sections[0].title).toBe('Intro');
    expect(s.plan!.sections[0].subsections[0].title).toBe('Sub');
    expect(s.notes.map((n) => [n.id, n.credibility, n.source])).toEqual([['n1', 8, 'doc.pdf']]);
    expect(s.logs[0]).toMatchObject({ agent: 'planner', tokens: 120, duration_ms: 900 });
    expect(s.draftVersion).toBe(1);
    expect(s.reportVersion).toBe(1);
    expect(s.lastSeq).toBe(9);
  });

  it('is idempotent for replayed events', () => {
    let s = start();
    const events = [ev(1, 'note_added', { note: note({ id: 'n1', quote: 'a' }) }), ev(2, 'note_added', { note: note({ id: 'n2', quote: 'b' }) })];
    for (const e of events) s = applyEvent(s, e);
    const again = events.reduce(applyEvent, s);
    expect(again).toBe(s);
    // the same note delivered under a new seq (REST snapshot + live) is not doubled
    s = applyEvent(s, ev(3, 'note_added', { note: note({ id: 'n1', quote: 'a' }) }));
    expect(s.notes).toHaveLength(2);
  });

  it('keeps error messages', () => {
    const s = applyEvent(start(), ev(1, 'error', { message: 'model unreachable' }));
    expect(s.errors).toEqual(['model unreachable']);
  });

  it('shows a call in flight until its answer (or its failure, or a pause) arrives', () => {
    let s = applyEvent(start(), ev(1, 'status', { status: 'running' }));
    s = applyEvent(s, ev(2, 'call_started', { id: 'k1', started_at: 1, call_key: 'k1', agent: 'researcher', action: 'notes for "Costs"', section_title: 'Costs', round: 2, query: 'How much?', passages: 6 }));
    expect(s.logs).toHaveLength(1);
    expect(s.logs[0]).toMatchObject({ id: 'k1', in_flight: true, section_title: 'Costs', round: 2, query: 'How much?', passages: 6 });
    s = applyEvent(s, ev(3, 'call_started', { id: 'k2', started_at: 1, call_key: 'k2', agent: 'researcher', action: 'notes' }));
    s = applyEvent(s, ev(4, 'agent_log', { id: 'c1', call_key: 'k1', agent: 'researcher', action: 'notes for "Costs"', section_title: 'Costs', model: 'm', response: '{"notes":[]}', tokens: 10, prompt_tokens: 5, completion_tokens: 5, cost: 0, duration_ms: 1 }));
    expect(s.logs.map((l) => [l.id, l.in_flight])).toEqual([
      ['k2', true],
      ['c1', false],
    ]);
    expect(s.logs[1].response).toBe('{"notes":[]}');
    // the call record read later keeps what the event said
    s = { ...s, logs: mergeLogs(s.logs, [normLog({ id: 'c1', agent: 'researcher', action: 'researcher (live)', prompt: [{ role: 'user', content: 'hi' }] })]) };
    expect(s.logs[1]).toMatchObject({ action: 'notes for "Costs"', section_title: 'Costs', response: '{"notes":[]}', detailed: true });
    s = applyEvent(s, ev(5, 'call_ended', { call_key: 'k2', error: 'timeout', cancelled: false }));
    expect(s.logs.map((l) => l.id)).toEqual(['c1']);
    // with its call record's id, the failed call stays listed with its context
    s = applyEvent(s, ev(6, 'call_started', { id: 'k4', started_at: 1, call_key: 'k4', agent: 'researcher', action: 'notes for "Costs"', section_title: 'Costs', round: 2 }));
    s = applyEvent(s, ev(7, 'call_ended', { call_key: 'k4', id: 'c4', agent: 'researcher', action: 'notes for "Costs"', section_title: 'Costs', round: 2, error: 'cancelled', cancelled: true }));
    expect(s.logs.map((l) => [l.id, l.in_flight, l.section_title])).toEqual([
      ['c1', false, 'Costs'],
      ['c4', false, 'Costs'],
    ]);
    s = { ...s, logs: s.logs.filter((l) => l.id !== 'c4') };
    s = applyEvent(s, ev(8, 'call_started', { id: 'k3', started_at: 1, call_key: 'k3', agent: 'writer', action: 'write' }));
    expect(s.logs.map((l) => l.id)).toEqual(['c1', 'k3']);
    s = applyEvent(s, ev(9, 'status', { status: 'paused' }));
    expect(s.logs.map((l) => l.id)).toEqual(['c1']);
  });

  it('forgets the old error when the mission runs again', () => {
    let s = initialMissionState(normMission(mission({ id: '1', title: 'T', status: 'failed', error: 'research: invalid structured output' })));
    s = applyEvent(s, ev(1, 'error', { message: 'research: invalid structured output' }));
    s = applyEvent(s, ev(2, 'status', { status: 'queued' }));
    expect(s.mission.error).toBe('');
    expect(s.errors).toEqual([]);
  });

  it('keeps warnings, the outcome and the reflections', () => {
    let s = applyEvent(start(), ev(1, 'warning', { code: 'web_search_unavailable', message: 'Web search was requested but no provider is configured', ts: 1 }));
    s = applyEvent(s, ev(2, 'warning', { code: 'web_search_unavailable', message: 'Web search was requested but no provider is configured', ts: 2 }));
    expect(s.mission.warnings).toEqual([{ code: 'web_search_unavailable', message: 'Web search was requested but no provider is configured', ts: 1 }]);
    s = applyEvent(s, ev(3, 'reflection', { round: 1, sections: [{ id: 's1', quality: 0.5 }], outline_changes: [] }));
    s = applyEvent(s, ev(4, 'reflection', { round: 2, sections: [] }));
    expect(s.mission.raw.analysis?.reflections?.map((r) => r.round)).toEqual([1, 2]);
    s = applyEvent(s, ev(5, 'status', { status: 'completed', outcome: 'no_evidence' }));
    expect(s.mission.outcome).toBe('no_evidence');
  });
});
