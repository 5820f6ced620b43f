// The generic set-associative array: geometry rules, set indexing (mask and exact fast modulo),
// exact LRU replacement, in-place replacement and invalidation.
#include "tlm/set_assoc.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace mmuvp::tlm {
namespace {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

TEST(Geometry, Validation) {
  EXPECT_EQ(error_of([] {
              check_geometry("t", Geometry{64, 0}, SetRule::kPowerOfTwo);
            }),
            "t: ways must be at least 1 (entries 64)");
  EXPECT_EQ(error_of([] {
              check_geometry("t", Geometry{63, 4}, SetRule::kPowerOfTwo);
            }),
            "t: entries 63 are not a multiple of ways 4");
  EXPECT_EQ(error_of([] {
              check_geometry("t", Geometry{48, 4}, SetRule::kPowerOfTwo);
            }),
            "t: set count 12 (entries 48 / ways 4) is not a power of two");
  EXPECT_EQ(error_of([] {
              check_geometry("t", Geometry{kMaxEntries + 1, 1}, SetRule::kAny);
            }),
            "t: entries 16777217 exceed the limit of 16777216");
  EXPECT_EQ(error_of([] {
              check_geometry("t", Geometry{8192, 8192}, SetRule::kAny);
            }),
            "t: ways 8192 exceed the limit of 4096");
  EXPECT_NO_THROW(check_geometry("t", Geometry{48, 4}, SetRule::kAny));
  EXPECT_NO_THROW(check_geometry("t", Geometry::disabled(), SetRule::kPowerOfTwo));
  EXPECT_NO_THROW(check_geometry("t", Geometry::fully_associative(5), SetRule::kPowerOfTwo));
  EXPECT_EQ((Geometry{512, 4}.sets()), 128u);
  EXPECT_EQ(Geometry::fully_associative(4).sets(), 1u);
  EXPECT_THROW((SetAssoc<int>("t", Geometry{12, 8})), std::invalid_argument);
}

TEST(SetIndex, PowerOfTwoUsesLowBits) {
  const SetIndex idx(64);
  EXPECT_TRUE(idx.power_of_two());
  EXPECT_EQ(idx(0), 0u);
  EXPECT_EQ(idx(63), 63u);
  EXPECT_EQ(idx(64), 0u);
  EXPECT_EQ(idx(0x12345), 0x05u);
  const SetIndex one(1);
  EXPECT_EQ(one(0xffffffffffffffffull), 0u);
}

TEST(SetIndex, FastModuloIsExact) {
  std::mt19937_64 rng(42);
  for (std::uint32_t d : {3u, 5u, 6u, 7u, 12u, 1000u, 12288u, 100003u, (1u << 24) - 1}) {
    const SetIndex idx(d);
    ASSERT_FALSE(idx.power_of_two());
    // Small keys, keys around multiples of d, random keys of every width, the largest keys.
    for (std::uint64_t k = 0; k < 3 * std::uint64_t{d} + 5 && k < 100000; ++k) {
      ASSERT_EQ(idx(k), k % d) << "d=" << d << " k=" << k;
    }
    for (int i = 0; i < 20000; ++i) {
      const unsigned width = 1 + static_cast<unsigned>(rng() % 64);
      const std::uint64_t k = width == 64 ? rng() : rng() & ((1ull << width) - 1);
      ASSERT_EQ(idx(k), k % d) << "d=" << d << " k=" << k;
    }
    for (std::uint64_t k : {~0ull, ~0ull - 1, 1ull << 63, (1ull << 50) - 1, 1ull << 50,
                            (1ull << 40) * d - 1, (1ull << 40) * d}) {
      ASSERT_EQ(idx(k), k % d) << "d=" << d << " k=" << k;
    }
  }
}

struct Item {
  std::uint64_t key = 0;
  int value = 0;
};

// A 2-set, 4-way array; key k lives in set k % 2.
class SetAssocLru : public ::testing::Test {
 protected:
  SetAssoc<Item> a_{"lru", Geometry{8, 4}};

