/* The emu program: everything lives in libemu. */
#include <emu/runtime.h>

int main(int argc, char **argv)
{
    return emu_system_main(argc, argv);
}
