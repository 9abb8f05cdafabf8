/* Connections to the HBase Thrift2 gateways (service THBaseService, binary
 * protocol over the unframed "buffered" transport, the server's defaults),
 * with connect and call deadlines and fail-over between gateways.
 *
 * A JlThriftClient keeps at most one open connection and is used by one
 * thread at a time: generated c_glib clients neither lock nor check
 * sequence ids. */
#pragma once

#include <glib.h>

#include "hb_t_h_base_service.h"
#include "jobleader/config.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTColumn, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTColumnValue, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTResult, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTGet, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTPut, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTMutation, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTRowMutations, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTTableName, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTColumnFamilyDescriptor, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTTableDescriptor, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (HbTIOError, g_object_unref)

typedef struct _JlThriftClient JlThriftClient;

/* One request on a connected gateway, such as a wrapper around a generated
 * hb_t_h_base_service_client_*() call. Returns FALSE with a JL_ERROR error,
 * for example from jl_thrift_check_call(). */
typedef gboolean (*JlThriftRequest) (HbTHBaseServiceIf *service,
                                     gpointer           user_data,
                                     GError           **error);

/* Creates a client for @gateways (an array of JlHostPort, copied). No
 * connection is made until the first request. @timeout_ms bounds the time
 * a request spends on one gateway: connecting, the server-type probe of a
 * new connection, the request and its retry. Name resolution is not
 * bound. */
JlThriftClient *jl_thrift_client_new (const GArray *gateways,
                                      guint         timeout_ms);
void jl_thrift_client_free (JlThriftClient *client);

/* Runs @request on the gateways in configured order, starting with the one
 * that succeeded last, until one succeeds. Every failure closes that
 * connection. The server closes connections that stay idle for 60 s by
 * default (hbase.thrift.server.socket.read.timeout). So when a request
 * fails because the gateway closed a connection kept from an earlier call,
 * it is sent once more on a new connection to the same gateway.
 *
 * So @request may run more than once, including after the server has
 * already executed it but its reply was lost. Only send requests that are
 * safe to repeat.
 *
 * @action names the request in messages, e.g. "read the lease". On failure
 * the message names every gateway tried and its error. The code is
 * JL_ERROR_UNAVAILABLE when no gateway could be reached or replied in
 * time, else the code of the last gateway that replied (JL_ERROR_FAILED
 * for an HBase error). */
gboolean jl_thrift_client_run (JlThriftClient  *client,
                               const char      *action,
                               JlThriftRequest  request,
                               gpointer         user_data,
                               GError         **error);

/* Maps the outcome of a generated client call into JL_ERROR: @call_error
 * and @exception are its GError and its TIOError out-parameter, either may
 * be NULL, and neither is consumed. A TIOError becomes JL_ERROR_FAILED with
 * the server's message, a transport error JL_ERROR_UNAVAILABLE, an invalid
 * reply JL_ERROR_FAILED. Returns @succeeded when there is no error. */
gboolean jl_thrift_check_call (gboolean       succeeded,
                               const GError  *call_error,
                               HbTIOError    *exception,
                               GError       **error);

/* Returns a new GByteArray holding a copy of @length bytes at @data. */
GByteArray *jl_thrift_bytes_new (gconstpointer data, gsize length);

/* Returns a new GByteArray holding @text without its terminating NUL. */
GByteArray *jl_thrift_bytes_from_string (const char *text);

G_END_DECLS
