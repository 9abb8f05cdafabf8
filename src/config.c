/* jobleader configuration: the Kylin settings jobleader shares with Kylin,
 * plus its own kylin.jobleader.* keys, read from kylin.properties and
 * kylin.properties.override and validated in full before the daemon
 * starts.
 *
 * NOTE: some Kylin releases expand ${NAME} references to environment
 * variables in values. jobleader takes values literally. */
#include "jobleader/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include <glib/gstdio.h>

#include "jobleader/error.h"
#include "jobleader/properties.h"

#define KEY_SERVER_MODE "kylin.server.mode"
#define KEY_HOST_ADDRESS "kylin.server.host-address"
#define KEY_METADATA_URL "kylin.metadata.url"
#define KEY_CLUSTER_NAME "kylin.server.cluster-name"
#define KEY_ZK_CONNECT "kylin.env.zookeeper-connect-string"
#define KEY_ZK_BASE_PATH "kylin.env.zookeeper-base-path"
#define KEY_THRIFT_SERVERS "kylin.jobleader.hbase.thrift-servers"
#define KEY_THRIFT_TIMEOUT "kylin.jobleader.hbase.timeout-ms"
#define KEY_ZK_SESSION_TIMEOUT "kylin.jobleader.zookeeper.session-timeout-ms"
#define KEY_ZK_SAFETY_MARGIN "kylin.jobleader.zookeeper.safety-margin-ms"
#define KEY_LEASE_RENEW "kylin.jobleader.lease.renew-interval-ms"
#define KEY_LEASE_TTL "kylin.jobleader.lease.ttl-ms"
#define KEY_RETRY_MAX "kylin.jobleader.retry.max-backoff-ms"
#define KEY_EVENT_LOG "kylin.jobleader.event-log"
#define KEY_HOOK "kylin.jobleader.hook"

#define JOBLEADER_KEY_PREFIX "kylin.jobleader."
#define OVERRIDE_FILE_NAME "kylin.properties.override"

#define DEFAULT_SERVER_MODE "all"
#define DEFAULT_HOST_ADDRESS "localhost:7070"
#define DEFAULT_METADATA_URL "kylin_metadata@hbase"
#define DEFAULT_IDENTIFIER "kylin_metadata"
#define DEFAULT_ZK_BASE_PATH "/kylin"
#define ELECTION_SUFFIX "/job_engine/leader"

static const char *const jobleader_keys[] = {
  KEY_THRIFT_SERVERS,
  KEY_THRIFT_TIMEOUT,
  KEY_ZK_SESSION_TIMEOUT,
  KEY_ZK_SAFETY_MARGIN,
  KEY_LEASE_RENEW,
  KEY_LEASE_TTL,
  KEY_RETRY_MAX,
  KEY_EVENT_LOG,
  KEY_HOOK,
  NULL,
};

/* A millisecond setting: its default and its inclusive range. */
typedef struct {
  const char *key;
  guint default_ms;
  guint min_ms;
  guint max_ms;
  const char *reason; /* reason for the range, added to errors, or NULL */
} JlMillisecondsRule;

/* Every maximum is far below G_MAXINT, so that callers may add or compare
 * the values as gint without overflow. */
static const JlMillisecondsRule thrift_timeout_rule = {
  KEY_THRIFT_TIMEOUT, 5000, 100, 60000, NULL,
};

static const JlMillisecondsRule session_timeout_rule = {
  KEY_ZK_SESSION_TIMEOUT, 10000, 2000, 120000, NULL,
};

/* The maximum is the largest margin below a third of the maximum session
 * timeout. check_safety_margin() checks it against the configured one. */
static const JlMillisecondsRule safety_margin_rule = {
  KEY_ZK_SAFETY_MARGIN, 2000, 500, 39999,
  "the margin must be below a third of " KEY_ZK_SESSION_TIMEOUT
  ", which is at most 120000 ms",
};

static const JlMillisecondsRule lease_renew_rule = {
  KEY_LEASE_RENEW, 5000, 100, 59999,
  "HBase's Thrift server closes a connection that stays silent for 60000 ms "
  "(hbase.thrift.server.socket.read.timeout)",
};

/* The maximum, 1 day, is a chosen bound. Readers treat a lease as fresh
 * until the TTL has passed since its last renewal, even when its holder
 * has stopped. */
static const JlMillisecondsRule lease_ttl_rule = {
  KEY_LEASE_TTL, 30000, 1000, 86400000, NULL,
};

/* A cap below 100 ms would retry ZooKeeper and HBase in a tight loop. The
 * maximum, 1 hour, is a chosen bound on how long a node waits between
 * retries after a store error. */
static const JlMillisecondsRule retry_max_rule = {
  KEY_RETRY_MAX, 10000, 100, 3600000, NULL,
};

/* Sets JL_ERROR_INVALID naming @key, @value and where the value came from:
 * the file and line, or the default when the key is unset. */
static gboolean G_GNUC_PRINTF (5, 6)
set_invalid_value (GError            **error,
                   const JlProperties *props,
                   const char         *key,
                   const char         *value,
                   const char         *format,
                   ...)
{
  const char *origin = jl_properties_origin (props, key);
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  if (origin != NULL)
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "invalid value '%s' for %s at %s: %s",
                 value, key, origin, reason);
  else
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "invalid value '%s' for %s (the default): %s",
                 value, key, reason);

  return FALSE;
}

static const char *
get_or_default (const JlProperties *props, const char *key,
                const char *default_value)
{
  const char *value = jl_properties_get (props, key);

  return value != NULL ? value : default_value;
}

/* Parses a decimal number without sign or surrounding blanks. Returns
 * FALSE for anything else and for numbers above @max. */
static gboolean
parse_decimal (const char *text, guint64 max, guint64 *out)
{
  guint64 value = 0;

  if (*text == '\0')
    return FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;

      value = value * 10 + (guint64) (*p - '0');

      if (value > max)
        return FALSE;
    }

  *out = value;
  return TRUE;
}

