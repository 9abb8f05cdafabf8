/* The lease record, its JSON form and the byte encoding of the fencing
 * epoch. */
#include "jobleader/lease.h"

#include <errno.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "jobleader/error.h"

/* A lease is a few hundred bytes. The limits bound the work and the stack
 * depth spent on damaged input, because json-glib 1.6 parses nested values
 * recursively and overflows the stack on deep nesting. */
#define LEASE_JSON_MAX_BYTES (64 * 1024)
#define LEASE_JSON_MAX_DEPTH 32

#define MEMBER_HOLDER "holder"
#define MEMBER_NODE "node"
#define MEMBER_EPOCH "epoch"
#define MEMBER_ACQUIRED_AT "acquired_at_ms"
#define MEMBER_RENEWED_AT "renewed_at_ms"
#define MEMBER_STALE_AT "stale_at_ms"
#define MEMBER_RELEASED_AT "released_at_ms"

JlLease *
jl_lease_new (void)
{
  return g_new0 (JlLease, 1);
}

JlLease *
jl_lease_copy (const JlLease *lease)
{
  g_return_val_if_fail (lease != NULL, NULL);

  JlLease *copy = g_new (JlLease, 1);
  *copy = *lease;
  copy->holder = g_strdup (lease->holder);
  copy->node = g_strdup (lease->node);

  return copy;
}

void
jl_lease_free (JlLease *lease)
{
  if (lease == NULL)
    return;

  g_free (lease->holder);
  g_free (lease->node);
  g_free (lease);
}

char *
jl_lease_to_json (const JlLease *lease)
{
  g_return_val_if_fail (lease != NULL, NULL);

  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, MEMBER_HOLDER);
  json_builder_add_string_value (builder, lease->holder ? lease->holder : "");
  if (lease->node != NULL)
    {
      json_builder_set_member_name (builder, MEMBER_NODE);
      json_builder_add_string_value (builder, lease->node);
    }
  json_builder_set_member_name (builder, MEMBER_EPOCH);
  json_builder_add_int_value (builder, lease->epoch);
  json_builder_set_member_name (builder, MEMBER_ACQUIRED_AT);
  json_builder_add_int_value (builder, lease->acquired_at_ms);
  json_builder_set_member_name (builder, MEMBER_RENEWED_AT);
  json_builder_add_int_value (builder, lease->renewed_at_ms);
  json_builder_set_member_name (builder, MEMBER_STALE_AT);
  json_builder_add_int_value (builder, lease->stale_at_ms);
  json_builder_set_member_name (builder, MEMBER_RELEASED_AT);
  json_builder_add_int_value (builder, lease->released_at_ms);
  json_builder_end_object (builder);

  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

static gboolean
check_bytes (const char *data, gsize length, GError **error)
{
  if (length == 0)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT, "Lease JSON is empty");
      return FALSE;
    }

  if (length > LEASE_JSON_MAX_BYTES)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease JSON is too large: %" G_GSIZE_FORMAT
                   " bytes, maximum %d",
                   length, LEASE_JSON_MAX_BYTES);
      return FALSE;
    }

  const char *nul = memchr (data, '\0', length);
  if (nul != NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease JSON contains a NUL byte at offset %td",
                   nul - data);
      return FALSE;
    }

  const char *invalid = NULL;
  if (!g_utf8_validate_len (data, length, &invalid))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease JSON is not valid UTF-8 at offset %td",
                   invalid - data);
      return FALSE;
    }

  return TRUE;
}

/* Checks the integer literal at @data[*pos] and moves *pos past the number.
 * json-glib 1.6 silently turns integers outside the 64-bit range into other
 * values, for example 99999999999999999999999 into -1 and
 * -9223372036854775809 into G_MAXINT64, so they are rejected here. */
static gboolean
scan_number (const char *data, gsize length, gsize *pos, GError **error)
{
  gsize start = *pos;
  gboolean is_integer = TRUE;

  for (; *pos < length; (*pos)++)
    {
      char c = data[*pos];

      if (c == '.' || c == 'e' || c == 'E')
        is_integer = FALSE;
      else if (c != '+' && c != '-' && !g_ascii_isdigit (c))
        break;
    }

  if (!is_integer)
    return TRUE;

  g_autofree char *literal = g_strndup (data + start, *pos - start);
  errno = 0;
  g_ascii_strtoll (literal, NULL, 10);
  if (errno == ERANGE)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease JSON has an integer outside the 64-bit range "
                   "at offset %" G_GSIZE_FORMAT,
                   start);
      return FALSE;
    }

  return TRUE;
}

/* Moves *pos past the string that starts at @data[*pos]. An unterminated
 * string is left for the parser to report. */
static void
skip_string (const char *data, gsize length, gsize *pos)
{
  for ((*pos)++; *pos < length; (*pos)++)
    {
      if (data[*pos] == '\\')
        (*pos)++;
      else if (data[*pos] == '"')
        break;
    }
}

static gboolean
check_trailing (const char *data, gsize length, gsize pos, GError **error)
{
  for (; pos < length; pos++)
    {
      if (!g_ascii_isspace (data[pos]))
        {
          g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                       "Lease JSON has unexpected data after the object "
                       "at offset %" G_GSIZE_FORMAT,
                       pos);
          return FALSE;
        }
    }

  return TRUE;
}

/* Rejects input that json-glib 1.6 would crash on or read wrongly. That is
 * nesting deeper than LEASE_JSON_MAX_DEPTH, integers outside the 64-bit
 * range, and data after the first complete object or array, which
 * json-glib ignores. */
