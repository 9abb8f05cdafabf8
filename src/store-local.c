/* The lease store for a kylin.metadata.url that is a plain folder, laid out
 * like Kylin's local file store. The resource JL_LEASE_RESOURCE is the file
 * <folder>/job_engine/leader.json, whose mtime is the lease's renewed_at_ms.
 * The fencing epoch is stored beside it in leader.json.epoch as 8
 * big-endian bytes.
 *
 * Compare-and-set is safe between processes on one host. Every write holds
 * an exclusive flock() on .leader.json.lock while it reads the stored epoch,
 * compares it and replaces the files. Every read holds a shared lock, so it
 * returns the epoch and the content of the same write. The exception is a
 * read-only store that finds no lock file (see read_without_creating()).
 * flock() locks belong to the open file description, so two stores in one
 * process also exclude each other. */
#include "jobleader/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobleader/error.h"

/* A write holds the lock for two small writes and up to four fsync()
 * calls. The bound, fixed rather than configured, keeps a call from
 * blocking forever behind a process that was stopped (SIGSTOP) while
 * holding the lock. */
#define LOCK_WAIT_MAX_MS 2000
#define LOCK_POLL_MAX_MS 16

/* Largest lease file read. jl_lease_from_json() rejects anything above
 * 64 KiB with a precise message, so the cap only bounds memory. */
#define LEASE_FILE_MAX_BYTES (1024 * 1024)

#define EPOCH_BYTES 8

typedef struct {
  JlStore parent;
  char *folder;           /* <metadata folder>/job_engine */
  char *lease_path;       /* leader.json: the lease JSON */
  char *epoch_path;       /* leader.json.epoch: the fencing epoch */
  char *lock_path;        /* .leader.json.lock, never removed */
  char *lease_temp_path;  /* replacement files, written under the lock */
  char *epoch_temp_path;
  JlStoreMode mode;
} JlLocalStore;

typedef enum {
  WRITE_IF_ABSENT,
  WRITE_IF_NEWER,
  WRITE_IF_SAME,
} WriteCondition;

typedef int LocalFd;

static void
close_fd (LocalFd fd)
{
  close (fd);
}

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (LocalFd, close_fd, -1)

static gboolean
set_io_error (GError **error, const char *action, const char *path)
{
  int saved_errno = errno;

  g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE, "Failed to %s '%s': %s",
               action, path, g_strerror (saved_errno));

  return FALSE;
}

/* Takes a flock() @operation (LOCK_SH or LOCK_EX) on the store's lock file
 * and returns the descriptor that holds it, or -1. flock() has no timed
 * wait, so the lock is polled with a growing pause up to LOCK_WAIT_MAX_MS.
 * With a non-NULL @missing the lock file is not created: a missing file
 * sets *missing to TRUE and returns -1 without an error. */
static int
lock_store (JlLocalStore *self, int operation, gboolean *missing,
            GError **error)
{
  int flags = missing != NULL ? O_RDONLY : O_RDONLY | O_CREAT;
  g_auto (LocalFd) fd = open (self->lock_path, flags | O_CLOEXEC, 0644);

  if (missing != NULL)
    *missing = fd < 0 && errno == ENOENT;

  if (fd < 0 && missing != NULL && *missing)
    return -1;

  if (fd < 0)
    {
      set_io_error (error, "open lock file", self->lock_path);
      return -1;
    }

  gint64 deadline = g_get_monotonic_time () + LOCK_WAIT_MAX_MS * 1000;
  gulong pause_ms = 1;

  while (flock (fd, operation | LOCK_NB) < 0)
    {
      if (errno == EINTR)
        continue;

      if (errno != EWOULDBLOCK)
        {
          set_io_error (error, "lock", self->lock_path);
          return -1;
        }

      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                       "Timed out after %d ms waiting for the lock on '%s', "
                       "which another process or store holds",
                       LOCK_WAIT_MAX_MS, self->lock_path);
          return -1;
        }

      g_usleep (pause_ms * 1000);
      pause_ms = MIN (pause_ms * 2, LOCK_POLL_MAX_MS);
    }

  return g_steal_fd (&fd);
}

