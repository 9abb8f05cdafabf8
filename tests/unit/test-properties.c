/* Unit tests for the java.util.Properties reader. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "jobleader/error.h"
#include "jobleader/properties.h"
#include "unit.h"

#define SOURCE "test.properties"

/* Checks that @key is set to @expected. */
#define ASSERT_VALUE(props, key, expected)                             \
  do {                                                                 \
    const char *value_ = jl_properties_get ((props), (key));           \
    CU_ASSERT_PTR_NOT_NULL_FATAL (value_);                             \
    CU_ASSERT_STRING_EQUAL (value_, (expected));                       \
  } while (0)

/* Checks that @key was set on the line @expected ("FILE:LINE"). */
#define ASSERT_ORIGIN(props, key, expected)                            \
  do {                                                                 \
    const char *origin_ = jl_properties_origin ((props), (key));       \
    CU_ASSERT_PTR_NOT_NULL_FATAL (origin_);                            \
    CU_ASSERT_STRING_EQUAL (origin_, (expected));                      \
  } while (0)

/* Checks that @error is JL_ERROR_INVALID and its message contains
 * @fragment. */
#define ASSERT_INVALID(error, fragment)                                \
  do {                                                                 \
    CU_ASSERT_PTR_NOT_NULL_FATAL (error);                              \
    CU_ASSERT_TRUE (g_error_matches ((error), JL_ERROR,                \
                                     JL_ERROR_INVALID));               \
    CU_ASSERT_PTR_NOT_NULL (strstr ((error)->message, (fragment)));    \
  } while (0)

/* Parses @length bytes of @text as SOURCE into a new table. */
static JlProperties *
parse_text (const char *text, gssize length)
{
  g_autoptr (GError) error = NULL;
  JlProperties *props = jl_properties_new ();

  CU_ASSERT_TRUE (jl_properties_load_data (props, text, length, SOURCE,
                                           &error));
  CU_ASSERT_PTR_NULL (error);

  return props;
}

/* Parses @length bytes of @text, which must fail, and returns the error. */
static GError *
parse_error (const char *text, gssize length)
{
  g_autoptr (JlProperties) props = jl_properties_new ();
  GError *error = NULL;

  CU_ASSERT_FALSE (jl_properties_load_data (props, text, length, SOURCE,
                                            &error));

  return error;
}

static guint
count_keys (const JlProperties *props)
{
  g_autoptr (GPtrArray) keys = jl_properties_keys (props);

  return keys->len;
}

static void
test_properties_equals_separator (void)
{
  g_autoptr (JlProperties) props = parse_text ("kylin.server.mode=job\n", -1);

  ASSERT_VALUE (props, "kylin.server.mode", "job");
}

static void
test_properties_colon_separator (void)
{
  g_autoptr (JlProperties) props = parse_text ("key:value\n", -1);

  ASSERT_VALUE (props, "key", "value");
}

static void
test_properties_blank_separator (void)
{
  g_autoptr (JlProperties) props = parse_text ("key value\n"
                                               "tabbed\tvalue2\n"
                                               "fed\fvalue3\n", -1);

  ASSERT_VALUE (props, "key", "value");
  ASSERT_VALUE (props, "tabbed", "value2");
  ASSERT_VALUE (props, "fed", "value3");
}

static void
test_properties_blanks_around_separator (void)
{
  g_autoptr (JlProperties) props = parse_text ("a  =  one\n"
                                               "b \t: two\n"
                                               "c = = three\n"
                                               "d==four\n"
                                               "e   five six\n", -1);

  ASSERT_VALUE (props, "a", "one");
  ASSERT_VALUE (props, "b", "two");
  ASSERT_VALUE (props, "c", "= three");
  ASSERT_VALUE (props, "d", "=four");
  ASSERT_VALUE (props, "e", "five six");
}

static void
test_properties_leading_blanks_skipped (void)
{
  g_autoptr (JlProperties) props = parse_text (" \t\fkey=value\n", -1);

  ASSERT_VALUE (props, "key", "value");
}

static void
test_properties_trailing_blanks_kept (void)
{
  g_autoptr (JlProperties) props = parse_text ("key=value  \t\n", -1);

  ASSERT_VALUE (props, "key", "value  \t");
}

