/*
 * chat_support.h - the set-up the conversation tests share (test_chat,
 * test_drafts, test_writing): the in-process server against the fake model
 * (or none), documents ingested for a user, and waiting for an answer to end
 * on its live channel.
 */
#ifndef MAESTRO_TEST_CHAT_SUPPORT_H
#define MAESTRO_TEST_CHAT_SUPPORT_H

#include <jansson.h>

#include "inproc.h"
#include "llm_support.h"

/* inproc_open with one model retry, quick, and: with fake, the fake model
 * server started with rules as the local model ("fake-model"); with fake
 * NULL, no model at all. more: up to 3 further "NAME=value" (NULL-ended, may
 * be NULL). Fails the test when the fake does not start. */
void chatsup_open(inproc_t *env, llmsup_fake_t *fake, const char *rules, const char *const *more);
/* Adds the file name with text to user's library and ingests it (asserts it
 * is ready); id_out >= 17 bytes. */
void chatsup_add_doc(inproc_t *env, const char *user, const char *name, const char *text, char *id_out);
/* The event after seq `after` on channel that ends an answer: the
 * assistant's "message" or an "error" (new reference); fails the test
 * after 30 s. */
json_t *chatsup_end_of_answer(inproc_t *env, const char *channel, json_int_t after);

#endif
