/* Scratch directories for the archive unit tests: one per test file, made
 * under /tmp by setup and removed whole by teardown. Include after cmocka.h. */
#ifndef ARC_TEST_UTIL_H
#define ARC_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

static inline void arc_test_mkdtemp(char *dir, size_t n, const char *tag)
{
    snprintf(dir, n, "/tmp/tsa-%s-XXXXXX", tag);
    assert_non_null(mkdtemp(dir));
}

static inline void arc_test_rmtree(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

#endif