static gboolean
set_invalid_milliseconds (GError **error, const JlProperties *props,
                          const JlMillisecondsRule *rule, const char *value)
{
  g_autofree char *expected =
    g_strdup_printf ("expected milliseconds between %u and %u",
                     rule->min_ms, rule->max_ms);

  if (rule->reason != NULL)
    return set_invalid_value (error, props, rule->key, value, "%s, because %s",
                              expected, rule->reason);

  return set_invalid_value (error, props, rule->key, value, "%s", expected);
}

static gboolean
load_milliseconds (const JlProperties *props, const JlMillisecondsRule *rule,
                   guint *out, GError **error)
{
  const char *value = jl_properties_get (props, rule->key);
  guint64 number;

  if (value == NULL)
    {
      *out = rule->default_ms;
      return TRUE;
    }

  if (!parse_decimal (value, rule->max_ms, &number) || number < rule->min_ms)
    return set_invalid_milliseconds (error, props, rule, value);

  *out = (guint) number;
  return TRUE;
}

static gboolean
check_jobleader_keys (const JlProperties *props, GError **error)
{
  g_autoptr (GPtrArray) keys = jl_properties_keys (props);

  for (guint i = 0; i < keys->len; i++)
    {
      const char *key = g_ptr_array_index (keys, i);

      if (!g_str_has_prefix (key, JOBLEADER_KEY_PREFIX)
          || g_strv_contains (jobleader_keys, key))
        continue;

      g_autofree char *known = g_strjoinv (", ", (char **) jobleader_keys);

      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "unknown key %s at %s: expected one of %s",
                   key, jl_properties_origin (props, key), known);
      return FALSE;
    }

  return TRUE;
}

static gboolean
load_server_mode (const JlProperties *props, JlConfig *config,
                  GError **error)
{
  const char *value = get_or_default (props, KEY_SERVER_MODE,
                                      DEFAULT_SERVER_MODE);
  g_autofree char *mode = g_strstrip (g_ascii_strdown (value, -1));
  g_auto (GStrv) words = g_strsplit (mode, ",", -1);
  guint word_count = 0;
  gboolean job_capable = FALSE;

  for (guint i = 0; words[i] != NULL; i++)
    {
      const char *word = g_strstrip (words[i]);

      if (*word == '\0')
        continue;

      word_count++;

      if (g_str_equal (word, "all") || g_str_equal (word, "job"))
        job_capable = TRUE;
      else if (!g_str_equal (word, "query"))
        return set_invalid_value (error, props, KEY_SERVER_MODE, value,
                                  "unknown mode '%s'; expected a "
                                  "comma-separated list of all, job and query",
                                  word);
    }

  if (word_count == 0)
    return set_invalid_value (error, props, KEY_SERVER_MODE, value,
                              "expected a comma-separated list of all, job "
                              "and query");

  config->server_mode = g_steal_pointer (&mode);
  config->job_capable = job_capable;

  return TRUE;
}

static gboolean
load_host_address (const JlProperties *props, JlConfig *config,
                   GError **error)
{
  const char *value = get_or_default (props, KEY_HOST_ADDRESS,
                                      DEFAULT_HOST_ADDRESS);
  gboolean valid = *value != '\0';

  for (const char *p = value; *p != '\0'; p++)
    {
      if (g_ascii_isspace (*p) || g_ascii_iscntrl (*p) || *p == '/')
        valid = FALSE;
    }

  if (!valid)
    return set_invalid_value (error, props, KEY_HOST_ADDRESS, value,
                              "expected this node's HOST:PORT without blanks "
                              "or '/', e.g. kylin1.example.com:7070");

  config->host_address = g_strdup (value);
  config->host_address_is_default = g_str_equal (value, DEFAULT_HOST_ADDRESS);

  return TRUE;
}

static gboolean
is_table_qualifier_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-' || c == '.';
}

/* Checks an HBase table name: an optional "NAMESPACE:" of letters, digits
 * and '_', then letters, digits, '_', '-' and '.', not starting with '.'
 * or '-'. */
static gboolean
validate_table_name (const char *name, GError **error)
{
  const char *colon = strchr (name, ':');
  const char *qualifier = colon != NULL ? colon + 1 : name;
  gboolean valid = *qualifier != '\0' && *qualifier != '.'
                   && *qualifier != '-';

  for (const char *p = name; colon != NULL && p < colon; p++)
    valid = valid && (g_ascii_isalnum (*p) || *p == '_');

  for (const char *p = qualifier; *p != '\0'; p++)
    valid = valid && is_table_qualifier_char (*p);

  if (colon == name)
    valid = FALSE;

  if (!valid)
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "'%s' is not a valid HBase table name; expected an "
                 "optional NAMESPACE: and then letters, digits, '_', '-' and "
                 "'.', not starting with '.' or '-'",
                 name);

  return valid;
}

static gboolean
parse_metadata_hbase (const char *piece, const char *at, JlMetadataUrl *url,
                      GError **error)
{
  g_autofree char *identifier = g_strndup (piece, (gsize) (at - piece));
  g_autofree char *scheme = g_strdup (at + 1);

  g_strstrip (identifier);
  g_strstrip (scheme);

  if (g_ascii_strcasecmp (scheme, "hbase") != 0)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "scheme '%s' is not supported by jobleader; use "
                   "IDENTIFIER@hbase or a local folder",
                   scheme);
      return FALSE;
    }

  if (*identifier == '\0')
    {
      g_free (identifier);
      identifier = g_strdup (DEFAULT_IDENTIFIER);
    }

  if (!validate_table_name (identifier, error))
    return FALSE;

  url->kind = JL_METASTORE_HBASE;
  url->identifier = g_steal_pointer (&identifier);

  return TRUE;
}

