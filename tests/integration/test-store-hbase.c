/* The HBase lease store against a real HBase Thrift2 server.
 *
 * JOBLEADER_THRIFT_SERVERS names the gateways as "host:port,...". Without
 * it the program exits 77, which meson reports as skipped. Each test uses
 * its own table, jl_test_<pid>_<n>, and the tables are dropped at the end.
 * JOBLEADER_SLOW_TESTS=1 adds a test that idles past the server's 60 s
 * connection timeout. JOBLEADER_ZOOKEEPER=host:port adds the tests of
 * `jobleader status`, which need a ZooKeeper server, for example the one
 * that deploy/hbase.sh runs inside HBase (DIR/zookeeper-port). */
#include <CUnit/Basic.h>
#include <ftw.h>
#include <gio/gio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zookeeper/zookeeper.h>

#include "jobleader/error.h"
#include "jobleader/status.h"
#include "jobleader/store.h"
#include "thrift-client.h"

#define SKIP_EXIT_CODE 77
#define TEST_TIMEOUT_MS 10000
#define SHORT_TIMEOUT_MS 1000

/* The server closes connections idle for longer than this
 * (hbase.thrift.server.socket.read.timeout, 60000 ms by default). */
#define SERVER_IDLE_TIMEOUT_S 60

static GArray *gateways;          /* of JlHostPort, from the environment */
static JlThriftClient *admin;     /* raw access for checks and clean-up */
static GPtrArray *created_tables; /* names to drop at the end */
static guint table_counter;
static const char *zookeeper_connect; /* JOBLEADER_ZOOKEEPER, or NULL */

#define ASSERT_NO_ERROR(error)                                           \
  do {                                                                   \
    if ((error) != NULL)                                                 \
      fprintf (stderr, "\n  unexpected error: %s\n", (error)->message);  \
    CU_ASSERT_PTR_NULL_FATAL (error);                                    \
  } while (0)

#define ASSERT_ERROR(error, expected_code)                               \
  do {                                                                   \
    CU_ASSERT_PTR_NOT_NULL_FATAL (error);                                \
    if ((error)->domain != JL_ERROR || (error)->code != (expected_code)) \
      fprintf (stderr, "\n  unexpected error %d: %s\n", (error)->code,   \
               (error)->message);                                        \
    CU_ASSERT_EQUAL ((error)->domain, JL_ERROR);                         \
    CU_ASSERT_EQUAL ((error)->code, (expected_code));                    \
  } while (0)

static void
clear_host_port (gpointer data)
{
  JlHostPort *gateway = data;

  g_free (gateway->host);
}

static GArray *
host_port_array_new (void)
{
  GArray *array = g_array_new (FALSE, TRUE, sizeof (JlHostPort));

  g_array_set_clear_func (array, clear_host_port);

  return array;
}

static void
add_gateway (GArray *array, const char *host, guint16 port)
{
  JlHostPort gateway = { g_strdup (host), port };

  g_array_append_val (array, gateway);
}

/* Parses "host:port,host:port". */
static GArray *
parse_gateways (const char *text, GError **error)
{
  g_autoptr (GArray) array = host_port_array_new ();
  g_auto (GStrv) items = g_strsplit (text, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      const char *item = g_strstrip (items[i]);
      const char *colon = strrchr (item, ':');
      guint64 port = 0;

      if (colon == NULL || colon == item
          || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port,
                                          NULL))
        {
          g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                       "Invalid gateway '%s': expected host:port", item);
          return NULL;
        }

      g_autofree char *host = g_strndup (item, colon - item);
      add_gateway (array, host, (guint16) port);
    }

  return g_steal_pointer (&array);
}

/* Returns a TCP port on 127.0.0.1 that refuses connections: bound once,
 * then released. */
static guint16
refusing_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4,
                                             G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback =
    g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);

  g_assert (g_socket_bind (socket, address, FALSE, NULL));

  g_autoptr (GSocketAddress) bound = g_socket_get_local_address (socket, NULL);

  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Returns a socket listening on 127.0.0.1 that never accepts or replies:
 * the kernel completes connections, then requests time out. */
static GSocket *
silent_listener_new (guint16 *port)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback =
    g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);

  g_assert (g_socket_bind (socket, address, FALSE, NULL));
  g_assert (g_socket_listen (socket, NULL));

  g_autoptr (GSocketAddress) bound = g_socket_get_local_address (socket, NULL);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  return socket;
}

/* A TCP proxy to the first gateway that can lose the reply to a
 * checkAndMutate request. It forwards the request and waits until the
 * reply starts, by which time HBase has executed the request. Then it
 * closes the client's connection without forwarding the reply. It serves
 * one connection at a time, as a JlThriftClient uses them.
 * NOTE: it finds the request by the method name in one received chunk,
 * which holds on loopback for requests this small. */
typedef struct
{
  GSocket *listener;
  guint16 port;
  GThread *thread;
  gint stopping;
  gint writes_to_pass; /* checkAndMutate replies to forward first */
  gint replies_to_drop;
} LossyProxy;

/* Returns TRUE when the reply to a request containing @data, @length
 * bytes long, is to be dropped. */
static gboolean
proxy_take_drop (LossyProxy *proxy, const char *data, gsize length)
{
  static const char method[] = "checkAndMutate";

  if (memmem (data, length, method, strlen (method)) == NULL)
    return FALSE;

  if (g_atomic_int_get (&proxy->writes_to_pass) > 0)
    {
      g_atomic_int_add (&proxy->writes_to_pass, -1);
      return FALSE;
    }

  if (g_atomic_int_get (&proxy->replies_to_drop) > 0)
    {
      g_atomic_int_add (&proxy->replies_to_drop, -1);
      return TRUE;
    }

  return FALSE;
}

static gboolean
send_all (GSocket *socket, const char *data, gssize length)
{
  while (length > 0)
    {
      gssize sent = g_socket_send (socket, data, length, NULL, NULL);

      if (sent <= 0)
        return FALSE;
      data += sent;
      length -= sent;
    }

  return TRUE;
}

