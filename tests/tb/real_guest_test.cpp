// `mmuvp pagetable` on a real operating system's page tables: a Debian Linux kernel booted in
// QEMU, its RAM saved with `pmemsave` (scripts/real-guest.sh, the ctest fixture
// real_guest_capture). QEMU's own `info tlb` of the same CR3 is the independent reference: the
// listing must equal it line for line, and walks of addresses sampled from it (mapped, unmapped,
// non-canonical, writes to read-only pages) must give the addresses and faults it implies.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/tb/run_mmuvp.h"

namespace mmuvp::test {
namespace {

constexpr std::uint64_t kPage = 0x1000;
constexpr std::uint64_t kLargePage = 0x200000;  // a 'P' line is a 2M or 1G page: 2M is inside both

// One line of QEMU's `info tlb`: "<va>: <pa> <flags>", flags XGPDACTUW or '-'.
struct QemuMapping {
  std::uint64_t va = 0;
  std::uint64_t pa = 0;
  std::string flags;
  bool large() const { return flags[2] == 'P'; }
  bool writable() const { return flags[8] == 'W'; }
};

class RealGuest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = MMUVP_REAL_GUEST_DIR;
    image_ = dir + "/guest.ram";
    cr3_ = lines_of(slurp(dir + "/cr3")).at(0);
    cr4_ = lines_of(slurp(dir + "/cr4")).at(0);
    qemu_lines_ = lines_of(slurp(dir + "/qemu-tlb.txt"));
    ASSERT_GT(qemu_lines_.size(), 1000u) << "fixture real_guest_capture left no listing in " << dir;
    for (const std::string& line : qemu_lines_) {
      QemuMapping m;
      char flags[16] = {};
      ASSERT_EQ(std::sscanf(line.c_str(), "%lx: %lx %15s", &m.va, &m.pa, flags), 3) << line;
      m.flags = flags;
      ASSERT_EQ(m.flags.size(), 9u) << line;
      qemu_.push_back(m);
    }
  }

  std::string base_args() const {
    return "pagetable --image '" + image_ + "' --cr3 " + cr3_ + " --cr4 " + cr4_;
  }

  // Walks `vas` as supervisor accesses of type `access` and returns the JSON translations.
  nlohmann::json walk(const std::vector<std::uint64_t>& vas, const char* access) {
    std::string args = base_args() + " --supervisor --json --access " + access + " --va";
    for (std::uint64_t va : vas) args += fmt::format(" {:#x}", va);
    const Output r = run_mmuvp(dir_, args);
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out).at("translations");
  }

  TempDir dir_;
  std::string image_;
  std::string cr3_;
  std::string cr4_;  // as the guest had it: PAE, 4-level (the script refuses LA57)
  std::vector<std::string> qemu_lines_;
  std::vector<QemuMapping> qemu_;
};

std::uint64_t hex(const nlohmann::json& j) { return std::stoull(j.get<std::string>(), nullptr, 16); }

TEST_F(RealGuest, ListingEqualsQemuInfoTlbLineForLine) {
  const Output r = run_mmuvp(dir_, base_args() + " --list --format qemu");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::vector<std::string> ours = r.out_lines();
  ASSERT_EQ(ours.size(), qemu_lines_.size());
  for (std::size_t i = 0; i < ours.size(); ++i) ASSERT_EQ(ours[i], qemu_lines_[i]) << "line " << i;

  // A running system's space: user pages, kernel pages, large pages, read-only and NX pages.
  std::size_t user = 0, large = 0, readonly = 0, nx = 0;
  for (const QemuMapping& m : qemu_) {
    user += m.va < 0x0000800000000000ull;
    large += m.large();
    readonly += !m.writable();
    nx += m.flags[0] == 'X';
  }
  EXPECT_GT(user, 10u);
  EXPECT_GT(qemu_.size() - user, 1000u);
  EXPECT_GT(large, 10u);
  EXPECT_GT(readonly, 10u);
  EXPECT_GT(nx, 10u);
}

