/* Connections to HBase Thrift2 gateways: a deadline-aware Thrift transport
 * over GSocket, connection set-up with a server-type probe, and fail-over
 * between the configured gateways. */
#include "thrift-client.h"

#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <thrift/c_glib/protocol/thrift_binary_protocol.h>
#include <thrift/c_glib/protocol/thrift_protocol.h>
#include <thrift/c_glib/thrift_application_exception.h>
#include <thrift/c_glib/transport/thrift_buffered_transport.h>
#include <thrift/c_glib/transport/thrift_transport.h>

#include "jobleader/error.h"

/* Requests and replies are under 1 KiB for a lease row. Larger messages
 * still work: the buffered transport passes them through. */
#define BUFFER_SIZE 4096

/* The time limit of everything done on one gateway for one request:
 * connecting, the server-type probe, the request and its retry. */
typedef struct
{
  gint64 end_us;    /* in g_get_monotonic_time() microseconds */
  guint timeout_ms; /* the span it was set from, for messages */
} Deadline;

static Deadline
deadline_after (guint timeout_ms)
{
  Deadline deadline = {
    .end_us = g_get_monotonic_time ()
              + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND,
    .timeout_ms = timeout_ms,
  };

  return deadline;
}

/* Waits until @condition holds on @socket, for at most the time left
 * before @deadline. */
static gboolean
deadline_wait (const Deadline *deadline,
               GSocket        *socket,
               GIOCondition    condition,
               GError        **error)
{
  gint64 remaining_us = deadline->end_us - g_get_monotonic_time ();
  g_autoptr (GError) local_error = NULL;

  if (g_socket_condition_timed_wait (socket, condition, MAX (remaining_us, 0),
                                     NULL, &local_error))
    return TRUE;

  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                 "Timed out after %u ms", deadline->timeout_ms);
  else
    g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                 "Waiting on the socket failed: %s", local_error->message);

  return FALSE;
}

/* A Thrift transport over a connected GSocket whose reads and writes fail
 * once the current request's deadline passes. c_glib 0.17's ThriftSocket
 * cannot be used: it connects with a blocking, IPv4-only connect() and
 * waits forever in send() and recv().
 *
 * GSocket (GLib 2.74) creates its descriptors with SOCK_CLOEXEC and sends
 * with MSG_NOSIGNAL, so a gateway that goes away raises no SIGPIPE here.
 * jobleaderd and jobleader ignore SIGPIPE as well. */
typedef struct
{
  ThriftTransport parent_instance;

  GSocket *socket;         /* connected and non-blocking, NULL once closed */
  Deadline deadline;       /* of the request under way */
  gboolean closed_by_peer; /* the last failure was the gateway closing */
} JlThriftSocket;

typedef struct
{
  ThriftTransportClass parent_class;
} JlThriftSocketClass;

GType jl_thrift_socket_get_type (void);

G_DEFINE_FINAL_TYPE (JlThriftSocket, jl_thrift_socket, THRIFT_TYPE_TRANSPORT)

#define JL_TYPE_THRIFT_SOCKET (jl_thrift_socket_get_type ())
#define JL_THRIFT_SOCKET(object) \
  (G_TYPE_CHECK_INSTANCE_CAST ((object), JL_TYPE_THRIFT_SOCKET, \
                               JlThriftSocket))

/* Converts a failed g_socket_receive() or g_socket_send() into @error. */
static void
socket_set_error (JlThriftSocket *self,
                  const GError   *io_error,
                  const char     *operation,
                  GError        **error)
{
  if (g_error_matches (io_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    self->closed_by_peer = TRUE;

  g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE, "%s failed: %s",
               operation, io_error->message);
}

static gboolean
jl_thrift_socket_is_open (ThriftTransport *transport)
{
  return JL_THRIFT_SOCKET (transport)->socket != NULL;
}

/* Only reports whether the socket is still usable, because
 * connection_open() makes the connections. */
static gboolean
jl_thrift_socket_open (ThriftTransport *transport, GError **error)
{
  if (jl_thrift_socket_is_open (transport))
    return TRUE;

  g_set_error_literal (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                       "The connection to the gateway is closed");
  return FALSE;
}

static gboolean
jl_thrift_socket_close (ThriftTransport *transport, GError **error)
{
  JlThriftSocket *self = JL_THRIFT_SOCKET (transport);
  g_autoptr (GSocket) socket = g_steal_pointer (&self->socket);

  if (socket == NULL)
    return TRUE;

  g_autoptr (GError) local_error = NULL;
  if (!g_socket_close (socket, &local_error))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_FAILED,
                   "Closing the socket failed: %s", local_error->message);
      return FALSE;
    }

  return TRUE;
}

