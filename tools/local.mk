# Tools built on libemu: emu-img (emu-nbd comes later).
bin_PROGRAMS += tools/emu-img/emu-img
tools_emu_img_emu_img_SOURCES = tools/emu-img/emu-img.c \
	tools/emu-img/emu-img.h tools/emu-img/img-info.c \
	tools/emu-img/img-convert.c tools/emu-img/img-modify.c
tools_emu_img_emu_img_LDADD = libemu.la $(GLIB_LIBS)
