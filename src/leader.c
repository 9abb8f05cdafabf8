/* Leadership state machine of jobleaderd.
 *
 * A node acts as leader only while the election reports LEADING, the
 * leading deadline has not passed, and its lease is written under its own
 * epoch. The store runs on a worker thread, one request at a time, and
 * results that arrive after a change of term are dropped. */
#include "leader.h"

#include <gio/gio.h>

#include "hook.h"
#include "jobleader/lease.h"
#include "jobleader/election.h"
#include "jobleader/error.h"


#define RETRY_BASE_MS 250
#define HOOK_SHUTDOWN_WAIT_MS 30000
#define STORE_WARNING_INTERVAL_US (60 * G_USEC_PER_SEC)

typedef enum {
  ROLE_CANDIDATE, /* not leading in ZooKeeper */
  ROLE_ACQUIRING, /* leading in ZooKeeper, lease not yet written */
  ROLE_ACTING,    /* leading, with the lease written */
} JlRole;

typedef enum {
  STORE_ACQUIRE,
  STORE_UPDATE,
} StoreRequestKind;

typedef struct {
  StoreRequestKind kind;
  JlStore **store;       /* the leader's store, opened here when NULL */
  const JlConfig *config;
  JlLease *lease;
  guint term;
} StoreRequest;

struct _JlLeader {
  const JlConfig *config;
  JlStore *store;
  JlEventLog *event_log;
  JlElection *election;

  JlRole role;
  guint term;              /* increments whenever leadership begins or ends */
  gint64 acquired_at_ms;
  gint64 acquired_epoch;   /* the epoch acquired_at_ms belongs to */
  const char *elected_reason; /* reason of the next elected event */
  gboolean request_pending;
  gboolean shutting_down;
  gboolean ignore_deadline; /* test knob: leave fencing to the store alone */

  JlHookRunner *hooks;
  guint retry_attempt;
  guint fenced_attempt;     /* rejoins after a rejected write, in a row */
  gboolean reacquiring;     /* a rejected renewal is retried as an acquire */
  gint64 store_failing_since_us;
  gint64 store_warned_at_us;
  guint store_timer_id;
  GHashTable *store_errors; /* store error messages logged since the last
                               successful write */
};

static void leader_write_lease (JlLeader *self, StoreRequestKind kind);

/* TRUE while the election allows acting as leader. With the test knob
 * JOBLEADER_DEBUG_IGNORE_DEADLINE=1 a leader keeps acting past its leading
 * deadline, so fault tests can show that the store rejects its writes. */
static gboolean
leader_may_act (const JlLeader *self)
{
  if (self->ignore_deadline)
    return jl_election_state (self->election) == JL_ELECTION_LEADING
           || jl_election_state (self->election) == JL_ELECTION_SUSPENDED;

  return jl_election_is_leading_now (self->election);
}

/* ---- Reporting ---- */

static void
leader_record (JlLeader *self, const char *event, const char *reason,
               gint64 mono_us)
{
  JlEventRecord record = {
    .event = event,
    .holder = self->config->host_address,
    .node = jl_election_node (self->election),
    .epoch = jl_election_epoch (self->election),
    .reason = reason,
    .mono_us = mono_us,
  };
  g_autoptr (GError) error = NULL;

  if (self->event_log != NULL
      && !jl_event_log_append (self->event_log, &record, &error))
    g_warning ("event=event-log-failed error='%s'", error->message);
}

/* Reports a transition to the log, the event log and the hook. @mono_us is
 * when it took effect, 0 for now. */
static void
leader_report (JlLeader *self, const char *event, const char *reason,
               gint64 mono_us)
{
  g_message ("event=%s epoch=%" G_GINT64_FORMAT " node='%s' reason='%s'",
             event, jl_election_epoch (self->election),
             jl_election_node (self->election)
               ? jl_election_node (self->election) : "",
             reason ? reason : "");

  leader_record (self, event, reason, mono_us);
  jl_hook_runner_queue (self->hooks, event,
                        jl_election_epoch (self->election),
                        self->config->host_address, reason);
}

