/*
 * The one place that talks HTTP to `maestro serve`.
 *
 * Every request goes through `request()`, which adds the bearer token, turns
 * the server's `{"error":{"code","message"}}` bodies into ApiError, and on a
 * 401 forgets the token and tells the app (which goes back to the login page
 * with a message). Where the contract (shared/design/API.md) is silent on a
 * response shape, the small `norm*` adapters below accept the likely
 * variants (`{"missions":[…]}`, `{"items":[…]}`, a bare array, …) so the
 * pages only ever see one shape.
 */

const TOKEN_KEY = 'maestro.token';
const USER_KEY = 'maestro.user';

export type Role = 'admin' | 'researcher' | 'viewer';
export interface User {
  id: string;
  username: string;
  role: Role;
  active?: boolean;
  created_at?: string;
}

export class ApiError extends Error {
  status: number;
  code: string;
  /** the whole JSON error reply, when there was one (e.g. "preflight" of a refused mission) */
  body: any;
  constructor(status: number, code: string, message: string, body: any = null) {
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
  let body: any = null;
  try {
    const text = await res.text();
    if (text) {
      try {
        const j = JSON.parse(text);
        body = j;
        const e = j && (j.error ?? j);
        if (typeof e === 'string') message = e;
        else if (e && typeof e === 'object') {
          if (e.code) code = String(e.code);
          if (e.message) message = String(e.message);
          else if (j.detail) message = String(j.detail);
        }
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

export async function request<T = any>(
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
  get: <T = any>(p: string, o?: RequestOptions) => request<T>('GET', p, undefined, o),
  post: <T = any>(p: string, b?: unknown, o?: RequestOptions) => request<T>('POST', p, b ?? {}, o),
  put: <T = any>(p: string, b?: unknown) => request<T>('PUT', p, b ?? {}),
  patch: <T = any>(p: string, b?: unknown) => request<T>('PATCH', p, b ?? {}),
  del: <T = any>(p: string, b?: unknown) => request<T>('DELETE', p, b),
};

export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/* ------------------------------------------------------------------ */
/* Adapters                                                            */
/* ------------------------------------------------------------------ */

/** Find the list inside a list response, whatever it is called. */
export function pickList<T = any>(raw: any, ...keys: string[]): T[] {
  if (Array.isArray(raw)) return raw as T[];
  if (!raw || typeof raw !== 'object') return [];
  for (const k of [...keys, 'items', 'data', 'results']) if (Array.isArray(raw[k])) return raw[k];
  for (const v of Object.values(raw)) if (Array.isArray(v)) return v as T[];
  return [];
}

const num = (...vals: any[]): number => {
  for (const v of vals) {
    if (v === undefined || v === null || v === '') continue;
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return 0;
};
const str = (...vals: any[]): string => {
  for (const v of vals) if (v !== undefined && v !== null && v !== '') return String(v);
  return '';
};

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
  /** "ok", "no_evidence" once finished; "" while not (or from an older server) */
  outcome: string;
  warnings: MissionWarning[];
  raw: any;
}

/** A problem the mission ran into without failing (GET /api/missions/{id} "warnings", live event "warning"). */
export interface MissionWarning {
  code: string;
  message: string;
  section_id?: string;
  round?: number;
  ts: number;
}
export function normWarning(w: any): MissionWarning {
  const o = w && typeof w === 'object' ? w : { message: String(w ?? '') };
  return {
    code: str(o.code),
    message: str(o.message, o.code),
    ...(o.section_id ? { section_id: String(o.section_id) } : {}),
    ...(o.round !== undefined && o.round !== null ? { round: num(o.round) } : {}),
    ts: num(o.ts),
  };
}
/** Adds a warning unless the same one (code, message, section, round) is listed. */
export function addWarning(list: MissionWarning[], w: MissionWarning): MissionWarning[] {
  const same = (a: MissionWarning) => a.code === w.code && a.message === w.message && a.section_id === w.section_id && a.round === w.round;
  return list.some(same) ? list : [...list, w];
}

/** progress may arrive as 0..1 or 0..100 */
export function normProgress(p: any): number {
  const n = num(p);
  if (n > 1) return Math.min(1, n / 100);
  return Math.max(0, n);
}

export function normMission(r: any): Mission {
  const m = r && r.mission && typeof r.mission === 'object' ? r.mission : r || {};
  const c = m.counters || m.stats || {};
  return {
    id: str(m.id),
    title: str(m.title, m.name, `#${m.id}`),
    description: str(m.description),
    status: str(m.status, 'queued'),
    phase: str(m.phase),
    progress: normProgress(m.progress),
    round: num(m.round, c.round),
    offline: !!m.offline,
    tokens: num(m.tokens, m.total_tokens, c.tokens, c.total_tokens),
    cost: num(m.cost, m.total_cost, c.cost, c.total_cost),
    calls: num(m.calls, m.llm_calls, c.calls, c.llm_calls),
    notes_count: num(m.notes_count, c.notes),
    created_at: str(m.created_at),
    started_at: str(m.started_at),
    finished_at: str(m.finished_at, m.completed_at),
    research_questions: Array.isArray(m.research_questions) ? m.research_questions.map(String) : [],
    sources: Array.isArray(m.sources) ? m.sources.map(String) : [],
    last_seq: num(m.last_seq, m.last_event_seq, m.seq),
    error: str(m.error, m.error_message),
    outcome: str(m.outcome),
    warnings: Array.isArray(m.warnings) ? m.warnings.map(normWarning).reduce(addWarning, [] as MissionWarning[]) : [],
    raw: m,
  };
}

/** POST /api/missions/preflight: what a mission will have (docs/missions.md). */
export interface PreflightItem {
  code: string;
  message: string;
  fix?: string;
}
export interface PreflightEndpoint {
  configured: boolean;
  provider: string;
  model: string;
  base_url: string;
  source: 'env' | 'server' | 'user' | 'none';
  reachable: boolean | null;
  error?: string;
}
export interface Preflight {
  ok: boolean;
  empty: boolean;
  mode: 'model' | 'offline';
  offline_requested?: boolean;
  models: Record<string, PreflightEndpoint>;
  embedding?: PreflightEndpoint;
  documents: { requested: boolean; group_id?: string | null; in_scope: number; ready: number };
  web: { requested: boolean; provider: string | null; configured: boolean; reachable: boolean | null; source?: string; error?: string };
  scholarly?: { requested: boolean; providers: string[]; contact_email: boolean; error?: string };
  problems: PreflightItem[];
  warnings: PreflightItem[];
}

export interface Stats {
  total_missions: number;
  active_missions: number;
  completed_missions: number;
  avg_completion_time: number;
}
export function normStats(r: any): Stats {
  const s = r || {};
  return {
    total_missions: num(s.total_missions, s.total),
    active_missions: num(s.active_missions, s.active),
    completed_missions: num(s.completed_missions, s.completed),
    avg_completion_time: num(s.avg_completion_time, s.average_completion_time),
  };
}

export interface PlanSection {
  id: string;
  title: string;
  questions: string[];
  subsections: PlanSection[];
}
export interface Plan {
  sections: PlanSection[];
}
export function normSection(s: any, path = ''): PlanSection {
  const id = str(s?.id, path || Math.random().toString(36).slice(2));
  const subs = Array.isArray(s?.subsections) ? s.subsections : Array.isArray(s?.children) ? s.children : [];
  return {
    id,
    title: str(s?.title, s?.name),
    questions: Array.isArray(s?.questions) ? s.questions.map((q: any) => (typeof q === 'string' ? q : str(q?.text, q?.question))) : [],
    subsections: subs.map((c: any, i: number) => normSection(c, `${id}.${i + 1}`)),
  };
}
export function normPlan(r: any): Plan | null {
  if (!r) return null;
  const p = r.plan && typeof r.plan === 'object' ? r.plan : r;
  const secs = Array.isArray(p) ? p : Array.isArray(p.sections) ? p.sections : Array.isArray(p.outline) ? p.outline : null;
  if (!secs) return null;
  return { sections: secs.map((s: any, i: number) => normSection(s, String(i + 1))) };
}

export interface Note {
  id: string;
  section_id: string;
  quote: string;
  content: string;
  source: string;
  source_title: string;
  url: string;
  document_id: string;
  page: string;
  source_type: string;
  credibility: number;
  created_at: string;
}
export function normNote(r: any): Note {
  const n = r?.note && typeof r.note === 'object' ? r.note : r || {};
  const src = n.source && typeof n.source === 'object' ? n.source : null;
  const url = str(n.url, src?.url);
  const docId = str(n.document_id, src?.document_id);
  return {
    id: str(n.id, `${n.section_id}-${n.quote}`.slice(0, 80)),
    section_id: str(n.section_id, n.section),
    quote: str(n.quote, n.text),
    content: str(n.content, n.summary, n.note),
    source: src ? str(src.title, src.url, src.filename, src.name) : str(n.source, n.source_title, url),
    source_title: str(n.source_title, src?.title, typeof n.source === 'string' ? n.source : '', url),
    url,
    document_id: docId,
    page: n.page || src?.page ? String(n.page || src?.page) : '',
    source_type: str(n.source_type, src?.type, url ? 'web' : docId ? 'document' : ''),
    credibility: num(n.credibility, src?.credibility),
    created_at: str(n.created_at, n.ts),
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
function textOf(v: any): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((m) => (m && m.role ? `[${m.role}]\n${textOf(m.content)}` : textOf(m))).join('\n\n');
  return JSON.stringify(v, null, 2);
}
export function normLog(r: any): LogEntry {
  const l = r?.log && typeof r.log === 'object' ? r.log : r || {};
  const prompt = textOf(l.prompt ?? l.request ?? l.messages);
  const response = textOf(l.response ?? l.output ?? l.answer);
  return {
    id: str(l.id, l.call_id, `${l.agent}-${l.ts ?? l.created_at}`),
    agent: str(l.agent, l.agent_type, l.role),
    action: str(l.action, l.step, l.message),
    model: str(l.model),
    tokens: num(l.tokens, l.total_tokens, num(l.prompt_tokens) + num(l.completion_tokens)),
    prompt_tokens: num(l.prompt_tokens, l.input_tokens),
    completion_tokens: num(l.completion_tokens, l.output_tokens),
    cost: num(l.cost),
    duration_ms: num(l.duration_ms, l.latency_ms, num(l.duration) * 1000),
    prompt,
    response,
    ts: str(l.ts, l.created_at, l.timestamp, typeof l.started_at === 'number' ? new Date(l.started_at).toISOString() : l.started_at),
    detailed: !!prompt,
    in_flight: !!l.in_flight,
    call_key: str(l.call_key),
    section_id: str(l.section_id),
    section_title: str(l.section_title),
    round: num(l.round),
    query: str(l.query),
    passages: num(l.passages),
    notes: num(l.notes),
    cached: !!l.cached,
    error: l.status && l.status !== 'ok' ? str(l.error, l.status) : str(l.cancelled ? 'cancelled' : '', typeof l.error === 'string' ? l.error : ''),
  };
}

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
  raw: any;
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
export function normDoc(r: any): Doc {
  const d = r?.document && typeof r.document === 'object' ? r.document : r || {};
  const meta = d.metadata && typeof d.metadata === 'object' ? d.metadata : {};
  const groups = Array.isArray(d.group_ids) ? d.group_ids : Array.isArray(d.groups) ? d.groups.map((g: any) => (typeof g === 'object' ? g.id : g)) : d.group_id ? [d.group_id] : [];
  const filename = str(d.filename, d.name, d.title);
  const authors = d.authors ?? meta.authors;
  const authorList: string[] = Array.isArray(d.author_list) ? d.author_list.map(String) : Array.isArray(authors) ? authors.map(String) : [];
  return {
    id: str(d.id),
    filename,
    title: str(d.title, meta.title),
    authors: Array.isArray(d.author_list) ? authorList.join('; ') : Array.isArray(authors) ? authors.join(', ') : str(authors),
    author_list: authorList,
    year: str(d.year, meta.year),
    venue: str(d.venue),
    doi: str(d.doi),
    arxiv_id: str(d.arxiv_id),
    abstract: str(d.abstract),
    keywords: Array.isArray(d.keywords) ? d.keywords.map(String) : d.keywords ? String(d.keywords).split(/;\s*/).filter(Boolean) : [],
    language: str(d.language),
    meta_sources: d.meta_sources && typeof d.meta_sources === 'object' ? d.meta_sources : {},
    status: str(d.status, 'queued'),
    error: str(d.error, d.error_message),
    type: fileType(filename, str(d.mime, d.content_type, d.type)),
    size: num(d.size, d.size_bytes, d.bytes),
    pages: num(d.pages, d.page_count),
    chunks: num(d.chunks, d.chunk_count),
    progress: d.progress !== undefined && d.progress !== null ? normProgress(d.progress) : undefined,
    stage: d.stage ? String(d.stage) : undefined,
    group_ids: groups.map(String),
    created_at: str(d.created_at, d.uploaded_at),
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
export function normGroup(r: any): Group {
  const g = r?.group && typeof r.group === 'object' ? r.group : r || {};
  const ids = Array.isArray(g.document_ids) ? g.document_ids : Array.isArray(g.documents) ? g.documents.map((d: any) => (typeof d === 'object' ? d.id : d)) : [];
  return {
    id: str(g.id),
    name: str(g.name, g.title, `#${g.id}`),
    description: str(g.description),
    document_count: num(g.document_count, g.documents_count, ids.length),
    document_ids: ids.map(String),
  };
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
export function normPassage(r: any): Passage {
  const p = r || {};
  return {
    n: num(p.n, p.number),
    heading: str(p.heading, p.section),
    document_id: str(p.document_id, p.doc_id),
    title: str(p.title, p.document_title),
    filename: str(p.filename),
    page: p.page ? String(p.page) : '',
    chunk_id: str(p.chunk_id, p.id),
    score: num(p.score),
    text: str(p.text, p.content, p.quote, p.passage),
    url: str(p.url),
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
export interface WebStatus {
  status: string; // ok | no_results | no_provider | failed
  message: string;
  sources: number;
}
export function normWebStatus(w: any): WebStatus | undefined {
  if (!w || typeof w !== 'object' || typeof w.status !== 'string') return undefined;
  return { status: w.status, message: str(w.message), sources: num(w.sources) };
}
export function normChatMessage(r: any): ChatMessage {
  const m = r?.message && typeof r.message === 'object' ? r.message : r || {};
  const cites = Array.isArray(m.citations) ? m.citations : Array.isArray(m.sources) ? m.sources : [];
  const role = str(m.role, 'assistant');
  return {
    id: str(m.id, Math.random().toString(36).slice(2)),
    role: role === 'user' || role === 'system' ? role : 'assistant',
    content: str(m.content, m.answer, m.text),
    citations: cites.map(normPassage),
    created_at: str(m.created_at),
    ...(normWebStatus(m.web) ? { web: normWebStatus(m.web) } : {}),
  };
}
export interface Chat {
  id: string;
  title: string;
  group_id: string;
  created_at: string;
  messages: ChatMessage[];
}
export function normChat(r: any): Chat {
  const c = r?.chat && typeof r.chat === 'object' ? { ...r.chat, messages: r.messages ?? r.chat.messages } : r || {};
  return {
    id: str(c.id),
    title: str(c.title, c.name),
    group_id: str(c.group_id),
    created_at: str(c.created_at),
    messages: Array.isArray(c.messages) ? c.messages.map(normChatMessage) : [],
  };
}

export function normUser(r: any): User {
  const u = r?.user && typeof r.user === 'object' ? r.user : r || {};
  const active = u.active ?? u.is_active ?? (u.disabled !== undefined ? !u.disabled : true);
  return { id: str(u.id), username: str(u.username, u.name), role: (str(u.role, 'viewer') as Role), active: !!active, created_at: str(u.created_at) };
}

/* ------------------------------------------------------------------ */
/* Auth                                                                */
/* ------------------------------------------------------------------ */

export async function login(username: string, password: string): Promise<{ token: string; user: User }> {
  const r = await request<any>('POST', '/api/auth/login', { username, password });
  const token = str(r?.access_token, r?.token);
  if (!token) throw new ApiError(500, 'bad_response', 'no token in login response');
  let user = r?.user ? normUser(r.user) : null;
  storeSession(token, user);
  if (!user) {
    user = normUser(await api.get('/api/auth/me'));
    storeSession(token, user);
  }
  return { token, user };
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
      let body: any = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(pickList(body, 'documents').map(normDoc));
      } else {
        const e = body?.error;
        const err = new ApiError(xhr.status, e?.code || `http_${xhr.status}`, e?.message || (typeof e === 'string' ? e : `HTTP ${xhr.status}`));
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

/** Text body of a response that may be plain text or JSON with a text field. */
export function textFromBody(body: any, ...keys: string[]): string {
  if (typeof body === 'string') return body;
  if (!body || typeof body !== 'object') return '';
  for (const k of [...keys, 'content', 'markdown', 'text', 'report', 'body']) if (typeof body[k] === 'string') return body[k];
  return '';
}

export function wsUrl(): string {
  const loc = window.location;
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const t = getToken() || '';
  return `${proto}//${loc.host}/api/ws?token=${encodeURIComponent(t)}`;
}
