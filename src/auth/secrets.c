/*
 * secrets.c - API keys at rest: libsodium secretbox, and the sealing of
 * settings documents; see secrets.h.
 *
 * Key: SECRETS_KEY (64 hex chars) or DATA_DIR/secret.key (64 hex chars,
 * created with mode 0600 on first use). Sealed form: "v1:" + base64(nonce ||
 * box). A settings member named "api_key" or "*_api_key" is stored as
 * "<name>_enc" and never leaves the server in clear: GET returns a mask.
 */
#include "auth/secrets.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/log.h"
#include "base/util.h"

struct secrets {
  unsigned char key[crypto_secretbox_KEYBYTES];
};

static int parse_hex_key(const char *hex, unsigned char *key) {
  size_t bin_len = 0;
  if (strlen(hex) != 2 * crypto_secretbox_KEYBYTES) return -1;
  if (sodium_hex2bin(key, crypto_secretbox_KEYBYTES, hex, strlen(hex), NULL, &bin_len, NULL) != 0) return -1;
  return bin_len == crypto_secretbox_KEYBYTES ? 0 : -1;
}

static int secrets_load(secrets_t *sec, const config_t *cfg, char *err, size_t errlen) {
  const char *hex = config_get(cfg, "SECRETS_KEY");
  if (hex[0]) {
    if (parse_hex_key(hex, sec->key) != 0) {
      snprintf(err, errlen, "SECRETS_KEY must be 64 hexadecimal characters");
      return -1;
    }
    return 0;
  }
  const char *dir = config_get(cfg, "DATA_DIR");
  buf_t path;
  buf_init(&path);
  buf_printf(&path, "%s/secret.key", dir[0] ? dir : ".");
  size_t len = 0;
  char *data = util_read_file(path.data, &len);
  int rc = 0;
  if (data) {
    util_trim(data);
    if (parse_hex_key(data, sec->key) != 0) {
      snprintf(err, errlen, "%s is not a 64-hex-character key", path.data);
      rc = -1;
    }
    sodium_memzero(data, len);
    free(data);
  } else {
    char fresh[2 * crypto_secretbox_KEYBYTES + 2];
    crypto_secretbox_keygen(sec->key);
    sodium_bin2hex(fresh, sizeof fresh - 1, sec->key, crypto_secretbox_KEYBYTES);
    fresh[2 * crypto_secretbox_KEYBYTES] = '\n';
    fresh[2 * crypto_secretbox_KEYBYTES + 1] = '\0';
    if (dir[0]) util_mkdirs(dir, 0700);
    if (util_write_file(path.data, fresh, strlen(fresh), 0600) != 0) {
      snprintf(err, errlen, "cannot create %s: %s", path.data, strerror(errno));
      rc = -1;
    } else {
      log_info("secrets", "created the secrets key file %s", path.data);
    }
    sodium_memzero(fresh, sizeof fresh);
  }
  buf_free(&path);
  return rc;
}

secrets_t *secrets_new(const config_t *cfg, char *err, size_t errlen) {
  if (sodium_init() < 0) {
    snprintf(err, errlen, "cannot initialise libsodium");
    return NULL;
  }
  secrets_t *sec = calloc(1, sizeof *sec);
  if (!sec) abort();
  if (secrets_load(sec, cfg, err, errlen) != 0) {
    secrets_free(sec);
    return NULL;
  }
  return sec;
}

void secrets_free(secrets_t *sec) {
  if (!sec) return;
  sodium_memzero(sec->key, sizeof sec->key);
  free(sec);
}

