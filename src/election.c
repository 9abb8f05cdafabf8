/* ZooKeeper election: session handling, the candidate node, the
 * predecessor watch and the leading deadline.
 *
 * Threads: the ZooKeeper client runs completions and watchers on its own
 * thread. Each of them only copies its result into a ZkEvent and hands it to
 * the main context; every decision below runs on the main context. */
#include "jobleader/election.h"

#include <errno.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

#include "jobleader/candidate.h"
#include "jobleader/error.h"


typedef enum {
  ZK_SESSION,        /* a session event from the global watcher */
  ZK_PARENT_CREATED, /* one component of the election path */
  ZK_NODE_CREATED,
  ZK_CHILDREN,
  ZK_OWN_STAT,       /* stat of our own node: adoption or confirmation */
  ZK_PREDECESSOR,    /* exists() on the predecessor, with a watch */
  ZK_WATCH_FIRED,
  ZK_STALE_STAT,     /* stat of a node of an earlier candidacy */
  ZK_DELETED,
} ZkEventKind;

typedef struct {
  JlElection *self;  /* a reference, released with the event */
  guint generation;  /* the handle the request was sent on */
  ZkEventKind kind;
  gint64 sent_us;    /* monotonic time the request was sent */
  int rc;
  int type;          /* watcher event type */
  int state;         /* session state */
  char *path;
  char **children;
  struct Stat stat;
  gboolean has_stat;
} ZkEvent;

struct _JlElection {
  JlElectionOptions options;
  char *connect_string;
  char *election_path;
  char *node_data;

  JlElectionNotify notify;
  gpointer user_data;
  GMainContext *context;

  zhandle_t *zh;
  guint generation;
  gint64 session_id;
  guint negotiated_timeout_ms;
  guint margin_ms;     /* the safety margin in force for this session */
  gboolean connected;
  gboolean closed;

  JlElectionState state;
  char *uuid;          /* of the current candidacy */
  char *node;          /* our node name once known */
  gint64 epoch;        /* czxid of our node */
  gboolean creating;   /* a create is in flight or its reply was lost */
  char *predecessor;
  char *leader_node;
  GHashTable *stale_uuids; /* earlier candidacies of this session */

  gint64 deadline_us;
  GSource *deadline_source;
  guint confirm_source_id;
  guint rejoin_source_id;
};

static void election_list_children (JlElection *self);
static int election_connect (JlElection *self);

/* ---- Hand-off from the ZooKeeper thread ---- */

static ZkEvent *
zk_event_new (JlElection *self, ZkEventKind kind, const char *path)
{
  ZkEvent *event = g_new0 (ZkEvent, 1);

  event->self = g_atomic_rc_box_acquire (self);
  event->generation = self->generation;
  event->kind = kind;
  event->sent_us = g_get_monotonic_time ();
  event->path = g_strdup (path);

  return event;
}

static void election_clear (JlElection *self);

static void
zk_event_free (gpointer data)
{
  ZkEvent *event = data;

  g_strfreev (event->children);
  g_free (event->path);
  g_atomic_rc_box_release_full (event->self, (GDestroyNotify) election_clear);
  g_free (event);
}

static gboolean zk_event_dispatch (gpointer data);

static void
zk_event_post (ZkEvent *event)
{
  g_main_context_invoke_full (event->self->context, G_PRIORITY_DEFAULT,
                              zk_event_dispatch, event, zk_event_free);
}

static void
on_session_watch (zhandle_t *zh, int type, int state, const char *path,
                  void *context)
{
  JlElection *self = context;

  (void) zh;
  if (type != ZOO_SESSION_EVENT)
    return;

  ZkEvent *event = zk_event_new (self, ZK_SESSION, path);
  event->state = state;
  zk_event_post (event);
}

static void
on_path_watch (zhandle_t *zh, int type, int state, const char *path,
               void *context)
{
  JlElection *self = context;

  (void) zh;
  (void) state;
  /* Session events reach every registered watcher too. */
  if (type == ZOO_SESSION_EVENT || type == ZOO_NOTWATCHING_EVENT)
    return;

  ZkEvent *event = zk_event_new (self, ZK_WATCH_FIRED, path);
  event->type = type;
  zk_event_post (event);
}

