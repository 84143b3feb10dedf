/* biblio.c - a document's bibliographic record; see biblio.h. */
#include "base/biblio.h"

#include <stdlib.h>
#include <string.h>

#define NFIELDS 9

const char *const DOC_BIBLIO_FIELDS[NFIELDS + 1] = {"title",    "authors",  "year",     "venue",    "doi",
                                                    "arxiv_id", "abstract", "keywords", "language", NULL};

/* b's slots in DOC_BIBLIO_FIELDS order. */
static void slots(doc_biblio_t *b, char **f[NFIELDS]) {
  char **all[NFIELDS] = {&b->title,    &b->authors,  &b->year,     &b->venue,   &b->doi,
                         &b->arxiv_id, &b->abstract, &b->keywords, &b->language};
  memcpy(f, all, sizeof all);
}

char **doc_biblio_field(doc_biblio_t *b, const char *name) {
  char **f[NFIELDS];
  slots(b, f);
  for (int i = 0; i < NFIELDS; i++)
    if (!strcmp(name, DOC_BIBLIO_FIELDS[i])) return f[i];
  return NULL;
}

void doc_biblio_clear(doc_biblio_t *b) {
  if (!b) return;
  char **f[NFIELDS];
  slots(b, f);
  for (int i = 0; i < NFIELDS; i++) {
    free(*f[i]);
    *f[i] = NULL;
  }
}
