/* Tests for the local-folder lease store: compare-and-set semantics, the
 * on-disk layout, damaged files, failed writes and writers racing in
 * separate processes. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobleader/error.h"
#include "jobleader/store.h"
#include "unit.h"

#define RACE_WRITERS 6
#define RACE_ROUNDS 20
#define RACE_MAX_EPOCH (RACE_WRITERS * RACE_ROUNDS)
#define RACE_ATTEMPTS 25
#define UNAVAILABLE_RETRIES 10

/* Exit codes of forked children. */
enum {
  CHILD_OK = 0,
  CHILD_WRITE_SUCCEEDED = 1,
  CHILD_UNEXPECTED_ERROR = 3,
  CHILD_EPOCH_DECREASED = 4,
  CHILD_EPOCH_MISMATCH = 5,
  CHILD_TIMED_OUT = 6,
};

typedef struct {
  char *root;
  char *folder;
  char *lease_path;
  char *epoch_path;
  char *lock_path;
  JlConfig config;
  JlStore *store;
} Fixture;

static void
fixture_init (Fixture *fixture)
{
  g_autoptr (GError) error = NULL;

  memset (fixture, 0, sizeof *fixture);
  fixture->root = g_dir_make_tmp ("jl-local-store-XXXXXX", &error);
  g_assert_no_error (error);

  fixture->folder = g_build_filename (fixture->root, "job_engine", NULL);
  fixture->lease_path = g_build_filename (fixture->root, JL_LEASE_RESOURCE,
                                          NULL);
  fixture->epoch_path = g_strconcat (fixture->lease_path, ".epoch", NULL);
  fixture->lock_path = g_build_filename (fixture->folder, ".leader.json.lock",
                                         NULL);

  fixture->config.metadata.kind = JL_METASTORE_LOCAL;
  fixture->config.metadata.identifier = "kylin_metadata";
  fixture->config.metadata.path = fixture->root;

  fixture->store = jl_local_store_open (&fixture->config, JL_STORE_READ_WRITE,
                                        &error);
  g_assert_no_error (error);
}

static int
remove_entry (const char *path, const struct stat *info, int type,
              struct FTW *walk)
{
  (void) info;
  (void) type;
  (void) walk;

  return remove (path);
}

static void
fixture_clear (Fixture *fixture)
{
  if (fixture->store != NULL)
    fixture->store->klass->free (fixture->store);

  nftw (fixture->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);

  g_free (fixture->root);
  g_free (fixture->folder);
  g_free (fixture->lease_path);
  g_free (fixture->epoch_path);
  g_free (fixture->lock_path);
}

static JlLease *
make_lease (gint64 epoch, const char *holder)
{
  JlLease *lease = jl_lease_new ();

  lease->holder = g_strdup (holder);
  lease->node = g_strdup_printf ("node-%" G_GINT64_FORMAT, epoch);
  lease->epoch = epoch;
  lease->acquired_at_ms = 1700000000000 + epoch;
  lease->renewed_at_ms = 1700000001234 + epoch;
  lease->stale_at_ms = 1700000030000 + epoch;

  return lease;
}

static gboolean
write_if_absent (JlStore *store, const JlLease *lease, GError **error)
{
  return store->klass->write_if_absent (store, lease, error);
}

static gboolean
write_if_newer (JlStore *store, const JlLease *lease, GError **error)
{
  return store->klass->write_if_newer (store, lease, error);
}

static gboolean
write_if_same (JlStore *store, const JlLease *lease, GError **error)
{
  return store->klass->write_if_same (store, lease, error);
}

/* Writes a lease with @epoch and @holder when no lease is stored, and
 * checks that it was accepted. */
static void
store_initial_lease (Fixture *fixture, gint64 epoch, const char *holder)
{
  g_autoptr (JlLease) lease = make_lease (epoch, holder);
  g_autoptr (GError) error = NULL;

  CU_ASSERT_TRUE_FATAL (write_if_absent (fixture->store, lease, &error));
}

/* Reads the stored lease and checks that it has @epoch and @holder and
 * that the epoch file stores @epoch too. */
static void
assert_stored (Fixture *fixture, gint64 epoch, const char *holder)
{
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) error = NULL;
  gint64 stored_epoch = -1;

  gboolean read = fixture->store->klass->read (fixture->store, &lease,
                                                &stored_epoch, &error);

  CU_ASSERT_TRUE_FATAL (read);
  CU_ASSERT_PTR_NOT_NULL_FATAL (lease);
  CU_ASSERT_EQUAL (stored_epoch, epoch);
  CU_ASSERT_EQUAL (lease->epoch, epoch);
  CU_ASSERT_STRING_EQUAL (lease->holder, holder);
}

static void
assert_error (const GError *error, JlError code, const char *fragment)
{
  CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, code));
  CU_ASSERT_TRUE (error != NULL && strstr (error->message, fragment) != NULL);
}

static void
write_bytes (const char *path, const void *data, gsize length)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, length, &error);
  g_assert_no_error (error);
}

static void
write_epoch_file (Fixture *fixture, gint64 epoch)
{
  guint8 bytes[8];

  jl_epoch_encode (epoch, bytes);
  write_bytes (fixture->epoch_path, bytes, sizeof bytes);
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, NULL);

  return text;
}

static guint
count_open_fds (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint count = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    count++;

  return count;
}

