#include "test-util.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"

char *test_data_path(const char *rel)
{
        const char *base = getenv("AIOPS_TEST_DATA");
        if (!base) {
                fprintf(stderr, "AIOPS_TEST_DATA is not set; run the tests through ctest\n");
                abort();
        }
        return xasprintf("%s/%s", base, rel);
}

int test_data_open(const char *rel)
{
        _cleanup_free_ char *path = test_data_path(rel);
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("cannot open fixture '%s'", path);
        return fd;
}

char *test_mkdtemp(void)
{
        const char *tmp = getenv("TMPDIR");
        char *path = xasprintf("%s/aiops-test-XXXXXX", tmp ? tmp : "/tmp");
        if (!mkdtemp(path))
                fail_msg("mkdtemp '%s' failed", path);
        return path;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

void test_rm_rf(const char *path)
{
        (void) nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
