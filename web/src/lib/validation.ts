/*
 * Validation for the forms. Each validator returns a map field → i18n key of
 * the message; an empty map means the form can be sent. Messages are keys so
 * they switch language with the rest of the UI.
 */

export type Errors = Record<string, string>;

export interface MissionForm {
  title: string;
  description: string;
  questions: string[];
  useDocuments: boolean;
  useWeb: boolean;
  /** papers from arXiv, OpenAlex, Crossref, Semantic Scholar, PubMed */
  useScholarly: boolean;
  /** plugin sources ("plugin:<name>/<source>", GET /api/plugins) */
  pluginSources: string[];
  /** the tools of the MCP servers in Settings (sources "tools"; with another source) */
  useTools?: boolean;
  groupId: string;
  language: string;
  tone: string;
  length: string;
  maxRounds: string;
  maxPasses: string;
  budget: string;
  schedule: string;
  /** how far the research goes: settings.depth */
  depth: 'quick' | 'standard' | 'deep';
}

export const emptyMissionForm = (): MissionForm => ({
  title: '',
  description: '',
  questions: [''],
  useDocuments: true,
  useWeb: true,
  useScholarly: false,
  pluginSources: [],
  groupId: '',
  language: 'en',
  tone: 'neutral',
  length: 'medium',
  // empty: the depth's own number of rounds and review passes
  maxRounds: '',
  maxPasses: '',
  budget: '',
  schedule: '',
  depth: 'standard',
});

function intIn(v: string, lo: number, hi: number): boolean {
  if (!/^\s*\d+\s*$/.test(v)) return false;
  const n = Number(v);
  return n >= lo && n <= hi;
}

export function validateMission(f: MissionForm): Errors {
  const e: Errors = {};
  const title = f.title.trim();
  if (!title) e.title = 'v.required';
  else if (title.length < 3) e.title = 'v.titleShort';
  else if (title.length > 200) e.title = 'v.titleLong';
  if (f.description.length > 5000) e.description = 'v.descLong';
  const qs = f.questions.map((q) => q.trim());
  if (qs.filter(Boolean).length === 0) e.questions = 'v.questionNeeded';
  qs.forEach((q, i) => {
    if (q.length > 1000) e[`questions.${i}`] = 'v.questionLong';
  });
  if (!f.useDocuments && !f.useWeb && !f.useScholarly && !(f.pluginSources ?? []).length) e.sources = 'v.sourceNeeded';
  if (f.maxRounds.trim() !== '' && !intIn(f.maxRounds, 1, 20)) e.maxRounds = 'v.rounds';
  if (f.maxPasses.trim() !== '' && !intIn(f.maxPasses, 1, 10)) e.maxPasses = 'v.passes';
  if (f.budget.trim() !== '') {
    const b = Number(f.budget);
    if (!Number.isFinite(b) || b <= 0) e.budget = 'v.budget';
  }
  return e;
}

/** The POST /api/missions body for a valid form. */
export function missionPayload(f: MissionForm): Record<string, unknown> {
  const sources: string[] = [];
  if (f.useDocuments) sources.push('local_documents');
  if (f.useWeb) sources.push('web_search');
  if (f.useScholarly) sources.push('scholarly');
  sources.push(...(f.pluginSources ?? []));
  if (f.useTools) sources.push('tools');
  const settings: Record<string, unknown> = {
    language: f.language,
    tone: f.tone,
    length: f.length,
    depth: f.depth,
  };
  // rounds and passes left empty follow the depth (quick 1, standard 2, deep 3 rounds)
  if (f.maxRounds.trim() !== '') settings.max_rounds = Number(f.maxRounds);
  if (f.maxPasses.trim() !== '') settings.max_passes = Number(f.maxPasses);
  if (f.budget.trim() !== '') settings.max_cost = Number(f.budget);
  const body: Record<string, unknown> = {
    title: f.title.trim(),
    description: f.description.trim(),
    research_questions: f.questions.map((q) => q.trim()).filter(Boolean),
    sources,
    language: f.language,
    settings,
  };
  if (f.useDocuments && f.groupId) body.group_id = f.groupId;
  if (f.schedule) body.schedule = f.schedule;
  return body;
}

export function validatePasswordChange(current: string, next: string, confirm: string): Errors {
  const e: Errors = {};
  if (!current) e.current = 'v.required';
  if (next.length < 8) e.next = 'v.passwordShort';
  else if (next === current) e.next = 'v.passwordSame';
  if (confirm !== next) e.confirm = 'v.passwordMismatch';
  return e;
}

export function validateNewUser(username: string, password: string): Errors {
  const e: Errors = {};
  if (!/^[A-Za-z0-9_.@-]{3,64}$/.test(username.trim())) e.username = 'v.username';
  if (password.length < 8) e.password = 'v.passwordShort';
  return e;
}
