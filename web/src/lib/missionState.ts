/*
 * The mission view's state, driven by the live events of `mission:ID`.
 * `applyEvent` is a pure reducer: the same event applied twice (a replay after
 * reconnect, or an event that repeats what the REST snapshot already showed)
 * leaves the state unchanged, because notes and log entries are keyed by id.
 */
import { addWarning, normLog, normNote, normProgress, normWarning, type LogEntry, type Mission, type Note, type Plan } from './api';
import type * as C from './contract';
import type { LiveEvent } from './ws';

export interface MissionState {
  mission: Mission;
  plan: Plan | null;
  notes: Note[];
  logs: LogEntry[];
  draftVersion: number;
  reportVersion: number;
  errors: string[];
  lastSeq: number;
}

export function initialMissionState(mission: Mission): MissionState {
  return { mission, plan: null, notes: [], logs: [], draftVersion: 0, reportVersion: 0, errors: [], lastSeq: 0 };
}

function upsert<T extends { id: string }>(list: T[], item: T): T[] {
  const i = list.findIndex((x) => x.id === item.id);
  if (i < 0) return [...list, item];
  const copy = list.slice();
  copy[i] = { ...list[i], ...item };
  return copy;
}

export function mergeNotes(list: Note[], more: Note[]): Note[] {
  let out = list;
  for (const n of more) out = upsert(out, n);
  return out;
}
/** Context fields an entry keeps when a later copy of the same call lacks them. */
const CONTEXT = ['section_id', 'section_title', 'query', 'response', 'prompt', 'call_key'] as const;

export function mergeLogs(list: LogEntry[], more: LogEntry[]): LogEntry[] {
  let out = list;
  for (const l of more) {
    // a call that answered replaces its in-flight entry (keyed by call_key)
    if (!l.in_flight && l.call_key) out = out.filter((x) => !(x.in_flight && x.id === l.call_key));
    // an in-flight entry for a call already answered stays out
    if (l.in_flight && out.some((x) => !x.in_flight && x.call_key === l.call_key)) continue;
    const i = out.findIndex((x) => x.id === l.id);
    if (i < 0) {
      out = [...out, l];
      continue;
    }
    const old = out[i];
    const merged: LogEntry = { ...old, ...l };
    for (const k of CONTEXT) if (!l[k] && old[k]) merged[k] = old[k];
    if (!l.round && old.round) merged.round = old.round;
    if (!l.passages && old.passages) merged.passages = old.passages;
    if (old.detailed && !l.detailed) merged.detailed = true;
    // "researcher (live)" from the call record says less than the event's action
    if (old.action && / \((live|cache|replay)\)$/.test(l.action)) merged.action = old.action;
    const copy = out.slice();
    copy[i] = merged;
    out = copy;
  }
  return out;
}

/** Drops the in-flight entries: the mission stopped waiting for them. */
const settle = (logs: LogEntry[]) => (logs.some((l) => l.in_flight) ? logs.filter((l) => !l.in_flight) : logs);

const TERMINAL = new Set(['completed', 'failed', 'stopped', 'cancelled']);

/** Rough progress of a phase, for events that carry none (the server's own events do). */
const PHASE_PROGRESS: Record<string, number> = { analyse: 0.01, plan: 0.05, planning: 0.05, research: 0.2, reflect: 0.5, write: 0.62, review: 0.75, revise: 0.8, verify: 0.9, assemble: 0.97, done: 1 };
export const isTerminal = (s: string) => TERMINAL.has(s);

type Data<E extends keyof typeof C.MissionEvents> = C.MissionEventData<E>;