static void
test_properties_key_alone_empty_value (void)
{
  g_autoptr (JlProperties) props = parse_text ("alone\n"
                                               "equals=\n"
                                               "blank   \n", -1);

  ASSERT_VALUE (props, "alone", "");
  ASSERT_VALUE (props, "equals", "");
  ASSERT_VALUE (props, "blank", "");
}

static void
test_properties_escaped_separators_in_key (void)
{
  g_autoptr (JlProperties) props = parse_text ("a\\=b\\:c\\ d=value\n", -1);

  ASSERT_VALUE (props, "a=b:c d", "value");
  CU_ASSERT_EQUAL (count_keys (props), 1);
}

static void
test_properties_simple_escapes (void)
{
  g_autoptr (JlProperties) props =
    parse_text ("key=\\t\\n\\r\\f|\\\\|\\q\\=\n", -1);

  ASSERT_VALUE (props, "key", "\t\n\r\f|\\|q=");
}

static void
test_properties_escaped_non_ascii (void)
{
  g_autoptr (JlProperties) props = parse_text ("key=\\\xC3\xA9t\xC3\xA9\n",
                                               -1);

  ASSERT_VALUE (props, "key", "\xC3\xA9t\xC3\xA9");
}

static void
test_properties_unicode_escape (void)
{
  g_autoptr (JlProperties) props = parse_text ("key=caf\\u00e9 \\u4E2D\n"
                                               "\\u006Bey2=x\n", -1);

  ASSERT_VALUE (props, "key", "caf\xC3\xA9 \xE4\xB8\xAD");
  ASSERT_VALUE (props, "key2", "x");
}

static void
test_properties_surrogate_pair (void)
{
  g_autoptr (JlProperties) props = parse_text ("key=\\uD83D\\uDE00!\n", -1);

  ASSERT_VALUE (props, "key", "\xF0\x9F\x98\x80!");
}

static void
test_properties_malformed_unicode_escape (void)
{
  g_autoptr (GError) bad_digit = parse_error ("a=1\n\nkey=\\u12G4\n", -1);
  g_autoptr (GError) too_short = parse_error ("a=1\nkey=\\u12\n", -1);
  g_autoptr (GError) in_key = parse_error ("\\uZZZZ=1\n", -1);

  ASSERT_INVALID (bad_digit, SOURCE ":3:");
  ASSERT_INVALID (bad_digit, "\\u12G4");
  ASSERT_INVALID (too_short, SOURCE ":2:");
  ASSERT_INVALID (too_short, "\\u12'");
  ASSERT_INVALID (in_key, SOURCE ":1:");
}

static void
test_properties_unpaired_surrogate (void)
{
  g_autoptr (GError) high_alone = parse_error ("key=\\uD83Dx\n", -1);
  g_autoptr (GError) low_alone = parse_error ("key=\\uDE00\n", -1);
  g_autoptr (GError) high_high = parse_error ("key=\\uD83D\\uD83D\n", -1);
  g_autoptr (GError) high_bad = parse_error ("key=\\uD83D\\uDEXX\n", -1);

  ASSERT_INVALID (high_alone, "\\uD83D");
  ASSERT_INVALID (high_alone, SOURCE ":1:");
  ASSERT_INVALID (low_alone, "\\uDE00");
  ASSERT_INVALID (high_high, "unpaired");
  ASSERT_INVALID (high_bad, "\\uDEXX");
}

static void
test_properties_unicode_nul_rejected (void)
{
  g_autoptr (GError) error = parse_error ("key=a\\u0000b\n", -1);

  ASSERT_INVALID (error, SOURCE ":1:");
  ASSERT_INVALID (error, "\\u0000");
}

static void
test_properties_continuation_odd_backslashes (void)
{
  g_autoptr (JlProperties) props = parse_text ("one=a\\\n"
                                               "b\n"
                                               "three=c\\\\\\\n"
                                               "d\n", -1);

  ASSERT_VALUE (props, "one", "ab");
  ASSERT_VALUE (props, "three", "c\\d");
  CU_ASSERT_EQUAL (count_keys (props), 2);
}