/* Reads the whole file at @path into *out. Sets *exists to FALSE and
 * returns TRUE when the file is missing. */
static gboolean
read_file (const char *path, gsize max_bytes, GByteArray **out,
           gboolean *exists, GError **error)
{
  g_auto (LocalFd) fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    {
      *exists = FALSE;
      return TRUE;
    }

  if (fd < 0)
    return set_io_error (error, "open", path);

  g_autoptr (GByteArray) content = g_byte_array_new ();
  guint8 buffer[4096];

  for (;;)
    {
      ssize_t count = read (fd, buffer, sizeof buffer);
      if (count < 0 && errno == EINTR)
        continue;

      if (count < 0)
        return set_io_error (error, "read", path);

      if (count == 0)
        break;

      g_byte_array_append (content, buffer, count);
      if (content->len > max_bytes)
        {
          g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                       "File is larger than %" G_GSIZE_FORMAT " bytes",
                       max_bytes);
          return FALSE;
        }
    }

  *exists = TRUE;
  *out = g_steal_pointer (&content);

  return TRUE;
}

static gboolean
decode_stored_epoch (GByteArray *content, gint64 *epoch, GError **error)
{
  if (!jl_epoch_decode (content->data, content->len, epoch, error))
    return FALSE;

  /* No writer stores 0, but a file that a crash left zero-filled reads as
   * 0. */
  if (*epoch == 0)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT, "Epoch is 0");
      return FALSE;
    }

  return TRUE;
}

/* Reads the stored fencing epoch. A missing file means no epoch is stored.
 * A damaged file is JL_ERROR_CORRUPT and blocks every write, including a
 * new leader's write_if_newer, because a guessed epoch could let a
 * fenced-off leader write again. An operator has to check and remove it. */
static gboolean
read_stored_epoch (JlLocalStore *self, gboolean *exists, gint64 *epoch,
                   GError **error)
{
  g_autoptr (GByteArray) content = NULL;
  g_autoptr (GError) damage = NULL;

  *epoch = 0;

  if (!read_file (self->epoch_path, EPOCH_BYTES, &content, exists, &damage))
    {
      if (!g_error_matches (damage, JL_ERROR, JL_ERROR_CORRUPT))
        {
          g_propagate_error (error, g_steal_pointer (&damage));
          return FALSE;
        }
    }
  else if (!*exists || decode_stored_epoch (content, epoch, &damage))
    {
      return TRUE;
    }

  g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
               "Epoch file '%s' is damaged: %s. Check that no jobleaderd "
               "leads, then remove the file so that the next leader can "
               "write the lease",
               self->epoch_path, damage->message);

  return FALSE;
}

static gboolean
read_stored_lease (JlLocalStore *self, JlLease **out, GError **error)
{
  g_autoptr (GByteArray) content = NULL;
  g_autoptr (GError) local_error = NULL;
  gboolean exists = FALSE;

  if (read_file (self->lease_path, LEASE_FILE_MAX_BYTES, &content, &exists,
                 &local_error))
    {
      if (!exists)
        {
          *out = NULL;
          return TRUE;
        }

      *out = jl_lease_from_json ((const char *) content->data, content->len,
                                 &local_error);
      if (*out != NULL)
        return TRUE;
    }

  if (g_error_matches (local_error, JL_ERROR, JL_ERROR_CORRUPT))
    g_prefix_error (&local_error, "Lease file '%s' is damaged: ",
                    self->lease_path);

  g_propagate_error (error, g_steal_pointer (&local_error));

  return FALSE;
}

/* Reads the epoch and the lease, each of which may be missing. */
static gboolean
read_files (JlLocalStore *self, JlLease **out, gint64 *stored_epoch,
            GError **error)
{
  gboolean epoch_exists = FALSE;

  if (!read_stored_epoch (self, &epoch_exists, stored_epoch, error))
    return FALSE;

  return read_stored_lease (self, out, error);
}

/* Reads without creating the lock file, for JL_STORE_READ_ONLY. A missing
 * lock file means that no writer has started, because every writer creates
 * it before it writes. The files are then read without the lock, and read
 * again under the lock when a writer created it meanwhile. */
