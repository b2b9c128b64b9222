# linux-user: emu-x86_64 (and emu-i386, the same program under another
# name) running Linux programs on the host kernel.
bin_PROGRAMS += emu-x86_64
emu_x86_64_SOURCES = \
	linux-user/user.h \
	linux-user/main.c \
	linux-user/elfload.c \
	linux-user/mmap.c \
	linux-user/signal.c \
	linux-user/syscall.c \
	linux-user/gdbstub.c
nodist_emu_x86_64_SOURCES = linux-user/syscall-names-x86_64.h
emu_x86_64_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/linux-user
emu_x86_64_LDADD = $(top_builddir)/libemu.la $(GLIB_LIBS) -lpthread
BUILT_SOURCES += linux-user/syscall-names-x86_64.h
CLEANFILES += linux-user/syscall-names-x86_64.h

# Syscall names for -strace, from the host's kernel headers.
linux-user/syscall-names-x86_64.h:
	$(AM_V_GEN)mkdir -p linux-user && \
	echo '#include <asm/unistd_64.h>' | $(CPP) -dM - | \
	  sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' \
	  | sort -t'[' -k2 -n > $@.tmp && mv $@.tmp $@

# emu-i386 is the same program; it dispatches on its name.
install-exec-hook: install-emu-i386
install-emu-i386:
	cd $(DESTDIR)$(bindir) && rm -f emu-i386$(EXEEXT) && \
	  ln -s emu-x86_64$(EXEEXT) emu-i386$(EXEEXT)
uninstall-hook: uninstall-emu-i386
uninstall-emu-i386:
	rm -f $(DESTDIR)$(bindir)/emu-i386$(EXEEXT)
.PHONY: install-emu-i386 uninstall-emu-i386
linux-user/emu_x86_64-syscall.$(OBJEXT): linux-user/syscall-names-x86_64.h
dist_bin_SCRIPTS = linux-user/emu-binfmt.sh
