/* One-shot status: a short-lived ZooKeeper session lists the candidates,
 * and the metastore supplies the lease. */
#include "jobleader/status.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#include "jobleader/candidate.h"
#include "jobleader/error.h"
#include "jobleader/store.h"

#define STATUS_NODE_DATA_MAX 1024
#define STATUS_CONNECT_WAIT_MAX_MS 10000

typedef struct {
  GMutex lock;
  GCond changed;
  int state;
} ConnectWait;

static void
on_connect_event (zhandle_t *zh, int type, int state, const char *path,
                  void *context)
{
  ConnectWait *wait = context;

  (void) zh;
  (void) path;
  if (type != ZOO_SESSION_EVENT)
    return;

  g_mutex_lock (&wait->lock);
  wait->state = state;
  g_cond_signal (&wait->changed);
  g_mutex_unlock (&wait->lock);
}

static zhandle_t *
status_connect (const JlConfig *config, ConnectWait *wait, GError **error)
{
  guint timeout_ms = MIN (config->zk_session_timeout_ms,
                          STATUS_CONNECT_WAIT_MAX_MS);
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  zoo_set_debug_level (0);
  zhandle_t *zh = zookeeper_init (config->zk_connect, on_connect_event,
                                  (int) timeout_ms, NULL, wait, 0);
  if (zh == NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "invalid ZooKeeper connect string '%s'",
                   config->zk_connect);
      return NULL;
    }

  g_mutex_lock (&wait->lock);
  while (wait->state != ZOO_CONNECTED_STATE)
    if (!g_cond_wait_until (&wait->changed, &wait->lock, deadline))
      break;
  gboolean connected = wait->state == ZOO_CONNECTED_STATE;
  g_mutex_unlock (&wait->lock);

  if (!connected)
    {
      zookeeper_close (zh);
      g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                   "cannot connect to ZooKeeper at '%s' within %u ms; check "
                   "kylin.env.zookeeper-connect-string and that the ensemble "
                   "is up", config->zk_connect, timeout_ms);
      return NULL;
    }

  return zh;
}

static void
status_candidate_free (gpointer data)
{
  JlStatusCandidate *candidate = data;

  g_free (candidate->node);
  g_free (candidate->holder);
  g_free (candidate);
}

/* Reads one candidate node. A node that vanished since the listing is
 * skipped (returns NULL without error). */
static JlStatusCandidate *
status_read_candidate (zhandle_t *zh, const char *parent,
                       const JlCandidate *parsed, GError **error)
{
  g_autofree char *path = g_strconcat (parent, "/", parsed->name, NULL);
  char data[STATUS_NODE_DATA_MAX];
  int length = sizeof data;
  struct Stat stat;

  int rc = zoo_get (zh, path, 0, data, &length, &stat);
  if (rc == ZNONODE)
    return NULL;

  if (rc != ZOK)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                   "cannot read ZooKeeper node '%s': %s", path, zerror (rc));
      return NULL;
    }

  JlStatusCandidate *candidate = g_new0 (JlStatusCandidate, 1);
  candidate->node = g_strdup (parsed->name);
  candidate->holder = length > 0 ? g_utf8_make_valid (data, length)
                                 : g_strdup ("");
  candidate->epoch = stat.czxid;
  candidate->well_formed = parsed->well_formed;

  return candidate;
}

static gboolean
status_list_candidates (JlStatus *status, zhandle_t *zh, GError **error)
{
  struct String_vector children = { 0 };

  int rc = zoo_get_children (zh, status->election_path, 0, &children);
  if (rc == ZNONODE)
    return TRUE;

  if (rc != ZOK)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                   "cannot list ZooKeeper node '%s': %s",
                   status->election_path, zerror (rc));
      return FALSE;
    }

  g_autoptr (GPtrArray) sorted =
    jl_candidates_sort ((const char *const *) children.data,
                        (gsize) children.count);
  deallocate_String_vector (&children);

  for (guint i = 0; i < sorted->len; i++)
    {
      GError *read_error = NULL;
      JlStatusCandidate *candidate =
        status_read_candidate (zh, status->election_path,
                               g_ptr_array_index (sorted, i), &read_error);
      if (read_error != NULL)
        {
          g_propagate_error (error, read_error);
          return FALSE;
        }
      if (candidate != NULL)
        g_ptr_array_add (status->candidates, candidate);
    }

  if (status->candidates->len > 0)
    {
      JlStatusCandidate *first = g_ptr_array_index (status->candidates, 0);
      first->leader = TRUE;
      status->leader = first;
    }

  return TRUE;
}

static gboolean
status_read_election (JlStatus *status, const JlConfig *config,
                      GError **error)
{
  ConnectWait wait = { .state = 0 };

  g_mutex_init (&wait.lock);
  g_cond_init (&wait.changed);

  zhandle_t *zh = status_connect (config, &wait, error);
  gboolean ok = zh != NULL && status_list_candidates (status, zh, error);

  if (zh != NULL)
    zookeeper_close (zh);
  g_mutex_clear (&wait.lock);
  g_cond_clear (&wait.changed);

  return ok;
}