static void
on_string_stat_done (int rc, const char *value, const struct Stat *stat,
                     const void *data)
{
  ZkEvent *event = (ZkEvent *) data;

  event->rc = rc;
  if (rc == ZOK && value != NULL)
    {
      g_free (event->path);
      event->path = g_strdup (value);
    }
  if (rc == ZOK && stat != NULL)
    {
      event->stat = *stat;
      event->has_stat = TRUE;
    }
  zk_event_post (event);
}

static void
on_string_done (int rc, const char *value, const void *data)
{
  on_string_stat_done (rc, value, NULL, data);
}

static void
on_stat_done (int rc, const struct Stat *stat, const void *data)
{
  on_string_stat_done (rc, NULL, stat, data);
}

static void
on_void_done (int rc, const void *data)
{
  on_string_stat_done (rc, NULL, NULL, data);
}

static void
on_children_done (int rc, const struct String_vector *strings,
                  const void *data)
{
  ZkEvent *event = (ZkEvent *) data;

  event->rc = rc;
  if (rc == ZOK && strings != NULL)
    {
      event->children = g_new0 (char *, strings->count + 1);
      for (int i = 0; i < strings->count; i++)
        event->children[i] = g_strdup (strings->data[i]);
    }
  zk_event_post (event);
}

/* Reports a request that the client refused to queue (it was closing or
 * not connected) as if its completion had failed with @rc. */
static void
zk_request_check (int rc, ZkEvent *event)
{
  if (rc == ZOK)
    return;

  event->rc = rc;
  zk_event_post (event);
}

/* ---- State and the leading deadline ---- */

static void
election_set_state (JlElection *self, JlElectionState state,
                    const char *reason)
{
  if (self->state == state)
    return;

  self->state = state;
  if (self->notify != NULL)
    self->notify (self, state, reason, self->user_data);
}

static void
election_stop_timers (JlElection *self)
{
  if (self->deadline_source != NULL)
    g_source_set_ready_time (self->deadline_source, -1);

  g_clear_handle_id (&self->confirm_source_id, g_source_remove);
  g_clear_handle_id (&self->rejoin_source_id, g_source_remove);
}

static gboolean
on_deadline (gpointer data)
{
  JlElection *self = data;

  g_source_set_ready_time (self->deadline_source, -1);
  if (self->state == JL_ELECTION_LEADING
      && g_get_monotonic_time () >= self->deadline_us)
    election_set_state (self, JL_ELECTION_SUSPENDED, "session-unconfirmed");

  return G_SOURCE_CONTINUE;
}

/* The server keeps a session for its timeout after it last heard from the
 * client, so a reply to a request sent at @sent_us proves that no other
 * candidate can be elected before sent_us + timeout. Stop leading a safety
 * margin earlier. */
static void
election_extend_deadline (JlElection *self, gint64 sent_us)
{
  gint64 timeout_us = (gint64) self->negotiated_timeout_ms * 1000;
  gint64 margin_us = (gint64) self->margin_ms * 1000;
  gint64 deadline_us = sent_us + timeout_us - margin_us;

  if (deadline_us <= self->deadline_us)
    return;

  self->deadline_us = deadline_us;
  g_source_set_ready_time (self->deadline_source, deadline_us);
}

static void
election_confirm (JlElection *self)
{
  g_autofree char *path = g_strconcat (self->election_path, "/", self->node,
                                       NULL);
  ZkEvent *event = zk_event_new (self, ZK_OWN_STAT, path);

  /* The watch reports a deletion of our node at once, instead of at the
   * next confirmation. */
  int rc = zoo_awexists (self->zh, path, on_path_watch, self, on_stat_done,
                         event);

  zk_request_check (rc, event);
}

static gboolean
on_confirm_tick (gpointer data)
{
  JlElection *self = data;

  if (self->node != NULL && self->connected)
    election_confirm (self);

  return G_SOURCE_CONTINUE;
}

static void
election_start_confirming (JlElection *self)
{
  guint interval_ms = MAX (self->negotiated_timeout_ms / 5, 100);

  if (self->confirm_source_id != 0)
    return;

  self->confirm_source_id = g_timeout_add (interval_ms, on_confirm_tick,
                                           self);
}

/* ---- Candidacy ---- */

