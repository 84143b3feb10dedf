/*
 * The HTTP and WebSocket API of `maestro serve` as the UI relies on it
 * (docs/api.md), written once: each reply shape is a runtime schema
 * (./schema.ts) and its TypeScript type is derived from it (`Infer`). The UI
 * is typed from these; tests/e2e/flows/90-contract.mjs checks every route's
 * replies from the real server against them (CONTRACT below lists every
 * route; a route of the server missing here fails that test).
 *
 * Members are listed as the server sends them (null where it sends null);
 * members the UI does not read may be left out (objects accept more).
 */
import { anyObj, arr, bool, extend, int, lazy, nul, nullable, num, obj, oneOf, opt, record, str, union, unknown, type Infer, type Schema } from './schema';

export { problems, matches } from './schema';
export type { Infer, Schema } from './schema';

/* ---------------------------------------------------------------- errors */

export const PreflightItem = obj({ code: str, message: str, fix: opt(str) });
/** every 4xx/5xx JSON reply: {"error":{"code","message"}} (+ "field" naming a bad member of a 422) */
export const ErrorBody = obj({
  error: obj({ code: str, message: str, field: opt(str), problems: opt(arr(PreflightItem)) }),
});
export type ErrorBody = Infer<typeof ErrorBody>;

/* ------------------------------------------------------------ system, auth */

export const Role = oneOf('admin', 'researcher', 'viewer');
export const User = obj({ id: str, username: str, role: Role, active: opt(bool), created_at: opt(str) });
export type User = Infer<typeof User>;
export const Health = obj({ status: str, version: str, database: str });
export const Login = obj({ access_token: str, token_type: str, expires_in: int, user: User });
export const PasswordChanged = obj({ status: str, access_token: str, token_type: str, expires_in: int });
export const UserList = obj({ users: arr(User), registration_open: bool });
export const Status = obj({ status: str });

/* ---------------------------------------------------------------- settings */

/** what a model tier resolves to (settings "effective", preflight "models") */
export const Endpoint = obj({
  configured: bool,
  provider: str,
  model: str,
  base_url: str,
  source: oneOf('env', 'server', 'user', 'none'),
  external: opt(bool),
  api_key_set: opt(bool),
  temperature: opt(num),
  max_tokens: opt(int),
  context_window: opt(int),
  reason: opt(str),
});
export type Endpoint = Infer<typeof Endpoint>;
/** research defaults (settings "research"); members left out take the server's defaults */
export const ResearchDefaults = obj({ max_rounds: opt(int), max_passes: opt(int), language: opt(str), tone: opt(str), length: opt(str) });
export type ResearchDefaults = Infer<typeof ResearchDefaults>;
/** the "mcp" settings section: MCP servers by name (a header value comes back masked as {api_key:"********"}) */
export const McpServerSetting = obj({
  url: opt(str),
  command: opt(str),
  args: opt(arr(str)),
  headers: opt(record(union(str, obj({ api_key: str, api_key_set: opt(bool) })))),
  timeout_s: opt(num),
});
export type McpServerSetting = Infer<typeof McpServerSetting>;
export const McpSection = obj({ servers: opt(record(McpServerSetting)) });
export type McpSection = Infer<typeof McpSection>;
/** an endpoint as stored in the "models" section (keys come back as "********") */
export const StoredEndpoint = obj({
  provider: opt(str),
  base_url: opt(str),
  api_key: opt(str),
  api_key_set: opt(bool),
  model: opt(str),
  temperature: opt(num),
  max_tokens: opt(int),
  context_window: opt(int),
  headers: opt(anyObj),
  external: opt(bool),
});
export type StoredEndpoint = Infer<typeof StoredEndpoint>;
/** the "search" section (more members: docs/web.md) */
export const SearchSection = obj({ providers: opt(arr(str)), searxng_url: opt(str), tavily_api_key: opt(str), brave_api_key: opt(str) });
/** the "research" section: the research defaults and PII masking (more members: docs/missions.md) */
export const ResearchSection = extend(ResearchDefaults, { mask_pii: opt(bool) });
export const SearchEffective = obj({ provider: nullable(str), configured: bool, source: str });
export const Settings = obj({
  models: record(StoredEndpoint),
  search: SearchSection,
  research: ResearchSection,
  mcp: McpSection,
  effective: obj({
    fast: Endpoint,
    mid: Endpoint,
    intelligent: Endpoint,
    verifier: Endpoint,
    embedding: Endpoint,
    rerank: Endpoint,
    search: SearchEffective,
    research: ResearchDefaults,
  }),
});
export type Settings = Infer<typeof Settings>;
export const AdminSettings = obj({ registration_open: bool, models: record(StoredEndpoint), search: SearchSection, research: ResearchSection, mcp: McpSection });
export const TestConnection = obj({
  ok: bool,
  kind: opt(str),
  endpoint: opt(str),
  provider: opt(str),
  model: opt(str),
  models_ok: opt(bool),
  model_found: opt(bool),
  chat_ok: opt(bool),
  embedding_ok: opt(bool),
  dimension: opt(int),
  reply: opt(str),
  latency_ms: opt(num),
  error: opt(str),
  /** kind "search": how many results the test query gave */
  results: opt(int),
  query: opt(str),
});
export type TestConnection = Infer<typeof TestConnection>;
export const ModelList = obj({ endpoint: str, models: arr(str) });

