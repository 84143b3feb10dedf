/*
 * The one place that talks HTTP to `maestro serve`.
 *
 * Every request goes through `request()`, which adds the bearer token, turns
 * the server's `{"error":{"code","message"}}` bodies into ApiError, and on a
 * 401 forgets the token and tells the app (which goes back to the login page
 * with a message). The replies' shapes are those of ./contract.ts (the one
 * description of the API, checked against the real server by
 * tests/e2e/flows/90-contract.mjs); the small `norm*` functions below turn
 * them into the views the pages show, reading only members the server sends.
 */
import * as C from './contract';

const TOKEN_KEY = 'maestro.token';
const USER_KEY = 'maestro.user';

export type Role = C.Infer<typeof C.Role>;
export type User = C.User;
/** an error reply: {"error":{"code","message","field"?}} (+ "preflight" of a refused mission) */
export type ErrorReply = Partial<C.Infer<typeof C.EmptySources>>;

export class ApiError extends Error {
  status: number;
  code: string;
  /** the whole JSON error reply, when there was one (e.g. "preflight" of a refused mission) */
  body: ErrorReply | null;
  constructor(status: number, code: string, message: string, body: ErrorReply | null = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

let unauthorizedHandler: ((msg: string) => void) | null = null;
export function setUnauthorizedHandler(fn: ((msg: string) => void) | null) {
  unauthorizedHandler = fn;
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}
export function getStoredUser(): User | null {
  try {
    const raw = localStorage.getItem(USER_KEY);
    return raw ? (JSON.parse(raw) as User) : null;
  } catch {
    return null;
  }
}
export function storeSession(token: string | null, user: User | null) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  if (user) localStorage.setItem(USER_KEY, JSON.stringify(user));
  else localStorage.removeItem(USER_KEY);
}

function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function errorFrom(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let body: ErrorReply | null = null;
  try {
    const text = await res.text();
    if (text) {
      try {
        const j = JSON.parse(text) as ErrorReply;
        body = j;
        if (j?.error?.code) code = j.error.code;
        if (j?.error?.message) message = j.error.message;
      } catch {
        message = text.slice(0, 300);
      }
    }
  } catch {
    /* body unreadable: keep the status text */
  }
  return new ApiError(res.status, code, message, body);
}

function handle401(path: string, err: ApiError) {
  if (err.status === 401 && !path.startsWith('/api/auth/login')) {
    const hadToken = !!getToken();
    storeSession(null, null);
    if (hadToken && unauthorizedHandler) unauthorizedHandler(err.message);
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  raw?: boolean; // return the Response itself (for blobs / text)
}

export async function request<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders() };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'network_error');
  }
  if (!res.ok) {
    const err = await errorFrom(res);
    handle401(path, err);
    throw err;
  }
  if (opts.raw) return res as unknown as T;
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    return text as unknown as T;
  }
}

export const api = {
  get: <T = unknown>(p: string, o?: RequestOptions) => request<T>('GET', p, undefined, o),
  post: <T = unknown>(p: string, b?: unknown, o?: RequestOptions) => request<T>('POST', p, b ?? {}, o),
  put: <T = unknown>(p: string, b?: unknown) => request<T>('PUT', p, b ?? {}),
  patch: <T = unknown>(p: string, b?: unknown) => request<T>('PATCH', p, b ?? {}),
  del: <T = unknown>(p: string, b?: unknown) => request<T>('DELETE', p, b),
};

export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/* ------------------------------------------------------------------ */
/* Views: the server's shapes (contract.ts) as the pages show them     */
/* ------------------------------------------------------------------ */

const clamp01 = (n: number | null | undefined) => Math.min(1, Math.max(0, Number(n) || 0));

/** The mission as the server sent it (REST reply merged with live events). */
export type MissionRaw = Partial<C.Mission> & { verification?: { checked: number; supported: number } };

