/* settings.c - the layers of a settings section (server defaults, the user's own), opened; see llm.h. */
#include <stdio.h>

#include "auth/secrets.h"
#include "llm/llm_internal.h"
#include "store/users.h"

const char *const LLM_LAYER_NAMES[LLM_LAYERS] = {"server", "user"};

void llm_server_settings_key(const char *section, char *out, size_t n) {
  snprintf(out, n, "defaults.%s", section);
}

void llm_settings_layers(llm_t *llm, const char *user_id, const char *section, json_t *layers[LLM_LAYERS]) {
  layers[LLM_LAYER_SERVER] = layers[LLM_LAYER_USER] = NULL;
  if (!llm->store) return;
  json_t *stored = NULL;
  char key[64];
  llm_server_settings_key(section, key, sizeof key);
  if (store_server_setting_get(llm->store, key, &stored) == STORE_OK && json_is_object(stored))
    layers[LLM_LAYER_SERVER] = secrets_open_doc(llm->secrets, stored);
  json_decref(stored);
  stored = NULL;
  if (user_id && *user_id && store_setting_get(llm->store, user_id, section, &stored) == STORE_OK &&
      json_is_object(stored))
    layers[LLM_LAYER_USER] = secrets_open_doc(llm->secrets, stored);
  json_decref(stored);
}
