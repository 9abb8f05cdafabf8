/* Java properties files (java.util.Properties syntax) read as UTF-8.
 *
 * The line reader joins physical lines that end in an odd number of
 * backslashes into one logical line and skips blank and comment lines.
 * Each logical line is cut into key and value on the raw text and only then
 * unescaped, so an escaped separator such as "a\=b" stays inside the key. */
#include "jobleader/properties.h"

#include <string.h>

#include "jobleader/error.h"

typedef struct {
  char *value;
  char *origin; /* "FILE:LINE" */
} JlProperty;

struct _JlProperties {
  GHashTable *entries; /* key (owned) -> JlProperty */
  GPtrArray *order;    /* keys in first-seen order, borrowed from entries */
};

/* Position in the text being parsed, with the physical line number. */
typedef struct {
  const char *pos;
  const char *end;
  guint line;
} JlLineReader;

static void
jl_property_free (gpointer data)
{
  JlProperty *property = data;

  g_free (property->value);
  g_free (property->origin);
  g_free (property);
}

JlProperties *
jl_properties_new (void)
{
  JlProperties *props = g_new0 (JlProperties, 1);

  props->entries = g_hash_table_new_full (g_str_hash, g_str_equal,
                                          g_free, jl_property_free);
  props->order = g_ptr_array_new ();

  return props;
}

void
jl_properties_free (JlProperties *props)
{
  if (props == NULL)
    return;

  g_ptr_array_unref (props->order);
  g_hash_table_unref (props->entries);
  g_free (props);
}

/* Stores @key, taking ownership of @value and @origin. A key seen before
 * keeps its place in the key order. */
static void
properties_set (JlProperties *props, const char *key, char *value,
                char *origin)
{
  JlProperty *property = g_hash_table_lookup (props->entries, key);

  if (property == NULL)
    {
      char *owned_key = g_strdup (key);

      property = g_new0 (JlProperty, 1);
      g_hash_table_insert (props->entries, owned_key, property);
      g_ptr_array_add (props->order, owned_key);
    }

  g_free (property->value);
  g_free (property->origin);
  property->value = value;
  property->origin = origin;
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\f';
}

static gboolean
is_line_break (char c)
{
  return c == '\n' || c == '\r';
}

/* Returns the 1-based line number of @pos, counting "\n", "\r" and "\r\n"
 * as one line break each. */
static guint
line_number_at (const char *text, const char *pos)
{
  guint line = 1;

  for (const char *p = text; p < pos; p++)
    {
      if (*p == '\n' || (*p == '\r' && (p + 1 >= pos || p[1] != '\n')))
        line++;
    }

  return line;
}

static gboolean
validate_utf8 (const char *text, gsize length, const char *source,
               GError **error)
{
  const char *invalid;

  if (g_utf8_validate_len (text, length, &invalid))
    return TRUE;

  guint line = line_number_at (text, invalid);

  if (*invalid == '\0')
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "%s:%u: the file contains a NUL byte", source, line);
  else
    g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
                 "%s:%u: invalid UTF-8; save the file as UTF-8",
                 source, line);

  return FALSE;
}

static void
reader_skip_blanks (JlLineReader *reader)
{
  while (reader->pos < reader->end && is_blank (*reader->pos))
    reader->pos++;
}

/* Moves past the line break at the reader's position. */
static void
reader_skip_line_break (JlLineReader *reader)
{
  if (reader->pos[0] == '\r' && reader->pos + 1 < reader->end
      && reader->pos[1] == '\n')
    reader->pos++;

  reader->pos++;
  reader->line++;
}

/* Moves to the start of the next physical line. */
static void
reader_skip_line (JlLineReader *reader)
{
  while (reader->pos < reader->end && !is_line_break (*reader->pos))
    reader->pos++;

  if (reader->pos < reader->end)
    reader_skip_line_break (reader);
}

/* Appends the rest of the physical line to @out and moves past its line
 * break. Returns TRUE when the line ends in an odd number of backslashes,
 * which continues the logical line. That last backslash is not appended. */
static gboolean
reader_append_physical_line (JlLineReader *reader, GString *out)
{
  gboolean escaped = FALSE;

  while (reader->pos < reader->end && !is_line_break (*reader->pos))
    {
      escaped = *reader->pos == '\\' ? !escaped : FALSE;
      g_string_append_c (out, *reader->pos);
      reader->pos++;
    }

  if (reader->pos < reader->end)
    reader_skip_line_break (reader);

  if (escaped)
    g_string_truncate (out, out->len - 1);

  return escaped;
}

/* Reads the next logical line into @out, with continuation backslashes and
 * the leading blanks of continuation lines removed, and stores the number
 * of its first physical line in @first_line. A continuation line is never a
 * comment, but a comment line ending in a backslash does not continue.
 * Returns FALSE at the end of the text. */
