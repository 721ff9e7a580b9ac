#include "query.h"

#include <stdio.h>

int main(void) {
    char answer[128];
    if (run_query("SELECT group_concat(n * n, ',') FROM (SELECT 1 AS n UNION ALL SELECT 2 UNION ALL SELECT 3)",
                  answer, sizeof answer) != 0) {
        return 1;
    }
    printf("%s: squares = %s\n", GREETING, answer);
    return 0;
}
