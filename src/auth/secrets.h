/*
 * secrets.h - API keys at rest: one libsodium secretbox key per server, and
 * the sealing of settings documents.
 *
 * Key: SECRETS_KEY (64 hex chars) or DATA_DIR/secret.key (64 hex chars,
 * created with mode 0600 on first use). Sealed form: "v1:" + base64(nonce ||
 * box). In a settings document every member named "api_key" or ending in
 * "_api_key" is stored encrypted as "<name>_enc" and never leaves the server
 * in clear: a read returns a mask. Used by the settings API (sealing what is
 * saved, masking what is read) and the model layer (opening the settings
 * layers, which the search providers and MCP servers read through it).
 *
 * Threads: a secrets_t is created once (app_open) and read-only afterwards;
 * every function is thread-safe.
 */
#ifndef MAESTRO_SECRETS_H
#define MAESTRO_SECRETS_H

#include <jansson.h>
#include <stddef.h>

#include "base/config.h"

typedef struct secrets secrets_t;

/* Loads the key from cfg (SECRETS_KEY, else DATA_DIR/secret.key, creating it
 * when missing). NULL with err on failure. */
secrets_t *secrets_new(const config_t *cfg, char *err, size_t errlen);
void secrets_free(secrets_t *sec); /* zeroes the key; accepts NULL */

/* One value: "v1:..." (malloc'd, the caller frees), and back (malloc'd
 * plain text, or NULL when sealed is not ours or was tampered with). */
char *secrets_seal(const secrets_t *sec, const char *plain);
char *secrets_open(const secrets_t *sec, const char *sealed);

/* Returns a copy of doc with secrets encrypted; members of `old` (the stored
 * document) are kept when the new value is absent or a mask. New reference. */
json_t *secrets_seal_doc(const secrets_t *sec, const json_t *doc, const json_t *old);
/* Returns a copy with secrets replaced by "********" plus "<name>_set": true. */
json_t *secrets_mask_doc(const json_t *stored);
/* Returns a copy with secrets decrypted (for server-side use only); sec NULL
 * drops them. New reference. */
json_t *secrets_open_doc(const secrets_t *sec, const json_t *stored);

#endif