/* Returns the exit status of @pid, or -1 when it did not exit normally. */
static int
wait_child (pid_t pid)
{
  int status = 0;

  while (waitpid (pid, &status, 0) < 0)
    {
      if (errno != EINTR)
        return -1;
    }

  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Blocks until the parent closes the write end of @start_pipe, so that all
 * children start at once. */
static void
wait_for_start (const int start_pipe[2])
{
  char byte;

  close (start_pipe[1]);
  while (read (start_pipe[0], &byte, 1) < 0 && errno == EINTR)
    ;
  close (start_pipe[0]);
}

static void
report_epoch (int fd, gint64 epoch)
{
  while (write (fd, &epoch, sizeof epoch) < 0 && errno == EINTR)
    ;
}

/* Reads the epochs that children reported until every writer closed the
 * pipe. */
static GArray *
collect_epochs (int fd)
{
  GArray *epochs = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 epoch;

  for (;;)
    {
      ssize_t count = read (fd, &epoch, sizeof epoch);
      if (count < 0 && errno == EINTR)
        continue;

      if (count != sizeof epoch)
        break;

      g_array_append_val (epochs, epoch);
    }

  return epochs;
}

static gint
compare_epochs (gconstpointer a, gconstpointer b)
{
  gint64 epoch_a = *(const gint64 *) a;
  gint64 epoch_b = *(const gint64 *) b;

  return (epoch_a > epoch_b) - (epoch_a < epoch_b);
}

typedef struct {
  int writer;        /* index of a racing writer */
  int start_pipe[2]; /* see wait_for_start() */
  int results_fd;    /* write end for report_epoch() */
} ChildArgs;

/* Runs in a forked child with its own store and returns the exit code. */
typedef int (*ChildBody) (JlStore *store, const ChildArgs *args);

/* Forks a child that opens its own store, runs @body and exits with the
 * code @body returns. Returns the child's pid in the parent. */
static pid_t
fork_child (Fixture *fixture, ChildBody body, ChildArgs *args)
{
  pid_t pid = fork ();
  if (pid != 0)
    return pid;

  int code = CHILD_UNEXPECTED_ERROR;
  JlStore *store = jl_local_store_open (&fixture->config, JL_STORE_READ_WRITE,
                                         NULL);

  if (store != NULL)
    {
      code = body (store, args);
      store->klass->free (store);
    }

  _exit (code);
}

/* Opens a local store on @path in @mode, and returns it or NULL with
 * *error set. */
static JlStore *
open_path (const char *path, JlStoreMode mode, GError **error)
{
  JlConfig config = { 0 };

  config.metadata.kind = JL_METASTORE_LOCAL;
  config.metadata.identifier = "kylin_metadata";
  config.metadata.path = (char *) path;

  return jl_local_store_open (&config, mode, error);
}

static void
free_store (JlStore *store)
{
  if (store != NULL)
    store->klass->free (store);
}

static void
remove_tree (const char *path)
{
  nftw (path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
test_local_open_creates_folders (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("jl-local-open-XXXXXX", &error);
  g_autofree char *metadata = g_build_filename (root, "meta", NULL);
  g_autofree char *metadata_slash = g_strconcat (metadata, "/", NULL);
  g_autofree char *folder = g_build_filename (metadata, "job_engine", NULL);

  /* The trailing '/' must not make "meta" its own parent. */
  JlStore *store = open_path (metadata_slash, JL_STORE_READ_WRITE, &error);

  CU_ASSERT_PTR_NOT_NULL (store);
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_TRUE (g_file_test (folder, G_FILE_TEST_IS_DIR));

  free_store (store);
  remove_tree (root);
}

static void
test_local_open_missing_parent_rejected (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("jl-local-open-XXXXXX", &error);
  g_autofree char *parent = g_build_filename (root, "missing", "dir", NULL);
  g_autofree char *metadata = g_build_filename (parent, "x", NULL);
  g_autofree char *first_missing = g_build_filename (root, "missing", NULL);

  JlStore *store = open_path (metadata, JL_STORE_READ_WRITE, &error);

  CU_ASSERT_PTR_NULL (store);
  assert_error (error, JL_ERROR_NOT_FOUND, "kylin.metadata.url");
  assert_error (error, JL_ERROR_NOT_FOUND, parent);
  CU_ASSERT_FALSE (g_file_test (first_missing, G_FILE_TEST_EXISTS));

  free_store (store);
  remove_tree (root);
}

/* Checks that opening @path in @mode fails with a message that names
 * kylin.metadata.url and the file @not_folder. */
static void
assert_open_not_folder (const char *path, JlStoreMode mode,
                        const char *not_folder)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *quoted = g_strdup_printf ("'%s'", not_folder);

  JlStore *store = open_path (path, mode, &error);

  CU_ASSERT_PTR_NULL (store);
  assert_error (error, JL_ERROR_INVALID, "kylin.metadata.url");
  assert_error (error, JL_ERROR_INVALID, quoted);
  assert_error (error, JL_ERROR_INVALID, "is not a folder");

  free_store (store);
}

static void
test_local_open_file_path_rejected (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("jl-local-open-XXXXXX", &error);
  g_autofree char *file = g_build_filename (root, "file", NULL);
  g_autofree char *below_file = g_build_filename (file, "meta", NULL);
  g_autofree char *metadata = g_build_filename (root, "meta", NULL);
  g_autofree char *job_engine = g_build_filename (metadata, "job_engine",
                                                  NULL);

  write_bytes (file, "", 0);
  CU_ASSERT_EQUAL (mkdir (metadata, 0755), 0);
  write_bytes (job_engine, "", 0);

  for (JlStoreMode mode = JL_STORE_READ_WRITE; mode <= JL_STORE_READ_ONLY;
       mode++)
    {
      assert_open_not_folder (file, mode, file);
      assert_open_not_folder (below_file, mode, file);
      assert_open_not_folder (metadata, mode, job_engine);
    }

  remove_tree (root);
}

/* Checks that @store reads "no lease stored". */
static void
assert_reads_no_lease (JlStore *store)
{
  g_autoptr (GError) error = NULL;
  JlLease sentinel = { 0 };
  JlLease *lease = &sentinel;
  gint64 stored_epoch = -1;

  CU_ASSERT_TRUE (store->klass->read (store, &lease, &stored_epoch, &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NULL (lease);
  CU_ASSERT_EQUAL (stored_epoch, 0);
}

static void
test_local_read_only_missing_folder (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("jl-local-open-XXXXXX", &error);
  g_autofree char *first_missing = g_build_filename (root, "missing", NULL);
  g_autofree char *below_missing = g_build_filename (first_missing, "dir",
                                                     "x", NULL);
  g_autofree char *job_engine = g_build_filename (root, "job_engine", NULL);
  const char *paths[] = { below_missing, root };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      JlStore *store = open_path (paths[i], JL_STORE_READ_ONLY, &error);

      CU_ASSERT_PTR_NULL (error);
      CU_ASSERT_PTR_NOT_NULL_FATAL (store);
      assert_reads_no_lease (store);
      free_store (store);
    }

  CU_ASSERT_FALSE (g_file_test (first_missing, G_FILE_TEST_EXISTS));
  CU_ASSERT_FALSE (g_file_test (job_engine, G_FILE_TEST_EXISTS));

  remove_tree (root);
}

static void
test_local_read_only_creates_no_lock_file (void)
{
  Fixture fixture;
  g_autoptr (GError) error = NULL;

  /* The read-write fixture store creates job_engine but no lock file. */
  fixture_init (&fixture);
  CU_ASSERT_TRUE (g_file_test (fixture.folder, G_FILE_TEST_IS_DIR));

  JlStore *store = open_path (fixture.root, JL_STORE_READ_ONLY, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (store);

  assert_reads_no_lease (store);
  CU_ASSERT_FALSE (g_file_test (fixture.lock_path, G_FILE_TEST_EXISTS));

  free_store (store);
  fixture_clear (&fixture);
}

static void
test_local_read_only_reads_lease (void)
{
  Fixture fixture;
  g_autoptr (GError) error = NULL;
  g_autoptr (JlLease) lease = NULL;
  gint64 stored_epoch = 0;

  fixture_init (&fixture);

  JlStore *store = open_path (fixture.root, JL_STORE_READ_ONLY, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (store);

  store_initial_lease (&fixture, 5, "node1:7070");

  CU_ASSERT_TRUE (store->klass->read (store, &lease, &stored_epoch, &error));
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (lease);
  CU_ASSERT_EQUAL (lease->epoch, 5);
  CU_ASSERT_EQUAL (stored_epoch, 5);

  free_store (store);
  fixture_clear (&fixture);
}

static void
test_local_read_only_rejects_writes (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_dir_make_tmp ("jl-local-open-XXXXXX", &error);
  g_autofree char *folder = g_build_filename (root, "job_engine", NULL);
  g_autoptr (JlLease) lease = make_lease (5, "node1:7070");
  g_autoptr (GError) acquire_error = NULL;
  g_autoptr (GError) absent_error = NULL;

  CU_ASSERT_EQUAL (mkdir (folder, 0755), 0);

  JlStore *store = open_path (root, JL_STORE_READ_ONLY, &error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (store);

  CU_ASSERT_FALSE (jl_store_acquire (store, lease, &acquire_error));
  assert_error (acquire_error, JL_ERROR_INVALID, "read-only");

  CU_ASSERT_FALSE (write_if_absent (store, lease, &absent_error));
  assert_error (absent_error, JL_ERROR_INVALID, "read-only");

  assert_reads_no_lease (store);

  /* Not even the lock file was created. */
  g_autoptr (GDir) dir = g_dir_open (folder, 0, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (dir);
  CU_ASSERT_PTR_NULL (g_dir_read_name (dir));

  free_store (store);
  remove_tree (root);
}

static void
test_local_open_relative_path (void)
{
  JlConfig config = { 0 };
  g_autoptr (GError) error = NULL;

  config.metadata.kind = JL_METASTORE_LOCAL;
  config.metadata.path = "relative/meta";

  JlStore *store = jl_local_store_open (&config, JL_STORE_READ_WRITE, &error);

  CU_ASSERT_PTR_NULL (store);
  assert_error (error, JL_ERROR_INVALID, "relative/meta");
}

static void
test_local_open_hbase_url (void)
{
  JlConfig config = { 0 };
  g_autoptr (GError) error = NULL;

  config.metadata.kind = JL_METASTORE_HBASE;
  config.metadata.identifier = "kylin_metadata";

  JlStore *store = jl_local_store_open (&config, JL_STORE_READ_WRITE, &error);

  CU_ASSERT_PTR_NULL (store);
  assert_error (error, JL_ERROR_INVALID, "kylin.metadata.url");
}

static void
test_local_read_empty (void)
{
  Fixture fixture;
  g_autoptr (GError) error = NULL;
  JlLease sentinel = { 0 };
  JlLease *lease = &sentinel;
  gint64 stored_epoch = -1;

  fixture_init (&fixture);

  CU_ASSERT_TRUE (fixture.store->klass->read (fixture.store, &lease,
                                               &stored_epoch, &error));
  CU_ASSERT_PTR_NULL (lease);
  CU_ASSERT_EQUAL (stored_epoch, 0);

  fixture_clear (&fixture);
}

static void
test_local_acquire_empty (void)
{
  Fixture fixture;

  fixture_init (&fixture);

  store_initial_lease (&fixture, 5, "node1:7070");
  assert_stored (&fixture, 5, "node1:7070");

  fixture_clear (&fixture);
}

static void
test_local_newer_on_empty (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (3, "node1:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);

  CU_ASSERT_TRUE (write_if_newer (fixture.store, lease, &error));
  assert_stored (&fixture, 3, "node1:7070");

  fixture_clear (&fixture);
}

static void
test_local_layout (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (0x0102030405, "node1:7070");
  g_autoptr (GError) error = NULL;
  static const guint8 expected_epoch[8] = { 0, 0, 0, 0x01,
                                            0x02, 0x03, 0x04, 0x05 };
  g_autofree char *epoch_bytes = NULL;
  gsize epoch_length = 0;
  struct stat info;

  fixture_init (&fixture);
  CU_ASSERT_TRUE_FATAL (write_if_absent (fixture.store, lease, &error));

  g_autofree char *json = read_text (fixture.lease_path);
  g_autoptr (JlLease) parsed = jl_lease_from_json (json, -1, &error);
  CU_ASSERT_PTR_NOT_NULL (parsed);

  g_file_get_contents (fixture.epoch_path, &epoch_bytes, &epoch_length, NULL);
  CU_ASSERT_EQUAL_FATAL (epoch_length, 8);
  CU_ASSERT_EQUAL (memcmp (epoch_bytes, expected_epoch, 8), 0);

  CU_ASSERT_EQUAL_FATAL (stat (fixture.lease_path, &info), 0);
  gint64 mtime_ms = (gint64) info.st_mtim.tv_sec * 1000
                    + info.st_mtim.tv_nsec / 1000000;
  CU_ASSERT_EQUAL (mtime_ms, lease->renewed_at_ms);
  CU_ASSERT_EQUAL (info.st_mode & 0777, 0644);

  fixture_clear (&fixture);
}

static void
test_local_absent_rejected (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (9, "node2:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");

  CU_ASSERT_FALSE (write_if_absent (fixture.store, lease, &error));
  assert_error (error, JL_ERROR_REJECTED, "stored epoch 5");
  assert_stored (&fixture, 5, "node1:7070");

  fixture_clear (&fixture);
}

static void
test_local_lower_epoch_rejected (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (4, "node2:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");

  CU_ASSERT_FALSE (write_if_newer (fixture.store, lease, &error));
  assert_error (error, JL_ERROR_REJECTED, "stored epoch 5, offered epoch 4");
  assert_stored (&fixture, 5, "node1:7070");

  fixture_clear (&fixture);
}

static void
test_local_equal_epoch_rejected (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (5, "node2:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");

  CU_ASSERT_FALSE (write_if_newer (fixture.store, lease, &error));
  assert_error (error, JL_ERROR_REJECTED, "stored epoch 5, offered epoch 5");
  assert_stored (&fixture, 5, "node1:7070");

  fixture_clear (&fixture);
}

static void
test_local_higher_epoch_accepted (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (6, "node2:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");

  CU_ASSERT_TRUE (write_if_newer (fixture.store, lease, &error));
  CU_ASSERT_PTR_NULL (error);
  assert_stored (&fixture, 6, "node2:7070");

  fixture_clear (&fixture);
}

static void
test_local_update_fenced (void)
{
  Fixture fixture;
  g_autoptr (JlLease) successor = make_lease (9, "node2:7070");
  g_autoptr (JlLease) paused = make_lease (5, "node1:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");
  CU_ASSERT_TRUE_FATAL (write_if_newer (fixture.store, successor, &error));

  paused->renewed_at_ms += 60000;
  paused->stale_at_ms += 60000;

  CU_ASSERT_FALSE (write_if_same (fixture.store, paused, &error));
  assert_error (error, JL_ERROR_REJECTED, "stored epoch 9, offered epoch 5");
  assert_stored (&fixture, 9, "node2:7070");

  fixture_clear (&fixture);
}

static void
test_local_update_same_epoch (void)
{
  Fixture fixture;
  g_autoptr (JlLease) renewed = make_lease (5, "node1:7070");
  g_autoptr (JlLease) stored = NULL;
  g_autoptr (GError) error = NULL;
  gint64 stored_epoch = 0;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");

  renewed->renewed_at_ms += 10000;
  renewed->stale_at_ms += 10000;
  renewed->released_at_ms = renewed->renewed_at_ms;

  CU_ASSERT_TRUE (write_if_same (fixture.store, renewed, &error));
  CU_ASSERT_TRUE_FATAL (fixture.store->klass->read (fixture.store, &stored,
                                                     &stored_epoch, &error));
  CU_ASSERT_PTR_NOT_NULL_FATAL (stored);
  CU_ASSERT_EQUAL (stored_epoch, 5);
  CU_ASSERT_EQUAL (stored->renewed_at_ms, renewed->renewed_at_ms);
  CU_ASSERT_EQUAL (stored->stale_at_ms, renewed->stale_at_ms);
  CU_ASSERT_EQUAL (stored->released_at_ms, renewed->released_at_ms);

  fixture_clear (&fixture);
}

static void
test_local_same_on_empty (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (5, "node1:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);

  CU_ASSERT_FALSE (write_if_same (fixture.store, lease, &error));
  assert_error (error, JL_ERROR_REJECTED, "no epoch is stored");
  CU_ASSERT_FALSE (g_file_test (fixture.lease_path, G_FILE_TEST_EXISTS));

  fixture_clear (&fixture);
}

static void
test_local_invalid_lease (void)
{
  Fixture fixture;
  g_autoptr (JlLease) zero_epoch = make_lease (0, "node2:7070");
  g_autoptr (JlLease) no_holder = make_lease (8, "node2:7070");
  g_autoptr (JlLease) negative_time = make_lease (8, "node2:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");
  g_clear_pointer (&no_holder->holder, g_free);
  negative_time->stale_at_ms = -1;

  CU_ASSERT_FALSE (write_if_newer (fixture.store, zero_epoch, &error));
  assert_error (error, JL_ERROR_INVALID, "epoch");
  g_clear_error (&error);

  CU_ASSERT_FALSE (write_if_newer (fixture.store, no_holder, &error));
  assert_error (error, JL_ERROR_INVALID, "holder");
  g_clear_error (&error);

  CU_ASSERT_FALSE (write_if_newer (fixture.store, negative_time, &error));
  assert_error (error, JL_ERROR_INVALID, "stale_at_ms");

  assert_stored (&fixture, 5, "node1:7070");

  fixture_clear (&fixture);
}

static void
test_local_damaged_content (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) error = NULL;
  gint64 stored_epoch = 0;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 7, "node1:7070");
  write_bytes (fixture.lease_path, "{\"holder\":\"node1:70", 19);

  CU_ASSERT_FALSE (fixture.store->klass->read (fixture.store, &lease,
                                                &stored_epoch, &error));
  assert_error (error, JL_ERROR_CORRUPT, fixture.lease_path);
  CU_ASSERT_EQUAL (stored_epoch, 7);
  CU_ASSERT_PTR_NULL (lease);

  fixture_clear (&fixture);
}

static void
test_local_damaged_content_repaired (void)
{
  Fixture fixture;
  g_autoptr (JlLease) renewed = make_lease (7, "node1:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 7, "node1:7070");
  write_bytes (fixture.lease_path, "\0\0\0", 3);

  CU_ASSERT_TRUE (write_if_same (fixture.store, renewed, &error));
  CU_ASSERT_PTR_NULL (error);
  assert_stored (&fixture, 7, "node1:7070");

  fixture_clear (&fixture);
}

/* Checks that reads and every kind of write report a damaged epoch file
 * as JL_ERROR_CORRUPT and leave the lease file as it was. */
static void
assert_epoch_file_rejected (Fixture *fixture)
{
  g_autoptr (JlLease) newer = make_lease (100, "node2:7070");
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) read_error = NULL;
  g_autoptr (GError) newer_error = NULL;
  g_autoptr (GError) absent_error = NULL;
  g_autoptr (GError) same_error = NULL;
  gint64 stored_epoch = -1;
  g_autofree char *before = read_text (fixture->lease_path);

  CU_ASSERT_FALSE (fixture->store->klass->read (fixture->store, &lease,
                                                 &stored_epoch, &read_error));
  assert_error (read_error, JL_ERROR_CORRUPT, fixture->epoch_path);
  CU_ASSERT_EQUAL (stored_epoch, 0);

  CU_ASSERT_FALSE (write_if_newer (fixture->store, newer, &newer_error));
  assert_error (newer_error, JL_ERROR_CORRUPT, "remove the file");

  CU_ASSERT_FALSE (write_if_absent (fixture->store, newer, &absent_error));
  assert_error (absent_error, JL_ERROR_CORRUPT, fixture->epoch_path);

  CU_ASSERT_FALSE (write_if_same (fixture->store, newer, &same_error));
  assert_error (same_error, JL_ERROR_CORRUPT, fixture->epoch_path);

  g_autofree char *after = read_text (fixture->lease_path);
  CU_ASSERT_STRING_EQUAL (after, before);
}

static void
test_local_short_epoch_file (void)
{
  Fixture fixture;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");
  write_bytes (fixture.epoch_path, "\0\0\5", 3);

  assert_epoch_file_rejected (&fixture);

  fixture_clear (&fixture);
}

static void
test_local_long_epoch_file (void)
{
  Fixture fixture;
  g_autofree char *junk = g_strnfill (10000, 'x');

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");
  write_bytes (fixture.epoch_path, junk, 10000);

  assert_epoch_file_rejected (&fixture);

  fixture_clear (&fixture);
}

static void
test_local_zero_epoch_file (void)
{
  Fixture fixture;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");
  write_bytes (fixture.epoch_path, "\0\0\0\0\0\0\0\0", 8);

  assert_epoch_file_rejected (&fixture);

  fixture_clear (&fixture);
}

static void
test_local_removed_epoch_file (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (2, "node2:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");
  write_bytes (fixture.epoch_path, "bad", 3);

  /* The recovery step that the CORRUPT message asks an operator to take. */
  CU_ASSERT_EQUAL (unlink (fixture.epoch_path), 0);

  CU_ASSERT_TRUE (write_if_absent (fixture.store, lease, &error));
  CU_ASSERT_PTR_NULL (error);
  assert_stored (&fixture, 2, "node2:7070");

  fixture_clear (&fixture);
}

static void
test_local_interrupted_write (void)
{
  Fixture fixture;
  g_autoptr (JlLease) old_leader = make_lease (5, "node1:7070");
  g_autoptr (JlLease) new_leader = make_lease (9, "node2:7070");
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) error = NULL;
  gint64 stored_epoch = 0;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");

  /* The state a crash leaves between the two renames of a write with
   * epoch 9: the new epoch beside the old lease. */
  write_epoch_file (&fixture, 9);

  CU_ASSERT_TRUE (fixture.store->klass->read (fixture.store, &lease,
                                               &stored_epoch, &error));
  CU_ASSERT_EQUAL (stored_epoch, 9);
  CU_ASSERT_EQUAL (lease->epoch, 5);

  CU_ASSERT_FALSE (write_if_same (fixture.store, old_leader, &error));
  assert_error (error, JL_ERROR_REJECTED, "stored epoch 9, offered epoch 5");
  g_clear_error (&error);

  CU_ASSERT_TRUE (write_if_same (fixture.store, new_leader, &error));
  assert_stored (&fixture, 9, "node2:7070");

  fixture_clear (&fixture);
}

/* Checks that @message contains @fragment, and prints it otherwise. */
static void
assert_message_has (const char *message, const char *fragment)
{
  gboolean found = message != NULL && strstr (message, fragment) != NULL;

  if (!found)
    fprintf (stderr, "\n  '%s' is not in: %s\n", fragment, message);
  CU_ASSERT_TRUE (found);
}

static void
assert_message_lacks (const char *message, const char *fragment)
{
  gboolean found = message != NULL && strstr (message, fragment) != NULL;

  if (found)
    fprintf (stderr, "\n  '%s' is in: %s\n", fragment, message);
  CU_ASSERT_FALSE (found);
}

/* Reads the store and checks the stored epoch and the epoch of the lease
 * content. */
static void
assert_epochs (Fixture *fixture, gint64 stored_epoch, gint64 content_epoch)
{
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) error = NULL;
  gint64 epoch = -1;

  CU_ASSERT_TRUE_FATAL (fixture->store->klass->read (fixture->store, &lease,
                                                      &epoch, &error));
  CU_ASSERT_PTR_NOT_NULL_FATAL (lease);
  CU_ASSERT_EQUAL (epoch, stored_epoch);
  CU_ASSERT_EQUAL (lease->epoch, content_epoch);
}

/* A renewal after the epoch file was removed, while the lease content
 * still carries the leader's own epoch. */
static void
test_local_update_rejection_without_epoch (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (1649, "localhost:7071");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  CU_ASSERT_TRUE_FATAL (jl_store_acquire (fixture.store, lease, &error));
  CU_ASSERT_EQUAL_FATAL (unlink (fixture.epoch_path), 0);

  lease->renewed_at_ms += 5000;
  CU_ASSERT_FALSE (jl_store_update (fixture.store, lease, &error));
  CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, JL_ERROR_REJECTED));

  const char *message = error != NULL ? error->message : NULL;
  assert_message_has (message, "Lease with epoch 1649 was rejected");
  assert_message_has (message, "contains no epoch");
  assert_message_has (message, "lease content has epoch 1649");
  assert_message_has (message, "'localhost:7071'");
  assert_message_lacks (message, "contains epoch 1649");

  fixture_clear (&fixture);
}

/* A stored epoch above the content's epoch, as an operator or a wiped
 * ZooKeeper can leave it. */
static void
test_local_update_rejection_names_stored_epoch (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (1651, "localhost:7071");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 1651, "localhost:7071");
  write_epoch_file (&fixture, 268435456);

  CU_ASSERT_FALSE (jl_store_update (fixture.store, lease, &error));
  CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, JL_ERROR_REJECTED));

  const char *message = error != NULL ? error->message : NULL;
  assert_message_has (message, "Lease with epoch 1651 was rejected");
  assert_message_has (message, "contains epoch 268435456");
  assert_message_has (message, "lease content has epoch 1651");
  assert_message_has (message, "'localhost:7071'");

  fixture_clear (&fixture);
}