/* Relays between @client and the gateway until either side closes. */
static void
proxy_relay (LossyProxy *proxy, GSocket *client)
{
  const JlHostPort *gateway = &g_array_index (gateways, JlHostPort, 0);
  g_autoptr (GSocketClient) connector = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection = g_socket_client_connect_to_host (
    connector, gateway->host, gateway->port, NULL, NULL);
  if (connection == NULL)
    return;

  GSocket *upstream = g_socket_connection_get_socket (connection);
  GPollFD fds[2] = {
    { g_socket_get_fd (client), G_IO_IN, 0 },
    { g_socket_get_fd (upstream), G_IO_IN, 0 },
  };
  gboolean drop_reply = FALSE;
  char buffer[65536];

  while (!g_atomic_int_get (&proxy->stopping))
    {
      if (g_poll (fds, G_N_ELEMENTS (fds), 100) <= 0)
        continue;

      if (fds[0].revents != 0)
        {
          gssize count = g_socket_receive (client, buffer, sizeof buffer,
                                           NULL, NULL);
          if (count <= 0)
            return;
          if (proxy_take_drop (proxy, buffer, count))
            drop_reply = TRUE;
          if (!send_all (upstream, buffer, count))
            return;
        }

      if (fds[1].revents != 0)
        {
          gssize count = g_socket_receive (upstream, buffer, sizeof buffer,
                                           NULL, NULL);
          if (count <= 0 || drop_reply)
            return;
          if (!send_all (client, buffer, count))
            return;
        }
    }
}

static gpointer
proxy_main (gpointer data)
{
  LossyProxy *proxy = data;

  while (!g_atomic_int_get (&proxy->stopping))
    {
      if (!g_socket_condition_timed_wait (proxy->listener, G_IO_IN,
                                          100 * G_TIME_SPAN_MILLISECOND, NULL,
                                          NULL))
        continue;

      g_autoptr (GSocket) client = g_socket_accept (proxy->listener, NULL,
                                                    NULL);
      if (client == NULL)
        continue;

      g_socket_set_blocking (client, TRUE);
      proxy_relay (proxy, client);
      g_socket_close (client, NULL);
    }

  return NULL;
}

static LossyProxy *
lossy_proxy_start (void)
{
  LossyProxy *proxy = g_new0 (LossyProxy, 1);

  proxy->listener = silent_listener_new (&proxy->port);
  proxy->thread = g_thread_new ("lossy-proxy", proxy_main, proxy);

  return proxy;
}

static void
lossy_proxy_stop (LossyProxy *proxy)
{
  g_atomic_int_set (&proxy->stopping, 1);
  g_thread_join (proxy->thread);
  g_object_unref (proxy->listener);
  g_free (proxy);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LossyProxy, lossy_proxy_stop)

static char *
unique_table_name (void)
{
  char *name = g_strdup_printf ("jl_test_%d_%u", (int) getpid (),
                                ++table_counter);

  g_ptr_array_add (created_tables, g_strdup (name));

  return name;
}

/* Returns a configuration for @table with @servers (copied), or the
 * gateways from the environment when @servers is NULL. */
static JlConfig *
config_new (const char *table, const GArray *servers, guint timeout_ms)
{
  const GArray *source = servers != NULL ? servers : gateways;
  JlConfig *config = g_new0 (JlConfig, 1);

  config->metadata.kind = JL_METASTORE_HBASE;
  config->metadata.identifier = g_strdup (table);
  config->thrift_servers = host_port_array_new ();
  config->thrift_timeout_ms = timeout_ms;

  for (guint i = 0; i < source->len; i++)
    {
      const JlHostPort *gateway = &g_array_index (source, JlHostPort, i);

      add_gateway (config->thrift_servers, gateway->host, gateway->port);
    }

  return config;
}

/* Frees what config_new() and the status tests set; jl_config_free()
 * expects a loaded file. */
static void
config_free (JlConfig *config)
{
  g_free (config->metadata.identifier);
  g_free (config->metadata.path);
  g_array_unref (config->thrift_servers);
  g_free (config->zk_connect);
  g_free (config->zk_base_path);
  g_free (config->cluster_name);
  g_free (config);
}

typedef JlConfig TestConfig;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestConfig, config_free)

static JlStore *
store_open (const char *table)
{
  g_autoptr (TestConfig) config = config_new (table, NULL,
                                                 TEST_TIMEOUT_MS);
  g_autoptr (GError) error = NULL;

  JlStore *store = jl_store_open (config, &error);
  ASSERT_NO_ERROR (error);

  return store;
}

/* Opens @table with @proxy as its only gateway. */
static JlStore *
store_open_through (LossyProxy *proxy, const char *table)
{
  g_autoptr (GArray) servers = host_port_array_new ();
  g_autoptr (GError) error = NULL;

  add_gateway (servers, "127.0.0.1", proxy->port);

  g_autoptr (TestConfig) config = config_new (table, servers,
                                              TEST_TIMEOUT_MS);
  JlStore *store = jl_store_open (config, &error);
  ASSERT_NO_ERROR (error);

  return store;
}

static JlLease *
lease_new (const char *holder, gint64 epoch)
{
  JlLease *lease = jl_lease_new ();
  gint64 now_ms = g_get_real_time () / 1000;

  lease->holder = g_strdup (holder);
  lease->node = g_strdup_printf ("_c_%s-lock-%010" G_GINT64_FORMAT, holder,
                                 epoch);
  lease->epoch = epoch;
  lease->acquired_at_ms = now_ms;
  lease->renewed_at_ms = now_ms;
  lease->stale_at_ms = now_ms + 30000;

  return lease;
}

static void
acquire_or_fail (JlStore *store, const char *holder, gint64 epoch)
{
  g_autoptr (JlLease) lease = lease_new (holder, epoch);
  g_autoptr (GError) error = NULL;

  jl_store_acquire (store, lease, &error);
  ASSERT_NO_ERROR (error);
}

/* Reads the lease, which must exist, and returns it. */
static JlLease *
read_existing (JlStore *store)
{
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) error = NULL;
  gint64 stored_epoch = -1;

  jl_store_read (store, &lease, &stored_epoch, &error);
  ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (lease);
  CU_ASSERT_EQUAL (stored_epoch, lease->epoch);

  return g_steal_pointer (&lease);
}

/* Raw Thrift access, to damage rows and to check the server's semantics
 * without the store in between. */

typedef struct
{
  const char *table;
  const char *row;
  const char *qualifier;
  HbTCompareOperator compare_operator;
  GByteArray *expected;
  GByteArray *value;
  gboolean applied;
} RawCheckAndPut;