static void
election_forget_node (JlElection *self)
{
  if (self->uuid != NULL && self->node != NULL)
    g_hash_table_add (self->stale_uuids, g_strdup (self->uuid));

  g_clear_pointer (&self->uuid, g_free);
  g_clear_pointer (&self->node, g_free);
  g_clear_pointer (&self->predecessor, g_free);
  self->epoch = 0;
  self->creating = FALSE;
  self->deadline_us = 0;
  election_stop_timers (self);
}

static void
election_create_node (JlElection *self)
{
  g_autofree char *prefix = NULL;
  g_autofree char *path = NULL;

  if (self->uuid == NULL)
    self->uuid = g_uuid_string_random ();

  prefix = jl_candidate_prefix (self->uuid);
  path = g_strconcat (self->election_path, "/", prefix, NULL);
  self->creating = TRUE;

  ZkEvent *event = zk_event_new (self, ZK_NODE_CREATED, path);
  int rc = zoo_acreate2 (self->zh, path, self->node_data,
                         (int) strlen (self->node_data),
                         &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL_SEQUENTIAL,
                         on_string_stat_done, event);

  zk_request_check (rc, event);
}

/* Creates the election path one component at a time. ZNODEEXISTS is the
 * normal result for all but a new cluster. */
static void
election_create_parents (JlElection *self)
{
  g_auto (GStrv) parts = g_strsplit (self->election_path + 1, "/", -1);
  g_autoptr (GString) path = g_string_new (NULL);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_string_append_printf (path, "/%s", parts[i]);

      ZkEvent *event = zk_event_new (self, ZK_PARENT_CREATED, path->str);
      gboolean last = parts[i + 1] == NULL;
      event->type = last;
      int rc = zoo_acreate (self->zh, path->str, NULL, -1,
                            &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
                            on_string_done, event);
      zk_request_check (rc, event);
    }
}

static void
election_list_children (JlElection *self)
{
  ZkEvent *event = zk_event_new (self, ZK_CHILDREN, self->election_path);
  int rc = zoo_aget_children (self->zh, self->election_path, 0,
                              on_children_done, event);

  zk_request_check (rc, event);
}

static void
election_watch_predecessor (JlElection *self, const char *name)
{
  g_autofree char *path = g_strconcat (self->election_path, "/", name, NULL);

  g_free (self->predecessor);
  self->predecessor = g_strdup (name);

  ZkEvent *event = zk_event_new (self, ZK_PREDECESSOR, path);
  int rc = zoo_awexists (self->zh, path, on_path_watch, self, on_stat_done,
                         event);

  zk_request_check (rc, event);
}

/* Deletes a node of an earlier candidacy, but only while it still belongs
 * to this session: a node of another session is never ours to remove. */
static void
election_delete_stale (JlElection *self, const char *name)
{
  g_autofree char *path = g_strconcat (self->election_path, "/", name, NULL);
  ZkEvent *event = zk_event_new (self, ZK_STALE_STAT, path);
  int rc = zoo_aexists (self->zh, path, 0, on_stat_done, event);

  zk_request_check (rc, event);
}

static gboolean
candidate_is_stale (JlElection *self, const JlCandidate *candidate)
{
  return candidate->uuid != NULL
         && g_hash_table_contains (self->stale_uuids, candidate->uuid);
}

static void
election_become_leader (JlElection *self, gint64 sent_us)
{
  gboolean resumed = self->state == JL_ELECTION_SUSPENDED;

  g_clear_pointer (&self->predecessor, g_free);
  election_extend_deadline (self, sent_us);
  if (self->confirm_source_id == 0)
    election_confirm (self); /* sets the watch on our node at once */
  election_start_confirming (self);
  if (g_get_monotonic_time () < self->deadline_us)
    election_set_state (self, JL_ELECTION_LEADING,
                        resumed ? "session-confirmed" : "elected");
  else
    /* The reply came too late to prove the session alive now; the next
     * confirmation resumes leadership. */
    election_set_state (self, JL_ELECTION_SUSPENDED, "session-unconfirmed");
}

/* Returns the candidates of a listing in leader-first order, leaving out
 * the nodes of our earlier candidacies, which it deletes. */