static gboolean
reader_next_logical_line (JlLineReader *reader, GString *out,
                          guint *first_line)
{
  while (reader->pos < reader->end)
    {
      reader_skip_blanks (reader);

      if (reader->pos == reader->end)
        break;

      if (is_line_break (*reader->pos))
        {
          reader_skip_line_break (reader);
          continue;
        }

      if (*reader->pos == '#' || *reader->pos == '!')
        {
          reader_skip_line (reader);
          continue;
        }

      *first_line = reader->line;
      g_string_truncate (out, 0);

      while (reader_append_physical_line (reader, out)
             && reader->pos < reader->end)
        reader_skip_blanks (reader);

      return TRUE;
    }

  return FALSE;
}

/* Returns the length of the key at the start of @line: it ends at the
 * first '=', ':' or blank that no unpaired backslash escapes. Stores whether
 * it ended at '=' or ':' in @has_separator. */
static gsize
find_key_end (const char *line, gsize length, gboolean *has_separator)
{
  gboolean escaped = FALSE;

  *has_separator = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = line[i];

      if (!escaped && (c == '=' || c == ':'))
        {
          *has_separator = TRUE;
          return i;
        }

      if (!escaped && is_blank (c))
        return i;

      escaped = c == '\\' ? !escaped : FALSE;
    }

  return length;
}

/* Returns where the value of @line starts. Blanks after the key are
 * skipped, and so is one '=' or ':' among them when the key ended at a
 * blank. */
static gsize
find_value_start (const char *line, gsize length, gsize key_end,
                  gboolean has_separator)
{
  gsize i = key_end < length ? key_end + 1 : length;

  for (; i < length; i++)
    {
      char c = line[i];

      if (is_blank (c))
        continue;

      if (has_separator || (c != '=' && c != ':'))
        break;

      has_separator = TRUE;
    }

  return i;
}

static gboolean
set_malformed_unicode_escape (const char *digits, const char *end,
                              GError **error)
{
  const char *shown_end = digits;

  for (int i = 0; i < 4 && shown_end < end; i++)
    shown_end = g_utf8_next_char (shown_end);

  if (shown_end > end)
    shown_end = end;

  g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
               "malformed escape '\\u%.*s': expected \\u and four "
               "hexadecimal digits",
               (int) (shown_end - digits), digits);

  return FALSE;
}

static gboolean
parse_hex4 (const char *digits, const char *end, gunichar *unit)
{
  gunichar value = 0;

  if (end - digits < 4)
    return FALSE;

  for (int i = 0; i < 4; i++)
    {
      int digit = g_ascii_xdigit_value (digits[i]);

      if (digit < 0)
        return FALSE;

      value = value * 16 + (gunichar) digit;
    }

  *unit = value;
  return TRUE;
}

static gboolean
is_high_surrogate (gunichar unit)
{
  return unit >= 0xD800 && unit <= 0xDBFF;
}

static gboolean
is_low_surrogate (gunichar unit)
{
  return unit >= 0xDC00 && unit <= 0xDFFF;
}

static gboolean
set_unpaired_surrogate (gunichar unit, GError **error)
{
  g_set_error (error, JL_ERROR, JL_ERROR_INVALID,
               "escape '\\u%04X' is an unpaired UTF-16 surrogate; write a "
               "high and a low surrogate together, or the character itself",
               unit);

  return FALSE;
}

/* Decodes the \uXXXX escape whose digits start at *@pos, joining a high
 * surrogate with the \uXXXX low surrogate that must follow it, and moves
 * *@pos past what it read. \u0000 is rejected because values are C
 * strings. */
static gboolean
decode_unicode_escape (const char **pos, const char *end, gunichar *out,
                       GError **error)
{
  gunichar high;
  gunichar low;

  if (!parse_hex4 (*pos, end, &high))
    return set_malformed_unicode_escape (*pos, end, error);

  *pos += 4;

  if (high == 0)
    {
      g_set_error_literal (error, JL_ERROR, JL_ERROR_INVALID,
                           "escape '\\u0000' (NUL) is not supported");
      return FALSE;
    }

  if (!is_high_surrogate (high) && !is_low_surrogate (high))
    {
      *out = high;
      return TRUE;
    }

  if (is_low_surrogate (high)
      || end - *pos < 2 || (*pos)[0] != '\\' || (*pos)[1] != 'u')
    return set_unpaired_surrogate (high, error);

  if (!parse_hex4 (*pos + 2, end, &low))
    return set_malformed_unicode_escape (*pos + 2, end, error);

  if (!is_low_surrogate (low))
    return set_unpaired_surrogate (high, error);

  *pos += 6;
  *out = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);

  return TRUE;
}

static char
unescape_simple (char c)
{
  switch (c)
    {
    case 't':
      return '\t';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 'f':
      return '\f';
    default:
      return c;
    }
}

/* Appends @text with its escapes resolved to @out: \t \n \r \f, \uXXXX,
 * and a backslash before any other character means that character. */