static gboolean
request_raw_check_and_put (HbTHBaseServiceIf *service,
                           gpointer           user_data,
                           GError           **error)
{
  RawCheckAndPut *request = user_data;
  g_autoptr (GByteArray) table = jl_thrift_bytes_from_string (request->table);
  g_autoptr (GByteArray) row = jl_thrift_bytes_from_string (request->row);
  g_autoptr (GByteArray) family = jl_thrift_bytes_from_string ("f");
  g_autoptr (GByteArray) qualifier =
    jl_thrift_bytes_from_string (request->qualifier);
  g_autoptr (HbTRowMutations) mutations =
    g_object_new (HB_TYPE_T_ROW_MUTATIONS, NULL);
  HbTMutation *mutation = g_object_new (HB_TYPE_T_MUTATION, NULL);
  HbTColumnValue *cell = g_object_new (HB_TYPE_T_COLUMN_VALUE, NULL);
  g_autoptr (HbTIOError) exception = NULL;
  g_autoptr (GError) call_error = NULL;

  cell->family = jl_thrift_bytes_from_string ("f");
  cell->qualifier = jl_thrift_bytes_from_string (request->qualifier);
  cell->value = jl_thrift_bytes_new (request->value->data,
                                     request->value->len);
  mutation->put->row = jl_thrift_bytes_from_string (request->row);
  g_ptr_array_add (mutation->put->columnValues, cell);
  mutation->__isset_put = TRUE;
  mutations->row = jl_thrift_bytes_from_string (request->row);
  g_ptr_array_add (mutations->mutations, mutation);

  gboolean succeeded = hb_t_h_base_service_client_check_and_mutate (
    service, &request->applied, table, row, family, qualifier,
    request->compare_operator, request->expected, mutations, &exception,
    &call_error);

  return jl_thrift_check_call (succeeded, call_error, exception, error);
}

/* Puts f:@qualifier = @value on @row when "@expected OP stored" holds,
 * checked on the same cell. Returns whether the put was applied. */
static gboolean
raw_check_and_put (const char         *table,
                   const char         *row,
                   const char         *qualifier,
                   HbTCompareOperator  compare_operator,
                   GByteArray         *expected,
                   GByteArray         *value)
{
  RawCheckAndPut request = {
    table, row, qualifier, compare_operator, expected, value, FALSE,
  };
  g_autoptr (GError) error = NULL;

  jl_thrift_client_run (admin, "check and put", request_raw_check_and_put,
                        &request, &error);
  ASSERT_NO_ERROR (error);

  return request.applied;
}

static GByteArray *
epoch_bytes (gint64 epoch)
{
  guint8 encoded[8];

  jl_epoch_encode (epoch, encoded);

  return jl_thrift_bytes_new (encoded, sizeof encoded);
}

typedef struct
{
  const char *table;
  HbTResult *result;
} RawGet;

static gboolean
request_raw_get (HbTHBaseServiceIf *service, gpointer user_data,
                 GError **error)
{
  RawGet *request = user_data;
  g_autoptr (GByteArray) table = jl_thrift_bytes_from_string (request->table);
  g_autoptr (HbTGet) get = g_object_new (HB_TYPE_T_GET, NULL);
  g_autoptr (HbTIOError) exception = NULL;
  g_autoptr (GError) call_error = NULL;

  get->row = jl_thrift_bytes_from_string (JL_LEASE_RESOURCE);
  g_clear_object (&request->result);
  request->result = g_object_new (HB_TYPE_T_RESULT, NULL);

  gboolean succeeded = hb_t_h_base_service_client_get (
    service, &request->result, table, get, &exception, &call_error);

  return jl_thrift_check_call (succeeded, call_error, exception, error);
}

/* Returns a copy of cell f:@qualifier of the lease row, or NULL. */
static GByteArray *
raw_get_cell (const char *table, const char *qualifier)
{
  RawGet request = { table, NULL };
  g_autoptr (GError) error = NULL;
  GByteArray *value = NULL;

  jl_thrift_client_run (admin, "get the lease row", request_raw_get,
                        &request, &error);
  ASSERT_NO_ERROR (error);

  for (guint i = 0; i < request.result->columnValues->len; i++)
    {
      HbTColumnValue *cell = request.result->columnValues->pdata[i];

      if (cell->qualifier->len == strlen (qualifier)
          && memcmp (cell->qualifier->data, qualifier, cell->qualifier->len)
               == 0)
        value = jl_thrift_bytes_new (cell->value->data, cell->value->len);
    }

  g_object_unref (request.result);

  return value;
}

/* Returns the Thrift name of @table, "table" or "ns:table". */
static HbTTableName *
raw_table_name_new (const char *table)
{
  HbTTableName *name = g_object_new (HB_TYPE_T_TABLE_NAME, NULL);
  const char *colon = strchr (table, ':');

  if (colon != NULL)
    {
      name->ns = jl_thrift_bytes_new (table, colon - table);
      name->__isset_ns = TRUE;
      name->qualifier = jl_thrift_bytes_from_string (colon + 1);
    }
  else
    {
      name->qualifier = jl_thrift_bytes_from_string (table);
    }

  return name;
}

typedef struct
{
  const char *table;
  gboolean exists;
} RawTableExists;

static gboolean
request_raw_table_exists (HbTHBaseServiceIf *service, gpointer user_data,
                          GError **error)
{
  RawTableExists *request = user_data;
  g_autoptr (HbTTableName) name = raw_table_name_new (request->table);
  g_autoptr (HbTIOError) exception = NULL;
  g_autoptr (GError) call_error = NULL;

  gboolean succeeded = hb_t_h_base_service_client_table_exists (
    service, &request->exists, name, &exception, &call_error);

  return jl_thrift_check_call (succeeded, call_error, exception, error);
}

static gboolean
raw_table_exists (const char *table)
{
  RawTableExists request = { table, FALSE };
  g_autoptr (GError) error = NULL;

  jl_thrift_client_run (admin, "check for a table", request_raw_table_exists,
                        &request, &error);
  ASSERT_NO_ERROR (error);

  return request.exists;
}

static gboolean
request_drop_table (HbTHBaseServiceIf *service, gpointer user_data,
                    GError **error)
{
  const char *table = user_data;
  g_autoptr (HbTTableName) name = raw_table_name_new (table);
  g_autoptr (HbTIOError) exception = NULL;
  g_autoptr (GError) call_error = NULL;

  gboolean succeeded = hb_t_h_base_service_client_disable_table (
    service, name, &exception, &call_error);
  if (!jl_thrift_check_call (succeeded, call_error, exception, error))
    return FALSE;

  succeeded = hb_t_h_base_service_client_delete_table (service, name,
                                                        &exception,
                                                        &call_error);
  return jl_thrift_check_call (succeeded, call_error, exception, error);
}

/* The tests. */

