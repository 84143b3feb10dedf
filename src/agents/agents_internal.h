/*
 * agents_internal.h - what the controller and the agent modules share.
 *
 * mrun_t is one running mission: its settings and limits, read once when the
 * run starts, plus the cancel flag. Agents never write the store directly
 * except through the controller's commit helpers; each returns its results
 * and the events to commit with them (store_mevs_t).
 */
#ifndef MAESTRO_AGENTS_INTERNAL_H
#define MAESTRO_AGENTS_INTERNAL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "agents/agents.h"
#include "agents/tools.h"
#include "base/buf.h"
#include "base/text.h"
#include "llm/llm.h"
#include "plugins/plugins.h"
#include "store/missions.h"

#define AGENTS_MAX_RUNNING 64

typedef struct {
  char id[17];
  atomic_int cancel;
  int used;
} agents_slot_t;

struct agents {
  agents_deps_t deps; /* copied by agents_new */
  pthread_mutex_t lock;
  agents_slot_t slots[AGENTS_MAX_RUNNING];
  /* scheduler thread (schedule.c), guarded by lock */
  pthread_t sched_thread;
  pthread_cond_t sched_cond;
  int sched_running, sched_stop;
  /* model calls in flight: {mission_id: {call_key: call_started data}},
   * guarded by lock; listed by agents_inflight_json() */
  json_t *inflight;
  /* one section commit (notes, draft) at a time, so that the progress in
   * its events is computed and emitted in commit order */
  pthread_mutex_t commit_lock;
  /* providers of the tools research may call (tools.c), set at start */
  agent_tools_provider_fn tool_providers[8];
  void *tool_provider_ctx[8];
  int ntool_providers;
};

typedef struct {
  agents_t *ag;
  const agents_deps_t *deps; /* &ag->deps */
  char id[17], user_id[17];
  json_t *row; /* the mission row at start (owned) */
  const char *title, *description, *group_id;
  json_t *questions; /* borrowed from row */
  int use_docs, use_web, offline;
  int use_scholarly;             /* "scholarly" in sources (scholarly.c) */
  int use_tools;                 /* "tools" in sources: the user's MCP tools (research_tools) */
  int use_plugins;               /* a "plugin:<name>/<source>" in sources (plugin_gather) */
  json_t *scholarly_providers;   /* settings.scholarly_providers, borrowed; NULL: the user's settings */
  char language[16]; /* "en", "ko", ... */
  char tone[32], length[32];
  int max_rounds, max_reflections, max_passes, notes_per_section, concurrency;
  double quality_target, max_cost;
  long long max_tokens;
  /* depth (depth.c): the row's values unless a setting overrides them */
  char depth[12];           /* "quick", "standard", "deep" */
  int max_sections;         /* top-level sections kept from the planner */
  int queries_per_question; /* searches per research question */
  int hits_per_search;      /* library results per search */
  int passages_per_section; /* passages read per section and round */
  int web_pages;            /* web pages fetched per section and round */
  int split_sections;       /* 1: rich sections split into subsections */
  int words_per_note;       /* writer's length target per note */
  atomic_int *cancel;       /* the slot's flag */
  atomic_int *cancel_user;  /* the caller's extra flag (CLI), may be NULL */
  int64_t t0;
  /* what the agent calls made with this mrun_t are about ({section_id,
   * section_title, round, query, passages}, borrowed, may be NULL): shown
   * with call_started and agent_log. A worker sets it on its own copy. */
  json_t *call_context;
  /* a custom agent's call (custom.c), set on a copy: role_prompt replaces
   * the role's template, agent_label names the agent on the call, its
   * events and metrics (both borrowed, NULL for the built-in agents) */
  const char *role_prompt, *agent_label;
  /* settings.custom_agents resolved when the run started: [{name, version,
   * definition, ...}] (owned by agents_mission_run; never NULL there) */
  json_t *custom_agents;
} mrun_t;

/* The "What changed since the last run" body (Markdown, no heading) of a
 * run compared with prev_id (must belong to user_id, else NULL): new and
 * removed sources, new/removed sections, sections whose content changed.
 * sections/drafts/notes are the current run's. malloc'd (schedule.c). */
