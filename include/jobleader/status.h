/* A one-shot view of who leads: the election as ZooKeeper lists it, and the
 * lease as the metastore stores it. */
#pragma once

#include <glib.h>

#include "jobleader/config.h"
#include "jobleader/lease.h"

G_BEGIN_DECLS

typedef struct {
  char *node;        /* node name under the election path */
  char *holder;      /* node data: the candidate's host-address */
  gint64 epoch;      /* the node's czxid */
  gboolean leader;
  gboolean well_formed;
} JlStatusCandidate;

typedef struct {
  char *election_path;
  GPtrArray *candidates;       /* JlStatusCandidate, leader first */
  const JlStatusCandidate *leader; /* element of candidates, or NULL */
  JlLease *lease;              /* NULL when no lease is stored or readable */
  gint64 stored_epoch;         /* epoch cell of the lease row, 0 if none */
  char *lease_error;           /* why the stored lease could not be read,
                                  or why its epoch is not the stored one */
  gint64 now_ms;
  gboolean lease_fresh;        /* held and not past stale_at_ms */
  gboolean consistent;         /* the lease names the ZooKeeper leader */
} JlStatus;

/* Reads the election and the lease. JL_ERROR_UNAVAILABLE when ZooKeeper or
 * the metastore cannot be reached within their timeouts. */
JlStatus *jl_status_collect (const JlConfig *config, GError **error);
void jl_status_free (JlStatus *status);

/* Returns the status as one JSON object. */
char *jl_status_to_json (const JlStatus *status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JlStatus, jl_status_free)

G_END_DECLS
