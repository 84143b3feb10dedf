/*
 * config.c - the settings table and its loader.
 *
 * The table is the single source of truth: adding a setting means adding one
 * row here (and the matching line in docs/configuration.md). Types are checked
 * at load so the rest of the program can read values without re-validating.
 */
#include "base/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/util.h"

typedef enum { T_STR, T_INT, T_BOOL, T_URL, T_ENUM, T_PORT } ctype_t;

typedef struct {
  const char *name;
  ctype_t type;
  const char *def;
  const char *doc;
  long long min, max; /* T_INT */
  const char *choices; /* T_ENUM: '|'-separated */
  int secret;
} setting_t;

static const setting_t SETTINGS[] = {
    {"BACKEND_PORT", T_PORT, "8000", "Port of the API, WebSocket and UI server", 0, 0, NULL, 0},
    {"FRONTEND_PORT", T_PORT, "3030", "Second port serving the same UI and API (0 disables)", 0, 0, NULL, 0},
    {"BIND_ADDRESS", T_STR, "0.0.0.0", "Address the server listens on", 0, 0, NULL, 0},
    {"DATABASE_URL", T_STR, "sqlite:///./data/maestro.db", "Store: sqlite:///PATH or postgresql://...; unset: DATA_DIR/maestro.db", 0, 0, NULL, 1},
    {"DATA_DIR", T_STR, "./data", "Directory for uploaded documents, keys and backups", 0, 0, NULL, 0},
    {"WEB_DIST", T_STR, "./web/dist", "Directory with the built web UI", 0, 0, NULL, 0},
    {"JWT_SECRET_KEY", T_STR, "", "Secret for signing tokens (>= 32 chars); generated into DATA_DIR/jwt_secret when empty", 0, 0, NULL, 1},
    {"JWT_EXPIRE_MINUTES", T_INT, "1440", "Lifetime of an access token in minutes", 1, 525600, NULL, 0},
    {"ADMIN_USERNAME", T_STR, "admin", "Name of the first admin, created on first start", 0, 0, NULL, 0},
    {"ADMIN_PASSWORD", T_STR, "", "Password of the first admin; generated and printed once when empty", 0, 0, NULL, 1},
    {"ALLOW_REGISTRATION", T_BOOL, "false", "Whether POST /api/auth/register is open", 0, 0, NULL, 0},
    {"CORS_ORIGINS", T_STR, "", "Comma-separated origins allowed to call the API from a browser", 0, 0, NULL, 0},
    {"MAX_UPLOAD_MB", T_INT, "50", "Largest accepted uploaded file, in MB", 1, 4096, NULL, 0},
    {"MAX_BODY_KB", T_INT, "1024", "Largest accepted JSON request body, in KB", 1, 1048576, NULL, 0},
    {"HTTP_THREADS", T_INT, "256", "Server worker threads (each open WebSocket holds one)", 16, 4096, NULL, 0},
    {"HTTP_RESERVED_THREADS", T_INT, "32", "Worker threads WebSockets can never take, kept for plain requests (at most half of HTTP_THREADS)", 1, 2048, NULL, 0},
    {"HTTP_HEADER_TIMEOUT_MS", T_INT, "3000", "Time a client has to send a whole request head; also bounds each socket write", 500, 600000, NULL, 0},
    {"HTTP_KEEPALIVE_MS", T_INT, "3000", "How long an idle keep-alive connection may hold its thread", 0, 600000, NULL, 0},
    {"WS_MAX_PER_USER", T_INT, "16", "WebSockets one user may have open at once", 1, 4096, NULL, 0},
    {"WS_MAX_PER_ADDRESS", T_INT, "64", "WebSockets one client address may have open at once", 1, 4096, NULL, 0},
    {"HASH_CONCURRENCY", T_INT, "2", "Password hashes computed at the same time", 1, 64, NULL, 0},
    {"LOGIN_MAX_FAILURES", T_INT, "5", "Failed logins per user or address before throttling", 1, 1000, NULL, 0},
    {"LOGIN_THROTTLE_SECONDS", T_INT, "60", "Window and base delay of login throttling", 1, 86400, NULL, 0},
    {"LOG_LEVEL", T_ENUM, "info", "Log level (unset: info for serve and mcp, warning for the other commands)", 0, 0, "debug|info|warning|error|off", 0},
    {"LOG_FORMAT", T_ENUM, "auto", "json, text, or auto (text on a terminal)", 0, 0, "auto|json|text", 0},
    {"SECRETS_KEY", T_STR, "", "64 hex chars encrypting API keys at rest; DATA_DIR/secret.key (0600) is created when empty", 0, 0, NULL, 1},
    {"OPENAI_API_KEY", T_STR, "", "API key of the OpenAI-compatible endpoint", 0, 0, NULL, 1},
    {"OPENAI_BASE_URL", T_URL, "https://api.openai.com/v1", "Base URL of the OpenAI-compatible endpoint", 0, 0, NULL, 0},
    {"LOCAL_MODEL_URL", T_URL, "", "Ollama base URL, e.g. http://localhost:11434", 0, 0, NULL, 0},
    {"MODEL_NAME", T_STR, "", "Default model for every role", 0, 0, NULL, 0},
    {"FAST_MODEL", T_STR, "", "Model of the fast tier (defaults to MODEL_NAME)", 0, 0, NULL, 0},
    {"MID_MODEL", T_STR, "", "Model of the mid tier (defaults to MODEL_NAME)", 0, 0, NULL, 0},
    {"INTELLIGENT_MODEL", T_STR, "", "Model of the intelligent tier (defaults to MODEL_NAME)", 0, 0, NULL, 0},
    {"VERIFIER_MODEL", T_STR, "", "Model of the verifier tier (defaults to MODEL_NAME)", 0, 0, NULL, 0},
    {"LLM_CONTEXT_WINDOW", T_INT, "8192", "Context window in tokens (sent to Ollama as num_ctx)", 512, 2000000, NULL, 0},
    {"LLM_MAX_TOKENS", T_INT, "2048", "Default max tokens per answer", 16, 1000000, NULL, 0},
    {"LLM_TEMPERATURE", T_STR, "0.2", "Default sampling temperature", 0, 0, NULL, 0},
    {"LLM_TIMEOUT_SECONDS", T_INT, "300", "Total time limit of one model call", 1, 86400, NULL, 0},
    {"LLM_MAX_RETRIES", T_INT, "4", "Retries of a failed model call", 0, 20, NULL, 0},
    {"LLM_STALL_SECONDS", T_INT, "120", "A streamed answer that sends nothing for this long is retried", 1, 86400, NULL, 0},
    {"LLM_MAX_LINE_KB", T_INT, "1024", "Longest line (SSE event or NDJSON record) of a streamed model answer, in KB; a longer one fails the call", 1, 1048576, NULL, 0},
    {"LLM_MAX_ANSWER_KB", T_INT, "4096", "Largest model answer text, in KB (a call may ask for less); a longer answer fails the call", 1, 1048576, NULL, 0},
    {"LLM_RETRY_BASE_MS", T_INT, "500", "First retry delay of a failed model call (doubles each retry, with jitter)", 1, 600000, NULL, 0},
    {"LLM_MAX_CONCURRENCY", T_INT, "8", "Model calls in flight at once, process-wide", 1, 1024, NULL, 0},
    {"LLM_MISSION_CONCURRENCY", T_INT, "4", "Model calls in flight at once per mission", 1, 1024, NULL, 0},
    {"LLM_MASK_PII", T_BOOL, "false", "Mask e-mail addresses and phone numbers sent to external endpoints", 0, 0, NULL, 0},
    {"LLM_PRICES_FILE", T_STR, "", "JSON file of per-model prices (USD per 1M tokens) overriding the built-in table", 0, 0, NULL, 0},
    {"EMBEDDING_MODEL", T_STR, "", "Embedding model; lexical search only when empty", 0, 0, NULL, 0},
    {"EMBEDDING_BASE_URL", T_URL, "", "Endpoint of the embedding model (defaults to the chat endpoint)", 0, 0, NULL, 0},
    {"RERANK_URL", T_URL, "", "Rerank endpoint (/v1/rerank shape)", 0, 0, NULL, 0},
    {"RERANK_MODEL", T_STR, "", "Rerank model", 0, 0, NULL, 0},
    {"SEARXNG_URL", T_URL, "", "SearXNG base URL, e.g. http://localhost:8080", 0, 0, NULL, 0},
    {"TAVILY_API_KEY", T_STR, "", "Tavily search API key", 0, 0, NULL, 1},
    {"BRAVE_API_KEY", T_STR, "", "Brave Search API key", 0, 0, NULL, 1},
    {"TAVILY_URL", T_URL, "https://api.tavily.com", "Tavily API base URL", 0, 0, NULL, 0},
    {"BRAVE_URL", T_URL, "https://api.search.brave.com", "Brave Search API base URL", 0, 0, NULL, 0},
    {"SEARCH_PROVIDERS", T_STR, "", "Order of search providers, e.g. searxng,tavily,brave (default: those configured)", 0, 0, NULL, 0},
    {"SCHOLARLY_PROVIDERS", T_STR, "arxiv,openalex,crossref,semantic_scholar,pubmed", "Scholarly search providers a mission with \"scholarly\" sources asks (comma-separated)", 0, 0, NULL, 0},
    {"SCHOLARLY_CONTACT_EMAIL", T_STR, "", "Contact e-mail sent to OpenAlex, Crossref (polite pool) and PubMed (email=)", 0, 0, NULL, 0},
    {"ARXIV_URL", T_URL, "https://export.arxiv.org", "arXiv API base URL", 0, 0, NULL, 0},
    {"ARXIV_PDF_URL", T_URL, "https://arxiv.org/pdf", "Where arXiv full texts are read: <this>/<arXiv id>", 0, 0, NULL, 0},
    {"OPENALEX_URL", T_URL, "https://api.openalex.org", "OpenAlex API base URL", 0, 0, NULL, 0},
    {"OPENALEX_API_KEY", T_STR, "", "OpenAlex API key (required by OpenAlex since February 2026)", 0, 0, NULL, 1},
    {"CROSSREF_URL", T_URL, "https://api.crossref.org", "Crossref REST API base URL", 0, 0, NULL, 0},
    {"SEMANTIC_SCHOLAR_URL", T_URL, "https://api.semanticscholar.org", "Semantic Scholar API base URL", 0, 0, NULL, 0},
    {"SEMANTIC_SCHOLAR_API_KEY", T_STR, "", "Semantic Scholar API key (x-api-key)", 0, 0, NULL, 1},
    {"PUBMED_URL", T_URL, "https://eutils.ncbi.nlm.nih.gov", "NCBI E-utilities base URL (PubMed)", 0, 0, NULL, 0},
    {"PUBMED_API_KEY", T_STR, "", "NCBI API key (PubMed)", 0, 0, NULL, 1},
    {"SCHOLARLY_MIN_INTERVAL_MS", T_INT, "-1", "Minimum time between requests to one scholarly provider; -1 keeps each service's documented limit (arXiv 3000, Semantic Scholar 1000, PubMed 334, OpenAlex and Crossref 100)", -1, 600000, NULL, 0},
    {"FETCH_ALLOW_HOSTS", T_STR, "", "Hosts or CIDRs that fetching may reach even if private (comma-separated)", 0, 0, NULL, 0},
    {"OUTBOUND_ALLOW_HOSTS", T_STR, "", "Private hosts or CIDRs that model and search endpoints and MCP server URLs named in a non-admin user's own settings may reach (comma-separated; admins' and environment endpoints are not checked)", 0, 0, NULL, 0},
    {"FETCH_MAX_BYTES", T_INT, "10485760", "Largest fetched page in bytes (after decompression)", 1024, 1073741824, NULL, 0},
    {"FETCH_TIMEOUT_SECONDS", T_INT, "20", "Time limit of one page fetch", 1, 3600, NULL, 0},
    {"WEB_CACHE_TTL_HOURS", T_INT, "48", "How long search results and pages are cached", 0, 87600, NULL, 0},
    {"MAX_CONCURRENT_MISSIONS", T_INT, "2", "Missions run at the same time", 1, 256, NULL, 0},
    {"SCHEDULE_CHECK_SECONDS", T_INT, "60", "How often the server looks for scheduled missions that are due", 1, 86400, NULL, 0},
    {"SCHEDULE_PERIOD_SECONDS", T_INT, "0", "Testing/demos: every scheduled mission is due this many seconds after it completed (0: weekly/monthly/quarterly)", 0, 100000000, NULL, 0},
    {"CHAT_WORKERS", T_INT, "4", "Chat questions answered at the same time (the others wait in line)", 1, 256, NULL, 0},
    {"INGEST_WORKERS", T_INT, "1", "Document ingestion worker threads", 1, 64, NULL, 0},
    {"JOB_LEASE_SECONDS", T_INT, "30", "Lease of a running job: renewed every third of it while its process lives; past it, another process takes the job over", 3, 3600, NULL, 0},
    {"PROMPTS_DIR", T_STR, "", "Directory of prompt templates overriding the built-in ones", 0, 0, NULL, 0},
    {"AGENTS_DIR", T_STR, "", "Directory of custom agent definitions (*.json, docs/extending.md) read at start; empty: none", 0, 0, NULL, 0},
    {"PLUGINS_DIR", T_STR, "", "Directory of plugins (*.so, ABI in include/maestro/plugin.h) loaded at start; empty: none", 0, 0, NULL, 0},
    {"PLUGIN_TIMEOUT_SECONDS", T_INT, "30", "Time limit of one plugin call (search, tool, route); past it the caller gets an error", 1, 3600, NULL, 0},
};
#define NSETTINGS (sizeof SETTINGS / sizeof SETTINGS[0])