static GPtrArray *
election_live_candidates (JlElection *self, char **children)
{
  gsize count = children ? g_strv_length (children) : 0;
  g_autoptr (GPtrArray) sorted =
    jl_candidates_sort ((const char *const *) children, count);
  GPtrArray *live = g_ptr_array_new ();

  g_ptr_array_set_free_func (sorted, NULL);
  g_ptr_array_set_free_func (live, (GDestroyNotify) jl_candidate_free);
  for (guint i = 0; i < sorted->len; i++)
    {
      JlCandidate *candidate = g_ptr_array_index (sorted, i);

      if (candidate_is_stale (self, candidate))
        {
          election_delete_stale (self, candidate->name);
          jl_candidate_free (candidate);
          continue;
        }
      g_ptr_array_add (live, candidate);
    }

  return live;
}

static void
election_handle_missing_node (JlElection *self)
{
  /* A create still in flight lists again when it completes, and a delayed
   * rejoin creates the node when its delay ends. */
  if (self->creating || self->rejoin_source_id != 0)
    return;

  if (self->node != NULL)
    {
      g_warning ("event=node-lost node='%s': the candidate node vanished; "
                 "joining again", self->node);
      election_set_state (self, JL_ELECTION_JOINING, "node-lost");
      election_forget_node (self);
    }

  election_create_node (self);
}

/* Decides our place from a fresh listing: adopt or create our node, then
 * lead or watch the predecessor. */
static void
election_handle_children (JlElection *self, ZkEvent *event)
{
  g_autoptr (GPtrArray) live =
    election_live_candidates (self, event->children);
  gssize own = self->uuid ? jl_candidates_find_uuid (live, self->uuid) : -1;

  g_free (self->leader_node);
  self->leader_node = live->len > 0
    ? g_strdup (((JlCandidate *) g_ptr_array_index (live, 0))->name)
    : NULL;

  if (own < 0)
    {
      election_handle_missing_node (self);
      return;
    }

  if (self->node == NULL || self->epoch == 0)
    {
      /* The create succeeded but its reply was lost: adopt the node and
       * read its czxid before going on. */
      JlCandidate *mine = g_ptr_array_index (live, own);
      g_free (self->node);
      self->node = g_strdup (mine->name);
      self->creating = FALSE;
      election_confirm (self);
      return;
    }

  if (own == 0)
    {
      election_become_leader (self, event->sent_us);
      return;
    }

  JlCandidate *predecessor = g_ptr_array_index (live, own - 1);
  election_watch_predecessor (self, predecessor->name);
}

static void
election_handle_created (JlElection *self, ZkEvent *event)
{
  switch (event->rc)
    {
    case ZOK:
      self->creating = FALSE;
      g_free (self->node);
      self->node = g_path_get_basename (event->path);
      self->epoch = event->stat.czxid;
      g_message ("event=joined node='%s' epoch=%" G_GINT64_FORMAT,
                 self->node, self->epoch);
      election_list_children (self);
      break;

    case ZNONODE:
      self->creating = FALSE;
      election_create_parents (self);
      break;

    default:
      /* ZCONNECTIONLOSS and timeouts: the node may exist. The uuid is kept,
       * and the listing after reconnecting looks for it before creating
       * again. */
      self->creating = FALSE;
      g_message ("event=create-unconfirmed uuid='%s' error='%s'",
                 self->uuid, zerror (event->rc));
      break;
    }
}

static void
election_handle_own_stat (JlElection *self, ZkEvent *event)
{
  if (event->rc == ZNONODE)
    {
      g_warning ("event=node-lost node='%s': the candidate node was deleted; "
                 "joining again", self->node);
      election_set_state (self, JL_ELECTION_JOINING, "node-lost");
      election_forget_node (self);
      election_list_children (self);
      return;
    }

  if (event->rc != ZOK)
    return;

  if (event->stat.ephemeralOwner != self->session_id)
    {
      g_warning ("event=node-foreign node='%s' owner=0x%" G_GINT64_MODIFIER
                 "x: not owned by this session; joining again",
                 self->node, (gint64) event->stat.ephemeralOwner);
      g_clear_pointer (&self->node, g_free);
      g_clear_pointer (&self->uuid, g_free);
      election_list_children (self);
      return;
    }

  if (self->epoch == 0)
    {
      self->epoch = event->stat.czxid;
      g_message ("event=joined node='%s' epoch=%" G_GINT64_FORMAT
                 " adopted=true", self->node, self->epoch);
      election_list_children (self);
      return;
    }

  /* While our node exists in this session it stays the lowest one, since
   * new nodes always get higher sequence numbers. */
  if (self->state == JL_ELECTION_LEADING
      || self->state == JL_ELECTION_SUSPENDED)
    {
      election_extend_deadline (self, event->sent_us);
      if (self->state == JL_ELECTION_SUSPENDED
          && g_get_monotonic_time () < self->deadline_us)
        election_set_state (self, JL_ELECTION_LEADING, "session-confirmed");
    }
}

