/* The fixture of the store tests: a store in a fresh temporary directory (setup/teardown
 * for cmocka_unit_test_setup_teardown), reopened on demand. */
#pragma once

#include <stdlib.h>

#include "core/alloc.h"
#include "store/store.h"
#include "test-util.h"

typedef struct Fixture {
        char *dir;
        char *path;
        Store *store;
} Fixture;

static inline Store *open_ok(const char *path)
{
        _cleanup_free_ char *err = NULL;
        Store *s = NULL;

        if (store_open(path, NULL, &s, &err) < 0)
                fail_msg("store_open: %s", err);
        return s;
}

static inline int setup(void **state)
{
        Fixture *f = xnew0(Fixture, 1);

        f->dir = test_mkdtemp();
        f->path = xasprintf("%s/aiops.db", f->dir);
        f->store = open_ok(f->path);
        *state = f;
        return 0;
}

static inline int teardown(void **state)
{
        Fixture *f = *state;

        store_free(f->store);
        test_rm_rf(f->dir);
        free(f->dir);
        free(f->path);
        free(f);
        return 0;
}

static inline void reopen(Fixture *f)
{
        store_free(f->store);
        f->store = open_ok(f->path);
}