/* Reads exactly @length bytes, as ThriftSocket does, so that the buffered
 * transport above never keeps a partial read. */
static gint32
jl_thrift_socket_read (ThriftTransport *transport,
                       gpointer         buffer,
                       guint32          length,
                       GError         **error)
{
  JlThriftSocket *self = JL_THRIFT_SOCKET (transport);
  guint32 received = 0;

  if (!jl_thrift_socket_open (transport, error))
    return -1;

  while (received < length)
    {
      if (!deadline_wait (&self->deadline, self->socket, G_IO_IN, error))
        return -1;

      g_autoptr (GError) local_error = NULL;
      gssize count = g_socket_receive (self->socket,
                                       (char *) buffer + received,
                                       length - received, NULL, &local_error);
      if (count > 0)
        {
          received += count;
          continue;
        }

      if (count == 0)
        {
          self->closed_by_peer = TRUE;
          g_set_error_literal (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                               "The gateway closed the connection");
          return -1;
        }

      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          socket_set_error (self, local_error, "Receiving", error);
          return -1;
        }
    }

  return (gint32) received;
}

static gboolean
jl_thrift_socket_write (ThriftTransport *transport,
                        const gpointer   buffer,
                        const guint32    length,
                        GError         **error)
{
  JlThriftSocket *self = JL_THRIFT_SOCKET (transport);
  guint32 sent = 0;

  if (!jl_thrift_socket_open (transport, error))
    return FALSE;

  while (sent < length)
    {
      if (!deadline_wait (&self->deadline, self->socket, G_IO_OUT, error))
        return FALSE;

      g_autoptr (GError) local_error = NULL;
      gssize count = g_socket_send (self->socket,
                                    (const char *) buffer + sent,
                                    length - sent, NULL, &local_error);
      if (count >= 0)
        {
          sent += count;
          continue;
        }

      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          socket_set_error (self, local_error, "Sending", error);
          return FALSE;
        }
    }

  return TRUE;
}

/* Reads and writes go straight to the socket, so there is nothing to
 * flush or to finish. */
static gboolean
jl_thrift_socket_no_op (ThriftTransport *transport, GError **error)
{
  (void) transport;
  (void) error;

  return TRUE;
}

static void
jl_thrift_socket_dispose (GObject *object)
{
  JlThriftSocket *self = JL_THRIFT_SOCKET (object);

  g_clear_object (&self->socket);

  G_OBJECT_CLASS (jl_thrift_socket_parent_class)->dispose (object);
}

static void
jl_thrift_socket_class_init (JlThriftSocketClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ThriftTransportClass *transport_class = THRIFT_TRANSPORT_CLASS (klass);

  object_class->dispose = jl_thrift_socket_dispose;

  transport_class->is_open = jl_thrift_socket_is_open;
  transport_class->open = jl_thrift_socket_open;
  transport_class->close = jl_thrift_socket_close;
  transport_class->read = jl_thrift_socket_read;
  transport_class->read_end = jl_thrift_socket_no_op;
  transport_class->write = jl_thrift_socket_write;
  transport_class->write_end = jl_thrift_socket_no_op;
  transport_class->flush = jl_thrift_socket_no_op;
}

static void
jl_thrift_socket_init (JlThriftSocket *self)
{
  (void) self;
}

/* Connects to one address without blocking past @deadline. */
static GSocket *
connect_address (GInetAddress   *address,
                 guint16         port,
                 const Deadline *deadline,
                 GError        **error)
{
  GSocketFamily family = g_inet_address_get_family (address);
  g_autoptr (GSocket) socket = g_socket_new (family, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return NULL;

  g_socket_set_blocking (socket, FALSE);

  g_autoptr (GSocketAddress) target =
    g_inet_socket_address_new (address, port);
  g_autoptr (GError) local_error = NULL;

  if (!g_socket_connect (socket, target, NULL, &local_error))
    {
      if (!g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_PENDING))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }

      if (!deadline_wait (deadline, socket, G_IO_OUT, error))
        return NULL;

      if (!g_socket_check_connect_result (socket, error))
        return NULL;
    }

  /* Each request is flushed at once and then waits for its reply, so
   * Nagle's algorithm could only delay it. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);

  return g_steal_pointer (&socket);
}

/* Resolves @host and connects to the first address that accepts.
 * NOTE: name resolution is synchronous and not bound by the deadline. Use
 * IP addresses or a local resolver for the gateways. */