static void
election_handle_predecessor (JlElection *self, ZkEvent *event)
{
  g_autofree char *name = g_path_get_basename (event->path);

  if (g_strcmp0 (name, self->predecessor) != 0)
    return;

  if (event->rc == ZNONODE)
    {
      election_list_children (self);
      return;
    }

  if (event->rc == ZOK)
    election_set_state (self, JL_ELECTION_STANDBY, "waiting");
}

static void
election_handle_stale (JlElection *self, ZkEvent *event)
{
  if (event->rc != ZOK || !event->has_stat)
    return;

  if (event->stat.ephemeralOwner != self->session_id)
    return;

  g_message ("event=stale-node-deleted path='%s'", event->path);
  ZkEvent *delete = zk_event_new (self, ZK_DELETED, event->path);
  int rc = zoo_adelete (self->zh, event->path, event->stat.version,
                        on_void_done, delete);
  zk_request_check (rc, delete);
}

/* ---- Session ---- */

static void
election_session_lost (JlElection *self, const char *reason)
{
  g_warning ("event=session-lost reason='%s' node='%s'", reason,
             self->node ? self->node : "");

  election_set_state (self, JL_ELECTION_JOINING, reason);
  g_hash_table_remove_all (self->stale_uuids);
  election_forget_node (self);
  self->connected = FALSE;
  self->session_id = 0;

  /* Closing a handle from a ZooKeeper callback deadlocks; this runs on the
   * main context. An expired handle has nothing to send, so this returns
   * quickly. */
  zookeeper_close (self->zh);
  self->zh = NULL;

  int saved = election_connect (self);
  if (saved != 0)
    g_critical ("event=zookeeper-init-failed connect='%s' error='%s'",
                self->connect_string, g_strerror (saved));
}

static void
election_handle_connected (JlElection *self)
{
  const clientid_t *client = zoo_client_id (self->zh);
  gboolean new_session = client->client_id != self->session_id;

  self->connected = TRUE;
  self->session_id = client->client_id;
  self->negotiated_timeout_ms = (guint) zoo_recv_timeout (self->zh);

  g_message ("event=connected session=0x%" G_GINT64_MODIFIER
             "x timeout_ms=%u new_session=%s", self->session_id,
             self->negotiated_timeout_ms, new_session ? "true" : "false");

  self->margin_ms = self->options.safety_margin_ms;
  if (self->margin_ms * 3 >= self->negotiated_timeout_ms)
    {
      self->margin_ms = self->negotiated_timeout_ms / 4;
      g_warning ("event=timeout-clamped timeout_ms=%u margin_ms=%u "
                 "configured_margin_ms=%u: the server granted a session "
                 "timeout below three safety margins, so this session uses "
                 "a quarter of it; lower "
                 "kylin.jobleader.zookeeper.safety-margin-ms or raise the "
                 "server's maxSessionTimeout",
                 self->negotiated_timeout_ms, self->margin_ms,
                 self->options.safety_margin_ms);
    }

  if (new_session && self->node == NULL && !self->creating)
    {
      election_create_node (self);
      return;
    }

  election_list_children (self);
}

static void
election_handle_session (JlElection *self, ZkEvent *event)
{
  if (event->state == ZOO_CONNECTED_STATE)
    {
      election_handle_connected (self);
      return;
    }

  if (event->state == ZOO_CONNECTING_STATE
      || event->state == ZOO_ASSOCIATING_STATE)
    {
      if (self->connected)
        g_message ("event=disconnected node='%s'",
                   self->node ? self->node : "");
      self->connected = FALSE;
      return;
    }

  if (event->state == ZOO_EXPIRED_SESSION_STATE)
    election_session_lost (self, "session-expired");
  else if (event->state == ZOO_AUTH_FAILED_STATE)
    election_session_lost (self, "auth-failed");
}

