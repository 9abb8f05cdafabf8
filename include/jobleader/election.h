/* Leader election on ZooKeeper with the ephemeral-sequential recipe: every
 * candidate creates "_c_<uuid>-lock-<sequence>" under the election path,
 * the lowest node leads, and each other candidate watches only its
 * predecessor.
 *
 * All ZooKeeper completions and watches are handed to the GMainContext that
 * was current when the election was created; notifications run there. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _JlElection JlElection;

typedef enum {
  JL_ELECTION_JOINING,   /* no confirmed node yet: connecting or creating */
  JL_ELECTION_STANDBY,   /* a node exists and a predecessor is watched */
  JL_ELECTION_LEADING,   /* the lowest node, and the session is confirmed
                            alive until the leading deadline */
  JL_ELECTION_SUSPENDED, /* the lowest node, but the session could no longer
                            be confirmed in time: another candidate may be
                            elected if it has expired, so do not act */
} JlElectionState;

typedef struct {
  const char *connect_string; /* host:port[,host:port...] */
  const char *election_path;  /* e.g. /kylin/kylin_metadata/job_engine/leader */
  const char *node_data;      /* the host-address stored in the node */
  guint session_timeout_ms;   /* requested; the server may clamp it */
  guint safety_margin_ms;     /* stop leading this long before the earliest
                                 possible session expiry */
} JlElectionOptions;

/* Called on every state change, with a short reason in the event
 * vocabulary ("elected", "predecessor-gone", "session-expired", ...). */
typedef void (*JlElectionNotify) (JlElection      *election,
                                  JlElectionState  state,
                                  const char      *reason,
                                  gpointer         user_data);

JlElection *jl_election_new (const JlElectionOptions *options,
                             JlElectionNotify         notify,
                             gpointer                 user_data);

/* Connects and joins. JL_ERROR_INVALID for a connect string the client
 * rejects; connection failures later are retried by the client. */
gboolean jl_election_start (JlElection *election, GError **error);

/* Gives up candidacy: deletes the node at once, then joins again with a new
 * node after @delay_ms. Used when the metastore shows that another leader
 * exists. */
void jl_election_rejoin (JlElection *election, const char *reason,
                         guint delay_ms);

/* Deletes the node and closes the session, so the next candidate leads at
 * once. Blocks until the server has closed the session (at most the session
 * timeout). */
void jl_election_stop (JlElection *election);

void jl_election_free (JlElection *election);

JlElectionState jl_election_state (const JlElection *election);

/* TRUE when the state is LEADING and the monotonic clock is still before
 * the leading deadline. Call it right before acting as leader. */
gboolean jl_election_is_leading_now (const JlElection *election);

/* Monotonic microseconds until which the session is known to be alive. */
gint64 jl_election_leading_deadline (const JlElection *election);

/* czxid of this candidate's node, the fencing epoch; 0 without a node. */
gint64 jl_election_epoch (const JlElection *election);

/* This candidate's node name, or NULL. */
const char *jl_election_node (const JlElection *election);

/* The watched predecessor's node name while on standby, else NULL. */
const char *jl_election_predecessor (const JlElection *election);

/* The leading node's name as last listed, or NULL. */
const char *jl_election_leader_node (const JlElection *election);

const char *jl_election_state_to_string (JlElectionState state);

G_END_DECLS
