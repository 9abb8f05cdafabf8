/* The lease in Kylin's HBase metastore, reached through HBase Thrift2
 * gateways. The lease is the row JL_LEASE_RESOURCE of the metadata table,
 * laid out as Kylin lays out its resources, with one extra cell:
 *
 *   f:c  the lease as JSON (Kylin's content cell)
 *   f:t  renewed_at_ms, 8-byte big-endian (Kylin's last-modified cell)
 *   f:e  the fencing epoch, 8-byte big-endian (jl_epoch_encode)
 *
 * Every write is one checkAndMutate on f:e, so HBase itself rejects a
 * write from a leader whose epoch is stale. */
#include "jobleader/store.h"

#include <string.h>

#include "jobleader/error.h"
#include "thrift-client.h"

#define FAMILY "f"
#define QUALIFIER_CONTENT "c"
#define QUALIFIER_MODIFIED "t"
#define QUALIFIER_EPOCH "e"

typedef struct
{
  JlStore parent;

  JlThriftClient *client;
  char *table;          /* "ns:table" or "table", as data calls take it */
  char *namespace_name; /* NULL for HBase's default namespace */
  char *qualifier;      /* the table name within its namespace */
  JlStoreMode mode;
  gboolean table_found; /* the table was seen to exist */
} JlHBaseStore;

static void
hbase_store_destroy (JlHBaseStore *self)
{
  if (self == NULL)
    return;

  jl_thrift_client_free (self->client);
  g_free (self->table);
  g_free (self->namespace_name);
  g_free (self->qualifier);
  g_free (self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JlHBaseStore, hbase_store_destroy)

static void
hbase_store_free (JlStore *store)
{
  hbase_store_destroy ((JlHBaseStore *) store);
}

/* Splits @identifier ("table" or "ns:table") into the store's names. */
static gboolean
parse_table_name (JlHBaseStore *self, const char *identifier, GError **error)
{
  g_auto (GStrv) parts = g_strsplit (identifier, ":", -1);
  guint count = g_strv_length (parts);

  if (count == 0 || count > 2 || *parts[0] == '\0'
      || (count == 2 && *parts[1] == '\0'))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "Invalid HBase table name '%s' in kylin.metadata.url: "
                   "expected 'table' or 'namespace:table'", identifier);
      return FALSE;
    }

  self->table = g_strdup (identifier);
  if (count == 2)
    {
      self->namespace_name = g_strdup (parts[0]);
      self->qualifier = g_strdup (parts[1]);
    }
  else
    {
      self->qualifier = g_strdup (parts[0]);
    }

  return TRUE;
}

static HbTTableName *
table_name_new (JlHBaseStore *self)
{
  HbTTableName *name = g_object_new (HB_TYPE_T_TABLE_NAME, NULL);

  name->qualifier = jl_thrift_bytes_from_string (self->qualifier);
  if (self->namespace_name != NULL)
    {
      name->ns = jl_thrift_bytes_from_string (self->namespace_name);
      name->__isset_ns = TRUE;
    }

  return name;
}

typedef struct
{
  HbTTableName *name;
  gboolean exists;
} TableExistsRequest;

static gboolean
request_table_exists (HbTHBaseServiceIf *service,
                      gpointer           user_data,
                      GError           **error)
{
  TableExistsRequest *request = user_data;
  g_autoptr (HbTIOError) exception = NULL;
  g_autoptr (GError) call_error = NULL;

  gboolean succeeded =
    hb_t_h_base_service_client_table_exists (service, &request->exists,
                                             request->name, &exception,
                                             &call_error);

  return jl_thrift_check_call (succeeded, call_error, exception, error);
}

static gboolean
request_create_table (HbTHBaseServiceIf *service,
                      gpointer           user_data,
                      GError           **error)
{
  HbTTableDescriptor *descriptor = user_data;
  g_autoptr (HbTIOError) exception = NULL;
  g_autoptr (GError) call_error = NULL;

  gboolean succeeded =
    hb_t_h_base_service_client_create_table (service, descriptor, &exception,
                                             &call_error);

  return jl_thrift_check_call (succeeded, call_error, exception, error);
}