static gboolean
parse_metadata_local (const char *piece, JlMetadataUrl *url, GError **error)
{
  const char *path = piece;

  if (g_str_has_prefix (path, "file://"))
    path += strlen ("file://");

  if (!g_path_is_absolute (path))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "'%s' is a relative path; use an absolute folder path, "
                   "because jobleaderd changes its working directory",
                   path);
      return FALSE;
    }

  url->kind = JL_METASTORE_LOCAL;
  url->identifier = g_strdup (DEFAULT_IDENTIFIER);
  url->path = g_strdup (path);

  return TRUE;
}

static gboolean
parse_metadata_parameter (char *piece, GHashTable *params, GError **error)
{
  const char *equals = strchr (piece, '=');

  if (equals == NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "parameter '%s' has no '='; expected KEY=VALUE", piece);
      return FALSE;
    }

  g_autofree char *key = g_strndup (piece, (gsize) (equals - piece));
  g_autofree char *value = g_strdup (equals + 1);

  g_strstrip (key);
  g_strstrip (value);

  if (*key == '\0')
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "parameter '%s' has an empty key; expected KEY=VALUE",
                   piece);
      return FALSE;
    }

  g_hash_table_replace (params, g_steal_pointer (&key),
                        g_steal_pointer (&value));

  return TRUE;
}

/* Parses a kylin.metadata.url value into @out. Error messages give the
 * reason only, without the key or the value. */
static gboolean
parse_metadata_url (const char *value, JlMetadataUrl *out, GError **error)
{
  g_auto (GStrv) pieces = g_strsplit (value, ",", -1);
  g_auto (JlMetadataUrl) url = { 0 };
  char *first = pieces[0] != NULL ? g_strstrip (pieces[0]) : NULL;

  if (first == NULL || *first == '\0')
    {
      g_set_error_literal (error, JL_ERROR, JL_ERROR_INVALID,
                           "expected IDENTIFIER@hbase or an absolute folder "
                           "path before the first ','");
      return FALSE;
    }

  const char *at = strrchr (first, '@');
  gboolean parsed;

  if (at != NULL)
    parsed = parse_metadata_hbase (first, at, &url, error);
  else
    parsed = parse_metadata_local (first, &url, error);

  if (!parsed)
    return FALSE;

  url.params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 1; pieces[i] != NULL; i++)
    {
      char *piece = g_strstrip (pieces[i]);

      if (*piece != '\0'
          && !parse_metadata_parameter (piece, url.params, error))
        return FALSE;
    }

  *out = url;
  memset (&url, 0, sizeof url);

  return TRUE;
}

gboolean
jl_metadata_url_parse (const char     *value,
                       JlMetadataUrl  *out,
                       GError        **error)
{
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!parse_metadata_url (value, out, error))
    {
      g_prefix_error (error, KEY_METADATA_URL "=%s: ", value);
      return FALSE;
    }

  return TRUE;
}

void
jl_metadata_url_clear (JlMetadataUrl *url)
{
  if (url == NULL)
    return;

  g_clear_pointer (&url->identifier, g_free);
  g_clear_pointer (&url->path, g_free);
  g_clear_pointer (&url->params, g_hash_table_unref);
  url->kind = JL_METASTORE_HBASE;
}

static gboolean
load_metadata (const JlProperties *props, JlConfig *config, GError **error)
{
  const char *value = get_or_default (props, KEY_METADATA_URL,
                                      DEFAULT_METADATA_URL);
  g_autoptr (GError) local_error = NULL;

  if (!parse_metadata_url (value, &config->metadata, &local_error))
    return set_invalid_value (error, props, KEY_METADATA_URL, value, "%s",
                              local_error->message);

  return TRUE;
}

/* ZooKeeper rejects these code points in node names. Its checks run on
 * Java's UTF-16 units, so the surrogate range D800-DFFF also excludes every
 * code point above U+FFFF. */
static gboolean
is_zk_name_char (gunichar c)
{
  return c > 0x1F
         && !(c >= 0x7F && c <= 0x9F)
         && !(c >= 0xD800 && c <= 0xF8FF)
         && c < 0xFFF0;
}

/* Checks one node name of a ZooKeeper path. */
static gboolean
validate_zk_name (const char *name, GError **error)
{
  if (g_str_equal (name, ".") || g_str_equal (name, ".."))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "ZooKeeper paths cannot contain '%s'", name);
      return FALSE;
    }

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!is_zk_name_char (c))
        {
          g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                       "ZooKeeper paths cannot contain the character U+%04X",
                       c);
          return FALSE;
        }
    }

  return TRUE;
}

/* Normalises @text into an absolute ZooKeeper path: repeated '/' collapse,
 * a trailing '/' is removed and a leading '/' is added. An empty text
 * becomes "/". */
static gboolean
normalize_zk_path (const char *text, char **out, GError **error)
{
  g_auto (GStrv) names = g_strsplit (text, "/", -1);
  g_autoptr (GString) path = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    {
      if (*names[i] == '\0')
        continue;

      if (!validate_zk_name (names[i], error))
        return FALSE;

      g_string_append_c (path, '/');
      g_string_append (path, names[i]);
    }

  if (path->len == 0)
    g_string_append_c (path, '/');

  *out = g_string_free (g_steal_pointer (&path), FALSE);
  return TRUE;
}

static gboolean
load_cluster_name (const JlProperties *props, JlConfig *config,
                   GError **error)
{
  const char *value = get_or_default (props, KEY_CLUSTER_NAME,
                                      config->metadata.identifier);
  g_autoptr (GError) local_error = NULL;

  if (*value == '\0' || strchr (value, '/') != NULL)
    return set_invalid_value (error, props, KEY_CLUSTER_NAME, value,
                              "expected a non-empty name without '/'");

  if (!validate_zk_name (value, &local_error))
    return set_invalid_value (error, props, KEY_CLUSTER_NAME, value, "%s",
                              local_error->message);

  config->cluster_name = g_strdup (value);

  return TRUE;
}

