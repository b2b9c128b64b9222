# Block layer core (nodes, probing, chains, async requests), part of libemu.
core_libemucore_la_SOURCES += core/block/block.c core/block/aio.c
emuinclude_HEADERS += plugin-api/emu/block.h
