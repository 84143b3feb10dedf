/* test_web_extract.c - charset conversion and main-text extraction. */
#include <criterion/criterion.h>
#include <string.h>

#include "web/web_internal.h"

static const char *PAGE =
    "<!DOCTYPE html><html><head><title>Site - A study of rivers</title>"
    "<meta name=\"date\" content=\"2023-02-01\">"
    "<script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"datePublished\":\"2023-01-15T10:00:00Z\"}"
    "</script><script>var MENU_SCRIPT = 'SCRIPT-TEXT';</script><style>p{}</style></head><body>"
    "<header><a href=\"/\">LOGO-TEXT</a></header>"
    "<nav><a href=\"/1\">NAV-ONE</a> <a href=\"/2\">NAV-TWO</a></nav>"
    "<div class=\"menu\"><ul><li><a href=\"/a\">MENU-A</a></li><li><a href=\"/b\">MENU-B</a></li></ul></div>"
    "<div id=\"main\"><h1>A study of rivers</h1>"
    "<p>Rivers carry water, sediment, and nutrients from the mountains to the sea, shaping valleys as they go.</p>"
    "<h2>Floods</h2>"
    "<p>Floods happen when rain falls faster than the ground can absorb it, and they can be predicted, in part.</p>"
    "<ul><li>First point about the delta, which is long enough to count.</li></ul>"
    "<p style=\"display:none\">HIDDEN-TEXT</p>"
    "</div>"
    "<div class=\"sidebar\"><p>SIDEBAR-TEXT with, some, commas, to, tempt, the, scorer.</p></div>"
    "<div class=\"comments\"><p>COMMENT-TEXT: nice article, really, thanks.</p></div>"
    "<footer>FOOTER-TEXT</footer></body></html>";

Test(web_extract, body_without_boilerplate_in_order) {
  web_extracted_t x;
  cr_assert_eq(web_extract_html(PAGE, strlen(PAGE), &x), 0);
  cr_assert_str_eq(x.title, "Site - A study of rivers");
  cr_assert_str_eq(x.published, "2023-01-15T10:00:00Z", "JSON-LD beats meta date: %s", x.published);
  const char *absent[] = {"SCRIPT-TEXT",  "LOGO-TEXT",    "NAV-ONE",     "MENU-A", "HIDDEN-TEXT",
                          "SIDEBAR-TEXT", "COMMENT-TEXT", "FOOTER-TEXT", "p{}",    NULL};
  for (const char **a = absent; *a; a++) cr_assert_null(strstr(x.text, *a), "%s leaked into:\n%s", *a, x.text);
  const char *h1 = strstr(x.text, "# A study of rivers");
  const char *p1 = strstr(x.text, "Rivers carry water");
  const char *h2 = strstr(x.text, "## Floods");
  const char *p2 = strstr(x.text, "Floods happen");
  const char *li = strstr(x.text, "- First point");
  cr_assert(h1 && p1 && h2 && p2 && li, "missing content:\n%s", x.text);
  cr_assert(h1 < p1 && p1 < h2 && h2 < p2 && p2 < li, "order kept:\n%s", x.text);
  web_extracted_free(&x);
}

Test(web_extract, og_title_meta_date_and_time_element) {
  const char *html =
      "<html><head><title>T1</title><meta property=\"og:title\" content=\"The OG title\">"
      "<meta property=\"article:published_time\" content=\"2020-05-06\"></head>"
      "<body><p>Text paragraph that is long enough to be scored as a paragraph here.</p></body></html>";
  web_extracted_t x;
  cr_assert_eq(web_extract_html(html, strlen(html), &x), 0);
  cr_assert_str_eq(x.title, "The OG title");
  cr_assert_str_eq(x.published, "2020-05-06");
  cr_assert(strstr(x.text, "Text paragraph"));
  web_extracted_free(&x);
  const char *h2 =
      "<html><body><h1>Only heading</h1><time datetime=\"2019-09-09\">Sept 9</time>"
      "<p>Body text, with a comma, long enough to count for the scoring step here.</p></body></html>";
  cr_assert_eq(web_extract_html(h2, strlen(h2), &x), 0);
  cr_assert_str_eq(x.title, "Only heading");
  cr_assert_str_eq(x.published, "2019-09-09");
  web_extracted_free(&x);
}

Test(web_extract, garbage_and_empty_input) {
  web_extracted_t x;
  cr_assert_eq(web_extract_html("", 0, &x), 0);
  cr_assert_str_eq(x.text, "");
  web_extracted_free(&x);
  const char *junk = "<<<>>><p>unclosed <b>bold <i>text";
  cr_assert_eq(web_extract_html(junk, strlen(junk), &x), 0);
  cr_assert(strstr(x.text, "unclosed bold text"), "%s", x.text);
  web_extracted_free(&x);
}

Test(web_charset, latin1_header_meta_and_detection) {
  const char latin1[] = "Caf\xe9 Z\xfcrich \x96 na\xefve";
  size_t n;
  char *u = web_to_utf8(latin1, strlen(latin1), "ISO-8859-1", 0, &n);
  /* Latin-1 is read as windows-1252, so 0x96 is an en dash */
  cr_assert_str_eq(u, "Caf\xc3\xa9 Z\xc3\xbcrich \xe2\x80\x93 na\xc3\xafve");
  free(u);
  const char html[] =
      "<html><head><meta charset=\"iso-8859-1\"></head><body>Stra\xdf"
      "e</body></html>";
  u = web_to_utf8(html, strlen(html), NULL, 1, &n);
  cr_assert(strstr(u,
                   "Stra\xc3\x9f"
                   "e"),
            "%s", u);
  free(u);
  /* no declaration, not UTF-8 -> windows-1252 */
  u = web_to_utf8("\xe9t\xe9", 3, NULL, 0, &n);
  cr_assert_str_eq(u, "\xc3\xa9t\xc3\xa9");
  free(u);
  /* valid UTF-8 stays as it is; a BOM is dropped */
  u = web_to_utf8("\xef\xbb\xbf\xc3\xa9", 5, NULL, 0, &n);
  cr_assert_str_eq(u, "\xc3\xa9");
  free(u);
  /* broken UTF-8 declared as UTF-8 becomes U+FFFD, not garbage */
  u = web_to_utf8("a\xffz", 3, "utf-8", 0, &n);
  cr_assert_str_eq(u, "a\xef\xbf\xbdz");
  free(u);
  /* unknown charset: best effort instead of failure */
  u = web_to_utf8("abc", 3, "x-unknown-charset", 0, &n);
  cr_assert_str_eq(u, "abc");
  free(u);
}
