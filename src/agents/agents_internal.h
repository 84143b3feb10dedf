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
#include "llm/llm.h"
#include "store/missions.h"

#define AGENTS_MAX_RUNNING 64

typedef struct {
  char id[17];
  atomic_int cancel;
  int used;
} agents_slot_t;

struct agents {
  app_t *app;
  pthread_mutex_t lock;
  agents_slot_t slots[AGENTS_MAX_RUNNING];
  /* scheduler thread (schedule.c), guarded by lock */
  pthread_t sched_thread;
  pthread_cond_t sched_cond;
  int sched_running, sched_stop;
};

typedef struct {
  agents_t *ag;
  app_t *app;
  char id[17], user_id[17];
  json_t *row; /* the mission row at start (owned) */
  const char *title, *description, *group_id;
  json_t *questions; /* borrowed from row */
  int use_docs, use_web, offline;
  int use_scholarly;             /* "scholarly" in sources (scholarly.c) */
  json_t *scholarly_providers;   /* settings.scholarly_providers, borrowed; NULL: the user's settings */
  char language[16]; /* "en", "ko", ... */
  char tone[32], length[32];
  int max_rounds, max_reflections, max_passes, notes_per_section, concurrency;
  double quality_target, max_cost;
  long long max_tokens;
  atomic_int *cancel;      /* the slot's flag */
  atomic_int *cancel_user; /* the caller's extra flag (CLI), may be NULL */
  int64_t t0;
} mrun_t;

/* The "What changed since the last run" body (Markdown, no heading) of a
 * run compared with prev_id (must belong to user_id, else NULL): new and
 * removed sources, new/removed sections, sections whose content changed.
 * sections/drafts/notes are the current run's. malloc'd (schedule.c). */
char *schedule_changes(app_t *app, const char *user_id, const char *prev_id, const char *lang, json_t *sections,
                       json_t *drafts, json_t *notes);

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
} passage_t;

typedef struct {
  passage_t *v;
  size_t n;
} passages_t;
void passages_free(passages_t *p);

/* ---- text helpers (text.c) ---- */

/* Normalised copy for quote matching: NFKC-like folding of quotes, dashes,
 * spaces and ligatures, whitespace collapsed, trimmed. malloc'd. */
char *agent_norm(const char *s);
/* 1 when quote (>= 12 chars after normalisation) occurs in source. */
int agent_quote_in(const char *quote, const char *source);
/* Content tokens (lowercase words >= 3 letters minus stop words, CJK
 * bigrams) as a JSON array of strings (new reference). */
json_t *agent_tokens(const char *text);
/* Share of the sentence's tokens found in evidence, 0..1 (1 when the
 * sentence has no tokens). */
double agent_support(const char *sentence, const char *evidence);
/* Sentences of a text (JSON array of strings); citation markers after a
 * sentence end stay with the sentence. */
json_t *agent_sentences(const char *text);
/* "ko" when the text is mostly Hangul, "ja"/"zh" for Kana/Han, else "en". */
const char *agent_detect_language(const char *text);
/* Replaces {{name}} placeholders with the string members of vars. malloc'd. */
char *agent_fill(const char *tmpl, json_t *vars);
/* The template of a role: PROMPTS_DIR/<role>.md, else the embedded one.
 * malloc'd, or NULL when neither exists. */
char *agent_prompt(app_t *app, const char *role);

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

/* ---- research gathering (researcher.c) ---- */

/* Reads passages for a section: library search (scoped to the mission's
 * user and group) and, when enabled, web search + fetch. */
int research_gather(mrun_t *m, json_t *section, passages_t *out, char *err, size_t errlen);
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

/* ---- agents ---- */

/* Planner: analysis + outline. *analysis and *sections (flat array with
 * ids, parent_id, position) are new references. */
int planner_run(mrun_t *m, json_t **analysis, json_t **sections, store_mevs_t *evs, char *err, size_t errlen);
/* Researcher: notes for one section from its passages (quotes verified). */
int researcher_run(mrun_t *m, json_t *section, const passages_t *ps, json_t **notes, store_mevs_t *evs, char *err,
                   size_t errlen);
/* Reflector: per-section quality and gaps, outline changes. Returns the new
 * flat outline in *sections (new reference). */
int reflector_run(mrun_t *m, json_t *sections, json_t *notes, json_t **out_sections, store_mevs_t *evs, char *err,
                  size_t errlen);
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

#endif
