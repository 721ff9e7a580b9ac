/* {{name}}: a Perry native binding written in C. Each js_* function is declared in package.json. */
#include <stdint.h>

int64_t js_{{lib}}_hello(int64_t x) { return x + 1; }
