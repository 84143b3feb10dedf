/*
 * biblio.h - a document's bibliographic record: the nine fields the parsers
 * find (rag_doc_t) and the store keeps (store_doc_t), declared once.
 *
 * Every field is a malloc'd string owned by the struct, or NULL when unknown:
 * authors and keywords are lists joined with "; ", year is four digits, doi
 * is bare ("10.1234/x"), arxiv_id has no "arXiv:", language is a BCP 47 tag.
 * Thread-safe (no shared state).
 */
#ifndef MAESTRO_BIBLIO_H
#define MAESTRO_BIBLIO_H

typedef struct {
  char *title, *authors, *year, *venue, *doi, *arxiv_id, *abstract, *keywords, *language;
} doc_biblio_t;

/* The fields' names in declaration order, NULL-terminated: the names of the
 * API's members, the documents table's columns and meta_sources' keys. */
extern const char *const DOC_BIBLIO_FIELDS[];

/* The slot of b's field called name (one of DOC_BIBLIO_FIELDS), or NULL. */
char **doc_biblio_field(doc_biblio_t *b, const char *name);
/* Frees every field of b and leaves them NULL; b may be NULL. */
void doc_biblio_clear(doc_biblio_t *b);

#endif