static gboolean
read_without_creating (JlLocalStore *self, JlLease **out,
                       gint64 *stored_epoch, GError **error)
{
  gboolean lock_missing = FALSE;
  g_auto (LocalFd) lock_fd = lock_store (self, LOCK_SH, &lock_missing,
                                         error);

  if (lock_fd < 0 && !lock_missing)
    return FALSE;

  if (!read_files (self, out, stored_epoch, error))
    return FALSE;

  if (lock_fd >= 0 || !g_file_test (self->lock_path, G_FILE_TEST_EXISTS))
    return TRUE;

  g_clear_pointer (out, jl_lease_free);
  *stored_epoch = 0;

  lock_fd = lock_store (self, LOCK_SH, &lock_missing, error);
  if (lock_fd < 0 && !lock_missing)
    return FALSE;

  return read_files (self, out, stored_epoch, error);
}

/* The lease returned can carry an epoch other than *stored_epoch. It is
 * lower after an interrupted write (see write_lease()), and any epoch can
 * sit beside 0 after an operator removed the epoch file. Only *stored_epoch
 * fences writes, so the caller has to compare the two. */
static gboolean
local_read (JlStore *store, JlLease **out, gint64 *stored_epoch,
            GError **error)
{
  JlLocalStore *self = (JlLocalStore *) store;
  gint64 epoch = 0;
  g_autoptr (JlLease) lease = NULL;
  gboolean read = FALSE;

  g_return_val_if_fail (out != NULL, FALSE);

  if (self->mode == JL_STORE_READ_ONLY)
    {
      read = read_without_creating (self, &lease, &epoch, error);
    }
  else
    {
      g_auto (LocalFd) lock_fd = lock_store (self, LOCK_SH, NULL, error);

      read = lock_fd >= 0 && read_files (self, &lease, &epoch, error);
    }

  /* The epoch is set even when only the lease file is damaged, as
   * JlStoreClass.read documents. */
  if (stored_epoch != NULL)
    *stored_epoch = epoch;

  if (!read)
    return FALSE;

  *out = g_steal_pointer (&lease);

  return TRUE;
}

static gboolean
write_all (int fd, const guint8 *data, gsize length, const char *path,
           GError **error)
{
  while (length > 0)
    {
      ssize_t count = write (fd, data, length);
      if (count < 0 && errno == EINTR)
        continue;

      if (count < 0)
        return set_io_error (error, "write", path);

      data += count;
      length -= count;
    }

  return TRUE;
}

/* Writes @data to a new file at @path and flushes it to disk. A positive
 * @mtime_ms becomes the file's modification time. */
static gboolean
write_new_file (const char *path, const guint8 *data, gsize length,
                gint64 mtime_ms, GError **error)
{
  g_auto (LocalFd) fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                              0644);
  if (fd < 0)
    return set_io_error (error, "create", path);

  if (!write_all (fd, data, length, path, error))
    return FALSE;

  if (mtime_ms > 0)
    {
      struct timespec times[2] = {
        { .tv_nsec = UTIME_OMIT },
        { .tv_sec = mtime_ms / 1000, .tv_nsec = (mtime_ms % 1000) * 1000000 },
      };

      if (futimens (fd, times) < 0)
        return set_io_error (error, "set the modification time of", path);
    }

  if (fsync (fd) < 0)
    return set_io_error (error, "flush", path);

  int closing_fd = g_steal_fd (&fd);
  if (close (closing_fd) < 0)
    return set_io_error (error, "close", path);

  return TRUE;
}

/* Like write_new_file(), but removes a partly written file on failure. */
static gboolean
write_temp_file (const char *path, const guint8 *data, gsize length,
                 gint64 mtime_ms, GError **error)
{
  if (write_new_file (path, data, length, mtime_ms, error))
    return TRUE;

  unlink (path);

  return FALSE;
}