struct config {
  char *values[NSETTINGS];
  int given[NSETTINGS];
  char *sqlite_path;
};

static int find_setting(const char *name) {
  for (size_t i = 0; i < NSETTINGS; i++)
    if (strcmp(SETTINGS[i].name, name) == 0) return (int)i;
  return -1;
}

int config_is_secret(const char *name) {
  int i = find_setting(name);
  return i >= 0 && SETTINGS[i].secret;
}

static int validate(const setting_t *s, const char *v, char *err, size_t errlen) {
  long long n;
  int b;
  if (v[0] == '\0' && s->type != T_INT && s->type != T_PORT && s->type != T_BOOL) return 0;
  switch (s->type) {
    case T_STR:
      return 0;
    case T_INT:
      if (util_parse_int(v, s->min, s->max, &n) == 0) return 0;
      snprintf(err, errlen, "%s: '%s' is not a whole number between %lld and %lld", s->name, v, s->min, s->max);
      return -1;
    case T_PORT:
      if (util_parse_int(v, 0, 65535, &n) == 0) return 0;
      snprintf(err, errlen, "%s: '%s' is not a port number (0-65535)", s->name, v);
      return -1;
    case T_BOOL:
      if (util_parse_bool(v, &b) == 0) return 0;
      snprintf(err, errlen, "%s: '%s' is not a boolean (true/false)", s->name, v);
      return -1;
    case T_URL:
      if ((util_starts_with(v, "http://") || util_starts_with(v, "https://")) && strlen(v) > 8 && !strpbrk(v, " \t\r\n"))
        return 0;
      snprintf(err, errlen, "%s: '%s' is not an http:// or https:// URL", s->name, v);
      return -1;
    case T_ENUM: {
      size_t vl = strlen(v);
      const char *c = s->choices;
      while (*c) {
        const char *bar = strchr(c, '|');
        size_t cl = bar ? (size_t)(bar - c) : strlen(c);
        if (cl == vl && strncmp(c, v, cl) == 0) return 0;
        c += cl + (bar ? 1 : 0);
      }
      snprintf(err, errlen, "%s: '%s' is not one of %s", s->name, v, s->choices);
      return -1;
    }
  }
  return 0;
}