static gboolean
table_exists (JlHBaseStore *self, gboolean *exists, GError **error)
{
  g_autoptr (HbTTableName) name = table_name_new (self);
  TableExistsRequest request = { .name = name };

  if (!jl_thrift_client_run (self->client, "check for the metadata table",
                             request_table_exists, &request, error))
    return FALSE;

  *exists = request.exists;

  return TRUE;
}

/* Creates the table with the one column family Kylin uses. Kylin creates
 * the same table with more tuning, so a table Kylin made is used as is. */
static gboolean
create_table (JlHBaseStore *self, GError **error)
{
  g_autoptr (HbTTableDescriptor) descriptor =
    g_object_new (HB_TYPE_T_TABLE_DESCRIPTOR, NULL);
  HbTColumnFamilyDescriptor *family =
    g_object_new (HB_TYPE_T_COLUMN_FAMILY_DESCRIPTOR, NULL);

  g_object_unref (descriptor->tableName);
  descriptor->tableName = table_name_new (self);

  family->name = jl_thrift_bytes_from_string (FAMILY);
  family->maxVersions = 1;
  family->__isset_maxVersions = TRUE;
  g_ptr_array_add (descriptor->columns, family);
  descriptor->__isset_columns = TRUE;

  return jl_thrift_client_run (self->client, "create the metadata table",
                               request_create_table, descriptor, error);
}

/* Creates the metadata table unless it exists. Another node may create it
 * at the same moment: its createTable fails with TableExistsException,
 * and the table is then checked for again. */
static gboolean
ensure_table (JlHBaseStore *self, GError **error)
{
  gboolean exists = FALSE;
  g_autoptr (GError) create_error = NULL;

  if (!table_exists (self, &exists, error))
    return FALSE;

  if (exists)
    return TRUE;

  if (create_table (self, &create_error))
    {
      g_message ("Created HBase table '%s' with column family '" FAMILY "'",
                 self->table);
      return TRUE;
    }

  if (!g_error_matches (create_error, JL_ERROR, JL_ERROR_FAILED)
      || !table_exists (self, &exists, NULL) || !exists)
    {
      g_propagate_error (error, g_steal_pointer (&create_error));
      return FALSE;
    }

  g_debug ("HBase table '%s' was created by another node", self->table);

  return TRUE;
}

typedef struct
{
  GByteArray *table;
  HbTGet *get;
  HbTResult *result;
} GetRequest;

static gboolean
request_get (HbTHBaseServiceIf *service, gpointer user_data, GError **error)
{
  GetRequest *request = user_data;
  g_autoptr (HbTIOError) exception = NULL;
  g_autoptr (GError) call_error = NULL;

  /* The request may be sent again on another connection, and the
   * generated reader appends to the result's lists. */
  g_clear_object (&request->result);
  request->result = g_object_new (HB_TYPE_T_RESULT, NULL);

  gboolean succeeded =
    hb_t_h_base_service_client_get (service, &request->result, request->table,
                                    request->get, &exception, &call_error);

  return jl_thrift_check_call (succeeded, call_error, exception, error);
}

static void
add_column (HbTGet *get, const char *qualifier)
{
  HbTColumn *column = g_object_new (HB_TYPE_T_COLUMN, NULL);

  column->family = jl_thrift_bytes_from_string (FAMILY);
  column->qualifier = jl_thrift_bytes_from_string (qualifier);
  column->__isset_qualifier = TRUE;
  g_ptr_array_add (get->columns, column);
  get->__isset_columns = TRUE;
}

static gboolean
bytes_equal_string (const GByteArray *bytes, const char *text)
{
  gsize length = strlen (text);

  return bytes != NULL && bytes->len == length
         && memcmp (bytes->data, text, length) == 0;
}

/* Returns the value of f:@qualifier in @result, or NULL. */
static const GByteArray *
find_cell (const HbTResult *result, const char *qualifier)
{
  for (guint i = 0; i < result->columnValues->len; i++)
    {
      const HbTColumnValue *cell = result->columnValues->pdata[i];

      if (bytes_equal_string (cell->family, FAMILY)
          && bytes_equal_string (cell->qualifier, qualifier))
        return cell->value;
    }

  return NULL;
}

