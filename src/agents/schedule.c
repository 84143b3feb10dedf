/*
 * schedule.c - scheduled missions: a scheduler thread that creates the next
 * run of a completed mission with a schedule when it is due, and the "What
 * changed since the last run" comparison of a run with the previous one.
 *
 * A run is linked to the one before it by settings.previous_run (same user,
 * checked at creation); a mission is due when it completed at least one
 * period ago (weekly 7 d, monthly 30 d, quarterly 91 d; the setting
 * SCHEDULE_PERIOD_SECONDS replaces the period, for tests and demos) and no
 * run names it as previous yet, so every run is created once even across
 * restarts. The next run copies the title, description, questions, sources,
 * group, settings and schedule and goes through the normal mission job.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents/agents_internal.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/log.h"
#include "base/util.h"
#include "events/events.h"

static const char *L(const char *lang, const char *en, const char *ko) {
  return lang && !strcmp(lang, "ko") ? ko : en;
}

/* Draft text without [#NOTEID] markers, normalised: the comparable content. */
static char *plain(const char *content) {
  char *bare = agent_strip_markers(content);
  char *n = agent_norm(bare);
  free(bare);
  return n;
}

/* {source_key: title} of notes. */
static json_t *sources_of(json_t *notes) {
  json_t *out = json_object();
  size_t i;
  json_t *n;
  json_array_foreach(notes, i, n) {
    const char *key = json_string_value(json_object_get(n, "source_key"));
    const char *doc = json_string_value(json_object_get(n, "document_id"));
    const char *url = json_string_value(json_object_get(n, "url"));
    /* a web page by its whole address: versions written before the key was a
     * hash of it compare equal to later ones */
    if (url && url[0]) key = url;
    if (!key || !key[0]) key = doc && doc[0] ? doc : url;
    if (!key || !key[0]) continue;
    const char *t = json_string_value(json_object_get(n, "source_title"));
    json_object_set_new(out, key, json_string(t && t[0] ? t : (url ? url : key)));
  }
  return out;
}

/* {lowercased title: plain content} of the top-level sections. */
static json_t *sections_of(json_t *sections, json_t *drafts) {
  json_t *out = json_object();
  size_t i;
  json_t *s;
  json_array_foreach(sections, i, s) {
    if (json_is_string(json_object_get(s, "parent_id"))) continue;
    const char *title = json_string_value(json_object_get(s, "title"));
    const char *sid = json_string_value(json_object_get(s, "id"));
    if (!title || !sid) continue;
    char *key = agent_norm(title);
    for (char *c = key; *c; c++)
      if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    char *text = plain(json_string_value(json_object_get(json_object_get(drafts, sid), "content")));
    json_object_set_new(out, key, json_pack("{s:s, s:s}", "title", title, "content", text));
    free(key);
    free(text);
  }
  return out;
}

static void list_line(buf_t *b, const char *label, json_t *names) {
  if (!json_array_size(names)) return;
  buf_printf(b, "- %s: ", label);
  size_t i;
  json_t *v;
  json_array_foreach(names, i, v) buf_printf(b, "%s%s", i ? "; " : "", json_string_value(v));
  buf_puts(b, "\n");
}