/* Parses one .env line into name/value (in place). Returns 1 for a setting, 0
 * for a blank or comment line, -1 for a malformed line. */
static int parse_env_line(char *line, char **name, char **value) {
  util_trim(line);
  if (line[0] == '\0' || line[0] == '#') return 0;
  if (util_starts_with(line, "export ")) memmove(line, line + 7, strlen(line + 7) + 1);
  char *eq = strchr(line, '=');
  if (!eq) return -1;
  *eq = '\0';
  *name = util_trim(line);
  char *v = eq + 1;
  while (*v == ' ' || *v == '\t') v++;
  if (*v == '"' || *v == '\'') {
    char q = *v++;
    char *end = strrchr(v, q);
    if (!end) return -1;
    *end = '\0';
  } else {
    char *hash = strstr(v, " #");
    if (hash) *hash = '\0';
    util_trim(v);
  }
  *value = v;
  for (char *p = *name; *p; p++)
    if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return -1;
  return **name ? 1 : -1;
}

config_t *config_load(const char *env_file, char *err, size_t errlen) {
  config_t *cfg = calloc(1, sizeof *cfg);
  if (!cfg) abort();
  const char *path = env_file ? env_file : ".env";
  FILE *f = fopen(path, "r");
  if (!f && env_file) {
    snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
    config_free(cfg);
    return NULL;
  }
  if (f) {
    char line[8192];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
      lineno++;
      char *name, *value;
      int r = parse_env_line(line, &name, &value);
      if (r == 0) continue;
      if (r < 0) {
        snprintf(err, errlen, "%s:%d: malformed line (expected NAME=value)", path, lineno);
        fclose(f);
        config_free(cfg);
        return NULL;
      }
      int i = find_setting(name);
      if (i < 0) {
        snprintf(err, errlen, "%s:%d: unknown setting %s (see docs/configuration.md)", path, lineno, name);
        fclose(f);
        config_free(cfg);
        return NULL;
      }
      free(cfg->values[i]);
      cfg->values[i] = util_strdup(value);
      cfg->given[i] = 1;
    }
    fclose(f);
  }
  for (size_t i = 0; i < NSETTINGS; i++) {
    const char *env = getenv(SETTINGS[i].name);
    if (env) {
      free(cfg->values[i]);
      cfg->values[i] = util_strdup(env);
      cfg->given[i] = 1;
    }
    if (!cfg->values[i]) cfg->values[i] = util_strdup(SETTINGS[i].def);
    if (validate(&SETTINGS[i], cfg->values[i], err, errlen) != 0) {
      config_free(cfg);
      return NULL;
    }
  }
  int iurl = find_setting("DATABASE_URL");
  if (!cfg->given[iurl]) {
    /* the database lives with the documents and keys: DATA_DIR/maestro.db */
    const char *dir = config_get(cfg, "DATA_DIR");
    size_t n = strlen(dir) + 32;
    free(cfg->values[iurl]);
    cfg->values[iurl] = malloc(n);
    if (!cfg->values[iurl]) abort();
    snprintf(cfg->values[iurl], n, "sqlite:///%s%s/maestro.db", dir[0] == '/' || dir[0] == '.' ? "" : "./", dir);
    /* before this rule the database stayed in ./data whatever DATA_DIR said:
     * an installation made then keeps its database there */
    const char *legacy = "./data/maestro.db";
    if (access(cfg->values[iurl] + strlen("sqlite:///"), F_OK) != 0 && access(legacy, F_OK) == 0) {
      log_warn("config",
               "the database stays at %s (DATA_DIR is %s): move it to DATA_DIR or set DATABASE_URL to silence this",
               legacy, dir);
      free(cfg->values[iurl]);
      cfg->values[iurl] = util_strdup("sqlite:///./data/maestro.db");
    }
  }
  const char *url = config_get(cfg, "DATABASE_URL");
  if (util_starts_with(url, "sqlite://")) {
    const char *p = url + strlen("sqlite://");
    /* sqlite:///./x.db -> ./x.db ; sqlite:////abs/x.db -> /abs/x.db */
    if (p[0] == '/' && (p[1] == '.' || p[1] == '/')) p++;
    if (!*p) {
      snprintf(err, errlen, "DATABASE_URL: '%s' names no database file", url);
      config_free(cfg);
      return NULL;
    }
    cfg->sqlite_path = util_strdup(p);
  } else if (!util_starts_with(url, "postgresql://") && !util_starts_with(url, "postgres://")) {
    snprintf(err, errlen, "DATABASE_URL: expected sqlite:///PATH or postgresql://..., got something else");
    config_free(cfg);
    return NULL;
  }
  const char *jwt = config_get(cfg, "JWT_SECRET_KEY");
  if (jwt[0] && strlen(jwt) < 32) {
    snprintf(err, errlen, "JWT_SECRET_KEY: too short (%zu characters; at least 32 are needed)", strlen(jwt));
    config_free(cfg);
    return NULL;
  }
  return cfg;
}

