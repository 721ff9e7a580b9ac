#ifndef HAVE_LIBPQ
#error need pq
#endif
int x;