char *schedule_changes(const agents_deps_t *deps, const char *user_id, const char *prev_id, const char *lang,
                       json_t *sections, json_t *drafts, json_t *notes) {
  json_t *prev = NULL;
  if (store_mission_get(deps->store, user_id, prev_id, &prev) != STORE_OK) return NULL; /* owner checked */
  json_t *psecs = store_mission_sections(deps->store, prev_id);
  json_t *pdrafts = store_mission_drafts(deps->store, prev_id);
  json_t *pnotes = store_mission_notes(deps->store, prev_id, NULL);
  json_t *a = sources_of(pnotes), *b = sources_of(notes);
  json_t *sa = sections_of(psecs, pdrafts), *sb = sections_of(sections, drafts);
  json_t *new_src = json_array(), *gone_src = json_array(), *new_sec = json_array(), *gone_sec = json_array();
  json_t *changed = json_array(), *same = json_array();
  const char *k;
  json_t *v;
  json_object_foreach(b, k, v) if (!json_object_get(a, k)) json_array_append(new_src, v);
  json_object_foreach(a, k, v) if (!json_object_get(b, k)) json_array_append(gone_src, v);
  json_object_foreach(sb, k, v) {
    json_t *old = json_object_get(sa, k);
    json_t *title = json_object_get(v, "title");
    if (!old)
      json_array_append(new_sec, title);
    else if (strcmp(json_string_value(json_object_get(old, "content")),
                    json_string_value(json_object_get(v, "content"))))
      json_array_append(changed, title);
    else
      json_array_append(same, title);
  }
  json_object_foreach(sa, k, v) if (!json_object_get(sb, k)) json_array_append(gone_sec, json_object_get(v, "title"));

  buf_t out = BUF_INIT;
  buf_init(&out);
  char date[40] = "";
  json_int_t fin = json_integer_value(json_object_get(prev, "finished_at"));
  util_iso_time(fin, date, sizeof date);
  date[10] = 0;
  buf_printf(&out, "%s: %s (%s).\n\n", L(lang, "Compared with the previous run", "이전 실행과 비교"),
             json_string_value(json_object_get(prev, "title")), date);
  size_t nchanges = json_array_size(new_src) + json_array_size(gone_src) + json_array_size(new_sec) +
                    json_array_size(gone_sec) + json_array_size(changed);
  if (!nchanges)
    buf_printf(&out, "- %s\n",
               L(lang, "No change: the same sections with the same content, from the same sources.",
                 "변경 없음: 같은 출처, 같은 섹션, 같은 내용."));
  list_line(&out, L(lang, "New sources", "새 출처"), new_src);
  list_line(&out, L(lang, "Sources no longer used", "더 이상 쓰이지 않는 출처"), gone_src);
  list_line(&out, L(lang, "New sections", "새 섹션"), new_sec);
  list_line(&out, L(lang, "Removed sections", "삭제된 섹션"), gone_sec);
  list_line(&out, L(lang, "Sections whose content changed", "내용이 바뀐 섹션"), changed);
  if (nchanges) list_line(&out, L(lang, "Unchanged sections", "바뀌지 않은 섹션"), same);

  json_decref(prev);
  json_decref(psecs);
  json_decref(pdrafts);
  json_decref(pnotes);
  json_decref(a);
  json_decref(b);
  json_decref(sa);
  json_decref(sb);
  json_decref(new_src);
  json_decref(gone_src);
  json_decref(new_sec);
  json_decref(gone_sec);
  json_decref(changed);
  json_decref(same);
  return buf_detach(&out, NULL);
}

int agents_schedule_tick(agents_t *ag) {
  const agents_deps_t *deps = &ag->deps;
  int64_t period = (int64_t)config_int(deps->cfg, "SCHEDULE_PERIOD_SECONDS") * 1000;
  json_t *due = store_missions_due(deps->store, util_now_ms(), period, 20);
  int created = 0;
  size_t i;
  json_t *v;
  json_array_foreach(due, i, v) {
    const char *id = json_string_value(v);
    json_t *row = NULL;
    if (store_mission_get(deps->store, NULL, id, &row) != STORE_OK) continue;
    json_t *req = agents_mission_request_from_row(row);
    json_object_set_new(json_object_get(req, "settings"), "previous_run", json_string(id));
    json_object_set(req, "schedule", json_object_get(row, "schedule"));
    char nid[17], err[512];
    agents_err_t why = AGENTS_OK;
    if (agents_mission_create(ag, json_string_value(json_object_get(row, "user_id")), req, 1, nid, &why, err,
                              sizeof err, NULL) == 0) {
      created++;
      log_info("agents", "scheduled run %s of mission %s (%s)", nid, id,
               json_string_value(json_object_get(row, "schedule")));
      char ch[64];
      snprintf(ch, sizeof ch, "mission:%s", id);
      json_t *d = json_pack("{s:s}", "id", nid);
      events_publish(deps->events, ch, "next_run", d, NULL);
      json_decref(d);
    } else
      log_warn("agents", "cannot create the next run of mission %s: %s", id, err);
    json_decref(req);
    json_decref(row);
  }
  json_decref(due);
  return created;
}

static void *scheduler_main(void *arg) {
  agents_t *ag = arg;
  long long every = config_int(ag->deps.cfg, "SCHEDULE_CHECK_SECONDS");
  pthread_mutex_lock(&ag->lock);
  while (!ag->sched_stop) {
    pthread_mutex_unlock(&ag->lock);
    agents_schedule_tick(ag);
    pthread_mutex_lock(&ag->lock);
    if (ag->sched_stop) break;
    struct timespec ts = util_mono_deadline(every < 1 ? 1000 : (int64_t)every * 1000);
    pthread_cond_timedwait(&ag->sched_cond, &ag->lock, &ts);
  }
  pthread_mutex_unlock(&ag->lock);
  return NULL;
}

int agents_scheduler_start(agents_t *ag) {
  if (!ag || ag->sched_running) return 0;
  ag->sched_stop = 0;
  if (pthread_create(&ag->sched_thread, NULL, scheduler_main, ag) != 0) return -1;
  ag->sched_running = 1;
  return 0;
}

void agents_scheduler_stop(agents_t *ag) {
  if (!ag || !ag->sched_running) return;
  pthread_mutex_lock(&ag->lock);
  ag->sched_stop = 1;
  pthread_cond_broadcast(&ag->sched_cond);
  pthread_mutex_unlock(&ag->lock);
  pthread_join(ag->sched_thread, NULL);
  ag->sched_running = 0;
}