static void
test_local_acquire_rejection_names_stored_epoch (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (1652, "localhost:7072");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 1651, "localhost:7071");
  write_epoch_file (&fixture, 268435456);

  CU_ASSERT_FALSE (jl_store_acquire (fixture.store, lease, &error));
  CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, JL_ERROR_REJECTED));

  const char *message = error != NULL ? error->message : NULL;
  assert_message_has (message, "Lease with epoch 1652 was rejected");
  assert_message_has (message, "contains epoch 268435456");
  assert_message_has (message, "lease content has epoch 1651");
  assert_message_has (message, "'localhost:7071'");
  assert_message_lacks (message, "lower");
  assert_message_lacks (message, "try again");
  assert_epochs (&fixture, 268435456, 1651);

  fixture_clear (&fixture);
}

/* Runs in a child whose file size limit is smaller than a lease file, and
 * returns CHILD_OK when the write fails as JL_ERROR_UNAVAILABLE. */
static int
write_over_size_limit (JlStore *store, const ChildArgs *args)
{
  struct rlimit limit = { .rlim_cur = 64, .rlim_max = 64 };
  g_autoptr (JlLease) lease = make_lease (8, "node2.example.com:7070");
  g_autoptr (GError) error = NULL;

  (void) args;

  signal (SIGXFSZ, SIG_IGN);
  if (setrlimit (RLIMIT_FSIZE, &limit) < 0)
    return CHILD_UNEXPECTED_ERROR;

  if (write_if_newer (store, lease, &error))
    return CHILD_WRITE_SUCCEEDED;

  if (!g_error_matches (error, JL_ERROR, JL_ERROR_UNAVAILABLE))
    return CHILD_UNEXPECTED_ERROR;

  return CHILD_OK;
}

