/* A main() for fuzz targets built without libFuzzer: feeds every file of the corpus
 * directories (or files) given as arguments to LLVMFuzzerTestOneInput once, so plain builds
 * replay the corpus and every crash ever found in each ctest run. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "replay: cannot open '%s'\n", path);
                return -1;
        }
        _cleanup_free_ uint8_t *buf = xmalloc((size_t) st.st_size + 1);
        ssize_t n = read(fd, buf, (size_t) st.st_size);
        if (n < 0)
                return -1;
        (void) LLVMFuzzerTestOneInput(buf, (size_t) n);
        return 0;
}

int main(int argc, char **argv)
{
        int files = 0;

        for (int i = 1; i < argc; i++) {
                DIR *d = opendir(argv[i]);
                if (!d) {
                        if (run_file(argv[i]) < 0)
                                return 1;
                        files++;
                        continue;
                }
                for (struct dirent *de; (de = readdir(d));) {
                        if (de->d_name[0] == '.')
                                continue;
                        _cleanup_free_ char *p = xasprintf("%s/%s", argv[i], de->d_name);
                        if (run_file(p) < 0) {
                                closedir(d);
                                return 1;
                        }
                        files++;
                }
                closedir(d);
        }
        printf("replayed %d inputs\n", files);
        return files > 0 ? 0 : 1;
}