/* Decodes the lease row. Sets *stored_epoch as soon as f:e decodes, even
 * when the content turns out to be damaged. */
static gboolean
decode_lease (const HbTResult *result,
              JlLease        **out,
              gint64          *stored_epoch,
              GError         **error)
{
  const GByteArray *epoch_cell = find_cell (result, QUALIFIER_EPOCH);
  const GByteArray *content_cell = find_cell (result, QUALIFIER_CONTENT);
  gint64 epoch = 0;

  if (epoch_cell == NULL && content_cell == NULL)
    return TRUE;

  if (epoch_cell == NULL)
    {
      g_set_error_literal (error, JL_ERROR, JL_ERROR_CORRUPT,
                           "The epoch cell " FAMILY ":" QUALIFIER_EPOCH
                           " is missing");
      return FALSE;
    }

  if (!jl_epoch_decode (epoch_cell->data, epoch_cell->len, &epoch, error))
    return FALSE;

  *stored_epoch = epoch;

  if (content_cell == NULL)
    {
      g_set_error_literal (error, JL_ERROR, JL_ERROR_CORRUPT,
                           "The content cell " FAMILY ":" QUALIFIER_CONTENT
                           " is missing");
      return FALSE;
    }

  const char *json = (const char *) content_cell->data;
  g_autoptr (JlLease) lease = jl_lease_from_json (json, content_cell->len,
                                                  error);
  if (lease == NULL)
    return FALSE;

  if (lease->epoch != epoch)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "The content has epoch %" G_GINT64_FORMAT " but the epoch "
                   "cell has %" G_GINT64_FORMAT, lease->epoch, epoch);
      return FALSE;
    }

  *out = g_steal_pointer (&lease);

  return TRUE;
}

static gboolean
hbase_store_read (JlStore  *store,
                  JlLease **out,
                  gint64   *stored_epoch,
                  GError  **error)
{
  JlHBaseStore *self = (JlHBaseStore *) store;
  g_autoptr (GByteArray) table = jl_thrift_bytes_from_string (self->table);
  g_autoptr (HbTGet) get = g_object_new (HB_TYPE_T_GET, NULL);
  GetRequest request = { .table = table, .get = get };

  *out = NULL;
  *stored_epoch = 0;

  /* A read-only store does not create the table, so a missing table means
   * that no lease is stored. */
  if (!self->table_found && !table_exists (self, &self->table_found, error))
    return FALSE;

  if (!self->table_found)
    return TRUE;

  get->row = jl_thrift_bytes_from_string (JL_LEASE_RESOURCE);
  add_column (get, QUALIFIER_CONTENT);
  add_column (get, QUALIFIER_EPOCH);

  gboolean read = jl_thrift_client_run (self->client, "read the lease",
                                        request_get, &request, error);
  g_autoptr (HbTResult) result = g_steal_pointer (&request.result);
  if (!read)
    return FALSE;

  if (!decode_lease (result, out, stored_epoch, error))
    {
      g_prefix_error (error, "Lease row '%s' in HBase table '%s' is damaged: ",
                      JL_LEASE_RESOURCE, self->table);
      return FALSE;
    }

  return TRUE;
}

typedef struct
{
  GByteArray *table;
  GByteArray *row;
  GByteArray *family;
  GByteArray *qualifier;
  HbTCompareOperator compare_operator;
  GByteArray *value;
  HbTRowMutations *mutations;
  gboolean applied;
} CheckAndMutateRequest;

static gboolean
request_check_and_mutate (HbTHBaseServiceIf *service,
                          gpointer           user_data,
                          GError           **error)
{
  CheckAndMutateRequest *request = user_data;
  g_autoptr (HbTIOError) exception = NULL;
  g_autoptr (GError) call_error = NULL;

  gboolean succeeded = hb_t_h_base_service_client_check_and_mutate (
    service, &request->applied, request->table, request->row, request->family,
    request->qualifier, request->compare_operator, request->value,
    request->mutations, &exception, &call_error);

  return jl_thrift_check_call (succeeded, call_error, exception, error);
}

