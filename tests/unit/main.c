/* CUnit runner for the unit suites. */
#include <CUnit/Basic.h>
#include <stdlib.h>

#include "unit.h"

int
main (void)
{
  if (CU_initialize_registry () != CUE_SUCCESS)
    return EXIT_FAILURE;

  register_properties_tests ();
  register_config_tests ();
  register_lease_tests ();
  register_candidate_tests ();
  register_local_store_tests ();

  CU_basic_set_mode (CU_BRM_VERBOSE);
  CU_basic_run_tests ();

  unsigned int failed = CU_get_number_of_failures ()
                        + CU_get_number_of_tests_failed ();
  CU_cleanup_registry ();

  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