char *schedule_changes(const agents_deps_t *deps, const char *user_id, const char *prev_id, const char *lang,
                       json_t *sections, json_t *drafts, json_t *notes);

/* 1 when the run should stop now (pause/stop/Ctrl-C/shutdown). */
int mrun_cancelled(mrun_t *m);

/*
 * Records that a step had to skip something (no passages for a section, web
 * search without a provider, a provider failing, a budget reached, a model
 * answer replaced by the extractive agent): appended to the mission's
 * warnings, committed and pushed live as a "warning" event at once, listed
 * in the report's run record. code is a stable identifier ("web_no_provider",
 * "no_passages", ...); section_id may be NULL; round 0 means none. The same
 * warning (code, section, message) is recorded once however often a step
 * re-runs. Thread-safe.
 */
void mrun_warn(mrun_t *m, const char *code, const char *section_id, int round, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* On whose behalf the mission calls a plugin (search, tool): its owner, the
 * mission (the record of the plugin's model calls) and whether it runs
 * offline. The strings are m's: valid while the run lives. */
plugins_caller_t mrun_plugins_caller(const mrun_t *m);

/* Commits evs (store_mission_events) and publishes them live. */
void mrun_commit_events(mrun_t *m, store_mevs_t *evs);

/* ---- depth and prompt budgets (depth.c) ---- */

/* One row of the depth table: the defaults a depth gives a mission. */
typedef struct {
  const char *name;
  int sections, queries, hits, passages, notes, rounds, passes, split, words, web;
} agent_depth_t;

#define AGENT_DEFAULT_CONTEXT 8192

/* The row of a depth name, NULL when the name is not a depth. */
const agent_depth_t *agent_depth(const char *name);
/* Tokens the user message of a call of role to tier may take: the tier's
 * context_window (AGENT_DEFAULT_CONTEXT when unset) minus the completion
 * reserve (the endpoint's max_tokens, at most a third of the window) and
 * the role's system prompt. At least 64. */
int agent_prompt_budget(mrun_t *m, llm_tier_t tier, const char *role);
/*
 * Appends items[from..] (JSON strings) to u while the estimated tokens of u
 * stay within budget. When even items[from] does not fit, its head is
 * appended (a call always carries something). Returns the index of the
 * first item not appended; *dropped (may be NULL) gets how many of the
 * items from there to the end were left out.
 */
size_t agent_fit(buf_t *u, int budget, json_t *items, size_t from, int *dropped);
/* The notes of a section split among its subsections: an array with one
 * array per subsection (borrowed notes), each note in the subsection whose
 * title or questions its quote, summary and source share most words with. */
json_t *agent_group_notes(json_t *subsections, json_t *notes);
/* Deep depth: subsections for a section whose evidence is rich (at least
 * notes_per_section notes from 4 or more sources), one per research
 * question that at least 3 notes answer (2 to 5); new section rows
 * {id "<sid>.k", parent_id, title, questions}, or NULL when the section
 * stays whole (depth without splitting, too few notes or groups). */
json_t *agent_split_section(mrun_t *m, json_t *section, json_t *notes);

/* A passage read for a section: the evidence notes are taken from. */
typedef struct {
  char label[8]; /* "P1" */
  int web;       /* 0 document, 1 web page */
  char *text;
  char *title, *url, *authors;
  char document_id[17];
  long long chunk_id;
  int page;
  char *year, *venue, *doi; /* a scholarly paper's (scholarly.c); NULL otherwise */
  int tool; /* a tool's result (tool_use.c): web is set too and url is the locator "mcp://server/tool?{args}";
             * its notes are stored as source_type 'web' (the table allows document|web) */
  /* a plugin source's passage has web = 1 and url "plugin:<name>/<source>#<locator>" */
} passage_t;

typedef struct {
  passage_t *v;
  size_t n;
  int searches; /* library and web searches made to find them */
} passages_t;
void passages_free(passages_t *p);

/* Searches the mission's plugin sources (plugin:<name>/<source> in its
 * sources) with the section's queries: passages whose url is
 * "plugin:<name>/<source>#<locator>" (researcher.c). A plugin failing is a
 * warning, not an error. */
void plugin_gather(mrun_t *m, json_t *section, json_t *queries, passages_t *out, json_t *seen);

/* ---- custom agents (custom.c; custom.h) ---- */

/* The agents of settings.custom_agents at their current versions (store
 * rows, see store_cagent_get); a name disabled or deleted since the
 * mission was created is a warning. New reference, never NULL. */
json_t *custom_agents_resolve(mrun_t *m);
/* Runs the after_research agents on one section: ps the passages it read
 * (a tool an agent calls adds none to ps), notes the researcher's new notes,
 * to which verified agent notes are appended (stored with them by the
 * caller). Runs and skips are recorded; their events go to evs. */
void custom_after_research(mrun_t *m, json_t *section, int round, passages_t *ps, json_t *notes, store_mevs_t *evs);
/* Runs the before_writing agents over every note; records and emits. */
void custom_before_writing(mrun_t *m, int round);

/* ---- text helpers (text.c) ---- */

/* Normalised copy for quote matching: NFKC-like folding of quotes, dashes,
 * spaces and ligatures, whitespace collapsed, trimmed. malloc'd. */
char *agent_norm(const char *s);
/* 1 when quote (>= 12 chars after normalisation) occurs in source. */
int agent_quote_in(const char *quote, const char *source);
/* Content tokens and a sentence's support by a passage: text_tokens and
 * text_support (base/text.h), shared with the chat. */
/* Sentences of a text (JSON array of strings); citation markers after a
 * sentence end stay with the sentence. */
json_t *agent_sentences(const char *text);
/* "ko" when the text is mostly Hangul, "ja"/"zh" for Kana/Han, else "en". */
const char *agent_detect_language(const char *text);
/* Replaces {{name}} placeholders with the string members of vars. malloc'd. */
char *agent_fill(const char *tmpl, json_t *vars);
/* The template of a role: PROMPTS_DIR/<role>.md, else the embedded one.
 * malloc'd, or NULL when neither exists. */
char *agent_prompt(const agents_deps_t *deps, const char *role);

/* ---- calls (mission.c) ---- */

/*
 * One model call for an agent of the mission: system prompt from the role's
 * template filled with vars, the user message as given; schema (may be NULL)
 * for structured output. On success *json (when schema) / *text (may be
 * NULL) are set and an agent_log event is added to evs. Returns an LLM_*
 * code with err.
 */
int agent_call(mrun_t *m, const char *role, llm_tier_t tier, json_t *vars, const char *user, json_t *schema,
               json_t **json, char **text, const char *action, store_mevs_t *evs, char *err, size_t errlen);

/* A re-ask: the rejected answer and why it was rejected. */
typedef struct {
  const char *previous;
  const char *complaint;
} agent_retry_t;

/* What agent_call_ex reports besides the answer. */
typedef struct {
  char finish_reason[32]; /* "stop", "length", ... */
  char call_id[17];
  char *system; /* the filled system prompt (malloc'd, the caller frees) */
} agent_reply_t;

/*
 * agent_call with a re-ask and a report: retry (may be NULL) adds the
 * previous answer and a message saying why it was rejected and what to
 * answer instead; *text (may be NULL) is set for structured calls too (the
 * raw answer); info (may be NULL) gets the finish reason, the call id and
 * the system prompt.
 */
int agent_call_ex(mrun_t *m, const char *role, llm_tier_t tier, json_t *vars, const char *user,
                  const agent_retry_t *retry, json_t *schema, json_t **json, char **text, const char *action,
                  store_mevs_t *evs, agent_reply_t *info, char *err, size_t errlen);

/* ---- answer guards (guard.c) ---- */

/* agent_ask: both answers were rejected; the agent falls back. */
#define AGENT_REJECTED (-20)

/* What a prose answer (section text, revision, introduction, conclusion)
 * must satisfy. */
typedef struct {
  const char *instructions;  /* the system prompt, for echo detection (may be NULL) */
  const char *language;      /* the mission's language code (NULL: not checked) */
  size_t nnotes;             /* notes are numbered [1]..[nnotes]; other numbers are dropped */
  int need_citation;         /* 1: at least one valid [n] (when nnotes > 0) */
  const char *finish_reason; /* "length" rejects (may be NULL) */
} guard_prose_t;

/*
 * Normalises a prose answer and checks it. Returns 0 with *out (malloc'd,
 * the caller frees) the usable text: reasoning blocks stripped, a JSON
 * wrapper unwrapped, code fences removed, citations as local [n] with the
 * numbers of notes that do not exist dropped (counted in *dropped),
 * sentences said twice dropped (guard_repeats).
 * Returns -1 with *out NULL and what was wrong in why (one phrase, for the
 * re-ask and the warning).
 */
int guard_prose(const char *answer, const guard_prose_t *g, char **out, int *dropped, char *why, size_t whylen);
/* The normalisers and checks guard_prose is made of (exposed for tests). */
/* Text without a Markdown code fence around it. malloc'd. */
char *guard_strip_fences(const char *text);
/* Prose answered as JSON: the string member holding it ({"answer": ...},
 * "text", "content", ... else the longest string), *was_json = 1; NULL when
 * the JSON holds no prose. Text that is not JSON comes back as is (fences
 * stripped). malloc'd. */
char *guard_unwrap_json(const char *text, int *was_json);
/* Citations in the forms [n], [note n], [P n], [^n], [1, 2], [1-3], (n),
 * (note n), 【n】, ^n as local [n] markers; numbers outside 1..nnotes are
 * dropped and counted in *dropped (bare (n) and ^n outside the range are
 * left as written: years, list numbers, exponents). malloc'd. */
char *guard_citations(const char *text, size_t nnotes, int *valid, int *dropped);
/* Sentences said twice: a sentence of five words or more whose words (case,
 * punctuation and [n] markers aside) are those of an earlier sentence is
 * dropped, and the [n] markers it had that the first lacks are added to the
 * first. Headings and table rows are left alone. *removed counts the
 * dropped sentences, *considered the sentences compared. guard_prose
 * rejects an answer when three or more sentences and at least half of them
 * were repeats (a model stuck in a loop). malloc'd. */
char *guard_repeats(const char *text, int *removed, int *considered);
/* 1 when answer shares a verbatim run of about ten words with instructions
 * (word 8-grams). */
int guard_echo(const char *answer, const char *instructions);
/* 1 when text is written in the script of language (Hangul for ko, Kana/Han
 * for ja and zh, else Latin and others); short texts always pass. */
int guard_language_ok(const char *text, const char *language);
/* 1 when q reads as a question: ends with '?' / '？', starts with an English
 * interrogative, or is CJK text (lenient). */
int guard_is_question(const char *q, const char *language);

/* One guarded model call: role, tier, vars, user, schema and action as for
 * agent_call; prose answers (schema NULL) go through guard_prose with
 * prose's nnotes/need_citation; structured answers through check (may be
 * NULL), which may repair the answer in place and returns 0 when it is
 * usable, else -1 with why. */
typedef struct {
  const char *role;
  llm_tier_t tier;
  json_t *vars;
  const char *user;
  json_t *schema;
  const char *action;
  guard_prose_t prose;
  int (*check)(mrun_t *m, const char *instructions, json_t *answer, void *ud, char *why, size_t whylen);
  void *ud;
} agent_ask_t;

/*
 * Asks, checks, and on a rejection asks once more saying what was wrong.
 * LLM_OK: *json (structured) or *text (prose, normalised, local [n]
 * markers; malloc'd) is set and *dropped (may be NULL) counts the citations
 * dropped. AGENT_REJECTED: both answers were unusable (also when the model
 * layer gave up on invalid JSON); why says the last reason and the caller
 * falls back to the extractive agent (agent_fallback). Other LLM_* codes
 * (endpoint down, cancelled) as agent_call.
 */
int agent_ask(mrun_t *m, const agent_ask_t *a, json_t **json, char **text, int *dropped, store_mevs_t *evs, char *why,
              size_t whylen, char *err, size_t errlen);
/* Records that the extractive agent did a step instead of role: a
 * "fallback" warning naming the agent, what ("section \"X\"") and why, and
 * an agent_log entry (model "extractive") in evs. */
void agent_fallback(mrun_t *m, const char *role, const char *section_id, const char *what, const char *why,
                    store_mevs_t *evs);

/* Each agent's guarded call and its fallback (fallback.c). On a second
 * rejection the extractive agent does the step and agent_fallback records it;
 * they return LLM_OK then, with the extractive result where said. */
/* Writer / reviser (role): *text is the section body with local [n] markers
 * (or, after a fallback, offline_write's [#ID] markers). malloc'd. */
int guard_write(mrun_t *m, const char *role, json_t *section, json_t *notes, json_t *vars, const char *user,
                const char *action, char **text, store_mevs_t *evs, char *err, size_t errlen);
/* Reviewer: *review with usable introduction/conclusion and existing section
 * ids; on a fallback offline_review's (no revision). */
int guard_review(mrun_t *m, json_t *sections, json_t *drafts, const char *user, json_t *schema, json_t **review,
                 store_mevs_t *evs, char *err, size_t errlen);
/* Reflector: *out with existing ids and qualities 0..1; on a fallback *out
 * is NULL and *fallback is offline_reflect's new outline. */
int guard_reflect(mrun_t *m, json_t *sections, json_t *notes, json_t *vars, const char *user, json_t *schema,
                  json_t **out, json_t **fallback, store_mevs_t *evs, char *err, size_t errlen);
/* Planner: *out with questions that are questions; on a fallback *out is
 * NULL and *analysis / *sections are offline_plan's. */
int guard_plan(mrun_t *m, json_t *vars, const char *user, json_t *schema, json_t **out, json_t **analysis,
               json_t **sections, store_mevs_t *evs, char *err, size_t errlen);
/* Researcher: *out as the model answered; on a fallback *out is NULL and
 * *fallback holds offline_notes' notes. */
int guard_notes(mrun_t *m, json_t *section, const passages_t *ps, json_t *vars, const char *user, json_t *schema,
                const char *action, json_t **out, json_t **fallback, store_mevs_t *evs, char *err, size_t errlen);

/* After verification: a section that has notes but no supported cited
 * sentence is rewritten by the extractive agent (offline_write), verified
 * again, and recorded as a fallback. changed ({section_id: text}) gets the
 * new texts; details / *checked / *supported are updated. Returns 0, or the
 * verifier's error. */
int guard_unverified(mrun_t *m, json_t *sections, json_t *drafts, json_t *notes, json_t *changed, json_t *details,
                     int *checked, int *supported, store_mevs_t *evs, char *err, size_t errlen);

/* ---- research gathering (researcher.c) ---- */

/* Reads passages for a section: library search (scoped to the mission's
 * user and group) and, when enabled, web search + fetch. */
int research_gather(mrun_t *m, json_t *section, passages_t *out, char *err, size_t errlen);
/* With "tools" among the sources and a model: asks the tool_user agent
 * whether one of the user's tools (tools.h) answers a question of the
 * section better than the passages, calls the one it picks with the
 * arguments it gives (checked against the tool's schema; a bad choice is
 * re-asked once) and appends the result to out as a passage whose locator
 * is the tool and its arguments. Failures become mission warnings.
 * (tool_use.c) */
void research_tools(mrun_t *m, json_t *section, passages_t *out, store_mevs_t *evs);
/* research_tools for a custom agent: only the tools named in allowed (MCP
 * tools "server.tool" and plugin tools "plugin.tool"), the call made in the
 * name of m->agent_label. */
void research_tools_for(mrun_t *m, json_t *section, passages_t *out, store_mevs_t *evs, json_t *allowed);
/* Builds a note object (see store_mission_add_notes) from a passage. */
json_t *research_note(const passage_t *p, const char *quote, const char *content, int credibility);
/* A new passage at the end of ps (labelled, zeroed otherwise). */
passage_t *research_add_passage(passages_t *ps);
/* The paragraphs of text that best match query (malloc'd). */
char *research_best_window(const char *text, const char *query);

/* ---- scholarly sources (scholarly.c) ---- */

/* Papers for a section from the scholarly providers (settings.scholarly_
 * providers or the user's), merged across providers, each read in full when
 * an open-access PDF exists (else its abstract), appended to out; problems
 * become mission warnings. seen holds the keys already used. */
void scholarly_gather(mrun_t *m, json_t *section, json_t *queries, const char *qall, passages_t *out, json_t *seen);
/* Adds year, venue and doi of a scholarly passage to its note. */
void scholarly_note_meta(const passage_t *p, json_t *note);
/* 0 when v (settings.scholarly_providers) is absent or a list of known
 * provider names, else -1 with err. */
int scholarly_check_providers(json_t *v, char *err, size_t errlen);

/* Checks a mission's settings against the one table of mission settings
 * (msettings.c): an unknown key or a value of the wrong type or out of its
 * range is -1 with err naming the field ("settings.max_rounds must be ...").
 * JSON null means "the default" and passes. */
int mission_settings_check(json_t *settings, char *err, size_t errlen);

/* ---- agents ---- */

/* Planner: analysis + outline. *analysis and *sections (flat array with
 * ids, parent_id, position) are new references. */
int planner_run(mrun_t *m, json_t **analysis, json_t **sections, store_mevs_t *evs, char *err, size_t errlen);
/* Researcher: notes for one section from its passages (quotes verified). */
int researcher_run(mrun_t *m, json_t *section, const passages_t *ps, json_t **notes, store_mevs_t *evs, char *err,
                   size_t errlen);
/* Reflector: per-section quality and gaps, outline changes. Returns the new
 * flat outline in *sections (new reference) and, when assessment is not
 * NULL, the reasoning behind it (new reference): {"sections":[{id, title,
 * quality, gaps, contradictions, new_questions}], "outline_changes":[...]}. */
int reflector_run(mrun_t *m, json_t *sections, json_t *notes, json_t **out_sections, json_t **assessment,
                  store_mevs_t *evs, char *err, size_t errlen);
/* Writer: a section body with [#NOTEID] markers (malloc'd *text). previous
 * and suggestions may be NULL (first pass). */
int writer_run(mrun_t *m, json_t *section, json_t *subsections, json_t *notes, const char *previous,
               json_t *suggestions, char **text, store_mevs_t *evs, char *err, size_t errlen);
/* Reviewer: {"introduction","conclusion","sections":[{id,needs_revision,suggestions}]}. */
int reviewer_run(mrun_t *m, json_t *sections, json_t *drafts, json_t **review, store_mevs_t *evs, char *err,
                 size_t errlen);
/*
 * Verifier: checks every cited sentence of every draft against the notes it
 * cites. *out = {section_id: new_text} for drafts that changed, plus
 * *checked / *supported; *details gets [{section_id, sentence, score,
 * supported}] (new references).
 */
int verifier_run(mrun_t *m, json_t *drafts, json_t *notes, json_t **out, json_t **details, int *checked, int *supported,
                 store_mevs_t *evs, char *err, size_t errlen);

/* Offline (extractive) agents. */
int offline_plan(mrun_t *m, json_t **analysis, json_t **sections, char *err, size_t errlen);
json_t *offline_notes(mrun_t *m, json_t *section, const passages_t *ps);
json_t *offline_reflect(mrun_t *m, json_t *sections, json_t *notes);
char *offline_write(mrun_t *m, json_t *section, json_t *notes);
json_t *offline_review(mrun_t *m, json_t *sections, json_t *drafts);

/* Helpers shared by agents. */
/* Notes of one section from the mission's notes array (new array, borrowed items). */
json_t *agent_section_notes(json_t *notes, const char *section_id);
/* Replaces local [n] markers (1-based into notes) with [#NOTEID]; unknown
 * numbers are dropped. malloc'd. */
char *agent_localize_citations(const char *text, json_t *notes);
/* The note ids cited in a text ([#ID] markers), as a JSON array. */
json_t *agent_cited_ids(const char *text);
/* Text with [#ID] markers removed (for prompts and scoring). malloc'd. */
char *agent_strip_markers(const char *text);
/* text with each [#NOTEID] marker replaced by what put appends for its id
 * (put NULL: removed). malloc'd. */
char *agent_rewrite_markers(const char *text, void (*put)(buf_t *b, const char *id, void *ud), void *ud);

#endif
