/*
 * msettings.c - the one table of mission settings (settings of POST
 * /api/missions): each key with its type and range. agents_mission_create
 * refuses a request whose settings hold an unknown key or a value out of
 * its range, naming the field; the depth table (depth.c) gives the
 * depth-dependent defaults, mrun_load the rest. docs/missions.md lists the
 * same keys.
 */
#include <stdio.h>
#include <string.h>

#include "agents/agents_internal.h"
#include "agents/custom.h"

typedef enum { MS_INT, MS_NUM, MS_BOOL, MS_STR, MS_CUSTOM } ms_kind_t;

typedef struct {
  const char *key;
  ms_kind_t kind;
  double lo, hi; /* MS_INT/MS_NUM: range; MS_STR: length in bytes */
  int (*check)(json_t *v, char *err, size_t errlen); /* MS_CUSTOM: the module that owns the values */
} msetting_t;

/* depth names live in the depth table (depth.c) */
static int check_depth(json_t *v, char *err, size_t errlen) {
  if (json_is_string(v) && agent_depth(json_string_value(v))) return 0;
  snprintf(err, errlen, "settings.depth must be quick, standard or deep");
  return -1;
}

static const msetting_t MSETTINGS[] = {
    {"depth", MS_CUSTOM, 0, 0, check_depth},
    {"max_rounds", MS_INT, 1, 20, NULL},
    {"max_reflections", MS_INT, 1, 20, NULL},
    {"max_passes", MS_INT, 1, 10, NULL},
    {"notes_per_section", MS_INT, 1, 50, NULL},
    {"concurrency", MS_INT, 1, 8, NULL},
    {"max_sections", MS_INT, 1, 40, NULL},
    {"queries_per_question", MS_INT, 1, 8, NULL},
    {"passages_per_section", MS_INT, 1, 64, NULL},
    {"max_tokens", MS_INT, 0, 1e9, NULL},
    {"max_cost", MS_NUM, 0, 1e6, NULL},
    {"quality_target", MS_NUM, 0, 1, NULL},
    {"language", MS_STR, 2, 15, NULL},
    {"tone", MS_STR, 1, 32, NULL},
    {"length", MS_STR, 1, 32, NULL},
    {"offline", MS_BOOL, 0, 0, NULL},
    {"keep_language", MS_BOOL, 0, 0, NULL},
    {"previous_run", MS_STR, 16, 16, NULL},
    {"scholarly_providers", MS_CUSTOM, 0, 0, scholarly_check_providers},
    {"custom_agents", MS_CUSTOM, 0, 0, custom_agents_check_setting}, /* names; custom.c checks they exist */
};

static int check_one(const msetting_t *d, json_t *v, char *err, size_t errlen) {
  switch (d->kind) {
  case MS_INT:
    if (json_is_integer(v) && json_integer_value(v) >= d->lo && json_integer_value(v) <= d->hi) return 0;
    snprintf(err, errlen, "settings.%s must be an integer from %.0f to %.0f", d->key, d->lo, d->hi);
    return -1;
  case MS_NUM:
    if (json_is_number(v) && json_number_value(v) >= d->lo && json_number_value(v) <= d->hi) return 0;
    snprintf(err, errlen, "settings.%s must be a number from %g to %g", d->key, d->lo, d->hi);
    return -1;
  case MS_BOOL:
    if (json_is_boolean(v)) return 0;
    snprintf(err, errlen, "settings.%s must be true or false", d->key);
    return -1;
  case MS_STR:
    if (json_is_string(v) && json_string_length(v) >= d->lo && json_string_length(v) <= d->hi) return 0;
    snprintf(err, errlen, "settings.%s must be a string of %.0f to %.0f characters", d->key, d->lo, d->hi);
    return -1;
  case MS_CUSTOM:
    return d->check(v, err, errlen);
  }
  return -1;
}

int mission_settings_check(json_t *settings, char *err, size_t errlen) {
  const char *key;
  json_t *v;
  json_object_foreach(settings, key, v) {
    const msetting_t *d = NULL;
    for (size_t i = 0; i < sizeof MSETTINGS / sizeof MSETTINGS[0] && !d; i++)
      if (!strcmp(MSETTINGS[i].key, key)) d = &MSETTINGS[i];
    if (!d) {
      snprintf(err, errlen, "settings.%.64s is not a mission setting", key);
      return -1;
    }
    if (json_is_null(v)) continue; /* null: the default */
    if (check_one(d, v, err, errlen) != 0) return -1;
  }
  return 0;
}

json_t *agents_mission_request_from_row(json_t *row) {
  json_t *req = json_object();
  static const char *const COPY[][2] = {{"title", "title"},
                                        {"description", "description"},
                                        {"questions", "research_questions"},
                                        {"sources", "sources"}};
  for (size_t i = 0; i < sizeof COPY / sizeof COPY[0]; i++) {
    json_t *v = json_object_get(row, COPY[i][0]);
    if (v && !json_is_null(v)) json_object_set_new(req, COPY[i][1], json_deep_copy(v));
  }
  json_t *g = json_object_get(row, "group_id");
  if (json_is_string(g)) json_object_set(req, "group_id", g);
  json_t *settings = json_object_get(row, "settings");
  json_object_set_new(req, "settings", json_is_object(settings) ? json_deep_copy(settings) : json_object());
  json_object_set_new(req, "allow_empty", json_true());
  return req;
}