/* ---- Role changes ---- */

static void
leader_cancel_store_timer (JlLeader *self)
{
  g_clear_handle_id (&self->store_timer_id, g_source_remove);
}

/* Stops acting as leader. The stepped-down record carries the monotonic
 * time up to which this node may have acted: the leading deadline when the
 * process was paused past it, else now. */
static void
leader_step_down (JlLeader *self, const char *reason)
{
  JlRole old_role = self->role;

  self->role = ROLE_CANDIDATE;
  self->term++;
  self->retry_attempt = 0;
  leader_cancel_store_timer (self);

  if (old_role != ROLE_ACTING)
    return;

  gint64 now_us = g_get_monotonic_time ();
  gint64 deadline_us = jl_election_leading_deadline (self->election);

  leader_report (self, JL_EVENT_STEPPED_DOWN, reason,
                 MIN (now_us, deadline_us));
}

/* Starts writing the lease after the election reported LEADING for
 * @reason. A leader whose session was confirmed again resumes under the
 * same epoch and keeps its acquired time. */
static void
leader_begin_acquiring (JlLeader *self, const char *reason)
{
  gint64 epoch = jl_election_epoch (self->election);
  gboolean resumed = g_strcmp0 (reason, "session-confirmed") == 0
                     && epoch == self->acquired_epoch;

  self->role = ROLE_ACQUIRING;
  self->term++;
  self->retry_attempt = 0;
  self->elected_reason = resumed ? "session-confirmed" : "lease-acquired";
  if (!resumed)
    self->acquired_at_ms = g_get_real_time () / 1000;
  self->acquired_epoch = epoch;
  leader_write_lease (self, STORE_ACQUIRE);
}

static void
on_election_change (JlElection *election, JlElectionState state,
                    const char *reason, gpointer user_data)
{
  JlLeader *self = user_data;

  (void) election;
  if (self->shutting_down)
    return;

  switch (state)
    {
    case JL_ELECTION_LEADING:
      if (self->role == ROLE_CANDIDATE)
        leader_begin_acquiring (self, reason);
      break;

    case JL_ELECTION_STANDBY:
      leader_step_down (self, reason);
      g_message ("event=%s node='%s' predecessor='%s' leader='%s'",
                 JL_EVENT_STANDBY, jl_election_node (election),
                 jl_election_predecessor (election),
                 jl_election_leader_node (election)
                   ? jl_election_leader_node (election) : "");
      leader_record (self, JL_EVENT_STANDBY, reason, 0);
      break;

    case JL_ELECTION_SUSPENDED:
      if (!self->ignore_deadline)
        leader_step_down (self, reason);
      break;

    case JL_ELECTION_JOINING:
      leader_step_down (self, reason);
      break;
    }
}

/* ---- Store requests on a worker thread ---- */

static void
store_request_free (gpointer data)
{
  StoreRequest *request = data;

  jl_lease_free (request->lease);
  g_free (request);
}

