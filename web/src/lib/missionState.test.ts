import { describe, it, expect } from 'vitest';
import { applyEvent, initialMissionState } from './missionState';
import { normMission } from './api';
import type { LiveEvent } from './ws';

const ev = (seq: number, event: string, data: any): LiveEvent => ({ type: 'event', channel: 'mission:1', seq, event, data, ts: '2026-01-01T00:00:00Z' });
const start = () => initialMissionState(normMission({ id: 1, title: 'T', status: 'queued' }));

describe('mission state reducer', () => {
  it('applies status, phase, stats, plan, notes, logs and report events', () => {
    let s = start();
    s = applyEvent(s, ev(1, 'status', { status: 'running' }));
    s = applyEvent(s, ev(2, 'phase', { phase: 'planning', progress: 10 }));
    s = applyEvent(s, ev(3, 'plan_updated', { plan: { sections: [{ id: 's1', title: 'Intro', questions: ['Why?'], subsections: [{ id: 's1a', title: 'Sub' }] }] } }));
    s = applyEvent(s, ev(4, 'note_added', { note: { id: 'n1', section_id: 's1', quote: 'q', source: 'doc.pdf', credibility: 8 } }));
    s = applyEvent(s, ev(5, 'agent_log', { id: 'l1', agent: 'planner', action: 'outline', model: 'm', tokens: 120, cost: 0.01, duration_ms: 900 }));
    s = applyEvent(s, ev(6, 'stats', { tokens: 120, cost: 0.01, calls: 1 }));
    s = applyEvent(s, ev(7, 'draft_updated', {}));
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
    const events = [ev(1, 'note_added', { note: { id: 'n1', quote: 'a' } }), ev(2, 'note_added', { note: { id: 'n2', quote: 'b' } })];
    for (const e of events) s = applyEvent(s, e);
    const again = events.reduce(applyEvent, s);
    expect(again).toBe(s);
    // the same note delivered under a new seq (REST snapshot + live) is not doubled
    s = applyEvent(s, ev(3, 'note_added', { note: { id: 'n1', quote: 'a' } }));
    expect(s.notes).toHaveLength(2);
  });

  it('keeps error messages', () => {
    const s = applyEvent(start(), ev(1, 'error', { message: 'model unreachable' }));
    expect(s.errors).toEqual(['model unreachable']);
  });
});