static gboolean
load_zk_base_path (const JlProperties *props, JlConfig *config,
                   GError **error)
{
  const char *value = get_or_default (props, KEY_ZK_BASE_PATH,
                                      DEFAULT_ZK_BASE_PATH);
  g_autoptr (GError) local_error = NULL;

  if (!normalize_zk_path (value, &config->zk_base_path, &local_error))
    return set_invalid_value (error, props, KEY_ZK_BASE_PATH, value, "%s",
                              local_error->message);

  return TRUE;
}

/* The syntax of a HOST:PORT list and the words its messages use. */
typedef struct {
  const char *entry_noun;     /* plural, as in "separate servers with commas" */
  gboolean bracketed_ipv6;    /* IPv6 as [IPV6]:PORT, else as IPV6:PORT */
  const char *example;        /* a valid list */
  const char *ipv6_example;   /* a valid IPv6 entry */
} JlHostListSyntax;

/* libzookeeper-mt 3.8.0 splits each entry at its last ':' and passes the
 * host to getaddrinfo(), so an IPv6 address is written without brackets,
 * as in "::1:2181". getaddrinfo() cannot resolve "[::1]", and the client
 * skips such an entry while another one resolves. */
static const JlHostListSyntax zk_hosts_syntax = {
  "ZooKeeper servers", FALSE, "zk1:2181,zk2:2181", "::1:2181",
};

/* thrift-client.c gets host and port separately from this parser, so the
 * gateways use the bracketed IPv6 form of URLs. */
static const JlHostListSyntax thrift_hosts_syntax = {
  "Thrift gateways", TRUE, "thrift1:9090,thrift2:9090", "[::1]:9090",
};

static gboolean
is_host_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_';
}

/* Checks that @host is a non-empty run of host-name characters, which also
 * covers IPv4 addresses. */
static gboolean
is_host_name (const char *host)
{
  gboolean valid = *host != '\0';

  for (const char *p = host; *p != '\0'; p++)
    valid = valid && is_host_name_char (*p);

  return valid;
}

/* Checks that @text is an IPv6 address, optionally with a zone such as
 * "fe80::1%eth0". g_hostname_is_ip_address() is not used because it
 * accepts ":" (GLib 2.74.6). */
static gboolean
is_ipv6_address (const char *text)
{
  const char *percent = strchr (text, '%');
  gsize length = percent != NULL ? (gsize) (percent - text) : strlen (text);
  g_autofree char *address = g_strndup (text, length);
  struct in6_addr parsed;

  if (percent != NULL && !is_host_name (percent + 1))
    return FALSE;

  return inet_pton (AF_INET6, address, &parsed) == 1;
}

/* Returns the start of the URL scheme, such as "thrift", that ends at
 * @separator, the "://" after it. */
static const char *
find_url_scheme_start (const char *text, const char *separator)
{
  const char *start = separator;

  while (start > text
         && (g_ascii_isalnum (start[-1]) || start[-1] == '+'
             || start[-1] == '-' || start[-1] == '.'))
    start--;

  return start;
}

/* Rejects a URL scheme prefix such as "thrift://" anywhere in @text, and
 * suggests @text without such prefixes. */
static gboolean
check_no_url_scheme (const char *text, GError **error)
{
  const char *separator = strstr (text, "://");

  if (separator == NULL)
    return TRUE;

  const char *start = find_url_scheme_start (text, separator);
  g_autofree char *prefix = g_strndup (start,
                                       (gsize) (separator + 3 - start));
  g_autoptr (GString) fixed = g_string_new (NULL);
  const char *rest = text;

  while ((separator = strstr (rest, "://")) != NULL)
    {
      start = find_url_scheme_start (rest, separator);
      g_string_append_len (fixed, rest, start - rest);
      rest = separator + 3;
    }

  g_string_append (fixed, rest);

  g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
               "a URL prefix is not allowed; drop the '%s' prefix, e.g. "
               "write %s",
               prefix, fixed->str);
  return FALSE;
}

static gboolean
is_list_separator_typo (char c)
{
  return c == ';' || g_ascii_isspace (c);
}

/* Returns @text with every run of ',', ';' and blanks replaced by one ','
 * and none at either end. */
static char *
join_with_commas (const char *text)
{
  g_autoptr (GString) joined = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      while (*p != '\0' && (is_list_separator_typo (*p) || *p == ','))
        p++;

      const char *piece = p;

      while (*p != '\0' && !is_list_separator_typo (*p) && *p != ',')
        p++;

      if (p == piece)
        break;

      if (joined->len > 0)
        g_string_append_c (joined, ',');

      g_string_append_len (joined, piece, p - piece);
    }

  return g_string_free (g_steal_pointer (&joined), FALSE);
}

/* Checks whether the blank-separated pieces of @entry are two or more, each
 * with a ':', so that they look like HOST:PORT entries. */
static gboolean
has_blank_separated_entries (const char *entry)
{
  g_auto (GStrv) pieces = g_strsplit_set (entry, " \t\f\v\r\n", -1);
  guint piece_count = 0;

  for (guint i = 0; pieces[i] != NULL; i++)
    {
      if (*pieces[i] == '\0')
        continue;

      if (strchr (pieces[i], ':') == NULL)
        return FALSE;

      piece_count++;
    }

  return piece_count > 1;
}

/* Rejects entries separated by ';' or blanks instead of ','. Blanks inside
 * an entry count only when every piece contains a ':', so that "zk 1:2181"
 * gets the host-name error instead. */
