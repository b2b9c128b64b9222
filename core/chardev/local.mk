# Character backends (null, stdio, file, pipe, pty, socket, mux).
core_libemucore_la_SOURCES += \
	core/chardev/chardev.h \
	core/chardev/char-internal.h \
	core/chardev/char.c \
	core/chardev/char-opts.c \
	core/chardev/char-file.c \
	core/chardev/char-stdio.c \
	core/chardev/char-pty.c \
	core/chardev/char-socket.c \
	core/chardev/char-mux.c
