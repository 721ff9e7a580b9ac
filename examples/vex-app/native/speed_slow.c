/* The portable app_speed, unless the `fast` feature's flags say the fast one is built instead. */
#include <stdint.h>

#ifndef APP_FAST
int64_t app_speed(void) { return 1; }
#endif