static void
add_cell (HbTPut *put, const char *qualifier, GByteArray *value)
{
  HbTColumnValue *cell = g_object_new (HB_TYPE_T_COLUMN_VALUE, NULL);

  cell->family = jl_thrift_bytes_from_string (FAMILY);
  cell->qualifier = jl_thrift_bytes_from_string (qualifier);
  cell->value = value;
  g_ptr_array_add (put->columnValues, cell);
}

static GByteArray *
epoch_bytes_new (gint64 epoch)
{
  guint8 encoded[8];

  jl_epoch_encode (epoch, encoded);

  return jl_thrift_bytes_new (encoded, sizeof encoded);
}

/* Kylin reads f:t as a Java long: 8 bytes, big-endian, signed. */
static GByteArray *
modified_bytes_new (gint64 milliseconds)
{
  gint64 encoded = GINT64_TO_BE (milliseconds);

  return jl_thrift_bytes_new (&encoded, sizeof encoded);
}

/* Returns the row mutation that writes all three cells of @lease. */
static HbTRowMutations *
lease_mutations_new (const JlLease *lease)
{
  HbTRowMutations *mutations = g_object_new (HB_TYPE_T_ROW_MUTATIONS, NULL);
  HbTMutation *mutation = g_object_new (HB_TYPE_T_MUTATION, NULL);
  g_autofree char *json = jl_lease_to_json (lease);

  mutations->row = jl_thrift_bytes_from_string (JL_LEASE_RESOURCE);

  mutation->put->row = jl_thrift_bytes_from_string (JL_LEASE_RESOURCE);
  add_cell (mutation->put, QUALIFIER_CONTENT,
            jl_thrift_bytes_from_string (json));
  add_cell (mutation->put, QUALIFIER_MODIFIED,
            modified_bytes_new (lease->renewed_at_ms));
  add_cell (mutation->put, QUALIFIER_EPOCH, epoch_bytes_new (lease->epoch));
  mutation->__isset_put = TRUE;
  g_ptr_array_add (mutations->mutations, mutation);

  return mutations;
}

/* Writes @lease when "@expected @compare_operator stored f:e" holds; HBase
 * compares the bytes. An empty @expected matches only a missing f:e, which
 * is why f:e is never written empty. Sets *applied to whether the write
 * happened. */
static gboolean
write_lease (JlHBaseStore       *self,
             const JlLease      *lease,
             HbTCompareOperator  compare_operator,
             GByteArray         *expected,
             gboolean           *applied,
             GError            **error)
{
  if (self->mode == JL_STORE_READ_ONLY)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "Lease with epoch %" G_GINT64_FORMAT " was not written: "
                   "HBase table '%s' was opened read-only", lease->epoch,
                   self->table);
      return FALSE;
    }

  g_autoptr (GByteArray) table = jl_thrift_bytes_from_string (self->table);
  g_autoptr (GByteArray) row = jl_thrift_bytes_from_string (JL_LEASE_RESOURCE);
  g_autoptr (GByteArray) family = jl_thrift_bytes_from_string (FAMILY);
  g_autoptr (GByteArray) qualifier =
    jl_thrift_bytes_from_string (QUALIFIER_EPOCH);
  g_autoptr (HbTRowMutations) mutations = lease_mutations_new (lease);
  CheckAndMutateRequest request = {
    .table = table,
    .row = row,
    .family = family,
    .qualifier = qualifier,
    .compare_operator = compare_operator,
    .value = expected,
    .mutations = mutations,
  };

  if (!jl_thrift_client_run (self->client, "write the lease",
                             request_check_and_mutate, &request, error))
    return FALSE;

  *applied = request.applied;

  return TRUE;
}

