/* version.c - run-time version queries. */
#include "retain/common.h"

const char *retain_version(void) { return RETAIN_VERSION_STRING; }
int retain_version_number(void) { return RETAIN_VERSION_NUMBER; }