static void
store_request_run (GTask *task, gpointer source, gpointer task_data,
                   GCancellable *cancellable)
{
  StoreRequest *request = task_data;
  GError *error = NULL;
  gboolean ok;

  (void) source;
  (void) cancellable;

  /* Only one request runs at a time, so this thread alone touches the
   * store while it runs. */
  if (*request->store == NULL)
    *request->store = jl_store_open (request->config, &error);

  if (*request->store == NULL)
    ok = FALSE;
  else if (request->kind == STORE_ACQUIRE)
    ok = jl_store_acquire (*request->store, request->lease, &error);
  else
    ok = jl_store_update (*request->store, request->lease, &error);

  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static JlLease *
leader_build_lease (JlLeader *self, gint64 released_at_ms)
{
  JlLease *lease = jl_lease_new ();
  gint64 now_ms = g_get_real_time () / 1000;

  lease->holder = g_strdup (self->config->host_address);
  lease->node = g_strdup (jl_election_node (self->election));
  lease->epoch = jl_election_epoch (self->election);
  lease->acquired_at_ms = self->acquired_at_ms;
  lease->renewed_at_ms = now_ms;
  lease->stale_at_ms = now_ms + self->config->lease_ttl_ms;
  lease->released_at_ms = released_at_ms;
  if (released_at_ms != 0)
    lease->stale_at_ms = released_at_ms;

  return lease;
}

static void on_store_done (GObject *source, GAsyncResult *result,
                           gpointer user_data);

static void
leader_submit (JlLeader *self, StoreRequestKind kind, JlLease *lease)
{
  StoreRequest *request = g_new0 (StoreRequest, 1);
  g_autoptr (GTask) task = g_task_new (NULL, NULL, on_store_done, self);

  request->kind = kind;
  request->store = &self->store;
  request->config = self->config;
  request->lease = lease;
  request->term = self->term;

  g_task_set_task_data (task, request, store_request_free);
  self->request_pending = TRUE;
  g_task_run_in_thread (task, store_request_run);
}

static void
leader_write_lease (JlLeader *self, StoreRequestKind kind)
{
  leader_cancel_store_timer (self);
  if (self->request_pending)
    return;

  if (!leader_may_act (self))
    return;

  leader_submit (self, kind, leader_build_lease (self, 0));
}

static gboolean
on_store_timer (gpointer data)
{
  JlLeader *self = data;

  self->store_timer_id = 0;
  leader_write_lease (self, self->role == ROLE_ACTING ? STORE_UPDATE
                                                      : STORE_ACQUIRE);

  return G_SOURCE_REMOVE;
}

static void
leader_schedule_store (JlLeader *self, guint delay_ms)
{
  leader_cancel_store_timer (self);
  self->store_timer_id = g_timeout_add (delay_ms, on_store_timer, self);
}

/* Returns a capped exponential backoff with jitter for the given attempt,
 * counted from 0: a random delay in the upper half of
 * min(retry.max-backoff-ms, 250 ms * 2^attempt). */
static guint
leader_backoff_for (const JlLeader *self, guint attempt)
{
  guint shift = MIN (attempt, 16u);
  guint64 ceiling = MIN ((guint64) RETRY_BASE_MS << shift,
                         (guint64) self->config->retry_max_ms);

  return (guint) g_random_int_range ((gint32) (ceiling / 2),
                                     (gint32) ceiling + 1);
}

static guint
leader_backoff_ms (JlLeader *self)
{
  return leader_backoff_for (self, self->retry_attempt++);
}

static void
leader_handle_written (JlLeader *self, StoreRequest *request)
{
  gboolean was_acting = self->role == ROLE_ACTING;

  if (g_hash_table_size (self->store_errors) > 0)
    {
      g_message ("event=store-recovered epoch=%" G_GINT64_FORMAT
                 " failed_for_ms=%" G_GINT64_FORMAT, request->lease->epoch,
                 (g_get_monotonic_time () - self->store_failing_since_us)
                   / 1000);
      g_hash_table_remove_all (self->store_errors);
    }

  self->retry_attempt = 0;
  self->fenced_attempt = 0;
  self->reacquiring = FALSE;
  self->store_failing_since_us = 0;
  if (!leader_may_act (self))
    return;

  self->role = ROLE_ACTING;
  if (!was_acting)
    leader_report (self, JL_EVENT_ELECTED, self->elected_reason, 0);
  else
    g_debug ("event=%s epoch=%" G_GINT64_FORMAT, JL_EVENT_RENEWED,
             request->lease->epoch);

  leader_schedule_store (self, self->config->lease_renew_ms);
}

/* Returns the delay before the next rejoin after a rejected write: the same
 * capped exponential backoff as store errors, so that a stored epoch above
 * every candidate's cannot spin the election. */
static guint
leader_fenced_delay_ms (JlLeader *self)
{
  guint attempt = self->fenced_attempt++;

  return attempt == 0 ? 0 : leader_backoff_for (self, attempt);
}

/* A rejected renewal means the stored epoch is no longer ours. When the
 * row was removed or contains a lower epoch, an acquire still succeeds, and
 * it is epoch-checked like every write. Otherwise another node leads or
 * has led after us. */
static void
leader_handle_rejected (JlLeader *self, StoreRequest *request)
{
  if (request->kind == STORE_UPDATE && !self->reacquiring)
    {
      self->reacquiring = TRUE;
      leader_write_lease (self, STORE_ACQUIRE);
      return;
    }

  guint delay_ms = leader_fenced_delay_ms (self);
  if (self->fenced_attempt > 2)
    g_warning ("event=fenced-again count=%u rejoin_ms=%u: every lease write "
               "of this node is rejected; if ZooKeeper's data was wiped, "
               "its czxids restarted below the stored epoch: check that no "
               "node leads, then delete the lease row '%s'",
               self->fenced_attempt, delay_ms, JL_LEASE_RESOURCE);

  self->reacquiring = FALSE;
  leader_step_down (self, "fenced");
  jl_election_rejoin (self->election, "fenced", delay_ms);
}

static void
leader_warn_store_still_failing (JlLeader *self, const GError *error)
{
  gint64 now_us = g_get_monotonic_time ();

  if (now_us - self->store_warned_at_us < STORE_WARNING_INTERVAL_US)
    return;

  self->store_warned_at_us = now_us;
  g_warning ("event=%s still_failing_ms=%" G_GINT64_FORMAT " acting=%s "
             "error='%s': readers see the lease as stale once its ttl "
             "passes", JL_EVENT_STORE_ERROR,
             (now_us - self->store_failing_since_us) / 1000,
             self->role == ROLE_ACTING ? "true" : "false", error->message);
}

static void
leader_handle_store_error (JlLeader *self, const GError *error)
{
  guint delay_ms = leader_backoff_ms (self);

  if (self->store_failing_since_us == 0)
    self->store_failing_since_us = g_get_monotonic_time ();

  /* Each distinct error is logged once until a write succeeds, and a
   * reminder follows every minute. Comparing with the previous error only
   * would log every retry of a gateway that alternates between two
   * failures. */
  if (!g_hash_table_contains (self->store_errors, error->message))
    {
      g_warning ("event=%s error='%s' retry_ms=%u", JL_EVENT_STORE_ERROR,
                 error->message, delay_ms);
      g_hash_table_add (self->store_errors, g_strdup (error->message));
      self->store_warned_at_us = g_get_monotonic_time ();
    }
  else
    leader_warn_store_still_failing (self, error);

  leader_schedule_store (self, delay_ms);
}

static void
on_store_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JlLeader *self = user_data;
  GTask *task = G_TASK (result);
  StoreRequest *request = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  (void) source;
  self->request_pending = FALSE;

  gboolean ok = g_task_propagate_boolean (task, &error);
  if (g_error_matches (error, JL_ERROR, JL_ERROR_REJECTED))
    g_warning ("event=lease-rejected epoch=%" G_GINT64_FORMAT " error='%s'",
               request->lease->epoch, error->message);

  if (self->shutting_down)
    return;

  /* A term that began while this request was pending skipped its first
   * write, and nothing else would start it. */
  if (request->term != self->term)
    {
      if (self->role == ROLE_ACQUIRING)
        leader_write_lease (self, STORE_ACQUIRE);
      return;
    }

  if (ok)
    leader_handle_written (self, request);
  else if (g_error_matches (error, JL_ERROR, JL_ERROR_REJECTED))
    leader_handle_rejected (self, request);
  else
    leader_handle_store_error (self, error);
}