/* ------------------------------------------------------ documents, groups */

export const DocStatus = oneOf('queued', 'processing', 'ready', 'failed', 'cancelled');
export const Document = obj({
  id: str,
  filename: str,
  status: DocStatus,
  error: nullable(str),
  title: nullable(str),
  authors: nullable(str),
  author_list: arr(str),
  year: nullable(str),
  venue: nullable(str),
  doi: nullable(str),
  arxiv_id: nullable(str),
  abstract: nullable(str),
  keywords: arr(str),
  language: nullable(str),
  meta_sources: record(str),
  mime: str,
  size_bytes: int,
  pages: int,
  chunk_count: int,
  metadata: anyObj,
  group_ids: arr(str),
  created_at: str,
  updated_at: str,
});
export type Document = Infer<typeof Document>;
export const DocumentList = obj({ documents: arr(Document), total: int });
/** one file of an upload: created (`duplicate` when the library had it), or refused: status "failed", the reason in `error`, no id */
export const Uploaded = obj({ id: opt(str), filename: str, status: DocStatus, duplicate: opt(bool), error: opt(str) });
export const UploadReply = obj({ documents: arr(Uploaded) });
export const DocumentText = obj({ id: str, text: str, sections: arr(obj({ page: int, heading: str, char_start: int })) });
export const Queued = obj({ id: str, status: str });
export const BulkReply = obj({ action: str, matched: int, done: int, skipped: arr(str), failed: arr(obj({ id: str, error: str })) });
export const Group = obj({ id: str, name: str, description: str, document_count: int, created_at: str, updated_at: str, document_ids: opt(arr(str)) });
export type Group = Infer<typeof Group>;
export const GroupList = obj({ groups: arr(Group) });
export const Deleted = obj({ id: str, deleted: bool });

/** a passage: a search result, or a citation of a chat answer */
export const Passage = obj({
  n: opt(int),
  type: opt(str),
  document_id: opt(str),
  title: nullable(str),
  filename: opt(str),
  page: opt(nullable(int)),
  chunk_id: opt(str),
  score: opt(num),
  text: str,
  heading: opt(nullable(str)),
  url: opt(str),
});
export type Passage = Infer<typeof Passage>;
export const SearchReply = obj({ results: arr(Passage), mode: str, reranked: bool, group_by: str });

/* ---------------------------------------------------------------- missions */

export const Warning = obj({ code: str, message: str, section_id: opt(str), round: opt(int), ts: opt(num) });
export type Warning = Infer<typeof Warning>;
/** the reflector's assessment of a round (an outline change is the reflector's own object: {action, id?, title?, into?, order?}) */
export const Reflection = obj({
  round: int,
  sections: arr(obj({ id: str, title: opt(str), quality: nullable(num), gaps: opt(arr(str)), contradictions: opt(arr(str)), new_questions: opt(arr(str)) })),
  outline_changes: opt(arr(unknown)),
  ts: opt(num),
});
export const Analysis = obj({ language: opt(str), tone: opt(str), length: opt(str), type: opt(str), audience: opt(str), reflections: opt(arr(Reflection)) });
export const Counters = obj({ round: int, pass: int, notes: int, sections: int, calls: int, cached_calls: int, checked: int, supported: int, cost: num });
export const MissionStatus = oneOf('queued', 'running', 'paused', 'completed', 'failed', 'stopped', 'cancelled');
export const Mission = obj({
  id: str,
  user_id: str,
  title: str,
  description: str,
  questions: arr(str),
  research_questions: arr(str),
  sources: arr(str),
  group_id: nullable(str),
  settings: anyObj,
  analysis: nullable(Analysis),
  schedule: nullable(str),
  status: MissionStatus,
  phase: nullable(str),
  round: int,
  pass: int,
  offline: bool,
  error: nullable(str),
  created_at: str,
  started_at: nullable(str),
  finished_at: nullable(str),
  updated_at: str,
  outcome: nullable(str),
  warnings: arr(Warning),
  notes_count: int,
  sections_count: int,
  last_seq: int,
  tokens: int,
  cost: num,
  calls: int,
  progress: num,
  depth: opt(str),
  draft_id: opt(nullable(str)),
  counters: Counters,
});
export type Mission = Infer<typeof Mission>;
export const MissionList = obj({ missions: arr(Mission) });
export const MissionCreated = obj({ id: str, status: MissionStatus });
export const Stats = obj({ total_missions: int, active_missions: int, completed_missions: int, avg_completion_time: num });
export type Stats = Infer<typeof Stats>;