char *secrets_seal(const secrets_t *sec, const char *plain) {
  size_t pl = strlen(plain);
  size_t total = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + pl;
  unsigned char *bin = malloc(total);
  if (!bin) abort();
  randombytes_buf(bin, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(bin + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, pl, bin, sec->key);
  size_t b64len = sodium_base64_ENCODED_LEN(total, sodium_base64_VARIANT_ORIGINAL);
  char *out = malloc(b64len + 3);
  if (!out) abort();
  memcpy(out, "v1:", 3);
  sodium_bin2base64(out + 3, b64len, bin, total, sodium_base64_VARIANT_ORIGINAL);
  free(bin);
  return out;
}

char *secrets_open(const secrets_t *sec, const char *sealed) {
  if (!sealed || strncmp(sealed, "v1:", 3) != 0) return NULL;
  const char *b64 = sealed + 3;
  size_t maxbin = strlen(b64);
  unsigned char *bin = malloc(maxbin + 1);
  if (!bin) abort();
  size_t bl = 0;
  char *out = NULL;
  if (sodium_base642bin(bin, maxbin, b64, strlen(b64), NULL, &bl, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
      bl >= crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    size_t pl = bl - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    out = malloc(pl + 1);
    if (!out) abort();
    if (crypto_secretbox_open_easy((unsigned char *)out, bin + crypto_secretbox_NONCEBYTES,
                                   bl - crypto_secretbox_NONCEBYTES, bin, sec->key) == 0) {
      out[pl] = '\0';
    } else {
      free(out);
      out = NULL;
    }
  }
  free(bin);
  return out;
}

static int is_secret_name(const char *k) {
  return strcmp(k, "api_key") == 0 || util_ends_with(k, "_api_key");
}

static int is_mask(const char *v) {
  return strncmp(v, "********", 8) == 0;
}

static json_t *seal_obj(const secrets_t *sec, const json_t *doc, const json_t *old) {
  if (!json_is_object(doc)) return json_deep_copy(doc);
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)doc, k, v) {
    if (util_ends_with(k, "_enc")) continue; /* clients cannot inject ciphertext */
    if (is_secret_name(k)) {
      buf_t enc;
      buf_init(&enc);
      buf_printf(&enc, "%s_enc", k);
      if (json_is_string(v) && json_string_length(v) > 0 && !is_mask(json_string_value(v))) {
        char *s = secrets_seal(sec, json_string_value(v));
        json_object_set_new(out, enc.data, json_string(s));
        free(s);
      } else if (json_is_string(v) && is_mask(json_string_value(v))) {
        json_t *prev = json_object_get(old, enc.data);
        if (json_is_string(prev)) json_object_set(out, enc.data, prev);
      } /* "" or null: cleared */
      buf_free(&enc);
      continue;
    }
    json_object_set_new(out, k, seal_obj(sec, v, json_object_get(old, k)));
  }
  /* Secrets not mentioned at all are kept. */
  json_object_foreach((json_t *)old, k, v) {
    if (!util_ends_with(k, "_enc")) continue;
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)(strlen(k) - 4), k);
    if (!json_object_get(doc, name) && json_is_string(v)) json_object_set(out, k, v);
  }
  return out;
}

json_t *secrets_seal_doc(const secrets_t *sec, const json_t *doc, const json_t *old) {
  return seal_obj(sec, doc, old);
}

static json_t *transform(const secrets_t *sec, const json_t *stored, int open) {
  if (!json_is_object(stored)) return json_deep_copy(stored);
  json_t *out = json_object();
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)stored, k, v) {
    if (util_ends_with(k, "_enc")) {
      char name[128];
      snprintf(name, sizeof name, "%.*s", (int)(strlen(k) - 4), k);
      if (!is_secret_name(name)) continue;
      if (open) {
        char *plain = sec ? secrets_open(sec, json_string_value(v)) : NULL;
        if (plain) {
          json_object_set_new(out, name, json_string(plain));
          sodium_memzero(plain, strlen(plain));
          free(plain);
        } else {
          log_warn("secrets", "a stored %s cannot be decrypted (was SECRETS_KEY changed?)", name);
        }
      } else {
        /* The mask carries no part of the key: the ciphertext's length would
         * leak nothing useful, and the last characters are not shown. */
        char flag[160];
        snprintf(flag, sizeof flag, "%s_set", name);
        json_object_set_new(out, name, json_string("********"));
        json_object_set_new(out, flag, json_true());
      }
      continue;
    }
    json_object_set_new(out, k, transform(sec, v, open));
  }
  return out;
}

json_t *secrets_mask_doc(const json_t *stored) {
  return transform(NULL, stored, 0);
}
json_t *secrets_open_doc(const secrets_t *sec, const json_t *stored) {
  return transform(sec, stored, 1);
}
