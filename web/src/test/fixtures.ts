/*
 * Replies of the server for the UI's tests, in the shapes of contract.ts
 * (src/lib/contract.test.ts checks each against its schema): a test's fake
 * API answers what the real server answers, with the members it cares about
 * changed. `expectEvent` checks the data of a live event a test sends.
 */
import { expect } from 'vitest';
import * as C from '../lib/contract';

const T0 = '2026-01-01T00:00:00.000Z';

export function group(over: Partial<C.Group> & { id: string; name: string }): C.Group {
  return { description: '', document_count: 0, created_at: T0, updated_at: T0, ...over };
}

export function mission(over: Partial<C.Mission> = {}): C.Mission {
  return {
    id: 'm1',
    user_id: 'u1',
    title: 'Mission',
    description: '',
    questions: ['Why?'],
    research_questions: ['Why?'],
    sources: ['local_documents'],
    group_id: null,
    settings: {},
    analysis: null,
    schedule: null,
    status: 'running',
    phase: 'research',
    round: 1,
    pass: 0,
    offline: false,
    error: null,
    created_at: T0,
    started_at: T0,
    finished_at: null,
    updated_at: T0,
    outcome: null,
    warnings: [],
    notes_count: 0,
    sections_count: 0,
    last_seq: 0,
    tokens: 0,
    cost: 0,
    calls: 0,
    progress: 0,
    counters: { round: 1, pass: 0, notes: 0, sections: 0, calls: 0, cached_calls: 0, checked: 0, supported: 0, cost: 0 },
    ...over,
  };
}

export function section(over: Partial<C.PlanSection> & { id: string; title: string }): C.PlanSection {
  return { questions: [], subsections: [], ...over };
}

export function note(over: Partial<C.Note> & { id: string }): C.Note {
  return {
    section_id: 's1',
    round: 1,
    quote: '',
    content: '',
    source_type: 'document',
    source_key: `k-${over.id}`,
    document_id: null,
    page: null,
    url: null,
    source_title: null,
    authors: null,
    credibility: null,
    created_at: T0,
    year: null,
    venue: null,
    doi: null,
    source: { type: over.source_type ?? 'document', title: over.source_title ?? null, document_id: over.document_id ?? null, url: over.url ?? null, page: over.page ?? null, credibility: over.credibility ?? null },
    ...over,
  };
}

export function chatMessage(over: Partial<C.ChatMessage> & { id: string }): C.ChatMessage {
  return { chat_id: 'c1', role: 'assistant', content: '', citations: [], created_at: T0, ...over };
}

export function reportJson(over: Partial<C.ReportJson> & { markdown: string }): C.ReportJson {
  return {
    version: 1,
    created_at: T0,
    formats: ['md', 'html', 'pdf', 'docx'],
    meta: { references: [], citations: 0, sections: [], unverified: [], record: { calls: 1, tokens: 1, cost: 0, checked: 0, supported: 0, offline: false } },
    ...over,
  };
}

export function reportVersions(versions: Partial<C.ReportVersions['versions'][number]>[] = [{}]): C.ReportVersions {
  return {
    versions: versions.map((v, i) => ({ version: versions.length - i, created_at: T0, chars: 10, author: 'agent', edited_by: null, ...v })),
    formats: ['md', 'html', 'pdf', 'docx'],
  };
}

export function session(over: Partial<C.Session> = {}): C.Session {
  return {
    id: 'w1',
    title: 'Draft',
    group_id: null,
    style: 'apa',
    web: false,
    chat_id: 'c1',
    mission_id: null,
    created_at: T0,
    updated_at: T0,
    version: 1,
    author: 'user',
    content: '',
    references: [],
    stats: { model_calls: 0, tokens: 0, cost_usd: 0, searches: 0, web_searches: 0 },
    channel: 'chat:c1',
    last_seq: 0,
    ...over,
  };
}

/** fails the test when `data` is not what the server sends for this event */
export function expectEvent(kind: 'mission' | 'chat' | 'draft' | 'documents', event: string, data: unknown) {
  const schema = C.EVENTS[kind][event];
  expect(schema, `no ${kind} event "${event}" in contract.ts`).toBeTruthy();
  expect(C.problems(schema, data), `${kind} event "${event}"`).toEqual([]);
}