static gboolean
sync_folder (JlLocalStore *self, GError **error)
{
  g_auto (LocalFd) fd = open (self->folder,
                              O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return set_io_error (error, "open folder", self->folder);

  if (fsync (fd) < 0)
    return set_io_error (error, "flush folder", self->folder);

  return TRUE;
}

static gboolean
replace_file (JlLocalStore *self, const char *temp_path, const char *path,
              GError **error)
{
  if (rename (temp_path, path) < 0)
    {
      int saved_errno = errno;

      unlink (temp_path);
      g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
                   "Failed to rename '%s' to '%s': %s", temp_path, path,
                   g_strerror (saved_errno));
      return FALSE;
    }

  return sync_folder (self, error);
}

static gboolean
replace_epoch (JlLocalStore *self, gint64 epoch, GError **error)
{
  guint8 epoch_bytes[EPOCH_BYTES];

  jl_epoch_encode (epoch, epoch_bytes);

  if (!write_temp_file (self->epoch_temp_path, epoch_bytes, EPOCH_BYTES, 0,
                        error))
    return FALSE;

  return replace_file (self, self->epoch_temp_path, self->epoch_path, error);
}

static const char *
describe_condition (WriteCondition condition)
{
  switch (condition)
    {
    case WRITE_IF_ABSENT:
      return "write_if_absent";
    case WRITE_IF_NEWER:
      return "write_if_newer";
    case WRITE_IF_SAME:
      return "write_if_same";
    }

  g_return_val_if_reached ("unknown condition");
}

static gboolean
check_condition (WriteCondition condition, gboolean stored_exists,
                 gint64 stored, gint64 offered, GError **error)
{
  gboolean accepted = FALSE;

  switch (condition)
    {
    case WRITE_IF_ABSENT:
      accepted = !stored_exists;
      break;
    case WRITE_IF_NEWER:
      accepted = !stored_exists || stored < offered;
      break;
    case WRITE_IF_SAME:
      accepted = stored_exists && stored == offered;
      break;
    }

  if (accepted)
    return TRUE;

  if (!stored_exists)
    g_set_error (error, JL_ERROR, JL_ERROR_REJECTED,
                 "Lease write (%s) rejected: no epoch is stored, offered "
                 "epoch %" G_GINT64_FORMAT,
                 describe_condition (condition), offered);
  else
    g_set_error (error, JL_ERROR, JL_ERROR_REJECTED,
                 "Lease write (%s) rejected: stored epoch %" G_GINT64_FORMAT
                 ", offered epoch %" G_GINT64_FORMAT,
                 describe_condition (condition), stored, offered);

  return FALSE;
}

/* Returns the JSON to store for @lease, or NULL with JL_ERROR_INVALID when
 * a reader would reject it. */
static char *
serialize_lease (const JlLease *lease, GError **error)
{
  g_autofree char *json = jl_lease_to_json (lease);
  g_autoptr (GError) check_error = NULL;
  g_autoptr (JlLease) check = jl_lease_from_json (json, -1, &check_error);

  if (check == NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "Invalid lease, not written: %s", check_error->message);
      return NULL;
    }

  return g_steal_pointer (&json);
}

/* Replaces the lease and, unless @condition is WRITE_IF_SAME, the epoch.
 *
 * Both replacements are written to temporary files and flushed before the
 * first rename, so a failure up to then leaves the stored files untouched.
 * The epoch file is renamed first, and the folder is flushed before the
 * lease file is renamed. A crash between the two renames therefore leaves
 * the new epoch beside the old lease. Writers never lower the stored epoch,
 * so the old leader's write_if_same is rejected in that state and no crash
 * lets a lower epoch win. The reverse order would leave the new lease under
 * the old epoch, which the old leader could then overwrite.
 *
 * NOTE: in that state a retry of write_if_newer with the new epoch is
 * rejected, because that epoch is already stored. write_if_same with it
 * succeeds and repairs the lease file. */
static gboolean
write_lease (JlLocalStore *self, const JlLease *lease, const char *json,
             WriteCondition condition, GError **error)
{
  if (!write_temp_file (self->lease_temp_path, (const guint8 *) json,
                        strlen (json), lease->renewed_at_ms, error))
    return FALSE;

  if (condition != WRITE_IF_SAME && !replace_epoch (self, lease->epoch, error))
    {
      unlink (self->lease_temp_path);
      return FALSE;
    }

  return replace_file (self, self->lease_temp_path, self->lease_path, error);
}

