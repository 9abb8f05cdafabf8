/* Tests for the lease record, its JSON form and the epoch encoding. */
#include <string.h>

#include "jobleader/error.h"
#include "jobleader/lease.h"
#include "unit.h"

static JlLease *
make_lease (void)
{
  JlLease *lease = jl_lease_new ();

  lease->holder = g_strdup ("node1.example.com:7070");
  lease->node = g_strdup ("_c_0f8fad5b-d9cb-469f-a165-70867728950e-lock-"
                          "0000000007");
  lease->epoch = 4294967302;
  lease->acquired_at_ms = 1700000000000;
  lease->renewed_at_ms = 1700000005000;
  lease->stale_at_ms = 1700000020000;
  lease->released_at_ms = 0;

  return lease;
}

/* Parses @data, which may contain NUL bytes, and checks that the parser
 * reports JL_ERROR_CORRUPT with a message. */
static void
assert_corrupt_bytes (const char *data, gssize length)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JlLease) lease = jl_lease_from_json (data, length, &error);

  CU_ASSERT_PTR_NULL (lease);
  CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, JL_ERROR_CORRUPT));
  CU_ASSERT_TRUE (error != NULL && error->message[0] != '\0');
}

static void
assert_corrupt (const char *json)
{
  assert_corrupt_bytes (json, -1);
}

static void
test_lease_round_trip (void)
{
  g_autoptr (JlLease) lease = make_lease ();
  g_autoptr (GError) error = NULL;

  g_autofree char *json = jl_lease_to_json (lease);
  g_autoptr (JlLease) parsed = jl_lease_from_json (json, -1, &error);

  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (parsed);
  CU_ASSERT_STRING_EQUAL (parsed->holder, lease->holder);
  CU_ASSERT_STRING_EQUAL (parsed->node, lease->node);
  CU_ASSERT_EQUAL (parsed->epoch, lease->epoch);
  CU_ASSERT_EQUAL (parsed->acquired_at_ms, lease->acquired_at_ms);
  CU_ASSERT_EQUAL (parsed->renewed_at_ms, lease->renewed_at_ms);
  CU_ASSERT_EQUAL (parsed->stale_at_ms, lease->stale_at_ms);
  CU_ASSERT_EQUAL (parsed->released_at_ms, lease->released_at_ms);
}

static void
test_lease_json_integers (void)
{
  g_autoptr (JlLease) lease = make_lease ();
  lease->epoch = G_MAXINT64;

  g_autofree char *json = jl_lease_to_json (lease);

  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"epoch\":9223372036854775807"));
  CU_ASSERT_PTR_NOT_NULL (strstr (json, "\"stale_at_ms\":1700000020000"));
  CU_ASSERT_PTR_NULL (strstr (json, "e+"));
}

static void
test_lease_copy (void)
{
  g_autoptr (JlLease) lease = make_lease ();
  g_autoptr (JlLease) copy = jl_lease_copy (lease);

  CU_ASSERT_PTR_NOT_EQUAL (copy->holder, lease->holder);
  CU_ASSERT_PTR_NOT_EQUAL (copy->node, lease->node);
  CU_ASSERT_STRING_EQUAL (copy->holder, lease->holder);
  CU_ASSERT_STRING_EQUAL (copy->node, lease->node);
  CU_ASSERT_EQUAL (copy->epoch, lease->epoch);
  CU_ASSERT_EQUAL (copy->stale_at_ms, lease->stale_at_ms);
}

static void
test_lease_without_node (void)
{
  g_autoptr (JlLease) lease = make_lease ();
  g_clear_pointer (&lease->node, g_free);
  g_autoptr (GError) error = NULL;

  g_autofree char *json = jl_lease_to_json (lease);
  g_autoptr (JlLease) parsed = jl_lease_from_json (json, -1, &error);

  CU_ASSERT_PTR_NULL (strstr (json, "\"node\""));
  CU_ASSERT_PTR_NOT_NULL_FATAL (parsed);
  CU_ASSERT_PTR_NULL (parsed->node);
}

