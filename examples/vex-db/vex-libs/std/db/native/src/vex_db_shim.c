/* Always compiled: dispatches to the drivers the active features compiled in. */
#include <stddef.h>

#include "vex_db.h"

const char *vex_db_drivers(void) {
    return ""
#ifdef HAVE_SQLITE
           "sqlite "
#endif
#ifdef HAVE_LIBPQ
           "postgres "
#endif
#ifdef HAVE_MYSQL
           "mysql "
#endif
        ;
}

vex_db *vex_db_open(const char *path) {
#ifdef HAVE_SQLITE
    return vex_sqlite_open(path);
#else
    (void)path;
    return NULL;
#endif
}

const char *vex_db_query(vex_db *db, const char *sql) {
#ifdef HAVE_SQLITE
    return vex_sqlite_query(db, sql);
#else
    (void)db; (void)sql;
    return "";
#endif
}

void vex_db_close(vex_db *db) {
#ifdef HAVE_SQLITE
    vex_sqlite_close(db);
#else
    (void)db;
#endif
}

const char *vex_db_postgres_client(void) {
#ifdef HAVE_LIBPQ
    return vex_pg_client_version();
#else
    return NULL;
#endif
}