export function applyEvent(s: MissionState, ev: LiveEvent): MissionState {
  if (ev.seq && ev.seq <= s.lastSeq) return s;
  const next: MissionState = { ...s, lastSeq: ev.seq || s.lastSeq };
  const m = { ...s.mission };
  switch (ev.event) {
    case 'status': {
      const d = ev.data as Data<'status'>;
      m.status = d.status;
      // running again: the old error and warnings of the failed run are history
      if ((m.status === 'queued' || m.status === 'running') && s.mission.status !== m.status) {
        m.error = '';
        m.outcome = ''; // set anew when it completes
        next.errors = [];
      }
      if (m.status !== 'running') next.logs = settle(s.logs);
      if (d.outcome !== undefined) m.outcome = d.outcome ?? '';
      if (d.phase) m.phase = d.phase;
      if (d.round) m.round = d.round;
      if (d.progress !== undefined) m.progress = normProgress(d.progress);
      if (d.error) m.error = d.error;
      if (m.status === 'running' && !m.started_at) m.started_at = ev.ts || new Date().toISOString();
      if (isTerminal(m.status) && !m.finished_at) m.finished_at = ev.ts || new Date().toISOString();
      if (m.status === 'completed') m.progress = 1;
      next.mission = m;
      break;
    }
    case 'phase': {
      const d = ev.data as Data<'phase'>;
      m.phase = d.phase;
      if (d.progress !== undefined) m.progress = normProgress(d.progress);
      else if (PHASE_PROGRESS[d.phase] !== undefined) m.progress = Math.max(m.progress, PHASE_PROGRESS[d.phase]);
      if (d.round) m.round = d.round;
      next.mission = m;
      break;
    }
    case 'plan_updated':
      next.plan = (ev.data as Data<'plan_updated'>).plan;
      break;
    case 'note_added':
      next.notes = mergeNotes(s.notes, [normNote((ev.data as Data<'note_added'>).note)]);
      break;
    case 'agent_log':
      next.logs = mergeLogs(s.logs, [normLog(ev.data as Data<'agent_log'>)]);
      break;
    case 'call_started': {
      const d = ev.data as Data<'call_started'>;
      if (s.mission.status === 'running' || s.mission.status === 'queued') next.logs = mergeLogs(s.logs, [normLog({ ...d, in_flight: true, id: d.call_key, ts: ev.ts })]);
      break;
    }
    case 'call_ended': {
      // a call that failed or was cancelled: no longer in flight; listed
      // under its call record's id (when it has one) with its context
      const d = ev.data as Data<'call_ended'>;
      next.logs = s.logs.filter((l) => !(l.in_flight && l.id === d.call_key));
      if (d.id) next.logs = mergeLogs(next.logs, [{ ...normLog({ ...d, ts: ev.ts }), response: '', in_flight: false }]);
      break;
    }
    case 'reflection': {
      const d = ev.data as Data<'reflection'>;
      const an = m.raw.analysis ?? {};
      const list = (an.reflections ?? []).filter((r) => r.round < d.round);
      m.raw = { ...m.raw, analysis: { ...an, reflections: [...list, d] } };
      next.mission = m;
      break;
    }
    case 'warning':
      m.warnings = addWarning(m.warnings, normWarning(ev.data as Data<'warning'>));
      next.mission = m;
      break;
    case 'draft_updated':
      next.draftVersion = s.draftVersion + 1;
      break;
    case 'stats': {
      const d = ev.data as Data<'stats'>;
      m.tokens = d.tokens;
      m.cost = d.cost;
      m.calls = d.calls;
      if (d.progress !== undefined) m.progress = normProgress(d.progress);
      next.mission = m;
      break;
    }
    case 'report_ready':
      next.reportVersion = (ev.data as Data<'report_ready'>).version || s.reportVersion + 1;
      break;
    case 'verification': {
      const d = ev.data as Data<'verification'>;
      m.raw = { ...m.raw, verification: { checked: d.checked, supported: d.supported } };
      next.mission = m;
      break;
    }
    case 'error':
      next.errors = [...s.errors, (ev.data as Data<'error'>).message].slice(-20);
      break;
    default:
      return next;
  }
  return next;
}
