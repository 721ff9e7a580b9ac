/* The program's own native code, compiled by a ninja edge from the root vex.json's native block. */
#include <stdint.h>

int64_t app_scale(int64_t x) { return x * 6; }