static gboolean
zk_event_dispatch (gpointer data)
{
  ZkEvent *event = data;
  JlElection *self = event->self;

  if (self->closed || event->generation != self->generation)
    return G_SOURCE_REMOVE;

  switch (event->kind)
    {
    case ZK_SESSION:
      election_handle_session (self, event);
      break;
    case ZK_PARENT_CREATED:
      if (event->type && (event->rc == ZOK || event->rc == ZNODEEXISTS))
        election_create_node (self);
      break;
    case ZK_NODE_CREATED:
      election_handle_created (self, event);
      break;
    case ZK_CHILDREN:
      if (event->rc == ZOK)
        election_handle_children (self, event);
      else if (event->rc == ZNONODE)
        election_create_parents (self);
      break;
    case ZK_OWN_STAT:
      if (self->node != NULL && g_str_has_suffix (event->path, self->node))
        election_handle_own_stat (self, event);
      break;
    case ZK_PREDECESSOR:
      election_handle_predecessor (self, event);
      break;
    case ZK_WATCH_FIRED:
      if (self->connected)
        election_list_children (self);
      break;
    case ZK_STALE_STAT:
      election_handle_stale (self, event);
      break;
    case ZK_DELETED:
      if (event->rc != ZOK && event->rc != ZNONODE)
        g_message ("event=delete-failed path='%s' error='%s'", event->path,
                   zerror (event->rc));
      break;
    }

  return G_SOURCE_REMOVE;
}

#define ZK_LOG_INTERVAL_US (10 * G_USEC_PER_SEC)

static GMutex zk_log_lock;
static gint64 zk_log_last_us;
static guint zk_log_suppressed;

/* Passes the ZooKeeper client's own messages to the log, at most one per
 * ten seconds: while no server replies, the client reports every
 * reconnect attempt several times a second. Runs on the client's threads. */
static void
on_zookeeper_log (const char *message)
{
  gint64 now_us = g_get_monotonic_time ();
  guint suppressed;

  g_mutex_lock (&zk_log_lock);
  if (zk_log_last_us != 0 && now_us - zk_log_last_us < ZK_LOG_INTERVAL_US)
    {
      zk_log_suppressed++;
      g_mutex_unlock (&zk_log_lock);
      return;
    }
  suppressed = zk_log_suppressed;
  zk_log_suppressed = 0;
  zk_log_last_us = now_us;
  g_mutex_unlock (&zk_log_lock);

  g_autofree char *text = g_strchomp (g_strdup (message));
  g_warning ("event=zookeeper-client suppressed=%u message='%s'", suppressed,
             text);
}

/* Creates a new handle. Returns 0, or the errno of a failed init. */
static int
election_connect (JlElection *self)
{
  self->generation++;
  self->zh = zookeeper_init2 (self->connect_string, on_session_watch,
                              (int) self->options.session_timeout_ms, NULL,
                              self, 0, on_zookeeper_log);
  return self->zh == NULL ? errno : 0;
}

/* ---- Public API ---- */

/* A source driven only by its ready time, so the deadline can move. */
static gboolean
deadline_source_dispatch (GSource *source, GSourceFunc callback,
                          gpointer data)
{
  (void) source;

  return callback (data);
}

static GSourceFuncs deadline_source_funcs = {
  .dispatch = deadline_source_dispatch,
};

JlElection *
jl_election_new (const JlElectionOptions *options, JlElectionNotify notify,
                 gpointer user_data)
{
  JlElection *self = g_atomic_rc_box_new0 (JlElection);

  self->options = *options;
  self->connect_string = g_strdup (options->connect_string);
  self->election_path = g_strdup (options->election_path);
  self->node_data = g_strdup (options->node_data);
  self->options.connect_string = self->connect_string;
  self->options.election_path = self->election_path;
  self->options.node_data = self->node_data;
  self->notify = notify;
  self->user_data = user_data;
  self->context = g_main_context_ref_thread_default ();
  self->stale_uuids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             NULL);
  self->negotiated_timeout_ms = options->session_timeout_ms;
  self->margin_ms = options->safety_margin_ms;

  self->deadline_source = g_source_new (&deadline_source_funcs,
                                       sizeof (GSource));
  g_source_set_ready_time (self->deadline_source, -1);
  g_source_set_callback (self->deadline_source, on_deadline, self, NULL);
  g_source_attach (self->deadline_source, self->context);

  return self;
}

