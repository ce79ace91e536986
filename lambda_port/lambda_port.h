/*
 * lambda_port: the same function handler and jobs on the real cloud. The public header of the
 * folder; the parts declare themselves in their own headers beside it:
 *   ps.h       the EC2 MXNet-style parameter-server baseline (`siren ps`)
 *   s3.h, lambda_invoke.h  the s3:// KV backend and the Lambda Invoke client (siren_aws)
 *   bootstrap.c  the Lambda custom runtime around fn_handle (its own executable)
 */
#ifndef SIREN_LAMBDA_PORT_H
#define SIREN_LAMBDA_PORT_H

#include "core.h"
#include "ps.h"

#endif