export const PreflightEndpoint = extend(Endpoint, { reachable: nullable(bool), error: opt(str) });
export const Preflight = obj({
  ok: bool,
  empty: bool,
  mode: oneOf('model', 'offline'),
  offline_requested: opt(bool),
  models: record(PreflightEndpoint),
  embedding: opt(PreflightEndpoint),
  documents: obj({ requested: bool, group_id: opt(nullable(str)), in_scope: int, ready: int }),
  web: obj({ requested: bool, provider: nullable(str), configured: bool, reachable: nullable(bool), source: opt(str), error: opt(str) }),
  scholarly: opt(obj({ requested: bool, providers: arr(str), contact_email: bool, error: opt(str) })),
  problems: arr(PreflightItem),
  warnings: arr(PreflightItem),
});
export type Preflight = Infer<typeof Preflight>;
/** 422 empty_sources: the error plus the preflight */
export const EmptySources = extend(ErrorBody, { preflight: Preflight });

export interface PlanSection {
  id: string;
  title: string;
  questions: string[];
  priority?: number;
  quality?: number | null;
  researched_round?: number | null;
  subsections: PlanSection[];
}
export const PlanSection: Schema<PlanSection> = obj({
  id: str,
  title: str,
  questions: arr(str),
  priority: opt(int),
  quality: opt(nullable(num)),
  researched_round: opt(nullable(int)),
  subsections: arr(lazy(() => PlanSection)),
});
export const Plan = obj({ sections: arr(PlanSection) });
export type Plan = Infer<typeof Plan>;

export const NoteSource = obj({ type: str, title: nullable(str), document_id: opt(nullable(str)), url: nullable(str), page: opt(nullable(int)), credibility: nullable(num) });
export const Note = obj({
  id: str,
  section_id: str,
  round: int,
  quote: str,
  content: str,
  source_type: str,
  source_key: str,
  document_id: nullable(str),
  page: nullable(int),
  url: nullable(str),
  source_title: nullable(str),
  authors: nullable(str),
  credibility: nullable(num),
  created_at: str,
  year: nullable(union(str, int)),
  venue: nullable(str),
  doi: nullable(str),
  source: NoteSource,
});
export type Note = Infer<typeof Note>;
export const NoteList = obj({ notes: arr(Note) });