static void
test_server_compare_semantics (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);
  g_autoptr (GByteArray) empty = g_byte_array_new ();
  g_autoptr (GByteArray) five = epoch_bytes (5);
  g_autoptr (GByteArray) six = epoch_bytes (6);
  g_autoptr (GByteArray) four = epoch_bytes (4);
  const char *row = "/job_engine/semantics";

  /* A missing cell fails every comparison with a value. */
  CU_ASSERT_FALSE (raw_check_and_put (table, row, "e",
                                      HB_T_COMPARE_OPERATOR_GREATER, five,
                                      five));
  /* An empty expected value matches a missing cell. */
  CU_ASSERT_TRUE (raw_check_and_put (table, row, "e",
                                     HB_T_COMPARE_OPERATOR_EQUAL, empty,
                                     five));
  /* It does not match a present cell. */
  CU_ASSERT_FALSE (raw_check_and_put (table, row, "e",
                                      HB_T_COMPARE_OPERATOR_EQUAL, empty,
                                      six));
  /* GREATER reads "sent value > stored value". */
  CU_ASSERT_FALSE (raw_check_and_put (table, row, "e",
                                      HB_T_COMPARE_OPERATOR_GREATER, four,
                                      four));
  CU_ASSERT_FALSE (raw_check_and_put (table, row, "e",
                                      HB_T_COMPARE_OPERATOR_GREATER, five,
                                      five));
  CU_ASSERT_TRUE (raw_check_and_put (table, row, "e",
                                     HB_T_COMPARE_OPERATOR_GREATER, six,
                                     six));
}

static void
test_open_creates_table_once (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) first = store_open (table);
  g_autoptr (JlStore) second = store_open (table);

  CU_ASSERT_STRING_EQUAL (first->klass->name, "hbase");
  CU_ASSERT_PTR_NOT_NULL (second);
}

static void
test_read_absent_row (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) error = NULL;
  gint64 stored_epoch = -1;

  CU_ASSERT_TRUE (jl_store_read (store, &lease, &stored_epoch, &error));
  ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NULL (lease);
  CU_ASSERT_EQUAL (stored_epoch, 0);
}

static void
test_acquire_absent_row (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);

  acquire_or_fail (store, "node-a:7070", 10);

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_STRING_EQUAL (stored->holder, "node-a:7070");
  CU_ASSERT_EQUAL (stored->epoch, 10);
}

static void
test_acquire_lower_epoch_rejected (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);
  g_autoptr (JlLease) stale = lease_new ("node-b:7070", 9);
  g_autoptr (GError) error = NULL;

  acquire_or_fail (store, "node-a:7070", 10);

  CU_ASSERT_FALSE (jl_store_acquire (store, stale, &error));
  ASSERT_ERROR (error, JL_ERROR_REJECTED);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "epoch 10"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "node-a:7070"));

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_STRING_EQUAL (stored->holder, "node-a:7070");
  CU_ASSERT_EQUAL (stored->epoch, 10);
}

static void
test_acquire_equal_epoch_rejected (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);
  g_autoptr (JlLease) rival = lease_new ("node-b:7070", 10);
  g_autoptr (GError) error = NULL;

  acquire_or_fail (store, "node-a:7070", 10);

  CU_ASSERT_FALSE (jl_store_acquire (store, rival, &error));
  ASSERT_ERROR (error, JL_ERROR_REJECTED);

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_STRING_EQUAL (stored->holder, "node-a:7070");
}

/* A repeated acquire by the same leader, as after a lost reply. */
static void
test_acquire_repeated_by_same_leader (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);

  acquire_or_fail (store, "node-a:7070", 10);
  acquire_or_fail (store, "node-a:7070", 10);

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_EQUAL (stored->epoch, 10);
}

static void
test_acquire_higher_epoch (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);

  acquire_or_fail (store, "node-a:7070", 10);
  acquire_or_fail (store, "node-b:7070", 11);

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_STRING_EQUAL (stored->holder, "node-b:7070");
  CU_ASSERT_EQUAL (stored->epoch, 11);
}

static void
test_update_fences_former_leader (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) former = store_open (table);
  g_autoptr (JlStore) current = store_open (table);
  g_autoptr (JlLease) renewal = lease_new ("node-a:7070", 10);
  g_autoptr (GError) error = NULL;

  acquire_or_fail (former, "node-a:7070", 10);
  acquire_or_fail (current, "node-b:7070", 11);

  renewal->renewed_at_ms += 1000;
  CU_ASSERT_FALSE (jl_store_update (former, renewal, &error));
  ASSERT_ERROR (error, JL_ERROR_REJECTED);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "epoch 11"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "node-b:7070"));

  g_autoptr (JlLease) stored = read_existing (current);
  CU_ASSERT_STRING_EQUAL (stored->holder, "node-b:7070");
  CU_ASSERT_EQUAL (stored->epoch, 11);
}

static void
test_update_absent_row_rejected (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);
  g_autoptr (JlLease) lease = lease_new ("node-a:7070", 10);
  g_autoptr (GError) error = NULL;

  CU_ASSERT_FALSE (jl_store_update (store, lease, &error));
  ASSERT_ERROR (error, JL_ERROR_REJECTED);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "no lease"));
}

static void
test_update_current_epoch (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);
  g_autoptr (JlLease) lease = lease_new ("node-a:7070", 10);
  g_autoptr (GError) error = NULL;

  acquire_or_fail (store, "node-a:7070", 10);

  lease->renewed_at_ms += 5000;
  lease->stale_at_ms += 5000;
  lease->released_at_ms = lease->renewed_at_ms;
  CU_ASSERT_TRUE (jl_store_update (store, lease, &error));
  ASSERT_NO_ERROR (error);

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_EQUAL (stored->renewed_at_ms, lease->renewed_at_ms);
  CU_ASSERT_EQUAL (stored->stale_at_ms, lease->stale_at_ms);
  CU_ASSERT_EQUAL (stored->released_at_ms, lease->released_at_ms);
}

static void
test_read_round_trip (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);
  g_autoptr (JlLease) lease = lease_new ("node-a.example:7070", 123456789012);
  g_autoptr (GError) error = NULL;

  lease->acquired_at_ms = 1700000000000;
  lease->renewed_at_ms = 1700000001234;
  lease->stale_at_ms = 1700000031234;
  CU_ASSERT_TRUE (jl_store_acquire (store, lease, &error));
  ASSERT_NO_ERROR (error);

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_STRING_EQUAL (stored->holder, lease->holder);
  CU_ASSERT_STRING_EQUAL (stored->node, lease->node);
  CU_ASSERT_EQUAL (stored->epoch, lease->epoch);
  CU_ASSERT_EQUAL (stored->acquired_at_ms, lease->acquired_at_ms);
  CU_ASSERT_EQUAL (stored->renewed_at_ms, lease->renewed_at_ms);
  CU_ASSERT_EQUAL (stored->stale_at_ms, lease->stale_at_ms);
  CU_ASSERT_EQUAL (stored->released_at_ms, 0);

  /* Kylin reads f:t as a big-endian Java long. */
  g_autoptr (GByteArray) modified = raw_get_cell (table, "t");
  CU_ASSERT_PTR_NOT_NULL_FATAL (modified);
  CU_ASSERT_EQUAL_FATAL (modified->len, 8);
  gint64 modified_ms = 0;
  for (guint i = 0; i < 8; i++)
    modified_ms = (modified_ms << 8) | modified->data[i];
  CU_ASSERT_EQUAL (modified_ms, lease->renewed_at_ms);
}

