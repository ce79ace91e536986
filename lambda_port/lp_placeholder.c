/* lambda_port: placeholder translation unit until its first sources land. */
#include "lambda_port.h"
int lambda_port_linked(void);
int lambda_port_linked(void) { return 1; }
