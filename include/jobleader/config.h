/* jobleader configuration, read from kylin.properties. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Where the lease lives, from kylin.metadata.url. */
typedef enum {
  JL_METASTORE_HBASE, /* "identifier@hbase" */
  JL_METASTORE_LOCAL, /* a plain filesystem path */
} JlMetastoreKind;

typedef struct {
  JlMetastoreKind kind;
  char *identifier; /* HBase table ("ns:table" allowed), or "kylin_metadata"
                       for a local path */
  char *path;       /* the folder for JL_METASTORE_LOCAL, else NULL */
  GHashTable *params; /* key=value pieces after the first comma */
} JlMetadataUrl;

/* Parses a kylin.metadata.url value: split on ',', the first piece is cut at
 * its last '@' into identifier and scheme (an empty identifier means
 * "kylin_metadata"), the rest are key=value parameters, and no '@' at all
 * means a local path. Only the "hbase" scheme and plain paths are
 * supported; anything else is JL_ERROR_INVALID. */
gboolean jl_metadata_url_parse (const char     *value,
                                JlMetadataUrl  *out,
                                GError        **error);
void jl_metadata_url_clear (JlMetadataUrl *url);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (JlMetadataUrl, jl_metadata_url_clear)

typedef struct {
  char *host;
  guint16 port;
} JlHostPort;

typedef struct {
  char *source;          /* the main file read, for messages */

  gboolean job_capable;  /* kylin.server.mode lists "job" or "all" */
  char *server_mode;     /* as written, lower-cased */
  char *host_address;    /* kylin.server.host-address, the node identity */
  gboolean host_address_is_default; /* left at localhost:7070 */

  JlMetadataUrl metadata;
  char *cluster_name;    /* kylin.server.cluster-name, default: identifier */

  char *zk_connect;      /* kylin.env.zookeeper-connect-string */
  char *zk_base_path;    /* kylin.env.zookeeper-base-path, normalised */
  guint zk_session_timeout_ms; /* kylin.jobleader.zookeeper.session-timeout-ms */
  guint zk_safety_margin_ms;   /* kylin.jobleader.zookeeper.safety-margin-ms */

  GArray *thrift_servers;      /* of JlHostPort,
                                  kylin.jobleader.hbase.thrift-servers */
  guint thrift_timeout_ms;     /* kylin.jobleader.hbase.timeout-ms */

  guint lease_renew_ms;        /* kylin.jobleader.lease.renew-interval-ms */
  guint lease_ttl_ms;          /* kylin.jobleader.lease.ttl-ms */
  guint retry_max_ms;          /* kylin.jobleader.retry.max-backoff-ms */

  char *event_log;             /* kylin.jobleader.event-log, or NULL */
  char *hook;                  /* kylin.jobleader.hook, or NULL */
} JlConfig;

/* Returns the default configuration file: $KYLIN_CONF/kylin.properties,
 * else $KYLIN_HOME/conf/kylin.properties. JL_ERROR_INVALID when neither
 * variable is set. */
char *jl_config_default_path (GError **error);

/* Loads @path, then kylin.properties.override beside it when present, and
 * validates every setting jobleader uses. An invalid or missing value is
 * JL_ERROR_INVALID with a message naming the key, the value, and the file
 * and line. A missing @path is JL_ERROR_NOT_FOUND, and its message names
 * KYLIN_CONF or KYLIN_HOME when @path is the default path built from it. */
JlConfig *jl_config_load (const char *path, GError **error);
void jl_config_free (JlConfig *config);

/* Loads @path, or the default file (see jl_config_default_path()) when
 * @path is NULL. */
JlConfig *jl_config_load_or_default (const char *path, GError **error);

/* Returns the ZooKeeper path that candidates' nodes live under:
 * <base-path>/<cluster-name>/job_engine/leader. */
char *jl_config_election_path (const JlConfig *config);

/* Returns "host:port" strings of the Thrift gateways, comma-joined. */
char *jl_config_thrift_servers_string (const JlConfig *config);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JlConfig, jl_config_free)

G_END_DECLS