export const PromptMessage = obj({ role: str, content: unknown });
/** a model call of a mission (GET /logs; created_at in ms since 1970) */
export const LogRecord = obj({
  id: str,
  agent: str,
  model: str,
  action: opt(str),
  call_key: opt(str),
  prompt: opt(arr(PromptMessage)),
  response: opt(nullable(str)),
  prompt_tokens: int,
  completion_tokens: int,
  tokens: int,
  cost: num,
  duration_ms: num,
  status: str,
  error: nullable(str),
  created_at: num,
  in_flight: opt(bool),
  section_id: opt(str),
  section_title: opt(str),
  round: opt(int),
  query: opt(str),
  passages: opt(int),
  notes: opt(int),
  cached: opt(bool),
});
export type LogRecord = Infer<typeof LogRecord>;
export const LogList = obj({ logs: arr(LogRecord) });
export const MissionDraft = obj({ sections: arr(obj({ id: str, title: str, content: str, version: int, kind: str })), markdown: str });
export const StoredEvent = obj({ channel: str, seq: int, event: str, data: anyObj, ts: str });
export const EventList = obj({ events: arr(StoredEvent) });
/** a reference of a report; `notes` the ids of its notes, `cites[k]` those the k-th [n] in the text cites */
export const ReportReference = obj({
  n: int,
  title: nullable(str),
  url: nullable(str),
  document_id: opt(nullable(str)),
  page: opt(nullable(int)),
  kind: opt(str),
  note_id: opt(nullable(str)),
  filename: opt(nullable(str)),
  authors: opt(nullable(str)),
  year: opt(nullable(union(str, int))),
  venue: opt(nullable(str)),
  doi: opt(nullable(str)),
  notes: opt(arr(str)),
  cites: opt(arr(arr(str))),
});
export const RunRecord = obj({ calls: int, tokens: int, cost: num, checked: int, supported: int, offline: bool, outcome: opt(str) });
export const ReportJson = obj({
  version: int,
  markdown: str,
  created_at: str,
  formats: arr(str),
  meta: obj({ references: arr(ReportReference), citations: int, sections: arr(str), unverified: arr(unknown), record: RunRecord }),
});
export type ReportJson = Infer<typeof ReportJson>;
export const ReportVersions = obj({ versions: arr(obj({ version: int, created_at: str, chars: int, author: str, edited_by: nullable(str) })), formats: arr(str) });
export const ReportSaved = obj({ id: str, version: int, author: str });
export const MissionDeleted = obj({ deleted: bool });

/* ------------------------------------------------------------------- chat */

export const WebStatus = obj({ status: oneOf('ok', 'no_results', 'no_provider', 'failed'), message: str, sources: int });
export type WebStatus = Infer<typeof WebStatus>;
export const ChatMessage = obj({
  id: str,
  chat_id: str,
  role: oneOf('user', 'assistant', 'system'),
  content: str,
  citations: arr(Passage),
  created_at: str,
  web: opt(WebStatus),
  /** an answer's: "model", "offline", ... */
  mode: opt(str),
});
export type ChatMessage = Infer<typeof ChatMessage>;
export const Chat = obj({ id: str, title: str, group_id: nullable(str), created_at: str, updated_at: str, message_count: int, answering: bool });
export type Chat = Infer<typeof Chat>;
export const ChatList = obj({ chats: arr(Chat), total: int });
export const ChatWithMessages = extend(Chat, { messages: arr(ChatMessage), last_seq: int });
export const Answering = obj({ status: oneOf('answering'), channel: str, seq: int, message: ChatMessage, mode: opt(str) });

/* ------------------------------------------------- research chat (drafts) */

export const Proposal = obj({
  title: str,
  questions: arr(str),
  sources: obj({ documents: bool, web: bool, scholarly: bool, group_id: opt(nullable(str)) }),
  depth: oneOf('quick', 'standard', 'deep'),
  language: str,
  tone: str,
  audience: str,
  origin: opt(str),
  matched_documents: opt(arr(obj({ id: str, title: nullable(str) }))),
});
export type Proposal = Infer<typeof Proposal>;
/** a turn of a research chat (its id is a number, unlike a chat message's) */
export const DraftMessage = obj({ id: int, role: oneOf('user', 'assistant', 'edit'), content: str, proposal: nullable(Proposal), meta: anyObj, created_at: str });
export type DraftMessage = Infer<typeof DraftMessage>;
export const DraftSummary = obj({ id: str, title: str, proposal: nullable(Proposal), mission_id: nullable(str), chat_id: nullable(str), answering: bool, created_at: str, updated_at: str, message_count: int });
export const Draft = extend(DraftSummary, { messages: arr(DraftMessage), last_seq: opt(int), chat_last_seq: opt(int) });
export type Draft = Infer<typeof Draft>;
export const DraftList = obj({ drafts: arr(DraftSummary), total: int });
export const DraftAnswering = obj({ status: oneOf('answering'), channel: str, seq: int, message: DraftMessage });
export const DraftStarted = obj({ id: str, mission_id: str, status: str, chat_id: str });

/* ---------------------------------------------------------------- writing */