static void
test_properties_even_backslashes_end_line (void)
{
  g_autoptr (JlProperties) props = parse_text ("path=C:\\\\\n"
                                               "next=value\n", -1);

  ASSERT_VALUE (props, "path", "C:\\");
  ASSERT_VALUE (props, "next", "value");
}

static void
test_properties_continuation_blanks_dropped (void)
{
  g_autoptr (JlProperties) props = parse_text ("list=a, \\\n"
                                               "  \t\fb, \\\n"
                                               "     c\n", -1);

  ASSERT_VALUE (props, "list", "a, b, c");
}

static void
test_properties_continuation_in_key (void)
{
  g_autoptr (JlProperties) props = parse_text ("kylin.\\\n"
                                               "   server.mode=job\n", -1);

  ASSERT_VALUE (props, "kylin.server.mode", "job");
}

static void
test_properties_continuation_origin (void)
{
  g_autoptr (JlProperties) props = parse_text ("# header\n"
                                               "long=a\\\n"
                                               "b\\\n"
                                               "c\n"
                                               "after=x\n", -1);

  ASSERT_ORIGIN (props, "long", SOURCE ":2");
  ASSERT_ORIGIN (props, "after", SOURCE ":5");
}

static void
test_properties_continuation_not_comment (void)
{
  g_autoptr (JlProperties) props = parse_text ("key=a\\\n"
                                               "  # b\n", -1);

  ASSERT_VALUE (props, "key", "a# b");
}

static void
test_properties_continuation_blank_line_ends (void)
{
  g_autoptr (JlProperties) props = parse_text ("key=a\\\n"
                                               "   \n"
                                               "next=b\n", -1);

  ASSERT_VALUE (props, "key", "a");
  ASSERT_VALUE (props, "next", "b");
}

static void
test_properties_backslash_at_end_of_text (void)
{
  g_autoptr (JlProperties) props = parse_text ("key=value\\", -1);

  ASSERT_VALUE (props, "key", "value");
}

static void
test_properties_comments_hash_and_bang (void)
{
  g_autoptr (JlProperties) props = parse_text ("# hash comment\n"
                                               "! bang comment\n"
                                               "  \t# indented comment\n"
                                               "#key=hidden\n"
                                               "key=value\n", -1);

  ASSERT_VALUE (props, "key", "value");
  CU_ASSERT_EQUAL (count_keys (props), 1);
}

static void
test_properties_comment_mark_mid_line (void)
{
  g_autoptr (JlProperties) props = parse_text ("key=value # not a comment\n"
                                               "a#b=c\n"
                                               "bang!=d\n", -1);

  ASSERT_VALUE (props, "key", "value # not a comment");
  ASSERT_VALUE (props, "a#b", "c");
  ASSERT_VALUE (props, "bang!", "d");
}

static void
test_properties_comment_backslash_no_continuation (void)
{
  g_autoptr (JlProperties) props = parse_text ("# comment ends in \\\n"
                                               "key=value\n", -1);

  ASSERT_VALUE (props, "key", "value");
}

static void
test_properties_blank_lines_skipped (void)
{
  g_autoptr (JlProperties) props = parse_text ("\n  \n\t\f\n"
                                               "key=value\n"
                                               "\n", -1);

  ASSERT_VALUE (props, "key", "value");
  ASSERT_ORIGIN (props, "key", SOURCE ":4");
  CU_ASSERT_EQUAL (count_keys (props), 1);
}

static void
test_properties_crlf_line_endings (void)
{
  g_autoptr (JlProperties) props = parse_text ("# comment\r\n"
                                               "a=one\r\n"
                                               "b=two\\\r\n"
                                               "  more\r\n"
                                               "c=three\r\n", -1);

  ASSERT_VALUE (props, "a", "one");
  ASSERT_VALUE (props, "b", "twomore");
  ASSERT_VALUE (props, "c", "three");
  ASSERT_ORIGIN (props, "a", SOURCE ":2");
  ASSERT_ORIGIN (props, "c", SOURCE ":5");
}

