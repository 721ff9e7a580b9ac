#ifndef VEX_DB_H
#define VEX_DB_H

typedef struct vex_db vex_db;

vex_db *vex_db_open(const char *path);
/* The first column of the first row, as text (valid until the next query). */
const char *vex_db_query(vex_db *db, const char *sql);
void vex_db_close(vex_db *db);
/* The drivers compiled in, space-separated. */
const char *vex_db_drivers(void);
/* libpq's version when the postgres driver is compiled in, else NULL. */
const char *vex_db_postgres_client(void);

/* Driver entry points, each defined only when its HAVE_* macro is. */
vex_db *vex_sqlite_open(const char *path);
const char *vex_sqlite_query(vex_db *db, const char *sql);
void vex_sqlite_close(vex_db *db);
const char *vex_pg_client_version(void);

#endif
