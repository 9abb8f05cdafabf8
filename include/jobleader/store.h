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
   * it is 0. The local store can return a lease whose epoch differs from
   * *stored_epoch, which alone fences writes. */
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

/* What opening a store may change in the metastore. */
typedef enum {
  /* Creates the HBase table, or the local folder and its job_engine
   * folder, when missing. The local folder's parent must exist. */
  JL_STORE_READ_WRITE,
  /* Creates nothing and rejects every write with JL_ERROR_INVALID. A
   * missing table or folder reads as "no lease stored". */
  JL_STORE_READ_ONLY,
} JlStoreMode;

/* Opens the store that @config's kylin.metadata.url names, for the daemon:
 * HBase through the Thrift2 gateways, or a local folder. Creates what is
 * missing, as JL_STORE_READ_WRITE describes. JL_ERROR_UNAVAILABLE when no
 * gateway responds. JL_ERROR_NOT_FOUND when the parent of the local folder
 * is missing, and JL_ERROR_INVALID when the local path is not a folder. */
JlStore *jl_store_open (const JlConfig *config, GError **error);

/* Opens the same store as jl_store_open(), for readers such as
 * `jobleader status`, in JL_STORE_READ_ONLY mode. */
JlStore *jl_store_open_read_only (const JlConfig *config, GError **error);

JlStore *jl_hbase_store_open (const JlConfig *config, JlStoreMode mode,
                              GError **error);
JlStore *jl_local_store_open (const JlConfig *config, JlStoreMode mode,
                              GError **error);

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