static void
test_lease_null_node (void)
{
  const char *json = "{\"holder\":\"h:7070\",\"node\":null,\"epoch\":3,"
                     "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                     "\"stale_at_ms\":3,\"released_at_ms\":0}";
  g_autoptr (GError) error = NULL;
  g_autoptr (JlLease) lease = jl_lease_from_json (json, -1, &error);

  CU_ASSERT_PTR_NOT_NULL_FATAL (lease);
  CU_ASSERT_PTR_NULL (lease->node);
}

static void
test_lease_unknown_members (void)
{
  const char *json = "{\"version\":7,\"holder\":\"h:7070\",\"epoch\":3,"
                     "\"extra\":{\"nested\":[1,2.5,\"x\",null,true]},"
                     "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                     "\"stale_at_ms\":3,\"released_at_ms\":0,"
                     "\"comment\":\"from a newer writer\"}";
  g_autoptr (GError) error = NULL;
  g_autoptr (JlLease) lease = jl_lease_from_json (json, -1, &error);

  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL_FATAL (lease);
  CU_ASSERT_STRING_EQUAL (lease->holder, "h:7070");
  CU_ASSERT_EQUAL (lease->epoch, 3);
  CU_ASSERT_EQUAL (lease->stale_at_ms, 3);
}

static void
test_lease_explicit_length (void)
{
  const char *json = "{\"holder\":\"h:7070\",\"epoch\":3,"
                     "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                     "\"stale_at_ms\":3,\"released_at_ms\":0}trailing";
  gssize length = strstr (json, "trailing") - json;
  g_autoptr (GError) error = NULL;
  g_autoptr (JlLease) lease = jl_lease_from_json (json, length, &error);

  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL (lease);
}

static void
test_lease_truncated (void)
{
  g_autoptr (JlLease) lease = make_lease ();
  g_autofree char *json = jl_lease_to_json (lease);
  gsize length = strlen (json);

  for (gsize cut = 0; cut < length; cut++)
    assert_corrupt_bytes (json, cut);
}

static void
test_lease_empty_input (void)
{
  assert_corrupt ("");
  assert_corrupt ("   \n\t ");
  assert_corrupt_bytes (NULL, 0);
}

static void
test_lease_not_object (void)
{
  assert_corrupt ("[]");
  assert_corrupt ("[{\"holder\":\"h\",\"epoch\":1}]");
  assert_corrupt ("\"holder\"");
  assert_corrupt ("42");
  assert_corrupt ("null");
  assert_corrupt ("true");
}

static void
test_lease_missing_holder (void)
{
  assert_corrupt ("{\"epoch\":3,\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                  "\"stale_at_ms\":3,\"released_at_ms\":0}");
  assert_corrupt ("{\"holder\":null,\"epoch\":3,\"acquired_at_ms\":1,"
                  "\"renewed_at_ms\":2,\"stale_at_ms\":3,"
                  "\"released_at_ms\":0}");
  assert_corrupt ("{\"holder\":\"\",\"epoch\":3,\"acquired_at_ms\":1,"
                  "\"renewed_at_ms\":2,\"stale_at_ms\":3,"
                  "\"released_at_ms\":0}");
}

static void
test_lease_missing_epoch (void)
{
  assert_corrupt ("{\"holder\":\"h\",\"acquired_at_ms\":1,"
                  "\"renewed_at_ms\":2,\"stale_at_ms\":3,"
                  "\"released_at_ms\":0}");
}

static void
test_lease_missing_time (void)
{
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":3,\"acquired_at_ms\":1,"
                  "\"renewed_at_ms\":2,\"released_at_ms\":0}");
}

