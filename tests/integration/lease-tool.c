/* lease-tool: writes a lease under a chosen epoch through the real store,
 * so tests can play a former leader whose writes must be fenced.
 *
 *   lease-tool CONFIG acquire|update EPOCH HOLDER
 *
 * Exit status: 0 written, 3 rejected by the store, 2 any other error. */
#include <glib.h>
#include <signal.h>
#include <stdlib.h>

#include "jobleader/config.h"
#include "jobleader/error.h"
#include "jobleader/store.h"

static JlLease *
build_lease (gint64 epoch, const char *holder)
{
  JlLease *lease = jl_lease_new ();
  gint64 now_ms = g_get_real_time () / 1000;

  lease->holder = g_strdup (holder);
  lease->node = g_strdup ("lease-tool");
  lease->epoch = epoch;
  lease->acquired_at_ms = now_ms;
  lease->renewed_at_ms = now_ms;
  lease->stale_at_ms = now_ms + 60000;

  return lease;
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;

  signal (SIGPIPE, SIG_IGN);
  if (argc != 5)
    {
      g_printerr ("usage: lease-tool CONFIG acquire|update EPOCH HOLDER\n");
      return 2;
    }

  gint64 epoch = g_ascii_strtoll (argv[3], NULL, 10);
  g_autoptr (JlConfig) config = jl_config_load (argv[1], &error);
  g_autoptr (JlStore) store = config ? jl_store_open (config, &error) : NULL;
  if (store == NULL)
    {
      g_printerr ("lease-tool: %s\n", error->message);
      return 2;
    }

  g_autoptr (JlLease) lease = build_lease (epoch, argv[4]);
  gboolean ok = g_str_equal (argv[2], "acquire")
                  ? jl_store_acquire (store, lease, &error)
                  : jl_store_update (store, lease, &error);
  if (ok)
    return 0;

  g_printerr ("lease-tool: %s\n", error->message);

  return g_error_matches (error, JL_ERROR, JL_ERROR_REJECTED) ? 3 : 2;
}
