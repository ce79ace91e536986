/* kernels: layers, models and optimisers (see kernels.h). */
#include "core.h"
int kernels_linked(void);
int kernels_linked(void) { return 1; }