static void
test_properties_cr_line_endings (void)
{
  g_autoptr (JlProperties) props = parse_text ("a=one\r"
                                               "\r"
                                               "b=two\r", -1);

  ASSERT_VALUE (props, "a", "one");
  ASSERT_VALUE (props, "b", "two");
  ASSERT_ORIGIN (props, "b", SOURCE ":3");
}

static void
test_properties_no_final_line_break (void)
{
  g_autoptr (JlProperties) props = parse_text ("a=one\nb=two", -1);

  ASSERT_VALUE (props, "b", "two");
}

static void
test_properties_duplicate_last_wins (void)
{
  g_autoptr (JlProperties) props = parse_text ("key=first\n"
                                               "other=x\n"
                                               "key=second\n", -1);
  g_autoptr (GPtrArray) keys = jl_properties_keys (props);

  ASSERT_VALUE (props, "key", "second");
  ASSERT_ORIGIN (props, "key", SOURCE ":3");
  CU_ASSERT_EQUAL_FATAL (keys->len, 2);
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (keys, 0), "key");
  CU_ASSERT_STRING_EQUAL (g_ptr_array_index (keys, 1), "other");
}

static void
test_properties_second_source_wins (void)
{
  g_autoptr (JlProperties) props = jl_properties_new ();
  g_autoptr (GError) error = NULL;

  CU_ASSERT_TRUE (jl_properties_load_data (props, "a=main\nb=main\n", -1,
                                           "main.properties", &error));
  CU_ASSERT_TRUE (jl_properties_load_data (props, "\nb=override\n", -1,
                                           "main.properties.override",
                                           &error));
  CU_ASSERT_PTR_NULL (error);

  ASSERT_VALUE (props, "a", "main");
  ASSERT_VALUE (props, "b", "override");
  ASSERT_ORIGIN (props, "a", "main.properties:1");
  ASSERT_ORIGIN (props, "b", "main.properties.override:2");
}

static void
test_properties_unset_key_is_null (void)
{
  g_autoptr (JlProperties) props = parse_text ("a=1\n", -1);

  CU_ASSERT_PTR_NULL (jl_properties_get (props, "b"));
  CU_ASSERT_PTR_NULL (jl_properties_origin (props, "b"));
}

static void
test_properties_invalid_utf8 (void)
{
  g_autoptr (GError) error = parse_error ("a=1\r\nb=\xC3\x28\n", -1);

  ASSERT_INVALID (error, SOURCE ":2:");
  ASSERT_INVALID (error, "UTF-8");
}

static void
test_properties_nul_byte (void)
{
  static const char text[] = "a=1\nb=x\0y\n";
  g_autoptr (GError) error = parse_error (text, sizeof text - 1);

  ASSERT_INVALID (error, SOURCE ":2:");
  ASSERT_INVALID (error, "NUL");
}

static void
test_properties_explicit_length (void)
{
  g_autoptr (JlProperties) props = parse_text ("a=1\nb=2", 5);

  ASSERT_VALUE (props, "a", "1");
  ASSERT_VALUE (props, "b", "");
}

static void
test_properties_failure_keeps_table (void)
{
  g_autoptr (JlProperties) props = parse_text ("a=1\n", -1);
  g_autoptr (GError) error = NULL;

  CU_ASSERT_FALSE (jl_properties_load_data (props, "a=2\nb=\\uXYZW\n", -1,
                                            SOURCE, &error));

  ASSERT_VALUE (props, "a", "1");
  CU_ASSERT_PTR_NULL (jl_properties_get (props, "b"));
}

static void
test_properties_byte_order_mark (void)
{
  g_autoptr (JlProperties) props = parse_text ("\xEF\xBB\xBFkey=value\n", -1);

  ASSERT_VALUE (props, "key", "value");
  ASSERT_ORIGIN (props, "key", SOURCE ":1");
}

static void
test_properties_empty_key (void)
{
  g_autoptr (JlProperties) props = parse_text ("=value\n", -1);

  ASSERT_VALUE (props, "", "value");
}