export const Reference = obj({ n: int, type: opt(str), title: opt(str), url: opt(str), document_id: opt(str), year: opt(str), formatted: str, label: str });
export type Reference = Infer<typeof Reference>;
export const WritingStats = obj({ model_calls: int, tokens: int, cost_usd: num, searches: int, web_searches: int });
export const SessionSummary = obj({
  id: str,
  title: str,
  group_id: nullable(str),
  style: oneOf('apa', 'mla', 'chicago', 'ieee'),
  web: bool,
  chat_id: str,
  mission_id: nullable(str),
  created_at: str,
  updated_at: str,
  version: int,
  author: str,
  chars: opt(int),
});
export const Session = extend(SessionSummary, { content: str, references: arr(Reference), stats: WritingStats, channel: str, last_seq: int });
export type Session = Infer<typeof Session>;
export const SessionList = obj({ sessions: arr(SessionSummary) });
export const DraftSaved = obj({ id: str, version: int });
export const VersionList = obj({ versions: arr(obj({ version: int, author: str, created_at: str, chars: int })) });
export const Version = obj({ version: int, content: str, author: str, created_at: str });
export const ReferenceAdded = extend(Reference, { added: opt(bool) });
export const ReferenceList = obj({ style: str, references: arr(Reference), list: str });
export const ReferenceDeleted = obj({ n: int, deleted: bool });
export const Rendered = obj({ markdown: str, style: str, labels: record(str) });
export const MessageList = obj({ messages: arr(ChatMessage) });

/* ------------------------------------------------------ MCP, plugins, agents */

export const McpServer = obj({
  name: str,
  scope: oneOf('server', 'user'),
  transport: oneOf('stdio', 'http'),
  tools: opt(arr(obj({ name: str, description: opt(str), input_schema: opt(anyObj) }))),
  resources: opt(arr(obj({ uri: str, name: opt(str), mime_type: opt(str) }))),
  error: opt(str),
});
export const McpServers = obj({ servers: arr(McpServer) });
export const McpImported = obj({ document: obj({ id: str, filename: str, source: str, duplicate: bool }) });
export const JsonRpcReply = union(obj({ jsonrpc: oneOf('2.0'), id: unknown, result: unknown }), obj({ jsonrpc: oneOf('2.0'), id: unknown, error: obj({ code: int, message: str }) }));
export const JsonRpcError = obj({ jsonrpc: oneOf('2.0'), error: obj({ code: int, message: str }) });
export const Plugin = obj({
  name: str,
  version: str,
  description: str,
  file: str,
  sources: arr(obj({ id: str, name: str, description: str })),
  tools: arr(obj({ name: str, description: str, input_schema: anyObj })),
  routes: arr(obj({ method: str, path: str, role: str })),
});
export const PluginList = obj({ plugins: arr(Plugin), refused: opt(arr(obj({ file: str, reason: str }))) });
export const AgentDefinition = obj({ description: str, prompt: str, tools: arr(str), sources: arr(str), position: oneOf('after_research', 'before_writing') });
/** a custom agent (created_at/updated_at in ms since 1970) */
export const Agent = extend(AgentDefinition, { name: str, version: int, disabled: bool, origin: oneOf('ui', 'file'), created_at: num, updated_at: num });
export type Agent = Infer<typeof Agent>;
export const AgentWithVersions = extend(Agent, { versions: arr(obj({ version: int, author: str, created_at: num, definition: AgentDefinition })) });
export type AgentWithVersions = Infer<typeof AgentWithVersions>;
export const AgentList = obj({ agents: arr(Agent) });

/* -------------------------------------------------------------- WebSocket */

/** frames the server sends on /api/ws */
export const WsFrame = union(
  obj({ type: oneOf('subscribed'), channel: str, after: int }),
  obj({ type: oneOf('event'), channel: str, seq: int, event: str, data: anyObj, ts: str }),
  obj({ type: oneOf('pong') }),
  obj({ type: oneOf('error'), channel: opt(str), message: str }),
);
export type WsFrame = Infer<typeof WsFrame>;

