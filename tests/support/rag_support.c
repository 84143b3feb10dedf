/* rag_support.c - document fixtures; see rag_support.h. */
#include "rag_support.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "base/buf.h"

int rs_write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = len ? fwrite(data, 1, len, f) : 0;
  return fclose(f) == 0 && w == len ? 0 : -1;
}

/* cairo's and fontconfig's (a dependency of cairo, found at run time) caches
 * are dropped after each PDF so leak checkers see a clean exit. */
static void release_font_caches(void) {
  cairo_debug_reset_static_data();
  void (*fc_fini)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "FcFini");
  if (fc_fini) fc_fini();
}

/* Ends a cairo PDF: 0 when it was written. */
static int finish_pdf(cairo_surface_t *s, cairo_t *cr) {
  cairo_destroy(cr);
  cairo_surface_finish(s);
  int ok = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS;
  cairo_surface_destroy(s);
  /* drop cairo's and fontconfig's caches so leak checkers see a clean exit */
  release_font_caches();
  return ok ? 0 : -1;
}

int rs_write_pdf(const char *path, const char *const *pages, int npages, const char *font, const char *title) {
  cairo_surface_t *s = cairo_pdf_surface_create(path, 595, 842);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return -1;
  if (title) cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
  cairo_t *cr = cairo_create(s);
  cairo_select_font_face(cr, font ? font : "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, 11);
  for (int p = 0; p < npages; p++) {
    double y = 60;
    const char *t = pages[p];
    while (*t) {
      const char *nl = strchr(t, '\n');
      size_t len = nl ? (size_t)(nl - t) : strlen(t);
      char *line = strndup(t, len);
      cairo_move_to(cr, 50, y);
      cairo_show_text(cr, line);
      free(line);
      y += 16;
      t += len;
      if (*t == '\n') t++;
    }
    cairo_show_page(cr);
  }
  return finish_pdf(s, cr);
}

int rs_write_paper_pdf(const char *path, const rs_pdf_line_t *lines, int n, const char *info_title,
                       const char *info_author) {
  cairo_surface_t *s = cairo_pdf_surface_create(path, 595, 842);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) return -1;
  if (info_title) cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, info_title);
  if (info_author) cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_AUTHOR, info_author);
  cairo_t *cr = cairo_create(s);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  double y = 60;
  for (int i = 0; i < n; i++) {
    y += lines[i].size * 1.4;
    cairo_set_font_size(cr, lines[i].size);
    cairo_move_to(cr, 50, y);
    cairo_show_text(cr, lines[i].text);
  }
  cairo_show_page(cr);
  return finish_pdf(s, cr);
}

int rs_write_image_pdf(const char *path) {
  cairo_surface_t *s = cairo_pdf_surface_create(path, 595, 842);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, 0.2, 0.3, 0.8);
  cairo_rectangle(cr, 50, 50, 300, 200);
  cairo_fill(cr);
  cairo_arc(cr, 300, 500, 80, 0, 6.28);
  cairo_fill(cr);
  cairo_show_page(cr);
  return finish_pdf(s, cr);
}