static gboolean
hbase_store_write_if_absent (JlStore *store, const JlLease *lease,
                             GError **error)
{
  JlHBaseStore *self = (JlHBaseStore *) store;
  g_autoptr (GByteArray) absent = g_byte_array_new ();
  gboolean applied = FALSE;

  if (!write_lease (self, lease, HB_T_COMPARE_OPERATOR_EQUAL, absent,
                    &applied, error))
    return FALSE;

  if (!applied)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_REJECTED,
                   "HBase rejected the lease with epoch %" G_GINT64_FORMAT
                   ": table '%s' already contains a lease epoch", lease->epoch,
                   self->table);
      return FALSE;
    }

  return TRUE;
}

/* HBase's checkAndMutate is false for GREATER when f:e is missing (HBase
 * 2.6.1, checked by the integration tests), so this never creates the
 * lease. jl_store_acquire() then falls back to write_if_absent. */
static gboolean
hbase_store_write_if_newer (JlStore *store, const JlLease *lease,
                            GError **error)
{
  JlHBaseStore *self = (JlHBaseStore *) store;
  g_autoptr (GByteArray) epoch = epoch_bytes_new (lease->epoch);
  gboolean applied = FALSE;

  if (!write_lease (self, lease, HB_T_COMPARE_OPERATOR_GREATER, epoch,
                    &applied, error))
    return FALSE;

  if (!applied)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_REJECTED,
                   "HBase rejected the lease with epoch %" G_GINT64_FORMAT
                   ": table '%s' contains no lower epoch", lease->epoch,
                   self->table);
      return FALSE;
    }

  return TRUE;
}

static gboolean
hbase_store_write_if_same (JlStore *store, const JlLease *lease,
                           GError **error)
{
  JlHBaseStore *self = (JlHBaseStore *) store;
  g_autoptr (GByteArray) epoch = epoch_bytes_new (lease->epoch);
  gboolean applied = FALSE;

  if (!write_lease (self, lease, HB_T_COMPARE_OPERATOR_EQUAL, epoch,
                    &applied, error))
    return FALSE;

  if (!applied)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_REJECTED,
                   "HBase rejected the lease with epoch %" G_GINT64_FORMAT
                   ": table '%s' no longer contains that epoch", lease->epoch,
                   self->table);
      return FALSE;
    }

  return TRUE;
}

static const JlStoreClass hbase_store_class = {
  .name = "hbase",
  .read = hbase_store_read,
  .write_if_absent = hbase_store_write_if_absent,
  .write_if_newer = hbase_store_write_if_newer,
  .write_if_same = hbase_store_write_if_same,
  .free = hbase_store_free,
};

JlStore *
jl_hbase_store_open (const JlConfig *config, JlStoreMode mode,
                     GError **error)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (config->metadata.identifier != NULL, NULL);

  if (config->thrift_servers == NULL || config->thrift_servers->len == 0)
    {
      g_set_error_literal (error, JL_ERROR, JL_ERROR_INVALID,
                           "No HBase Thrift gateway is configured: set "
                           "kylin.jobleader.hbase.thrift-servers to "
                           "host:port,...");
      return NULL;
    }

  if (config->thrift_timeout_ms == 0)
    {
      g_set_error_literal (error, JL_ERROR, JL_ERROR_INVALID,
                           "Invalid kylin.jobleader.hbase.timeout-ms 0: it "
                           "must be positive");
      return NULL;
    }

  g_autoptr (JlHBaseStore) self = g_new0 (JlHBaseStore, 1);
  self->parent.klass = &hbase_store_class;

  if (!parse_table_name (self, config->metadata.identifier, error))
    return NULL;

  self->mode = mode;
  self->client = jl_thrift_client_new (config->thrift_servers,
                                       config->thrift_timeout_ms);

  /* Both modes contact a gateway here, so an unreachable HBase fails the
   * open. */
  gboolean ready = mode == JL_STORE_READ_ONLY
                     ? table_exists (self, &self->table_found, error)
                     : ensure_table (self, error);
  if (!ready)
    return NULL;

  if (mode == JL_STORE_READ_WRITE)
    self->table_found = TRUE;

  return (JlStore *) g_steal_pointer (&self);
}