/* ---- Public API ---- */

JlLeader *
jl_leader_new (const JlConfig *config, JlStore *store, JlEventLog *event_log)
{
  JlLeader *self = g_new0 (JlLeader, 1);
  g_autofree char *path = jl_config_election_path (config);
  JlElectionOptions options = {
    .connect_string = config->zk_connect,
    .election_path = path,
    .node_data = config->host_address,
    .session_timeout_ms = config->zk_session_timeout_ms,
    .safety_margin_ms = config->zk_safety_margin_ms,
  };

  self->config = config;
  self->store = store;
  self->event_log = event_log;
  self->election = jl_election_new (&options, on_election_change, self);
  self->hooks = jl_hook_runner_new (config->hook);
  self->store_errors = g_hash_table_new_full (g_str_hash, g_str_equal,
                                              g_free, NULL);
  self->ignore_deadline =
    g_strcmp0 (g_getenv ("JOBLEADER_DEBUG_IGNORE_DEADLINE"), "1") == 0;
  if (self->ignore_deadline)
    g_warning ("event=debug-knob JOBLEADER_DEBUG_IGNORE_DEADLINE=1: this "
               "node keeps acting past its leading deadline; tests only");

  return self;
}

gboolean
jl_leader_start (JlLeader *self, GError **error)
{
  leader_record (self, JL_EVENT_STARTED, NULL, 0);

  /* A daemon that was killed could not run its stepped-down hook. This
   * node is not leader now, so tell the hook, which stops a job engine
   * left running. */
  jl_hook_runner_queue (self->hooks, JL_EVENT_STEPPED_DOWN, 0,
                        self->config->host_address, "startup");

  return jl_election_start (self->election, error);
}