int rs_write_encrypted_pdf(const char *path) {
  /* Standard security handler, RC4 40-bit; the /U entry does not match the
   * empty user password, so the document needs a password to open. */
  buf_t b = BUF_INIT;
  buf_init(&b);
  long off[6];
  buf_puts(&b, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");
  off[1] = (long)b.len;
  buf_puts(&b, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
  off[2] = (long)b.len;
  buf_puts(&b, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
  off[3] = (long)b.len;
  buf_puts(&b, "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 5 0 R >>\nendobj\n");
  off[4] = (long)b.len;
  buf_puts(&b,
           "4 0 obj\n<< /Filter /Standard /V 1 /R 2 /Length 40 /P -44 "
           "/O <6b1f0e53a47d2c1f9b0e7c6d5a4f3e2d1c0b9a8f7e6d5c4b3a29180716253443> "
           "/U <0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef> >>\nendobj\n");
  off[5] = (long)b.len;
  buf_puts(&b,
           "5 0 obj\n<< /Length 16 >>\nstream\n\x8a\x13\x55\xa0\x01\x99\x42\x17\xfe\x33\x10\x7c\x5d\x6e\x2b\x08\n"
           "endstream\nendobj\n");
  long xref = (long)b.len;
  buf_puts(&b, "xref\n0 6\n0000000000 65535 f \n");
  for (int i = 1; i <= 5; i++) buf_printf(&b, "%010ld 00000 n \n", off[i]);
  buf_printf(&b,
             "trailer\n<< /Size 6 /Root 1 0 R /Encrypt 4 0 R /ID [<00112233445566778899aabbccddeeff>"
             "<00112233445566778899aabbccddeeff>] >>\nstartxref\n%ld\n%%%%EOF\n",
             xref);
  int rc = rs_write_file(path, b.data, b.len);
  buf_free(&b);
  return rc;
}

static int add_part(zip_t *z, const char *name, const char *data, size_t len) {
  char *copy = malloc(len ? len : 1);
  if (!copy) return -1;
  memcpy(copy, data, len);
  zip_source_t *src = zip_source_buffer(z, copy, len, 1);
  if (!src) {
    free(copy);
    return -1;
  }
  if (zip_file_add(z, name, src, ZIP_FL_OVERWRITE | ZIP_FL_ENC_UTF_8) < 0) {
    zip_source_free(src);
    return -1;
  }
  return 0;
}

#define W_NS "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""

int rs_write_docx(const char *path, const char *body, const char *footnotes, const char *title, const char *doctype) {
  int err = 0;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!z) return -1;
  const char *ct =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types "
      "xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"xml\" "
      "ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" "
      "ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
  const char *styles = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:styles " W_NS
                       "><w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:name w:val=\"heading 1\"/>"
                       "</w:style><w:style w:type=\"paragraph\" w:styleId=\"Heading2\"><w:name "
                       "w:val=\"heading 2\"/></w:style><w:style w:type=\"paragraph\" w:styleId=\"Kop3\"><w:name "
                       "w:val=\"Kop 3\"/><w:pPr><w:outlineLvl w:val=\"2\"/></w:pPr></w:style></w:styles>";
  buf_t doc = BUF_INIT;
  buf_init(&doc);
  buf_puts(&doc, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n");
  if (doctype) buf_puts(&doc, doctype);
  buf_printf(&doc, "<w:document " W_NS "><w:body>%s</w:body></w:document>", body);
  int rc = add_part(z, "[Content_Types].xml", ct, strlen(ct));
  rc |= add_part(z, "word/styles.xml", styles, strlen(styles));
  rc |= add_part(z, "word/document.xml", doc.data, doc.len);
  if (footnotes) {
    buf_t f = BUF_INIT;
    buf_init(&f);
    buf_printf(&f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:footnotes " W_NS ">%s</w:footnotes>", footnotes);
    rc |= add_part(z, "word/footnotes.xml", f.data, f.len);
    buf_free(&f);
  }
  if (title) {
    buf_t c = BUF_INIT;
    buf_init(&c);
    buf_printf(&c,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?><cp:coreProperties "
               "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
               "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\">"
               "<dc:title>%s</dc:title><dc:creator>Test Author</dc:creator>"
               "<dcterms:created>2021-05-04T10:00:00Z</dcterms:created></cp:coreProperties>",
               title);
    rc |= add_part(z, "docProps/core.xml", c.data, c.len);
    buf_free(&c);
  }
  buf_free(&doc);
  if (zip_close(z) != 0) {
    zip_discard(z);
    return -1;
  }
  return rc ? -1 : 0;
}

int rs_write_docx_bomb(const char *path, size_t inflated) {
  int err = 0;
  zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
  if (!z) return -1;
  char *big = malloc(inflated);
  if (!big) return -1;
  const char *head = "<?xml version=\"1.0\"?><w:document " W_NS "><w:body><w:p><w:r><w:t>";
  size_t hl = strlen(head);
  memcpy(big, head, hl);
  memset(big + hl, 'A', inflated - hl);
  zip_source_t *src = zip_source_buffer(z, big, inflated, 1);
  if (!src || zip_file_add(z, "word/document.xml", src, ZIP_FL_OVERWRITE) < 0) {
    zip_discard(z);
    return -1;
  }
  zip_set_file_compression(z, 0, ZIP_CM_DEFLATE, 9);
  if (zip_close(z) != 0) {
    zip_discard(z);
    return -1;
  }
  return 0;
}

/* cairo 1.16 keeps one PDF-surface buffer and fontconfig keeps caches past
 * exit; both belong to fixture generation in the test process, not to
 * Maestro, so LeakSanitizer is told about them (linked into every test that
 * writes fixtures). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) {
  return "leak:libcairo.so\nleak:libfontconfig.so\n";
}

int rs_write_docx_core(const char *path, const char *body, const char *core_inner) {
  if (rs_write_docx(path, body, NULL, NULL, NULL) != 0) return -1;
  int err = 0;
  zip_t *z = zip_open(path, 0, &err);
  if (!z) return -1;
  buf_t c = BUF_INIT;
  buf_init(&c);
  buf_printf(&c,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?><cp:coreProperties "
             "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
             "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\">%s"
             "</cp:coreProperties>",
             core_inner);
  int rc = add_part(z, "docProps/core.xml", c.data, c.len);
  buf_free(&c);
  if (zip_close(z) != 0) {
    zip_discard(z);
    return -1;
  }
  return rc;
}
