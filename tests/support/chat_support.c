/* chat_support.c - see chat_support.h. */
#include "chat_support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "rag/rag.h"
#include "rag_support.h"
#include "store/documents.h"
#include "store/events.h"

void chatsup_open(inproc_t *env, llmsup_fake_t *fake, const char *rules, const char *const *more) {
  llmsup_clear_env();
  char url[128], e_url[200];
  const char *extra[8] = {"LLM_MAX_RETRIES=1", "LLM_RETRY_BASE_MS=1", NULL};
  size_t n = 2;
  if (fake) {
    cr_assert_eq(llmsup_fake_start(fake, rules), 0, "fake model did not start");
    snprintf(e_url, sizeof e_url, "LOCAL_MODEL_URL=%s", llmsup_url(fake, "", url, sizeof url));
    extra[n++] = e_url;
    extra[n++] = "MODEL_NAME=fake-model";
  }
  for (size_t i = 0; more && more[i] && i < 3; i++) extra[n++] = more[i];
  inproc_open(env, extra);
}

void chatsup_add_doc(inproc_t *env, const char *user, const char *name, const char *text, char *id_out) {
  char path[400], err[512];
  snprintf(path, sizeof path, "%s/%s", env->dir, name);
  cr_assert_eq(rs_write_file(path, text, strlen(text)), 0);
  rag_add_t req = {.user_id = user, .filename = name, .src_path = path, .chunk_overlap = -1, .no_job = 1};
  int dup = 0;
  cr_assert_eq(rag_document_add(env->app->rag, &req, id_out, &dup, err, sizeof err), 0, "%s", err);
  cr_assert_eq(rag_ingest_document(env->app->rag, id_out, NULL, NULL, err, sizeof err), 0, "%s", err);
  store_doc_t *d = NULL;
  cr_assert_eq(store_doc_get(env->app->store, user, id_out, &d), STORE_OK);
  cr_assert_str_eq(d->status, "ready", "%s: %s", name, d->error ? d->error : "");
  store_doc_free(d);
}

json_t *chatsup_end_of_answer(inproc_t *env, const char *channel, json_int_t after) {
  int64_t deadline = util_mono_ms() + 30000;
  for (;;) {
    json_t *ev = store_event_list(env->app->store, channel, 0, 10000), *end = NULL;
    cr_assert_not_null(ev);
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e) {
      if (end || json_integer_value(json_object_get(e, "seq")) <= after) continue;
      const char *name = json_string_value(json_object_get(e, "event"));
      const char *role = json_string_value(json_object_get(json_object_get(e, "data"), "role"));
      if (!strcmp(name, "error") || (!strcmp(name, "message") && role && !strcmp(role, "assistant")))
        end = json_incref(e);
    }
    json_decref(ev);
    if (end) return end;
    cr_assert_lt(util_mono_ms(), deadline, "the answer on %s never ended", channel);
    util_sleep_ms(20);
  }
}
