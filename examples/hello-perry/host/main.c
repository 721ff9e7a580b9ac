/* Stands in for the object the host compiler (Perry) emits for src/main.ts: it calls the bindings. */
#include <stdint.h>
#include <stdio.h>

int64_t js_greeter_answer(int64_t x);
double js_greeter_wave(double x);
int64_t js_nanoid_size(void);

int main(void) {
    printf("answer=%lld wave=%.3f nanoid_size=%lld\n", (long long)js_greeter_answer(6), js_greeter_wave(1.0),
           (long long)js_nanoid_size());
    return 0;
}