static void
test_properties_load_file (void)
{
  g_autoptr (JlProperties) props = jl_properties_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *origin = NULL;
  int fd = g_file_open_tmp ("jl-properties-XXXXXX", &path, &error);

  CU_ASSERT_FATAL (fd >= 0);
  g_close (fd, NULL);
  CU_ASSERT_TRUE (g_file_set_contents (path, "# c\nkey = value\n", -1,
                                       &error));

  CU_ASSERT_TRUE (jl_properties_load_file (props, path, &error));
  CU_ASSERT_PTR_NULL (error);

  origin = g_strdup_printf ("%s:2", path);
  ASSERT_VALUE (props, "key", "value");
  ASSERT_ORIGIN (props, "key", origin);

  g_unlink (path);
}

static void
test_properties_load_missing_file (void)
{
  g_autoptr (JlProperties) props = jl_properties_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jl-properties-XXXXXX", NULL);
  g_autofree char *path = NULL;

  CU_ASSERT_PTR_NOT_NULL_FATAL (dir);
  path = g_build_filename (dir, "missing.properties", NULL);

  CU_ASSERT_FALSE (jl_properties_load_file (props, path, &error));
  CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, JL_ERROR_NOT_FOUND));

  g_rmdir (dir);
}

static const CU_TestInfo properties_tests[] = {
  { "properties equals separator", test_properties_equals_separator },
  { "properties colon separator", test_properties_colon_separator },
  { "properties blank separator", test_properties_blank_separator },
  { "properties blanks around separator",
    test_properties_blanks_around_separator },
  { "properties leading blanks skipped",
    test_properties_leading_blanks_skipped },
  { "properties trailing blanks kept", test_properties_trailing_blanks_kept },
  { "properties key alone empty value",
    test_properties_key_alone_empty_value },
  { "properties escaped separators in key",
    test_properties_escaped_separators_in_key },
  { "properties simple escapes", test_properties_simple_escapes },
  { "properties escaped non-ASCII", test_properties_escaped_non_ascii },
  { "properties unicode escape", test_properties_unicode_escape },
  { "properties surrogate pair", test_properties_surrogate_pair },
  { "properties malformed unicode escape",
    test_properties_malformed_unicode_escape },
  { "properties unpaired surrogate", test_properties_unpaired_surrogate },
  { "properties unicode NUL rejected", test_properties_unicode_nul_rejected },
  { "properties continuation odd backslashes",
    test_properties_continuation_odd_backslashes },
  { "properties even backslashes end line",
    test_properties_even_backslashes_end_line },
  { "properties continuation blanks dropped",
    test_properties_continuation_blanks_dropped },
  { "properties continuation in key", test_properties_continuation_in_key },
  { "properties continuation origin", test_properties_continuation_origin },
  { "properties continuation not comment",
    test_properties_continuation_not_comment },
  { "properties continuation blank line ends",
    test_properties_continuation_blank_line_ends },
  { "properties backslash at end of text",
    test_properties_backslash_at_end_of_text },
  { "properties comments hash and bang",
    test_properties_comments_hash_and_bang },
  { "properties comment mark mid-line",
    test_properties_comment_mark_mid_line },
  { "properties comment backslash no continuation",
    test_properties_comment_backslash_no_continuation },
  { "properties blank lines skipped", test_properties_blank_lines_skipped },
  { "properties CRLF line endings", test_properties_crlf_line_endings },
  { "properties CR line endings", test_properties_cr_line_endings },
  { "properties no final line break", test_properties_no_final_line_break },
  { "properties duplicate last wins", test_properties_duplicate_last_wins },
  { "properties second source wins", test_properties_second_source_wins },
  { "properties unset key is NULL", test_properties_unset_key_is_null },
  { "properties invalid UTF-8", test_properties_invalid_utf8 },
  { "properties NUL byte", test_properties_nul_byte },
  { "properties explicit length", test_properties_explicit_length },
  { "properties failure keeps table", test_properties_failure_keeps_table },
  { "properties byte order mark", test_properties_byte_order_mark },
  { "properties empty key", test_properties_empty_key },
  { "properties load file", test_properties_load_file },
  { "properties load missing file", test_properties_load_missing_file },
  CU_TEST_INFO_NULL,
};

void
register_properties_tests (void)
{
  JL_ADD_SUITE ("properties", properties_tests);
}
