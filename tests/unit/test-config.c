/* Unit tests for kylin.properties loading and kylin.metadata.url parsing. */
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <zookeeper/zookeeper.h>

#include "jobleader/config.h"
#include "jobleader/error.h"
#include "unit.h"

/* The two keys every HBase-backed configuration needs, on lines 1 and 2,
 * so that a line appended to it is line 3. */
#define REQUIRED_LINES                                                 \
  "kylin.env.zookeeper-connect-string=zk1:2181,zk2:2181\n"             \
  "kylin.jobleader.hbase.thrift-servers=thrift1:9090\n"

#define KEY_SESSION_TIMEOUT "kylin.jobleader.zookeeper.session-timeout-ms"

/* Checks that @error is JL_ERROR_INVALID and its message contains
 * @fragment. */
#define ASSERT_INVALID(error, fragment)                                \
  do {                                                                 \
    CU_ASSERT_PTR_NOT_NULL_FATAL (error);                              \
    CU_ASSERT_TRUE (g_error_matches ((error), JL_ERROR,                \
                                     JL_ERROR_INVALID));               \
    CU_ASSERT_PTR_NOT_NULL (strstr ((error)->message, (fragment)));    \
  } while (0)

/* A folder containing kylin.properties and, optionally, its override file. */
typedef struct {
  char *dir;
  char *path;
  char *override_path;
} ConfigFolder;

static void
config_folder_remove (ConfigFolder *folder)
{
  g_unlink (folder->path);
  g_unlink (folder->override_path);
  g_rmdir (folder->dir);
  g_free (folder->dir);
  g_free (folder->path);
  g_free (folder->override_path);
}

/* Creates a temporary folder with kylin.properties = @text and, unless
 * @override_text is NULL, kylin.properties.override. */
static void
config_folder_create (ConfigFolder *folder, const char *text,
                      const char *override_text)
{
  folder->dir = g_dir_make_tmp ("jl-config-XXXXXX", NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (folder->dir);

  folder->path = g_build_filename (folder->dir, "kylin.properties", NULL);
  folder->override_path = g_build_filename (folder->dir,
                                            "kylin.properties.override", NULL);

  CU_ASSERT_TRUE (g_file_set_contents (folder->path, text, -1, NULL));

  if (override_text != NULL)
    CU_ASSERT_TRUE (g_file_set_contents (folder->override_path, override_text,
                                         -1, NULL));
}

/* Loads @text (and @override_text) from a temporary folder. Stores the
 * path the main file had in @path unless it is NULL. The folder is removed
 * before this returns. */
static JlConfig *
load_texts (const char *text, const char *override_text, char **path,
            GError **error)
{
  ConfigFolder folder;
  JlConfig *config;

  config_folder_create (&folder, text, override_text);
  config = jl_config_load (folder.path, error);

  if (path != NULL)
    *path = g_strdup (folder.path);

  config_folder_remove (&folder);
  return config;
}

/* Loads REQUIRED_LINES followed by @extra, which must succeed. */
static JlConfig *
load_valid (const char *extra)
{
  g_autofree char *text = g_strconcat (REQUIRED_LINES, extra, NULL);
  g_autoptr (GError) error = NULL;
  JlConfig *config = load_texts (text, NULL, NULL, &error);

  CU_ASSERT_PTR_NULL (error);
  if (error != NULL)
    printf ("\n  unexpected error: %s\n", error->message);

  return config;
}

/* Loads REQUIRED_LINES followed by @extra, which must fail, and stores
 * "PATH:LINE" for @line in @location unless it is NULL. */
static GError *
load_invalid (const char *extra, guint line, char **location)
{
  g_autofree char *text = g_strconcat (REQUIRED_LINES, extra, NULL);
  g_autofree char *path = NULL;
  GError *error = NULL;
  g_autoptr (JlConfig) config = load_texts (text, NULL, &path, &error);

  CU_ASSERT_PTR_NULL (config);

  if (location != NULL)
    *location = g_strdup_printf ("%s:%u", path, line);

  return error;
}

/* Checks that @extra, appended as line 3, is rejected with a message that
 * names @key, @value and the file and line. */
static void
assert_rejected (const char *key, const char *value)
{
  g_autofree char *extra = g_strdup_printf ("%s=%s\n", key, value);
  g_autofree char *quoted = g_strdup_printf ("'%s'", value);
  g_autofree char *location = NULL;
  g_autoptr (GError) error = load_invalid (extra, 3, &location);

  ASSERT_INVALID (error, key);
  ASSERT_INVALID (error, quoted);
  ASSERT_INVALID (error, location);
}

/* Checks that @error's message contains @fragment, and prints the message
 * when it does not. */
static void
assert_message_contains (const GError *error, const char *fragment)
{
  gboolean found = error != NULL
                   && strstr (error->message, fragment) != NULL;

  CU_ASSERT_TRUE (found);
  if (!found)
    printf ("\n  expected '%s' in: %s\n", fragment,
            error != NULL ? error->message : "(no error)");
}

/* Checks that @key=@written, appended as line 3, is rejected with a message
 * that names @key, @shown (the value after unescaping), the file and line,
 * and the fix @fix. Returns the error for further checks. */
static GError *
assert_rejected_with_fix (const char *key, const char *written,
                          const char *shown, const char *fix)
{
  g_autofree char *extra = g_strdup_printf ("%s=%s\n", key, written);
  g_autofree char *quoted = g_strdup_printf ("'%s'", shown);
  g_autofree char *location = NULL;
  GError *error = load_invalid (extra, 3, &location);

  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, JL_ERROR_INVALID));
  assert_message_contains (error, key);
  assert_message_contains (error, quoted);
  assert_message_contains (error, location);
  assert_message_contains (error, fix);

  return error;
}

static guint
load_milliseconds (const char *key, const char *value, gsize offset)
{
  g_autofree char *extra = g_strdup_printf ("%s=%s\n", key, value);
  g_autoptr (JlConfig) config = load_valid (extra);

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);

  return G_STRUCT_MEMBER (guint, config, offset);
}

/* Checks the accepted range of a millisecond setting: @min and @max load,
 * @below and @above are rejected. */
static void
assert_milliseconds_range (const char *key, gsize offset, const char *min,
                           const char *max, const char *below,
                           const char *above)
{
  CU_ASSERT_EQUAL (load_milliseconds (key, min, offset), atoi (min));
  assert_rejected (key, below);

  if (max == NULL)
    return;

  CU_ASSERT_EQUAL (load_milliseconds (key, max, offset), atoi (max));
  assert_rejected (key, above);
}