export interface Mission {
  id: string;
  title: string;
  description: string;
  status: string;
  phase: string;
  progress: number; // 0..1
  round: number;
  offline: boolean;
  tokens: number;
  cost: number;
  calls: number;
  notes_count: number;
  created_at: string;
  started_at: string;
  finished_at: string;
  research_questions: string[];
  sources: string[];
  last_seq: number;
  error: string;
  /** "ok", "no_evidence" once finished; "" while not */
  outcome: string;
  warnings: MissionWarning[];
  raw: MissionRaw;
}

/** A problem the mission ran into without failing (GET /api/missions/{id} "warnings", live event "warning"). */
export type MissionWarning = C.Warning;
export function normWarning(w: C.Warning): MissionWarning {
  return {
    code: w.code,
    message: w.message,
    ...(w.section_id ? { section_id: w.section_id } : {}),
    ...(w.round !== undefined && w.round !== null ? { round: w.round } : {}),
    ts: w.ts ?? 0,
  };
}
/** Adds a warning unless the same one (code, message, section, round) is listed. */
export function addWarning(list: MissionWarning[], w: MissionWarning): MissionWarning[] {
  const same = (a: MissionWarning) => a.code === w.code && a.message === w.message && a.section_id === w.section_id && a.round === w.round;
  return list.some(same) ? list : [...list, w];
}

/** progress is 0..1 (missions, documents); anything else is clamped */
export const normProgress = clamp01;

export function normMission(m: MissionRaw): Mission {
  return {
    id: m.id ?? '',
    title: m.title ?? '',
    description: m.description ?? '',
    status: m.status ?? 'queued',
    phase: m.phase ?? '',
    progress: clamp01(m.progress),
    round: m.round ?? 0,
    offline: !!m.offline,
    tokens: m.tokens ?? 0,
    cost: m.cost ?? 0,
    calls: m.calls ?? 0,
    notes_count: m.notes_count ?? 0,
    created_at: m.created_at ?? '',
    started_at: m.started_at ?? '',
    finished_at: m.finished_at ?? '',
    research_questions: m.research_questions ?? [],
    sources: m.sources ?? [],
    last_seq: m.last_seq ?? 0,
    error: m.error ?? '',
    outcome: m.outcome ?? '',
    warnings: (m.warnings ?? []).map(normWarning).reduce(addWarning, [] as MissionWarning[]),
    raw: m,
  };
}

/** POST /api/missions/preflight: what a mission will have (docs/missions.md). */
export type PreflightItem = C.Infer<typeof C.PreflightItem>;
export type PreflightEndpoint = C.Infer<typeof C.PreflightEndpoint>;
export type Preflight = C.Preflight;
export type Stats = C.Stats;

export type PlanSection = C.PlanSection;
export type Plan = C.Plan;

export interface Note {
  id: string;
  section_id: string;
  quote: string;
  content: string;
  /** what to show as the source: its title, else its URL */
  source: string;
  source_title: string;
  url: string;
  document_id: string;
  page: string;
  source_type: string;
  credibility: number;
  created_at: string;
}
export function normNote(n: C.Note): Note {
  const url = n.url ?? '';
  const title = n.source_title ?? n.source?.title ?? '';
  return {
    id: n.id,
    section_id: n.section_id,
    quote: n.quote,
    content: n.content,
    source: title || url,
    source_title: title || url,
    url,
    document_id: n.document_id ?? '',
    page: n.page ? String(n.page) : '',
    source_type: n.source_type,
    credibility: n.credibility ?? 0,
    created_at: n.created_at,
  };
}