static gboolean
unescape (const char *text, gsize length, GString *out, GError **error)
{
  const char *pos = text;
  const char *end = text + length;

  while (pos < end)
    {
      if (*pos != '\\')
        {
          g_string_append_c (out, *pos);
          pos++;
          continue;
        }

      pos++;

      if (pos == end)
        break;

      if (*pos != 'u')
        {
          g_string_append_c (out, unescape_simple (*pos));
          pos++;
          continue;
        }

      pos++;

      gunichar c = 0;

      if (!decode_unicode_escape (&pos, end, &c, error))
        return FALSE;

      g_string_append_unichar (out, c);
    }

  return TRUE;
}

static gboolean
parse_logical_line (JlProperties *props, const GString *line,
                    const char *source, guint line_number, GError **error)
{
  gboolean has_separator;
  gsize key_length = find_key_end (line->str, line->len, &has_separator);
  gsize value_start = find_value_start (line->str, line->len, key_length,
                                        has_separator);
  g_autoptr (GString) key = g_string_new (NULL);
  g_autoptr (GString) value = g_string_new (NULL);

  if (!unescape (line->str, key_length, key, error)
      || !unescape (line->str + value_start, line->len - value_start, value,
                    error))
    {
      g_prefix_error (error, "%s:%u: ", source, line_number);
      return FALSE;
    }

  char *value_text = g_string_free (g_steal_pointer (&value), FALSE);
  char *origin = g_strdup_printf ("%s:%u", source, line_number);

  properties_set (props, key->str, value_text, origin);

  return TRUE;
}

static gboolean
parse_text (JlProperties *props, const char *text, gsize length,
            const char *source, GError **error)
{
  JlLineReader reader = { text, text + length, 1 };
  g_autoptr (GString) line = g_string_new (NULL);
  guint line_number = 0;

  while (reader_next_logical_line (&reader, line, &line_number))
    {
      if (!parse_logical_line (props, line, source, line_number, error))
        return FALSE;
    }

  return TRUE;
}

static void
properties_merge (JlProperties *props, const JlProperties *other)
{
  for (guint i = 0; i < other->order->len; i++)
    {
      const char *key = g_ptr_array_index (other->order, i);
      const JlProperty *property = g_hash_table_lookup (other->entries, key);

      properties_set (props, key, g_strdup (property->value),
                      g_strdup (property->origin));
    }
}

gboolean
jl_properties_load_data (JlProperties *props,
                         const char   *text,
                         gssize        length,
                         const char   *source,
                         GError      **error)
{
  g_autoptr (JlProperties) parsed = jl_properties_new ();
  gsize size;

  g_return_val_if_fail (props != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (source != NULL, FALSE);

  size = length < 0 ? strlen (text) : (gsize) length;

  if (!validate_utf8 (text, size, source, error))
    return FALSE;

  /* Editors on Windows may start a UTF-8 file with a byte order mark. Java
   * would make it part of the first key, which hides that key. */
  if (size >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0)
    {
      text += 3;
      size -= 3;
    }

  /* Parse into a separate table so that a failure leaves @props as it was. */
  if (!parse_text (parsed, text, size, source, error))
    return FALSE;

  properties_merge (props, parsed);

  return TRUE;
}

gboolean
jl_properties_load_file (JlProperties *props,
                         const char   *path,
                         GError      **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr (GError) read_error = NULL;

  g_return_val_if_fail (props != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  if (!g_file_get_contents (path, &text, &length, &read_error))
    {
      gboolean missing = g_error_matches (read_error, G_FILE_ERROR,
                                          G_FILE_ERROR_NOENT);

      g_set_error (error, JL_ERROR,
                   missing ? JL_ERROR_NOT_FOUND : JL_ERROR_FAILED,
                   "%s", read_error->message);
      return FALSE;
    }

  return jl_properties_load_data (props, text, (gssize) length, path, error);
}

const char *
jl_properties_get (const JlProperties *props, const char *key)
{
  const JlProperty *property;

  g_return_val_if_fail (props != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  property = g_hash_table_lookup (props->entries, key);

  return property != NULL ? property->value : NULL;
}

const char *
jl_properties_origin (const JlProperties *props, const char *key)
{
  const JlProperty *property;

  g_return_val_if_fail (props != NULL, NULL);
  g_return_val_if_fail (key != NULL, NULL);

  property = g_hash_table_lookup (props->entries, key);

  return property != NULL ? property->origin : NULL;
}

GPtrArray *
jl_properties_keys (const JlProperties *props)
{
  GPtrArray *keys;

  g_return_val_if_fail (props != NULL, NULL);

  keys = g_ptr_array_sized_new (props->order->len);

  for (guint i = 0; i < props->order->len; i++)
    g_ptr_array_add (keys, g_ptr_array_index (props->order, i));

  return keys;
}