static void
test_local_failed_write_keeps_lease (void)
{
  /* Running as root, read-only permissions block nothing, so the write
   * fails on a file size limit (RLIMIT_FSIZE), as on a full disk. */
  Fixture fixture;
  g_autofree char *lease_temp = NULL;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");
  g_autofree char *before = read_text (fixture.lease_path);

  ChildArgs args = { 0 };
  pid_t pid = fork_child (&fixture, write_over_size_limit, &args);
  CU_ASSERT_FATAL (pid >= 0);

  CU_ASSERT_EQUAL (wait_child (pid), CHILD_OK);

  g_autofree char *after = read_text (fixture.lease_path);
  CU_ASSERT_STRING_EQUAL (after, before);
  assert_stored (&fixture, 5, "node1:7070");

  lease_temp = g_build_filename (fixture.folder, ".leader.json.tmp", NULL);
  CU_ASSERT_FALSE (g_file_test (lease_temp, G_FILE_TEST_EXISTS));

  fixture_clear (&fixture);
}

static void
test_local_folder_unavailable (void)
{
  Fixture fixture;
  g_autoptr (JlLease) lease = make_lease (5, "node1:7070");
  g_autoptr (GError) error = NULL;

  fixture_init (&fixture);

  /* A regular file where the job_engine folder should be. */
  CU_ASSERT_EQUAL (rmdir (fixture.folder), 0);
  write_bytes (fixture.folder, "", 0);

  CU_ASSERT_FALSE (write_if_absent (fixture.store, lease, &error));
  assert_error (error, JL_ERROR_UNAVAILABLE, fixture.lock_path);

  fixture_clear (&fixture);
}

