build/obj/a.o: src/a.c include/a\ b.h \
  /usr/include/stdio.h $$x.h
