/*
 * store/missions.h - research missions in the store (schema 005).
 *
 * A mission is normalised: the mission row (status, phase, round, pass,
 * settings, counters), its outline sections, research notes, section drafts
 * (one row per version) and report versions.
 *
 * Events: every write takes an optional event list (store_mevs_t). The
 * events in it are appended to the channel "mission:ID" inside the SAME
 * transaction as the write, and their seq/ts are filled in, so a state change
 * and its event commit together (or not at all). After the call returns the
 * caller pushes them to live listeners with events_notify() (see
 * agents/mission.c). Writes that add notes also add one note_added event per
 * note actually inserted.
 *
 * Results are JSON (new references owned by the caller). Row objects use
 * the column names; *_at columns are ISO-8601 strings, JSON columns parsed.
 * Owner scoping: functions taking user_id return STORE_NOT_FOUND for another
 * user's mission; user_id NULL means "any user" (admins, workers).
 * Thread-safe.
 */
#ifndef MAESTRO_STORE_MISSIONS_H
#define MAESTRO_STORE_MISSIONS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ---- Event lists ---- */
typedef struct {
  char *name;
  json_t *data;    /* owned */
  int64_t seq, ts; /* filled when committed (seq 0 before) */
} store_mev_t;

typedef struct {
  store_mev_t *v;
  size_t n, cap;
} store_mevs_t;

/* Adds an event; data is stolen (NULL means {}). */
void store_mevs_add(store_mevs_t *l, const char *name, json_t *data);
/* Frees every event and empties the list (the list itself is reusable). */
void store_mevs_clear(store_mevs_t *l);

/* ---- Missions ---- */

typedef struct {
  const char *user_id, *title, *description, *group_id, *schedule;
  json_t *questions, *sources, *settings; /* borrowed; NULL -> [] / [] / {} */
  int offline;
} store_mission_new_t;

/* Inserts a queued mission; id_out >= 17 bytes. */
int store_mission_insert(store_t *st, const store_mission_new_t *m, char *id_out, store_mevs_t *evs);
/* The mission row as JSON (plus notes_count, sections_count, last_seq). */
int store_mission_get(store_t *st, const char *user_id, const char *id, json_t **out);
/* Missions of a user (NULL: all), newest first. */
json_t *store_mission_list(store_t *st, const char *user_id, int limit, int offset);
int store_mission_delete(store_t *st, const char *user_id, const char *id);
/* The owner of a mission into owner (>= 17 bytes); STORE_NOT_FOUND. */
int store_mission_owner(store_t *st, const char *id, char *owner);

/*
 * Updates columns of the mission row from `fields` (keys among status,
 * phase, round, pass, offline, budget_hit, checked, supported, error, outcome,
 * analysis, review, started_at, finished_at; JSON null clears) with events.
 * When expect (NULL-terminated list of statuses) is given, the update only
 * happens if the current status is one of them: STORE_CONFLICT otherwise.
 */
int store_mission_update(store_t *st, const char *id, const char *const *expect, json_t *fields, store_mevs_t *evs);
/* Events alone, in their own transaction. */
int store_mission_events(store_t *st, const char *id, store_mevs_t *evs);
/*
 * Appends warning ({code, message, section_id?, round?, ts}; borrowed) to
 * the mission's warnings and adds a "warning" event carrying it to evs, in
 * one transaction. A warning already recorded (same code, message and
 * section) is not added twice: STORE_CONFLICT, and no event.
 */
int store_mission_add_warning(store_t *st, const char *id, json_t *warning, store_mevs_t *evs);

/* ---- Outline ---- */

/* Sections in order: [{id,parent_id,position,title,questions,priority,
 * quality,reflections,researched_round}] (flat; parent_id null at top). */
json_t *store_mission_sections(store_t *st, const char *id);
/*
 * Replaces the outline with `sections` (flat array as above; id required,
 * other fields default). Sections no longer present lose their notes and
 * drafts; kept sections keep their counters unless the object sets them.
 * Extra mission columns can change in the same transaction (fields, may be
 * NULL, as store_mission_update).
 */
int store_mission_set_sections(store_t *st, const char *id, json_t *sections, json_t *fields, store_mevs_t *evs);
/* Updates one section's quality / reflections / researched_round / questions
 * / title from fields. */
int store_mission_section_update(store_t *st, const char *id, const char *section_id, json_t *fields,
                                 store_mevs_t *evs);

/* ---- Notes ---- */

/*
 * Adds notes of one section (objects with id, quote, content, context,
 * source_type, source_key, document_id, chunk_id, page, url, source_title,
 * authors, credibility) and sets the section's researched_round = round in
 * the same transaction. A note equal to an existing one (same section,
 * source and quote) is skipped. *inserted (may be NULL) gets the count.
 */
int store_mission_add_notes(store_t *st, const char *id, const char *section_id, int round, json_t *notes,
                            int *inserted, store_mevs_t *evs);
/* Notes of a mission (section_id NULL: all), oldest first. */
json_t *store_mission_notes(store_t *st, const char *id, const char *section_id);
/* One note as its API JSON (the shape of note_added). */
json_t *store_mission_note_json(json_t *row);
/* Deletes notes of round >= round, resets researched_round/quality/reflections
 * of the sections, deletes drafts; with the mission fields and events. */
int store_mission_rewind(store_t *st, const char *id, int round, json_t *fields, store_mevs_t *evs);

/* ---- Drafts ---- */

/* Stores a new version of a section's draft; *version (may be NULL) gets it. */
int store_mission_put_draft(store_t *st, const char *id, const char *section_id, const char *kind, const char *content,
                            int *version, store_mevs_t *evs);
/* Current drafts: {section_id: {"version","kind","content"}}. */
json_t *store_mission_drafts(store_t *st, const char *id);
int store_mission_delete_drafts(store_t *st, const char *id);

/* ---- Reports ---- */

int store_mission_add_report(store_t *st, const char *id, const char *markdown, json_t *meta, json_t *fields,
                             int *version, store_mevs_t *evs);
/* version 0: latest. *out {version, markdown, meta, created_at}. */
int store_mission_report(store_t *st, const char *id, int version, json_t **out);
/* [{version, created_at, chars, author ("agent" | "user": meta.author), edited_by
 * (the user's name, or null)}] newest first. */
json_t *store_mission_report_versions(store_t *st, const char *id);

/* ---- Statistics ---- */

/* {total_missions, active_missions, completed_missions, avg_completion_time}
 * for user_id (NULL: all users). */
json_t *store_mission_stats(store_t *st, const char *user_id);
/* Missions whose status is running or queued (for start-up checks). */
int store_mission_count_active(store_t *st);

/* ---- Schedules ---- */

/* Ids of completed missions with a schedule whose next run is due at now_ms
 * (finished_at + the schedule's period: weekly 7 d, monthly 30 d, quarterly
 * 91 d; period_ms > 0 replaces it) and that no mission of the same user names
 * as its settings.previous_run yet. Oldest first, at most limit. NULL on
 * error. */
json_t *store_missions_due(store_t *st, int64_t now_ms, int64_t period_ms, int limit);

#endif
