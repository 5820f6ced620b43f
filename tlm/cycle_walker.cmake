# The cycle-level clocked page walker (docs/walker-fsm.md) and the bridge from its valid/ready
# memory port to a TLM-2.0 initiator socket.
add_library(mmuvp_cycle_walker STATIC
  cycle_walker.cpp
  mem_port_bridge.cpp
)
target_include_directories(mmuvp_cycle_walker PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(mmuvp_cycle_walker PUBLIC mmuvp_tlm_struct mmuvp_arch mmuvp_systemc fmt::fmt)
