/*
 * rag_support.h - document fixtures made by the tests themselves: PDFs with
 * cairo's PDF surface (multi-page, Korean text, image-only), a hand-written
 * encrypted PDF, DOCX files with libzip (headings, tables, lists,
 * footnotes, an external entity, a zip bomb), and plain files.
 * All functions return 0 on success.
 */
#ifndef MAESTRO_TEST_RAG_SUPPORT_H
#define MAESTRO_TEST_RAG_SUPPORT_H

#include <stddef.h>

/* A PDF with one page per entry of pages (lines separated by '\n'), in the
 * given font family ("Noto Sans CJK KR" for Korean, "DejaVu Sans" otherwise),
 * with the document title in the metadata when title is not NULL. */
int rs_write_pdf(const char *path, const char *const *pages, int npages, const char *font, const char *title);
/* A PDF whose only page holds drawn shapes and no text. */
int rs_write_image_pdf(const char *path);
/* A PDF protected by a user password (standard security handler). */
int rs_write_encrypted_pdf(const char *path);
/* A DOCX: body is the inner XML of <w:body>; footnotes the inner XML of
 * <w:footnotes> (or NULL); title goes to docProps/core.xml (or NULL).
 * doctype (or NULL) is inserted before the root element of document.xml. */
int rs_write_docx(const char *path, const char *body, const char *footnotes, const char *title, const char *doctype);
/* A DOCX whose document.xml inflates to `inflated` bytes. */
int rs_write_docx_bomb(const char *path, size_t inflated);
int rs_write_file(const char *path, const void *data, size_t len);

/* One line of a paper-like first page: text drawn at font size. */
typedef struct {
  const char *text;
  double size;
} rs_pdf_line_t;
/* A one-page PDF drawing lines top-down at their sizes, with an information
 * dictionary title/author (each may be NULL), like a paper exported by a
 * word processor. */
int rs_write_paper_pdf(const char *path, const rs_pdf_line_t *lines, int n, const char *info_title,
                       const char *info_author);
/* A DOCX like rs_write_docx with docProps/core.xml holding core_inner (the
 * children of cp:coreProperties; dc, dcterms and cp prefixes declared). */
int rs_write_docx_core(const char *path, const char *body, const char *core_inner);

#endif