static void
test_config_defaults (void)
{
  g_autoptr (JlConfig) config = load_valid ("");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_STRING_EQUAL (config->server_mode, "all");
  CU_ASSERT_TRUE (config->job_capable);
  CU_ASSERT_STRING_EQUAL (config->host_address, "localhost:7070");
  CU_ASSERT_TRUE (config->host_address_is_default);
  CU_ASSERT_EQUAL (config->metadata.kind, JL_METASTORE_HBASE);
  CU_ASSERT_STRING_EQUAL (config->metadata.identifier, "kylin_metadata");
  CU_ASSERT_PTR_NULL (config->metadata.path);
  CU_ASSERT_STRING_EQUAL (config->cluster_name, "kylin_metadata");
  CU_ASSERT_STRING_EQUAL (config->zk_connect, "zk1:2181,zk2:2181");
  CU_ASSERT_STRING_EQUAL (config->zk_base_path, "/kylin");
  CU_ASSERT_EQUAL (config->zk_session_timeout_ms, 10000);
  CU_ASSERT_EQUAL (config->zk_safety_margin_ms, 2000);
  CU_ASSERT_EQUAL (config->thrift_timeout_ms, 5000);
  CU_ASSERT_EQUAL (config->lease_renew_ms, 5000);
  CU_ASSERT_EQUAL (config->lease_ttl_ms, 30000);
  CU_ASSERT_EQUAL (config->retry_max_ms, 10000);
  CU_ASSERT_PTR_NULL (config->event_log);
  CU_ASSERT_PTR_NULL (config->hook);
}

static void
test_config_source_path (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr (JlConfig) config = load_texts (REQUIRED_LINES, NULL, &path,
                                            &error);

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_STRING_EQUAL (config->source, path);
}

static void
test_config_election_path_default (void)
{
  g_autoptr (JlConfig) config = load_valid ("");
  g_autofree char *election_path = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  election_path = jl_config_election_path (config);

  CU_ASSERT_STRING_EQUAL (election_path,
                          "/kylin/kylin_metadata/job_engine/leader");
}

static void
test_config_cluster_name_override (void)
{
  g_autoptr (JlConfig) config =
    load_valid ("kylin.server.cluster-name=prod\n");
  g_autofree char *election_path = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  election_path = jl_config_election_path (config);

  CU_ASSERT_STRING_EQUAL (config->cluster_name, "prod");
  CU_ASSERT_STRING_EQUAL (election_path, "/kylin/prod/job_engine/leader");
}

