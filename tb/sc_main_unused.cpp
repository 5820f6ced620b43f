// libsystemc references sc_main() (its own main() would call it). The mmuvp executable has its own
// main() (tb/main.cpp) and runs simulations by calling sc_core::sc_start() from a subcommand, so
// sc_main is never called; it exists only to satisfy the link.
#include <systemc>

int sc_main(int, char**) { return 1; }
