/* jobleader: the operator's command line. "status" shows who leads the Kylin
 * job engine, from ZooKeeper and from the metastore's lease.
 *
 * Exit status: 0 when a leader holds a fresh lease that matches ZooKeeper,
 * 1 when there is no leader, the two disagree or the lease is stale, and 2
 * on bad usage or an unreachable service. */
#include <glib.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>

#include "jobleader/config.h"
#include "jobleader/error.h"
#include "jobleader/status.h"
#include "log.h"

#define EXIT_HEALTHY 0
#define EXIT_UNHEALTHY 1
#define EXIT_USAGE 2

typedef struct {
  char *config_path;
  gboolean json;
  gboolean version;
} CliOptions;

static gboolean
parse_options (int *argc, char ***argv, CliOptions *options, GError **error)
{
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &options->config_path,
      "kylin.properties to read (default: $KYLIN_CONF/kylin.properties, "
      "else $KYLIN_HOME/conf/kylin.properties)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options->json,
      "Print one JSON object instead of text", NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, &options->version,
      "Print the version and exit", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("status");

  g_option_context_set_summary (context,
    "Show which node leads the Kylin job engine.\n\n"
    "Exit status: 0 when a leader holds a fresh lease that matches "
    "ZooKeeper,\n1 when there is no leader, they disagree or the lease is "
    "stale,\n2 on bad usage or an unreachable service.");
  g_option_context_add_main_entries (context, entries, NULL);

  return g_option_context_parse (context, argc, argv, error);
}

static char *
format_age (gint64 ms)
{
  if (ms < 0)
    return g_strdup_printf ("in %.1f s", -ms / 1000.0);

  return g_strdup_printf ("%.1f s ago", ms / 1000.0);
}

static void
print_lease (const JlStatus *status)
{
  const JlLease *lease = status->lease;

  if (lease == NULL)
    {
      if (status->lease_error != NULL)
        g_print ("lease:      unreadable (%s)\n", status->lease_error);
      else
        g_print ("lease:      none\n");
      return;
    }

  g_autofree char *renewed =
    format_age (status->now_ms - lease->renewed_at_ms);
  g_autofree char *stale = format_age (status->now_ms - lease->stale_at_ms);
  const char *state = lease->released_at_ms != 0 ? "released"
                      : status->lease_fresh      ? "fresh"
                                                 : "stale";

  g_print ("lease:      %s epoch %" G_GINT64_FORMAT ", renewed %s, %s "
           "(stale %s)\n", lease->holder, lease->epoch, renewed, state,
           stale);
  if (status->lease_error != NULL)
    g_print ("            %s\n", status->lease_error);
}

static void
print_candidates (const JlStatus *status)
{
  g_print ("candidates: %u\n", status->candidates->len);
  for (guint i = 0; i < status->candidates->len; i++)
    {
      const JlStatusCandidate *candidate =
        g_ptr_array_index (status->candidates, i);

      g_print ("  %s %s  %s%s\n", candidate->leader ? "*" : " ",
               candidate->holder, candidate->node,
               candidate->well_formed ? "" : "  (foreign name)");
    }
}

static const char *
status_verdict (const JlStatus *status)
{
  if (status->leader == NULL)
    return "no leader";
  if (!status->consistent)
    return "leader and lease disagree";
  if (!status->lease_fresh)
    return "lease is stale";

  return "consistent";
}

static void
print_text (const JlStatus *status)
{
  g_print ("election:   %s\n", status->election_path);
  if (status->leader != NULL)
    g_print ("leader:     %s epoch %" G_GINT64_FORMAT " (%s)\n",
             status->leader->holder, status->leader->epoch,
             status->leader->node);
  else
    g_print ("leader:     none\n");

  print_lease (status);
  g_print ("state:      %s\n", status_verdict (status));
  print_candidates (status);
}

static int
run_status (const CliOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JlConfig) config =
    jl_config_load_or_default (options->config_path, &error);
  if (config == NULL)
    {
      g_printerr ("jobleader: %s\n", error->message);
      return EXIT_USAGE;
    }

  g_autoptr (JlStatus) status = jl_status_collect (config, &error);
  if (status == NULL)
    {
      g_printerr ("jobleader: %s\n", error->message);
      return EXIT_USAGE;
    }

  if (options->json)
    {
      g_autofree char *json = jl_status_to_json (status);
      g_print ("%s\n", json);
    }
  else
    print_text (status);

  gboolean healthy = status->consistent && status->lease_fresh;
  return healthy ? EXIT_HEALTHY : EXIT_UNHEALTHY;
}

int
main (int argc, char **argv)
{
  CliOptions options = { 0 };
  g_autoptr (GError) error = NULL;

  setlocale (LC_ALL, "");
  signal (SIGPIPE, SIG_IGN);
  jl_log_init ("jobleader", FALSE);

  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("jobleader: %s\n", error->message);
      return EXIT_USAGE;
    }

  if (options.version)
    {
      g_print ("jobleader %s\n", JOBLEADER_VERSION);
      return EXIT_HEALTHY;
    }

  g_autofree char *usage_error = NULL;

  if (argc < 2)
    usage_error = g_strdup ("missing command");
  else if (!g_str_equal (argv[1], "status"))
    usage_error = g_strdup_printf ("unknown command '%s'", argv[1]);
  else if (argc > 2)
    usage_error = g_strdup_printf ("unexpected argument '%s'", argv[2]);

  if (usage_error != NULL)
    {
      g_printerr ("jobleader: %s; usage: jobleader [--config FILE] status "
                  "[--json]\n", usage_error);
      return EXIT_USAGE;
    }

  int rc = run_status (&options);
  g_free (options.config_path);

  return rc;
}