static gboolean
check_list_separators (const char *text, const JlHostListSyntax *syntax,
                       GError **error)
{
  g_auto (GStrv) entries = g_strsplit (text, ",", -1);
  gboolean mistyped = FALSE;

  for (guint i = 0; entries[i] != NULL; i++)
    {
      const char *entry = g_strstrip (entries[i]);

      if (strchr (entry, ';') != NULL || has_blank_separated_entries (entry))
        mistyped = TRUE;
    }

  if (!mistyped)
    return TRUE;

  g_autofree char *fixed = join_with_commas (text);

  g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
               "separate %s with commas, e.g. %s",
               syntax->entry_noun, fixed);
  return FALSE;
}

static gboolean
set_missing_port (const char *entry, const JlHostListSyntax *syntax,
                  GError **error)
{
  if (syntax->bracketed_ipv6 && is_ipv6_address (entry))
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "IPv6 address '%s' has no port; write [%s]:PORT, e.g. %s",
                 entry, entry, syntax->ipv6_example);
  else if (is_ipv6_address (entry))
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "IPv6 address '%s' has no port; write %s:PORT, e.g. %s",
                 entry, entry, syntax->ipv6_example);
  else
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "'%s' has no port; expected HOST:PORT, e.g. %s",
                 entry, syntax->example);

  return FALSE;
}

/* Splits "HOST:PORT" at the last colon. A host with a ':' must be an IPv6
 * address, and is accepted only when @syntax writes IPv6 without brackets. */
static gboolean
split_plain_host_port (const char *entry, const JlHostListSyntax *syntax,
                       char **host, const char **port, GError **error)
{
  const char *colon = strrchr (entry, ':');
  g_autofree char *name = NULL;

  if (colon == NULL)
    return set_missing_port (entry, syntax, error);

  name = g_strndup (entry, (gsize) (colon - entry));

  if (is_host_name (name)
      || (!syntax->bracketed_ipv6 && is_ipv6_address (name)))
    {
      *host = g_steal_pointer (&name);
      *port = colon + 1;
      return TRUE;
    }

  if (syntax->bracketed_ipv6 && is_ipv6_address (name))
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "host '%s' is an IPv6 address; write it in brackets, e.g. "
                 "[%s]:%s",
                 name, name, colon + 1);
  else if (is_ipv6_address (entry))
    return set_missing_port (entry, syntax, error);
  else if (*name == '\0')
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "'%s' has no host; expected HOST:PORT, e.g. %s",
                 entry, syntax->example);
  else
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "host '%s' is not a valid host name or IP address; expected "
                 "HOST:PORT, e.g. %s",
                 name, syntax->example);

  return FALSE;
}

/* Returns "[ADDRESS]:PORT" for an entry "[ADDRESS:PORT" that lacks its ']',
 * or the generic IPv6 example when the entry is not of that shape. */
static char *
suggest_closing_bracket (const char *entry, const JlHostListSyntax *syntax)
{
  const char *colon = strrchr (entry, ':');
  g_autofree char *address = NULL;

  if (colon == NULL)
    return g_strdup (syntax->ipv6_example);

  address = g_strndup (entry + 1, (gsize) (colon - entry - 1));

  if (!is_ipv6_address (address))
    return g_strdup (syntax->ipv6_example);

  return g_strdup_printf ("[%s]%s", address, colon);
}

/* Splits "[IPV6]:PORT" and returns the address without brackets. */
static gboolean
split_bracketed_host_port (const char *entry, const JlHostListSyntax *syntax,
                           char **host, const char **port, GError **error)
{
  const char *close = strchr (entry, ']');
  g_autofree char *address = NULL;

  if (close == NULL)
    {
      g_autofree char *fixed = suggest_closing_bracket (entry, syntax);

      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "the closing ']' is missing in '%s'; write [IPV6]:PORT, "
                   "e.g. %s",
                   entry, fixed);
      return FALSE;
    }

  address = g_strndup (entry + 1, (gsize) (close - entry - 1));

  if (!is_ipv6_address (address))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "'%s' in '%s' is not an IPv6 address; write host names "
                   "and IPv4 addresses without brackets, e.g. %s",
                   address, entry, syntax->example);
      return FALSE;
    }

  if (close[1] != ':')
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "'%s' has no port after ']'; write [%s]:PORT, e.g. %s",
                   entry, address, syntax->ipv6_example);
      return FALSE;
    }

  *host = g_steal_pointer (&address);
  *port = close + 2;

  return TRUE;
}

/* Rejects "[HOST]:PORT" in the ZooKeeper list, the one @syntax that writes
 * hosts without brackets, and suggests the entry without them. */
static gboolean
reject_brackets (const char *entry, const JlHostListSyntax *syntax,
                 GError **error)
{
  g_autoptr (GString) fixed = g_string_new (NULL);
  g_autofree char *host = NULL;
  const char *port = NULL;

  for (const char *p = entry; *p != '\0'; p++)
    {
      if (*p != '[' && *p != ']')
        g_string_append_c (fixed, *p);
    }

  if (!split_plain_host_port (fixed->str, syntax, &host, &port, NULL))
    g_string_assign (fixed, syntax->ipv6_example);

  g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
               "the ZooKeeper C client cannot resolve a host in brackets, "
               "as in '%s'; write it without brackets, e.g. %s",
               entry, fixed->str);
  return FALSE;
}

/* Parses one entry of a HOST:PORT list, with a port of 1-65535. */
static gboolean
parse_host_port (const char *entry, const JlHostListSyntax *syntax,
                 JlHostPort *out, GError **error)
{
  g_autofree char *host = NULL;
  const char *port_text = NULL;
  guint64 port;
  gboolean split;

  if (entry[0] == '[' && !syntax->bracketed_ipv6)
    return reject_brackets (entry, syntax, error);

  if (entry[0] == '[')
    split = split_bracketed_host_port (entry, syntax, &host, &port_text,
                                       error);
  else
    split = split_plain_host_port (entry, syntax, &host, &port_text, error);

  if (!split)
    return FALSE;

  if (!parse_decimal (port_text, 65535, &port) || port == 0)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "port '%s' of '%s' is invalid; expected a number between "
                   "1 and 65535",
                   port_text, entry);
      return FALSE;
    }

  out->host = g_steal_pointer (&host);
  out->port = (guint16) port;

  return TRUE;
}