static GSocket *
connect_socket (const JlHostPort *gateway,
                const Deadline   *deadline,
                GError          **error)
{
  g_autoptr (GResolver) resolver = g_resolver_get_default ();
  g_autoptr (GError) local_error = NULL;

  g_autolist (GInetAddress) addresses =
    g_resolver_lookup_by_name (resolver, gateway->host, NULL, &local_error);
  if (addresses == NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                   "Resolving the host name failed: %s", local_error->message);
      return NULL;
    }

  for (GList *item = addresses; item != NULL; item = item->next)
    {
      g_clear_error (&local_error);
      GSocket *socket = connect_address (item->data, gateway->port, deadline,
                                         &local_error);
      if (socket != NULL)
        return socket;
    }

  g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
               "Connecting failed: %s", local_error->message);
  return NULL;
}

/* c_glib 0.17's generated structs, ThriftBufferedTransport and
 * ThriftApplicationException end their finalize without chaining up, so
 * GObject's own finalize never runs and each instance leaks its qdata (48
 * bytes with GLib 2.74, measured with valgrind). A lease renewal creates
 * six structs, so a daemon would lose megabytes a day. The functions below
 * wrap those finalize functions with the missing chain-up. GObject's
 * finalize only clears qdata and signal handlers, so a second run of it,
 * should a later Thrift release chain up itself, does no harm. */
typedef void (*FinalizeFunc) (GObject *object);

static GQuark original_finalize_quark;

static void
finalize_and_chain_up (GObject *object)
{
  GType type = G_OBJECT_TYPE (object);
  FinalizeFunc finalize = NULL;

  while ((finalize = g_type_get_qdata (type, original_finalize_quark))
         == NULL)
    type = g_type_parent (type);

  finalize (object);

  GObjectClass *parent_class = g_type_class_peek (g_type_parent (type));
  parent_class->finalize (object);
}

static void
wrap_finalize (GType type)
{
  /* The class reference is kept, so the patched class is never freed. */
  GObjectClass *object_class = g_type_class_ref (type);

  g_type_set_qdata (type, original_finalize_quark, object_class->finalize);
  object_class->finalize = finalize_and_chain_up;
}

static void
fix_thrift_finalizers (void)
{
  static gsize done = 0;

  if (!g_once_init_enter (&done))
    return;

  original_finalize_quark =
    g_quark_from_static_string ("jl-thrift-original-finalize");

  GType types[] = {
    HB_TYPE_T_COLUMN,
    HB_TYPE_T_COLUMN_VALUE,
    HB_TYPE_T_RESULT,
    HB_TYPE_T_GET,
    HB_TYPE_T_PUT,
    HB_TYPE_T_MUTATION,
    HB_TYPE_T_ROW_MUTATIONS,
    HB_TYPE_T_TABLE_NAME,
    HB_TYPE_T_COLUMN_FAMILY_DESCRIPTOR,
    HB_TYPE_T_TABLE_DESCRIPTOR,
    HB_TYPE_T_I_O_ERROR,
    HB_TYPE_T_ILLEGAL_ARGUMENT,
    THRIFT_TYPE_BUFFERED_TRANSPORT,
    THRIFT_TYPE_APPLICATION_EXCEPTION,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    wrap_finalize (types[i]);

  g_once_init_leave (&done, 1);
}

/* One open connection: the socket, the buffered transport over it, the
 * binary protocol and the generated client. The protocol holds a
 * reference on the buffered transport; the buffered transport and the
 * client only borrow theirs. */
typedef struct
{
  JlThriftSocket *socket;
  ThriftTransport *transport;
  ThriftProtocol *protocol;
  HbTHBaseServiceClient *service;
} Connection;

static void
connection_free (Connection *connection)
{
  if (connection == NULL)
    return;

  /* The buffered transport closes the socket under it. */
  thrift_transport_close (connection->transport, NULL);

  g_clear_object (&connection->service);
  g_clear_object (&connection->protocol);
  g_clear_object (&connection->transport);
  g_clear_object (&connection->socket);
  g_free (connection);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Connection, connection_free)

static gboolean
connection_run (Connection      *connection,
                const Deadline  *deadline,
                JlThriftRequest  request,
                gpointer         user_data,
                GError         **error)
{
  connection->socket->deadline = *deadline;
  connection->socket->closed_by_peer = FALSE;

  return request (HB_T_H_BASE_SERVICE_IF (connection->service), user_data,
                  error);
}

/* Checks that the gateway is a Thrift2 server. A Thrift1 server has the
 * same method but returns ONE, and would fail every other call. */
static gboolean
probe_server_type (HbTHBaseServiceIf *service,
                   gpointer           user_data,
                   GError           **error)
{
  HbTThriftServerType type = 0;
  g_autoptr (GError) call_error = NULL;

  (void) user_data;

  gboolean succeeded =
    hb_t_h_base_service_client_get_thrift_server_type (service, &type,
                                                        &call_error);
  if (!jl_thrift_check_call (succeeded, call_error, NULL, error))
    return FALSE;

  if (type != HB_T_THRIFT_SERVER_TYPE_TWO)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_FAILED,
                   "The gateway is not an HBase Thrift2 server (server type "
                   "%d). Start one with 'hbase thrift2' and list it in "
                   "kylin.jobleader.hbase.thrift-servers", (int) type);
      return FALSE;
    }

  return TRUE;
}

