#ifndef HELLO_QUERY_H
#define HELLO_QUERY_H

/* Runs `sql` on a fresh in-memory database and writes the first column of the first row to `out`. */
int run_query(const char *sql, char *out, int out_len);

#endif
