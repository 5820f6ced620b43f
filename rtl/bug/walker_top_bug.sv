// An injected bug for the co-simulation and checker tests (tests/rtl/rtl_bug_injection_test.cpp,
// tests/tb/cosim_test.cpp): walker_top behind a wrapper whose register port corrupts every write
// to OFFSET_G and OFFSET_V (XOR with BugOffsetXor), so the walker adds a wrong segment offset
// while the software (and the C++ models) believe the programmed one. Verilated only into the
// library mmuvp_rtl_walker_bug (rtl/CMakeLists.txt), never into the default build.
/* verilator lint_off DECLFILENAME */
module walker_top_bug
  import mmu_regs_pkg::*;
  import walker_pkg::*;
#(
  parameter logic [63:0] BugOffsetXor = 64'h1000,  // one 4 KiB page off
  localparam int unsigned W       = 2,
  localparam int unsigned TagBits = 1
) (
  input  logic                    clk,
  input  logic                    rst_ni,
  // request (MMU -> walker)
  input  logic                    req_valid,
  output logic                    req_ready,
  input  logic [15:0]             req_id,
  input  logic [63:0]             req_va,
  input  logic [1:0]              req_type,      // 0 read, 1 write, 2 execute
  input  logic                    req_user,
  // response (walker -> MMU)
  output logic                    resp_valid,
  input  logic                    resp_ready,
  output logic [15:0]             resp_id,
  output logic [TagBits-1:0]      resp_slot,
  output logic [63:0]             resp_hpa,
  output logic [63:0]             resp_gpa,
  output logic [1:0]              resp_size,     // 0 4K, 1 2M, 2 1G
  output logic [1:0]              resp_guest_size,
  output logic [1:0]              resp_host_size,
  output logic [3:0]              resp_perms,    // {r, w, x, u}
  output logic                    resp_global,
  output logic                    resp_dirty,
  output logic                    resp_guest_seg_hit,
  output logic                    resp_vmm_seg_hit,
  output logic [2:0]              resp_filter_hits,
  output logic [7:0]              resp_fault_kind,
  output logic [1:0]              resp_fault_stage,
  output logic [2:0]              resp_fault_level,
  output logic [31:0]             resp_fault_code,
  output logic [63:0]             resp_fault_gva,
  output logic [63:0]             resp_fault_gpa,
  // response trace (checker)
  output logic [63:0]             resp_guest_leaf,
  output logic [63:0]             resp_ept_leaf,
  output logic [2:0]              resp_pwc_level,
  output logic [63:0]             resp_pwc_table,
  output logic [3:0]              resp_pwc_perms,
  output logic [2:0]              resp_ntlb_count,
  output logic [MaxNtlbLog-1:0]   resp_ntlb_hit,
  output logic [MaxNtlbLog-1:0][63:0] resp_ntlb_gpa,
  output logic [MaxNtlbLog-1:0][63:0] resp_ntlb_hpa,
  output logic [MaxNtlbLog-1:0][1:0]  resp_ntlb_size,
  output logic [MaxNtlbLog-1:0][3:0]  resp_ntlb_perms,
  output logic [MaxNtlbLog-1:0]   resp_ntlb_dirty,
  output logic [4:0]              resp_vmm_seg_mask,
  // memory request (walker -> memory)
  output logic                    mem_req_valid,
  input  logic                    mem_req_ready,
  output logic [TagBits-1:0]      mem_req_tag,
  output logic [63:0]             mem_req_addr,
  output logic                    mem_req_op,        // 0 READ, 1 SET_BITS
  output logic [63:0]             mem_req_data,
  output logic                    mem_req_target,    // 0 guest entry, 1 EPT entry
  output logic [2:0]              mem_req_level,
  output logic [2:0]              mem_req_for_level,
  // memory response (memory -> walker)
  input  logic                    mem_resp_valid,
  input  logic [TagBits-1:0]      mem_resp_tag,
  input  logic [63:0]             mem_resp_data,
  input  logic                    mem_resp_err,
  // invalidation (arch::Invalidation), applied at this edge after the fills
  input  logic                    inv_valid,
  input  logic [3:0]              inv_op,
  input  logic [63:0]             inv_addr,
  input  logic [15:0]             inv_pcid,
  input  logic [15:0]             inv_vmid,
  // register block (MMIO, one access per cycle)
  input  logic                    reg_valid,
  input  logic                    reg_write,
  input  logic [RegAddrWidth-1:0] reg_addr,
  input  logic [63:0]             reg_wdata,
  output logic [63:0]             reg_rdata,
  output logic [7:0]              reg_status
);
  logic [63:0] reg_wdata_bug;
  always_comb begin
    reg_wdata_bug = reg_wdata;
    if (reg_write && (reg_addr == RegOffsetGOffset || reg_addr == RegOffsetVOffset)) begin
      reg_wdata_bug = reg_wdata ^ BugOffsetXor;
    end
  end

  walker_top #(.W(W)) u_walker (
    .reg_wdata(reg_wdata_bug),
    .*
  );
endmodule : walker_top_bug
/* verilator lint_on DECLFILENAME */
