/* The sqlite driver. */
#ifndef HAVE_SQLITE
#error "vex_sqlite.c needs HAVE_SQLITE (the db package's sqlite feature)"
#endif

#include <sqlite3.h>
#include <stdio.h>

#include "vex_db.h"

static char row[256];

vex_db *vex_sqlite_open(const char *path) {
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK) return NULL;
    return (vex_db *)db;
}

const char *vex_sqlite_query(vex_db *db, const char *sql) {
    sqlite3_stmt *stmt = NULL;
    row[0] = '\0';
    if (sqlite3_prepare_v2((sqlite3 *)db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
        snprintf(row, sizeof row, "%s", (const char *)sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return row;
}

void vex_sqlite_close(vex_db *db) { sqlite3_close((sqlite3 *)db); }
