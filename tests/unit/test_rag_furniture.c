/*
 * Page furniture is not document text (issue 14 §3): running headers and
 * footers repeated on every page of a PDF, navigation lines of generated
 * HTML manuals ("Prev | Up | Next", outside any <nav>), and table-of-contents
 * pages of dot leaders are dropped at parsing, so they never reach chunks or
 * search results; the text around them, and sentences that merely contain
 * such words, stay.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "rag/parse.h"
#include "rag_support.h"

static char dir[256];

static void setup(void) {
  snprintf(dir, sizeof dir, "/tmp/maestro-furniture-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  rag_parse_init();
}

TestSuite(rag_furniture, .init = setup, .timeout = 60);

static void parse_path(const char *path, const char *name, rag_doc_t *doc) {
  size_t len = 0;
  char *data = util_read_file(path, &len);
  cr_assert_not_null(data);
  rag_doc_init(doc);
  char err[256] = "";
  cr_assert_eq(rag_parse(data, len, name, NULL, doc, err, sizeof err), 0, "%s", err);
  free(data);
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p++) n++;
  return n;
}

Test(rag_furniture, pdf_running_header_and_footer_go_body_stays) {
  char pages[6][400];
  const char *pp[6];
  const char *body[] = {"Turbine blades are cooled by air drawn from the compressor.",
                        "Boundary layers thicken along the chord of the blade.",
                        "Film cooling holes protect the leading edge from hot gas.",
                        "Thermal barrier coatings lower the metal temperature further.",
                        "Creep life depends strongly on the blade temperature.",
                        "Cooling air is not free: it lowers the cycle efficiency."};
  for (int i = 0; i < 6; i++) {
    snprintf(pages[i], sizeof pages[i],
             "Journal of Propulsion Studies, Vol. 12\n\n%s\n\nConfidential draft - page %d of 6", body[i], i + 1);
    pp[i] = pages[i];
  }
  char path[512];
  snprintf(path, sizeof path, "%s/journal.pdf", dir);
  cr_assert_eq(rs_write_pdf(path, pp, 6, "DejaVu Sans", "Cooling"), 0);
  rag_doc_t doc;
  parse_path(path, "journal.pdf", &doc);
  cr_expect_eq(count(doc.text.data, "Journal of Propulsion Studies"), 0, "%s", doc.text.data);
  cr_expect_eq(count(doc.text.data, "Confidential draft"), 0, "%s", doc.text.data);
  for (int i = 0; i < 6; i++) cr_expect(strstr(doc.text.data, body[i]) != NULL, "kept: %s", body[i]);
  cr_expect_eq(doc.npages, 6);
  rag_doc_free(&doc);
}

Test(rag_furniture, a_line_on_one_or_two_pages_is_content) {
  const char *pp[] = {"Results\n\nThe rotor reached 12000 rpm.", "Results\n\nThe stator held.",
                      "Discussion\n\nBoth parts survived the test.", "Conclusion\n\nThe design works."};
  char path[512];
  snprintf(path, sizeof path, "%s/report.pdf", dir);
  cr_assert_eq(rs_write_pdf(path, pp, 4, "DejaVu Sans", "Report"), 0);
  rag_doc_t doc;
  parse_path(path, "report.pdf", &doc);
  cr_expect(strstr(doc.text.data, "Results") != NULL, "a word on 2 of 4 pages stays: %s", doc.text.data);
  cr_expect(strstr(doc.text.data, "Both parts survived") != NULL);
  rag_doc_free(&doc);
}

Test(rag_furniture, html_manual_navigation_lines_go_sentences_stay) {
  /* what texinfo / DocBook HTML looks like: navigation in plain paragraphs and tables, no <nav> */
  const char *html =
      "<!DOCTYPE html><html><head><title>Configuring the Scheduler</title></head><body>\n"
      "<div class=\"header\"><p>Next: <a href=\"b.html\">Queues</a>, Previous: <a href=\"a.html\">Install</a>, "
      "Up: <a href=\"index.html\">Top</a> &nbsp; [<a href=\"toc.html\">Contents</a>][<a href=\"ix.html\">Index</a>]"
      "</p></div>\n"
      "<table width=\"100%\"><tr><td><a href=\"a.html\">Prev</a></td><td><a href=\"index.html\">Up</a></td>"
      "<td><a href=\"b.html\">Next</a></td></tr></table>\n"
      "<h1>4.2 Configuring the Scheduler</h1>\n"
      "<p>The scheduler reads its queues from scheduler.conf at start.</p>\n"
      "<p>Next, restart the daemon so the new queues take effect.</p>\n"
      "<p><a href=\"a.html\">&laquo; Prev</a> | <a href=\"index.html\">Up</a> | <a href=\"b.html\">Next &raquo;</a></p>\n"
      "</body></html>\n";
  char path[512];
  snprintf(path, sizeof path, "%s/sched.html", dir);
  cr_assert_eq(util_write_file(path, html, strlen(html), 0644), 0);
  rag_doc_t doc;
  parse_path(path, "sched.html", &doc);
  cr_expect(strstr(doc.text.data, "Prev") == NULL, "no navigation: %s", doc.text.data);
  cr_expect(strstr(doc.text.data, "Previous: Install") == NULL, "%s", doc.text.data);
  cr_expect(strstr(doc.text.data, "reads its queues") != NULL);
  cr_expect(strstr(doc.text.data, "Next, restart the daemon") != NULL, "a sentence starting with Next stays");
  rag_doc_free(&doc);
}

Test(rag_furniture, pdf_table_of_contents_of_dot_leaders_goes) {
  const char *pp[] = {
      "Contents\n\n1 Introduction .................... 1\n2 Wind tunnel setup ............... 3\n"
      "3 Measurements .................... 7\n4 Results . . . . . . . . . . . . . 11\nIndex ......................... 19",
      "1 Introduction\n\nWind tunnels let engineers measure lift and drag on scale models.",
      "2 Wind tunnel setup\n\nThe test section is 1.2 m wide and the flow reaches 60 m/s.",
      "3 Measurements\n\nA six-component balance records the forces. Ellipses... are kept in prose."};
  char path[512];
  snprintf(path, sizeof path, "%s/thesis.pdf", dir);
  cr_assert_eq(rs_write_pdf(path, pp, 4, "DejaVu Sans", "Thesis"), 0);
  rag_doc_t doc;
  parse_path(path, "thesis.pdf", &doc);
  cr_expect(strstr(doc.text.data, ".....") == NULL, "no dot leaders: %s", doc.text.data);
  cr_expect(strstr(doc.text.data, ". . . .") == NULL, "no spaced leaders: %s", doc.text.data);
  cr_expect(strstr(doc.text.data, "measure lift and drag") != NULL);
  cr_expect(strstr(doc.text.data, "Ellipses... are kept in prose.") != NULL, "%s", doc.text.data);
  rag_doc_free(&doc);
}

Test(rag_furniture, a_document_of_only_navigation_is_kept_whole) {
  const char *txt = "Prev | Up | Next\n\nHome > Contents\n";
  char path[512];
  snprintf(path, sizeof path, "%s/nav.txt", dir);
  cr_assert_eq(util_write_file(path, txt, strlen(txt), 0644), 0);
  rag_doc_t doc;
  parse_path(path, "nav.txt", &doc);
  cr_expect(strstr(doc.text.data, "Prev | Up | Next") != NULL, "nothing else to keep: kept");
  rag_doc_free(&doc);
}
