#!/usr/bin/env python3
"""scripts/check-banned.sh: fails on a tree with banned calls, passes on a clean one, on an
empty or missing src/, and on the repository's own src/."""
import os
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(REPO, "scripts", "check-banned.sh")

BAD = r'''
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
void f(char *b, size_t n, const char *s, time_t t) {
    sprintf(b, "%d", 1);
    vsprintf (b, "x", NULL);
    strcpy(b, s);
    strcat(b, s);
    strtok(b, ",");
    (void)atoi(s);
    (void)atol(s);
    gets(b);
    gmtime(&t);
    localtime(&t);
    exit(2);
}
'''
BAD_CALLS = ["sprintf", "vsprintf", "strcpy", "strcat", "strtok", "atoi", "atol", "gets",
             "gmtime", "localtime", "exit"]

GOOD = r'''
/* sprintf( strcpy( exit( in comments are fine */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
int g(char *b, size_t n, const char *s, time_t t, struct tm *tm) {
    snprintf(b, n, "sprintf(%s)", "strcat(");   // strings and comments are ignored
    char *save = NULL;
    strtok_r(b, ",", &save);
    long v = strtol(s, NULL, 10); long long w = atoll(s);
    fgets(b, (int)n, stdin);
    gmtime_r(&t, tm); localtime_r(&t, tm);
    strncpy(b, s, n); strncat(b, s, n); memcpy(b, s, 1);
    if (v < 0) _exit(1);
    atexit(NULL);
    return (int)(v + w) + EXIT_SUCCESS + '(';
}
'''


def run(src):
    p = subprocess.run(["bash", SCRIPT, src], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=30)
    return p.returncode, p.stdout


def tree(files):
    d = tempfile.TemporaryDirectory()
    for rel, text in files.items():
        path = os.path.join(d.name, "src", rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return d


class TestCheckBanned(unittest.TestCase):
    def test_bad_file_fails_with_each_call_located(self):
        with tree({"core/bad.c": BAD, "core/good.c": GOOD}) as d:
            rc, out = run(os.path.join(d, "src"))
            self.assertEqual(rc, 1, out)
            for fn in BAD_CALLS:
                self.assertRegex(out, r"core/bad\.c:\d+: banned call %s\(\)" % fn)
            self.assertNotIn("good.c", out)
            self.assertEqual(out.count("banned call "), len(BAD_CALLS), out)

    def test_good_tree_passes(self):
        with tree({"core/good.c": GOOD, "core/good.h": "int g(void);\n",
                   "cli/main.c": "#include <stdlib.h>\nint main(void) { exit(0); }\n"}) as d:
            rc, out = run(os.path.join(d, "src"))
            self.assertEqual(rc, 0, out)

    def test_exit_only_allowed_in_cli_main(self):
        with tree({"cli/other.c": "void h(void) { exit(1); }\n"}) as d:
            rc, out = run(os.path.join(d, "src") + "/")
            self.assertEqual(rc, 1, out)
            self.assertIn("cli/other.c:1: banned call exit()", out)

    def test_missing_and_empty_src_pass(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertEqual(run(os.path.join(d, "src"))[0], 0)
            os.makedirs(os.path.join(d, "src", "core"))
            self.assertEqual(run(os.path.join(d, "src"))[0], 0)

    def test_repository_src(self):
        rc, out = run(os.path.join(REPO, "src"))
        self.assertEqual(rc, 0, out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
