/* The operator's hook: an executable run on every leadership transition,
 * for example to start or stop the local Kylin job engine. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _JlHookRunner JlHookRunner;

/* Creates a runner for the executable @path, or a runner that does nothing
 * when @path is NULL. */
JlHookRunner *jl_hook_runner_new (const char *path);
void jl_hook_runner_free (JlHookRunner *runner);

/* Queues one run of "PATH EVENT EPOCH HOLDER", with the same values in
 * JOBLEADER_EVENT, JOBLEADER_EPOCH, JOBLEADER_HOLDER and JOBLEADER_REASON.
 * Runs start one at a time in the order queued, each after the previous
 * one exited, so a stop never overtakes the start before it. A failure to
 * start and a non-zero exit status are logged. */
void jl_hook_runner_queue (JlHookRunner *runner, const char *event,
                           gint64 epoch, const char *holder,
                           const char *reason);

/* Runs the default main context until every queued run has exited or
 * @timeout_ms has passed. Returns FALSE on timeout. */
gboolean jl_hook_runner_wait (JlHookRunner *runner, guint timeout_ms);

G_END_DECLS
