/* emu placeholder until the first emu sources land. */
#include "core.h"
int emu_linked(void);
int emu_linked(void) { return 1; }
