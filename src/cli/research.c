/*
 * research.c - `maestro research`: a whole mission in-process.
 *
 * Same controller as the server (agents_mission_run) on the main thread;
 * progress comes from the mission's events (a listener on app->events): a
 * one-line live status on a terminal, plain lines otherwise, on stderr. The
 * report goes to --out or stdout. Ctrl-C raises the run's cancel flag: the
 * step in flight is abandoned (nothing half-committed), the mission is
 * marked paused and the command says how to resume it.
 */
#include <dirent.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agents/agents.h"
#include "base/buf.h"
#include "base/config.h"
#include "base/util.h"
#include "cli/cli.h"
#include "llm/llm.h"
#include "rag/rag.h"
#include "report/report.h"
#include "store/documents.h"
#include "store/llm_calls.h"
#include "store/missions.h"
#include "store/users.h"

/* Exit status after Ctrl-C paused the mission (128 + SIGINT, as shells do). */
#define EXIT_PAUSED 130
#define EXIT_NO_EVIDENCE 3 /* report written, but nothing in it is backed by a verified source */

static atomic_int g_interrupt;

static void on_sigint(int sig) {
  (void)sig;
  atomic_store(&g_interrupt, 1);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: maestro research \"QUESTION\" [options]\n\n"
          "Runs a research mission in this process and writes the report.\n\n"
          "  --question Q        another research question (repeatable)\n"
          "  --title T           report title (default: the first question)\n"
          "  --description D     what the report is for\n"
          "  --docs DIR          ingest DIR into the library and research it\n"
          "  --group NAME        research this document group\n"
          "  --web               also search the web\n"
          "  --offline           no model: extractive agents only\n"
          "  --allow-empty       start even when no documents and no web search can be used\n"
          "  --depth D           quick, standard (default) or deep: searches, notes, rounds\n"
          "                      and report length (deep: subsections, many more sources)\n"
          "  --rounds N          research rounds (default: the depth's, 1 / 2 / 3)\n"
          "  --language L        report language (default: the question's)\n"
          "  --out FILE          write the report to FILE (default stdout)\n"
          "  --format FMT        report format: md (default), html, pdf or docx\n"
          "  --replay MISSION    re-run MISSION from its recorded model calls (no model needed)\n"
          "  --resume MISSION    continue a paused or failed mission\n"
          "  --user NAME         owner of the mission (default ADMIN_USERNAME)\n\n"
          "Ctrl-C pauses the mission (exit status 130) and prints how to resume it.\n"
          "Exit status: 0 report written, 1 failure, 2 usage, 3 report written without any verified\n"
          "evidence (outcome no_evidence), 130 paused.\n");
}

typedef struct {
  char channel[64];
  int tty;
  char phase[32];
  int round;
  long notes, calls, tokens;
} progress_t;

static void progress_draw(progress_t *p, const char *line) {
  if (p->tty)
    fprintf(stderr, "\r\033[K%-9s round %d | notes %ld | calls %ld | tokens %ld%s%s", p->phase, p->round, p->notes,
            p->calls, p->tokens, line ? " | " : "", line ? line : "");
  else if (line)
    fprintf(stderr, "[%s] %s\n", p->phase, line);
  fflush(stderr);
}

static void on_event(void *ud, const event_t *ev) {
  progress_t *p = ud;
  if (!ev->event || strcmp(ev->channel, p->channel) != 0) return; /* not another process's */
  char line[300] = "";
  if (!strcmp(ev->event, "phase")) {
    snprintf(p->phase, sizeof p->phase, "%s", json_string_value(json_object_get(ev->data, "phase")));
    p->round = (int)json_integer_value(json_object_get(ev->data, "round"));
    snprintf(line, sizeof line, "phase %s (round %d)", p->phase, p->round);
  } else if (!strcmp(ev->event, "note_added")) {
    p->notes++;
    if (!p->tty) return;
  } else if (!strcmp(ev->event, "stats")) {
    p->calls = (long)json_integer_value(json_object_get(ev->data, "calls"));
    p->tokens = (long)json_integer_value(json_object_get(ev->data, "tokens"));
    if (!p->tty) return;
  } else if (!strcmp(ev->event, "agent_log")) {
    snprintf(line, sizeof line, "%s: %s", json_string_value(json_object_get(ev->data, "agent")),
             json_string_value(json_object_get(ev->data, "action")));
  } else if (!strcmp(ev->event, "warning")) {
    snprintf(line, sizeof line, "warning: %s", json_string_value(json_object_get(ev->data, "message")));
  } else if (!strcmp(ev->event, "error")) {
    snprintf(line, sizeof line, "error: %s", json_string_value(json_object_get(ev->data, "message")));
  } else if (!strcmp(ev->event, "plan_updated")) {
    snprintf(line, sizeof line, "outline: %zu sections",
             json_array_size(json_object_get(json_object_get(ev->data, "plan"), "sections")));
  } else
    return;
  progress_draw(p, line[0] ? line : NULL);
}

