/* fixture_support.h - the shared fixtures of tests/fixtures/ (JSON files the
 * UI's Vitest tests read as well, so the C and TypeScript sides of one rule
 * are checked on the same cases). */
#ifndef MAESTRO_FIXTURE_SUPPORT_H
#define MAESTRO_FIXTURE_SUPPORT_H

#include <jansson.h>

/* The "cases" array of tests/fixtures/NAME, at least `min` of them; the test
 * fails when the file cannot be read or holds fewer. *root receives the
 * document (release it with json_decref); the array is borrowed from it. */
json_t *fixture_cases(const char *name, size_t min, json_t **root);

#endif
