/* The metastore that holds the lease. Every write is an atomic
 * compare-and-set on the stored fencing epoch, done by the store itself, so
 * a leader that was paused or partitioned cannot overwrite its successor.
 *
 * A JlStore is used by one thread at a time. Calls block for at most the
 * configured timeout per gateway tried. */
#pragma once

#include <glib.h>

#include "jobleader/config.h"
#include "jobleader/lease.h"

G_BEGIN_DECLS

typedef struct _JlStore JlStore;

typedef struct {
  const char *name; /* "hbase" or "local", for messages */

  /* Reads the lease. Returns TRUE and sets *out to NULL when no lease row
   * exists. JL_ERROR_CORRUPT when the row exists but cannot be decoded;
   * *stored_epoch is then still set when the epoch cell is readable, else
   * it is 0. */
  gboolean (*read) (JlStore *store, JlLease **out, gint64 *stored_epoch,
                    GError **error);

  /* Writes @lease only when no epoch is stored. */
  gboolean (*write_if_absent) (JlStore *store, const JlLease *lease,
                               GError **error);

  /* Writes @lease only when the stored epoch is lower than lease->epoch. */
  gboolean (*write_if_newer) (JlStore *store, const JlLease *lease,
                              GError **error);

  /* Writes @lease only when the stored epoch equals lease->epoch. */
  gboolean (*write_if_same) (JlStore *store, const JlLease *lease,
                             GError **error);

  void (*free) (JlStore *store);
} JlStoreClass;

struct _JlStore {
  const JlStoreClass *klass;
};

/* Opens the store that @config's kylin.metadata.url names: HBase through
 * the Thrift2 gateways, or a local folder. Creating the HBase table or the
 * folder when missing. JL_ERROR_UNAVAILABLE when no gateway answers. */
JlStore *jl_store_open (const JlConfig *config, GError **error);

JlStore *jl_hbase_store_open (const JlConfig *config, GError **error);
JlStore *jl_local_store_open (const JlConfig *config, GError **error);

void jl_store_free (JlStore *store);

/* Reads the lease; see JlStoreClass.read. */
gboolean jl_store_read (JlStore *store, JlLease **out, gint64 *stored_epoch,
                        GError **error);

/* Takes the lease for a new leader: writes @lease when no lease exists or
 * the stored epoch is lower. JL_ERROR_REJECTED when a lease with an equal
 * or higher epoch is stored. */
gboolean jl_store_acquire (JlStore *store, const JlLease *lease,
                           GError **error);

/* Renews or releases: writes @lease only while the stored epoch is still
 * lease->epoch. JL_ERROR_REJECTED otherwise. */
gboolean jl_store_update (JlStore *store, const JlLease *lease,
                          GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JlStore, jl_store_free)

G_END_DECLS