static void
leader_wait_for_store (JlLeader *self)
{
  while (self->request_pending)
    g_main_context_iteration (NULL, TRUE);
}

static void
leader_release_lease (JlLeader *self, gint64 epoch)
{
  g_autoptr (JlLease) lease = leader_build_lease (self, 0);
  g_autoptr (GError) error = NULL;

  lease->epoch = epoch;
  lease->released_at_ms = lease->renewed_at_ms;
  lease->stale_at_ms = lease->renewed_at_ms;

  if (self->store == NULL)
    return;

  if (!jl_store_update (self->store, lease, &error))
    {
      g_warning ("event=release-failed epoch=%" G_GINT64_FORMAT
                 " error='%s'", epoch, error->message);
      return;
    }

  g_message ("event=released epoch=%" G_GINT64_FORMAT, epoch);
}

void
jl_leader_shutdown (JlLeader *self)
{
  gboolean was_acting = self->role == ROLE_ACTING;
  gint64 epoch = jl_election_epoch (self->election);

  self->shutting_down = TRUE;
  leader_step_down (self, "shutdown");
  leader_wait_for_store (self);

  /* The next leader starts when our node is gone, so the stepped-down hook
   * must have stopped the local job engine before that. */
  if (!jl_hook_runner_wait (self->hooks, HOOK_SHUTDOWN_WAIT_MS))
    g_warning ("event=hook-timeout wait_ms=%u: leaving the election while "
               "the stepped-down hook still runs", HOOK_SHUTDOWN_WAIT_MS);

  if (was_acting)
    leader_release_lease (self, epoch);

  jl_election_stop (self->election);
  leader_record (self, JL_EVENT_STOPPED, NULL, 0);
  g_message ("event=%s", JL_EVENT_STOPPED);
}

void
jl_leader_free (JlLeader *self)
{
  if (self == NULL)
    return;

  leader_cancel_store_timer (self);
  jl_election_free (self->election);
  jl_store_free (self->store);
  jl_event_log_close (self->event_log);
  jl_hook_runner_free (self->hooks);
  g_hash_table_unref (self->store_errors);
  g_free (self);
}

void
jl_leader_reopen_logs (JlLeader *self)
{
  g_autoptr (GError) error = NULL;

  if (self->event_log == NULL)
    return;

  if (!jl_event_log_reopen (self->event_log, &error))
    g_warning ("event=event-log-failed error='%s'", error->message);
  else
    g_message ("event=event-log-reopened");
}

gboolean
jl_leader_is_acting (const JlLeader *self)
{
  return self->role == ROLE_ACTING;
}