  void put(std::uint64_t k, int v = 0) {
    a_.insert(a_.set_of(k), Item{k, v}, [k](const Item& x) { return x.key == k; });
  }
  bool touch(std::uint64_t k) {
    return a_.find(a_.set_of(k), [k](const Item& x) { return x.key == k; }) != nullptr;
  }
  bool has(std::uint64_t k) const {
    return a_.peek(a_.set_of(k), [k](const Item& x) { return x.key == k; }) != nullptr;
  }
};

TEST_F(SetAssocLru, FillsInvalidWaysInOrderThenEvictsLeastRecentlyUsed) {
  for (std::uint64_t k : {0, 2, 4, 6}) put(k);  // set 0 full: ways 0..3
  EXPECT_EQ(a_.lru_order(0), (std::vector<std::uint32_t>{3, 2, 1, 0}));
  EXPECT_TRUE(touch(0));  // 0 becomes MRU; LRU is now 2
  EXPECT_TRUE(touch(4));  // LRU still 2
  EXPECT_EQ(a_.lru_order(0), (std::vector<std::uint32_t>{2, 0, 3, 1}));
  const InsertResult<Item> r =
      a_.insert(a_.set_of(8), Item{8, 0}, [](const Item& x) { return x.key == 8; });
  EXPECT_TRUE(r.evicted);
  EXPECT_FALSE(r.replaced);
  EXPECT_EQ(r.victim.key, 2u);
  EXPECT_FALSE(has(2));
  EXPECT_EQ(a_.at(0, 1)->key, 8u);  // the victim's way
  // Next victim: 6 (untouched since its fill), then 0.
  put(10);
  EXPECT_FALSE(has(6));
  put(12);
  EXPECT_FALSE(has(0));
  EXPECT_TRUE(has(4) && has(8) && has(10) && has(12));
  // The other set was never touched.
  EXPECT_TRUE(a_.lru_order(1).empty());
  EXPECT_EQ(a_.valid_count(), 4u);
}

TEST_F(SetAssocLru, PeekDoesNotChangeOrder) {
  for (std::uint64_t k : {0, 2, 4, 6}) put(k);
  EXPECT_TRUE(has(0));  // peek: 0 stays LRU
  put(8);
  EXPECT_FALSE(has(0));
  EXPECT_TRUE(has(2));
}

TEST_F(SetAssocLru, SameKeyIsReplacedInPlace) {
  for (std::uint64_t k : {0, 2, 4, 6}) put(k);
  const InsertResult<Item> r =
      a_.insert(a_.set_of(2), Item{2, 7}, [](const Item& x) { return x.key == 2; });
  EXPECT_TRUE(r.replaced);
  EXPECT_FALSE(r.evicted);
  EXPECT_EQ(a_.valid_count(), 4u);
  EXPECT_EQ(a_.at(0, 1)->value, 7);
  EXPECT_EQ(a_.lru_order(0).front(), 1u);  // refilled entry is MRU
}

TEST_F(SetAssocLru, InvalidatedWayIsReusedBeforeAnyEviction) {
  for (std::uint64_t k : {0, 2, 4, 6}) put(k);
  EXPECT_EQ(a_.invalidate_in_set(0, [](const Item& x) { return x.key == 4; }), 1u);
  put(8);
  EXPECT_EQ(a_.at(0, 2)->key, 8u);
  EXPECT_TRUE(has(0) && has(2) && has(6));
  EXPECT_EQ(a_.invalidate_if([](const Item& x) { return x.key >= 6; }), 2u);
  EXPECT_EQ(a_.clear(), 2u);
  EXPECT_EQ(a_.valid_count(), 0u);
  EXPECT_FALSE(touch(0));
}

TEST(SetAssoc, FullyAssociativeUsesEveryWay) {
  SetAssoc<Item> a("fa", Geometry::fully_associative(3));
  EXPECT_EQ(a.sets(), 1u);
  for (std::uint64_t k : {10, 20, 30}) {
    a.insert(a.set_of(k), Item{k, 0}, [k](const Item& x) { return x.key == k; });
  }
  EXPECT_EQ(a.valid_count(), 3u);
  a.find(0, [](const Item& x) { return x.key == 10; });
  const auto r = a.insert(0, Item{40, 0}, [](const Item& x) { return x.key == 40; });
  EXPECT_EQ(r.victim.key, 20u);
}

TEST(SetAssoc, DisabledArrayHoldsNothing) {
  SetAssoc<Item> a("off", Geometry::disabled());
  EXPECT_FALSE(a.enabled());
  EXPECT_EQ(a.valid_count(), 0u);
  EXPECT_EQ(a.clear(), 0u);
}

TEST(SetAssoc, NonPowerOfTwoSetsSpreadKeysByModulo) {
  SetAssoc<Item> a("mod", Geometry{12, 2}, SetRule::kAny);  // 6 sets
  EXPECT_EQ(a.sets(), 6u);
  EXPECT_EQ(a.set_of(13), 1u);
  // Keys 1, 7, 13 share set 1 (2 ways): the third evicts the first.
  for (std::uint64_t k : {1, 7, 13}) {
    a.insert(a.set_of(k), Item{k, 0}, [k](const Item& x) { return x.key == k; });
  }
  EXPECT_EQ(a.peek(1, [](const Item& x) { return x.key == 1; }), nullptr);
  EXPECT_NE(a.peek(1, [](const Item& x) { return x.key == 13; }), nullptr);
  EXPECT_EQ(a.valid_count(), 2u);
}

}  // namespace
}  // namespace mmuvp::tlm