static void
jl_host_port_clear (gpointer data)
{
  JlHostPort *host_port = data;

  g_clear_pointer (&host_port->host, g_free);
}

static GArray *
host_port_array_new (void)
{
  GArray *array = g_array_new (FALSE, TRUE, sizeof (JlHostPort));

  g_array_set_clear_func (array, jl_host_port_clear);

  return array;
}

/* Parses a comma-separated list of at least one HOST:PORT entry, blanks
 * around each entry allowed, into @servers. Stores the entries joined again
 * without the blanks in @normalized unless it is NULL. */
static gboolean
parse_host_port_list (const char *text, const JlHostListSyntax *syntax,
                      GArray *servers, char **normalized, GError **error)
{
  g_auto (GStrv) entries = g_strsplit (text, ",", -1);

  if (!check_no_url_scheme (text, error)
      || !check_list_separators (text, syntax, error))
    return FALSE;

  if (entries[0] == NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "the list of %s is empty; expected "
                   "HOST:PORT[,HOST:PORT...], e.g. %s",
                   syntax->entry_noun, syntax->example);
      return FALSE;
    }

  for (guint i = 0; entries[i] != NULL; i++)
    {
      JlHostPort host_port = { NULL, 0 };

      g_strstrip (entries[i]);

      if (*entries[i] == '\0')
        {
          g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                       "empty entry; expected HOST:PORT[,HOST:PORT...], "
                       "e.g. %s",
                       syntax->example);
          return FALSE;
        }

      if (!parse_host_port (entries[i], syntax, &host_port, error))
        return FALSE;

      g_array_append_val (servers, host_port);
    }

  if (normalized != NULL)
    *normalized = g_strjoinv (",", entries);

  return TRUE;
}

/* Checks the chroot suffix of a ZooKeeper connect string. ZooKeeper takes
 * it as written, so it must already be in normal form. */
static gboolean
validate_zk_chroot (const char *chroot, GError **error)
{
  g_autofree char *normalized = NULL;

  if (!normalize_zk_path (chroot, &normalized, error))
    return FALSE;

  if (!g_str_equal (normalized, chroot))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "chroot '%s' is not a normalised path; write '%s'",
                   chroot, normalized);
      return FALSE;
    }

  return TRUE;
}

/* Validates "HOST:PORT[,HOST:PORT...][/CHROOT]" and returns it with the
 * blanks around each entry removed. */
static gboolean
parse_zk_connect (const char *value, char **out, GError **error)
{
  g_autofree char *text = g_strstrip (g_strdup (value));
  char *slash = NULL;
  g_autofree char *chroot = NULL;
  g_autoptr (GArray) hosts = host_port_array_new ();
  g_autofree char *hosts_text = NULL;

  /* A "zk://" prefix would otherwise be cut at its first '/' as a chroot. */
  if (!check_no_url_scheme (text, error))
    return FALSE;

  slash = strchr (text, '/');
  if (slash != NULL)
    {
      chroot = g_strdup (slash);
      *slash = '\0';
    }

  if (!parse_host_port_list (text, &zk_hosts_syntax, hosts, &hosts_text,
                             error))
    return FALSE;

  if (chroot != NULL && !validate_zk_chroot (chroot, error))
    return FALSE;

  *out = g_strconcat (hosts_text, chroot, NULL);
  return TRUE;
}

static gboolean
load_zk_connect (const JlProperties *props, JlConfig *config,
                 const char *source, GError **error)
{
  const char *value = jl_properties_get (props, KEY_ZK_CONNECT);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *stripped = NULL;

  if (value == NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "%s is not set in %s: set it to the ZooKeeper ensemble, "
                   "e.g. zk1:2181,zk2:2181 (jobleader does not read "
                   "hbase-site.xml, where Kylin can find it otherwise)",
                   KEY_ZK_CONNECT, source);
      return FALSE;
    }

  stripped = g_strstrip (g_strdup (value));

  if (*stripped == '\0')
    return set_invalid_value (error, props, KEY_ZK_CONNECT, value,
                              "the value is empty; set it to the ZooKeeper "
                              "ensemble as HOST:PORT[,HOST:PORT...][/CHROOT], "
                              "e.g. zk1:2181,zk2:2181");

  if (!parse_zk_connect (value, &config->zk_connect, &local_error))
    return set_invalid_value (error, props, KEY_ZK_CONNECT, value, "%s",
                              local_error->message);

  return TRUE;
}

/* The leader stops acting this long before the earliest moment the server
 * could expire its session. The ZooKeeper C client sends a heartbeat after
 * a third of the session timeout without traffic, so a margin of a third
 * or more would leave a healthy leader too little time to hear back.
 *
 * NOTE: this checks the requested timeout. The server clamps it to 2 to 20
 * times its tickTime, so the election code must check the margin again
 * against the negotiated value (zoo_recv_timeout). */
static gboolean
check_safety_margin (const JlProperties *props, const JlConfig *config,
                     GError **error)
{
  g_autofree char *value = NULL;

  if ((guint64) config->zk_safety_margin_ms * 3
      < config->zk_session_timeout_ms)
    return TRUE;

  value = g_strdup_printf ("%u", config->zk_safety_margin_ms);

  return set_invalid_value (error, props, KEY_ZK_SAFETY_MARGIN, value,
                            "expected less than a third of %s (%u ms): the "
                            "leader stops acting this long before the "
                            "earliest moment ZooKeeper could expire its "
                            "session, and it needs the rest of the session "
                            "for heartbeats",
                            KEY_ZK_SESSION_TIMEOUT,
                            config->zk_session_timeout_ms);
}