TEST_F(RealGuest, JsonListingCountsTheSameMappingsWithoutIssues) {
  const Output r = run_mmuvp(dir_, base_args() + " --list --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("count").get<std::size_t>(), qemu_.size());
  EXPECT_EQ(j.at("mappings").size(), qemu_.size());
  EXPECT_TRUE(j.at("issues").empty()) << j.at("issues").dump();
  for (std::size_t i = 0; i < qemu_.size(); i += 997) {
    EXPECT_EQ(hex(j["mappings"][i]["va"]), qemu_[i].va);
    EXPECT_EQ(hex(j["mappings"][i]["pa"]), qemu_[i].pa);
  }
}

TEST_F(RealGuest, ReadsOfSampledAddressesLandWhereQemuMapsThem) {
  std::vector<std::uint64_t> vas;
  std::vector<std::uint64_t> expected;
  for (std::size_t i = 0; i < qemu_.size(); i += 97) {
    const QemuMapping& m = qemu_[i];
    const std::uint64_t offset = (i * 0x9e3779b97f4a7c15ull >> 20) % (m.large() ? kLargePage : kPage);
    vas.push_back(m.va + offset);
    expected.push_back(m.pa + offset);
  }
  const nlohmann::json t = walk(vas, "r");
  ASSERT_EQ(t.size(), vas.size());
  for (std::size_t i = 0; i < vas.size(); ++i) {
    ASSERT_TRUE(t[i].at("ok").get<bool>()) << t[i].dump();
    EXPECT_EQ(hex(t[i]["pa"]), expected[i]) << t[i].dump();
    EXPECT_GE(t[i]["refs"].size(), 2u);  // a walk from CR3: at least the PML4E and a leaf
  }
}

TEST_F(RealGuest, HolesBetweenQemuMappingsAreNotPresentFaults) {
  std::vector<std::uint64_t> holes;
  for (std::size_t i = 0; i + 1 < qemu_.size() && holes.size() < 400; ++i) {
    const QemuMapping& m = qemu_[i];
    if (!m.large() && qemu_[i + 1].va > m.va + kPage) holes.push_back(m.va + kPage);
  }
  ASSERT_GT(holes.size(), 20u);
  holes.push_back(0x0000800000000000ull);  // first non-canonical address
  const nlohmann::json t = walk(holes, "r");
  ASSERT_EQ(t.size(), holes.size());
  for (std::size_t i = 0; i + 1 < holes.size(); ++i) {
    ASSERT_FALSE(t[i].at("ok").get<bool>()) << t[i].dump();
    EXPECT_EQ(t[i]["fault"]["kind"], "guest-page-fault") << t[i].dump();
    EXPECT_EQ(hex(t[i]["fault"]["code"]) & 1, 0u) << "P must be clear: " << t[i].dump();
  }
  EXPECT_EQ(t.back()["fault"]["kind"], "non-canonical") << t.back().dump();
}

TEST_F(RealGuest, SupervisorWritesToReadOnlyPagesFaultAndToWritablePagesDoNot) {
  // CR0.WP = 1 (Linux sets it; the platform models it): a supervisor write needs R/W.
  std::vector<std::uint64_t> vas;
  std::vector<bool> writable;
  std::size_t ro = 0, rw = 0;
  for (const QemuMapping& m : qemu_) {
    const bool w = m.writable();
    if ((w ? rw : ro) >= 150) continue;
    (w ? rw : ro)++;
    vas.push_back(m.va);
    writable.push_back(w);
  }
  ASSERT_GT(ro, 10u);
  ASSERT_GT(rw, 10u);
  const nlohmann::json t = walk(vas, "w");
  ASSERT_EQ(t.size(), vas.size());
  for (std::size_t i = 0; i < vas.size(); ++i) {
    if (writable[i]) {
      // A writable leaf can still sit under a read-only upper entry; QEMU's listing shows only
      // the leaf. Linux never does this, so every writable leaf must take the write.
      EXPECT_TRUE(t[i].at("ok").get<bool>()) << t[i].dump();
    } else {
      ASSERT_FALSE(t[i].at("ok").get<bool>()) << t[i].dump();
      EXPECT_EQ(hex(t[i]["fault"]["code"]) & 3, 3u) << "P and W/R: " << t[i].dump();
    }
  }
}

}  // namespace
}  // namespace mmuvp::test