static void
test_damaged_content_corrupt (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);
  g_autoptr (GByteArray) garbage = jl_thrift_bytes_from_string ("{\"holder");
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) error = NULL;
  gint64 stored_epoch = 0;

  acquire_or_fail (store, "node-a:7070", 10);
  CU_ASSERT_TRUE_FATAL (raw_check_and_put (table, JL_LEASE_RESOURCE, "c",
                                           HB_T_COMPARE_OPERATOR_NOT_EQUAL,
                                           garbage, garbage));

  CU_ASSERT_FALSE (jl_store_read (store, &lease, &stored_epoch, &error));
  ASSERT_ERROR (error, JL_ERROR_CORRUPT);
  CU_ASSERT_PTR_NULL (lease);
  CU_ASSERT_EQUAL (stored_epoch, 10);

  /* The same epoch cannot take over a damaged lease ... */
  g_autoptr (JlLease) same = lease_new ("node-b:7070", 10);
  g_clear_error (&error);
  CU_ASSERT_FALSE (jl_store_acquire (store, same, &error));
  ASSERT_ERROR (error, JL_ERROR_REJECTED);

  /* ... but a new leader with a higher epoch can. */
  acquire_or_fail (store, "node-b:7070", 11);

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_STRING_EQUAL (stored->holder, "node-b:7070");
  CU_ASSERT_EQUAL (stored->epoch, 11);
}

static void
test_gateway_falls_through (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) created = store_open (table);
  g_autoptr (GArray) servers = host_port_array_new ();
  g_autoptr (GError) error = NULL;

  add_gateway (servers, "127.0.0.1", refusing_port ());
  for (guint i = 0; i < gateways->len; i++)
    {
      const JlHostPort *gateway = &g_array_index (gateways, JlHostPort, i);
      add_gateway (servers, gateway->host, gateway->port);
    }

  g_autoptr (TestConfig) config = config_new (table, servers,
                                                 TEST_TIMEOUT_MS);
  g_autoptr (JlStore) store = jl_store_open (config, &error);
  ASSERT_NO_ERROR (error);

  acquire_or_fail (store, "node-a:7070", 10);

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_EQUAL (stored->epoch, 10);
}

static void
test_silent_gateway_times_out (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) created = store_open (table);
  g_autoptr (GArray) servers = host_port_array_new ();
  g_autoptr (GError) error = NULL;
  guint16 silent_port = 0;
  g_autoptr (GSocket) silent = silent_listener_new (&silent_port);

  add_gateway (servers, "127.0.0.1", silent_port);
  add_gateway (servers, g_array_index (gateways, JlHostPort, 0).host,
               g_array_index (gateways, JlHostPort, 0).port);

  g_autoptr (TestConfig) config = config_new (table, servers,
                                                 SHORT_TIMEOUT_MS);
  gint64 started_us = g_get_monotonic_time ();
  g_autoptr (JlStore) store = jl_store_open (config, &error);
  gint64 elapsed_ms = (g_get_monotonic_time () - started_us) / 1000;

  ASSERT_NO_ERROR (error);
  CU_ASSERT (elapsed_ms >= SHORT_TIMEOUT_MS);
  CU_ASSERT (elapsed_ms < 3 * SHORT_TIMEOUT_MS);

  acquire_or_fail (store, "node-a:7070", 10);
}

static void
test_all_gateways_unavailable (void)
{
  g_autoptr (GArray) servers = host_port_array_new ();
  g_autoptr (GError) error = NULL;
  guint16 first = refusing_port ();
  guint16 second = refusing_port ();

  add_gateway (servers, "127.0.0.1", first);
  add_gateway (servers, "127.0.0.1", second);

  g_autoptr (TestConfig) config = config_new ("jl_test_unreachable",
                                                 servers, SHORT_TIMEOUT_MS);
  g_autoptr (JlStore) store = jl_store_open (config, &error);

  CU_ASSERT_PTR_NULL (store);
  ASSERT_ERROR (error, JL_ERROR_UNAVAILABLE);

  g_autofree char *first_name = g_strdup_printf ("127.0.0.1:%u", first);
  g_autofree char *second_name = g_strdup_printf ("127.0.0.1:%u", second);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, first_name));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, second_name));
}

/* The reply to write_if_absent is lost after HBase applied it. */
static void
test_acquire_absent_reply_lost (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) created = store_open (table);
  g_autoptr (LossyProxy) proxy = lossy_proxy_start ();
  g_autoptr (JlStore) store = store_open_through (proxy, table);

  /* The first checkAndMutate is the rejected write_if_newer. */
  g_atomic_int_set (&proxy->writes_to_pass, 1);
  g_atomic_int_set (&proxy->replies_to_drop, 1);
  acquire_or_fail (store, "node-a:7070", 10);
  CU_ASSERT_EQUAL (g_atomic_int_get (&proxy->replies_to_drop), 0);

  g_autoptr (JlLease) stored = read_existing (created);
  CU_ASSERT_STRING_EQUAL (stored->holder, "node-a:7070");
  CU_ASSERT_EQUAL (stored->epoch, 10);
}

/* The reply to write_if_newer is lost after HBase applied it, so the
 * resent request finds its own epoch stored. */
static void
test_acquire_newer_reply_lost (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) created = store_open (table);
  g_autoptr (LossyProxy) proxy = lossy_proxy_start ();
  g_autoptr (JlStore) store = store_open_through (proxy, table);

  acquire_or_fail (created, "node-a:7070", 10);

  g_atomic_int_set (&proxy->replies_to_drop, 1);
  acquire_or_fail (store, "node-b:7070", 11);
  CU_ASSERT_EQUAL (g_atomic_int_get (&proxy->replies_to_drop), 0);

  g_autoptr (JlLease) stored = read_existing (created);
  CU_ASSERT_STRING_EQUAL (stored->holder, "node-b:7070");
  CU_ASSERT_EQUAL (stored->epoch, 11);
}

