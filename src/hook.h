/* The operator's hook: an executable run on every leadership transition,
 * for example to start or stop the local Kylin job engine. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs @path asynchronously as "PATH EVENT EPOCH HOLDER" with the same
 * values in JOBLEADER_EVENT, JOBLEADER_EPOCH, JOBLEADER_HOLDER and
 * JOBLEADER_REASON. A failure to start is logged, and the exit status is
 * logged when it is not 0. */
void jl_hook_run (const char *path, const char *event, gint64 epoch,
                  const char *holder, const char *reason);

G_END_DECLS
