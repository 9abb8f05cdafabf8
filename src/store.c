/* The store-independent part of the lease store: choosing the backend and
 * the acquire and update protocols on top of its three conditional
 * writes. */
#include "jobleader/store.h"

#include "jobleader/error.h"

static JlStore *
open_store (const JlConfig *config, JlStoreMode mode, GError **error)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  switch (config->metadata.kind)
    {
    case JL_METASTORE_HBASE:
      return jl_hbase_store_open (config, mode, error);
    case JL_METASTORE_LOCAL:
      return jl_local_store_open (config, mode, error);
    }

  g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
               "Unsupported metastore kind %d", (int) config->metadata.kind);
  return NULL;
}

JlStore *
jl_store_open (const JlConfig *config, GError **error)
{
  return open_store (config, JL_STORE_READ_WRITE, error);
}

JlStore *
jl_store_open_read_only (const JlConfig *config, GError **error)
{
  return open_store (config, JL_STORE_READ_ONLY, error);
}

void
jl_store_free (JlStore *store)
{
  if (store == NULL)
    return;

  store->klass->free (store);
}

gboolean
jl_store_read (JlStore  *store,
               JlLease **out,
               gint64   *stored_epoch,
               GError  **error)
{
  gint64 ignored_epoch = 0;
  gint64 *epoch_out = stored_epoch != NULL ? stored_epoch : &ignored_epoch;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return store->klass->read (store, out, epoch_out, error);
}

static gboolean
check_lease (const JlLease *lease, GError **error)
{
  if (lease->epoch <= 0)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "Lease epoch %" G_GINT64_FORMAT " is invalid: it must be "
                   "positive", lease->epoch);
      return FALSE;
    }

  if (lease->holder == NULL || *lease->holder == '\0')
    {
      g_set_error_literal (error, JL_ERROR, JL_ERROR_INVALID,
                           "Lease holder is missing");
      return FALSE;
    }

  return TRUE;
}

/* TRUE when @stored is @lease as written earlier by the same leader, whose
 * reply was lost. Epochs are unique per leader, so holder and node only
 * guard against a misconfigured epoch source. */
static gboolean
is_own_lease (const JlLease *stored, const JlLease *lease)
{
  return stored->epoch == lease->epoch
         && g_strcmp0 (stored->holder, lease->holder) == 0
         && g_strcmp0 (stored->node, lease->node) == 0;
}

/* Rounds of jl_store_acquire(). Another round runs when the stored lease
 * changed between a rejected write and the read that follows it, which
 * includes this leader's own write whose reply was lost. */
#define ACQUIRE_ROUNDS 3

/* Writes @lease unless it is rejected, and sets *retry when another round
 * may succeed. */
static gboolean
write_or_retry (JlStore       *store,
                gboolean     (*write) (JlStore *, const JlLease *, GError **),
                const JlLease *lease,
                gboolean      *retry,
                GError       **error)
{
  g_autoptr (GError) local_error = NULL;

  if (write (store, lease, &local_error))
    return TRUE;

  *retry = g_error_matches (local_error, JL_ERROR, JL_ERROR_REJECTED);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/* Returns what the store contains, for rejection messages: the stored
 * epoch, which alone fences writes, then the holder of the lease content,
 * and the content's epoch when it differs. @stored is NULL when no lease
 * content is stored, @stored_epoch is 0 when no epoch is stored. */
static char *
describe_stored (JlStore *store, gint64 stored_epoch, const JlLease *stored)
{
  const char *name = store->klass->name;

  if (stored == NULL && stored_epoch == 0)
    return g_strdup_printf ("the %s store contains no lease and no epoch",
                            name);

  if (stored == NULL)
    return g_strdup_printf ("the %s store contains epoch %" G_GINT64_FORMAT
                            " but no lease content", name, stored_epoch);

  if (stored_epoch == 0)
    return g_strdup_printf ("the %s store contains no epoch, but its lease "
                            "content has epoch %" G_GINT64_FORMAT ", held "
                            "by '%s'", name, stored->epoch, stored->holder);

  if (stored->epoch != stored_epoch)
    return g_strdup_printf ("the %s store contains epoch %" G_GINT64_FORMAT
                            ", but its lease content has epoch "
                            "%" G_GINT64_FORMAT ", held by '%s'", name,
                            stored_epoch, stored->epoch, stored->holder);

  return g_strdup_printf ("the %s store contains epoch %" G_GINT64_FORMAT
                          ", held by '%s'", name, stored_epoch,
                          stored->holder);
}

/* Sets the error for a write_if_newer that was rejected although the read
 * that followed found a lower stored epoch, and sets *retry so that
 * another round runs. */
static gboolean
set_changed_error (const JlLease *lease,
                   const char    *description,
                   gboolean      *retry,
                   GError       **error)
{
  *retry = TRUE;
  g_set_error (error, JL_ERROR, JL_ERROR_REJECTED,
               "Lease with epoch %" G_GINT64_FORMAT " was rejected, but the "
               "read that followed found a lower epoch: %s. The stored lease "
               "changed between the write and the read, so try again later",
               lease->epoch, description);
  return FALSE;
}

/* Handles the stored lease that made write_if_newer fail. @stored is NULL
 * when no lease content is stored, and @stored_epoch is 0 when no epoch is
 * stored. The decision follows @stored_epoch, because only the stored
 * epoch fences writes. */
static gboolean
acquire_over (JlStore       *store,
              const JlLease *stored,
              gint64         stored_epoch,
              const JlLease *lease,
              gboolean      *retry,
              GError       **error)
{
  if (stored_epoch == 0)
    return write_or_retry (store, store->klass->write_if_absent, lease, retry,
                           error);

  g_autofree char *description = describe_stored (store, stored_epoch,
                                                  stored);

  if (stored_epoch < lease->epoch)
    return set_changed_error (lease, description, retry, error);

  if (stored != NULL && stored_epoch == lease->epoch
      && is_own_lease (stored, lease))
    return write_or_retry (store, store->klass->write_if_same, lease, retry,
                           error);

  g_set_error (error, JL_ERROR, JL_ERROR_REJECTED,
               "Lease with epoch %" G_GINT64_FORMAT " was rejected: %s",
               lease->epoch, description);
  return FALSE;
}

/* Handles a damaged stored lease that made write_if_newer fail. With a
 * readable epoch the write failed because that epoch is not lower, unless
 * it changed in between. Without one, a missing epoch cell still lets
 * write_if_absent succeed, but a damaged epoch needs an operator. */
static gboolean
acquire_over_damaged (JlStore       *store,
                      const GError  *damage,
                      gint64         stored_epoch,
                      const JlLease *lease,
                      gboolean      *retry,
                      GError       **error)
{
  if (stored_epoch > 0)
    {
      g_autofree char *description = g_strdup_printf (
        "the %s store contains epoch %" G_GINT64_FORMAT " (%s)",
        store->klass->name, stored_epoch, damage->message);

      if (stored_epoch < lease->epoch)
        return set_changed_error (lease, description, retry, error);

      g_set_error (error, JL_ERROR, JL_ERROR_REJECTED,
                   "Lease with epoch %" G_GINT64_FORMAT " was rejected: %s",
                   lease->epoch, description);
      return FALSE;
    }

  g_autoptr (GError) local_error = NULL;
  if (write_or_retry (store, store->klass->write_if_absent, lease, retry,
                      &local_error))
    return TRUE;

  if (!*retry)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
               "Cannot take the lease with epoch %" G_GINT64_FORMAT ": %s. "
               "Repair or delete the stored lease", lease->epoch,
               damage->message);
  return FALSE;
}

