/*
 * xml_support.c - XPath values for tests. See xml_support.h.
 */
#include "xml_support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

double xs_num(xmlXPathContextPtr x, const char *expr) {
  xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, x);
  cr_assert(o, "bad XPath %s", expr);
  double v = xmlXPathCastToNumber(o);
  xmlXPathFreeObject(o);
  return v;
}

char *xs_str(xmlXPathContextPtr x, const char *expr) {
  xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, x);
  cr_assert(o, "bad XPath %s", expr);
  xmlChar *s = xmlXPathCastToString(o);
  char *r = strdup((const char *)s);
  xmlFree(s);
  xmlXPathFreeObject(o);
  return r;
}