static gboolean
status_read_lease (JlStatus *status, const JlConfig *config, GError **error)
{
  g_autoptr (JlStore) store = jl_store_open_read_only (config, error);
  g_autoptr (GError) read_error = NULL;

  if (store == NULL)
    return FALSE;

  if (jl_store_read (store, &status->lease, &status->stored_epoch,
                     &read_error))
    return TRUE;

  if (!g_error_matches (read_error, JL_ERROR, JL_ERROR_CORRUPT))
    {
      g_propagate_error (error, g_steal_pointer (&read_error));
      return FALSE;
    }

  status->lease_error = g_strdup (read_error->message);
  return TRUE;
}

/* Reports a lease whose content carries another epoch than the stored
 * epoch, which alone fences writes. The local store returns such a lease
 * after an interrupted write or after the epoch file was removed. */
static void
status_check_stored_epoch (JlStatus *status)
{
  const JlLease *lease = status->lease;

  if (lease == NULL || lease->epoch == status->stored_epoch)
    return;

  if (status->stored_epoch == 0)
    status->lease_error = g_strdup_printf (
      "no epoch is stored beside the lease content's epoch %" G_GINT64_FORMAT,
      lease->epoch);
  else
    status->lease_error = g_strdup_printf (
      "stored epoch %" G_GINT64_FORMAT " differs from the lease content's "
      "epoch %" G_GINT64_FORMAT, status->stored_epoch, lease->epoch);
}

static void
status_judge (JlStatus *status)
{
  const JlLease *lease = status->lease;
  const JlStatusCandidate *leader = status->leader;

  status_check_stored_epoch (status);

  status->lease_fresh = lease != NULL
                        && !jl_lease_is_stale (lease, status->now_ms);
  status->consistent = leader != NULL && lease != NULL
                       && lease->released_at_ms == 0
                       && lease->epoch == status->stored_epoch
                       && lease->epoch == leader->epoch
                       && g_strcmp0 (lease->holder, leader->holder) == 0;
}

JlStatus *
jl_status_collect (const JlConfig *config, GError **error)
{
  g_autoptr (JlStatus) status = g_new0 (JlStatus, 1);

  status->election_path = jl_config_election_path (config);
  status->candidates = g_ptr_array_new_with_free_func (status_candidate_free);

  if (!status_read_election (status, config, error))
    return NULL;

  if (!status_read_lease (status, config, error))
    return NULL;

  status->now_ms = g_get_real_time () / 1000;
  status_judge (status);

  return g_steal_pointer (&status);
}

void
jl_status_free (JlStatus *status)
{
  if (status == NULL)
    return;

  g_free (status->election_path);
  g_clear_pointer (&status->candidates, g_ptr_array_unref);
  jl_lease_free (status->lease);
  g_free (status->lease_error);
  g_free (status);
}

/* ---- JSON ---- */

static void
json_add_int (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
json_add_string (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
json_add_bool (JsonBuilder *builder, const char *name, gboolean value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_boolean_value (builder, value);
}

static void
status_add_leader (JsonBuilder *builder, const JlStatus *status)
{
  json_builder_set_member_name (builder, "leader");
  if (status->leader == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }

  json_builder_begin_object (builder);
  json_add_string (builder, "node", status->leader->node);
  json_add_string (builder, "holder", status->leader->holder);
  json_add_int (builder, "epoch", status->leader->epoch);
  json_builder_end_object (builder);
}

static void
status_add_lease (JsonBuilder *builder, const JlStatus *status)
{
  const JlLease *lease = status->lease;

  json_builder_set_member_name (builder, "lease");
  if (lease == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }

  json_builder_begin_object (builder);
  json_add_string (builder, "holder", lease->holder);
  json_add_string (builder, "node", lease->node);
  json_add_int (builder, "epoch", lease->epoch);
  json_add_int (builder, "acquired_at_ms", lease->acquired_at_ms);
  json_add_int (builder, "renewed_at_ms", lease->renewed_at_ms);
  json_add_int (builder, "stale_at_ms", lease->stale_at_ms);
  json_add_int (builder, "released_at_ms", lease->released_at_ms);
  json_add_int (builder, "age_ms", status->now_ms - lease->renewed_at_ms);
  json_add_bool (builder, "stale", !status->lease_fresh);
  json_builder_end_object (builder);
}

static void
status_add_candidates (JsonBuilder *builder, const JlStatus *status)
{
  json_builder_set_member_name (builder, "candidates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < status->candidates->len; i++)
    {
      const JlStatusCandidate *candidate =
        g_ptr_array_index (status->candidates, i);

      json_builder_begin_object (builder);
      json_add_string (builder, "node", candidate->node);
      json_add_string (builder, "holder", candidate->holder);
      json_add_int (builder, "epoch", candidate->epoch);
      json_add_bool (builder, "leader", candidate->leader);
      json_add_bool (builder, "well_formed", candidate->well_formed);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

char *
jl_status_to_json (const JlStatus *status)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_add_string (builder, "election_path", status->election_path);
  status_add_leader (builder, status);
  status_add_lease (builder, status);
  json_add_string (builder, "lease_error", status->lease_error);
  status_add_candidates (builder, status);
  json_add_bool (builder, "consistent", status->consistent);
  json_add_int (builder, "now_ms", status->now_ms);
  json_builder_end_object (builder);

  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  return json_to_string (root, TRUE);
}
