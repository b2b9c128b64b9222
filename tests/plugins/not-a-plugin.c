/* A shared object that is not an emu plugin: the loader must say so. */
int not_a_plugin(void);
int not_a_plugin(void) { return 42; }
