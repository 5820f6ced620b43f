# The cycle-level walker against the golden model, its exact cycle counts and its arbiter. The
# random tests reuse the golden tests' stub-built random machine (library mmuvp_stub_space).
mmuvp_test(cycle_walker_tests SYSTEMC
  SOURCES cycle_walker_test.cpp
  LIBS mmuvp_cycle_walker mmuvp_checker mmuvp_stub_space mmuvp_direct_bus mmuvp_stub mmuvp_arch
       fmt::fmt
  LABELS tlm
  TIMEOUT 120)
