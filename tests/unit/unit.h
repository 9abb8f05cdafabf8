/* Suites of the unit-test runner; each file adds one suite. */
#pragma once

#include <CUnit/CUnit.h>

void register_properties_tests (void);
void register_config_tests (void);
void register_lease_tests (void);
void register_candidate_tests (void);
void register_local_store_tests (void);

/* Adds a suite named @name with the NULL-terminated @tests. */
#define JL_ADD_SUITE(name, tests)                                      \
  do {                                                                 \
    CU_pSuite suite_ = CU_add_suite ((name), NULL, NULL);              \
    for (const CU_TestInfo *t_ = (tests); t_->pName != NULL; t_++)     \
      CU_add_test (suite_, t_->pName, t_->pTestFunc);                  \
  } while (0)