static gboolean
load_zookeeper (const JlProperties *props, JlConfig *config,
                const char *source, GError **error)
{
  return load_zk_connect (props, config, source, error)
         && load_zk_base_path (props, config, error)
         && load_milliseconds (props, &session_timeout_rule,
                               &config->zk_session_timeout_ms, error)
         && load_milliseconds (props, &safety_margin_rule,
                               &config->zk_safety_margin_ms, error)
         && check_safety_margin (props, config, error);
}

static gboolean
load_thrift_servers (const JlProperties *props, JlConfig *config,
                     const char *source, GError **error)
{
  const char *value = jl_properties_get (props, KEY_THRIFT_SERVERS);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *stripped = NULL;

  if (value == NULL && config->metadata.kind == JL_METASTORE_HBASE)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                   "%s is not set in %s: set it to the HBase Thrift2 "
                   "gateways that reach the %s table, e.g. "
                   "thrift1:9090,thrift2:9090",
                   KEY_THRIFT_SERVERS, source, config->metadata.identifier);
      return FALSE;
    }

  if (value == NULL)
    return TRUE;

  stripped = g_strstrip (g_strdup (value));

  /* A local metastore does not use the gateways, so an empty value there
   * counts as unset, as it does for the optional paths. */
  if (*stripped == '\0' && config->metadata.kind == JL_METASTORE_HBASE)
    return set_invalid_value (error, props, KEY_THRIFT_SERVERS, value,
                              "the value is empty; set it to the HBase "
                              "Thrift2 gateways that reach the %s table, "
                              "e.g. thrift1:9090,thrift2:9090",
                              config->metadata.identifier);

  if (*stripped == '\0')
    return TRUE;

  if (!parse_host_port_list (value, &thrift_hosts_syntax,
                             config->thrift_servers, NULL, &local_error))
    return set_invalid_value (error, props, KEY_THRIFT_SERVERS, value, "%s",
                              local_error->message);

  return TRUE;
}

static gboolean
check_lease_renewal (const JlProperties *props, const JlConfig *config,
                     GError **error)
{
  g_autofree char *value = NULL;

  if (config->lease_renew_ms < config->lease_ttl_ms)
    return TRUE;

  value = g_strdup_printf ("%u", config->lease_renew_ms);

  return set_invalid_value (error, props, KEY_LEASE_RENEW, value,
                            "expected less than %s (%u ms), because a lease "
                            "that is not renewed within its TTL goes stale",
                            KEY_LEASE_TTL, config->lease_ttl_ms);
}

static gboolean
load_timing (const JlProperties *props, JlConfig *config, GError **error)
{
  return load_milliseconds (props, &thrift_timeout_rule,
                            &config->thrift_timeout_ms, error)
         && load_milliseconds (props, &lease_renew_rule,
                               &config->lease_renew_ms, error)
         && load_milliseconds (props, &lease_ttl_rule,
                               &config->lease_ttl_ms, error)
         && check_lease_renewal (props, config, error)
         && load_milliseconds (props, &retry_max_rule,
                               &config->retry_max_ms, error);
}

/* Reads an optional absolute path. An empty value counts as unset, so an
 * override file can turn the setting off. */
static gboolean
load_optional_path (const JlProperties *props, const char *key, char **out,
                    GError **error)
{
  const char *value = jl_properties_get (props, key);

  if (value == NULL || *value == '\0')
    return TRUE;

  if (!g_path_is_absolute (value))
    return set_invalid_value (error, props, key, value,
                              "expected an absolute path, because jobleaderd "
                              "changes its working directory");

  *out = g_strdup (value);
  return TRUE;
}

/* Checks that the event log is not a folder and that its folder exists,
 * because jobleaderd creates only the file. A folder that cannot be
 * inspected, for example when `jobleader status` runs as another user,
 * passes. jobleaderd then reports the problem when it opens the file. */
static gboolean
load_event_log (const JlProperties *props, JlConfig *config, GError **error)
{
  g_autofree char *folder = NULL;
  GStatBuf info;

  if (!load_optional_path (props, KEY_EVENT_LOG, &config->event_log, error))
    return FALSE;

  if (config->event_log == NULL)
    return TRUE;

  if (g_file_test (config->event_log, G_FILE_TEST_IS_DIR))
    return set_invalid_value (error, props, KEY_EVENT_LOG, config->event_log,
                              "this is a folder; expected a file path, e.g. "
                              "%s/jobleader-events.jsonl",
                              config->event_log);

  folder = g_path_get_dirname (config->event_log);

  if (g_stat (folder, &info) != 0)
    {
      int saved_errno = errno;

      if (saved_errno != ENOENT && saved_errno != ENOTDIR)
        return TRUE;

      return set_invalid_value (error, props, KEY_EVENT_LOG,
                                config->event_log,
                                "the folder %s does not exist; create it, or "
                                "set a file path in an existing folder",
                                folder);
    }

  if (!S_ISDIR (info.st_mode))
    return set_invalid_value (error, props, KEY_EVENT_LOG, config->event_log,
                              "%s is not a folder; set a file path in an "
                              "existing folder",
                              folder);

  return TRUE;
}

static gboolean
load_hook (const JlProperties *props, JlConfig *config, GError **error)
{
  if (!load_optional_path (props, KEY_HOOK, &config->hook, error))
    return FALSE;

  if (config->hook == NULL)
    return TRUE;

  if (!g_file_test (config->hook, G_FILE_TEST_IS_REGULAR)
      || !g_file_test (config->hook, G_FILE_TEST_IS_EXECUTABLE))
    return set_invalid_value (error, props, KEY_HOOK, config->hook,
                              "expected an executable file");

  return TRUE;
}