static void
test_local_lock_timeout (void)
{
  Fixture fixture;
  g_autoptr (JlLease) renewed = make_lease (5, "node1:7070");
  g_autoptr (JlLease) lease = NULL;
  g_autoptr (GError) read_error = NULL;
  g_autoptr (GError) write_error = NULL;
  gint64 stored_epoch = 0;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 5, "node1:7070");

  int holder_fd = open (fixture.lock_path, O_RDONLY | O_CLOEXEC);
  CU_ASSERT_FATAL (holder_fd >= 0);
  CU_ASSERT_EQUAL (flock (holder_fd, LOCK_SH), 0);

  CU_ASSERT_TRUE (fixture.store->klass->read (fixture.store, &lease,
                                               &stored_epoch, &read_error));
  CU_ASSERT_EQUAL (stored_epoch, 5);

  gint64 start = g_get_monotonic_time ();
  CU_ASSERT_FALSE (write_if_same (fixture.store, renewed, &write_error));
  gint64 waited_ms = (g_get_monotonic_time () - start) / 1000;

  assert_error (write_error, JL_ERROR_UNAVAILABLE, "Timed out");
  CU_ASSERT_TRUE (waited_ms >= 1000);
  CU_ASSERT_TRUE (waited_ms < 10000);

  close (holder_fd);
  fixture_clear (&fixture);
}