static void
test_lease_wrong_types (void)
{
  static const char *const cases[] = {
    "{\"holder\":7,\"epoch\":3,\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
    "\"stale_at_ms\":3,\"released_at_ms\":0}",
    "{\"holder\":[\"h\"],\"epoch\":3,\"acquired_at_ms\":1,"
    "\"renewed_at_ms\":2,\"stale_at_ms\":3,\"released_at_ms\":0}",
    "{\"holder\":\"h\",\"node\":5,\"epoch\":3,\"acquired_at_ms\":1,"
    "\"renewed_at_ms\":2,\"stale_at_ms\":3,\"released_at_ms\":0}",
    "{\"holder\":\"h\",\"epoch\":\"3\",\"acquired_at_ms\":1,"
    "\"renewed_at_ms\":2,\"stale_at_ms\":3,\"released_at_ms\":0}",
    "{\"holder\":\"h\",\"epoch\":3.0,\"acquired_at_ms\":1,"
    "\"renewed_at_ms\":2,\"stale_at_ms\":3,\"released_at_ms\":0}",
    "{\"holder\":\"h\",\"epoch\":true,\"acquired_at_ms\":1,"
    "\"renewed_at_ms\":2,\"stale_at_ms\":3,\"released_at_ms\":0}",
    "{\"holder\":\"h\",\"epoch\":null,\"acquired_at_ms\":1,"
    "\"renewed_at_ms\":2,\"stale_at_ms\":3,\"released_at_ms\":0}",
    "{\"holder\":\"h\",\"epoch\":{},\"acquired_at_ms\":1,"
    "\"renewed_at_ms\":2,\"stale_at_ms\":3,\"released_at_ms\":0}",
    "{\"holder\":\"h\",\"epoch\":3,\"acquired_at_ms\":1,"
    "\"renewed_at_ms\":2,\"stale_at_ms\":1e3,\"released_at_ms\":0}",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_corrupt (cases[i]);
}

static void
test_lease_epoch_not_positive (void)
{
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":0,\"acquired_at_ms\":1,"
                  "\"renewed_at_ms\":2,\"stale_at_ms\":3,"
                  "\"released_at_ms\":0}");
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":-5,\"acquired_at_ms\":1,"
                  "\"renewed_at_ms\":2,\"stale_at_ms\":3,"
                  "\"released_at_ms\":0}");
}

static void
test_lease_negative_time (void)
{
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":3,\"acquired_at_ms\":-1,"
                  "\"renewed_at_ms\":2,\"stale_at_ms\":3,"
                  "\"released_at_ms\":0}");
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":3,\"acquired_at_ms\":1,"
                  "\"renewed_at_ms\":2,\"stale_at_ms\":3,"
                  "\"released_at_ms\":-9223372036854775808}");
}

static void
test_lease_huge_numbers (void)
{
  /* json-glib 1.6 on its own reads the first two epochs as -1, the third
   * as G_MININT64, and the last stale_at_ms as G_MAXINT64, which would
   * pass every range check. */
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":99999999999999999999999,"
                  "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                  "\"stale_at_ms\":3,\"released_at_ms\":0}");
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":18446744073709551617,"
                  "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                  "\"stale_at_ms\":3,\"released_at_ms\":0}");
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":9223372036854775808,"
                  "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                  "\"stale_at_ms\":3,\"released_at_ms\":0}");
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":1e400,"
                  "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                  "\"stale_at_ms\":3,\"released_at_ms\":0}");
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":3,"
                  "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                  "\"stale_at_ms\":-9223372036854775809,"
                  "\"released_at_ms\":0}");
}

static void
test_lease_embedded_nul (void)
{
  static const char json[] = "{\"holder\":\"h\0x\",\"epoch\":3,"
                             "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                             "\"stale_at_ms\":3,\"released_at_ms\":0}";
  static const char after[] = "{\"holder\":\"h\",\"epoch\":3,"
                              "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                              "\"stale_at_ms\":3,\"released_at_ms\":0}\0{";

  assert_corrupt_bytes (json, sizeof json - 1);
  assert_corrupt_bytes (after, sizeof after - 1);
}

static void
test_lease_invalid_utf8 (void)
{
  assert_corrupt ("{\"holder\":\"h\xff\xfe\",\"epoch\":3,"
                  "\"acquired_at_ms\":1,\"renewed_at_ms\":2,"
                  "\"stale_at_ms\":3,\"released_at_ms\":0}");
}

