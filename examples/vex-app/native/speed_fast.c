#ifdef HAVE_FAST
/* The `fast` feature's app_speed: the compile edge gates this source out (an empty object, no compiler run)
   whenever its command lacks -DHAVE_FAST. */
#include <stdint.h>

int64_t app_speed(void) { return 2; }
#endif
