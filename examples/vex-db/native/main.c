/* Stands in for the object the Vex compiler emits for src/main.vx. */
#include <stdio.h>

#include "vex_db.h"

int main(void) {
    vex_db *db = vex_db_open(":memory:");
    if (!db) return 1;
    printf("drivers: %s\n", vex_db_drivers());
    printf("40 + 2 = %s\n", vex_db_query(db, "SELECT 40 + 2"));
    printf("tables = %s\n", vex_db_query(db, "SELECT count(*) FROM sqlite_master"));
    const char *pg = vex_db_postgres_client();
    if (pg) printf("postgres client: %s\n", pg);
    vex_db_close(db);
    return 0;
}