const Phase = obj({ phase: str, round: opt(int), pass: opt(int), progress: opt(num) });
/** the `data` of each event the UI consumes, by channel kind and event name */
export const MissionEvents = {
  status: obj({ status: MissionStatus, phase: opt(nullable(str)), outcome: opt(nullable(str)), error: opt(nullable(str)), progress: opt(num), round: opt(int) }),
  phase: Phase,
  stats: obj({ tokens: int, cost: num, calls: int, cached_calls: opt(int), progress: opt(num) }),
  plan_updated: obj({ plan: Plan }),
  note_added: obj({ note: Note }),
  call_started: obj({ id: str, call_key: str, agent: str, action: str, tier: opt(str), started_at: num, section_id: opt(str), section_title: opt(str), round: opt(int), query: opt(str), passages: opt(int) }),
  /** a call that failed or was cancelled, with its call_started context; `id` its call record's */
  /** a model call that answered, with its call_started context */
  agent_log: obj({
    id: str,
    call_key: opt(str),
    agent: str,
    action: str,
    model: str,
    tokens: int,
    prompt_tokens: int,
    completion_tokens: int,
    cost: num,
    duration_ms: num,
    cached: opt(bool),
    response: opt(str),
    section_id: opt(str),
    section_title: opt(str),
    round: opt(int),
    query: opt(str),
    passages: opt(int),
  }),
  call_ended: obj({ call_key: str, error: str, cancelled: bool, id: opt(str), agent: opt(str), action: opt(str), tier: opt(str), section_id: opt(str), section_title: opt(str), round: opt(int), query: opt(str), passages: opt(int) }),
  sources_read: obj({ section_id: str, round: int, searches: int, passages: arr(str) }),
  reflection: Reflection,
  warning: Warning,
  draft_updated: obj({ section_id: opt(str), version: int, kind: opt(str) }),
  verification: obj({ checked: int, supported: int }),
  report_ready: obj({ version: int }),
  custom_agent: obj({ agent: str, version: int, position: str, round: int, status: oneOf('ran', 'skipped'), reason: opt(str) }),
  error: obj({ message: str }),
};
export const ChatEvents = {
  message: ChatMessage,
  token: obj({ text: str }),
  reset: obj({}),
  web: WebStatus,
  /** the passages the answer is given (before its tokens); without their text */
  passages: obj({ passages: arr(extend(Passage, { text: opt(str) })) }),
  error: obj({ message: str }),
};
export const DraftEvents = {
  message: DraftMessage,
  token: obj({ text: str }),
  reset: obj({}),
  error: obj({ message: str }),
  started: obj({ mission_id: str, chat_id: str }),
};
export const DocumentEvents = {
  document: obj({ id: str, status: str, filename: opt(str), progress: opt(num), stage: opt(str), error: opt(nullable(str)) }),
  bulk: obj({ action: str, done: int, total: int }),
};
export const EVENTS: Record<string, Record<string, Schema<unknown>>> = {
  mission: MissionEvents,
  chat: ChatEvents,
  draft: DraftEvents,
  documents: DocumentEvents,
};
export type MissionEventData<E extends keyof typeof MissionEvents> = Infer<(typeof MissionEvents)[E]>;

/* ------------------------------------------------------------ reply types */

export type PreflightItem = Infer<typeof PreflightItem>;
export type Role = Infer<typeof Role>;
export type Health = Infer<typeof Health>;
export type Login = Infer<typeof Login>;
export type PasswordChanged = Infer<typeof PasswordChanged>;
export type UserList = Infer<typeof UserList>;
export type Status = Infer<typeof Status>;
export type SearchEffective = Infer<typeof SearchEffective>;
export type AdminSettings = Infer<typeof AdminSettings>;
export type ModelList = Infer<typeof ModelList>;
export type DocStatus = Infer<typeof DocStatus>;
export type DocumentList = Infer<typeof DocumentList>;
export type Uploaded = Infer<typeof Uploaded>;
export type UploadReply = Infer<typeof UploadReply>;
export type DocumentText = Infer<typeof DocumentText>;
export type Queued = Infer<typeof Queued>;
export type BulkReply = Infer<typeof BulkReply>;
export type GroupList = Infer<typeof GroupList>;
export type Deleted = Infer<typeof Deleted>;
export type SearchReply = Infer<typeof SearchReply>;
export type Reflection = Infer<typeof Reflection>;
export type Analysis = Infer<typeof Analysis>;
export type Counters = Infer<typeof Counters>;
export type MissionStatus = Infer<typeof MissionStatus>;
export type MissionList = Infer<typeof MissionList>;
export type MissionCreated = Infer<typeof MissionCreated>;
export type PreflightEndpoint = Infer<typeof PreflightEndpoint>;
export type EmptySources = Infer<typeof EmptySources>;
export type NoteSource = Infer<typeof NoteSource>;
export type NoteList = Infer<typeof NoteList>;
export type PromptMessage = Infer<typeof PromptMessage>;
export type LogList = Infer<typeof LogList>;
export type MissionDraft = Infer<typeof MissionDraft>;
export type StoredEvent = Infer<typeof StoredEvent>;
export type EventList = Infer<typeof EventList>;
export type ReportReference = Infer<typeof ReportReference>;
export type ReportVersions = Infer<typeof ReportVersions>;
export type ReportSaved = Infer<typeof ReportSaved>;
export type MissionDeleted = Infer<typeof MissionDeleted>;
export type ChatList = Infer<typeof ChatList>;
export type ChatWithMessages = Infer<typeof ChatWithMessages>;
export type Answering = Infer<typeof Answering>;
export type DraftSummary = Infer<typeof DraftSummary>;
export type DraftList = Infer<typeof DraftList>;
export type DraftAnswering = Infer<typeof DraftAnswering>;
export type DraftStarted = Infer<typeof DraftStarted>;
export type WritingStats = Infer<typeof WritingStats>;
export type SessionSummary = Infer<typeof SessionSummary>;
export type SessionList = Infer<typeof SessionList>;
export type DraftSaved = Infer<typeof DraftSaved>;
export type VersionList = Infer<typeof VersionList>;
export type Version = Infer<typeof Version>;
export type ReferenceAdded = Infer<typeof ReferenceAdded>;
export type ReferenceList = Infer<typeof ReferenceList>;
export type ReferenceDeleted = Infer<typeof ReferenceDeleted>;
export type Rendered = Infer<typeof Rendered>;
export type MessageList = Infer<typeof MessageList>;
export type McpServer = Infer<typeof McpServer>;
export type McpServers = Infer<typeof McpServers>;
export type McpImported = Infer<typeof McpImported>;
export type JsonRpcReply = Infer<typeof JsonRpcReply>;
export type JsonRpcError = Infer<typeof JsonRpcError>;
export type Plugin = Infer<typeof Plugin>;
export type PluginList = Infer<typeof PluginList>;
export type AgentDefinition = Infer<typeof AgentDefinition>;
export type AgentList = Infer<typeof AgentList>;

