/* c */
#if defined(HAVE_A) && defined(HAVE_B)
int f(void) { return "#endif"[0]; }
#endif