static void
test_lease_trailing_data (void)
{
  assert_corrupt ("{\"holder\":\"h\",\"epoch\":3,\"acquired_at_ms\":1,"
                  "\"renewed_at_ms\":2,\"stale_at_ms\":3,"
                  "\"released_at_ms\":0} {\"holder\":\"x\"}");
}

static void
test_lease_deep_nesting (void)
{
  static const char *const openers[] = { "[", "{\"a\":" };

  for (gsize i = 0; i < G_N_ELEMENTS (openers); i++)
    {
      g_autoptr (GString) json = g_string_new ("{\"holder\":\"h\",\"x\":");

      for (int depth = 0; depth < 20000; depth++)
        g_string_append (json, openers[i]);

      assert_corrupt (json->str);
    }
}

static void
test_lease_nesting_in_strings (void)
{
  g_autoptr (GString) json = g_string_new ("{\"holder\":\"h\",\"x\":\"");

  for (int depth = 0; depth < 1000; depth++)
    g_string_append (json, "[{\\\"");
  g_string_append (json, "\",\"epoch\":3,\"acquired_at_ms\":1,"
                   "\"renewed_at_ms\":2,\"stale_at_ms\":3,"
                   "\"released_at_ms\":0}");

  g_autoptr (GError) error = NULL;
  g_autoptr (JlLease) lease = jl_lease_from_json (json->str, -1, &error);

  CU_ASSERT_PTR_NULL (error);
  CU_ASSERT_PTR_NOT_NULL (lease);
}

static void
test_lease_megabyte_junk (void)
{
  gsize size = 1024 * 1024;
  g_autofree char *junk = g_malloc (size);
  g_autoptr (GRand) rand = g_rand_new_with_seed (20240611);

  for (gsize i = 0; i < size; i++)
    junk[i] = (char) g_rand_int_range (rand, 0, 256);

  assert_corrupt_bytes (junk, size);
}

static void
test_lease_random_junk (void)
{
  static const char alphabet[] = "{}[]\":,0123456789-+.eE \\truefalsnl";
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);

  for (int round = 0; round < 2000; round++)
    {
      gsize size = g_rand_int_range (rand, 1, 4096);
      g_autofree char *junk = g_malloc (size);

      for (gsize i = 0; i < size; i++)
        junk[i] = alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];

      assert_corrupt_bytes (junk, size);
    }
}

static void
test_lease_stale_edges (void)
{
  g_autoptr (JlLease) lease = make_lease ();

  CU_ASSERT_FALSE (jl_lease_is_stale (lease, lease->acquired_at_ms));
  CU_ASSERT_FALSE (jl_lease_is_stale (lease, lease->stale_at_ms - 1));
  CU_ASSERT_TRUE (jl_lease_is_stale (lease, lease->stale_at_ms));
  CU_ASSERT_TRUE (jl_lease_is_stale (lease, lease->stale_at_ms + 1));
  CU_ASSERT_TRUE (jl_lease_is_stale (lease, G_MAXINT64));
}

static void
test_lease_stale_released (void)
{
  g_autoptr (JlLease) lease = make_lease ();
  lease->released_at_ms = lease->renewed_at_ms;

  CU_ASSERT_TRUE (jl_lease_is_stale (lease, lease->acquired_at_ms));
  CU_ASSERT_TRUE (jl_lease_is_stale (lease, G_MININT64));
}

static const gint64 epoch_table[] = {
  0, 1, 2, 255, 256, 257, 65535, 65536, 0x7fffffff, 0x80000000,
  0xffffffff, 0x100000000, 4294967302, 0x00ff00ff00ff00ff,
  0x0100000000000000, 0x7fffffffffffff00, G_MAXINT64 - 1, G_MAXINT64,
};

static void
test_epoch_round_trip (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (epoch_table); i++)
    {
      guint8 bytes[8];
      gint64 decoded = -1;
      g_autoptr (GError) error = NULL;

      jl_epoch_encode (epoch_table[i], bytes);

      CU_ASSERT_TRUE (jl_epoch_decode (bytes, 8, &decoded, &error));
      CU_ASSERT_EQUAL (decoded, epoch_table[i]);
    }
}

