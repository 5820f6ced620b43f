// GoogleTest's entry point for test binaries that use SystemC: libsystemc provides main() and
// calls sc_main(), so the tests run from there. (gtest_main's main() would lose to libsystemc's.)
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