gboolean
jl_election_start (JlElection *self, GError **error)
{
  g_return_val_if_fail (self->zh == NULL, FALSE);

  zoo_set_debug_level (ZOO_LOG_LEVEL_ERROR);

  int saved = election_connect (self);
  if (saved != 0)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "the ZooKeeper client rejected the connect string '%s' "
                   "(kylin.env.zookeeper-connect-string): %s",
                   self->connect_string, g_strerror (saved));
      return FALSE;
    }

  return TRUE;
}

static gboolean
on_rejoin_delay (gpointer data)
{
  JlElection *self = data;

  self->rejoin_source_id = 0;
  if (self->connected && self->node == NULL && !self->creating)
    election_create_node (self);

  return G_SOURCE_REMOVE;
}

void
jl_election_rejoin (JlElection *self, const char *reason, guint delay_ms)
{
  g_autofree char *path = NULL;

  if (self->zh == NULL || self->closed)
    return;

  if (self->node != NULL)
    {
      path = g_strconcat (self->election_path, "/", self->node, NULL);
      g_message ("event=rejoin reason='%s' node='%s' delay_ms=%u", reason,
                 self->node, delay_ms);
    }

  election_set_state (self, JL_ELECTION_JOINING, reason);
  election_forget_node (self);

  /* A failed delete leaves the node behind. Its uuid is now stale, so the
   * next listing deletes it once the session is confirmed as its owner. */
  if (path != NULL)
    {
      ZkEvent *delete = zk_event_new (self, ZK_DELETED, path);
      zk_request_check (zoo_adelete (self->zh, path, -1, on_void_done,
                                     delete), delete);
    }

  /* Without a node, the candidate does not block the others while it
   * waits. A session event in the meantime creates the node at once. */
  g_clear_handle_id (&self->rejoin_source_id, g_source_remove);
  self->rejoin_source_id = g_timeout_add (delay_ms, on_rejoin_delay, self);
}

void
jl_election_stop (JlElection *self)
{
  if (self->zh == NULL)
    return;

  self->closed = TRUE;
  election_stop_timers (self);
  if (self->state == JL_ELECTION_LEADING
      || self->state == JL_ELECTION_SUSPENDED)
    self->state = JL_ELECTION_JOINING;

  /* Closing the session deletes our ephemeral node on the server. Since
   * ZooKeeper 3.8 the client waits for the server to confirm. */
  zookeeper_close (self->zh);
  self->zh = NULL;
}

static void
election_clear (JlElection *self)
{
  g_free (self->connect_string);
  g_free (self->election_path);
  g_free (self->node_data);
  g_free (self->uuid);
  g_free (self->node);
  g_free (self->predecessor);
  g_free (self->leader_node);
  g_hash_table_unref (self->stale_uuids);
  g_main_context_unref (self->context);
}

void
jl_election_free (JlElection *self)
{
  if (self == NULL)
    return;

  /* A never-started election has no handle, so stop does not clear its
   * timers. */
  jl_election_stop (self);
  self->closed = TRUE;
  election_stop_timers (self);
  if (self->deadline_source != NULL)
    {
      g_source_destroy (self->deadline_source);
      g_clear_pointer (&self->deadline_source, g_source_unref);
    }

  g_atomic_rc_box_release_full (self, (GDestroyNotify) election_clear);
}

JlElectionState
jl_election_state (const JlElection *self)
{
  return self->state;
}

gboolean
jl_election_is_leading_now (const JlElection *self)
{
  return self->state == JL_ELECTION_LEADING
         && g_get_monotonic_time () < self->deadline_us;
}

gint64
jl_election_leading_deadline (const JlElection *self)
{
  return self->deadline_us;
}

gint64
jl_election_epoch (const JlElection *self)
{
  return self->epoch;
}

const char *
jl_election_node (const JlElection *self)
{
  return self->node;
}

const char *
jl_election_predecessor (const JlElection *self)
{
  return self->predecessor;
}

const char *
jl_election_leader_node (const JlElection *self)
{
  return self->leader_node;
}

const char *
jl_election_state_to_string (JlElectionState state)
{
  switch (state)
    {
    case JL_ELECTION_JOINING:
      return "joining";
    case JL_ELECTION_STANDBY:
      return "standby";
    case JL_ELECTION_LEADING:
      return "leading";
    case JL_ELECTION_SUSPENDED:
      return "suspended";
    }

  return "unknown";
}
