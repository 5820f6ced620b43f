# The SystemC platform modules (tlm/platform.h): each test case elaborates once, in its own process.
mmuvp_test(tlm_memory_system_tests SYSTEMC
  SOURCES memory_system_test.cpp
  LIBS mmuvp_tlm
  LABELS tlm
  TIMEOUT 30)
mmuvp_test(tlm_platform_mmu_tests SYSTEMC
  SOURCES platform_mmu_test.cpp
  LIBS mmuvp_tlm mmuvp_direct_bus
  LABELS tlm
  TIMEOUT 60)
mmuvp_test(tlm_direct_path_tests SYSTEMC
  SOURCES direct_path_test.cpp
  LIBS mmuvp_tlm mmuvp_direct_bus
  LABELS tlm
  TIMEOUT 60)
mmuvp_test(tlm_platform_tests SYSTEMC
  SOURCES platform_test.cpp
  LIBS mmuvp_tlm mmuvp_checker mmuvp_direct_bus
  LABELS tlm
  TIMEOUT 60)