export interface LogEntry {
  id: string;
  agent: string;
  action: string;
  model: string;
  tokens: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost: number;
  duration_ms: number;
  prompt: string;
  response: string;
  ts: string;
  detailed: boolean;
  /** a call still waiting for its answer (call_started, or /logs "in_flight") */
  in_flight: boolean;
  /** the key that ties call_started, call_ended and agent_log of one call */
  call_key: string;
  /** what the call is about */
  section_id: string;
  section_title: string;
  round: number;
  query: string;
  passages: number;
  notes: number;
  cached: boolean;
  /** why a call gave no answer (failed, cancelled); "" when it answered */
  error: string;
}
/** A model call: a /logs record, or the data of call_started / agent_log / call_ended (ts: the event's time). */
export type LogInput = Partial<C.LogRecord> & Partial<C.MissionEventData<'call_started'>> & { cancelled?: boolean; ts?: string };
function promptText(p: C.LogRecord['prompt']): string {
  if (!p) return '';
  return p.map((m) => `[${m.role}]\n${typeof m.content === 'string' ? m.content : JSON.stringify(m.content, null, 2)}`).join('\n\n');
}
export function normLog(l: LogInput): LogEntry {
  const prompt = promptText(l.prompt);
  const when = l.ts ?? (l.created_at ?? l.started_at ? new Date((l.created_at ?? l.started_at) as number).toISOString() : '');
  return {
    id: l.id ?? l.call_key ?? '',
    agent: l.agent ?? '',
    action: l.action ?? '',
    model: l.model ?? '',
    tokens: l.tokens ?? (l.prompt_tokens ?? 0) + (l.completion_tokens ?? 0),
    prompt_tokens: l.prompt_tokens ?? 0,
    completion_tokens: l.completion_tokens ?? 0,
    cost: l.cost ?? 0,
    duration_ms: l.duration_ms ?? 0,
    prompt,
    response: l.response ?? '',
    ts: when,
    detailed: !!prompt,
    in_flight: !!l.in_flight,
    call_key: l.call_key ?? '',
    section_id: l.section_id ?? '',
    section_title: l.section_title ?? '',
    round: l.round ?? 0,
    query: l.query ?? '',
    passages: l.passages ?? 0,
    notes: l.notes ?? 0,
    cached: !!l.cached,
    error: l.cancelled ? 'cancelled' : l.status === undefined || l.status !== 'ok' ? (l.error ?? l.status ?? '') : '',
  };
}

/** A document as the server sent it, with what live events and uploads add. */
export type DocRaw = Partial<C.Document> & { duplicate?: boolean; progress?: number; stage?: string };
export interface Doc {
  id: string;
  filename: string;
  title: string;
  /** "A; B" (author_list joined) */
  authors: string;
  author_list: string[];
  year: string;
  venue: string;
  doi: string;
  arxiv_id: string;
  abstract: string;
  keywords: string[];
  language: string;
  /** where each bibliographic field came from: "xmp", "pdf-info", "first-page", "user", ... */
  meta_sources: Record<string, string>;
  status: string;
  error: string;
  type: string;
  size: number;
  pages: number;
  chunks: number;
  group_ids: string[];
  created_at: string;
  /** ingestion progress 0..1 and stage, from live events */
  progress?: number;
  stage?: string;
  raw: DocRaw;
}
export function fileType(filename: string, mime = ''): string {
  const ext = (filename.split('.').pop() || '').toLowerCase();
  if (['pdf', 'docx', 'txt', 'md', 'html', 'htm', 'markdown'].includes(ext)) return ext === 'htm' ? 'html' : ext === 'markdown' ? 'md' : ext;
  if (mime.includes('pdf')) return 'pdf';
  if (mime.includes('html')) return 'html';
  if (mime.includes('markdown')) return 'md';
  if (mime.startsWith('text/')) return 'txt';
  return ext || 'other';
}
export function normDoc(d: DocRaw): Doc {
  const filename = d.filename ?? '';
  const authorList = d.author_list ?? [];
  return {
    id: d.id ?? '',
    filename,
    title: d.title ?? '',
    authors: authorList.join('; '),
    author_list: authorList,
    year: d.year ?? '',
    venue: d.venue ?? '',
    doi: d.doi ?? '',
    arxiv_id: d.arxiv_id ?? '',
    abstract: d.abstract ?? '',
    keywords: d.keywords ?? [],
    language: d.language ?? '',
    meta_sources: d.meta_sources ?? {},
    status: d.status ?? 'queued',
    error: d.error ?? '',
    type: fileType(filename, d.mime ?? ''),
    size: d.size_bytes ?? 0,
    pages: d.pages ?? 0,
    chunks: d.chunk_count ?? 0,
    progress: d.progress !== undefined && d.progress !== null ? clamp01(d.progress) : undefined,
    stage: d.stage || undefined,
    group_ids: d.group_ids ?? [],
    created_at: d.created_at ?? '',
    raw: d,
  };
}