/* Returns the default configuration file and stores the environment
 * variable it comes from in @variable. Returns NULL when neither KYLIN_CONF
 * nor KYLIN_HOME is set. */
static char *
find_default_path (const char **variable)
{
  const char *conf = g_getenv ("KYLIN_CONF");
  const char *home = g_getenv ("KYLIN_HOME");

  if (conf != NULL && *conf != '\0')
    {
      *variable = "KYLIN_CONF";
      return g_build_filename (conf, "kylin.properties", NULL);
    }

  if (home != NULL && *home != '\0')
    {
      *variable = "KYLIN_HOME";
      return g_build_filename (home, "conf", "kylin.properties", NULL);
    }

  return NULL;
}

/* Sets the error for a configuration file that cannot be read. When @path
 * is the default path, the message names the environment variable it was
 * built from, because the caller may not know that one is set. */
static void
set_unreadable_config (GError **error, const char *path,
                       const GError *load_error)
{
  const char *variable = NULL;
  g_autofree char *default_path = find_default_path (&variable);

  if (default_path == NULL || !g_str_equal (default_path, path))
    {
      g_set_error (error, JL_ERROR, load_error->code,
                   "cannot read the configuration: %s; pass --config FILE "
                   "or set KYLIN_CONF", load_error->message);
      return;
    }

  g_set_error (error, JL_ERROR, load_error->code,
               "cannot read the configuration: %s; this is the default "
               "path, from %s=%s%s: set KYLIN_CONF to the folder that "
               "contains kylin.properties, or pass --config FILE",
               load_error->message, variable, g_getenv (variable),
               g_str_equal (variable, "KYLIN_HOME")
               ? " because KYLIN_CONF is not set" : "");
}

/* Reads @path and then kylin.properties.override in the same folder, when
 * that file exists, so that the override's values win. */
static JlProperties *
load_properties (const char *path, GError **error)
{
  g_autoptr (JlProperties) props = jl_properties_new ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *override_path = g_build_filename (folder,
                                                     OVERRIDE_FILE_NAME, NULL);
  g_autoptr (GError) override_error = NULL;
  g_autoptr (GError) load_error = NULL;

  if (!jl_properties_load_file (props, path, &load_error))
    {
      if (load_error->code == JL_ERROR_INVALID)
        g_propagate_error (error, g_steal_pointer (&load_error));
      else
        set_unreadable_config (error, path, load_error);
      return NULL;
    }

  if (!jl_properties_load_file (props, override_path, &override_error)
      && !g_error_matches (override_error, JL_ERROR, JL_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&override_error));
      return NULL;
    }

  return g_steal_pointer (&props);
}

JlConfig *
jl_config_load (const char *path, GError **error)
{
  g_autoptr (JlProperties) props = NULL;
  g_autoptr (JlConfig) config = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  props = load_properties (path, error);
  if (props == NULL)
    return NULL;

  config = g_new0 (JlConfig, 1);
  config->source = g_strdup (path);
  config->thrift_servers = host_port_array_new ();

  if (!check_jobleader_keys (props, error)
      || !load_server_mode (props, config, error)
      || !load_host_address (props, config, error)
      || !load_metadata (props, config, error)
      || !load_cluster_name (props, config, error)
      || !load_zookeeper (props, config, path, error)
      || !load_thrift_servers (props, config, path, error)
      || !load_timing (props, config, error)
      || !load_event_log (props, config, error)
      || !load_hook (props, config, error))
    return NULL;

  return g_steal_pointer (&config);
}

JlConfig *
jl_config_load_or_default (const char *path, GError **error)
{
  g_autofree char *default_path = NULL;

  if (path == NULL)
    {
      default_path = jl_config_default_path (error);
      if (default_path == NULL)
        return NULL;
      path = default_path;
    }

  return jl_config_load (path, error);
}

void
jl_config_free (JlConfig *config)
{
  if (config == NULL)
    return;

  g_free (config->source);
  g_free (config->server_mode);
  g_free (config->host_address);
  jl_metadata_url_clear (&config->metadata);
  g_free (config->cluster_name);
  g_free (config->zk_connect);
  g_free (config->zk_base_path);
  g_clear_pointer (&config->thrift_servers, g_array_unref);
  g_free (config->event_log);
  g_free (config->hook);
  g_free (config);
}

char *
jl_config_default_path (GError **error)
{
  const char *variable = NULL;
  char *path = find_default_path (&variable);

  if (path != NULL)
    return path;

  g_set_error_literal (error, JL_ERROR, JL_ERROR_INVALID,
                       "cannot find kylin.properties because neither "
                       "KYLIN_CONF nor KYLIN_HOME is set; pass --config FILE "
                       "or set KYLIN_CONF to the folder that contains "
                       "kylin.properties");
  return NULL;
}

char *
jl_config_election_path (const JlConfig *config)
{
  g_return_val_if_fail (config != NULL, NULL);

  /* The base path is normalised, so only the root "/" ends in '/'. */
  const char *base = g_str_equal (config->zk_base_path, "/")
                     ? "" : config->zk_base_path;

  return g_strconcat (base, "/", config->cluster_name, ELECTION_SUFFIX, NULL);
}

char *
jl_config_thrift_servers_string (const JlConfig *config)
{
  g_autoptr (GString) joined = g_string_new (NULL);

  g_return_val_if_fail (config != NULL, NULL);

  for (guint i = 0; i < config->thrift_servers->len; i++)
    {
      const JlHostPort *server = &g_array_index (config->thrift_servers,
                                                 JlHostPort, i);
      if (i > 0)
        g_string_append_c (joined, ',');

      if (strchr (server->host, ':') != NULL)
        g_string_append_printf (joined, "[%s]:%u", server->host, server->port);
      else
        g_string_append_printf (joined, "%s:%u", server->host, server->port);
    }

  return g_string_free (g_steal_pointer (&joined), FALSE);
}