static void
test_update_reply_lost (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) created = store_open (table);
  g_autoptr (LossyProxy) proxy = lossy_proxy_start ();
  g_autoptr (JlStore) store = store_open_through (proxy, table);
  g_autoptr (JlLease) lease = lease_new ("node-a:7070", 10);
  g_autoptr (GError) error = NULL;

  acquire_or_fail (created, "node-a:7070", 10);

  g_atomic_int_set (&proxy->replies_to_drop, 1);
  lease->renewed_at_ms += 1000;
  CU_ASSERT_TRUE (jl_store_update (store, lease, &error));
  ASSERT_NO_ERROR (error);
  CU_ASSERT_EQUAL (g_atomic_int_get (&proxy->replies_to_drop), 0);

  g_autoptr (JlLease) stored = read_existing (created);
  CU_ASSERT_EQUAL (stored->renewed_at_ms, lease->renewed_at_ms);
}

static void
test_missing_namespace_fails (void)
{
  g_autofree char *table = g_strdup_printf ("jl_missing_ns_%d:lease",
                                            (int) getpid ());
  g_autoptr (TestConfig) config = config_new (table, NULL, TEST_TIMEOUT_MS);
  g_autoptr (GError) error = NULL;
  g_autoptr (JlStore) store = jl_store_open (config, &error);

  CU_ASSERT_PTR_NULL (store);
  ASSERT_ERROR (error, JL_ERROR_FAILED);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "HBase error"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "jl_missing_ns_"));
}

static void
test_invalid_table_name (void)
{
  g_autoptr (TestConfig) config = config_new ("a:b:c", NULL, TEST_TIMEOUT_MS);
  g_autoptr (GError) error = NULL;
  g_autoptr (JlStore) store = jl_store_open (config, &error);

  CU_ASSERT_PTR_NULL (store);
  ASSERT_ERROR (error, JL_ERROR_INVALID);
}

static void
test_namespace_table (void)
{
  g_autofree char *name = unique_table_name ();
  g_autofree char *table = g_strconcat ("default:", name, NULL);
  g_autoptr (JlStore) store = store_open (table);

  acquire_or_fail (store, "node-a:7070", 10);

  g_autoptr (JlLease) stored = read_existing (store);
  CU_ASSERT_EQUAL (stored->epoch, 10);
}

static void
test_reconnect_after_idle (void)
{
  g_autofree char *table = unique_table_name ();
  g_autoptr (JlStore) store = store_open (table);
  g_autoptr (JlLease) lease = lease_new ("node-a:7070", 10);
  g_autoptr (GError) error = NULL;

  acquire_or_fail (store, "node-a:7070", 10);

  g_usleep ((SERVER_IDLE_TIMEOUT_S + 5) * G_USEC_PER_SEC);

  lease->renewed_at_ms += 1000;
  CU_ASSERT_TRUE (jl_store_update (store, lease, &error));
  ASSERT_NO_ERROR (error);
}

/* Returns a new table name that no test creates on purpose. */
static char *
absent_table_name (void)
{
  return g_strdup_printf ("jl_test_%d_%u", (int) getpid (), ++table_counter);
}

/* Checks that @table does not exist, and drops it at the end if it does. */
static void
assert_table_absent (const char *table)
{
  gboolean exists = raw_table_exists (table);

  if (exists)
    g_ptr_array_add (created_tables, g_strdup (table));
  CU_ASSERT_FALSE (exists);
}

/* Checks that @store reads "no lease stored". */
static void
assert_reads_no_lease (JlStore *store)
{
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) error = NULL;
  gint64 stored_epoch = -1;

  CU_ASSERT_TRUE (jl_store_read (store, &lease, &stored_epoch, &error));
  ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NULL (lease);
  CU_ASSERT_EQUAL (stored_epoch, 0);
}

static void
test_read_only_creates_no_table (void)
{
  g_autofree char *table = absent_table_name ();
  g_autoptr (TestConfig) config = config_new (table, NULL, TEST_TIMEOUT_MS);
  g_autoptr (JlLease) lease = lease_new ("node-a:7070", 10);
  g_autoptr (GError) error = NULL;

  g_autoptr (JlStore) store = jl_store_open_read_only (config, &error);
  ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (store);

  assert_reads_no_lease (store);
  assert_table_absent (table);

  CU_ASSERT_FALSE (jl_store_acquire (store, lease, &error));
  ASSERT_ERROR (error, JL_ERROR_INVALID);
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "read-only"));
}

static void
test_read_only_missing_namespace (void)
{
  g_autofree char *table = g_strdup_printf ("jl_missing_ns_%d:lease",
                                            (int) getpid ());
  g_autoptr (TestConfig) config = config_new (table, NULL, TEST_TIMEOUT_MS);
  g_autoptr (GError) error = NULL;

  g_autoptr (JlStore) store = jl_store_open_read_only (config, &error);
  ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (store);

  assert_reads_no_lease (store);
}

/* A read-only store opened before the daemon created the table. */
static void
test_read_only_sees_table_created_later (void)
{
  g_autofree char *table = absent_table_name ();
  g_autoptr (TestConfig) config = config_new (table, NULL, TEST_TIMEOUT_MS);
  g_autoptr (GError) error = NULL;

  g_autoptr (JlStore) reader = jl_store_open_read_only (config, &error);
  ASSERT_NO_ERROR (error);
  assert_reads_no_lease (reader);

  g_ptr_array_add (created_tables, g_strdup (table));
  g_autoptr (JlStore) writer = store_open (table);
  acquire_or_fail (writer, "node-a:7070", 10);

  g_autoptr (JlLease) stored = read_existing (reader);
  CU_ASSERT_STRING_EQUAL (stored->holder, "node-a:7070");
  CU_ASSERT_EQUAL (stored->epoch, 10);
}

/* `jobleader status` tests: a real ZooKeeper with a candidate node that
 * the test creates, and the status read through the library. */

#define STATUS_CLUSTER "c"
#define STATUS_SESSION_TIMEOUT_MS 10000

typedef struct
{
  zhandle_t *zh;
  char *base_path;   /* kylin.env.zookeeper-base-path of the test */
  GPtrArray *paths;  /* persistent nodes created, parents first */
  char *node_path;   /* the candidate node */
  gint64 epoch;      /* its czxid */
} Election;

static void
ignore_zookeeper_event (zhandle_t *zh, int type, int state, const char *path,
                        void *context)
{
  (void) zh;
  (void) type;
  (void) state;
  (void) path;
  (void) context;
}

