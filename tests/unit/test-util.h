/* Helpers shared by the unit tests: fixture paths under $AIOPS_TEST_DATA and scratch dirs. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

/* Opens a fixture directory (relative to $AIOPS_TEST_DATA) O_DIRECTORY; fails the test if
 * it cannot. */
int test_data_open(const char *rel);
/* Returns the absolute path of a fixture (caller frees). */
char *test_data_path(const char *rel);
/* Creates a fresh scratch directory under $TMPDIR (caller frees the path; removes it with
 * test_rm_rf()). */
char *test_mkdtemp(void);
void test_rm_rf(const char *path);