static Connection *
connection_open (const JlHostPort *gateway,
                 const Deadline   *deadline,
                 GError          **error)
{
  g_autoptr (GSocket) socket = connect_socket (gateway, deadline, error);
  if (socket == NULL)
    return NULL;

  g_autoptr (Connection) connection = g_new0 (Connection, 1);

  connection->socket = g_object_new (JL_TYPE_THRIFT_SOCKET, NULL);
  connection->socket->socket = g_steal_pointer (&socket);

  connection->transport = g_object_new (THRIFT_TYPE_BUFFERED_TRANSPORT,
                                        "transport", connection->socket,
                                        "r_buf_size", BUFFER_SIZE,
                                        "w_buf_size", BUFFER_SIZE,
                                        NULL);
  connection->protocol = g_object_new (THRIFT_TYPE_BINARY_PROTOCOL,
                                       "transport", connection->transport,
                                       NULL);
  connection->service = g_object_new (HB_TYPE_T_H_BASE_SERVICE_CLIENT,
                                      "input_protocol", connection->protocol,
                                      "output_protocol", connection->protocol,
                                      NULL);

  if (!connection_run (connection, deadline, probe_server_type, NULL, error))
    return NULL;

  return g_steal_pointer (&connection);
}

struct _JlThriftClient
{
  GArray *gateways;       /* of JlHostPort, with copied host names */
  guint timeout_ms;
  guint preferred;        /* index of the gateway that succeeded last */
  Connection *connection; /* open connection, or NULL */
  guint connection_index; /* gateway of @connection */
};

static void
clear_host_port (gpointer data)
{
  JlHostPort *gateway = data;

  g_free (gateway->host);
}

JlThriftClient *
jl_thrift_client_new (const GArray *gateways, guint timeout_ms)
{
  g_return_val_if_fail (gateways != NULL, NULL);

  fix_thrift_finalizers ();

  JlThriftClient *client = g_new0 (JlThriftClient, 1);

  client->gateways = g_array_sized_new (FALSE, FALSE, sizeof (JlHostPort),
                                        gateways->len);
  g_array_set_clear_func (client->gateways, clear_host_port);

  for (guint i = 0; i < gateways->len; i++)
    {
      JlHostPort copy = g_array_index (gateways, JlHostPort, i);

      copy.host = g_strdup (copy.host);
      g_array_append_val (client->gateways, copy);
    }

  client->timeout_ms = timeout_ms;

  return client;
}

void
jl_thrift_client_free (JlThriftClient *client)
{
  if (client == NULL)
    return;

  g_clear_pointer (&client->connection, connection_free);
  g_array_unref (client->gateways);
  g_free (client);
}

static const JlHostPort *
client_gateway (JlThriftClient *client, guint index)
{
  return &g_array_index (client->gateways, JlHostPort, index);
}

static gboolean
client_connect (JlThriftClient *client,
                guint           index,
                const Deadline *deadline,
                GError        **error)
{
  g_clear_pointer (&client->connection, connection_free);

  client->connection = connection_open (client_gateway (client, index),
                                        deadline, error);
  client->connection_index = index;

  return client->connection != NULL;
}

/* Runs @request on the gateway at @index, on its open connection when
 * there is one. Any failure closes the connection, because a generated
 * client cannot tell a late reply from the reply to its next request. */