static zhandle_t *
zookeeper_open (void)
{
  gint64 deadline = g_get_monotonic_time () + TEST_TIMEOUT_MS * 1000;

  zoo_set_debug_level (ZOO_LOG_LEVEL_ERROR);
  zhandle_t *zh = zookeeper_init (zookeeper_connect, ignore_zookeeper_event,
                                  STATUS_SESSION_TIMEOUT_MS, NULL, NULL, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL (zh);

  while (zoo_state (zh) != ZOO_CONNECTED_STATE
         && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);

  CU_ASSERT_EQUAL_FATAL (zoo_state (zh), ZOO_CONNECTED_STATE);

  return zh;
}

/* Creates the election path <base>/c/job_engine/leader under a new base
 * path, and in it one candidate node whose data is @holder. */
static void
election_start (Election *election, const char *holder)
{
  static const char *const levels[] = {
    "", "/" STATUS_CLUSTER, "/job_engine", "/leader",
  };
  g_autofree char *uuid = g_uuid_string_random ();
  g_autoptr (GString) path = g_string_new (NULL);
  char created[1024];
  struct Stat stat;

  memset (election, 0, sizeof *election);
  election->zh = zookeeper_open ();
  election->base_path = g_strdup_printf ("/jl_test_%d_%u", (int) getpid (),
                                         ++table_counter);
  election->paths = g_ptr_array_new_with_free_func (g_free);

  g_string_assign (path, election->base_path);
  for (guint i = 0; i < G_N_ELEMENTS (levels); i++)
    {
      g_string_append (path, levels[i]);
      int rc = zoo_create (election->zh, path->str, NULL, -1,
                           &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0);
      CU_ASSERT_EQUAL_FATAL (rc, ZOK);
      g_ptr_array_add (election->paths, g_strdup (path->str));
    }

  g_string_append_printf (path, "/_c_%s-lock-", uuid);
  int rc = zoo_create (election->zh, path->str, holder, (int) strlen (holder),
                       &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL_SEQUENTIAL,
                       created, sizeof created);
  CU_ASSERT_EQUAL_FATAL (rc, ZOK);
  election->node_path = g_strdup (created);

  rc = zoo_exists (election->zh, election->node_path, 0, &stat);
  CU_ASSERT_EQUAL_FATAL (rc, ZOK);
  election->epoch = stat.czxid;
}

/* Deletes every node that election_start() created. */
static void
election_stop (Election *election)
{
  zoo_delete (election->zh, election->node_path, -1);
  for (guint i = election->paths->len; i > 0; i--)
    zoo_delete (election->zh, election->paths->pdata[i - 1], -1);

  zookeeper_close (election->zh);
  g_ptr_array_unref (election->paths);
  g_free (election->base_path);
  g_free (election->node_path);
}

/* Returns a configuration whose election is @election and whose metastore
 * is @table in HBase, or the local folder @path when @table is NULL. */
static JlConfig *
status_config_new (const Election *election, const char *table,
                   const char *path)
{
  JlConfig *config = config_new (table != NULL ? table : "kylin_metadata",
                                 NULL, TEST_TIMEOUT_MS);

  if (table == NULL)
    {
      config->metadata.kind = JL_METASTORE_LOCAL;
      config->metadata.path = g_strdup (path);
    }

  config->zk_connect = g_strdup (zookeeper_connect);
  config->zk_base_path = g_strdup (election->base_path);
  config->cluster_name = g_strdup (STATUS_CLUSTER);
  config->zk_session_timeout_ms = STATUS_SESSION_TIMEOUT_MS;

  return config;
}

static int
remove_entry (const char *path, const struct stat *info, int type,
              struct FTW *walk)
{
  (void) info;
  (void) type;
  (void) walk;

  return remove (path);
}

static void
remove_tree (const char *path)
{
  nftw (path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
write_local_epoch (const char *root, gint64 epoch)
{
  g_autofree char *path = g_build_filename (root, JL_LEASE_RESOURCE ".epoch",
                                            NULL);
  g_autoptr (GError) error = NULL;
  guint8 encoded[8];

  jl_epoch_encode (epoch, encoded);
  g_file_set_contents (path, (const char *) encoded, sizeof encoded, &error);
  ASSERT_NO_ERROR (error);
}

static void
remove_local_epoch (const char *root)
{
  g_autofree char *path = g_build_filename (root, JL_LEASE_RESOURCE ".epoch",
                                            NULL);

  CU_ASSERT_EQUAL (unlink (path), 0);
}

static JlStatus *
collect_status (const JlConfig *config)
{
  g_autoptr (GError) error = NULL;
  JlStatus *status = jl_status_collect (config, &error);

  ASSERT_NO_ERROR (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (status);
  CU_ASSERT_PTR_NOT_NULL_FATAL (status->leader);

  return status;
}

static void
assert_lease_error (const JlStatus *status, const char *expected)
{
  if (g_strcmp0 (status->lease_error, expected) != 0)
    fprintf (stderr, "\n  lease_error: %s\n  expected:    %s\n",
             status->lease_error, expected);
  CU_ASSERT_STRING_EQUAL (status->lease_error != NULL ? status->lease_error
                                                      : "(null)",
                          expected);
}

/* The local store returns the lease content even when the stored epoch
 * differs from the content's epoch. */
static void
test_status_reports_epoch_mismatch (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("jl-status-XXXXXX", &error);
  Election election;

  ASSERT_NO_ERROR (error);
  election_start (&election, "node-a:7070");

  g_autoptr (TestConfig) config = status_config_new (&election, NULL, root);
  g_autoptr (JlStore) store = jl_store_open (config, &error);
  ASSERT_NO_ERROR (error);
  acquire_or_fail (store, "node-a:7070", election.epoch);

  g_autoptr (JlStatus) agreeing = collect_status (config);
  CU_ASSERT_PTR_NULL (agreeing->lease_error);
  CU_ASSERT_TRUE (agreeing->consistent);

  gint64 higher = election.epoch + 1000;
  write_local_epoch (root, higher);
  g_autoptr (JlStatus) differing = collect_status (config);
  g_autofree char *differing_message = g_strdup_printf (
    "stored epoch %" G_GINT64_FORMAT " differs from the lease content's "
    "epoch %" G_GINT64_FORMAT, higher, election.epoch);

  CU_ASSERT_PTR_NOT_NULL (differing->lease);
  CU_ASSERT_EQUAL (differing->stored_epoch, higher);
  assert_lease_error (differing, differing_message);
  CU_ASSERT_FALSE (differing->consistent);

  remove_local_epoch (root);
  g_autoptr (JlStatus) unfenced = collect_status (config);
  g_autofree char *unfenced_message = g_strdup_printf (
    "no epoch is stored beside the lease content's epoch %" G_GINT64_FORMAT,
    election.epoch);

  CU_ASSERT_PTR_NOT_NULL (unfenced->lease);
  CU_ASSERT_EQUAL (unfenced->stored_epoch, 0);
  assert_lease_error (unfenced, unfenced_message);
  CU_ASSERT_FALSE (unfenced->consistent);

  election_stop (&election);
  remove_tree (root);
}

static void
test_status_creates_no_table (void)
{
  g_autofree char *table = absent_table_name ();
  Election election;

  election_start (&election, "node-a:7070");

  g_autoptr (TestConfig) config = status_config_new (&election, table, NULL);
  g_autoptr (JlStatus) status = collect_status (config);

  CU_ASSERT_PTR_NULL (status->lease);
  CU_ASSERT_PTR_NULL (status->lease_error);
  CU_ASSERT_FALSE (status->consistent);
  assert_table_absent (table);

  election_stop (&election);
}

static void
test_status_creates_no_folder (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("jl-status-XXXXXX", &error);
  g_autofree char *first_missing = g_build_filename (root, "missing", NULL);
  g_autofree char *metadata = g_build_filename (first_missing, "dir", "x",
                                                NULL);
  Election election;

  ASSERT_NO_ERROR (error);
  election_start (&election, "node-a:7070");

  g_autoptr (TestConfig) config = status_config_new (&election, NULL,
                                                     metadata);
  g_autoptr (JlStatus) status = collect_status (config);

  CU_ASSERT_PTR_NULL (status->lease);
  CU_ASSERT_PTR_NULL (status->lease_error);
  CU_ASSERT_FALSE (g_file_test (first_missing, G_FILE_TEST_EXISTS));

  election_stop (&election);
  remove_tree (root);
}

static void
drop_created_tables (void)
{
  for (guint i = 0; i < created_tables->len; i++)
    {
      const char *table = created_tables->pdata[i];
      g_autoptr (GError) error = NULL;

      if (!jl_thrift_client_run (admin, "drop a test table",
                                 request_drop_table, (gpointer) table,
                                 &error))
        fprintf (stderr, "Dropping test table '%s' failed: %s\n", table,
                 error->message);
    }
}

static const CU_TestInfo store_tests[] = {
  { "server compare semantics", test_server_compare_semantics },
  { "open creates table once", test_open_creates_table_once },
  { "read absent row", test_read_absent_row },
  { "acquire absent row", test_acquire_absent_row },
  { "acquire lower epoch rejected", test_acquire_lower_epoch_rejected },
  { "acquire equal epoch rejected", test_acquire_equal_epoch_rejected },
  { "acquire repeated by same leader", test_acquire_repeated_by_same_leader },
  { "acquire higher epoch", test_acquire_higher_epoch },
  { "update fences former leader", test_update_fences_former_leader },
  { "update absent row rejected", test_update_absent_row_rejected },
  { "update current epoch", test_update_current_epoch },
  { "read round trip", test_read_round_trip },
  { "damaged content corrupt", test_damaged_content_corrupt },
  { "gateway falls through", test_gateway_falls_through },
  { "silent gateway times out", test_silent_gateway_times_out },
  { "all gateways unavailable", test_all_gateways_unavailable },
  { "namespace table", test_namespace_table },
  { "missing namespace fails", test_missing_namespace_fails },
  { "invalid table name", test_invalid_table_name },
  { "acquire absent reply lost", test_acquire_absent_reply_lost },
  { "acquire newer reply lost", test_acquire_newer_reply_lost },
  { "update reply lost", test_update_reply_lost },
  { "read-only creates no table", test_read_only_creates_no_table },
  { "read-only missing namespace", test_read_only_missing_namespace },
  { "read-only sees table created later",
    test_read_only_sees_table_created_later },
  CU_TEST_INFO_NULL,
};

static const CU_TestInfo status_tests[] = {
  { "status reports epoch mismatch", test_status_reports_epoch_mismatch },
  { "status creates no table", test_status_creates_no_table },
  { "status creates no folder", test_status_creates_no_folder },
  CU_TEST_INFO_NULL,
};

static const CU_TestInfo slow_tests[] = {
  { "reconnect after idle", test_reconnect_after_idle },
  CU_TEST_INFO_NULL,
};

static void
add_suite (const char *name, const CU_TestInfo *tests)
{
  CU_pSuite suite = CU_add_suite (name, NULL, NULL);

  for (const CU_TestInfo *test = tests; test->pName != NULL; test++)
    CU_add_test (suite, test->pName, test->pTestFunc);
}

int
main (void)
{
  const char *servers = g_getenv ("JOBLEADER_THRIFT_SERVERS");
  g_autoptr (GError) error = NULL;

  if (servers == NULL || *servers == '\0')
    {
      fprintf (stderr, "JOBLEADER_THRIFT_SERVERS is not set, skipping the "
               "HBase store tests. Start HBase with deploy/hbase.sh and set "
               "it to the Thrift2 gateway as host:port.\n");
      return SKIP_EXIT_CODE;
    }

  gateways = parse_gateways (servers, &error);
  if (gateways == NULL)
    {
      fprintf (stderr, "JOBLEADER_THRIFT_SERVERS: %s\n", error->message);
      return EXIT_FAILURE;
    }

  /* As jobleader's programs do. */
  signal (SIGPIPE, SIG_IGN);

  admin = jl_thrift_client_new (gateways, TEST_TIMEOUT_MS);
  created_tables = g_ptr_array_new_with_free_func (g_free);

  if (CU_initialize_registry () != CUE_SUCCESS)
    return EXIT_FAILURE;

  add_suite ("hbase store", store_tests);

  zookeeper_connect = g_getenv ("JOBLEADER_ZOOKEEPER");
  if (zookeeper_connect != NULL && *zookeeper_connect != '\0')
    add_suite ("status", status_tests);
  else
    fprintf (stderr, "JOBLEADER_ZOOKEEPER is not set, skipping the status "
             "tests. Set it to a ZooKeeper server as host:port, for "
             "example 127.0.0.1:$(cat DIR/zookeeper-port) of "
             "deploy/hbase.sh.\n");

  if (g_strcmp0 (g_getenv ("JOBLEADER_SLOW_TESTS"), "1") == 0)
    add_suite ("hbase store, slow", slow_tests);

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();

  unsigned int failed = CU_get_number_of_failures ()
                        + CU_get_number_of_tests_failed ();
  CU_cleanup_registry ();

  drop_created_tables ();
  jl_thrift_client_free (admin);
  g_ptr_array_unref (created_tables);
  g_array_unref (gateways);

  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
