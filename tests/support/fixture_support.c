/* fixture_support.c - see fixture_support.h. */
#include "fixture_support.h"

#include <criterion/criterion.h>
#include <stdio.h>

json_t *fixture_cases(const char *name, size_t min, json_t **root) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/fixtures/%s", MAESTRO_SOURCE_DIR, name);
  json_error_t e;
  *root = json_load_file(path, 0, &e);
  cr_assert(*root, "%s: %s", path, e.text);
  json_t *cases = json_object_get(*root, "cases");
  cr_assert(json_array_size(cases) >= min, "%s: %zu cases", path, json_array_size(cases));
  return cases;
}
