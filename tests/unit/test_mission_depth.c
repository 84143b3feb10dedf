/* test_mission_depth.c - the depth table, fitting prompt items to a token
 * budget, grouping notes under subsections, splitting rich sections. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "agents/agents_internal.h"

Test(mission_depth, table_grows_with_depth) {
  const agent_depth_t *q = agent_depth("quick"), *s = agent_depth("standard"), *d = agent_depth("deep");
  cr_assert(q && s && d);
  cr_assert_null(agent_depth("extreme"));
  cr_assert_null(agent_depth(NULL));
  cr_assert_lt(q->rounds, s->rounds);
  cr_assert_lt(s->rounds, d->rounds);
  cr_assert_lt(q->notes, s->notes);
  cr_assert_lt(s->passages, d->passages);
  cr_assert_lt(s->queries, d->queries);
  cr_assert(d->split && !s->split && !q->split);
}

Test(mission_depth, fit_keeps_what_fits_and_says_what_was_dropped) {
  json_t *items = json_pack("[s,s,s]", "aaaa aaaa aaaa aaaa\n", "bbbb bbbb bbbb bbbb\n", "cccc cccc cccc cccc\n");
  buf_t u = BUF_INIT;
  buf_init(&u);
  buf_puts(&u, "head\n");
  int dropped = -1;
  /* each item is ~5 tokens, the head 2: room for two items */
  size_t next = agent_fit(&u, 13, items, 0, &dropped);
  cr_assert_eq(next, 2);
  cr_assert_eq(dropped, 1);
  cr_assert(strstr(u.data, "bbbb") && !strstr(u.data, "cccc"));
  /* from an offset, with room for all */
  buf_truncate(&u, 0);
  next = agent_fit(&u, 1000, items, 1, &dropped);
  cr_assert_eq(next, 3);
  cr_assert_eq(dropped, 0);
  cr_assert(!strstr(u.data, "aaaa"));
  buf_free(&u);
  json_decref(items);
}

Test(mission_depth, fit_cuts_a_first_item_too_big_rather_than_send_nothing) {
  char big[4001];
  memset(big, 'x', 4000);
  big[4000] = 0;
  for (int i = 7; i < 4000; i += 8) big[i] = ' ';
  json_t *items = json_pack("[s,s]", big, "small\n");
  buf_t u = BUF_INIT;
  buf_init(&u);
  int dropped = 0;
  size_t next = agent_fit(&u, 200, items, 0, &dropped);
  cr_assert_eq(next, 1, "the head of the first item is taken");
  cr_assert_eq(dropped, 1);
  cr_assert_gt(u.len, 100);
  cr_assert_lt(llm_estimate_tokens(u.data), 210);
  buf_free(&u);
  json_decref(items);
}

static json_t *note(const char *id, const char *doc, const char *quote) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", id, "document_id", doc, "source_key", doc, "quote", quote,
                   "content", "");
}

Test(mission_depth, notes_go_to_the_subsection_they_answer) {
  json_t *subs =
      json_pack("[{s:s, s:[s]}, {s:s, s:[s]}]", "title", "Costs", "questions", "What do tidal turbines cost?", "title",
                "Risks", "questions", "Which storms and permitting delays hold tidal projects back?");
  json_t *notes = json_array();
  json_array_append_new(notes, note("n1", "d1", "A tidal turbine cost 30 million euros in Brittany."));
  json_array_append_new(notes, note("n2", "d2", "Storms and permitting delays held back four tidal projects."));
  json_array_append_new(notes, note("n3", "d3", "Turbines cost less each year, tidal operators say."));
  json_t *g = agent_group_notes(subs, notes);
  cr_assert_eq(json_array_size(g), 2);
  cr_assert_eq(json_array_size(json_array_get(g, 0)), 2);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_array_get(g, 1), 0), "id")), "n2");
  json_decref(g);
  json_decref(subs);
  json_decref(notes);
}

Test(mission_depth, only_deep_rich_sections_split) {
  mrun_t m = {.split_sections = 1, .notes_per_section = 6};
  json_t *sec =
      json_pack("{s:s, s:s, s:[s,s]}", "id", "s2", "title", "Tidal power", "questions", "What do tidal turbines cost?",
                "Which storms and permitting delays hold tidal projects back?");
  json_t *notes = json_array();
  const char *cost[] = {"A tidal turbine cost 30 million euros.", "Tidal turbines cost 12 percent less in 2020.",
                        "Each turbine cost about 4 million to install."};
  const char *risk[] = {"Storms held back tidal projects in winter.", "Permitting delays held back two projects.",
                        "Storms and permitting delays hold projects back."};
  char id[8], doc[8];
  for (int i = 0; i < 3; i++) {
    snprintf(id, sizeof id, "c%d", i);
    snprintf(doc, sizeof doc, "d%d", i);
    json_array_append_new(notes, note(id, doc, cost[i]));
    snprintf(id, sizeof id, "r%d", i);
    snprintf(doc, sizeof doc, "e%d", i);
    json_array_append_new(notes, note(id, doc, risk[i]));
  }
  json_t *subs = agent_split_section(&m, sec, notes);
  cr_assert(subs, "a rich section is split");
  cr_assert_eq(json_array_size(subs), 2);
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(subs, 0), "id")), "s2.1");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(subs, 1), "parent_id")), "s2");
  json_decref(subs);
  m.split_sections = 0;
  cr_assert_null(agent_split_section(&m, sec, notes), "standard never splits");
  m.split_sections = 1;
  m.notes_per_section = 20;
  cr_assert_null(agent_split_section(&m, sec, notes), "too few notes");
  json_decref(sec);
  json_decref(notes);
}

Test(mission_depth, offline_notes_quote_sentences_not_titles_or_cut_off_pieces) {
  /* a Markdown document's chunk: its title line, a byline, then the text, cut
   * mid-sentence at the chunk's end */
  passage_t p = {.label = "P1", .title = "Attendance and Use of the Science Library at M.I.T.", .chunk_id = 7};
  p.text =
      "Attendance and Use of the Science Library at M.I.T.\n"
      "A Quantitative Measure of Library Attendance and Circulation Use\n"
      "Library attendance was counted at the turnstiles every hour for a whole term.\n"
      "Circulation use of the science library rose by a third while attendance stayed flat, and the";
  passages_t ps = {.v = &p, .n = 1};
  mrun_t m = {.notes_per_section = 6};
  json_t *section = json_pack("{s:s, s:[s]}", "title", "Library attendance and circulation use", "questions",
                              "How were library attendance and circulation use measured?");
  json_t *notes = offline_notes(&m, section, &ps);
  cr_assert_eq(json_array_size(notes), 1, "only the one finished sentence is a quote");
  cr_assert_str_eq(json_string_value(json_object_get(json_array_get(notes, 0), "quote")),
                   "Library attendance was counted at the turnstiles every hour for a whole term.");
  json_decref(notes);
  json_decref(section);
}