static gboolean
scan_structure (const char *data, gsize length, GError **error)
{
  int depth = 0;

  for (gsize pos = 0; pos < length; pos++)
    {
      char c = data[pos];

      if (c == '"')
        {
          skip_string (data, length, &pos);
        }
      else if (c == '-' || g_ascii_isdigit (c))
        {
          if (!scan_number (data, length, &pos, error))
            return FALSE;
          pos--;
        }
      else if (c == '{' || c == '[')
        {
          if (++depth > LEASE_JSON_MAX_DEPTH)
            {
              g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                           "Lease JSON is nested deeper than %d levels",
                           LEASE_JSON_MAX_DEPTH);
              return FALSE;
            }
        }
      else if ((c == '}' || c == ']') && --depth == 0)
        {
          return check_trailing (data, length, pos + 1, error);
        }
    }

  return TRUE;
}

/* Names the JSON type of @node for messages. */
static const char *
describe_type (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return "object";
    case JSON_NODE_ARRAY:
      return "array";
    case JSON_NODE_NULL:
      return "null";
    case JSON_NODE_VALUE:
      break;
    }

  GType type = json_node_get_value_type (node);
  if (type == G_TYPE_STRING)
    return "string";
  if (type == G_TYPE_INT64)
    return "integer";
  if (type == G_TYPE_DOUBLE)
    return "fractional number";
  if (type == G_TYPE_BOOLEAN)
    return "boolean";

  return g_type_name (type);
}

static JsonObject *
parse_object (JsonParser *parser, const char *data, gsize length,
              GError **error)
{
  g_autoptr (GError) parse_error = NULL;

  if (!json_parser_load_from_data (parser, data, length, &parse_error))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease JSON is invalid: %s", parse_error->message);
      return NULL;
    }

  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease JSON contains only white space");
      return NULL;
    }

  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease JSON root has type %s, expected object",
                   describe_type (root));
      return NULL;
    }

  return json_node_get_object (root);
}

/* Reads the string member @name. A missing or null member is accepted
 * only when @optional is set, and then leaves *out NULL. */
static gboolean
read_string (JsonObject *object, const char *name, gboolean optional,
             char **out, GError **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (optional)
        return TRUE;

      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease JSON has no member '%s'", name);
      return FALSE;
    }

  if (json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease member '%s' has type %s, expected string", name,
                   describe_type (node));
      return FALSE;
    }

  *out = json_node_dup_string (node);

  return TRUE;
}

/* Reads the required integer member @name and checks that it is at least
 * @minimum. */
static gboolean
read_integer (JsonObject *object, const char *name, gint64 minimum,
              gint64 *out, GError **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease JSON has no member '%s'", name);
      return FALSE;
    }

  if (json_node_get_value_type (node) != G_TYPE_INT64)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease member '%s' has type %s, expected integer", name,
                   describe_type (node));
      return FALSE;
    }

  gint64 value = json_node_get_int (node);
  if (value < minimum)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease member '%s' is %" G_GINT64_FORMAT
                   ", expected at least %" G_GINT64_FORMAT,
                   name, value, minimum);
      return FALSE;
    }

  *out = value;

  return TRUE;
}

static gboolean
read_members (JsonObject *object, JlLease *lease, GError **error)
{
  if (!read_string (object, MEMBER_HOLDER, FALSE, &lease->holder, error))
    return FALSE;

  if (lease->holder[0] == '\0')
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Lease member '" MEMBER_HOLDER "' is empty");
      return FALSE;
    }

  if (!read_string (object, MEMBER_NODE, TRUE, &lease->node, error))
    return FALSE;

  return read_integer (object, MEMBER_EPOCH, 1, &lease->epoch, error)
         && read_integer (object, MEMBER_ACQUIRED_AT, 0,
                          &lease->acquired_at_ms, error)
         && read_integer (object, MEMBER_RENEWED_AT, 0,
                          &lease->renewed_at_ms, error)
         && read_integer (object, MEMBER_STALE_AT, 0, &lease->stale_at_ms,
                          error)
         && read_integer (object, MEMBER_RELEASED_AT, 0,
                          &lease->released_at_ms, error);
}

JlLease *
jl_lease_from_json (const char *data, gssize length, GError **error)
{
  g_return_val_if_fail (data != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  gsize size = length < 0 ? strlen (data) : (gsize) length;

  if (!check_bytes (data, size, error))
    return NULL;

  if (!scan_structure (data, size, error))
    return NULL;

  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *object = parse_object (parser, data, size, error);
  if (object == NULL)
    return NULL;

  g_autoptr (JlLease) lease = jl_lease_new ();
  if (!read_members (object, lease, error))
    return NULL;

  return g_steal_pointer (&lease);
}

gboolean
jl_lease_is_stale (const JlLease *lease, gint64 now_ms)
{
  g_return_val_if_fail (lease != NULL, TRUE);

  return lease->released_at_ms != 0 || now_ms >= lease->stale_at_ms;
}

void
jl_epoch_encode (gint64 epoch, guint8 out[8])
{
  guint64 bits = (guint64) epoch;

  for (int i = 7; i >= 0; i--)
    {
      out[i] = bits & 0xff;
      bits >>= 8;
    }
}

gboolean
jl_epoch_decode (const guint8 *data, gsize length, gint64 *out,
                 GError **error)
{
  if (length != 8)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Epoch is %" G_GSIZE_FORMAT " bytes long, expected 8",
                   length);
      return FALSE;
    }

  guint64 bits = 0;
  for (int i = 0; i < 8; i++)
    bits = (bits << 8) | data[i];

  gint64 epoch = (gint64) bits;
  if (epoch < 0)
    {
      g_set_error (error, JL_ERROR, JL_ERROR_CORRUPT,
                   "Epoch is negative: %" G_GINT64_FORMAT, epoch);
      return FALSE;
    }

  *out = epoch;

  return TRUE;
}