/* Runs one round of write_if_newer, then a read and the write that fits
 * what was read. */
static gboolean
acquire_round (JlStore       *store,
               const JlLease *lease,
               gboolean      *retry,
               GError       **error)
{
  g_autoptr (GError) local_error = NULL;

  if (store->klass->write_if_newer (store, lease, &local_error))
    return TRUE;

  if (!g_error_matches (local_error, JL_ERROR, JL_ERROR_REJECTED))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  g_clear_error (&local_error);

  g_autoptr (JlLease) stored = NULL;
  gint64 stored_epoch = 0;

  if (store->klass->read (store, &stored, &stored_epoch, &local_error))
    return acquire_over (store, stored, stored_epoch, lease, retry, error);

  if (g_error_matches (local_error, JL_ERROR, JL_ERROR_CORRUPT))
    return acquire_over_damaged (store, local_error, stored_epoch, lease,
                                 retry, error);

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

gboolean
jl_store_acquire (JlStore *store, const JlLease *lease, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (lease != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_lease (lease, error))
    return FALSE;

  for (guint round = 1;; round++)
    {
      g_autoptr (GError) local_error = NULL;
      gboolean retry = FALSE;

      if (acquire_round (store, lease, &retry, &local_error))
        return TRUE;

      if (!retry || round == ACQUIRE_ROUNDS)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
}

/* Replaces the message of a rejected update with what the store contains
 * now, so the former leader learns who replaced it. */
static void
explain_rejected_update (JlStore       *store,
                         const JlLease *lease,
                         GError       **error)
{
  g_autoptr (JlLease) stored = NULL;
  gint64 stored_epoch = 0;
  g_autoptr (GError) read_error = NULL;
  g_autofree char *message = NULL;

  if (store->klass->read (store, &stored, &stored_epoch, &read_error))
    {
      g_autofree char *description = describe_stored (store, stored_epoch,
                                                      stored);

      message = g_strdup_printf ("Lease with epoch %" G_GINT64_FORMAT " was "
                                 "rejected: %s", lease->epoch, description);
    }
  else if (stored_epoch > 0)
    {
      message = g_strdup_printf ("Lease with epoch %" G_GINT64_FORMAT " was "
                                 "rejected: the %s store contains epoch "
                                 "%" G_GINT64_FORMAT ", and reading its lease "
                                 "content failed: %s", lease->epoch,
                                 store->klass->name, stored_epoch,
                                 read_error->message);
    }
  else
    {
      message = g_strdup_printf ("%s; reading the stored lease failed: %s",
                                 (*error)->message, read_error->message);
    }

  g_clear_error (error);
  g_set_error_literal (error, JL_ERROR, JL_ERROR_REJECTED, message);
}

gboolean
jl_store_update (JlStore *store, const JlLease *lease, GError **error)
{
  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (lease != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_lease (lease, error))
    return FALSE;

  g_autoptr (GError) local_error = NULL;
  if (store->klass->write_if_same (store, lease, &local_error))
    return TRUE;

  if (g_error_matches (local_error, JL_ERROR, JL_ERROR_REJECTED))
    explain_rejected_update (store, lease, &local_error);

  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}
