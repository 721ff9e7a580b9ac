/* The postgres driver, against libpq. */
#if !defined(HAVE_LIBPQ)
#error "vex_pg.c needs HAVE_LIBPQ (the db package's postgres feature)"
#endif

#include <libpq-fe.h>
#include <stdio.h>

#include "vex_db.h"

static char version[32];

const char *vex_pg_client_version(void) {
    int v = PQlibVersion();
    snprintf(version, sizeof version, "libpq %d.%d", v / 10000, v % 100);
    return version;
}