/* ----------------------------------------------------------------- routes */

/**
 * Every route of the server ("METHOD /path" as in src/api/*.c) and what its
 * success reply is: `body` a JSON schema, `type` a content type for files and
 * text, `empty` for 204. Errors are ErrorBody unless `error` says otherwise.
 */
export interface RouteContract {
  body?: Schema<unknown>;
  type?: RegExp;
  error?: Schema<unknown>;
}
const J = (body: Schema<unknown>, error?: Schema<unknown>): RouteContract => (error ? { body, error } : { body });
const FILE = (type: RegExp): RouteContract => ({ type });
const ErrorOrEmptySources = union(EmptySources, ErrorBody);

export const CONTRACT: Record<string, RouteContract> = {
  'GET /health': J(Health),
  'GET /metrics': FILE(/^text\/plain/),
  'POST /api/auth/login': J(Login),
  'POST /api/auth/logout': J(Status),
  'GET /api/auth/me': J(User),
  'POST /api/auth/change-password': J(PasswordChanged),
  'POST /api/auth/register': J(User),
  'GET /api/admin/users': J(UserList),
  'POST /api/admin/users': J(User),
  'PATCH /api/admin/users/{id}': J(User),
  'DELETE /api/admin/users/{id}': J(Status),
  'GET /api/admin/settings': J(AdminSettings),
  'PUT /api/admin/settings': J(AdminSettings),
  'GET /api/settings': J(Settings),
  'PUT /api/settings': J(Settings),
  'POST /api/settings/test-connection': J(TestConnection),
  'GET /api/settings/models': J(ModelList),
  'POST /api/documents': J(UploadReply),
  'GET /api/documents': J(DocumentList),
  'POST /api/documents/bulk': J(BulkReply),
  'GET /api/documents/{id}': J(Document),
  'GET /api/documents/{id}/text': J(DocumentText),
  'PATCH /api/documents/{id}': J(Document),
  'DELETE /api/documents/{id}': J(Deleted),
  'POST /api/documents/{id}/reprocess': J(Queued),
  'GET /api/groups': J(GroupList),
  'POST /api/groups': J(Group),
  'GET /api/groups/{id}': J(Group),
  'PATCH /api/groups/{id}': J(Group),
  'DELETE /api/groups/{id}': J(Deleted),
  'POST /api/groups/{id}/documents': J(Group),
  'DELETE /api/groups/{id}/documents': J(Group),
  'POST /api/search': J(SearchReply),
  'POST /api/missions/drafts': J(Draft),
  'GET /api/missions/drafts': J(DraftList),
  'GET /api/missions/drafts/{id}': J(Draft),
  'PUT /api/missions/drafts/{id}': J(Draft),
  'POST /api/missions/drafts/{id}/messages': J(DraftAnswering),
  'POST /api/missions/drafts/{id}/start': J(DraftStarted, ErrorOrEmptySources),
  'POST /api/missions': J(MissionCreated, ErrorOrEmptySources),
  'POST /api/missions/preflight': J(Preflight),
  'GET /api/missions': J(MissionList),
  'GET /api/missions/{id}': J(Mission),
  'DELETE /api/missions/{id}': J(MissionDeleted),
  'GET /api/missions/{id}/plan': J(Plan),
  'PUT /api/missions/{id}/plan': J(Plan),
  'GET /api/missions/{id}/notes': J(NoteList),
  'GET /api/missions/{id}/logs': J(LogList),
  'GET /api/missions/{id}/logs/{log}': J(LogRecord),
  'GET /api/missions/{id}/draft': J(MissionDraft),
  'GET /api/missions/{id}/events': J(EventList),
  // markdown by default; ?format=json the ReportJson, html/pdf/docx files
  'GET /api/missions/{id}/report': { type: /^(text\/markdown|application\/json)/, body: ReportJson },
  'GET /api/missions/{id}/report/versions': J(ReportVersions),
  'POST /api/missions/{id}/pause': J(Mission),
  'POST /api/missions/{id}/resume': J(Mission),
  'POST /api/missions/{id}/stop': J(Mission),
  'POST /api/missions/{id}/resume-round/{n}': J(Mission),
  'GET /api/stats': J(Stats),
  'POST /api/missions/{id}/save-sources': J(Group),
  'POST /api/missions/{id}/writing': J(Session),
  'PUT /api/missions/{id}/report': J(ReportSaved),
  'POST /api/chats': J(Chat),
  'GET /api/chats': J(ChatList),
  'GET /api/chats/{id}': J(ChatWithMessages),
  'PATCH /api/chats/{id}': J(Chat),
  'DELETE /api/chats/{id}': J(Deleted),
  'POST /api/chats/{id}/messages': J(Answering),
  'POST /api/writing/sessions': J(Session),
  'GET /api/writing/sessions': J(SessionList),
  'GET /api/writing/sessions/{id}': J(Session),
  'PATCH /api/writing/sessions/{id}': J(Session),
  'DELETE /api/writing/sessions/{id}': J(Deleted),
  'PUT /api/writing/sessions/{id}/draft': J(DraftSaved),
  'GET /api/writing/sessions/{id}/versions': J(VersionList),
  'GET /api/writing/sessions/{id}/versions/{v}': J(Version),
  'POST /api/writing/sessions/{id}/assistant': J(Answering),
  'GET /api/writing/sessions/{id}/assistant': J(MessageList),
  'GET /api/writing/sessions/{id}/references': J(ReferenceList),
  'POST /api/writing/sessions/{id}/references': J(ReferenceAdded),
  'GET /api/writing/sessions/{id}/references/export': FILE(/^(application\/x-bibtex|application\/x-research-info-systems|text\/plain)/),
  'PUT /api/writing/sessions/{id}/references/{n}': J(Reference),
  'DELETE /api/writing/sessions/{id}/references/{n}': J(ReferenceDeleted),
  'GET /api/writing/sessions/{id}/export': FILE(/^(text\/markdown|text\/html|application\/pdf|application\/vnd\.openxmlformats)/),
  'POST /api/writing/sessions/{id}/render': J(Rendered),
  'POST /mcp': J(JsonRpcReply, union(ErrorBody, JsonRpcError)),
  'GET /mcp': J(nul),
  'DELETE /mcp': J(anyObj),
  'GET /api/mcp/servers': J(McpServers),
  'POST /api/mcp/servers/{name}/import': J(McpImported),
  'GET /api/plugins': J(PluginList),
  // a plugin's own route answers the plugin's body; only its errors are the server's
  'GET /api/plugins/{name}/{path}': J(unknown),
  'POST /api/plugins/{name}/{path}': J(unknown),
  'GET /api/agents': J(AgentList),
  'POST /api/agents': J(Agent),
  'GET /api/agents/{name}': J(AgentWithVersions),
  'PUT /api/agents/{name}': J(Agent),
  'DELETE /api/agents/{name}': J(Agent),
};

/** the `data` of a chat event (chat:ID) */
export type ChatEventData<E extends keyof typeof ChatEvents> = Infer<(typeof ChatEvents)[E]>;
/** the `data` of a research-chat event (draft:ID) */
export type DraftEventData<E extends keyof typeof DraftEvents> = Infer<(typeof DraftEvents)[E]>;
/** the `data` of a documents event */
export type DocumentEventData<E extends keyof typeof DocumentEvents> = Infer<(typeof DocumentEvents)[E]>;