static void
test_local_no_fd_leak (void)
{
  Fixture fixture;
  g_autoptr (JlLease) newer = make_lease (9, "node2:7070");
  g_autoptr (JlLease) lower = make_lease (2, "node3:7070");
  g_autoptr (JlLease) lease = NULL;
  gint64 stored_epoch = 0;

  fixture_init (&fixture);
  guint before = count_open_fds ();

  store_initial_lease (&fixture, 5, "node1:7070");
  write_if_newer (fixture.store, newer, NULL);
  write_if_newer (fixture.store, lower, NULL);
  write_if_same (fixture.store, newer, NULL);
  fixture.store->klass->read (fixture.store, &lease, &stored_epoch, NULL);
  write_bytes (fixture.epoch_path, "bad", 3);
  write_if_newer (fixture.store, newer, NULL);

  CU_ASSERT_EQUAL (count_open_fds (), before);

  fixture_clear (&fixture);
}

static gint64
race_epoch (int writer, int round)
{
  return (gint64) round * RACE_WRITERS + (writer + round) % RACE_WRITERS + 1;
}

/* Returns the result of write_if_newer, retrying while the lock is busy. */
static gboolean
write_if_newer_retrying (JlStore *store, const JlLease *lease, GError **error)
{
  for (int attempt = 0;; attempt++)
    {
      g_autoptr (GError) local_error = NULL;

      if (write_if_newer (store, lease, &local_error))
        return TRUE;

      if (attempt == UNAVAILABLE_RETRIES
          || !g_error_matches (local_error, JL_ERROR, JL_ERROR_UNAVAILABLE))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
    }
}

