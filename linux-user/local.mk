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
	linux-user/syscall-i386.c \
	linux-user/signal-i386.c \
	linux-user/ipc-i386.c \
	linux-user/compat-i386.c \
	linux-user/gdbstub.c
nodist_emu_x86_64_SOURCES = linux-user/syscall-names-x86_64.h \
	linux-user/syscall-names-i386.h
emu_x86_64_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_builddir)/linux-user
emu_x86_64_LDADD = $(top_builddir)/libemu.la $(GLIB_LIBS) -lpthread
BUILT_SOURCES += linux-user/syscall-names-x86_64.h linux-user/syscall-names-i386.h
CLEANFILES += linux-user/syscall-names-x86_64.h linux-user/syscall-names-i386.h

# Syscall names for -strace, from the host's kernel headers.
linux-user/syscall-names-x86_64.h:
	$(AM_V_GEN)mkdir -p linux-user && \
	echo '#include <asm/unistd_64.h>' | $(CPP) -dM - | \
	  sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' \
	  | sort -t'[' -k2 -n > $@.tmp && mv $@.tmp $@

linux-user/syscall-names-i386.h:
	$(AM_V_GEN)mkdir -p linux-user && \
	echo '#include <asm/unistd_32.h>' | $(CPP) -dM - | \
	  sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/[\2] = "\1",/p' \
	  | sort -t'[' -k2 -n > $@.tmp && mv $@.tmp $@

# emu-i386 is the same program; it dispatches on its name.  In the build
# tree emu-x86_64 is usually libtool's wrapper script, which would lose
# the name: emu-i386 then runs .libs/emu-i386, a link to the real program,
# the way the wrapper runs it.
noinst_SCRIPTS = emu-i386
CLEANFILES += emu-i386 .libs/emu-i386
emu-i386: emu-x86_64$(EXEEXT)
	$(AM_V_GEN)rm -f $@ .libs/emu-i386 && \
	if test -x .libs/emu-x86_64$(EXEEXT); then \
	  ln -s emu-x86_64$(EXEEXT) .libs/emu-i386 && \
	  { echo '#!/bin/sh'; \
	    echo 'd=$(abs_top_builddir)/.libs'; \
	    echo 'LD_LIBRARY_PATH="$$d$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" exec "$$d/emu-i386" "$$@"'; \
	  } > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@; \
	else ln -s emu-x86_64$(EXEEXT) $@; fi

install-exec-hook: install-emu-i386
install-emu-i386:
	cd $(DESTDIR)$(bindir) && rm -f emu-i386$(EXEEXT) && \
	  ln -s emu-x86_64$(EXEEXT) emu-i386$(EXEEXT)
uninstall-hook: uninstall-emu-i386
uninstall-emu-i386:
	rm -f $(DESTDIR)$(bindir)/emu-i386$(EXEEXT)
.PHONY: install-emu-i386 uninstall-emu-i386
linux-user/emu_x86_64-syscall.$(OBJEXT): linux-user/syscall-names-x86_64.h
linux-user/emu_x86_64-syscall-i386.$(OBJEXT): linux-user/syscall-names-i386.h
dist_bin_SCRIPTS = linux-user/emu-binfmt.sh
