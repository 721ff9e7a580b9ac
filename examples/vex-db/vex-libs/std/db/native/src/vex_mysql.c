/* The mysql driver: the whole file is guarded, so it is compiled only with HAVE_MYSQL. */
#ifdef HAVE_MYSQL
#include <mysql.h>

#include "vex_db.h"

const char *vex_mysql_client_version(void) { return mysql_get_client_info(); }
#endif /* HAVE_MYSQL */
