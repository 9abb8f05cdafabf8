/* jobleaderd: competes for Kylin job-engine leadership on behalf of the
 * local node and keeps the leader's lease in the metastore. */
#include <glib-unix.h>
#include <glib.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "jobleader/config.h"
#include "jobleader/error.h"
#include "jobleader/event-log.h"
#include "jobleader/store.h"
#include "leader.h"
#include "log.h"


typedef struct {
  char *config_path;
  gboolean verbose;
  gboolean version;
} DaemonOptions;

static gboolean
parse_options (int *argc, char ***argv, DaemonOptions *options,
               GError **error)
{
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config_path,
      "kylin.properties to read (default: $KYLIN_CONF/kylin.properties, "
      "else $KYLIN_HOME/conf/kylin.properties)", "FILE" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &options->verbose,
      "Log debug records too", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version,
      "Print the version and exit", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context =
    g_option_context_new ("- elect one Kylin job-engine leader");

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  if (*argc > 1)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "unexpected argument '%s': jobleaderd takes only options",
                   (*argv)[1]);
      return FALSE;
    }

  return TRUE;
}

static gboolean
on_stop_signal (gpointer data)
{
  GMainLoop *loop = data;

  g_message ("event=stop-requested");
  g_main_loop_quit (loop);

  return G_SOURCE_REMOVE;
}

static gboolean
on_reopen_signal (gpointer data)
{
  jl_leader_reopen_logs (data);

  return G_SOURCE_CONTINUE;
}

static void
notify_ready (void)
{
#ifdef HAVE_LIBSYSTEMD
  sd_notify (0, "READY=1");
#endif
}

static void
warn_about_config (const JlConfig *config)
{
  if (config->host_address_is_default)
    g_warning ("event=config-warning kylin.server.host-address is left at "
               "its default 'localhost:7070' in %s: every node then looks "
               "alike in the election; set it to this node's host:port",
               config->source);
}

/* Opens the metastore. An invalid setting is an error. When the gateways
 * cannot be reached or time out, for example while HBase starts, this
 * returns NULL without error, and the first lease write tries again with
 * backoff. */
static JlStore *
open_store (const JlConfig *config, GError **error)
{
  g_autoptr (GError) open_error = NULL;
  JlStore *store = jl_store_open (config, &open_error);

  if (store != NULL)
    return store;

  if (g_error_matches (open_error, JL_ERROR, JL_ERROR_UNAVAILABLE)
      || g_error_matches (open_error, JL_ERROR, JL_ERROR_FAILED))
    {
      g_warning ("event=store-error error='%s': joining the election anyway; "
                 "the lease is written once the metastore answers",
                 open_error->message);
      return NULL;
    }

  g_propagate_error (error, g_steal_pointer (&open_error));
  return NULL;
}

static int
run_daemon (JlConfig *config)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JlEventLog) event_log = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  JlStore *store = open_store (config, &error);
  if (error != NULL)
    {
      g_printerr ("jobleaderd: %s\n", error->message);
      return 2;
    }

  if (config->event_log != NULL)
    {
      event_log = jl_event_log_open (config->event_log, &error);
      if (event_log == NULL)
        {
          jl_store_free (store);
          g_printerr ("jobleaderd: %s\n", error->message);
          return 2;
        }
    }

  JlLeader *leader = jl_leader_new (config, store,
                                    g_steal_pointer (&event_log));
  if (!jl_leader_start (leader, &error))
    {
      jl_leader_free (leader);
      g_printerr ("jobleaderd: %s\n", error->message);
      return 2;
    }

  g_unix_signal_add (SIGTERM, on_stop_signal, loop);
  g_unix_signal_add (SIGINT, on_stop_signal, loop);
  g_unix_signal_add (SIGHUP, on_reopen_signal, leader);
  notify_ready ();
  g_main_loop_run (loop);

  jl_leader_shutdown (leader);
  jl_leader_free (leader);

  return 0;
}

int
main (int argc, char **argv)
{
  DaemonOptions options = { 0 };
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  /* The Thrift client writes with send() without MSG_NOSIGNAL. */
  signal (SIGPIPE, SIG_IGN);

  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("jobleaderd: %s\n", error->message);
      return 2;
    }

  if (options.version)
    {
      g_print ("jobleaderd %s\n", JOBLEADER_VERSION);
      return 0;
    }

  jl_log_init ("jobleaderd", options.verbose);

  g_autoptr (JlConfig) config =
    jl_config_load_or_default (options.config_path, &error);
  g_free (options.config_path);
  if (config == NULL)
    {
      g_printerr ("jobleaderd: %s\n", error->message);
      return 2;
    }

  if (!config->job_capable)
    {
      g_printerr ("jobleaderd: kylin.server.mode=%s in %s: this node does "
                  "not run the job engine, so it does not compete for job "
                  "leadership; exiting\n", config->server_mode,
                  config->source);
      return 0;
    }

  warn_about_config (config);
  g_message ("event=%s holder='%s' mode=%s metastore=%s", JL_EVENT_STARTED,
             config->host_address, config->server_mode,
             config->metadata.kind == JL_METASTORE_HBASE ? "hbase" : "local");

  return run_daemon (config);
}
