#include "query.h"

#include <sqlite3.h>
#include <stdio.h>

int run_query(const char *sql, char *out, int out_len) {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    int rc = 1;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) goto done;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) goto done;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        snprintf(out, (size_t)out_len, "%s", (const char *)sqlite3_column_text(stmt, 0));
        rc = 0;
    }
done:
    if (rc) fprintf(stderr, "sqlite: %s\n", db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rc;
}
