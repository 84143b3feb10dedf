/*
 * xml_support.h - XPath over a parsed XML document (the DOCX parts of the
 * report export tests): one expression's value as a number or a string.
 * A bad expression fails the test.
 */
#ifndef MAESTRO_TEST_XML_SUPPORT_H
#define MAESTRO_TEST_XML_SUPPORT_H

#include <libxml/xpath.h>

/* The value of expr as a number (count(...), sum(...), a node's text). */
double xs_num(xmlXPathContextPtr x, const char *expr);
/* The value of expr as a string (the first node's text); malloc'd. */
char *xs_str(xmlXPathContextPtr x, const char *expr);

#endif