/* Offers this writer's epochs, round after round, and reports each
 * accepted epoch. */
static int
race_distinct_writer (JlStore *store, const ChildArgs *args)
{
  g_autofree char *holder = g_strdup_printf ("writer-%d", args->writer);

  wait_for_start (args->start_pipe);

  for (int round = 0; round < RACE_ROUNDS; round++)
    {
      g_autoptr (JlLease) lease = make_lease (race_epoch (args->writer, round),
                                              holder);
      g_autoptr (GError) error = NULL;

      if (write_if_newer_retrying (store, lease, &error))
        report_epoch (args->results_fd, lease->epoch);
      else if (!g_error_matches (error, JL_ERROR, JL_ERROR_REJECTED))
        return CHILD_UNEXPECTED_ERROR;
    }

  return CHILD_OK;
}

/* Reads the store until it stores RACE_MAX_EPOCH, and checks that the
 * stored epoch never decreases and that the lease always carries the
 * stored epoch. */
static int
race_observer (JlStore *store, const ChildArgs *args)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  gint64 previous = 0;

  wait_for_start (args->start_pipe);

  while (previous < RACE_MAX_EPOCH)
    {
      g_autoptr (JlLease) lease = NULL;
      g_autoptr (GError) error = NULL;
      gint64 stored_epoch = 0;

      if (g_get_monotonic_time () > deadline)
        return CHILD_TIMED_OUT;

      if (!store->klass->read (store, &lease, &stored_epoch, &error))
        {
          if (!g_error_matches (error, JL_ERROR, JL_ERROR_UNAVAILABLE))
            return CHILD_UNEXPECTED_ERROR;
          continue;
        }

      if (stored_epoch < previous)
        return CHILD_EPOCH_DECREASED;

      if (lease != NULL && lease->epoch != stored_epoch)
        return CHILD_EPOCH_MISMATCH;

      previous = stored_epoch;
      g_usleep (500);
    }

  return CHILD_OK;
}

/* Reads the stored epoch and offers the next one, so that every writer
 * competes on the same compare, and reports each accepted epoch. */
static int
race_increment_writer (JlStore *store, const ChildArgs *args)
{
  g_autofree char *holder = g_strdup_printf ("writer-%d", args->writer);

  wait_for_start (args->start_pipe);

  for (int attempt = 0; attempt < RACE_ATTEMPTS; attempt++)
    {
      g_autoptr (JlLease) stored = NULL;
      g_autoptr (GError) error = NULL;
      gint64 stored_epoch = 0;

      if (!store->klass->read (store, &stored, &stored_epoch, &error))
        {
          if (!g_error_matches (error, JL_ERROR, JL_ERROR_UNAVAILABLE))
            return CHILD_UNEXPECTED_ERROR;
          continue;
        }

      g_autoptr (JlLease) lease = make_lease (stored_epoch + 1, holder);
      if (write_if_newer (store, lease, &error))
        report_epoch (args->results_fd, lease->epoch);
      else if (!g_error_matches (error, JL_ERROR, JL_ERROR_REJECTED)
               && !g_error_matches (error, JL_ERROR, JL_ERROR_UNAVAILABLE))
        return CHILD_UNEXPECTED_ERROR;
    }

  return CHILD_OK;
}

/* Forks RACE_WRITERS children running @writer, plus one running @observer
 * unless it is NULL, starts them at once and checks that each exits with
 * CHILD_OK. Returns the accepted epochs that the writers reported, sorted. */