static gboolean
write_if (JlStore *store, const JlLease *lease, WriteCondition condition,
          GError **error)
{
  JlLocalStore *self = (JlLocalStore *) store;
  gboolean stored_exists = FALSE;
  gint64 stored = 0;

  g_return_val_if_fail (lease != NULL, FALSE);

  if (self->mode == JL_STORE_READ_ONLY)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "Lease with epoch %" G_GINT64_FORMAT " was not written: "
                   "the local store '%s' was opened read-only",
                   lease->epoch, self->folder);
      return FALSE;
    }

  g_autofree char *json = serialize_lease (lease, error);
  if (json == NULL)
    return FALSE;

  g_auto (LocalFd) lock_fd = lock_store (self, LOCK_EX, NULL, error);
  if (lock_fd < 0)
    return FALSE;

  if (!read_stored_epoch (self, &stored_exists, &stored, error))
    return FALSE;

  if (!check_condition (condition, stored_exists, stored, lease->epoch, error))
    return FALSE;

  return write_lease (self, lease, json, condition, error);
}

static gboolean
local_write_if_absent (JlStore *store, const JlLease *lease, GError **error)
{
  return write_if (store, lease, WRITE_IF_ABSENT, error);
}

static gboolean
local_write_if_newer (JlStore *store, const JlLease *lease, GError **error)
{
  return write_if (store, lease, WRITE_IF_NEWER, error);
}

static gboolean
local_write_if_same (JlStore *store, const JlLease *lease, GError **error)
{
  return write_if (store, lease, WRITE_IF_SAME, error);
}

static void
local_free (JlStore *store)
{
  JlLocalStore *self = (JlLocalStore *) store;

  g_free (self->folder);
  g_free (self->lease_path);
  g_free (self->epoch_path);
  g_free (self->lock_path);
  g_free (self->lease_temp_path);
  g_free (self->epoch_temp_path);
  g_free (self);
}

static const JlStoreClass local_store_class = {
  .name = "local",
  .read = local_read,
  .write_if_absent = local_write_if_absent,
  .write_if_newer = local_write_if_newer,
  .write_if_same = local_write_if_same,
  .free = local_free,
};

static gboolean
check_config (const JlConfig *config, GError **error)
{
  const char *path = config->metadata.path;

  if (config->metadata.kind != JL_METASTORE_LOCAL || path == NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "kylin.metadata.url does not name a local folder, so the "
                   "local lease store cannot be used");
      return FALSE;
    }

  if (!g_path_is_absolute (path))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "kylin.metadata.url folder '%s' is not an absolute path",
                   path);
      return FALSE;
    }

  return TRUE;
}

/* Returns the nearest ancestor of @path that exists but is not a folder,
 * or NULL. It explains an ENOTDIR from stat(). */
static char *
find_file_ancestor (const char *path)
{
  g_autofree char *current = g_path_get_dirname (path);

  for (;;)
    {
      struct stat info;

      if (stat (current, &info) == 0)
        return S_ISDIR (info.st_mode) ? NULL : g_steal_pointer (&current);

      g_autofree char *parent = g_path_get_dirname (current);
      if (g_str_equal (parent, current))
        return NULL;

      g_free (current);
      current = g_steal_pointer (&parent);
    }
}

static gboolean
set_not_folder_error (GError **error, const char *root, const char *path)
{
  if (g_str_equal (root, path))
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "Invalid kylin.metadata.url '%s': it exists but is not a "
                 "folder", root);
  else
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "Invalid kylin.metadata.url '%s': '%s' exists but is not a "
                 "folder", root, path);

  return FALSE;
}

/* Checks that @path is a folder. Sets *exists to FALSE and returns TRUE
 * when it is missing. @root, the kylin.metadata.url folder, is named in
 * messages. */
