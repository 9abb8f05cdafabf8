/* The job-engine lease: who leads, under which fencing epoch, and until
 * when a reader may trust it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Resource path of the lease row, in Kylin's metastore layout. Kylin's
 * metadata cleanup never touches rows under /job_engine/. */
#define JL_LEASE_RESOURCE "/job_engine/leader.json"

typedef struct {
  char *holder;          /* kylin.server.host-address of the leader */
  char *node;            /* the leader's ZooKeeper node name */
  gint64 epoch;          /* fencing epoch: czxid of the leader's node, > 0 */
  gint64 acquired_at_ms; /* wall-clock epoch milliseconds */
  gint64 renewed_at_ms;
  gint64 stale_at_ms;    /* a reader treats the lease as stale from here */
  gint64 released_at_ms; /* 0 while held; set by a clean release */
} JlLease;

JlLease *jl_lease_new (void);
JlLease *jl_lease_copy (const JlLease *lease);
void jl_lease_free (JlLease *lease);

/* Serialises @lease as one JSON object. */
char *jl_lease_to_json (const JlLease *lease);

/* Parses a lease written by jl_lease_to_json(). Unknown members are ignored
 * so newer writers stay readable. Damaged or incomplete JSON, a missing
 * holder or a non-positive epoch is JL_ERROR_CORRUPT. */
JlLease *jl_lease_from_json (const char *data, gssize length, GError **error);

/* TRUE when the lease was released or @now_ms is at or past stale_at_ms. */
gboolean jl_lease_is_stale (const JlLease *lease, gint64 now_ms);

/* Writes @epoch as 8 bytes, big-endian, so that byte order equals numeric
 * order for the non-negative epochs the store compares. */
void jl_epoch_encode (gint64 epoch, guint8 out[8]);

/* Reads 8 big-endian bytes. JL_ERROR_CORRUPT for any other length or a
 * negative value. */
gboolean jl_epoch_decode (const guint8 *data, gsize length, gint64 *out,
                          GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JlLease, jl_lease_free)

G_END_DECLS
