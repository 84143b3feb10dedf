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

export function user(over: Partial<C.User> = {}): C.User {
  return { id: 'u1', username: 'ann', role: 'researcher', active: true, created_at: T0, ...over };
}

/** an error reply: {"error":{"code","message"}} (+ "field" naming the member a 422 refuses) */
export function apiError(code: string, message: string, field?: string): C.ErrorBody {
  return { error: { code, message, ...(field ? { field } : {}) } };
}

const MIME: Record<string, string> = { pdf: 'application/pdf', md: 'text/markdown', txt: 'text/plain', html: 'text/html', docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' };

/** a document as GET /api/documents lists it; `authors` and `author_list` follow each other as the server's do ("A; B") */
export function doc(over: Partial<C.Document> & { id: string; filename: string }): C.Document {
  const authors = over.authors ?? (over.author_list?.length ? over.author_list.join('; ') : null);
  return {
    status: 'ready',
    error: null,
    title: null,
    year: null,
    venue: null,
    doi: null,
    arxiv_id: null,
    abstract: null,
    keywords: [],
    language: null,
    meta_sources: {},
    mime: MIME[over.filename.split('.').pop() ?? ''] ?? 'application/octet-stream',
    size_bytes: 1024,
    pages: 1,
    chunk_count: 1,
    metadata: {},
    group_ids: [],
    created_at: T0,
    updated_at: T0,
    ...over,
    authors,
    author_list: over.author_list ?? (authors ? authors.split('; ') : []),
  };
}

/** a page of GET /api/documents; `total` counts every match (more than the page when there are further pages) */
export function documentList(documents: C.Document[], total = documents.length): C.DocumentList {
  return { documents, total };
}

/** one file of a POST /api/documents reply: created (or a duplicate), or refused with the reason and no id */
export function uploaded(over: Partial<C.Uploaded> & { filename: string }): C.Uploaded {
  return over.status === 'failed' ? { error: 'cannot record the document', ...over, status: 'failed' } : { id: 'd1', status: 'queued', ...over };
}

export function uploadReply(...documents: C.Uploaded[]): C.UploadReply {
  return { documents };
}

/** POST /api/documents/bulk: `done` of the `matched` documents (all of them unless said) */
export function bulkReply(over: Partial<C.BulkReply> & { action: string; matched: number }): C.BulkReply {
  return { done: over.matched, skipped: [], failed: [], ...over };
}

/** a passage of POST /api/search as the server sends it */
export function passage(over: Partial<C.Passage> & { document_id: string; text: string }): C.Passage {
  return { title: '', filename: '', page: null, chunk_id: '1', score: 0.5, heading: '', ...over };
}

export function searchReply(results: C.Passage[], over: Partial<C.SearchReply> = {}): C.SearchReply {
  return { results, mode: 'hybrid', reranked: false, group_by: 'passage', ...over };
}

/** GET /api/documents/{id}/text: the text, and where each page and heading starts (in code points) */
export function documentText(over: Partial<C.DocumentText> & { id: string; text: string }): C.DocumentText {
  return { sections: [], ...over };
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
