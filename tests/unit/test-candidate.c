/* Tests for election node names and Curator's leader order. */
#include "jobleader/candidate.h"
#include "unit.h"

#define UUID_A "0f8fad5b-d9cb-469f-a165-70867728950e"
#define UUID_B "7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define UUID_C "b3c1e2a4-1f6e-4c1a-9a57-2d3b0c8e9f10"

/* Checks that sorting @names yields the names in @expected order. */
static void
assert_sorted (const char *const *names, const char *const *expected,
               gsize count)
{
  g_autoptr (GPtrArray) sorted = jl_candidates_sort (names, count);

  CU_ASSERT_EQUAL_FATAL (sorted->len, count);
  for (gsize i = 0; i < count; i++)
    {
      const JlCandidate *candidate = g_ptr_array_index (sorted, i);

      CU_ASSERT_STRING_EQUAL (candidate->name, expected[i]);
    }
}

static void
test_candidate_prefix (void)
{
  g_autofree char *prefix = jl_candidate_prefix (UUID_A);

  CU_ASSERT_STRING_EQUAL (prefix, "_c_" UUID_A "-lock-");
}

static void
test_candidate_well_formed (void)
{
  g_autoptr (JlCandidate) candidate
      = jl_candidate_new ("_c_" UUID_A "-lock-0000000042");

  CU_ASSERT_TRUE (candidate->well_formed);
  CU_ASSERT_STRING_EQUAL (candidate->uuid, UUID_A);
  CU_ASSERT_STRING_EQUAL (candidate->sort_key, "0000000042");
  CU_ASSERT_STRING_EQUAL (candidate->name, "_c_" UUID_A "-lock-0000000042");
}

static void
test_candidate_prefix_parses (void)
{
  g_autofree char *prefix = jl_candidate_prefix (UUID_B);
  g_autofree char *name = g_strconcat (prefix, "0000000001", NULL);
  g_autoptr (JlCandidate) candidate = jl_candidate_new (name);

  CU_ASSERT_TRUE (candidate->well_formed);
  CU_ASSERT_STRING_EQUAL (candidate->uuid, UUID_B);
}

static void
test_candidate_foreign_names (void)
{
  static const char *const names[] = {
    "_c_" UUID_A "-lock-000000004",              /* 9 digits */
    "_c_" UUID_A "-lock-00000000042",            /* 11 digits */
    "_c_" UUID_A "-lock-000000004x",
    "_c_" UUID_A "-lock-",
    "_c_0f8fad5b-d9cb-469f-a165-70867728950-lock-0000000042",
    "_c_0f8fad5bxd9cb-469f-a165-70867728950e-lock-0000000042",
    "_c_0f8fad5b-d9cb-469f-a165-70867728950g-lock-0000000042",
    "_d_" UUID_A "-lock-0000000042",
    UUID_A "-lock-0000000042",
    "lock-0000000042",
    "latch-0000000042",
    "",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (JlCandidate) candidate = jl_candidate_new (names[i]);

      CU_ASSERT_FALSE (candidate->well_formed);
      CU_ASSERT_PTR_NULL (candidate->uuid);
    }
}

static void
test_candidate_sort_key (void)
{
  g_autoptr (JlCandidate) twice = jl_candidate_new ("a-lock-b-lock-0007");
  g_autoptr (JlCandidate) none = jl_candidate_new ("latch-0000000001");
  g_autoptr (JlCandidate) trailing = jl_candidate_new ("x-lock-");

  CU_ASSERT_STRING_EQUAL (twice->sort_key, "0007");
  CU_ASSERT_STRING_EQUAL (none->sort_key, "latch-0000000001");
  CU_ASSERT_STRING_EQUAL (trailing->sort_key, "");
}

static void
test_candidate_sequence_order (void)
{
  static const char *const names[] = {
    "_c_" UUID_A "-lock-0000000012",
    "_c_" UUID_C "-lock-0000000003",
    "_c_" UUID_B "-lock-0000000010",
  };
  static const char *const expected[] = {
    "_c_" UUID_C "-lock-0000000003",
    "_c_" UUID_B "-lock-0000000010",
    "_c_" UUID_A "-lock-0000000012",
  };

  assert_sorted (names, expected, G_N_ELEMENTS (names));
}

static void
test_candidate_foreign_order (void)
{
  /* Curator compares the text after the last "lock-", so a foreign name
   * without the marker sorts by its whole name, which here puts it after
   * every digit string. */
  static const char *const names[] = {
    "zookeeper-garbage",
    "_c_" UUID_A "-lock-0000000012",
    "other-lock-0000000005",
    "0000000011",
  };
  static const char *const expected[] = {
    "other-lock-0000000005",
    "0000000011",
    "_c_" UUID_A "-lock-0000000012",
    "zookeeper-garbage",
  };

  assert_sorted (names, expected, G_N_ELEMENTS (names));
}