/* Ingests the files of dir (recursively) into the user's group gid. */
static int ingest_dir(app_t *app, const char *uid, const char *gid, const char *dir, int depth) {
  if (depth > 8) return 0;
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "maestro research: cannot read %s\n", dir);
    return -1;
  }
  struct dirent *e;
  int rc = 0;
  json_t *names = json_array();
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') json_array_append_new(names, json_string(e->d_name));
  closedir(d);
  size_t i;
  json_t *v;
  json_array_foreach(names, i, v) {
    buf_t path = BUF_INIT;
    buf_init(&path);
    buf_printf(&path, "%s/%s", dir, json_string_value(v));
    struct stat st;
    if (stat(path.data, &st) == 0 && S_ISDIR(st.st_mode))
      rc |= ingest_dir(app, uid, gid, path.data, depth + 1);
    else if (stat(path.data, &st) == 0 && S_ISREG(st.st_mode) &&
             rag_detect_file(path.data, json_string_value(v)) != RAG_TYPE_UNKNOWN) {
      rag_add_t req = {
          .user_id = uid, .filename = json_string_value(v), .src_path = path.data, .group_id = gid, .no_job = 1};
      char id[17], err[512];
      int dup = 0;
      if (rag_document_add(app->rag, &req, id, &dup, err, sizeof err) != 0) {
        fprintf(stderr, "maestro research: %s: %s\n", path.data, err);
      } else {
        store_doc_t *doc = NULL;
        int ready = store_doc_get(app->store, uid, id, &doc) == STORE_OK && !strcmp(doc->status, "ready");
        store_doc_free(doc);
        if (!ready && rag_ingest_document(app->rag, id, NULL, NULL, err, sizeof err) < 0)
          fprintf(stderr, "maestro research: %s: %s\n", path.data, err);
      }
    }
    buf_free(&path);
  }
  json_decref(names);
  return rc;
}

/* The preflight in a few lines: what the mission will have, then problems
 * and warnings with their fixes. */
static void print_preflight(const json_t *pf, FILE *f) {
  const char *mode = json_string_value(json_object_get(pf, "mode"));
  json_t *mid = json_object_get(json_object_get(pf, "models"), "mid");
  if (mode && strcmp(mode, "model") == 0)
    fprintf(f, "model: %s at %s (%s settings)\n", json_string_value(json_object_get(mid, "model")),
            json_string_value(json_object_get(mid, "base_url")), json_string_value(json_object_get(mid, "source")));
  else
    fprintf(f, "model: none, the mission runs offline (extractive)\n");
  json_t *d = json_object_get(pf, "documents");
  if (json_is_true(json_object_get(d, "requested")))
    fprintf(f, "documents: %lld in scope, %lld ready\n", (long long)json_integer_value(json_object_get(d, "in_scope")),
            (long long)json_integer_value(json_object_get(d, "ready")));
  else
    fprintf(f, "documents: not used\n");
  json_t *w = json_object_get(pf, "web");
  if (!json_is_true(json_object_get(w, "requested")))
    fprintf(f, "web search: not used\n");
  else if (json_is_true(json_object_get(w, "configured")))
    fprintf(f, "web search: %s%s\n", json_string_value(json_object_get(w, "provider")),
            json_is_false(json_object_get(w, "reachable")) ? " (does not answer)" : "");
  else
    fprintf(f, "web search: no provider configured\n");
  const char *kinds[2] = {"problems", "warnings"};
  for (int k = 0; k < 2; k++) {
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(pf, kinds[k]), i, p) {
      const char *fix = json_string_value(json_object_get(p, "fix"));
      fprintf(f, "%s: %s%s%s\n", k == 0 ? "problem" : "warning", json_string_value(json_object_get(p, "message")),
              fix ? " Fix: " : "", fix ? fix : "");
    }
  }
}