void config_free(config_t *cfg) {
  if (!cfg) return;
  for (size_t i = 0; i < NSETTINGS; i++) free(cfg->values[i]);
  free(cfg->sqlite_path);
  free(cfg);
}

const char *config_get(const config_t *cfg, const char *name) {
  int i = find_setting(name);
  if (i < 0) {
    fprintf(stderr, "maestro: internal error: undeclared setting %s\n", name);
    abort();
  }
  return cfg->values[i] ? cfg->values[i] : "";
}

long long config_int(const config_t *cfg, const char *name) {
  long long v = 0;
  util_parse_int(config_get(cfg, name), -(1LL << 62), 1LL << 62, &v);
  return v;
}

int config_bool(const config_t *cfg, const char *name) {
  int v = 0;
  util_parse_bool(config_get(cfg, name), &v);
  return v;
}

int config_is_set(const config_t *cfg, const char *name) {
  int i = find_setting(name);
  return i >= 0 && cfg->given[i];
}

int config_describe(size_t i, const char **name, const char **type, const char **def, const char **doc) {
  static const char *tn[] = {"string", "integer", "boolean", "url", "choice", "port"};
  if (i >= NSETTINGS) return 0;
  *name = SETTINGS[i].name;
  *type = tn[SETTINGS[i].type];
  *def = SETTINGS[i].def;
  *doc = SETTINGS[i].doc;
  return 1;
}

const char *config_sqlite_path(const config_t *cfg) { return cfg->sqlite_path; }