static void
test_epoch_big_endian (void)
{
  static const guint8 expected[8] = { 0x01, 0x02, 0x03, 0x04,
                                      0x05, 0x06, 0x07, 0x08 };
  guint8 bytes[8];

  jl_epoch_encode (0x0102030405060708, bytes);

  CU_ASSERT_EQUAL (memcmp (bytes, expected, 8), 0);
}

static void
test_epoch_byte_order (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (epoch_table); i++)
    {
      for (gsize j = 0; j < G_N_ELEMENTS (epoch_table); j++)
        {
          guint8 a[8];
          guint8 b[8];

          jl_epoch_encode (epoch_table[i], a);
          jl_epoch_encode (epoch_table[j], b);

          int byte_order = memcmp (a, b, 8);
          int numeric_order = (epoch_table[i] > epoch_table[j])
                              - (epoch_table[i] < epoch_table[j]);

          CU_ASSERT_EQUAL ((byte_order > 0) - (byte_order < 0), numeric_order);
        }
    }
}

static void
test_epoch_wrong_length (void)
{
  static const guint8 bytes[9] = { 0, 0, 0, 0, 0, 0, 0, 1, 0 };
  static const gsize lengths[] = { 0, 1, 7, 9 };

  for (gsize i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      gint64 decoded = 99;
      g_autoptr (GError) error = NULL;

      CU_ASSERT_FALSE (jl_epoch_decode (bytes, lengths[i], &decoded, &error));
      CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, JL_ERROR_CORRUPT));
      CU_ASSERT_EQUAL (decoded, 99);
    }
}

static void
test_epoch_negative (void)
{
  static const guint8 bytes[8] = { 0x80, 0, 0, 0, 0, 0, 0, 1 };
  gint64 decoded = 99;
  g_autoptr (GError) error = NULL;

  CU_ASSERT_FALSE (jl_epoch_decode (bytes, 8, &decoded, &error));
  CU_ASSERT_TRUE (g_error_matches (error, JL_ERROR, JL_ERROR_CORRUPT));
  CU_ASSERT_EQUAL (decoded, 99);
}

static CU_TestInfo lease_tests[] = {
  { "lease round trip", test_lease_round_trip },
  { "lease JSON integers", test_lease_json_integers },
  { "lease copy", test_lease_copy },
  { "lease without node", test_lease_without_node },
  { "lease null node", test_lease_null_node },
  { "lease unknown members", test_lease_unknown_members },
  { "lease explicit length", test_lease_explicit_length },
  { "lease truncated", test_lease_truncated },
  { "lease empty input", test_lease_empty_input },
  { "lease not an object", test_lease_not_object },
  { "lease missing holder", test_lease_missing_holder },
  { "lease missing epoch", test_lease_missing_epoch },
  { "lease missing time", test_lease_missing_time },
  { "lease wrong types", test_lease_wrong_types },
  { "lease epoch not positive", test_lease_epoch_not_positive },
  { "lease negative time", test_lease_negative_time },
  { "lease huge numbers", test_lease_huge_numbers },
  { "lease embedded NUL", test_lease_embedded_nul },
  { "lease invalid UTF-8", test_lease_invalid_utf8 },
  { "lease trailing data", test_lease_trailing_data },
  { "lease deep nesting", test_lease_deep_nesting },
  { "lease brackets in strings", test_lease_nesting_in_strings },
  { "lease megabyte of junk", test_lease_megabyte_junk },
  { "lease random junk", test_lease_random_junk },
  { "lease stale edges", test_lease_stale_edges },
  { "lease stale when released", test_lease_stale_released },
  { "epoch round trip", test_epoch_round_trip },
  { "epoch big-endian", test_epoch_big_endian },
  { "epoch byte order", test_epoch_byte_order },
  { "epoch wrong length", test_epoch_wrong_length },
  { "epoch negative", test_epoch_negative },
  CU_TEST_INFO_NULL,
};

void
register_lease_tests (void)
{
  JL_ADD_SUITE ("lease", lease_tests);
}
