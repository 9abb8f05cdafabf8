/* The daemon's leadership state machine: it follows the ZooKeeper election,
 * takes and renews the lease in the metastore, and reports every
 * transition to the log, the event log and the hook. */
#pragma once

#include <glib.h>

#include "jobleader/config.h"
#include "jobleader/event-log.h"
#include "jobleader/store.h"

G_BEGIN_DECLS

typedef struct _JlLeader JlLeader;

/* Takes ownership of @store and @event_log. Either may be NULL: without a
 * store, the first lease write opens one and retries on failure. */
JlLeader *jl_leader_new (const JlConfig *config, JlStore *store,
                         JlEventLog *event_log);

gboolean jl_leader_start (JlLeader *leader, GError **error);

/* Stops acting, releases the lease when held, and leaves the election so
 * the next candidate leads at once. Runs the default main context until
 * the release finishes. */
void jl_leader_shutdown (JlLeader *leader);

void jl_leader_free (JlLeader *leader);

/* Reopens the event log after rotation; errors are logged. */
void jl_leader_reopen_logs (JlLeader *leader);

/* TRUE while this node acts as leader. */
gboolean jl_leader_is_acting (const JlLeader *leader);

G_END_DECLS
