/* Election node names and their order, matching Curator's LeaderSelector
 * (InterProcessMutex with StandardLockInternalsDriver) as used by Kylin 3. */
#include "jobleader/candidate.h"

#include <string.h>

#define NAME_PREFIX "_c_"
#define UUID_LENGTH 36
#define SEQUENCE_LENGTH 10 /* ZooKeeper's zero-padded sequence suffix */

char *
jl_candidate_prefix (const char *uuid)
{
  g_return_val_if_fail (uuid != NULL, NULL);

  return g_strconcat (NAME_PREFIX, uuid, "-" JL_CANDIDATE_LOCK_MARKER, NULL);
}

/* Checks the 8-4-4-4-12 hex form that java.util.UUID.toString() writes. */
static gboolean
is_uuid (const char *text)
{
  for (int i = 0; i < UUID_LENGTH; i++)
    {
      gboolean dash_expected = i == 8 || i == 13 || i == 18 || i == 23;

      if (dash_expected ? text[i] != '-' : !g_ascii_isxdigit (text[i]))
        return FALSE;
    }

  return TRUE;
}

static gboolean
is_sequence (const char *text)
{
  if (strlen (text) != SEQUENCE_LENGTH)
    return FALSE;

  for (int i = 0; i < SEQUENCE_LENGTH; i++)
    {
      if (!g_ascii_isdigit (text[i]))
        return FALSE;
    }

  return TRUE;
}

/* Returns the uuid of a name of the form "_c_<uuid>-lock-<10 digits>", or
 * NULL for any other name. */
static char *
extract_uuid (const char *name)
{
  gsize prefix_length = strlen (NAME_PREFIX);
  gsize marker_length = strlen ("-" JL_CANDIDATE_LOCK_MARKER);

  if (strlen (name) != prefix_length + UUID_LENGTH + marker_length
                        + SEQUENCE_LENGTH)
    return NULL;

  if (!g_str_has_prefix (name, NAME_PREFIX))
    return NULL;

  const char *uuid = name + prefix_length;
  if (!is_uuid (uuid))
    return NULL;

  const char *marker = uuid + UUID_LENGTH;
  if (strncmp (marker, "-" JL_CANDIDATE_LOCK_MARKER, marker_length) != 0)
    return NULL;

  if (!is_sequence (marker + marker_length))
    return NULL;

  return g_strndup (uuid, UUID_LENGTH);
}

JlCandidate *
jl_candidate_new (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  JlCandidate *candidate = g_new0 (JlCandidate, 1);
  candidate->name = g_strdup (name);

  const char *marker = g_strrstr (name, JL_CANDIDATE_LOCK_MARKER);
  const char *sort_key = name;
  if (marker != NULL)
    sort_key = marker + strlen (JL_CANDIDATE_LOCK_MARKER);

  candidate->sort_key = g_strdup (sort_key);

  candidate->uuid = extract_uuid (name);
  candidate->well_formed = candidate->uuid != NULL;

  return candidate;
}

void
jl_candidate_free (JlCandidate *candidate)
{
  if (candidate == NULL)
    return;

  g_free (candidate->name);
  g_free (candidate->sort_key);
  g_free (candidate->uuid);
  g_free (candidate);
}

/* Returns the first UTF-16 code unit of @code_point. A supplementary
 * character starts with a high surrogate (0xD800 to 0xDBFF), which sorts
 * below U+E000 to U+FFFF. */
static gunichar
first_utf16_unit (gunichar code_point)
{
  if (code_point < 0x10000)
    return code_point;

  return 0xD800 + ((code_point - 0x10000) >> 10);
}

static int
compare_units (gunichar a, gunichar b)
{
  if (a == b)
    return 0;

  return a < b ? -1 : 1;
}

/* Compares two UTF-8 strings the way java.lang.String.compareTo() compares
 * them, by UTF-16 code units. That equals byte order except where a
 * supplementary character meets one of U+E000 to U+FFFF. Strings that are
 * not valid UTF-8 are compared by bytes. */
static int
compare_java_strings (const char *a, const char *b)
{
  if (!g_utf8_validate (a, -1, NULL) || !g_utf8_validate (b, -1, NULL))
    return strcmp (a, b);

  while (*a != '\0' && *b != '\0')
    {
      gunichar code_a = g_utf8_get_char (a);
      gunichar code_b = g_utf8_get_char (b);

      if (code_a != code_b)
        {
          int order = compare_units (first_utf16_unit (code_a),
                                     first_utf16_unit (code_b));

          /* Same high surrogate: the low surrogates follow code point
           * order. */
          return order != 0 ? order : compare_units (code_a, code_b);
        }

      a = g_utf8_next_char (a);
      b = g_utf8_next_char (b);
    }

  return compare_units ((guchar) *a, (guchar) *b);
}

typedef struct {
  JlCandidate *candidate;
  gsize input_index;
} SortEntry;

/* Orders by sort key, then by input position, so that equal keys keep the
 * order ZooKeeper listed them in, as Java's stable Collections.sort() does. */
static gint
compare_entries (gconstpointer a, gconstpointer b)
{
  const SortEntry *entry_a = a;
  const SortEntry *entry_b = b;

  int order = compare_java_strings (entry_a->candidate->sort_key,
                                    entry_b->candidate->sort_key);
  if (order != 0)
    return order;

  if (entry_a->input_index == entry_b->input_index)
    return 0;

  return entry_a->input_index < entry_b->input_index ? -1 : 1;
}

GPtrArray *
jl_candidates_sort (const char *const *names, gsize count)
{
  g_return_val_if_fail (names != NULL || count == 0, NULL);

  g_autoptr (GArray) entries = g_array_sized_new (FALSE, FALSE,
                                                  sizeof (SortEntry), count);
  for (gsize i = 0; i < count; i++)
    {
      SortEntry entry = { jl_candidate_new (names[i]), i };
      g_array_append_val (entries, entry);
    }

  g_array_sort (entries, compare_entries);

  GPtrArray *sorted = g_ptr_array_new_full (count, (GDestroyNotify)
                                                   jl_candidate_free);
  for (gsize i = 0; i < count; i++)
    {
      SortEntry *entry = &g_array_index (entries, SortEntry, i);

      g_ptr_array_add (sorted, entry->candidate);
    }

  return sorted;
}

/* When a create whose reply was lost left two nodes with @uuid, returns the
 * one that sorts first. */
gssize
jl_candidates_find_uuid (GPtrArray *sorted, const char *uuid)
{
  g_return_val_if_fail (sorted != NULL, -1);
  g_return_val_if_fail (uuid != NULL, -1);

  for (guint i = 0; i < sorted->len; i++)
    {
      const JlCandidate *candidate = g_ptr_array_index (sorted, i);

      if (g_strcmp0 (candidate->uuid, uuid) == 0)
        return i;
    }

  return -1;
}