int cmd_research(int argc, char **argv) {
  if (cli_wants_help(argc, argv)) {
    usage(stdout);
    return 0;
  }
  json_t *questions = json_array();
  const char *title = NULL, *desc = NULL, *docs = NULL, *group = NULL, *out = NULL, *format = "md";
  const char *replay = NULL, *resume = NULL, *user = NULL, *lang = NULL, *depth = NULL;
  int web = 0, offline = 0, allow_empty = 0;
  long long rounds = 0;
  const cli_opt_t strs[] = {{"--title", &title}, {"--description", &desc}, {"--docs", &docs},     {"--group", &group},
                            {"--out", &out},     {"--format", &format},    {"--replay", &replay}, {"--resume", &resume},
                            {"--user", &user},   {"--language", &lang},    {NULL, NULL}};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int flag = !strcmp(a, "--web") || !strcmp(a, "--offline") || !strcmp(a, "--allow-empty");
    if (a[0] != '-' || !strcmp(a, "-")) {
      json_array_append_new(questions, json_string(a));
      continue;
    }
    if (flag) {
      if (!strcmp(a, "--web"))
        web = 1;
      else if (!strcmp(a, "--offline"))
        offline = 1;
      else
        allow_empty = 1;
      continue;
    }
    const char *v = cli_value(argc, argv, i++, "research");
    if (!v) {
      json_decref(questions);
      return 2;
    }
    if (!strcmp(a, "--question"))
      json_array_append_new(questions, json_string(v));
    else if (cli_set_opt(strs, a, v))
      ;
    else if (!strcmp(a, "--depth")) {
      if (strcmp(v, "quick") && strcmp(v, "standard") && strcmp(v, "deep")) {
        fprintf(stderr, "maestro research: --depth is quick, standard or deep\n");
        json_decref(questions);
        return 2;
      }
      depth = v;
    } else if (!strcmp(a, "--rounds")) {
      if (util_parse_int(v, 1, 20, &rounds) != 0) {
        fprintf(stderr, "maestro research: --rounds must be 1..20\n");
        json_decref(questions);
        return 2;
      }
    } else {
      fprintf(stderr, "maestro research: unknown option %s\n", a);
      usage(stderr);
      json_decref(questions);
      return 2;
    }
  }
  if (strcmp(format, "md") && strcmp(format, "html") && strcmp(format, "pdf") && strcmp(format, "docx")) {
    fprintf(stderr, "maestro research: --format is md, html, pdf or docx\n");
    json_decref(questions);
    return 2;
  }
  if (!json_array_size(questions) && !title && !replay && !resume) {
    usage(stderr);
    json_decref(questions);
    return 2;
  }
  if (docs && group) {
    fprintf(stderr, "maestro research: use --docs or --group, not both\n");
    json_decref(questions);
    return 2;
  }
  store_user_t *u;
  app_t *app = cli_open_as(user, "research", &u);
  if (!app) {
    json_decref(questions);
    return 1;
  }
  int rc = 1;
  char mid[17] = "", err[1024];
  agents_err_t why = AGENTS_OK;
  json_t *mrow = NULL;
  progress_t prog = {.tty = isatty(2)};
  snprintf(prog.phase, sizeof prog.phase, "starting");
  if (resume) {
    if (agents_mission_resume(app->agents, NULL, resume, 0, &why, err, sizeof err) != 0 && why != AGENTS_E_CONFLICT) {
      fprintf(stderr, "maestro research: %s\n", err);
      goto out;
    }
    snprintf(mid, sizeof mid, "%s", resume);
  } else {
    json_t *req;
    if (replay) {
      json_t *orig = NULL;
      if (store_mission_get(app->store, NULL, replay, &orig) != STORE_OK) {
        fprintf(stderr, "maestro research: mission %s not found\n", replay);
        goto out;
      }
      req = agents_mission_request_from_row(orig); /* with allow_empty: the record answers, as the original did */
      char owner[17];
      snprintf(owner, sizeof owner, "%s", json_string_value(json_object_get(orig, "user_id")));
      store_user_free(u);
      u = NULL;
      store_user_get(app->store, owner, &u);
      json_decref(orig);
      llm_set_replay(app->llm, replay);
    } else {
      char gid[17] = "";
      if (docs || group) {
        const char *gname = group;
        char made[300];
        if (docs) {
          const char *base = strrchr(docs, '/') && strrchr(docs, '/')[1] ? strrchr(docs, '/') + 1 : docs;
          snprintf(made, sizeof made, "research: %s", base);
          gname = made;
        }
        int g = store_group_find(app->store, u->id, gname, gid);
        if (g == STORE_NOT_FOUND && docs)
          g = store_group_create(app->store, u->id, gname, "maestro research --docs", gid);
        if (g != STORE_OK) {
          fprintf(stderr, "maestro research: no document group %s\n", gname);
          goto out;
        }
        if (docs) {
          fprintf(stderr, "ingesting %s ...\n", docs);
          if (ingest_dir(app, u->id, gid, docs, 0) != 0) goto out;
        }
      }
      json_t *settings = json_object();
      if (rounds) json_object_set_new(settings, "max_rounds", json_integer(rounds));
      if (lang) json_object_set_new(settings, "language", json_string(lang));
      if (depth) json_object_set_new(settings, "depth", json_string(depth));
      if (offline) json_object_set_new(settings, "offline", json_true());
      json_t *sources = json_pack("[s]", "local_documents");
      if (web) json_array_append_new(sources, json_string("web_search"));
      req = json_pack("{s:s?, s:s?, s:O, s:o, s:o}", "title", title, "description", desc, "research_questions",
                      questions, "sources", sources, "settings", settings);
      if (gid[0]) json_object_set_new(req, "group_id", json_string(gid));
      json_t *pf = agents_preflight(app->agents, u->id, req, AGENTS_PREFLIGHT_PROBE);
      print_preflight(pf, stderr);
      json_decref(pf);
      if (allow_empty) json_object_set_new(req, "allow_empty", json_true());
    }
    json_t *refused = NULL;
    int crc = agents_mission_create(app->agents, u->id, req, 0, mid, &why, err, sizeof err, &refused);
    json_decref(req);
    if (crc != 0 && refused) /* the problems are printed above */
      fprintf(stderr,
              "maestro research: nothing to research (give --docs DIR, --group NAME or --web with a search "
              "provider), or start it anyway with --allow-empty\n");
    else if (crc != 0)
      fprintf(stderr, "maestro research: %s\n", err);
    json_decref(refused);
    if (crc != 0) goto out;
  }
  fprintf(stderr, "mission %s\n", mid);
  snprintf(prog.channel, sizeof prog.channel, "mission:%s", mid);
  if (events_listen(app->events, on_event, &prog) != 0)
    fprintf(stderr, "maestro research: progress cannot be shown (too many event listeners); the mission runs\n");
  struct sigaction sa = {0}, old;
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  int r = agents_mission_run(app->agents, mid, &g_interrupt, err, sizeof err);
  sigaction(SIGINT, &old, NULL);
  events_unlisten(app->events, on_event, &prog);
  if (prog.tty) fputc('\n', stderr);
  if (atomic_load(&g_interrupt)) {
    agents_mission_pause(app->agents, NULL, mid, &why, err, sizeof err);
    fprintf(stderr, "paused mission %s; resume with: maestro research --resume %s\n", mid, mid);
    rc = EXIT_PAUSED;
    goto out;
  }
  if (r == MISSION_RUN_FAILED) {
    fprintf(stderr, "maestro research: mission %s failed: %s\nresume with: maestro research --resume %s\n", mid, err,
            mid);
    goto out;
  }
  if (store_mission_get(app->store, NULL, mid, &mrow) != STORE_OK ||
      strcmp(json_string_value(json_object_get(mrow, "status")), "completed") != 0) {
    fprintf(stderr, "maestro research: mission %s did not complete (%s)\n", mid,
            mrow ? json_string_value(json_object_get(mrow, "status")) : "?");
    goto out;
  }
  store_llm_totals_t t = {0};
  store_llm_calls_totals(app->store, mid, &t);
  fprintf(stderr, "completed: %lld model calls (%lld cached), %lld tokens, %lld of %lld cited sentences supported\n",
          (long long)t.calls, (long long)t.cached, (long long)(t.prompt_tokens + t.completion_tokens),
          (long long)json_integer_value(json_object_get(mrow, "supported")),
          (long long)json_integer_value(json_object_get(mrow, "checked")));
  rc = cli_write_report(app, "research", mid, 0, json_string_value(json_object_get(mrow, "title")), out, format);
  const char *outcome = json_string_value(json_object_get(mrow, "outcome"));
  if (rc == 0 && outcome && !strcmp(outcome, "no_evidence")) {
    fprintf(stderr, "maestro research: no verified evidence: no cited sentence of the report is backed by its "
                    "sources (see the warnings above and the report's run record)\n");
    rc = EXIT_NO_EVIDENCE;
  }
out:
  json_decref(mrow);
  json_decref(questions);
  store_user_free(u);
  app_close(app);
  return rc;
}
