# Everything under docs/ is distributed (see EXTRA_DIST in Makefile.am).