static void
test_candidate_marker_twice (void)
{
  static const char *const names[] = {
    "_c_" UUID_A "-lock-0000000009",
    "x-lock-0000000001-lock-0000000010",
    "_c_" UUID_B "-lock-0000000011",
  };
  static const char *const expected[] = {
    "_c_" UUID_A "-lock-0000000009",
    "x-lock-0000000001-lock-0000000010",
    "_c_" UUID_B "-lock-0000000011",
  };

  assert_sorted (names, expected, G_N_ELEMENTS (names));
}

static void
test_candidate_string_order (void)
{
  /* Keys compare as strings, not numbers: without zero padding "9" sorts
   * after "10". */
  static const char *const names[] = { "a-lock-9", "b-lock-10" };
  static const char *const expected[] = { "b-lock-10", "a-lock-9" };

  assert_sorted (names, expected, G_N_ELEMENTS (names));
}

static void
test_candidate_equal_keys_stable (void)
{
  static const char *const names[] = {
    "_c_" UUID_C "-lock-0000000007",
    "_c_" UUID_A "-lock-0000000007",
    "other-lock-0000000007",
    "_c_" UUID_B "-lock-0000000007",
  };

  assert_sorted (names, names, G_N_ELEMENTS (names));
}

static void
test_candidate_java_order (void)
{
  /* Java compares UTF-16 code units: U+1F600 starts with the surrogate
   * 0xD83D, which sorts below U+FF21 although its code point is higher. */
  static const char *const names[] = {
    "x-lock-\xef\xbc\xa1",     /* U+FF21 */
    "x-lock-\xf0\x9f\x98\x80", /* U+1F600 */
    "x-lock-\xc3\xa9",         /* U+00E9 */
    "x-lock-z",
  };
  static const char *const expected[] = {
    "x-lock-z",
    "x-lock-\xc3\xa9",
    "x-lock-\xf0\x9f\x98\x80",
    "x-lock-\xef\xbc\xa1",
  };

  assert_sorted (names, expected, G_N_ELEMENTS (names));
}

static void
test_candidate_shorter_key_first (void)
{
  static const char *const names[] = { "x-lock-00012", "x-lock-0001" };
  static const char *const expected[] = { "x-lock-0001", "x-lock-00012" };

  assert_sorted (names, expected, G_N_ELEMENTS (names));
}

static void
test_candidate_sort_empty (void)
{
  g_autoptr (GPtrArray) sorted = jl_candidates_sort (NULL, 0);

  CU_ASSERT_PTR_NOT_NULL_FATAL (sorted);
  CU_ASSERT_EQUAL (sorted->len, 0);
}

static void
test_candidate_find_uuid (void)
{
  static const char *const names[] = {
    "_c_" UUID_A "-lock-0000000012",
    "foreign-node",
    "_c_" UUID_B "-lock-0000000003",
  };
  g_autoptr (GPtrArray) sorted = jl_candidates_sort (names,
                                                     G_N_ELEMENTS (names));

  CU_ASSERT_EQUAL (jl_candidates_find_uuid (sorted, UUID_B), 0);
  CU_ASSERT_EQUAL (jl_candidates_find_uuid (sorted, UUID_A), 1);
  CU_ASSERT_EQUAL (jl_candidates_find_uuid (sorted, UUID_C), -1);
  CU_ASSERT_EQUAL (jl_candidates_find_uuid (sorted, "foreign-node"), -1);
}

static void
test_candidate_find_duplicate_uuid (void)
{
  /* A create whose reply was lost can leave two nodes for one uuid. */
  static const char *const names[] = {
    "_c_" UUID_A "-lock-0000000020",
    "_c_" UUID_B "-lock-0000000015",
    "_c_" UUID_A "-lock-0000000017",
  };
  g_autoptr (GPtrArray) sorted = jl_candidates_sort (names,
                                                     G_N_ELEMENTS (names));
  gssize index = jl_candidates_find_uuid (sorted, UUID_A);

  CU_ASSERT_EQUAL_FATAL (index, 1);

  const JlCandidate *found = g_ptr_array_index (sorted, index);
  CU_ASSERT_STRING_EQUAL (found->name, "_c_" UUID_A "-lock-0000000017");
}

static CU_TestInfo candidate_tests[] = {
  { "candidate prefix", test_candidate_prefix },
  { "candidate well-formed name", test_candidate_well_formed },
  { "candidate prefix parses", test_candidate_prefix_parses },
  { "candidate foreign names", test_candidate_foreign_names },
  { "candidate sort key", test_candidate_sort_key },
  { "candidate sequence order", test_candidate_sequence_order },
  { "candidate foreign order", test_candidate_foreign_order },
  { "candidate marker twice", test_candidate_marker_twice },
  { "candidate string order", test_candidate_string_order },
  { "candidate equal keys stable", test_candidate_equal_keys_stable },
  { "candidate Java string order", test_candidate_java_order },
  { "candidate shorter key first", test_candidate_shorter_key_first },
  { "candidate sort empty", test_candidate_sort_empty },
  { "candidate find uuid", test_candidate_find_uuid },
  { "candidate find duplicate uuid", test_candidate_find_duplicate_uuid },
  CU_TEST_INFO_NULL,
};

void
register_candidate_tests (void)
{
  JL_ADD_SUITE ("candidate", candidate_tests);
}