static GArray *
run_race (Fixture *fixture, ChildBody writer, ChildBody observer)
{
  ChildArgs args = { 0 };
  pid_t pids[RACE_WRITERS + 1];
  int results_pipe[2];
  int children = 0;

  CU_ASSERT_EQUAL_FATAL (pipe2 (args.start_pipe, O_CLOEXEC), 0);
  CU_ASSERT_EQUAL_FATAL (pipe2 (results_pipe, O_CLOEXEC), 0);
  args.results_fd = results_pipe[1];

  for (int index = 0; index <= RACE_WRITERS; index++)
    {
      ChildBody body = index < RACE_WRITERS ? writer : observer;
      if (body == NULL)
        continue;

      args.writer = index;
      pids[children] = fork_child (fixture, body, &args);
      CU_ASSERT_FATAL (pids[children] > 0);
      children++;
    }

  close (args.start_pipe[0]);
  close (args.start_pipe[1]);
  close (results_pipe[1]);
  GArray *accepted = collect_epochs (results_pipe[0]);
  close (results_pipe[0]);

  for (int child = 0; child < children; child++)
    CU_ASSERT_EQUAL (wait_child (pids[child]), CHILD_OK);

  g_array_sort (accepted, compare_epochs);

  return accepted;
}

static void
test_local_race_distinct_epochs (void)
{
  Fixture fixture;

  fixture_init (&fixture);

  g_autoptr (GArray) accepted = run_race (&fixture, race_distinct_writer,
                                          race_observer);

  /* The writer that owns the maximum epoch always succeeds, because
   * nothing higher can be stored before it. */
  int owner = (RACE_WRITERS - RACE_ROUNDS % RACE_WRITERS) % RACE_WRITERS;
  g_autofree char *owner_name = g_strdup_printf ("writer-%d", owner);
  CU_ASSERT_EQUAL (race_epoch (owner, RACE_ROUNDS - 1), RACE_MAX_EPOCH);
  assert_stored (&fixture, RACE_MAX_EPOCH, owner_name);

  CU_ASSERT_TRUE_FATAL (accepted->len >= 1);
  for (guint i = 1; i < accepted->len; i++)
    CU_ASSERT_TRUE (g_array_index (accepted, gint64, i - 1)
                    < g_array_index (accepted, gint64, i));
  CU_ASSERT_EQUAL (g_array_index (accepted, gint64, accepted->len - 1),
                   RACE_MAX_EPOCH);

  fixture_clear (&fixture);
}

static void
test_local_race_same_compare (void)
{
  Fixture fixture;
  g_autoptr (JlLease) final = NULL;
  g_autoptr (GError) error = NULL;
  gint64 final_epoch = 0;

  fixture_init (&fixture);
  store_initial_lease (&fixture, 1, "setup");

  g_autoptr (GArray) accepted = run_race (&fixture, race_increment_writer,
                                          NULL);

  CU_ASSERT_TRUE_FATAL (fixture.store->klass->read (fixture.store, &final,
                                                     &final_epoch, &error));

  /* Each accepted write moved the epoch from e - 1 to e. Two writers
   * accepted on the same compare would report the same epoch twice. */
  CU_ASSERT_TRUE (accepted->len >= 1);
  CU_ASSERT_EQUAL (accepted->len, final_epoch - 1);
  for (guint i = 0; i < accepted->len; i++)
    {
      gint64 epoch = g_array_index (accepted, gint64, i);

      CU_ASSERT_EQUAL (epoch, (gint64) i + 2);
      if (epoch != (gint64) i + 2)
        break;
    }

  fixture_clear (&fixture);
}

static CU_TestInfo local_store_tests[] = {
  { "local open creates folders", test_local_open_creates_folders },
  { "local open missing parent rejected",
    test_local_open_missing_parent_rejected },
  { "local open file path rejected", test_local_open_file_path_rejected },
  { "local read-only missing folder", test_local_read_only_missing_folder },
  { "local read-only creates no lock file",
    test_local_read_only_creates_no_lock_file },
  { "local read-only reads lease", test_local_read_only_reads_lease },
  { "local read-only rejects writes", test_local_read_only_rejects_writes },
  { "local open relative path", test_local_open_relative_path },
  { "local open HBase URL", test_local_open_hbase_url },
  { "local read empty", test_local_read_empty },
  { "local acquire empty", test_local_acquire_empty },
  { "local newer on empty", test_local_newer_on_empty },
  { "local file layout", test_local_layout },
  { "local absent rejected", test_local_absent_rejected },
  { "local lower epoch rejected", test_local_lower_epoch_rejected },
  { "local equal epoch rejected", test_local_equal_epoch_rejected },
  { "local higher epoch accepted", test_local_higher_epoch_accepted },
  { "local update fenced", test_local_update_fenced },
  { "local update same epoch", test_local_update_same_epoch },
  { "local same on empty", test_local_same_on_empty },
  { "local invalid lease", test_local_invalid_lease },
  { "local damaged content", test_local_damaged_content },
  { "local damaged content repaired", test_local_damaged_content_repaired },
  { "local short epoch file", test_local_short_epoch_file },
  { "local long epoch file", test_local_long_epoch_file },
  { "local zero epoch file", test_local_zero_epoch_file },
  { "local removed epoch file", test_local_removed_epoch_file },
  { "local interrupted write", test_local_interrupted_write },
  { "local update rejection without epoch",
    test_local_update_rejection_without_epoch },
  { "local update rejection names stored epoch",
    test_local_update_rejection_names_stored_epoch },
  { "local acquire rejection names stored epoch",
    test_local_acquire_rejection_names_stored_epoch },
  { "local failed write keeps lease", test_local_failed_write_keeps_lease },
  { "local folder unavailable", test_local_folder_unavailable },
  { "local lock timeout", test_local_lock_timeout },
  { "local no fd leak", test_local_no_fd_leak },
  { "local race distinct epochs", test_local_race_distinct_epochs },
  { "local race same compare", test_local_race_same_compare },
  CU_TEST_INFO_NULL,
};

void
register_local_store_tests (void)
{
  JL_ADD_SUITE ("local store", local_store_tests);
}
