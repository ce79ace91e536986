/* The in-memory dataset every reader produces. */
#include "datasets.h"

#include <stdlib.h>
#include <string.h>

void ds_data_free(struct ds_data *d)
{
    if (!d) return;
    free(d->labels);
    free(d->pixels);
    free(d->tokens);
    free(d->row_ptr);
    free(d->col);
    free(d->val);
    memset(d, 0, sizeof *d);
}
