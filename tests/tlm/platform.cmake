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
mmuvp_test(tlm_platform_tests SYSTEMC
  SOURCES platform_test.cpp
  LIBS mmuvp_tlm mmuvp_direct_bus
  LABELS tlm
  TIMEOUT 60)

# libsystemc.so calls sc_main, but it comes after libmmuvp_sc_gtest_main.a on the link line, so
# the archive member defining sc_main is not pulled in: ask for it up front. (Belongs in
# mmuvp_test's SYSTEMC branch, tests/CMakeLists.txt.)
foreach(t tlm_memory_system_tests tlm_platform_mmu_tests tlm_platform_tests)
  target_link_options(${t} PRIVATE "LINKER:-u,sc_main")
endforeach()
