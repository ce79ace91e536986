/*
 * lambda_port: the same function handler and jobs on the real cloud. The public header of the
 * folder; the parts declare themselves in their own headers beside it:
 *   ps.h       the EC2 MXNet-style parameter-server baseline (`siren ps`)
 * (The S3 KV backend, the Lambda runtime `bootstrap` and the invoke driver come next.)
 */
#ifndef SIREN_LAMBDA_PORT_H
#define SIREN_LAMBDA_PORT_H

#include "core.h"
#include "ps.h"

#endif