static gboolean
check_folder (const char *root, const char *path, gboolean *exists,
              GError **error)
{
  struct stat info;

  *exists = FALSE;

  if (stat (path, &info) == 0)
    {
      if (!S_ISDIR (info.st_mode))
        return set_not_folder_error (error, root, path);

      *exists = TRUE;
      return TRUE;
    }

  int saved_errno = errno;

  if (saved_errno == ENOENT)
    return TRUE;

  g_autofree char *file_ancestor = saved_errno == ENOTDIR
                                   ? find_file_ancestor (path) : NULL;
  if (file_ancestor != NULL)
    return set_not_folder_error (error, root, file_ancestor);

  g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
               "Cannot use the kylin.metadata.url folder '%s': failed to "
               "check '%s': %s", root, path, g_strerror (saved_errno));
  return FALSE;
}

/* Creates the folder @path unless another process just created it. */
static gboolean
make_folder (const char *root, const char *path, GError **error)
{
  gboolean exists = FALSE;

  if (mkdir (path, 0755) == 0)
    return TRUE;

  int saved_errno = errno;

  if (saved_errno == EEXIST)
    return check_folder (root, path, &exists, error);

  g_set_error (error, JL_ERROR, JL_ERROR_UNAVAILABLE,
               "Failed to create folder '%s' for kylin.metadata.url '%s': %s",
               path, root, g_strerror (saved_errno));
  return FALSE;
}

/* Creates the kylin.metadata.url folder @root. Its parent must exist, so
 * that a mistyped path fails instead of creating a new folder tree. */
static gboolean
make_root_folder (const char *root, GError **error)
{
  g_autofree char *parent = g_path_get_dirname (root);
  gboolean parent_exists = FALSE;

  if (!check_folder (root, parent, &parent_exists, error))
    return FALSE;

  if (!parent_exists)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_NOT_FOUND,
                   "Cannot create the kylin.metadata.url folder '%s': its "
                   "parent folder '%s' does not exist. Correct "
                   "kylin.metadata.url, or create '%s' first", root, parent,
                   parent);
      return FALSE;
    }

  return make_folder (root, root, error);
}

/* Checks the kylin.metadata.url folder @root and its job_engine folder
 * @folder, and in JL_STORE_READ_WRITE mode creates whichever is missing. */
static gboolean
prepare_folders (const char *root, const char *folder, JlStoreMode mode,
                 GError **error)
{
  gboolean exists = FALSE;

  if (!check_folder (root, root, &exists, error))
    return FALSE;

  if (!exists && mode == JL_STORE_READ_ONLY)
    return TRUE;

  if (!exists && !make_root_folder (root, error))
    return FALSE;

  if (!check_folder (root, folder, &exists, error))
    return FALSE;

  if (exists || mode == JL_STORE_READ_ONLY)
    return TRUE;

  return make_folder (root, folder, error);
}

JlStore *
jl_local_store_open (const JlConfig *config, JlStoreMode mode,
                     GError **error)
{
  g_return_val_if_fail (config != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_config (config, error))
    return NULL;

  /* Without a trailing '/', the parent of the root is its dirname. */
  g_autofree char *root = g_canonicalize_filename (config->metadata.path,
                                                   NULL);
  g_autofree char *lease_path = g_build_filename (root, JL_LEASE_RESOURCE,
                                                  NULL);
  g_autofree char *folder = g_path_get_dirname (lease_path);

  if (!prepare_folders (root, folder, mode, error))
    return NULL;

  g_autofree char *base = g_path_get_basename (lease_path);
  g_autofree char *hidden_base = g_strconcat (folder, G_DIR_SEPARATOR_S ".",
                                              base, NULL);

  JlLocalStore *self = g_new0 (JlLocalStore, 1);
  self->parent.klass = &local_store_class;
  self->mode = mode;
  self->epoch_path = g_strconcat (lease_path, ".epoch", NULL);
  self->lock_path = g_strconcat (hidden_base, ".lock", NULL);
  self->lease_temp_path = g_strconcat (hidden_base, ".tmp", NULL);
  self->epoch_temp_path = g_strconcat (hidden_base, ".epoch.tmp", NULL);
  self->lease_path = g_steal_pointer (&lease_path);
  self->folder = g_steal_pointer (&folder);

  return &self->parent;
}