static void
test_config_cluster_name_from_identifier (void)
{
  g_autoptr (JlConfig) config =
    load_valid ("kylin.metadata.url=ns:meta_prod@hbase\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_STRING_EQUAL (config->cluster_name, "ns:meta_prod");
}

static void
test_config_cluster_name_invalid (void)
{
  assert_rejected ("kylin.server.cluster-name", "a/b");
  assert_rejected ("kylin.server.cluster-name", "..");
  assert_rejected ("kylin.server.cluster-name", "");
}

static void
test_config_query_mode (void)
{
  g_autoptr (JlConfig) config = load_valid ("kylin.server.mode=query\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_FALSE (config->job_capable);
  CU_ASSERT_STRING_EQUAL (config->server_mode, "query");
}

static void
test_config_job_mode (void)
{
  g_autoptr (JlConfig) config = load_valid ("kylin.server.mode=job\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_TRUE (config->job_capable);
}

static void
test_config_mode_list (void)
{
  g_autoptr (JlConfig) config = load_valid ("kylin.server.mode=query,job\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_TRUE (config->job_capable);
  CU_ASSERT_STRING_EQUAL (config->server_mode, "query,job");
}

static void
test_config_mode_case_and_blanks (void)
{
  g_autoptr (JlConfig) config =
    load_valid ("kylin.server.mode= Query , ALL \n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_TRUE (config->job_capable);
  CU_ASSERT_STRING_EQUAL (config->server_mode, "query , all");
}

static void
test_config_bad_mode (void)
{
  g_autofree char *location = NULL;
  g_autoptr (GError) error = load_invalid ("kylin.server.mode=query,jobs\n",
                                           3, &location);

  ASSERT_INVALID (error, "kylin.server.mode");
  ASSERT_INVALID (error, "'query,jobs'");
  ASSERT_INVALID (error, "'jobs'");
  ASSERT_INVALID (error, location);
}

static void
test_config_empty_mode (void)
{
  assert_rejected ("kylin.server.mode", ",");
}

static void
test_config_host_address_set (void)
{
  g_autoptr (JlConfig) config =
    load_valid ("kylin.server.host-address=kylin1.example.com:7070\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_STRING_EQUAL (config->host_address, "kylin1.example.com:7070");
  CU_ASSERT_FALSE (config->host_address_is_default);
}

static void
test_config_host_address_explicit_default (void)
{
  g_autoptr (JlConfig) config =
    load_valid ("kylin.server.host-address=localhost:7070\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_TRUE (config->host_address_is_default);
}

static void
test_config_host_address_invalid (void)
{
  assert_rejected ("kylin.server.host-address", "kylin1 :7070");
  assert_rejected ("kylin.server.host-address", "http://kylin1:7070");
  assert_rejected ("kylin.server.host-address", "");
}

static void
test_config_missing_connect_string (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *expected = NULL;
  g_autoptr (JlConfig) config =
    load_texts ("kylin.jobleader.hbase.thrift-servers=thrift1:9090\n", NULL,
                &path, &error);

  expected = g_strdup_printf ("kylin.env.zookeeper-connect-string is not set "
                              "in %s: set it to the ZooKeeper ensemble, e.g. "
                              "zk1:2181,zk2:2181",
                              path);

  CU_ASSERT_PTR_NULL (config);
  ASSERT_INVALID (error, expected);
  ASSERT_INVALID (error, "hbase-site.xml");
}

static void
test_config_connect_string_bad_port (void)
{
  const char *key = "kylin.env.zookeeper-connect-string";

  assert_rejected (key, "zk1:99999");
  assert_rejected (key, "zk1:0");
  assert_rejected (key, "zk1:2181,zk2:abc");
  assert_rejected (key, "zk1:-1");
  assert_rejected (key, "zk1");
  assert_rejected (key, "zk1:");
}

static void
test_config_connect_string_bad_host (void)
{
  const char *key = "kylin.env.zookeeper-connect-string";

  assert_rejected (key, ":2181");
  assert_rejected (key, "zk 1:2181");
  assert_rejected (key, "zk1:2181,,zk2:2181");
  assert_rejected (key, "[zk1]:2181");
}

static void
test_config_connect_string_chroot (void)
{
  g_autoptr (JlConfig) config =
    load_valid ("kylin.env.zookeeper-connect-string="
                "zk1:2181,zk2:2181/hbase\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_STRING_EQUAL (config->zk_connect, "zk1:2181,zk2:2181/hbase");
}

static void
test_config_connect_string_bad_chroot (void)
{
  const char *key = "kylin.env.zookeeper-connect-string";

  assert_rejected (key, "zk1:2181/hbase/");
  assert_rejected (key, "zk1:2181//hbase");
  assert_rejected (key, "zk1:2181/hbase/../x");
}

static void
test_config_connect_string_blanks (void)
{
  g_autoptr (JlConfig) config =
    load_valid ("kylin.env.zookeeper-connect-string=zk1:2181 , zk2:2181  \n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_STRING_EQUAL (config->zk_connect, "zk1:2181,zk2:2181");
}

static void
test_config_connect_string_empty (void)
{
  const char *key = "kylin.env.zookeeper-connect-string";
  g_autoptr (GError) empty = assert_rejected_with_fix (key, "", "",
                                                       "zk1:2181,zk2:2181");
  g_autoptr (GError) blank = assert_rejected_with_fix (key, "\\ \\t", " \t",
                                                       "zk1:2181,zk2:2181");
  g_autoptr (GError) chroot_only =
    assert_rejected_with_fix (key, "/kylin", "/kylin", "zk1:2181,zk2:2181");

  assert_message_contains (empty, "empty");
  assert_message_contains (blank, "empty");
  assert_message_contains (chroot_only, "empty");
}

/* The ZooKeeper C client splits an entry at its last ':' and cannot
 * resolve a bracketed host, so IPv6 addresses go without brackets. */
static void
test_config_connect_string_ipv6 (void)
{
  const char *key = "kylin.env.zookeeper-connect-string";
  g_autoptr (JlConfig) loopback =
    load_valid ("kylin.env.zookeeper-connect-string=::1:57513\n");
  g_autoptr (JlConfig) list =
    load_valid ("kylin.env.zookeeper-connect-string="
                "fe80::1:2181, 127.0.0.1:2181/kylin\n");
  g_autoptr (GError) bracketed =
    assert_rejected_with_fix (key, "[::1]:57513", "[::1]:57513",
                              "e.g. ::1:57513");
  g_autoptr (GError) no_port =
    assert_rejected_with_fix (key, "::1", "::1", "e.g. ::1:2181");

  CU_ASSERT_PTR_NOT_NULL_FATAL (loopback);
  CU_ASSERT_PTR_NOT_NULL_FATAL (list);
  CU_ASSERT_STRING_EQUAL (loopback->zk_connect, "::1:57513");
  CU_ASSERT_STRING_EQUAL (list->zk_connect,
                          "fe80::1:2181,127.0.0.1:2181/kylin");
  assert_message_contains (bracketed, "without brackets");
  assert_message_contains (no_port, "has no port");
}

/* Returns whether zookeeper_init() of the linked ZooKeeper C client
 * accepts @connect_string. zookeeper_init() only parses and resolves the
 * hosts, and its own thread would connect later, so the handle is closed at
 * once. */
static gboolean
zookeeper_client_accepts (const char *connect_string)
{
  zhandle_t *handle = zookeeper_init (connect_string, NULL, 10000, NULL, NULL,
                                      0);

  if (handle == NULL)
    return FALSE;

  zookeeper_close (handle);
  return TRUE;
}

/* Compares the configuration's verdict with the client's on values where
 * both must agree. The configuration is stricter elsewhere: the client also
 * takes "/kylin" (no server), port 99999 (glibc's getaddrinfo() truncates
 * it to 16 bits), and a list in which a bracketed entry cannot be resolved
 * but another one can. */
static void
test_config_connect_string_matches_client (void)
{
  static const struct {
    const char *value;
    gboolean valid;
  } cases[] = {
    { "127.0.0.1:2181", TRUE },
    { "localhost:2181/kylin", TRUE },
    { "::1:57513", TRUE },
    { "fe80::1:2181", TRUE },
    { "::1:2181,127.0.0.1:2181", TRUE },
    { "[::1]:57513", FALSE },
    { "[::1]", FALSE },
    { "::1", FALSE },
    { "zk1", FALSE },
    { "localhost:0", FALSE },
    { "localhost:abc", FALSE },
  };
  FILE *log_sink = fopen ("/dev/null", "w");

  CU_ASSERT_PTR_NOT_NULL_FATAL (log_sink);
  zoo_set_log_stream (log_sink);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text =
        g_strdup_printf ("kylin.env.zookeeper-connect-string=%s\n"
                         "kylin.jobleader.hbase.thrift-servers=t1:9090\n",
                         cases[i].value);
      g_autoptr (GError) error = NULL;
      g_autoptr (JlConfig) config = load_texts (text, NULL, NULL, &error);
      gboolean config_valid = config != NULL;
      gboolean client_valid = zookeeper_client_accepts (cases[i].value);

      CU_ASSERT_EQUAL (config_valid, cases[i].valid);
      CU_ASSERT_EQUAL (client_valid, cases[i].valid);
      if (config_valid != cases[i].valid || client_valid != cases[i].valid)
        printf ("\n  '%s': expected %s, configuration %s, client %s\n",
                cases[i].value, cases[i].valid ? "valid" : "invalid",
                config_valid ? "accepts" : "rejects",
                client_valid ? "accepts" : "rejects");
    }

  zoo_set_log_stream (NULL);
  fclose (log_sink);
}

static void
test_config_thrift_servers_parsed (void)
{
  g_autoptr (JlConfig) config = load_valid (
    "kylin.jobleader.hbase.thrift-servers=t1:9090, [fe80::1]:9091,t2:19090\n");
  g_autofree char *joined = NULL;
  const JlHostPort *servers;

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_EQUAL_FATAL (config->thrift_servers->len, 3);
  servers = (const JlHostPort *) (gpointer) config->thrift_servers->data;

  CU_ASSERT_STRING_EQUAL (servers[0].host, "t1");
  CU_ASSERT_EQUAL (servers[0].port, 9090);
  CU_ASSERT_STRING_EQUAL (servers[1].host, "fe80::1");
  CU_ASSERT_EQUAL (servers[1].port, 9091);
  CU_ASSERT_STRING_EQUAL (servers[2].host, "t2");
  CU_ASSERT_EQUAL (servers[2].port, 19090);

  joined = jl_config_thrift_servers_string (config);
  CU_ASSERT_STRING_EQUAL (joined, "t1:9090,[fe80::1]:9091,t2:19090");
}

static void
test_config_thrift_servers_missing (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr (JlConfig) config =
    load_texts ("kylin.env.zookeeper-connect-string=zk1:2181\n", NULL, &path,
                &error);

  CU_ASSERT_PTR_NULL (config);
  ASSERT_INVALID (error, "kylin.jobleader.hbase.thrift-servers is not set");
  ASSERT_INVALID (error, path);
}

static void
test_config_thrift_servers_invalid (void)
{
  const char *key = "kylin.jobleader.hbase.thrift-servers";

  assert_rejected (key, "thrift1");
  assert_rejected (key, "thrift1:70000");
  assert_rejected (key, "thrift1:9090,");
  assert_rejected (key, "[not-an-address]:9090");
}

static void
test_config_thrift_servers_separators (void)
{
  const char *key = "kylin.jobleader.hbase.thrift-servers";
  g_autoptr (GError) semicolon =
    assert_rejected_with_fix (key, "h:9090;h2:9090", "h:9090;h2:9090",
                              "separate Thrift gateways with commas, e.g. "
                              "h:9090,h2:9090");
  g_autoptr (GError) blank =
    assert_rejected_with_fix (key, "h:9090 h2:9090", "h:9090 h2:9090",
                              "separate Thrift gateways with commas, e.g. "
                              "h:9090,h2:9090");
  g_autoptr (GError) zookeeper =
    assert_rejected_with_fix ("kylin.env.zookeeper-connect-string",
                              "zk1:2181;zk2:2181", "zk1:2181;zk2:2181",
                              "separate ZooKeeper servers with commas, e.g. "
                              "zk1:2181,zk2:2181");

  CU_ASSERT_PTR_NULL (strstr (semicolon->message, "bracket"));
  CU_ASSERT_PTR_NULL (strstr (blank->message, "bracket"));
  CU_ASSERT_PTR_NULL (strstr (zookeeper->message, "bracket"));
}

static void
test_config_thrift_servers_url_prefix (void)
{
  const char *key = "kylin.jobleader.hbase.thrift-servers";
  g_autoptr (GError) one =
    assert_rejected_with_fix (key, "thrift://127.0.0.1:9090",
                              "thrift://127.0.0.1:9090",
                              "drop the 'thrift://' prefix, e.g. write "
                              "127.0.0.1:9090");
  g_autoptr (GError) list =
    assert_rejected_with_fix (key, "thrift://t1:9090,thrift://t2:9090",
                              "thrift://t1:9090,thrift://t2:9090",
                              "e.g. write t1:9090,t2:9090");
  g_autoptr (GError) zookeeper =
    assert_rejected_with_fix ("kylin.env.zookeeper-connect-string",
                              "zk://zk1:2181/kylin", "zk://zk1:2181/kylin",
                              "drop the 'zk://' prefix, e.g. write "
                              "zk1:2181/kylin");

  CU_ASSERT_PTR_NULL (strstr (one->message, "bracket"));
}

static void
test_config_thrift_servers_ipv6 (void)
{
  const char *key = "kylin.jobleader.hbase.thrift-servers";
  g_autoptr (GError) unclosed =
    assert_rejected_with_fix (key, "[::1:9090", "[::1:9090",
                              "the closing ']' is missing");
  g_autoptr (GError) bare =
    assert_rejected_with_fix (key, "::1:9090", "::1:9090",
                              "write it in brackets, e.g. [::1]:9090");
  g_autoptr (GError) no_port =
    assert_rejected_with_fix (key, "[::1]", "[::1]", "[::1]:PORT");

  assert_message_contains (unclosed, "e.g. [::1]:9090");
  CU_ASSERT_PTR_NULL (strstr (unclosed->message, "has no port"));
  assert_message_contains (no_port, "has no port");
}

static void
test_config_thrift_servers_empty (void)
{
  const char *key = "kylin.jobleader.hbase.thrift-servers";
  g_autoptr (GError) empty =
    assert_rejected_with_fix (key, "", "", "e.g. thrift1:9090,thrift2:9090");
  g_autoptr (GError) error = NULL;
  g_autoptr (JlConfig) local =
    load_texts ("kylin.env.zookeeper-connect-string=zk1:2181\n"
                "kylin.metadata.url=/var/kylin/meta\n"
                "kylin.jobleader.hbase.thrift-servers=\n", NULL, NULL,
                &error);

  assert_message_contains (empty, "empty");
  assert_message_contains (empty, "kylin_metadata");
  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (local);
  CU_ASSERT_EQUAL (local->thrift_servers->len, 0);
}

static void
test_config_number_syntax (void)
{
  const char *key = KEY_SESSION_TIMEOUT;

  assert_rejected (key, "abc");
  assert_rejected (key, "+5000");
  assert_rejected (key, "-5000");
  assert_rejected (key, "5000ms");
  assert_rejected (key, "5000 ");
  assert_rejected (key, "0x1000");
  assert_rejected (key, "5e3");
  assert_rejected (key, "99999999999999999999999");
  assert_rejected (key, "");
}

static void
test_config_number_message (void)
{
  g_autofree char *location = NULL;
  g_autofree char *expected = NULL;
  g_autoptr (GError) error =
    load_invalid (KEY_SESSION_TIMEOUT "=abc\n", 3, &location);

  expected = g_strdup_printf ("invalid value 'abc' for %s at %s: expected "
                              "milliseconds between 2000 and 120000",
                              KEY_SESSION_TIMEOUT, location);

  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_STRING_EQUAL (error->message, expected);
}

static void
test_config_thrift_timeout_range (void)
{
  assert_milliseconds_range ("kylin.jobleader.hbase.timeout-ms",
                             G_STRUCT_OFFSET (JlConfig, thrift_timeout_ms),
                             "100", "60000", "99", "60001");
}

/* The session timeout is loaded with a 500 ms safety margin, because the
 * default margin of 2000 ms needs a session timeout above 6000 ms. */
static void
test_config_session_timeout_range (void)
{
  const char *margin = "kylin.jobleader.zookeeper.safety-margin-ms=500\n";
  g_autofree char *min_text = g_strconcat (margin, KEY_SESSION_TIMEOUT
                                           "=2000\n", NULL);
  g_autofree char *max_text = g_strconcat (margin, KEY_SESSION_TIMEOUT
                                           "=120000\n", NULL);
  g_autofree char *below_text = g_strconcat (margin, KEY_SESSION_TIMEOUT
                                             "=1999\n", NULL);
  g_autofree char *above_text = g_strconcat (margin, KEY_SESSION_TIMEOUT
                                             "=120001\n", NULL);
  g_autoptr (JlConfig) min = load_valid (min_text);
  g_autoptr (JlConfig) max = load_valid (max_text);
  g_autofree char *location = NULL;
  g_autoptr (GError) below = load_invalid (below_text, 4, &location);
  g_autoptr (GError) above = load_invalid (above_text, 4, NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (min);
  CU_ASSERT_PTR_NOT_NULL_FATAL (max);
  CU_ASSERT_EQUAL (min->zk_session_timeout_ms, 2000);
  CU_ASSERT_EQUAL (max->zk_session_timeout_ms, 120000);
  ASSERT_INVALID (below, "'1999'");
  ASSERT_INVALID (below, location);
  ASSERT_INVALID (above, "'120001'");
  ASSERT_INVALID (above, "between 2000 and 120000");
}

static void
test_config_safety_margin_minimum (void)
{
  assert_milliseconds_range ("kylin.jobleader.zookeeper.safety-margin-ms",
                             G_STRUCT_OFFSET (JlConfig, zk_safety_margin_ms),
                             "500", NULL, "499", NULL);
}

static void
test_config_safety_margin_third_rejected (void)
{
  g_autofree char *location = NULL;
  g_autoptr (GError) error = load_invalid (
    KEY_SESSION_TIMEOUT "=6000\n"
    "kylin.jobleader.zookeeper.safety-margin-ms=2000\n", 4, &location);
  g_autoptr (JlConfig) config = load_valid (
    KEY_SESSION_TIMEOUT "=6000\n"
    "kylin.jobleader.zookeeper.safety-margin-ms=1999\n");

  ASSERT_INVALID (error, "kylin.jobleader.zookeeper.safety-margin-ms");
  ASSERT_INVALID (error, "'2000'");
  ASSERT_INVALID (error, location);
  ASSERT_INVALID (error, "expire its session");
  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_EQUAL (config->zk_safety_margin_ms, 1999);
}

static void
test_config_default_margin_short_session (void)
{
  g_autoptr (GError) error = load_invalid (KEY_SESSION_TIMEOUT "=6000\n", 3,
                                           NULL);

  ASSERT_INVALID (error, "kylin.jobleader.zookeeper.safety-margin-ms");
  ASSERT_INVALID (error, "(the default)");
}

static void
test_config_renew_interval_range (void)
{
  assert_milliseconds_range ("kylin.jobleader.lease.renew-interval-ms",
                             G_STRUCT_OFFSET (JlConfig, lease_renew_ms),
                             "100", NULL, "99", NULL);
  assert_rejected ("kylin.jobleader.lease.renew-interval-ms", "60000");
}

static void
test_config_renew_interval_thrift_idle (void)
{
  g_autoptr (JlConfig) config = load_valid (
    "kylin.jobleader.lease.ttl-ms=120000\n"
    "kylin.jobleader.lease.renew-interval-ms=59999\n");
  g_autoptr (GError) error = load_invalid (
    "kylin.jobleader.lease.ttl-ms=120000\n"
    "kylin.jobleader.lease.renew-interval-ms=60000\n", 4, NULL);

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_EQUAL (config->lease_renew_ms, 59999);
  ASSERT_INVALID (error, "60000 ms");
}

static void
test_config_renew_not_below_ttl (void)
{
  g_autofree char *location = NULL;
  g_autoptr (GError) error = load_invalid (
    "kylin.jobleader.lease.renew-interval-ms=30000\n", 3, &location);

  ASSERT_INVALID (error, "kylin.jobleader.lease.renew-interval-ms");
  ASSERT_INVALID (error, "'30000'");
  ASSERT_INVALID (error, location);
  ASSERT_INVALID (error, "kylin.jobleader.lease.ttl-ms");
}

static void
test_config_ttl_minimum (void)
{
  g_autoptr (JlConfig) config = load_valid (
    "kylin.jobleader.lease.renew-interval-ms=100\n"
    "kylin.jobleader.lease.ttl-ms=1000\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_EQUAL (config->lease_ttl_ms, 1000);
  assert_rejected ("kylin.jobleader.lease.ttl-ms", "999");
}

static void
test_config_retry_backoff_minimum (void)
{
  assert_milliseconds_range ("kylin.jobleader.retry.max-backoff-ms",
                             G_STRUCT_OFFSET (JlConfig, retry_max_ms),
                             "100", NULL, "99", NULL);
}

/* A value above the maximum gets a message with the whole range, which
 * the value would otherwise seem to meet. */
static void
test_config_milliseconds_maximum (void)
{
  g_autoptr (GError) ttl =
    assert_rejected_with_fix ("kylin.jobleader.lease.ttl-ms", "2147483648",
                              "2147483648",
                              "expected milliseconds between 1000 and "
                              "86400000");
  g_autoptr (GError) retry =
    assert_rejected_with_fix ("kylin.jobleader.retry.max-backoff-ms",
                              "999999999999", "999999999999",
                              "expected milliseconds between 100 and "
                              "3600000");
  g_autoptr (GError) margin =
    assert_rejected_with_fix ("kylin.jobleader.zookeeper.safety-margin-ms",
                              "99999999999", "99999999999",
                              "expected milliseconds between 500 and 39999");
  g_autoptr (JlConfig) at_maximum = load_valid (
    "kylin.jobleader.lease.ttl-ms=86400000\n"
    "kylin.jobleader.retry.max-backoff-ms=3600000\n"
    KEY_SESSION_TIMEOUT "=120000\n"
    "kylin.jobleader.zookeeper.safety-margin-ms=39999\n");

  assert_rejected ("kylin.jobleader.lease.ttl-ms", "86400001");
  assert_rejected ("kylin.jobleader.retry.max-backoff-ms", "3600001");
  assert_rejected ("kylin.jobleader.zookeeper.safety-margin-ms", "40000");
  CU_ASSERT_PTR_NOT_NULL_FATAL (at_maximum);
  CU_ASSERT_EQUAL (at_maximum->lease_ttl_ms, 86400000);
  CU_ASSERT_EQUAL (at_maximum->retry_max_ms, 3600000);
  CU_ASSERT_EQUAL (at_maximum->zk_safety_margin_ms, 39999);
}

static void
test_config_base_path_normalised (void)
{
  g_autoptr (JlConfig) doubled =
    load_valid ("kylin.env.zookeeper-base-path=//kylin//\n");
  g_autoptr (JlConfig) relative =
    load_valid ("kylin.env.zookeeper-base-path=kylin/\n");
  g_autoptr (JlConfig) nested =
    load_valid ("kylin.env.zookeeper-base-path=/a//b/\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (doubled);
  CU_ASSERT_PTR_NOT_NULL_FATAL (relative);
  CU_ASSERT_PTR_NOT_NULL_FATAL (nested);
  CU_ASSERT_STRING_EQUAL (doubled->zk_base_path, "/kylin");
  CU_ASSERT_STRING_EQUAL (relative->zk_base_path, "/kylin");
  CU_ASSERT_STRING_EQUAL (nested->zk_base_path, "/a/b");
}

static void
test_config_base_path_root (void)
{
  g_autoptr (JlConfig) config =
    load_valid ("kylin.env.zookeeper-base-path=/\n");
  g_autofree char *election_path = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  election_path = jl_config_election_path (config);

  CU_ASSERT_STRING_EQUAL (config->zk_base_path, "/");
  CU_ASSERT_STRING_EQUAL (election_path,
                          "/kylin_metadata/job_engine/leader");
}

static void
test_config_base_path_invalid (void)
{
  const char *key = "kylin.env.zookeeper-base-path";

  assert_rejected (key, "/kylin/../other");
  assert_rejected (key, "/kylin/./x");
  assert_rejected (key, "/kylin\001");
}

static void
test_config_metadata_error_location (void)
{
  g_autofree char *location = NULL;
  g_autoptr (GError) error =
    load_invalid ("kylin.metadata.url=meta@jdbc,url=x\n", 3, &location);

  ASSERT_INVALID (error, "kylin.metadata.url");
  ASSERT_INVALID (error, "'meta@jdbc,url=x'");
  ASSERT_INVALID (error, location);
  ASSERT_INVALID (error, "scheme 'jdbc' is not supported");
}

static void
test_config_local_metastore (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JlConfig) config =
    load_texts ("kylin.env.zookeeper-connect-string=zk1:2181\n"
                "kylin.metadata.url=/var/kylin/meta\n", NULL, NULL, &error);

  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_EQUAL (config->metadata.kind, JL_METASTORE_LOCAL);
  CU_ASSERT_STRING_EQUAL (config->metadata.path, "/var/kylin/meta");
  CU_ASSERT_STRING_EQUAL (config->cluster_name, "kylin_metadata");
  CU_ASSERT_EQUAL (config->thrift_servers->len, 0);
}

static void
test_config_override_wins (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JlConfig) config =
    load_texts (REQUIRED_LINES
                "kylin.server.mode=query\n"
                "kylin.server.cluster-name=main\n",
                "kylin.server.mode=job\n", NULL, &error);

  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_STRING_EQUAL (config->server_mode, "job");
  CU_ASSERT_TRUE (config->job_capable);
  CU_ASSERT_STRING_EQUAL (config->cluster_name, "main");
}

static void
test_config_override_error_location (void)
{
  ConfigFolder folder;
  g_autoptr (GError) error = NULL;
  g_autoptr (JlConfig) config = NULL;
  g_autofree char *location = NULL;

  config_folder_create (&folder, REQUIRED_LINES "kylin.server.mode=job\n",
                        "# override\nkylin.server.mode=jobs\n");
  config = jl_config_load (folder.path, &error);
  location = g_strdup_printf ("%s:2", folder.override_path);
  config_folder_remove (&folder);

  CU_ASSERT_PTR_NULL (config);
  ASSERT_INVALID (error, location);
  ASSERT_INVALID (error, "'jobs'");
}

static void
test_config_unknown_jobleader_key (void)
{
  g_autofree char *location = NULL;
  g_autoptr (GError) error =
    load_invalid ("kylin.jobleader.hbase.thrift-server=t1:9090\n", 3,
                  &location);

  ASSERT_INVALID (error, "kylin.jobleader.hbase.thrift-server ");
  ASSERT_INVALID (error, location);
  ASSERT_INVALID (error, "kylin.jobleader.hbase.thrift-servers");
}

static void
test_config_unknown_kylin_key_ignored (void)
{
  g_autoptr (JlConfig) config =
    load_valid ("kylin.job.scheduler.default=100\nkylin.foo=bar\n");

  CU_ASSERT_PTR_NOT_NULL (config);
}

static void
test_config_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jl-config-XXXXXX", NULL);
  g_autofree char *path = NULL;
  g_autoptr (JlConfig) config = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (dir);
  path = g_build_filename (dir, "kylin.properties", NULL);
  config = jl_config_load (path, &error);
  g_rmdir (dir);

  CU_ASSERT_PTR_NULL (config);
  CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, JL_ERROR_NOT_FOUND));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, path));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "--config"));
}

static void
test_config_bad_properties_syntax (void)
{
  g_autofree char *location = NULL;
  g_autoptr (GError) error =
    load_invalid ("kylin.server.mode=\\u00G0\n", 3, &location);

  ASSERT_INVALID (error, location);
}

static void
test_config_event_log (void)
{
  g_autofree char *path = g_build_filename (g_get_tmp_dir (),
                                            "jobleader-events.jsonl", NULL);
  g_autofree char *extra = g_strdup_printf ("kylin.jobleader.event-log=%s\n",
                                            path);
  g_autoptr (JlConfig) config = load_valid (extra);
  g_autoptr (JlConfig) empty = load_valid ("kylin.jobleader.event-log=\n");

  CU_ASSERT_PTR_NOT_NULL_FATAL (config);
  CU_ASSERT_PTR_NOT_NULL_FATAL (empty);
  CU_ASSERT_STRING_EQUAL (config->event_log, path);
  CU_ASSERT_PTR_NULL (empty->event_log);
  assert_rejected ("kylin.jobleader.event-log", "logs/events.jsonl");
}

static void
test_config_event_log_folder_missing (void)
{
  const char *key = "kylin.jobleader.event-log";
  g_autoptr (GError) missing =
    assert_rejected_with_fix (key, "/nonexistent-dir/x.jsonl",
                              "/nonexistent-dir/x.jsonl",
                              "the folder /nonexistent-dir does not exist; "
                              "create it");
  g_autoptr (GError) folder =
    assert_rejected_with_fix (key, g_get_tmp_dir (), g_get_tmp_dir (),
                              "expected a file path");
  g_autofree char *file = NULL;
  g_autofree char *below_file = NULL;
  g_autoptr (GError) error = NULL;
  int fd = g_file_open_tmp ("jl-event-log-XXXXXX", &file, &error);

  CU_ASSERT_FATAL (fd >= 0);
  g_close (fd, NULL);
  below_file = g_build_filename (file, "x.jsonl", NULL);

  g_autoptr (GError) not_folder =
    assert_rejected_with_fix (key, below_file, below_file, "is not a folder");

  g_unlink (file);
}

static void
test_config_hook_executable (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *hook = NULL;
  g_autofree char *extra = NULL;
  g_autoptr (JlConfig) config = NULL;
  int fd = g_file_open_tmp ("jl-hook-XXXXXX", &hook, &error);

  CU_ASSERT_FATAL (fd >= 0);
  g_close (fd, NULL);
  extra = g_strdup_printf ("kylin.jobleader.hook=%s\n", hook);

  assert_rejected ("kylin.jobleader.hook", hook);

  CU_ASSERT_EQUAL (g_chmod (hook, 0755), 0);
  config = load_valid (extra);

  CU_ASSERT_PTR_NOT_NULL (config);
  if (config != NULL)
    CU_ASSERT_STRING_EQUAL (config->hook, hook);

  g_unlink (hook);
}

static void
test_config_hook_invalid (void)
{
  assert_rejected ("kylin.jobleader.hook", "bin/hook.sh");
  assert_rejected ("kylin.jobleader.hook", "/nonexistent/jobleader-hook");
  assert_rejected ("kylin.jobleader.hook", "/");
}

/* Sets or unsets (when @value is NULL) an environment variable. */
static void
set_env (const char *name, const char *value)
{
  if (value != NULL)
    g_setenv (name, value, TRUE);
  else
    g_unsetenv (name);
}

static void
test_config_default_path (void)
{
  g_autofree char *saved_conf = g_strdup (g_getenv ("KYLIN_CONF"));
  g_autofree char *saved_home = g_strdup (g_getenv ("KYLIN_HOME"));
  g_autoptr (GError) error = NULL;
  g_autofree char *from_conf = NULL;
  g_autofree char *from_home = NULL;
  g_autofree char *from_nothing = NULL;

  g_setenv ("KYLIN_CONF", "/etc/kylin", TRUE);
  g_setenv ("KYLIN_HOME", "/opt/kylin", TRUE);
  from_conf = jl_config_default_path (NULL);

  g_unsetenv ("KYLIN_CONF");
  from_home = jl_config_default_path (NULL);

  g_unsetenv ("KYLIN_HOME");
  from_nothing = jl_config_default_path (&error);

  set_env ("KYLIN_CONF", saved_conf);
  set_env ("KYLIN_HOME", saved_home);

  CU_ASSERT_STRING_EQUAL (from_conf, "/etc/kylin/kylin.properties");
  CU_ASSERT_STRING_EQUAL (from_home, "/opt/kylin/conf/kylin.properties");
  CU_ASSERT_PTR_NULL (from_nothing);
  ASSERT_INVALID (error, "--config");
  ASSERT_INVALID (error, "KYLIN_CONF");
}

/* Loads the default path with KYLIN_CONF set to @conf and KYLIN_HOME to
 * @home, and returns the error. Both variables are restored. */
static GError *
load_default_path (const char *conf, const char *home)
{
  g_autofree char *saved_conf = g_strdup (g_getenv ("KYLIN_CONF"));
  g_autofree char *saved_home = g_strdup (g_getenv ("KYLIN_HOME"));
  g_autofree char *path = NULL;
  g_autoptr (JlConfig) config = NULL;
  GError *error = NULL;

  set_env ("KYLIN_CONF", conf);
  set_env ("KYLIN_HOME", home);

  path = jl_config_default_path (&error);
  CU_ASSERT_PTR_NOT_NULL (path);
  if (path != NULL)
    config = jl_config_load (path, &error);

  set_env ("KYLIN_CONF", saved_conf);
  set_env ("KYLIN_HOME", saved_home);

  CU_ASSERT_PTR_NULL (config);
  return error;
}

/* A missing default file names the environment variable its path came
 * from, because the operator may not know that it is set. */
static void
test_config_default_path_origin (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jl-config-XXXXXX", NULL);
  g_autofree char *conf_path = NULL;
  g_autofree char *home_path = NULL;
  g_autofree char *from_conf = NULL;
  g_autofree char *from_home = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (dir);
  g_rmdir (dir);
  conf_path = g_build_filename (dir, "kylin.properties", NULL);
  home_path = g_build_filename (dir, "conf", "kylin.properties", NULL);
  from_conf = g_strdup_printf ("KYLIN_CONF=%s", dir);
  from_home = g_strdup_printf ("KYLIN_HOME=%s", dir);

  g_autoptr (GError) conf_error = load_default_path (dir, NULL);
  g_autoptr (GError) home_error = load_default_path (NULL, dir);

  CU_ASSERT_TRUE (g_error_matches (conf_error, JL_ERROR, JL_ERROR_NOT_FOUND));
  assert_message_contains (conf_error, conf_path);
  assert_message_contains (conf_error, from_conf);
  assert_message_contains (conf_error, "set KYLIN_CONF to the folder that "
                                       "contains kylin.properties");
  assert_message_contains (conf_error, "--config FILE");

  CU_ASSERT_TRUE (g_error_matches (home_error, JL_ERROR, JL_ERROR_NOT_FOUND));
  assert_message_contains (home_error, home_path);
  assert_message_contains (home_error, from_home);
  assert_message_contains (home_error, "KYLIN_CONF is not set");
  assert_message_contains (home_error, "--config FILE");
}

/* Runs the jobleader command line, built beside the test runner's folder,
 * with @args, and returns its exit status and standard error. */
static int
run_jobleader (const char *const *args, char **standard_error)
{
  g_autofree char *runner = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *tests_dir = NULL;
  g_autofree char *program = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int wait_status = 0;

  CU_ASSERT_PTR_NOT_NULL_FATAL (runner);
  tests_dir = g_path_get_dirname (runner);
  program = g_build_filename (tests_dir, "..", "jobleader", NULL);

  g_ptr_array_add (argv, program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  CU_ASSERT_TRUE_FATAL (g_spawn_sync (NULL, (char **) argv->pdata, NULL,
                                      G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                      NULL, standard_error, &wait_status,
                                      &error));
  CU_ASSERT_TRUE_FATAL (WIFEXITED (wait_status));

  return WEXITSTATUS (wait_status);
}

/* Checks that the command line exits with status 2 and a usage line that
 * contains @fragment. */
static void
assert_usage_error (const char *const *args, const char *fragment)
{
  g_autofree char *standard_error = NULL;
  int status = run_jobleader (args, &standard_error);

  CU_ASSERT_EQUAL (status, 2);
  CU_ASSERT_PTR_NOT_NULL (strstr (standard_error, fragment));
  CU_ASSERT_PTR_NOT_NULL (strstr (standard_error,
                                  "usage: jobleader [--config FILE] status"));
  if (strstr (standard_error, fragment) == NULL)
    printf ("\n  expected '%s' in: %s\n", fragment, standard_error);
}

static void
test_cli_usage_names_argument (void)
{
  const char *const unknown[] = { "foo", NULL };
  const char *const extra[] = { "--config", "C", "status", "extra", NULL };
  const char *const none[] = { NULL };

  assert_usage_error (unknown, "jobleader: unknown command 'foo'");
  assert_usage_error (extra, "jobleader: unexpected argument 'extra'");
  assert_usage_error (none, "jobleader: missing command");
}

/* Parses @value with jl_metadata_url_parse, which must succeed. */
static void
parse_url (const char *value, JlMetadataUrl *url)
{
  g_autoptr (GError) error = NULL;

  CU_ASSERT_TRUE (jl_metadata_url_parse (value, url, &error));
  CU_ASSERT_PTR_NULL (error);
}

/* Parses @value with jl_metadata_url_parse, which must fail. */
static GError *
parse_url_error (const char *value)
{
  g_auto (JlMetadataUrl) url = { 0 };
  GError *error = NULL;

  CU_ASSERT_FALSE (jl_metadata_url_parse (value, &url, &error));
  CU_ASSERT_PTR_NULL (url.identifier);

  return error;
}

static void
test_metadata_url_default (void)
{
  g_auto (JlMetadataUrl) url = { 0 };

  parse_url ("kylin_metadata@hbase", &url);

  CU_ASSERT_EQUAL (url.kind, JL_METASTORE_HBASE);
  CU_ASSERT_STRING_EQUAL (url.identifier, "kylin_metadata");
  CU_ASSERT_PTR_NULL (url.path);
  CU_ASSERT_PTR_NOT_NULL_FATAL (url.params);
  CU_ASSERT_EQUAL (g_hash_table_size (url.params), 0);
}

static void
test_metadata_url_empty_identifier (void)
{
  g_auto (JlMetadataUrl) url = { 0 };

  parse_url ("@hbase", &url);

  CU_ASSERT_EQUAL (url.kind, JL_METASTORE_HBASE);
  CU_ASSERT_STRING_EQUAL (url.identifier, "kylin_metadata");
}

static void
test_metadata_url_scheme_case (void)
{
  g_auto (JlMetadataUrl) url = { 0 };

  parse_url (" meta @ HBase ", &url);

  CU_ASSERT_EQUAL (url.kind, JL_METASTORE_HBASE);
  CU_ASSERT_STRING_EQUAL (url.identifier, "meta");
}

static void
test_metadata_url_namespace_params (void)
{
  g_auto (JlMetadataUrl) url = { 0 };

  parse_url ("ns:tbl@hbase,hbase.zookeeper.quorum=x, b = two ,", &url);

  CU_ASSERT_EQUAL (url.kind, JL_METASTORE_HBASE);
  CU_ASSERT_STRING_EQUAL (url.identifier, "ns:tbl");
  CU_ASSERT_PTR_NOT_NULL_FATAL (url.params);
  CU_ASSERT_EQUAL (g_hash_table_size (url.params), 2);
  CU_ASSERT_STRING_EQUAL (g_hash_table_lookup (url.params,
                                               "hbase.zookeeper.quorum"),
                          "x");
  CU_ASSERT_STRING_EQUAL (g_hash_table_lookup (url.params, "b"), "two");
}

static void
test_metadata_url_last_at (void)
{
  g_autoptr (GError) error = parse_url_error ("a@b@hbase");

  ASSERT_INVALID (error, "'a@b' is not a valid HBase table name");
}

static void
test_metadata_url_bad_table_name (void)
{
  g_autoptr (GError) leading_dot = parse_url_error (".meta@hbase");
  g_autoptr (GError) leading_dash = parse_url_error ("-meta@hbase");
  g_autoptr (GError) blank = parse_url_error ("my meta@hbase");
  g_autoptr (GError) empty_namespace = parse_url_error (":meta@hbase");
  g_autoptr (GError) bad_namespace = parse_url_error ("n-s:meta@hbase");
  g_autoptr (GError) two_colons = parse_url_error ("a:b:c@hbase");

  ASSERT_INVALID (leading_dot, "'.meta'");
  ASSERT_INVALID (leading_dash, "'-meta'");
  ASSERT_INVALID (blank, "'my meta'");
  ASSERT_INVALID (empty_namespace, "':meta'");
  ASSERT_INVALID (bad_namespace, "'n-s:meta'");
  ASSERT_INVALID (two_colons, "'a:b:c'");
}

static void
test_metadata_url_local_path (void)
{
  g_auto (JlMetadataUrl) url = { 0 };

  parse_url ("/var/kylin/meta", &url);

  CU_ASSERT_EQUAL (url.kind, JL_METASTORE_LOCAL);
  CU_ASSERT_STRING_EQUAL (url.path, "/var/kylin/meta");
  CU_ASSERT_STRING_EQUAL (url.identifier, "kylin_metadata");
}

static void
test_metadata_url_file_prefix (void)
{
  g_auto (JlMetadataUrl) url = { 0 };

  parse_url ("file:///var/x", &url);

  CU_ASSERT_EQUAL (url.kind, JL_METASTORE_LOCAL);
  CU_ASSERT_STRING_EQUAL (url.path, "/var/x");
}

static void
test_metadata_url_relative_rejected (void)
{
  g_autoptr (GError) plain = parse_url_error ("relative/path");
  g_autoptr (GError) prefixed = parse_url_error ("file://relative/path");

  ASSERT_INVALID (plain, "'relative/path' is a relative path");
  ASSERT_INVALID (plain, "absolute");
  ASSERT_INVALID (prefixed, "'relative/path'");
}

static void
test_metadata_url_jdbc_rejected (void)
{
  g_autoptr (GError) error = parse_url_error ("x@jdbc");

  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_STRING_EQUAL (error->message,
                          "kylin.metadata.url=x@jdbc: scheme 'jdbc' is not "
                          "supported by jobleader; use IDENTIFIER@hbase or a "
                          "local folder");
}

static void
test_metadata_url_hdfs_rejected (void)
{
  g_autoptr (GError) error = parse_url_error ("meta@hdfs,path=/kylin");

  ASSERT_INVALID (error, "scheme 'hdfs'");
}

static void
test_metadata_url_bad_param (void)
{
  g_autoptr (GError) no_equals = parse_url_error ("meta@hbase,novalue");
  g_autoptr (GError) empty_key = parse_url_error ("meta@hbase,=x");

  ASSERT_INVALID (no_equals, "'novalue'");
  ASSERT_INVALID (no_equals, "KEY=VALUE");
  ASSERT_INVALID (empty_key, "'=x'");
}

static void
test_metadata_url_empty (void)
{
  g_autoptr (GError) empty = parse_url_error ("");
  g_autoptr (GError) blank = parse_url_error ("  ,a=b");

  ASSERT_INVALID (empty, "kylin.metadata.url=");
  ASSERT_INVALID (blank, "IDENTIFIER@hbase");
}

static void
test_metadata_url_clear_twice (void)
{
  JlMetadataUrl url = { 0 };

  parse_url ("meta@hbase,a=b", &url);
  jl_metadata_url_clear (&url);
  jl_metadata_url_clear (&url);

  CU_ASSERT_PTR_NULL (url.identifier);
  CU_ASSERT_PTR_NULL (url.params);
}

static const CU_TestInfo config_tests[] = {
  { "config defaults", test_config_defaults },
  { "config source path", test_config_source_path },
  { "config election path default", test_config_election_path_default },
  { "config cluster name override", test_config_cluster_name_override },
  { "config cluster name from identifier",
    test_config_cluster_name_from_identifier },
  { "config cluster name invalid", test_config_cluster_name_invalid },
  { "config query mode", test_config_query_mode },
  { "config job mode", test_config_job_mode },
  { "config mode list", test_config_mode_list },
  { "config mode case and blanks", test_config_mode_case_and_blanks },
  { "config bad mode", test_config_bad_mode },
  { "config empty mode", test_config_empty_mode },
  { "config host address set", test_config_host_address_set },
  { "config host address explicit default",
    test_config_host_address_explicit_default },
  { "config host address invalid", test_config_host_address_invalid },
  { "config missing connect string", test_config_missing_connect_string },
  { "config connect string bad port", test_config_connect_string_bad_port },
  { "config connect string bad host", test_config_connect_string_bad_host },
  { "config connect string chroot", test_config_connect_string_chroot },
  { "config connect string bad chroot",
    test_config_connect_string_bad_chroot },
  { "config connect string blanks", test_config_connect_string_blanks },
  { "config connect string empty", test_config_connect_string_empty },
  { "config connect string IPv6", test_config_connect_string_ipv6 },
  { "config connect string matches client",
    test_config_connect_string_matches_client },
  { "config thrift servers parsed", test_config_thrift_servers_parsed },
  { "config thrift servers missing", test_config_thrift_servers_missing },
  { "config thrift servers invalid", test_config_thrift_servers_invalid },
  { "config thrift servers separators",
    test_config_thrift_servers_separators },
  { "config thrift servers URL prefix",
    test_config_thrift_servers_url_prefix },
  { "config thrift servers IPv6", test_config_thrift_servers_ipv6 },
  { "config thrift servers empty", test_config_thrift_servers_empty },
  { "config number syntax", test_config_number_syntax },
  { "config number message", test_config_number_message },
  { "config thrift timeout range", test_config_thrift_timeout_range },
  { "config session timeout range", test_config_session_timeout_range },
  { "config safety margin minimum", test_config_safety_margin_minimum },
  { "config safety margin third rejected",
    test_config_safety_margin_third_rejected },
  { "config default margin short session",
    test_config_default_margin_short_session },
  { "config renew interval range", test_config_renew_interval_range },
  { "config renew interval thrift idle",
    test_config_renew_interval_thrift_idle },
  { "config renew not below TTL", test_config_renew_not_below_ttl },
  { "config TTL minimum", test_config_ttl_minimum },
  { "config retry backoff minimum", test_config_retry_backoff_minimum },
  { "config milliseconds maximum", test_config_milliseconds_maximum },
  { "config base path normalised", test_config_base_path_normalised },
  { "config base path root", test_config_base_path_root },
  { "config base path invalid", test_config_base_path_invalid },
  { "config metadata error location", test_config_metadata_error_location },
  { "config local metastore", test_config_local_metastore },
  { "config override wins", test_config_override_wins },
  { "config override error location", test_config_override_error_location },
  { "config unknown jobleader key", test_config_unknown_jobleader_key },
  { "config unknown kylin key ignored",
    test_config_unknown_kylin_key_ignored },
  { "config missing file", test_config_missing_file },
  { "config bad properties syntax", test_config_bad_properties_syntax },
  { "config event log", test_config_event_log },
  { "config event log folder missing",
    test_config_event_log_folder_missing },
  { "config hook executable", test_config_hook_executable },
  { "config hook invalid", test_config_hook_invalid },
  { "config default path", test_config_default_path },
  { "config default path origin", test_config_default_path_origin },
  { "CLI usage names argument", test_cli_usage_names_argument },
  { "metadata URL default", test_metadata_url_default },
  { "metadata URL empty identifier", test_metadata_url_empty_identifier },
  { "metadata URL scheme case", test_metadata_url_scheme_case },
  { "metadata URL namespace params", test_metadata_url_namespace_params },
  { "metadata URL last at", test_metadata_url_last_at },
  { "metadata URL bad table name", test_metadata_url_bad_table_name },
  { "metadata URL local path", test_metadata_url_local_path },
  { "metadata URL file prefix", test_metadata_url_file_prefix },
  { "metadata URL relative rejected", test_metadata_url_relative_rejected },
  { "metadata URL jdbc rejected", test_metadata_url_jdbc_rejected },
  { "metadata URL hdfs rejected", test_metadata_url_hdfs_rejected },
  { "metadata URL bad param", test_metadata_url_bad_param },
  { "metadata URL empty", test_metadata_url_empty },
  { "metadata URL clear twice", test_metadata_url_clear_twice },
  CU_TEST_INFO_NULL,
};

void
register_config_tests (void)
{
  JL_ADD_SUITE ("config", config_tests);
}