export interface Group {
  id: string;
  name: string;
  description: string;
  document_count: number;
  document_ids: string[];
}
export function normGroup(g: C.Group): Group {
  const ids = g.document_ids ?? [];
  return { id: g.id, name: g.name, description: g.description, document_count: g.document_count, document_ids: ids };
}

export interface Passage {
  n: number;
  heading: string;
  document_id: string;
  title: string;
  filename: string;
  page: string;
  chunk_id: string;
  score: number;
  text: string;
  url: string;
}
export function normPassage(p: C.Passage): Passage {
  return {
    n: p.n ?? 0,
    heading: p.heading ?? '',
    document_id: p.document_id ?? '',
    title: p.title ?? '',
    filename: p.filename ?? '',
    page: p.page ? String(p.page) : '',
    chunk_id: p.chunk_id ?? '',
    score: p.score ?? 0,
    text: p.text,
    url: p.url ?? '',
  };
}

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  citations: Passage[];
  created_at: string;
  streaming?: boolean;
  /** what the web search gave when it was asked for (Writing assistant) */
  web?: WebStatus;
}
export type WebStatus = C.WebStatus;
export function normChatMessage(m: C.ChatMessage): ChatMessage {
  return {
    id: m.id,
    role: m.role,
    content: m.content,
    citations: m.citations.map(normPassage),
    created_at: m.created_at,
    ...(m.web ? { web: m.web } : {}),
  };
}
export interface Chat {
  id: string;
  title: string;
  group_id: string;
  created_at: string;
  messages: ChatMessage[];
}
export function normChat(c: C.Chat & { messages?: C.ChatMessage[] }): Chat {
  return {
    id: c.id,
    title: c.title,
    group_id: c.group_id ?? '',
    created_at: c.created_at,
    messages: (c.messages ?? []).map(normChatMessage),
  };
}

export function normUser(u: C.User): User {
  return { id: u.id, username: u.username, role: u.role, active: u.active ?? true, created_at: u.created_at ?? '' };
}

/* ------------------------------------------------------------------ */
/* Auth                                                                */
/* ------------------------------------------------------------------ */

export async function login(username: string, password: string): Promise<{ token: string; user: User }> {
  const r = await request<C.Infer<typeof C.Login>>('POST', '/api/auth/login', { username, password });
  const user = normUser(r.user);
  storeSession(r.access_token, user);
  return { token: r.access_token, user };
}

export async function logout(): Promise<void> {
  try {
    if (getToken()) await request('POST', '/api/auth/logout', {});
  } catch {
    /* token may already be invalid: logging out locally is enough */
  } finally {
    storeSession(null, null);
  }
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

/** Upload one file with progress (fetch has no upload progress; XHR does). */
export function uploadFile(
  file: File,
  groupId: string | null,
  onProgress: (fraction: number) => void,
): { promise: Promise<Doc[]>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<Doc[]>((resolve, reject) => {
    xhr.open('POST', '/api/documents');
    const t = getToken();
    if (t) xhr.setRequestHeader('Authorization', `Bearer ${t}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: (C.Infer<typeof C.UploadReply> & ErrorReply) | null = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve((body?.documents ?? []).map(normDoc));
      } else {
        const e = body?.error;
        const err = new ApiError(xhr.status, e?.code || `http_${xhr.status}`, e?.message || `HTTP ${xhr.status}`, body);
        handle401('/api/documents', err);
        reject(err);
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network_error'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'aborted'));
    const fd = new FormData();
    fd.append('files', file, file.name);
    if (groupId) fd.append('group_id', groupId);
    xhr.send(fd);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Fetch an authenticated file and hand it to the browser as a download. */
export async function downloadFile(path: string, filename: string): Promise<void> {
  const res = await request<Response>('GET', path, undefined, { raw: true });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function wsUrl(): string {
  const loc = window.location;
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const t = getToken() || '';
  return `${proto}//${loc.host}/api/ws?token=${encodeURIComponent(t)}`;
}
