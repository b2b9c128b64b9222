# linux-user benchmark: bench/user/run.sh BUILD-DIR [SCALE] (not a test).
EXTRA_DIST += bench/user/run.sh bench/user/kernels.c
bench-user: emu-x86_64
	$(SHELL) $(srcdir)/bench/user/run.sh $(abs_top_builddir)
.PHONY: bench-user
