/*
 * emu-img internals: the subcommand table and helpers shared by the
 * subcommand files (option parsing, opening images, size formatting).
 */
#ifndef EMU_IMG_H
#define EMU_IMG_H

#include <stdio.h>
#include <emu/block.h>

/* Prints "emu-img: MESSAGE" on stderr. */
void img_error(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
bool img_one_file_arg(int argc);
/* Prints err's message and frees it; returns 1. */
int img_report(GError *err);

/* Parses "-o a=b,c=d" (",," escapes a comma) into opts. */
bool img_parse_opts(GHashTable *opts, const char *text, GError **errp);
GHashTable *img_opts_new(void);
/* "1 GiB", "196 KiB", as qemu-img prints them. */
char *img_size_str(uint64_t size);
bool img_parse_output(const char *text, bool *json);
EmuBlockNode *img_open(const char *filename, const char *fmt, unsigned flags,
                       const char *cache, GError **errp);
/* Prints "    (NN.NN/100%)\r" when enabled. */
void img_progress(bool enabled, double percent);
char *img_json_string(const char *s);

int img_create(int argc, char **argv);
int img_info(int argc, char **argv);
int img_check(int argc, char **argv);
int img_map(int argc, char **argv);
int img_measure(int argc, char **argv);
int img_snapshot(int argc, char **argv);
int img_convert(int argc, char **argv);
int img_compare(int argc, char **argv);
int img_dd(int argc, char **argv);
int img_bench(int argc, char **argv);
int img_commit(int argc, char **argv);
int img_rebase(int argc, char **argv);
int img_resize(int argc, char **argv);
int img_amend(int argc, char **argv);

#endif
