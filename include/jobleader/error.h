/* Error domain shared by every jobleader module. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define JL_ERROR (jl_error_quark ())

/**
 * JlError:
 * @JL_ERROR_INVALID: a configuration value, argument or file is invalid.
 * @JL_ERROR_NOT_FOUND: a file, table, row or node does not exist.
 * @JL_ERROR_UNAVAILABLE: a service (ZooKeeper, the Thrift gateway, the
 *   metastore folder) could not be reached or timed out; retrying may help.
 * @JL_ERROR_REJECTED: the metastore rejected a compare-and-set write because
 *   the stored lease no longer matches; another leader exists.
 * @JL_ERROR_CORRUPT: stored data (a lease row, a node name) is damaged.
 * @JL_ERROR_FAILED: any other failure.
 */
typedef enum {
  JL_ERROR_INVALID,
  JL_ERROR_NOT_FOUND,
  JL_ERROR_UNAVAILABLE,
  JL_ERROR_REJECTED,
  JL_ERROR_CORRUPT,
  JL_ERROR_FAILED,
} JlError;

GQuark jl_error_quark (void);

G_END_DECLS