static gboolean
client_run_on (JlThriftClient  *client,
               guint            index,
               JlThriftRequest  request,
               gpointer         user_data,
               GError         **error)
{
  const JlHostPort *gateway = client_gateway (client, index);
  Deadline deadline = deadline_after (client->timeout_ms);
  gboolean reused = client->connection != NULL
                    && client->connection_index == index;
  g_autoptr (GError) local_error = NULL;

  if (!reused && !client_connect (client, index, &deadline, error))
    return FALSE;

  if (connection_run (client->connection, &deadline, request, user_data,
                      &local_error))
    return TRUE;

  gboolean closed_by_peer = client->connection->socket->closed_by_peer;
  g_clear_pointer (&client->connection, connection_free);

  if (!reused || !closed_by_peer)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  /* The gateway closed a connection kept from an earlier call, which it
   * does after an idle period. Sending the request again is safe even if
   * the gateway executed it before closing, because every lease write is
   * conditional on the stored epoch. A repeated write_if_same writes the
   * same cells again. A repeated write_if_newer or write_if_absent is
   * rejected, and jl_store_acquire() then finds its own lease stored. */
  g_debug ("HBase Thrift gateway %s:%u closed the connection, "
           "reconnecting: %s", gateway->host, gateway->port,
           local_error->message);

  if (!client_connect (client, index, &deadline, error))
    return FALSE;

  if (connection_run (client->connection, &deadline, request, user_data,
                      error))
    return TRUE;

  g_clear_pointer (&client->connection, connection_free);
  return FALSE;
}

gboolean
jl_thrift_client_run (JlThriftClient  *client,
                      const char      *action,
                      JlThriftRequest  request,
                      gpointer         user_data,
                      GError         **error)
{
  g_return_val_if_fail (client != NULL, FALSE);
  g_return_val_if_fail (request != NULL, FALSE);

  guint count = client->gateways->len;
  JlError code = JL_ERROR_UNAVAILABLE;
  g_autoptr (GString) failures = g_string_new (NULL);

  if (count == 0)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "Cannot %s: no HBase Thrift gateway is configured", action);
      return FALSE;
    }

  for (guint i = 0; i < count; i++)
    {
      guint index = (client->preferred + i) % count;
      const JlHostPort *gateway = client_gateway (client, index);
      g_autoptr (GError) local_error = NULL;

      if (client_run_on (client, index, request, user_data, &local_error))
        {
          if (failures->len > 0)
            g_warning ("Used HBase Thrift gateway %s:%u to %s after "
                       "failures: %s", gateway->host, gateway->port, action,
                       failures->str);
          client->preferred = index;
          return TRUE;
        }

      if (local_error->domain == JL_ERROR
          && local_error->code != JL_ERROR_UNAVAILABLE)
        code = local_error->code;

      g_string_append_printf (failures, "%s%s:%u: %s",
                              failures->len > 0 ? "; " : "",
                              gateway->host, gateway->port,
                              local_error->message);
    }

  g_set_error (error, JL_ERROR, code,
               "Could not %s through any HBase Thrift gateway: %s", action,
               failures->str);
  return FALSE;
}

gboolean
jl_thrift_check_call (gboolean       succeeded,
                      const GError  *call_error,
                      HbTIOError    *exception,
                      GError       **error)
{
  if (exception != NULL)
    {
      const char *message = exception->message != NULL
                              ? exception->message
                              : "TIOError without a message";

      /* HBase appends the Java stack trace on further lines, which only
       * the debug log keeps because the gateway does not log it. */
      g_debug ("HBase error from the Thrift gateway: %s", message);
      g_set_error (error, JL_ERROR, JL_ERROR_FAILED, "HBase error: %.*s",
                   (int) strcspn (message, "\r\n"), message);
      return FALSE;
    }

  if (call_error == NULL)
    {
      if (!succeeded)
        g_set_error_literal (error, JL_ERROR, JL_ERROR_FAILED,
                             "Thrift call failed without an error message");
      return succeeded;
    }

  if (call_error->domain == JL_ERROR)
    g_propagate_error (error, g_error_copy (call_error));
  else if (call_error->domain == THRIFT_TRANSPORT_ERROR)
    g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE, "%s",
                 call_error->message);
  else if (call_error->domain == THRIFT_PROTOCOL_ERROR)
    g_set_error (error, JL_ERROR, JL_ERROR_FAILED,
                 "Invalid reply (%s); the gateway must use the binary "
                 "protocol without framing, HBase's default",
                 call_error->message);
  else if (call_error->domain == THRIFT_APPLICATION_EXCEPTION_ERROR)
    g_set_error (error, JL_ERROR, JL_ERROR_FAILED,
                 "The gateway rejected the call: %s", call_error->message);
  else
    g_set_error (error, JL_ERROR, JL_ERROR_FAILED, "%s", call_error->message);

  return FALSE;
}

GByteArray *
jl_thrift_bytes_new (gconstpointer data, gsize length)
{
  GByteArray *bytes = g_byte_array_sized_new (length);

  return g_byte_array_append (bytes, data, length);
}

GByteArray *
jl_thrift_bytes_from_string (const char *text)
{
  return jl_thrift_bytes_new (text, strlen (text));
}
